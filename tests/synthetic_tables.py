"""Seeded synthetic staff tables for the protection tests and benchmarks (never real data).

Shapes of issue 6: A, 5 broad ethnic groups x 9 bands x 4 sites, 3,000 staff (300 cells); B,
19 ethnic categories (the 2021 census list) in 5 groups x 9 bands x 6 sites, 20,000 staff
(1,750 cells); C, B x 3 years with an all-years total, 40,000 staff (7,000 cells); N, the
national ten years: 210 organisations in the 7 NHS England regions x 5 groups x 9 bands x 10
years with an all-years total, 13 million staff-years (143,880 cells). Every table has all its
totals. Shares are rough NHS workforce figures with some noise per cell, so small
and zero cells fall where they do in real tables (minority categories, senior bands, small
sites).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wres.rules.table import Hierarchy, LinkedTables

#: (group, category, share of the workforce), after the 2021 census classification.
CATEGORIES: tuple[tuple[str, str, float], ...] = (
    ("White", "White British", 0.600),
    ("White", "White Irish", 0.010),
    ("White", "Gypsy or Irish Traveller", 0.0005),
    ("White", "Roma", 0.0005),
    ("White", "Any other White", 0.100),
    ("Mixed", "White and Black Caribbean", 0.005),
    ("Mixed", "White and Black African", 0.004),
    ("Mixed", "White and Asian", 0.005),
    ("Mixed", "Any other Mixed", 0.006),
    ("Asian", "Indian", 0.060),
    ("Asian", "Pakistani", 0.020),
    ("Asian", "Bangladeshi", 0.007),
    ("Asian", "Chinese", 0.007),
    ("Asian", "Any other Asian", 0.036),
    ("Black", "African", 0.070),
    ("Black", "Caribbean", 0.020),
    ("Black", "Any other Black", 0.010),
    ("Other", "Arab", 0.005),
    ("Other", "Any other ethnic group", 0.025),
)
BANDS: tuple[tuple[str, float], ...] = (
    ("2", 0.12),
    ("3", 0.15),
    ("4", 0.10),
    ("5", 0.20),
    ("6", 0.18),
    ("7", 0.13),
    ("8a", 0.06),
    ("8b", 0.04),
    ("8c-9", 0.02),
)
SITE_SHARES = (0.35, 0.25, 0.15, 0.12, 0.08, 0.05)
REGIONS = (
    "East of England",
    "London",
    "Midlands",
    "North East and Yorkshire",
    "North West",
    "South East",
    "South West",
)


@dataclass(frozen=True, slots=True)
class Shape:
    name: str
    detailed: bool
    sites: int
    years: int
    staff: int
    #: With regions, ``sites`` are organisations, dealt to the regions in turn, each of a size
    #: drawn from a log-normal (NHS trusts run from a few hundred staff to over 20,000).
    regions: int = 0


SHAPES = {
    "A": Shape("A", detailed=False, sites=4, years=0, staff=3_000),
    "B": Shape("B", detailed=True, sites=6, years=0, staff=20_000),
    "C": Shape("C", detailed=True, sites=6, years=3, staff=40_000),
    "N": Shape("N", detailed=False, sites=210, years=10, staff=13_000_000, regions=7),
}


def ethnicity_hierarchy(*, detailed: bool) -> Hierarchy:
    groups = list(dict.fromkeys(g for g, _, _ in CATEGORIES))
    if not detailed:
        return Hierarchy.flat("ethnicity", groups)
    pairs = [(g, "Total") for g in groups] + [(c, g) for g, c, _ in CATEGORIES]
    return Hierarchy.from_pairs("ethnicity", pairs)


def _organisations(n: int, regions: int) -> Hierarchy:
    """``n`` organisations dealt in turn to the first ``regions`` regions, under England. Leaves
    come in the order of the pairs (breadth first: region by region), so the organisations'
    shares are given in that order too."""
    names = [*REGIONS, *(f"Region {i + 1}" for i in range(len(REGIONS), regions))][:regions]
    pairs = [(r, "England") for r in names]
    for k in range(regions):
        pairs += [(f"{names[k]} / R{i + 1:03d}", names[k]) for i in range(k, n, regions)]
    return Hierarchy.from_pairs("organisation", pairs, total="England")


def _aggregation(h: Hierarchy) -> np.ndarray:
    """Nodes x leaves: 1 where the leaf lies under the node."""
    leaves = np.flatnonzero(h.is_leaf)
    out = np.zeros((len(h.labels), len(leaves)), dtype=np.int64)
    for j, leaf in enumerate(leaves):
        out[h.ancestors(int(leaf)), j] = 1
    return out


def full_table(hierarchies: Sequence[Hierarchy], leaf_counts: np.ndarray) -> LinkedTables:
    """The full cross of ``hierarchies`` with every total, from counts of the leaf categories
    (an array with one axis per dimension, in the order of each hierarchy's leaves)."""
    values = leaf_counts.astype(np.int64)
    for axis, h in enumerate(hierarchies):
        values = np.moveaxis(np.tensordot(_aggregation(h), values, axes=([1], [axis])), 0, axis)
    return LinkedTables.full_cross(hierarchies, values)


def synthetic_table(shape: str | Shape, seed: int) -> LinkedTables:
    """A seeded staff table of one of the shapes A, B, C (or a custom :class:`Shape`)."""
    spec = SHAPES[shape] if isinstance(shape, str) else shape
    rng = np.random.default_rng(seed)
    eth = ethnicity_hierarchy(detailed=spec.detailed)
    if spec.detailed:
        eth_share = np.array([s for _, _, s in CATEGORIES])
    else:
        groups = list(dict.fromkeys(g for g, _, _ in CATEGORIES))
        eth_share = np.array([sum(s for g2, _, s in CATEGORIES if g2 == g) for g in groups])
    band = Hierarchy.flat("band", [b for b, _ in BANDS])
    band_share = np.array([s for _, s in BANDS])
    if spec.regions:
        site = _organisations(spec.sites, spec.regions)
        site_share = rng.lognormal(0.0, 0.7, spec.sites)
    else:
        site = Hierarchy.flat("site", [f"Site {i + 1}" for i in range(spec.sites)])
        site_share = (
            np.array(SITE_SHARES[: spec.sites])
            if spec.sites <= 6
            else rng.dirichlet(np.ones(spec.sites) * 2)
        )
    hierarchies = [eth, band, site]
    shares = [eth_share, band_share, site_share]
    if spec.years:
        hierarchies.append(Hierarchy.flat("year", [str(2022 + i) for i in range(spec.years)]))
        shares.append(np.ones(spec.years))
    p = shares[0]
    for s in shares[1:]:
        p = np.multiply.outer(p, s)
    p = p * np.exp(0.4 * rng.standard_normal(p.shape))
    p /= p.sum()
    leaf_counts = rng.multinomial(spec.staff, p.reshape(-1)).reshape(p.shape)
    return full_table(hierarchies, leaf_counts)
