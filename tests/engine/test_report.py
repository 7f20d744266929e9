"""publish/report.html: self-contained, readable, and never a withheld value."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import polars as pl
import pytest

from tests.engine.publication_fixtures import (
    HOSTILE_SITE,
    WITHHELD_COUNT,
    small_count_pack,
)
from wres.cli.publication.context import context_from_manifest
from wres.cli.publication.svg import Canvas, LogScale, num, ratio_domain


@pytest.fixture(scope="module")
def pack(shared_pack: Path) -> Path:
    return shared_pack


def report(pack: Path) -> str:
    return (pack / "publish" / "report.html").read_text(encoding="utf-8")


def text_of(page: str) -> str:
    """What a reader sees: markup removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("which", ["pack", "small_pack"])
def test_the_report_loads_nothing_from_anywhere(which: str, request: pytest.FixtureRequest) -> None:
    page = report(request.getfixturevalue(which))
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for forbidden in ("http://", "https://", "//cdn", "<script", "<link rel=\"stylesheet",
                      "<img", "@import", "url(", "<iframe", "<object", "<embed"):  # fmt: skip
        assert forbidden not in lowered, forbidden
    assert not re.search(r"\ssrc\s*=", lowered)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert all(h.startswith(("#", "data:")) for h in hrefs), hrefs
    assert "Content-Security-Policy" in page


def test_the_report_has_no_timestamp(pack: Path) -> None:
    page = report(pack)
    assert not re.search(r"20\d\d-\d\d-\d\d[T ]\d\d:\d\d", page)
    assert "generated on" not in page.lower()


def test_the_readings_are_the_standards_words_with_the_runs_level(pack: Path) -> None:
    published = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    row = published.filter(
        (pl.col("indicator") == 2) & (pl.col("year") == 2024) & (pl.col("variant") == "standard")
        & (pl.col("site") == "All") & (pl.col("band") == "All") & (pl.col("group") == "BME")
    ).row(0, named=True)  # fmt: skip
    expected = (
        f"White shortlisted applicants were {row['relative_likelihood']:.2f} times as likely to "
        f"be appointed as BME shortlisted applicants (95% CI {row['ci_low']:.2f}-"
        f"{row['ci_high']:.2f})."
    )
    seen = " ".join(text_of(report(pack)).split())
    assert expected in seen
    three = published.filter(
        (pl.col("indicator") == 3) & (pl.col("year") == 2024) & (pl.col("variant") == "standard")
        & (pl.col("site") == "All") & (pl.col("band") == "All") & (pl.col("group") == "BME")
    ).row(0, named=True)  # fmt: skip
    # indicator 3's reading, unless secondary suppression withheld its counts
    assert ("BME staff were" in seen) == (three["relative_likelihood"] is not None)
    assert "non-adverse range 0.80-1.25" in seen


def test_forest_plots_across_the_requested_cuts_and_charts_with_titles(pack: Path) -> None:
    page = report(pack)
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", page, flags=re.S)
    assert len(svgs) >= 10
    assert all("<title id=" in s and "<desc id=" in s for s in svgs)
    titles = re.findall(r'<title id="chart\d+-t">([^<]*)</title>', page)
    for wanted in ("Indicator 2 by site, 2024", "Indicator 2 by band, 2024",
                   "Staff by band and ethnic group, 2024",
                   "Indicator 2, BME compared with White, by year"):  # fmt: skip
        assert wanted in titles, wanted
    forest = next(s for s in svgs if "Indicator 3 by site, 2024" in s)
    assert 'class="nonadverse"' in forest
    assert 'class="equity"' in forest
    assert "<details" in page  # each chart's figures as a table


def test_significant_estimates_are_marked(pack: Path) -> None:
    published = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    significant = published.filter(
        (pl.col("year") == 2024) & pl.col("significant") & pl.col("indicator").is_in([2, 3, 4])
        & (pl.col("site") == "All") & (pl.col("band") == "All")
    )  # fmt: skip
    assert significant.height >= 1
    value = significant["relative_likelihood"][0]
    page = report(pack)
    assert f"{value:.2f} (" in page
    assert re.search(rf"{value:.2f} \([0-9.]+-[0-9.]+\) \*", page)
    assert 'class="pt sig"' in page


def test_a_withheld_value_is_a_gap_with_its_reason_never_a_number(small_pack: Path) -> None:
    page = report(small_pack)
    seen = " ".join(text_of(page).split())
    true_ratio = (50 / 317) / (WITHHELD_COUNT / 418)
    assert f"{true_ratio:.2f}" not in seen
    assert f"{100 * WITHHELD_COUNT / 418:.1f}%" not in seen
    assert f"{WITHHELD_COUNT} of 418" not in seen
    # the cell is listed in the forest plot and its table, with the rule
    assert re.search(r"North\s+withheld \(C\)", seen)
    assert "C a count from 1 to 7" in seen  # the code, in the methods


def test_every_string_from_the_data_is_escaped(small_pack: Path) -> None:
    page = report(small_pack)
    assert HOSTILE_SITE not in page
    assert html.escape(HOSTILE_SITE, quote=False) in page or html.escape(HOSTILE_SITE) in page
    assert "<script" not in page.lower()


def test_the_methods_section_reads_the_manifest(pack: Path) -> None:
    seen = " ".join(text_of(report(pack)).split())
    assert "Methods and disclosure control" in seen
    assert "Benjamini-Hochberg" in seen
    assert "confidence interval: the asymptotic score interval (Koopman)" in seen
    assert "Secondary protection is not applied" not in seen
    assert "passed" in seen  # the attacker's audit, from the manifest


# --- the parts ----------------------------------------------------------------------------------


def test_a_ratio_axis_puts_080_and_125_equally_far_from_100() -> None:
    scale = LogScale(*ratio_domain([0.5, 3.0]), 0, 600)
    assert math.isclose(scale(1.0) - scale(0.8), scale(1.25) - scale(1.0))
    assert scale.ticks()[0] >= scale.low
    assert ratio_domain([None, float("inf"), 1e9]) == (0.8 / 1.08, 20.0)


def test_svg_text_is_escaped_and_numbers_are_fixed() -> None:
    canvas = Canvas(100, 50, ident="t1", title="a < b & c", desc='say "hi"')
    canvas.text(1.25, 2, "<b>&</b>")
    canvas.open_group(tip="x > y")
    canvas.close_group()
    svg = canvas.render()
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in svg
    assert '<title id="t1-t">a &lt; b &amp; c</title>' in svg
    assert "<title>x &gt; y</title>" in svg
    assert (num(2.0), num(-0.04), num(1.25)) == ("2", "0", "1.2")


def test_the_manifest_may_lack_anything() -> None:
    ctx = context_from_manifest({})
    assert ctx.level == 0.95
    assert ctx.protection == (("Secondary protection", "not recorded in the manifest"),)
    assert ctx.reason("suppressed: P9").startswith("Withheld by the unnamed disclosure policy")
    assert "rule P9" in ctx.reason("suppressed: P9")


def test_two_runs_into_different_folders_write_the_same_bytes(
    small_pack: Path, tmp_path: Path
) -> None:
    again = small_count_pack(tmp_path)
    assert again != small_pack
    for name in ("report.html", "wres.xlsx"):
        first = (small_pack / "publish" / name).read_bytes()
        assert first == (again / "publish" / name).read_bytes(), name
