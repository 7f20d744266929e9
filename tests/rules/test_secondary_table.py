"""The table model: hierarchies, the relations of a full cross and of linked tables, and the
independent components the solver works on."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic_tables import ethnicity_hierarchy, full_table, synthetic_table
from wres.engine.errors import ConfigError
from wres.engine.protection.intervals import components
from wres.rules.table import CellState, Hierarchy, LinkedTables


def test_a_hierarchy_from_child_parent_pairs() -> None:
    h = Hierarchy.from_pairs("eth", [("a", "G"), ("b", "G"), ("G", "Total"), ("c", "Total")])
    assert h.labels[0] == "Total"
    assert h.children[0] == (h.position["G"], h.position["c"])
    assert h.ancestors(h.position["a"]) == [h.position["a"], h.position["G"], 0]
    assert list(h.is_leaf) == [False, False, True, True, True]


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("a", "G"), ("a", "H"), ("G", "Total"), ("H", "Total")], "'a' has two parents"),
        ([("a", "b"), ("b", "a")], "do not lead up to the total"),
        ([("Total", "a")], "cannot have a parent"),
    ],
)
def test_a_bad_hierarchy_is_refused(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Hierarchy.from_pairs("eth", pairs)


def test_the_relations_of_a_full_cross_along_every_dimension() -> None:
    table = synthetic_table("B", 1)
    # ethnicity: 6 nodes with children (total + 5 groups) x 10 bands x 7 sites;
    # band: 25 x 1 x 7; site: 25 x 10 x 1
    assert table.constraints.matrix.shape == (6 * 70 + 25 * 7 + 25 * 10, 1750)
    assert not (table.constraints.matrix @ table.values).any()  # true counts satisfy them
    c = synthetic_table("C", 1)
    assert c.n_cells == 7000
    assert not (c.constraints.matrix @ c.values).any()


def test_shape_n_is_210_organisations_in_7_regions_in_england_over_ten_years() -> None:
    n = synthetic_table("N", 1)
    assert [h.name for h in n.hierarchies] == ["ethnicity", "band", "organisation", "year"]
    org = n.hierarchies[2]
    parents = np.array(org.parents)
    assert org.labels[0] == "England"
    assert (parents == 0).sum() == 7  # regions under England
    assert int(org.is_leaf.sum()) == 210
    assert (parents[org.is_leaf] > 0).all()  # every organisation sits in a region
    assert n.n_cells == 6 * 10 * 218 * 11
    assert not (n.constraints.matrix @ n.values).any()
    top = n.values[(n.coords == 0).all(axis=1)]
    assert top.tolist() == [13_000_000]  # staff-years over the ten years


def test_linked_tables_share_cells_and_their_relations() -> None:
    band = Hierarchy.flat("band", ["5", "6"])
    site = Hierarchy.flat("site", ["A", "B"])
    cross = full_table([band, site], np.array([[2, 30], [40, 50]]))
    alone = LinkedTables.from_keys(
        [band, site], [("5", "Total"), ("6", "Total"), ("Total", "Total")], [32, 90, 122]
    )
    linked = LinkedTables.link([cross, alone])
    assert linked.n_cells == cross.n_cells  # band alone is the site total of band x site
    assert linked.constraints.matrix.shape == cross.constraints.matrix.shape
    disagree = LinkedTables.from_keys([band, site], [("5", "Total")], [33])
    with pytest.raises(ConfigError, match="disagree on a shared cell"):
        LinkedTables.link([cross, disagree])


def test_a_relation_needs_all_its_cells() -> None:
    band = Hierarchy.flat("band", ["5", "6"])
    site = Hierarchy.flat("site", ["A", "B"])
    only_inner = LinkedTables.from_keys(
        [band, site], [("5", "A"), ("5", "B"), ("6", "A"), ("6", "B")], [1, 2, 3, 4]
    )
    assert only_inner.constraints.matrix.shape[0] == 0


def test_withheld_cells_fall_into_independent_components() -> None:
    band = Hierarchy.flat("band", ["1", "2", "3", "4"])
    site = Hierarchy.flat("site", ["A", "B", "C", "D"])
    table = full_table([band, site], np.arange(16).reshape(4, 4) + 10)
    hidden = np.zeros(table.n_cells, np.bool_)
    for key in (("1", "A"), ("1", "B"), ("2", "A"), ("2", "B"), ("3", "C"), ("4", "D")):
        hidden[table.cells_of({"band": key[0], "site": key[1]})] = True
    comp, _ = components(table.constraints.matrix, hidden)
    groups = {frozenset(np.flatnonzero(comp == c)) for c in set(comp[hidden])}
    assert len(groups) == 3  # the rectangle, and two lone cells
    assert sorted(len(g) for g in groups) == [1, 1, 4]


def test_cell_states_are_a_closed_vocabulary() -> None:
    assert [s.value for s in CellState] == ["published", "primary", "secondary", "absent"]


def test_the_census_ethnicity_hierarchy_has_19_categories_in_5_groups() -> None:
    h = ethnicity_hierarchy(detailed=True)
    assert int(h.is_leaf.sum()) == 19
    assert len(h.children[0]) == 5
