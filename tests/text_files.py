"""Small input files the tests write by hand (counts files, policies, extracts)."""

from __future__ import annotations

from pathlib import Path


def written(path: Path, text: str) -> Path:
    """``path`` holding ``text`` (UTF-8), for a test to pass on to ``wres``."""
    path.write_text(text, encoding="utf-8")
    return path
