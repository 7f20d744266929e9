"""The README and docs/ are all a user needs: every link stays inside the repository and
resolves, and what they say a withheld cell shows is what the files show, stated once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wres.cli.publication.status import Marker
from wres.rules.policy import PROFILE_NAMES, load_policy, policy_from_toml

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"#+ (.*)", line):
            slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
            found.add(slug)
    return found


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_link_resolves_inside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "SPEC" not in text, "the specification is not part of the repository"
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.is_relative_to(ROOT), f"{target}: outside the repository"
        assert resolved.exists(), f"{target}: no such file"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{target}: no such heading"


def test_the_withheld_marker_is_stated_once_as_the_workbook_shows_it() -> None:
    markers = {load_policy(name).secondary.marker for name in PROFILE_NAMES}
    assert markers == {str(Marker.WITHHELD)}  # every shipped profile shows [c]
    outputs = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = outputs.split("### What a withheld cell shows", 1)[1].split("\n#", 1)[0]
    workbook = next(line for line in section.splitlines() if line.startswith("| `wres.xlsx`"))
    assert f"`{Marker.WITHHELD}`" in workbook
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/outputs.md#what-a-withheld-cell-shows" in readme
    # the README leaves the markers to that section rather than stating one of its own
    assert not re.search(r"marker \(`[^`]+`\)", readme)
    assert f"`{Marker.WITHHELD}`" not in readme


def test_the_policy_example_in_the_docs_loads() -> None:
    disclosure = (ROOT / "docs" / "disclosure.md").read_text(encoding="utf-8")
    section = disclosure.split("## Policies", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL)
    policy = policy_from_toml(example, "docs/disclosure.md")
    assert policy.primary.suppress_if_count_at_most == 9
    for name in PROFILE_NAMES:
        assert f"| `{name}` |" in section
