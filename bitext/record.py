"""The run record: what bitext wrote in an output folder, so nothing is lost on a re-run.

Every run leaves one small JSON file (`RECORD_NAME`) in its output folder.
It lists each file bitext wrote there, by path relative to the folder (so the
record stays right when the folder is moved), with the SHA-256 of the bytes
written, the document they belong to and the run that wrote them. From it:

* a folder holding a record is an output folder, never read as articles
  (`holds_record`), wherever it lies or was moved to;
* an export whose bytes differ from what bitext wrote was edited by someone
  (`RunRecord.changed`), and its corrections are taken before it is replaced;
* a report or review page can be drawn from the folder alone: each run's
  id, date, model, glossary, inputs and per-document outcome are kept.

The record is written atomically (`bitext.outputs.atomic_write_bytes`) and
bounded in size; a malformed or oversized one is refused with a clear
reason rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

#: The record's file name in an output folder (a dot-file: hidden, never an article).
RECORD_NAME = ".bitext-record.json"
#: Format version written in the record; a newer one is refused, not misread.
RECORD_VERSION = 1
#: A record larger than this is refused (about 100,000 files' entries).
MAX_RECORD_BYTES = 32 * 1024 * 1024
#: Runs kept in the record, newest last; older ones are dropped (files stay).
MAX_RUNS = 50


class RecordError(ValueError):
    """A run record that cannot be read; the message names the file and why."""


def holds_record(folder: Path) -> bool:
    """Whether `folder` holds a run record: it is an output folder, never read as input."""
    try:
        return (Path(folder) / RECORD_NAME).is_file()
    except OSError:
        return False


def sha256(data: bytes) -> str:
    """The hex SHA-256 of `data`, as the record stores it."""
    return hashlib.sha256(data).hexdigest()


def new_run_id() -> str:
    """A run id that sorts by time: `20261207T135012Z-1a2b3c`."""
    now = dt.datetime.now(tz=dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{secrets.token_hex(3)}"


@dataclass
class RecordedFile:
    """One file bitext wrote: where (relative to the record's folder), its bytes' digest,
    its document and the run that wrote it."""

    path: str
    sha256: str
    document: str
    run: str

    def location(self, folder: Path) -> Path:
        """The file's path now, under the record's `folder`."""
        return Path(folder).joinpath(*PurePosixPath(self.path).parts)


@dataclass
class DocumentOutcome:
    """What one run did with one input: its status, the reason when not done, and its files."""

    document: str
    input: str
    status: str
    reason: str | None = None
    language: str | None = None
    #: Sentences exported with a flag because the model failed on them alone.
    failed_sentences: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class RunInfo:
    """The summary facts of one run, kept so a report can be drawn from the folder alone."""

    id: str
    date: str
    #: translate | align
    command: str = "translate"
    #: The inputs as given, and what they were: "folder", "file" or "files".
    inputs: list[str] = field(default_factory=list)
    input_kind: str = "folder"
    model: str | None = None
    glossary: str | None = None
    documents: list[DocumentOutcome] = field(default_factory=list)
    #: Edited exports found before they were replaced (bitext.reruns.KeptEdit, as dicts).
    kept_edits: list[dict] = field(default_factory=list)


class RunRecord:
    """The record of an output folder: the files bitext wrote there and its runs.

    `load` reads it (empty when there is none), `note` adds each file as it
    is written, `changed` finds the ones edited since, `save` writes it back
    atomically.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        #: Relative POSIX path -> the latest write of that file.
        self.files: dict[str, RecordedFile] = {}
        self.runs: list[RunInfo] = []

    @property
    def path(self) -> Path:
        return self.folder / RECORD_NAME

    @classmethod
    def load(cls, folder: Path) -> RunRecord:
        """The record in `folder`; an empty one when there is none.

        Raises RecordError when the file is larger than `MAX_RECORD_BYTES`,
        not JSON, or not shaped like a record.
        """
        from bitext.outputs import TooLarge, read_bounded

        record = cls(folder)
        try:
            data = read_bounded(record.path, MAX_RECORD_BYTES)
        except TooLarge as exc:
            raise RecordError(
                f"the run record {record.path} is larger than {MAX_RECORD_BYTES // 2**20} MiB; "
                "move it away to start a new one"
            ) from exc
        except OSError as exc:
            raise RecordError(f"cannot read the run record {record.path}: {exc.strerror}") from exc
        if data is None:
            return record
        record._fill(data)
        return record

    def _fill(self, data: bytes) -> None:
        try:
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("version") != RECORD_VERSION:
                raise ValueError(f"not a version {RECORD_VERSION} record")
            files = [RecordedFile(**entry) for entry in raw["files"]]
            runs = [_run_info(entry) for entry in raw["runs"]]
            for entry in files:
                _check_relative(entry.path)
                if not all(isinstance(v, str) for v in vars(entry).values()):
                    raise ValueError("a file entry holds a non-text value")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise RecordError(
                f"the run record {self.path} cannot be read ({exc}); "
                "move it away to start a new one"
            ) from exc
        self.files = {entry.path: entry for entry in files}
        self.runs = runs

    def relative(self, path: Path) -> str:
        """`path` relative to the record's folder, in POSIX form; ValueError when outside it."""
        path = Path(path)
        base = self.folder
        if path.is_absolute() != base.is_absolute():
            path, base = path.absolute(), base.absolute()
        try:
            rel = path.relative_to(base)
        except ValueError:
            rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
        return _check_relative(rel.as_posix())

    def note(self, path: Path, data: bytes, document: str, run: str) -> RecordedFile:
        """Record that bitext wrote `data` to `path` for `document` in run `run`."""
        entry = RecordedFile(self.relative(path), sha256(data), document, run)
        self.files[entry.path] = entry
        return entry

    def forget(self, path: Path) -> None:
        """Drop a file from the record (it was moved aside or removed)."""
        self.files.pop(self.relative(path), None)

    def entry(self, path: Path) -> RecordedFile | None:
        """The record of the file at `path`, or None when bitext did not write it."""
        try:
            return self.files.get(self.relative(path))
        except ValueError:
            return None

    def is_changed(self, entry: RecordedFile) -> bool:
        """Whether the file of `entry` is there with other bytes than bitext wrote."""
        try:
            data = entry.location(self.folder).read_bytes()
        except OSError:
            return False  # gone: nothing to lose
        return sha256(data) != entry.sha256

    def changed(self) -> list[RecordedFile]:
        """The files bitext wrote whose bytes have changed since (edited by someone)."""
        return [entry for entry in self.files.values() if self.is_changed(entry)]

    def start_run(self, command: str = "translate", **facts) -> RunInfo:
        """A new run, added to the record (the oldest dropped past `MAX_RUNS`)."""
        info = RunInfo(id=new_run_id(), date=_now(), command=command, **facts)
        self.runs.append(info)
        del self.runs[:-MAX_RUNS]
        return info

    def run(self, run_id: str) -> RunInfo | None:
        """The run with id `run_id`, when the record still keeps it."""
        return next((info for info in self.runs if info.id == run_id), None)

    @property
    def last_run(self) -> RunInfo | None:
        return self.runs[-1] if self.runs else None

    def to_bytes(self) -> bytes:
        """The record as written: sorted, indented JSON (diffable, stable)."""
        raw = {
            "version": RECORD_VERSION,
            "files": [asdict(self.files[key]) for key in sorted(self.files)],
            "runs": [asdict(info) for info in self.runs],
        }
        # ASCII: a file name undecodable as UTF-8 holds surrogates, which UTF-8 cannot encode.
        return (json.dumps(raw, indent=1) + "\n").encode("ascii")

    def save(self) -> None:
        """Write the record atomically in its folder (created when missing)."""
        from bitext.outputs import atomic_write_bytes

        atomic_write_bytes(self.path, self.to_bytes())


def _check_relative(path: str) -> str:
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or ".." in parts or "\\" in path:
        raise ValueError(f"{path!r} is not a path inside the output folder")
    return path


def _run_info(raw: dict) -> RunInfo:
    documents = [DocumentOutcome(**d) for d in raw.get("documents", [])]
    return RunInfo(**{**raw, "documents": documents})


def _now() -> str:
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0).isoformat()
