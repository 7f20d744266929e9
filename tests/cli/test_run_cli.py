"""`wres run` and `wres demo` through the command line: figures, errors, the pack and its audit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from scipy.stats import fisher_exact
from scipy.stats.contingency import relative_risk
from typer.testing import CliRunner, Result

from tests.precision import as_printed
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

runner = CliRunner()

HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"
NO_SUPPRESSION = "[primary]\nsuppress_if_count_at_most = 0\n"
COUNT_COLUMNS = ("numerator", "denominator", "reference_numerator", "reference_denominator")


def wres(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def counts_file(path: Path, *rows: str) -> Path:
    return write(path, "\n".join([HEADER, *rows]) + "\n")


def indicators(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)


@pytest.fixture
def no_suppression(tmp_path: Path) -> Path:
    return write(tmp_path / "p.toml", NO_SUPPRESSION)


# --- the headline figure of the issue -----------------------------------------------------------


def test_indicator_2_from_a_counts_file_at_the_broad_level(
    tmp_path: Path, no_suppression: Path
) -> None:
    counts = counts_file(
        tmp_path / "counts.csv", "2,RXX,2024,White,1148,15853", "2,RXX,2024,Black,188,15515"
    )
    out = tmp_path / "pack"
    result = wres(
        "run", "--counts", counts, "--ethnicity-level", "broad", "--policy", no_suppression,
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    table = indicators(out)
    [row] = table.filter(pl.col("indicator") == 2, pl.col("group") == "Black").iter_rows(named=True)
    expected = (1148 / 15853) / (188 / 15515)
    assert round(expected, 3) == 5.976
    assert round(row["relative_likelihood"], 3) == 5.976
    assert row["relative_likelihood"] == as_printed(expected, "relative_likelihood")
    assert row["reference_group"] == "White"
    assert (row["numerator"], row["denominator"]) == (188, 15515)
    assert (row["reference_numerator"], row["reference_denominator"]) == (1148, 15853)
    assert row["status"] == "published"
    assert row["non_adverse_range"] == "above"
    assert row["direction"].startswith("above 1.00: White shortlisted applicants")
    assert "by group" in result.stdout  # the summary does not claim "not computed"


def test_no_black_appointments_is_not_calculable(tmp_path: Path, no_suppression: Path) -> None:
    counts = counts_file(
        tmp_path / "counts.csv", "2,RXX,2024,White,1148,15853", "2,RXX,2024,Black,0,418"
    )
    out = tmp_path / "pack"
    result = wres(
        "run", "--counts", counts, "--ethnicity-level", "broad", "--policy", no_suppression,
        "--out", out, "-q",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    [row] = indicators(out).filter(pl.col("group") == "Black").iter_rows(named=True)
    assert row["relative_likelihood"] is None
    assert row["ci_low"] is None
    assert row["ci_high"] is None
    assert row["status"] == "not calculable"
    text = (out / "publish" / "indicators.csv").read_text(encoding="utf-8")
    assert "inf" not in text.lower()


# --- bad input: exit 3, file, row and column named, nothing published -------------------------


GOOD_ROW = "2,RXX,2024,White,5,10"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"{HEADER}\n{GOOD_ROW}\n2,RXX,2024,Black,20,10\n", "row 3, column 'numerator'"),
        (f"{HEADER}\n{GOOD_ROW}\n2,RXX,2024,Black,-1,10\n", "row 3, column 'numerator'"),
        (f"{HEADER}\n{GOOD_ROW}\n12,RXX,2024,Black,1,10\n", "row 3, column 'indicator'"),
        (f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\n", "row 3, column 'ethnicity'"),
        (f"{HEADER}\n{GOOD_ROW}\n2,RXX,2024,Black,some,10\n", "row 3, column 'numerator'"),
        (
            "indicator,organisation,year,ethnicity,numerator\n2,RXX,2024,White,5\n",
            "column 'denominator'",
        ),
    ],
    ids=["over", "negative", "indicator-12", "duplicate", "non-numeric", "missing-column"],
)
def test_a_bad_counts_file_exits_3_naming_file_row_and_column(
    tmp_path: Path, text: str, where: str
) -> None:
    path = write(tmp_path / "bad.csv", text)
    out = tmp_path / "pack"
    result = wres("run", "--counts", path, "--out", out)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert str(path) in result.stderr
    assert where in result.stderr
    assert not (out / "publish").exists()
    assert not (out / "restricted").exists()


def test_a_failed_run_leaves_the_earlier_pack_untouched(tmp_path: Path) -> None:
    good = counts_file(tmp_path / "good.csv", "3,RXX,2024,White,20,100", "3,RXX,2024,BME,9,50")
    out = tmp_path / "pack"
    assert wres("run", "--counts", good, "--out", out, "-q").exit_code == ExitCode.OK
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = counts_file(tmp_path / "bad.csv", "3,RXX,2024,White,200,100")
    assert wres("run", "--counts", bad, "--out", out).exit_code == ExitCode.BAD_INPUT
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


STAFF_TEXT = (
    "year,ethnicity,band,staff_group,disciplinary,training,site\n"
    + "2024,A,5,Clinical,no,yes,Ward 1\n" * 9
    + "2024,N,5,Clinical,yes,no,Ward 2\n" * 6
)


def test_a_semicolon_staff_file_publishes_what_the_comma_file_does(tmp_path: Path) -> None:
    published = []
    for name, delimiter in (("comma", ","), ("semicolon", ";")):
        staff = write(tmp_path / f"{name}.csv", STAFF_TEXT.replace(",", delimiter))
        out = tmp_path / name
        result = wres("run", "--staff", staff, "--by", "site", "--out", out, "-q")
        assert result.exit_code == ExitCode.OK, result.output
        published.append((out / "publish" / "indicators.csv").read_bytes())
    assert b"Ward 2" in published[0]
    assert published[0] == published[1]


def test_a_latin1_staff_file_exits_3_naming_its_byte_and_writes_nothing(tmp_path: Path) -> None:
    content = STAFF_TEXT.replace("Ward 2\n", "Caf\xe9\n", 1).encode("latin-1")
    staff = tmp_path / "staff.csv"
    staff.write_bytes(content)
    out = tmp_path / "pack"
    result = wres("run", "--staff", staff, "--out", out)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    offset = content.index(b"\xe9")
    assert f"{staff}, row 11, column 'site': the file is not UTF-8 text: byte 0xE9" in result.stderr
    assert f"at offset {offset} (line 11)" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (
            f"{HEADER}\n3,R\xe9X,2024,White,20,100\n".encode("latin-1"),
            "{path}, row 2, column 'organisation': the file is not UTF-8 text: byte 0xE9",
        ),
        (
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00xl/workbook.xml",
            "{path}: not a CSV file: it starts like an Excel workbook (.xlsx)",
        ),
    ],
    ids=["latin-1", "xlsx"],
)
def test_a_counts_file_that_is_not_utf8_csv_exits_3(
    tmp_path: Path, content: bytes, where: str
) -> None:
    path = tmp_path / "counts.csv"
    path.write_bytes(content)
    result = wres("run", "--counts", path, "--out", tmp_path / "pack")
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert where.format(path=path) in result.stderr


def test_cutting_by_a_column_that_does_not_exist_exits_2(tmp_path: Path) -> None:
    good = counts_file(tmp_path / "good.csv", "3,RXX,2024,White,20,100", "3,RXX,2024,BME,9,50")
    out = tmp_path / "pack"
    result = wres("run", "--counts", good, "--by", "ward", "--out", out)
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert "'ward'" in result.stderr
    assert "organisation" in result.stderr  # what is available instead
    assert not out.exists() or not (out / "publish").exists()


def test_by_on_record_extracts_names_the_missing_column(tmp_path: Path) -> None:
    staff = write(
        tmp_path / "staff.csv",
        "year,ethnicity,band,staff_group,disciplinary,training\n2024,A,5,Clinical,no,yes\n",
    )
    result = wres("run", "--staff", staff, "--by", "ward", "--out", tmp_path / "pack")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert "cannot cut by 'ward'" in result.stderr


def test_counts_and_extracts_together_exit_2(tmp_path: Path) -> None:
    good = counts_file(tmp_path / "good.csv", "3,RXX,2024,White,20,100")
    result = wres("run", "--counts", good, "--staff", good, "--out", tmp_path / "pack")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert "not both" in result.stderr
    assert not (tmp_path / "pack").exists()


def test_no_input_at_all_exits_2(tmp_path: Path) -> None:
    result = wres("run", "--out", tmp_path / "pack")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output


def test_an_unknown_policy_exits_2(tmp_path: Path) -> None:
    good = counts_file(tmp_path / "good.csv", "3,RXX,2024,White,20,100")
    result = wres("run", "--counts", good, "--policy", "lenient", "--out", tmp_path / "pack")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert "wres-default" in result.stderr  # the shipped profiles are listed
    assert not (tmp_path / "pack").exists()


# --- the pack: withheld cells, the decisions, the manifest, the reconciliation -----------------


@pytest.fixture
def suppressed_pack(tmp_path: Path) -> tuple[Path, Path, Path]:
    # wres-default: counts 1..7 withheld. BME 3 disciplined of 50 in RXX is withheld.
    counts = counts_file(
        tmp_path / "counts.csv",
        "3,RXX,2024,White,20,200",
        "3,RXX,2024,BME,3,50",
        "3,RYY,2024,White,30,300",
        "3,RYY,2024,BME,12,60",
    )
    out = tmp_path / "pack"
    result = wres("run", "--counts", counts, "--by", "organisation", "--out", out, "-q")
    assert result.exit_code == ExitCode.OK, result.output
    return counts, out, tmp_path


def test_a_withheld_value_is_empty_and_its_status_names_the_rule(
    suppressed_pack: tuple[Path, Path, Path],
) -> None:
    _, out, _ = suppressed_pack
    table = indicators(out)
    rxx = table.filter(pl.col("organisation") == "RXX", pl.col("group") == "BME").row(0, named=True)
    assert rxx["numerator"] is None
    assert rxx["denominator"] == 50
    for figure in ("rate", "relative_likelihood", "ci_low", "ci_high", "p_value", "p_adjusted"):
        assert rxx[figure] is None, figure
    assert rxx["status"] == "suppressed: C"
    assert (rxx["reference_numerator"], rxx["reference_denominator"]) == (20, 200)
    rows = (out / "publish" / "indicators.csv").read_text(encoding="utf-8").splitlines()
    assert not any(",RXX," in line and ",BME," in line and ",3," in line for line in rows)
    # the classic lone withheld cell: with the total published, RYY's 12 would give RXX's 3
    # away by subtraction, so secondary suppression withholds it too, under the same code
    ryy = table.filter(pl.col("organisation") == "RYY", pl.col("group") == "BME").row(0, named=True)
    total = table.filter(pl.col("organisation") == "All", pl.col("group") == "BME").row(
        0, named=True
    )
    assert total["numerator"] == 15
    assert ryy["numerator"] is None
    assert ryy["status"] == "suppressed: C"
    decisions = pl.read_csv(out / "restricted" / "decisions.csv", infer_schema=False)
    ryy_rules = decisions.filter(pl.col("organisation") == "RYY", pl.col("column") == "numerator")
    assert ryy_rules["rule"].to_list() == ["S1"]


def test_decisions_list_every_withheld_cell_without_its_value(
    suppressed_pack: tuple[Path, Path, Path],
) -> None:
    _, out, _ = suppressed_pack
    decisions = pl.read_csv(out / "restricted" / "decisions.csv", infer_schema=False)
    keys = ["indicator", "variant", "year", "organisation", "staff_group", "band", "board", "group"]
    assert decisions.columns == [*keys, "column", "rule", "reason"]
    assert not set(decisions.columns) & {*COUNT_COLUMNS, "rate", "relative_likelihood"}
    rxx = decisions.filter(pl.col("organisation") == "RXX")
    assert dict(zip(rxx["column"], rxx["rule"], strict=True)) == {
        "numerator": "P1",
        "rate": "D1",
        "difference_pp": "D1",
        "relative_likelihood": "D1",
        "ci_low": "D1",
        "ci_high": "D1",
        "p_value": "D1",
    }
    # one row per withheld cell: every empty figure of the published row is accounted for
    table = indicators(out)
    withheld_rows = table.filter(pl.col("status").str.starts_with("suppressed"))
    assert withheld_rows.height == decisions.select(keys).unique().height
    text = (out / "restricted" / "decisions.csv").read_text(encoding="utf-8")
    assert ",3," not in text  # the withheld count appears nowhere


def test_manifest_records_version_policy_inputs_command_and_secondary_state(
    suppressed_pack: tuple[Path, Path, Path],
) -> None:
    counts, out, _ = suppressed_pack
    manifest = json.loads((out / "restricted" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["wres_version"]
    assert manifest["policy"]["name"] == "wres-default"
    shipped = Path(__file__).parents[2] / "rules" / "profiles" / "wres-default.toml"
    assert manifest["policy"]["sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert manifest["inputs"]["counts"]["sha256"] == hashlib.sha256(counts.read_bytes()).hexdigest()
    command = manifest["command"]
    assert command[:2] == ["wres", "run"]
    assert command[command.index("--counts") + 1] == str(counts)
    assert command[command.index("--by") + 1] == "organisation"
    assert manifest["secondary_protection"]["applied"] is True
    assert manifest["secondary_protection"]["attacker_audit"] == "passed"


def test_policy_file_hash_is_that_of_the_file(tmp_path: Path, no_suppression: Path) -> None:
    counts = counts_file(tmp_path / "c.csv", "3,RXX,2024,White,20,200", "3,RXX,2024,BME,3,50")
    out = tmp_path / "pack"
    assert (
        wres("run", "--counts", counts, "--policy", no_suppression, "--out", out, "-q").exit_code
        == 0
    )
    manifest = json.loads((out / "restricted" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["policy"]["sha256"] == hashlib.sha256(no_suppression.read_bytes()).hexdigest()


def reconciliation_balances(out: Path) -> dict[str, tuple[int, int, int]]:
    rec = pl.read_csv(out / "restricted" / "reconciliation.csv")
    totals = {}
    for (extract,), rows in rec.group_by("extract"):
        item = dict(zip(rows["item"], rows["rows"], strict=True))
        excluded = sum(v for k, v in item.items() if k.startswith("excluded: "))
        totals[str(extract)] = (item["rows read"], item["rows used"], excluded)
    return totals


def test_reconciliation_balances_for_record_extracts(tmp_path: Path) -> None:
    staff = write(
        tmp_path / "staff.csv",
        "year,ethnicity,band,staff_group,disciplinary,training,bank\n"
        + "2024,A,5,Clinical,no,yes,no\n" * 9
        + "2024,N,5,Clinical,yes,yes,yes\n" * 4
        + "2024,Z,5,Clinical,no,no,\n" * 2,
    )
    out = tmp_path / "pack"
    result = wres("run", "--staff", staff, "--out", out, "-q")
    assert result.exit_code == ExitCode.OK, result.output
    balances = reconciliation_balances(out)
    read, used, excluded = balances["staff"]
    assert (read, used, excluded) == (15, 11, 4)
    assert read == used + excluded


# --- whose figures -------------------------------------------------------------------------------


def titles(out: Path) -> tuple[str, str]:
    """The workbook's title row and the report's line under its heading."""
    book = openpyxl.load_workbook(out / "publish" / "wres.xlsx", read_only=True)
    title = str(book["Contents"]["A1"].value)
    book.close()
    report = (out / "publish" / "report.html").read_text(encoding="utf-8")
    return title, report.split("</h1><p>", 1)[1].split("</p>", 1)[0]


def test_the_organisation_is_named_in_the_workbook_and_report_titles(
    tmp_path: Path, no_suppression: Path
) -> None:
    rows = [
        f"3,{org},2024,{eth},{n},100" for org in ("RXX", "RYY") for eth, n in (("A", 20), ("N", 30))
    ]
    both = counts_file(tmp_path / "both.csv", *rows)
    one = counts_file(tmp_path / "one.csv", *rows[:2])
    policy = ("--policy", no_suppression)
    result = wres("run", "--counts", both, *policy, "--out", tmp_path / "named", "-q",
                  "--organisation-name", " Example NHS Trust ")  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    title, masthead = titles(tmp_path / "named")
    assert title == "Example NHS Trust: Workforce Race Equality Standard (WRES), 2024"
    assert masthead.startswith("Example NHS Trust · 2024 · ")
    # no name given: the data's one organisation code, or how many there are
    for counts, expected in ((one, "RXX"), (both, "2 organisations")):
        out = tmp_path / counts.stem
        result = wres("run", "--counts", counts, *policy, "--out", out, "-q")
        assert result.exit_code == ExitCode.OK, result.output
        title, masthead = titles(out)
        assert title == f"{expected}: Workforce Race Equality Standard (WRES), 2024"
        assert masthead.startswith(f"{expected} · 2024 · ")


# --- reproducible --------------------------------------------------------------------------------


def test_the_same_command_gives_byte_identical_publish_files(tmp_path: Path) -> None:
    counts = counts_file(
        tmp_path / "counts.csv",
        *[
            f"{i},{org},{year},{eth},{n // 3},{n}"
            for i in (2, 3, 4, 5)
            for org, n in (("RXX", 90), ("RYY", 120))
            for year in (2023, 2024)
            for eth in ("A", "N", "H", "Z")
        ],
    )
    names = ("indicators.csv", "indicators.parquet")

    def run_into(out: Path) -> dict[str, bytes]:
        result = wres("run", "--counts", counts, "--by", "organisation", "--out", out, "-q")
        assert result.exit_code == ExitCode.OK, result.output
        return {n: (out / "publish" / n).read_bytes() for n in names}

    first = run_into(tmp_path / "a")
    assert run_into(tmp_path / "a") == first  # again into the same folder
    assert run_into(tmp_path / "b") == first  # and into a fresh one


def test_publish_files_do_not_depend_on_the_order_of_input_rows(tmp_path: Path) -> None:
    rows = [
        f"{i},{org},2024,{eth},{n // 4},{n}"
        for i in (2, 3)
        for org, n in (("RXX", 80), ("RYY", 120))
        for eth in ("A", "N", "H", "Z")
    ]
    published = []
    for name, order in (("forward", rows), ("backward", rows[::-1])):
        counts = counts_file(tmp_path / f"{name}.csv", *order)
        out = tmp_path / name
        result = wres("run", "--counts", counts, "--by", "organisation", "--out", out, "-q")
        assert result.exit_code == ExitCode.OK, result.output
        published.append((out / "publish" / "indicators.csv").read_bytes())
    assert published[0] == published[1]


# --- the demo ------------------------------------------------------------------------------------


def test_demo_writes_data_publish_and_restricted(demo_pack: Path) -> None:
    out = demo_pack  # wres demo --years 2023-2024, exit 0 (tests/conftest.py)
    assert (out / "data" / "staff.parquet").is_file()
    assert (out / "publish" / "indicators.csv").is_file()
    assert (out / "restricted" / "manifest.json").is_file()
    table = indicators(out)
    assert set(table["indicator"].to_list()) == set(range(1, 10))
    manifest = json.loads((out / "restricted" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["policy"]["name"] == "wres-default"
    assert manifest["seed"] == 1


def test_katz_interval_and_fisher_test_on_request(tmp_path: Path, no_suppression: Path) -> None:
    counts = counts_file(
        tmp_path / "counts.csv", "3,RXX,2024,BME,12,400", "3,RXX,2024,White,20,1300"
    )
    out = tmp_path / "pack"
    result = wres(
        "run", "--counts", counts, "--policy", no_suppression, "--ci-method", "katz",
        "--test", "fisher", "--level", "0.9", "--out", out,
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    r = (
        indicators(out)
        .filter(pl.col("indicator") == 3, pl.col("group") == "BME")
        .row(0, named=True)
    )
    ci = relative_risk(12, 400, 20, 1300).confidence_interval(confidence_level=0.9)
    assert (r["ci_low"], r["ci_high"]) == (
        as_printed(ci.low, "ci_low"),
        as_printed(ci.high, "ci_high"),
    )
    assert r["ci_method"] == "katz-log"
    p = fisher_exact([[12, 388], [20, 1280]]).pvalue
    assert r["p_value"] == pytest.approx(as_printed(p, "p_value"), rel=1e-12)
    assert r["test"] == "fisher"


def test_unknown_interval_method_is_a_usage_error(tmp_path: Path) -> None:
    counts = counts_file(tmp_path / "counts.csv", "3,RXX,2024,BME,12,400")
    result = wres("run", "--counts", counts, "--ci-method", "wilson", "--out", tmp_path / "o")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert "wilson" in result.output
