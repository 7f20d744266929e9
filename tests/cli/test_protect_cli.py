"""`wres protect`: the protected table, its certificate, exit codes, and no value leaked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner, Result

from tests.synthetic_tables import full_table
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode
from wres.rules.table import Hierarchy

GROUPS = [("White", "Total"), ("BME", "Total"), ("British", "White"), ("Irish", "White"),
          ("Asian", "BME"), ("Black", "BME"), ("Mixed", "BME")]  # fmt: skip
LEAVES = np.array(
    [  # British, Irish, Asian, Black, Mixed by sites A, B, C
        [120, 95, 60],
        [9, 3, 14],
        [31, 2, 18],
        [22, 17, 4],
        [3, 6, 1],
    ]
)
POLICY = "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 5\n"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    eth = Hierarchy.from_pairs("ethnicity", GROUPS)
    site = Hierarchy.flat("site", ["A", "B", "C"])
    table = full_table([eth, site], LEAVES)
    frame = table.keys_frame().with_columns(staff=pl.Series(table.values))
    frame = frame.sample(fraction=1.0, shuffle=True, seed=1)
    paths = {
        "table": tmp_path / "staff.csv",
        "hierarchy": tmp_path / "groups.csv",
        "policy": tmp_path / "policy.toml",
        "out": tmp_path / "out" / "protected.csv",
    }
    frame.write_csv(paths["table"])
    pl.DataFrame({"child": [c for c, _ in GROUPS], "parent": [p for _, p in GROUPS]}).write_csv(
        paths["hierarchy"]
    )
    paths["policy"].write_text(POLICY, encoding="utf-8")
    return paths


def protect(files: dict[str, Path], *extra: str | Path, table: Path | None = None) -> Result:
    return run(
        "protect", table or files["table"], "--count-column", "staff",
        "--hierarchy", f"ethnicity={files['hierarchy']}", "--policy", files["policy"],
        "--out", files["out"], *extra,
    )  # fmt: skip


def test_protect_writes_the_table_with_markers_and_the_certificate(files: dict[str, Path]) -> None:
    result = protect(files)
    assert result.exit_code == 0, result.output
    source = pl.read_csv(files["table"], infer_schema=False)
    out = pl.read_csv(files["out"], infer_schema=False)
    assert out.columns == [*source.columns, "status"]
    assert out.select(source.columns[:2]).equals(source.select(source.columns[:2]))  # row order
    withheld = out["status"] == "suppressed"
    assert set(out["status"]) == {"published", "suppressed"}  # one marker: never which kind
    assert (out.filter(withheld)["staff"] == "[c]").all()
    kept = out.filter(~withheld)
    assert (kept["staff"] == source.filter(~withheld)["staff"]).all()
    assert not kept["staff"].cast(pl.Int64).is_between(1, 4).any()  # no small count published
    cert = pl.read_csv(files["out"].with_name("protected.certificate.csv"), infer_schema=False)
    assert cert.columns == [
        "ethnicity", "site", "state", "rule", "attacker_lower", "attacker_upper", "interval",
        "possible_values", "required", "result", "proof",
    ]  # fmt: skip
    assert cert.height == int(withheld.sum())
    assert set(cert["result"]) == {"pass"}
    assert set(cert["state"]) == {"primary", "secondary"}
    assert set(cert["rule"]) <= {"P1", "S1", "S2"}


def test_no_true_value_of_a_withheld_cell_is_written_or_printed(files: dict[str, Path]) -> None:
    result = protect(files, "--json")
    assert result.exit_code == 0, result.output
    out = pl.read_csv(files["out"], infer_schema=False)
    source = pl.read_csv(files["table"], infer_schema=False)
    withheld = out["status"] == "suppressed"
    cert = pl.read_csv(files["out"].with_name("protected.certificate.csv"), infer_schema=False)
    # a small count is never pinned: its interval always holds several values
    small = cert.filter(pl.col("state") == "primary")
    assert (small["attacker_lower"] != small["attacker_upper"]).all()
    # no column of the certificate carries counts, and the table shows only the marker
    assert "staff" not in cert.columns
    assert set(out.filter(withheld)["staff"]) == {"[c]"}
    # the summary holds counts of cells, never of people in a withheld cell
    summary = json.loads(result.stdout)
    assert summary["withheld_primary"] == int(
        source.filter(withheld)["staff"].cast(pl.Int64).is_between(1, 4).sum()
    )
    assert result.stderr == ""


def test_json_summary(files: dict[str, Path]) -> None:
    result = protect(files, "--json")
    summary = json.loads(result.stdout)
    assert summary["audit"] == "pass"
    assert summary["cells_below_requirement"] == 0
    assert summary["cells"] == 32  # 8 ethnicity nodes x 4 site nodes
    assert summary["certificate"].endswith("protected.certificate.csv")


def test_the_same_input_gives_the_same_files_and_row_order_does_not_matter(
    files: dict[str, Path], tmp_path: Path
) -> None:
    certificate = files["out"].with_name("protected.certificate.csv")
    keys = ["ethnicity", "site"]
    assert protect(files).exit_code == 0
    first = files["out"].read_bytes(), certificate.read_bytes()
    sorted_first = pl.read_csv(files["out"], infer_schema=False).sort(keys)
    sorted_cert = pl.read_csv(certificate, infer_schema=False).sort(keys)
    assert protect(files).exit_code == 0
    assert (files["out"].read_bytes(), certificate.read_bytes()) == first
    shuffled = tmp_path / "shuffled.csv"
    pl.read_csv(files["table"], infer_schema=False).reverse().write_csv(shuffled)
    assert protect(files, table=shuffled).exit_code == 0
    assert pl.read_csv(files["out"], infer_schema=False).sort(keys).equals(sorted_first)
    assert pl.read_csv(certificate, infer_schema=False).sort(keys).equals(sorted_cert)


def test_wres_audit_agrees_with_the_certificate(files: dict[str, Path]) -> None:
    assert protect(files).exit_code == 0
    result = run(
        "audit", files["out"], "--count-column", "staff",
        "--hierarchy", f"ethnicity={files['hierarchy']}", "--policy", files["policy"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no disclosure found" in result.stdout


# --- bad input: exit 3, naming file, row and column, quoting no count -------------------------


def rewrite(files: dict[str, Path], change) -> Path:  # type: ignore[no-untyped-def]
    frame = pl.read_csv(files["table"], infer_schema=False)
    path = files["table"].with_name("bad.csv")
    change(frame).write_csv(path)
    return path


def row_of(frame: pl.DataFrame, ethnicity: str, site: str) -> int:
    index = frame.with_row_index().filter(
        (pl.col("ethnicity") == ethnicity) & (pl.col("site") == site)
    )["index"][0]
    return int(index) + 2


def with_cell(
    files: dict[str, Path], ethnicity: str, site: str, column: str, value: str
) -> tuple[Path, int]:
    """The table with ``column`` of the cell (ethnicity, site) set to ``value``: the bad file
    and the row of that cell in it (the header is row 1)."""
    row = row_of(pl.read_csv(files["table"], infer_schema=False), ethnicity, site)
    cell = (pl.col("ethnicity") == ethnicity) & (pl.col("site") == site)
    bad = rewrite(files, lambda f: f.with_columns(
        pl.when(cell).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    ))  # fmt: skip
    return bad, row


@pytest.mark.parametrize(
    ("ethnicity", "site", "count", "message"),
    [
        ("Irish", "B", "4321.5", "bad.csv, row {row}, column 'staff': not a whole number >= 0"),
        (
            "Total",
            "A",
            "4321",
            "row {row}, column 'staff': this total does not equal the sum of its",
        ),
    ],
    ids=["a count that is not a whole number", "totals that do not add up"],
)
def test_a_bad_count_is_named_by_row_and_never_quoted(
    files: dict[str, Path], ethnicity: str, site: str, count: str, message: str
) -> None:
    bad, row = with_cell(files, ethnicity, site, "staff", count)
    result = protect(files, table=bad)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert message.format(row=row) in result.stderr
    assert "4321" not in result.output


def test_a_missing_total_row(files: dict[str, Path]) -> None:
    bad = rewrite(files, lambda f: f.filter(~((f["ethnicity"] == "BME") & (f["site"] == "Total"))))
    result = protect(files, table=bad)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "bad.csv: no row for ethnicity=BME, site=Total" in result.stderr


def test_an_entry_not_in_the_hierarchy(files: dict[str, Path]) -> None:
    bad, row = with_cell(files, "Mixed", "C", "ethnicity", "Chinese")
    result = protect(files, table=bad)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert f"row {row}, column 'ethnicity': 'Chinese' is not in the hierarchy file" in result.stderr


def test_a_duplicated_row(files: dict[str, Path]) -> None:
    bad = rewrite(files, lambda f: pl.concat([f, f.head(1)]))
    result = protect(files, table=bad)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "row 34: the same cell as row 2" in result.stderr


def test_a_hierarchy_file_with_a_child_under_two_parents(files: dict[str, Path]) -> None:
    files["hierarchy"].write_text(
        "child,parent\nWhite,Total\nBME,Total\nBritish,White\nIrish,White\nIrish,BME\n",
        encoding="utf-8",
    )
    result = protect(files)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "groups.csv, row 6, column 'parent': 'Irish' already has parent 'White'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--hierarchy", "ethnicity"], "write DIMENSION=FILE", id="no hierarchy file"),
        pytest.param(["--hierarchy", "band=x.csv"], "not a dimension column", id="not a column"),
        pytest.param(["--count-column", "people"], "no column 'people'", id="no count column"),
        pytest.param(["--policy", "strictest"], "neither a shipped profile", id="unknown policy"),
    ],
)
def test_usage_errors_exit_2(files: dict[str, Path], args: list[str], message: str) -> None:
    result = run(
        "protect", files["table"], "--count-column", "staff", "--policy", files["policy"],
        "--out", files["out"], *args,
    )  # fmt: skip
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert message in result.stderr
    assert not files["out"].exists()
