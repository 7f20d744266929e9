"""Writing the synthetic extracts: determinism, formats, trust independence, atomicity."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from wres.engine.schema import EXTRACTS, parse_bool
from wres.engine.synth import EXTRACT_NAMES, TRUTH_FILE, OutputFormat, TrustData, write_synthetic
from wres.engine.synth import generate as generate_module
from wres.engine.synth.spellings import CSV_BOOLEAN_SPELLINGS

YEARS = (2023, 2024)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("output_format", list(OutputFormat))
def test_same_seed_gives_byte_identical_files(tmp_path: Path, output_format: OutputFormat) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 11), (again, 11), (other, 12)):
        write_synthetic(folder, trusts=3, years=YEARS, seed=seed, output_format=output_format)
    expected = {f"{name}.{output_format.value}" for name in EXTRACT_NAMES} | {TRUTH_FILE}
    assert set(_files(first)) == expected
    assert _files(first) == _files(again)
    different = _files(other)
    for name in expected:
        assert different[name] != _files(first)[name], name


def test_a_trust_is_the_same_whatever_the_number_of_trusts(tmp_path: Path) -> None:
    write_synthetic(tmp_path / "one", trusts=1, years=YEARS, seed=5)
    write_synthetic(tmp_path / "three", trusts=3, years=YEARS, seed=5)
    for name in EXTRACT_NAMES:
        alone = pl.read_parquet(tmp_path / "one" / f"{name}.parquet")
        among = pl.read_parquet(tmp_path / "three" / f"{name}.parquet")
        code = alone["organisation"][0]
        assert alone.equals(among.filter(pl.col("organisation") == code))


def test_parquet_and_csv_hold_the_same_rows(tmp_path: Path) -> None:
    write_synthetic(tmp_path / "pq", trusts=2, years=YEARS, seed=2)
    write_synthetic(tmp_path / "csv", trusts=2, years=YEARS, seed=2, output_format=OutputFormat.CSV)
    for name in EXTRACT_NAMES:
        parquet = pl.read_parquet(tmp_path / "pq" / f"{name}.parquet")
        text = pl.read_csv(tmp_path / "csv" / f"{name}.csv", infer_schema=False)
        assert text.columns == parquet.columns
        assert text.columns == [c.name for c in EXTRACTS[name].columns if c.name in text.columns]
        assert text.height == parquet.height
        assert text["ethnicity"].fill_null("").to_list() == (
            parquet["ethnicity"].fill_null("").to_list()
        )


def test_csv_booleans_use_accepted_spellings_mixed_by_trust(tmp_path: Path) -> None:
    write_synthetic(tmp_path, trusts=8, years=(2024,), seed=1, output_format=OutputFormat.CSV)
    spellings_seen: set[str] = set()
    with (tmp_path / "staff.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for column in ("disciplinary", "training", "bank", "capability"):
                assert parse_bool(row[column]) is not None
                spellings_seen.add(row[column])
    all_spellings = {s for pair in CSV_BOOLEAN_SPELLINGS for s in pair}
    assert spellings_seen <= all_spellings
    assert len(spellings_seen) > 2  # more than one style in one file
    survey = pl.read_csv(tmp_path / "survey.csv", infer_schema=False)
    assert survey["q5"].null_count() > 0  # skipped questions are blank


def test_parquet_booleans_are_booleans(tmp_path: Path) -> None:
    write_synthetic(tmp_path, trusts=1, years=(2024,), seed=1)
    staff = pl.read_parquet(tmp_path / "staff.parquet")
    for column in ("disciplinary", "training", "bank", "capability"):
        assert staff.schema[column] == pl.Boolean


def test_a_failed_run_leaves_no_partial_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = generate_module.generate_trust
    (tmp_path / "keep.txt").write_text("not ours")

    def fail_on_second(seed: int, index: int, years: tuple[int, ...], config: object) -> TrustData:
        if index == 1:
            raise RuntimeError("disk on fire")
        return real(seed, index, years, config)  # type: ignore[arg-type]

    monkeypatch.setattr(generate_module, "generate_trust", fail_on_second)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_synthetic(tmp_path, trusts=3, years=(2024,), seed=1)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_progress_is_reported_per_trust(tmp_path: Path) -> None:
    seen: list[str] = []
    write_synthetic(tmp_path, trusts=2, years=(2024,), progress=lambda d: seen.append(d.trust.code))
    assert len(seen) == 2
    assert len(set(seen)) == 2
