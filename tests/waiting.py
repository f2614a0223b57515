"""Waits on child processes that always end: every one has a deadline.

A blocking `readline()` on a child's pipe hangs the test for good when the
child stalls without printing or exiting; these helpers read in a daemon
thread and give up after `timeout` seconds, killing the child, so the test
fails with what it had read instead of stalling the suite.
"""

from __future__ import annotations

import queue
import subprocess
import threading


def read_line(proc: subprocess.Popen, stream, timeout: float) -> str:
    """The next line of `stream` (a pipe of `proc`), or fail after `timeout` seconds."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        proc.kill()
        proc.wait(timeout=30)
        raise AssertionError(f"no line from the child within {timeout} s") from None
