"""Glossaries: fixed English spellings of names and fixed translations of terms.

A glossary is a list of (source, target, kind) entries:

- ``name`` entries are spellings the model copies through (Norwegian
  transliterations such as ``Sjojgu``). The sentence goes to the model
  unchanged and the source spelling is replaced in the translation
  afterwards (``Sjojgu`` -> ``Shoigu``, genitive ``Sjojgus`` -> ``Shoigu's``).
- ``term`` entries must be translated one fixed way. They are replaced by a
  placeholder (``XZQA``, an acronym-like token that models copy) before
  translation and the placeholder is replaced by the target afterwards.

`Glossary.protect` and `Glossary.restore` are called around every sentence;
the state between them is plain data (tuples of strings and ints), so
sentences can be translated in batches, cached and sent to other processes.
See docs/glossary.md for the design and the sources of the shipped list.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from xml.parsers import expat

from bitext.wording import counted

__all__ = [
    "FLAG",
    "KINDS",
    "Glossary",
    "GlossaryEntry",
    "GlossaryError",
    "check_glossary",
    "format_check_report",
]

#: Name of the quality flag set when a glossary target is missing from a translation.
FLAG = "glossary"
#: Kinds of entries: ``name`` (replaced after translation), ``term`` (protected before).
KINDS = ("name", "term")

DEFAULT_DATA_FILE = "names_nb_en.tsv"
DEFAULT_NAME = f"default (bitext {DEFAULT_DATA_FILE})"

_SOURCE_COLUMNS = ("source", "src", "nb", "no", "nob", "norwegian", "source_term")
_TARGET_COLUMNS = ("target", "tgt", "en", "eng", "english", "target_term", "translation")
_KIND_COLUMNS = ("type", "kind")
_NOTE_COLUMNS = ("note", "notes", "comment", "source_of_spelling")

# Placeholders for protected terms: "XZQ" + letters. An all-capital unknown
# token reads like an acronym, and NMT models copy acronyms (NATO, SCO, RIA)
# through unchanged; letters only, so no number formatting can touch it.
_PLACEHOLDER_PREFIX = "XZQ"
_PLACEHOLDER_RE = re.compile(r"(?<!\w)XZQ([A-Z]{1,2})(?!\w)", re.IGNORECASE)
_DETERMINER_BEFORE_RE = re.compile(
    r"(?<!\w)(?:the|a|an|this|that|its|his|her|their|our|your|my)\s+$", re.IGNORECASE
)
_ARTICLE_START_RE = re.compile(r"^(?:the|a|an)\s+(?=\S)", re.IGNORECASE)
_ONLY_PUNCT_RE = re.compile(r"^[\W_]*$")
_WS_RE = re.compile(r"\s+")
_APOSTROPHES = ("'", "\u2019")


class GlossaryError(ValueError):
    """A glossary file that cannot be used; names the file and the line."""

    def __init__(self, file: str | Path, line: int | None, reason: str):
        self.file = str(file)
        self.line = line
        self.reason = reason
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class GlossaryEntry:
    """One glossary pair. `file` and `line` say where it was read from."""

    source: str
    target: str
    kind: str = "name"
    file: str = ""
    line: int = 0
    note: str = ""

    @property
    def origin(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


def has_placeholder(text: str) -> bool:
    """Whether `text` holds a term placeholder (a memory key made under a glossary)."""
    return _PLACEHOLDER_RE.search(text) is not None


def _key(text: str) -> str:
    """Normalised lookup key of a term: lower case, single spaces."""
    return _WS_RE.sub(" ", text.strip()).lower()


def _genitive_nb(source: str) -> list[str]:
    """Norwegian genitive forms: ``Putins``; after s/x/z an apostrophe: ``Belarus'``."""
    if source[-1:].lower() in ("s", "x", "z"):
        return [source + a for a in _APOSTROPHES]
    return [source + "s"]


def _genitive_en(target: str, apostrophe: str = "'") -> str:
    if target.endswith("s"):
        return target + apostrophe
    return target + apostrophe + "s"


def _apply_case(occurrence: str, source: str, target: str) -> str:
    """Carry the case of an occurrence over to the target.

    ALL CAPS occurrences (headlines, captions such as ``MØTE:``) give an ALL
    CAPS target; a capitalised occurrence of a lower-case entry (sentence
    start) gives a capitalised target; otherwise the target is used as written.
    """
    letters = [c for c in occurrence if c.isalpha()]
    if len(letters) > 1 and occurrence.isupper() and not source.isupper():
        return target.upper()
    if occurrence[:1].isupper() and target[:1].islower() and not source[:1].isupper():
        return target[:1].upper() + target[1:]
    return target


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of `words` (lower case), built as a character trie.

    A trie alternation never retries a shared prefix, so one pattern for a few
    hundred forms scans a sentence about as fast as a single literal. Optional
    branches are greedy: at one position the longest form that ends on a word
    boundary wins.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            piece = r"\s+" if ch == " " else re.escape(ch)
            branches.append(piece + build(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            if len(branches) == 1 and not body.startswith("(?:"):
                body = "(?:" + body + ")"
            return body + "?"
        return body

    return build(trie)


@dataclass
class _Match:
    start: int
    end: int
    text: str
    entry: int  # index into _Compiled.entries
    genitive: str  # "" or the apostrophe used in an English-style genitive ("'s")


class _Compiled:
    """Regexes and lookup tables of one glossary, built once on first use."""

    def __init__(self, entries: Sequence[GlossaryEntry]):
        effective: dict[str, GlossaryEntry] = {}
        for entry in entries:  # later entries override earlier ones
            effective.pop(_key(entry.source), None)
            effective[_key(entry.source)] = entry
        self.entries: list[GlossaryEntry] = list(effective.values())
        # form (lower case) -> (entry index, genitive marker)
        forms: dict[str, tuple[int, str]] = {}
        for i, entry in enumerate(self.entries):
            src = _key(entry.source)
            for g in _genitive_nb(src):
                forms.setdefault(g, (i, "nb"))
            for a in _APOSTROPHES:
                forms.setdefault(src + a + "s", (i, a))
        for i, entry in enumerate(self.entries):  # listed forms beat derived ones
            forms[_key(entry.source)] = (i, "")
        self.forms = forms
        self.regex = (
            re.compile(r"(?<!\w)" + _trie_pattern(forms) + r"(?!\w)", re.IGNORECASE)
            if forms
            else None
        )
        self._target_res: dict[int, re.Pattern] = {}

    def find(self, text: str) -> list[_Match]:
        if self.regex is None:
            return []
        found = []
        for m in self.regex.finditer(text):
            occ = m.group()
            hit = self.forms.get(_key(occ))
            if hit is None:
                continue
            i, gen = hit
            source = self.entries[i].source
            # A capitalised entry (a name) only matches capitalised text, so a
            # lower-case word of the same spelling is left alone.
            if source[:1].isupper() and not occ[:1].isupper():
                continue
            found.append(_Match(m.start(), m.end(), occ, i, gen))
        return found

    def replacement(self, match: _Match, for_target: bool) -> str:
        entry = self.entries[match.entry]
        occ = match.text
        gen = match.genitive
        if gen == "nb":
            # Strip the Norwegian genitive ending, keep the apostrophe style.
            apostrophe = "\u2019" if occ.endswith("\u2019") else "'"
            stem = occ[:-1]
        elif gen:
            apostrophe = gen
            stem = occ[:-2]
        else:
            apostrophe, stem = "", occ
        if for_target:
            target = _apply_case(stem, entry.source, entry.target)
        elif len(stem) > 1 and stem.isupper() and not entry.source.isupper():
            # In the source only ALL CAPS carries over: sentence-initial
            # capitals are decided where the placeholder lands in the output.
            target = entry.target.upper()
        else:
            target = entry.target
        return _genitive_en(target, apostrophe) if gen else target

    def target_regex(self, i: int) -> re.Pattern:
        rx = self._target_res.get(i)
        if rx is None:
            words = [re.escape(w) for w in self.entries[i].target.split()]
            rx = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
            self._target_res[i] = rx
        return rx


@dataclass
class Glossary:
    """A list of glossary entries and the name shown in export metadata.

    Later entries override earlier ones with the same source (compared
    without case); `check_glossary` reports such duplicates and conflicts.
    """

    entries: list[GlossaryEntry] = field(default_factory=list)
    name: str = "none"
    _compiled: _Compiled | None = field(default=None, init=False, repr=False, compare=False)

    # -- construction -----------------------------------------------------

    @classmethod
    def empty(cls) -> Glossary:
        return cls([], "none")

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[str, str]], kind: str = "term", name: str = "inline"
    ) -> Glossary:
        """A glossary from (source, target) pairs, for Python callers and tests."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        return cls([GlossaryEntry(s, t, kind) for s, t in pairs], name)

    @classmethod
    def load(cls, path: str | Path, default_kind: str = "term") -> Glossary:
        """Read a glossary file: TSV or CSV with a header row, or TBX.

        The format is chosen by extension (``.tsv``/``.tab``, ``.csv``,
        ``.tbx``/``.xml``) or, for other names, by sniffing the content. Lines
        starting with ``#`` and blank lines are skipped. Columns are found by
        header name: source (``source``/``nb``/``no``), target
        (``target``/``en``), optional ``type`` (``name`` or ``term``; empty
        means `default_kind`) and an optional ``note``. Raises `GlossaryError`
        naming the file and line of the first problem.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GlossaryError(path, None, f"cannot read glossary: {exc.strerror or exc}") from exc
        suffix = path.suffix.lower()
        if suffix in (".tbx", ".xml") or (
            suffix not in (".tsv", ".tab", ".csv") and data.lstrip()[:1] == b"<"
        ):
            entries = _read_tbx(path, data)
        else:
            entries = _read_table(path, _decode(path, data), default_kind)
        return cls(entries, path.name)

    @classmethod
    def default(cls) -> Glossary:
        """The list shipped with bitext (bitext/data/names_nb_en.tsv)."""
        resource = resources.files("bitext") / "data" / DEFAULT_DATA_FILE
        data = resource.read_bytes()
        entries = _read_table(Path(DEFAULT_DATA_FILE), _decode(DEFAULT_DATA_FILE, data), "name")
        return cls(entries, DEFAULT_NAME)

    def merged(self, other: Glossary) -> Glossary:
        """This glossary with `other` on top: entries of `other` override ours."""
        if not self.entries:
            return other
        if not other.entries:
            return self
        theirs = {_key(e.source) for e in other.entries}
        kept = [e for e in self.entries if _key(e.source) not in theirs]
        return Glossary(kept + list(other.entries), f"{self.name} + {other.name}")

    def __len__(self) -> int:
        return len(self.entries)

    # -- application --------------------------------------------------------

    def _matcher(self) -> _Compiled:
        if self._compiled is None:
            self._compiled = _Compiled(self.entries)
        return self._compiled

    def find(self, text: str) -> list[tuple[int, int, GlossaryEntry]]:
        """(start, end, entry) of every glossary match in a source text."""
        if not self.entries:
            return []
        c = self._matcher()
        return [(m.start, m.end, c.entries[m.entry]) for m in c.find(text)]

    def protect(self, source: str) -> tuple[str, object]:
        """The text the model sees, and the state `restore` needs.

        Name matches leave the text unchanged (they are fixed in `restore`);
        term matches are replaced by placeholders. The state is ``None`` when
        nothing matched, otherwise a tuple ``(name_entries, placeholders)``
        of plain data.
        """
        if not self.entries:
            return source, None
        c = self._matcher()
        matches = c.find(source)
        if not matches:
            return source, None
        names: list[int] = []
        placeholders: list[tuple[str, str, int]] = []
        pieces: list[str] = []
        pos = 0
        for m in matches:
            entry = c.entries[m.entry]
            if entry.kind == "term":
                token = _PLACEHOLDER_PREFIX + _letters(len(placeholders))
                placeholders.append((token, c.replacement(m, for_target=False), m.entry))
                pieces.append(source[pos : m.start])
                pieces.append(token)
                pos = m.end
            elif m.entry not in names:
                names.append(m.entry)
        if placeholders:
            pieces.append(source[pos:])
            source = "".join(pieces)
        return source, (tuple(names), tuple(placeholders))

    def restore(self, translation: str, state: object) -> str:
        """The final English sentence: placeholders filled, names respelled."""
        if state is None:
            return translation
        names, placeholders = state  # type: ignore[misc]
        c = self._matcher()
        respell = set(names)
        if placeholders:
            by_token = {token.upper(): (text, i) for token, text, i in placeholders}
            used: set[str] = set()

            def fill(m: re.Match) -> str:
                key = (_PLACEHOLDER_PREFIX + m.group(1)).upper()
                hit = by_token.get(key)
                if hit is None:
                    return m.group()
                used.add(key)
                return _fit(hit[0], m.string[: m.start()])

            translation = _PLACEHOLDER_RE.sub(fill, translation)
            # A placeholder the model dropped: if it left the source term in
            # instead, respell that; otherwise `missing_terms` flags it.
            for token, _, i in placeholders:
                if token.upper() not in used:
                    respell.add(i)
        if respell:
            pieces: list[str] = []
            pos = 0
            for m in c.find(translation):
                if m.entry in respell:
                    pieces.append(translation[pos : m.start])
                    pieces.append(_fit(c.replacement(m, for_target=True), translation[: m.start]))
                    pos = m.end
            if pieces:
                pieces.append(translation[pos:])
                translation = "".join(pieces)
        return translation

    def translate_with(
        self, sentences: Sequence[str], translate: Callable[[list[str]], list[str]]
    ) -> list[str]:
        """Protect `sentences`, translate them in one batch call, restore them."""
        protected = [self.protect(s) for s in sentences]
        outputs = translate([text for text, _ in protected])
        return [
            self.restore(out, state) for out, (_, state) in zip(outputs, protected, strict=True)
        ]

    def missing_terms(self, source: str, translation: str) -> list[str]:
        """Source terms present in `source` whose target is absent from `translation`.

        A non-empty result means the row gets the quality flag ``glossary``.
        """
        if not self.entries:
            return []
        c = self._matcher()
        missing: list[str] = []
        seen: set[int] = set()
        for m in c.find(source):
            if m.entry in seen:
                continue
            seen.add(m.entry)
            if not c.target_regex(m.entry).search(translation):
                missing.append(c.entries[m.entry].source)
        return missing


def _fit(text: str, before: str) -> str:
    """Fit a target into the output: one article, a capital at sentence start."""
    if _DETERMINER_BEFORE_RE.search(before[-40:]):
        text = _ARTICLE_START_RE.sub("", text, count=1)
    if _ONLY_PUNCT_RE.match(before):
        text = text[:1].upper() + text[1:]
    return text


def _letters(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> BA ... (placeholder index, letters only)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(ord("A") + r) + out
        if n == 0:
            return out


# -- file formats -------------------------------------------------------------


def _decode(path: str | Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GlossaryError(path, line, "not valid UTF-8 text") from exc


def _find_column(header: list[str], names: Sequence[str]) -> int | None:
    for i, col in enumerate(header):
        if col in names:
            return i
    return None


def _read_table(path: Path, text: str, default_kind: str) -> list[GlossaryEntry]:
    file = str(path)
    lines = [(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1)]
    lines = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise GlossaryError(
            file, 1, "empty glossary: expected a header row such as 'source<TAB>target'"
        )
    header_no, header_line = lines[0]
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".tab") or (suffix != ".csv" and "\t" in header_line):
        delimiter = "\t"
    elif ";" in header_line and "," not in header_line:
        delimiter = ";"
    else:
        delimiter = ","

    def split(line: str) -> list[str]:
        if delimiter == "\t":
            return [f.strip() for f in line.split("\t")]
        return [f.strip() for f in next(csv.reader([line], delimiter=delimiter, strict=True))]

    header = [h.lower().lstrip("#").strip() for h in split(header_line)]
    src_col = _find_column(header, _SOURCE_COLUMNS)
    tgt_col = _find_column(header, _TARGET_COLUMNS)
    if src_col is None or tgt_col is None:
        raise GlossaryError(
            file,
            header_no,
            "the header must name a source column (source/nb/no) and a target column "
            f"(target/en); found {header!r}",
        )
    kind_col = _find_column(header, _KIND_COLUMNS)
    note_col = _find_column(header, _NOTE_COLUMNS)
    needed = max(c for c in (src_col, tgt_col, kind_col) if c is not None) + 1
    entries = []
    for n, line in lines[1:]:
        try:
            fields = split(line)
        except csv.Error as exc:
            raise GlossaryError(file, n, f"cannot parse the row: {exc}") from exc
        if len(fields) < needed or len(fields) > len(header):
            raise GlossaryError(
                file, n, f"expected {len(header)} columns like the header, found {len(fields)}"
            )
        source, target = fields[src_col], fields[tgt_col]
        if not source or not any(ch.isalnum() for ch in source):
            raise GlossaryError(file, n, "empty source term")
        if not target:
            raise GlossaryError(file, n, f"empty target for source term {source!r}")
        kind = (fields[kind_col].lower() if kind_col is not None else "") or default_kind
        if kind not in KINDS:
            raise GlossaryError(file, n, f"type must be 'name' or 'term', not {kind!r}")
        note = fields[note_col] if note_col is not None and note_col < len(fields) else ""
        entries.append(GlossaryEntry(_WS_RE.sub(" ", source), target, kind, file, n, note))
    return entries


_XML_NS = "http://www.w3.org/XML/1998/namespace"


def _read_tbx(path: Path, data: bytes) -> list[GlossaryEntry]:
    """Simple TBX (v2 ``martif`` or v3 ``tbx``): nb/no terms and their first en term.

    A concept's Norwegian terms each become an entry with the concept's first
    English term as target; ``termNote type="partOfSpeech"`` of
    ``properNoun`` makes a ``name`` entry, anything else a ``term``.
    Entity declarations are refused.
    """
    file = str(path)
    parser = expat.ParserCreate(namespace_separator=" ")
    entries: list[GlossaryEntry] = []
    state: dict = {"concept": None, "lang": None, "text": None, "note": None}

    def local(name: str) -> str:
        return name.rsplit(" ", 1)[-1]

    def start(name: str, attrs: dict) -> None:
        tag = local(name)
        if tag in ("termEntry", "conceptEntry"):
            state["concept"] = {"line": parser.CurrentLineNumber, "nb": [], "en": [], "pos": ""}
        elif tag in ("langSet", "langSec"):
            lang = attrs.get(f"{_XML_NS} lang") or attrs.get("xml:lang") or attrs.get("lang") or ""
            state["lang"] = lang.lower().replace("_", "-").split("-")[0]
        elif tag == "term" and state["concept"] is not None:
            state["text"] = []
            state["term_line"] = parser.CurrentLineNumber
        elif tag == "termNote" and attrs.get("type") == "partOfSpeech":
            state["note"] = []

    def end(name: str) -> None:
        tag = local(name)
        concept = state["concept"]
        if tag == "term" and state["text"] is not None and concept is not None:
            term = _WS_RE.sub(" ", "".join(state["text"]).strip())
            lang = state["lang"]
            if term and lang in ("nb", "no", "nob", "nor"):
                concept["nb"].append((term, state["term_line"]))
            elif term and lang in ("en", "eng"):
                concept["en"].append(term)
            state["text"] = None
        elif tag == "termNote" and state["note"] is not None:
            if concept is not None and "".join(state["note"]).strip() == "properNoun":
                concept["pos"] = "properNoun"
            state["note"] = None
        elif tag in ("langSet", "langSec"):
            state["lang"] = None
        elif tag in ("termEntry", "conceptEntry") and concept is not None:
            if concept["nb"] and not concept["en"]:
                raise GlossaryError(
                    file, concept["line"], "concept has Norwegian terms but no English term"
                )
            kind = "name" if concept["pos"] == "properNoun" else "term"
            for term, line in concept["nb"]:
                entries.append(GlossaryEntry(term, concept["en"][0], kind, file, line))
            state["concept"] = None

    def chars(text: str) -> None:
        if state["text"] is not None:
            state["text"].append(text)
        if state["note"] is not None:
            state["note"].append(text)

    def refuse_entities(*_args) -> None:
        raise GlossaryError(file, parser.CurrentLineNumber, "entity declarations are not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = refuse_entities
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise GlossaryError(
            file, exc.lineno, f"not well-formed XML: {expat.ErrorString(exc.code)}"
        ) from exc
    return entries


# -- checking -----------------------------------------------------------------


def check_glossary(glossary: Glossary, texts: Iterable[str]) -> dict:
    """Report problems of a glossary against a body of source texts.

    Returns a dict with:
    ``name``, ``entries`` (count), ``duplicates`` (a source listed twice with
    the same target), ``conflicts`` (a source with different targets: the
    last one is used), ``identical`` (target equal to source: no effect),
    ``unmatched`` (sources that occur in none of `texts`) and ``matches``
    (source -> number of occurrences in `texts`).
    """
    groups: dict[str, list[GlossaryEntry]] = {}
    for entry in glossary.entries:
        groups.setdefault(_key(entry.source), []).append(entry)
    duplicates, conflicts = [], []
    for group in groups.values():
        if len(group) < 2:
            continue
        targets = list(dict.fromkeys(e.target for e in group))
        item = {
            "source": group[-1].source,
            "origins": [e.origin for e in group],
        }
        if len(targets) == 1:
            duplicates.append({**item, "target": targets[0]})
        else:
            conflicts.append({**item, "targets": targets, "used": group[-1].target})
    identical = [
        {"source": e.source, "origin": e.origin} for e in glossary.entries if e.source == e.target
    ]
    counts: dict[str, int] = {}
    if glossary.entries:
        c = glossary._matcher()
        hits = [0] * len(c.entries)
        for text in texts:
            for m in c.find(text):
                hits[m.entry] += 1
        counts = {e.source: n for e, n in zip(c.entries, hits, strict=True)}
        unmatched = [
            {"source": e.source, "target": e.target, "origin": e.origin}
            for e, n in zip(c.entries, hits, strict=True)
            if n == 0
        ]
    else:
        unmatched = []
    return {
        "name": glossary.name,
        "entries": len(glossary.entries),
        "duplicates": duplicates,
        "conflicts": conflicts,
        "identical": identical,
        "unmatched": unmatched,
        "matches": {k: v for k, v in counts.items() if v},
    }


def format_check_report(report: dict) -> str:
    """A human-readable rendering of `check_glossary`'s report."""
    out = [f"glossary {report['name']}: {counted(report['entries'], 'entry')}"]
    for d in report["duplicates"]:
        out.append(f"duplicate: {d['source']} -> {d['target']} ({', '.join(d['origins'])})")
    for d in report["conflicts"]:
        out.append(
            f"conflict: {d['source']} -> {' | '.join(d['targets'])} "
            f"({', '.join(d['origins'])}); using {d['used']}"
        )
    for d in report["identical"]:
        out.append(f"no effect: {d['source']} -> {d['source']} ({d['origin']})")
    for d in report["unmatched"]:
        where = f" ({d['origin']})" if d["origin"] else ""
        out.append(f"never matches: {d['source']} -> {d['target']}{where}")
    out.append(
        f"{counted(len(report['matches']), 'entry')} match, "
        f"{len(report['unmatched'])} never match, "
        f"{counted(len(report['duplicates']), 'duplicate')}, "
        f"{counted(len(report['conflicts']), 'conflict')}"
    )
    return "\n".join(out)
