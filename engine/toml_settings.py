"""Reading a TOML settings text whose top-level names are a closed list.

The ethnicity configuration, a disclosure policy and ``wres.toml`` all start the same way: the
text must be TOML, and a top-level name outside the valid ones is an error that lists them, so a
typo never silently falls back to a default. Each caller names its own error type and what its
top-level names are called (keys, sections, tables).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from typing import Any

from wres.engine.errors import ConfigError


def read_toml_settings(
    text: str,
    source: str,
    *,
    valid: Sequence[str],
    called: str,
    error: type[ConfigError] = ConfigError,
) -> dict[str, Any]:
    """The parsed ``text``, whose top-level names must be among ``valid``.

    ``source`` names the text in messages; ``called`` is what a top-level name is called
    ("key", "section", "table"); ``valid`` is listed in its order in the message.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"{source}: not valid TOML ({err})"
        raise error(msg) from None
    unknown = sorted(set(data) - set(valid))
    if unknown:
        msg = f"{source}: unknown {called}(s) {unknown}; valid {called}s are {list(valid)}"
        raise error(msg)
    return data
