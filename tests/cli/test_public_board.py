"""A board's members are public knowledge (``[primary] public_measures = ["board"]``): indicator
9's board counts are published however small, and the workforce they are compared with is
protected as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner, Result

from tests.run_capture import captured_protections
from tests.text_files import written
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode
from wres.engine.synth import write_synthetic

runner = CliRunner()
HEADER = "indicator,year,ethnicity,numerator,denominator,board"
YEARS = (2022, 2023, 2024)


def wres(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def board_counts(tmp_path: Path, *, bme_staff: int = 300) -> Path:
    """A board of 9-11 members, 1-3 of them BME (every board count in 1..7 or its complement
    small), beside a workforce of 1,000 of whom ``bme_staff`` are BME."""
    rows = [HEADER]
    for k, year in enumerate(YEARS):
        bme, members = 1 + k, 9 + k
        rows += [
            f"9,{year},BME,{bme},{members},voting",
            f"9,{year},White,{members - bme},{members},voting",
            f"9,{year},BME,{bme},{members - 4},executive",
            f"9,{year},White,{members - 4 - bme},{members - 4},executive",
            f"9,{year},BME,0,4,non-executive",
            f"9,{year},White,4,4,non-executive",
            f"9,{year},BME,{bme_staff},1000,workforce",
            f"9,{year},White,{1000 - bme_staff},1000,workforce",
        ]
    return written(tmp_path / "counts.csv", "\n".join(rows) + "\n")


def private_board(tmp_path: Path) -> Path:
    """wres-default without the board's exemption."""
    return written(
        tmp_path / "private.toml",
        'name = "private-board"\n[primary]\nsuppress_if_count_at_most = 7\n'
        "[secondary]\nmin_attacker_interval = 7\n",
    )


def published_board(counts: Path, out: Path, *policy: str | Path) -> pl.DataFrame:
    result = wres("run", "--counts", counts, "--out", out, "-q", *policy)
    assert result.exit_code == ExitCode.OK, result.output
    published = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    return published.filter(pl.col("indicator") == 9, pl.col("group") == "BME").sort(
        "year", "board"
    )


def test_a_small_board_is_published_when_public_and_withheld_when_not(tmp_path: Path) -> None:
    counts = board_counts(tmp_path)
    public = published_board(counts, tmp_path / "public")
    assert public.height == len(YEARS) * 3
    assert public["numerator"].null_count() == 0
    assert public["denominator"].null_count() == 0
    assert public["difference_pp"].null_count() == 0
    voting = public.filter(pl.col("board") == "voting")
    assert voting["numerator"].to_list() == [1, 2, 3]
    assert voting["denominator"].to_list() == [9, 10, 11]
    decisions = pl.read_csv(
        tmp_path / "public" / "restricted" / "decisions.csv", infer_schema=False
    )
    assert decisions.filter(pl.col("indicator") == "9").height == 0
    private = published_board(counts, tmp_path / "private", "--policy", private_board(tmp_path))
    assert private.height == len(YEARS) * 3
    assert private["numerator"].null_count() == private.height  # every one of them small
    assert private["difference_pp"].null_count() == private.height


def test_a_withheld_workforce_count_still_withholds_the_board_gap(tmp_path: Path) -> None:
    # 5 BME staff: the workforce count is small, so the gap computed from it is withheld
    # beside the board's own published counts
    board = published_board(board_counts(tmp_path, bme_staff=5), tmp_path / "pack")
    assert board["numerator"].null_count() == 0
    assert board["reference_numerator"].null_count() == board.height
    assert board["reference_rate"].null_count() == board.height
    assert board["difference_pp"].null_count() == board.height


def test_indicator_9_is_published_every_year_for_every_synthetic_organisation(
    tmp_path: Path,
) -> None:
    # the demo's shape, smaller: synthetic trusts' boards (a few BME members each) under
    # wres-default, every year, for each organisation and the total
    years = (2022, 2023, 2024)
    write_synthetic(tmp_path / "data", trusts=2, years=years, seed=3)
    out = tmp_path / "pack"
    result = wres(
        "run", "--staff", tmp_path / "data" / "staff.parquet",
        "--board", tmp_path / "data" / "board.parquet",
        "--by", "organisation", "--out", out, "-q",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    published = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    board = published.filter(pl.col("indicator") == 9, pl.col("group") == "BME")
    organisations = set(board["organisation"].to_list())
    assert len(organisations) == 3  # two trusts and All
    voting = board.filter(pl.col("board") == "voting")
    assert voting.height == len(years) * len(organisations)
    assert voting["difference_pp"].null_count() == 0
    assert voting["numerator"].min() <= 7  # small boards: withheld but for the exemption
    assert board["numerator"].null_count() == 0
    # and the report's policy says why, in a sentence
    report = (out / "publish" / "report.html").read_text(encoding="utf-8")
    assert "public knowledge (the annual report names them)" in report


def test_the_board_counts_are_known_cells_of_the_system_and_the_workforce_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = captured_protections(monkeypatch)
    # 5 BME staff: a small workforce count, a primary cell beside the public board's
    published_board(board_counts(tmp_path, bme_staff=5), tmp_path / "pack")
    ((cells, protection),) = seen
    tables = cells.tables
    measure = np.array(tables.hierarchies[0].labels)[tables.coords[:, 0]]
    board = np.char.startswith(measure.astype(str), "board:")
    staff = np.char.startswith(measure.astype(str), "staff:")
    # every board count some row shows or a reader derives (the non-voting members, ...);
    # the rest are cells nobody knows (absent)
    assert (cells.public == (board & ~cells.absent)).all()
    assert (cells.public & cells.derived).any()
    assert not (cells.primary & board).any()
    assert not (protection.hidden & board).any()
    assert (cells.primary & staff).any()  # the 5 BME staff are protected as ever
    assert protection.certificate.ok
