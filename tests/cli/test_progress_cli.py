"""`wres run` shows how far it has got on a terminal (a pseudo-terminal here), and nothing of it
when stderr is a pipe; the files it writes are the same either way."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from wres.cli.exit_codes import ExitCode
from wres.cli.progress import WRITING
from wres.engine.progress import CHECKING

# BME staff entering a disciplinary process in four organisations: 3 and 2 are small, so the
# run withholds more cells to protect them, and audits that
ROWS = (
    "indicator,organisation,year,ethnicity,numerator,denominator",
    *(f"3,{o},2024,BME,{n},{d}" for o, n, d in (("R1", 3, 50), ("R2", 12, 60), ("R3", 20, 80))),
    "3,R4,2024,BME,2,40",
    *(f"3,{o},2024,White,{n},{d}" for o, n, d in (("R1", 20, 200), ("R2", 30, 300))),
    "3,R3,2024,White,25,250",
    "3,R4,2024,White,40,400",
)
STAGES = ("secondary suppression: ", CHECKING, WRITING)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def wres_run(counts: Path, out: Path, *, terminal: bool) -> str:
    """Run ``wres run`` in a new process, its stderr a pseudo-terminal or a pipe; its stderr."""
    command = [
        sys.executable, "-c", "from wres.cli.app import main; main()",
        "run", "--counts", str(counts), "--by", "organisation", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    if not terminal:
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        assert done.returncode == ExitCode.OK, done.stderr.decode()
        return done.stderr.decode()
    parent, child = pty.openpty()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child, env=env
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the terminal closed with the process (Linux)
            break
        if not chunk:
            break
        seen += chunk
    os.close(parent)
    assert process.wait() == ExitCode.OK, seen.decode(errors="replace")
    return seen.decode(errors="replace")


def test_a_terminal_sees_each_stage_and_a_pipe_sees_none(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    on_terminal = wres_run(counts, tmp_path / "terminal", terminal=True)
    for stage in STAGES:
        assert stage in on_terminal
    piped = wres_run(counts, tmp_path / "piped", terminal=False)
    for stage in STAGES:
        assert stage not in piped
    assert "\x1b[" not in piped
    assert "wrote" in piped  # the messages themselves are there
    # watching the run changes none of the files it publishes
    publish = sorted(p.name for p in (tmp_path / "piped" / "publish").iterdir())
    assert publish
    for name in publish:
        first = (tmp_path / "terminal" / "publish" / name).read_bytes()
        assert first == (tmp_path / "piped" / "publish" / name).read_bytes(), name
