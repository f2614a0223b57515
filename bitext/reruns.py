"""Running again without losing anything: the output folder of one run.

Analysts re-run bitext every morning in the folder of their articles, and
reviewers edit the exports in Word, Excel or a CAT tool. `OutputFolder` is
what a run does with its output folder so that neither habit costs work:

* every file is written atomically and noted in the folder's run record
  (`bitext.record`), with its SHA-256, document and run;
* before an export is replaced, its bytes are compared with what bitext
  wrote; an edited one has its corrections imported into the translation
  memory (the code of `bitext memory import`, so the new export carries
  them as `reviewed`) and is moved aside as `<name>.edited-<run><ext>`,
  never deleted; `discard_edits` replaces it without either;
* at the end, the run's facts (inputs, model, glossary, each document's
  outcome) are saved in the record, so a report can be drawn from the
  folder alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bitext.record import DocumentOutcome, RecordError, RunRecord

if TYPE_CHECKING:
    from bitext.memory import TranslationMemory
    from bitext.runs import Result

#: What an edit the import cannot take asks the reviewer to do.
EDIT_PER_SENTENCE = "edit per sentence, in the XLSX or the XLIFF export, to have it imported"
#: The infix of an edited export kept aside: `article.edited-20261207T135012Z.docx`.
EDITED_INFIX = ".edited-"


@dataclass
class KeptEdit:
    """An export someone edited, found before it was replaced: what was taken from it
    and where the edited file went."""

    path: str
    document: str
    #: Where the edited file now is (None when the edits were discarded).
    kept_as: str | None = None
    imported: int = 0
    unchanged: int = 0
    #: Rows the import could not take: {"where": "file:row", "reason": ...}.
    not_imported: list[dict] = field(default_factory=list)
    #: Why nothing of the file could be imported, when so.
    error: str | None = None
    discarded: bool = False

    def lines(self) -> list[str]:
        """The summary's lines about this file (stderr in the CLI)."""
        if self.discarded:
            return [f"edited: {self.path}: edits discarded (--discard-edits); replaced"]
        took = (
            f"{self.imported} correction{'' if self.imported == 1 else 's'} imported "
            "into the memory"
            if self.error is None
            else f"not imported ({self.error})"
        )
        lines = [f"edited: {self.path}: {took}; the edited file is kept as {self.kept_as}"]
        for row in self.not_imported:
            lines.append(f"not imported: {row['where']}: {row['reason']}; {EDIT_PER_SENTENCE}")
        return lines


class OutputFolder:
    """One run's output folder: its record, the files written, the edits kept.

    Thread-safe for `write` (the Ray engine hands back rendered documents on
    another thread). Raises RecordError from the constructor when the folder's
    record cannot be read: the caller refuses the request.
    """

    def __init__(
        self,
        folder: Path,
        *,
        command: str,
        inputs: Sequence[str | os.PathLike[str]],
        discard_edits: bool = False,
    ) -> None:
        self.folder = Path(folder)
        self.record = RunRecord.load(self.folder)
        self.run = self.record.start_run(
            command, inputs=[str(p) for p in inputs], input_kind=_input_kind(inputs)
        )
        self.discard_edits = discard_edits
        self.kept: list[KeptEdit] = []
        self._lock = threading.Lock()

    def write(self, path: Path, data: bytes, document: str) -> None:
        """Write one file atomically and note it in the record."""
        from bitext.outputs import atomic_write_bytes

        atomic_write_bytes(path, data)
        with self._lock:
            self.record.note(path, data, document, self.run.id)

    def before_replacing(
        self,
        paths: Iterable[Path],
        document: str,
        memory: TranslationMemory | None,
        target_lang: str,
    ) -> list[KeptEdit]:
        """Take the edits out of each of `paths` that changed since bitext wrote it.

        Call before the run translates the document, so the imported
        corrections are in the memory when its sentences are looked up.
        """
        found = []
        for path in paths:
            entry = self.record.entry(path)
            if entry is None or not self.record.is_changed(entry):
                continue
            kept = KeptEdit(path=str(path), document=document)
            if self.discard_edits:
                kept.discarded = True
            else:
                _import_edits(kept, path, memory, target_lang)
                kept.kept_as = str(self._move_aside(path))
            with self._lock:
                self.record.forget(path)
            found.append(kept)
        self.kept.extend(found)
        return found

    def _move_aside(self, path: Path) -> Path:
        """The edited file renamed beside itself; never over another file."""
        stamp = self.run.id.split("-")[0]
        base = f"{path.stem}{EDITED_INFIX}{stamp}"
        aside = path.with_name(base + path.suffix)
        number = 1
        while aside.exists():
            number += 1
            aside = path.with_name(f"{base}-{number}{path.suffix}")
        os.replace(path, aside)
        return aside

    def settle(
        self,
        results: Iterable[Result],
        *,
        model: str | None = None,
        glossary: str | None = None,
    ) -> None:
        """Put each document's outcome and the run's facts in the record, and save it."""
        with self._lock:
            self.run.model, self.run.glossary = model, glossary
            self.run.documents = [_outcome(r, self.record) for r in results]
            self.run.kept_edits = [asdict(k) for k in self.kept]
            self.record.save()

    def save(self) -> None:
        """Save the record as it is now (after each chunk: a killed run loses little)."""
        with self._lock:
            self.record.save()


def note_written(path: Path, data: bytes, document: str, command: str) -> bool:
    """Note a file written outside a translate/align run (`bitext memory export`)
    in the record of its folder, when that folder is an output folder; whether it was."""
    from bitext.record import holds_record

    folder = Path(path).parent
    if not holds_record(folder):
        return False
    record = RunRecord.load(folder)
    info = record.start_run(command, inputs=[], input_kind="memory")
    record.note(Path(path), data, document, info.id)
    record.save()
    return True


def open_output_folder(folder: Path, error: type[Exception], **kwargs) -> OutputFolder:
    """`OutputFolder(folder, ...)`, with a record that cannot be read raised as `error`."""
    try:
        return OutputFolder(folder, **kwargs)
    except RecordError as exc:
        raise error(str(exc)) from exc


def _import_edits(
    kept: KeptEdit, path: Path, memory: TranslationMemory | None, target_lang: str
) -> None:
    """Import the corrections of an edited export, as `bitext memory import` would."""
    from bitext.review import SUFFIXES, ReviewImportError, import_files

    if memory is None:
        kept.error = "this run has no translation memory; bitext memory import takes the kept file"
        return
    if path.suffix.lower() not in SUFFIXES:
        kept.error = f"{path.suffix} files cannot be imported; edit the XLSX or the XLIFF"
        return
    try:
        report = import_files([path], memory, target_lang=target_lang)
    except ReviewImportError as exc:
        kept.error = str(exc)
        return
    kept.imported, kept.unchanged = report.imported, report.unchanged
    kept.not_imported = [
        {"where": s["where"], "reason": s["reason"]}
        for s in report.skipped
        if not s["reason"].startswith("text kept in its own language")
        and not s["reason"].startswith("empty source")
    ]


def _input_kind(inputs: Sequence[str | os.PathLike[str]]) -> str:
    if len(inputs) != 1:
        return "files"
    return "folder" if Path(inputs[0]).is_dir() else "file"


def _outcome(result: Result, record: RunRecord) -> DocumentOutcome:
    """A result as the record keeps it: files relative to the folder (it may be moved)."""
    files = []
    for name in result.files:
        try:
            files.append(record.relative(Path(name)))
        except ValueError:
            files.append(name)
    return DocumentOutcome(
        document=result.document,
        input=result.path,
        status=result.status,
        reason=result.reason,
        language=getattr(result, "language", None) or getattr(result, "source_lang", None),
        failed_sentences=getattr(result, "failed_sentences", 0),
        files=files,
    )
