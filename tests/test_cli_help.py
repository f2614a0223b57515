"""Every command has --help text with an example, and no help text is lost."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bitext.cli import app

COMMANDS = [
    ["translate"],
    ["detect"],
    ["align"],
    ["models", "install"],
    ["models", "list"],
    ["models", "available"],
    ["models", "verify"],
    ["models", "remove"],
    ["memory", "info"],
    ["memory", "clear"],
    ["memory", "import"],
    ["memory", "export"],
    ["glossary", "check"],
]


def help_text(command: list[str]) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    # Rich draws boxes and wraps: compare words only.
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command) -> None:
    text = help_text(command)
    assert f"Example: bitext {' '.join(command)}" in text, text


def test_defaults_written_in_help_texts_are_shown() -> None:
    """Rich reads `[...]` as markup and drops it: defaults are written in parentheses."""
    text = help_text(["translate"])
    assert "CPU threads (default: all cores)" in text
    assert "(default: $BITEXT_MODELS_DIR or ./models)" in text
