"""The worker actor: one per CPU (or GPU) the run gets from Ray.

It owns computation only. Documents arrive as bytes and leave as Documents;
batches arrive as token lists and leave as translations; translated
documents arrive as render requests and leave as their files' bytes; the
model arrives through Ray's object store and is checked file by file
against the SHA-256 sums the driver's installed package recorded, before it
is loaded. The
worker never opens the translation memory, the inputs or the exports, so no
shared file system is needed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from bitext.documents import Document
from bitext.engine import DecodeOptions, Translator
from bitext.models import InstalledPackage


class ModelCheckFailed(Exception):
    """Shipped model files differ from the package's record: never loaded."""


@dataclass(frozen=True)
class ModelShipment:
    """A package as the driver resolved it, and its files in the object store.

    `files` is an ObjectRef to {relative path: bytes}; kept inside this object
    so Ray does not fetch the model with every call, only when a worker loads it.
    """

    key: str
    package: InstalledPackage
    files: Any
    device: str
    compute_type: str
    threads: int
    decode: DecodeOptions
    max_batch_tokens: int


def materialise(package: InstalledPackage, files: dict[str, bytes], folder: Path) -> Path:
    """Write shipped package files under `folder`, each checked against the record."""
    expected = package.files
    if set(files) != set(expected):
        raise ModelCheckFailed(
            f"{package.label}: shipped files {sorted(files)} are not the recorded "
            f"{sorted(expected)}"
        )
    for rel, data in files.items():
        parts = PurePosixPath(rel).parts
        if PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ModelCheckFailed(f"{package.label}: unsafe file name {rel!r}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected[rel].get("sha256"):
            raise ModelCheckFailed(
                f"{package.label}: {rel} has SHA-256 {digest}, the record says "
                f"{expected[rel].get('sha256')}"
            )
        target = folder.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


class Worker:
    """Analysis and translation for the driver (a Ray actor class: `ray.remote(Worker)`)."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="bitext-worker-"))
        self._translators: dict[str, Translator] = {}
        self._documents = 0

    def pid(self) -> int:
        import os

        return os.getpid()

    def analyse(
        self, name: str, data: bytes, doc_id: str, forced: str | None, original: str, limits
    ) -> tuple[Document | None, str | None]:
        """(Document, None), or (None, the reason) as the local engine would word it.

        The readers take a path, so the bytes are written under the file's own
        name in a private folder, and that folder's path is mapped back to the
        driver's path in everything the reader says.
        """
        from bitext.pipeline import prepare_document
        from bitext.runs import reason

        self._documents += 1
        folder = self._folder / f"doc{self._documents}"
        folder.mkdir()
        path = folder / name
        try:
            path.write_bytes(data)
            try:
                document = prepare_document(path, doc_id, forced, limits)
            except Exception as exc:  # one bad file fails alone, as in the local engine
                return None, reason(exc).replace(str(path), original)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        document.path = original
        document.warnings = [w.replace(str(path), original) for w in document.warnings]
        return document, None

    def render(self, request):
        """One document's exports as bytes (a `bitext.rendering.Rendered`), or
        the reason rendering failed."""
        from bitext.rendering import render_or_reason

        return render_or_reason(request)

    def translate(self, shipment: ModelShipment, tokens: list[list[str]]) -> list[str]:
        """One batch through the shipment's model (loaded and checked on first use)."""
        translator = self._translators.get(shipment.key)
        if translator is None:
            translator = self._translators[shipment.key] = self._load(shipment)
        return translator.translate_tokens(tokens)

    def _load(self, shipment: ModelShipment) -> Translator:
        import ray

        folder = self._folder / f"model{len(self._translators)}"
        folder.mkdir()
        materialise(shipment.package, ray.get(shipment.files), folder)
        package = dataclasses.replace(shipment.package, path=folder)
        # The same engine as a local run, on this worker's CPUs: one replica
        # of `threads` threads, as the actor runs one batch at a time (one
        # worker per `threads` CPUs of the cluster already makes one replica
        # per core with the default --threads 1). No calibration: workers
        # measuring side by side would measure each other.
        return Translator(
            package,
            device=shipment.device,
            compute_type=shipment.compute_type,
            threads=shipment.threads,
            replicas=1,
            calibrate=False,
            options=shipment.decode,
            max_batch_tokens=shipment.max_batch_tokens,
        )
