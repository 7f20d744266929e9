"""How a run's measures become cells of its system (``wres.rules.measure_cells``)."""

from __future__ import annotations

import polars as pl

from wres.engine.measures import Split
from wres.rules.measure_cells import split_conflicts


def test_measures_kept_apart_keep_their_complements() -> None:
    # a counts file giving one headcount two values (here the unpublished total over the
    # groups of indicator 4 against indicator 3's) renames it per indicator; each figure's
    # people at risk without the event stay a count to protect under the new names
    trained = {"staff": frozenset({"t", "n"}), "trained": frozenset({"t"})}
    disciplined = {"staff": frozenset({"d", "m"}), "disciplined": frozenset({"d"})}
    declared = [
        Split(4, trained, (("staff", "trained"),)),
        Split(3, disciplined, (("staff", "disciplined"),)),
    ]
    long = pl.DataFrame(
        {
            "measure": ["staff", "staff", "trained", "disciplined"],
            "indicator": [4, 3, 4, 3],
            "year": ["2024"] * 4,
            "value": [10, 12, 3, 1],
            "phantom": [True, False, False, False],
        }
    )
    _, splits = split_conflicts(long, ["year"], declared)
    assert [s.complements for s in splits] == [
        (("staff@4", "trained"),),
        (("staff@3", "disciplined"),),
    ]
