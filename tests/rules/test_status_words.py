"""A withheld comparison beside published counts says why in words (wres.rules.suppression)."""

from __future__ import annotations

import polars as pl

from wres.rules.suppression import explain_comparisons

WORDS = "suppressed: C (the comparison uses {})"


def _row(
    group: str,
    reference: str | None,
    counts: tuple[int | None, int | None, int | None, int | None],
    status: str = "suppressed: C",
) -> dict[str, object]:
    a, n1, c, n2 = counts
    return {
        "group": group,
        "reference_group": reference,
        "numerator": a,
        "denominator": n1,
        "reference_numerator": c,
        "reference_denominator": n2,
        "relative_likelihood": None,
        "status": status,
    }


def test_only_rows_showing_their_own_counts_beside_a_withheld_reference_get_words() -> None:
    rows = [
        _row("BME", "White", (25, 300, None, 400)),  # the White count withheld
        _row("Black", "White British", (25, 300, 12, None)),  # the White British base withheld
        _row("Asian", "White", (25, 300, None, None)),  # both
        _row("BME", "workforce", (2, 10, None, 600)),  # a board membership
        _row("BME", "White", (None, 300, 30, 400)),  # its own count withheld: the blank says it
        _row("BME", None, (12, None, None, None)),  # a share: no comparison
        _row("BME", "White", (25, 300, 30, 400), "published"),
        _row("Unknown", None, (4, 80, None, None), "not compared: unknown ethnicity"),
    ]
    table = pl.DataFrame(rows)
    out = explain_comparisons(table)
    assert out["status"].to_list() == [
        WORDS.format("a withheld White count"),
        WORDS.format("a withheld White British count"),
        WORDS.format("withheld White counts"),
        WORDS.format("a withheld workforce count"),
        "suppressed: C",
        "suppressed: C",
        "published",
        "not compared: unknown ethnicity",
    ]
    assert out.drop("status").equals(table.drop("status"))
