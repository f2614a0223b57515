"""How this bitext was started, so that hints name a command the user can run.

In a clone, on the README's route, `bitext` is not on PATH: it runs as
`uv run bitext`. Installed with pip, pipx or `uv tool install`, it is plain
`bitext`. Started as `python -m bitext`, that is what a hint should say.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path


def _through_uv(environ: os._Environ | dict) -> bool:
    """True under `uv run`: uv sets $UV (its own path) for the commands it runs,
    and the interpreter is the project's environment ($VIRTUAL_ENV)."""
    if not environ.get("UV"):
        return False
    venv = environ.get("VIRTUAL_ENV")
    return not venv or Path(sys.prefix).resolve() == Path(venv).resolve()


def command_prefix(environ: os._Environ | dict | None = None, argv0: str | None = None) -> str:
    """`uv run bitext`, `python -m bitext` or `bitext`: how to run bitext again here."""
    environ = os.environ if environ is None else environ
    argv0 = sys.argv[0] if argv0 is None else argv0
    module = Path(argv0).name == "__main__.py" and Path(argv0).parent.name == "bitext"
    if _through_uv(environ):
        return "uv run python -m bitext" if module else "uv run bitext"
    return "python -m bitext" if module else "bitext"


def python_prefix(environ: os._Environ | dict | None = None) -> str:
    """`uv run python` under uv, else this interpreter's path (pipx and `uv tool`
    keep bitext in an environment of its own): for `-m bitext.copymodel` hints."""
    if _through_uv(os.environ if environ is None else environ):
        return "uv run python"
    return shlex.quote(sys.executable)


def command(*words: str) -> str:
    """A bitext command line as the user would type it here (arguments quoted for a shell)."""
    return " ".join((command_prefix(), *(shlex.quote(w) for w in words)))
