"""A run's system in parts (``wres.rules.run_parts``): the parts are the system's connected
components, each protected on its own, and the parts' protections put back in the run's cell
order, the same whichever runner ran them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tests.synthetic_tables import full_table
from wres.engine.parallel import ProcessPool, in_process
from wres.rules.policy import load_policy
from wres.rules.run_cells import RunCells
from wres.rules.run_parts import _summed, connected_parts
from wres.rules.run_protection import protect_run
from wres.rules.secondary import Protection
from wres.rules.table import Hierarchy, LinkedTables

POLICY = load_policy("wres-default")


def relations(n_cells: int, rows: list[list[int]]) -> sp.csr_array:
    r = [i for i, row in enumerate(rows) for _ in row]
    c = [cell for row in rows for cell in row]
    return sp.csr_array((np.ones(len(c)), (r, c)), shape=(len(rows), n_cells))


def test_parts_are_the_components_numbered_by_their_first_cell() -> None:
    one = relations(7, [[5, 3], [4, 3], [6, 1, 0]])  # {0, 1, 6}, {2}, {3, 4, 5}
    assert connected_parts([one]).tolist() == [0, 0, 1, 2, 2, 2, 0]
    # a second system of 3 cells (numbered 7-9 after the first's) whose cells 0 and 2 are
    # related, its cell 0 the first's cell 2 and its cell 2 the first's cell 3: the relation
    # joins the first system's parts {2} and {3, 4, 5}; its cell 1 is a part of its own
    two = relations(3, [[0, 2]])
    links = np.array([[2, 7], [3, 9]])
    assert connected_parts([one, two], links).tolist() == [0, 0, 1, 1, 1, 1, 0, 1, 2, 1]


def table() -> LinkedTables:
    """A small staff table (3 groups x 4 bands, with totals) with small counts in it."""
    eth = Hierarchy.flat("ethnicity", ["White", "Asian", "Black"])
    band = Hierarchy.flat("band", ["Band 2", "Band 5", "Band 7", "Band 8a"])
    return full_table([eth, band], np.array([[40, 55, 31, 12], [9, 2, 14, 3], [1, 12, 7, 8]]))


def run_of(tables: LinkedTables) -> RunCells:
    n = tables.n_cells
    primary = (tables.values >= 1) & (tables.values <= POLICY.primary.suppress_if_count_at_most)
    nothing = np.zeros(n, np.bool_)
    return RunCells(tables, primary, {}, {}, nothing, nothing, nothing, nothing, ~primary, nothing)


def copies(tables: LinkedTables, k: int) -> LinkedTables:
    """``k`` copies of ``tables`` side by side, along a dimension whose total nobody publishes
    (so nothing relates one copy to another: ``k`` parts)."""
    copy = Hierarchy.flat("copy", [f"copy {i + 1}" for i in range(k)])
    coords = np.vstack(
        [np.column_stack([np.full(tables.n_cells, i + 1), tables.coords]) for i in range(k)]
    )
    values = np.concatenate([tables.values] * k)
    return LinkedTables((copy, *tables.hierarchies), coords.astype(np.int32), values)


def test_each_part_is_protected_as_it_is_alone() -> None:
    alone = protect_run(run_of(table()), POLICY)
    assert alone.secondary.any()  # the small counts need others withheld
    whole = protect_run(run_of(copies(table(), 3)), POLICY)
    n = table().n_cells
    for i in range(3):
        mine = slice(i * n, (i + 1) * n)
        assert np.array_equal(whole.primary[mine], alone.primary)
        assert np.array_equal(whole.secondary[mine], alone.secondary)
        assert whole.rules[mine] == alone.rules
        assert np.array_equal(whole.knowledge.lower[mine], alone.knowledge.lower)
    # one certificate in cell order, every withheld cell of every copy in it
    cert = whole.certificate
    assert np.array_equal(cert.cells, np.flatnonzero(whole.hidden))
    assert np.array_equal(cert.possible, np.tile(alone.certificate.possible, 3))
    assert cert.ok


def same(a: Protection, b: Protection) -> bool:
    return (
        np.array_equal(a.hidden, b.hidden)
        and a.rules == b.rules
        and np.array_equal(a.certificate.cells, b.certificate.cells)
        and np.array_equal(a.certificate.possible, b.certificate.possible)
        and a.notes == b.notes
    )


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_pool_of_processes_gives_what_this_process_gives(jobs: int) -> None:
    run = run_of(copies(table(), 4))
    here = protect_run(run, POLICY, runner=in_process)
    assert same(protect_run(run, POLICY, runner=ProcessPool(jobs, at_least=0)), here)


def test_the_parts_notes_are_added_up() -> None:
    notes = [
        "fallback S2 for 3 cell(s)",
        "published 4 withheld cell(s) that a reader recovers exactly anyway",
        "fallback S2 for 2 cell(s)",
        "cleanup stopped at the work limit: 7 secondary cell(s) not tried again",
        "fallback S2 for 1 cell(s)",
    ]
    assert _summed(notes) == [
        "fallback S2 for 6 cell(s)",
        "published 4 withheld cell(s) that a reader recovers exactly anyway",
        "cleanup stopped at the work limit: 7 secondary cell(s) not tried again",
    ]
    assert _summed(["a note of 1 and 2", "a note of 1 and 2"]) == ["a note of 1 and 2"]
