"""The report's ratio sections (indicators 2-4 of the WRES, metrics 2-3 of the WDES): the latest
year in words, the ratio over the years with the pooled figure and trend, and forest plots
across the cuts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from wres.cli.publication import charts
from wres.cli.publication.charts import Series
from wres.cli.publication.markup import Page, esc, figure, table
from wres.cli.publication.readings import (
    direction,
    estimate,
    estimate_cell,
    estimates_table,
    forest_rows,
    pooled_estimate,
    pooled_reading,
    ratio_reading,
    short_title,
    variant_name,
)
from wres.cli.publication.status import STANDARD_VARIANT, UNKNOWN, natural_key
from wres.cli.publication.tables import Published, totals, with_cut

Row = Mapping[str, Any]
Key = tuple[str, int, str]


def _pooled_dims(data: Published) -> list[str]:
    return [d for d in data.dims if d in data.pooled.columns]


def _pooled_rows(data: Published, indicator_id: int) -> pl.DataFrame:
    pooled = data.pooled
    if pooled.height == 0 or "indicator" not in pooled.columns:
        return pooled.clear()
    return pooled.filter(pl.col("indicator") == indicator_id)


def _compared(data: Published, frame: pl.DataFrame) -> list[str]:
    return [g for g in data.groups(frame) if g not in (UNKNOWN, data.reference)]


def ratio_section(page: Page, data: Published, indicator_id: int) -> str:
    total = totals(data.rows(indicator_id), data.dims)
    latest = data.years[-1]
    groups = _compared(data, total)
    variants = sorted(
        {str(v) for v in total["variant"].to_list()},
        key=lambda v: (v != STANDARD_VARIANT, natural_key(v)),
    )
    pooled = _pooled_rows(data, indicator_id)
    pooled_total = totals(pooled, _pooled_dims(data)).to_dicts() if pooled.height else []
    by_key: dict[Key, Row] = {(r["variant"], r["year"], r["group"]): r for r in total.to_dicts()}
    text = direction(page, indicator_id, data.reference, groups)
    parts = [
        f'<section id="indicator-{indicator_id}"><h2>{esc(short_title(page, indicator_id))}</h2>'
        f'<p class="lede">{esc(page.ctx.indicator_name(indicator_id))}: '
        f"{esc(page.ctx.title(indicator_id))}</p>",
        f'<p class="direction">{esc(text)}</p>' if text else "",
    ]
    readings = [
        "<li>"
        + esc(("" if v == STANDARD_VARIANT else f"{variant_name(v)}: ") + ratio_reading(page, row))
        + "</li>"
        for g in groups
        for v in variants
        if (row := by_key.get((v, latest, g))) is not None
    ]
    parts.append(f"<h3>{latest}</h3><ul class=readings>{''.join(readings)}</ul>")
    parts.append("<h3>Over the years</h3>")
    for g in groups:
        mine = sorted(
            (p for p in pooled_total if p["group"] == g),
            key=lambda p: (p["variant"] != STANDARD_VARIANT, natural_key(p["variant"])),
        )
        parts.append(
            _trend(page, data, indicator_id, group=g, variants=variants, by_key=by_key, pooled=mine)
        )
    parts.append(_cut_forests(page, data, indicator_id, pooled, latest))
    parts.append("</section>")
    return "".join(parts)


def _trend(
    page: Page,
    data: Published,
    indicator_id: int,
    *,
    group: str,
    variants: Sequence[str],
    by_key: Mapping[Key, Row],
    pooled: Sequence[Row],
) -> str:
    series = []
    for k, v in enumerate(variants):
        yearly = {
            y: estimate(page, by_key[(v, y, group)], str(y))
            for y in data.years
            if (v, y, group) in by_key
        }
        match = [p for p in pooled if p["variant"] == v]
        overall = pooled_estimate(page, match[0], "pooled") if match else None
        series.append(Series(variant_name(v), f"s{k}", yearly, overall))
    span = f"{data.years[0]}-{data.years[-1]}"
    svg = charts.over_years(
        series,
        data.years,
        ident=page.chart_id(),
        title=f"{page.ctx.indicator_name(indicator_id)}, {group} compared with "
        f"{data.reference}, by year",
        desc="Relative likelihood each year with its interval, on a log scale, against 1.00 and "
        "the non-adverse range; gaps mark withheld years.",
        axis_label="Relative likelihood",
        pooled_label=span,
    )
    head = ("Year", *(variant_name(v) for v in variants))
    body = [
        (str(y), *(estimate_cell(page, by_key.get((v, y, group))) for v in variants))
        for y in data.years
    ]
    label = "" if len(series) == 1 else " of each variant"
    caption = (
        f"Relative likelihood by year{label}, {group} compared with {data.reference}, "
        f"organisation total, with {page.ctx.level_text} intervals. Filled points are "
        "significant after adjustment; a diamond is the Mantel-Haenszel figure pooled over "
        "the years; 'withheld' marks a year whose figure is withheld."
    )
    notes = "".join(
        f"<li>{esc(variant_name(str(p['variant'])) + ': ' + pooled_reading(page, p))}</li>"
        for p in pooled
    )
    return figure(svg, caption, table(head, body)) + (
        f"<ul class=readings>{notes}</ul>" if notes else ""
    )


def _cut_forests(
    page: Page, data: Published, indicator_id: int, pooled: pl.DataFrame, latest: int
) -> str:
    rows = data.rows(indicator_id).filter(
        (pl.col("year") == latest)
        & (pl.col("variant") == STANDARD_VARIANT)
        & (pl.col("group") != UNKNOWN)
    )
    latest_rows = with_cut(rows, data.dims).to_dicts()
    cuts = sorted(
        {str(r["cut"]) for r in latest_rows if r["cut"]},
        key=lambda c: (c.count(" x "), natural_key(c)),
    )
    if not cuts:
        return ""
    groups = sorted({str(r["group"]) for r in latest_rows}, key=natural_key)
    several = len(groups) > 1
    pooled_cut = with_cut(pooled, _pooled_dims(data)).to_dicts() if pooled.height else []

    def label(r: Row) -> str:
        return f"{r['cell']} / {r['group']}" if several else str(r["cell"])

    head = [
        estimate(
            page, t, "Organisation total" + (f" / {t['group']}" if several else ""), strong=True
        )
        for t in latest_rows
        if not t["cut"]
    ]
    parts = [f"<h3>Where: {latest}, by {' and by '.join(c.lower() for c in cuts)}</h3>"]
    for cut in cuts:
        items, every = forest_rows(page, [r for r in latest_rows if r["cut"] == cut], label)
        svg = charts.forest(
            [*head, *items],
            ident=page.chart_id(),
            title=f"{page.ctx.indicator_name(indicator_id)} by {cut.lower()}, {latest}",
            desc=f"Relative likelihood with its interval for each {cut.lower()}, sorted from the "
            "largest; withheld cells are listed at the foot with the rule.",
            axis_label="Relative likelihood (log scale)",
        )
        note = " The table lists every cell." if len(items) != len(every) else ""
        caption = (
            f"By {cut.lower()}, {latest}, sorted from the largest. Filled points and * are "
            f"significant after adjustment for multiple comparisons.{note}"
        )
        parts.append(figure(svg, caption, estimates_table(page, [*head, *every], cut)))
        mine = [
            r
            for r in pooled_cut
            if r["cut"] == cut and r["variant"] == STANDARD_VARIANT and r["group"] != UNKNOWN
        ]
        if mine:
            parts.append(_pooled_forest(page, indicator_id, cut, mine, label))
    return "".join(parts)


def _pooled_forest(
    page: Page, indicator_id: int, cut: str, rows: Sequence[Row], label: Callable[[Row], str]
) -> str:
    items, every = forest_rows(page, rows, label, value="pooled_relative_likelihood")
    svg = charts.forest(
        items,
        ident=page.chart_id(),
        title=f"{page.ctx.indicator_name(indicator_id)} by {cut.lower()}, pooled over the years",
        desc="Mantel-Haenszel relative likelihood pooled over the years, with its interval, for "
        "each cell of the cut.",
        axis_label="Pooled relative likelihood (log scale)",
        significance=False,
    )
    caption = (
        "Mantel-Haenszel figures pooled over every year whose counts are published; the "
        "intervals are not adjusted for multiplicity."
    )
    return (
        f"<details class=more><summary>{esc(cut)}: pooled over the years</summary>"
        + figure(svg, caption, estimates_table(page, every, cut))
        + "</details>"
    )
