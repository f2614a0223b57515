"""Ctrl+C and SIGTERM for long runs: the first stops cleanly, the second at once.

The work runs in a worker thread so that the main thread is always free to
take a signal, even while CTranslate2 is busy in C code for seconds. The
first SIGINT or SIGTERM sets a stop event that the pipeline checks between
batches and documents: the batch in flight finishes, every complete document
is written, the rest is left for the next run. A second signal removes the
temporaries being written and ends the process at once; since every output
is renamed into place whole, no partial file can remain.

Reading, detecting and splitting a document is different: nothing is being
written then, and the work may be stuck (a stalled network file, one long
call into C). It runs inside `cancellable()`; when the first signal finds
the work still inside such a section `GRACE_S` seconds later, the process
ends at once, as on a second signal. So a run stops within seconds at any
stage, and `timeout 60 bitext translate ...` ends by itself.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from bitext.outputs import abort_writes

T = TypeVar("T")

#: Signals handled, and the exit code of a run they stopped (128 + number).
SIGNALS = (signal.SIGINT, signal.SIGTERM)


#: Seconds a stopped run waits for a document being read to reach a checkpoint.
GRACE_S = 2.0

#: Set while the work is inside `cancellable()` (module state: the signal
#: handling in the main thread has to see what the worker thread is doing).
_CANCELLABLE = threading.Event()


@contextmanager
def cancellable() -> Iterator[None]:
    """Mark work that a stop may end at once: reading, detecting, splitting one document.

    Nothing may be written inside (outputs, the translation memory), so
    ending the process there loses only the document in hand.
    """
    if threading.current_thread() is threading.main_thread():
        yield  # no worker: the signal handlers themselves interrupt the main thread
        return
    _CANCELLABLE.set()
    try:
        yield
    finally:
        _CANCELLABLE.clear()


#: Tests set it to a point's name (`read`, `written`, `detected`) so that a
#: run waits there for a signal: then the signal surely lands mid-run.
#: `NAME:hold` keeps waiting after the first signal (for a second one).
PAUSE_ENV = "BITEXT_TEST_PAUSE_AT"

#: The longest a run waits at a pause point (a test that never signals still ends).
PAUSE_LIMIT_S = 60.0


def pause_point(name: str, stop: threading.Event | None = None) -> None:
    """Wait at `name` for a stop request when `BITEXT_TEST_PAUSE_AT` names it.

    A test hook, and a no-op otherwise: the signal tests must interrupt a
    run that is surely still running, whatever the machine's speed. The
    pause says so on stderr, then waits until `stop` is set (the first
    signal) or, with no event (the main thread, where a signal raises) or
    with `:hold`, until a signal ends the process. Once `stop` is set,
    later points pass.
    """
    point, _, mode = os.environ.get(PAUSE_ENV, "").partition(":")
    if point != name or (stop is not None and stop.is_set()):
        return
    print(f"bitext: paused at {name} (test hook {PAUSE_ENV})", file=sys.stderr, flush=True)
    hold = mode == "hold" or stop is None  # then only a (second) signal ends the wait
    (threading.Event() if hold else stop).wait(PAUSE_LIMIT_S)


def exit_code(signum: int) -> int:
    """The shell convention: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


def _exit_at_once(signum: int, frame) -> None:
    raise SystemExit(exit_code(signum))


def exit_on_signals() -> None:
    """Until real work starts, SIGINT/SIGTERM exit at once with 130/143.

    Nothing has been written yet, and `finally` blocks still run; without
    this, Click would turn Ctrl+C into "Aborted!" and exit code 1.
    """
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            signal.signal(s, _exit_at_once)


def run_interruptible(
    work: Callable[[threading.Event], T],
    *,
    on_first: Callable[[int], None] | None = None,
    on_hard_stop: Callable[[int], None] | None = None,
) -> tuple[T, int | None]:
    """Run `work(stop_event)`; return its result and the first signal received.

    Outside the main thread (a library caller's worker) signals cannot be
    handled, so `work` simply runs with an event that is never set.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return work(stop), None
    received: list[int] = []
    box: dict[str, object] = {}
    first_at: list[float] = []

    def target() -> None:
        try:
            box["value"] = work(stop)
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc

    def stop_now(signum: int) -> None:
        abort_writes()
        if on_hard_stop:
            on_hard_stop(signum)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code(signum))

    def handler(signum: int, frame) -> None:
        received.append(signum)
        if len(received) == 1:
            first_at.append(time.monotonic())
            stop.set()
            if on_first:
                on_first(signum)
            return
        stop_now(signum)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    worker = threading.Thread(target=target, name="bitext-run", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            if (
                first_at
                and _CANCELLABLE.is_set()
                and time.monotonic() - first_at[0] >= GRACE_S
                and worker.is_alive()
            ):
                stop_now(received[0])  # stuck reading a document: nothing to finish
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"], (received[0] if received else None)  # type: ignore[return-value]
