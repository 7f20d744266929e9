"""The report's funnel plots: each organisation's published figure against its precision, with
the 95% and 99.8% limits (inflated for over-dispersion) as curves around the whole run's
figure, and the organisations outside the 99.8% limits named in a table beside each.

Drawn from ``publish/funnel.csv``'s rows (``wres.engine.funnels``) only. One plot per
indicator and year, of one comparison: the standard variant, the voting board, and the group
with the most organisations plotted (the first in order on a tie). Static SVG: a point's hover
text is its ``<title>``, so nothing needs JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from wres.cli.publication.markup import esc, figure, table
from wres.cli.publication.svg import Canvas, LinearScale, LogScale
from wres.engine.stats.funnel import funnel_limits

Row = dict[str, Any]
WIDTH, HEIGHT = 760.0, 360.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 20.0, 30.0, 52.0
#: Points along each limit curve.
CURVE_POINTS = 60


def funnel_section(funnel: pl.DataFrame, titles: dict[int, str]) -> str:
    """The report's section of funnel plots ("" without a funnel table)."""
    if funnel.is_empty():
        return ""
    parts = [
        '<section id="funnels"><h2>Organisations compared: funnel plots</h2>'
        '<p class="lede">Each point is one organisation\'s published figure against its '
        "precision (larger organisations to the right). The curves are the 95% and 99.8% "
        "limits around the figure of the whole run, widened for the variation between "
        "organisations that chance alone does not explain (over-dispersion). A point outside "
        "the 99.8% limits is unlikely to be chance; one inside is not evidence of anything. "
        "Organisations whose figure is withheld are not plotted.</p>"
    ]
    for (indicator, year), rows in _chosen(funnel):
        name = titles.get(indicator, f"Indicator {indicator}")
        parts.append(_one(indicator, year, name, rows))
    parts.append("</section>")
    return "".join(parts)


def _chosen(funnel: pl.DataFrame) -> list[tuple[tuple[int, int], list[Row]]]:
    """Per indicator and year, the rows of the comparison shown (see the module)."""
    frame = funnel
    if "variant" in frame.columns:
        frame = frame.filter(pl.col("variant").is_null() | (pl.col("variant") == "standard"))
    if "board" in frame.columns:
        frame = frame.filter(pl.col("board").is_null() | (pl.col("board") == "voting"))
    plotted = (
        frame.group_by("indicator", "year", "group")
        .agg((pl.col("status") == "plotted").sum().alias("n"))
        .filter(pl.col("n") > 0)
        .sort(["indicator", "year", "n", "group"], descending=[False, False, True, False])
        .unique(["indicator", "year"], keep="first", maintain_order=True)
    )
    out: list[tuple[tuple[int, int], list[Row]]] = []
    for pick in plotted.iter_rows(named=True):
        rows = frame.filter(
            (pl.col("indicator") == pick["indicator"])
            & (pl.col("year") == pick["year"])
            & (pl.col("group") == pick["group"])
        )
        out.append(((int(pick["indicator"]), int(pick["year"])), rows.to_dicts()))
    return out


def _one(indicator: int, year: int, name: str, rows: Sequence[Row]) -> str:
    """One funnel plot with its outliers and its figures as a table."""
    shown = [r for r in rows if r["status"] == "plotted"]
    ratio = shown[0]["statistic"] != "share"
    group = str(shown[0]["group"])
    ident = f"funnel-{indicator}-{year}"
    title = f"{name}, {year}: {group}, by organisation"
    svg = funnel_chart(shown, ident=ident, title=title, ratio=ratio)
    outside = [r for r in shown if r["flag_998"] != "within"]
    hidden = len(rows) - len(shown)
    text = [
        f"<h3>{esc(title)}</h3>",
        figure(
            svg,
            f"{len(shown)} organisation(s) plotted; {hidden} not plotted (figure withheld or "
            f"without events). Over-dispersion: {shown[0]['overdispersion']}.",
            _figures(shown, ratio),
        ),
    ]
    if outside:
        cells = [
            [esc(r["organisation"]), esc(_shown(r["value"], ratio)), esc(r["flag_998"])]
            for r in outside
        ]
        text.append(
            "<p>Outside the 99.8% limits:</p>"
            + table(["Organisation", "Figure", "Where"], cells, numeric=[False, True, False])
        )
    else:
        text.append("<p>No organisation is outside the 99.8% limits.</p>")
    return "".join(text)


def _figures(rows: Sequence[Row], ratio: bool) -> str:
    cells = [
        [
            esc(r["organisation"]),
            esc(_shown(r["value"], ratio)),
            esc(f"{r['z_adjusted']:.2f}"),
            esc(r["flag_95"]),
            esc(r["flag_998"]),
        ]
        for r in rows
    ]
    return table(
        ["Organisation", "Figure", "z (adjusted)", "95% limits", "99.8% limits"],
        cells,
        numeric=[False, True, True, False, False],
    )


def _shown(value: float, ratio: bool) -> str:
    """The figure as the report prints it: a ratio, or a share in per cent."""
    return f"{math.exp(value):.2f}" if ratio else f"{100 * value:.1f}%"


def funnel_chart(rows: Sequence[Row], *, ident: str, title: str, ratio: bool) -> str:
    """The SVG of one funnel: points, target line, and limit curves (ratios on a log scale)."""
    first = rows[0]
    target = float(first["target"])
    tau2 = 0.0 if first["tau2"] is None or math.isnan(first["tau2"]) else float(first["tau2"])
    phi = 1.0 if first["phi"] is None or math.isnan(first["phi"]) else float(first["phi"])
    method = "additive" if first["overdispersion"] != "multiplicative" else "multiplicative"
    precision = [float(r["precision"]) for r in rows]
    top = max(precision) * 1.05
    low_x = min(precision) * 0.5
    grid = [low_x + (top - low_x) * k / (CURVE_POINTS - 1) for k in range(CURVE_POINTS)]
    curves = {
        level: funnel_limits(
            target,
            [1 / math.sqrt(x) for x in grid],
            level=level,
            tau2=tau2,
            phi=phi,
            method=method,
        )
        for level in (0.95, 0.998)
    }
    values = [float(r["value"]) for r in rows]
    # the y range: the points and the 95% curve where it is, the 99.8% within reason
    span = [*values, target, *curves[0.95][0][-5:], *curves[0.95][1][-5:]]
    low_y, high_y = min(span), max(span)
    pad = (high_y - low_y) * 0.08 or 0.1
    c = Canvas(WIDTH, HEIGHT, ident=ident, title=title, desc=_desc(rows, ratio))
    sx = LinearScale(0.0, top, LEFT, WIDTH - RIGHT)
    if ratio:
        sy: LinearScale | LogScale = LogScale(
            math.exp(low_y - pad), math.exp(high_y + pad), HEIGHT - BOTTOM, TOP
        )
    else:
        sy = LinearScale(max(0.0, low_y - pad), min(1.0, high_y + pad), HEIGHT - BOTTOM, TOP)

    def y_of(v: float) -> float:
        return sy(math.exp(v)) if ratio else sy(v)

    bottom, ceiling = (math.log(sy.low), math.log(sy.high)) if ratio else (sy.low, sy.high)
    for level, cls in ((0.998, "lim998"), (0.95, "lim95")):
        for curve in curves[level]:
            points = [
                (sx(x), y_of(v)) for x, v in zip(grid, curve, strict=True) if bottom <= v <= ceiling
            ]
            c.polyline(points, cls)
    c.line(LEFT, y_of(target), WIDTH - RIGHT, y_of(target), "equity")
    for r in rows:
        out = r["flag_998"] != "within"
        where = f"{r['flag_998']} the 99.8% limits"
        c.open_group(tip=f"{r['organisation']}: {_shown(r['value'], ratio)} ({where})")
        c.circle(sx(float(r["precision"])), y_of(float(r["value"])), 4.5, "pt sig" if out else "pt")
        c.close_group()
    _axes(c, sx, sy, ratio)
    return c.render()


def _axes(c: Canvas, sx: LinearScale, sy: LinearScale | LogScale, ratio: bool) -> None:
    bottom = HEIGHT - BOTTOM
    c.line(LEFT, bottom, WIDTH - RIGHT, bottom, "axis")
    c.line(LEFT, TOP, LEFT, bottom, "axis")
    label = "precision (1 / standard error squared)"
    c.text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 12, label, "axis-label", "middle")
    for k in range(1, 5):
        x = sx.low + (sx.high - sx.low) * k / 4
        c.line(sx(x), bottom, sx(x), bottom + 5, "axis")
        c.text(sx(x), bottom + 18, f"{x:,.0f}" if x >= 10 else f"{x:.1f}", "tick", "middle")
    c.line(WIDTH - 250, 14, WIDTH - 226, 14, "lim998")
    c.text(WIDTH - 220, 18, "99.8%", "legend")
    c.line(WIDTH - 170, 14, WIDTH - 146, 14, "lim95")
    c.text(WIDTH - 140, 18, "95%", "legend")
    c.circle(WIDTH - 100, 14, 4.5, "pt sig")
    c.text(WIDTH - 92, 18, "outside 99.8%", "legend")
    ticks = sy.ticks() if isinstance(sy, LogScale) else sy.ticks(_step(sy.high - sy.low))
    for t in ticks:
        c.line(LEFT - 5, sy(t), LEFT, sy(t), "axis")
        c.text(LEFT - 8, sy(t) + 4, f"{t:.2f}" if ratio else f"{100 * t:.0f}%", "tick", "end")


def _step(span: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2):
        if span / step <= 8:
            return step
    return 0.25


def _desc(rows: Sequence[Row], ratio: bool) -> str:
    outside = sum(1 for r in rows if r["flag_998"] != "within")
    kind = "ratios on a log scale" if ratio else "shares"
    return (
        f"Funnel plot of {len(rows)} organisations' {kind} against precision, with 95% and "
        f"99.8% limits; {outside} outside the 99.8% limits."
    )
