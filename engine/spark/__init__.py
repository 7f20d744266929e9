"""The count stage on Apache Spark (``wres run --engine spark``; docs/spark.md).

Counting is additive: every partition of an extract is checked and counted where it lives, like
a chunk of the local engine (the same checks, the same dictionaries, the same numba kernel), and
the partial cubes are added up on the driver. The cube is the one the local engine counts, so
everything after it (statistics, disclosure control, the pack) is the same code and the same
output. Needs the optional extra: ``pip install "wres[spark]"`` (PySpark, PyArrow) and Java.

From a notebook on a running cluster, either count DataFrames::

    counts, missing, reports = count_dataframes({"staff": spark.table("esr.staff")}, by=["band"])

or run the whole pipeline on them with
``run(RunRequest(..., engine="spark", frames={"staff": df, ...}))``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from wres.engine.errors import ConfigError
from wres.engine.ethnicity import EthnicityScheme, default_scheme
from wres.engine.progress import Progress
from wres.engine.readers import chunk_rows_setting
from wres.engine.spark.session import SPARK_EXTRA, require_pyspark, spark_session
from wres.engine.standards import Standard, load_standard

if TYPE_CHECKING:
    from wres.engine.spark.driver import Counted, SparkSource


class CountRequest(Protocol):
    """What the count stage on Spark reads of a run's request (``wres.cli.request.RunRequest``
    has it all; the engine does not import the layer that orchestrates it)."""

    @property
    def standard(self) -> Standard: ...
    @property
    def scheme(self) -> EthnicityScheme: ...
    @property
    def extracts(self) -> Mapping[str, Path]: ...
    @property
    def mapping(self) -> Mapping[str, str]: ...
    @property
    def chunk_rows(self) -> int | None: ...
    @property
    def frames(self) -> Mapping[str, Any]: ...
    @property
    def reading_progress(self) -> Progress | None: ...


__all__ = ["SPARK_EXTRA", "count_dataframes", "count_request", "sources_of", "spark_session"]


def sources_of(request: CountRequest) -> dict[str, SparkSource]:
    """The extracts of a run as Spark reads them: its files, and the DataFrames it was given."""
    require_pyspark()
    from wres.engine.spark.driver import open_file, open_frame  # noqa: PLC0415  # needs pyspark

    twice = sorted(set(request.extracts) & set(request.frames))
    if twice:
        msg = f"the {', '.join(twice)} extract is given both as a file and as a DataFrame"
        raise ConfigError(msg)
    sources = {}
    if request.extracts:
        session = spark_session()
        sources = {
            name: open_file(session, path, name, request.mapping)
            for name, path in request.extracts.items()
        }
    for name, frame in request.frames.items():
        sources[name] = open_frame(frame, name, request.mapping)
    return sources


def count_request(
    request: CountRequest, sources: Mapping[str, SparkSource], dims: Sequence[str]
) -> Counted:
    """The count stage of a run on Spark (what :mod:`wres.cli.pipeline` calls)."""
    from wres.engine.spark.driver import count_sources  # noqa: PLC0415  # needs pyspark

    return count_sources(
        sources,
        request.standard,
        dims,
        scheme=request.scheme,
        chunk_rows=chunk_rows_setting(request.chunk_rows),
        progress=request.reading_progress,
    )


def count_dataframes(
    frames: Mapping[str, Any],
    by: Sequence[str] = (),
    *,
    standard: Standard | str = "wres",
    scheme: EthnicityScheme | None = None,
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int | None = None,
) -> Counted:
    """Count Spark DataFrames (by extract name: staff, applications, survey, board) into the
    cubes of a run cut by the columns ``by``: the blocks of each indicator, what cannot be
    computed, and each extract's reconciliation, as the local engine counts files.

    Raises BadInputError with the problems of an extract, ConfigError for a bad name or mapping.
    """
    require_pyspark()
    from wres.engine.spark.driver import count_sources, open_frame  # noqa: PLC0415  # needs pyspark

    chosen = load_standard(standard) if isinstance(standard, str) else standard
    sources = {name: open_frame(frame, name, mapping or {}) for name, frame in frames.items()}
    return count_sources(
        sources,
        chosen,
        list(by),
        scheme=scheme or default_scheme(),
        chunk_rows=chunk_rows_setting(chunk_rows),
    )
