"""Imports run one way, and no module reaches into another's private names.

A `_name` is a promise that only its own module uses it; once another module
imports it, changing it breaks code its author never sees. These tests read
every module of `bitext/` with `ast`, so a new module is checked without
being listed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bitext"
MODULES = sorted(PACKAGE.rglob("*.py"))


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def cross_module_private_uses(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """`from bitext.x import _y`, and `x._y` where `x` is another bitext module.

    `root` is the folder holding the `bitext` package (for module names).
    """
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts[:-1]  # what a relative import starts from
    this = ".".join(package if parts[-1] == "__init__" else parts)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()  # local names bound to bitext modules (or their members)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name.startswith("bitext"))
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            if not source.startswith("bitext"):
                continue
            for alias in node.names:
                if private(alias.name) and source != this:
                    found.append(f"{path.name}:{node.lineno} from {source} import {alias.name}")
                modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            target = node.value
            if isinstance(target, ast.Name) and target.id in modules:
                found.append(f"{path.name}:{node.lineno} {target.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_is_imported_from_another_module(path):
    assert cross_module_private_uses(path) == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    """The check itself: each kind of private use it must catch, caught."""
    sample = tmp_path / "bitext" / "align" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "from bitext.models import _version_key\n"
        "from .. import pipeline\n"
        "from ..exporters._common import segments\n"
        "from .rows import _own_package_private\n"
        "import bitext.index as index\n"
        "from bitext.models import find_package\n"
        "pipeline._reason(None)\n"
        "index._pinned_for('x')\n"
        "find_package.__name__\n",
        encoding="utf-8",
    )
    found = [f.split(" ", 1)[1] for f in cross_module_private_uses(sample, tmp_path)]
    assert found == [
        "from bitext.models import _version_key",
        "from bitext.align.rows import _own_package_private",
        "pipeline._reason",
        "index._pinned_for",
    ]


def test_the_model_store_does_not_import_the_index():
    """index.py (the remote index) uses models.py (the local store), never the reverse."""
    tree = ast.parse((PACKAGE / "models.py").read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert "bitext.index" not in imported
