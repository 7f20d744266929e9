"""What the disclosure layer needs to know of a run's counts, read from its count blocks.

Two facts, both about which published figures are the same numbers or sums of others:
where each indicator's counts come from (an extract's channel: indicator 1's numerator,
indicator 3's denominator and indicator 9's workforce are all the staff headcount), and which
finest ethnicity categories each group of the run holds (so that White is the sum of the
detailed White categories, BME of its broad groups).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from wres.engine.cells import groups_of
from wres.engine.counts import ETHNICITY, STANDARD_VARIANT, WORKFORCE, Counts, plan_counts
from wres.engine.cube import ROWS, CountCube
from wres.engine.ethnicity import EthnicityScheme
from wres.engine.indicators import Settings
from wres.engine.measures import Bound, Figure, Split, bounds, splits
from wres.engine.rollup import BAND, BAND_CLUSTER, cluster_of
from wres.engine.schema import EXTRACTS
from wres.engine.standards import Shape, Standard
from wres.rules.run_counts import BLANK, CountSource, SourceKey


def count_sources(
    counts: Counts, standard: Standard, *, counts_file: bool
) -> dict[SourceKey, CountSource]:
    """The measures of each (indicator, variant, board membership) of a run.

    A measure is the extract and channel counted (shared between indicators: indicator 1's
    numerator, indicators 3 and 4's denominator and indicator 9's workforce are the headcount,
    ``staff:rows``). A counts file's numerator and denominator are named as the records' channels
    they stand for, since that is what a reader takes them to be (where the file gives one of
    them different values in different indicators, the protection keeps those apart).
    """
    defined = _defined_channels(standard) if counts_file else {}
    out: dict[SourceKey, CountSource] = {}
    for ind in standard.indicators:
        blocks = counts.get(ind.id, ())

        def measure(board: str | None, channel: str, extract: str, ind_id: int = ind.id) -> str:
            if counts_file:
                if board == WORKFORCE:
                    return f"staff:{ROWS}"
                numerator, denominator = defined[ind_id, board]
                channel = numerator if channel == "numerator" else denominator
            return f"{extract}:{channel}"

        workforce = next((b for b in blocks if b.board == WORKFORCE), None)
        for block in blocks:
            if block.board == WORKFORCE:
                continue
            events = measure(block.board, block.numerator, ind.extract)
            at_risk = measure(block.board, block.denominator, ind.extract)
            source: CountSource
            # from records, a share's and a board's numerator and denominator are one channel
            # (the denominator is everyone's count); a counts file gives both columns
            source = CountSource(ind.kind.shape, events, at_risk)
            if ind.kind.shape is Shape.BOARD:
                assert workforce is not None  # counts.py adds it to every board indicator
                staff = measure(WORKFORCE, workforce.numerator, "staff")
                total = measure(WORKFORCE, workforce.denominator, "staff")
                source = replace(source, workforce=staff, workforce_total=total)
            out[ind.id, block.variant, block.board] = source
            if ind.rolling_years and block.variant == STANDARD_VARIANT:
                rolling = f"{ind.rolling_years}-year rolling"
                out[ind.id, rolling, block.board] = replace(source, span=ind.rolling_years)
    return out


def _defined_channels(standard: Standard) -> dict[tuple[int, str | None], tuple[str, str]]:
    """Each indicator's (and board membership's) standard figure: the channels its numerator
    and denominator are counted from, from records with every column."""
    columns = {name: [c.name for c in extract.columns] for name, extract in EXTRACTS.items()}
    plan = plan_counts(columns, standard, ())
    return {
        (ind_id, w.board): (w.numerator, w.denominator)
        for (ind_id, _), wanted in plan.wanted.items()
        for w in wanted
        if w.variant == STANDARD_VARIANT
    }


def declarations(
    standard: Standard, sources: Mapping[SourceKey, CountSource]
) -> tuple[list[Split], list[Bound]]:
    """The classes each of a run's measures sums, and the bounds of a survey's routing
    (``wres.engine.measures``), for the indicators the run computes."""
    declared: list[Split] = []
    events: dict[int, str] = {}
    at_risk: dict[int, str] = {}
    for ind in standard.indicators:
        figures = [
            Figure(variant, board, source.events, source.at_risk)
            for (i, variant, board), source in sources.items()
            if i == ind.id and source.span == 1
        ]
        if not figures:
            continue
        flag = f"excluding {ind.variant_without}" if ind.variant_without else None
        declared += splits(ind, figures, excluded_flag=flag)
        standard_figure = [f for f in figures if f.variant == STANDARD_VARIANT and not f.board]
        if standard_figure:
            events[ind.id] = standard_figure[0].events
            at_risk[ind.id] = standard_figure[0].at_risk
    return declared, bounds(standard, events, at_risk)


def group_members(
    counts: Counts, settings: Settings, scheme: EthnicityScheme
) -> Mapping[str, frozenset[str]]:
    """Each group label of the run (and the reference) -> the finest categories it holds."""
    labels = {
        tuple(label)
        for blocks in counts.values()
        for block in blocks
        for label in block.cube.labels_of(ETHNICITY)
    }
    ordered = sorted(labels, key=lambda t: tuple("" if x is None else str(x) for x in t))
    keys = ["\x1f".join("" if x is None else str(x) for x in t) for t in ordered]
    out: dict[str, set[str]] = {}
    for compared in (False, True):
        groups = groups_of(ordered, settings.level, settings.reference, scheme, compared=compared)
        for i, name in enumerate(groups.names):
            out.setdefault(name, set()).update(
                k for k, g in zip(keys, groups.of_cell, strict=True) if g == i
            )
        if compared:
            reference = {k for k, r in zip(keys, groups.is_reference, strict=True) if r}
            if reference:
                out.setdefault(settings.reference, set()).update(reference)
    return {name: frozenset(members) for name, members in out.items()}


def cut_values(counts: Counts, dims: Sequence[str]) -> dict[str, list[str]]:
    """Every value of each cut column in the inputs (a blank one as ``BLANK``), whether or not
    a published row shows it: an organisation with no board members is still an organisation."""
    out: dict[str, set[str]] = {d: set() for d in dims}
    for blocks in counts.values():
        for block in blocks:
            for d in dims:
                if d in block.cube.axes:
                    out[d].update(BLANK if v is None else str(v) for v in block.cube.labels_of(d))
    return {d: sorted(values) for d, values in out.items()}


def nesting(counts: Counts, dims: Sequence[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """Cut columns nested in another in the inputs: child column -> (parent column, each child
    value's parent value). An organisation lies in one region, a site in one organisation: an
    attacker knows that, so the region's figure is the sum of its organisations'.

    A column is nested in another when every value of it that has anyone counted, in every
    extract that holds both, lies with exactly one value of the other. Of several such columns
    the finest (most values) is the parent, and a parent keeps one nested child (the first in
    ``dims``): nested columns form chains (region > organisation > site)."""
    found: dict[tuple[str, str], dict[str, str] | None] = {}
    every: dict[str, set[str]] = {d: set() for d in dims}
    for blocks in counts.values():
        for block in blocks:
            cube = block.cube
            here = [d for d in dims if d in cube.axes]
            for d in here:
                every[d].update(_labels(cube.labels_of(d)))
            for a in here:
                for b in here:
                    if a == b or found.get((a, b), {}) is None:
                        continue
                    found[a, b] = _parents(cube.marginal([a, b]), found.get((a, b)) or {})
    parent_of: dict[str, tuple[str, dict[str, str]]] = {}
    for a in dims:
        options = [
            (b, mapping)
            for b in dims
            if (mapping := found.get((a, b))) is not None
            and set(mapping) >= every[a]
            # one-to-one columns: the later one is the child
            and not (found.get((b, a)) is not None and dims.index(b) > dims.index(a))
        ]
        if options:
            b, mapping = max(options, key=lambda o: (len(every[o[0]]), -dims.index(o[0])))
            parent_of[a] = (b, mapping)
    chosen: dict[str, tuple[str, dict[str, str]]] = {}
    taken: set[str] = set()
    if BAND in dims and BAND_CLUSTER in dims:  # by definition, whoever is counted
        parent_of = {c: p for c, p in parent_of.items() if p[0] != BAND_CLUSTER}
        clusters = {_label(b): _label(cluster_of(b)) for b in _band_labels(counts)}
        parent_of[BAND] = (BAND_CLUSTER, clusters)
    for a in dims:  # one nested child per parent
        if a in parent_of and parent_of[a][0] not in taken:
            taken.add(parent_of[a][0])
            chosen[a] = parent_of[a]
    return chosen


def _labels(labels: Sequence[object]) -> list[str]:
    return [_label(v) for v in labels]


def _label(value: object) -> str:
    return BLANK if value is None else str(value)


def _band_labels(counts: Counts) -> set[str | None]:
    return {
        label
        for blocks in counts.values()
        for block in blocks
        if BAND in block.cube.axes
        for label in block.cube.labels_of(BAND)
    }


def _parents(pair: CountCube, known: dict[str, str]) -> dict[str, str] | None:
    """Each first-axis value's one second-axis value with anyone counted (None: not nested)."""
    anyone = pair.counts.sum(axis=-1) > 0
    if (anyone.sum(axis=1) > 1).any():
        return None
    mapping = dict(known)
    children, parents = _labels(pair.labels[0]), _labels(pair.labels[1])
    for i, j in zip(*np.nonzero(anyone), strict=True):
        if mapping.setdefault(children[i], parents[j]) != parents[j]:
            return None
    return mapping
