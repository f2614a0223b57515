"""The tests themselves keep the house rules (issue 29), checked on their syntax trees.

- No wall-clock assertion: no `assert` reads a clock (`time.time`,
  `perf_counter`, `monotonic`); a speed is a figure printed by `bench/`.
- No sleep standing in for synchronisation: `time.sleep` only inside a
  `while` loop (polling a condition) of a function that keeps a deadline.
- No skip that hides a failure: no `pytest.importorskip` (a broken import of
  the project or of a dev dependency must fail, not skip), and LibreOffice
  is asked for by component through `tests/capabilities.py`, never by
  `which("soffice")` alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CLOCKS = {"time", "perf_counter", "monotonic", "perf_counter_ns", "monotonic_ns", "time_ns"}
FILES = sorted(p for p in TESTS.glob("*.py") if p.name != Path(__file__).name)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_call(node: ast.AST, module: str, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == module
    )


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.name}:{node.lineno}"


def _clock_asserts(path: Path, tree: ast.AST) -> list[str]:
    return [
        _where(path, node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
        and any(_is_call(inner, "time", CLOCKS) for inner in ast.walk(node.test))
    ]


def _names(function: ast.AST) -> set[str]:
    """Every variable and attribute name used in `function`."""
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _bare_sleeps(path: Path, tree: ast.AST) -> list[str]:
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not _is_call(node, "time", {"sleep"}):
            continue
        up, in_loop, function = node, False, None
        while up in parents:
            up = parents[up]
            in_loop |= isinstance(up, ast.While)
            if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function = up
                break
        names = _names(function) if function else set()
        if not (in_loop and any("deadline" in name for name in names)):
            found.append(_where(path, node))
    return found


def _hiding_skips(path: Path, tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if _is_call(node, "pytest", {"importorskip"}):
            found.append(f"{_where(path, node)} importorskip")
        if (
            _is_call(node, "shutil", {"which"})
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "soffice"
            and path.name != "capabilities.py"
        ):
            found.append(f"{_where(path, node)} which('soffice') instead of a component check")
    return found


@pytest.mark.parametrize(
    "rule", [_clock_asserts, _bare_sleeps, _hiding_skips], ids=lambda r: r.__name__
)
def test_no_test_breaks_the_rule(rule):
    found = [hit for path in FILES for hit in rule(path, ast.parse(path.read_text("utf-8")))]
    assert found == []


@pytest.mark.parametrize(
    ("rule", "source"),
    [
        (_clock_asserts, "import time\nt = time.monotonic()\nassert time.monotonic() - t < 1\n"),
        (_bare_sleeps, "import time\ndef f(p):\n    time.sleep(1.0)\n    p.kill()\n"),
        (
            _bare_sleeps,
            "import time\ndef f(p):\n    while p.poll() is None:\n        time.sleep(0.1)\n",
        ),
        (_hiding_skips, "import pytest\nray = pytest.importorskip('ray')\n"),
        (_hiding_skips, "import shutil\nok = shutil.which('soffice')\n"),
    ],
)
def test_each_rule_finds_what_it_forbids(rule, source):
    assert rule(Path("example.py"), ast.parse(source))
