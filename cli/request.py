"""What a run is asked to do (:class:`RunRequest`), built by the CLI or by a notebook, and the
cuts it plans from ``--by`` and ``--lattice`` (:mod:`wres.cli.pipeline` runs it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from wres.engine.errors import ConfigError
from wres.engine.ethnicity import EthnicityScheme
from wres.engine.indicators import (
    Settings,
)
from wres.engine.progress import Progress, prefixed
from wres.engine.reconciliation import (
    UNRECOGNISED_AT_MOST_PERCENT,
)
from wres.engine.standards import Standard
from wres.rules.policy import Policy


@dataclass(frozen=True)
class RunRequest:
    """Everything a run needs; built by the CLI or by a notebook."""

    standard: Standard
    scheme: EthnicityScheme
    policy: Policy
    settings: Settings = field(default_factory=Settings)
    extracts: Mapping[str, Path] = field(default_factory=dict)
    counts: Path | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    by: Sequence[Sequence[str]] = ()
    lattice: bool = False
    adjust: Literal["bh", "holm"] = "bh"
    command: Sequence[str] = ()
    #: records per chunk of a record-level extract (None: WRES_CHUNK_ROWS or the default)
    chunk_rows: int | None = None
    #: told how far the run has got, for a progress display (``wres.engine.progress``): the records
    #: read of each extract ("reading staff"), then secondary suppression and its audit
    progress: Progress | None = None
    #: where records are counted and the protection's parts run: on this machine, or on Apache
    #: Spark (wres.engine.spark)
    engine: Literal["local", "spark"] = "local"
    #: processes protecting the run's parts at once (engine local); more than 1 starts fresh
    #: Python processes, so a script that asks for them runs under ``if __name__ ==
    #: "__main__":`` (``wres run``'s default is the machine's cores)
    jobs: int = 1
    #: Spark DataFrames by extract name, counted (engine "spark") like the extract files
    frames: Mapping[str, Any] = field(default_factory=dict)
    #: stop (UnrecognisedEthnicityError) when more than this percentage of an input's rows used
    #: have an unrecognised ethnicity (for the standards compared by ethnicity)...
    unrecognised_at_most_percent: float = UNRECOGNISED_AT_MOST_PERCENT
    #: ...unless the user accepts them, as Unknown (unrecognised)
    accept_unrecognised: bool = False
    #: the organisation's name for the titles of the workbook and the report (None: its code,
    #: when the data hold one organisation)
    organisation_name: str | None = None
    #: also publish the roll-ups of the fine cuts (``wres.engine.rollup``: band clusters)
    roll_up: bool = False

    @property
    def reading_progress(self) -> Progress | None:
        """:attr:`progress` as the readers tell it: an extract's records as "reading staff"."""
        return None if self.progress is None else prefixed(self.progress, "reading ")


def parse_by(values: Sequence[str]) -> list[list[str]]:
    """``--by band,site`` (repeatable) -> [["band", "site"], ...], blanks and repeats removed."""
    out = []
    for value in values:
        names = list(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
        if not names:
            msg = f"--by {value!r} names no column; give e.g. --by band or --by band,site"
            raise ConfigError(msg)
        out.append(names)
    return out


def plan_cuts(by: Sequence[Sequence[str]], *, lattice: bool) -> list[tuple[str, ...]]:
    """The cuts of a run: the total, then for each ``--by`` its roll-up (band, then
    band x site); with ``lattice``, every subset of all the ``--by`` columns."""
    cuts: list[tuple[str, ...]] = [()]
    if lattice:
        dims = list(dict.fromkeys(d for group in by for d in group))
        for k in range(1, len(dims) + 1):
            cuts.extend(combinations(dims, k))
    else:
        for group in by:
            cuts.extend(tuple(group[:k]) for k in range(1, len(group) + 1))
    # band x site and site x band are one cut (the same rows): keep the first
    unique: dict[frozenset[str], tuple[str, ...]] = {}
    for cut in cuts:
        unique.setdefault(frozenset(cut), cut)
    return list(unique.values())
