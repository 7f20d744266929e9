"""``publish/report.html``: one self-contained page for the board, with charts as inline SVG.

The page loads nothing: no script, font, image or style sheet from anywhere (a Content Security
Policy in the page says so to the browser too). It holds no timestamp, so the same run gives the
same bytes. Every figure on it is a value of the published tables, formatted; a withheld value
is a gap with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wres.cli.publication import charts
from wres.cli.publication.bands import share_section
from wres.cli.publication.context import Context
from wres.cli.publication.funnels import funnel_section
from wres.cli.publication.markup import (
    Page,
    definition_list,
    esc,
    figure,
    finite,
    percent,
    points,
    table,
)
from wres.cli.publication.ratios import ratio_section
from wres.cli.publication.readings import (
    board_reading,
    estimate,
    estimate_cell,
    percentage_reading,
    ratio_reading,
    short_title,
    subject,
    workforce_reading,
)
from wres.cli.publication.sentences import (
    method_sentences,
    policy_sentences,
    protection_sentences,
)
from wres.cli.publication.status import STANDARD_VARIANT, UNKNOWN, Marker, natural_key
from wres.cli.publication.survey import board_section, survey_section
from wres.cli.publication.tables import Published, totals
from wres.engine.standards import Measure

Row = Mapping[str, Any]

STYLE = """
:root{--blue:#005EB8;--dark-blue:#003087;--text:#212B32;--muted:#4C6272;--grey:#768692;
--pale:#E8EDEE;--bg:#F0F4F5;--border:#D8DDE0}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.5;font-size:16px;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1080px;margin:0 auto;padding:0 24px}
header.mast{background:var(--blue);color:#fff;padding:28px 0 22px}
header.mast .tag{display:inline-block;font-weight:700;letter-spacing:.04em;font-size:.8rem;
background:#fff;color:var(--blue);padding:2px 8px;border-radius:2px;margin-bottom:10px}
header.mast h1{font-size:2rem;line-height:1.2;margin:0 0 6px}
header.mast p{margin:0;color:#E8EDEE}
nav.toc{background:#fff;border-bottom:1px solid var(--border)}
nav.toc ul{list-style:none;margin:0;padding:10px 0;display:flex;flex-wrap:wrap;gap:4px 22px}
nav.toc a{color:var(--blue);text-decoration:none;font-size:.95rem}
nav.toc a:hover{text-decoration:underline}
main section{background:#fff;margin:24px 0;padding:24px 32px 28px;border-radius:4px;
border:1px solid var(--border)}
h2{font-size:1.55rem;line-height:1.25;margin:0 0 4px;padding-left:12px;
border-left:6px solid var(--blue)}
h3{font-size:1.15rem;margin:26px 0 8px}
p.lede{color:var(--muted);margin:2px 0 14px 18px}
p.direction{background:var(--pale);padding:8px 12px;border-radius:3px;font-size:.95rem}
ul.readings{padding-left:20px;margin:6px 0 12px}ul.readings li{margin:6px 0}
ul.titles{padding-left:20px;color:var(--muted);font-size:.95rem}
.notice{border-left:8px solid #FFEB3B;background:#FFF9C4;padding:14px 18px;margin:24px 0;
border-radius:2px}
.notice.ok{border-color:#007F3B;background:#E5F2EA}
figure{margin:18px 0 8px}
figcaption{color:var(--muted);font-size:.9rem;margin-top:4px}
svg.chart{display:block;width:100%;max-width:920px;height:auto;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
svg.chart text{font-size:13px;fill:var(--text)}
svg.chart .tick,svg.chart .legend{font-size:12px;fill:var(--muted)}
svg.chart .axis-label{font-size:12px;fill:var(--muted)}
svg.chart .label.strong{font-weight:700}
svg.chart .label.heading{font-weight:700;fill:var(--blue)}
svg.chart .gap{fill:var(--grey);font-style:italic}
svg.chart .gap-mark{fill:var(--grey);font-size:11px}
svg.chart .value{fill:var(--muted);font-variant-numeric:tabular-nums}
svg.chart .stripe{fill:#F7F9FA}
svg.chart .nonadverse{fill:#DCEAF7}
svg.chart .grid{stroke:#E8EDEE;stroke-width:1}
svg.chart .equity{stroke:#425563;stroke-width:1.5}
svg.chart .axis{stroke:#AEB7BD;stroke-width:1}
svg.chart .divider{stroke:#AEB7BD;stroke-dasharray:4 3}
svg.chart .ci{stroke:var(--c,#005EB8);stroke-width:2}
svg.chart .ci-arrow{fill:var(--c,#005EB8)}
svg.chart .pt{fill:#fff;stroke:var(--c,#005EB8);stroke-width:2}
svg.chart .pt.sig{fill:var(--c,#005EB8)}
svg.chart .pooled{fill:var(--c,#003087);stroke:#fff;stroke-width:1}
svg.chart .line{fill:none;stroke:var(--c,#005EB8);stroke-width:2;opacity:.75}
svg.chart .seg,svg.chart .swatch,svg.chart .dot{fill:var(--c)}
svg.chart .dot{stroke:#fff;stroke-width:1.5}
svg.chart .seg-label{fill:#fff;font-size:12px;font-weight:600}
svg.chart .unknown .seg-label{fill:var(--text)}
svg.chart .dot-label{font-size:11px;fill:var(--muted)}
svg.chart .link{stroke:#AEB7BD;stroke-width:3}
svg.chart .gap-bar{fill:#fff;stroke:#AEB7BD;stroke-dasharray:4 3}
svg.chart .bar{fill:var(--blue)}
svg.chart .lim95{fill:none;stroke:#768692;stroke-width:1.5;stroke-dasharray:5 3}
svg.chart .lim998{fill:none;stroke:#425563;stroke-width:1.5}
.s0{--c:#005EB8}.s1{--c:#ED8B00}.s2{--c:#00A499}.s3{--c:#AE2573}.s4{--c:#330072}
.s5{--c:#41B6E6}.s6{--c:#7C2855}.s7{--c:#006747}.ref{--c:#425563}.unknown{--c:#C8CED2}
details{margin:6px 0}
details summary{cursor:pointer;color:var(--blue);font-size:.92rem}
details.more{margin:14px 0;padding:4px 0;border-top:1px solid var(--pale)}
.table-wrap{overflow-x:auto;margin:8px 0}
table{border-collapse:collapse;font-size:.88rem;min-width:50%}
th,td{padding:5px 10px;border-bottom:1px solid var(--border);text-align:left;vertical-align:top}
th{background:var(--pale);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td .gap{color:var(--muted);font-style:italic}
dl{display:grid;grid-template-columns:minmax(200px,330px) 1fr;gap:6px 18px;margin:8px 0 14px}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:.85rem;padding:8px 0 40px}
@media print{body{background:#fff}main section{border:0;padding:0;break-inside:auto}
nav.toc{display:none}figure{break-inside:avoid}}
"""

#: Only inline styles and data: URLs; nothing is fetched. A fetch attempt would be a console
#: error in the browser test.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True, slots=True)
class _Section:
    """One section of the report's body: an indicator, or the survey's percentages together."""

    anchor: str
    measure: Measure
    ids: tuple[int, ...]

    def label(self, page: Page) -> str:
        if self.measure is Measure.PERCENTAGE:
            return f"{page.ctx.number(self.ids[0])}-{page.ctx.number(self.ids[-1])} Staff survey"
        return f"{page.ctx.number(self.ids[0])} {short_title(page, self.ids[0])}"

    def render(self, page: Page, data: Published) -> str:
        if self.measure is Measure.PERCENTAGE:
            return survey_section(page, data, self.ids)
        return _SECTION[self.measure](page, data, self.ids[0])


#: The section of one indicator, by its measure; the staff survey's percentages share one.
_SECTION: dict[Measure, Callable[[Page, Published, int], str]] = {
    Measure.SHARE: share_section,
    Measure.RATIO: ratio_section,
    Measure.BOARD_GAP: board_section,
}


def _sections_in_order(data: Published) -> list[_Section]:
    """The body's sections, in the order of the indicators' numbers."""
    survey = tuple(i for i in data.indicator_ids() if data.measure(i) is Measure.PERCENTAGE)
    out: list[_Section] = []
    for i in data.indicator_ids():
        measure = data.measure(i)
        if measure is not Measure.PERCENTAGE:
            out.append(_Section(f"indicator-{i}", measure, (i,)))
        elif i == survey[0]:
            out.append(_Section("survey", measure, survey))
    return out


def _by_variant(row: Mapping[str, Any]) -> tuple[bool, Any, Any]:
    return (
        row["variant"] != STANDARD_VARIANT,
        natural_key(row["variant"]),
        natural_key(row["group"]),
    )


def _percentage_cell(page: Page, row: Mapping[str, Any]) -> str:
    rate, diff = finite(row.get("rate")), finite(row.get("difference_pp"))
    if rate is not None and row.get("reference_group") is None:  # compared with nobody
        return esc(percent(rate))
    if rate is None or diff is None:
        return page.gap(row.get("status"))
    return esc(f"{percent(rate)} ({points(diff)} points){' *' if row.get('significant') else ''}")


@dataclass(slots=True)
class _Glance:
    """What the summary gathers of the latest year: readings in words, the ratios for the
    forest plot, and a row of figures per indicator for the table by group."""

    items: list[str] = field(default_factory=list)
    headline: list[charts.Estimate] = field(default_factory=list)
    matrix: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _share_glance(
    page: Page, data: Published, i: int, rows: Sequence[Row], glance: _Glance
) -> None:
    latest = data.years[-1]
    order = data.groups(data.rows(i))
    cells = {r["group"]: r for r in rows}
    glance.items.append(
        _item(page, i, workforce_reading(page, latest, order, [cells.get(g) for g in order]))
    )


def _ratio_glance(
    page: Page, data: Published, i: int, rows: Sequence[Row], glance: _Glance
) -> None:
    several = len({r["group"] for r in rows}) > 1
    for r in rows:
        label = f"{page.ctx.number(i)} {short_title(page, i)}"
        label += "" if r["variant"] == STANDARD_VARIANT else f" ({r['variant']})"
        glance.headline.append(estimate(page, r, label + (f" / {r['group']}" if several else "")))
        if not several and r["variant"] == STANDARD_VARIANT:
            glance.items.append(_item(page, i, ratio_reading(page, r)))
        if not glance.matrix or glance.matrix[-1][0] != label:
            glance.matrix.append((label, {}))
        glance.matrix[-1][1][str(r["group"])] = estimate_cell(page, r)


def _percentage_glance(
    page: Page, data: Published, i: int, rows: Sequence[Row], glance: _Glance
) -> None:
    cells = {str(r["group"]): _percentage_cell(page, r) for r in rows}
    glance.matrix.append((f"{page.ctx.number(i)} {subject(page, i)}", cells))
    if len(cells) <= 1:
        glance.items.extend(_item(page, i, percentage_reading(page, i, r)) for r in rows)


def _board_glance(
    page: Page, data: Published, i: int, rows: Sequence[Row], glance: _Glance
) -> None:
    voting = (r for r in rows if r.get("board") == "voting")
    glance.items.extend(_item(page, i, board_reading(page, r)) for r in voting)


#: What the summary takes of an indicator, by its measure: the share's reading of all its
#: groups; the others' rows of the compared groups (neither Unknown nor the reference)
_GLANCE: dict[Measure, Callable[[Page, Published, int, Sequence[Row], _Glance], None]] = {
    Measure.SHARE: _share_glance,
    Measure.RATIO: _ratio_glance,
    Measure.PERCENTAGE: _percentage_glance,
    Measure.BOARD_GAP: _board_glance,
}


def _summary(page: Page, data: Published) -> str:
    """The latest year in words: a reading per indicator, or with several compared groups a
    table of figures by group; and the ratios against 1.00 and the non-adverse range."""
    latest = data.years[-1]
    glance = _Glance()
    groups: list[str] = []
    for i in data.indicator_ids():
        rows = [r for r in totals(data.rows(i), data.dims).to_dicts() if r["year"] == latest]
        compared = sorted(
            (r for r in rows if r["group"] not in (UNKNOWN, data.reference)), key=_by_variant
        )
        mine = sorted({str(r["group"]) for r in compared}, key=natural_key)
        groups += [g for g in mine if g not in groups]
        measure = data.measure(i)
        _GLANCE[measure](page, data, i, rows if measure is Measure.SHARE else compared, glance)
    items, headline, matrix = glance.items, glance.headline, glance.matrix
    parts = [
        f'<section id="summary"><h2>At a glance: {latest}</h2>',
        '<p class="lede">The organisation total for the latest year. Above 1.00 always '
        "means a disadvantage for the compared group.</p>",
        f"<ul class=readings>{''.join(items)}</ul>",
    ]
    if len(groups) > 1 and matrix:
        parts.append(_by_group(page, groups, matrix))
    if headline:
        parts.append(_headline_chart(page, latest, headline))
    parts.append("</section>")
    return "".join(parts)


def _by_group(page: Page, groups: Sequence[str], matrix: list[tuple[str, dict[str, str]]]) -> str:
    """The summary's figures as a table, a row per indicator and a column per compared group."""
    body = [(esc(label), *(cells.get(g, "") for g in groups)) for label, cells in matrix]
    return (
        "<p>Each group compared with the reference group (* significant after adjustment "
        "for multiple comparisons; percentages with the difference from the reference "
        "group in percentage points):</p>"
        + table((page.ctx.noun, *groups), body, numeric=(False, *([True] * len(groups))))
    )


def _headline_chart(page: Page, latest: int, headline: list[charts.Estimate]) -> str:
    """The summary's forest plot of every ratio against 1.00 and the non-adverse range."""
    svg = charts.forest(
        headline,
        ident=page.chart_id(),
        title=f"Relative likelihoods, {latest}, against 1.00 and the non-adverse range",
        desc="Each ratio indicator's relative likelihood with its interval on a log scale; "
        "the shaded band is 0.80-1.25.",
        axis_label="Relative likelihood (log scale)",
    )
    caption = (
        f"Relative likelihoods, organisation total, {latest}, with {page.ctx.level_text} "
        "intervals against equity (1.00) and NHS England's non-adverse range 0.80-1.25."
    )
    return figure(svg, caption)


def _item(page: Page, indicator_id: int, text: str) -> str:
    return f"<li><strong>{esc(page.ctx.indicator_name(indicator_id))}.</strong> {esc(text)}</li>"


def _gap_markers(ctx: Context) -> list[tuple[str, str]]:
    """What each kind of gap in the report means."""
    return [
        (
            "withheld (C)",
            "withheld by disclosure control, with the rule codes; the value is "
            f"never shown (in wres.xlsx: {ctx.withheld_marker})",
        ),
        (
            "withheld (C): the comparison uses a withheld ... count",
            "the row's own counts and rate are published, but a count of the group it is "
            "compared with is withheld, so the comparison (that group's rate, the difference, "
            "the ratio, its interval and the p-values) is withheld too",
        ),
        (
            "not calculable",
            f"the rate it would be divided by is zero (in wres.xlsx: {Marker.NOT_CALCULABLE})",
        ),
    ]


def _unknown_sentence(ctx: Context) -> str:
    """Unknown is in no comparison, in the standard's words."""
    standard = ctx.standard
    if standard is None or standard.characteristic == "ethnicity":
        return "Unknown ethnicity is never White and never BME"
    return (
        f"Unknown {standard.characteristic} is never {standard.reference} and never "
        f"{standard.focal}"
    )


def _methods(page: Page, data: Published) -> str:
    ctx = page.ctx
    codes = sorted({*data.rule_codes_used(), "C", "D1"}, key=lambda c: (c[0], natural_key(c)))
    markers = _gap_markers(ctx)
    unknown = _unknown_sentence(ctx)
    notice = (
        ""
        if ctx.protection_applied
        else (
            '<p class="notice"><strong>Secondary protection is not applied.</strong> A withheld '
            "count may still be recoverable by subtraction from a published total or another cut. "
            "Review the figures before release.</p>"
        )
    )
    return "".join(
        [
            '<section id="methods"><h2>Methods and disclosure control</h2>',
            '<p class="lede">Every figure in this report is published in indicators.csv or '
            "pooled.csv and in wres.xlsx. A value withheld to protect small numbers appears as a "
            "gap with its rule, never as a number.</p>",
            "<h3>Disclosure audit</h3>",
            notice,
            _paragraph(protection_sentences(ctx)),
            "<h3>Disclosure policy</h3>",
            _paragraph(policy_sentences(ctx)),
            "<h3>Rule codes</h3>",
            definition_list(ctx.rule_lines(codes)),
            "<h3>Gaps</h3>",
            definition_list(markers),
            "<h3>Statistical methods</h3>",
            _paragraph(method_sentences(ctx)),
            f"<p>Ratios are computed from counts, never from rounded percentages. {unknown}: it "
            "is counted in every total and reported on its own, and it is in no comparison.</p>",
            *(
                ["<h3>Unknown ethnicity</h3>", definition_list(ctx.unknown.lines())]
                if ctx.characteristic == "ethnicity" and ctx.unknown.inputs
                else []
            ),
            "<h3>Provenance</h3>",
            definition_list(ctx.provenance),
            "</section>",
        ]
    )


def _paragraph(sentences: Sequence[str]) -> str:
    return f"<p>{esc(' '.join(sentences))}</p>"


def _sections(page: Page, data: Published) -> tuple[str, list[tuple[str, str]], str]:
    """The report's body, its navigation (anchor, label) and the span of its years."""
    years = data.years
    if not years:
        body = "<section><h2>No indicators</h2><p>The run computed no indicators.</p></section>"
        return body, [], ""
    span = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    order = _sections_in_order(data)
    nav = [("summary", "At a glance")]
    nav += [(section.anchor, section.label(page)) for section in order]
    parts = [_summary(page, data)]
    parts += [section.render(page, data) for section in order]
    funnels = funnel_section(data.funnel, {i: short_title(page, i) for i in data.indicator_ids()})
    if funnels:
        nav.append(("funnels", "Organisations compared"))
        parts.append(funnels)
    nav.append(("methods", "Methods and disclosure"))
    parts.append(_methods(page, data))
    return "".join(parts), nav, span


def _warnings(ctx: Context) -> str:
    """Notices above everything: no secondary protection, ethnicity values not recognised."""
    warning = (
        ""
        if ctx.protection_applied
        else (
            '<div class="notice"><strong>Review before release.</strong> Secondary protection is '
            "not applied in this run: see Methods and disclosure.</div>"
        )
    )
    if ctx.characteristic == "ethnicity" and ctx.unknown.accepted:
        warning += (
            '<div class="notice"><strong>Ethnicity not recognised.</strong> '
            f"{esc(ctx.unknown.summary())} See Methods and disclosure.</div>"
        )
    return warning


def build_report(data: Published) -> str:
    """The report's HTML."""
    ctx = data.context
    page = Page(ctx)
    title = f"{ctx.name}: report"
    body, nav, span = _sections(page, data)
    warning = _warnings(ctx)
    cuts = [c for c in data.dims if c not in ("staff_group",)]
    cut_text = ", ".join(c.replace("_", " ") for c in cuts)
    links = "".join(f'<li><a href="#{esc(a)}">{esc(label)}</a></li>' for a, label in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}{esc(' ' + span) if span else ''}</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<header class="mast"><div class="wrap"><span class="tag">{esc(ctx.short_name)}</span>'
        f"<h1>{esc(ctx.name)}</h1>"
        f"<p>{esc(ctx.organisation + ' · ') if ctx.organisation else ''}"
        f"{esc(span)} · organisation total{esc(' and by ' + cut_text) if cut_text else ''} · "
        f"disclosure policy {esc(ctx.policy_name)}</p></div></header>"
        f'<nav class="toc" aria-label="Contents"><div class="wrap"><ul>{links}</ul></div></nav>'
        f'<main class="wrap">{warning}{body}</main>'
        '<footer class="wrap">Written by wres from the published tables of one run. '
        f"{esc(ctx.provenance[0][0])} {esc(ctx.provenance[0][1])}.</footer>"
        "</body></html>\n"
    )


def write_report(path: Path, data: Published) -> Path:
    """Write ``path`` (``publish/report.html``)."""
    path.write_text(build_report(data), encoding="utf-8", newline="\n")
    return path
