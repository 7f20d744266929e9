"""Primary suppression: withhold small counts, their complements and all figures from them.

Applied to the evaluated indicator table before anything is written. A count ``x`` of ``n`` is
withheld when ``x`` is in the policy's suppressed range, when its complement ``n - x`` is (for
"98 of 100" the 2 who did not is as disclosive as the 98), or when the group base ``n`` itself is
too small to report. A rate, percentage, ratio, interval or p-value is withheld when any count it
is computed from is withheld. Rounding applies to published counts only: rates and ratios come
from true counts. Every withheld cell is recorded with its rule id and reason, never its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import polars as pl

from wres.rules.policy import Policy, PrimaryRule


class Rule(StrEnum):
    """Rule ids of the decisions file and the ``status`` column (a closed vocabulary)."""

    SMALL_COUNT = "P1"
    SMALL_COMPLEMENT = "P2"
    ZERO_COUNT = "P3"
    SMALL_BASE = "P4"
    DERIVED = "D1"


class PrimaryCheck(Protocol):
    """One primary rule: its code, its reason, and which counts of a pair it withholds. A new
    rule is one class here and its place in :data:`PRIMARY_CHECKS`."""

    @property
    def rule(self) -> Rule: ...
    @property
    def reason(self) -> str: ...

    def on_count(self, x: pl.Expr, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        """True where the count ``x`` of base ``n`` is withheld (nulls: not)."""
        ...

    def on_base(self, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        """True where the base ``n`` itself is withheld (nulls: not)."""
        ...


class SmallBase:
    """A group whose base is 1..N is not reported at all (the staff survey's 10)."""

    rule = Rule.SMALL_BASE
    reason = "group too small to report"

    def on_count(self, x: pl.Expr, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return self.on_base(n, primary)

    def on_base(self, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return ((n >= 1) & (n <= primary.suppress_if_base_at_most)).fill_null(value=False)


class ZeroCount:
    """A zero, where the policy says a zero can disclose (nobody in a group was disciplined)."""

    rule = Rule.ZERO_COUNT
    reason = "zero count, sensitive under this policy"

    def on_count(self, x: pl.Expr, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return self.on_base(x, primary)

    def on_base(self, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return (n == 0).fill_null(value=False) & pl.lit(primary.suppress_zero_counts)


class SmallCount:
    """A count from 1 to N."""

    rule = Rule.SMALL_COUNT
    reason = "count in the suppressed range"

    def on_count(self, x: pl.Expr, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return self.on_base(x, primary)

    def on_base(self, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return ((n >= 1) & (n <= primary.suppress_if_count_at_most)).fill_null(value=False)


class SmallComplement:
    """A count whose complement is in the range: "98 of 100" tells of the 2 who did not."""

    rule = Rule.SMALL_COMPLEMENT
    reason = "complement (denominator minus count) in the suppressed range"

    def on_count(self, x: pl.Expr, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return _in_range(n - x, primary)

    def on_base(self, n: pl.Expr, primary: PrimaryRule) -> pl.Expr:
        return pl.lit(value=False)


def _in_range(count: pl.Expr, primary: PrimaryRule) -> pl.Expr:
    """True where ``count`` may not be published under the count rule: the zero and small-count
    rules together (nulls: False)."""
    return ZeroCount().on_base(count, primary) | SmallCount().on_base(count, primary)


#: The primary rules, the first that applies naming a count's decision.
PRIMARY_CHECKS: tuple[PrimaryCheck, ...] = (
    SmallBase(),
    ZeroCount(),
    SmallCount(),
    SmallComplement(),
)
REASONS: dict[Rule, str] = {
    **{check.rule: check.reason for check in PRIMARY_CHECKS},
    Rule.DERIVED: "computed from a withheld count",
}

#: (count, denominator) pairs of a row: the group's and the reference group's.
PAIRS: tuple[tuple[str, str], ...] = (
    ("numerator", "denominator"),
    ("reference_numerator", "reference_denominator"),
)
#: Derived figures and the counts each is computed from.
DERIVED: dict[str, tuple[str, ...]] = {
    "rate": ("numerator", "denominator"),
    "reference_rate": ("reference_numerator", "reference_denominator"),
    **dict.fromkeys(
        ("difference_pp", "relative_likelihood", "ci_low", "ci_high", "p_value"),
        ("numerator", "denominator", "reference_numerator", "reference_denominator"),
    ),
}
SUPPRESSED = "suppressed"
#: The one code a published row shows for every withheld count, whatever the rule: C for
#: confidential, like the Government Analysis Function's [c].
PUBLIC_CODE = "C"
PUBLIC_STATUS = f"{SUPPRESSED}: {PUBLIC_CODE}"


@dataclass(frozen=True, slots=True)
class Suppressed:
    """The publishable table and the decisions behind it."""

    table: pl.DataFrame
    #: one row per withheld cell: the row's key columns, ``column``, ``rule``, ``reason``
    decisions: pl.DataFrame


def public_rows(table: pl.DataFrame, policy: Policy) -> pl.Expr:
    """True on the rows whose own counts (numerator and denominator) are public knowledge under
    ``policy`` (``[primary] public_measures``): a board's members, in the rows of a board
    membership. The reference counts of such a row (the workforce) are not public."""
    public = "board" in policy.primary.public_measures and "board" in table.columns
    return pl.col("board").is_not_null() if public else pl.lit(value=False)


def _rule_flags(policy: Policy, public: pl.Expr) -> dict[str, pl.Expr]:
    """For each count column, the rule that withholds it (null where published); the counts of
    the ``public`` rows' own pair are never withheld."""
    flags: dict[str, pl.Expr] = {}
    primary = policy.primary
    for count, base in PAIRS:
        x, n = pl.col(count), pl.col(base)
        flags[base] = _first_rule(check.on_base(n, primary) for check in PRIMARY_CHECKS)
        flags[count] = _first_rule(check.on_count(x, n, primary) for check in PRIMARY_CHECKS)
        if count == PAIRS[0][0]:
            for column in (count, base):
                flags[column] = (
                    pl.when(public).then(pl.lit(None, pl.String)).otherwise(flags[column])
                )
    return flags


def _first_rule(applies: Iterable[pl.Expr]) -> pl.Expr:
    """The code of the first of :data:`PRIMARY_CHECKS` that applies (null: none does)."""
    chain: Any = pl  # pl.when(...).then(...) and then .when(...).then(...) alike
    for check, expr in zip(PRIMARY_CHECKS, applies, strict=True):
        chain = chain.when(expr).then(pl.lit(check.rule))
    out: pl.Expr = chain.otherwise(pl.lit(None, pl.String))
    return out


def apply_primary(table: pl.DataFrame, policy: Policy, key_columns: Sequence[str]) -> Suppressed:
    """Withhold what ``policy`` withholds; round published counts; record every decision."""
    flags = _rule_flags(policy, public_rows(table, policy))
    flagged = table.with_columns(*[expr.alias(f"_rule_{col}") for col, expr in flags.items()])
    for name, sources in DERIVED.items():
        withheld = pl.any_horizontal([pl.col(f"_rule_{s}").is_not_null() for s in sources])
        computed = pl.col(name).is_not_null()
        flagged = flagged.with_columns(
            pl.when(withheld & computed).then(pl.lit(Rule.DERIVED)).alias(f"_rule_{name}")
        )
    rule_columns = [*flags, *DERIVED]
    decisions = _decisions(flagged, rule_columns, key_columns)
    published = flagged.with_columns(
        *[pl.when(pl.col(f"_rule_{c}").is_null()).then(pl.col(c)).alias(c) for c in rule_columns],
    )
    primary = policy.primary
    base_at_most = max(primary.suppress_if_count_at_most, primary.suppress_if_base_at_most)
    published = published.with_columns(
        *[
            pl.col(c).map_batches(
                lambda s: _round(s, policy, primary.suppress_if_count_at_most),
                return_dtype=pl.Int64,
            )
            for c, _ in PAIRS
        ],
        *[
            pl.col(n).map_batches(lambda s: _round(s, policy, base_at_most), return_dtype=pl.Int64)
            for _, n in PAIRS
        ],
    )
    # The public status names no rule: "a small count" and "withheld to protect one" must look
    # the same to the attacker (docs/disclosure.md); the rule of each cell is in the decisions.
    any_rule = pl.any_horizontal([pl.col(f"_rule_{c}").is_not_null() for c in rule_columns])
    status = pl.when(any_rule).then(pl.lit(PUBLIC_STATUS)).otherwise(pl.col("status"))
    # A withheld figure cannot be significant or inside a range: those follow the ratio.
    published = published.with_columns(
        status=status,
        non_adverse_range=pl.when(pl.col("relative_likelihood").is_not_null()).then(
            pl.col("non_adverse_range")
        ),
        ci_method=pl.when(pl.col("ci_low").is_not_null()).then(pl.col("ci_method")),
        test=pl.when(pl.col("p_value").is_not_null()).then(pl.col("test")),
    )
    return Suppressed(published.drop([f"_rule_{c}" for c in rule_columns]), decisions)


def explain_comparisons(table: pl.DataFrame) -> pl.DataFrame:
    """A withheld row whose own counts are published says in words why its comparison is not:
    ``suppressed: C (the comparison uses a withheld White count)``.

    Such a row shows the group's count, base and rate, and leaves the comparison (the reference
    rate, difference, ratio, interval and p-values) blank because a count of the reference group
    is withheld. The words name only what the row shows blank, never a rule, so they tell a
    reader nothing the blanks do not; every other withheld row keeps ``suppressed: C``.
    """
    reference = pl.col("reference_group")
    one = pl.col("reference_numerator").is_null() ^ pl.col("reference_denominator").is_null()
    words = (
        pl.when(one)
        .then(pl.concat_str(pl.lit("a withheld "), reference, pl.lit(" count")))
        .otherwise(pl.concat_str(pl.lit("withheld "), reference, pl.lit(" counts")))
    )
    partial = (
        (pl.col("status") == PUBLIC_STATUS)
        & pl.col("numerator").is_not_null()
        & pl.col("denominator").is_not_null()
        & reference.is_not_null()
        & (pl.col("reference_numerator").is_null() | pl.col("reference_denominator").is_null())
    )
    return table.with_columns(
        status=pl.when(partial)
        .then(pl.concat_str(pl.lit(f"{PUBLIC_STATUS} (the comparison uses "), words, pl.lit(")")))
        .otherwise(pl.col("status"))
    )


def _round(series: pl.Series, policy: Policy, at_most: int) -> pl.Series:
    """Round published counts; ``at_most`` is the top of the range they must stay out of."""
    base = policy.rounding.round_counts_to_nearest
    if base <= 1:
        return series
    true, rounded = pl.col(series.name), ((pl.col(series.name) + base // 2) // base) * base
    # A published count must not be rounded into the suppressed range: with counts 1..6
    # withheld, a published 5 (rounded from 7) would tell that the count is exactly 7. Such
    # values go to the smallest multiple of ``base`` above the range instead.
    lands_in_range = ((rounded >= 1) & (rounded <= at_most)) | (
        (rounded == 0) & (true > 0) & pl.lit(policy.primary.suppress_zero_counts)
    )
    floor = (at_most // base + 1) * base
    return series.to_frame().select(
        pl.when(lands_in_range).then(pl.lit(floor, pl.Int64)).otherwise(rounded).alias(series.name)
    )[series.name]


def _decisions(flagged: pl.DataFrame, columns: Sequence[str], keys: Sequence[str]) -> pl.DataFrame:
    """One row per withheld cell, sorted by the row's key and the column.

    The rows of the table are put in key order once; the decisions then come out of one
    row-major scan of the rule columns (in column order), so the many decisions are never sorted.
    """
    ordered = sorted(columns)
    in_order = flagged.select(keys).with_row_index("_row").sort(keys, nulls_last=False)["_row"]
    rules = [str(r) for r in Rule]
    codes = flagged.select(
        pl.col(f"_rule_{c}")
        .replace_strict(rules, range(len(rules)), return_dtype=pl.Int8)
        .fill_null(-1)
        for c in ordered
    ).to_numpy()[in_order.to_numpy()]
    position, column = np.nonzero(codes >= 0)
    reasons = {str(rule): text for rule, text in REASONS.items()}
    rows = in_order.gather(position)
    return (
        flagged.select(keys)[rows]
        .with_columns(
            column=pl.Series(ordered, dtype=pl.String).gather(column),
            rule=pl.Series(rules, dtype=pl.String).gather(codes[position, column]),
        )
        .with_columns(reason=pl.col("rule").replace_strict(reasons, return_dtype=pl.String))
    )
