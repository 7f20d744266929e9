"""Ethnicity classification: raw values as systems write them -> the SPEC section 3 hierarchy.

Inputs carry national codes (``A``), local two-character sub-codes (``CP``), ESR-style labels
(``A White - British``, ``CP White - Polish``), bare labels (``White - Irish``), the ONS 2021 census
categories (``Asian, Asian British or Asian Welsh: Indian``, ``Roma``) or group names at any level
(``Asian``, ``BME``). Every value is classified; anything unrecognised is Unknown with the reason
``unrecognised``, never dropped.

The hierarchy itself is configuration (``engine/data/ethnicity.toml`` by default) because analysts
disagree on where Chinese and Gypsy/Traveller belong, and the 2021 census places Chinese, Arab, Roma
and Gypsy or Irish Traveller differently from the national (2001) classification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from wres.engine.errors import ConfigError
from wres.engine.toml_settings import read_toml_settings

WHITE = "White"
BME = "BME"
UNKNOWN = "Unknown"


class UnknownReason(StrEnum):
    """Why a value counts as Unknown ethnicity; each is reported separately."""

    NOT_STATED = "not stated"
    NOT_KNOWN = "not known"
    BLANK = "blank"
    UNRECOGNISED = "unrecognised"


class Level(StrEnum):
    """The level of the hierarchy at which comparisons are made (``--ethnicity-level``)."""

    WRES = "wres"
    BROAD = "broad"
    DETAILED = "detailed"


@dataclass(frozen=True, slots=True)
class Classification:
    """Where one raw value sits in the hierarchy.

    ``category`` is the national code (A..S) when the value names one, ``broad`` the broad group
    when known, ``wres`` is White, BME or Unknown. A value such as ``Asian`` is known only down to
    the broad level, so its ``category`` is None.
    """

    category: str | None
    broad: str | None
    wres: str
    unknown_reason: UnknownReason | None = None


class EthnicityConfigError(ConfigError):
    """The ethnicity configuration file is not valid; the message names the key and the fix."""


_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"\s*[-\u2013\u2014:]\s*")


#: Two-letter words that start with a category letter: "NO" or "IN" typed in capitals is not a
#: local sub-code of N or I, so such values stay unrecognised rather than being misread.
_TWO_LETTER_WORDS = frozenset(
    [
        "AN",
        "AS",
        "AT",
        "BE",
        "BY",
        "DO",
        "GO",
        "HE",
        "IF",
        "IN",
        "IS",
        "IT",
        "ME",
        "MY",
        "NO",
        "OF",
        "OK",
        "ON",
        "OR",
        "SO",
    ]
)


def _normalise_label(text: str) -> str:
    """Lower case, one space between words, ``" - "`` for any dash or colon separator."""
    return _DASHES.sub(" - ", _SPACES.sub(" ", text.strip().lower()))


@dataclass(frozen=True)
class EthnicityScheme:
    """A validated hierarchy: categories -> broad groups -> White/BME, plus spellings."""

    labels: MappingProxyType[str, str]
    broad_of: MappingProxyType[str, str]
    wres_of_broad: MappingProxyType[str, str]
    unknown_codes: MappingProxyType[str, UnknownReason]
    subcode_category: MappingProxyType[str, str]
    subcode_labels: MappingProxyType[str, str]
    aliases: MappingProxyType[str, str]
    unknown_words: MappingProxyType[str, UnknownReason]
    source: str = "default"
    _lookup: dict[str, Classification] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for code, broad in self.broad_of.items():
            if broad not in self.wres_of_broad:
                msg = (
                    f"{self.source}: category {code!r} is in broad group {broad!r}, which is not "
                    f"in [broad]; add it there with a WRES group (White or BME)"
                )
                raise EthnicityConfigError(msg)
        for broad, wres in self.wres_of_broad.items():
            if wres not in (WHITE, BME):
                msg = (
                    f"{self.source}: [broad] {broad} = {wres!r}; "
                    f"a broad group maps to 'White' or 'BME'"
                )
                raise EthnicityConfigError(msg)
        for sub, cat in self.subcode_category.items():
            if cat not in self.broad_of:
                msg = (
                    f"{self.source}: sub-code {sub!r} names category {cat!r}, which is not defined"
                )
                raise EthnicityConfigError(msg)
        targets = set(self.broad_of) | set(self.wres_of_broad) | {WHITE, BME}
        for alias, target in self.aliases.items():
            if target not in targets:
                msg = (
                    f"{self.source}: alias {alias!r} points at {target!r}, which is neither a "
                    f"category code nor a group name"
                )
                raise EthnicityConfigError(msg)

    # -- the hierarchy ---------------------------------------------------------------------------
    @property
    def categories(self) -> tuple[str, ...]:
        """The national category codes in their published order."""
        return tuple(sorted(self.broad_of))

    @property
    def broad_groups(self) -> tuple[str, ...]:
        """Broad groups in the order they first appear among the categories."""
        seen: dict[str, None] = {}
        for code in self.categories:
            seen.setdefault(self.broad_of[code], None)
        return tuple(seen)

    def label(self, code: str) -> str:
        """``"A"`` -> ``"A White - British"``: how a category is shown in outputs."""
        return f"{code} {self.labels[code]}"

    # -- classification --------------------------------------------------------------------------
    def _of_category(self, code: str) -> Classification:
        broad = self.broad_of[code]
        return Classification(code, broad, self.wres_of_broad[broad])

    def _of_group(self, name: str) -> Classification:
        if name in self.broad_of:
            return self._of_category(name)
        if name in self.wres_of_broad:
            return Classification(None, name, self.wres_of_broad[name])
        return Classification(None, None, name)  # White or BME at the top level

    def _unknown(self, reason: UnknownReason) -> Classification:
        return Classification(None, None, UNKNOWN, reason)

    def classify(self, value: str | None) -> Classification:
        """Classify one raw value (see the module docstring for the accepted forms)."""
        if value is None:
            return self._unknown(UnknownReason.BLANK)
        key = value.strip()
        if not key:
            return self._unknown(UnknownReason.BLANK)
        found = self._lookup.get(key)
        if found is None:
            found = self._classify_uncached(key)
            self._lookup[key] = found
        return found

    def _classify_uncached(self, text: str) -> Classification:
        norm = _normalise_label(text)
        if norm in self.unknown_words:
            return self._unknown(self.unknown_words[norm])
        token = text.split(maxsplit=1)[0]  # any whitespace: ESR exports often hold a no-break space
        code = token.upper()
        if code.endswith((".", ":")):  # "A: White - British"
            code = code[:-1]
        if code in self.unknown_codes:
            return self._unknown(self.unknown_codes[code])
        if len(code) == 1 and code in self.broad_of:
            return self._of_category(code)
        # Two-character local codes are written in capitals ("CP", "C3"); requiring that keeps
        # words such as "No" or "In" at the start of a free-text value from reading as codes.
        if (
            len(code) == 2
            and code.isalnum()
            and token.rstrip(".:") == code
            and code not in _TWO_LETTER_WORDS
        ):
            if code in self.subcode_category:
                return self._of_category(self.subcode_category[code])
            if code[0] in self.broad_of and not code.isdigit():
                return self._of_category(code[0])
        return self._classify_label(norm)

    def _classify_label(self, norm: str) -> Classification:
        for code, label in self.labels.items():
            if norm == _normalise_label(label):
                return self._of_category(code)
        for sub, label in self.subcode_labels.items():
            if norm == _normalise_label(label):
                return self._of_category(self.subcode_category.get(sub, sub[0]))
        if norm in self.aliases:
            return self._of_group(self.aliases[norm])
        for name in (*self.wres_of_broad, WHITE, BME):
            if norm == name.lower():
                return self._of_group(name)
        return self._unknown(UnknownReason.UNRECOGNISED)

    def classify_series(self, values: pl.Series) -> pl.DataFrame:
        """Classify a column: one output row per input row, in order.

        Columns: ``ethnic_category``, ``ethnic_broad``, ``ethnic_wres`` and
        ``ethnic_unknown_reason``. Each distinct value is classified once, so this is cheap on
        millions of rows.
        """
        text = values.cast(pl.String)
        uniques = text.unique(maintain_order=True)
        classes = [self.classify(v) for v in uniques.to_list()]
        table = pl.DataFrame(
            {
                "_raw": uniques,
                "ethnic_category": [c.category for c in classes],
                "ethnic_broad": [c.broad for c in classes],
                "ethnic_wres": [c.wres for c in classes],
                "ethnic_unknown_reason": [
                    None if c.unknown_reason is None else str(c.unknown_reason) for c in classes
                ],
            },
            schema={
                "_raw": pl.String,
                "ethnic_category": pl.String,
                "ethnic_broad": pl.String,
                "ethnic_wres": pl.String,
                "ethnic_unknown_reason": pl.String,
            },
        )
        joined = pl.DataFrame({"_raw": text}).join(
            table, on="_raw", how="left", nulls_equal=True, maintain_order="left"
        )
        return joined.drop("_raw")


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        msg = f"{source}: [{key}] must be a table"
        raise EthnicityConfigError(msg)
    return value


def _reason(text: str, where: str) -> UnknownReason:
    try:
        return UnknownReason(text)
    except ValueError:
        valid = ", ".join(repr(r.value) for r in UnknownReason)
        msg = f"{where}: unknown reason {text!r}; use one of {valid}"
        raise EthnicityConfigError(msg) from None


_TOP_KEYS = (
    "categories",
    "broad",
    "unknown_codes",
    "subcodes",
    "aliases",
    "census_2021",
    "unknown_words",
)


def _census_spellings(key: str) -> list[str]:
    """``"White: Roma"`` -> the label and the bare name ``"Roma"``; a heading alone -> itself."""
    _, colon, name = key.partition(":")
    return [key, name] if colon and name.strip() else [key]


def _census_2021(
    table: dict[str, Any],
    meanings: dict[str, tuple[str, str]],
    targets: set[str],
    source: str,
) -> dict[str, str]:
    """The spellings of ``[census_2021]`` (normalised) -> their place in the hierarchy.

    ``meanings`` holds every other spelling of the configuration (normalised) with its place and
    the key that gives it: a census spelling that another section places elsewhere is refused,
    since one spelling cannot mean two things.
    """
    found: dict[str, str] = {}
    for key, value in table.items():
        target = str(value)
        where = f"[census_2021] {key!r}"
        if target not in targets:
            msg = (
                f"{source}: {where} points at {target!r}, which is neither a category code nor "
                "a group name"
            )
            raise EthnicityConfigError(msg)
        for spelling in _census_spellings(key):
            norm = _normalise_label(spelling)
            other, other_where = meanings.get(norm, (target, where))
            if other != target:
                msg = (
                    f"{source}: {where} places {spelling.strip()!r} in {target!r}, but "
                    f"{other_where} places it in {other!r}; a spelling has one meaning: change "
                    "both, or remove one"
                )
                raise EthnicityConfigError(msg)
            meanings[norm] = (target, where)
            found[norm] = target
    return found


def _categories(data: dict[str, Any], source: str) -> tuple[dict[str, str], dict[str, str]]:
    """``[categories]``: code -> label and code -> broad group."""
    categories = _table(data, "categories", source)
    if not categories:
        msg = f"{source}: [categories] is empty; at least one category code is needed"
        raise EthnicityConfigError(msg)
    labels: dict[str, str] = {}
    broad_of: dict[str, str] = {}
    for code, entry in categories.items():
        if len(code) != 1 or not isinstance(entry, dict) or set(entry) != {"label", "broad"}:
            msg = (
                f"{source}: [categories] {code}: a category is one character with "
                f"{{ label = ..., broad = ... }}"
            )
            raise EthnicityConfigError(msg)
        labels[code] = str(entry["label"])
        broad_of[code] = str(entry["broad"])
    return labels, broad_of


def _subcodes(data: dict[str, Any], source: str) -> tuple[dict[str, str], dict[str, str]]:
    """``[subcodes]``: sub-code -> its category, and sub-code -> label (where one is given)."""
    sub_cat: dict[str, str] = {}
    sub_labels: dict[str, str] = {}
    for sub, entry in _table(data, "subcodes", source).items():
        if len(sub) != 2 or not isinstance(entry, dict) or not set(entry) <= {"label", "category"}:
            msg = (
                f"{source}: [subcodes] {sub}: two characters with {{ label = ..., category = ... }}"
            )
            raise EthnicityConfigError(msg)
        sub_cat[sub] = str(entry.get("category", sub[0]))
        if "label" in entry:
            sub_labels[sub] = str(entry["label"])
    return sub_cat, sub_labels


def scheme_from_toml(text: str, source: str) -> EthnicityScheme:
    """Parse and validate an ethnicity configuration (the format of the shipped default)."""
    data = read_toml_settings(
        text, source, valid=_TOP_KEYS, called="section", error=EthnicityConfigError
    )
    labels, broad_of = _categories(data, source)
    sub_cat, sub_labels = _subcodes(data, source)
    wres_of_broad = {k: str(v) for k, v in _table(data, "broad", source).items()}
    alias_table = _table(data, "aliases", source)
    aliases = {_normalise_label(k): str(v) for k, v in alias_table.items()}
    meanings = {
        **{_normalise_label(v): (k, f"[categories] {k}") for k, v in labels.items()},
        **{_normalise_label(v): (sub_cat[k], f"[subcodes] {k}") for k, v in sub_labels.items()},
        **{_normalise_label(k): (str(v), f"[aliases] {k!r}") for k, v in alias_table.items()},
    }
    targets = {*broad_of, *wres_of_broad, WHITE, BME}
    # census spellings are looked up as aliases are: a name for a place in the hierarchy
    aliases |= _census_2021(_table(data, "census_2021", source), meanings, targets, source)
    return EthnicityScheme(
        labels=MappingProxyType(labels),
        broad_of=MappingProxyType(broad_of),
        wres_of_broad=MappingProxyType(wres_of_broad),
        unknown_codes=MappingProxyType(
            {
                k.upper(): _reason(str(v), f"{source}: [unknown_codes] {k}")
                for k, v in _table(data, "unknown_codes", source).items()
            }
        ),
        subcode_category=MappingProxyType(sub_cat),
        subcode_labels=MappingProxyType(sub_labels),
        aliases=MappingProxyType(aliases),
        unknown_words=MappingProxyType(
            {
                _normalise_label(k): _reason(str(v), f"{source}: [unknown_words] {k}")
                for k, v in _table(data, "unknown_words", source).items()
            }
        ),
        source=source,
    )


@cache
def default_scheme() -> EthnicityScheme:
    """The SPEC section 3 hierarchy shipped with wres."""
    text = (
        resources.files("wres.engine.data").joinpath("ethnicity.toml").read_text(encoding="utf-8")
    )
    return scheme_from_toml(text, "default ethnicity configuration")


def load_scheme(path: Path | None) -> EthnicityScheme:
    """The scheme in ``path``, or the default when ``path`` is None."""
    if path is None:
        return default_scheme()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        msg = f"{path}: cannot read the ethnicity configuration ({err.strerror})"
        raise EthnicityConfigError(msg) from None
    return scheme_from_toml(text, str(path))
