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
fail. The same pack's funnel table (a run by organisation has one) is checked to hold nothing
the published table does not: each plotted figure is its published row's, recomputed by hand
from that row's counts, and a withheld one is listed with no figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from tests.attacker.inputs import record_inputs, run_pack, run_pair
from tests.attacker.verdict import Verdict, attack
from tests.chromium import find_chromium, opened
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


# --- the funnel table of the same pack (issue 22) ---------------------------------------------

KEYS = ("indicator", "measure", "variant", "board", "group", "reference_group", "year")


def _figure_by_hand(row: dict[str, str]) -> float:
    """The plotted figure from a published row's own counts: the log of (a/n1)/(c/n2) for a
    ratio, a/n1 for a share."""
    a, n1 = float(row["numerator"]), float(row["denominator"])
    if row["measure"] == "ratio":
        c, n2 = float(row["reference_numerator"]), float(row["reference_denominator"])
        return math.log((a / n1) / (c / n2))
    return a / n1


def test_the_funnel_says_nothing_the_published_table_does_not(packs: Packs) -> None:
    publish = packs.pack / "publish"
    funnel = pl.read_csv(publish / "funnel.csv", infer_schema_length=0)
    table = pl.read_csv(publish / "indicators.csv", infer_schema_length=0)
    organisations = table.filter(
        (pl.col("organisation") != "All")
        & pl.all_horizontal([pl.col(c) == "All" for c in ("region", "band", "staff_group")])
    ).unique()
    joined = funnel.join(
        organisations, on=[*KEYS, "organisation"], how="left", nulls_equal=True, suffix="_p"
    )
    assert joined.height == funnel.height  # one published row per funnel row, no more
    plotted = joined.filter(pl.col("status") == "plotted")
    assert plotted.height > 20
    assert {"1", "2", "9"} <= set(plotted["indicator"].unique())
    for row in plotted.iter_rows(named=True):
        assert row["status_p"].startswith("published")
        assert float(row["value"]) == pytest.approx(_figure_by_hand(row), abs=5e-5)  # 4 dp
    # a withheld figure is listed, not plotted, with nothing beside its name
    figures = [c for c in funnel.columns if c not in (*KEYS, "organisation", "status")]
    rest = joined.filter(pl.col("status") != "plotted")
    assert rest.height > 0
    assert rest.select(figures[1:]).null_count().row(0) == (rest.height,) * len(figures[1:])
    withheld = rest.filter(pl.col("status").str.contains("suppressed"))
    assert withheld.height > 0
    assert withheld.filter(
        pl.col("relative_likelihood").is_not_null() & (pl.col("measure") == "ratio")
    ).is_empty()


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed")
def test_the_report_plots_every_published_organisation(packs: Packs) -> None:
    funnel = pl.read_csv(packs.pack / "publish" / "funnel.csv", infer_schema_length=0)
    with opened(packs.pack / "publish" / "report.html") as page:
        section = page.locator("#funnels")
        assert section.is_visible()
        charts = section.locator("figure svg")
        assert charts.count() >= 3
        for k in range(charts.count()):
            chart = charts.nth(k)
            ident = chart.get_attribute("aria-labelledby") or ""
            _, indicator, year = ident.split()[0].removesuffix("-t").split("-")
            title = chart.locator("title").first.text_content() or ""
            group = title.split(": ")[1].split(",")[0]
            rows = funnel.filter(
                (pl.col("indicator") == indicator)
                & (pl.col("year") == year)
                & (pl.col("group") == group)
                & (pl.col("status") == "plotted")
                & (pl.col("variant").is_null() | (pl.col("variant") == "standard"))
                & (pl.col("board").is_null() | (pl.col("board") == "voting"))
            )
            # every published organisation of the comparison is a point with its name on hover
            tips = chart.locator("g > title").all_text_contents()
            assert len(tips) == rows.height > 0
            assert sorted(t.split(":")[0] for t in tips) == sorted(rows["organisation"])
            assert chart.locator("circle").count() >= rows.height
            assert chart.bounding_box() is not None
