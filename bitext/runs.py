"""What the translate and align pipelines share: one way to refuse, claim and fail.

`bitext translate` (bitext.pipeline) and `bitext align` (bitext.align.pipeline)
are twins: each turns inputs into exports, one file (or pair) at a time,
refusing a request that cannot work before anything is written and
recording each file's outcome without letting one stop the others. The
pieces of that shape live here, written once:

* the request errors (exit code 2): `RequestError`, and `MissingModel`,
  which carries the language pair a `--download` can install;
* `refusing`: the request checks' own errors (unknown format, missing
  input, unwritable folder) raised as a pipeline's request error;
* `Result` and `Summary`: the base of each file's outcome and of a run's;
* `output_paths` and `claim_outputs`: where a file's exports go, and
  whether they may be written (never over an input; skipped once done);
* `reason`: the one wording of a failure;
* `Stopped`: the signal-driven stop, which no per-file `except` takes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bitext.limits import Limits

#: Why a file is not done when one of its exports would replace one of the inputs.
OVERWRITES_INPUT = "an output file would overwrite an input; choose another -o folder"
#: Why a file is skipped when every one of its exports is already there.
ALREADY_EXPORTED = "already exported (use --overwrite to redo)"


@dataclass
class RunOptions:
    """What `translate` and `align` are both told: where files go, which formats,
    which models and device, and the bounds on each input. Each pipeline's
    options add their own fields to these."""

    output_dir: Path = Path("exports")
    formats: list[str] = field(default_factory=lambda: ["docx", "tsv"])
    models_dir: Path | None = None
    device: str = "auto"
    threads: int | None = None
    #: Rows per block or per sentence; None: each format's default (DOCX block, TSV sentence).
    granularity: str | None = None
    #: Redo documents whose exports all exist (by default they are skipped, so
    #: a stopped run resumes where it was).
    overwrite: bool = False
    #: Bounds on what one input may hold (bitext.limits); a file over them fails alone.
    limits: Limits = field(default_factory=Limits)


class RequestError(Exception):
    """The request cannot work at all (exit code 2): nothing was done."""


class MissingModel(RequestError):
    """No installed package translates `source` -> `target`.

    The message says how to install one; `translate --download` installs
    the pair named by the fields and runs again.
    """

    def __init__(self, source: str, target: str, store: Path, message: str | None = None) -> None:
        from bitext.models import missing_model_message

        super().__init__(message or missing_model_message(source, target, store))
        self.source, self.target = source, target

    @property
    def pair(self) -> str:
        """The pair as `bitext models install` takes it: `nb-en`."""
        return f"{self.source}-{self.target}"


class Stopped(BaseException):
    """Raised at a checkpoint once a run must stop (a signal, a full disk).

    A BaseException, so no per-file `except Exception` can swallow it.
    """


@contextmanager
def refusing(error: type[RequestError] = RequestError) -> Iterator[None]:
    """The request checks' errors, raised as `error` with the same message.

    An unknown format (`exporters.UnknownFormat`), an input that is not
    there (`FileNotFoundError`) and an output folder that cannot be written
    (`outputs.OutputError`) each mean the whole request cannot work.
    """
    from bitext.exporters import UnknownFormat
    from bitext.outputs import OutputError

    try:
        yield
    except (UnknownFormat, FileNotFoundError, OutputError) as exc:
        raise error(str(exc)) from exc


def reason(exc: BaseException) -> str:
    """A failure in words: the message, or the class when there is none.

    An OSError about a file says `file: what went wrong`, without the errno.
    """
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return text


def output_paths(output_dir: Path, formats: list[str], stem: str) -> list[Path]:
    """A file's exports: `<output_dir>/<stem><suffix>`, one per format, in order."""
    from bitext.exporters import get_exporter

    return [output_dir / f"{stem}{get_exporter(name).suffix}" for name in formats]


def claim_outputs(
    outputs: list[Path], inputs: set[Path], overwrite: bool
) -> tuple[str, str] | None:
    """None when `outputs` may be written; else the (status, reason) of the file.

    `inputs` are the run's resolved input paths: an export that would replace
    one fails the file. When every export exists the file is skipped (a
    stopped run resumes where it was), unless `overwrite`.
    """
    if any(path.resolve() in inputs for path in outputs):
        return "failed", OVERWRITES_INPUT
    if not overwrite and all(path.exists() for path in outputs):
        return "skipped", ALREADY_EXPORTED
    return None


class Result:
    """What happened to one input of a run; the base of each pipeline's result.

    Each subclass is a dataclass declaring these fields among its own, in
    its own order (the order of the keys of its `--json` summary); this base
    is not one, so it imposes no order.
    """

    path: str
    document: str
    #: done | skipped | failed | interrupted
    status: str
    reason: str | None
    files: list[str]
    warnings: list[str]
    #: Quality flag -> number of rows carrying it (bitext.checks).
    flags: dict[str, int]

    def fail(self, exc: BaseException) -> None:
        """Record a failure of this file alone (the run goes on)."""
        self.status, self.reason = "failed", reason(exc)

    def settle(self, status: str, why: str) -> None:
        """Record that this file is not (or no longer) to be done, and why."""
        self.status, self.reason = status, why


@dataclass
class Summary:
    """The results of a run, in input order, with what every command reports of them."""

    results: list[Result] = field(default_factory=list)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def files(self) -> list[str]:
        return [f for r in self.results for f in r.files]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def flag_counts(self) -> Counter:
        return sum((Counter(r.flags) for r in self.results), Counter())
