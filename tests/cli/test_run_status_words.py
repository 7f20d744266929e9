"""Plain words in the pack: why a comparison is withheld beside published counts, and the
report's Methods section in sentences rather than configuration keys."""

from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from wres.cli.app import app
from wres.cli.publication.context import context_from_manifest

WHY = "the comparison uses a withheld White count"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Indicator 3 for three trusts: RXX's White disciplinary count (3) is withheld under
    wres-default (counts 1-7), and so, to protect it, is another trust's; BME counts stay."""
    folder = tmp_path_factory.mktemp("words")
    counts = folder / "counts.csv"
    counts.write_text(
        "indicator,organisation,year,ethnicity,numerator,denominator\n"
        "3,RXX,2024,White,3,400\n3,RXX,2024,BME,25,300\n"
        "3,RYY,2024,White,30,500\n3,RYY,2024,BME,20,250\n"
        "3,RZZ,2024,White,28,450\n3,RZZ,2024,BME,22,260\n",
        encoding="utf-8",
    )
    out = folder / "pack"
    result = CliRunner().invoke(
        app, ["run", "--counts", str(counts), "--by", "organisation", "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    return out


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_comparison_withheld_beside_published_counts_says_why(pack: Path) -> None:
    table = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    rxx = table.filter(pl.col("organisation") == "RXX").row(0, named=True)
    assert (rxx["numerator"], rxx["denominator"], rxx["reference_denominator"]) == (25, 300, 400)
    assert rxx["rate"] is not None
    for figure in ("reference_numerator", "reference_rate", "relative_likelihood", "p_value"):
        assert rxx[figure] is None, figure
    assert rxx["status"] == f"suppressed: C ({WHY})"
    # a row whose figures are all shown keeps its status; no status names a rule
    assert table.filter(pl.col("organisation") == "RYY")["status"].to_list() == ["published"]
    assert not table["status"].str.contains(r"\b(P\d|S\d|D1)\b").any()


def test_the_report_and_the_workbook_give_the_reason_in_words(pack: Path) -> None:
    seen = _text((pack / "publish" / "report.html").read_text(encoding="utf-8"))
    assert f"withheld (C): {WHY}" in seen  # beside the trust in the forest plot's table
    assert "a count of the group it is compared with is withheld" in seen  # under Gaps
    book = openpyxl.load_workbook(pack / "publish" / "wres.xlsx", read_only=True)
    statuses = {
        value
        for row in book["All results"].iter_rows(values_only=True)
        for value in row
        if isinstance(value, str) and value.startswith("suppressed")
    }
    assert f"suppressed: C ({WHY})" in statuses
    # a withheld cell's comment (on the indicator sheets) gives the reason in full
    ctx = context_from_manifest({"policy": {"name": "wres-default"}})
    full = ctx.reason(f"suppressed: C ({WHY})")
    assert full.startswith("Withheld by the wres-default disclosure policy: the row's own counts")
    assert f"are published, but {WHY}. C: " in full
    assert ctx.short_reason("suppressed: C") == "withheld (C)"


def test_the_methods_section_is_written_in_sentences(pack: Path) -> None:
    page = (pack / "publish" / "report.html").read_text(encoding="utf-8")
    methods = _text(page[page.index('<section id="methods">') :].split("</section>")[0])
    for key in (
        "suppress_if_count_at_most",
        "suppress_zero_counts",
        "round_counts_to_nearest",
        "min_attacker_interval",
        "[primary]",
        "[secondary]",
        "withheld_primary",
        "attacker_audit",
        "(score)",
        "(chi2)",
    ):
        assert key not in methods, key
    for sentence in (
        "The disclosure policy is wres-default.",
        "Counts from 1 to 7 are withheld",
        "Zero counts are published.",
        "Published counts are not rounded.",
        "at least 7 possible values for each withheld count",
        "The disclosure audit passed",
        "with Pearson's chi-squared test",
        "an indicator's organisation total in one year is one family",
        "Figures are given for the organisation as a whole and by organisation.",
    ):
        assert sentence in methods, sentence
