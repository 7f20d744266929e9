"""What the protection costs, as `wres run` reports it: restricted/utility.csv checked against
the published table and a run of the same input with nothing withheld, and the line it prints."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"
# staff entering a disciplinary process in four organisations over two years (so a rolling
# variant too): some counts small, a zero, the rest large
ROWS = (
    "3,R1,2023,BME,4,52",
    "3,R2,2023,BME,11,61",
    "3,R3,2023,BME,19,83",
    "3,R4,2023,BME,0,38",
    "3,R1,2023,White,22,210",
    "3,R2,2023,White,31,290",
    "3,R3,2023,White,26,260",
    "3,R4,2023,White,39,390",
    "3,R1,2024,BME,3,50",
    "3,R2,2024,BME,1,60",
    "3,R3,2024,BME,2,80",
    "3,R4,2024,BME,0,40",
    "3,R1,2024,White,20,200",
    "3,R2,2024,White,30,300",
    "3,R3,2024,White,25,250",
    "3,R4,2024,White,40,400",
)
COUNTS = ("numerator", "denominator", "reference_numerator", "reference_denominator")
NOTHING_WITHHELD = "[primary]\nsuppress_if_count_at_most = 0\n"


def wres(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same counts run under the default policy and with nothing withheld."""
    folder = tmp_path_factory.mktemp("utility")
    counts = folder / "counts.csv"
    counts.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    off = folder / "off.toml"
    off.write_text(NOTHING_WITHHELD, encoding="utf-8")
    packs = folder / "pack", folder / "truth"
    for out, policy in zip(packs, ("wres-default", off), strict=True):
        result = wres(
            "run", "--counts", counts, "--by", "organisation", "--policy", policy, "--out", out,
            "-q",
        )  # fmt: skip
        assert result.exit_code == ExitCode.OK, result.output
    return packs


def expected_utility(pack: Path, truth: Path) -> dict[tuple[str, str, str, str], list[float]]:
    """Counts, published, withheld, share published and information lost by table and level,
    from the two runs' indicators.csv alone: a count is a cell the truth fills, withheld
    where the pack leaves it blank; the level counts the cut columns not at All."""
    published = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    true = pl.read_csv(truth / "publish" / "indicators.csv", infer_schema_length=None)
    assert published.height == true.height
    cuts = [c for c in ("organisation", "staff_group", "band") if c in true.columns]
    sums: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for shown, row in zip(published.iter_rows(named=True), true.iter_rows(named=True), strict=True):
        assert all(shown[k] == row[k] for k in ("indicator", "variant", "year", *cuts, "group"))
        level = str(sum(row[c] not in (None, "All") for c in cuts))
        table = (str(row["indicator"]), row["measure"], row["variant"])
        for column in COUNTS:
            if row[column] is None:
                continue
            withheld = shown[column] is None
            for key in ((*table, level), (*table, "all"), ("all",) * 3 + (level,), ("all",) * 4):
                sums[key][0] += 1
                sums[key][1] += int(withheld)
                sums[key][2] += row[column] * withheld
                sums[key][3] += row[column]
    return {
        key: [n, n - w, w, (n - w) / n, lost / total if total else None]  # type: ignore[list-item]
        for key, (n, w, lost, total) in sums.items()
    }


def test_utility_agrees_with_the_published_table_and_a_run_withholding_nothing(
    runs: tuple[Path, Path],
) -> None:
    pack, truth = runs
    utility = pl.read_csv(
        pack / "restricted" / "utility.csv", infer_schema_length=None, schema_overrides={
            "indicator": pl.String, "level": pl.String,
        },
    )  # fmt: skip
    expected = expected_utility(pack, truth)
    found = {
        (row["indicator"], row["measure"], row["variant"], row["level"]): [
            row["counts"], row["published"], row["withheld"], row["share_published"],
            row["information_lost"],
        ]
        for row in utility.iter_rows(named=True)
    }  # fmt: skip
    assert found.keys() == expected.keys()
    for key, values in expected.items():
        assert found[key] == pytest.approx(values, rel=1e-12), key
    # the run withholds something at both levels, so the shares are not trivially 1
    assert 0 < found[("all", "all", "all", "0")][3] < 1
    assert 0 < found[("all", "all", "all", "1")][3] < 1
    # the rolling variant is a table of its own
    assert ("3", "ratio", "2-year rolling", "all") in found


def test_utility_rows_are_in_a_stable_order(runs: tuple[Path, Path]) -> None:
    utility = pl.read_csv(runs[0] / "restricted" / "utility.csv", infer_schema_length=None)
    keys = list(utility.select("indicator", "measure", "variant", "level").iter_rows())
    assert keys[-1] == ("all", "all", "all", "all")
    tables = [k[:3] for k in keys]
    assert tables == sorted(tables, key=lambda t: (t[0] == "all", t))
    for table in dict.fromkeys(tables):  # each table's levels in turn, its all last
        levels = [k[3] for k in keys if k[:3] == table]
        assert levels == [*sorted(levels[:-1], key=int), "all"]


def test_the_truth_has_nothing_withheld(runs: tuple[Path, Path]) -> None:
    utility = pl.read_csv(runs[1] / "restricted" / "utility.csv", infer_schema_length=None)
    assert utility["share_published"].to_list() == [1.0] * utility.height
    assert utility["information_lost"].to_list() == [0.0] * utility.height


def test_utility_is_byte_identical_across_runs(runs: tuple[Path, Path], tmp_path: Path) -> None:
    pack, _ = runs
    manifest = json.loads((pack / "restricted" / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["inputs"]["counts"]["file"]
    again = tmp_path / "again"
    result = wres("run", "--counts", counts, "--by", "organisation", "--out", again, "-q")
    assert result.exit_code == ExitCode.OK, result.output
    name = Path("restricted") / "utility.csv"
    assert (again / name).read_bytes() == (pack / name).read_bytes()
    # and a rerun into that pack is a rerun into a pack: utility.csv is one of wres's files
    result = wres("run", "--counts", counts, "--by", "organisation", "--out", again, "-q")
    assert result.exit_code == ExitCode.OK, result.output


def test_run_prints_one_line_of_it_unless_quiet(runs: tuple[Path, Path], tmp_path: Path) -> None:
    pack, _ = runs
    utility = pl.read_csv(pack / "restricted" / "utility.csv", infer_schema_length=None)
    whole = utility.filter(pl.col("indicator") == "all")
    share = dict(zip(whole["level"], whole["share_published"], strict=True))
    counts = Path(json.loads((pack / "restricted" / "manifest.json").read_text())["inputs"][
        "counts"
    ]["file"])  # fmt: skip
    result = wres("run", "--counts", counts, "--by", "organisation", "--out", tmp_path / "a")
    assert result.exit_code == ExitCode.OK, result.output
    line = (
        f"published {100 * share['all']:.1f}% of {whole['counts'][-1]:,} counts "
        f"(organisation level {100 * share['0']:.1f}%); details in restricted/utility.csv"
    )
    assert result.stderr.count(line) == 1
    assert "utility.csv" not in result.stdout
    quiet = wres("run", "--counts", counts, "--by", "organisation", "--out", tmp_path / "b", "-q")
    assert quiet.exit_code == ExitCode.OK
    assert "published" not in quiet.stderr + quiet.stdout


def test_json_summary_gives_the_shares_but_not_the_information_lost(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    pack, _ = runs
    utility = pl.read_csv(pack / "restricted" / "utility.csv", infer_schema_length=None)
    counts = json.loads((pack / "restricted" / "manifest.json").read_text())["inputs"]["counts"]
    result = wres(
        "run", "--counts", counts["file"], "--by", "organisation", "--json", "--out",
        tmp_path / "pack",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    summary = json.loads(result.stdout)["utility"]
    whole = utility.filter(pl.col("indicator") == "all")
    overall = whole.filter(pl.col("level") == "all").row(0, named=True)
    assert summary["counts"] == overall["counts"]
    assert summary["share_published"] == overall["share_published"]
    assert [row["level"] for row in summary["by_level"]] == [0, 1]
    assert "information_lost" not in json.dumps(summary)
    manifest = json.loads((tmp_path / "pack" / "restricted" / "manifest.json").read_text())
    recovered = manifest["secondary_protection"]["published_recoverable"]
    assert summary["published_recoverable"] == recovered
