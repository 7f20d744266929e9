"""Secondary suppression of a whole run (the system of :mod:`wres.rules.run_cells`): the
protection of every count it publishes together, the cells a reader recovers anyway published
again, the order of importance of its tables, and every figure of a row whose count is
withheld withheld with it (D1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import InternalError
from wres.engine.parallel import Runner, in_process
from wres.engine.progress import Progress, prefixed, silent
from wres.engine.protection.batches import InconsistentSystemError
from wres.engine.protection.intervals import attacker_intervals, propagate_bounds
from wres.engine.protection.local import System, prove
from wres.rules.policy import Policy
from wres.rules.run_cells import RunCells
from wres.rules.run_counts import (
    COUNT_COLUMNS,
    ETHNICITY,
    MEASURE,
    YEAR,
    BoolArray,
    FloatArray,
    IntArray,
)
from wres.rules.run_parts import (
    FirstLevel,
    PartTask,
    connected_parts,
    first_links,
    merged,
    part_tasks,
)
from wres.rules.secondary import Protection, protect
from wres.rules.secondary_settings import REASONS as SECONDARY_REASONS
from wres.rules.secondary_settings import ProtectSettings
from wres.rules.suppression import DERIVED, PUBLIC_STATUS, Rule
from wres.rules.suppression import REASONS as PRIMARY_REASONS
from wres.rules.table import Hierarchy, LinkedTables

#: The rule id of a rolling count withheld because a year it sums is.
ROLLING_RULE = "S3"

#: A run's system is large and sparse: the audit solves the interval of every withheld cell
#: that neither a witness pattern nor its distance above the range proves, and no more.
#: A cell the local witnesses leave unproved is solved over its whole part only in a part of
#: at most 5,000 unknown cells, else repaired: a year's trusts are one part per family of
#: measures, and on 20 trusts a year's run with the programmes over parts of tens of thousands
#: of cells had gone more than 8 minutes when stopped, against 211 s in all with this limit.
RUN_SETTINGS = ProtectSettings(
    exact_limit=0,
    method="patterns",
    repair_rounds=2,
    local_witnesses=True,
    cleanup_up_to=0,
    whole_limit=5_000,
)


def protect_run(
    cells: RunCells,
    policy: Policy,
    *,
    first: FirstLevel | None = None,
    settings: ProtectSettings = RUN_SETTINGS,
    progress: Progress = silent,
    runner: Runner = in_process,
) -> Protection:
    """Protect the run's cells, its primary cells marked as the run decided them (``settings``:
    how hard the protection works, :data:`RUN_SETTINGS` for a run), part by part
    (:mod:`wres.rules.run_parts`: the run's system falls into parts no relation joins, each
    protected and audited on its own by ``runner``, in this process by default).

    A run withholds some zeros (a small group's zero events, the remainder of a count equal to
    its denominator), and its one public marker does not say which: the attacker's least value
    of a withheld cell is 0, as under a policy whose zeros are sensitive. ``progress`` is told
    how far the protection and its audit have got (``wres.engine.progress``): the parts done,
    or for a run of one part its stages.

    Levels of importance: with ``first`` (a run with ``--by`` cuts), the organisation-level
    rows are protected first as the run without the cuts protects them; then the whole run,
    with the figures that stage withheld withheld from the start and those it published kept
    published (the finer cuts give up more cells instead; only a fallback that finds nothing
    else to withhold may take one, and says so in its notes). Every withheld cell, the
    organisation's too, is audited in the whole system. Within a stage a cell costs
    ``[secondary] coarser_level_cost`` times as much per cut column at its total."""
    links = first_links(cells, first)
    n = cells.tables.n_cells
    systems = [cells.tables.constraints.matrix]
    if first is not None:
        systems.append(first.cells.tables.constraints.matrix)
    label = connected_parts(systems, np.column_stack([links[0], n + links[1]]))
    if not len(label) or label.max() == 0:  # one part (or none: nothing to publish) is the run
        one = PartTask(cells, None if first is None else first.cells, links, policy, settings)
        return _protect_part(one, progress)
    tasks, parts = part_tasks(cells, first, links, label, (policy, settings))
    done = runner(
        _protect_part, tasks, weights=[t.cells.tables.n_cells for t in tasks], progress=progress
    )
    return merged(cells, parts, done)


def _protect_part(task: PartTask, progress: Progress = silent) -> Protection:
    """One part of :func:`protect_run`."""
    cells, first, policy, settings = task.cells, task.first, task.policy, task.settings
    if first is None:
        return published_when_known(
            _protect_cells(cells, policy, settings=settings, progress=progress)
        )
    told = prefixed(progress, "organisation level, ")
    # as the run without the cuts protects them, to the last figure published after all
    inner = published_when_known(_protect_cells(first, policy, settings=settings, progress=told))
    at, inner_at, shown = task.links
    hid = inner.hidden[inner_at]
    withheld = np.zeros(cells.tables.n_cells, np.bool_)
    withheld[at[hid]] = True
    # a count the rows leave blank that no stage withholds (a zero anyone can tell) is
    # neither: the whole run decides it again
    published = np.zeros(cells.tables.n_cells, np.bool_)
    published[at[~hid & shown]] = True
    rule_of = np.full(cells.tables.n_cells, "", dtype=object)
    rule_of[at[hid]] = np.array(inner.rules, dtype=object)[inner_at[hid]]
    if (published & withheld).any():
        msg = "one organisation-level count both withheld and published (a bug in wres)"
        raise InternalError(msg)
    # a count the run without the cuts publishes, that a finer row's rule withholds (a group
    # too small to report in a band, its count large in the whole organisation): it is
    # published there, so it is known; the finer row still shows it blank
    cells = replace(cells, primary=cells.primary & ~published)
    done = _protect_cells(
        cells,
        policy,
        withheld=withheld & ~cells.primary,
        reserve=published,
        settings=settings,
        progress=prefixed(progress, "finer cuts, "),
    )
    rules = list(done.rules)
    for i in np.flatnonzero(withheld & done.secondary):
        rules[i] = str(rule_of[i])
    return published_when_known(replace(done, rules=tuple(rules)))


#: The note of a protection that published withheld cells a reader recovers exactly anyway.
RECOVERABLE_NOTE = "published {n} withheld cell(s) that a reader recovers exactly anyway"


def _pinned_by_programme(
    protection: Protection, cells: BoolArray, outer: tuple[FloatArray, FloatArray]
) -> tuple[BoolArray, FloatArray]:
    """Of ``cells``, those a reader recovers exactly, and the value each is recovered as: the
    ones no proof of the certificate and no small move moves get their exact interval."""
    cert = protection.certificate
    moves = cert.cells[np.nan_to_num(cert.possible, nan=0.0) >= 2]
    todo = cells.copy()
    todo[moves] = False
    known = protection.knowledge
    values = protection.tables.values.astype(np.float64)
    low, high = known.lower - values, known.upper - values
    system = System.of(protection.tables.constraints.matrix)
    for sign in (1, -1):
        targets = np.flatnonzero(todo)
        if not len(targets):
            break
        for move in prove(
            system,
            low,
            high,
            targets,
            direction=np.full(len(targets), sign, np.int64),
            wanted=np.ones(len(targets), np.int64),
        ):
            todo[move.cells] = False
    if not todo.any():
        return todo, np.full(len(todo), np.nan)
    try:
        found = attacker_intervals(
            protection.tables.constraints.matrix, known.lower, known.upper, todo, outer=outer
        )
    except InconsistentSystemError:
        # a counts file whose indicators disagree (one headcount, two values) makes relations
        # the published figures break; the audit's local proofs never solve them as a whole,
        # but a whole solve cannot: no cell is published on its account (withheld is safe)
        return np.zeros(len(todo), np.bool_), np.full(len(todo), np.nan)
    exact = found.exact_lower & found.exact_upper
    out: BoolArray = todo & exact & (found.upper - found.lower < 0.5)
    return out, np.where(out, found.lower, np.nan)


def published_when_known(protection: Protection) -> Protection:
    """Nothing withheld for nothing: every withheld cell that no primary rule withholds and
    that a reader recovers exactly from what is published (a broad group's headcount that is
    its total minus the groups beside it) is published after all.

    A reader who deduces a count learns nothing when it is printed: the tables a reader cannot
    tell apart from the true one are the same before and after, so every other cell keeps its
    interval and the audit's certificate holds as it is (less the cells published). The
    deductions are bound propagation through every relation of the run's system (each step is
    a reader's own: a row's total minus its other cells' bounds), so every cell published here
    is one a reader recovers. The cells it leaves, that no proof of the audit moves and no
    small move around them shifts, get their exact interval by linear programme."""
    known = protection.knowledge
    matrix = protection.tables.constraints.matrix
    lower, upper = propagate_bounds(matrix, known.lower, known.upper)
    withheld = protection.secondary & ~known.absent
    pinned = withheld & (upper - lower < 0.5)
    solved, at = _pinned_by_programme(protection, withheld & ~pinned, (lower, upper))
    deduced = np.where(solved, at, lower)
    pinned |= solved
    if not pinned.any():
        return protection
    if (np.abs(deduced[pinned] - protection.tables.values[pinned]) > 0.5).any():
        msg = "a withheld count deduced as another value (a bug in wres)"
        raise InternalError(msg)
    cert = protection.certificate
    stays = ~pinned[cert.cells]
    certificate = cert.rows(stays)
    return replace(
        protection,
        secondary=protection.secondary & ~pinned,
        rules=tuple("" if k else r for r, k in zip(protection.rules, pinned, strict=True)),
        certificate=certificate,
        knowledge=replace(
            known,
            lower=np.where(pinned, deduced, known.lower),  # the true count, as a reader deduces
            upper=np.where(pinned, deduced, known.upper),
            hidden=known.hidden & ~pinned,
        ),
        notes=(*protection.notes, RECOVERABLE_NOTE.format(n=int(pinned.sum()))),
        recovered=protection.recovered + int(pinned.sum()),
    )


def _protect_cells(
    cells: RunCells,
    policy: Policy,
    *,
    withheld: BoolArray | None = None,
    reserve: BoolArray | None = None,
    settings: ProtectSettings = RUN_SETTINGS,
    progress: Progress = silent,
) -> Protection:
    """One stage of :func:`protect_run`."""
    zeros_hidden = replace(policy, primary=replace(policy.primary, suppress_zero_counts=True))
    nobody = structural_zeros(cells.tables, cells.fixed)
    absent = cells.absent
    if not policy.primary.suppress_zero_counts:
        # Zeros are not sensitive under this policy. One withheld for another's sake (its
        # complement is small: P2) protects nothing and needs no room of its own, but the
        # attacker does not know it is 0: it is a cell nobody publishes (absent), at least 0.
        # (Held as known, the certificate's intervals were narrower than an attacker's.) And
        # no zero is withheld to protect another (it could only be pinned to 0, which tells
        # nothing the policy protects).
        zero = cells.tables.values == 0
        absent = absent | (cells.primary & zero & ~cells.visible)
        nobody |= zero & ~absent
    fixed = cells.fixed | nobody | cells.public
    return protect(
        cells.tables,
        zeros_hidden,
        primary=cells.primary & ~nobody & ~absent,
        settings=settings,
        absent=absent,
        fixed=fixed,
        balance=cells.derived,
        keep=headline(cells.tables),
        withheld=None if withheld is None else withheld & ~fixed & ~absent,
        reserve=reserve,
        coarseness=coarseness(cells.tables) + cells.about,
        progress=progress,
    )


def coarseness(tables: LinkedTables) -> IntArray:
    """Each cell's number of cut columns at their total (``All``): the more, the coarser the
    figure, and the more withholding it costs (``[secondary] coarser_level_cost``). In a chain
    of nested columns each column counts: a region's figure is one step coarser than its
    organisations', a band cluster's than its bands'."""
    out = np.zeros(tables.n_cells, dtype=np.int64)
    for d in _cut_dims(tables):
        depth = _depths(tables.hierarchies[d])
        out += depth.max() - depth[tables.coords[:, d]]
    return out


def _depths(hierarchy: Hierarchy) -> IntArray:
    """Each node's depth: 0 for the total, 1 for the outermost column's values, ..."""
    depth = np.zeros(len(hierarchy.labels), dtype=np.int64)
    for i, parent in enumerate(hierarchy.parents):
        if parent >= 0:  # a parent comes before its children
            depth[i] = depth[parent] + 1
    return depth


def headline(tables: LinkedTables) -> BoolArray:
    """The organisation-wide figures: every cut column at its total (``All``). The pattern
    search reaches for totals when the cells around a small count are all small; these are the
    figures a reader looks for first, so they are kept published where other cells can do."""
    out: BoolArray = (tables.coords[:, _cut_dims(tables)] == 0).all(axis=1)
    return out


def _cut_dims(tables: LinkedTables) -> list[int]:
    """The dimensions of the system that are cut columns (not measure, year or ethnicity)."""
    return [d for d, h in enumerate(tables.hierarchies) if h.name not in (MEASURE, YEAR, ETHNICITY)]


def structural_zeros(tables: LinkedTables, known_zeros: BoolArray) -> BoolArray:
    """Cells that the rows a publication leaves out show to be zero: a band's headcount when
    the band x staff group cut has no row for that band. Anyone can tell, so withholding one
    hides nothing; it is neither a primary cell to protect nor a cell to withhold."""
    lower = np.zeros(tables.n_cells)
    upper = np.where(known_zeros, 0.0, np.inf)
    _, upper = propagate_bounds(tables.constraints.matrix, lower, upper)
    nobody: BoolArray = upper <= 0
    return nobody & ~known_zeros


def withhold(
    table: pl.DataFrame, cells: RunCells, protection: Protection, keys: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The published table with every count of a withheld cell withheld, and every figure
    computed from one (D1); and the decisions that adds (key, column, rule, reason)."""
    flags, rule_of = _newly_withheld_counts(table, cells, protection)
    decided = _count_decisions(table, keys, flags, rule_of)
    flagged = table.with_columns(**{f"_new_{c}": f for c, f in flags.items()})
    derived_new: dict[str, pl.Expr] = {}
    for name, sources in DERIVED.items():
        derived_new[name] = (
            pl.any_horizontal([pl.col(f"_new_{s}") for s in sources]) & pl.col(name).is_not_null()
        )
    flagged = flagged.with_columns(**{f"_new_{n}": e for n, e in derived_new.items()})
    for name in derived_new:
        rows = np.flatnonzero(flagged[f"_new_{name}"].to_numpy())
        if len(rows):
            decided.append(
                table[rows]
                .select(keys)
                .with_columns(column=pl.lit(name), rule=pl.lit(str(Rule.DERIVED)))
            )
    return _blanked(flagged, [*flags, *derived_new]), _with_reasons(decided)


def _newly_withheld_counts(
    table: pl.DataFrame, cells: RunCells, protection: Protection
) -> tuple[dict[str, pl.Series], dict[str, npt.NDArray[np.object_]]]:
    """Per count column: the rows whose published count the protection withholds (its cell is
    withheld, or for a rolling count a year it sums), and the rule of each ("" for the rest)."""
    hidden = protection.hidden
    flags: dict[str, pl.Series] = {}
    rules = np.array(protection.rules, dtype=object)
    rule_of: dict[str, npt.NDArray[np.object_]] = {}
    for column in COUNT_COLUMNS:
        at = cells.cell_of[column]
        published = table[column].is_not_null().to_numpy()
        newly = (at >= 0) & hidden[np.maximum(at, 0)] & published
        rule = np.where(newly, rules[np.maximum(at, 0)], "")
        # a rolling count: withheld with any year it sums
        parts = cells.window_parts[column]
        part_hidden = (parts >= 0) & hidden[np.maximum(parts, 0)]
        by_window = part_hidden.any(axis=1) & published & ~newly
        rule = np.where(by_window, str(ROLLING_RULE), rule)
        flags[column] = pl.Series(column, newly | by_window)
        rule_of[column] = rule
    return flags, rule_of


def _count_decisions(
    table: pl.DataFrame,
    keys: Sequence[str],
    flags: Mapping[str, pl.Series],
    rule_of: Mapping[str, npt.NDArray[np.object_]],
) -> list[pl.DataFrame]:
    """The decisions of the counts newly withheld: per count column, each row's key, the
    column and the rule."""
    decided: list[pl.DataFrame] = []
    for column, newly in flags.items():
        rows = np.flatnonzero(newly.to_numpy())
        if not len(rows):
            continue
        rule = rule_of[column][rows]
        decided.append(
            table[rows]
            .select(keys)
            .with_columns(
                column=pl.lit(column),
                rule=pl.Series(rule.astype(str), dtype=pl.String),
            )
        )
    return decided


def _blanked(flagged: pl.DataFrame, changed: Sequence[str]) -> pl.DataFrame:
    """The table with each ``changed`` figure blank where its ``_new_`` flag is set, those rows'
    status the public marker's, and the notes of a blank figure (its range, method, test)
    blank with it."""
    any_new = pl.any_horizontal([pl.col(f"_new_{c}") for c in changed])
    out = flagged.with_columns(
        *[pl.when(pl.col(f"_new_{c}")).then(None).otherwise(pl.col(c)).alias(c) for c in changed],
        status=pl.when(any_new).then(pl.lit(PUBLIC_STATUS)).otherwise(pl.col("status")),
    )
    return out.with_columns(
        non_adverse_range=pl.when(pl.col("relative_likelihood").is_not_null()).then(
            pl.col("non_adverse_range")
        ),
        ci_method=pl.when(pl.col("ci_low").is_not_null()).then(pl.col("ci_method")),
        test=pl.when(pl.col("p_value").is_not_null()).then(pl.col("test")),
    ).drop([f"_new_{c}" for c in changed])


def _with_reasons(decided: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The decisions in one frame, each with its rule's reason (empty when there are none)."""
    reasons: dict[str, str] = {str(k): v for k, v in SECONDARY_REASONS.items()}
    reasons |= {str(k): v for k, v in PRIMARY_REASONS.items()}
    reasons["P0"] = "the same count is withheld in another row of the run"
    reasons[ROLLING_RULE] = "a rolling figure summing a year whose count is withheld"
    return (
        pl.concat(decided).with_columns(
            reason=pl.col("rule").replace_strict(reasons, return_dtype=pl.String)
        )
        if decided
        else pl.DataFrame()
    )
