"""Published rows as the report states them: chart estimates and plain-English readings.

A withheld or incalculable value becomes a gap carrying its reason; a reading quotes only
published values, with the run's confidence level and the flags computed by the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wres.cli.publication.charts import Estimate
from wres.cli.publication.markup import (
    Page,
    esc,
    finite,
    p_phrase,
    percent,
    points,
    ratio,
    table,
)
from wres.cli.publication.status import (
    STANDARD_VARIANT,
    UNKNOWN,
    is_withheld,
    natural_key,
    rule_codes,
)

#: A forest plot shows at most this many estimates (the highest and lowest halves beyond it).
MAX_FOREST_ROWS = 60
#: Withheld cells beyond this many are summarised in one row of a forest plot.
MAX_GAP_ROWS = 12


def classes_for(groups: Sequence[str], reference: str) -> list[str]:
    out, k = [], 0
    for g in groups:
        if g == reference:
            out.append("ref")
        elif g == UNKNOWN:
            out.append("unknown")
        else:
            out.append(f"s{k % 8}")
            k += 1
    return out


def variant_name(variant: str) -> str:
    return "Standard" if variant == STANDARD_VARIANT else variant[:1].upper() + variant[1:]


def estimate(page: Page, row: Mapping[str, Any], label: str, *, strong: bool = False) -> Estimate:
    value = finite(row.get("relative_likelihood"))
    if value is None:
        return Estimate(label, None, gap=page.ctx.short_reason(row.get("status")), strong=strong)
    sig = row.get("significant")
    return Estimate(
        label,
        value,
        finite(row.get("ci_low")),
        finite(row.get("ci_high")),
        None if sig is None else bool(sig),
        strong=strong,
    )


def _significance(row: Mapping[str, Any]) -> str:
    adjusted = finite(row.get("p_adjusted"))
    if adjusted is None or row.get("significant") is None:
        return ""
    word = "statistically significant" if row["significant"] else "not statistically significant"
    return f"{word} after adjustment for multiple comparisons ({p_phrase(adjusted, 'adjusted p')})"


def ratio_reading(page: Page, row: Mapping[str, Any]) -> str:
    """The standard's plain-English reading of a ratio, with its interval and flags."""
    ctx = page.ctx
    group, ref = str(row["group"]), str(row.get("reference_group") or "")
    value = finite(row.get("relative_likelihood"))
    if value is None:
        status = row.get("status")
        if is_withheld(None if status is None else str(status)):
            return f"{group} compared with {ref}: {ctx.reason(str(status))}"
        return f"{group} compared with {ref}: not calculable (the rate it divides by is zero)."
    ind = ctx.indicator(int(row["indicator"]))
    if ind is not None and ind.reading:
        text = ind.reading.format(reference=ref, group=group, value=ratio(value))
    else:
        text = f"The relative likelihood for {group} compared with {ref} was {ratio(value)}"
    low, high = finite(row.get("ci_low")), finite(row.get("ci_high"))
    if low is not None and high is not None:
        text += f" ({ctx.level_text} CI {ratio(low)}-{ratio(high)})"
    text += "."
    where = row.get("non_adverse_range")
    flags = []
    if where is not None:
        flags.append(
            "inside the non-adverse range 0.80-1.25"
            if where == "inside"
            else f"{where} the non-adverse range 0.80-1.25"
        )
    if sig := _significance(row):
        flags.append(sig)
    if flags:
        text += " It is " + " and ".join(flags) + "."
    return text


def pooled_reading(page: Page, row: Mapping[str, Any]) -> str:
    ctx = page.ctx
    span = f"{row['first_year']}-{row['last_year']}"
    value = finite(row.get("pooled_relative_likelihood"))
    if value is None:
        return f"Pooled over {span}: {ctx.short_reason(row.get('status'))}."
    used, withheld = int(row["years_used"]), int(row["years_withheld"])
    text = f"Pooled over {span} (Mantel-Haenszel, {used} year{'s' * (used != 1)}"
    text += f"; {withheld} with a withheld count left out)" if withheld else ")"
    low, high = finite(row.get("ci_low")), finite(row.get("ci_high"))
    text += f": {ratio(value)}"
    if low is not None and high is not None:
        text += f" ({ctx.level_text} CI {ratio(low)}-{ratio(high)})"
    text += "."
    per_year = finite(row.get("trend_ratio_per_year"))
    if per_year is not None:
        change = 100 * (per_year - 1)
        text += (
            f" Trend: the ratio changes by a factor of {per_year:.3f} a year ({change:+.1f}% a year"
        )
        p, adjusted = finite(row.get("trend_p")), finite(row.get("trend_p_adjusted"))
        if p is not None:
            text += f"; {p_phrase(p)}"
        if adjusted is not None:
            text += f", {p_phrase(adjusted, 'adjusted p')}"
        text += ")."
    hetero = finite(row.get("heterogeneity_p"))
    if hetero is not None:
        text += f" Test of homogeneity across the years: {p_phrase(hetero)}."
    return text


def _gap_summary(page: Page, gaps: Sequence[Mapping[str, Any]], label: str) -> Estimate:
    codes = sorted({c for g in gaps for c in rule_codes(g.get("status"))}, key=natural_key)
    calculable = sum(1 for g in gaps if not is_withheld(g.get("status")))
    reason = f"withheld ({', '.join(codes)})" if codes else "not calculable"
    if calculable and codes:
        reason += f"; {calculable} not calculable"
    return Estimate(f"{len(gaps)} {label}", None, gap=reason)


def forest_rows(
    page: Page,
    rows: Sequence[Mapping[str, Any]],
    label_of: Callable[[Mapping[str, Any]], str],
    *,
    value: str = "relative_likelihood",
) -> tuple[list[Estimate], list[Estimate]]:
    """The estimates of a forest plot, sorted largest first with gaps last: those drawn (at
    most ``MAX_FOREST_ROWS``, the highest and lowest halves, and withheld cells summarised
    beyond ``MAX_GAP_ROWS``) and all of them, for the table beneath."""
    shown = [r for r in rows if finite(r.get(value)) is not None]
    gaps = [r for r in rows if finite(r.get(value)) is None]
    shown.sort(key=lambda r: (-float(r[value]), natural_key(label_of(r))))
    gaps.sort(key=lambda r: natural_key(label_of(r)))
    make = pooled_estimate if value != "relative_likelihood" else estimate
    every = [make(page, r, label_of(r)) for r in shown]
    every += [Estimate(label_of(r), None, gap=page.ctx.short_reason(r.get("status"))) for r in gaps]
    drawn = every[: len(shown)]
    if len(shown) > MAX_FOREST_ROWS:
        half = MAX_FOREST_ROWS // 2
        gap = f"{len(shown) - 2 * half} estimates between these two not drawn (see the table)"
        drawn = [*drawn[:half], Estimate("...", None, gap=gap), *drawn[-half:]]
    if len(gaps) > MAX_GAP_ROWS:
        drawn.append(_gap_summary(page, gaps, "cells"))
    else:
        drawn += every[len(shown) :]
    return drawn, every


def pooled_estimate(
    page: Page, row: Mapping[str, Any], label: str, *, strong: bool = False
) -> Estimate:
    value = finite(row.get("pooled_relative_likelihood"))
    if value is None:
        return Estimate(label, None, gap=page.ctx.short_reason(row.get("status")), strong=strong)
    return Estimate(
        label, value, finite(row.get("ci_low")), finite(row.get("ci_high")), strong=strong
    )


def estimates_table(page: Page, items: Sequence[Estimate], first: str) -> str:
    body = [
        (
            esc(e.label),
            esc(ratio(e.value))
            if e.value is not None
            else f'<span class="gap">{esc(e.gap)}</span>',
            esc(f"{ratio(e.low)}-{ratio(e.high)}")
            if e.low is not None and e.high is not None
            else "",
            {True: "yes", False: "no", None: ""}[e.significant],
        )
        for e in items
    ]
    headers = (first, "Relative likelihood", f"{page.ctx.level_text} CI", "Significant")
    return table(headers, body, numeric=(False, True, True, False))


# --- readings of the other measures -------------------------------------------------------------


def short_title(page: Page, indicator_id: int) -> str:
    """A few words for an indicator: navigation, chart rows."""
    ind = page.ctx.indicator(indicator_id)
    if ind is None or ind.short_title is None:
        return page.ctx.indicator_name(indicator_id)
    return ind.short_title


def direction(page: Page, indicator_id: int, reference: str, groups: Sequence[str]) -> str:
    """The standard's direction statement as a sentence ("A figure above 1.00 means ...")."""
    ind = page.ctx.indicator(indicator_id)
    if ind is None or not ind.direction:
        return ""
    text = ind.direction.format(reference=reference, group=" / ".join(groups) or "group")
    if text.startswith("above 1.00: "):
        return "A figure above 1.00 means " + text.removeprefix("above 1.00: ") + "."
    text = re.sub(r"^[a-z_]+: ", "", text)  # "difference_pp: ..." names the column
    return text[:1].upper() + text[1:] + "."


def subject(page: Page, indicator_id: int) -> str:
    """What a survey indicator asks, from its title: "Experiencing harassment ..."."""
    title = page.ctx.title(indicator_id)
    rest = re.sub(r"^Percentage of (staff )?", "", title)
    return rest[:1].upper() + rest[1:]


def percentage_reading(page: Page, indicator_id: int, row: Mapping[str, Any]) -> str:
    group, ref = str(row["group"]), str(row.get("reference_group") or "")
    rate, ref_rate = finite(row.get("rate")), finite(row.get("reference_rate"))
    head = subject(page, indicator_id)
    if rate is not None and not page.ctx.compared(indicator_id):
        return f"{head}: {percent(rate)} of {group} respondents asked."
    if rate is None or ref_rate is None:
        return f"{head}: {group} respondents: {page.ctx.reason(str(row.get('status')))}"
    text = f"{head}: {percent(rate)} of {group} respondents and {percent(ref_rate)} of {ref}"
    text += " respondents"
    diff = finite(row.get("difference_pp"))
    if diff is not None:
        text += f", a difference of {points(diff)} percentage points"
    if sig := _significance(row):
        text += f", {sig}"
    return text + "."


def board_reading(page: Page, row: Mapping[str, Any]) -> str:
    group, board = str(row["group"]), str(row["board"])
    diff = finite(row.get("difference_pp"))
    if diff is None:
        return f"{group} share of {board} board members: {page.ctx.reason(str(row.get('status')))}"
    rate, ref_rate = finite(row.get("rate")), finite(row.get("reference_rate"))
    share = percent(rate) if rate is not None else "a withheld share"
    text = f"{group} people are {share} of {board} board members"
    if ref_rate is not None:
        text += f" and {percent(ref_rate)} of the workforce"
    return text + f": a difference of {points(diff)} percentage points."


def workforce_reading(
    page: Page, year: int, groups: Sequence[str], cells: Sequence[Mapping[str, Any] | None]
) -> str:
    parts = []
    for g, c in zip(groups, cells, strict=True):
        value = None if c is None else finite(c.get("rate"))
        if value is not None:
            parts.append(f"{percent(value)} {g}")
        else:
            parts.append(f"{g} {page.ctx.short_reason(None if c is None else c.get('status'))}")
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)
    return f"In {year} the workforce was {listed} (Unknown: {page.ctx.unknown_meaning})."


def estimate_cell(page: Page, row: Mapping[str, Any] | None) -> str:
    if row is None:
        return ""
    value = finite(row.get("relative_likelihood"))
    if value is None:
        return page.gap(row.get("status"))
    text = f"{value:.2f}"
    low, high = finite(row.get("ci_low")), finite(row.get("ci_high"))
    if low is not None and high is not None:
        text += f" ({low:.2f}-{high:.2f})"
    return esc(text + (" *" if row.get("significant") else ""))
