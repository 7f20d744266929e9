"""Levels of importance: a cut added to a run never costs a figure of the organisation-level
tables (the annual return) that the run without it publishes.

Each example runs ``wres run`` on the same synthetic inputs twice, without and with ``--by``
cuts, and compares the published files only: every figure of a row of the run without the cuts
that is published there is published, with the same value, in the same row of the run with
them (its cut columns at ``All``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.attacker.inputs import counts_file, record_inputs, synthetic
from tests.synthetic_cases import ONE_DRAWN_CASE, SyntheticRun, run_strategies
from wres.cli.app import app

#: The figures of a row (its name is the rest of its columns).
FIGURES = (
    "numerator",
    "denominator",
    "rate",
    "reference_numerator",
    "reference_denominator",
    "reference_rate",
    "relative_likelihood",
    "ci_low",
    "ci_high",
    "p_value",
)
#: The other columns a row shows (not its name).
SHOWN = (
    *FIGURES,
    "difference_pp",
    "ci_method",
    "test",
    "p_adjusted",
    "significant",
    "non_adverse_range",
    "status",
    "direction",
)
NAMES = ("indicator", "measure", "variant", "year", "board", "group", "reference_group")
CUTS = (
    ("--by", "site"),
    ("--by", "band"),
    ("--by", "staff_group"),
    ("--by", "site", "--by", "band"),
    ("--by", "site,band"),
    ("--by", "band,staff_group"),
    ("--by", "site,band", "--lattice"),
)


def published(pack: Path) -> pl.DataFrame:
    return pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)


def lost_figures(without: Path, with_cuts: Path) -> pl.DataFrame:
    """The figures the run without cuts publishes and the run with them does not (or shows
    differently): one row per figure."""
    base = published(without)
    cut = published(with_cuts)
    own = [c for c in base.columns if c not in SHOWN and c not in NAMES]  # staff group, band
    added = [c for c in cut.columns if c not in base.columns]  # the cuts: site, ...
    cut = cut.filter(*(pl.col(c).cast(pl.String) == "All" for c in added))
    keys = [*NAMES, *own]
    joined = base.select(*keys, *FIGURES).join(
        cut.select(*keys, *FIGURES), on=keys, how="left", nulls_equal=True, suffix="_cut"
    )
    assert joined.height == base.height, "a row of the run without cuts is missing"
    lost = [
        joined.filter(
            pl.col(f).is_not_null()
            & (pl.col(f"{f}_cut").is_null() | (pl.col(f"{f}_cut") != pl.col(f)))
        )
        .select(keys)
        .with_columns(figure=pl.lit(f))
        for f in FIGURES
    ]
    return pl.concat(lost)


def run(inputs: list[str], out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(app, ["run", *inputs, "--out", str(out), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return out


@dataclass(frozen=True)
class Case(SyntheticRun):
    """One pair of runs: the same synthetic inputs without and with the cuts."""

    cuts: tuple[str, ...]
    counts: bool
    #: both runs with ``--roll-up auto`` (the organisation level then has the band clusters)
    roll_up: bool = False


CASES = st.builds(
    Case,
    **run_strategies(first=(2020, 2023)),
    cuts=st.sampled_from(CUTS),
    counts=st.booleans(),
)


@ONE_DRAWN_CASE
@given(case=CASES)
@example(case=Case(1, 2022, 2, 7, "wres", "wres-default", ("--by", "site", "--by", "band"), False))
@example(case=Case(2, 2023, 1, 3, "wres", "nhs-digital", ("--by", "band,staff_group"), True))
@example(case=Case(1, 2023, 2, 5, "wres", "wres-default", ("--by", "site", "--by", "band"),
                   False, roll_up=True))  # fmt: skip
def test_a_cut_never_costs_an_organisation_level_figure(
    tmp_path_factory: pytest.TempPathFactory, case: Case
) -> None:
    tmp = tmp_path_factory.mktemp("levels")
    data = case.write(tmp / "data")
    if case.counts and case.standard == "wres":
        inputs = ["--counts", str(counts_file(data, tmp / "counts.csv"))]
    else:
        inputs = [*record_inputs(data), "--standard", case.standard]
    options = ["--policy", case.policy, *(("--roll-up", "auto") if case.roll_up else ())]
    without = run(inputs, tmp / "without", *options)
    with_cuts = run(inputs, tmp / "with", *options, *case.cuts)
    lost = lost_figures(without, with_cuts)
    assert lost.is_empty(), lost.head(10)
    # the run with the cuts publishes finer figures too (the test is not vacuous)
    assert published(with_cuts).height > published(without).height


@pytest.mark.parametrize(
    ("trusts", "seed", "base", "added"),
    [
        (2, 4, ("--by", "organisation"), ("--by", "organisation", "--by", "band")),
        (2, 9, ("--by", "region,organisation"), ("--by", "region,organisation,site")),
    ],
)
def test_a_cut_never_costs_an_organisations_own_figure(
    tmp_path: Path, trusts: int, seed: int, base: tuple[str, ...], added: tuple[str, ...]
) -> None:
    # with several organisations, the organisation level is each organisation's tables: a run
    # by organisation and band publishes every figure the run by organisation alone does
    data = synthetic(tmp_path / "data", trusts=trusts, years=range(2024, 2025), seed=seed)
    inputs = record_inputs(data)
    without = run(inputs, tmp_path / "without", *base)
    with_cuts = run(inputs, tmp_path / "with", *added)
    lost = lost_figures(without, with_cuts)
    assert lost.is_empty(), lost.head(10)
    assert published(with_cuts).height > published(without).height
