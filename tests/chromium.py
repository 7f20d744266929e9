"""Drive the system's headless Chromium with Playwright for Python (no browser is downloaded:
Playwright is pointed at Debian's ``chromium``).

``render(page, screenshot)`` opens a local HTML file, waits for the load event, and returns what a
reviewer would check by hand: console errors and uncaught exceptions, every URL the page asked
for, the number of SVG charts, and a PNG screenshot. ``opened(page)`` yields the loaded page for
a test to query as a reader sees it (text, tables, what is visible).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, Request, sync_playwright

#: Chromium's flags: a container has no sandbox and no GPU; nothing is fetched behind the page.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Rendered:
    """What the browser saw."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    charts: int = 0
    scripts: int = 0
    title: str = ""
    height: int = 0


@dataclass
class _Seen:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def _loaded(page: Path, *, width: int, timeout: float) -> Iterator[tuple[Page, _Seen]]:
    binary = find_chromium()
    if binary is None:
        msg = "chromium is not installed"
        raise FileNotFoundError(msg)
    seen = _Seen()

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            seen.errors.append(f"console.{message.type}: {message.text}")

    def request(req: Request) -> None:
        seen.requests.append(req.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=list(FLAGS))
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.set_default_timeout(timeout * 1000)
            tab.on("console", console)
            tab.on("pageerror", lambda error: seen.errors.append(f"exception: {error}"))
            tab.on("request", request)
            tab.goto(page.resolve().as_uri(), wait_until="load")
            yield tab, seen
        finally:
            browser.close()


@contextmanager
def opened(page: Path, *, width: int = 1280, timeout: float = 45) -> Iterator[Page]:
    """``page`` loaded in headless Chromium, for a test to read as a reader would."""
    with _loaded(page, width=width, timeout=timeout) as (tab, _):
        yield tab


def render(
    page: Path,
    screenshot: Path,
    *,
    width: int = 1280,
    height: int = 2400,
    top: int = 0,
    timeout: float = 45,
) -> Rendered:
    """Open ``page`` in headless Chromium; save a ``width`` x ``height`` screenshot of its top."""
    with _loaded(page, width=width, timeout=timeout) as (tab, seen):
        full = int(tab.evaluate("document.documentElement.scrollHeight"))
        clip = {"x": 0, "y": top, "width": width, "height": min(height, full - top)}
        tab.screenshot(path=screenshot, full_page=True, clip=clip)  # type: ignore[arg-type]
        return Rendered(
            console_errors=list(seen.errors),
            requests=list(seen.requests),
            charts=tab.locator("svg.chart").count(),
            scripts=tab.locator("script").count(),
            title=tab.title(),
            height=full,
        )
