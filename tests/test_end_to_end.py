"""End to end on synthetic data: `wres run` against an independent plain-polars computation.

Two synthetic trusts over three years are written by `wres synth`; `wres run` is cut by site
and by organisation with count suppression off. Every indicator, year and cut read back from
``publish/indicators.csv`` must equal what this file computes from the raw extracts with plain
polars: its own band spellings, its own bank exclusion, its own rolling and board arithmetic.
Only the ethnicity classifier (tested on its own) is shared with wres. Published figures are
rounded (docs/outputs.md#precision): each must equal the independent value rounded the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import confint_proportions_2indep
from typer.testing import CliRunner

from tests.precision import as_printed
from wres.cli.app import app
from wres.engine.ethnicity import default_scheme
from wres.engine.synth import write_synthetic

YEARS = (2022, 2023, 2024)
DIMS = ("site", "organisation", "staff_group", "band")
CUTS: tuple[tuple[str, ...], ...] = ((), ("site",), ("organisation",))

# The spellings the synthetic extracts use, each to the band of the annual return.
BANDS = {
    **{f"Band {n}": f"Band {n}" for n in range(1, 10) if n != 8},
    **{f"Band 8{x}": f"Band 8{x}" for x in "abcd"},
    **{f"Band 8 - Range {x.upper()}": f"Band 8{x}" for x in "abcd"},
    "Under Band 1": "Under Band 1",
    "Under 1": "Under Band 1",
    "VSM": "VSM",
    "Very Senior Manager": "VSM",
    "Consultant": "Consultant",
    "Consultants": "Consultant",
    "Non-consultant career grade": "Non-consultant career grade",
    "Specialty doctor": "Non-consultant career grade",
    "Trainee grade": "Trainee grade",
    "Doctor in training": "Trainee grade",
    "Other medical": "Other medical",
    "Other medical grade": "Other medical",
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("synthetic")
    write_synthetic(data, trusts=2, years=YEARS, seed=1)
    return data


def run_pack(data: Path, out: Path, policy: Path) -> None:
    args = ["run", "--policy", str(policy), "--by", "site", "--by", "organisation"]
    for name in ("staff", "applications", "survey", "board"):
        args += [f"--{name}", str(data / f"{name}.parquet")]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pack(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pack")
    policy = folder / "off.toml"
    policy.write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    run_pack(synthetic, folder / "out", policy)
    return folder / "out"


@pytest.fixture(scope="module")
def published(pack: Path) -> pl.DataFrame:
    return pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)


# --- the independent computation ------------------------------------------------------------------


def load(data: Path, name: str) -> pl.DataFrame:
    frame = pl.read_parquet(data / f"{name}.parquet")
    wres = default_scheme().classify_series(frame["ethnicity"])["ethnic_wres"]
    frame = frame.with_columns(wres=wres)
    if "band" in frame.columns:
        frame = frame.with_columns(band=pl.col("band").replace_strict(BANDS))
    return frame


def with_all(frame: pl.DataFrame, cut: Sequence[str]) -> pl.DataFrame:
    """The cut columns not in ``cut`` hold All, as wres writes a rolled-up dimension."""
    return frame.with_columns(*[pl.lit("All").alias(d) for d in DIMS if d not in cut])


def compared(
    frame: pl.DataFrame, event: str, cut: Sequence[str], indicator: int, variant: str
) -> pl.DataFrame:
    """BME and Unknown rows with their counts beside White's: events / people at risk."""
    keys = ["year", *cut]
    counts = frame.group_by([*keys, "wres"]).agg(
        numerator=pl.col(event).sum().cast(pl.Int64), denominator=pl.len().cast(pl.Int64)
    )
    white = counts.filter(pl.col("wres") == "White").select(
        *keys, reference_numerator="numerator", reference_denominator="denominator"
    )
    rows = counts.filter(pl.col("wres") != "White").join(white, on=keys, how="left")
    unknown = pl.col("wres") == "Unknown"
    rows = rows.with_columns(
        pl.when(~unknown).then(pl.col(c)).alias(c)
        for c in ("reference_numerator", "reference_denominator")
    )
    return with_all(
        rows.rename({"wres": "group"}).with_columns(
            indicator=pl.lit(indicator), variant=pl.lit(variant)
        ),
        cut,
    )


def expected_ratios_and_percentages(data: Path) -> pl.DataFrame:
    staff = load(data, "staff").filter(~pl.col("bank").fill_null(value=False))
    applications = load(data, "applications").filter(pl.col("shortlisted"))
    survey = load(data, "survey")
    parts = []
    for cut in CUTS:
        parts.append(compared(applications, "appointed", cut, 2, "standard"))
        domestic = applications.filter(~pl.col("international").fill_null(value=False))
        parts.append(compared(domestic, "appointed", cut, 2, "excluding international"))
        parts.append(compared(staff, "disciplinary", cut, 3, "standard"))
        pooled = pl.concat(
            [staff, staff.with_columns(year=pl.col("year") + 1)]  # each year and the one before
        ).filter(pl.col("year").is_between(YEARS[1], YEARS[-1]))
        parts.append(compared(pooled, "disciplinary", cut, 3, "2-year rolling"))
        parts.append(compared(staff, "training", cut, 4, "standard"))
        for indicator, question in ((5, "q5"), (6, "q6"), (7, "q7"), (8, "q8")):
            answered = survey.filter(pl.col(question).is_not_null())
            parts.append(compared(answered, question, cut, indicator, "standard"))
    out = pl.concat(parts, how="diagonal_relaxed")
    rate = pl.col("numerator") / pl.col("denominator")
    reference_rate = pl.col("reference_numerator") / pl.col("reference_denominator")
    white_over_bme = pl.col("indicator").is_in([2, 4])
    return out.with_columns(
        rate=rate,
        reference_rate=reference_rate,
        difference_pp=100 * (rate - reference_rate),
        relative_likelihood=pl.when(pl.col("indicator").is_in([5, 6, 7, 8]))
        .then(None)
        .when(white_over_bme)
        .then(reference_rate / rate)
        .otherwise(rate / reference_rate),
    )


def expected_band_shares(data: Path) -> pl.DataFrame:
    staff = load(data, "staff").filter(~pl.col("bank").fill_null(value=False))
    parts = []
    for cut in CUTS:
        for rows in ((), ("staff_group",), ("staff_group", "band")):
            keys = ["year", *cut, *rows]
            counts = staff.group_by([*keys, "wres"]).agg(numerator=pl.len().cast(pl.Int64))
            totals = counts.group_by(keys).agg(denominator=pl.col("numerator").sum())
            shares = counts.join(totals, on=keys).rename({"wres": "group"})
            parts.append(with_all(shares, [*cut, *rows]))
    out = pl.concat(parts, how="diagonal_relaxed")
    return out.with_columns(
        indicator=pl.lit(1),
        variant=pl.lit("standard"),
        rate=pl.col("numerator") / pl.col("denominator"),
    )


def expected_board_gap(data: Path) -> pl.DataFrame:
    staff = load(data, "staff").filter(~pl.col("bank").fill_null(value=False))
    board = load(data, "board")
    members = {
        "voting": pl.col("voting"),
        "executive": pl.col("executive"),
        "non-executive": ~pl.col("executive"),
    }
    parts = []
    for cut in ((), ("organisation",)):  # the board extract has no site
        keys = ["year", *cut]
        workforce = staff.group_by(keys).agg(
            reference_numerator=(pl.col("wres") == "BME").sum().cast(pl.Int64),
            reference_denominator=pl.len().cast(pl.Int64),
        )
        for name, member in members.items():
            seats = (
                board.filter(member)
                .group_by(keys)
                .agg(
                    numerator=(pl.col("wres") == "BME").sum().cast(pl.Int64),
                    denominator=pl.len().cast(pl.Int64),
                )
            )
            rows = seats.join(workforce, on=keys).with_columns(board=pl.lit(name))
            parts.append(with_all(rows, cut))
    out = pl.concat(parts, how="diagonal_relaxed")
    return out.with_columns(
        indicator=pl.lit(9),
        variant=pl.lit("standard"),
        group=pl.lit("BME"),
        difference_pp=100
        * (
            pl.col("numerator") / pl.col("denominator")
            - pl.col("reference_numerator") / pl.col("reference_denominator")
        ),
    )


def compare(expected: pl.DataFrame, published: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Every expected row is published with the same counts and figures; any other published row
    of the same indicators is a zero row (a group with nobody in that cell)."""
    keys = list(keys)
    mine = published.filter(pl.col("indicator").is_in(expected["indicator"].unique().implode()))
    expected = expected.with_columns(
        pl.col("indicator").cast(pl.Int64), pl.col("year").cast(pl.Int64)
    )
    joined = expected.join(mine, on=keys, how="left", suffix="_wres", nulls_equal=True)
    assert joined["status"].null_count() == 0, joined.filter(pl.col("status").is_null())
    counts = [
        c
        for c in ("numerator", "denominator", "reference_numerator", "reference_denominator")
        if c in expected.columns
    ]
    for column in counts:
        left, right = joined[column], joined[f"{column}_wres"]
        assert (left.eq_missing(right)).all(), (column, joined.filter(~left.eq_missing(right)))
    figures = [
        c
        for c in ("rate", "reference_rate", "difference_pp", "relative_likelihood")
        if c in expected.columns
    ]
    for column in figures:
        for mine_value, theirs in zip(joined[column], joined[f"{column}_wres"], strict=True):
            if mine_value is None or (
                isinstance(mine_value, float) and not math.isfinite(mine_value)
            ):
                assert theirs is None, (column, mine_value, theirs)
            else:
                assert theirs == as_printed(mine_value, column), column
    extra = mine.join(expected, on=keys, how="anti", nulls_equal=True)
    assert (extra["numerator"] == 0).all(), extra
    return joined


# --- the tests -----------------------------------------------------------------------------------


KEYS = ["indicator", "variant", "year", *DIMS, "group"]


def test_ratios_and_percentages_match_an_independent_computation(
    synthetic: Path, published: pl.DataFrame
) -> None:
    expected = expected_ratios_and_percentages(synthetic)
    joined = compare(expected, published, KEYS)
    # every indicator, variant and year at the total, by site and by organisation
    seen = joined.select("indicator", "variant", "year").unique()
    assert seen.height == 3 * (1 + 1 + 1 + 1 + 4) + 2  # rolling: two years have a year before
    for cut in CUTS:
        of_cut = joined.filter(
            *[pl.col(d) != "All" for d in cut], *[pl.col(d) == "All" for d in DIMS if d not in cut]
        )
        assert set(of_cut["indicator"].to_list()) == {2, 3, 4, 5, 6, 7, 8}


def test_band_shares_match_an_independent_computation(
    synthetic: Path, published: pl.DataFrame
) -> None:
    joined = compare(expected_band_shares(synthetic), published, KEYS)
    rows = joined.filter(pl.col("band") != "All", pl.col("site") != "All")
    assert rows.height > 0
    total = (
        published.filter(pl.col("indicator") == 1, *[pl.col(d) == "All" for d in DIMS])
        .group_by("year")
        .agg(pl.col("rate").sum())
    )
    # each share is rounded on its own (docs/outputs.md#precision): three shares of a year
    # sum to 1 within three half-units of the third decimal
    assert total["rate"].to_list() == pytest.approx([1.0] * len(YEARS), abs=0.0015)


def test_board_gap_matches_an_independent_computation(
    synthetic: Path, published: pl.DataFrame
) -> None:
    joined = compare(expected_board_gap(synthetic), published, [*KEYS, "board"])
    assert set(joined["board"].to_list()) == {"voting", "executive", "non-executive"}
    assert joined.height == 3 * len(YEARS) * (1 + 2)  # memberships x years x (total + 2 trusts)


def test_intervals_and_p_values_of_the_totals_match_statsmodels_and_scipy(
    published: pl.DataFrame,
) -> None:
    totals = published.filter(
        pl.col("indicator").is_in([2, 3, 4]),
        pl.col("group") == "BME",
        *[pl.col(d) == "All" for d in DIMS],
    )
    assert totals.height > 0
    for row in totals.iter_rows(named=True):
        a, n1 = row["numerator"], row["denominator"]
        c, n2 = row["reference_numerator"], row["reference_denominator"]
        p = chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=False).pvalue
        assert row["p_value"] == pytest.approx(as_printed(p, "p_value"), rel=1e-12)
        top, bottom = ((c, n2), (a, n1)) if row["indicator"] in (2, 4) else ((a, n1), (c, n2))
        # Koopman's score interval: statsmodels' score method without the MN correction
        low, high = confint_proportions_2indep(
            *top, *bottom, method="score", compare="ratio", correction=False
        )
        assert (row["ci_low"], row["ci_high"]) == (
            as_printed(low, "ci_low"),
            as_printed(high, "ci_high"),
        )


def test_reconciliation_matches_the_raw_files(synthetic: Path, pack: Path) -> None:
    rec = pl.read_csv(pack / "restricted" / "reconciliation.csv")
    item = {(e, i): n for e, i, n in rec.iter_rows()}
    raw = pl.read_parquet(synthetic / "staff.parquet")
    bank = int(raw["bank"].fill_null(value=False).sum())
    assert item[("staff", "rows read")] == raw.height
    assert item[("staff", "excluded: bank staff")] == bank
    assert item[("staff", "rows used")] == raw.height - bank
    for name in ("applications", "survey", "board"):
        height = pl.read_parquet(synthetic / f"{name}.parquet").height
        assert item[(name, "rows read")] == height
        excluded = sum(n for (e, i), n in item.items() if e == name and i.startswith("excluded: "))
        assert item[(name, "rows used")] + excluded == height


def test_a_second_run_is_byte_identical(synthetic: Path, pack: Path, tmp_path: Path) -> None:
    policy = tmp_path / "off.toml"
    policy.write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    run_pack(synthetic, tmp_path / "again", policy)
    for name in ("indicators.csv", "indicators.parquet"):
        assert (tmp_path / "again" / "publish" / name).read_bytes() == (
            pack / "publish" / name
        ).read_bytes()
