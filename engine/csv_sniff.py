"""What a ``.csv`` file holds, told from its first bytes: text or not, which delimiter.

polars alone reads a PNG or a workbook renamed ``.csv`` as one garbled column, a
semicolon-separated file (Excel's CSV in many European locales) as one column, the header row
lossily (a byte that is not UTF-8 becomes U+FFFD), and stops at the first such byte of the records
with a message that names neither row nor byte. :func:`sniff_csv` looks at the first 64 KiB only
(a national extract is gigabytes): the signatures of other file types, NUL bytes, UTF-16, a header
row that is not UTF-8, and the delimiter among ``,`` ``;`` tab ``|``. :func:`not_utf8` runs only
once polars has failed on a record: it finds the first byte that is not UTF-8 (its offset and
line) and the row and column that hold it, as a spreadsheet numbers them.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from wres.engine.errors import BadInputError, Problem

#: The delimiters recognised, the most frequent one in the header row winning.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "',' (comma)", ";": "';' (semicolon)", "\t": "tab", "|": "'|' (bar)"}
_HEAD_BYTES = 64 * 1024
_SCAN_BYTES = 1024 * 1024
_UTF8_BOM = codecs.BOM_UTF8
_REPLACEMENT = "\ufffd".encode()
_SAVE_AS = "save it again as 'CSV UTF-8 (comma delimited)'"


@dataclass(frozen=True, slots=True)
class _Signature:
    """The first bytes of another kind of file, what it is and what to do with it."""

    magic: bytes
    looks_like: str
    fix: str


_EXPORT = "export the extract as 'CSV UTF-8 (comma delimited)' instead"
_SIGNATURES: tuple[_Signature, ...] = (
    _Signature(b"\x89PNG\r\n\x1a\n", "a PNG image", _EXPORT),
    _Signature(b"\xff\xd8\xff", "a JPEG image", _EXPORT),
    _Signature(b"GIF8", "a GIF image", _EXPORT),
    _Signature(b"%PDF-", "a PDF document", _EXPORT),
    _Signature(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (or another Office 97-2003 document)",
        "give it the .xls suffix, or save the sheet as 'CSV UTF-8 (comma delimited)'",
    ),
    _Signature(b"PAR1", "a Parquet file", "give it the .parquet suffix"),
    _Signature(b"\x1f\x8b", "a gzip-compressed file", "decompress it first"),
    _Signature(b"SQLite format 3\x00", "an SQLite database", _EXPORT),
)
_XLSX = _Signature(
    b"PK\x03\x04",
    "an Excel workbook (.xlsx)",
    "give it the .xlsx suffix, or save the sheet as 'CSV UTF-8 (comma delimited)'",
)
_ZIP = _Signature(b"PK\x03\x04", "a ZIP archive", "extract the CSV file from it first")
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _refuse(path: Path, message: str, row: int | None = None) -> BadInputError:
    return BadInputError([Problem(path, row, None, message)])


def sniff_csv(path: Path) -> str:
    """The delimiter of the CSV file ``path``, from its header row (``,`` when it has none).

    Raises BadInputError when the first bytes show another kind of file, UTF-16 or UTF-32 text,
    or binary data, when the header row is not UTF-8, or when two delimiters are equally frequent
    in the header. OSError passes through (the caller reports it against the file).
    """
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
        whole = len(head) < _HEAD_BYTES or not file.read(1)
    _refuse_other_kinds(path, head)
    text = head.removeprefix(_UTF8_BOM)
    end = text.find(b"\n")
    line = text if end < 0 else text[:end]
    try:
        # An unfinished character at the end of a cut-off head is for later to judge.
        header, _ = codecs.utf_8_decode(line, "strict", end >= 0 or whole)
    except UnicodeDecodeError as err:
        offset = len(head) - len(text) + err.start
        raise _refuse(path, _not_utf8_message(head[offset], offset, line=1), row=1) from None
    return _delimiter(path, header)


def _refuse_other_kinds(path: Path, head: bytes) -> None:
    """BadInputError when ``head`` is the start of something other than UTF-8 text."""
    for signature in _SIGNATURES:
        if head.startswith(signature.magic):
            raise _refuse(path, _not_csv(signature))
    if head.startswith(_ZIP.magic):
        raise _refuse(path, _not_csv(_XLSX if b"xl/" in head else _ZIP))
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            raise _refuse(path, _wide_text(encoding))
    nul = head.find(b"\x00")
    if nul < 0:
        return
    if _looks_like_utf16(head[:200]):
        raise _refuse(path, _wide_text("UTF-16"))
    message = (
        f"not a CSV file: byte {nul} is a NUL byte (0x00), which text never holds, so it looks "
        f"like binary data; {_EXPORT}"
    )
    raise _refuse(path, message)


def _looks_like_utf16(sample: bytes) -> bool:
    """UTF-16 without a byte-order mark: mostly ASCII, so a NUL beside nearly every character,
    always on the same side."""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    return half > 0 and min(even, odd) == 0 and max(even, odd) >= 0.8 * half


def _not_csv(signature: _Signature) -> str:
    return f"not a CSV file: it starts like {signature.looks_like}; {signature.fix}"


def _wide_text(encoding: str) -> str:
    return (
        f"the file is {encoding} text (what Excel writes for 'Unicode Text'), not UTF-8; {_SAVE_AS}"
    )


def _delimiter(path: Path, header: str) -> str:
    """The delimiter found most often outside quotes in ``header``; refuse a tie."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    most = max(counts.values())
    if most == 0:
        return ","
    tied = [d for d in DELIMITERS if counts[d] == most]
    if len(tied) > 1:
        found = " and ".join(_DELIMITER_NAMES[d] for d in tied)
        message = (
            f"cannot tell which character separates the columns: the header row has {found}, "
            f"{most} of each; {_SAVE_AS}"
        )
        raise _refuse(path, message, row=1)
    return tied[0]


# --- the first byte that is not UTF-8 ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BadByte:
    offset: int
    line: int
    value: int
    #: Whether a U+FFFD character is written in the file before the bad byte.
    replacement_before: bool


def not_utf8(path: Path) -> Problem:
    """The problem of a CSV file polars failed to read as UTF-8: where its first bad byte is.

    Reads the file in 1 MiB blocks up to that byte (only ever on this error path), then has
    polars, reading lossily, find the row and column that hold it.
    """
    try:
        bad = _first_bad_byte(path)
    except OSError:
        bad = None
    if bad is None:  # polars says not UTF-8 but every byte is (or the file went): its word
        message = f"cannot read the file as CSV: it is not UTF-8 text; {_SAVE_AS}"
        return Problem(path, None, None, message)
    row, column = (1, None) if bad.line == 1 else _row_and_column(path, bad)
    return Problem(path, row, column, _not_utf8_message(bad.value, bad.offset, bad.line))


def _first_bad_byte(path: Path) -> _BadByte | None:
    offset, line, carry, replacement = 0, 1, b"", False
    with path.open("rb") as file:
        while block := file.read(_SCAN_BYTES):
            data = carry + block
            try:
                # final=False: a character cut by the end of the block waits for the next one
                _, used = codecs.utf_8_decode(data, "strict", False)
            except UnicodeDecodeError as err:
                line += data.count(b"\n", 0, err.start)
                replacement = replacement or _REPLACEMENT in data[: err.start]
                return _BadByte(offset + err.start, line, data[err.start], replacement)
            line += data.count(b"\n", 0, used)
            replacement = replacement or _REPLACEMENT in data[:used]
            offset += used
            carry = data[used:]
    if carry:  # the file ends inside a character
        return _BadByte(offset, line, carry[0], replacement)
    return None


def _row_and_column(path: Path, bad: _BadByte) -> tuple[int | None, str | None]:
    """The spreadsheet row and the column holding ``bad``: the first cell that polars, reading
    lossily, gives a U+FFFD, unless the file holds one of its own before the bad byte. A row can
    span lines (a quoted value with a line break), so it is never after the byte's line."""
    if bad.replacement_before:
        return None, None
    try:
        frame = pl.scan_csv(
            path,
            infer_schema=False,
            separator=sniff_csv(path),
            encoding="utf8-lossy",
            n_rows=bad.line - 1,  # the records up to the byte's line at most: a few, typically
        )
        names = frame.collect_schema().names()
        index = "row"
        while index in names:
            index = f"_{index}"
        marked = [pl.col(n).str.contains("\ufffd", literal=True).fill_null(False) for n in names]
        found = (
            frame.with_row_index(index, offset=2)
            .select(index, *marked)
            .filter(pl.any_horizontal(names))
            .head(1)
            .collect()
        )
    except (OSError, BadInputError, pl.exceptions.PolarsError):
        return None, None  # the message still gives the byte's offset and line
    if found.is_empty() or found[index][0] > bad.line:
        return None, None
    flags = found.row(0, named=True)
    return int(flags[index]), next(n for n in names if flags[n])


def _not_utf8_message(value: int, offset: int, line: int) -> str:
    where = f"byte 0x{value:02X} at offset {offset} (line {line}) is not UTF-8"
    try:
        char = bytes([value]).decode("cp1252")
    except UnicodeDecodeError:
        return f"the file is not UTF-8 text: {where}; {_SAVE_AS}"
    shown = f", in which 0x{value:02X} is {char!r}" if char.isprintable() else ""
    return (
        f"the file is not UTF-8 text: {where}; it looks like Windows-1252 (ANSI, latin-1, as "
        f"Excel's 'CSV (Comma delimited)' writes){shown}; {_SAVE_AS}"
    )
