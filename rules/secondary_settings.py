"""What the secondary suppression is asked to do and how hard it works: its rules and their
reasons, its settings, and the task it passes between its stages (:mod:`wres.rules.secondary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from wres.engine.errors import ConfigError
from wres.engine.progress import (
    Progress,
    silent,
)
from wres.engine.protection.cleanup import CLEANUP_LIMITS, CleanupLimits
from wres.engine.protection.intervals import EXACT_LIMIT
from wres.engine.protection.patterns import (
    MAX_LINE_PATTERNS,
)
from wres.rules.policy import Policy
from wres.rules.table import LinkedTables

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class ProtectionRule(StrEnum):
    """Rule ids of withheld cells (primary ids as in ``wres.rules.suppression``)."""

    SMALL_COUNT = "P1"
    ZERO_COUNT = "P3"
    MARKED = "P0"
    SECONDARY = "S1"
    FALLBACK = "S2"


REASONS: dict[ProtectionRule, str] = {
    ProtectionRule.SMALL_COUNT: "count in the suppressed range",
    ProtectionRule.ZERO_COUNT: "zero count, sensitive under this policy",
    ProtectionRule.MARKED: "marked as primary by the caller",
    ProtectionRule.SECONDARY: (
        "withheld so that no withheld count can be narrowed below the policy's interval"
    ),
    ProtectionRule.FALLBACK: (
        "fallback: the totals above a cell the search and repairs could not protect (or every"
        " cell of each relation through it), so that it can grow without limit"
    ),
}


#: Patterns of tables up to this many cells are cleaned up (``ProtectSettings.cleanup_up_to``),
#: within the cleanup's limits (``ProtectSettings.cleanup``). Measured with 2 values
#: required (counts 1-4 withheld) on issue 19's shape, 19 categories in 5 groups x 9 bands x
#: sites: 1,750 cells (B), 318 secondary cells withheld by the patterns alone, 195 after the
#: cleanup (5-10 s); 3,500 cells, 474 and 311 (34 s); 7,000 cells, 1,023 and 612 (409 s on a
#: busy machine; 130 s on a quiet one). Table C (7,000 cells over three years and their total)
#: stops within seconds, its cleanup not paying (``CleanupLimits``).
CLEANUP_UP_TO = 10_000


@dataclass(frozen=True, slots=True)
class ProtectSettings:
    """How hard the protection works (the policy says what it must achieve)."""

    #: line patterns tried per node and dimension in the pattern search
    line_patterns: int = MAX_LINE_PATTERNS
    #: components up to this many withheld cells get their exact interval for every cell
    exact_limit: int = EXACT_LIMIT
    #: exact intervals for every withheld cell, whatever the component's size (slow)
    exhaustive_audit: bool = False
    #: repair rounds by linear programme before the fallback
    repair_rounds: int = 10
    #: "moves" (linear programmes per primary cell, then cleanup: close to the optimum, cost
    #: grows with primaries x cells), "patterns" (product patterns: fast at any size), or
    #: "auto": moves up to ``moves_limit`` primaries x cells, patterns above
    method: str = "auto"
    moves_limit: int = 50_000
    #: a pattern of a table of at most this many cells is cleaned up as the moves' is: each
    #: secondary cell no cell's room needs is published again (linear programmes over the
    #: withheld cells only); 0: never
    cleanup_up_to: int = CLEANUP_UP_TO
    #: when the cleanup stops: at a work limit, or once it stops paying (work counted, not
    #: timed: ``wres.engine.protection.cleanup.CleanupLimits``); the pattern is safe wherever it
    #: stops, and the protection's notes say how many cells it did not try and why
    cleanup: CleanupLimits = CLEANUP_LIMITS
    #: cost shapes the moves method tries (the best result is kept)
    moves_starts: int = 2
    #: a withheld cell the patterns do not prove gets a witness from a small problem around it
    #: before any problem of its whole component (large systems); None: for tables of more than
    #: ``LOCAL_ABOVE`` cells (smaller ones get the exact interval of every cell in a component
    #: of at most ``exact_limit`` withheld cells)
    local_witnesses: bool | None = None
    #: with local witnesses: a cell they leave unproved is solved over its whole component only
    #: in a component of at most this many unknown cells, else it fails and is repaired (None:
    #: ``wres.rules.local_witnesses.LocalLimits.whole_limit``)
    whole_limit: int | None = None

    def __post_init__(self) -> None:
        if self.method not in ("auto", "moves", "patterns"):
            msg = f"method {self.method!r}: use 'auto', 'moves' or 'patterns'"
            raise ConfigError(msg)


@dataclass(frozen=True, eq=False)
class Task:
    """One protection problem: the tables, the policy's numbers, what may be withheld."""

    tables: LinkedTables
    policy: Policy
    settings: ProtectSettings
    primary: BoolArray
    hideable: BoolArray
    cost: IntArray
    figures: IntArray
    absent: BoolArray
    balance: BoolArray
    #: cells to keep published: a pattern through one pays ``KEEP_TOLL`` cells for it
    keep: BoolArray
    #: cells withheld from the start (free to every pattern)
    withheld: BoolArray | None = None
    #: told how far the search, the audit and the repairs have got
    progress: Progress = silent

    @property
    def values(self) -> IntArray:
        return self.tables.values

    @property
    def need(self) -> int:
        return self.policy.secondary.min_attacker_interval

    @property
    def lowest(self) -> int:
        """The least value of a withheld cell (1 when zeros are published)."""
        return 0 if self.policy.primary.suppress_zero_counts else 1


def mask(cells: BoolArray | None, n: int) -> BoolArray:
    return np.zeros(n, np.bool_) if cells is None else cells.astype(np.bool_)
