"""Where messages go: data on stdout, messages and progress on stderr, colour only on a terminal."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from cli.exit_codes import ExitCode
from engine.errors import BadInputError, ConfigError, InternalError

P = ParamSpec("P")
R = TypeVar("R")


def _colour_allowed(stream: object) -> bool:
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def stderr() -> Console:
    """A console on stderr for messages; plain text unless stderr is a terminal."""
    colour = _colour_allowed(sys.stderr)
    # soft_wrap: a message naming file, row and column must stay on one line when piped.
    return Console(
        file=sys.stderr,
        no_color=not colour,
        highlight=False,
        force_terminal=colour or None,
        soft_wrap=True,
    )


def stdout() -> Console:
    """A console on stdout for data (tables, summaries)."""
    colour = _colour_allowed(sys.stdout)
    return Console(file=sys.stdout, no_color=not colour, highlight=False, soft_wrap=True)


def fail(message: str, code: ExitCode) -> typer.Exit:
    """Print ``message`` on stderr and return the Exit to raise."""
    stderr().print(f"error: {message}", markup=False)
    return typer.Exit(int(code))


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except BadInputError as err:
        raise fail(err.render(), ExitCode.BAD_INPUT) from None
    except ConfigError as err:
        raise fail(str(err), ExitCode.USAGE_OR_CONFIG) from None
    except InternalError as err:
        raise fail(
            f"internal error (a bug in wres, please report it): {err}", ExitCode.INTERNAL
        ) from None
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except Exception as err:
        if os.environ.get("WRES_DEBUG"):
            raise
        # Only the error's type and where it arose: its message and a traceback's local
        # variables could quote staff records.
        raise fail(
            f"internal error (a bug in wres, please report it): {type(err).__name__} "
            f"at {_where(err)}; rerun with WRES_DEBUG=1 for the traceback",
            ExitCode.INTERNAL,
        ) from None


def _where(err: BaseException) -> str:
    """The innermost frame of wres's own code in the error's traceback: module:line."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if any(f"{os.sep}{p}{os.sep}" in f.filename for p in _PACKAGES)]
    if not (ours or frames):
        return "an unknown place"
    frame = (ours or frames)[-1]
    return f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno}"


_PACKAGES = ("engine", "rules", "cli")


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn wres's own error types into a message on stderr and the documented exit code.

    Tracebacks are never shown for these: they would carry local variables holding staff data.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _mapped_errors():
            return func(*args, **kwargs)

    return wrapper
