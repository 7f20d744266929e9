"""The report's charts, drawn with :mod:`wres.cli.publication.svg`.

Each chart takes values already selected from the published tables. A missing value (withheld
by disclosure control, or not calculable) is drawn as a gap labelled with its reason, never
estimated or interpolated. Colours come from the report's style sheet by class: ``s0``..``s9``
for series and groups, ``ref`` for the reference group, ``unknown`` for Unknown ethnicity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wres.cli.publication.svg import (
    Canvas,
    LinearScale,
    LogScale,
    num,
    ratio_domain,
    text_width,
)

WIDTH = 920
ROW = 26
DOT_ROW = 46
_BASELINE = 4.5  # from a row's middle to the baseline of 13px text


@dataclass(frozen=True, slots=True)
class Estimate:
    """A ratio (or any figure) with its interval, or the reason there is none."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    significant: bool | None = None
    #: why there is no value: "withheld (P1)", "not calculable"
    gap: str | None = None
    strong: bool = False


def ratio_text(e: Estimate) -> str:
    if e.value is None:
        return e.gap or "no value"
    ci = f" ({e.low:.2f}-{e.high:.2f})" if e.low is not None and e.high is not None else ""
    star = " *" if e.significant else ""
    return f"{e.value:.2f}{ci}{star}"


def _legend(c: Canvas, x: float, y: float, items: Sequence[tuple[str, str]]) -> None:
    """Legend entries: (kind, text); kind is a swatch class, "sig", "nosig", "band" or
    "pooled"."""
    for kind, text in items:
        if kind == "sig":
            c.circle(x + 5, y - 4, 5, "pt sig")
        elif kind == "nosig":
            c.circle(x + 5, y - 4, 5, "pt")
        elif kind == "band":
            c.rect(x, y - 10, 12, 12, "nonadverse")
        elif kind == "pooled":
            c.polygon([(x + 5, y - 11), (x + 11, y - 4), (x + 5, y + 3), (x - 1, y - 4)], "pooled")
        else:
            c.open_group(cls=kind)
            c.rect(x, y - 10, 12, 12, "swatch")
            c.close_group()
        c.text(x + 17, y, text, "legend")
        x += 17 + text_width(text, 12) * 1.1 + 22


def _whisker(c: Canvas, sx: LogScale, y: float, low: float | None, high: float | None) -> None:
    if low is None or high is None:
        return
    a, b = sx(low), sx(high)
    c.line(a, y, b, y, "ci")
    for value, edge in ((low, a), (high, b)):
        if sx.contains(value):
            c.line(edge, y - 5, edge, y + 5, "ci")
        else:  # the interval runs off the axis: an arrow, not a cap
            d = -7 if edge == a else 7
            c.polygon([(edge + d, y), (edge, y - 4), (edge, y + 4)], "ci-arrow")


def _label_width(r: Estimate) -> float:
    bold = 1.12 if r.significant or r.strong else 1.0
    return text_width(r.label) * bold


def _ratio_backdrop(c: Canvas, sx: LogScale, top: float, bottom: float) -> None:
    c.rect(sx(0.8), top, sx(1.25) - sx(0.8), bottom - top, "nonadverse")
    for t in sx.ticks():
        c.line(sx(t), top, sx(t), bottom, "grid")
    c.line(sx(1.0), top, sx(1.0), bottom, "equity")


def forest(
    rows: Sequence[Estimate],
    *,
    ident: str,
    title: str,
    desc: str,
    axis_label: str,
    significance: bool = True,
) -> str:
    """Ratios with intervals, one row each, against 1.00 and the 0.80-1.25 range (log scale).
    With ``significance``, filled points are significant after adjustment; otherwise every
    point is filled (pooled figures carry no adjusted test)."""
    label_w = min(max((_label_width(r) for r in rows), default=60) + 22, 380)
    value_w = max((text_width(ratio_text(r)) for r in rows if r.value is not None), default=90) + 24
    x0, x1 = label_w, WIDTH - value_w
    top, plot_h = 44, ROW * len(rows)
    sx = LogScale(
        *ratio_domain([v for r in rows for v in (r.value, r.low, r.high)]), x0 + 8, x1 - 8
    )
    c = Canvas(WIDTH, top + plot_h + 50, ident=ident, title=title, desc=desc)
    legend = [("band", "non-adverse range 0.80-1.25")]
    if significance:
        legend = [
            ("sig", "significant after adjustment (*)"),
            ("nosig", "not significant"),
            *legend,
        ]
    _legend(c, 8, 18, legend)
    for i in range(0, len(rows), 2):
        c.rect(0, top + i * ROW, WIDTH, ROW, "stripe")
    _ratio_backdrop(c, sx, top, top + plot_h)
    for i, r in enumerate(rows):
        y = top + i * ROW + ROW / 2
        c.open_group(tip=f"{r.label}: {ratio_text(r)}")
        c.text(8, y + _BASELINE, r.label, "label strong" if r.significant or r.strong else "label")
        if r.value is None:
            c.text(x0 + 10, y + _BASELINE, r.gap or "no value", "gap")
        else:
            _whisker(c, sx, y, r.low, r.high)
            filled = r.significant or not significance
            c.circle(sx(r.value), y, 5.5, "pt sig" if filled else "pt")
        if r.value is not None:
            c.text(WIDTH - 8, y + _BASELINE, ratio_text(r), "value", "end")
        c.close_group()
    _ratio_axis(c, sx, x0, x1, y=top + plot_h, label=axis_label)
    return c.render()


def _ratio_axis(c: Canvas, sx: LogScale, x0: float, x1: float, *, y: float, label: str) -> None:
    c.line(x0, y, x1, y, "axis")
    for t in sx.ticks():
        c.line(sx(t), y, sx(t), y + 5, "axis")
        c.text(sx(t), y + 19, f"{t:.2f}", "tick", "middle")
    c.text((x0 + x1) / 2, y + 40, label, "axis-label", "middle")


# --- over the years ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """One line over the years; ``cls`` picks its colour."""

    name: str
    cls: str
    points: Mapping[int, Estimate]
    pooled: Estimate | None = None


@dataclass(frozen=True, slots=True)
class _Frame:
    x0: float
    x1: float
    top: float
    bottom: float
    slots: int
    years: Sequence[int] = field(default_factory=tuple)

    def x(self, slot: int) -> float:
        return self.x0 + (slot + 0.5) * (self.x1 - self.x0) / self.slots


def over_years(
    series: Sequence[Series],
    years: Sequence[int],
    *,
    ident: str,
    title: str,
    desc: str,
    axis_label: str,
    ratio: bool = True,
    pooled_label: str = "",
    height: float = 300,
) -> str:
    """Each series by year, with intervals (ratio: log scale against 1.00 and 0.80-1.25;
    otherwise a percentage from 0), gaps where a year's value is missing, and the pooled
    estimate in its own slot at the right."""
    has_pooled = any(s.pooled is not None for s in series)
    frame = _Frame(58, WIDTH - 14, 44, height - 52, len(years) + (1 if has_pooled else 0), years)
    values = [
        v
        for s in series
        for e in (*s.points.values(), *([s.pooled] if s.pooled else []))
        for v in (e.value, e.low, e.high)
    ]
    c = Canvas(WIDTH, height, ident=ident, title=title, desc=desc)
    legend: list[tuple[str, str]] = [(s.cls, s.name) for s in series]
    if has_pooled:
        legend.append(("pooled", "pooled over the years"))
    if ratio:
        legend.append(("sig", "significant"))
    _legend(c, 8, 18, legend)
    if ratio:
        sy: LogScale | LinearScale = LogScale(*ratio_domain(values), frame.bottom, frame.top)
        ticks = sy.ticks() if isinstance(sy, LogScale) else []
        c.rect(frame.x0, sy(1.25), frame.x1 - frame.x0, sy(0.8) - sy(1.25), "nonadverse")
    else:
        finite = [v for v in values if v is not None and math.isfinite(v)]
        top = max(0.1, math.ceil(max(finite, default=0.1) * 10 + 0.5) / 10)
        sy = LinearScale(0.0, min(top, 1.0), frame.bottom, frame.top)
        ticks = sy.ticks(0.1 if top > 0.3 else 0.05)
    for t in ticks:
        c.line(frame.x0, sy(t), frame.x1, sy(t), "equity" if ratio and t == 1.0 else "grid")
        label = f"{t:.2f}" if ratio else f"{100 * t:.0f}%"
        c.text(frame.x0 - 6, sy(t) + _BASELINE, label, "tick", "end")
    c.text(
        14,
        (frame.top + frame.bottom) / 2,
        axis_label,
        "axis-label",
        "middle",
        transform=f"rotate(-90 14 {num((frame.top + frame.bottom) / 2)})",
    )
    _year_axis(c, frame, pooled_label if has_pooled else "")
    gaps: dict[int, int] = {}
    for k, s in enumerate(series):
        # side by side when intervals would overlap; percentages have none
        dx = (k - (len(series) - 1) / 2) * 8 if ratio else 0.0
        _draw_series(c, s, frame, sy, dx=dx, gaps=gaps)
    return c.render()


def _year_axis(c: Canvas, frame: _Frame, pooled_label: str) -> None:
    c.line(frame.x0, frame.bottom, frame.x1, frame.bottom, "axis")
    step = 1 if len(frame.years) <= 12 else 2
    for i, year in enumerate(frame.years):
        if i % step == 0 or i == len(frame.years) - 1:
            c.text(frame.x(i), frame.bottom + 18, str(year), "tick", "middle")
    if pooled_label:
        slot = len(frame.years)
        edge = (frame.x(slot - 1) + frame.x(slot)) / 2
        c.line(edge, frame.top, edge, frame.bottom, "divider")
        c.text(frame.x(slot), frame.bottom + 18, "pooled", "tick", "middle")
        c.text(frame.x(slot), frame.bottom + 33, pooled_label, "tick", "middle")


def _draw_series(
    c: Canvas,
    s: Series,
    frame: _Frame,
    sy: LogScale | LinearScale,
    *,
    dx: float,
    gaps: dict[int, int],
) -> None:
    c.open_group(cls=s.cls)
    run: list[tuple[float, float]] = []
    for i, year in enumerate(frame.years):
        e = s.points.get(year)
        if e is None or e.value is None:
            c.polyline(run, "line")
            run = []
            if e is not None:  # a gap: marked at the foot of the plot, with its reason
                level = gaps.get(year, 0)
                gaps[year] = level + 1
                c.open_group(tip=f"{s.name}, {year}: {e.gap or 'no value'}")
                c.text(
                    frame.x(i),
                    frame.bottom - 6 - 14 * level,
                    "withheld" if "withheld" in (e.gap or "") else "n/c",
                    "gap-mark",
                    "middle",
                )
                c.close_group()
            continue
        run.append((frame.x(i) + dx, sy(e.value)))
    c.polyline(run, "line")
    for i, year in enumerate(frame.years):
        e = s.points.get(year)
        if e is not None and e.value is not None:
            _mark(c, s.name, str(year), x=frame.x(i) + dx, e=e, sy=sy, pooled=False)
    if s.pooled is not None:
        slot = len(frame.years)
        if s.pooled.value is None:
            c.text(frame.x(slot), frame.bottom - 6, s.pooled.gap or "", "gap-mark", "middle")
        else:
            _mark(c, s.name, "pooled", x=frame.x(slot) + dx, e=s.pooled, sy=sy, pooled=True)
    c.close_group()


def _mark(
    c: Canvas,
    name: str,
    when: str,
    *,
    x: float,
    e: Estimate,
    sy: LogScale | LinearScale,
    pooled: bool,
) -> None:
    assert e.value is not None
    tip = f"{name}, {when}: " + (ratio_text(e) if e.low is not None else f"{100 * e.value:.1f}%")
    c.open_group(tip=tip)
    if e.low is not None and e.high is not None:
        c.line(x, sy(e.low), x, sy(e.high), "ci")
        c.line(x - 4, sy(e.low), x + 4, sy(e.low), "ci")
        c.line(x - 4, sy(e.high), x + 4, sy(e.high), "ci")
    y = sy(e.value)
    if pooled:
        c.polygon([(x, y - 8), (x + 7, y), (x, y + 8), (x - 7, y)], "pooled")
    else:
        c.circle(x, y, 4.5, "pt sig" if e.significant or e.significant is None else "pt")
    c.close_group()


# --- shares and percentages ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One bar of a 100% stacked chart; a row with any share missing is drawn as a gap."""

    label: str
    shares: Sequence[float | None] = ()
    gap: str | None = None
    heading: bool = False
    strong: bool = False


def stacked_shares(
    rows: Sequence[ShareRow],
    groups: Sequence[str],
    classes: Sequence[str],
    *,
    ident: str,
    title: str,
    desc: str,
) -> str:
    """Each row's split between groups as a 100% bar."""
    label_w = min(max((text_width(r.label) for r in rows), default=60) + 24, 260)
    x0, x1 = label_w, WIDTH - 14
    sx = LinearScale(0.0, 1.0, x0, x1)
    heights = [20 if r.heading else ROW for r in rows]
    top = 44
    height = top + sum(heights) + 40
    c = Canvas(WIDTH, height, ident=ident, title=title, desc=desc)
    _legend(c, 8, 18, list(zip(classes, groups, strict=True)))
    y = top
    for r, h in zip(rows, heights, strict=True):
        if r.heading:
            c.text(8, y + 15, r.label, "label heading")
            y += h
            continue
        mid = y + h / 2
        c.text(8, mid + _BASELINE, r.label, "label strong" if r.strong else "label")
        if r.gap is not None or any(v is None for v in r.shares):
            c.open_group(tip=f"{r.label}: {r.gap}")
            c.rect(x0, y + 4, x1 - x0, h - 8, "gap-bar")
            c.text(x0 + 10, mid + _BASELINE, r.gap or "withheld", "gap")
            c.close_group()
        else:
            left = 0.0
            for name, cls, share in zip(groups, classes, r.shares, strict=True):
                assert share is not None
                a, b = sx(left), sx(min(left + share, 1.0))
                c.open_group(tip=f"{r.label}, {name}: {100 * share:.1f}%", cls=cls)
                c.rect(a, y + 4, b - a, h - 8, "seg")
                if b - a >= 34:
                    c.text(
                        (a + b) / 2, mid + _BASELINE, f"{100 * share:.0f}%", "seg-label", "middle"
                    )
                c.close_group()
                left += share
        y += h
    c.line(x0, y + 2, x1, y + 2, "axis")
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        c.text(sx(t), y + 20, f"{100 * t:.0f}%", "tick", "middle")
    return c.render()


@dataclass(frozen=True, slots=True)
class DotRow:
    """One row of a dot chart: each group's percentage, or the reason it is missing."""

    label: str
    values: Sequence[float | None]
    gaps: Sequence[str | None]


def dot_rows(
    rows: Sequence[DotRow],
    groups: Sequence[str],
    classes: Sequence[str],
    *,
    ident: str,
    title: str,
    desc: str,
) -> str:
    """Percentages of each group side by side on one axis (a dumbbell per row)."""
    label_w = min(max((text_width(r.label) for r in rows), default=60) + 24, 330)
    x0, x1 = label_w, WIDTH - 20
    found = [v for r in rows for v in r.values if v is not None]
    top_value = min(1.0, max(0.1, math.ceil(max(found, default=0.1) * 10 + 0.5) / 10))
    sx = LinearScale(0.0, top_value, x0 + 6, x1 - 6)
    top = 44
    c = Canvas(WIDTH, top + DOT_ROW * len(rows) + 40, ident=ident, title=title, desc=desc)
    _legend(c, 8, 18, list(zip(classes, groups, strict=True)))
    for t in sx.ticks(0.1 if top_value > 0.3 else 0.05):
        c.line(sx(t), top, sx(t), top + DOT_ROW * len(rows), "grid")
    for i, r in enumerate(rows):
        mid = top + DOT_ROW * i + DOT_ROW / 2
        c.text(8, mid + _BASELINE, r.label, "label")
        shown = [(v, cls) for v, cls in zip(r.values, classes, strict=True) if v is not None]
        if len(shown) >= 2:
            c.line(sx(min(v for v, _ in shown)), mid, sx(max(v for v, _ in shown)), mid, "link")
        for name, cls, value, gap in zip(groups, classes, r.values, r.gaps, strict=True):
            if value is None:
                continue
            c.open_group(tip=f"{r.label}, {name}: {100 * value:.1f}%", cls=cls)
            c.circle(sx(value), mid, 6.5, "dot")
            # the reference group's value below its dot, the others' above
            dy = 19 if cls == "ref" else -10
            c.text(sx(value), mid + dy, f"{100 * value:.0f}%", "dot-label", "middle")
            c.close_group()
            _ = gap
        missing = [
            f"{name} {gap}"
            for name, gap, v in zip(groups, r.gaps, r.values, strict=True)
            if v is None
        ]
        if missing:
            c.text(x0 + 8, mid + 18, "; ".join(missing), "gap")
    bottom = top + DOT_ROW * len(rows)
    c.line(x0, bottom, x1, bottom, "axis")
    for t in sx.ticks(0.1 if top_value > 0.3 else 0.05):
        c.text(sx(t), bottom + 18, f"{100 * t:.0f}%", "tick", "middle")
    return c.render()


def gap_bars(
    rows: Sequence[Estimate], *, ident: str, title: str, desc: str, axis_label: str
) -> str:
    """Percentage-point differences as bars either side of zero; gaps carry their reason."""
    label_w = min(max((text_width(r.label) for r in rows), default=60) + 24, 260)
    x0, x1 = label_w, WIDTH - 90
    found = [abs(r.value) for r in rows if r.value is not None]
    reach = max(10.0, math.ceil(max(found, default=10.0) / 10) * 10)
    sx = LinearScale(-reach, reach, x0 + 6, x1 - 6)
    top = 24
    c = Canvas(WIDTH, top + ROW * len(rows) + 50, ident=ident, title=title, desc=desc)
    for t in sx.ticks(10 if reach <= 50 else 25):
        c.line(sx(t), top, sx(t), top + ROW * len(rows), "equity" if t == 0 else "grid")
    for i, r in enumerate(rows):
        y = top + ROW * i
        mid = y + ROW / 2
        c.text(8, mid + _BASELINE, r.label, "label")
        if r.value is None:
            c.text(sx(0) + 8, mid + _BASELINE, r.gap or "no value", "gap")
            c.text(WIDTH - 8, mid + _BASELINE, "-", "value", "end")
            continue
        a, b = sorted((sx(0), sx(r.value)))
        c.open_group(tip=f"{r.label}: {r.value:+.1f} percentage points")
        c.rect(a, y + 5, b - a, ROW - 10, "bar")
        c.close_group()
        c.text(WIDTH - 8, mid + _BASELINE, f"{r.value:+.1f} pp", "value", "end")
    bottom = top + ROW * len(rows)
    c.line(x0, bottom, x1, bottom, "axis")
    for t in sx.ticks(10 if reach <= 50 else 25):
        c.text(sx(t), bottom + 18, f"{t:+.0f}" if t else "0", "tick", "middle")
    c.text((x0 + x1) / 2, bottom + 38, axis_label, "axis-label", "middle")
    return c.render()
