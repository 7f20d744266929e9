"""The ``wres`` command: one typer app, one module per subcommand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wres.cli import audit, demo, protect, run, synth, validate
from wres.cli.config import DEFAULT_FILE, read_settings
from wres.cli.console import JsonErrorsCommand, JsonErrorsGroup, handles_errors, stderr
from wres.engine import __version__

app = typer.Typer(
    name="wres",
    cls=JsonErrorsGroup,
    help=(
        "Privacy-preserving statistics for the NHS Workforce Race Equality Standard.\n\n"
        "Example: wres demo --out ./wres-demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    # Staff data live in local variables; a traceback must never print them.
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    # -h as well as --help, on every command (subcommands inherit the group's settings)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    """The ``--version`` callback: the installed package's version, then exit."""
    if value:
        print(f"wres {__version__}")
        raise typer.Exit(0)


@app.callback()
@handles_errors
def settings_file(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Settings file (TOML) with a table per command, e.g. [run]; "
            "./wres.toml is read when present. Command-line options override it.",
        ),
    ] = None,
    version: Annotated[  # handled by its callback, before any command runs
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version of wres and exit.",
        ),
    ] = False,
) -> None:
    """Read the settings file and make its values the commands' defaults."""
    path = config if config is not None else (DEFAULT_FILE if DEFAULT_FILE.is_file() else None)
    if path is None or not isinstance(ctx.command, typer.core.TyperGroup):
        return
    commands = {
        name: [(p.name or "", list(p.opts)) for p in command.params]
        for name, command in ctx.command.commands.items()
    }
    ctx.default_map = read_settings(path, commands)
    stderr().print(f"settings from {path}", markup=False)


app.command("demo")(demo.demo)
app.command("synth")(synth.synth)
# the commands with --json: their usage errors are JSON on stdout too
app.command("validate", cls=JsonErrorsCommand)(validate.validate)
app.command("run", cls=JsonErrorsCommand)(run.run_command)
app.command("protect", cls=JsonErrorsCommand)(protect.protect_command)
app.command("audit", cls=JsonErrorsCommand)(audit.audit_command)


def main() -> None:
    """Console-script entry point."""
    app()
