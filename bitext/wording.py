"""Counts in messages: "1 pair", "2 pairs", never "1 pairs"."""

from __future__ import annotations

#: Nouns whose plural is not the singular plus "s".
_IRREGULAR = {"entry": "entries", "duplicate": "duplicates", "match": "matches"}


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in the number it takes: counted(1, "pair") == "1 pair"."""
    if n == 1:
        return f"{n} {singular}"
    return f"{n} {plural or _IRREGULAR.get(singular) or singular + 's'}"
