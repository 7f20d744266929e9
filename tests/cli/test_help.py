"""Every command says what it does and shows an example (as sqlite-utils checks its own CLI)."""

from importlib.metadata import version

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from wres.cli.app import app

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_commands_of_the_spec_that_exist_so_far_are_registered() -> None:
    assert {"demo", "synth", "validate"} <= set(COMMANDS)


def test_top_level_help_lists_commands_and_an_example() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`wres {name} --help` shows no example"
    assert "placeholder" not in result.output.lower()


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wres {version('wres')}\n"


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_h_is_help_too(name: str | None) -> None:
    args = ["-h"] if name is None else [name, "-h"]
    short = CliRunner().invoke(app, args)
    assert short.exit_code == 0, short.output
    assert short.stdout == CliRunner().invoke(app, [*args[:-1], "--help"]).stdout
