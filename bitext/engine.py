"""Translation on CTranslate2 with an Argos package's model and tokenizer.

argostranslate's own translate() makes one CTranslate2 call per paragraph.
Here all sentences of a chunk of documents arrive in one call: duplicates are
dropped, sentences already in the translation memory are taken from it, the
rest are sorted by token length and translated in token-bounded batches, and
the results are mapped back. Decoding settings are those of argostranslate
1.11 (beam 4, length penalty 0.2, unknown tokens replaced, the package's
target prefix), so each sentence comes out as Argos would give it, up to
CTranslate2's own batch invariance (bench/translate_speed.py measures it).
"""

from __future__ import annotations

import functools
import math
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bitext import layout as layouts
from bitext.layout import Layout
from bitext.models import InstalledPackage
from bitext.positions import (
    FAILED,
    POSITION_LIMIT,
    PositionLimits,
    Unfinished,
    cut_reason,
    decoding_bound,
    input_bound,
    read_position_limits,
)

if TYPE_CHECKING:
    from bitext.memory import TranslationMemory

#: Sentences longer than this many tokens are cut on token boundaries,
#: translated piece by piece and rejoined (models are trained on shorter input).
MAX_INPUT_TOKENS = 250
#: argostranslate leaves CTranslate2's default decoding limit (256 tokens).
ARGOS_MAX_DECODING_LENGTH = 256
#: Source tokens per batch. 2048 is ~64-80 news sentences, the batch size the
#: brief measured; bench/translate_speed.py --batch-tokens compares others.
DEFAULT_BATCH_TOKENS = 2048
#: A small run is cut into at least this many batches (of at least
#: MIN_SPREAD_TOKENS), so every replica has work: the seeds are ~1,800 tokens,
#: one batch at 2048. The rule does not depend on the layout, so every layout
#: decodes the same batches and gives the same output.
SPREAD_BATCHES = 8
MIN_SPREAD_TOKENS = 256
#: Deadlines: a background model load, and one batch on a replica.
LOAD_TIMEOUT = 600.0
BATCH_TIMEOUT = 1800.0
DEVICES = ("auto", "cpu", "cuda")
#: CTranslate2's compute types, and bitext's "default" (int8 on the CPU,
#: int8_float16 on a GPU); checked before any file is read.
COMPUTE_TYPES = (
    "default",
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)


@dataclass(frozen=True)
class DecodeOptions:
    """Decoding settings; part of the translation-memory key."""

    beam_size: int = 4
    length_penalty: float = 0.2
    replace_unknowns: bool = True

    @classmethod
    def fast(cls) -> DecodeOptions:
        """Greedy decoding: several times faster, slightly lower quality."""
        return cls(beam_size=1)

    def key(self) -> str:
        return f"beam={self.beam_size};lp={self.length_penalty};unk={int(self.replace_unknowns)}"


def resolve_device(device: str) -> str:
    """`auto` is CUDA only when CTranslate2 can use a GPU, else the CPU.

    When `auto` falls back to the CPU although this machine has an NVIDIA
    GPU, the reason goes to stderr: a user with a GPU should know why it idles.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    if device == "cpu":
        return device
    cublas = load_cublas()
    import ctranslate2

    gpus = ctranslate2.get_cuda_device_count()
    problem = None
    if gpus == 0:
        problem = (
            "CTranslate2 sees no CUDA device (its PyPI build needs an NVIDIA driver "
            "for CUDA 12 or newer)"
        )
    elif cublas is None:
        problem = f"cuBLAS 12 is not found; {GPU_HINT}"
    if problem is None:
        return "cuda"
    if device == "cuda":
        raise ValueError(f"--device cuda: {problem}; use --device cpu or auto")
    if gpu_present():
        sys.stderr.write(f"note: translating on the CPU although a GPU is present: {problem}\n")
    return "cpu"


#: What a GPU user without cuBLAS 12 installs.
GPU_HINT = "install the extra 'gpu': pip install 'bitext[gpu]'"
_CUBLAS_LIBRARIES = ("libcublasLt.so.12", "libcublas.so.12")


@functools.cache
def load_cublas() -> str | None:
    """Load cuBLAS 12, globally, before CTranslate2 needs it; where from, or None.

    The PyPI CTranslate2 wheel links cuBLAS 12, which a machine with a newer
    CUDA (13+) lacks. The `nvidia-cublas-cu12` wheel (extra `gpu`) ships it;
    loaded with RTLD_GLOBAL, CTranslate2 finds it by name. Without the wheel,
    a system cuBLAS 12 is tried.
    """
    import ctypes

    folders = []
    try:
        import nvidia.cublas  # the extra `gpu` (a namespace package)

        folders = [Path(p) / "lib" for p in nvidia.cublas.__path__]
    except ImportError:
        pass
    for folder in [*folders, None]:
        try:
            for name in _CUBLAS_LIBRARIES:
                ctypes.CDLL(str(folder / name) if folder else name, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            continue
        return str(folder) if folder else "system"
    return None


def gpu_present() -> bool:
    """An NVIDIA GPU is visible to the kernel (whether or not CUDA can use it)."""
    return Path("/dev/nvidia0").exists() or any(Path("/proc/driver/nvidia/gpus").glob("*"))


@dataclass
class TranslateStats:
    """What one `translate` call did; the pipeline and benchmark report it."""

    sentences: int = 0
    unique: int = 0
    cached: int = 0
    translated: int = 0
    source_tokens: int = 0
    batches: int = 0
    calls: list[int] = field(default_factory=list, repr=False)


class Translator:
    """Translates lists of sentences with one installed package.

    On the CPU the model runs as `layout.replicas` CTranslate2 replicas of
    `layout.threads` threads each (one `ctranslate2.Translator` with
    `inter_threads`: the replicas share the weights), chosen by
    `bitext.layout`. `translate` runs its batches on the replicas from a
    small thread pool of its own; it may also be called from several threads
    at once (a server's batcher, one worker per replica), each call then
    decoding on whichever replica is free (`last_stats` tells of one of them).
    """

    def __init__(
        self,
        package: InstalledPackage,
        *,
        device: str = "auto",
        compute_type: str = "default",
        threads: int | None = None,
        replicas: int | None = None,
        calibrate: bool = True,
        options: DecodeOptions | None = None,
        max_batch_tokens: int = DEFAULT_BATCH_TOKENS,
        spread_batches: int = SPREAD_BATCHES,
    ) -> None:
        self.package = package
        self.options = options or DecodeOptions()
        self.max_batch_tokens = max_batch_tokens
        self.spread_batches = max(1, spread_batches)
        self._argos = package.load_argos()
        self._tokenizer = self._argos.tokenizer
        device = resolve_device(device)
        if compute_type == "default":
            compute_type = "int8" if device == "cpu" else "int8_float16"
        self.device = device
        self.compute_type = compute_type
        self.last_stats = TranslateStats()
        self._asked = (threads, replicas)
        self._calibrate = calibrate
        self._layout: Layout | None = None if device == "cpu" else Layout(1, 1, "device")
        self._loaded = None
        self._lock = threading.Lock()  # the layout and the model are made once
        self._loader: threading.Thread | None = None  # see preload
        self._ready = threading.Event()  # the loader has loaded (or failed)
        self._release = threading.Event()  # the loader may end (close)
        self._limits: PositionLimits | None = None

    @property
    def layout(self) -> Layout:
        """Replicas x threads; chosen (and calibrated, once per model and
        machine) on first use."""
        with self._lock:
            if self._layout is None:
                self._layout = self._choose_layout()
            return self._layout

    @property
    def chosen_layout(self) -> Layout | None:
        """The layout once chosen, else None (asking `layout` may calibrate)."""
        return self._layout

    @property
    def inter_threads(self) -> int:
        return self.layout.replicas

    @property
    def intra_threads(self) -> int:
        return self.layout.threads

    def _choose_layout(self) -> Layout:
        threads, replicas = self._asked
        cores = threads or layouts.usable_cores()
        cap = layouts.replica_cap(self.max_batch_tokens, self.options.beam_size)
        asked = layouts.requested(cores, replicas, threads)
        if asked is not None:
            return layouts.capped(asked, cap)
        rule = layouts.capped(layouts.rule_layout(cores), cap)
        if not self._calibrate or not layouts.calibration_enabled() or cores == 1:
            return rule
        path = layouts.wisdom_path()
        key = layouts.wisdom_key(self.model_digest, self.compute_type, cores)
        found = layouts.cached_layout(path, key)
        if found is not None:
            return layouts.capped(found, cap)
        if layouts.machine_busy(cores):
            return rule
        sample = layouts.calibration_sample(self.tokenize)
        best, rates = layouts.calibrate(self._new_model, self._decode, sample, cores)
        chosen = Layout(*best, "calibrated")
        try:
            layouts.store_layout(path, key, chosen, rates)
        except OSError as exc:  # measured all the same; said, not fatal
            sys.stderr.write(f"note: cannot keep the thread layout in {path}: {exc}\n")
        return layouts.capped(chosen, cap)

    def _new_model(self, replicas: int, threads: int):
        if self.device == "cuda":
            load_cublas()
        import ctranslate2

        return ctranslate2.Translator(
            str(self.package.path / "model"),
            device=self.device,
            compute_type=self.compute_type,
            inter_threads=replicas,
            intra_threads=threads,
        )

    def preload(self) -> None:
        """Choose the layout now, and load the model in a background thread.

        The pipeline calls it when the first document needing this model has
        been read, so loading overlaps reading, detection and segmentation of
        the rest. Calibration (first use on a machine only) runs here, in the
        caller's thread: measured beside other work it would measure that.
        Errors are left for the first real use to raise. Call `close` when
        done with the engine.
        """
        if self._loaded is not None or self._loader is not None:
            return
        try:
            _ = self.layout
        except Exception:
            return
        self._loader = threading.Thread(target=self._hold, name="bitext-load", daemon=True)
        self._loader.start()

    def _hold(self) -> None:
        """Load the model, then stay until `close`: a model made by a thread
        that has ended runs about 10x slower with intra_threads > 1 (measured
        with CTranslate2 4.8's OpenMP build; its threads belong to that thread)."""
        try:
            self._load()
        except Exception:  # raised again where the model is needed
            pass
        finally:
            self._ready.set()
        self._release.wait()

    def close(self) -> None:
        """Let the loading thread end, and forget its model (a later use loads
        the model again, in the calling thread)."""
        if self._loader is not None:
            with self._lock:
                self._loaded = None
            self._release.set()
            self._loader = None

    def _load(self):
        layout = self.layout
        with self._lock:
            if self._loaded is None:
                self._loaded = self._new_model(layout.replicas, layout.threads)
            return self._loaded

    @property
    def limits(self) -> PositionLimits:
        """The model's position limits, read from its files once (bitext.positions)."""
        if self._limits is None:
            self._limits = read_position_limits(self.package.path / "model")
        return self._limits

    @limits.setter
    def limits(self, limits: PositionLimits) -> None:
        """Set the limits by hand (a model whose files do not tell them)."""
        self._limits = limits

    @property
    def max_input_tokens(self) -> int:
        """Tokens of one input piece: MAX_INPUT_TOKENS, less for a short position table."""
        prefix = 1 if self.package.target_prefix else 0
        return input_bound(self.limits, MAX_INPUT_TOKENS, prefix)

    @property
    def _model(self):
        """The CTranslate2 model, loaded on first use (or by `preload`): a run
        served entirely from the translation memory never pays for loading it."""
        if self._loaded is not None:
            return self._loaded
        if self._loader is not None and not self._ready.wait(LOAD_TIMEOUT):
            raise TimeoutError(f"loading {self.package.label} took over {LOAD_TIMEOUT:.0f} s")
        return self._load()

    @property
    def model_digest(self) -> str:
        """The package archive's SHA-256, or the model file's size and time."""
        checksum = self.package.sha256
        if not checksum:
            stat = (self.package.path / "model" / "model.bin").stat()
            checksum = f"unrecorded:{stat.st_size}:{stat.st_mtime_ns}"
        return checksum

    @property
    def model_key(self) -> str:
        """Identifies the model and settings: outputs depend on nothing else.

        Package code, version and archive SHA-256 (or, for a package installed
        without a record, the model file's size and time), compute type and
        decoding settings. It keys the translation memory.
        """
        package = self.package
        return (
            f"{package.code}@{package.version}#{self.model_digest}|{self.compute_type}|"
            f"{self.options.key()}"
        )

    def tokenize(self, sentence: str) -> list[str]:
        return self._tokenizer.encode(sentence)

    def _detokenize(self, tokens: list[str]) -> str:
        value = self._tokenizer.decode(tokens)
        prefix = self.package.target_prefix
        if prefix and value.startswith(prefix):
            value = value[len(prefix) :]
        if value.startswith(" "):
            value = value[1:]
        return value

    def _pieces(self, tokens: list[str]) -> list[list[str]]:
        """A too long input cut into pieces of at most `max_input_tokens`.

        Cuts fall before a word-start token (SentencePiece's `▁`) where one is
        in the second half of the window, so no word is split and the pieces'
        translations rejoin with a space; a single word longer than that is
        cut where it must and rejoined without one (see `_rejoin`).
        """
        most = self.max_input_tokens
        if len(tokens) <= most:
            return [tokens]
        pieces, start = [], 0
        while len(tokens) - start > most:
            end = start + most
            window = range(end, start + most // 2, -1)
            cut = next((i for i in window if _word_start(tokens[i])), end)
            pieces.append(tokens[start:cut])
            start = cut
        pieces.append(tokens[start:])
        return pieces

    def translate(
        self,
        sentences: Sequence[str],
        progress: Callable[[int], None] | None = None,
        *,
        memory: TranslationMemory | None = None,
        on_translated: Callable[[dict[str, str]], None] | None = None,
        spread: int | None = None,
    ) -> list[str]:
        """Translations of `sentences`, in order.

        Duplicates are translated once; with a `memory`, known sentences are
        taken from it and new ones stored in it batch by batch (so an
        interrupted run keeps its work). After each batch, `progress(n)` gets
        the number of distinct sentences finished and `on_translated` a dict
        of them (source -> translation), so callers can export documents as
        soon as their last sentence is done. Blank sentences give "".
        `spread` replaces `spread_batches` for this call (a server's batcher
        passes 1: its batch is one CTranslate2 call on one replica).
        """
        stats = self.last_stats = TranslateStats(sentences=len(sentences))
        unique = list(dict.fromkeys(s for s in sentences if s.strip()))
        stats.unique = len(unique)
        done: dict[str, str] = {}
        key = self.model_key
        if memory is not None and unique:
            done.update(memory.get_many(key, unique))
            stats.cached = len(done)
            if done:
                self._report(dict(done), progress, on_translated)
        todo = [s for s in unique if s not in done]
        # Units: a sentence, or a piece of a too long one.
        units: list[tuple[int, list[str]]] = []
        parts = [0] * len(todo)
        for index, sentence in enumerate(todo):
            for piece in self._pieces(self.tokenize(sentence)):
                units.append((index, piece))
                parts[index] += 1
                stats.source_tokens += len(piece)
        order = sorted(range(len(units)), key=lambda u: (len(units[u][1]), u))
        outputs: dict[int, list[tuple[int, str]]] = {}  # pieces done per sentence
        groups = self._groups(order, units, spread or self.spread_batches)
        for group, results in self._execute(groups, units):
            stats.batches += 1
            stats.calls.append(len(group))
            finished: dict[str, str] = {}
            for unit, text in zip(group, results):
                index = units[unit][0]
                slot = outputs.setdefault(index, [])
                slot.append((unit, text))
                if len(slot) == parts[index]:
                    finished[todo[index]] = _rejoin([(units[u][1], t) for u, t in sorted(slot)])
                    del outputs[index]
            kept = {s: t for s, t in finished.items() if not isinstance(t, Unfinished)}
            if memory is not None and kept:  # an unfinished one is tried again next time
                memory.put_many(key, kept)
            done.update(finished)
            stats.translated += len(finished)
            if finished:
                self._report(finished, progress, on_translated)
        return [done.get(s, "") for s in sentences]

    @staticmethod
    def _report(finished, progress, on_translated) -> None:
        if on_translated:
            on_translated(finished)
        if progress:
            progress(len(finished))

    def _groups(self, order: list[int], units, spread: int) -> list[list[int]]:
        """Token-bounded batches in length order, one per CTranslate2 call
        (`plan_batches`: the same whatever the layout)."""
        sizes = [len(units[u][1]) for u in order]
        return [
            [order[i] for i in batch]
            for batch in plan_batches(sizes, self.max_batch_tokens, spread)
        ]

    def _execute(self, groups: list[list[int]], units) -> Iterator[tuple[list[int], list[str]]]:
        """(group, its translations) for each group, as they finish.

        With one replica, one CTranslate2 call after another. With several,
        each replica is fed from a thread pool: the costliest batches go
        first and one more waits in line, so no replica idles while another
        holds the tail. The Ray engine (bitext.cluster) sends the same
        groups to translator actors instead, so every engine and layout
        decodes exactly the same batches.
        """
        replicas = self.layout.replicas if len(groups) > 1 else 1
        if replicas <= 1:
            for group in groups:
                yield group, self._run(group, units)
            return
        _ = self._model  # loaded (or its load awaited) before the threads start
        # Padded tokens: what a batch costs to decode.
        cost = [len(group) * max(len(units[u][1]) for u in group) for group in groups]
        waiting = deque(sorted(range(len(groups)), key=lambda g: (-cost[g], g)))
        with ThreadPoolExecutor(replicas, thread_name_prefix="bitext-replica") as pool:
            running: dict = {}
            try:
                while waiting or running:
                    while waiting and len(running) <= replicas:
                        g = waiting.popleft()
                        running[pool.submit(self._run, groups[g], units)] = g
                    done, _ = wait(running, timeout=BATCH_TIMEOUT, return_when=FIRST_COMPLETED)
                    if not done:
                        raise TimeoutError(f"a batch took over {BATCH_TIMEOUT:.0f} s")
                    for future in sorted(done, key=running.get):
                        g = running.pop(future)
                        yield groups[g], future.result()
            finally:  # stopped or failed: batches not started are dropped
                for future in running:
                    future.cancel()

    def _run(self, group: list[int], units) -> list[str]:
        return self.translate_tokens([units[u][1] for u in group])

    def translate_tokens(self, tokens: list[list[str]]) -> list[str]:
        """One CTranslate2 call on already tokenized, already batched input.

        One sentence never fails the others: a batch CTranslate2 refuses is
        retried in halves, down to one input; an input that still fails, or
        whose decoding reaches the model's position limit, comes back as an
        `Unfinished` translation with its flag and reason.
        """
        model = self._model  # a model that cannot load fails the call, not each sentence
        try:
            return self._decode(model, tokens)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError
            if len(tokens) == 1:
                return [Unfinished("", FAILED, f"the model failed on this sentence: {exc}")]
            half = len(tokens) // 2
            return self.translate_tokens(tokens[:half]) + self.translate_tokens(tokens[half:])

    def _decode(self, model, tokens: list[list[str]]) -> list[str]:
        prefix = (
            [[self.package.target_prefix]] * len(tokens) if self.package.target_prefix else None
        )
        longest = max(len(t) for t in tokens)
        wanted = min(1024, max(ARGOS_MAX_DECODING_LENGTH, 2 * longest + 16))
        bound = decoding_bound(self.limits, wanted, 1 if prefix else 0)
        results = model.translate_batch(
            tokens,
            target_prefix=prefix,
            beam_size=self.options.beam_size,
            length_penalty=self.options.length_penalty,
            replace_unknowns=self.options.replace_unknowns,
            max_decoding_length=bound,
            max_batch_size=0,  # each call is one batch (see _groups)
            batch_type="tokens",
        )
        texts: list[str] = []
        for result in results:
            hypothesis = result.hypotheses[0]
            text = self._detokenize(hypothesis)
            if len(hypothesis) >= bound:  # it did not stop by itself
                flag = POSITION_LIMIT if bound < wanted else FAILED
                text = Unfinished(text, flag, cut_reason(self.limits, bound, wanted))
            texts.append(text)
        return texts


def plan_batches(
    sizes: Sequence[int], max_tokens: int, spread: int = SPREAD_BATCHES
) -> list[list[int]]:
    """Consecutive batches of positions in `sizes` (token counts, already in
    length order), each at most `max_tokens` tokens (counting one end token
    per input) unless one input alone is over it.

    The bound is lowered for a small run so that it makes at least `spread`
    batches (of at least MIN_SPREAD_TOKENS): every replica gets work. It never
    depends on the layout, so neither does the output; bench/translate_speed.py
    builds the raw CTranslate2 arm's batches with it too.
    """
    total = sum(n + 1 for n in sizes)
    bound = min(max_tokens, max(MIN_SPREAD_TOKENS, math.ceil(total / max(1, spread))))
    batches: list[list[int]] = []
    batch: list[int] = []
    tokens = 0
    for position, n in enumerate(sizes):
        if batch and tokens + n + 1 > bound:
            batches.append(batch)
            batch, tokens = [], 0
        batch.append(position)
        tokens += n + 1
    if batch:
        batches.append(batch)
    return batches


def _word_start(token: str) -> bool:
    return token.startswith("\u2581")


def _rejoin(pieces: list[tuple[list[str], str]]) -> str:
    """Translations of the pieces of one input, in order, as one text.

    A piece that begins a word follows the previous one after a space; one
    cut inside a word (a word longer than MAX_INPUT_TOKENS) follows directly.
    """
    out = ""
    for tokens, text in pieces:
        if out and text:
            out += (" " if tokens and _word_start(tokens[0]) else "") + text
        else:
            out += text
    unfinished = [text for _, text in pieces if isinstance(text, Unfinished)]
    if unfinished:  # one piece unfinished: the sentence is
        return Unfinished(out, unfinished[0].flag, unfinished[0].reason)
    return out
