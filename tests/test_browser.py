"""The report in a real browser: headless Chromium renders it offline without a console error.

Run by ``.ci/run``, which installs Debian's chromium when it is missing; skipped (with the
reason) on a machine without it. The screenshot is kept in the test's folder for a human to
look at; ``docs/report-screenshot.png`` is one of these, from ``wres demo``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chromium import find_chromium, render
from tests.engine.publication_fixtures import small_count_pack, synthetic_pack

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


def test_the_report_renders_offline_without_console_errors(tmp_path: Path) -> None:
    pack = synthetic_pack(tmp_path)
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
