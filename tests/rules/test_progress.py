"""Protection and its audit tell a caller how far they have got (``wres.engine.progress``), and the
telling changes nothing they decide."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.synthetic_tables import Shape, synthetic_table
from wres.engine.progress import CHECKING, MOVING, PROVING, SEARCHING, SETTLING, SOLVING
from wres.rules.attacker_knowledge import knowledge
from wres.rules.audit import audit
from wres.rules.policy import policy_from_toml
from wres.rules.secondary import protect
from wres.rules.secondary_settings import ProtectSettings

POLICY = policy_from_toml(
    "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 5\n", "test"
)
Told = tuple[str, int, int | None]
SMALL = Shape("small A", detailed=False, sites=2, years=0, staff=500)


def stages_in_order(seen: list[Told]) -> list[str]:
    """The stages as they came; each must come as one run of calls (a new name, a new stage)."""
    stages = [name for name, _ in itertools.groupby(stage for stage, _, _ in seen)]
    assert len(stages) == len(set(stages)), f"a stage came back after another: {stages}"
    return stages


def assert_counts_only_grow(seen: list[Told]) -> None:
    for stage in stages_in_order(seen):
        told = [(done, total) for name, done, total in seen if name == stage]
        done = [d for d, _ in told]
        assert done == sorted(done), f"{stage}: {done}"
        known = {t for _, t in told if t is not None}
        assert len(known) <= 1, f"{stage}: the total changed: {known}"
        assert all(d <= t for d, t in told if t is not None), stage


@pytest.mark.parametrize(
    ("method", "first"), [("moves", MOVING), ("patterns", SEARCHING)], ids=["moves", "patterns"]
)
def test_protection_tells_each_stage_with_counts_that_only_grow(method: str, first: str) -> None:
    tables = synthetic_table(SMALL, 4)
    settings = ProtectSettings(method=method, moves_starts=1)
    seen: list[Told] = []
    told = protect(tables, POLICY, settings=settings, progress=lambda *a: seen.append(a))
    stages = stages_in_order(seen)
    assert stages[0] == first
    # the search ends complete: every primary cell was searched for
    last_of_first = [(d, t) for s, d, t in seen if s == first][-1]
    assert last_of_first[0] == last_of_first[1] == int(told.primary.sum())
    # the exact audit of a small table: its components, then a programme per cell and bound
    assert {SETTLING, f"{SOLVING} (least values)", f"{SOLVING} (greatest values)"} <= set(stages)
    assert_counts_only_grow(seen)
    # watching changes nothing
    quiet = protect(tables, POLICY, settings=settings)
    assert (told.hidden == quiet.hidden).all()
    assert told.rules == quiet.rules
    assert np.array_equal(told.certificate.possible, quiet.certificate.possible, equal_nan=True)


def test_the_local_audit_tells_the_withheld_cells_proved() -> None:
    """A protected pattern audited without the protection's witnesses: every cell that needs
    room is proved by a problem around it, and the count of cells proved climbs to all of them."""
    tables = synthetic_table(SMALL, 4)
    hidden = protect(tables, POLICY, settings=ProtectSettings(method="patterns")).hidden
    known = knowledge(POLICY, tables.values, hidden)
    seen: list[Told] = []
    cert = audit(
        tables, known, POLICY, truth=tables.values, exhaustive=False, exact_limit=0, local=True,
        progress=lambda *a: seen.append(a),
    )  # fmt: skip
    assert cert.ok
    assert stages_in_order(seen) == [CHECKING, PROVING]
    proving = [(d, t) for s, d, t in seen if s == PROVING]
    total = proving[0][1]
    assert total is not None
    assert 0 < total <= int(hidden.sum())
    assert proving[0][0] == 0  # nothing proved before the first problem
    assert proving[-1][0] == total
    assert_counts_only_grow(seen)
    again = audit(
        tables, known, POLICY, truth=tables.values, exhaustive=False, exact_limit=0, local=True
    )
    assert np.array_equal(cert.passed, again.passed)
    assert np.array_equal(cert.possible, again.possible, equal_nan=True)
