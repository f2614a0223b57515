"""Continuous batching: the sentences of concurrent requests in one model's batches.

CTranslate2 runs a batch of 64 sentences about ten times faster than 64
single calls (the brief's measurement). A server that translates each request
on its own, as LibreTranslate does, pays the single-call price whenever
clients send one sentence at a time. Here requests hand their sentences to a
`Batcher`, which fills each engine call with the sentences of every request
waiting at that moment, up to the engine's token budget, and starts the next
call as soon as a replica is free.

- A request's share of a batch is bounded (the budget divided among the
  requests waiting), so a huge request cannot starve small ones: each waiting
  request gets sentences into the next batch.
- The translation memory answers repeats before any batch is formed.
- One worker thread per model replica (`Translator.inter_threads`): each
  worker forms a batch from what waits and decodes it on a replica of its
  own while the other workers form and decode theirs, so every replica is
  busy, not only while one batch happens to be large enough to split.
  Each worker's batch is one CTranslate2 call (`translate(spread=1)`).
- Once free, a worker starts at once, except when far fewer sentences
  wait than its last batch held: then it waits a few milliseconds (bounded)
  for the clients it just answered, so they do not split into more groups
  than there are workers, each batch half full (`_regroup`).
- `cross_request=False` is the LibreTranslate-like baseline: one request at
  a time, each in its own engine call(s), as LibreTranslate's one model
  replica serves them.
- The queue is bounded in sentences (`QueueFull`, answered 503 by the API);
  a request whose caller gave up is cancelled and its sentences dropped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bitext.engine import Translator
from bitext.positions import Unfinished

if TYPE_CHECKING:
    from bitext.memory import TranslationMemory

#: Sentences waiting for the model, all requests together, before new ones are refused.
DEFAULT_MAX_QUEUED = 4096
#: How long `close` waits for the queued work to finish.
CLOSE_DEADLINE_SECONDS = 60.0
#: The longest the engine waits, once free, for the clients of its last batch
#: to come back (and then at most this share of that batch's time).
GATHER_SECONDS = 0.05
GATHER_SHARE = 0.25


class QueueFull(Exception):
    """Too many sentences are waiting: try again later (HTTP 503)."""


class BatcherClosed(Exception):
    """The server is shutting down: no new work is taken."""


@dataclass(eq=False)
class _Request:
    """One caller's distinct sentences on their way through the model."""

    future: Future
    #: Sentences not yet put in a batch, in the caller's order.
    pending: deque = field(default_factory=deque)
    #: Sentences not yet answered.
    outstanding: set = field(default_factory=set)
    results: dict = field(default_factory=dict)

    def deliver(self, done: dict[str, str]) -> None:
        for text in list(self.outstanding & done.keys()):
            self.results[text] = done[text]
            self.outstanding.discard(text)
        if not self.outstanding and not self.future.done():
            self.future.set_result(self.results)


@dataclass
class BatcherStats:
    """What the batcher has done so far (served at /v1/status)."""

    requests: int = 0
    workers: int = 1
    batches: int = 0
    model_sentences: int = 0
    memory_sentences: int = 0
    largest_batch: int = 0


class Batcher:
    """Feeds one Translator, from one worker thread per replica, with the
    sentences of every caller.

    `submit` may be called from any thread; it returns a Future of a dict
    (sentence -> translation) covering the distinct non-blank sentences given.
    """

    def __init__(
        self,
        translator: Translator,
        memory: TranslationMemory | None = None,
        *,
        cross_request: bool = True,
        max_queued: int = DEFAULT_MAX_QUEUED,
        batch_tokens: int | None = None,
        workers: int | None = None,
    ) -> None:
        self.translator = translator
        self.memory = memory
        self.cross_request = cross_request
        self.max_queued = max_queued
        #: One per replica, each decoding its own batch (see the module's notes);
        #: one without cross-request batching: LibreTranslate's one replica
        #: (argostranslate's inter_threads=1) serves one request at a time.
        replicas = max(1, getattr(translator, "inter_threads", 1))
        self.workers = workers or (replicas if cross_request else 1)
        self.batch_tokens = batch_tokens or translator.max_batch_tokens
        self.stats = BatcherStats(workers=self.workers)
        self._lock = threading.Condition()  # over an RLock: held again by helpers
        self._memory_lock = threading.Lock()  # one SQLite connection, one transaction at a time
        self._incoming: list[tuple[_Request, list[str]]] = []
        self._active: list[_Request] = []  # admitted, in arrival order
        self._queued = 0  # sentences submitted and not yet in a batch
        self._closing = False
        self._threads: list[threading.Thread] = []

    # -- callers' side -------------------------------------------------------

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._loop, name=f"bitext-batcher-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, sentences: Sequence[str]) -> Future:
        """Queue `sentences`; raises QueueFull or BatcherClosed at once when refused."""
        texts = list(dict.fromkeys(s for s in sentences if s.strip()))
        request = _Request(future=Future(), outstanding=set(texts))
        if not texts:
            request.future.set_result({})
            return request.future
        with self._lock:
            if self._closing:
                raise BatcherClosed("the server is shutting down")
            if self._queued + len(texts) > self.max_queued:
                raise QueueFull(
                    f"{self._queued} sentences are waiting for the model "
                    f"(limit {self.max_queued}); try again shortly"
                )
            self._queued += len(texts)
            self.stats.requests += 1
            self._incoming.append((request, texts))
            self._lock.notify()
        return request.future

    def cancel(self, future: Future) -> None:
        """The caller gave up (a timeout): its sentences not yet batched are dropped."""
        future.cancel()  # a Future not yet running can always be cancelled
        with self._lock:
            self._lock.notify()

    @property
    def queued(self) -> int:
        """Sentences waiting for a batch, all callers together."""
        return self._queued

    def close(self, deadline: float = CLOSE_DEADLINE_SECONDS) -> None:
        """Refuse new work, finish what is queued, stop the thread (bounded wait)."""
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        end = time.monotonic() + deadline
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))

    # -- the workers' threads -----------------------------------------------

    def _loop(self) -> None:
        last = _LastBatches()
        while True:
            with self._lock:
                while not self._incoming and not self._has_work() and not self._closing:
                    self._lock.wait()
                incoming, self._incoming = self._incoming, []
                if self._closing and not incoming and not self._has_work():
                    return
            for request, texts in incoming:
                self._admit(request, texts)
            if self._regroup(last):
                continue  # admit what came in meanwhile
            with self._lock:
                batch = self._gather()
                if self._has_work():
                    self._lock.notify()  # more is waiting: a free worker takes it
            if batch:
                self._decode(batch, last)

    def _regroup(self, last: _LastBatches) -> bool:
        """Wait briefly when far fewer sentences wait than this worker's last batch held.

        Clients answered by a batch send their next request a few milliseconds
        later. Starting at once with the few that came back first would split
        them into more groups than there are workers, each batch half full, for
        good. So a worker with fewer sentences waiting than its last batch held
        (one worker: its last two, both groups of such a split) waits for the
        rest, at most GATHER_SECONDS and at most GATHER_SHARE of the last
        batch's time, once per batch. True when it waited.
        """
        wanted = last.size + (last.previous if self.workers == 1 else 0)
        if not self.cross_request or last.size < 2 or self._queued >= wanted:
            return False
        window = min(GATHER_SECONDS, GATHER_SHARE * last.seconds)
        deadline = time.monotonic() + window
        with self._lock:
            while self._queued < wanted and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
        last.size = 0  # once per batch
        return True

    def _has_work(self) -> bool:
        return any(r.pending and not r.future.cancelled() for r in self._active)

    def _admit(self, request: _Request, texts: list[str]) -> None:
        """Answer from the memory what it knows; queue the rest for the model."""
        known: dict[str, str] = {}
        if self.memory is not None:
            try:
                with self._memory_lock:
                    known = self.memory.get_many(self.translator.model_key, texts)
            except Exception:  # a memory problem costs speed, not the answer
                known = {}
        with self._lock:
            self.stats.memory_sentences += len(known)
            request.pending.extend(t for t in texts if t not in known)
            self._queued -= len(known)
            request.deliver(known)
            if request.pending:
                self._active.append(request)

    def _gather(self) -> list[tuple[_Request, str]]:
        """The next engine call's sentences, each with the request it is for
        (called with the lock held)."""
        dropped = [r for r in self._active if r.future.cancelled()]
        for request in dropped:
            self._active.remove(request)
            self._queued -= len(request.pending)
            request.pending.clear()
        live = [r for r in self._active if r.pending]
        if not live:
            return []
        if not self.cross_request:
            return self._take(live[0], float("inf"))
        share = max(1, self.batch_tokens // len(live))
        batch: list[tuple[_Request, str]] = []
        for request in live:  # first pass: every request its share
            batch += self._take(request, share)
        spent = sum(self._tokens(text) for _, text in batch)
        for request in live:  # second pass: what is left of the budget, first come first
            if spent >= self.batch_tokens:
                break
            more = self._take(request, self.batch_tokens - spent)
            spent += sum(self._tokens(text) for _, text in more)
            batch += more
        return batch

    def _take(self, request: _Request, budget: float) -> list[tuple[_Request, str]]:
        """Sentences from the front of `request` within `budget` tokens (at least one)."""
        taken: list[tuple[_Request, str]] = []
        spent = 0
        while request.pending:
            size = self._tokens(request.pending[0])
            if taken and spent + size > budget:
                break
            taken.append((request, request.pending.popleft()))
            spent += size
        self._queued -= len(taken)
        return taken

    def _tokens(self, text: str) -> int:
        """A sentence's size for the budget: its words plus a margin, cheap to count.

        SentencePiece gives about 1.3 tokens per word in news text; the engine
        bounds its own batches by real tokens, so this only has to be close.
        """
        return len(text.split()) * 4 // 3 + 2

    def _decode(self, batch: list[tuple[_Request, str]], last: _LastBatches) -> None:
        texts = list(dict.fromkeys(text for _, text in batch))
        requests = list(dict.fromkeys(request for request, _ in batch))
        started = time.monotonic()
        try:
            # One call, one replica: the other workers keep the other replicas busy.
            outputs = self.translator.translate(texts, spread=1)
        except Exception as exc:  # the callers of this batch get the error; the rest go on
            with self._lock:
                for request in requests:
                    if not request.future.done():
                        request.future.set_exception(exc)
                    if request in self._active:
                        self._active.remove(request)
                    self._queued -= len(request.pending)
                    request.pending.clear()
            return
        done = dict(zip(texts, outputs))
        self._remember(done)
        last.previous, last.size = last.size, len(texts)
        last.seconds = time.monotonic() - started
        with self._lock:
            self.stats.batches += 1
            self.stats.model_sentences += len(texts)
            self.stats.largest_batch = max(self.stats.largest_batch, len(texts))
            for request in requests:
                request.deliver(done)
                if not request.pending and request in self._active:
                    self._active.remove(request)

    def _remember(self, done: dict[str, str]) -> None:
        """Store the batch's finished translations (an unfinished one is tried
        again next time, as the CLI does)."""
        kept = {s: t for s, t in done.items() if not isinstance(t, Unfinished)}
        if self.memory is None or not kept:
            return
        try:
            with self._memory_lock:
                self.memory.put_many(self.translator.model_key, kept)
        except Exception:  # a memory problem costs a later repeat, not this answer
            pass


@dataclass
class _LastBatches:
    """A worker's last engine call (for `_regroup`): sentences and seconds, and
    the size of the call before it."""

    size: int = 0
    seconds: float = 0.0
    previous: int = 0
