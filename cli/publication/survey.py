"""The report's survey and board sections (indicators 5-8 and 9 of the WRES, metrics 4-9 and 10
of the WDES).

The survey indicators are shown together: each group's percentage for the latest year on one
axis, then each indicator over the years. The board indicator shows the percentage-point gap
between the board and the workforce for each kind of membership.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from wres.cli.publication import charts
from wres.cli.publication.charts import DotRow, Estimate, Series
from wres.cli.publication.markup import Page, esc, figure, finite, table
from wres.cli.publication.readings import (
    board_reading,
    classes_for,
    direction,
    percentage_reading,
)
from wres.cli.publication.status import UNKNOWN, natural_key
from wres.cli.publication.tables import Published, totals

Row = Mapping[str, Any]


def _compared(data: Published, frame: pl.DataFrame) -> list[str]:
    return [g for g in data.groups(frame) if g not in (UNKNOWN, data.reference)]


# --- indicators 5-8 -----------------------------------------------------------------------------


def _lede(page: Page, ids: Sequence[int]) -> str:
    ctx = page.ctx
    text = f"{ctx.names(ids)}: the percentage of respondents answering yes, by {ctx.by_group}."
    alone = [ctx.indicator_name(i) for i in ids if not ctx.compared(i)]
    if alone:
        who = ctx.standard.focal if ctx.standard is not None else "one group of"
        text += (
            f" {' and '.join(alone)} {'is' if len(alone) == 1 else 'are'} asked of {who} "
            "staff only, so compared with no other group."
        )
    return text


def survey_section(page: Page, data: Published, ids: Sequence[int]) -> str:
    latest = data.years[-1]
    ref = data.reference
    frames = {i: totals(data.rows(i), data.dims) for i in ids}
    groups = sorted({g for f in frames.values() for g in _compared(data, f)}, key=natural_key)
    shown = [ref, *groups]
    classes = classes_for(shown, ref)
    ctx = page.ctx
    titles = "".join(
        f"<li><strong>{esc(ctx.indicator_name(i))}</strong>: {esc(ctx.title(i))}</li>" for i in ids
    )
    parts = [
        '<section id="survey"><h2>Staff survey</h2>',
        f'<p class="lede">{esc(_lede(page, ids))}</p>',
        f"<ul class=titles>{titles}</ul>",
    ]
    dot_rows: list[DotRow] = []
    readings: list[str] = []
    body: list[tuple[str, ...]] = []
    for i in ids:
        latest_rows = {r["group"]: r for r in frames[i].filter(pl.col("year") == latest).to_dicts()}
        dot_row, mine, rows = _latest_of(page, i, latest_rows, ref=ref, groups=groups)
        dot_rows.append(dot_row)
        readings += mine
        body += rows
    svg = charts.dot_rows(
        dot_rows,
        shown,
        classes,
        ident=page.chart_id(),
        title=f"Staff survey {ctx.noun.lower()}s by {ctx.by_group}, {latest}",
        desc="Percentage answering yes for each group, one row per indicator.",
    )
    head = (ctx.noun, *(f"{g} %" for g in shown), "Difference (points)", "Adjusted p")
    parts.append(f"<h3>{latest}</h3><ul class=readings>{''.join(readings)}</ul>")
    parts.append(
        figure(
            svg,
            f"Percentage of respondents answering yes, {latest}.",
            table(head, body, numeric=(False, *([True] * (len(shown) + 2)))),
        )
    )
    parts.append("<h3>Over the years</h3>")
    parts.extend(_survey_trend(page, data, i, frames[i], (shown, classes)) for i in ids)
    parts.append("</section>")
    return "".join(parts)


def _latest_of(
    page: Page,
    i: int,
    latest_rows: dict[Any, dict[str, Any]],
    *,
    ref: str,
    groups: Sequence[str],
) -> tuple[DotRow, list[str], list[tuple[str, ...]]]:
    """One survey indicator in the latest year: its row of the dot chart (the reference first),
    a reading per compared group, and its rows of the table beside the chart."""
    ctx = page.ctx
    shown = [ref, *groups]
    values: list[float | None] = []
    gaps: list[str | None] = []
    cells: list[str] = []
    compared = ctx.compared(i)
    ref_source = next((latest_rows[g] for g in groups if g in latest_rows), None)
    if not compared:  # each group on its own: the reference's own row, if it has one
        ref_source = latest_rows.get(ref)
    for g in shown:
        row = ref_source if g == ref else latest_rows.get(g)
        column = "reference_rate" if g == ref and compared else "rate"
        value = None if row is None else finite(row.get(column))
        values.append(value)
        if g == ref and not compared:
            gaps.append(None if value is not None else "not asked")
        else:
            gaps.append(
                None if value is not None or row is None else ctx.short_reason(row.get("status"))
            )
        cells.append("" if row is None else page.value(row, column, "pct"))
    readings: list[str] = []
    body: list[tuple[str, ...]] = []
    for g in groups:
        row = latest_rows.get(g)
        if row is not None:
            reading = esc(percentage_reading(page, i, row))
            readings.append(f"<li><strong>{esc(ctx.indicator_name(i))}.</strong> {reading}</li>")
            body.append(
                (
                    esc(ctx.indicator_name(i)),
                    *cells,
                    page.value(row, "difference_pp", "pp") if compared else "",
                    page.value(row, "p_adjusted", "p") if compared else "",
                )
            )
    return DotRow(ctx.indicator_name(i), values, gaps), readings, body


def _survey_trend(
    page: Page,
    data: Published,
    indicator_id: int,
    frame: pl.DataFrame,
    legend: tuple[Sequence[str], Sequence[str]],
) -> str:
    shown, classes = legend
    ref = data.reference
    by_year: dict[int, dict[str, Row]] = {}
    for r in frame.to_dicts():
        by_year.setdefault(int(r["year"]), {})[str(r["group"])] = r
    series = []
    compared = page.ctx.compared(indicator_id)
    for g, cls in zip(shown, classes, strict=True):
        if g == ref and not compared and not any(ref in found for found in by_year.values()):
            continue  # asked of the other groups only: no line for the reference group
        pts: dict[int, Estimate] = {}
        for y, found in by_year.items():
            row = (
                next((found[k] for k in found if k not in (UNKNOWN, ref)), None)
                if g == ref and compared
                else found.get(g)
            )
            if row is None:
                continue
            value = finite(row.get("reference_rate" if g == ref and compared else "rate"))
            pts[y] = Estimate(
                str(y),
                value,
                gap=None if value is not None else page.ctx.short_reason(row.get("status")),
            )
        series.append(Series(g, cls, pts))
    svg = charts.over_years(
        series,
        data.years,
        ident=page.chart_id(),
        title=f"{page.ctx.indicator_name(indicator_id)} by year and {page.ctx.by_group}",
        desc="Percentage answering yes each year, one line per group; gaps mark withheld years.",
        axis_label="% answering yes",
        ratio=False,
        height=250,
    )
    heading = f"{page.ctx.indicator_name(indicator_id)}: {page.ctx.title(indicator_id)}"
    return f"<h4>{esc(heading)}</h4>" + figure(
        svg, "Percentage answering yes each year; gaps mark withheld years."
    )


# --- indicator 9 --------------------------------------------------------------------------------


def board_section(page: Page, data: Published, indicator_id: int) -> str:
    frame = totals(data.rows(indicator_id), data.dims)
    latest = data.years[-1]
    groups = _compared(data, frame)
    ref = data.reference
    ind = page.ctx.indicator(indicator_id)
    order = list(ind.members) if ind is not None else []
    rows = sorted(
        frame.to_dicts(),
        key=lambda r: (
            -int(r["year"]),
            order.index(r["board"]) if r["board"] in order else 99,
            natural_key(r["group"]),
        ),
    )
    items, readings = _board_latest(page, rows, latest, several=len(groups) > 1)
    svg = charts.gap_bars(
        items,
        ident=page.chart_id(),
        title=f"Board compared with the workforce, {latest}",
        desc="Group share of board members minus its share of the workforce, in percentage points.",
        axis_label="Percentage points (board minus workforce)",
    )
    return "".join(
        [
            f'<section id="indicator-{indicator_id}"><h2>Board representation</h2>'
            f'<p class="lede">{esc(page.ctx.indicator_name(indicator_id))}: '
            f"{esc(page.ctx.title(indicator_id))}</p>",
            f'<p class="direction">{esc(direction(page, indicator_id, ref, groups))}</p>',
            f"<h3>{latest}</h3><ul class=readings>{''.join(readings)}</ul>",
            figure(
                svg,
                f"Board membership compared with the overall workforce, {latest}; every "
                "year is in the table.",
                _board_table(page, rows),
            ),
            "</section>",
        ]
    )


def _board_latest(
    page: Page, rows: Sequence[Mapping[str, Any]], latest: int, *, several: bool
) -> tuple[list[Estimate], list[str]]:
    """The latest year's gap per board membership (and group, when ``several``) for the chart,
    and its readings."""
    items = []
    readings = []
    for r in rows:
        if r["year"] != latest or r["group"] == UNKNOWN:
            continue
        label = f"{str(r['board']).capitalize()} members" + (
            "" if not several else f" / {r['group']}"
        )
        value = finite(r.get("difference_pp"))
        items.append(
            Estimate(
                label,
                value,
                gap=None if value is not None else page.ctx.short_reason(r.get("status")),
            )
        )
        readings.append(f"<li>{esc(board_reading(page, r))}</li>")
    return items, readings


def _board_table(page: Page, rows: Sequence[Mapping[str, Any]]) -> str:
    """Every year's board figures beside the chart."""
    head = (
        "Year",
        "Board membership",
        "Group",
        "% of board",
        "% of workforce",
        "Difference (points)",
    )
    body = [
        (
            str(r["year"]),
            esc(r["board"]),
            esc(r["group"]),
            page.value(r, "rate", "pct"),
            page.value(r, "reference_rate", "pct"),
            page.value(r, "difference_pp", "pp"),
        )
        for r in rows
        if r["group"] != UNKNOWN
    ]
    return table(head, body, numeric=(False, False, False, True, True, True))
