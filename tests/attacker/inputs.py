"""Packs to attack: small synthetic trusts, run from their records or from a counts file made
here from the same records (plain polars), each beside the same run with nothing withheld
(the true counts, for the judge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from wres.cli.app import app
from wres.engine.ethnicity import default_scheme
from wres.engine.measures import Bound, Split
from wres.engine.standards import Standard
from wres.engine.synth import write_synthetic
from wres.engine.synth.config import SynthConfig
from wres.rules.run_counts import CountSource, SourceKey

EXTRACTS = ("staff", "applications", "survey", "board")
#: Nothing withheld: the true counts of a pack.
OFF = "[primary]\nsuppress_if_count_at_most = 0\n"


def synthetic(folder: Path, *, trusts: int, years: Sequence[int], seed: int) -> Path:
    """Small trusts (a few hundred staff each), so that a pack is quick to run and attack."""
    config = SynthConfig(trust_size_median=700.0, trust_size_min=300, trust_size_max=1_400)
    write_synthetic(folder, trusts=trusts, years=tuple(years), seed=seed, config=config)
    return folder


def counts_file(data: Path, out: Path) -> Path:
    """The records of ``data`` counted into a counts file (indicators 1-9 of the WRES), by
    year, site, staff group, band and ethnic category, with plain polars."""
    scheme = default_scheme()

    def read(name: str) -> pl.DataFrame:
        frame = pl.read_parquet(data / f"{name}.parquet")
        ethnic = scheme.classify_series(frame["ethnicity"].cast(pl.String))
        return frame.with_columns(
            ethnicity=pl.coalesce(ethnic["ethnic_category"], pl.lit("Unknown"))
        )

    staff = read("staff").filter(~pl.col("bank").fill_null(value=False))
    keys = ["year", "site", "staff_group", "band", "ethnicity"]
    by_key = staff.group_by(keys).agg(
        n=pl.len(), disciplinary=pl.col("disciplinary").sum(), training=pl.col("training").sum()
    )
    total = pl.col("n").sum().over(keys[:-1])
    parts = [
        by_key.select(*keys, indicator=pl.lit(1), numerator="n", denominator=total),
        by_key.select(*keys, indicator=pl.lit(3), numerator="disciplinary", denominator="n"),
        by_key.select(*keys, indicator=pl.lit(4), numerator="training", denominator="n"),
    ]
    apps = read("applications").filter(pl.col("shortlisted"))
    app_keys = [k for k in keys if k in apps.columns]
    parts.append(
        apps.group_by(app_keys).agg(
            indicator=pl.lit(2), numerator=pl.col("appointed").sum(), denominator=pl.len()
        )
    )
    survey = read("survey")
    survey_keys = [k for k in keys if k in survey.columns]
    for q, ind in (("q5", 5), ("q6", 6), ("q7", 7), ("q8", 8)):
        parts.append(
            survey.filter(pl.col(q).is_not_null())
            .group_by(survey_keys)
            .agg(indicator=pl.lit(ind), numerator=pl.col(q).sum(), denominator=pl.len())
        )
    board = read("board")
    for membership, member in (
        ("voting", pl.col("voting")),
        ("executive", pl.col("executive")),
        ("non-executive", ~pl.col("executive")),
    ):
        members = board.filter(member).group_by("year", "ethnicity").agg(numerator=pl.len())
        parts.append(
            members.with_columns(
                indicator=pl.lit(9),
                board=pl.lit(membership),
                denominator=pl.col("numerator").sum().over("year"),
            )
        )
    workforce = staff.group_by("year", "ethnicity").agg(numerator=pl.len())
    parts.append(
        workforce.with_columns(
            indicator=pl.lit(9),
            board=pl.lit("workforce"),
            denominator=pl.col("numerator").sum().over("year"),
        )
    )
    table = pl.concat(
        [p.with_columns(pl.col("numerator", "denominator").cast(pl.Int64)) for p in parts],
        how="diagonal_relaxed",
    )
    columns = ["indicator", "year", "site", "staff_group", "band", "board", "ethnicity"]
    table.select(*columns, "numerator", "denominator").sort(columns, nulls_last=True).write_csv(out)
    return out


def run_pack(
    inputs: Sequence[str], out: Path, *, by: Sequence[str], policy: str, extra: Sequence[str] = ()
) -> Path:
    """``wres run`` of ``inputs`` under ``policy`` into ``out``."""
    args = ["run", *inputs, "--policy", policy, *extra, "--out", str(out), "-q"]
    for column in by:
        args += ["--by", column]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def run_pair(
    inputs: Sequence[str], out: Path, *, by: Sequence[str], policy: str, extra: Sequence[str] = ()
) -> tuple[Path, Path]:
    """``wres run`` of ``inputs`` protected under ``policy``, and with nothing withheld."""
    off = out / "off.toml"
    out.mkdir(parents=True, exist_ok=True)
    off.write_text(OFF, encoding="utf-8")
    pack = run_pack(inputs, out / "pack", by=by, policy=policy, extra=extra)
    return pack, run_pack(inputs, out / "truth", by=by, policy=str(off), extra=extra)


def record_inputs(data: Path) -> list[str]:
    return [a for name in EXTRACTS for a in (f"--{name}", str(data / f"{name}.parquet"))]


def unlinked(
    standard: Standard, sources: Mapping[SourceKey, CountSource]
) -> tuple[list[Split], list[Bound]]:
    """The measures as the protection knew them before they were linked (in place of
    ``wres.rules.disclosure.declarations``): each ratio's events among its own people at risk, and
    nothing across figures (indicator 2 without international recruits apart from the standard
    figure, a board's memberships apart, no survey routing)."""
    del standard
    return [
        Split(
            i,
            {s.at_risk: frozenset({f"{i}{v}:e", f"{i}{v}:n"}), s.events: frozenset({f"{i}{v}:e"})},
            ((s.at_risk, s.events),),
        )
        for (i, v, _), s in sources.items()
        if s.span == 1 and s.kind == "ratio"
    ], []
