"""Secondary suppression: an independent attacker finds no withheld cell narrower than allowed."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.rules.independent_attacker import integer_interval, relations
from tests.synthetic_tables import Shape, ethnicity_hierarchy, full_table, synthetic_table
from wres.engine.errors import ConfigError
from wres.engine.protection.cleanup import CleanupLimits
from wres.engine.protection.patterns import (
    MAX_LINE_PATTERNS,
    SearchResult,
    Tree,
    _line_patterns_of,
    search_patterns,
)
from wres.rules import secondary, secondary_patterns, secondary_repairs
from wres.rules.attacker_knowledge import knowledge, witness_ranges
from wres.rules.policy import Policy, policy_from_toml
from wres.rules.secondary import cell_costs, protect
from wres.rules.secondary_repairs import slabs
from wres.rules.secondary_settings import ProtectionRule, ProtectSettings
from wres.rules.table import Hierarchy, LinkedTables

SMALL_COUNTS = [0, 0, 1, 1, 2, 3, 4, 5, 7, 9, 12, 20, 35, 60]


def policy(
    at_most: int, need: int, *, cost: str = "cells", zeros_sensitive: bool = False
) -> Policy:
    return policy_from_toml(
        f"[primary]\nsuppress_if_count_at_most = {at_most}\n"
        f"suppress_zero_counts = {'true' if zeros_sensitive else 'false'}\n"
        f'[secondary]\nmin_attacker_interval = {need}\ncost = "{cost}"\n',
        "test",
    )


def tree_of(h: Hierarchy) -> dict[str, str | None]:
    return {
        label: (h.labels[p] if p >= 0 else None)
        for label, p in zip(h.labels, h.parents, strict=True)
    }


def attacker_view(
    tables: LinkedTables, hidden: np.ndarray, lowest: int = 1
) -> tuple[list[Any], list[Any], dict[Any, float], dict[Any, float]]:
    """The test's own attacker: each cell's key, the relations it builds from the hierarchies,
    and its bounds (a published cell at its count, a withheld one from ``lowest`` up)."""
    keys = [tables.key(i) for i in range(tables.n_cells)]
    rows = relations([tree_of(h) for h in tables.hierarchies], keys)
    lower = {k: float(tables.values[i]) for i, k in enumerate(keys)}
    upper = dict(lower)
    for i in np.flatnonzero(hidden):
        lower[keys[i]], upper[keys[i]] = lowest, math.inf
    return keys, rows, lower, upper


def independent_check(tables: LinkedTables, hidden: np.ndarray, rule: Policy) -> list[str]:
    """Every withheld cell the attacker cannot place above the withheld range keeps enough
    values, by the test's own attacker. Returns the failures (keys), empty when protected."""
    lowest = 0 if rule.primary.suppress_zero_counts else 1
    keys, rows, lower, upper = attacker_view(tables, hidden, lowest)
    failures = []
    for i in np.flatnonzero(hidden):
        lo, hi = integer_interval(rows, lower, upper, keys[i])
        if (
            lo <= rule.primary.suppress_if_count_at_most
            and hi - lo + 1 < rule.secondary.min_attacker_interval
        ):
            failures.append(", ".join(keys[i]))
    return failures


def assert_protected(tables: LinkedTables, rule: Policy, **kwargs: object) -> np.ndarray:
    result = protect(tables, rule, **kwargs)  # type: ignore[arg-type]
    hidden = result.hidden
    small = (tables.values >= 1) & (tables.values <= rule.primary.suppress_if_count_at_most)
    if rule.primary.suppress_zero_counts:
        small |= tables.values == 0
    assert (hidden >= small).all(), "a small count is published"
    if not rule.primary.suppress_zero_counts:
        assert not hidden[tables.values == 0].any(), "a published zero was withheld"
    assert result.certificate.ok
    assert independent_check(tables, hidden, rule) == []
    return hidden


# --- random tables with hierarchies -----------------------------------------------------------


@st.composite
def tables_with_hierarchies(draw: st.DrawFn) -> LinkedTables:
    n_dims = draw(st.integers(2, 3))
    hierarchies = []
    for d in range(n_dims):
        name = f"d{d}"
        if d == 0 and draw(st.booleans()):
            pairs = [
                ("g1", "Total"),
                ("g2", "Total"),
                ("a", "g1"),
                ("b", "g1"),
                ("c", "g2"),
                ("e", "g2"),
            ]
            hierarchies.append(Hierarchy.from_pairs(name, pairs))
        else:
            size = draw(st.integers(2, 3 if n_dims == 3 else 4))
            hierarchies.append(Hierarchy.flat(name, [f"{name}{i}" for i in range(size)]))
    shape = tuple(int(h.is_leaf.sum()) for h in hierarchies)
    leaves = draw(
        st.lists(
            st.sampled_from(SMALL_COUNTS),
            min_size=int(np.prod(shape)),
            max_size=int(np.prod(shape)),
        )
    )
    return full_table(hierarchies, np.array(leaves).reshape(shape))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables=tables_with_hierarchies(),
    at_most=st.integers(2, 4),
    need=st.integers(2, 5),
    method=st.sampled_from(["moves", "patterns"]),
)
def test_no_withheld_cell_is_narrower_than_required(
    tables: LinkedTables, at_most: int, need: int, method: str
) -> None:
    assert_protected(tables, policy(at_most, need), settings=ProtectSettings(method=method))


@settings(max_examples=10, deadline=None)
@given(tables=tables_with_hierarchies(), need=st.integers(2, 4))
def test_zeros_can_be_sensitive(tables: LinkedTables, need: int) -> None:
    assert_protected(tables, policy(2, need, zeros_sensitive=True))


def test_a_tiny_table_agrees_with_enumerating_every_table() -> None:
    """Every table of whole numbers that matches the publication, listed (vectorised over all
    choices of the withheld inner cells): each cell that could be small takes enough values."""
    rows = Hierarchy.flat("row", ["r1", "r2"])
    cols = Hierarchy.flat("col", ["c1", "c2", "c3"])
    leaves = np.array([[2, 6, 9], [7, 1, 5]])
    tables = full_table([rows, cols], leaves)
    rule = policy(2, 3)
    hidden = protect(tables, rule).hidden
    free = [(r, c) for r in range(2) for c in range(3) if hidden[cell_index(tables, r, c)]]
    grid_values = np.array(list(itertools.product(range(25), repeat=len(free))))
    trials = np.repeat(leaves[None], len(grid_values), axis=0)
    for k, (r, c) in enumerate(free):
        trials[:, r, c] = grid_values[:, k]
    # every cell of each trial table: leaves, row totals, column totals, grand total
    full = np.zeros((len(trials), 3, 4), np.int64)
    full[:, 1:, 1:] = trials
    full[:, 0, 1:] = trials.sum(axis=1)
    full[:, 1:, 0] = trials.sum(axis=2)
    full[:, 0, 0] = trials.sum(axis=(1, 2))
    flat = full.reshape(len(trials), -1)  # the full-cross order of the tables' cells
    order = np.argsort(tables.codes)
    assert (flat[0, tables.codes] == full_table([rows, cols], trials[0]).values).all()
    ok = (flat[:, tables.codes][:, ~hidden] == tables.values[~hidden]).all(axis=1)
    ok &= (flat[:, tables.codes][:, hidden] >= 1).all(axis=1)  # zeros are published
    consistent = flat[ok][:, tables.codes]
    del order
    for i in np.flatnonzero(hidden):
        lo, hi = consistent[:, i].min(), consistent[:, i].max()
        if lo <= 2:
            assert hi - lo + 1 >= 3, tables.key(int(i))


def cell_index(tables: LinkedTables, r: int, c: int) -> int:
    return int(tables.cells_of({"row": f"r{r + 1}", "col": f"c{c + 1}"})[0])


# --- the classic cases, protected ---------------------------------------------------------------


def grid(leaves: list[list[int]]) -> LinkedTables:
    rows = Hierarchy.flat("row", [f"r{i + 1}" for i in range(len(leaves))])
    cols = Hierarchy.flat("col", [f"c{j + 1}" for j in range(len(leaves[0]))])
    return full_table([rows, cols], np.array(leaves))


@pytest.mark.parametrize("method", ["moves", "patterns"])
def test_a_lone_small_cell_gets_company(method: str) -> None:
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    hidden = assert_protected(tables, policy(4, 5), settings=ProtectSettings(method=method))
    assert hidden.sum() >= 4  # at least a rectangle


@pytest.mark.parametrize("method", ["moves", "patterns"])
def test_two_small_cells_in_a_row_get_a_larger_partner(method: str) -> None:
    tables = grid([[1, 2, 50, 3], [30, 40, 50, 60], [12, 18, 22, 9]])
    assert_protected(tables, policy(4, 5), settings=ProtectSettings(method=method))


def test_a_cell_recoverable_through_a_second_cut_is_protected_in_both() -> None:
    band = Hierarchy.flat("band", ["5", "6", "7"])
    site = Hierarchy.flat("site", ["A", "B"])
    leaves = {
        ("5", "A"): 2,
        ("5", "B"): 30,
        ("6", "A"): 40,
        ("6", "B"): 50,
        ("7", "A"): 9,
        ("7", "B"): 11,
    }
    by_site = [*leaves.items()] + [
        (("Total", s), sum(v for (b, t), v in leaves.items() if t == s)) for s in "AB"
    ]
    band_x_site = LinkedTables.from_keys(
        [band, site], [k for k, _ in by_site], [v for _, v in by_site]
    )
    alone = [((b, "Total"), sum(v for (c, _), v in leaves.items() if c == b)) for b in "567"]
    alone.append((("Total", "Total"), sum(leaves.values())))
    band_alone = LinkedTables.from_keys([band, site], [k for k, _ in alone], [v for _, v in alone])
    assert_protected(LinkedTables.link([band_x_site, band_alone]), policy(4, 5))


def test_a_staff_table_with_detailed_ethnicity_is_protected() -> None:
    """19 categories in 5 groups in a total, by 3 sites: three levels in one dimension."""
    ethnicity = ethnicity_hierarchy(detailed=True)
    site = Hierarchy.flat("site", ["A", "B", "C"])
    rng = np.random.default_rng(11)
    leaves = rng.choice(SMALL_COUNTS, size=(int(ethnicity.is_leaf.sum()), 3))
    tables = full_table([ethnicity, site], leaves)
    for method in ("moves", "patterns"):
        assert_protected(tables, policy(4, 5), settings=ProtectSettings(method=method))


# --- determinism, decisions, fallback ---------------------------------------------------------


SMALL_A = Shape("small A", detailed=False, sites=2, years=0, staff=500)
ONE_START = ProtectSettings(moves_starts=1)


def test_the_same_input_gives_the_same_pattern_whatever_the_row_order() -> None:
    tables = synthetic_table(SMALL_A, 3)
    rule = policy(4, 5)
    first = protect(tables, rule, settings=ONE_START)
    again = protect(tables, rule, settings=ONE_START)
    assert (first.hidden == again.hidden).all()
    order = np.random.default_rng(5).permutation(tables.n_cells)
    shuffled = LinkedTables(tables.hierarchies, tables.coords[order], tables.values[order])
    moved = protect(shuffled, rule, settings=ONE_START)
    assert (moved.hidden == first.hidden[order]).all()
    assert [moved.rules[i] for i in range(tables.n_cells)] == [first.rules[i] for i in order]


@pytest.mark.parametrize("method", ["moves", "patterns"])
def test_every_withheld_cell_has_a_rule_and_reason(method: str) -> None:
    tables = synthetic_table(SMALL_A, 4)
    result = protect(tables, policy(4, 5), settings=ProtectSettings(method=method, moves_starts=1))
    decisions = result.decisions()
    assert decisions.height == int(result.hidden.sum())
    assert set(decisions["rule"]) <= {"P1", "S1", "S2"}
    assert decisions.columns == ["ethnicity", "band", "site", "state", "rule", "reason"]
    assert (decisions.filter(decisions["state"] == "primary")["rule"] == "P1").all()


def test_the_fallback_protects_when_search_and_repair_are_not_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Never fail: with no search, no repair rounds and no ray, whole relations are withheld
    (S2) until the audit passes, and the decisions say so."""
    monkeypatch.setattr(secondary, "first_pattern", lambda task: (task.primary.copy(), [], []))
    monkeypatch.setattr(secondary_repairs, "_rays", lambda *_: (np.zeros(0, np.int64), []))
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    rule = policy(4, 5)
    result = protect(tables, rule, settings=ProtectSettings(repair_rounds=0))
    assert result.certificate.ok
    assert "S2" in result.rules
    assert any("fallback S2" in note for note in result.notes)
    assert independent_check(tables, result.hidden, rule) == []


def test_the_fallback_withholds_the_totals_above_a_cell_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no search and no repair rounds, the fallback gives the small count a ray: its row
    total, column total and grand total withheld with it, so that it can grow without limit
    (the independent attacker finds no upper bound), and the ray proves all four."""
    monkeypatch.setattr(secondary, "first_pattern", lambda task: (task.primary.copy(), [], []))
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    rule = policy(4, 5)
    result = protect(tables, rule, settings=ProtectSettings(repair_rounds=0))
    assert result.certificate.ok
    withheld = {tables.key(i) for i in np.flatnonzero(result.hidden)}
    assert withheld == {("r1", "c1"), ("r1", "Total"), ("Total", "c1"), ("Total", "Total")}
    assert {result.rules[i] for i in np.flatnonzero(result.secondary)} == {"S2"}
    _, rows, lower, upper = attacker_view(tables, result.hidden)
    assert integer_interval(rows, lower, upper, ("r1", "c1")) == (1, math.inf)


def test_a_repair_round_protects_without_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secondary, "first_pattern", lambda task: (task.primary.copy(), [], []))
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    rule = policy(4, 5)
    result = protect(tables, rule)
    assert result.certificate.ok
    assert "S2" not in result.rules
    assert independent_check(tables, result.hidden, rule) == []


@pytest.mark.parametrize("method", ["moves", "patterns"])
def test_relations_beyond_the_hierarchies_are_audited(method: str) -> None:
    """An extra relation (column c4 repeats c1) breaks product patterns' proofs; the audit
    catches it and the repair protects the cells anyway."""
    tables = grid([[3, 20, 30, 3], [15, 25, 40, 15], [12, 18, 22, 12]])
    pairs = [
        (tables.cells_of({"row": r, "col": "c1"})[0], tables.cells_of({"row": r, "col": "c4"})[0])
        for r in ("r1", "r2", "r3", "Total")
    ]
    linked = LinkedTables(
        tables.hierarchies,
        tables.coords,
        tables.values,
        extra_rows=tuple((np.array([a, b]), np.array([1, -1])) for a, b in pairs),
    )
    result = protect(linked, policy(4, 5), settings=ProtectSettings(method=method))
    assert result.certificate.ok
    # the test's attacker knows the extra relations too
    keys, rows, lower, upper = attacker_view(linked, result.hidden)
    rows += [[(keys[a], 1), (keys[b], -1)] for a, b in pairs]
    for i in np.flatnonzero(result.hidden):
        lo, hi = integer_interval(rows, lower, upper, keys[i])
        assert lo > 4 or hi - lo + 1 >= 5, keys[i]


def test_cost_and_marker_are_validated_policy_keys() -> None:
    with pytest.raises(ConfigError, match=r"secondary\.cost = 'people'.*'cells', 'values'"):
        policy_from_toml(
            '[primary]\nsuppress_if_count_at_most = 3\n[secondary]\ncost = "people"\n', "t"
        )
    for bad in ('"5"', '""', '"a,b"', '" *"'):
        with pytest.raises(ConfigError, match=r"secondary\.marker"):
            policy_from_toml(
                f"[primary]\nsuppress_if_count_at_most = 3\n[secondary]\nmarker = {bad}\n", "t"
            )
    ok = policy_from_toml(
        '[primary]\nsuppress_if_count_at_most = 3\n[secondary]\nmarker = "[c]"\n', "t"
    )
    assert ok.secondary.marker == "[c]"


def test_the_cost_setting_orders_cells_lexicographically() -> None:
    values = np.array([1, 5, 50, 500])
    by_cells = cell_costs(values, "cells")
    # one more cell always costs more than any counts withheld; then the smaller count
    assert by_cells[3] < 2 * by_cells[0]
    assert list(np.argsort(by_cells)) == [0, 1, 2, 3]
    by_values = cell_costs(values, "values")
    assert by_values[0] * 2 < by_values[1]  # people first
    for cost in ("cells", "values"):
        tables = synthetic_table(SMALL_A, 5)
        rule = policy(4, 5, cost=cost)
        assert protect(tables, rule, settings=ONE_START).certificate.ok


def test_rule_ids_are_a_closed_vocabulary() -> None:
    assert {r.value for r in ProtectionRule} == {"P0", "P1", "P3", "S1", "S2"}


# --- relations within one dimension, and cells to keep ----------------------------------------


def split_measures() -> Hierarchy:
    """A run's measures in small: ``w`` split into ``a`` and ``b`` (a relation of the
    hierarchy), and split again into ``p`` and ``r`` (an extra relation ``w = p + r``)."""
    return Hierarchy.from_pairs(
        "m", [("w", "Total"), ("p", "Total"), ("r", "Total"), ("a", "w"), ("b", "w")]
    )


def keeps_every_relation(tree: Tree, nodes: tuple[int, ...], signs: tuple[int, ...]) -> bool:
    move = dict(zip(nodes, signs, strict=True))
    for node in range(len(tree.parents)):
        children = [c for c, p in enumerate(tree.parents) if p == node]
        if children and move.get(node, 0) != sum(move.get(c, 0) for c in children):
            return False
    return all(
        sum(c * move.get(m, 0) for m, c in zip(members, coefs, strict=True)) == 0
        for members, coefs in tree.relations
    )


def test_line_patterns_keep_the_relations_within_their_dimension() -> None:
    h = split_measures()
    at = h.position
    relation = ((at["w"], at["p"], at["r"]), (1, -1, -1))
    weights = tuple(float(x) for x in (100, 60, 30, 70, 40, 20))
    tree = Tree(h.parents, weights, relations=(relation,))
    per_node = _line_patterns_of(tree, MAX_LINE_PATTERNS)
    # every count but the total (2 w here: it cannot move by one) has patterns
    assert [h.labels[n] for n, pats in enumerate(per_node) if not pats] == ["Total"]
    for node, patterns in enumerate(per_node):
        for nodes, signs in patterns:
            assert signs[nodes.index(node)] == 1
            assert keeps_every_relation(tree, nodes, signs), (h.labels[node], nodes, signs)
    # without the relation, a pattern through the split count breaks it
    plain = _line_patterns_of(Tree(h.parents, weights), MAX_LINE_PATTERNS)
    assert any(not keeps_every_relation(tree, nodes, signs) for nodes, signs in plain[at["w"]])


def split_table(seed: int) -> tuple[LinkedTables, np.ndarray]:
    """Rows x columns x the split measures, every count whole; the measures' total is not
    published (absent), as in a run."""
    rng = np.random.default_rng(seed)
    m = split_measures()
    rows = Hierarchy.flat("row", ["r1", "r2", "r3"])
    cols = Hierarchy.flat("col", ["c1", "c2", "c3", "c4"])
    a = rng.choice([1, 2, 3, 8, 15, 40], size=(3, 4))
    b = rng.choice([0, 1, 2, 6, 20, 50], size=(3, 4))
    p = np.minimum(rng.choice([0, 1, 2, 5, 30], size=(3, 4)), a + b)
    leaf = np.zeros((4, 3, 4), np.int64)  # the leaves of m: p, r, a, b in some order
    order = [m.labels[i] for i in np.flatnonzero(m.is_leaf)]
    for name, values in (("p", p), ("r", a + b - p), ("a", a), ("b", b)):
        leaf[order.index(name)] = values
    tables = full_table([m, rows, cols], leaf)
    w, p_, r_ = (m.position[x] for x in ("w", "p", "r"))
    extra = []
    for i in range(tables.n_cells):
        if tables.coords[i, 0] != w:
            continue
        rest = tuple(int(x) for x in tables.coords[i, 1:])
        trio = [i]
        for node in (p_, r_):
            trio += [
                j
                for j in range(tables.n_cells)
                if tables.coords[j, 0] == node and tuple(tables.coords[j, 1:]) == rest
            ]
        extra.append((np.array(trio), np.array([1, -1, -1])))
    linked = LinkedTables(tables.hierarchies, tables.coords, tables.values, tuple(extra))
    absent = linked.coords[:, 0] == 0
    return linked, absent


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_patterns_keep_a_second_split_and_the_audit_agrees(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pattern search's witnesses keep ``w = p + r`` without any balancing afterwards, and
    the test's own attacker, who knows the split, finds no cell narrower than required."""
    tables, absent = split_table(seed)
    rule = policy(4, 5)
    task_witnesses: list[Any] = []
    original = secondary_patterns.complete_pattern

    def no_balancing(tables: LinkedTables, witnesses: list[Any], *args: Any) -> list[Any]:
        task_witnesses.extend(witnesses)
        return original(tables, witnesses, *args)

    monkeypatch.setattr(secondary_patterns, "complete_pattern", no_balancing)
    result = protect(tables, rule, absent=absent, settings=ProtectSettings(method="patterns"))
    assert result.certificate.ok
    assert task_witnesses
    matrix = tables.constraints.matrix
    for witness in task_witnesses:
        move = np.zeros(tables.n_cells)
        move[witness.cells] = witness.deltas
        assert np.abs(matrix @ move).max() < 0.5
    keys = [tables.key(i) for i in range(tables.n_cells)]
    rows = relations([tree_of(h) for h in tables.hierarchies], keys)
    rows += [[(keys[c], int(k)) for c, k in zip(cells, coefs, strict=True)]
             for cells, coefs in tables.extra_rows]  # fmt: skip
    lower = {k: float(tables.values[i]) for i, k in enumerate(keys)}
    upper = dict(lower)
    for i in np.flatnonzero(result.hidden | absent):
        lower[keys[i]], upper[keys[i]] = (0 if absent[i] else 1), math.inf
    for i in np.flatnonzero(result.hidden):
        lo, hi = integer_interval(rows, lower, upper, keys[i])
        assert lo > 4 or hi - lo + 1 >= 5, keys[i]


def search_first(
    tables: LinkedTables,
    *,
    cost: np.ndarray,
    eligible: np.ndarray,
    toll: np.ndarray | None = None,
    max_fan: int = 0,
) -> SearchResult:
    """The pattern search for r1 x c1 alone, needing a range of 4 (zeros published)."""
    return search_patterns(
        trees=secondary_patterns.relation_trees(tables),
        coords=tables.coords,
        strides=tables.strides,
        primaries=tables.cells_of({"row": "r1", "col": "c1"}),
        need=np.array([4]),
        value=tables.values,
        lower=np.ones(tables.n_cells, np.int64),
        cost=cost,
        eligible=eligible,
        hidden=np.zeros(tables.n_cells, np.bool_),
        toll=toll,
        max_fan=max_fan,
    )


def test_a_toll_steers_the_search_round_cells_to_keep() -> None:
    """The cheapest pattern for r1 x c1 runs through the total row; with a toll on the total
    row the search takes the rectangle of inner cells instead."""
    tables = grid([[1, 20, 30], [15, 25, 40], [12, 18, 22]])
    total_row = tables.coords[:, 0] == 0
    cost = np.where(total_row, 1, 100).astype(np.int64)

    def chosen(toll: np.ndarray | None) -> np.ndarray:
        everywhere = np.ones(tables.n_cells, np.bool_)
        return search_first(tables, cost=cost, eligible=everywhere, toll=toll).hidden

    assert (chosen(None) & total_row).any()
    steered = chosen(np.where(total_row, 1000, 0))
    assert not (steered & total_row).any()
    assert steered.sum() == 4  # a rectangle: r1 x c1, its partner row and column


def test_a_fan_of_patterns_gives_room_no_single_pattern_has() -> None:
    """r1 x c1 = 1 needs 4 values up; with the totals kept out, every rectangle through it has
    room 1 (its partner cells hold 2, at least 1 each), so no single pattern will do, but four
    rectangles with different partners, moved together, lift it by 4."""
    leaves = [[1, 2, 2, 2, 2]] + [[2, 10, 10, 10, 10] for _ in range(4)]
    tables = grid(leaves)
    inner = (tables.coords != 0).all(axis=1)
    first = tables.cells_of({"row": "r1", "col": "c1"})

    def search(max_fan: int) -> SearchResult:
        cost = np.ones(tables.n_cells, np.int64)
        return search_first(tables, cost=cost, eligible=inner, max_fan=max_fan)

    assert list(search(0).unprotected) == list(first)
    found = search(8)
    assert not len(found.unprotected)
    assert (found.pattern_fan >= 0).sum() == 4
    assert not (found.hidden & ~inner).any()
    (fan,) = secondary_patterns.fan_witnesses(found)
    rule = policy(4, 5)
    known = knowledge(rule, tables.values, found.hidden)
    up, _down, rejected = witness_ranges(tables.constraints.matrix, known, tables.values, [fan])
    assert rejected == 0
    assert up[first[0]] == 4
    # the test's own attacker agrees: r1 x c1 can be anything from 1 to 5
    keys, rows, lower, upper = attacker_view(tables, found.hidden)
    assert integer_interval(rows, lower, upper, keys[first[0]]) == (1, 5)


@settings(max_examples=40, deadline=None)
@given(
    leaves=st.integers(3, 5).flatmap(
        lambda n: st.lists(
            st.lists(st.sampled_from([1, 1, 2, 2, 3, 6, 10]), min_size=n, max_size=n),
            min_size=3,
            max_size=5,
        )
    )
)
@example(leaves=[[2, 1, 2, 1], [1, 1, 1, 6], [3, 10, 2, 3], [10, 6, 3, 2], [2, 10, 1, 6]])
def test_the_search_credits_a_cell_no_more_than_its_witnesses_prove(
    leaves: list[list[int]],
) -> None:
    """Every small count the search reports protected is moved far enough by the witness
    tables it emits (its patterns, and its fans moved together), checked against every
    relation. With the totals kept out, small neighbours leave single rectangles little room
    and the search turns to fans: a fan once added its rise to an earlier pattern's, which no
    one table shows (the pinned example is one such table)."""
    tables = grid(leaves)
    values = tables.values
    small = np.flatnonzero(values <= 4)
    order = small[np.lexsort((tables.codes[small], values[small]))]
    found = search_patterns(
        trees=secondary_patterns.relation_trees(tables),
        coords=tables.coords,
        strides=tables.strides,
        primaries=order,
        need=np.full(len(order), 4),
        value=values,
        lower=np.ones(tables.n_cells, np.int64),
        cost=cell_costs(values, "cells"),
        eligible=(tables.coords != 0).all(axis=1),
        hidden=np.zeros(tables.n_cells, np.bool_),
        max_fan=8,
    )
    witnesses = secondary_patterns.pattern_witnesses(found) + secondary_patterns.fan_witnesses(
        found
    )
    known = knowledge(policy(4, 5), values, found.hidden)
    up, down, rejected = witness_ranges(tables.constraints.matrix, known, values, witnesses)
    assert rejected == 0
    credited = np.setdiff1d(order, found.unprotected)
    assert (up[credited] + down[credited] >= 4).all()


def test_a_slab_is_the_targets_unit_and_the_totals_above_it() -> None:
    """Along the dimension with the most nodes (units in regions), a cell's slab holds its
    unit's cells and, for the same other nodes, its region's and the total's; the target
    first, nothing of the other units."""
    units = Hierarchy.from_pairs(
        "unit", [("R1", "Total"), ("R2", "Total"), ("u1", "R1"), ("u2", "R1"), ("u3", "R2")]
    )
    band = Hierarchy.flat("band", ["b1", "b2"])
    tables = full_table([units, band], np.arange(1, 7).reshape(3, 2))
    target = int(tables.cells_of({"unit": "u1", "band": "b2"})[0])
    ptr, cells = slabs(tables, np.ones(tables.n_cells, np.bool_), np.array([target]))
    assert ptr.tolist() == [0, 9]
    assert cells[0] == target
    got = {tables.key(int(c)) for c in cells}
    assert got == {(u, b) for u in ("u1", "R1", "Total") for b in ("b1", "b2", "Total")}


def test_a_large_table_is_audited_by_local_witnesses() -> None:
    """Above ``LOCAL_ABOVE`` cells (or with ``local_witnesses``) a table's cells are proved by
    witness tables, not solved exactly over their components (on N each such programme takes
    minutes); both pass."""
    table = synthetic_table("B", 1)
    policy = policy_from_toml(
        "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 5\n", "t"
    )
    patterns = ProtectSettings(cleanup_up_to=0)  # the patterns' own witnesses, as found
    exact = protect(table, policy, settings=patterns).certificate
    assert table.n_cells <= secondary.LOCAL_ABOVE  # by default: exact
    local = protect(table, policy, settings=replace(patterns, local_witnesses=True)).certificate
    assert exact.ok
    assert local.ok
    assert exact.exact.any()
    assert not local.exact.any()


@pytest.mark.parametrize("method", ["moves", "patterns"])
def test_reserved_cells_stay_published_and_withheld_ones_stay_withheld(method: str) -> None:
    # the small cell's cheapest partners are in row 2; with that row's cells and the column
    # totals reserved (kept published), rows 1 and 3 carry the pattern
    tables = grid([[3, 20, 30], [8, 9, 40], [15, 25, 22]])
    row_two = [cell_index(tables, 1, c) for c in range(3)]
    columns = tables.cells_of({"row": "Total"})
    reserve = np.zeros(tables.n_cells, np.bool_)
    reserve[row_two] = True
    reserve[columns] = True
    before = np.zeros(tables.n_cells, np.bool_)
    before[cell_index(tables, 2, 2)] = True  # withheld by an earlier stage
    settings = ProtectSettings(method=method, local_witnesses=True)
    result = protect(tables, policy(4, 5), settings=settings, reserve=reserve, withheld=before)
    assert result.certificate.ok
    assert not result.hidden[reserve].any()
    assert result.hidden[before].all()
    assert independent_check(tables, result.hidden, policy(4, 5)) == []
    # without the reserve, row 2's cells are the cheapest partners
    free = protect(tables, policy(4, 5), settings=settings)
    assert free.hidden[row_two].any()


def test_a_cleaned_pattern_withholds_fewer_cells_and_stays_protected() -> None:
    """The pattern of a table of up to ``cleanup_up_to`` cells is cleaned up: secondary cells
    no cell's room needs are published again. It withholds fewer cells than the patterns
    alone, never a primary cell's fewer, and the test's own attacker finds every withheld cell
    protected."""
    table = synthetic_table(Shape("small", detailed=False, sites=3, years=0, staff=1500), 3)
    rule = policy_from_toml(
        "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 3\n", "t"
    )
    alone = protect(table, rule, settings=ProtectSettings(method="patterns", cleanup_up_to=0))
    cleaned = protect(table, rule, settings=ProtectSettings(method="patterns"))
    assert cleaned.certificate.ok
    assert (cleaned.primary == alone.primary).all()
    assert int(cleaned.hidden.sum()) < int(alone.hidden.sum())
    assert independent_check(table, cleaned.hidden, rule) == []


def test_a_cleanup_stops_at_its_limit_or_once_its_work_per_cell_published_is_too_high() -> None:
    """Judged only past ``judged_after``; then by the work per cell published so far."""
    limits = CleanupLimits(work=1e10, per_cell=4e7, judged_after=1e8)
    assert limits.why_stop(5e7, 0) == ""  # too early to judge
    assert limits.why_stop(3e8, 10) == ""  # 3e7 a cell
    assert "stopped paying" in limits.why_stop(3e8, 7)  # 4.3e7 a cell
    assert "stopped paying" in limits.why_stop(2e8, 0)
    assert limits.why_stop(2e10, 10**6) == "at its work limit"


def test_a_cleanup_that_stops_paying_leaves_a_protected_pattern_and_says_so() -> None:
    """With no work allowed per cell published the cleanup stops after its first cell, safe,
    and the protection's notes say so."""
    table = synthetic_table(Shape("small", detailed=False, sites=3, years=0, staff=1500), 3)
    rule = policy_from_toml(
        "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 3\n", "t"
    )
    whole = protect(table, rule, settings=ProtectSettings(method="patterns"))
    never = CleanupLimits(per_cell=0.0, judged_after=0.0)
    stopped = protect(table, rule, settings=ProtectSettings(method="patterns", cleanup=never))
    assert stopped.certificate.ok
    assert independent_check(table, stopped.hidden, rule) == []
    assert int(whole.hidden.sum()) < int(stopped.hidden.sum())
    (note,) = [n for n in stopped.notes if "stopped paying" in n]
    assert int(note.split(": ")[1].split(" ")[0]) > 0


def test_a_cleanup_stopped_at_its_work_limit_leaves_a_protected_pattern_and_says_so() -> None:
    """The cleanup stops once its programmes pass its work limit: every cell it published
    before is still safe (the test's own attacker agrees), it has published fewer than the
    whole cleanup, and the protection's notes say how many cells it did not try."""
    table = synthetic_table(Shape("small", detailed=False, sites=3, years=0, staff=1500), 3)
    rule = policy_from_toml(
        "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 3\n", "t"
    )
    alone = protect(table, rule, settings=ProtectSettings(method="patterns", cleanup_up_to=0))
    whole = protect(table, rule, settings=ProtectSettings(method="patterns"))
    # room for a few programmes only: each counts its simplex iterations times its rows, and
    # the table has fewer rows than cells
    few = CleanupLimits(work=float(table.n_cells) * 3, per_cell=np.inf)
    stopped = protect(table, rule, settings=ProtectSettings(method="patterns", cleanup=few))
    assert stopped.certificate.ok
    assert independent_check(table, stopped.hidden, rule) == []
    assert int(whole.hidden.sum()) < int(stopped.hidden.sum()) <= int(alone.hidden.sum())
    (note,) = [n for n in stopped.notes if "work limit" in n]
    assert int(note.split(": ")[1].split(" ")[0]) > 0
    assert not any("work limit" in n for n in whole.notes)
