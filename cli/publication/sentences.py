"""The run's settings, policy and disclosure audit in sentences, for the report's Methods.

The manifest records them as configuration (``suppress_if_count_at_most = 7``,
``withheld_secondary``); a board member reads "Counts from 1 to 7 are withheld". Each known key
has its sentence; a key this module does not know (a manifest from a newer wres) is still shown,
named in words, so nothing the manifest says is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wres.cli.publication.context import Context
from wres.cli.publication.status import title_case

_LEVELS = {
    "wres": "BME (every ethnic group other than White, together)",
    "broad": "each broad ethnic group (such as Asian, Black, Mixed)",
    "detailed": "each detailed ethnic category",
}
_INTERVALS = {
    "score": "the asymptotic score interval (Koopman), which performs well in small samples",
    "mn": "the Miettinen-Nurminen score interval",
    "katz": "Katz's log interval",
}
_TESTS = {
    "chi2": "Pearson's chi-squared test (without continuity correction)",
    "midp": "the mid-p exact test",
    "fisher": "Fisher's exact test (two-sided)",
}
_ADJUSTMENTS = {
    "bh": "the Benjamini-Hochberg method (controlling the false discovery rate)",
    "holm": "Holm's method (controlling the chance of any false positive)",
}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _count(value: object) -> str:
    number = _int(value)
    return "an unrecorded number of" if number is None else f"{number:,}"


def _unknown(section: str, key: str, value: object) -> str:
    text = "yes" if value is True else "no" if value is False else str(value)
    return f"The {section} setting '{title_case(key).lower()}' is {text}."


def _primary(key: str, value: object) -> str:
    n = _int(value)
    if key == "suppress_if_count_at_most" and n is not None:
        if n == 0:
            return "Small counts are not withheld: count suppression is off (for internal use)."
        return (
            f"Counts from 1 to {n} are withheld, and so is any count whose complement (its "
            f"denominator minus the count) is from 1 to {n}, since it would reveal the complement."
        )
    if key == "suppress_zero_counts" and isinstance(value, bool):
        if value:
            return (
                "Zero counts are withheld too: a zero can disclose that nobody in a group was, "
                "for example, disciplined."
            )
        return "Zero counts are published."
    if key == "suppress_if_base_at_most" and n is not None:
        if n == 0:
            return "No group is left out for its size alone, beyond the rule for counts."
        return f"A group of 1 to {n} people is not reported at all."
    if key == "public_measures" and isinstance(value, list | tuple):
        if not value:
            return "No count is treated as public knowledge."
        if list(value) == ["board"]:
            return (
                "A board's members are public knowledge (the annual report names them), so the "
                "board's own counts are published whatever their size; the workforce beside "
                "them is protected like any other count."
            )
    return _unknown("primary", key, value)


def _rounding(key: str, value: object) -> str:
    n = _int(value)
    if key == "round_counts_to_nearest" and n is not None:
        if n <= 1:
            return "Published counts are not rounded."
        return (
            f"Published counts are rounded to the nearest {n}, and rates, ratios, intervals "
            "and p-values are computed from the rounded counts, so that they give nothing more "
            "away."
        )
    return _unknown("rounding", key, value)


def _secondary(key: str, value: object) -> str:
    n = _int(value)
    if key == "min_attacker_interval" and n is not None:
        return (
            "Further counts are withheld so that someone who combines every published figure "
            "(totals, other cuts, other years, other indicators) is still left with at least "
            f"{n} possible values for each withheld count."
        )
    if key == "cost" and value in ("cells", "values"):
        fewest = "as few cells as it can" if value == "cells" else "as few people as it can"
        return f"Among the ways of doing so, the protection withholds {fewest}."
    if key == "marker" and isinstance(value, str):
        return f"In the workbook a withheld value shows as {value}."
    return _unknown("secondary", key, value)


_POLICY_SECTIONS = {"primary": _primary, "rounding": _rounding, "secondary": _secondary}
#: Each section's keys in the order their sentences read best; others follow, sorted.
_KEY_ORDER = {
    "primary": ("suppress_if_count_at_most", "suppress_if_base_at_most", "suppress_zero_counts"),
    "secondary": ("min_attacker_interval", "cost", "marker"),
}


def policy_sentences(ctx: Context) -> list[str]:
    """The disclosure policy in sentences, its sections in the order they act."""
    out = [f"The disclosure policy is {ctx.policy_name}."]
    order = [s for s in _POLICY_SECTIONS if s in ctx.policy_rules]
    order += sorted(s for s in ctx.policy_rules if s not in _POLICY_SECTIONS)
    for section in order:
        rules = ctx.policy_rules[section]
        sentence = _POLICY_SECTIONS.get(section)
        known = [k for k in _KEY_ORDER.get(section, ()) if k in rules]
        keys = [*known, *sorted(k for k in rules if k not in known)]
        out += [
            _not_public()
            if key == "public_measures" and rules[key] and not _board_is_public(ctx)
            else sentence(key, rules[key])
            if sentence
            else _unknown(section, key, rules[key])
            for key in keys
        ]
    return out


def _board_is_public(ctx: Context) -> bool:
    """The annual report names a board's members, and so their ethnic group, but not whether
    a member is disabled: only the WRES board is public (as the run applied it)."""
    return ctx.standard is None or ctx.standard.characteristic == "ethnicity"


def _not_public() -> str:
    return (
        "The policy treats a board's members as public knowledge, but a member's disability is "
        "not public, so the board's counts are protected like any other count."
    )


_PROTECTION_KEYS = frozenset(
    (
        "applied",
        "attacker_audit",
        "cells",
        "withheld_primary",
        "withheld_secondary",
        "audited",
        "failed",
        "notes",
    )
)


def protection_sentences(ctx: Context) -> list[str]:
    """What the manifest says of secondary protection and the attacker's audit, in sentences."""
    manifest = ctx.audit
    summary = manifest.get("secondary_protection")
    out: list[str] = []
    if isinstance(summary, Mapping):
        out += _protection(summary)
        out += [
            _unknown("secondary protection", str(k), summary[k])
            for k in sorted(summary, key=str)
            if k not in _PROTECTION_KEYS
        ]
    for key in sorted(k for k in manifest if "audit" in k and k != "secondary_protection"):
        value = manifest[key]
        items = value.items() if isinstance(value, Mapping) else [("result", value)]
        out += [_unknown(title_case(key).lower(), str(k), v) for k, v in items]
    return out or ["The manifest does not record whether secondary protection was applied."]


def _protection(summary: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    if summary.get("applied") is False:
        out.append(
            "Secondary protection was not applied: a withheld count may still be worked out "
            "from the published totals and other cuts."
        )
    elif summary.get("applied") is True:
        out.append(
            f"Of {_count(summary.get('cells'))} counts in the run, "
            f"{_count(summary.get('withheld_primary'))} are withheld under the rules for small "
            f"counts and {_count(summary.get('withheld_secondary'))} more so that those cannot "
            "be worked out from the others."
        )
    audit = summary.get("attacker_audit")
    if audit == "passed":
        out.append(
            "The disclosure audit passed: playing an attacker who combines every published "
            f"figure, it could not narrow any of the {_count(summary.get('audited'))} withheld "
            "counts below the policy's protection."
        )
    elif audit is not None:
        out.append(
            f"The disclosure audit {str(audit).lower()}: {_count(summary.get('failed'))} of the "
            f"{_count(summary.get('audited'))} withheld counts could be narrowed below the "
            "policy's protection, so nothing should be published."
        )
    notes = summary.get("notes")
    if isinstance(notes, Sequence) and not isinstance(notes, str) and notes:
        out.append("Notes from the protection: " + "; ".join(str(n) for n in notes) + ".")
    return out


def _cuts(cuts: object) -> str:
    if not isinstance(cuts, list) or not cuts:
        return "The cuts of the run are not recorded."
    names = [
        "by " + " and ".join(title_case(str(d)).lower() for d in cut)
        for cut in cuts
        if isinstance(cut, list) and cut
    ]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    return "Figures are given for the organisation as a whole" + (
        f" and {listed}." if listed else "."
    )


def method_sentences(ctx: Context) -> list[str]:
    """The run's statistical settings in sentences."""
    s = ctx.settings
    reference = str(s.get("reference_group", "reference"))
    if ctx.characteristic == "ethnicity":
        level = str(s.get("ethnicity_level", ""))
        groups = _LEVELS.get(level, f"the groups of the '{level}' level")
        compared = f"The groups compared are {groups}, each against the {reference} group."
    else:
        compared = f"Staff are grouped by {ctx.characteristic}, against the {reference} group."
    interval = _INTERVALS.get(str(s.get("ci_method")), str(s.get("ci_method", "not recorded")))
    test = _TESTS.get(str(s.get("test")), str(s.get("test", "not recorded")))
    method = str(s.get("adjustment", ""))
    adjustment = _ADJUSTMENTS.get(method, f"the '{method}' method")
    alpha = f"{1 - ctx.level:.2g}"
    return [
        f"The figures follow the {ctx.name}.",
        compared,
        _cuts(s.get("cuts")),
        f"Each ratio has a {ctx.level_text} confidence interval: {interval}.",
        f"The p-values test whether the two groups' rates are equal, with {test}.",
        f"They are adjusted for multiple comparisons with {adjustment}, within families: an "
        "indicator's organisation total in one year is one family, and each cut of it (by "
        "site, say) in one year is another, so a cut added to the run leaves the organisation "
        f"total's adjusted p-values unchanged. A figure is significant when its adjusted "
        f"p-value is below {alpha}.",
        "A ratio from 0.80 to 1.25 inclusive is inside NHS England's non-adverse range (the "
        "four-fifths rule applied both ways).",
        "Published figures are rounded: percentages to one decimal place, ratios and their "
        "intervals to three decimals (two on this page), p-values to three significant "
        "figures. Significance and the non-adverse range are judged before rounding.",
    ]
