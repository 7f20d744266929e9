"""Settings files: ``wres.toml`` holds any option of ``wres run`` (and the other commands).

A ``[run]`` table sets the defaults of ``wres run``; an option given on the command line
overrides it. Keys are the option names (``ethnicity-level`` or ``ethnicity_level``);
repeatable options take lists; relative paths are relative to the working folder, as on the
command line. Unknown tables or keys are errors that list the valid ones, so a typo never
silently falls back to a default.

    [run]
    staff = "extracts/staff.parquet"
    by = ["site", "band,staff_group"]
    ethnicity-level = "broad"
    policy = "nhs-digital"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wres.engine.errors import ConfigError
from wres.engine.toml_settings import read_toml_settings

#: The file read from the working folder when no ``--config`` is given.
DEFAULT_FILE = Path("wres.toml")


def read_settings(path: Path, commands: dict[str, list[tuple[str, list[str]]]]) -> dict[str, Any]:
    """The default map of a settings file: {command: {parameter: value}}.

    ``commands`` gives, per command, its parameters as (name, option spellings).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        msg = f"{path}: cannot read the settings file ({err.strerror})"
        raise ConfigError(msg) from None
    data = read_toml_settings(text, str(path), valid=sorted(commands), called="table")
    out: dict[str, Any] = {}
    for command, table in data.items():
        if not isinstance(table, dict):
            msg = f"{path}: [{command}] must be a table of options"
            raise ConfigError(msg)
        spellings = {
            spelling: name
            for name, opts in commands[command]
            for spelling in (name, name.replace("_", "-"), *(o.lstrip("-") for o in opts))
        }
        settings: dict[str, Any] = {}
        for key, value in table.items():
            if key not in spellings:
                valid = sorted(_spelling(name, opts) for name, opts in commands[command])
                msg = f"{path}: [{command}] has no option {key!r}; valid options are {valid}"
                raise ConfigError(msg)
            settings[spellings[key]] = value
        out[command] = settings
    return out


def _spelling(name: str, opts: list[str]) -> str:
    """How an option is written in a settings file: its long option without dashes."""
    longs = [o for o in opts if o.startswith("--")]
    return longs[0].lstrip("-") if longs else name.replace("_", "-")
