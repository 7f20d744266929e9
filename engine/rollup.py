"""Roll-ups: coarser figures offered beside fine ones that the disclosure rules may withhold.

A run with ``--roll-up auto`` also publishes each band cut by the NHS WRES band clusters (the
``band_cluster`` column): non-medical Bands 1-4 (with Under Band 1), 5-7, 8a-8b, 8c-9 and VSM;
medical consultants, non-consultant career grades and trainee grades. Clusters are sums of
bands, so they are counted from the same cubes (:class:`wres.engine.cube.Grouping`) and protected
in the same system as every other figure (a cluster is the band cut's parent, as a region is
its organisations').
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from wres.engine.counts import Counts
from wres.engine.cube import Grouping, Label
from wres.engine.schema import UNKNOWN, normalise_band

BAND = "band"
BAND_CLUSTER = "band_cluster"

#: Each band's cluster, in the order the WRES return lists them.
CLUSTERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "Bands 1-4": ("Under Band 1", "Band 1", "Band 2", "Band 3", "Band 4"),
        "Bands 5-7": ("Band 5", "Band 6", "Band 7"),
        "Bands 8a-8b": ("Band 8a", "Band 8b"),
        "Bands 8c-9 and VSM": ("Band 8c", "Band 8d", "Band 9", "VSM"),
        "Consultants": ("Consultant",),
        "Non-consultant career grades": ("Non-consultant career grade",),
        "Trainee grades": ("Trainee grade",),
        # not one of the return's clusters: kept apart rather than counted in one
        "Other medical": ("Other medical",),
    }
)
_CLUSTER_OF = {band: cluster for cluster, bands in CLUSTERS.items() for band in bands}
#: A cluster's line among the bands of a report or workbook, after the last of them.
ROLLED_UP = "{cluster} (rolled up)"


def cluster_of(band: Label) -> Label:
    """The cluster of a band label as a cube holds it (a counts file's own spelling, ``"8A"``,
    is read as the band it names); blank stays blank, an unrecognised band is ``Unknown``."""
    if band is None:
        return None
    return _CLUSTER_OF.get(normalise_band(str(band)), UNKNOWN)


def rolled_up_label(cluster: str) -> str:
    return ROLLED_UP.format(cluster=cluster)


def last_band(cluster: str) -> str:
    """The band a cluster's line follows (the cluster itself when it is not one of ours)."""
    bands = CLUSTERS.get(cluster)
    return bands[-1] if bands else cluster


def roll_up_cuts(
    cuts: Sequence[Sequence[str]], organisation: Sequence[Sequence[str]] = ((),)
) -> list[tuple[str, ...]]:
    """``cuts`` and their roll-ups: each cut by band again by band cluster, and each
    ``organisation`` cut (the total, each trust) by cluster (indicator 1's staff group x cluster
    table, the annual return's rows rolled up)."""
    out = [tuple(c) for c in cuts]
    out += [tuple(BAND_CLUSTER if d == BAND else d for d in c) for c in cuts if BAND in c]
    out += [(*c, BAND_CLUSTER) for c in organisation]
    unique: dict[frozenset[str], tuple[str, ...]] = {}
    for cut in out:
        unique.setdefault(frozenset(cut), cut)
    return list(unique.values())


def counted_dims(dims: Sequence[str]) -> list[str]:
    """The columns to count: a cluster is computed from the band, not read."""
    return [d for d in dims if d != BAND_CLUSTER]


def with_band_clusters(counts: Counts) -> Counts:
    """Every block whose cube has a band axis, with a ``band_cluster`` axis computed from it."""
    out = {}
    for indicator, blocks in counts.items():
        out[indicator] = tuple(
            replace(block, cube=block.cube.with_grouping(_grouping(block.cube.labels_of(BAND))))
            if BAND in block.cube.axes and BAND_CLUSTER not in block.cube.axes
            else block
            for block in blocks
        )
    return out


def _grouping(bands: Sequence[Label]) -> Grouping:
    return Grouping.of(BAND_CLUSTER, BAND, bands, {b: cluster_of(b) for b in bands})
