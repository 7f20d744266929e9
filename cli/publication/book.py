"""The workbook's cells as :mod:`wres.cli.publication.workbook` writes them: its formats, the
kind of each column (count, rate, ratio, p-value, text) and a thin layer over xlsxwriter that
writes a published value as a number with a format, or a marker with its comment.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from wres.cli.publication.status import Marker, marker_for
from wres.cli.publication.tables import Published

#: The creation date written into the file's properties, so the same run gives the same bytes.
FIXED_CREATED = datetime(2000, 1, 1, tzinfo=UTC)
NHS_BLUE = "#005EB8"

#: How each kind of column is shown: Excel number format (None for text) and width.
_FORMATS: Mapping[str, str] = {
    "int": "#,##0",
    "year": "0",
    "pct": "0.0%",
    "ratio": "0.00",
    "ratio3": "0.000",
    "p": "[<0.001]0.00E+00;0.000",
    "pp": "+0.0;-0.0;0.0",
    "float": "0.000",
    "float4": "0.0000",
}
_KIND_OF_COLUMN: Mapping[str, str] = {
    "indicator": "int",
    "year": "year",
    "numerator": "int",
    "denominator": "int",
    "reference_numerator": "int",
    "reference_denominator": "int",
    "rate": "pct",
    "reference_rate": "pct",
    "difference_pp": "pp",
    "relative_likelihood": "ratio",
    "ci_low": "ratio",
    "ci_high": "ratio",
    "p_value": "p",
    "p_adjusted": "p",
    "significant": "flag",
    "first_year": "year",
    "last_year": "year",
    "years_used": "int",
    "years_withheld": "int",
    "pooled_relative_likelihood": "ratio",
    "heterogeneity_q": "float",
    # the funnel table (wres.engine.funnels)
    **dict.fromkeys(
        (
            "value",
            "target",
            "standard_error",
            "precision",
            "z",
            "z_adjusted",
            "phi",
            "tau2",
            *(f"{side}_{level}" for side in ("lower", "upper") for level in ("95", "998")),
            *(f"adjusted_{s}_{lv}" for s in ("lower", "upper") for lv in ("95", "998")),
        ),
        "float",
    ),
    "organisations": "int",
    "heterogeneity_df": "int",
    "heterogeneity_p": "p",
    "trend_ratio_per_year": "ratio3",
    "trend_slope": "float4",
    "trend_se": "float4",
    "trend_p": "p",
    "trend_p_adjusted": "p",
}


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    source: str
    kind: str = "text"
    width: float = 12


class Book:
    """One workbook being written, with its formats."""

    def __init__(self, path: Path, data: Published) -> None:
        self.data = data
        self.ctx = data.context
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": False,
                # data strings are text, never formulas or links (a site named "=cmd" stays text)
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.book.set_properties(
            {
                "title": f"{self.ctx.heading(data.years)}: indicators",
                "subject": "Safe-to-publish tables written by wres",
                "author": "wres",
                "company": "",
                "created": FIXED_CREATED,
            }
        )
        add = self.book.add_format
        self.title = add({"bold": True, "font_size": 14, "font_color": NHS_BLUE})
        self.subtitle = add({"italic": True, "font_color": "#425563", "text_wrap": False})
        self.header = add(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": NHS_BLUE,
                "text_wrap": True,
                "valign": "top",
                "border": 1,
                "border_color": "#D8DDE0",
            }
        )
        self.text = add({"valign": "top"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.bold = add({"bold": True, "valign": "top"})
        self.left = add({"align": "left", "valign": "top"})
        self.warning = add({"bold": True, "font_color": "#D5281B", "text_wrap": True})
        self.link = add({"font_color": NHS_BLUE, "underline": 1})
        self.marker = add({"font_color": "#768692", "align": "right", "italic": True})
        self.number = {kind: add({"num_format": fmt}) for kind, fmt in _FORMATS.items()}

    # --- cells --------------------------------------------------------------------------------

    def cell(
        self,
        sheet: Worksheet,
        r: int,
        c: int,
        row: Mapping[str, Any],
        column: Column,
        *,
        comment: bool,
    ) -> None:
        value = row.get(column.source)
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if value is None:
            marker = marker_for(row, column.source)
            if marker is not None:
                self.write_marker(sheet, r, c, marker, row.get("status"), comment=comment)
            return
        if column.kind == "text":
            sheet.write_string(r, c, str(value), self.text)
        elif column.kind == "flag":
            sheet.write_string(r, c, "yes" if value else "no", self.text)
        else:
            sheet.write_number(r, c, value, self.number[column.kind])

    def write_marker(
        self, sheet: Worksheet, r: int, c: int, marker: Marker, status: object, *, comment: bool
    ) -> None:
        text = self.ctx.withheld_marker if marker is Marker.WITHHELD else str(marker)
        sheet.write_string(r, c, text, self.marker)
        if not comment:
            return
        if marker is Marker.WITHHELD:
            note = self.ctx.reason(None if status is None else str(status))
        else:
            note = "Not calculable: the rate it would be divided by is zero."
        sheet.write_comment(r, c, note, {"author": "wres", "x_scale": 2.2, "y_scale": 1.6})

    def headed_sheet(
        self,
        name: str,
        title: str,
        subtitle: str,
        columns: Sequence[Column],
        *,
        header_height: int = 45,
        frozen_columns: int = 0,
    ) -> Worksheet:
        """A sheet with its title, subtitle and column headings in row 4, frozen below them."""
        sheet = self.book.add_worksheet(name)
        sheet.write_string(0, 0, title, self.title)
        sheet.write_string(1, 0, subtitle, self.subtitle)
        for c, column in enumerate(columns):
            sheet.set_column(c, c, column.width)
        for c, column in enumerate(columns):
            sheet.write_string(3, c, column.header, self.header)
        sheet.set_row(3, header_height)
        sheet.freeze_panes(4, frozen_columns)
        return sheet

    def table_sheet(
        self,
        name: str,
        title: str,
        subtitle: str,
        columns: Sequence[Column],
        rows: Iterator[Mapping[str, Any]],
        *,
        comments: bool,
    ) -> int:
        """A titled, filterable table with a frozen header; returns the number of data rows."""
        sheet = self.headed_sheet(name, title, subtitle, columns)
        r = 3
        for row in rows:
            r += 1
            for c, column in enumerate(columns):
                self.cell(sheet, r, c, row, column, comment=comments)
        sheet.autofilter(3, 0, max(r, 4), len(columns) - 1)
        return r - 3


def column_of(name: str) -> Column:
    kind = _KIND_OF_COLUMN.get(name, "text")
    width = {"text": 14, "flag": 11, "year": 8}.get(kind, 12)
    if name in ("status", "direction", "ci_method", "trend_method"):
        width = 24 if name == "status" else 40
    return Column(name, name, kind, width)
