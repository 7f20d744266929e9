"""Every command says what it does and shows an example (as sqlite-utils checks its own CLI)."""

from importlib.metadata import version

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from wres.cli.app import app

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


#: The options SPEC section 10 names, by the command that takes each (scripts call them by
#: name). `--jobs` is not there yet (issue 21).
SPEC_OPTIONS = {
    "demo": {"--out", "--force", "--years", "--seed"},
    "synth": {"--out", "--force", "--trusts", "--years", "--seed", "--format"},
    "validate": {"--staff", "--applications", "--survey", "--board", "--json"},
    "run": {
        "--out", "--force", "--counts", "--staff", "--applications", "--survey", "--board",
        "--by", "--lattice", "--roll-up", "--ethnicity-level", "--policy", "--ci-method",
        "--test", "--level", "--standard", "--json", "--engine",
    },
    "protect": {"--out", "--count-column", "--hierarchy", "--policy", "--json"},
    "audit": {"--count-column", "--hierarchy", "--policy", "--json"},
}  # fmt: skip


def test_the_commands_are_those_of_the_spec() -> None:
    assert set(COMMANDS) == set(SPEC_OPTIONS)


@pytest.mark.parametrize("name", sorted(SPEC_OPTIONS))
def test_each_command_takes_the_options_the_spec_names(name: str) -> None:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    assert SPEC_OPTIONS[name] - options == set()


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
    # an example of this command itself, as a user would type it
    assert f"Example: wres {name} " in " ".join(result.output.split()), name
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
