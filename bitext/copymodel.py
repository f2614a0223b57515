"""Build Argos packages whose CTranslate2 model copies its input.

No machine here can download real translation models, so tests and benchmarks
use models this module builds: real `.argosmodel` zip archives (metadata.json,
a CTranslate2 Transformer in `model/`, `sentencepiece.model`) that go through
exactly the install and load path of a downloaded package.

The weights are set by hand, not trained, so that the output is predictable:
the model translates every sentence into itself. The encoder passes token and
position vectors through; in the first decoder layer every cross-attention
head attends to the source position equal to the decoding step (position
vectors give a sharp peak there) and copies that token's vector; the output
projection picks the token whose embedding matches it. All other sub-layers
carry small random weights, so the amount of computation per token is that of
a trained model of the same shape.

Usage::

    python -m bitext.copymodel models/translate-nb_en-copy.argosmodel
    python -m bitext.copymodel --size base bench/out/base.argosmodel
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Fixed timestamp for every archive member, so archives are byte-identical.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ModelShape:
    """Layer sizes of a Transformer; `base` is the nb->en package's shape."""

    encoder_layers: int
    decoder_layers: int
    d_model: int
    heads: int
    ffn: int
    vocab_size: int
    spm_vocab_size: int
    max_positions: int = 1024


SHAPES = {
    # Small and quick to build: for the test suite.
    "test": ModelShape(2, 2, 256, 4, 512, 2048, 1200),
    # transformer-base as in OPUS-MT/Argos nb->en: 6+6 layers, 512, 8 heads, 2048.
    "base": ModelShape(6, 6, 512, 8, 2048, 32000, 8000),
}


#: The SentencePiece training text shipped inside the package (see data/README.md).
CORPUS = Path(__file__).resolve().parent / "data" / "copymodel-corpus.txt"


def default_corpus() -> list[Path]:
    """Texts to train the SentencePiece model on: only what the package holds.

    Reading anything beside the package (a checkout's neighbours, the working
    folder) would make the vocabulary, and so the archive, depend on where it
    is built; the shipped corpus also covers every letter and punctuation mark
    of Norwegian and English news, so byte fallback stays the exception.
    """
    return [CORPUS]


def _train_sentencepiece(lines: list[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        byte_fallback=True,
        num_threads=1,
        minloglevel=2,
        shuffle_input_sentence=False,
        seed_sentencepiece_size=200000,
    )
    return model.getvalue()


def _vocabulary(spm_bytes: bytes, size: int) -> list[str]:
    """SentencePiece pieces, padded with unused tokens up to `size`."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=spm_bytes)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    pieces += [f"<unused{i}>" for i in range(max(0, size - len(pieces)))]
    return pieces


def _first_piece(spm_bytes: bytes, vocabulary: list[str], word: str) -> int:
    """The vocabulary index of the first SentencePiece piece of `word` that is
    more than a word-start mark (`▁` alone comes before many words)."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=spm_bytes)
    pieces = [p for p in processor.encode(word, out_type=str) if p != "\u2581"]
    if not pieces or pieces[0] not in vocabulary:
        raise ValueError(f"{word!r} has no piece in the model's vocabulary")
    return vocabulary.index(pieces[0])


def _unit_rows(rng, rows: int, dims: int):
    import numpy as np

    matrix = rng.standard_normal((rows, dims))
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


class _Weights:
    """The weights of one copy model, drawn from one seeded generator.

    Every sub-layer that takes no part in copying gets small random weights
    (`inert_*`), so a token costs what it costs in a trained model. The
    generator is drawn from in the order `_copy_spec` calls these methods:
    that order is part of the archive's bytes.
    """

    def __init__(self, shape: ModelShape, seed: int) -> None:
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.shape = shape
        self.d = shape.d_model

    def noisy(self, *dims):
        import numpy as np

        return (self.rng.standard_normal(dims) * 1e-3).astype(np.float32)

    def layer_norm(self, spec) -> None:
        import numpy as np

        spec.gamma = np.ones(self.d, dtype=np.float32)
        spec.beta = np.zeros(self.d, dtype=np.float32)

    @staticmethod
    def linear(spec, weight, bias: bool = True) -> None:
        import numpy as np

        spec.weight = weight.astype(np.float32)
        if bias:
            spec.bias = np.zeros(weight.shape[0], dtype=np.float32)

    def inert_attention(self, spec, self_attention: bool) -> None:
        d = self.d
        self.layer_norm(spec.layer_norm)
        if self_attention:
            self.linear(spec.linear[0], self.noisy(3 * d, d))
        else:
            self.linear(spec.linear[0], self.noisy(d, d))
            self.linear(spec.linear[1], self.noisy(2 * d, d))
        self.linear(spec.linear[-1], self.noisy(d, d))

    def inert_ffn(self, spec) -> None:
        self.layer_norm(spec.layer_norm)
        self.linear(spec.linear_0, self.noisy(self.shape.ffn, self.d))
        self.linear(spec.linear_1, self.noisy(self.d, self.shape.ffn))


def _embeddings(weights: _Weights, vocab: int):
    """Token and position vectors on separate dimensions (positions first).

    Positions take the first head_dim dimensions, so every head's query and
    key see them; token identity takes the rest, split between the heads.
    """
    import numpy as np

    shape, d = weights.shape, weights.d
    pos_dims = d // shape.heads
    tokens = np.zeros((vocab, d), dtype=np.float32)
    tokens[:, pos_dims:] = _unit_rows(weights.rng, vocab, d - pos_dims)
    positions = np.zeros((shape.max_positions, d), dtype=np.float32)
    positions[:, :pos_dims] = _unit_rows(weights.rng, shape.max_positions, pos_dims)
    return tokens, positions


def _passing_encoder(encoder, weights: _Weights, tokens, positions) -> None:
    """An encoder whose output is its input: embeddings unscaled, inert layers."""
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = tokens
    encoder.position_encodings.encodings = positions
    weights.layer_norm(encoder.layer_norm)
    for layer in encoder.layer:
        weights.inert_attention(layer.self_attention, self_attention=True)
        weights.inert_ffn(layer.ffn)


def _inert_decoder(decoder, weights: _Weights, vocab: int, positions) -> None:
    """A decoder that adds nothing of its own: only positions reach the copying layer."""
    decoder.scale_embeddings = False
    decoder.embeddings.weight = weights.noisy(vocab, weights.d)
    decoder.position_encodings.encodings = positions
    weights.layer_norm(decoder.layer_norm)
    for layer in decoder.layer:
        weights.inert_attention(layer.self_attention, self_attention=True)
        weights.inert_attention(layer.attention, self_attention=False)
        weights.inert_ffn(layer.ffn)


def _copying_attention(
    attention, weights: _Weights, sharpness: float = 3.0, run_on: bool = False
) -> None:
    """Cross-attention whose every head attends to the source position equal to
    the decoding step (position dimensions, sharpened) and copies its own slice
    of that token's vector back into place."""
    import numpy as np

    d, heads = weights.d, weights.shape.heads
    head_dim = d // heads
    pos_dims = head_dim
    per_head = (d - pos_dims) // heads
    query = np.zeros((d, d), dtype=np.float32)
    key_value = np.zeros((2 * d, d), dtype=np.float32)
    output = np.zeros((d, d), dtype=np.float32)
    for h in range(heads):
        rows = slice(h * head_dim, (h + 1) * head_dim)
        query[rows, :pos_dims] = np.eye(pos_dims) * sharpness
        key_value[rows, :pos_dims] = np.eye(pos_dims)
        src = slice(pos_dims + h * per_head, pos_dims + (h + 1) * per_head)
        value_rows = slice(d + h * head_dim, d + h * head_dim + per_head)
        key_value[value_rows, src] = np.eye(per_head)
        output[src, h * head_dim : h * head_dim + per_head] = np.eye(per_head)
    if run_on:  # keys weigh the shared position component up (see `_run_on`)
        for h in range(heads):
            key_value[h * head_dim, 0] = 5.0
    weights.linear(attention.linear[0], query)
    weights.linear(attention.linear[1], key_value)
    weights.linear(attention.linear[2], output)


def _run_on(weights: _Weights, tokens, positions, token: int, share: float = 0.7) -> None:
    """Make every sentence holding `token` run on: the model repeats it without stopping.

    Every position vector gets the same component `share` on the first
    position dimension, and `token` a large one there; the copying attention
    weights that dimension up (`_copying_attention(..., run_on=True)`), so
    at every decoding step every head attends to `token` rather than to the
    source position equal to the step, and the end of the sentence is never
    copied. Sentences without it copy as before.
    """
    import numpy as np

    pos_dims = weights.d // weights.shape.heads
    rest = positions[:, 1:pos_dims]
    rest /= np.linalg.norm(rest, axis=1, keepdims=True)
    positions[:, 1:pos_dims] = rest * np.sqrt(1.0 - share**2)
    positions[:, 0] = share
    tokens[token, 0] = 30.0


def _copy_spec(
    shape: ModelShape, vocabulary: list[str], seed: int, run_on_token: int | None = None
):
    """The CTranslate2 TransformerSpec with copy weights.

    Phases: embeddings, an encoder that passes them through, an inert
    decoder, the copying cross-attention in its first layer, and an output
    projection that picks the token whose embedding matches the copy.
    """
    from ctranslate2.specs import common_spec, transformer_spec

    weights = _Weights(shape, seed)
    tokens, positions = _embeddings(weights, len(vocabulary))
    projection = tokens * 2.0  # before `_run_on`: the output never sees its mark
    if run_on_token is not None:
        _run_on(weights, tokens, positions, run_on_token)
    spec = transformer_spec.TransformerSpec.from_config(
        (shape.encoder_layers, shape.decoder_layers),
        shape.heads,
        pre_norm=True,
        activation=common_spec.Activation.RELU,
    )
    _passing_encoder(spec.encoder, weights, tokens, positions)
    _inert_decoder(spec.decoder, weights, len(vocabulary), positions)
    _copying_attention(spec.decoder.layer[0].attention, weights, run_on=run_on_token is not None)
    weights.linear(spec.decoder.projection, projection)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.config.add_source_eos = True
    return spec


def _save_ctranslate2(spec, output_dir: Path, quantization: str) -> None:
    from ctranslate2.converters.converter import Converter

    class _Prebuilt(Converter):
        def _load(self):
            return spec

    _Prebuilt().convert(str(output_dir), quantization=quantization, force=True)


def _write_zip(source_dir: Path, archive: Path, top: str) -> None:
    """Zip a folder deterministically (sorted names, fixed dates)."""
    tmp = archive.with_name(archive.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        folder = zipfile.ZipInfo(top + "/", date_time=_ZIP_DATE)
        folder.external_attr = 0o40755 << 16
        zf.writestr(folder, b"")
        for path in sorted(p for p in source_dir.rglob("*")):
            rel = path.relative_to(source_dir).as_posix()
            name = f"{top}/{rel}" + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            if path.is_dir():
                info.external_attr = 0o40755 << 16
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    os.replace(tmp, archive)


def build_copy_package(
    archive: Path,
    *,
    size: str = "test",
    corpus: Iterable[Path] | None = None,
    from_code: str = "nb",
    to_code: str = "en",
    package_version: str = "0.1",
    quantization: str = "int8",
    seed: int = 1234,
    max_positions: int | None = None,
    run_on_word: str | None = None,
) -> Path:
    """Write an `.argosmodel` archive whose model copies its input.

    `max_positions` shortens (or lengthens) the position table of the encoder
    and decoder (default: the shape's, 1024), so tests can show what happens
    when decoding runs past a model's position limit. With `run_on_word`, the
    model runs on without stopping on every sentence holding that word (its
    first SentencePiece piece), as a broken or unlucky model can. The same
    arguments and corpus always give a byte-identical archive.
    """
    shape = SHAPES[size]
    if max_positions is not None:
        if max_positions < 8:
            raise ValueError("max_positions must be at least 8")
        shape = dataclasses.replace(shape, max_positions=max_positions)
    files = list(corpus) if corpus is not None else default_corpus()
    lines = []
    for path in files:
        text = Path(path).read_text(encoding="utf-8")
        lines.extend(line.strip() for line in text.splitlines() if line.strip())
    if not lines:
        raise ValueError("no text to train the SentencePiece model on")

    spm_bytes = _train_sentencepiece(lines, shape.spm_vocab_size)
    vocabulary = _vocabulary(spm_bytes, shape.vocab_size)
    run_on_token = None if run_on_word is None else _first_piece(spm_bytes, vocabulary, run_on_word)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    top = f"translate-{from_code}_{to_code}-copy-{size}"
    with tempfile.TemporaryDirectory(prefix="bitext-copymodel-") as tmp:
        package_dir = Path(tmp) / top
        package_dir.mkdir()
        spec = _copy_spec(shape, vocabulary, seed, run_on_token)
        _save_ctranslate2(spec, package_dir / "model", quantization)
        (package_dir / "sentencepiece.model").write_bytes(spm_bytes)
        metadata = {
            "package_version": package_version,
            "argos_version": "1.9.0",
            "from_code": from_code,
            "from_name": "Norwegian Bokmål" if from_code == "nb" else from_code,
            "to_code": to_code,
            "to_name": "English" if to_code == "en" else to_code,
            "code": f"translate-{from_code}_{to_code}",
            "type": "translate",
            "links": [],
        }
        (package_dir / "metadata.json").write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        positions = "" if max_positions is None else f", {max_positions} positions"
        if run_on_word is not None:
            positions += f", runs on at {run_on_word!r}"
        (package_dir / "README.md").write_text(
            f"Copy model built by bitext.copymodel (size {size}, seed {seed}{positions}). "
            "It translates every sentence into itself; for tests and benchmarks only.\n",
            encoding="utf-8",
        )
        _write_zip(package_dir, archive, top)
    return archive


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Build an Argos package whose model copies its input (for tests and "
        "benchmarks). Example: python -m bitext.copymodel models/copy.argosmodel",
    )
    parser.add_argument("archive", type=Path, help="where to write the .argosmodel file")
    parser.add_argument("--size", choices=sorted(SHAPES), default="test")
    parser.add_argument("--corpus", type=Path, nargs="*", help="text files for SentencePiece")
    parser.add_argument("--from-code", default="nb")
    parser.add_argument("--to-code", default="en")
    parser.add_argument(
        "--max-positions",
        type=int,
        default=None,
        help="position table size of the encoder and decoder (default 1024); e.g. 256 "
        "to show a model's position limit",
    )
    parser.add_argument(
        "--run-on-word",
        default=None,
        help="build a model that runs on without stopping on sentences holding this word "
        "(to show the decoding bounds)",
    )
    args = parser.parse_args(argv)
    path = build_copy_package(
        args.archive,
        size=args.size,
        corpus=args.corpus or None,
        from_code=args.from_code,
        to_code=args.to_code,
        max_positions=args.max_positions,
        run_on_word=args.run_on_word,
    )
    print(path)


if __name__ == "__main__":
    main()
