"""How often the quality flags fire on good and on damaged translations.

Good: the 603 human nb->en pairs of the NTREX-128 dev slice
(tests/data/ntrex-dev, CC BY-SA 4.0). A flag on them is a false alarm
(or a free human translation). Damaged: the same targets with one defect
made on purpose (source copied through, a number changed, the second half
dropped, a sentence appended, nothing), where a flag is a hit.

Run: uv run python bench/checks_eval.py
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from bitext import checks
from bitext.documents import BilingualRow

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "ntrex-dev"


def rows(pairs):
    return [
        BilingualRow("d", i, "paragraph", 1, "nb", s, "en", t) for i, (s, t) in enumerate(pairs)
    ]


def rate(pairs, flag, detect=True):
    got = checks.apply_checks(rows(pairs), detect=detect)
    hits = sum(flag in r.flags for r in got)
    return hits, len(got)


def change_number(text: str) -> str | None:
    match = re.search(r"\d+", text)
    if not match:
        return None
    value = int(match.group(0))
    return text[: match.start()] + str(value + 7) + text[match.end() :]


def main() -> int:
    if not DATA.is_dir():
        print(f"no data at {DATA}", file=sys.stderr)
        return 1
    nb = (DATA / "nob.txt").read_text(encoding="utf-8").splitlines()
    en = (DATA / "eng-US.txt").read_text(encoding="utf-8").splitlines()
    good = list(zip(nb, en))
    start = time.perf_counter()
    flagged = checks.apply_checks(rows(good))
    seconds = time.perf_counter() - start
    counts = checks.count_flags(flagged)
    print(f"human translations: {len(good)} pairs, checked in {seconds:.2f} s")
    for flag in checks.OWN_FLAGS:
        print(f"  {flag:16s} false alarms {counts[flag]:4d} ({counts[flag] / len(good):.1%})")
    for row in flagged:
        if checks.NUMBER_MISMATCH in row.flags:
            print(
                f"    number-mismatch: {checks.missing_numbers(row.source, row.target)}"
                f" | {row.source[:70]!r} -> {row.target[:70]!r}"
            )

    damaged = {
        checks.UNTRANSLATED: [(s, s) for s, _ in good],
        checks.NUMBER_MISMATCH: [(s, change_number(t)) for s, t in good if change_number(t)],
        checks.LENGTH_RATIO: [(s, t[: len(t) // 2]) for s, t in good if len(s) >= 40],
        checks.EMPTY: [(s, "") for s, _ in good],
    }
    appended = [(s, t + " " + t2) for (s, t), (_, t2) in zip(good, good[1:]) if len(s) >= 40]
    # A target detected as Norwegian although it differs from the source:
    # the Nynorsk version of the sentence stands in for a half-done translation.
    nn = (DATA / "nno.txt").read_text(encoding="utf-8").splitlines()
    other_norwegian = [(s, n) for s, n in zip(nb, nn) if s != n and len(n.split()) >= 8]
    print("damaged translations (hit rate):")
    for flag, pairs in damaged.items():
        hits, total = rate(pairs, flag)
        print(f"  {flag:16s} {hits:4d}/{total} ({hits / total:.1%})")
    hits, total = rate(appended, checks.LENGTH_RATIO)
    print(f"  {'length-ratio':16s} {hits:4d}/{total} ({hits / total:.1%}) with a sentence appended")
    hits, total = rate(other_norwegian, checks.UNTRANSLATED)
    print(f"  {'untranslated':16s} {hits:4d}/{total} ({hits / total:.1%}) target in Nynorsk")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
