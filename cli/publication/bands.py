"""The report's band-representation section (indicator 1 of the WRES, metric 1 of the WDES).

Each band's headcount split between groups for the latest year, grouped by staff group as the
annual return lists them, then the whole workforce year by year. A band with a withheld share
is drawn as an outline with the published shares in words: a bar would show the withheld
remainder by its length. In a pack with band clusters (``--roll-up auto``), a cluster with a
band whose share is withheld gets a line of its own after its bands ("rolled up"), and the
clusters of the whole workforce are tabulated year by year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from wres.cli.publication import charts
from wres.cli.publication.charts import ShareRow
from wres.cli.publication.markup import Page, esc, figure, finite, percent, table
from wres.cli.publication.readings import (
    classes_for,
    direction,
    workforce_reading,
)
from wres.cli.publication.status import ALL, UNKNOWN, natural_key, rule_codes
from wres.cli.publication.tables import Published, totals
from wres.engine.rollup import BAND_CLUSTER, cluster_of, rolled_up_label

Row = Mapping[str, Any]


def _heading(page: Page, indicator_id: int, name: str) -> str:
    title = page.ctx.title(indicator_id)
    return (
        f'<section id="indicator-{indicator_id}"><h2>{esc(name)}</h2>'
        f'<p class="lede">{esc(page.ctx.indicator_name(indicator_id))}: {esc(title)}</p>'
    )


def _direction_html(page: Page, data: Published, indicator_id: int, groups: Sequence[str]) -> str:
    text = direction(page, indicator_id, data.reference, groups)
    return f'<p class="direction">{esc(text)}</p>' if text else ""


def _compared(data: Published, frame: pl.DataFrame) -> list[str]:
    return [g for g in data.groups(frame) if g not in (UNKNOWN, data.reference)]


# --- indicator 1 --------------------------------------------------------------------------------


def _share_row(label: str, cells: Sequence[Row | None], *, strong: bool = False) -> ShareRow:
    shares = [None if c is None else finite(c.get("rate")) for c in cells]
    missing = [c for c in cells if c is None or finite(c.get("rate")) is None]
    if not missing:
        return ShareRow(label, shares, strong=strong)
    codes = sorted({x for c in missing if c is not None for x in rule_codes(c.get("status"))})
    names = ", ".join(str(c["group"]) for c in missing if c is not None)
    reason = f"{names} withheld ({', '.join(codes)})" if codes else "not available"
    # the published shares as text: a bar would show the withheld remainder by its length
    known = [
        f"{c['group']} {percent(v)}"
        for c, v in zip(cells, shares, strict=True)
        if c is not None and v is not None
    ]
    if known:
        reason = ", ".join(known) + "; " + reason
    return ShareRow(label, shares, gap=reason, strong=strong)


def share_section(page: Page, data: Published, indicator_id: int) -> str:
    rows = data.rows(indicator_id)
    keep = [c for c in ("staff_group", "band") if c in data.dims]
    frame = totals(rows, data.dims, keep=keep)
    latest = data.years[-1]
    groups = data.groups(frame)
    classes = classes_for(groups, data.reference)
    cells = {
        (r["year"], r.get("staff_group", ALL), r.get("band", ALL), r["group"]): r
        for r in frame.to_dicts()
    }
    clustered = BAND_CLUSTER in data.dims
    clusters: dict[tuple[int, str, str, str], Row] = {}
    if clustered:
        at = totals(
            rows, data.dims, keep=[c for c in ("staff_group", BAND_CLUSTER) if c in data.dims]
        )
        clusters = {
            (r["year"], r.get("staff_group", ALL), r[BAND_CLUSTER], r["group"]): r
            for r in at.filter(pl.col(BAND_CLUSTER) != ALL).to_dicts()
        }

    def line(year: int, sg: str, band: str, label: str, *, strong: bool = False) -> ShareRow:
        return _share_row(label, [cells.get((year, sg, band, g)) for g in groups], strong=strong)

    bars, body = _latest_bands(page, cells, clusters, groups, latest)
    bars.append(line(latest, ALL, ALL, "All staff", strong=True))
    body.append(
        _share_cells(page, "All staff", "Total", [cells.get((latest, ALL, ALL, g)) for g in groups])
    )
    headers = ("Staff group", "Band or grade", *(f"{g} %" for g in groups), "Headcount")
    numeric = (False, False, *([True] * len(groups)), True)
    ident = page.chart_id()
    svg = charts.stacked_shares(
        bars,
        groups,
        classes,
        ident=ident,
        title=f"Staff by band and {page.ctx.by_group}, {latest}",
        desc=f"Each bar splits a band's headcount between {page.ctx.group_plural}; bars with a "
        "withheld share are drawn as an outline with the reason.",
    )
    over_years = _over_years(page, data.years, cells, groups, classes)
    total_row = [cells.get((latest, ALL, ALL, g)) for g in groups]
    parts = [
        _heading(page, indicator_id, "Workforce by band"),
        f"<p class=reading>{esc(workforce_reading(page, latest, groups, total_row))}</p>",
        figure(
            svg,
            f"Share of each band's headcount by {page.ctx.by_group}, {latest} (organisation "
            f"total). Unknown {page.ctx.characteristic} is counted in every band's total.",
            table(headers, body, numeric=numeric),
        ),
        over_years,
        _clusters_by_year(page, data, clusters, groups) if clusters else "",
        "</section>",
    ]
    return "".join(parts)


def _over_years(
    page: Page,
    years: Sequence[int],
    cells: Mapping[tuple[int, str, str, str], Row],
    groups: Sequence[str],
    classes: Sequence[str],
) -> str:
    """The whole workforce by group, a bar and a table row per year."""
    over = [_share_row(str(y), [cells.get((y, ALL, ALL, g)) for g in groups]) for y in years]
    svg = charts.stacked_shares(
        over,
        groups,
        classes,
        ident=page.chart_id(),
        title=f"The whole workforce by {page.ctx.by_group}, by year",
        desc=f"Each bar splits a year's whole workforce between {page.ctx.group_plural}.",
    )
    body = [
        _share_cells(page, str(y), "Total", [cells.get((y, ALL, ALL, g)) for g in groups])[1:]
        for y in years
    ]
    return figure(
        svg,
        f"The whole workforce by {page.ctx.by_group}, each year.",
        table(
            ("Year", *(f"{g} %" for g in groups), "Headcount"),
            body,
            numeric=(False, *([True] * len(groups)), True),
        ),
    )


def _latest_bands(
    page: Page,
    cells: Mapping[tuple[int, str, str, str], Row],
    clusters: Mapping[tuple[int, str, str, str], Row],
    groups: Sequence[str],
    latest: int,
) -> tuple[list[ShareRow], list[tuple[str, ...]]]:
    """The latest year's bars and table rows: each staff group's bands and its total, with a
    band cluster's rolled-up row after its last band where one of its bands is withheld."""
    staff_groups = sorted({k[1] for k in cells if k[1] != ALL}, key=natural_key)
    bars: list[ShareRow] = []
    body: list[tuple[str, ...]] = []
    for sg in staff_groups:
        bars.append(ShareRow(sg, heading=True))
        bands = sorted(
            {k[2] for k in cells if k[0] == latest and k[1] == sg and k[2] != ALL}, key=natural_key
        )
        for i, band in enumerate([*bands, ALL]):
            label = f"{sg}: total" if band == ALL else band
            shares = [cells.get((latest, sg, band, g)) for g in groups]
            bars.append(_share_row(label, shares, strong=band == ALL))
            body.append(_share_cells(page, sg, label, shares))
            after = bands[i + 1] if i + 1 < len(bands) else None
            cluster = cluster_of(band) if clusters and band != ALL else None
            if cluster is None or (after is not None and cluster_of(after) == cluster):
                continue  # not the last band of its cluster
            if not any(
                _withheld(cells, latest, sg, b, groups) for b in bands if cluster_of(b) == cluster
            ):
                continue
            rolled = [clusters.get((latest, sg, str(cluster), g)) for g in groups]
            if any(c is not None for c in rolled):
                label = rolled_up_label(str(cluster))
                bars.append(_share_row(label, rolled))
                body.append(_share_cells(page, sg, label, rolled))
    return bars, body


def _withheld(
    cells: Mapping[tuple[int, str, str, str], Row],
    year: int,
    sg: str,
    band: str,
    groups: Sequence[str],
) -> bool:
    here = [cells.get((year, sg, band, g)) for g in groups]
    return any(c is not None and finite(c.get("rate")) is None for c in here)


def _clusters_by_year(
    page: Page,
    data: Published,
    clusters: Mapping[tuple[int, str, str, str], Row],
    groups: Sequence[str],
) -> str:
    """The whole workforce's band clusters, each year: the rolled-up figures a reader can
    compare over the years where the bands' own shares are withheld."""
    names = sorted({k[2] for k in clusters if k[1] == ALL}, key=natural_key)
    body = [
        _share_cells(page, str(y), name, [clusters.get((y, ALL, name, g)) for g in groups])
        for y in data.years
        for name in names
        if any((y, ALL, name, g) in clusters for g in groups)
    ]
    if not body:
        return ""
    return (
        f'<figure id="band-clusters"><figcaption>The whole workforce by band '
        f"cluster (the NHS WRES clusters of bands and grades) and {esc(page.ctx.by_group)}, each "
        "year: where a band's share is withheld, its cluster's is rolled up from the bands and "
        "published where it is safe.</figcaption>"
        + table(
            ("Year", "Band cluster", *(f"{g} %" for g in groups), "Headcount"),
            body,
            numeric=(False, False, *([True] * len(groups)), True),
        )
        + "</figure>"
    )


def _share_cells(
    page: Page, first: str, label: str, cells: Sequence[Row | None]
) -> tuple[str, ...]:
    shares = [page.value(c, "rate", "pct") if c is not None else "" for c in cells]
    present = [c for c in cells if c is not None]
    with_total = next((c for c in present if c.get("denominator") is not None), None)
    if with_total is not None:
        total = page.value(with_total, "denominator", "int")
    else:
        total = page.gap(present[0].get("status")) if present else ""
    return (esc(first), esc(label), *shares, total)
