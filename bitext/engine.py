"""Translation on CTranslate2 with an Argos package's model and tokenizer.

argostranslate's own translate() makes one CTranslate2 call per paragraph.
Here all sentences of a run arrive at once: duplicates are dropped, the rest
are sorted by token length and translated in token-bounded batches, and the
results are mapped back. Decoding settings are those of argostranslate 1.11
(beam 4, length penalty 0.2, unknown tokens replaced), so each sentence comes
out as Argos would give it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bitext.models import InstalledPackage

#: Sentences longer than this many tokens are cut on token boundaries,
#: translated piece by piece and rejoined (models are trained on shorter input).
MAX_INPUT_TOKENS = 250


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


def thread_layout(cores: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """(inter_threads, intra_threads) for this machine.

    Rule (see bench/translate_speed.py): up to 4 cores, one replica using all of
    them; above that, replicas of 4 threads each, which ran twice the
    throughput of one 16-thread replica on 16 cores.
    """
    total = threads or cores or os.cpu_count() or 1
    if total <= 4:
        return 1, total
    return total // 4, 4


class Translator:
    """Translates lists of sentences with one installed package."""

    def __init__(
        self,
        package: InstalledPackage,
        *,
        device: str = "cpu",
        compute_type: str = "default",
        threads: int | None = None,
        options: DecodeOptions | None = None,
        max_batch_tokens: int = 4096,
    ) -> None:
        import ctranslate2

        self.package = package
        self.options = options or DecodeOptions()
        self.max_batch_tokens = max_batch_tokens
        self._argos = package.load_argos()
        self._tokenizer = self._argos.tokenizer
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        if compute_type == "default":
            compute_type = "int8" if device == "cpu" else "int8_float16"
        inter, intra = thread_layout(threads=threads)
        self.device = device
        self.compute_type = compute_type
        self._model = ctranslate2.Translator(
            str(package.path / "model"),
            device=device,
            compute_type=compute_type,
            inter_threads=inter,
            intra_threads=intra,
        )

    @property
    def model_key(self) -> str:
        """Identifies the model and settings: outputs depend on nothing else."""
        package = self.package
        return f"{package.code}@{package.version}#{package.sha256 or ''}|{self.options.key()}"

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
        if len(tokens) <= MAX_INPUT_TOKENS:
            return [tokens]
        return [tokens[i : i + MAX_INPUT_TOKENS] for i in range(0, len(tokens), MAX_INPUT_TOKENS)]

    def translate(
        self,
        sentences: Sequence[str],
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Translations of `sentences`, in order; `progress(n)` after each batch."""
        unique = list(dict.fromkeys(s for s in sentences if s.strip()))
        units: list[tuple[int, list[str]]] = []  # (index into unique, tokens)
        for index, sentence in enumerate(unique):
            for piece in self._pieces(self.tokenize(sentence)):
                units.append((index, piece))
        order = sorted(range(len(units)), key=lambda u: (len(units[u][1]), u))
        outputs: list[str | None] = [None] * len(units)
        batch: list[int] = []
        batch_tokens = 0
        for unit in order + [None]:
            if unit is not None:
                size = len(units[unit][1]) + 1
                if not batch or batch_tokens + size <= self.max_batch_tokens:
                    batch.append(unit)
                    batch_tokens += size
                    continue
            if batch:
                self._run_batch(batch, units, outputs)
                if progress:
                    progress(len({units[u][0] for u in batch}))
            if unit is not None:
                batch, batch_tokens = [unit], len(units[unit][1]) + 1
        translated: dict[str, list[str]] = {}
        for (index, _), output in zip(units, outputs):
            translated.setdefault(unique[index], []).append(output or "")
        return [" ".join(translated[s]) if s in translated else "" for s in sentences]

    def _run_batch(self, batch: list[int], units, outputs: list[str | None]) -> None:
        tokens = [units[u][1] for u in batch]
        prefix = (
            [[self.package.target_prefix]] * len(tokens) if self.package.target_prefix else None
        )
        longest = max(len(t) for t in tokens)
        results = self._model.translate_batch(
            tokens,
            target_prefix=prefix,
            beam_size=self.options.beam_size,
            length_penalty=self.options.length_penalty,
            replace_unknowns=self.options.replace_unknowns,
            max_decoding_length=min(1024, 2 * longest + 16),
            max_batch_size=0,
        )
        for unit, result in zip(batch, results):
            outputs[unit] = self._detokenize(result.hypotheses[0])
