"""MkDocs hooks: the command pages show the real `--help`, and list themselves.

Written into the pages at build time, so the manual cannot drift from the
code: a line `<!-- bitext-help: models install -->` in any page becomes the
`--help` text of `bitext models install`, taken from the Typer app itself
(plain Click formatting, 100 columns). A marker naming no command fails the
build.

The nav entry `commands/*.md` in mkdocs.yml becomes every page of
`docs/commands/` (index.md first, the rest by file name), so a new command's
page is one new file. `tests/test_docs.py` checks that every command the CLI
registers has a page and builds the site with `--strict`.
"""

from __future__ import annotations

import re
from pathlib import Path

#: `<!-- bitext-help: memory import -->`, alone on its line.
#: `<!-- bitext-help: -->` is the help of `bitext` itself.
MARKER = re.compile(r"^<!--\s*bitext-help:\s*([a-z -]*?)\s*-->[ \t]*$", re.MULTILINE)
#: The nav value expanded into the command pages.
COMMANDS_GLOB = "commands/*.md"
WIDTH = 100


def help_text(words: list[str]) -> str:
    """`bitext WORDS --help` as Click prints it without Rich's boxes."""
    import click
    import typer

    from bitext.cli import app

    command: click.Command = typer.main.get_command(app)
    context = click.Context(command, info_name="bitext", terminal_width=WIDTH)
    context.max_content_width = WIDTH
    for word in words:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            raise KeyError(f"no command 'bitext {' '.join(words)}'")
        command = sub
        context = click.Context(command, info_name=word, parent=context, terminal_width=WIDTH)
        context.max_content_width = WIDTH
    command.rich_markup_mode = None  # this object is built for this call only
    return command.get_help(context)


def expand_markers(markdown: str) -> str:
    """Every help marker replaced by the command's help, in a text block."""

    def block(match: re.Match) -> str:
        words = match.group(1).split()
        text = help_text(words)
        return f"```text\n$ {' '.join(['bitext', *words, '--help'])}\n{text}\n```"

    return MARKER.sub(block, markdown)


def command_pages(docs_dir: Path) -> list[str]:
    """The pages of `docs/commands/`, relative to `docs_dir`: index first."""
    pages = sorted(p.relative_to(docs_dir).as_posix() for p in docs_dir.glob(COMMANDS_GLOB))
    return sorted(pages, key=lambda p: (not p.endswith("/index.md"), p))


def _expand_nav(items: list, pages: list[str]) -> list:
    expanded = []
    for item in items:
        if isinstance(item, dict):
            item = {k: _expand_nav(v, pages) if isinstance(v, list) else v for k, v in item.items()}
            item = {k: (list(pages) if v == COMMANDS_GLOB else v) for k, v in item.items()}
        elif item == COMMANDS_GLOB:
            expanded.extend(pages)
            continue
        expanded.append(item)
    return expanded


def on_config(config, **kwargs):
    """The `commands/*.md` nav entry becomes the command pages."""
    if config.get("nav"):
        config["nav"] = _expand_nav(config["nav"], command_pages(Path(config["docs_dir"])))
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    """Help markers become the real help text; a wrong one stops the build."""
    from mkdocs.exceptions import PluginError

    try:
        return expand_markers(markdown)
    except KeyError as exc:
        raise PluginError(f"{page.file.src_path}: {exc.args[0]}") from exc
