"""How many CTranslate2 replicas, of how many threads each: chosen by measuring.

One replica using every core is not CTranslate2's best on small machines: on
2 cores, 2 replicas of 1 thread ran 1.39x faster than 1 replica of 2 threads
(issue 27), and on 16 cores 4 x 4 ran twice 1 x 16 (the brief). Which layout
wins depends on the model, the CPU and the compute type, so the engine
measures it once, with a short calibration (a fixed sample, well under 2 s
for a transformer-base model on 2 cores), and keeps the result in a small
JSON "wisdom" file, as FFTW keeps its plans: keyed by model digest, CPU
model, core count and compute type, so it runs once per model and machine.

When there is no measurement (calibration switched off, or the device is a
GPU) the rule is what was measured here: one replica per core. `--threads`
(total threads) and `--replicas` override the choice. Replicas are capped by
available memory: each holds its own decoding state (about 340 MB for a
transformer-base model, beam 4, 2048-token batches, measured).
"""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

#: The wisdom file, beside the translation memory ($BITEXT_CACHE_DIR or ~/.cache/bitext).
WISDOM_FILE = "layouts.json"
WISDOM_VERSION = 1
#: Set to 0 to switch calibration off (the rule is used, nothing is written).
CALIBRATE_ENV = "BITEXT_CALIBRATE"
#: Peak working memory of one replica (beyond the shared weights), per
#: source token of a batch and per beam: measured 340 MB for the
#: transformer-base copy model, beam 4, 2048-token batches (bench/translate_speed.py).
REPLICA_BYTES_PER_TOKEN_BEAM = 340 * 2**20 // (2048 * 4)
#: The share of available memory the replicas may use together.
MEMORY_SHARE = 0.5
#: Calibration sample: sentences of the shipped corpus, cut to this many tokens.
SAMPLE_SENTENCES = 24
SAMPLE_MAX_TOKENS = 24
#: Sentences per calibration batch.
SAMPLE_BATCH = 3
#: Seconds each candidate layout runs, twice (after loading and one warm-up
#: batch): 2 candidates on 2 cores make a calibration of about 2 s.
MEASURE_SECONDS = 0.25
#: The rule's layout stays unless another measures this much faster.
TIE = 0.10


@dataclass(frozen=True)
class Layout:
    """Replicas of the model, threads per replica, and where the choice came from.

    `source`: "options" (--threads/--replicas), "calibrated" (measured in this
    run), "wisdom" (measured before, from the cache), "rule" (no measurement)
    or "device" (a GPU: one replica). `capped` is set when available memory
    lowered the number of replicas.
    """

    replicas: int
    threads: int
    source: str = "rule"
    capped: bool = False

    def __str__(self) -> str:
        r, t = self.replicas, self.threads
        text = f"{r} replica{'s' if r != 1 else ''} x {t} thread{'s' if t != 1 else ''}"
        return text + f" ({self.source}{', capped by memory' if self.capped else ''})"

    def as_dict(self) -> dict:
        return asdict(self)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), else all of them."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cpu_model() -> str:
    """The CPU's model name (part of the wisdom key)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def available_memory() -> int | None:
    """Bytes of memory available now (Linux MemAvailable), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def rule_layout(cores: int) -> Layout:
    """No measurement: one replica per core (what was measured on 2 cores)."""
    return Layout(max(1, cores), 1, "rule")


def candidates(cores: int) -> list[tuple[int, int]]:
    """Layouts worth measuring: 1, 2 and 4 threads per replica, and one replica of all."""
    found = [(cores // t, t) for t in (1, 2, 4) if t <= cores and cores % t == 0]
    if (1, cores) not in found:
        found.append((1, cores))
    return found


def replica_cap(batch_tokens: int, beam: int, available: int | None = None) -> int:
    """How many replicas fit in MEMORY_SHARE of the available memory."""
    available = available_memory() if available is None else available
    if available is None:
        return 1 << 16
    per_replica = max(1, REPLICA_BYTES_PER_TOKEN_BEAM * batch_tokens * max(1, beam))
    return max(1, int(available * MEMORY_SHARE) // per_replica)


def capped(layout: Layout, cap: int) -> Layout:
    """`layout` with at most `cap` replicas; the threads stay per replica."""
    if layout.replicas <= cap:
        return layout
    return Layout(cap, layout.threads, layout.source, capped=True)


def requested(cores: int, replicas: int | None, threads: int | None) -> Layout | None:
    """The layout the user asked for with --replicas (and --threads, the total), or None.

    --threads alone sets the cores to use, not the layout (see `choose`).
    """
    if replicas is None:
        return None
    total = threads or cores
    return Layout(replicas, max(1, total // replicas), "options")


def calibration_enabled() -> bool:
    return os.environ.get(CALIBRATE_ENV, "1").strip().lower() not in ("0", "no", "false", "off")


def machine_busy(cores: int) -> bool:
    """Other work holds the cores now (1-minute load average at least `cores`):
    a calibration would measure that work, not the layouts, so the run uses
    the rule and a later, quieter run measures. BITEXT_CALIBRATE=force
    measures anyway."""
    if os.environ.get(CALIBRATE_ENV, "").strip().lower() == "force":
        return False
    try:
        return os.getloadavg()[0] >= cores
    except OSError:
        return False


# -- the wisdom file ----------------------------------------------------------


def wisdom_path() -> Path:
    from bitext.memory import default_path

    return default_path().parent / WISDOM_FILE


def wisdom_key(model_digest: str, compute_type: str, cores: int, cpu: str | None = None) -> str:
    return f"{model_digest}|{cpu or cpu_model()}|cores={cores}|{compute_type}"


def read_wisdom(path: Path) -> dict:
    """The file's layouts by key; an absent, unreadable or foreign file is empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != WISDOM_VERSION:
        return {}
    layouts = data.get("layouts")
    return layouts if isinstance(layouts, dict) else {}


def cached_layout(path: Path, key: str) -> Layout | None:
    entry = read_wisdom(path).get(key)
    try:
        return Layout(int(entry["replicas"]), int(entry["threads"]), "wisdom")
    except (TypeError, KeyError, ValueError):
        return None


#: Writers of the wisdom file in this process (read, add, write back as one step).
_WRITE_LOCK = threading.Lock()


def store_layout(path: Path, key: str, layout: Layout, measured: dict[str, float]) -> None:
    """Add a measurement to the wisdom file, atomically (a reader sees old or new)."""
    from bitext.outputs import atomic_write_bytes

    with _WRITE_LOCK:
        layouts = read_wisdom(path)
        layouts[key] = {
            "replicas": layout.replicas,
            "threads": layout.threads,
            "tokens_per_second": measured,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        data = {"version": WISDOM_VERSION, "layouts": layouts}
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        atomic_write_bytes(path, text.encode("utf-8"))


# -- calibration --------------------------------------------------------------


def calibration_sample(tokenize: Callable[[str], list[str]]) -> list[list[str]]:
    """A fixed sample: lines of the shipped Norwegian corpus, tokenized and cut short."""
    corpus = Path(__file__).resolve().parent / "data" / "copymodel-corpus.txt"
    sample = []
    for line in corpus.read_text(encoding="utf-8").splitlines()[2:]:
        tokens = tokenize(line)[:SAMPLE_MAX_TOKENS]
        if len(tokens) >= 8:
            sample.append(tokens)
        if len(sample) == SAMPLE_SENTENCES:
            break
    return sample


def measure(
    model: object,
    run: Callable[[object, list[list[str]]], object],
    replicas: int,
    batches: list[list[list[str]]],
    seconds: float,
) -> float:
    """Source tokens per second of `model` (with `replicas` replicas).

    Each replica's thread runs batches of the sample until `seconds` have
    passed, so the cost is bounded whatever the model, and a layout whose
    replicas finish unevenly pays for its tail as it would in a run.
    """

    def replica(first: int, deadline: float) -> int:
        tokens, n = 0, first
        while True:
            batch = batches[n % len(batches)]
            run(model, batch)
            tokens += sum(len(t) for t in batch)
            n += replicas
            if time.perf_counter() >= deadline:
                return tokens

    with ThreadPoolExecutor(replicas) as pool:
        start = time.perf_counter()
        done = sum(pool.map(replica, range(replicas), [start + seconds] * replicas))
        elapsed = time.perf_counter() - start
    return done / max(elapsed, 1e-9)


def _measure_fresh(load, run, layout: tuple[int, int], batches) -> float:
    """`measure` on a model loaded for it (in this thread) and warmed up with
    one small batch per replica; the model is gone when it returns, so no
    thread of it (OpenMP's spin after a parallel region) runs beside the next."""
    replicas, threads = layout
    box = [load(replicas, threads)]
    try:
        with ThreadPoolExecutor(replicas) as pool:
            list(pool.map(lambda b: run(box[0], b[:1]), batches[:replicas]))
        return measure(box[0], run, replicas, batches, MEASURE_SECONDS)
    finally:
        box.clear()


def calibrate(
    load: Callable[[int, int], object],
    run: Callable[[object, list[list[str]]], object],
    sample: list[list[str]],
    cores: int,
) -> tuple[tuple[int, int], dict[str, float]]:
    """The fastest layout for `cores` on `sample`, and tokens/s of each measured.

    The candidates are measured in two rounds, in opposite orders, for
    MEASURE_SECONDS each, and each keeps its better round (a burst of load
    from elsewhere rarely hits both). The rule's
    layout (one replica per core) stays unless another beats it by more
    than TIE: the rule is what was measured on these machines.
    """
    batches = [sample[i : i + SAMPLE_BATCH] for i in range(0, len(sample), SAMPLE_BATCH)]
    found = candidates(cores)
    rates = dict.fromkeys(found, 0.0)
    for order in (found, found[::-1]):
        for layout in order:
            rates[layout] = max(rates[layout], _measure_fresh(load, run, layout, batches))
    best = max(found, key=lambda c: rates[c])
    rule = (cores, 1)
    if rule in rates and rates[rule] >= rates[best] * (1 - TIE):
        best = rule
    return best, {f"{r}x{t}": round(v, 1) for (r, t), v in rates.items()}
