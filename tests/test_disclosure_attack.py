"""The disclosure guarantee of ``wres run``, checked by an attacker that reads only
``publish/indicators.csv`` and the measure definitions of ``docs/disclosure.md``
(``tests/attacker``: written apart from ``rules`` and ``wres.engine.protection``, it builds its own
linear system and solves it with HiGHS).

The guarantee (``[secondary] min_attacker_interval``): every withheld count of at least 1 that
the attacker cannot place above the withheld range keeps that many possible values, and so does
every class of people no row shows whose count is in the withheld range (the international
recruits among the appointed: the standard figure minus the one without them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.attacker.inputs import counts_file, record_inputs, run_pair, synthetic, unlinked
from tests.attacker.solve import completed
from tests.attacker.system import Policy, build, derived_beside_withheld
from tests.attacker.verdict import Verdict, attack, true_counts
from tests.synthetic_cases import ONE_DRAWN_CASE, SyntheticRun, run_strategies
from wres.cli import pipeline
from wres.rules.policy import load_policy

CUTS: tuple[tuple[str, ...], ...] = (
    ("site",),
    ("band",),
    ("staff_group",),
    ("site", "band"),
    ("site,band",),
    ("band,staff_group",),
)


def reader_policy(name: str) -> Policy:
    policy = load_policy(name)
    return Policy(
        at_most=policy.primary.suppress_if_count_at_most,
        need=policy.secondary.min_attacker_interval,
        rounding=policy.rounding.round_counts_to_nearest,
        public=policy.primary.public_measures,
    )


def judged(pack: Path, truth: Path, standard: str, policy: str) -> Verdict:
    verdict = attack(pack, truth, standard, reader_policy(policy))
    # no rate, ratio, interval or p-value beside a count it would give away
    assert derived_beside_withheld(verdict.table).is_empty()
    # what the attacker reaches lies within the certificate's intervals
    assert certificate_holds(verdict, pack, standard, exact=False) > 0
    return verdict


@dataclass(frozen=True)
class Case(SyntheticRun):
    """One synthetic pack to attack."""

    by: tuple[str, ...]
    source: str


CASES = st.builds(
    Case,
    **run_strategies(first=(2019, 2023)),
    by=st.sampled_from(CUTS),
    source=st.sampled_from(("records", "counts")),
)


def run_case(tmp: Path, case: Case) -> tuple[Path, Path]:
    """``case``'s pack and the same run with nothing withheld."""
    data = case.write(tmp / "data")
    # a counts file holds ethnicity counts only: WDES packs are run from records
    if case.source == "counts" and case.standard != "wdes":
        inputs = ["--counts", str(counts_file(data, tmp / "counts.csv"))]
    else:
        inputs = record_inputs(data)
    return run_pair(inputs, tmp / "out", by=case.by, policy=case.policy,
                    extra=["--standard", case.standard])  # fmt: skip


#: Packs run once for the tests that only read them (the attack, the reader's knowledge).
_PACKS: dict[Case, tuple[Path, Path]] = {}


def packs(factory: pytest.TempPathFactory, case: Case) -> tuple[Path, Path]:
    """``run_case`` once for every test that asks for ``case`` (none patches the run)."""
    if case not in _PACKS:
        _PACKS[case] = run_case(factory.mktemp("attack"), case)
    return _PACKS[case]


#: The first fixed example: two trusts over two years, by site and by band, from records.
TWO_TRUSTS = Case(2, 2023, 2, 3, "wres", "wres-default", ("site", "band"), "records")


@ONE_DRAWN_CASE
@given(case=CASES)
@example(case=TWO_TRUSTS)
@example(case=Case(2, 2023, 2, 3, "wres", "nhs-digital", ("site", "band"), "counts"))
@example(case=Case(1, 2021, 2, 5, "wdes", "ons-10-5", ("site,band",), "records"))
def test_no_withheld_count_can_be_narrowed_below_the_requirement(
    tmp_path_factory: pytest.TempPathFactory, case: Case
) -> None:
    pack, truth = packs(tmp_path_factory, case)
    verdict = judged(pack, truth, case.standard, case.policy)
    assert len(verdict.judged) > 0  # something was withheld and judged
    assert verdict.failures == []


def test_the_readers_knowledge_holds_for_the_true_counts(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # every relation the attacker assumes is true of the unprotected table (else the attack
    # would prove nothing): the true counts, completed with the classes no row shows, solve it
    pack, truth = packs(tmp_path_factory, TWO_TRUSTS)
    system, _ = build(pack, "wres", reader_policy("wres-default"))
    values = true_counts(truth, "wres")
    known = np.array([values.get(k, np.nan) for k in system.keys])
    assert (~np.isnan(known)).sum() > 0.5 * len(known)
    full = completed(system, known)
    assert np.allclose(system.matrix @ full, 0)


def test_the_attacker_finds_what_a_protection_without_linked_measures_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "declarations", unlinked)
    case = Case(2, 2023, 2, 6, "wres", "wres-default", ("site", "band"), "records")
    verdict = judged(*run_case(tmp_path, case), case.standard, case.policy)
    leaked = {key[0] for key, *_ in verdict.failures}
    # withheld counts narrowed through the subset relation, and the international recruits
    # appointed (the standard figure minus the one without them) recovered
    assert {"appointed", "appointed, not international"} <= leaked
    assert any(key[0] == "appointed, international" for key, *_ in verdict.exact())


#: The survey questions' indicators (the attacker's names to wres's ids).
QUESTIONS = {
    "wres": {"q5": 5, "q6": 6, "q7": 7, "q8": 8},
    "wdes": {"q5": 4, "q6": 41, "reported": 42, "q7": 5, "pressure": 6, "valued": 7,
             "adjustments": 8, "engagement 7+": 9},
}  # fmt: skip


def measure_of(standard: str, quantity: str) -> str:
    """The attacker's quantity as wres names the measure in its certificate."""
    board = 9 if standard == "wres" else 10
    fixed = {
        "headcount": "staff:rows",
        "disciplinary": "staff:3:events",
        "capability": "staff:3:events",
        "training": "staff:4:events",
        "appointed": "applications:2:events",
        "shortlisted": "applications:2:at risk",
        "appointed, not international": "applications:2:excluding international:events",
        "shortlisted, not international": "applications:2:excluding international:at risk",
    }
    if quantity in fixed:
        return fixed[quantity]
    if quantity.startswith("board "):
        return f"board:{board}:{quantity.removeprefix('board ')}"
    question, _, part = quantity.rpartition(" ")
    channel = "events" if part == "yes" else "at risk"
    return f"survey:{QUESTIONS[standard][question]}:{channel}"


def certificate_holds(verdict: Verdict, pack: Path, standard: str, *, exact: bool) -> int:
    """Every withheld count's certificate interval contains what the attacker reaches (with
    ``exact``, its exact interval) and claims no more possible values than it has; the counts
    checked."""
    certificate = pl.read_csv(pack / "restricted" / "certificate.csv", infer_schema=False)
    cuts = verdict.system.cuts
    rows = {
        (row["measure"], row["year"], tuple(row[c] for c in cuts), row["ethnicity"]): row
        for row in certificate.iter_rows(named=True)
    }
    inference = verdict.inference
    checked = 0
    for i in np.flatnonzero(verdict.system.withheld):
        quantity, window, cell, group = verdict.system.keys[i]
        row = rows.get((measure_of(standard, quantity), window, cell, group))
        if row is None:
            # a rolling figure (withheld with its years, not in the system) or a zero withheld
            # beside a small complement (protects nothing: no requirement, no row)
            assert "-" in window or verdict.truth[i] == 0, (quantity, window, cell, group)
            continue
        upper = np.inf if row["attacker_upper"] == "unbounded" else float(row["attacker_upper"])
        assert float(row["attacker_lower"]) <= inference.low[i], row
        assert upper >= inference.high[i], row
        if exact:
            assert inference.low[i] == inference.outer_low[i]  # solved exactly
            assert inference.high[i] == inference.outer_high[i]
            if row["possible_values"]:
                claimed = row["possible_values"]
                values = np.inf if claimed == "unbounded" else float(claimed)
                assert values <= inference.high[i] - inference.low[i] + 1, row
        checked += 1
    return checked


def test_every_certificate_interval_holds_the_attackers(tmp_path: Path) -> None:
    # the certificate's attacker_lower and attacker_upper bound what the attacker can infer
    # (here solved exactly for every withheld count), and the values it says are proved are
    # values the attacker cannot rule out
    data = synthetic(tmp_path / "data", trusts=1, years=[2024], seed=7)
    pack, truth = run_pair(record_inputs(data), tmp_path / "out", by=["band"],
                           policy="wres-default")  # fmt: skip
    verdict = attack(pack, truth, "wres", reader_policy("wres-default"), exhaustive=True)
    assert verdict.failures == []
    assert certificate_holds(verdict, pack, "wres", exact=True) > 50
