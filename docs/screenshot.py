"""Regenerate ``docs/report-screenshot.png``: the top of ``report.html`` from ``wres demo``.

    python docs/screenshot.py               # runs the demo in a temporary folder (about a minute)
    python docs/screenshot.py --pack DIR    # uses a demo already run into DIR (wres demo --out DIR)
    python docs/screenshot.py --out FILE    # writes FILE instead of docs/report-screenshot.png

Needs wres installed with its development extra (``pip install -e '.[dev]'``) and Debian's
``chromium`` (``apt-get install chromium``), which it drives headless as the browser test does
(``tests/chromium.py``, Playwright): no browser is downloaded. The demo is seeded, so the same
wres gives the same page; the picture is 1280 x 1900 pixels at scale 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"
WIDTH, HEIGHT = 1280, 1900


def run_demo(out: Path) -> Path:
    """``wres demo --out OUT`` in a new process, its progress and messages on this terminal."""
    command = [
        sys.executable,
        "-c",
        "from wres.cli.app import main; main()",
        "demo",
        "--out",
        str(out),
    ]
    subprocess.run([*command, "-q"], check=True)
    return out


def screenshot(pack: Path, out: Path) -> None:
    """Save the top of ``pack``'s report as ``out``; fail if the page shows a console error."""
    sys.path.insert(0, str(ROOT))  # the browser driver lives with the tests
    from tests.chromium import find_chromium, render  # noqa: PLC0415

    if find_chromium() is None:
        sys.exit("chromium is not installed: apt-get install chromium")
    page = pack / "publish" / "report.html"
    if not page.is_file():
        sys.exit(f"{page} does not exist: run wres demo --out {pack} first, or leave out --pack")
    seen = render(page, out, width=WIDTH, height=HEIGHT)
    if seen.console_errors:
        sys.exit(f"the report has console errors: {seen.console_errors}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pack", type=Path, help="a folder wres demo wrote (default: run the demo)"
    )
    parser.add_argument("--out", type=Path, default=SCREENSHOT, help="the PNG to write")
    options = parser.parse_args(argv)
    if options.pack is not None:
        screenshot(options.pack, options.out)
    else:
        with tempfile.TemporaryDirectory(prefix="wres-screenshot-") as folder:
            screenshot(run_demo(Path(folder) / "demo"), options.out)
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
