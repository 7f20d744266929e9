"""``publish/wres.xlsx``: the annual return's tables, the disaggregated results and the notes.

Sheets: Contents (a title naming the organisation, the standard and the years, then the sheets
and the disclosure audit, each under column headings), Notes (policy, rule codes, methods, the
attacker-audit summary), one sheet per indicator laid out as the annual return presents it
(organisation total, every year; named as the standard numbers it: ``Indicator 2``,
``Metric 4a(i)``), then ``All results`` (every row of ``indicators.csv``) and ``Pooled over
years`` (``pooled.csv``) as filterable tables. Every number is a value published in those two
tables, stored as a number with a format; an empty published cell shows a marker (withheld: the
policy's marker, ``[c]`` in every shipped profile; ``[x]`` not calculable), with a comment naming
the rule on the indicator sheets (docs/outputs.md, "What a withheld cell shows").
Byte-deterministic: a fixed creation date, and xlsxwriter stamps its zip members with a fixed
date.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from wres.cli.publication.book import Book, Column, column_of
from wres.cli.publication.status import ALL, AT_RISK_WORDS, STANDARD_VARIANT, Marker, natural_key
from wres.cli.publication.tables import Published, totals
from wres.engine.rollup import BAND_CLUSTER, CLUSTERS, last_band, rolled_up_label
from wres.engine.standards import KINDS, MeasureKind, Shape

#: The most rows the All results sheet holds (Excel's limit is 1,048,576).
MAX_RESULT_ROWS = 100_000


# --- the annual return's sheets -------------------------------------------------------------


def _labels(book: Book, indicator_id: int) -> tuple[str, str]:
    """What an indicator's numerator and denominator count, in words."""
    ind = book.ctx.indicator(indicator_id)
    if ind is None:
        return "events", "at risk"
    event = ind.event_words or ("answering yes" if ind.extract == "survey" else "")
    if ind.event_at_least is not None:
        event = f"{ind.event} score {ind.event_at_least:.1f} or more"
    at_risk = AT_RISK_WORDS.get(ind.at_risk or ind.extract, ind.at_risk or ind.extract)
    return event or str(ind.event), at_risk


def _ratio_columns(book: Book, indicator_id: int, kind: MeasureKind) -> list[Column]:
    event, at_risk = _labels(book, indicator_id)
    ref = book.data.reference or "Reference"
    level = book.ctx.level_text
    columns = [
        Column("Variant", "variant", "text", 22),
        Column("Year", "year", "year", 8),
        Column("Group", "group", "text", 16),
        Column(f"Group: {at_risk}", "denominator", "int"),
        Column(f"Group: {event}", "numerator", "int"),
        Column("Group: rate", "rate", "pct", 10),
        Column(f"{ref}: {at_risk}", "reference_denominator", "int"),
        Column(f"{ref}: {event}", "reference_numerator", "int"),
        Column(f"{ref}: rate", "reference_rate", "pct", 10),
    ]
    if kind.relative_likelihood:
        columns += [
            Column("Relative likelihood", "relative_likelihood", "ratio"),
            Column(f"{level} CI low", "ci_low", "ratio", 10),
            Column(f"{level} CI high", "ci_high", "ratio", 10),
        ]
    else:
        columns.append(Column("Difference (percentage points)", "difference_pp", "pp"))
    columns += [
        Column("p-value", "p_value", "p", 10),
        Column("Adjusted p-value", "p_adjusted", "p", 10),
        Column("Significant after adjustment", "significant", "flag", 13),
    ]
    if kind.relative_likelihood:
        columns.append(Column("Non-adverse range 0.80-1.25", "non_adverse_range", "text", 12))
    columns.append(Column("Status", "status", "text", 24))
    if not book.ctx.compared(indicator_id):  # each group on its own: no reference, no test
        comparison = {"difference_pp", "p_value", "p_adjusted", "significant"}
        columns = [
            c
            for c in columns
            if not c.source.startswith("reference_") and c.source not in comparison
        ]
    return columns


def _board_columns(book: Book) -> list[Column]:
    return [
        Column("Year", "year", "year", 8),
        Column("Board membership", "board", "text", 16),
        Column("Group", "group", "text", 12),
        Column("Board members", "denominator", "int"),
        Column("Group: board members", "numerator", "int"),
        Column("Group: % of board", "rate", "pct"),
        Column("Workforce headcount", "reference_denominator", "int"),
        Column("Group: workforce", "reference_numerator", "int"),
        Column("Group: % of workforce", "reference_rate", "pct"),
        Column("Difference (percentage points)", "difference_pp", "pp"),
        Column("Status", "status", "text", 24),
    ]


def _sorted_rows(book: Book, indicator_id: int, keys: Sequence[str]) -> Iterator[dict[str, Any]]:
    rows = totals(book.data.rows(indicator_id), book.data.dims).to_dicts()

    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for k in keys:
            if k == "variant":
                parts.append((row[k] != STANDARD_VARIANT, natural_key(row[k])))
            elif k == "year":
                parts.append(-int(row[k]))
            else:
                parts.append(natural_key(row[k]))
        return tuple(parts)

    yield from sorted(rows, key=key)


Line = tuple[int, str, str]


def _share_cells(
    book: Book, indicator_id: int
) -> tuple[list[str], dict[tuple[Any, ...], dict[str, Any]], list[Line]]:
    """Indicator 1's groups; its rows by (year, staff group, band or cluster, group); its
    sheet's lines (year, staff group, band) in order: latest year first, each cluster after
    its last band, a cluster of one grade left out beside that grade's own line."""
    data = book.data
    frame = totals(data.rows(indicator_id), data.dims, keep=("staff_group", "band"))
    frame = frame.filter((pl.col("staff_group") != ALL) | (pl.col("band") == ALL))
    groups = data.groups(frame)
    cells = {(r["year"], r["staff_group"], r["band"], r["group"]): r for r in frame.to_dicts()}
    after: dict[str, str] = {}  # a cluster's line -> the band it follows
    if BAND_CLUSTER in data.dims:  # each cluster after its last band (--roll-up auto)
        keep = ("staff_group", BAND_CLUSTER)
        rolled = totals(data.rows(indicator_id), data.dims, keep=keep)
        for line in rolled.filter(pl.col(BAND_CLUSTER) != ALL).to_dicts():
            label = rolled_up_label(line[BAND_CLUSTER])
            after[label] = last_band(line[BAND_CLUSTER])
            cells[line["year"], line["staff_group"], label, line["group"]] = line

    def order(band: str) -> tuple[object, ...]:
        return (band == ALL, natural_key(after.get(band, band)), band in after)

    shown = {(y, sg, band) for (y, sg, band, _) in cells}

    def says_nothing_new(year: int, sg: str, band: str) -> bool:
        """A cluster of one grade (consultants) beside that grade's own line."""
        cluster = band.removesuffix(rolled_up_label(""))
        single = band in after and len(CLUSTERS.get(cluster, ())) == 1
        return single and (year, sg, after[band]) in shown

    shown = {k for k in shown if not says_nothing_new(*k)}
    lines = sorted(shown, key=lambda k: (-k[0], k[1] == ALL, natural_key(k[1]), *order(k[2])))
    return groups, cells, lines


def _share_sheet(book: Book, indicator_id: int, name: str) -> None:
    """Indicator 1 as the return lays it out: staff group x band rows, a column per group."""
    groups, cells, lines = _share_cells(book, indicator_id)
    n = len(groups)
    columns = [
        Column("Year", "year", "year", 8),
        Column("Staff group", "staff_group", "text", 16),
        Column("Band or grade", "band", "text", 26),
        *(Column(f"{g}: headcount", "numerator", "int", 11) for g in groups),
        Column("Total headcount", "denominator", "int", 11),
        *(Column(f"{g}: % of row", "rate", "pct", 10) for g in groups),
    ]
    sheet = book.headed_sheet(
        name,
        f"{book.ctx.indicator_name(indicator_id)}: {book.ctx.title(indicator_id)}",
        "Organisation total, latest year first: each group's headcount and its share of the "
        f"row's headcount (Unknown, {book.ctx.unknown_meaning}, included in the total).",
        columns,
        header_height=30,
        frozen_columns=3,
    )
    r = 3
    for year, staff_group, band in lines:
        r += 1
        emphasis = book.bold if band == ALL else book.text
        sheet.write_number(r, 0, year, book.number["year"])
        sheet.write_string(r, 1, "All staff" if staff_group == ALL else staff_group, emphasis)
        sheet.write_string(r, 2, "Total" if band == ALL else band, emphasis)
        present = [cells[k] for g in groups if (k := (year, staff_group, band, g)) in cells]
        for i, g in enumerate(groups):
            row = cells.get((year, staff_group, band, g))
            if row is not None:
                book.cell(sheet, r, 3 + i, row, columns[3 + i], comment=True)
        total = next((p for p in present if p["denominator"] is not None), present[0])
        book.cell(sheet, r, 3 + n, total, columns[3 + n], comment=True)
        for i, g in enumerate(groups):
            row = cells.get((year, staff_group, band, g))
            if row is not None:
                book.cell(sheet, r, 4 + n + i, row, columns[4 + n + i], comment=True)
    sheet.autofilter(3, 0, max(r, 4), len(columns) - 1)


def _indicator_sheet(book: Book, indicator_id: int, name: str) -> None:
    kind = KINDS[book.data.measure(indicator_id)]
    if kind.shape is Shape.SHARE:
        _share_sheet(book, indicator_id, name)
        return
    ind = book.ctx.indicator(indicator_id)
    direction = ""
    if ind is not None and ind.direction:
        ref = book.data.reference or "reference"
        groups = [
            g
            for g in book.data.groups(book.data.rows(indicator_id))
            if g != "Unknown" and (g != ref or not ind.compared)
        ]
        direction = ind.direction.format(reference=ref, group=" / ".join(groups) or "group")
    if kind.shape is Shape.BOARD:
        columns = _board_columns(book)
        keys: Sequence[str] = ("year", "board", "group")
        note = "Organisation total, latest year first. " + direction
    else:
        # a ratio's variants (without a flag, rolling years) are rows of its sheet
        columns = _ratio_columns(book, indicator_id, kind)
        keys = ("variant", "year", "group") if kind.relative_likelihood else ("year", "group")
        note = "Organisation total, latest year first. " + direction
        if not kind.relative_likelihood:
            columns = [c for c in columns if c.source != "variant"]
    book.table_sheet(
        name,
        f"{book.ctx.indicator_name(indicator_id)}: {book.ctx.title(indicator_id)}",
        note.strip(),
        columns,
        _sorted_rows(book, indicator_id, keys),
        comments=True,
    )


# --- contents and notes -------------------------------------------------------------------------


def _key_value_sheet(
    book: Book, name: str, title: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]
) -> None:
    sheet = book.book.add_worksheet(name)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 110)
    sheet.write_string(0, 0, title, book.title)
    r = 1
    for heading, lines in sections:
        r += 2
        sheet.write_string(r, 0, heading, book.header)
        sheet.write_string(r, 1, "", book.header)
        for label, text in lines:
            r += 1
            sheet.write_string(r, 0, label, book.bold)
            if text.isdigit():  # a setting such as suppress_if_count_at_most = 7
                sheet.write_number(r, 1, int(text), book.left)
            else:
                sheet.write_string(r, 1, text, book.wrap)


def _notes(book: Book) -> None:
    ctx = book.ctx
    codes = sorted({*book.data.rule_codes_used(), "C", "D1"}, key=lambda c: (c[0], natural_key(c)))
    markers = [
        (
            ctx.withheld_marker,
            "withheld by disclosure control; the cell's comment and the row's status name the rule",
        ),
        (str(Marker.NOT_CALCULABLE), "not calculable: the rate it would be divided by is zero"),
        ("blank", "the column does not apply to this row (e.g. no ratio for a percentage)"),
    ]
    _key_value_sheet(
        book,
        "Notes",
        f"{ctx.name}: notes",
        [
            ("Disclosure audit (attacker's check)", ctx.protection),
            ("Disclosure policy", ctx.policy_lines()),
            ("Rule codes in the status column", ctx.rule_lines(codes)),
            ("Markers", markers),
            ("Methods", ctx.methods()),
            *(
                [("Unknown ethnicity", ctx.unknown.lines())]
                if ctx.characteristic == "ethnicity" and ctx.unknown.inputs
                else []
            ),
            ("Provenance", ctx.provenance),
        ],
    )


def _contents(book: Book, sheets: Sequence[tuple[str, str]]) -> None:
    """The title (organisation, standard, years), the sheets, then the disclosure audit: two
    tables, each under its own column headings."""
    ctx, data = book.ctx, book.data
    sheet = book.book.add_worksheet("Contents")
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 110)
    sheet.write_string(0, 0, ctx.heading(data.years), book.title)
    sheet.write_string(
        1,
        0,
        "Written by wres from the run's published tables (indicators.csv, pooled.csv): every "
        "figure here is published there.",
        book.subtitle,
    )
    sheet.write_string(3, 0, "Sheet", book.header)
    sheet.write_string(3, 1, "What it holds", book.header)
    r = 3
    for name, what in sheets:
        r += 1
        sheet.write_url(r, 0, f"internal:'{name}'!A1", book.link, string=name)
        sheet.write_string(r, 1, what, book.text)
    r += 2
    sheet.write_string(r, 0, "Disclosure audit", book.header)
    sheet.write_string(r, 1, "Result", book.header)
    fmt = book.wrap if ctx.protection_applied else book.warning
    for label, text in ctx.protection:
        r += 1
        sheet.write_string(r, 0, label, book.bold)
        if text.isdigit():  # a count of cells
            sheet.write_number(r, 1, int(text), book.left)
        else:
            sheet.write_string(r, 1, text, fmt)
    sheet.freeze_panes(4, 0)


def _results(data: Published, at_most: int) -> tuple[pl.DataFrame, str]:
    """The rows of the All results sheet and a note when they are not all of them.

    Beyond ``at_most`` rows (``MAX_RESULT_ROWS`` by default: a national lattice can publish
    millions of rows, which Excel cannot hold and xlsxwriter takes minutes to write) the sheet
    keeps the rows with the fewest cut dimensions that fit; every row stays in indicators.csv
    and indicators.parquet.
    """
    frame = data.indicators
    if frame.height <= at_most:
        return frame, ""
    dims = data.dims
    depth = pl.sum_horizontal([(pl.col(c) != ALL).cast(pl.Int32) for c in dims])
    sizes = frame.group_by(depth.alias("depth")).len().sort("depth")
    kept_depth, total = -1, 0
    for d, n in sizes.iter_rows():
        if total + n > at_most:
            break
        kept_depth, total = d, total + n
    if kept_depth < 0:
        kept = frame.head(at_most)
        return kept, f"The first {kept.height:,} of {frame.height:,} rows."
    kept = frame.filter(depth <= kept_depth)
    return kept, (
        f"The {kept.height:,} rows with at most {kept_depth} cut dimensions, of {frame.height:,}; "
        "every row is in indicators.csv and indicators.parquet."
    )


def write_workbook(path: Path, data: Published, *, max_result_rows: int = MAX_RESULT_ROWS) -> Path:
    """Write ``path`` (``publish/wres.xlsx``) from the published tables."""
    book = Book(path, data)
    ids = data.indicator_ids()
    results, shortened = _results(data, max_result_rows)
    sheets: list[tuple[str, str]] = [
        ("Notes", "disclosure audit, policy, rule codes, markers, methods and provenance")
    ]
    sheets += [(book.ctx.indicator_name(i), book.ctx.title(i)) for i in ids]
    sheets.append(
        (
            "All results",
            " ".join(
                (
                    "every published row (indicators.csv): all years, cuts and groups, with "
                    "intervals, p-values and flags; use the filters.",
                    shortened,
                )
            ).strip(),
        )
    )
    if data.pooled.height:
        sheets.append(
            (
                "Pooled over years",
                "Mantel-Haenszel relative likelihood pooled over the years, "
                "homogeneity and trend, per comparison and cut (pooled.csv)",
            )
        )
    if data.funnel.height:
        sheets.append(
            (
                "Funnel",
                "each organisation's figure against the whole run's, with 95% and 99.8% limits"
                " plain and inflated for over-dispersion, and flags (funnel.csv)",
            )
        )
    _contents(book, sheets)
    _notes(book)
    for i in ids:
        _indicator_sheet(book, i, book.ctx.indicator_name(i))
    columns = [column_of(c) for c in data.indicators.columns]
    book.table_sheet(
        "All results",
        "All results",
        " ".join(
            (
                f"Every published row. {book.ctx.withheld_marker} withheld (the status column "
                "names the rule), [x] not calculable; blank: does not apply.",
                shortened,
            )
        ).strip(),
        columns,
        results.iter_rows(named=True),
        comments=False,
    )
    _tables_after_results(book, data)
    book.book.close()
    return path


def _tables_after_results(book: Book, data: Published) -> None:
    """The sheets of whole published tables after ``All results``: pooled and funnel."""
    if data.pooled.height:
        pooled = data.pooled
        book.table_sheet(
            "Pooled over years",
            "Pooled over years",
            "Only years whose counts are all published enter a pooled figure.",
            [column_of(c) for c in pooled.columns],
            pooled.iter_rows(named=True),
            comments=False,
        )
    if data.funnel.height:
        book.table_sheet(
            "Funnel",
            "Funnel",
            "Organisations whose figure is withheld are listed, not plotted (status).",
            [column_of(c) for c in data.funnel.columns],
            data.funnel.iter_rows(named=True),
            comments=False,
        )
