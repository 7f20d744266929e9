"""One run, end to end: inputs -> count cubes -> indicators -> disclosure control -> a pack.

The CLI gathers options and calls :func:`run`; nothing here prints or exits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from wres.cli.manifest import manifest_of, unknown_ethnicity
from wres.cli.pack import Pack
from wres.cli.request import RunRequest, plan_cuts
from wres.engine.counts import (
    WORKFORCE,
    Counts,
    NotComputed,
    count_records,
    count_table,
    table_dims,
)
from wres.engine.counts_file import read_counts
from wres.engine.errors import BadInputError, ConfigError, Problem
from wres.engine.indicators import (
    evaluate,
    organisation_cuts,
    organisation_rows,
    output_dims,
    restated,
    with_adjusted_p,
)
from wres.engine.measures import Bound, Split
from wres.engine.parallel import ProcessPool, Runner
from wres.engine.pooling import pooled_over_years
from wres.engine.progress import silent
from wres.engine.protection.batches import InconsistentSystemError
from wres.engine.readers import ExtractReader
from wres.engine.reconciliation import (
    Reconciliation,
    check_unrecognised,
)
from wres.engine.rollup import BAND_CLUSTER, counted_dims, roll_up_cuts, with_band_clusters
from wres.engine.schema import EXTRACTS, Kind
from wres.engine.standards import Shape
from wres.engine.utility import COUNT_COLUMNS, TABLE_COLUMNS, utility
from wres.rules.disclosure import count_sources, cut_values, declarations, group_members, nesting
from wres.rules.policy import Policy
from wres.rules.run_cells import RunCells, run_cells
from wres.rules.run_counts import CountSource, SourceKey
from wres.rules.run_parts import FirstLevel
from wres.rules.run_protection import protect_run, withhold
from wres.rules.secondary import Protection
from wres.rules.suppression import apply_primary, explain_comparisons


def _check_dims(dims: Sequence[str], available: set[str], source: str) -> None:
    unknown = [d for d in dims if d not in available]
    if unknown:
        msg = (
            f"cannot cut by {', '.join(map(repr, unknown))}: not a column of {source}; "
            f"available: {', '.join(sorted(available)) or 'none'}"
        )
        raise ConfigError(msg)


def _from_records(
    request: RunRequest, dims: Sequence[str]
) -> tuple[Counts, list[NotComputed], list[Reconciliation]]:
    if request.engine == "spark" or request.frames:
        from wres.engine import spark  # noqa: PLC0415  # PySpark is an optional extra

        sources = spark.sources_of(request)
        available = {c for source in sources.values() for c in source.columns} & _CUT_COLUMNS
        _check_dims(dims, available, "the extracts given")
        return spark.count_request(request, sources, dims)
    readers = {
        name: ExtractReader(
            path,
            name,
            mapping=request.mapping,
            scheme=request.scheme,
            chunk_rows=request.chunk_rows,
            progress=request.reading_progress,
        )
        for name, path in request.extracts.items()
    }
    available = {c for reader in readers.values() for c in reader.columns} & _CUT_COLUMNS
    _check_dims(dims, available, "the extracts given")
    counts, missing = count_records(readers, request.standard, dims)
    return counts, missing, [reader.report for reader in readers.values()]


_CUT_COLUMNS = {
    c.name
    for e in EXTRACTS.values()
    for c in e.columns
    if (not c.required or c.name in ("band", "staff_group"))
    and c.kind not in (Kind.ANSWER, Kind.SCORE)
} - {"bank", "staff_id", "capability", "international"}


def _count(
    request: RunRequest, cuts: Sequence[Sequence[str]]
) -> tuple[Counts, list[NotComputed], list[Reconciliation]]:
    """The count cubes of a run's inputs, what cannot be computed, and the reconciliations."""
    wanted = list(dict.fromkeys(d for cut in cuts for d in cut))
    counts, missing, reports = _count_columns(request, counted_dims(wanted))
    if BAND_CLUSTER in wanted:
        counts = with_band_clusters(counts)
    return counts, missing, reports


def _count_columns(
    request: RunRequest, dims: Sequence[str]
) -> tuple[Counts, list[NotComputed], list[Reconciliation]]:
    if request.counts is None:
        return _from_records(request, dims)
    table, file_dims, report = read_counts(request.counts, request.standard, request.scheme)
    _check_dims(dims, set(file_dims), f"the counts file {request.counts}")
    # Columns of the file that are not asked for are summed over (the total).
    counts = count_table(table, [d for d in table_dims(request.standard, dims) if d in file_dims])
    missing = [
        NotComputed(i.id, "no rows for this indicator in the counts file")
        for i in request.standard.indicators
        if i.id not in counts
    ]
    # a board indicator compares memberships with the workforce: with the workforce's rows
    # alone there is nothing to compare (reported, not published as nothing)
    workforce_only = {
        i.id
        for i in request.standard.indicators
        if i.kind.shape is Shape.BOARD
        and i.id in counts
        and all(block.board == WORKFORCE for block in counts[i.id])
    }
    missing += [
        NotComputed(i, "only the workforce's rows in the counts file: no board memberships")
        for i in sorted(workforce_only)
    ]
    counts = {i: blocks for i, blocks in counts.items() if i not in workforce_only}
    return counts, missing, [report]


def run(request: RunRequest) -> Pack:
    """Compute, protect and package one run."""
    _check_inputs(request)
    cuts = plan_cuts(request.by, lattice=request.lattice)
    if request.roll_up:
        cuts = roll_up_cuts(cuts, organisation_cuts(cuts))
    counts, missing, reports = _count(request, cuts)
    if request.standard.characteristic == "ethnicity" and not request.accept_unrecognised:
        check_unrecognised(reports, at_most_percent=request.unrecognised_at_most_percent)
    missing += [NotComputed(i, reason) for i, reason in request.standard.unsupported]
    evaluated = evaluate(counts, request.standard, cuts, request.settings, request.scheme)
    counts_file = request.counts is not None
    sources = count_sources(counts, request.standard, counts_file=counts_file)
    declared, routing = declarations(request.standard, sources)
    members = group_members(counts, request.settings, request.scheme)
    dims = output_dims(request.standard, cuts)
    keys = ["indicator", "variant", "year", *dims, "board", "group"]
    policy = _policy_of(request)
    primary = apply_primary(evaluated, policy, keys)
    cells, first = _systems(
        request,
        counts,
        cuts,
        (evaluated, primary.table),
        _Measures(sources, declared, routing, members, counts_file, policy.primary.public_measures),
    )
    del counts  # the cubes and their marginals: every figure is in ``evaluated`` now
    # every count before withholding, for what the protection costs (restricted/utility.csv)
    computed = evaluated.select(*TABLE_COLUMNS, *dims, *COUNT_COLUMNS)
    del evaluated
    protection = _protected(request, cells, first)
    table, secondary = withhold(primary.table, cells, protection, keys)
    costs = utility(computed, table, dims)
    del computed
    published, pooled = _published(request, table, dims)
    decisions = pl.concat([primary.decisions, secondary], how="diagonal_relaxed").sort(
        [*keys, "column"], nulls_last=False
    )
    return Pack(
        indicators=published,
        pooled=pooled,
        decisions=decisions,
        certificate=protection.certificate_frame(),
        audit_passed=protection.certificate.ok,
        utility=costs,
        standard=request.standard,
        reconciliations=tuple(reports),
        not_computed=_not_computed(missing),
        manifest={
            **manifest_of(request, cuts, protection, reports),
            **(
                unknown_ethnicity(reports) if request.standard.characteristic == "ethnicity" else {}
            ),
        },
    )


def _protected(request: RunRequest, cells: RunCells, first: FirstLevel | None) -> Protection:
    """The run's cells protected (``wres.rules.run_protection.protect_run``), its parts where
    the request says; a counts file whose figures contradict each other is bad input."""
    try:
        return protect_run(
            cells,
            request.policy,
            first=first,
            progress=request.progress or silent,
            runner=_runner(request),
        )
    except InconsistentSystemError as err:
        raise BadInputError(_disagreeing(request, cells, err)) from None


def _runner(request: RunRequest) -> Runner:
    """Where the protection's parts run: Spark tasks (engine spark), or ``--jobs`` processes."""
    if request.engine == "spark":
        from wres.engine.spark.parts import on_spark  # noqa: PLC0415 - needs the spark extra

        return on_spark
    return ProcessPool(request.jobs)


def _check_inputs(request: RunRequest) -> None:
    """One kind of input: record-level extracts, or (for ethnicity only) a counts file."""
    if (request.counts is None) == (not request.extracts and not request.frames):
        msg = "give record-level extracts (--staff, ...) or a counts file (--counts), not both"
        raise ConfigError(msg)
    if request.counts is not None and request.standard.characteristic != "ethnicity":
        msg = (
            f"{request.standard.short_name} runs read record-level extracts only; "
            "a counts file (--counts) holds ethnicity counts"
        )
        raise ConfigError(msg)


def _policy_of(request: RunRequest) -> Policy:
    """The run's policy as it applies to the run's standard."""
    policy = request.policy
    if request.standard.characteristic != "ethnicity" and policy.primary.public_measures:
        # the annual report names a board's members, and so their ethnic group (WRES 9), but
        # not whether a member is disabled (WDES 10): that board is not public
        policy = replace(policy, primary=replace(policy.primary, public_measures=()))
    return policy


def _published(
    request: RunRequest, table: pl.DataFrame, dims: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The protected rows as published, and the pooled figures over their years."""
    if request.policy.rounding.round_counts_to_nearest > 1:
        # rates beside rounded counts would give the true counts away: recompute every figure
        # from the counts as published
        table = restated(table, request.standard, request.settings)
    # a row showing its own counts beside a blank comparison says why, in words
    table = explain_comparisons(table)
    alpha = 1 - request.settings.confidence
    published = with_adjusted_p(table, dims, method=request.adjust, alpha=alpha)
    pooled = pooled_over_years(
        table,
        table,
        request.standard,
        dims,
        confidence=request.settings.confidence,
        adjust_method=request.adjust,
    )
    return published, pooled


def _not_computed(missing: Sequence[NotComputed]) -> pl.DataFrame:
    return pl.DataFrame(
        [(m.indicator, m.reason) for m in missing],
        schema={"indicator": pl.Int16, "reason": pl.String},
        orient="row",
    ).unique(maintain_order=True)


@dataclass(frozen=True)
class _Measures:
    """What a run's systems are built from besides the rows (``wres.rules.run_protection``)."""

    sources: Mapping[SourceKey, CountSource]
    declared: Sequence[Split]
    routing: Sequence[Bound]
    members: Mapping[str, frozenset[str]]
    counts_file: bool
    public: Sequence[str]


def _systems(
    request: RunRequest,
    counts: Counts,
    cuts: Sequence[Sequence[str]],
    rows: tuple[pl.DataFrame, pl.DataFrame],
    measures: _Measures,
) -> tuple[RunCells, FirstLevel | None]:
    """The run's system, and with ``--by`` cuts other than organisations the system of its
    organisation level alone (the rows the run by its organisation cuts only has: each
    indicator at every organisation with the other cut columns at ``All``, indicator 1 by
    staff group and band), protected first (``wres.rules.run_protection.protect_run``). ``rows``:
    the evaluated rows and the same after the primary rules."""
    evaluated, withheld = rows

    def system(rows: pl.DataFrame, shown: pl.DataFrame, dims: Sequence[str]) -> RunCells:
        return run_cells(
            rows,
            shown,
            measures.sources,
            dims,
            measures.members,
            at_most=request.policy.primary.suppress_if_count_at_most,
            labels=cut_values(counts, dims),
            nested=nesting(counts, dims),
            declared=measures.declared,
            routing=measures.routing,
            counts_file=measures.counts_file,
            public=measures.public,
        )

    dims = output_dims(request.standard, cuts)
    cells = system(evaluated, withheld, dims)
    first_cuts = organisation_cuts(cuts)
    if request.roll_up:  # the run without --by rolls its band rows up too
        first_cuts = roll_up_cuts(first_cuts, first_cuts)
    level = evaluated.select(organisation_rows(request.standard, dims, first_cuts))
    at = level.to_series().to_numpy()
    if at.all():  # nothing but organisations: one level
        return cells, None
    chosen = np.flatnonzero(at)
    mine = withheld[chosen]
    first = FirstLevel(
        system(evaluated[chosen], mine, output_dims(request.standard, first_cuts)),
        chosen,
        {c: mine[c].is_not_null().to_numpy() for c in COUNT_COLUMNS},
    )
    return cells, first


def _disagreeing(
    request: RunRequest, cells: RunCells, err: InconsistentSystemError
) -> list[Problem]:
    """A counts file whose figures contradict each other (a staff group's headcount larger than
    the workforce another indicator gives): the totals that do not match their parts."""
    where = request.counts or Path("(the inputs)")
    system = cells.tables.constraints
    totals = [int(system.total_cell[r]) for r in np.unique(err.rows)]
    texts = dict.fromkeys(cells.tables.key_text(t) if t >= 0 else "a relation" for t in totals)
    return [
        Problem(
            where,
            None,
            None,
            "the indicators' counts cannot all hold: a total does not match its parts in "
            f"another indicator or cut ({text})",
        )
        for text in list(texts)[:20]
    ]
