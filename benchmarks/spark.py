"""The count stage of the national data on both engines, side by side: time and memory.

    python benchmarks/spark.py --work /tmp/wres-national                 # the whole 1x data
    python benchmarks/spark.py --work /tmp/wres-national --fraction 0.25 # a quarter of it
    python benchmarks/spark.py --work /tmp/wres-national --whole         # and the whole run

Synthesises the national ten years (``wres synth --trusts 210 --years 2015-2024``, as
benchmarks/national.py does) and counts the four extracts by organisation, region and band (the
cube of ``benchmarks/national.py``'s run) in a fresh process per engine:

- local: :func:`wres.engine.counts.count_records` over the Parquet files;
- spark: Spark in local mode on every core (``local[*]``, as ``wres run --engine spark`` starts
  it), timing the session's start, a first count (Python workers started, imports, numba's
  cached kernels loaded) and a second count in the same session (what a notebook on a running
  cluster pays).

Each process's tree is sampled every 0.1 s for resident memory: the local process; for Spark
the driver's Python, the JVM (driver and, in local mode, the executor) and each Python worker
(one per task slot: the memory one executor core needs beside the JVM). Both engines' cubes are
compared cell for cell. With ``--whole``, ``wres run`` is also timed on both engines and
``publish/indicators.csv`` compared byte for byte.

Prints a Markdown table for docs/spark.md. Other processes on the machine change the figures;
rerun when it is quiet and compare runs made together.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from national import EXTRACTS, synthesise, timed_run

DIMS = ["organisation", "region", "band"]


# --- memory of a process tree, from /proc -------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _status(pid: int) -> tuple[str, int] | None:
    """(what the process is, resident kB)."""
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmRSS:"), 0)
    text = command.decode(errors="replace")
    kind = "jvm" if "java" in text.split(" ")[0] else "python worker" if "pyspark" in text else ""
    return kind or "driver", rss


class Sampler(threading.Thread):
    """Peak resident memory of each process under ``root``, sampled every 0.1 s."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peaks: dict[int, tuple[str, int]] = {}
        self.total = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree, pending, total = _children(), [self.root], 0
            while pending:
                pid = pending.pop()
                pending.extend(tree.get(pid, []))
                found = _status(pid)
                if found is None:
                    continue
                kind, rss = found
                total += rss
                if rss > self.peaks.get(pid, ("", 0))[1]:
                    self.peaks[pid] = (kind, rss)
            self.total = max(self.total, total)
            time.sleep(0.1)

    def peak(self, kind: str) -> float:
        """The largest single process of this kind, GB."""
        return max((rss for k, rss in self.peaks.values() if k == kind), default=0) / 1e6


# --- the measured processes ---------------------------------------------------------------------


def _cube_digest(counts) -> str:
    """The cubes' cells in label order, hashed: equal for equal cubes however numbered."""
    import hashlib  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    digest = hashlib.sha256()
    for indicator, blocks in sorted(counts.items()):
        for block in blocks:
            cube = block.cube
            cells = cube.counts
            for axis, labels in enumerate(cube.labels):
                order = sorted(
                    range(len(labels)), key=lambda i: (labels[i] is None, str(labels[i]))
                )
                cells = np.take(cells, order, axis=axis)
                digest.update(repr([labels[i] for i in order]).encode())
            digest.update(f"{indicator}{block.variant}{block.board}".encode())
            digest.update(np.ascontiguousarray(cells).tobytes())
    return digest.hexdigest()


def child(engine: str, data: Path) -> None:
    """Count ``data`` on ``engine``; print the phases' seconds and the cubes' digest as JSON."""
    from wres.engine.standards import load_standard  # noqa: PLC0415

    files = {name: data / f"{name}.parquet" for name in EXTRACTS}
    standard = load_standard("wres")
    timings: dict[str, float | str] = {}
    if engine == "local":
        from wres.engine.counts import count_records  # noqa: PLC0415
        from wres.engine.readers import ExtractReader  # noqa: PLC0415

        start = time.perf_counter()
        readers = {name: ExtractReader(path, name) for name, path in files.items()}
        counts, _ = count_records(readers, standard, DIMS)
        timings["count"] = time.perf_counter() - start
    else:
        from wres.cli.request import RunRequest  # noqa: PLC0415
        from wres.engine.ethnicity import default_scheme  # noqa: PLC0415
        from wres.engine.spark import count_request, sources_of, spark_session  # noqa: PLC0415
        from wres.rules.policy import load_policy  # noqa: PLC0415

        start = time.perf_counter()
        session = spark_session()
        timings["session"] = time.perf_counter() - start
        timings["cores"] = str(session.sparkContext.defaultParallelism)
        request = RunRequest(
            standard=standard,
            scheme=default_scheme(),
            policy=load_policy("wres-default"),
            extracts=files,
            engine="spark",
        )
        for phase in ("first count", "second count"):
            start = time.perf_counter()
            counts, _, _ = count_request(request, sources_of(request), DIMS)
            timings[phase] = time.perf_counter() - start
        timings["partitions"] = str(
            {
                name: source.frame.rdd.getNumPartitions()
                for name, source in sources_of(request).items()
            }
        )
    timings["digest"] = _cube_digest(counts)
    print(json.dumps(timings), flush=True)


def measure(engine: str, data: Path) -> tuple[dict[str, float | str], Sampler]:
    command = [sys.executable, __file__, "--child", engine, str(data)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    out, _ = process.communicate()
    sampler.done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"the {engine} count failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1]), sampler


def fraction_of(base: Path, work: Path, fraction: float) -> Path:
    """The first ``fraction`` of the trusts (whole trusts, so cells stay realistic)."""
    if fraction >= 1:
        return base
    target = work / f"fraction-{fraction:g}"
    if all((target / f"{name}.parquet").exists() for name in EXTRACTS):
        return target
    target.mkdir(parents=True, exist_ok=True)
    staff = pl.scan_parquet(base / "staff.parquet")
    trusts = staff.select(pl.col("organisation").unique(maintain_order=True)).collect()
    kept = trusts["organisation"].head(round(trusts.height * fraction)).implode()
    for name in EXTRACTS:
        frame = pl.scan_parquet(base / f"{name}.parquet")
        frame.filter(pl.col("organisation").is_in(kept)).sink_parquet(target / f"{name}.parquet")
    return target


def rows_of(data: Path) -> int:
    return sum(
        int(pl.scan_parquet(data / f"{name}.parquet").select(pl.len()).collect().item())
        for name in EXTRACTS
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("wres-national"))
    parser.add_argument("--fraction", type=float, default=1.0, help="of the trusts, 0-1")
    parser.add_argument("--whole", action="store_true", help="also time wres run on both")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    base = args.work / "1x"
    synthesise(base)
    data = fraction_of(base, args.work, args.fraction)
    rows = rows_of(data)
    local, local_memory = measure("local", data)
    spark, spark_memory = measure("spark", data)
    if local["digest"] != spark["digest"]:
        sys.exit("the engines' cubes differ: a bug in wres")
    first, second = float(spark["first count"]), float(spark["second count"])
    count = float(local["count"])
    print(
        f"{rows / 1e6:.1f}M records ({args.fraction:g} of the national data), cut by "
        f"{','.join(DIMS)}; Spark local[{spark['cores']}], partitions {spark['partitions']}; "
        "the cubes are identical\n"
    )
    print("| engine | count stage | peak memory |")
    print("|---|---|---|")
    print(f"| local | {count:.1f} s | {local_memory.peak('driver'):.2f} GB |")
    print(
        f"| spark, first count in a new session | {first:.1f} s ({first / count:.1f}x), "
        f"+ {float(spark['session']):.1f} s to start the session | driver Python "
        f"{spark_memory.peak('driver'):.2f} GB, JVM {spark_memory.peak('jvm'):.2f} GB, each "
        f"Python worker (one per core) up to {spark_memory.peak('python worker'):.2f} GB; "
        f"all together {spark_memory.total / 1e6:.2f} GB |"
    )
    print(
        f"| spark, second count in the same session | {second:.1f} s ({second / count:.1f}x) | "
        "(as above) |"
    )
    if args.whole:
        inputs = {name: data / f"{name}.parquet" for name in EXTRACTS}
        print("\n| `wres run` | time | peak memory |\n|---|---|---|")
        packs = {}
        for engine in ("local", "spark"):
            out = args.work / f"pack-{engine}"
            wall, peak = timed_run(data, out, ("--by", ",".join(DIMS), "--engine", engine))
            packs[engine] = (out / "publish" / "indicators.csv").read_bytes()
            print(f"| --engine {engine} | {wall:.1f} s | {peak:.2f} GB (the largest process) |")
        same = packs["local"] == packs["spark"]
        print(f"\npublish/indicators.csv byte-identical: {same}; inputs {sorted(inputs)}")


if __name__ == "__main__":
    main()
