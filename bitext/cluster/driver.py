"""The driver side of `--engine ray`: what the pipeline calls instead of local work.

The pipeline (bitext.pipeline.translate_paths) keeps its whole logic: listing,
skipping, chunking, memory lookups and stores, and atomic writes. This module
only swaps three things, so both engines give the same summary and
byte-identical files:

- analysis: the driver reads each file's bytes (it owns every file) and looks
  them up in the memory's analysis cache; misses go to the worker actors,
  several documents ahead of the one the pipeline asks for;
- translation: a Translator whose token-bounded, length-sorted batches (the
  same batches the local engine decodes) run on the worker actors, several at
  once, instead of in this process;
- rendering: each translated document goes to a worker as a RenderRequest
  (rows, alignment, checks and every format's bytes are computed there), and
  the driver writes the bytes that come back. Rendering a DOCX costs more
  than all the driver's other work on a document, so this is what keeps the
  driver light enough to serve a hundred workers.

Workers are actors restarted by Ray when their process dies, and their calls
are retried there, so a killed worker costs time, not documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bitext.cluster.runtime import Connection, RayMissing
from bitext.cluster.worker import ModelShipment, Worker
from bitext.documents import Document
from bitext.engine import DecodeOptions, Translator
from bitext.models import InstalledPackage

#: Calls queued per worker: one running, one waiting, so no worker idles
#: while the driver handles a result.
CALLS_PER_WORKER = 2
#: Documents analysed ahead of the pipeline, per worker.
LOOKAHEAD_PER_WORKER = 4


class RayEngine:
    """A pool of worker actors on a Ray cluster for one `translate` run (`--engine ray`).

    Registered in `bitext.engines`; the pipeline calls it through `bitext.engines.Engine`.
    """

    def __init__(self, options) -> None:
        from bitext.pipeline import RequestError

        address = options.ray_address
        self.limits = options.limits  # what one input may hold, as in the local engine
        try:
            self.connection = Connection(address, verbose=options.verbose)
        except RayMissing as exc:
            raise RequestError(str(exc)) from exc
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = address or "a local Ray runtime"
            raise RequestError(f"--engine ray: cannot start or join {where}: {exc}") from exc
        self.ray = self.connection.ray
        self.actors: list = []
        try:
            resources = self.ray.cluster_resources()
            self.device = _cluster_device(options.device, resources)
            self.compute_type = options.compute_type
            if self.compute_type == "default":  # as Translator chooses it
                self.compute_type = "int8" if self.device == "cpu" else "int8_float16"
            self.threads = options.threads or 1
            if self.device == "cuda":  # one GPU per worker: every GPU of the cluster
                count, claim = int(resources["GPU"]), {"num_cpus": 1, "num_gpus": 1}
            else:  # one worker per `threads` CPUs of the cluster
                count = max(1, int(resources.get("CPU", 1)) // self.threads)
                claim = {"num_cpus": self.threads}
            remote = self.ray.remote(Worker).options(max_restarts=-1, max_task_retries=-1, **claim)
            self.actors = [remote.remote() for _ in range(count)]
        except BaseException:
            self.close()
            raise
        #: Per worker: batches and renders sent and not yet handed back (what
        #: `has_room` counts), and analyses (read ahead; a finished one stays
        #: counted until the pipeline asks for its document, which for the
        #: next chunk's first documents is only after this chunk is done).
        self.load = [0] * len(self.actors)
        self.reading = [0] * len(self.actors)
        self._owner: dict = {}  # call -> (actor index, the count it is in)
        self._shipments: dict[str, ModelShipment] = {}
        #: The pipeline's renderer for this engine (see `LocalRenderer`).
        self.renderer = _Renderer(self)

    # --- the pool -----------------------------------------------------------

    def call(self, method: str, *args):
        """Send a call to the least busy worker; returns its ObjectRef.

        Batches and renders go by `load` alone: an analysis counted in
        `reading` may have finished long ago."""
        reading = method == "analyse"
        index = min(
            range(len(self.actors)),
            key=lambda i: (self.load[i] + (self.reading[i] if reading else 0), i),
        )
        ref = getattr(self.actors[index], method).remote(*args)
        counts = self.reading if reading else self.load
        counts[index] += 1
        self._owner[ref] = (index, counts)
        return ref

    def finished(self, ref) -> None:
        owner = self._owner.pop(ref, None)
        if owner is not None:
            index, counts = owner
            counts[index] -= 1

    def has_room(self, remaining: int) -> bool:
        """Whether a worker can take another batch now. While at least one
        batch per worker remains, each gets CALLS_PER_WORKER; near the end
        only an idle worker does, so the last batches are not queued behind
        others while a worker has nothing to do."""
        depth = CALLS_PER_WORKER if remaining >= len(self.actors) else 1
        return min(self.load) < depth

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (tests kill one)."""
        return self.ray.get([a.pid.remote() for a in self.actors])

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass
        self.actors = []
        self.connection.close()

    # --- what the pipeline calls ---------------------------------------------

    def translator(self, package: InstalledPackage, options) -> Translator:
        """A translator factory for the pipeline (see `default_translator`)."""
        from bitext.pipeline import RequestError

        if not package.files:
            raise RequestError(
                f"{package.label} has no recorded checksums, so it cannot be shipped to Ray "
                "workers safely; reinstall it with `bitext models install`"
            )
        return ClusterTranslator(self, package, options)

    def ship(self, translator: Translator) -> ModelShipment:
        """The model's files in the object store, once per run and model."""
        key = translator.model_key
        if key not in self._shipments:
            package = translator.package
            files = {rel: (package.path / rel).read_bytes() for rel in package.files}
            self._shipments[key] = ModelShipment(
                key=key,
                package=package,
                files=self.ray.put(files),
                device=self.device,
                compute_type=translator.compute_type,
                threads=self.threads,
                decode=translator.options,
                max_batch_tokens=translator.max_batch_tokens,
            )
        return self._shipments[key]

    def analyser(
        self,
        files: list[Path],
        forced: str | None,
        memory,
        stems: dict[Path, str],
        wanted: Callable[[Path], bool],
        checkpoint: Callable[[], None],
    ) -> Callable[[Path, str], Document]:
        """Analysis on the workers, ahead of the pipeline (see `bitext.engines.Engine`)."""
        return _Analyser(self, files, forced, memory, stems, wanted, checkpoint)


class ClusterTranslator(Translator):
    """The local Translator's planning (memory, dedup, batches) with remote decoding."""

    def __init__(self, engine: RayEngine, package: InstalledPackage, options) -> None:
        compute_type = engine.compute_type
        # Only the tokenizer is loaded here; the model never is (see _execute).
        super().__init__(
            package,
            device="cpu",
            compute_type=compute_type,
            threads=1,
            options=DecodeOptions.fast() if options.fast else DecodeOptions(),
        )
        self.device = engine.device
        self.engine = engine

    def _execute(self, groups: list[list[int]], units) -> Iterator[tuple[list[int], list[str]]]:
        engine, ray = self.engine, self.engine.ray
        shipment = engine.ship(self)
        waiting = list(reversed(groups))
        running: dict = {}
        try:
            while waiting or running:
                engine.renderer.collect(wait=False)  # a rendered document frees its worker
                while waiting and engine.has_room(len(waiting)):
                    group = waiting.pop()
                    tokens = [units[u][1] for u in group]
                    running[engine.call("translate", shipment, tokens)] = group
                # Wake for a batch, or for a document rendered (its worker is free).
                (ref,), _ = ray.wait([*running, *engine.renderer.pending], num_returns=1)
                if ref not in running:
                    continue
                group = running.pop(ref)
                engine.finished(ref)
                yield group, ray.get(ref)
        finally:  # stopped (a signal, an error): drop the batches nobody waits for
            for ref in running:
                engine.finished(ref)
                try:
                    ray.cancel(ref)
                except Exception:
                    pass


class _Renderer:
    """Documents rendered on the workers; the driver writes what comes back.

    Results are handed to their callbacks (which write the files) as they
    arrive: between the batches of a translation (ClusterTranslator wakes for
    them), and in `settle`, which the pipeline calls at the end of each chunk.
    """

    def __init__(self, engine: RayEngine) -> None:
        self.engine = engine
        self.pending: dict = {}  # call -> callback

    def submit(self, request, done: Callable) -> None:
        self.pending[self.engine.call("render", request)] = done

    def collect(self, *, wait: bool, timeout: float | None = None) -> None:
        """Hand over what is ready (with `wait`, at least one unless `timeout` passes)."""
        if not self.pending:
            return
        ray = self.engine.ray
        refs = list(self.pending)
        if wait:
            ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        else:
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in ready:
            done = self.pending.pop(ref)
            self.engine.finished(ref)
            try:
                outcome = ray.get(ref)
            except Exception as exc:  # the call itself failed (Ray gave up on it)
                from bitext.runs import reason

                outcome = f"rendering failed: {reason(exc)}"
            done(outcome)

    def settle(self, timeout: float | None = None) -> None:
        """Every submitted document handed over; after `timeout` seconds the
        rest are dropped (a stopped run reports them as not done)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pending:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            self.collect(wait=True, timeout=left)
        for ref in self.pending:
            self.engine.finished(ref)
        self.pending.clear()


class _Analyser:
    """Read, detect and segment on the workers, a few documents ahead of the pipeline."""

    def __init__(self, engine, files, forced, memory, stems, wanted, checkpoint) -> None:
        self.engine = engine
        self.checkpoint = checkpoint  # for the files read here, as locally
        self.files = files
        self.position = {path: i for i, path in enumerate(files)}
        self.forced = forced
        self.memory = memory
        self.stems = stems
        self.wanted = wanted
        self.ahead = LOOKAHEAD_PER_WORKER * len(engine.actors)
        self.sent = 0  # files[:sent] have been looked at
        self.pending: dict[Path, tuple] = {}

    def __call__(self, path: Path, doc_id: str) -> Document:
        self._send(self.position[path] + 1 + self.ahead)
        kind, value, key = self.pending.pop(path, ("local", None, None))
        if kind == "cached":
            return value
        if kind == "local":  # unreadable here: the reader names the file and the reason
            from bitext.pipeline import prepare_document

            return prepare_document(path, doc_id, self.forced, self.engine.limits, self.checkpoint)
        self.engine.finished(value)
        document, reason = self.engine.ray.get(value)
        if document is None:
            raise _AnalysisFailed(reason)
        if self.memory is not None:
            from bitext.pipeline import store_analysis

            store_analysis(self.memory, key, document)
        return document

    def _send(self, end: int) -> None:
        from bitext.limits import ReadError, read_file
        from bitext.pipeline import analysis_key, cached_analysis

        while self.sent < min(end, len(self.files)):
            path = self.files[self.sent]
            self.sent += 1
            if not self.wanted(path):
                continue
            doc_id = self.stems[path]
            try:  # bounded, and a pipe or device is refused rather than waited on
                data = read_file(path, self.engine.limits)
            except (OSError, ReadError):  # the reader, run here, says why
                self.pending[path] = ("local", None, None)
                continue
            key = None
            if self.memory is not None:
                key = analysis_key(data, self.forced, self.engine.limits)
                cached = cached_analysis(self.memory, key, path, doc_id)
                if cached is not None:
                    self.pending[path] = ("cached", cached, key)
                    continue
            ref = self.engine.call(
                "analyse", path.name, data, doc_id, self.forced, str(path), self.engine.limits
            )
            self.pending[path] = ("remote", ref, key)


class _AnalysisFailed(Exception):
    """A worker could not read a document; the message is the reader's own."""


def _cluster_device(device: str, resources: dict) -> str:
    """`auto` is CUDA when the cluster has GPUs (one per worker), else the CPU."""
    from bitext.pipeline import RequestError

    gpus = int(resources.get("GPU", 0))
    if device == "cuda" and gpus == 0:
        raise RequestError("--device cuda: the Ray cluster has no GPU; use --device cpu or auto")
    if device not in ("auto", "cpu", "cuda"):
        raise RequestError(f"device must be one of auto, cpu, cuda, not {device!r}")
    return "cuda" if device == "cuda" or (device == "auto" and gpus > 0) else "cpu"
