"""Band clusters (``wres run --roll-up auto``): each cluster's figures are the sums of its bands',
and they are protected in the same system as the bands, so the pack attacker (which reads only
``publish/`` and the documented clusters, ``tests/attacker/knowledge.py``) finds nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from tests.attacker.inputs import record_inputs, run_pair, synthetic
from tests.attacker.knowledge import cluster_of_band
from tests.attacker.solve import completed
from tests.attacker.system import build
from tests.attacker.verdict import attack, true_counts
from tests.test_disclosure_attack import reader_policy
from wres.cli import pipeline
from wres.engine.counts import Counts
from wres.rules.disclosure import nesting

ROLL_UP = ("--roll-up", "auto")
COUNTS = ("numerator", "denominator", "reference_numerator", "reference_denominator")
NAMES = ("indicator", "variant", "year", "board", "group", "reference_group")


def bme_cluster_rows(pack: Path) -> pl.DataFrame:
    """Indicator 1's BME rows by band cluster (every site), as ``pack`` publishes them."""
    return pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None).filter(
        pl.col("indicator") == 1,
        pl.col("band") == "All",
        pl.col("band_cluster") != "All",
        pl.col("site") == "All",
        pl.col("group") == "BME",
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("roll_up")
    data = synthetic(tmp / "data", trusts=1, years=[2023, 2024], seed=3)
    return run_pair(record_inputs(data), tmp / "out", by=["site", "band"],
                    policy="wres-default", extra=ROLL_UP)  # fmt: skip


def test_a_cluster_is_the_sum_of_its_bands(pair: tuple[Path, Path]) -> None:
    _, truth = pair
    table = pl.read_csv(truth / "publish" / "indicators.csv", infer_schema_length=None)
    others = [c for c in ("site", "staff_group") if c in table.columns]
    keys = [*NAMES, *others, "band_cluster"]
    bands = (
        table.filter(pl.col("band") != "All", pl.col("band_cluster") == "All")
        .with_columns(
            band_cluster=pl.col("band").map_elements(cluster_of_band, return_dtype=pl.String)
        )
        .group_by(keys)
        .agg(pl.col(c).sum().alias(f"{c}_sum") for c in COUNTS)
    )
    clusters = table.filter(pl.col("band") == "All", pl.col("band_cluster") != "All")
    joined = clusters.join(bands, on=keys, how="left", nulls_equal=True)
    assert joined.height == clusters.height > 0
    for column in COUNTS:
        present = joined.filter(pl.col(column).is_not_null())
        assert (present[column] == present[f"{column}_sum"]).all(), column
    # indicator 1's staff group x cluster rows (the return's rows rolled up) are among them
    mine = joined.filter(pl.col("indicator") == 1, pl.col("staff_group") != "All")
    assert mine.height > 0
    assert {"Bands 5-7", "Consultants"} <= set(mine["band_cluster"].to_list())


def test_the_attacker_finds_nothing_in_a_rolled_up_pack(pair: tuple[Path, Path]) -> None:
    pack, truth = pair
    system, _ = build(pack, "wres", reader_policy("wres-default"))
    # the reader knows each cluster is the sum of its bands: relations join a cluster's
    # count (band All) to its bands' (cluster All) ...
    cuts = system.cuts
    b, c = cuts.index("band"), cuts.index("band_cluster")
    cluster = np.array([k[2][c] != "All" and k[2][b] == "All" for k in system.keys])
    band = np.array([k[2][b] != "All" and k[2][c] == "All" for k in system.keys])
    touches = system.matrix.astype(bool).astype(np.int64)
    assert ((touches @ cluster > 0) & (touches @ band > 0)).sum() > 100
    # ... and every relation it assumes holds of the true counts
    values = true_counts(truth, "wres")
    known = np.array([values.get(k, np.nan) for k in system.keys])
    assert np.allclose(system.matrix @ completed(system, known), 0)
    verdict = attack(pack, truth, "wres", reader_policy("wres-default"))
    assert len(verdict.judged) > 0
    assert verdict.failures == []


def test_clusters_left_out_of_the_system_would_leak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the attack has teeth: protected without the clusters nested over their bands (each a
    # column of its own), the pack gives withheld counts away through the cluster rows
    def unnested(counts: Counts, dims: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
        return nesting(counts, [d for d in dims if d != "band_cluster"])

    monkeypatch.setattr(pipeline, "nesting", unnested)
    data = synthetic(tmp_path / "data", trusts=1, years=[2024], seed=3)
    pack, truth = run_pair(record_inputs(data), tmp_path / "out", by=["band"],
                           policy="wres-default", extra=ROLL_UP)  # fmt: skip
    verdict = attack(pack, truth, "wres", reader_policy("wres-default"))
    assert len(verdict.failures) > 0


def test_the_workbook_lists_each_cluster_after_its_bands(pair: tuple[Path, Path]) -> None:
    pack, _ = pair
    table = bme_cluster_rows(pack)
    published = {
        (r["year"], r["staff_group"], r["band_cluster"]): r["denominator"]
        for r in table.iter_rows(named=True)
    }
    sheet = openpyxl.load_workbook(pack / "publish" / "wres.xlsx", read_only=True)["Indicator 1"]
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] is not None]
    seen = 0
    for i, (year, group, band, *values) in enumerate(rows):
        if not str(band).endswith(" (rolled up)"):
            continue
        cluster = str(band).removesuffix(" (rolled up)")
        staff_group = "All" if group == "All staff" else group
        total = values[-1 - (len(values) - 1) // 2]  # the total headcount column
        expected = published[int(year), staff_group, cluster]
        assert total == (expected if expected is not None else "[c]"), (year, group, band)
        # it follows its own bands (all staff has clusters and no bands)
        before = str(rows[i - 1][2])
        if rows[i - 1][1] == group and not before.endswith(" (rolled up)"):
            assert cluster_of_band(before) == cluster, (year, group, band)
        seen += 1
    assert seen > 0
