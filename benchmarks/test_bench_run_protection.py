"""Secondary suppression of a whole run: the local problems against one problem per component.

Run with ``python -m pytest benchmarks/test_bench_run_protection.py --benchmark-enable -s``.
Input: ``wres synth --trusts 3 --years 2024 --seed 2`` run ``--by region,organisation,band
--ethnicity-level broad`` (the national shape, three trusts, one year): its system of counts
(about 16,000 cells, 4,500 of them primary) is captured at the point of protection.

Timed, in the same run, best of two: ``protect_run`` as ``wres run`` calls it (cells the pattern
tables do not prove get a witness from a small problem around them; failing cells a repair from
one; the organisation-wide figures are kept), and the baseline it replaced (the same pattern
search, then the exact interval of every unproved cell over its whole component, one repair per
round over the whole system, nothing kept). Checked: both certificates pass. Printed: the
times, their ratio and the cells each withholds.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from benchmarks import capture
from wres.engine.synth import parse_years, write_synthetic
from wres.rules import run_protection
from wres.rules.run_cells import RunCells
from wres.rules.run_protection import RUN_SETTINGS, protect_run
from wres.rules.secondary import Protection


@pytest.fixture(scope="module")
def run_system(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunCells, Any]:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic(folder, trusts=3, years=parse_years("2024"), seed=2)
    return capture.run_system(
        folder, tmp_path_factory.mktemp("pack"),
        "--by", "region,organisation,band", "--ethnicity-level", "broad",
    )  # fmt: skip


def _best_of(repeats: int, function: Any) -> tuple[float, Protection]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def test_local_problems_against_whole_components(
    run_system: tuple[RunCells, Any], monkeypatch: pytest.MonkeyPatch, benchmark: Any
) -> None:
    cells, policy = run_system
    ours, protected = _best_of(2, lambda: protect_run(cells, policy))
    assert protected.certificate.ok
    baseline_settings = replace(RUN_SETTINGS, local_witnesses=False)
    # the baseline of before the headline tables came first, too
    monkeypatch.setattr(run_protection, "headline", lambda t: np.zeros(t.n_cells, np.bool_))
    theirs, baseline = _best_of(2, lambda: protect_run(cells, policy, settings=baseline_settings))
    assert baseline.certificate.ok
    benchmark.extra_info.update(ours_s=ours, baseline_s=theirs, ratio=theirs / ours)
    print(
        f"\n{cells.tables.n_cells:,} cells, {int(cells.primary.sum()):,} primary: "
        f"local problems {ours:.1f} s ({int(protected.secondary.sum()):,} secondary), "
        f"whole components {theirs:.1f} s ({int(baseline.secondary.sum()):,} secondary): "
        f"{theirs / ours:.1f}x"
    )
    benchmark.pedantic(protect_run, args=(cells, policy), rounds=1, iterations=1)
