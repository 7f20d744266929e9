"""Ethnicity in the 2021 census categories, and values wres does not recognise, through the CLI.

An extract written with the 2021 census labels gives the indicators of the same staff written
with national codes; unknown spellings stop `wres validate` and `wres run` (exit 3) with every
spelling listed, unless accepted, and are kept apart from not stated in every output.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from tests.text_files import written
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode
from wres.engine.ethnicity import default_scheme
from wres.engine.synth import write_synthetic

#: How the 2021 census writes each national category, in several spellings each: the census
#: label, a dash for the colon, the bare name, and the categories that differ from 2001.
CENSUS_2021: dict[str, tuple[str, ...]] = {
    "A": ("White: English, Welsh, Scottish, Northern Irish or British",),
    "B": ("White: Irish", "Irish"),
    "C": (
        "White: Other White",
        "White: Roma",
        "White - Gypsy or Irish Traveller",
        "Roma",
        "Gypsy or Irish Traveller",
        "Other White",
    ),
    "D": ("Mixed or Multiple ethnic groups: White and Black Caribbean",),
    "E": ("Mixed or Multiple ethnic groups: White and Black African",),
    "F": ("Mixed or Multiple ethnic groups: White and Asian",),
    "G": (
        "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups",
        "Other Mixed or Multiple ethnic groups",
    ),
    "H": ("Asian, Asian British or Asian Welsh: Indian", "Indian"),
    "J": ("Asian, Asian British or Asian Welsh: Pakistani",),
    "K": ("Asian, Asian British or Asian Welsh: Bangladeshi",),
    "L": ("Asian, Asian British or Asian Welsh: Other Asian", "Other Asian"),
    "M": ("Black, Black British, Black Welsh, Caribbean or African: Caribbean",),
    "N": ("Black, Black British, Black Welsh, Caribbean or African: African", "African"),
    "P": ("Black, Black British, Black Welsh, Caribbean or African: Other Black", "Other Black"),
    "R": ("Asian, Asian British or Asian Welsh: Chinese", "Chinese"),
    "S": (
        "Other ethnic group: Any other ethnic group",
        "Other ethnic group: Arab",
        "Arab",
    ),
}
NO_SUPPRESSION = "[primary]\nsuppress_if_count_at_most = 0\n"


def wres(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def rewritten(source: Path, target: Path, *, census: bool) -> Path:
    """``source`` with each ethnicity that names a national category written as its code, or
    (``census``) as one of that category's 2021 census spellings, in turn; Unknown values
    (not stated, not known, blank and the generator's typos) as they were."""
    frame = pl.read_parquet(source)
    scheme = default_scheme()
    turns = {code: itertools.cycle(spellings) for code, spellings in CENSUS_2021.items()}
    values = []
    for value in frame["ethnicity"].to_list():
        code = scheme.classify(value).category
        if code is None:
            values.append(value)
        else:
            values.append(next(turns[code]) if census else code)
    frame.with_columns(ethnicity=pl.Series(values, dtype=pl.String)).write_parquet(target)
    return target


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    write_synthetic(folder, trusts=1, years=(2023, 2024), seed=5)
    return folder


def run_pack(folder: Path, out: Path) -> bytes:
    policy = written(folder / "off.toml", NO_SUPPRESSION)
    result = wres(
        "run", "--staff", folder / "staff.parquet",
        "--applications", folder / "applications.parquet",
        "--ethnicity-level", "detailed", "--policy", policy, "--out", out, "-q",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    return (out / "publish" / "indicators.csv").read_bytes()


def test_census_2021_labels_give_the_indicators_of_national_codes(
    synthetic: Path, tmp_path: Path
) -> None:
    published = {}
    for census in (False, True):
        folder = tmp_path / ("census" if census else "codes")
        folder.mkdir()
        for name in ("staff", "applications"):
            source = synthetic / f"{name}.parquet"
            rewritten(source, folder / f"{name}.parquet", census=census)
        published[census] = run_pack(folder, tmp_path / f"out-{folder.name}")
    census_staff = pl.read_parquet(tmp_path / "census" / "staff.parquet")["ethnicity"]
    assert census_staff.is_in(["White: Roma", "Arab", "Gypsy or Irish Traveller"]).sum() > 0
    table = pl.read_csv(published[True])
    assert {"R", "S", "C"} <= {g[0] for g in table["group"].unique().to_list() if g}
    assert published[True] == published[False]


# --- unknown spellings ---------------------------------------------------------------------------

STAFF_HEADER = "year,Ethnic Origin,band,staff_group,disciplinary,training,bank"


def staff_file(path: Path, ethnicities: list[str]) -> Path:
    n = len(ethnicities)
    pl.DataFrame(
        {
            "year": ["2024"] * n,
            "Ethnic Origin": ethnicities,
            "band": ["Band 5"] * n,
            "staff_group": ["Clinical"] * n,
            "disciplinary": ["no", "yes"] * (n // 2) + ["no"] * (n % 2),
            "training": ["yes"] * n,
            "bank": ["no"] * n,
        }
    ).write_csv(path)
    return path


#: 40 rows: 2 unknown spellings (3 rows), 5 not stated, the rest in 2021 census labels
ROWS = (
    ["White: English, Welsh, Scottish, Northern Irish or British"] * 17
    + ["Asian, Asian British or Asian Welsh: Indian"] * 8
    + ["Whte Brtish"]  # row 27
    + ["Roma", "Arab"] * 3
    + ["Not stated"] * 5
    + ["Kurdish", "Whte Brtish"]  # rows 39 and 40
    + ["Other ethnic group: Arab"]
)
MAP = ("--map", "ethnicity=Ethnic Origin")


@pytest.fixture
def staff(tmp_path: Path) -> Path:
    assert len(ROWS) == 40
    return staff_file(tmp_path / "staff.csv", ROWS)


def test_validate_stops_with_every_unknown_spelling_its_rows_and_first_row(staff: Path) -> None:
    result = wres("validate", "--staff", staff, *MAP)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {staff}, column 'Ethnic Origin': 3 of the 40 rows used")
    assert lines[1:] == [
        f"{staff}, row 27, column 'Ethnic Origin': 'Whte Brtish' is not a recognised ethnicity: "
        "2 rows, the first in this row",
        f"{staff}, row 39, column 'Ethnic Origin': 'Kurdish' is not a recognised ethnicity: "
        "1 row, the first in this row",
    ]
    # the report still says where every row went, not stated apart from unrecognised
    counts = [line.strip().rsplit(maxsplit=1) for line in result.stdout.splitlines()]
    unknown = counts.index(["Unknown", "8"])
    assert counts[unknown + 1 : unknown + 7] == [
        ["not stated", "5"],
        ["not known", "0"],
        ["blank", "0"],
        ["unrecognised", "3"],
        ["'Whte Brtish' (first: row 27)", "2"],
        ["'Kurdish' (first: row 39)", "1"],
    ]


def test_validate_json_lists_the_spellings_and_the_problems(staff: Path) -> None:
    result = wres("validate", "--staff", staff, *MAP, "--json")
    assert result.exit_code == ExitCode.BAD_INPUT
    document = json.loads(result.stdout)
    assert document["valid"] is False
    listed = document["extracts"]["staff"]["unrecognised_ethnicity"]
    assert [(s["spelling"], s["rows"], s["row"]) for s in listed] == [
        ("Whte Brtish", 2, 27),
        ("Kurdish", 1, 39),
    ]
    assert [p["row"] for p in document["problems"]] == [None, 27, 39]


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ((), ExitCode.BAD_INPUT),
        (("--unrecognised-at-most", "7.5"), ExitCode.OK),  # 3 of 40 is 7.5%: not above
        (("--unrecognised-at-most", "7.4"), ExitCode.BAD_INPUT),
        (("--accept-unrecognised",), ExitCode.OK),
    ],
)
def test_the_limit_and_the_option_to_accept(
    staff: Path, options: tuple[str, ...], code: int
) -> None:
    result = wres("validate", "--staff", staff, *MAP, *options)
    assert result.exit_code == code, result.output


def test_run_stops_and_writes_nothing(staff: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = wres("run", "--staff", staff, *MAP, "--out", out)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "'Kurdish' is not a recognised ethnicity" in result.stderr
    assert "--accept-unrecognised" in result.stderr
    assert not out.exists()


def _text(page: str) -> str:
    """The words of an HTML page, one space between them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_an_accepted_run_keeps_unrecognised_apart_everywhere(staff: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = wres("run", "--staff", staff, *MAP, "--out", out, "--accept-unrecognised")
    assert result.exit_code == ExitCode.OK, result.output
    assert "note: staff: 3 of 40 rows used (7.5%) have an ethnicity that is not recognised" in (
        result.stderr
    )
    restricted = out / "restricted"
    listed = pl.read_csv(restricted / "unrecognised_ethnicity.csv")
    assert listed.rows() == [
        ("staff", "Whte Brtish", 2, str(staff), 27, "Ethnic Origin"),
        ("staff", "Kurdish", 1, str(staff), 39, "Ethnic Origin"),
    ]
    rec = dict(pl.read_csv(restricted / "reconciliation.csv").select("item", "rows").rows())
    assert (rec["unknown ethnicity: not stated"], rec["unknown ethnicity: unrecognised"]) == (5, 3)
    report = (out / "publish" / "report.html").read_text(encoding="utf-8")
    assert "Ethnicity not recognised." in report
    assert "Unknown: ethnicity not stated, not known, or recorded in a form wres did not" in (
        _text(report)
    )
    notes = load_workbook(out / "publish" / "wres.xlsx")["Notes"]
    cells = {str(c.value) for row in notes.iter_rows() for c in row if c.value is not None}
    assert "Unknown ethnicity" in cells
    assert any(c.startswith("some values in the staff extract were neither") for c in cells)
    assert any(c.startswith("more of them than the run allows") for c in cells)
    # nothing published names a spelling or says how many (that would bound the withheld
    # Unknown counts)
    published = report + " ".join(cells)
    for value in ("Whte", "Kurdish", "7.5%", "3 of 40"):
        assert value not in published


def test_a_run_without_unrecognised_values_says_so(tmp_path: Path) -> None:
    staff = staff_file(
        tmp_path / "staff.csv", [r for r in ROWS if r not in ("Whte Brtish", "Kurdish")]
    )
    out = tmp_path / "pack"
    result = wres("run", "--staff", staff, *MAP, "--out", out)
    assert result.exit_code == ExitCode.OK, result.output
    assert "not recognised" not in result.stderr
    report = _text((out / "publish" / "report.html").read_text(encoding="utf-8"))
    assert "Ethnicity not recognised." not in report
    assert "(Unknown: ethnicity not stated or not known)" in report
    assert "Unrecognised ethnicity none: every ethnicity value was recognised" in report
    assert pl.read_csv(out / "restricted" / "unrecognised_ethnicity.csv").height == 0


def test_a_counts_file_with_unknown_group_names_stops_too(tmp_path: Path) -> None:
    counts = written(
        tmp_path / "counts.csv",
        "indicator,year,ethnicity,numerator,denominator\n"
        "2,2024,White,50,317\n2,2024,Other ethnic group: Arab,9,40\n2,2024,Blak,30,378\n",
    )
    result = wres("run", "--counts", counts, "--out", tmp_path / "pack")
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert f"{counts}, row 4, column 'ethnicity': 'Blak' is not a recognised ethnicity" in (
        result.stderr
    )


def test_wdes_does_not_compare_by_ethnicity_so_lists_them_without_stopping(tmp_path: Path) -> None:
    staff = staff_file(tmp_path / "staff.csv", ["Martian"] * 20 + ["A"] * 20)
    frame = pl.read_csv(staff).with_columns(disability=pl.Series(["Disabled", "Not disabled"] * 20))
    frame.write_csv(staff)
    out = tmp_path / "pack"
    result = wres("run", "--standard", "wdes", "--staff", staff, *MAP, "--out", out)
    assert result.exit_code == ExitCode.OK, result.output
    # the values are still listed for the analyst
    listed = pl.read_csv(out / "restricted" / "unrecognised_ethnicity.csv")
    assert listed.select("spelling", "rows", "row").rows() == [("Martian", 20, 2)]
