"""wres.engine.utility: what a count is, and what its share published and information lost are."""

from __future__ import annotations

import polars as pl
import pytest

from wres.engine.errors import InternalError
from wres.engine.utility import utility

BEFORE = pl.DataFrame(
    {
        "indicator": [3, 3, 3, 1],
        "measure": ["ratio", "ratio", "ratio", "share"],
        "variant": ["standard"] * 4,
        "site": ["All", "A", None, "B"],
        "band": ["All", "All", "All", "Band 5"],
        "numerator": [6, 0, 6, 5],
        "denominator": [100, 10, 90, 20],
        "reference_numerator": [20, 0, 20, None],
        "reference_denominator": [300, 0, 300, None],
    },
    schema_overrides={"indicator": pl.Int16},
)


def _withheld(frame: pl.DataFrame, rows: list[int], column: str) -> pl.DataFrame:
    hide = pl.int_range(pl.len()).is_in(rows)
    return frame.with_columns(pl.when(hide).then(None).otherwise(pl.col(column)).alias(column))


def test_zeros_are_counts_and_nulls_are_not() -> None:
    # the row at site A withholds its numerator 0: a count withheld, no information lost
    after = _withheld(_withheld(BEFORE, [0, 1], "numerator"), [1], "reference_numerator")
    table = utility(BEFORE, after, ["site", "band"])
    rows = {(r["indicator"], r["level"]): r for r in table.iter_rows(named=True)}
    level0 = rows[("3", "0")]  # the All rows: site All, and site null (rolled up)
    assert (level0["counts"], level0["published"], level0["withheld"]) == (8, 7, 1)
    assert level0["information_lost"] == pytest.approx(6 / (426 + 416))
    level1 = rows[("3", "1")]
    assert (level1["counts"], level1["withheld"], level1["information_lost"]) == (4, 2, 0.0)
    # indicator 1 has no reference group: two counts, not four
    assert rows[("1", "2")]["counts"] == 2
    whole = rows[("all", "all")]
    assert (whole["counts"], whole["withheld"]) == (14, 3)
    assert whole["share_published"] == pytest.approx(11 / 14)
    assert whole["information_lost"] == pytest.approx(6 / (842 + 10 + 25))


def test_rows_come_in_the_order_of_the_tables_then_their_levels() -> None:
    table = utility(BEFORE, BEFORE, ["site", "band"])
    keys = list(table.select("indicator", "level").iter_rows())
    assert keys == [
        ("1", "2"), ("1", "all"), ("3", "0"), ("3", "1"), ("3", "all"),
        ("all", "0"), ("all", "1"), ("all", "2"), ("all", "all"),
    ]  # fmt: skip


def test_a_run_with_no_counts_has_one_row_and_no_shares() -> None:
    table = utility(BEFORE.clear(), BEFORE.clear(), ["site", "band"])
    assert table.rows() == [("all", "all", "all", "all", 0, 0, 0, None, None)]


def test_the_rows_before_and_after_must_be_the_same() -> None:
    with pytest.raises(InternalError, match="same rows"):
        utility(BEFORE, BEFORE.head(2), ["site", "band"])
