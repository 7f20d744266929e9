"""Equality standards (WRES, WDES) as data: indicator declarations the engine evaluates.

A standard is a TOML file in ``engine/data/standards/``: which extract each indicator reads, what
counts as an event and who is at risk, and which way round its ratio is. Nothing here computes;
see SPEC section 2 for the meaning of each indicator.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from wres.engine.errors import ConfigError
from wres.engine.schema import EXTRACTS, SCORE_RANGE, Kind


class Measure(StrEnum):
    """What an indicator publishes."""

    SHARE = "share"
    RATIO = "ratio"
    PERCENTAGE = "percentage"
    BOARD_GAP = "board_gap"


class Shape(StrEnum):
    """How a measure's counts relate to each other: what counting, protection and the writers
    need to know of a kind of measure beyond its traits (see :class:`MeasureKind`)."""

    #: a group's headcount over everyone's in its row (indicator 1)
    SHARE = "share"
    #: a group's events over its own people at risk, beside the reference group's (2 to 8)
    RATIO = "ratio"
    #: a board's members by group, beside the same group's share of the workforce (9)
    BOARD = "board"


@dataclass(frozen=True, slots=True)
class MeasureKind:
    """One kind of measure, declared once: everything that reads an indicator asks its kind
    (``indicator.kind``) rather than naming the kind. A new kind is one entry of
    :data:`KINDS`; only a new :class:`Shape` needs code in counting, protection and writers."""

    shape: Shape
    #: publishes the relative likelihood of the two rates, with its interval
    relative_likelihood: bool
    #: its comparisons are tested for significance (rates of events, not headcounts)
    tested: bool
    #: may be declared ``compared = false``: each group's rate on its own (WDES metric 8)
    may_stand_alone: bool = False

    @property
    def needs_event(self) -> bool:
        """Counts events of an ``event`` column (not people in rows or on a board)."""
        return self.shape is Shape.RATIO

    @property
    def compares(self) -> bool:
        """Sets each group's figure beside another's (a reference group or the workforce)."""
        return self.shape is not Shape.SHARE

    @property
    def headcount(self) -> bool:
        """Its denominator is everyone's count in the row, not the group's own."""
        return self.shape is not Shape.RATIO

    @property
    def extracts(self) -> tuple[str, ...]:
        """Extracts it reads besides its own: a board is compared with the staff extract."""
        return ("staff",) if self.shape is Shape.BOARD else ()


class RatioOrder(StrEnum):
    """Which rate is on top. Either way a ratio above 1 means disadvantage for the group."""

    REFERENCE_OVER_GROUP = "reference/group"
    GROUP_OVER_REFERENCE = "group/reference"


@dataclass(frozen=True, slots=True)
class Indicator:
    """One declared indicator."""

    id: int
    title: str
    extract: str
    measure: Measure
    #: the boolean column whose true rows are the events (ratio, percentage)
    event: str | None = None
    #: the boolean column whose true rows are at risk; None means every row of the extract
    at_risk: str | None = None
    ratio: RatioOrder | None = None
    #: what the published figure means, with {reference} and {group} placeholders
    direction: str = ""
    #: a plain-English reading with {reference}, {group} and {value} placeholders
    reading: str | None = None
    #: also publish the figure without rows where this boolean column is true (indicator 2)
    variant_without: str | None = None
    #: also publish a pooled figure over this many consecutive years (indicator 3)
    rolling_years: int | None = None
    #: the columns that make the rows of a share indicator (indicator 1)
    rows: tuple[str, ...] = ()
    #: the board memberships of a board indicator (indicator 9)
    members: tuple[str, ...] = ()
    #: how the standard numbers it where that is not its id (WDES "4a(i)"); None: the id
    label: str | None = None
    #: a few words for it in the report's navigation and chart rows; None: its name
    #: ("Indicator 5")
    short_title: str | None = None
    #: how its event column reads in the workbook's headings ("appointed", "accessing
    #: non-mandatory training"); None: "answering yes" for a survey question, else nothing
    event_words: str | None = None
    #: an event read from a score column: the rows whose score is at least this (WDES metric 9a)
    event_at_least: float | None = None
    #: False: a percentage of each group with no reference group to compare it with (WDES
    #: metric 8, asked of Disabled staff only)
    compared: bool = True
    #: the indicators whose events are the only people this one's question is asked of (WDES
    #: 4b is asked of those who experienced harassment: the events of 4a(i) and 4a(ii-iii)); a
    #: reader knows its people at risk are at most their events together
    asked_of: tuple[int, ...] = ()

    @property
    def kind(self) -> MeasureKind:
        """What its measure is: the one place the kinds differ (:data:`KINDS`)."""
        return KINDS[self.measure]

    @property
    def number(self) -> str:
        """How outputs name it: its label, else its id (``4a(i)``, ``2``)."""
        return self.label if self.label is not None else str(self.id)

    def __post_init__(self) -> None:
        where = f"indicator {self.id}"
        if self.extract not in EXTRACTS:
            msg = f"{where}: extract {self.extract!r} is not one of {sorted(EXTRACTS)}"
            raise ConfigError(msg)
        columns = {c.name for c in EXTRACTS[self.extract].columns}
        for key in ("event", "at_risk", "variant_without"):
            column = getattr(self, key)
            if column is not None and column not in columns:
                msg = f"{where}: {key} {column!r} is not a column of the {self.extract} extract"
                raise ConfigError(msg)
        for column in self.rows:
            if column not in columns:
                msg = f"{where}: row column {column!r} is not in the {self.extract} extract"
                raise ConfigError(msg)
        if self.kind.needs_event and self.event is None:
            msg = f"{where}: a {self.measure} indicator needs an `event` column"
            raise ConfigError(msg)
        if self.kind.relative_likelihood != (self.ratio is not None):
            msg = f"{where}: `ratio` is required for ratio indicators and only for them"
            raise ConfigError(msg)
        if self.rolling_years is not None and self.rolling_years < 2:
            msg = f"{where}: rolling_years must be 2 or more"
            raise ConfigError(msg)
        self._check_event_kind(where)
        if not self.compared and not self.kind.may_stand_alone:
            msg = f"{where}: only a percentage can be published without a comparison"
            raise ConfigError(msg)

    def _check_event_kind(self, where: str) -> None:
        """A score column is an event only with a threshold, and a threshold needs a score."""
        if self.event is None:
            if self.event_at_least is not None:
                msg = f"{where}: event_at_least needs an `event` score column"
                raise ConfigError(msg)
            return
        scored = EXTRACTS[self.extract].column(self.event).kind is Kind.SCORE
        if scored and self.event_at_least is None:
            msg = f"{where}: {self.event!r} is a score; give event_at_least, the score counted"
            raise ConfigError(msg)
        if not scored and self.event_at_least is not None:
            msg = f"{where}: event_at_least applies to a score column, not {self.event!r}"
            raise ConfigError(msg)
        low, high = SCORE_RANGE
        if self.event_at_least is not None and not low < self.event_at_least <= high:
            msg = f"{where}: event_at_least must be above {low:g} and at most {high:g}"
            raise ConfigError(msg)


@dataclass(frozen=True, slots=True)
class Standard:
    """A set of indicators comparing a focal group with a reference group."""

    name: str
    short_name: str
    characteristic: str
    focal: str
    reference: str
    unknown: str
    indicators: tuple[Indicator, ...]
    #: indicators of the standard that the extracts cannot support: (id, reason)
    unsupported: tuple[tuple[int, str], ...] = ()
    #: what the standard calls its indicators in outputs ("Indicator 2", "Metric 4a(i)")
    indicator_noun: str = "Indicator"

    def indicator(self, indicator_id: int) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        known = [i.id for i in self.indicators]
        msg = f"{self.short_name} has no indicator {indicator_id}; its indicators are {known}"
        raise ConfigError(msg)


#: Every kind of measure and what it is. A test checks each :class:`Shape` is handled wherever
#: code dispatches on it.
KINDS: dict[Measure, MeasureKind] = {
    Measure.SHARE: MeasureKind(Shape.SHARE, relative_likelihood=False, tested=False),
    Measure.RATIO: MeasureKind(Shape.RATIO, relative_likelihood=True, tested=True),
    Measure.PERCENTAGE: MeasureKind(
        Shape.RATIO, relative_likelihood=False, tested=True, may_stand_alone=True
    ),
    Measure.BOARD_GAP: MeasureKind(Shape.BOARD, relative_likelihood=False, tested=False),
}


_STANDARD_KEYS = ("name", "short_name", "characteristic", "focal", "reference", "unknown")
_OPTIONAL_KEYS = ("indicator_noun", "indicators", "not_computed")
_INDICATOR_KEYS = tuple(Indicator.__dataclass_fields__)


def _indicator(entry: dict[str, Any], source: str) -> Indicator:
    unknown = sorted(set(entry) - set(_INDICATOR_KEYS))
    if unknown:
        msg = (
            f"{source}: unknown indicator key(s) {unknown}; valid keys are {list(_INDICATOR_KEYS)}"
        )
        raise ConfigError(msg)
    try:
        values = dict(entry)
        values["measure"] = Measure(values["measure"])
        if "ratio" in values:
            values["ratio"] = RatioOrder(values["ratio"])
        for key in ("rows", "members", "asked_of"):
            if key in values:
                values[key] = tuple(values[key])
        threshold = values.get("event_at_least")
        if isinstance(threshold, int) and not isinstance(threshold, bool):
            values["event_at_least"] = float(threshold)
        return Indicator(**values)
    except (KeyError, TypeError, ValueError) as err:
        msg = f"{source}: indicator {entry.get('id', '?')} is not valid ({err})"
        raise ConfigError(msg) from None


def standard_from_toml(text: str, source: str) -> Standard:
    """Parse and validate a standard's declarations."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"{source}: not valid TOML ({err})"
        raise ConfigError(msg) from None
    unknown = sorted(set(data) - {*_STANDARD_KEYS, *_OPTIONAL_KEYS})
    if unknown:
        valid = [*_STANDARD_KEYS, *_OPTIONAL_KEYS]
        msg = f"{source}: unknown key(s) {unknown}; valid keys are {valid}"
        raise ConfigError(msg)
    missing = [k for k in _STANDARD_KEYS if k not in data]
    if missing:
        msg = f"{source}: missing key(s) {missing}"
        raise ConfigError(msg)
    indicators = tuple(_indicator(e, source) for e in data.get("indicators", []))
    ids = [i.id for i in indicators]
    if len(set(ids)) != len(ids) or not ids:
        msg = f"{source}: indicator ids must be present and unique, got {ids}"
        raise ConfigError(msg)
    for ind in indicators:
        unknown_ids = sorted(set(ind.asked_of) - set(ids))
        if unknown_ids:
            msg = f"{source}: indicator {ind.id} is asked_of {unknown_ids}, not indicators here"
            raise ConfigError(msg)
    unsupported = tuple(
        (int(e["id"]), str(e["reason"])) for e in data.get("not_computed", []) if "id" in e
    )
    return Standard(
        **{k: str(data[k]) for k in _STANDARD_KEYS},
        indicators=indicators,
        unsupported=unsupported,
        indicator_noun=str(data.get("indicator_noun", "Indicator")),
    )


STANDARD_NAMES: tuple[str, ...] = ("wres", "wdes")


@cache
def load_standard(name: str) -> Standard:
    """A shipped standard by name (``wres`` or ``wdes``)."""
    if name not in STANDARD_NAMES:
        msg = f"unknown standard {name!r}; shipped standards are {list(STANDARD_NAMES)}"
        raise ConfigError(msg)
    resource = resources.files("wres.engine.data.standards").joinpath(f"{name}.toml")
    return standard_from_toml(resource.read_text(encoding="utf-8"), f"{name} standard")
