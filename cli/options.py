"""Options that several commands share, declared once so their names and help stay the same."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer.models import OptionInfo

_FILE = "FILE"


def _file(help_text: str) -> OptionInfo:
    """An option naming one input file: an extract or the ethnicity configuration."""
    option: OptionInfo = typer.Option(metavar=_FILE, help=help_text)
    return option


Staff = Annotated[Path | None, _file("Staff extract: one row per staff member on 31 March.")]
Applications = Annotated[Path | None, _file("Applications extract: one row per application.")]
Survey = Annotated[Path | None, _file("Staff-survey extract: one row per respondent.")]
Board = Annotated[Path | None, _file("Board extract: one row per board member.")]
ColumnMap = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="KEY=SOURCE",
        help="Read column KEY from the file's column SOURCE, in every extract that has KEY "
        "(repeatable), e.g. --map 'year=Reporting Year'.",
    ),
]
EthnicityConfig = Annotated[
    Path | None, _file("Ethnicity hierarchy (TOML, the format of engine/data/ethnicity.toml).")
]
UnrecognisedAtMost = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=100.0,
        metavar="PERCENT",
        help="Stop (exit 3), listing the spellings, when more than this percentage of an "
        "extract's rows used have an ethnicity that is not recognised.",
    ),
]
AcceptUnrecognised = Annotated[
    bool,
    typer.Option(
        "--accept-unrecognised",
        help="Go on whatever the share of unrecognised ethnicity values, counting them as "
        "Unknown (unrecognised), apart from not stated.",
    ),
]
Policy = Annotated[
    str,
    typer.Option(
        metavar="NAME|FILE",
        help="Disclosure policy: a shipped profile (wres-default, nhs-digital, ons-10-5, "
        "staff-survey) or a TOML file.",
    ),
]
OrganisationName = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="The organisation's name in the titles of the workbook and the report "
        "(default: the organisation code, when the data hold one).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into a folder that is not empty and not wres's own earlier output; wres "
        "replaces only files it wrote and leaves every other.",
    ),
]


class EngineChoice(StrEnum):
    """Where records are counted."""

    LOCAL = "local"
    SPARK = "spark"


Engine = Annotated[
    EngineChoice,
    typer.Option(
        help="Where records are counted and the protection's parts run: local (this machine) "
        'or spark (Apache Spark: pip install "wres[spark]"; the session of spark-submit, or '
        "local mode on every core).",
    ),
]

Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        min=1,
        metavar="N",
        help="Processes protecting the run's independent parts at once (engine local); "
        "the output is the same for any N.  [default: the machine's cores]",
        show_default=False,
    ),
]

# --- count tables (wres protect, wres audit) ----------------------------------------------------

Hierarchy = Annotated[
    list[str] | None,
    typer.Option(
        metavar="DIMENSION=FILE",
        help="Nested groupings of a dimension: a child,parent CSV whose top parent is the "
        "total label (repeatable).",
    ),
]
TotalLabel = Annotated[str, typer.Option(metavar="LABEL", help="The label of total rows.")]
Dimensions = Annotated[
    str | None,
    typer.Option(
        metavar="COLUMN[,COLUMN...]",
        help="The dimension columns (default: every column but the counts and 'status').",
    ),
]


def given_extracts(
    staff: Path | None, applications: Path | None, survey: Path | None, board: Path | None
) -> dict[str, Path]:
    """The extracts given on the command line, by name, in the order of docs/inputs.md."""
    named = {"staff": staff, "applications": applications, "survey": survey, "board": board}
    return {name: path for name, path in named.items() if path is not None}


def organisation_name(value: str | None) -> str | None:
    """``--organisation-name`` as given, spaces around it removed; None when blank."""
    return (value or "").strip() or None
