"""Engines, registered by `--engine` name: where a `translate` run does its work.

The pipeline (`bitext.pipeline.translate_paths`) orders the stages and owns
every file; an engine decides where three of them run: reading and
analysing each document, decoding the batches, and rendering the exports.
`local` does all three in this process; `ray` (`bitext.cluster`, the extra
`ray`) does them on a Ray cluster's workers.

The pipeline names no engine: it takes an engine object, or looks the
options' name up here. Each name maps to the `module:factory` that builds
it, imported only when that engine is chosen, as `bitext.exporters` maps
format names to modules. So an engine imports the pipeline, never the
reverse, and a new engine is one module plus one line in `_FACTORIES`.
(`bitext.engine` is something else: the CTranslate2 translator that every
engine's decoding uses.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bitext.documents import Document
    from bitext.engine import Translator
    from bitext.models import InstalledPackage


class Renderer(Protocol):
    """Turns each translated document into its files' bytes, now or later."""

    def submit(self, request: Any, done: Callable[[Any], None]) -> None:
        """Render `request` (a `rendering.RenderRequest`); `done` gets the
        `Rendered` bytes or the failure's reason."""
        ...

    def settle(self, timeout: float | None = None) -> None:
        """Return once every submitted document has reached its `done`."""
        ...


class Engine(Protocol):
    """What the pipeline asks of an engine, for one run."""

    #: Where documents are rendered (`bitext.pipeline.LocalRenderer` in this process).
    renderer: Renderer

    def translator(self, package: InstalledPackage, options: Any) -> Translator:
        """The translator for one installed model (called once per language pair)."""
        ...

    def analyser(
        self,
        files: list[Path],
        forced: str | None,
        memory: Any,
        stems: dict[Path, str],
        wanted: Callable[[Path], bool],
        checkpoint: Callable[[], None],
    ) -> Callable[[Path, str], Document]:
        """A function that reads, detects and segments one file, called in
        `files` order: `(path, document id) -> Document`. `forced` is the
        source language given with --from, `memory` the translation memory
        (None with --no-cache), `stems` each file's export name, `wanted`
        whether a file's exports are still to be written, `checkpoint`
        raises when the run is asked to stop."""
        ...

    def close(self) -> None:
        """Release what the engine started (worker processes, a runtime)."""
        ...


class UnknownEngine(ValueError):
    """An `--engine` name that no engine is registered for."""

    def __init__(self, name: str) -> None:
        self.name = name
        names = " or ".join(repr(n) for n in _FACTORIES)
        super().__init__(f"--engine must be {names}, not {name!r}")


#: engine name -> "module:factory"; the factory takes the run's
#: `TranslateOptions` and returns an Engine. Imported only when chosen.
_FACTORIES = {
    "local": "bitext.pipeline:LocalEngine",
    "ray": "bitext.cluster.driver:RayEngine",
}


def engine_names() -> list[str]:
    """The names `--engine` accepts, the default first."""
    return list(_FACTORIES)


def open_engine(name: str, options: Any) -> Engine:
    """The engine called `name`, started for a run with `options`.

    Raises UnknownEngine for a name that is not registered; the engine's own
    factory raises the pipeline's RequestError when it cannot start.
    """
    if name not in _FACTORIES:
        raise UnknownEngine(name)
    module, _, factory = _FACTORIES[name].partition(":")
    return getattr(importlib.import_module(module), factory)(options)
