"""Every command has --help text with an example, and no help text is lost."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from bitext.cli import app


def registered_commands(group, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command the app really registers, walking its groups (`models install`).

    `group` is the Click group Typer builds from the app; a group is told
    from a command by having sub-commands.
    """
    found = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        if hasattr(command, "commands"):
            found += registered_commands(command, (*prefix, name))
        else:
            found.append([*prefix, name])
    return found


COMMANDS = registered_commands(typer.main.get_command(app))


def help_text(command: list[str]) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    # Rich draws boxes and wraps: compare words only.
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command) -> None:
    text = help_text(command)
    assert f"Example: bitext {' '.join(command)}" in text, text


def test_the_walk_finds_commands_and_groups() -> None:
    """The walk itself: top-level commands and those inside groups are found."""
    found = {" ".join(c) for c in COMMANDS}
    assert {"translate", "align", "models install", "memory clear"} <= found


def test_defaults_written_in_help_texts_are_shown() -> None:
    """Rich reads `[...]` as markup and drops it: defaults are written in parentheses."""
    text = help_text(["translate"])
    assert "CPU threads (default: all cores)" in text
    assert "(default: $BITEXT_MODELS_DIR or ./models)" in text
