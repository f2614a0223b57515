"""Evaluate the sentence aligner on ntrex-dev (NTREX-128, CC BY-SA 4.0).

Line N of every ntrex-dev file is the same sentence, so any two languages
give a sentence-aligned pair with a known truth. For every document and
every language pair (nob with eng-US, dan and deu) this script builds
realistic alignment tasks from that truth:

* some adjacent lines are merged on one side (1-2 and 2-1 links), a few in a
  staggered way (2-2 links);
* some lines are dropped from one side (1-0 and 0-1 links);
* the remaining units are joined into paragraphs, mostly with the same
  breaks on both sides, sometimes with a break on one side only.

It aligns every task with `bitext.align.aligner.align_sentences` and with a plain
length-only Gale-Church baseline, and prints strict precision, recall and F1
of the links (a link is right only when its source and target sentences are
exactly those of a true link; 1-0 and 0-1 links count too), per language
pair and overall. Randomness is seeded, so the numbers reproduce.

Usage: uv run python bench/align_eval.py [--data DIR] [--seeds 3] [--seed 2024]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bitext.align.aligner import LENGTH_ONLY, align_sentences  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "ntrex-dev"
PAIRS = (("nob", "eng-US"), ("nob", "dan"), ("nob", "deu"))

# Probability of each event at a line of the document.
RATES = {
    "drop_source": 0.03,  # 0-1
    "drop_target": 0.03,  # 1-0
    "merge_source": 0.06,  # 1 source unit, 2 target units: 1-2
    "merge_target": 0.06,  # 2-1
    "staggered": 0.02,  # 2-2
}
PARAGRAPH_BREAK = 0.35  # after an event, both sides start a new paragraph
ONE_SIDED_BREAK = 0.05  # only one side does


def read_documents(data: Path, language: str) -> list[list[str]]:
    ids = (data / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = (data / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    assert len(ids) == len(lines), language
    documents, k = [], 0
    for _, group in groupby(ids):
        size = len(list(group))
        documents.append(lines[k : k + size])
        k += size
    return documents


def make_task(src_lines: list[str], tgt_lines: list[str], rng: random.Random):
    """A task: paragraphs on both sides and the true links (unit indices)."""
    src_par: list[list[str]] = [[]]
    tgt_par: list[list[str]] = [[]]
    truth: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    ns = nt = 0  # units emitted so far on each side

    def emit(src_units: list[str], tgt_units: list[str]) -> None:
        nonlocal ns, nt
        truth.append((tuple(range(ns, ns + len(src_units))), tuple(range(nt, nt + len(tgt_units)))))
        src_par[-1].extend(src_units)
        tgt_par[-1].extend(tgt_units)
        ns += len(src_units)
        nt += len(tgt_units)

    k, size = 0, len(src_lines)
    while k < size:
        r = rng.random()
        edges = Counter()
        acc = 0.0
        event = "one"
        for name, rate in RATES.items():
            acc += rate
            if r < acc:
                event = name
                break
        edges[event] += 1
        s, t = src_lines, tgt_lines
        if event == "drop_source":
            emit([], [t[k]])
            k += 1
        elif event == "drop_target":
            emit([s[k]], [])
            k += 1
        elif event == "merge_source" and k + 1 < size:
            emit([s[k] + " " + s[k + 1]], [t[k], t[k + 1]])
            k += 2
        elif event == "merge_target" and k + 1 < size:
            emit([s[k], s[k + 1]], [t[k] + " " + t[k + 1]])
            k += 2
        elif event == "staggered" and k + 2 < size:
            emit([s[k] + " " + s[k + 1], s[k + 2]], [t[k], t[k + 1] + " " + t[k + 2]])
            k += 3
        else:
            emit([s[k]], [t[k]])
            k += 1
        if k < size:
            r = rng.random()
            if r < PARAGRAPH_BREAK:
                src_par.append([])
                tgt_par.append([])
            elif r < PARAGRAPH_BREAK + ONE_SIDED_BREAK:
                (src_par if rng.random() < 0.5 else tgt_par).append([])
    src_par = [p for p in src_par if p]
    tgt_par = [p for p in tgt_par if p]
    return src_par, tgt_par, truth


def score(predicted, truth) -> tuple[int, int, int]:
    pred = {(tuple(x.source), tuple(x.target)) for x in predicted}
    gold = set(truth)
    return len(pred & gold), len(pred), len(gold)


def prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = correct / predicted if predicted else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


SPLITS = {
    # The split the weights were tuned on (with other seeds, `tune/...`).
    "dev": {"pairs": PAIRS, "seed": 2024},
    # Never used for tuning: other language pairs (Nynorsk source, Swedish and
    # Icelandic targets) and another seed. ntrex-dev has only 40 documents, so
    # the documents are the same; the tasks built from them are not.
    "untuned": {"pairs": (("nno", "eng-US"), ("nob", "swe"), ("nob", "isl")), "seed": 7919},
}
LENGTH_BUCKETS = ((0, 40, "<40"), (40, 80, "40-79"), (80, 160, "80-159"), (160, 10**9, ">=160"))


def _kind(link) -> str:
    return f"{len(link[0])}-{len(link[1])}"


def _length(link, lengths) -> str:
    """Bucket of the link's shortest sentence (characters)."""
    sizes = [lengths[0][i] for i in link[0]] + [lengths[1][j] for j in link[1]]
    shortest = min(sizes)
    return next(name for lo, hi, name in LENGTH_BUCKETS if lo <= shortest < hi)


def _flags(paragraphs: list[list[str]]):
    starts, ends = [], []
    for paragraph in paragraphs:
        for k in range(len(paragraph)):
            starts.append(k == 0)
            ends.append(k == len(paragraph) - 1)
    return starts, ends


def breakdown(predicted, truth, src_par, tgt_par, table) -> None:
    """Count right/predicted and found/true links by type, position and length."""
    flags = (_flags(src_par), _flags(tgt_par))
    lengths = ([len(x) for p in src_par for x in p], [len(x) for p in tgt_par for x in p])
    pred = {(tuple(x.source), tuple(x.target)) for x in predicted}
    gold = set(truth)
    for links, other, col in ((pred, gold, 0), (gold, pred, 2)):
        for link in links:
            hit = link in other
            groups = (
                ("type", _kind(link)),
                ("position", _where(link, flags)),
                ("length", _length(link, lengths)),
            )
            for group in groups:
                table[group][col] += hit
                table[group][col + 1] += 1


def _where(link, flags) -> str:
    """Where a link sits in its paragraph, on its source side if it has one."""
    side = 0 if link[0] else 1
    ids = link[side]
    begin, end = flags[side][0][ids[0]], flags[side][1][ids[-1]]
    if begin and end:
        return "whole paragraph"
    return "first" if begin else "last" if end else "middle"


def print_breakdown(table) -> None:
    """Extra links (precision) and missed links (recall) of bitext, per group."""
    print("errors of bitext by group: wrong/predicted (precision), missed/true (recall)")
    print(f"  {'group':<28} {'wrong':>6} {'pred':>6} {'P':>7} {'missed':>7} {'true':>6} {'R':>7}")
    order = {
        "type": ("1-1", "2-1", "1-2", "2-2", "1-0", "0-1"),
        "position": ("first", "middle", "last", "whole paragraph"),
        "length": tuple(name for _, _, name in LENGTH_BUCKETS),
    }
    for axis, values in order.items():
        for value in values:
            right, pred, found, gold = table[(axis, value)]
            if not (pred or gold):
                continue
            p = right / pred if pred else 0.0
            r = found / gold if gold else 0.0
            name = f"{axis} {value}"
            print(
                f"  {name:<28} {pred - right:6d} {pred:6d} {p:7.4f} "
                f"{gold - found:7d} {gold:6d} {r:7.4f}"
            )


def evaluate(args, split: str) -> None:
    """Run both systems over one split's tasks and print its figures."""
    pairs, seed = SPLITS[split]["pairs"], args.seed if split == "dev" else SPLITS[split]["seed"]
    systems = {"gale-church": LENGTH_ONLY, "bitext": None}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    weak = Counter()  # (kind, weak?) over links of bitext
    table = defaultdict(lambda: [0, 0, 0, 0])  # group -> right, predicted, found, gold
    tasks = links = 0
    elapsed = Counter()
    for src_lang, tgt_lang in pairs:
        source_docs = read_documents(args.data, src_lang)
        target_docs = read_documents(args.data, tgt_lang)
        for d, (src_lines, tgt_lines) in enumerate(zip(source_docs, target_docs)):
            for r in range(args.seeds):
                rng = random.Random(
                    f"{seed}/{tgt_lang}/{d}/{r}"
                    if split == "dev"
                    else f"{seed}/{src_lang}-{tgt_lang}/{d}/{r}"
                )
                src_par, tgt_par, truth = make_task(src_lines, tgt_lines, rng)
                tasks += 1
                links += len(truth)
                for name, params in systems.items():
                    start = time.perf_counter()
                    predicted = align_sentences(src_par, tgt_par, params=params)
                    elapsed[name] += time.perf_counter() - start
                    c = score(predicted, truth)
                    for key in ((name, tgt_lang), (name, "all")):
                        for x in range(3):
                            counts[key][x] += c[x]
                    if name == "bitext":
                        count_weak(predicted, truth, weak)
                        breakdown(predicted, truth, src_par, tgt_par, table)
    print(f"split {split}: {tasks} tasks, {links} true links, seed {seed}")
    print(f"{'pair':<12} {'system':<12} {'P':>7} {'R':>7} {'F1':>7}")
    for src_lang, tgt_lang in list(pairs) + [("", "all")]:
        pair = f"{src_lang}-{tgt_lang}" if tgt_lang != "all" else "overall"
        for name in systems:
            p, r, f = prf(*counts[(name, tgt_lang)])
            print(f"{pair:<12} {name:<12} {p:7.4f} {r:7.4f} {f:7.4f}")
    print_breakdown(table)
    print("links of bitext flagged weak-alignment:")
    for kind in ("right", "partly right", "invented", "wrong 1-0/0-1"):
        total = weak[(kind, True)] + weak[(kind, False)]
        print(f"  {kind + ':':<15} {weak[(kind, True)]}/{total} flagged")
    print("time: " + ", ".join(f"{k} {v:.2f} s" for k, v in elapsed.items()))


def count_weak(predicted, truth, weak: Counter) -> None:
    """Sort bitext's links into right, partly right, invented and wrong null links."""
    gold = set(truth)
    true_pairs = {(s, t) for a, b in truth for s in a for t in b}
    for link in predicted:
        if (tuple(link.source), tuple(link.target)) in gold:
            kind = "right"
        elif not (link.source and link.target):
            kind = "wrong 1-0/0-1"
        elif any((s, t) in true_pairs for s in link.source for t in link.target):
            kind = "partly right"  # e.g. 1-1 where the truth is 2-1
        else:
            kind = "invented"  # no sentence pair of it is true
        weak[(kind, link.weak)] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=3, help="tasks per document and pair")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the dev split")
    parser.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    args = parser.parse_args(argv)
    for split in SPLITS if args.split == "both" else [args.split]:
        evaluate(args, split)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
