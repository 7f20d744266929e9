"""Where messages go: data on stdout, messages and progress on stderr, colour only on a terminal.

A command run with ``--json`` also reports an error as a JSON object on stdout, so that a script
reading stdout always gets a document: ``{"error": ..., "exit_code": ...}``, and for bad input
the ``problems`` (file, row, column, message), with the usual exit code.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
import typer.core
from rich.console import Console

from wres.cli.exit_codes import ExitCode
from wres.engine.errors import BadInputError, ConfigError, InternalError, Problem

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


#: Whether the command running was given --json: its errors then go to stdout as JSON too.
_json_errors: ContextVar[bool] = ContextVar("json_errors", default=False)


def print_error_json(message: str, code: int, problems: Sequence[Problem] = ()) -> None:
    """The error of a ``--json`` command as one JSON object on stdout."""
    document: dict[str, Any] = {"error": message, "exit_code": int(code)}
    if problems:
        document["problems"] = [
            {"file": str(p.file), "row": p.row, "column": p.column, "message": p.message}
            for p in problems
        ]
    # print, not rich: rich would wrap long lines and break the JSON.
    print(json.dumps(document, indent=2))


def fail(
    message: str,
    code: ExitCode,
    *,
    problems: Sequence[Problem] = (),
    as_json: bool | None = None,
) -> typer.Exit:
    """Print ``message`` on stderr and return the Exit to raise.

    Under ``--json`` (or ``as_json=True``) the error is also a JSON object on stdout; a command
    that already printed its own JSON report of the problem passes ``as_json=False``.
    """
    stderr().print(f"error: {message}", markup=False)
    if _json_errors.get() if as_json is None else as_json:
        print_error_json(message, code, problems)
    return typer.Exit(int(code))


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except BadInputError as err:
        raise fail(err.render(), ExitCode.BAD_INPUT, problems=err.problems) from None
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
        token = _json_errors.set(_wants_json(kwargs))
        try:
            with _mapped_errors():
                return func(*args, **kwargs)
        finally:
            _json_errors.reset(token)

    return wrapper


def _wants_json(kwargs: Mapping[str, object]) -> bool:
    """The command's --json, or, for the top-level callback (which reads the settings file
    before the command's options are parsed), --json among the command's arguments."""
    meta = getattr(kwargs.get("ctx"), "meta", None)  # click's Context: typer's is a subclass
    return bool(kwargs.get("as_json", False)) or (
        isinstance(meta, dict) and bool(meta.get(_JSON_IN_ARGS))
    )


#: In the shared ``ctx.meta``: whether ``--json`` is among the arguments of the command line.
_JSON_IN_ARGS = "wres.json_in_args"


class JsonErrorsGroup(typer.core.TyperGroup):
    """The ``wres`` group: notes whether the command's arguments hold ``--json``, so that an
    error in the settings file, read before the command runs, is JSON on stdout too."""

    # click's own signature; its Context type is not public in typer
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # noqa: ANN401
        ctx.meta[_JSON_IN_ARGS] = "--json" in args
        return super().parse_args(ctx, args)


class JsonErrorsCommand(typer.core.TyperCommand):
    """A command whose usage errors (an unknown option, a bad value) are JSON on stdout too
    when ``--json`` is among its arguments; they arise before the command itself runs."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,  # noqa: ANN401
        **extra: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        as_json = "--json" in args  # before parsing, which consumes the list
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except typer.TyperException as err:  # click's usage errors derive from it
            if as_json:
                print_error_json(err.format_message(), err.exit_code)
            raise
