"""Generating a synthetic data set: trust by trust, all years at a time, streamed to disk."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from wres.engine.errors import ConfigError
from wres.engine.schema import YEAR_RANGE
from wres.engine.synth.config import SynthConfig
from wres.engine.synth.ethnic_mix import UNRECOGNISED_VALUES
from wres.engine.synth.organisations import MAX_TRUSTS, Trust, build_trust, trust_rng
from wres.engine.synth.output import EXTRACT_NAMES, TRUTH_FILE, ExtractWriter, OutputFormat
from wres.engine.synth.recruitment import applications_frame
from wres.engine.synth.survey_board import board_frame, survey_frame
from wres.engine.synth.truth import RunFacts, truth_text
from wres.engine.synth.workforce import grow_workforce, staff_frame

# Random streams of a trust (stream 0 draws the trust's traits). Each extract's disability and
# WDES columns have a stream of their own (the extract's + 20), so the other columns are the same
# whether or not they are drawn.
_STAFF, _APPLICATIONS, _SURVEY, _BOARD = 1, 2, 3, 4
_DISABILITY = 20

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")


def parse_years(text: str) -> tuple[int, ...]:
    """``"2024"`` or ``"2015-2024"`` -> the years, inclusive. Raises ConfigError with the fix."""
    match = _YEARS.match(text)
    if match is None:
        msg = f"years {text!r} is not a year or a range of years; write e.g. 2024 or 2015-2024"
        raise ConfigError(msg)
    first = int(match.group(1))
    last = int(match.group(2) or first)
    low, high = YEAR_RANGE
    if not (low <= first <= high and low <= last <= high):
        msg = f"years {text!r} must lie between {low} and {high}"
        raise ConfigError(msg)
    if last < first:
        msg = f"years {text!r} run backwards; write the earlier year first, e.g. {last}-{first}"
        raise ConfigError(msg)
    return tuple(range(first, last + 1))


@dataclass(frozen=True, slots=True)
class TrustData:
    """One trust's extracts (organisation and region added), ready to write."""

    trust: Trust
    frames: dict[str, pl.DataFrame]


def generate_trust(seed: int, index: int, years: tuple[int, ...], config: SynthConfig) -> TrustData:
    """All four extracts of trust ``index`` for ``years``; independent of how many trusts."""
    trust = build_trust(seed, index, config)

    def rng(stream: int) -> np.random.Generator:
        return trust_rng(seed, index, stream)

    workforce = grow_workforce(rng(_STAFF), trust, config, years)
    frames = {
        "staff": staff_frame(rng(_STAFF + 10), trust, config, workforce),
        "applications": applications_frame(
            rng(_APPLICATIONS), trust, config, years, rng(_APPLICATIONS + _DISABILITY)
        ),
        "survey": survey_frame(rng(_SURVEY), trust, config, workforce, rng(_SURVEY + _DISABILITY)),
        "board": board_frame(rng(_BOARD), trust, config, years, rng(_BOARD + _DISABILITY)),
    }
    where = (pl.lit(trust.code).alias("organisation"), pl.lit(trust.region).alias("region"))
    return TrustData(trust, {name: frame.with_columns(where) for name, frame in frames.items()})


@dataclass(frozen=True, slots=True)
class SynthResult:
    """What a run wrote: the extract files, the truth file and the row counts."""

    files: dict[str, Path]
    truth: Path
    rows: dict[str, int]


def _unrecognised(frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    return {
        name: int(frame["ethnicity"].is_in(UNRECOGNISED_VALUES).sum())
        for name, frame in frames.items()
    }


def write_synthetic(
    out_dir: Path,
    *,
    trusts: int = 1,
    years: tuple[int, ...] = tuple(range(2015, 2025)),
    seed: int = 1,
    output_format: OutputFormat = OutputFormat.PARQUET,
    config: SynthConfig | None = None,
    progress: Callable[[TrustData], None] | None = None,
) -> SynthResult:
    """Generate ``trusts`` trusts over ``years`` and write the four extracts and the truth file.

    Deterministic: the same arguments give byte-identical files. ``progress`` is called after
    each trust is written (for messages; it must not keep the frames).
    """
    if not 1 <= trusts <= MAX_TRUSTS:
        msg = f"trusts must be between 1 and {MAX_TRUSTS}, not {trusts}"
        raise ConfigError(msg)
    if not years or list(years) != list(range(years[0], years[-1] + 1)):
        msg = f"years must be consecutive and increasing, not {years}"
        raise ConfigError(msg)
    config = config or SynthConfig()
    built: list[Trust] = []
    unrecognised = dict.fromkeys(EXTRACT_NAMES, 0)
    with ExtractWriter(out_dir, output_format) as writer:
        for index in range(trusts):
            data = generate_trust(seed, index, years, config)
            writer.write(data.frames, csv_boolean=data.trust.style.csv_boolean)
            for name, count in _unrecognised(data.frames).items():
                unrecognised[name] += count
            built.append(data.trust)
            if progress is not None:
                progress(data)
        facts = RunFacts(
            seed=seed,
            years=years,
            output_format=output_format.value,
            trusts=tuple(built),
            rows=dict(writer.rows),
            unrecognised_rows=unrecognised,
        )
        files = writer.commit(truth_text(config, facts))
    return SynthResult(files=files, truth=out_dir / TRUTH_FILE, rows=facts.rows)
