"""The documentation site builds strictly, shows the real --help, and stays offline.

The site (mkdocs.yml, docs/) is built here with `mkdocs build --strict`, so a
broken link or anchor, a missing API object or a wrong help marker fails the
test suite. Every command the CLI registers must have its page, the way
sqlite-utils' tests walk the real command tree. The README is the front door:
short, with the two commands exactly as they have always been.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bitext.cli import app
from tests.test_cli_help import registered_commands

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

#: The two commands of the README, character for character.
MAIN_JOB = (
    "python3 -m pip install --quiet uv && python3 -m uv run --frozen --no-dev bitext translate"
)
TEST_COMMAND = "python3 -m pip install --quiet uv && python3 -m uv run --frozen pytest"


def _hooks():
    spec = importlib.util.spec_from_file_location("bitext_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built strictly into a temporary folder (a warning fails it)."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml")]
        + ["-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_command_pages_show_the_help_the_program_prints(site):
    page = (site / "commands" / "translate.html").read_text(encoding="utf-8")
    assert "Usage: bitext translate [OPTIONS]" in page
    assert "--max-block-chars" in page  # an option of the shared limit decorator
    models = (site / "commands" / "models.html").read_text(encoding="utf-8")
    assert "Usage: bitext models install" in models
    assert "bitext-help" not in page + models  # every marker replaced


def test_the_api_page_is_made_from_the_docstrings(site):
    page = (site / "api.html").read_text(encoding="utf-8")
    assert 'id="bitext.pipeline.translate_paths"' in page
    assert "Translate every article under" in page  # the function's own docstring
    assert 'id="bitext.engines.Engine"' in page


#: A page element that makes the browser fetch from another host.
_REMOTE = re.compile(
    r"""<(script|img|iframe|source|audio|video)\b[^>]*\bsrc=["'](https?:)?//"""
    r"""|<link\b[^>]*\bhref=["'](https?:)?//"""
    r"""|url\(\s*["']?(https?:)?//|@import\s+["']?(url\()?\s*["']?(https?:)?//""",
    re.IGNORECASE,
)


def test_no_page_or_stylesheet_fetches_from_the_network(site):
    """No web fonts, no CDN scripts or styles: the site reads offline, from disk."""
    offenders = []
    for path in sorted(site.rglob("*")):
        if path.suffix in (".html", ".css"):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(site)}: {m.group(0)}" for m in _REMOTE.finditer(text)]
            if "fonts.googleapis" in text or "fonts.gstatic" in text:
                offenders.append(f"{path.relative_to(site)}: web fonts")
    assert offenders == []
    assert list(site.rglob("*.html"))


def test_the_remote_pattern_catches_what_it_should():
    assert _REMOTE.search('<script src="https://unpkg.com/mermaid.js"></script>')
    assert _REMOTE.search('<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">')
    assert _REMOTE.search("@import url(https://fonts.googleapis.com/css2)")
    assert _REMOTE.search("src: url('https://example.org/font.woff2')")
    assert not _REMOTE.search('<a href="https://docs.ray.io/">Ray</a>')  # a link, not a fetch
    assert not _REMOTE.search('<script src="assets/javascripts/bundle.js"></script>')


def test_every_command_has_a_page_with_its_help():
    """A new command is documented by one file: docs/commands/NAME.md with its markers."""
    missing = []
    for command in registered_commands(typer.main.get_command(app)):
        page = DOCS / "commands" / f"{command[0]}.md"
        marker = f"<!-- bitext-help: {' '.join(command)} -->"
        if not page.exists() or marker not in page.read_text(encoding="utf-8"):
            missing.append(f"{page.relative_to(ROOT)}: {marker}")
    assert missing == []


def test_a_marker_naming_no_command_is_an_error():
    hooks = _hooks()
    assert "Usage: bitext detect" in hooks.expand_markers("<!-- bitext-help: detect -->")
    assert "Usage: bitext [OPTIONS] COMMAND" in hooks.expand_markers("<!-- bitext-help: -->")
    with pytest.raises(KeyError, match="no command 'bitext translat'"):
        hooks.expand_markers("text\n<!-- bitext-help: translat -->\nmore")


def test_the_nav_lists_every_command_page_index_first(tmp_path):
    hooks = _hooks()
    for name in ("translate", "index", "align"):
        (tmp_path / "commands").mkdir(exist_ok=True)
        (tmp_path / "commands" / f"{name}.md").write_text("# x\n", encoding="utf-8")
    nav = [{"Home": "index.md"}, {"Commands": "commands/*.md"}, {"Guides": [{"A": "a.md"}]}]
    config = hooks.on_config({"nav": nav, "docs_dir": str(tmp_path)})
    assert config["nav"] == [
        {"Home": "index.md"},
        {"Commands": ["commands/index.md", "commands/align.md", "commands/translate.md"]},
        {"Guides": [{"A": "a.md"}]},
    ]


def test_the_readme_is_a_short_front_door_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    lines = text.splitlines()
    assert MAIN_JOB in lines and TEST_COMMAND in lines  # each alone on its line, unchanged


def test_the_readmes_links_into_the_docs_lead_somewhere():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\((docs/[^)#\s]+)(?:#[^)]*)?\)", text)
    assert len(targets) >= 5
    assert [t for t in targets if not (ROOT / t).exists()] == []


def test_the_architecture_page_names_every_module():
    """docs/architecture.md keeps in step with the tree: each module of the
    package (and each subpackage) is named there."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "bitext"
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if path.name in ("__init__.py", "__main__.py") or relative.parts[0] == "data":
            continue
        top = relative.parts[0]
        if len(relative.parts) > 1 and f"`{top}/`" in page:
            if f"`{path.name}`" in page or f"`{top}/{path.name}`" in page or path.stem in page:
                continue
        elif f"`{relative.as_posix()}`" in page:
            continue
        missing.append(relative.as_posix())
    assert not missing, f"modules not on docs/architecture.md: {missing}"
