"""The published tables as the workbook and the report read them.

Both outputs are built from a run's published tables (``indicators``, ``pooled``) and its
manifest only, never from the engine's internals: a value withheld by disclosure control is
already empty there and becomes a marker here. Nothing in this package computes a figure from
counts; it selects, orders and formats published ones, so it cannot publish anything new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from wres.cli.publication.context import Context, context_from_manifest
from wres.cli.publication.status import ALL, UNKNOWN, natural_key, rule_codes, title_case
from wres.engine.funnels import cut_columns
from wres.engine.standards import Measure, Standard

# --- the tables ---------------------------------------------------------------------------------


def totals(frame: pl.DataFrame, dims: Sequence[str], keep: Sequence[str] = ()) -> pl.DataFrame:
    """Rows of the organisation total: every cut column ``All`` except those in ``keep``."""
    fixed = [pl.col(c) == ALL for c in dims if c not in keep]
    return frame.filter(pl.all_horizontal(fixed)) if fixed else frame


def with_cut(frame: pl.DataFrame, dims: Sequence[str], ignore: Sequence[str] = ()) -> pl.DataFrame:
    """Add ``cut`` (the dimensions that are not All, e.g. ``band, site``) and ``cell`` (their
    values, e.g. ``Band 5 / RBH01``)."""
    used = [c for c in dims if c not in ignore]
    if not used:
        return frame.with_columns(cut=pl.lit(""), cell=pl.lit(""))
    names = [pl.when(pl.col(c) != ALL).then(pl.lit(title_case(c))) for c in used]
    values = [pl.when(pl.col(c) != ALL).then(pl.col(c)) for c in used]
    return frame.with_columns(
        cut=pl.concat_str(names, separator=" x ", ignore_nulls=True),
        cell=pl.concat_str(values, separator=" / ", ignore_nulls=True),
    )


@dataclass(frozen=True, slots=True)
class Published:
    """A run's published tables and what the manifest says about them."""

    indicators: pl.DataFrame
    pooled: pl.DataFrame
    context: Context
    #: the reference group of the comparisons (White, or White British)
    reference: str
    #: the funnel table of a run with an organisation cut (``wres.engine.funnels``), else empty
    funnel: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def dims(self) -> list[str]:
        return cut_columns(self.indicators)

    @property
    def years(self) -> list[int]:
        if "year" not in self.indicators.columns or self.indicators.height == 0:
            return []
        return sorted(int(y) for y in self.indicators["year"].unique().to_list())

    def indicator_ids(self) -> list[int]:
        """The indicators published, in the standard's order (WDES 4a(i), 4a(ii-iii), 4b, 5)."""
        if self.indicators.height == 0:
            return []
        standard = self.context.standard
        order = {} if standard is None else {i.id: k for k, i in enumerate(standard.indicators)}
        ids = {int(i) for i in self.indicators["indicator"].unique().to_list()}
        return sorted(ids, key=lambda i: (order.get(i, len(order)), i))

    def rows(self, indicator_id: int) -> pl.DataFrame:
        return self.indicators.filter(pl.col("indicator") == indicator_id)

    def measure(self, indicator_id: int) -> Measure:
        """What a published indicator measures (one of :meth:`indicator_ids`)."""
        return Measure(self.rows(indicator_id)["measure"][0])

    def groups(self, frame: pl.DataFrame) -> list[str]:
        """The reference group first, then the compared groups, Unknown last."""
        names = [str(g) for g in frame["group"].unique().to_list()]
        ref = self.reference
        return sorted(names, key=lambda g: (g != ref, g == UNKNOWN, natural_key(g)))

    def rule_codes_used(self) -> list[str]:
        statuses = self.indicators["status"].unique().to_list() if self.indicators.height else []
        codes = {c for s in statuses for c in rule_codes(s)}
        return sorted(codes, key=natural_key)


def published(
    indicators: pl.DataFrame,
    pooled: pl.DataFrame,
    manifest: Mapping[str, Any],
    *,
    standard: Standard | None = None,
    funnel: pl.DataFrame | None = None,
) -> Published:
    """Prepare the tables: each distinct row once, in a stable order. ``standard``: the run's
    declarations (None: the shipped standard the manifest names); ``funnel``: the run's funnel
    table, if it has one."""
    # A cut can produce the same row twice (indicator 1's staff group x band rows are also in
    # a band cut); the outputs show each once.
    unique = indicators.unique(maintain_order=True)
    context = context_from_manifest(manifest, standard=standard)
    refs: list[str] = []
    if "reference_group" in unique.columns:
        refs = [str(r) for r in unique["reference_group"].drop_nulls().unique().to_list()]
    refs = sorted(r for r in refs if r != "workforce")
    reference = refs[0] if refs else str(context.settings.get("reference_group", "White"))
    funnels = pl.DataFrame() if funnel is None else funnel
    return Published(unique, pooled, context, reference, funnels)
