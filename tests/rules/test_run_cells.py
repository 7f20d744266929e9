"""The linear system of a run (``wres.rules.run_protection``): its dimensions, what it may
withhold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from tests.run_capture import captured_protections
from tests.synthetic_tables import full_table
from wres.cli.app import app
from wres.engine.measures import measure_model
from wres.engine.standards import Shape, load_standard
from wres.engine.synth import parse_years, write_synthetic
from wres.rules.disclosure import declarations
from wres.rules.measure_cells import ALL_MEASURES, measure_hierarchy
from wres.rules.run_counts import CUT_TOTAL, CountSource, cut_dimensions
from wres.rules.run_protection import structural_zeros
from wres.rules.table import Hierarchy


def test_people_at_risk_are_the_sum_of_their_events_and_the_rest() -> None:
    sources = {
        (3, "standard", None): CountSource(Shape.RATIO, "staff:3:events", "staff:rows"),
        (4, "standard", None): CountSource(Shape.RATIO, "staff:4:events", "staff:rows"),
        (1, "standard", None): CountSource(Shape.SHARE, "staff:rows", "staff:rows"),
    }
    declared, routing = declarations(load_standard("wres"), sources)
    model = measure_model(["staff:3:events", "staff:4:events", "staff:rows"], declared, routing)
    assert sorted(n.name for n in model.derived()) == [
        "staff:rows - staff:3:events", "staff:rows - staff:4:events"
    ]  # fmt: skip
    tree = measure_hierarchy(model, sorted(model.nodes))
    parent = {
        label: tree.labels[p] if p >= 0 else None
        for label, p in zip(tree.labels, tree.parents, strict=True)
    }
    assert parent["staff:3:events"] == parent["staff:rows - staff:3:events"] == "staff:rows"
    # the headcount splits twice; the second split stays an extra relation
    assert parent["staff:4:events"] == parent["staff:rows - staff:4:events"] == ALL_MEASURES
    assert parent["staff:rows"] == ALL_MEASURES


def test_a_nested_cut_column_is_one_dimension_with_its_parent() -> None:
    frame = pl.DataFrame({"region": ["North", "All", "South"], "organisation": ["R1", "R2", "All"]})
    nested = {"organisation": ("region", {"R1": "North", "R2": "North", "R3": "South"})}
    labels = {"organisation": ["R1", "R2", "R3"], "region": ["North", "South"]}
    (cut,) = cut_dimensions(frame, ["region", "organisation"], labels, nested)
    assert cut.name == "region / organisation"
    assert cut.nodes_at(1) == ["North", "South"]
    assert sorted(cut.nodes_at(2)) == ["North / R1", "North / R2", "South / R3"]
    tree = cut.hierarchy
    assert tree.labels[tree.parents[tree.position["North / R2"]]] == "North"
    assert tree.labels[tree.parents[tree.position["South"]]] == CUT_TOTAL


def test_a_total_of_known_zeros_is_a_zero_anyone_can_tell() -> None:
    band = Hierarchy.flat("band", ["b1", "b2"])
    group = Hierarchy.flat("group", ["g1", "g2"])
    tables = full_table([band, group], np.array([[0, 0], [3, 9]]))
    cell = {key: int(tables.cells_of(dict(zip(("band", "group"), key, strict=True)))[0])
            for key in (("b1", "g1"), ("b1", "g2"), ("b1", "Total"), ("b2", "g1"))}  # fmt: skip
    known = np.zeros(tables.n_cells, np.bool_)
    known[[cell["b1", "g1"], cell["b1", "g2"]]] = True  # rows a finer cut leaves out
    nobody = structural_zeros(tables, known)
    assert nobody[cell["b1", "Total"]]
    assert not nobody[cell["b2", "g1"]]
    assert not (nobody & known).any()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic(folder, trusts=1, years=parse_years("2023-2024"), seed=11)
    for name in ("staff", "applications", "survey", "board"):
        frame = pl.read_parquet(folder / f"{name}.parquet")
        frame.sample(min(frame.height, 1500), seed=3, shuffle=True).write_parquet(
            folder / f"{name}.parquet"
        )
    return folder


def test_a_run_withholds_no_zero_that_no_row_shows(
    extracts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = captured_protections(monkeypatch)
    inputs = [a for n in ("staff", "applications", "survey", "board")
              for a in (f"--{n}", str(extracts / f"{n}.parquet"))]  # fmt: skip
    result = CliRunner().invoke(
        app, ["run", *inputs, "--by", "band,staff_group", "--out", str(tmp_path / "p"), "-q"]
    )
    assert result.exit_code == 0, result.output
    ((cells, protection),) = seen
    assert cells.fixed.any()  # the cut by band and staff group leaves rows out
    assert not (protection.hidden & cells.fixed).any()
    assert protection.certificate.ok
    shown = np.zeros(cells.tables.n_cells, np.bool_)
    for at in cells.cell_of.values():
        shown[at[at >= 0]] = True
    # every withheld cell is a count some row shows (or a count derived from them)
    assert not (protection.secondary & ~shown & ~cells.derived).any()
