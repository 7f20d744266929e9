"""Fewer secondary cells on tables of 1,000-10,000 cells: the pattern cleaned up, against the
patterns alone, a GAUSS-like elimination and a lower bound of the optimum (issue 19, point 5).

Run with ``python -m pytest benchmarks/test_bench_cleanup.py --benchmark-enable -s``
(``WRES_BOUND_SECONDS``: how long the lower bound may take per table, default 300).
Tables of issue 19's shape (19 categories in 5 groups x 9 bands x sites, with every total):
issue 6's B (6 sites, 1,750 cells) with 2 and with 5 values required, and B with 13 and with
27 sites (3,500 and 7,000 cells, staff in proportion) with 2; counts 1-4 withheld. Timed in
the same run: ``protect`` as it runs by default (patterns, then the cleanup) and the patterns
alone. Compared:

- GAUSS-like elimination (``benchmarks/gauss_like.py``, after sdcTable's ``GAUSS``), with 2
  values required: it protects against exact recovery by linear algebra only, so the audit
  (which knows, as a reader does, that a withheld count is at least 1) is run on its pattern
  too, and the primary cells it leaves exactly recoverable are counted;
- a lower bound of the fewest cells any method can withhold: the master problem's optimum of
  the Benders decomposition of ``benchmarks/test_bench_protect.py`` (a continuous attacker, so
  a bound for the integer one wres protects against), after as many rounds of cuts as the time
  allows: each round's optimum is a bound.

Checked: both certificates pass; the cleaned pattern withholds fewer cells than the patterns
alone; with 2 values required (the issue's setting) it is within 10% of the bound; the
GAUSS-like pattern (on B) leaves primary cells recoverable. Printed: cells, times, their ratio,
and the gap to the bound (with 5 values required B is not yet within 10%: docs/disclosure.md).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from benchmarks.gauss_like import gauss_like
from benchmarks.test_bench_protect import lower_bound
from tests.synthetic_tables import Shape, synthetic_table
from wres.rules.attacker_knowledge import knowledge
from wres.rules.audit import audit
from wres.rules.policy import Policy, policy_from_toml
from wres.rules.secondary import Protection, primary_cells, protect
from wres.rules.secondary_settings import ProtectSettings

BOUND_SECONDS = float(os.environ.get("WRES_BOUND_SECONDS", "300"))


def _policy(need: int) -> Policy:
    return policy_from_toml(
        f"[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = {need}\n",
        f"bench-1-4-need-{need}",
    )


#: Issue 19's shape (19 categories in 5 groups x 9 bands x sites) at 1,750, 3,500 and 7,000
#: cells: B, and B with 13 and 27 sites (staff in proportion, so each site is as large).
SHAPES = {
    "B": Shape("B", detailed=True, sites=6, years=0, staff=20_000),
    "B13": Shape("B13", detailed=True, sites=13, years=0, staff=43_333),
    "B27": Shape("B27", detailed=True, sites=27, years=0, staff=90_000),
}


@pytest.mark.parametrize(
    ("shape", "need"),
    [("B", 2), ("B", 5), ("B13", 2), ("B27", 2)],
    ids=["B-2", "B-5", "B13-2", "B27-2"],
)
def test_the_cleaned_pattern_against_the_patterns_gauss_and_the_bound(
    benchmark: pytest.FixtureRequest, shape: str, need: int
) -> None:
    tables = synthetic_table(SHAPES[shape], 1)
    policy = _policy(need)
    alone = ProtectSettings(method="patterns", cleanup_up_to=0)
    protect(tables, policy, settings=alone)  # compile the kernels
    start = time.perf_counter()
    fast = protect(tables, policy, settings=alone)
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = benchmark.pedantic(protect, args=(tables, policy), rounds=1, iterations=1)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    assert isinstance(result, Protection)
    assert result.certificate.ok
    assert fast.certificate.ok
    assert int(result.hidden.sum()) < int(fast.hidden.sum())
    bound, optimal = lower_bound(tables, policy, BOUND_SECONDS)
    withheld = int(result.hidden.sum())
    print(
        f"\n{shape}, {need} values: {tables.n_cells} cells, {int(result.primary.sum())} primary; "
        f"patterns alone {int(fast.secondary.sum())} secondary in {fast_seconds:.1f} s, "
        f"cleaned {int(result.secondary.sum())} in {seconds:.1f} s "
        f"({seconds / fast_seconds:.0f}x the time); lower bound of the optimum {bound} withheld "
        f"({'optimal' if optimal else f'after {BOUND_SECONDS:.0f} s'}): cleaned "
        f"{100 * (withheld - bound) / bound:.1f}% above, patterns alone "
        f"{100 * (int(fast.hidden.sum()) - bound) / bound:.1f}% above"
    )
    if need == 2:
        assert withheld <= 1.10 * bound  # issue 19: within 10% of the optimum's lower bound
    if (shape, need) == ("B", 2):
        primary = primary_cells(tables, policy)
        gauss = gauss_like(tables, primary, tables.values == 0)
        cert = audit(tables, knowledge(policy, tables.values, gauss), policy)
        recovered = np.isin(cert.failures, np.flatnonzero(primary)).sum()
        print(
            f"GAUSS-like: {int((gauss & ~primary).sum())} secondary; the audit finds "
            f"{int(recovered)} of its {int(primary.sum())} primary cells exactly recoverable "
            "(a withheld count is at least 1)"
        )
        assert recovered > 0
