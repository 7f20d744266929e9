"""HTML pieces of the report: escaping, number formats, gaps with reasons, tables, figures.

Every string that comes from the data or the manifest passes through :func:`esc` before it
reaches the page. Numbers are formatted from published values only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from wres.cli.publication.context import Context
from wres.cli.publication.status import is_withheld


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def ratio(value: float) -> str:
    return f"{value:.2f}"


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def points(value: float) -> str:
    return f"{value:+.1f}".replace("-", "\u2212")


def p_text(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_phrase(value: float, name: str = "p") -> str:
    """``p = 0.052`` or ``p < 0.001``."""
    return f"{name} < 0.001" if value < 0.001 else f"{name} = {value:.3f}"


def count(value: int) -> str:
    return f"{value:,}"


def finite(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


@dataclass
class Page:
    """What the sections share: the context and a counter for unique chart ids."""

    ctx: Context
    charts: int = 0

    def chart_id(self) -> str:
        self.charts += 1
        return f"chart{self.charts}"

    def gap(self, status: object) -> str:
        """A missing value as shown in a table: the short reason, the full one on hover."""
        text = None if status is None else str(status)
        short = self.ctx.short_reason(text)
        full = (
            self.ctx.reason(text)
            if is_withheld(text)
            else ("Not calculable: the rate it would be divided by is zero.")
        )
        return f'<span class="gap" title="{esc(full)}">{esc(short)}</span>'

    def value(self, row: Mapping[str, Any], column: str, kind: str) -> str:
        """A table cell's content: the formatted value, or a gap with its reason."""
        raw = row.get(column)
        number = finite(raw)
        if raw is None or (number is None and kind != "text"):
            return self.gap(row.get("status"))
        formats = {"ratio": ratio, "pct": percent, "pp": points, "p": p_text}
        if kind == "int":
            return esc(count(int(raw)))
        if kind in formats and number is not None:
            return esc(formats[kind](number))
        return esc(raw)


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[bool] = ()
) -> str:
    """An HTML table; cells are already escaped markup."""
    numeric = list(numeric) or [False] * len(headers)
    head = "".join(
        f'<th scope="col"{" class=num" if n else ""}>{esc(h)}</th>'
        for h, n in zip(headers, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if n else ''}>{cell}</td>"
            for cell, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def figure(svg: str, caption: str, data_table: str = "") -> str:
    """A chart with its caption and, folded beneath it, the same figures as a table."""
    details = (
        f'<details class="data"><summary>The figures as a table</summary>{data_table}</details>'
        if data_table
        else ""
    )
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption>{details}</figure>"


def definition_list(lines: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in lines)
    return f"<dl>{items}</dl>"
