"""What a protection costs in published figures: the share of a pack's counts withheld.

    python benchmarks/withheld.py TRUTH PACK [PACK ...]

``TRUTH`` is the same run with nothing withheld (the policy ``[primary]
suppress_if_count_at_most = 0``); each ``PACK`` a ``wres run`` output folder of the same inputs
and cuts under the policy to compare (for example before and after a change). A count is one of
a row's numerator, denominator and reference group's, wherever the truth has it; it is withheld
where the pack leaves it blank. Prints two Markdown tables: the share withheld by how many cut
columns a row has not at ``All`` (0: the organisation as a whole), and by indicator; then the
rows with any count withheld.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

COUNTS = ("numerator", "denominator", "reference_numerator", "reference_denominator")
#: Columns of indicators.csv that name a row without being a cut of the organisation.
NAMES = ("indicator", "measure", "variant", "year", "board", "group", "reference_group")
#: The columns computed for a row (neither its name nor a cut).
FIGURES = frozenset(
    {
        *COUNTS, "rate", "reference_rate", "difference_pp", "relative_likelihood", "ci_low",
        "ci_high", "ci_method", "p_value", "test", "p_adjusted", "significant",
        "non_adverse_range", "status", "direction",
    }
)  # fmt: skip


def counts(pack: Path) -> tuple[pl.DataFrame, list[str]]:
    """One row per count of ``publish/indicators.csv``: its row's name, its cut level and its
    value (null where withheld)."""
    table = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    cuts = [c for c in table.columns if c not in FIGURES and c not in NAMES]
    keys = [c for c in table.columns if c not in FIGURES]
    level = pl.sum_horizontal((pl.col(c).cast(pl.String).fill_null("All") != "All") for c in cuts)
    long = table.with_columns(level=level).unpivot(
        index=[*keys, "level"], on=list(COUNTS), variable_name="count"
    )
    return long, keys


def shares(truth: Path, packs: list[Path]) -> None:
    known, keys = counts(truth)
    known = known.filter(pl.col("value").is_not_null())
    on = [*keys, "count"]
    for i, pack in enumerate(packs):
        table, _ = counts(pack)
        known = known.join(
            table.select(*on, pl.col("value").is_null().alias(f"w{i}")),
            on=on,
            how="left",
            nulls_equal=True,
        )
        missing = known[f"w{i}"].null_count()
        if missing:
            raise SystemExit(f"{pack}: {missing} counts of the truth have no row in the pack")
    names = [p.name for p in packs]
    head = " | ".join(f"withheld: {n}" for n in names)
    for by, title in (("level", "cut columns not `All`"), ("indicator", "indicator")):
        print(f"\n| {title} | counts | {head} |\n|---|---|{'---|' * len(packs)}")
        rows = known.group_by(by).agg(
            pl.len().alias("n"), *(pl.col(f"w{i}").mean() for i in range(len(packs)))
        )
        for row in rows.sort(by).iter_rows(named=True):
            cells = " | ".join(f"{100 * row[f'w{i}']:.1f}%" for i in range(len(packs)))
            print(f"| {row[by]} | {row['n']:,} | {cells} |")
        total = known.select(pl.col(f"w{i}").mean() for i in range(len(packs))).row(0)
        cells = " | ".join(f"{100 * share:.1f}%" for share in total)
        print(f"| all | {len(known):,} | {cells} |")
    rows = known.group_by(keys).agg(pl.col(f"w{i}").any() for i in range(len(packs)))
    print()
    for i, name in enumerate(names):
        hit = int(rows[f"w{i}"].sum())
        print(
            f"{name}: rows with any count withheld {hit:,} of {len(rows):,} ({hit / len(rows):.1%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("truth", type=Path)
    parser.add_argument("packs", type=Path, nargs="+")
    args = parser.parse_args()
    shares(args.truth, args.packs)


if __name__ == "__main__":
    main()
