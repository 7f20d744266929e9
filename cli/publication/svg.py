"""A small SVG writer for the report's charts: scales and shapes as text, no plotting library.

Every string placed in a chart is XML-escaped here, and coordinates are written with fixed
precision, so the same data give the same bytes. Styling is by class name; the report's style
sheet gives the classes their colours, so charts stay small and consistent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Font size of chart text in pixels (the report's style sheet uses the same).
FONT = 13


def num(value: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` or a negative zero."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def text_width(text: str, size: float = FONT) -> float:
    """An estimate of rendered text width in a proportional sans-serif font."""
    narrow = sum(1 for ch in text if ch in "iljtf.,:;'|()[] 1")
    wide = sum(1 for ch in text if ch in "MWmw%" or ch.isupper())
    # generous: a label that is too wide for its column would overlap the plot
    return size * (0.6 * (len(text) - narrow - wide) + 0.33 * narrow + 0.8 * wide)


def _attributes(attrs: dict[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        shown = num(value) if isinstance(value, float) else str(value)
        parts.append(f' {name}="{escape(shown, quote=True)}"')
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class LinearScale:
    """Maps ``[low, high]`` onto ``[start, end]`` pixels."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)

    def ticks(self, step: float) -> list[float]:
        first = math.ceil(self.low / step - 1e-9)
        last = math.floor(self.high / step + 1e-9)
        return [round(k * step, 10) for k in range(first, last + 1)]


#: Tick values for a ratio axis: symmetric on the log scale around 1.
RATIO_TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0, 5.0, 10.0, 20.0)


@dataclass(frozen=True, slots=True)
class LogScale:
    """Maps ratios on a log scale, so 0.80 and 1.25 sit equally far from 1.00."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        value = min(max(value, self.low), self.high)
        span = math.log(self.high) - math.log(self.low)
        return self.start + (math.log(value) - math.log(self.low)) / span * (self.end - self.start)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def ticks(self) -> list[float]:
        inside = [t for t in RATIO_TICKS if self.low <= t <= self.high]
        if len(inside) > 9:
            keep = {0.1, 0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0, 10.0}
            inside = [t for t in inside if t in keep]
        return inside


def ratio_domain(values: Sequence[float | None], *, limit: float = 20.0) -> tuple[float, float]:
    """A log-scale domain that holds the values, 0.80-1.25 and 1.00, within ``1/limit..limit``."""
    finite = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    low = min([0.8, *finite]) / 1.08
    high = max([1.25, *finite]) * 1.08
    return max(low, 1 / limit), min(high, limit)


class Canvas:
    """One SVG image being drawn; ``render`` returns its markup."""

    def __init__(self, width: float, height: float, *, ident: str, title: str, desc: str) -> None:
        self.width = width
        self.height = height
        self.ident = ident
        self.title = title
        self.desc = desc
        self.parts: list[str] = []

    def element(self, tag: str, content: str | None = None, /, **attrs: object) -> None:
        if content is None:
            self.parts.append(f"<{tag}{_attributes(attrs)}/>")
        else:
            self.parts.append(f"<{tag}{_attributes(attrs)}>{content}</{tag}>")

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str, **attrs: object) -> None:
        self.element(
            "line", x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2), class_=cls, **attrs
        )

    def rect(self, x: float, y: float, w: float, h: float, cls: str, **attrs: object) -> None:
        self.element(
            "rect",
            x=float(x),
            y=float(y),
            width=float(max(w, 0)),
            height=float(max(h, 0)),
            class_=cls,
            **attrs,
        )

    def circle(self, cx: float, cy: float, r: float, cls: str, **attrs: object) -> None:
        self.element("circle", cx=float(cx), cy=float(cy), r=float(r), class_=cls, **attrs)

    def polygon(self, points: Sequence[tuple[float, float]], cls: str, **attrs: object) -> None:
        text = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        self.element("polygon", points=text, class_=cls, **attrs)

    def polyline(self, points: Sequence[tuple[float, float]], cls: str) -> None:
        if len(points) >= 2:
            text = " ".join(f"{num(x)},{num(y)}" for x, y in points)
            self.element("polyline", points=text, class_=cls)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        cls: str = "",
        anchor: str = "start",
        **attrs: object,
    ) -> None:
        self.element(
            "text",
            escape(content, quote=False),
            x=float(x),
            y=float(y),
            class_=cls or None,
            text_anchor=None if anchor == "start" else anchor,
            **attrs,
        )

    def open_group(self, tip: str | None = None, cls: str | None = None) -> None:
        """Start a group; ``tip`` becomes its hover text (an SVG ``<title>``)."""
        self.parts.append(f"<g{_attributes({'class': cls})}>")
        if tip:
            self.parts.append(f"<title>{escape(tip, quote=False)}</title>")

    def close_group(self) -> None:
        self.parts.append("</g>")

    def render(self) -> str:
        head = (
            # inline SVG in HTML needs no namespace; the page then holds no URL at all
            f'<svg class="chart" role="img" '
            f'viewBox="0 0 {num(self.width)} {num(self.height)}" '
            f'width="{num(self.width)}" height="{num(self.height)}" '
            f'aria-labelledby="{self.ident}-t {self.ident}-d">'
            f'<title id="{self.ident}-t">{escape(self.title, quote=False)}</title>'
            f'<desc id="{self.ident}-d">{escape(self.desc, quote=False)}</desc>'
        )
        return head + "".join(self.parts) + "</svg>"
