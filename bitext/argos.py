"""The Argos package format, read with bitext's own code.

argostranslate 1.11's wheel requires stanza and spaCy (and so PyTorch: a
6 GB environment from `pip install bitext`), and `argos-translate-lt` brings
minisbd and onnxruntime (73 MB), all for sentence splitting that bitext does
itself. Of argostranslate, bitext used only an installed package's metadata,
its tokenizer and one setting (`ARGOS_PACKAGE_INDEX`); they are read here,
the way argostranslate 1.11 reads them, so tokens and exports are unchanged
(tests/test_argos_format.py compares them with argostranslate's own).

A package is a folder (unpacked from a zip `.argosmodel`) with
`metadata.json`, a CTranslate2 model in `model/`, and either
`sentencepiece.model` or `bpe.model` (Moses tokenization plus BPE codes; the
`bitext[bpe]` extra). A package's own `stanza/`, `spacy/` or `minisbd/`
sentence splitter is not used: bitext splits sentences itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: argostranslate's default package index (its `ARGOS_PACKAGE_INDEX` setting):
#: the one address every message names, unless a mirror is configured.
DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
INDEX_ENV = "ARGOS_PACKAGE_INDEX"
#: Where argostranslate keeps its settings: $XDG_CONFIG_HOME or ~/.config
#: (under a snap, $SNAP_USER_DATA), then `argos-translate/settings.json`.
SETTINGS_FOLDER = "argos-translate"
SETTINGS_NAME = "settings.json"


class TokenizerMissing(RuntimeError):
    """A package's tokenizer needs an optional extra that is not installed."""


def argos_settings_file() -> Path:
    """argostranslate's settings.json (found as argostranslate finds it; nothing is created)."""
    home = Path(os.environ["SNAP_USER_DATA"]) if "SNAP" in os.environ else Path.home()
    config = Path(os.getenv("XDG_CONFIG_HOME", default=str(home / ".config")))
    return config / SETTINGS_FOLDER / SETTINGS_NAME


def argos_setting(key: str, default: Any = None) -> Any:
    """An Argos setting: the environment first, then argostranslate's settings.json.

    A settings file that is missing, unreadable or not a JSON object counts as
    empty, as in argostranslate (which prints a line and goes on).
    """
    value = os.getenv(key)
    if value is not None:
        return value
    try:
        settings = json.loads(argos_settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    if isinstance(settings, dict) and settings.get(key) is not None:
        return settings[key]
    return default


def index_url(explicit: str | None = None) -> str:
    """The index address: `--index`, else the ARGOS_PACKAGE_INDEX setting, else Argos's.

    Like argostranslate, a base address gets `index.json` appended; an
    address ending in `.json` is used as it is.
    """
    base = explicit or argos_setting(INDEX_ENV, default=DEFAULT_INDEX)
    if base.endswith(".json"):
        return base
    return base.rstrip("/") + "/index.json"


class SentencePieceTokenizer:
    """An Argos `sentencepiece.model`, encoded and decoded as argostranslate does."""

    def __init__(self, model_file: Path) -> None:
        self.model_file = model_file
        self._processor = None

    def _loaded(self):
        if self._processor is None:
            import sentencepiece

            self._processor = sentencepiece.SentencePieceProcessor(model_file=str(self.model_file))
        return self._processor

    def encode(self, sentence: str) -> list[str]:
        return self._loaded().encode(sentence, out_type=str)

    def decode(self, tokens: list[str]) -> str:
        # argostranslate 1.11 turns the space marker and underscores into spaces.
        return self._loaded().decode_pieces(tokens).replace("▁", " ").replace("_", " ")


class BPETokenizer:
    """An Argos `bpe.model`: Moses normalisation and tokenization, then BPE codes."""

    def __init__(self, model_file: Path, from_code: str, to_code: str) -> None:
        self.model_file = model_file
        self.from_code, self.to_code = from_code, to_code
        self._parts = None
        try:
            import sacremoses  # noqa: F401
            import subword_nmt  # noqa: F401
        except ImportError as exc:
            raise TokenizerMissing(
                f"{model_file.parent}: this package uses BPE tokenization, which "
                "needs the extra: pip install 'bitext[bpe]'"
            ) from exc

    def _loaded(self):
        if self._parts is None:
            from sacremoses.normalize import MosesPunctNormalizer
            from sacremoses.tokenize import MosesDetokenizer, MosesTokenizer
            from subword_nmt.apply_bpe import BPE

            with open(self.model_file, encoding="utf-8") as codes:
                bpe = BPE(codes)
            self._parts = (
                MosesPunctNormalizer(self.from_code),
                MosesTokenizer(self.from_code),
                bpe,
                MosesDetokenizer(self.to_code),
            )
        return self._parts

    def encode(self, sentence: str) -> list[str]:
        normalizer, tokenizer, bpe, _ = self._loaded()
        tokenized = " ".join(tokenizer.tokenize(normalizer.normalize(sentence)))
        return bpe.segment_tokens(tokenized.strip("\r\n ").split(" "))

    def decode(self, tokens: list[str]) -> str:
        detokenizer = self._loaded()[3]
        return detokenizer.detokenize(" ".join(tokens).replace("@@ ", "").split(" "))


class ArgosPackage:
    """An installed package's metadata and tokenizer (what bitext reads of it)."""

    def __init__(self, package_path: Path) -> None:
        self.package_path = Path(package_path)
        with open(self.package_path / "metadata.json", encoding="utf-8") as handle:
            self.metadata: dict = json.load(handle)
        self.from_code = self.metadata.get("from_code")
        self.to_code = self.metadata.get("to_code")
        self.target_prefix = self.metadata.get("target_prefix", "")
        self.tokenizer = load_tokenizer(self.package_path, self.from_code, self.to_code)


def load_tokenizer(
    package_path: Path, from_code: str, to_code: str
) -> SentencePieceTokenizer | BPETokenizer | None:
    """The package's tokenizer: SentencePiece first, else BPE, as argostranslate picks."""
    spm = package_path / "sentencepiece.model"
    if spm.exists():
        return SentencePieceTokenizer(spm)
    bpe = package_path / "bpe.model"
    if bpe.exists():
        return BPETokenizer(bpe, from_code, to_code)
    return None
