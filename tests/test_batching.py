"""The batcher on the real engine: shared batches, fair shares, memory, bounds.

Requests are submitted before the batcher's thread starts, so what it finds
waiting is known exactly; each future then has a deadline.
"""

from __future__ import annotations

import threading

import pytest

from bitext.memory import TranslationMemory
from bitext.web.batching import Batcher, BatcherClosed, QueueFull

DEADLINE = 60


def sentences(prefix: str, count: int) -> list[str]:
    return [f"{prefix} setning nummer {i} om været i Oslo." for i in range(count)]


def test_concurrent_requests_share_one_batch_and_get_their_own_answers(translator):
    batcher = Batcher(translator)
    requests = [sentences(f"Klient {c}", 2) for c in range(8)]
    futures = []
    threads = [
        threading.Thread(target=lambda r=r: futures.append((r, batcher.submit(r))))
        for r in requests
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    batcher.start()
    try:
        for texts, future in futures:
            answer = future.result(timeout=DEADLINE)
            assert answer == dict(zip(texts, translator.translate(texts)))
    finally:
        batcher.close()
    assert batcher.stats.batches == 1
    assert batcher.stats.largest_batch == 16


def test_without_cross_request_batching_each_request_is_its_own_call(translator):
    batcher = Batcher(translator, cross_request=False)
    futures = [batcher.submit(sentences(f"Klient {c}", 2)) for c in range(4)]
    batcher.start()
    try:
        for future in futures:
            future.result(timeout=DEADLINE)
    finally:
        batcher.close()
    assert batcher.stats.batches == 4


def test_a_huge_request_does_not_starve_a_small_one(translator):
    batcher = Batcher(translator, batch_tokens=400)
    huge = batcher.submit(sentences("Stor", 300))
    small = batcher.submit(["En liten setning."])
    seen: dict[str, int] = {}
    small.add_done_callback(lambda f: seen.setdefault("small", batcher.stats.batches))
    huge.add_done_callback(lambda f: seen.setdefault("huge", batcher.stats.batches))
    batcher.start()
    try:
        assert small.result(timeout=DEADLINE) == {"En liten setning.": "En liten setning."}
        assert len(huge.result(timeout=DEADLINE)) == 300
    finally:
        batcher.close()
    # The small request rode in the first batch; the huge one needed many.
    assert seen["small"] == 1
    assert seen["huge"] >= 5


def test_the_memory_answers_repeats_without_the_model(translator, tmp_path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:
        batcher = Batcher(translator, memory)
        batcher.start()
        try:
            texts = sentences("Gjentatt", 3)
            first = batcher.submit(texts).result(timeout=DEADLINE)
            batches = batcher.stats.batches
            again = batcher.submit(texts).result(timeout=DEADLINE)
        finally:
            batcher.close()
    assert again == first
    assert batcher.stats.batches == batches == 1
    assert batcher.stats.memory_sentences == 3


def test_the_queue_is_bounded_and_a_closed_batcher_takes_nothing(translator):
    batcher = Batcher(translator, max_queued=5)
    with pytest.raises(QueueFull, match="limit 5"):
        batcher.submit(sentences("For mange", 6))
    waiting = batcher.submit(sentences("Venter", 5))
    with pytest.raises(QueueFull):
        batcher.submit(["En til."])
    batcher.start()
    batcher.close()  # finishes what was queued first
    assert len(waiting.result(timeout=0)) == 5
    with pytest.raises(BatcherClosed):
        batcher.submit(["Etter stopp."])
    assert batcher.submit([" ", ""]).result(timeout=0) == {}


def test_a_cancelled_request_is_dropped_before_its_batch(translator):
    batcher = Batcher(translator)
    gone = batcher.submit(sentences("Borte", 4))
    kept = batcher.submit(sentences("Her", 2))
    batcher.cancel(gone)
    batcher.start()
    try:
        assert len(kept.result(timeout=DEADLINE)) == 2
    finally:
        batcher.close()
    assert gone.cancelled()
    assert batcher.stats.model_sentences == 2
    assert batcher.queued == 0


class _MeetingTranslator:
    """Hands each call to the real engine, the first two only once both have
    started: calls made one after another never meet (BrokenBarrierError)."""

    def __init__(self, translator) -> None:
        self.translator = translator
        self.max_batch_tokens = translator.max_batch_tokens
        self.model_key = translator.model_key
        self.meeting = threading.Barrier(2, timeout=20)
        self.calls = 0
        self.count = threading.Lock()

    def translate(self, texts, *args, **kwargs):
        with self.count:
            self.calls += 1
            meets = self.calls <= 2
        if meets:
            self.meeting.wait()
        return self.translator.translate(texts, *args, **kwargs)


def test_each_replica_has_a_worker_decoding_its_own_batch_at_the_same_time(installed_models):
    from bitext.engine import Translator
    from bitext.models import find_package

    engine = Translator(find_package("nb", "en", installed_models), threads=2, replicas=2)
    meeting = _MeetingTranslator(engine)
    batcher = Batcher(meeting, batch_tokens=40, workers=engine.inter_threads)
    requests = [sentences("Først", 4), sentences("Så", 4)]
    futures = [batcher.submit(texts) for texts in requests]
    batcher.start()
    try:
        answers = [future.result(timeout=DEADLINE) for future in futures]
    finally:
        batcher.close()
    assert batcher.stats.workers == 2
    assert batcher.stats.batches >= 2 and not meeting.meeting.broken
    for texts, answer in zip(requests, answers):
        assert answer == dict(zip(texts, engine.translate(texts)))
