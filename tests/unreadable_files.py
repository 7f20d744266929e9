"""Files that cannot be read as an extract, shared by the reader's tests and `wres validate`'s:
each a file name, its content (``None``: no file at all) and a fragment of the message that
must say why."""

from __future__ import annotations

from pathlib import Path

#: The staff extract's columns: a file of this line alone has no records.
STAFF_HEADER = "year,ethnicity,band,staff_group,disciplinary,training,bank,staff_id,site"
UNREADABLE: list[tuple[str, str | None, str]] = [
    ("missing.csv", None, "file not found"),
    ("staff.txt", "year\n2024\n", "accepted suffixes: .csv, .parquet, .xlsx, .xls"),
    ("staff.parquet", "PAR1 this is not parquet", "cannot read the file as Parquet"),
    ("staff.xlsx", "not a zip", "cannot read the file as Excel"),
    ("empty.csv", "", "empty"),
    ("header.csv", STAFF_HEADER + "\n", "no records"),
]


def unreadable_file(folder: Path, name: str, content: str | None) -> Path:
    """``name`` in ``folder`` holding ``content`` (not written when ``None``)."""
    path = folder / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    return path
