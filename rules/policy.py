"""Disclosure policies: named profiles in TOML, loaded into frozen, self-validating settings.

A policy says what may be published; the code that applies it lives elsewhere in ``rules/``.
Every threshold names its comparison (``suppress_if_count_at_most = 7``: counts 1..7 are
withheld). Unknown keys are rejected with the list of valid ones, so a typo never silently
weakens protection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import TypeVar

from wres.engine.errors import ConfigError
from wres.engine.toml_settings import read_toml_settings

PROFILE_NAMES: tuple[str, ...] = ("wres-default", "nhs-digital", "ons-10-5", "staff-survey")

#: Accepted values of ``[primary] public_measures``: counts that are public knowledge. A
#: board's members (WRES indicator 9, WDES 10) are named in the trust's annual report and on
#: its website, so how many of them are in each group is no secret.
PUBLIC_MEASURES: tuple[str, ...] = ("board",)


@dataclass(frozen=True, slots=True)
class PrimaryRule:
    """Which published counts are withheld on their own account."""

    #: Counts 1..N are withheld. 0 turns count suppression off (internal use only).
    suppress_if_count_at_most: int
    #: Zero counts are withheld too (a zero can disclose that nobody in a group was disciplined).
    suppress_zero_counts: bool = False
    #: A group whose base (people at risk, respondents) is 1..N is not reported at all.
    #: 0 turns the rule off. The staff-survey profile uses 10 (fewer than 11 respondents).
    suppress_if_base_at_most: int = 0
    #: Measures whose counts are public knowledge (``"board"``: a board's members): never
    #: withheld and known to the attacker. The counts they are compared with (the workforce)
    #: are protected as ever.
    public_measures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_int("primary.suppress_if_count_at_most", self.suppress_if_count_at_most, 0)
        _check_bool("primary.suppress_zero_counts", self.suppress_zero_counts)
        _check_int("primary.suppress_if_base_at_most", self.suppress_if_base_at_most, 0)
        names = _check_names("primary.public_measures", self.public_measures, PUBLIC_MEASURES)
        object.__setattr__(self, "public_measures", names)

    def withholds_count(self, count: int) -> bool:
        """True when ``count`` may not be published (the boundary: N withheld, N + 1 published)."""
        if count == 0:
            return self.suppress_zero_counts
        return count <= self.suppress_if_count_at_most


@dataclass(frozen=True, slots=True)
class RoundingRule:
    """How published counts are rounded. Rates and ratios always come from true counts."""

    #: Published counts are rounded to the nearest multiple of this; 1 means no rounding.
    round_counts_to_nearest: int = 1

    def __post_init__(self) -> None:
        _check_int("rounding.round_counts_to_nearest", self.round_counts_to_nearest, 1)


@dataclass(frozen=True, slots=True)
class SecondaryRule:
    """Protection against recovering withheld counts from totals and other published cuts."""

    #: An attacker who combines every published figure must be left with at least this many
    #: possible integer values for each withheld small count (2: never exactly recoverable).
    min_attacker_interval: int = 7
    #: What secondary suppression minimises: "cells" (the number of withheld cells, then the
    #: counts withheld, so small cells go before totals) or "values" (the counts withheld).
    cost: str = "cells"
    #: What a withheld count is published as: the same for every withheld cell, so the marker
    #: does not tell a small count from a cell withheld to protect another. "[c]" is the
    #: Government Analysis Function's symbol for confidential.
    marker: str = "[c]"
    #: Levels of importance: withholding a cell costs this many times as much as withholding a
    #: cell with one more cut column not at ``All`` (a site's figure costs twice a site x band
    #: figure's at 2), so the finer cuts give up their cells first. 1: every level alike. The
    #: organisation-level tables come first whatever it says: a run never withholds a figure
    #: there that the same run without its ``--by`` cuts publishes.
    coarser_level_cost: int = 2

    def __post_init__(self) -> None:
        _check_int("secondary.min_attacker_interval", self.min_attacker_interval, 1)
        _check_int("secondary.coarser_level_cost", self.coarser_level_cost, 1)
        if self.cost not in COSTS:
            msg = f"policy key secondary.cost = {self.cost!r}: must be one of {list(COSTS)}"
            raise ConfigError(msg)
        _check_marker("secondary.marker", self.marker)


@dataclass(frozen=True, slots=True)
class Policy:
    """A named disclosure profile."""

    name: str
    description: str
    source: str
    primary: PrimaryRule
    rounding: RoundingRule
    secondary: SecondaryRule
    #: SHA-256 of the TOML text the policy was loaded from, for the manifest.
    sha256: str = ""


def _check_int(key: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"policy key {key} = {value!r}: must be a whole number >= {minimum}"
        raise ConfigError(msg)


#: Accepted values of ``[secondary] cost``.
COSTS: tuple[str, ...] = ("cells", "values")


def _check_marker(key: str, value: object) -> None:
    """A marker must read as text, never as a count, and fit in one CSV field as it is."""
    text = value if isinstance(value, str) else ""
    if (
        not text
        or len(text) > 16
        or text != text.strip()
        or any(ch in text for ch in ',"\n\r')
        or text.lstrip("+-").isdigit()
    ):
        msg = (
            f"policy key {key} = {value!r}: must be 1-16 characters of text that is not a "
            'number, without commas, quotes or surrounding spaces (e.g. "*" or "[c]")'
        )
        raise ConfigError(msg)


def _check_names(key: str, value: object, valid: tuple[str, ...]) -> tuple[str, ...]:
    """A list of distinct names from ``valid``, in the order of ``valid`` (so two files that
    list them differently are one policy)."""
    names = list(value) if isinstance(value, list | tuple) else None
    if names is None or any(not isinstance(n, str) for n in names):
        msg = f"policy key {key} = {value!r}: must be a list of names, e.g. {list(valid[:1])}"
        raise ConfigError(msg)
    unknown = [n for n in names if n not in valid]
    if unknown or len(set(names)) != len(names):
        problem = f"unknown name(s) {unknown}" if unknown else "a name is repeated"
        msg = f"policy key {key} = {value!r}: {problem}; valid names are {list(valid)}"
        raise ConfigError(msg)
    return tuple(n for n in valid if n in names)


def _check_bool(key: str, value: object) -> None:
    if not isinstance(value, bool):
        msg = f"policy key {key} = {value!r}: must be true or false"
        raise ConfigError(msg)


T = TypeVar("T", PrimaryRule, RoundingRule, SecondaryRule)


def _section(cls: type[T], name: str, data: object, source: str) -> T:
    if not isinstance(data, dict):
        msg = f"{source}: [{name}] must be a table"
        raise ConfigError(msg)
    valid = [f.name for f in fields(cls)]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        msg = f"{source}: unknown key(s) {unknown} in [{name}]; valid keys are {valid}"
        raise ConfigError(msg)
    try:
        return cls(**data)
    except TypeError as err:  # a required key is missing
        msg = f"{source}: [{name}] is incomplete ({err}); valid keys are {valid}"
        raise ConfigError(msg) from None
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


_TOP_LEVEL = ("name", "description", "source", "primary", "rounding", "secondary")


def policy_from_toml(text: str, source: str) -> Policy:
    """Parse and validate a policy; ``source`` names it in error messages."""
    data = read_toml_settings(text, source, valid=_TOP_LEVEL, called="key")
    if "primary" not in data:
        msg = f"{source}: [primary] with suppress_if_count_at_most is required"
        raise ConfigError(msg)
    return Policy(
        name=str(data.get("name", Path(source).stem)),
        description=str(data.get("description", "")),
        source=str(data.get("source", "")),
        primary=_section(PrimaryRule, "primary", data["primary"], source),
        rounding=_section(RoundingRule, "rounding", data.get("rounding", {}), source),
        secondary=_section(SecondaryRule, "secondary", data.get("secondary", {}), source),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_policy(name_or_path: str) -> Policy:
    """A shipped profile by name (``wres-default``, ...) or a TOML file by path."""
    if name_or_path in PROFILE_NAMES:
        resource = resources.files("wres.rules.profiles").joinpath(f"{name_or_path}.toml")
        return policy_from_toml(resource.read_text(encoding="utf-8"), name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        msg = (
            f"policy {name_or_path!r} is neither a shipped profile "
            f"({', '.join(PROFILE_NAMES)}) nor a readable file"
        )
        raise ConfigError(msg)
    return policy_from_toml(path.read_text(encoding="utf-8"), str(path))
