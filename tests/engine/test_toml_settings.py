"""The shared start of every settings reader: TOML, then a closed list of top-level names."""

from __future__ import annotations

import re

import pytest

from wres.engine.errors import ConfigError
from wres.engine.toml_settings import read_toml_settings


class _OwnError(ConfigError):
    pass


def test_valid_text_is_returned_parsed() -> None:
    data = read_toml_settings("[b]\nx = 1\n", "s.toml", valid=("a", "b"), called="section")
    assert data == {"b": {"x": 1}}


def test_unknown_names_are_listed_sorted_with_the_valid_ones_in_their_order() -> None:
    expected = "s.toml: unknown key(s) ['x', 'y']; valid keys are ['b', 'a']"
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}$"):
        read_toml_settings("y = 1\nx = 2\na = 3\n", "s.toml", valid=("b", "a"), called="key")


def test_errors_are_raised_as_the_callers_type() -> None:
    with pytest.raises(_OwnError, match=r"^s\.toml: not valid TOML \("):
        read_toml_settings("[a\n", "s.toml", valid=("a",), called="table", error=_OwnError)
    with pytest.raises(_OwnError, match=r"unknown table\(s\) \['z'\]; valid tables are \['a'\]"):
        read_toml_settings("[z]\n", "s.toml", valid=("a",), called="table", error=_OwnError)
