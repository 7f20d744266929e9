"""Nothing withheld for nothing: no withheld count that no primary rule withholds can be
recovered exactly from the published pack.

The attacker (``tests/attacker``, written apart from the protection) reads only
``publish/indicators.csv`` and solves the exact interval of every withheld count that no
primary rule withholds (judged with the true counts: neither the count nor, beside its
denominator, its complement is in the withheld range); none may be a single value. The same
attack on the protection without its last step (``published_when_known`` left out) finds such
counts, so the test can fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.attacker.inputs import record_inputs, run_pack, run_pair, synthetic
from tests.attacker.solve import completed, infer
from tests.attacker.system import NOT_CUTS, Key, _counts, build, read_indicators
from tests.attacker.verdict import true_counts
from tests.test_disclosure_attack import reader_policy
from wres.rules import run_protection
from wres.rules.secondary import Protection

POLICY = "wres-default"


def primary_sensitive(truth_pack: Path, at_most: int) -> set[Key]:
    """The counts a primary rule withholds, from the true rows: a count in the range, or a
    count whose row's denominator minus it is (P2), wherever it is shown."""
    table = read_indicators(truth_pack)
    cuts = tuple(c for c in table.columns if c not in NOT_CUTS)

    def small(count: pl.Expr) -> pl.Expr:
        return ((count >= 1) & (count <= at_most)).fill_null(value=False)

    flags = table.with_columns(
        (small(pl.col(c)) | small(pl.col(n) - pl.col(c))).cast(pl.Int64).alias(c)
        for c, n in (("numerator", "denominator"), ("reference_numerator", "reference_denominator"))
    ).with_columns(
        pl.when(pl.col(n).is_not_null()).then(small(pl.col(n)).cast(pl.Int64)).alias(n)
        for n in ("denominator", "reference_denominator")
    )
    rows = _counts(flags, "wres", cuts).filter(pl.col("value") == 1)
    return {
        (r[0], r[1], tuple(r[2 : 2 + len(cuts)]), r[2 + len(cuts)])
        for r in rows.select("quantity", "window", *cuts, "group").rows()
    }


def recovered_above_range(pack: Path, truth_pack: Path) -> list[tuple[Key, int]]:
    """The withheld counts no primary rule withholds that the attacker pins to one value."""
    policy = reader_policy(POLICY)
    system, _ = build(pack, "wres", policy)
    truth = true_counts(truth_pack, "wres")
    sensitive = primary_sensitive(truth_pack, policy.at_most)
    x0 = np.array([truth.get(k, np.nan) for k in system.keys], dtype=np.float64)
    public = np.array([str(k[0]).startswith("board ") for k in system.keys], dtype=np.bool_)
    primary = np.array([k in sensitive for k in system.keys], dtype=np.bool_)
    large = np.flatnonzero(system.withheld & (x0 > policy.at_most) & ~public & ~primary)
    if not len(large):
        return []
    start = completed(system, x0)
    inference = infer(system, policy, large, start=start, exhaustive=True)
    return [(system.keys[i], int(x0[i])) for i in large if inference.low[i] == inference.high[i]]


#: seed 2: without the last step the attacker recovers withheld counts exactly
SEED = 2
BY = ("site", "band")
#: the run's parts in its own process, where the tests patch it
JOBS = ("--jobs", "1")


def inputs(tmp: Path) -> list[str]:
    return record_inputs(synthetic(tmp / "data", trusts=1, years=range(2022, 2024), seed=SEED))


@dataclass(frozen=True)
class Now:
    """The pack as the run protects it now and the same run with nothing withheld, with the
    protections the run's last step (``published_when_known``) was given, in order."""

    pack: Path
    truth: Path
    protections: list[Protection]


@pytest.fixture(scope="module")
def now(tmp_path_factory: pytest.TempPathFactory) -> Now:
    """Run once for both tests (they only read it)."""
    tmp = tmp_path_factory.mktemp("now")
    captured: list[Protection] = []
    step = run_protection.published_when_known

    def capture(protection: Protection) -> Protection:
        captured.append(protection)
        return step(protection)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_protection, "published_when_known", capture)
        # in this process, where the step is patched
        pack, truth = run_pair(inputs(tmp), tmp / "out", by=BY, policy=POLICY, extra=JOBS)
    return Now(pack, truth, captured)


def test_no_withheld_count_above_the_range_is_recoverable(
    now: Now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert recovered_above_range(now.pack, now.truth) == []
    manifest = json.loads((now.pack / "restricted" / "manifest.json").read_text())
    published = manifest["secondary_protection"]["published_recoverable"]
    with monkeypatch.context() as patch:
        patch.setattr(run_protection, "published_when_known", lambda p: p)
        # the same inputs protected without the last step; their true counts are now.truth
        # (with nothing withheld, the last step has nothing to publish)
        before = run_pack(inputs(tmp_path), tmp_path / "before", by=BY, policy=POLICY, extra=JOBS)
    found = recovered_above_range(before, now.truth)
    # the counts the run published are among those the attacker recovers without the step
    assert len(found) >= published > 0, (found, published)


def test_the_exact_intervals_find_what_propagation_finds(
    now: Now, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second way of finding recoverable cells (an exact interval by linear programme),
    # checked against the first: with no propagation at all, it finds the same cells
    step = run_protection.published_when_known
    # of the protected pack's parts (each its organisation level, then the whole part; the run
    # with nothing withheld after them), the one whose last step published the most
    protection = max(now.protections, key=lambda p: step(p).recovered)
    both = step(protection)
    assert both.recovered > 0
    monkeypatch.setattr(
        run_protection, "propagate_bounds", lambda _matrix, lower, upper: (lower, upper)
    )
    alone = step(protection)
    assert alone.recovered == both.recovered
    assert np.array_equal(alone.hidden, both.hidden)
    assert np.array_equal(alone.knowledge.lower, both.knowledge.lower)
