"""A chain of nested cut columns published without its middle level: ``--by
organisation,region`` publishes every organisation and the nation, but no region's own figure.

A reader knows the nation is the sum of its organisations, whatever the regions. The run's system
made that relation through the regions (the nation the sum of its regions, each region of its
organisations), and a relation is only in the system when all its cells are: without the regions'
cells the relation was missing, and a count withheld in one organisation alone (every other
organisation's published) was the nation's figure minus the others', exactly. The run now makes
the regions' counts as cells nobody publishes (``wres.rules.run_cells.unpublished_levels``).

Checked by the attacker that reads only ``publish/`` (``tests/attacker``), on eight trusts in
several regions; the same run without those cells gives the attacker counts, so the test can
fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from tests.attacker.inputs import record_inputs, run_pack, run_pair
from tests.attacker.verdict import Verdict, attack
from tests.test_disclosure_attack import reader_policy
from wres.engine.synth import write_synthetic
from wres.rules import run_cells
from wres.rules.run_counts import CutDimension
from wres.rules.table import Hierarchy

POLICY = "wres-default"
BY = ("organisation,region",)
#: eight trusts of the usual size in 2024 (seed 3): without the regions' cells, one trust's
#: international recruits of unknown ethnicity among the shortlisted (6) are the nation's
#: figure minus the other trusts'
TRUSTS, SEED = 8, 3


@dataclass(frozen=True)
class Packs:
    data: Path
    pack: Path
    truth: Path


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Packs:
    tmp = tmp_path_factory.mktemp("nested")
    data = tmp / "data"
    write_synthetic(data, trusts=TRUSTS, years=(2024,), seed=SEED)
    pack, truth = run_pair(record_inputs(data), tmp / "out", by=BY, policy=POLICY)
    return Packs(data, pack, truth)


def attacked(pack: Path, truth: Path) -> Verdict:
    return attack(pack, truth, "wres", reader_policy(POLICY))


def test_several_regions_by_organisation_leave_no_count_to_narrow(packs: Packs) -> None:
    regions = pl.read_parquet(packs.data / "staff.parquet")["region"].n_unique()
    assert regions >= 3  # several regions, each of its organisations' sum, none published
    verdict = attacked(packs.pack, packs.truth)
    assert len(verdict.judged) > 100
    assert verdict.failures == []


def test_without_the_regions_cells_the_attacker_recovers_counts(
    packs: Packs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_cells, "unpublished_levels", lambda frame, _cuts, _keys: frame.clear())
    before = run_pack(record_inputs(packs.data), tmp_path / "before", by=BY, policy=POLICY)
    verdict = attacked(before, packs.truth)
    assert verdict.exact(), "the run without the regions' cells should give a count away"


def test_the_middle_level_is_made_where_the_level_above_has_a_cell() -> None:
    # the nation has a headcount; only one measure of the two has one: the regions get the
    # headcount alone, each its organisations' sum
    chain = Hierarchy.from_pairs(
        "region / organisation",
        [("N", "All"), ("S", "All"), ("N / A", "N"), ("N / B", "N"), ("S / C", "S")],
        "All",
    )
    level = {"All": 0, "N": 1, "S": 1, "N / A": 2, "N / B": 2, "S / C": 2}
    cut = CutDimension(("region", "organisation"), {}, chain, level)
    keys = ["year", "region / organisation", "ethnicity"]
    rows = [
        ("rows", "All", 9), ("rows", "N / A", 2), ("rows", "N / B", 3), ("rows", "S / C", 4),
        ("events", "N / A", 1), ("events", "N / B", 0), ("events", "S / C", 1),
    ]  # fmt: skip
    frame = pl.DataFrame(
        {
            "measure": [m for m, _, _ in rows],
            "year": ["2024"] * len(rows),
            "region / organisation": [n for _, n, _ in rows],
            "ethnicity": ["(everyone)"] * len(rows),
            "value": [v for _, _, v in rows],
        }
    )
    made = run_cells.unpublished_levels(frame, [cut], keys)
    got = sorted(made.select("measure", "region / organisation", "value").rows())
    assert got == [("rows", "N", 5), ("rows", "S", 4)]
    assert made["phantom"].all()
