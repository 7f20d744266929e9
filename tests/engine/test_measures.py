"""Measures as sums of disjoint classes (``wres.engine.measures``): the relations that follow.

The reference is the classes themselves: a table of measures is possible exactly when some
whole-number classes (at least 0 each) sum to it, which a linear programme over the classes
decides independently of the model's relations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from wres.engine.errors import ConfigError
from wres.engine.measures import Figure, MeasureModel, Split, bounds, measure_model, splits
from wres.engine.standards import load_standard, standard_from_toml

WRES = load_standard("wres")
E, R, EX, RX = "a:events", "a:at risk", "a:kept:events", "a:kept:at risk"


def ind2_model() -> tuple[MeasureModel, Split]:
    figures = [
        Figure("standard", None, E, R),
        Figure("excluding international", None, EX, RX),
    ]
    (split,) = splits(WRES.indicator(2), figures, excluded_flag="excluding international")
    return measure_model([E, R, EX, RX], [split]), split


def board_model() -> tuple[MeasureModel, Split]:
    figures = [Figure("standard", m, f"b:{m}", f"b:{m}") for m in ("voting", "executive",
                                                                  "non-executive")]  # fmt: skip
    (split,) = splits(WRES.indicator(9), figures)
    return measure_model([f.events for f in figures], [split]), split


def values_of(model: MeasureModel, measures: Mapping[str, int]) -> dict[str, int]:
    """Every node's value from the measures' (a derived node by its formula)."""
    out = dict(measures)
    for node in model.derived():
        out[node.name] = sum(c * measures[m] for m, c in node.formula)
    return out


def model_allows(model: MeasureModel, measures: Mapping[str, int]) -> bool:
    """The measures keep every relation of the model with every node at least 0."""
    values = values_of(model, measures)
    if min(values.values()) < 0:
        return False
    relations = [*model.relations]
    children: dict[str, list[str]] = {}
    for node, parent in model.parent.items():
        children.setdefault(parent, []).append(node)
    relations += [((w, -1), *((p, 1) for p in parts)) for w, parts in children.items()]
    return all(sum(c * values[n] for n, c in relation) == 0 for relation in relations)


def classes_allow(split: Split, measures: Mapping[str, int]) -> bool:
    """Some classes of at least 0 sum to every measure (a linear programme; the constraint
    matrix is 0/1 with one class per column, small enough to be exact here)."""
    atoms = sorted(frozenset().union(*split.atoms.values()))
    names = sorted(split.atoms)
    a = np.array([[1.0 if atom in split.atoms[m] else 0.0 for atom in atoms] for m in names])
    b = np.array([float(measures[m]) for m in names])
    found = linprog(np.zeros(len(atoms)), A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    return bool(found.status == 0)


def test_indicator_2_without_international_recruits_is_a_subset_of_the_standard_figure() -> None:
    model, _ = ind2_model()
    derived = {n.name: dict(n.formula) for n in model.derived()}
    # the international recruits appointed, and shortlisted but not appointed
    assert {E: 1, EX: -1} in derived.values()
    assert {R: 1, E: -1, RX: -1, EX: 1} in derived.values()
    # appointed is a part of shortlisted, in the tree the pattern search keeps
    assert model.parent[E] == R
    assert model.parent[EX] == E


def test_the_board_says_voting_members_are_at_most_the_executive_and_non_executive() -> None:
    model, _ = board_model()
    names = {n.name: dict(n.formula) for n in model.derived()}
    assert {"b:executive": 1, "b:non-executive": 1, "b:voting": -1} in names.values()
    assert model_allows(model, {"b:voting": 10, "b:executive": 4, "b:non-executive": 6})
    assert not model_allows(model, {"b:voting": 11, "b:executive": 4, "b:non-executive": 6})


@pytest.mark.parametrize("build", [ind2_model, board_model])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_model_allows_exactly_the_tables_some_classes_make(
    build: object, data: st.DataObject
) -> None:
    model, split = build()  # type: ignore[operator]
    measures = {m: data.draw(st.integers(0, 6), label=m) for m in sorted(split.atoms)}
    assert model_allows(model, measures) == classes_allow(split, measures), measures


def test_a_derived_count_is_the_sum_of_its_classes() -> None:
    model, split = ind2_model()
    rng = np.random.default_rng(1)
    atoms = sorted(frozenset().union(*split.atoms.values()))
    for _ in range(50):
        counts = dict(zip(atoms, rng.integers(0, 20, len(atoms)).tolist(), strict=True))
        measures = {m: sum(counts[a] for a in split.atoms[m]) for m in split.atoms}
        values = values_of(model, measures)
        assert min(values.values()) >= 0
        assert model_allows(model, measures)


def test_wdes_4b_is_asked_only_of_those_harassed() -> None:
    wdes = load_standard("wdes")
    events = {4: "s:4:events", 41: "s:41:events", 42: "s:42:events"}
    at_risk = {4: "s:4:at risk", 41: "s:41:at risk", 42: "s:42:at risk"}
    (bound,) = bounds(wdes, events, at_risk)
    assert bound.whole == "s:42:at risk"
    assert set(bound.parts) == {"s:4:events", "s:41:events"}
    model = measure_model([*events.values(), *at_risk.values()], [], [bound])
    (slack,) = model.derived()
    assert not slack.protected  # a bound, not a class of people
    assert dict(slack.formula) == {"s:4:events": 1, "s:41:events": 1, "s:42:at risk": -1}


def test_asked_of_must_name_indicators_of_the_standard() -> None:
    text = """
name = "x"
short_name = "X"
characteristic = "ethnicity"
focal = "BME"
reference = "White"
unknown = "Unknown"
[[indicators]]
id = 5
title = "q5"
extract = "survey"
measure = "percentage"
event = "q5"
asked_of = [77]
"""
    with pytest.raises(ConfigError, match=r"asked_of \[77\]"):
        standard_from_toml(text, "test")
