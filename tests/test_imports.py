"""Imports run one way, no module reaches into another's private names, no
function grows past 80 lines.

A `_name` is a promise that only its own module uses it; once another module
imports it, changing it breaks code its author never sees. An import circle
is one even when one side imports inside a function (bitext defers most
imports so the CLI starts fast): every `import` statement counts, wherever
it stands. These tests read every module of `bitext/` with `ast`, so a new
module is checked without being listed here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
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


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path, known: Iterable[str]) -> set[str]:
    """The bitext modules `path` imports anywhere: at the top, inside functions
    and classes, under `if TYPE_CHECKING` (a circle there is one for the reader
    too). `from bitext import x` counts as importing `bitext.x` when that is a
    module; `from bitext.x import y` as importing `bitext.x`."""
    known = set(known)
    this = module_name(path, root)
    package = this.split(".") if path.name == "__init__.py" else this.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                member = f"{source}.{alias.name}"
                found.add(member if member in known else source)
    return {name for name in found if name in known and name != this}


def import_graph(root: Path = PACKAGE.parent) -> dict[str, set[str]]:
    """Module -> the bitext modules it imports (see `imported_modules`)."""
    paths = {module_name(p, root): p for p in sorted((root / "bitext").rglob("*.py"))}
    return {name: imported_modules(path, root, paths) for name, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that reach one another through imports (more than one)."""
    reach = {name: set() for name in graph}
    for start in graph:  # a few dozen modules: a walk from each is enough
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name not in reach[start]:
                reach[start].add(name)
                todo.extend(graph.get(name, ()))
    groups = {frozenset({a} | {b for b in reach[a] if a in reach[b]}) for a in graph}
    return sorted(sorted(g) for g in groups if len(g) > 1)


def test_no_import_circle_counting_imports_inside_functions():
    assert circles(import_graph()) == []


def test_the_circle_check_finds_a_circle_through_a_lazy_import(tmp_path):
    """The check itself, on the shape issue 24 found: the pipeline importing the
    Ray driver inside a function, the driver importing the pipeline."""
    package = tmp_path / "bitext"
    (package / "cluster").mkdir(parents=True)
    for name in ("__init__.py", "cluster/__init__.py", "engines.py", "documents.py"):
        (package / name).write_text('"""x"""\n', encoding="utf-8")
    (package / "pipeline.py").write_text(
        "from bitext.documents import Document\n"
        "from bitext import engines\n"
        "def _engine_for(options):\n"
        "    from bitext.cluster.driver import RayEngine\n"
        "    return RayEngine(options)\n",
        encoding="utf-8",
    )
    (package / "cluster" / "driver.py").write_text(
        "from . import worker\n"
        "class RayEngine:\n"
        "    def __init__(self, options):\n"
        "        from ..pipeline import prepare_document\n",
        encoding="utf-8",
    )
    (package / "cluster" / "worker.py").write_text("import bitext.documents\n", encoding="utf-8")
    graph = import_graph(tmp_path)
    assert graph["bitext.pipeline"] == {
        "bitext.documents",
        "bitext.engines",
        "bitext.cluster.driver",
    }
    assert graph["bitext.cluster.driver"] == {"bitext.cluster.worker", "bitext.pipeline"}
    assert circles(graph) == [["bitext.cluster.driver", "bitext.pipeline"]]


def test_the_pipeline_names_no_engine():
    """Engines plug in through `bitext.engines`: the pipeline imports the
    registry, each engine imports the pipeline, never the reverse."""
    graph = import_graph()
    engines = {name for name in graph if name.startswith("bitext.cluster")}
    assert engines and not graph["bitext.pipeline"] & engines
    assert "bitext.pipeline" in graph["bitext.cluster.driver"]
    assert graph["bitext.engines"] <= {"bitext.documents", "bitext.engine", "bitext.models"}


#: The longest function body allowed (from its first statement, docstring
#: included, to its last line; a Typer command's option table is its signature).
MAX_BODY_LINES = 80


def long_functions(path: Path, limit: int = MAX_BODY_LINES) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.name}:{node.lineno} {node.name}: {node.end_lineno - node.body[0].lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.body[0].lineno + 1 > limit
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_body_is_over_80_lines(path):
    assert long_functions(path) == []


def test_the_length_check_counts_the_body_not_the_signature(tmp_path):
    sample = tmp_path / "sample.py"
    options = "".join(f"    option_{i}: int = {i},\n" for i in range(100))
    short_body = "".join(f"    x = {i}\n" for i in range(80))
    long_body = "".join(f"        y = {i}\n" for i in range(81))
    sample.write_text(
        f"def command(\n{options}):\n{short_body}\nclass C:\n    def method(self):\n{long_body}",
        encoding="utf-8",
    )
    assert long_functions(sample) == ["sample.py:185 method: 81 lines"]
