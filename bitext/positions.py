"""A model's position limits, read from its own CTranslate2 files.

A Transformer with a learned (or stored) position table cannot look past its
last row: CTranslate2 then fails the whole batch with "No position encodings
are defined for positions >= N". Models differ in that N, and a model may
also run on without stopping, so the engine bounds every input piece and the
decoding length by the limits read here (CTranslate2's maintainers' advice,
its issue 1157). The table's size is the first dimension of the variables
`encoder/.../position_encodings/encodings` and `decoder/.../encodings` in
`model.bin`, whose layout is CTranslate2's `ModelSpec._serialize`: only the
headers are read, the weights are skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

#: Variable names that hold a position table (the first dimension is its size).
_TABLE = "position_encodings/encodings"
#: Versions of CTranslate2's binary format whose headers are read here.
_VERSIONS = range(1, 7)
#: No real model has more variables than this; a bigger count means a broken file.
_MAX_VARIABLES = 1_000_000


@dataclass(frozen=True)
class PositionLimits:
    """Positions of the encoder's and the decoder's tables; None: no table (no limit known)."""

    encoder: int | None = None
    decoder: int | None = None


def read_position_limits(model_dir: Path) -> PositionLimits:
    """The position limits stored in `model_dir/model.bin`; none known when it cannot tell.

    Never raises for a file it cannot parse: the model loader reports a
    broken model far better than a header reader can.
    """
    try:
        with open(Path(model_dir) / "model.bin", "rb") as handle:
            return _limits(handle)
    except (OSError, struct.error, ValueError, UnicodeDecodeError):
        return PositionLimits()


def _limits(handle) -> PositionLimits:
    def number(fmt: str) -> int:
        size = struct.calcsize(fmt)
        data = handle.read(size)
        if len(data) != size:
            raise ValueError("model.bin ends early")
        return struct.unpack("<" + fmt, data)[0]

    def text() -> str:
        return handle.read(number("H")).rstrip(b"\0").decode("utf-8")

    if number("I") not in _VERSIONS:
        raise ValueError("unknown model.bin version")
    text()  # the spec's name
    number("I")  # its revision
    count = number("I")
    if count > _MAX_VARIABLES:
        raise ValueError("implausible variable count")
    sizes: dict[str, int] = {}
    for _ in range(count):
        name = text()
        dims = [number("I") for _ in range(number("B"))]
        number("B")  # dtype
        handle.seek(number("I"), 1)
        if dims:
            sizes[name] = dims[0]
    # A table shared by the encoder and decoder is stored once, the other an alias.
    data = handle.read(4)
    for _ in range(struct.unpack("<I", data)[0] if len(data) == 4 else 0):
        alias, target = text(), text()
        if target in sizes:
            sizes[alias] = sizes[target]
    found: dict[str, int] = {}
    for name, size in sizes.items():
        if name.endswith(_TABLE):
            side = name.split("/")[0]
            found[side] = min(found.get(side, size), size)
    return PositionLimits(encoder=found.get("encoder"), decoder=found.get("decoder"))


#: Flags of a sentence the model could not finish (as bitext.checks names them).
POSITION_LIMIT = "position-limit"
FAILED = "failed"


class Unfinished(str):
    """A translation the model could not finish: the text it gave (maybe empty),
    the flag its row gets, and the reason in words.

    A `str`, so it travels through every path a translation takes (batches,
    the Ray engine's actors, rejoined pieces); never stored in the memory, so
    a later run tries the sentence again.
    """

    flag: str
    reason: str

    def __new__(cls, text: str, flag: str, reason: str) -> Unfinished:
        made = super().__new__(cls, text)
        made.flag, made.reason = flag, reason
        return made

    def __reduce__(self):
        return (Unfinished, (str(self), self.flag, self.reason))


def input_bound(limits: PositionLimits, default: int, prefix: int = 0) -> int:
    """Tokens of one input piece: `default`, less where the tables are shorter.

    The encoder adds an end token; a faithful translation of n tokens needs
    about n + 2 decoder positions (start, prefix, end) (a longer one is cut
    by `decoding_bound`).
    """
    bound = default
    if limits.encoder is not None:
        bound = min(bound, limits.encoder - 1)
    if limits.decoder is not None:
        bound = min(bound, limits.decoder - 2 - prefix)
    return max(1, bound)


def decoding_bound(limits: PositionLimits, wanted: int, prefix: int = 0) -> int:
    """`max_decoding_length`: what the engine wants, never past the decoder's table."""
    if limits.decoder is None:
        return wanted
    return max(1, min(wanted, limits.decoder - prefix))


def cut_reason(limits: PositionLimits, bound: int, wanted: int) -> str:
    """Why a translation that reached `bound` tokens without ending is cut."""
    if bound < wanted:
        return (
            f"decoding reached the model's position limit ({limits.decoder} positions) "
            "before the sentence ended; the translation is cut"
        )
    return f"the model did not stop within {bound} tokens (it runs on); the translation is cut"
