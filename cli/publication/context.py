"""What the workbook and the report need from a run's manifest (:class:`Context`): the standard,
the methods and settings, the policy and its rules, the disclosure audit and the provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wres.cli.publication.status import (
    Marker,
    is_withheld,
    rule_codes,
    title_case,
    withheld_why,
)
from wres.cli.publication.unrecognised import UnknownEthnicity
from wres.engine.errors import ConfigError
from wres.engine.standards import STANDARD_NAMES, Indicator, Standard, load_standard

# --- what the manifest says -------------------------------------------------------------------


def _standard_named(short_name: str) -> Standard | None:
    for name in STANDARD_NAMES:
        try:
            standard = load_standard(name)
        except ConfigError:  # pragma: no cover - a shipped file that does not load
            continue
        if standard.short_name.casefold() == short_name.casefold():
            return standard
    return None


def _lines(label: str, value: object) -> list[tuple[str, str]]:
    """A manifest entry as (label, text) lines, whatever its shape (text, table, list)."""
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for key in sorted(value, key=str):
            out.extend(_lines(f"{label}: {title_case(str(key)).lower()}", value[key]))
        return out
    if isinstance(value, list | tuple):
        return [(label, "; ".join(str(v) for v in value) or "none")]
    if isinstance(value, bool):
        return [(label, "yes" if value else "no")]
    return [(label, "not recorded" if value is None else str(value))]


@dataclass(frozen=True, slots=True)
class Context:
    """What the outputs need from the manifest: the standard, methods, policy and audit."""

    standard: Standard | None
    settings: Mapping[str, Any]
    policy_name: str
    policy_rules: Mapping[str, Mapping[str, Any]]
    #: the attacker-audit summary: every line the manifest holds about secondary protection
    protection: tuple[tuple[str, str], ...]
    #: what a withheld cell shows in the workbook: the policy's marker, else "[c]"
    withheld_marker: str
    provenance: tuple[tuple[str, str], ...]
    #: Unknown ethnicity by reason, to tell unrecognised values apart from not stated
    unknown: UnknownEthnicity = field(default_factory=UnknownEthnicity)
    #: whose figures these are (``--organisation-name``, the data's one organisation code, or
    #: "N organisations"); None when the manifest does not say
    organisation: str | None = None
    #: the manifest's own entries about secondary protection and audits, as it records them
    audit: Mapping[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> float:
        return float(self.settings.get("confidence_level", 0.95))

    @property
    def level_text(self) -> str:
        return f"{100 * self.level:g}%"

    @property
    def name(self) -> str:
        if self.standard is not None:
            return self.standard.name
        return str(self.settings.get("standard", "Equality standard"))

    @property
    def short_name(self) -> str:
        return str(self.settings.get("standard", "wres"))

    def heading(self, years: Sequence[int]) -> str:
        """The title of the outputs: the organisation, the standard and the years."""
        span = f"{years[0]}-{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
        title = f"{self.name} ({self.short_name})" + (f", {span}" if span else "")
        return f"{self.organisation}: {title}" if self.organisation else title

    @property
    def protection_applied(self) -> bool:
        return not any(
            text.startswith(("not applied", "not recorded")) for _, text in self.protection
        )

    def indicator(self, indicator_id: int) -> Indicator | None:
        if self.standard is None:
            return None
        return next((i for i in self.standard.indicators if i.id == indicator_id), None)

    def title(self, indicator_id: int) -> str:
        found = self.indicator(indicator_id)
        return found.title if found is not None else f"Indicator {indicator_id}"

    @property
    def noun(self) -> str:
        """What the standard calls an indicator: ``Indicator`` (WRES), ``Metric`` (WDES)."""
        return self.standard.indicator_noun if self.standard is not None else "Indicator"

    def number(self, indicator_id: int) -> str:
        """The standard's number of an indicator: ``2``, or ``4a(i)`` for WDES id 4."""
        found = self.indicator(indicator_id)
        return found.number if found is not None else str(indicator_id)

    def indicator_name(self, indicator_id: int) -> str:
        """``Indicator 2``, ``Metric 4a(i)``."""
        return f"{self.noun} {self.number(indicator_id)}"

    def names(self, indicator_ids: Sequence[int]) -> str:
        """``Indicators 5-8``, ``Metrics 4a(i)-9a``, or one name."""
        if len(indicator_ids) == 1:
            return self.indicator_name(indicator_ids[0])
        first, last = self.number(indicator_ids[0]), self.number(indicator_ids[-1])
        return f"{self.noun}s {first}-{last}"

    @property
    def characteristic(self) -> str:
        return self.standard.characteristic if self.standard is not None else "ethnicity"

    @property
    def by_group(self) -> str:
        """What the groups are, after "by": ``ethnic group``, ``disability``."""
        return "ethnic group" if self.characteristic == "ethnicity" else self.characteristic

    @property
    def group_plural(self) -> str:
        """``ethnic groups``, ``disability groups``."""
        if self.characteristic == "ethnicity":
            return "ethnic groups"
        return f"{self.characteristic} groups"

    @property
    def unknown_meaning(self) -> str:
        """What the Unknown group holds, in words."""
        if self.characteristic != "ethnicity":
            return f"{self.characteristic} not declared or not known"
        if self.unknown.any_unrecognised:
            return "ethnicity not stated, not known, or recorded in a form wres did not recognise"
        return "ethnicity not stated or not known"

    def compared(self, indicator_id: int) -> bool:
        """The indicator sets each group beside a reference group (not WDES metric 8)."""
        found = self.indicator(indicator_id)
        return found is None or found.compared

    def _threshold(self, section: str, key: str, default: int) -> int:
        value = self.policy_rules.get(section, {}).get(key, default)
        return int(value) if isinstance(value, int | float) else default

    def rule_text(self, code: str) -> str:
        """What a rule code withholds, in the words of the run's policy."""
        count = self._threshold("primary", "suppress_if_count_at_most", 0)
        base = self._threshold("primary", "suppress_if_base_at_most", 0)
        texts = {
            "C": f"a count from 1 to {count} (or whose complement, the denominator minus the "
            f"count, is), a group of 1 to {max(base, count)} people, or a count withheld so "
            "that no such count can be worked out from the totals and the other figures; "
            "the same code for all of them, so that it does not tell which",
            "P1": f"a count from 1 to {count} is withheld",
            "P2": f"a count whose complement (the denominator minus the count) is from 1 to "
            f"{count} is withheld, since it would reveal the complement",
            "P3": "a zero count is withheld (the policy treats zeros as sensitive)",
            "P4": f"a group of 1 to {base} people is not reported",
            "D1": "a rate, ratio, interval, difference or p-value computed from a withheld "
            "count is withheld",
        }
        return texts.get(code, f"withheld under rule {code} of the {self.policy_name} policy")

    def reason(self, status: str | None) -> str:
        """A withheld row's status as a sentence naming each rule, and why a comparison is
        withheld beside published counts."""
        codes = rule_codes(status)
        if not codes:
            return f"Withheld by the {self.policy_name} disclosure policy ({status})."
        why = withheld_why(status)
        head = f"Withheld by the {self.policy_name} disclosure policy"
        if why is not None:
            head += f": the row's own counts are published, but {why}"
        parts = "; ".join(f"{c}: {self.rule_text(c)}" for c in codes)
        return f"{head}. {parts}."

    def short_reason(self, status: str | None) -> str:
        """``withheld (P1, P2)``, ``withheld (C): the comparison uses a withheld White count``,
        ``not calculable`` or the status as it is."""
        if is_withheld(status):
            codes = rule_codes(status)
            short = f"withheld ({', '.join(codes)})" if codes else "withheld"
            why = withheld_why(status)
            return short if why is None else f"{short}: {why}"
        return "not calculable" if status == "not calculable" else str(status)

    def methods(self) -> list[tuple[str, str]]:
        s = self.settings
        cuts = s.get("cuts")
        cut_text = "; ".join(
            " x ".join(title_case(str(d)) for d in cut) if cut else "organisation total"
            for cut in (cuts if isinstance(cuts, list) else [])
        )
        return [
            ("Standard", self.name),
            *(
                [("Ethnicity level", str(s.get("ethnicity_level", "not recorded")))]
                if self.characteristic == "ethnicity"
                else [("Characteristic", self.characteristic)]
            ),
            ("Reference group", str(s.get("reference_group", "not recorded"))),
            ("Confidence level", self.level_text),
            ("Interval for the ratio", _named(_CI_NAMES, s.get("ci_method"))),
            ("Test of equal rates", _named(_TEST_NAMES, s.get("test"))),
            (
                "Multiplicity adjustment",
                {"bh": "Benjamini-Hochberg (false discovery rate)", "holm": "Holm"}.get(
                    str(s.get("adjustment")), str(s.get("adjustment", "not recorded"))
                )
                + " within each indicator, year and cut (the organisation total is one family, "
                "each cut table another); 'significant' uses the adjusted p-value",
            ),
            ("Cuts", cut_text or "not recorded"),
            (
                "Non-adverse range",
                "0.80-1.25 inclusive (NHS England's screening range, the four-fifths rule "
                "applied both ways)",
            ),
        ]

    def policy_lines(self) -> list[tuple[str, str]]:
        lines = [("Policy", self.policy_name)]
        for section in sorted(self.policy_rules):
            for key, value in sorted(self.policy_rules[section].items()):
                lines.append((f"[{section}] {key}", _setting_text(value)))
        return lines

    def rule_lines(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        return [(code, self.rule_text(code)) for code in codes]


_CI_NAMES = {
    "score": "asymptotic score interval (Koopman)",
    "mn": "Miettinen-Nurminen score interval",
    "katz": "Katz log interval",
}
_TEST_NAMES = {
    "chi2": "Pearson's chi-squared test",
    "midp": "mid-p exact test",
    "fisher": "Fisher's exact test (two-sided)",
}


def _named(names: Mapping[str, str], value: object) -> str:
    if value is None:
        return "not recorded"
    return f"{names[str(value)]} ({value})" if str(value) in names else str(value)


def _setting_text(value: object) -> str:
    """A setting as the policy file writes it, the same from a run's Pack as from its manifest
    (where a tuple has become a list)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
    return str(value)


def context_from_manifest(
    manifest: Mapping[str, Any], *, standard: Standard | None = None
) -> Context:
    settings = manifest.get("settings", {})
    settings = settings if isinstance(settings, Mapping) else {}
    policy = manifest.get("policy", {})
    policy = policy if isinstance(policy, Mapping) else {}
    rules = policy.get("rules", {})
    rules = (
        {k: v for k, v in rules.items() if isinstance(v, Mapping)}
        if isinstance(rules, Mapping)
        else {}
    )
    protection: list[tuple[str, str]] = []
    for key in sorted(manifest):
        if key == "secondary_protection" or "audit" in key:
            protection.extend(_lines(title_case(key), manifest[key]))
    if not protection:
        protection = [("Secondary protection", "not recorded in the manifest")]
    provenance = [
        ("wres version", str(manifest.get("wres_version", "not recorded"))),
        ("Settings SHA-256", str(manifest.get("config_sha256", "not recorded"))),
        ("Policy SHA-256", str(policy.get("sha256", "not recorded"))),
    ]
    markers = [
        str(section["marker"])
        for name in ("secondary", "primary")
        if isinstance(section := rules.get(name), Mapping) and section.get("marker")
    ]
    return Context(
        unknown=UnknownEthnicity.of(manifest),
        audit={k: manifest[k] for k in manifest if k == "secondary_protection" or "audit" in k},
        withheld_marker=markers[0] if markers else str(Marker.WITHHELD),
        standard=standard or _standard_named(str(settings.get("standard", ""))),
        settings=settings,
        policy_name=str(policy.get("name", "unnamed")),
        policy_rules=rules,
        protection=tuple(protection),
        provenance=tuple(provenance),
        organisation=_organisation(manifest.get("organisation")),
    )


def _organisation(entry: object) -> str | None:
    """The manifest's organisation as a title names it."""
    if not isinstance(entry, Mapping):
        return None
    if entry.get("name"):
        return str(entry["name"])
    codes = entry.get("codes_in_data")
    return f"{codes} organisations" if isinstance(codes, int) and codes > 1 else None
