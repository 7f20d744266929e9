"""The report in a real browser: headless Chromium renders it offline without a console error.

Run by ``.ci/run``, which installs Debian's chromium when it is missing; skipped (with the
reason) on a machine without it. The screenshot is kept in the test's folder for a human to
look at; ``docs/report-screenshot.png`` is one of these, from ``wres demo``, made by
``python docs/screenshot.py``.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.chromium import find_chromium, opened, render
from tests.engine.publication_fixtures import small_count_pack
from tests.test_roll_up import bme_cluster_rows

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pack(shared_pack: Path) -> Path:
    return shared_pack


def test_the_report_renders_offline_without_console_errors(pack: Path, tmp_path: Path) -> None:
    page = pack / "publish" / "report.html"
    screenshot = tmp_path / "report.png"
    seen = render(page, screenshot)
    assert seen.console_errors == []
    # the page itself and nothing else: no font, script, style sheet or image is fetched
    assert seen.requests == [page.resolve().as_uri()]
    assert seen.charts >= 10
    assert seen.title.startswith("Workforce Race Equality Standard")
    assert seen.height > 5000
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 50_000  # a page of charts, not a blank


def test_hostile_names_in_the_data_stay_text_in_the_browser(tmp_path: Path) -> None:
    pack = small_count_pack(tmp_path)
    page = pack / "publish" / "report.html"
    seen = render(page, tmp_path / "small.png", height=1200)
    assert seen.console_errors == []
    assert seen.requests == [page.resolve().as_uri()]
    assert seen.scripts == 0


def test_the_docs_screenshot_is_made_by_a_script_in_the_repository(
    pack: Path, tmp_path: Path
) -> None:
    """``python docs/screenshot.py`` renders a pack's report as the picture in the README."""
    out = tmp_path / "screenshot.png"
    command = [sys.executable, "docs/screenshot.py", "--pack", str(pack), "--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    png = out.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (1280, 1900)
    shipped = (ROOT / "docs" / "report-screenshot.png").read_bytes()
    assert struct.unpack(">II", shipped[16:24]) == (1280, 1900)


def test_the_demo_report_shows_the_band_clusters_of_every_year(demo_pack: Path) -> None:
    # wres demo rolls the bands up into the WRES clusters: the report tabulates the whole
    # workforce's clusters for every year, each BME share as the pack publishes it, and in the
    # latest year's band chart a cluster line follows the bands of a cluster with a share withheld
    out = demo_pack  # wres demo --years 2023-2024
    table = bme_cluster_rows(out).filter(pl.col("staff_group") == "All")
    published = {
        (str(r["year"]), r["band_cluster"]): f"{100 * r['rate']:.1f}%"
        for r in table.filter(pl.col("rate").is_not_null()).iter_rows(named=True)
    }
    assert {year for year, _ in published} == {"2023", "2024"}  # some share every year
    with opened(out / "publish" / "report.html") as page:
        headers = page.locator("#band-clusters thead th").all_inner_texts()
        bme = headers.index("BME %")
        shown = {}
        for line in page.locator("#band-clusters tbody tr").all_inner_texts():
            cells = line.split("\t")
            shown[cells[0], cells[1]] = cells[bme]
        rolled = page.get_by_text("(rolled up)").count()
    for key, value in published.items():
        assert shown[key] == value, key
    withheld = [k for k, v in shown.items() if not v.endswith("%")]
    assert all(k not in published for k in withheld)
    assert rolled > 0
