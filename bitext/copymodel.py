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


def _unit_rows(rng, rows: int, dims: int):
    import numpy as np

    matrix = rng.standard_normal((rows, dims))
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _copy_spec(shape: ModelShape, vocabulary: list[str], seed: int):
    """The CTranslate2 TransformerSpec with copy weights."""
    import numpy as np
    from ctranslate2.specs import common_spec, transformer_spec

    rng = np.random.default_rng(seed)
    d, heads = shape.d_model, shape.heads
    head_dim = d // heads
    pos_dims = head_dim  # positions live in the first head_dim dimensions
    tok_dims = d - pos_dims  # token identity lives in the rest
    per_head = tok_dims // heads
    vocab = len(vocabulary)
    noise = 1e-3

    def noisy(*dims):
        return (rng.standard_normal(dims) * noise).astype(np.float32)

    def layer_norm(spec):
        spec.gamma = np.ones(d, dtype=np.float32)
        spec.beta = np.zeros(d, dtype=np.float32)

    def linear(spec, weight, bias=True):
        spec.weight = weight.astype(np.float32)
        if bias:
            spec.bias = np.zeros(weight.shape[0], dtype=np.float32)

    def inert_attention(spec, self_attention):
        layer_norm(spec.layer_norm)
        if self_attention:
            linear(spec.linear[0], noisy(3 * d, d))
        else:
            linear(spec.linear[0], noisy(d, d))
            linear(spec.linear[1], noisy(2 * d, d))
        linear(spec.linear[-1], noisy(d, d))

    def inert_ffn(spec):
        layer_norm(spec.layer_norm)
        linear(spec.linear_0, noisy(shape.ffn, d))
        linear(spec.linear_1, noisy(d, shape.ffn))

    tokens = np.zeros((vocab, d), dtype=np.float32)
    tokens[:, pos_dims:] = _unit_rows(rng, vocab, tok_dims)
    positions = np.zeros((shape.max_positions, d), dtype=np.float32)
    positions[:, :pos_dims] = _unit_rows(rng, shape.max_positions, pos_dims)

    spec = transformer_spec.TransformerSpec.from_config(
        (shape.encoder_layers, shape.decoder_layers),
        heads,
        pre_norm=True,
        activation=common_spec.Activation.RELU,
    )
    encoder, decoder = spec.encoder, spec.decoder

    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = tokens
    encoder.position_encodings.encodings = positions
    layer_norm(encoder.layer_norm)
    for layer in encoder.layer:
        inert_attention(layer.self_attention, self_attention=True)
        inert_ffn(layer.ffn)

    decoder.scale_embeddings = False
    decoder.embeddings.weight = noisy(vocab, d)
    decoder.position_encodings.encodings = positions
    layer_norm(decoder.layer_norm)
    for layer in decoder.layer:
        inert_attention(layer.self_attention, self_attention=True)
        inert_attention(layer.attention, self_attention=False)
        inert_ffn(layer.ffn)

    # The copying cross-attention, in the first decoder layer.
    sharpness = 3.0
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
    copy = decoder.layer[0].attention
    linear(copy.linear[0], query)
    linear(copy.linear[1], key_value)
    linear(copy.linear[2], output)

    linear(decoder.projection, tokens * 2.0)

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
) -> Path:
    """Write an `.argosmodel` archive whose model copies its input.

    The same arguments and corpus always give a byte-identical archive.
    """
    shape = SHAPES[size]
    files = list(corpus) if corpus is not None else default_corpus()
    lines = []
    for path in files:
        text = Path(path).read_text(encoding="utf-8")
        lines.extend(line.strip() for line in text.splitlines() if line.strip())
    if not lines:
        raise ValueError("no text to train the SentencePiece model on")

    spm_bytes = _train_sentencepiece(lines, shape.spm_vocab_size)
    vocabulary = _vocabulary(spm_bytes, shape.vocab_size)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    top = f"translate-{from_code}_{to_code}-copy-{size}"
    with tempfile.TemporaryDirectory(prefix="bitext-copymodel-") as tmp:
        package_dir = Path(tmp) / top
        package_dir.mkdir()
        _save_ctranslate2(_copy_spec(shape, vocabulary, seed), package_dir / "model", quantization)
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
        (package_dir / "README.md").write_text(
            f"Copy model built by bitext.copymodel (size {size}, seed {seed}). "
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
    args = parser.parse_args(argv)
    path = build_copy_package(
        args.archive,
        size=args.size,
        corpus=args.corpus or None,
        from_code=args.from_code,
        to_code=args.to_code,
    )
    print(path)


if __name__ == "__main__":
    main()
