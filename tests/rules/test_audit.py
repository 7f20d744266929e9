"""The attacker's audit: the classic failures are found, and the attacker model holds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.synthetic_tables import full_table
from wres.rules.attacker_knowledge import (
    Witness,
    knowledge,
    published_count,
    revealed_sums,
    rounding_interval,
    witness_ranges,
)
from wres.rules.audit import Proof, audit
from wres.rules.policy import load_policy, policy_from_toml
from wres.rules.table import Hierarchy, LinkedTables

#: The four cells of rows r1, r2 by columns c1, c2: a rectangle withheld together.
RECTANGLE = tuple({"row": row, "col": col} for row in ("r1", "r2") for col in ("c1", "c2"))


def policy(at_most: int = 4, need: int = 5, *, zeros_sensitive: bool = False, rounding: int = 1):
    return policy_from_toml(
        f"[primary]\nsuppress_if_count_at_most = {at_most}\n"
        f"suppress_zero_counts = {'true' if zeros_sensitive else 'false'}\n"
        f"[rounding]\nround_counts_to_nearest = {rounding}\n"
        f"[secondary]\nmin_attacker_interval = {need}\n",
        "test",
    )


def grid(leaves: list[list[int]]) -> LinkedTables:
    rows = Hierarchy.flat("row", [f"r{i + 1}" for i in range(len(leaves))])
    cols = Hierarchy.flat("col", [f"c{j + 1}" for j in range(len(leaves[0]))])
    return full_table([rows, cols], np.array(leaves))


def cell(tables: LinkedTables, **key: str) -> int:
    (found,) = tables.cells_of(key)
    return int(found)


def hide(tables: LinkedTables, *keys: dict[str, str]) -> np.ndarray:
    mask = np.zeros(tables.n_cells, np.bool_)
    for key in keys:
        mask[cell(tables, **key)] = True
    return mask


def audit_true(tables: LinkedTables, hidden: np.ndarray, rule=None):
    rule = rule or policy()
    known = knowledge(rule, tables.values, hidden)
    return audit(tables, known, rule), known


def test_a_lone_withheld_cell_in_a_row_is_recovered_exactly() -> None:
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    hidden = hide(tables, {"row": "r1", "col": "c1"})
    cert, _ = audit_true(tables, hidden)
    assert not cert.ok
    assert list(cert.exact_disclosures) == [cell(tables, row="r1", col="c1")]
    assert cert.lower[0] == cert.upper[0]  # pinned: the attacker has it
    assert cert.proof == (Proof.EXACT,)


def test_two_small_cells_whose_sum_is_small_stay_narrow_even_in_a_rectangle() -> None:
    # x11 + x12 = 3 with both at least 1: each is 1 or 2, whatever the other row allows
    tables = grid([[1, 2, 50], [30, 40, 50], [12, 18, 22]])
    hidden = hide(tables, *RECTANGLE)
    cert, _ = audit_true(tables, hidden)
    small = cert.cells == cell(tables, row="r1", col="c1")
    assert (cert.lower[small], cert.upper[small]) == (1, 2)
    assert not cert.passed[small].any()
    # the large cells of the rectangle cannot be small counts: no requirement on them
    big = cert.cells == cell(tables, row="r2", col="c2")
    assert cert.required[big][0] == 0
    assert cert.passed[big].all()


def test_a_rectangle_of_large_enough_cells_protects() -> None:
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    hidden = hide(tables, *RECTANGLE)
    cert, _ = audit_true(tables, hidden)
    assert cert.ok
    primary = cert.cells == cell(tables, row="r1", col="c1")
    # x11 = 3 + t, t from -2 (x11 >= 1) to 14 (x21 = 15 - t >= 1)
    assert (cert.lower[primary][0], cert.upper[primary][0]) == (1, 17)
    assert cert.possible[primary][0] == 17


def test_a_cell_safe_in_one_cut_is_recovered_through_a_second_cut() -> None:
    band = Hierarchy.flat("band", ["5", "6"])
    site = Hierarchy.flat("site", ["A", "B"])
    by_site = [("5", "A", 2), ("5", "B", 30), ("6", "A", 40), ("6", "B", 50)]
    by_site += [("Total", "A", 42), ("Total", "B", 80)]  # site totals: part of band x site
    band_x_site = LinkedTables.from_keys(
        [band, site], [(b, s) for b, s, _ in by_site], [v for *_, v in by_site]
    )
    band_alone = LinkedTables.from_keys(
        [band, site], [("5", "Total"), ("6", "Total"), ("Total", "Total")], [32, 90, 122]
    )
    rule = policy()
    for tables, safe in (
        (band_x_site, True),
        (LinkedTables.link([band_x_site, band_alone]), False),
    ):
        hidden = hide(tables, {"band": "5", "site": "A"}, {"band": "6", "site": "A"})
        cert, _ = audit_true(tables, hidden, rule)
        small = cert.cells == cell(tables, band="5", site="A")
        assert bool(cert.passed[small][0]) is safe
    # linked: band 5's total gives 2 = 32 - 30 exactly
    assert cert.lower[small][0] == cert.upper[small][0]


def test_five_small_cells_that_must_sum_to_the_total_minus_the_rest() -> None:
    cats = Hierarchy.flat("ethnicity", ["a", "b", "c", "d", "e", "f"])
    tables = LinkedTables.from_keys(
        [cats], [(x,) for x in ["a", "b", "c", "d", "e", "f", "Total"]], [1, 2, 1, 2, 1, 93, 100]
    )
    hidden = np.array([True] * 5 + [False, False])
    rule = load_policy("wres-default")
    at_most = np.where(hidden, 4.0, math.inf)  # published as "<5"
    known = knowledge(rule, tables.values, hidden, hidden_upper=at_most)
    cert = audit(tables, known, rule)
    # the five sum to 7: each is 1, 2 or 3, fewer than the 4 values "<5" itself allows
    assert list(cert.lower) == [1] * 5
    assert list(cert.upper) == [3] * 5
    assert list(cert.required) == [4] * 5
    assert not cert.passed.any()
    (revealed,) = revealed_sums(tables, known, rule)
    assert revealed.total == 7
    assert revealed.disclosive
    assert sorted(revealed.cells) == [0, 1, 2, 3, 4]


def test_a_withheld_cell_is_at_least_one_when_zeros_are_published() -> None:
    tables = grid([[0, 9, 30], [15, 25, 40], [12, 18, 22]])
    hidden = hide(tables, {"row": "r1", "col": "c2"}, {"row": "r1", "col": "c3"})
    for sensitive, lowest in ((False, 1), (True, 0)):
        rule = policy(zeros_sensitive=sensitive)
        known = knowledge(rule, tables.values, hidden)
        assert known.lower[hidden].tolist() == [lowest, lowest]
        assert np.isinf(known.upper[hidden]).all()


@pytest.mark.parametrize(
    ("count", "figure", "interval"),
    [
        (0, 0, (0, 0)),
        (8, 10, (8, 12)),
        (12, 10, (8, 12)),
        (13, 15, (13, 17)),
        (100, 100, (98, 102)),
    ],
)
def test_rounded_counts_lie_within_their_rounding_interval(
    count: int, figure: int, interval: tuple[int, int]
) -> None:
    rule = load_policy("nhs-digital")  # 1-7 withheld, the rest to the nearest 5
    assert published_count(rule, count) == figure
    assert rounding_interval(rule, figure) == interval


def test_rounding_widens_what_the_attacker_knows() -> None:
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    hidden = hide(tables, {"row": "r1", "col": "c1"})
    rule = policy(at_most=4, need=5, rounding=5)
    figures = np.array([published_count(rule, int(v)) for v in tables.values])
    known = knowledge(rule, figures, hidden)
    cert = audit(tables, known, rule)
    assert cert.upper[0] - cert.lower[0] + 1 >= 5  # no longer pinned by subtraction


def test_witness_tables_are_checked_against_every_relation() -> None:
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    corners = [
        cell(tables, row=r, col=c)
        for r, c in (("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"))
    ]
    hidden = np.zeros(tables.n_cells, np.bool_)
    hidden[corners] = True
    rule = policy()
    known = knowledge(rule, tables.values, hidden)
    good = Witness(np.array(corners), np.array([4, -4, -4, 4]))
    broken = Witness(np.array(corners[:2]), np.array([4, -4]))  # breaks both columns
    too_far = Witness(np.array(corners), np.array([-3, 3, 3, -3]))  # first cell would be 0
    up, down, rejected = witness_ranges(
        tables.constraints.matrix, known, tables.values, [good, broken, too_far]
    )
    assert rejected == 2
    assert up[corners[0]] == 4
    assert down[corners[0]] == 0


def test_the_certificate_frame_holds_keys_and_bounds_never_values() -> None:
    tables = grid([[3, 20, 30], [15, 25, 40], [12, 18, 22]])
    hidden = hide(tables, *RECTANGLE)
    cert, _ = audit_true(tables, hidden)
    frame = cert.frame(tables)
    assert frame.columns == [
        "row", "col", "attacker_lower", "attacker_upper", "interval", "possible_values",
        "required", "result", "proof",
    ]  # fmt: skip
    assert frame.height == 4
