"""Meta-tests: every command explains itself, shows an example, and is in the README's tour."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from conftest import REPO
from rolo.core.cli import COMMANDS, cli


def _all_commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    found = []
    for name in sorted(COMMANDS):
        command = cli.get_command(ctx, name)
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", command.commands[sub]) for sub in sorted(command.commands)]
    return found


@pytest.mark.parametrize(("name", "command"), _all_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_with_an_example(name, command):
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert command.help and len(command.help.split("\n")[0]) > 10
    assert "Example:" in command.help, f"rolo {name} help has no example"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name):
    readme = (REPO / "README.md").read_text()
    assert f"rolo {name}" in readme


def test_read_commands_take_json():
    for name in ("show", "list", "search", "label list", "field list", "note list", "birthdays"):
        command = dict(_all_commands())[name]
        assert any("--json" in p.opts for p in command.params), name
