"""The ``wres`` command: one typer app, one module per subcommand."""

from __future__ import annotations

import typer

from cli import demo, run, synth, validate

app = typer.Typer(
    name="wres",
    help=(
        "Privacy-preserving statistics for the NHS Workforce Race Equality Standard.\n\n"
        "Example: wres demo --out ./wres-demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    # Staff data live in local variables; a traceback must never print them.
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

app.command("demo")(demo.demo)
app.command("synth")(synth.synth)
app.command("validate")(validate.validate)
app.command("run")(run.run_command)


def main() -> None:
    """Console-script entry point."""
    app()
