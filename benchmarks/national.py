"""The national scenario end to end, at 1x, 2x and 4x the data: wall time and peak memory.

    python benchmarks/national.py --work /tmp/wres-national          # all scales (~10 minutes)
    python benchmarks/national.py --work /tmp/wres-national --scales 1x
    python benchmarks/national.py --work /tmp/wres-national --cuts     # 1x, other cut sets

Synthesises ten years of 210 trusts (``wres synth --trusts 210 --years 2015-2024``) once, builds
larger inputs from it, and times ``wres run --by organisation,region,band --ethnicity-level
broad`` on each with ``/usr/bin/time -v`` (wall clock and maximum resident set size), from the
Parquet files on disk to the written pack. Two ways of growing the data:

- ``Nx-trusts``: N copies of every trust under new organisation codes (RXX, RXX~2, ...): N times
  the rows *and* N times the cells and published rows;
- ``Nx-rows``: every trust N times as large (staff repeated under new staff ids): N times the
  rows, the same cells, so the cube, the statistics and the pack stay the same size.

``--protection`` instead times the protection's growth (issue 21): one year (2024) of the first
20, 40 and 80 trusts (``--trusts``), each run with ``--jobs 1`` and ``--jobs 2`` in the same
session, with the cells, parts and secondary cells of each from its manifest: the time per
thousand cells should stay about level as the trusts double.

``--cuts`` instead runs the 1x data with fewer and more cuts (``--by region``; the
``organisation,region,band`` roll-up; its lattice): reading and counting are the same one pass
whatever the cuts, so only the statistics and the pack grow with the rows published.

Prints a Markdown table for the README's "Measured" section. Other processes on the machine
change the figures; rerun when it is quiet and compare runs made together.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl

EXTRACTS = ("staff", "applications", "survey", "board")
RUN = ("--ethnicity-level", "broad", "-q")
BY = ("--by", "organisation,region,band")
CUT_SETS = {
    "--by region": ("--by", "region"),
    "--by organisation,region,band": BY,
    "--by organisation,region,band --lattice": (*BY, "--lattice"),
}


def _wres() -> str:
    found = shutil.which("wres", path=str(Path(sys.executable).parent))
    if found is None:
        sys.exit("wres is not installed beside this Python; pip install -e . first")
    return found


def synthesise(folder: Path) -> None:
    if all((folder / f"{name}.parquet").exists() for name in EXTRACTS):
        return
    command = [_wres(), "synth", "--trusts", "210", "--years", "2015-2024", "--seed", "1"]
    subprocess.run([*command, "--out", str(folder)], check=True)


def grow(source: Path, target: Path, copies: int, *, new_trusts: bool) -> None:
    """``copies`` copies of each extract: as new trusts, or as more staff of the same trusts."""
    if all((target / f"{name}.parquet").exists() for name in EXTRACTS):
        return
    target.mkdir(parents=True, exist_ok=True)
    for name in EXTRACTS:
        frame = pl.scan_parquet(source / f"{name}.parquet")
        columns = frame.collect_schema().names()
        parts = []
        for k in range(copies):
            suffix = "" if k == 0 else f"~{k + 1}"
            changed = []
            if new_trusts and "organisation" in columns:
                changed.append(pl.col("organisation") + suffix)
            if "staff_id" in columns:
                changed.append(pl.col("staff_id") + suffix)
            parts.append(frame.with_columns(changed) if changed else frame)
        pl.concat(parts).sink_parquet(target / f"{name}.parquet")


def timed_run(data: Path, out: Path, cuts: tuple[str, ...] = BY) -> tuple[float, float]:
    """Wall seconds and peak resident GB of ``wres run`` on ``data``."""
    inputs = [arg for name in EXTRACTS for arg in (f"--{name}", str(data / f"{name}.parquet"))]
    command = ["/usr/bin/time", "-v", _wres(), "run", *inputs, *cuts, *RUN, "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    if wall is None or peak is None:
        sys.exit(f"cannot read /usr/bin/time's report:\n{result.stderr}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    return hours * 3600 + minutes * 60 + seconds, int(peak.group(1)) / 1e6


def rows_of(data: Path) -> int:
    return sum(
        int(pl.scan_parquet(data / f"{name}.parquet").select(pl.len()).collect().item())
        for name in EXTRACTS
    )


def compare_cuts(data: Path, work: Path) -> None:
    print("| cuts | rows published | time | peak memory |")
    print("|---|---|---|---|")
    for name, cuts in CUT_SETS.items():
        out = work / "pack-cuts"
        wall, peak = timed_run(data, out, cuts)
        published = pl.scan_parquet(out / "publish" / "indicators.parquet").select(pl.len())
        rows = int(published.collect().item())
        print(f"| `{name}` | {rows / 1e6:.2f}M | {wall:.1f} s | {peak:.2f} GB |", flush=True)


def slice_of(source: Path, target: Path, trusts: int, year: int) -> None:
    """One year of the first ``trusts`` organisations (by code) of every extract."""
    if all((target / f"{name}.parquet").exists() for name in EXTRACTS):
        return
    target.mkdir(parents=True, exist_ok=True)
    staff = pl.scan_parquet(source / "staff.parquet")
    every = staff.select(pl.col("organisation").unique().sort()).collect()["organisation"]
    codes = every[:trusts].to_list()
    for name in EXTRACTS:
        frame = pl.scan_parquet(source / f"{name}.parquet")
        if "year" in frame.collect_schema().names():
            frame = frame.filter(pl.col("year") == year)
        frame.filter(pl.col("organisation").is_in(codes)).sink_parquet(target / f"{name}.parquet")


def protection_growth(base: Path, work: Path, trusts: list[int]) -> None:
    print("| trusts (2024) | cells | parts | secondary | --jobs 1 | --jobs 2 | s per 1,000 cells |")
    print("|---|---|---|---|---|---|---|")
    for n in trusts:
        data = work / f"trusts-{n}"
        slice_of(base, data, n, 2024)
        times = []
        for jobs in (1, 2):
            wall, _ = timed_run(data, work / f"pack-{n}-{jobs}", (*BY, "--jobs", str(jobs)))
            times.append(wall)
        manifest = json.loads((work / f"pack-{n}-1" / "restricted" / "manifest.json").read_text())
        done = manifest["secondary_protection"]
        cells = int(done["cells"])
        print(
            f"| {n} | {cells:,} | {done['parts']} | {done['withheld_secondary']:,} "
            f"| {times[0]:.0f} s | {times[1]:.0f} s ({times[1] / times[0]:.2f}x) "
            f"| {times[0] / (cells / 1000):.2f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("wres-national"))
    parser.add_argument(
        "--scales", nargs="+", default=["1x", "2x-rows", "4x-rows", "2x-trusts", "4x-trusts"]
    )
    parser.add_argument("--cuts", action="store_true", help="1x with other cut sets")
    parser.add_argument(
        "--protection", action="store_true", help="one year of more and more trusts, 1 and 2 jobs"
    )
    parser.add_argument("--trusts", nargs="+", type=int, default=[20, 40, 80])
    args = parser.parse_args()
    base = args.work / "1x"
    synthesise(base)
    if args.protection:
        protection_growth(base, args.work, args.trusts)
        return
    if args.cuts:
        compare_cuts(base, args.work)
        return
    print("| input | rows | time | peak memory | s per million rows |")
    print("|---|---|---|---|---|")
    first: tuple[float, float] | None = None
    for scale in args.scales:
        data = base
        if scale != "1x":
            copies, kind = int(scale.split("x")[0]), scale.split("-")[1]
            data = args.work / scale
            grow(base, data, copies, new_trusts=kind == "trusts")
        rows = rows_of(data)
        wall, peak = timed_run(data, args.work / f"pack-{scale}")
        first = first or (wall, peak)
        print(
            f"| {scale} | {rows / 1e6:.1f}M | {wall:.1f} s ({wall / first[0]:.2f}x) "
            f"| {peak:.2f} GB ({peak / first[1]:.2f}x) | {wall / (rows / 1e6):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
