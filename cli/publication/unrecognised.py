"""Unknown ethnicity that wres did not recognise, as the report and the workbook tell it.

The manifest (restricted) holds each input's rows used and its Unknown ethnicity by reason. The
outputs keep unrecognised values apart from not stated, in words only: a number of them (or a
share, or the run's limit) would bound the Unknown counts that disclosure control withholds,
outside the attacker's audit. Their counts and spellings are in restricted/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The reason of an Unknown ethnicity that no spelling of the scheme matched.
UNRECOGNISED = "unrecognised"
_ORDER = ("staff", "applications", "survey", "board", "counts")


def _inputs_named(names: list[str]) -> str:
    """``["staff", "applications"]`` -> ``staff and applications extracts``."""
    if names == ["counts"]:
        return "counts file"
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    return f"{listed} extract{'s' if len(names) > 1 else ''}"


@dataclass(frozen=True, slots=True)
class UnknownEthnicity:
    """Per input (``staff``, ..., ``counts``) its rows used and Unknown rows by reason, and the
    percentage of unrecognised values the run allowed (None when not recorded)."""

    inputs: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    at_most_percent: float | None = None

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> UnknownEthnicity:
        found = manifest.get("ethnicity_unknown", {})
        settings = manifest.get("settings", {})
        at_most = (
            settings.get("unrecognised_ethnicity_at_most_percent")
            if isinstance(settings, Mapping)
            else None
        )
        inputs = (
            {str(k): v for k, v in found.items() if isinstance(v, Mapping)}
            if isinstance(found, Mapping)
            else {}
        )
        # in the order of the extracts, whatever the manifest's (JSON sorts its keys)
        ordered = sorted(inputs, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
        return cls(
            {name: inputs[name] for name in ordered},
            float(at_most) if isinstance(at_most, int | float) else None,
        )

    def _unrecognised(self, name: str) -> int:
        return int(self.inputs[name].get(UNRECOGNISED, 0))

    def _rows_used(self, name: str) -> int:
        return int(self.inputs[name].get("rows_used", 0))

    @property
    def any_unrecognised(self) -> bool:
        return any(self._unrecognised(name) for name in self.inputs)

    @property
    def accepted(self) -> bool:
        """Some input had more unrecognised values than the run allows, and the run went on
        because the user accepted them (--accept-unrecognised)."""
        at_most = self.at_most_percent
        return at_most is not None and any(
            100 * self._unrecognised(name) > at_most * self._rows_used(name) for name in self.inputs
        )

    def _with_unrecognised(self) -> str:
        return _inputs_named([name for name in self.inputs if self._unrecognised(name)])

    def lines(self) -> list[tuple[str, str]]:
        """(label, text): whether some values were not recognised, and what that means."""
        if not self.inputs:
            return []
        if not self.any_unrecognised:
            return [("Unrecognised ethnicity", "none: every ethnicity value was recognised")]
        lines = [
            (
                "Unrecognised ethnicity",
                f"some values in the {self._with_unrecognised()} were neither a national code "
                "or label, a 2021 census category, another accepted spelling nor a spelling of "
                "not stated or not known. They are counted as Unknown, apart from not stated, "
                "and are in no comparison: the White and BME figures cover only the people "
                "whose ethnicity was recognised. How many, and each spelling, are in the run's "
                "restricted files.",
            )
        ]
        if self.accepted:
            lines.append(
                (
                    "Accepted",
                    "more of them than the run allows; the analyst chose to go on "
                    "(--accept-unrecognised): read every figure with that in mind.",
                )
            )
        return lines

    def summary(self) -> str:
        """One sentence for the top of the report when unrecognised values were accepted."""
        return (
            f"Some ethnicity values in the {self._with_unrecognised()} were recorded in a form "
            "wres did not recognise, more than the run allows, and the analyst chose to go on. "
            "Those people are counted as Unknown, not as not stated and not as White or BME, so "
            "the White and BME figures cover only the people whose ethnicity was recognised."
        )
