"""The report of a run: `report.html` in the output folder, and the overview page.

After a night's batch the terminal's summary line is all there is to see, so
every `translate` (local or Ray engine) ends with this stage: the run's facts
(date, models, glossary, and per document its language, counts, flags,
reviewed sentences, input kind, status and reason) go into `report.json`,
and a self-contained `report.html` is drawn from them: inline CSS and SVG
charts, no script, no font, no request of any kind when opened from disk, so
it can be mailed to a colleague.

The review pages (`bitext.web.review`) show the same overview: they call
`overview_html` with links to their own document pages and serve `REPORT_CSS`
as a static file (their Content-Security-Policy forbids inline styles). Both
read `report.json`, which the review updates after each save.

The pipeline imports this module, never the reverse; nothing here touches a
model or the memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pipeline's RunSummary; this module never imports the pipeline
    from bitext.runs import Summary

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
#: What this stage adds to every output folder, beside the exports.
REPORT_FILES = (REPORT_JSON, REPORT_HTML)
#: Format version of report.json; a newer one is refused, not misread.
REPORT_VERSION = 1
#: report.json larger than this is refused (about 100,000 documents).
MAX_REPORT_BYTES = 64 * 1024 * 1024
#: Documents drawn one bar each in the sentences chart; more are summarised.
CHART_DOCUMENTS = 60


class ReportError(ValueError):
    """report.json cannot be read; the message names the file and why."""


@dataclass
class DocumentFacts:
    """One input of the run as the report shows it."""

    name: str
    #: The input as the run was given it (exports name it so), and where it
    #: is as an absolute path (the review reads it again from there).
    input: str
    status: str
    location: str = ""
    reason: str | None = None
    language: str | None = None
    input_kind: str | None = None
    blocks: int = 0
    sentences: int = 0
    translated: int = 0
    reviewed: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    #: The document's exports, by file name inside the output folder.
    files: list[str] = field(default_factory=list)


@dataclass
class RunFacts:
    """What the report (and the review overview) is drawn from."""

    date: str
    target_lang: str = "en"
    models: list[str] = field(default_factory=list)
    glossary: str | None = None
    formats: list[str] = field(default_factory=list)
    granularity: str | None = None
    documents: list[DocumentFacts] = field(default_factory=list)

    def document(self, name: str) -> DocumentFacts | None:
        return next((d for d in self.documents if d.name == name), None)

    @property
    def flag_counts(self) -> Counter:
        return sum((Counter(d.flags) for d in self.documents), Counter())

    def to_bytes(self) -> bytes:
        """UTF-8 JSON; ASCII escapes when a path holds bytes that are not UTF-8
        (a file name read as surrogates)."""
        raw = {"version": REPORT_VERSION, **asdict(self)}
        try:
            return (json.dumps(raw, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        except UnicodeEncodeError:
            return (json.dumps(raw, indent=1) + "\n").encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes, label: str) -> RunFacts:
        try:
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict) or raw.pop("version", None) != REPORT_VERSION:
                raise ValueError(f"not a version {REPORT_VERSION} report")
            documents = [DocumentFacts(**d) for d in raw.pop("documents")]
            return cls(**raw, documents=documents)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise ReportError(f"{label} cannot be read ({exc})") from exc


def facts_from_summary(
    summary: Summary,
    *,
    output_dir: Path,
    date: str,
    target_lang: str,
    models: list[str],
    glossary: str | None,
    formats: list[str],
    granularity: str | None,
) -> RunFacts:
    """The run's facts; a document skipped as already exported keeps the
    facts an earlier report holds for it (a resumed run reports the whole set)."""
    try:
        earlier = read_facts(output_dir)
    except ReportError:
        earlier = None
    documents = []
    models = list(models)
    for result in summary.results:
        before = earlier.document(result.document) if earlier is not None else None
        if result.status == "skipped" and result.files and before is not None:
            documents.append(before)
            models += earlier.models  # the model that translated it then
            continue
        documents.append(
            DocumentFacts(
                name=result.document,
                input=str(result.path),
                location=str(Path(result.path).absolute()),
                status=result.status,
                reason=result.reason,
                language=result.language,
                input_kind=result.input_kind,
                blocks=result.blocks,
                sentences=result.sentences,
                translated=result.translated_sentences,
                reviewed=result.reviewed_sentences,
                flags=dict(sorted(result.flags.items())),
                files=[Path(f).name for f in result.files],
            )
        )
    return RunFacts(
        date=date,
        target_lang=target_lang,
        models=sorted(set(models)),
        glossary=glossary,
        formats=list(formats),
        granularity=granularity,
        documents=documents,
    )


def read_facts(folder: Path) -> RunFacts | None:
    """The facts of `folder`'s report.json; None when there is none."""
    from bitext.outputs import TooLarge, read_bounded

    path = Path(folder) / REPORT_JSON
    try:
        data = read_bounded(path, MAX_REPORT_BYTES)
    except TooLarge as exc:
        raise ReportError(str(exc)) from exc
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}") from exc
    return None if data is None else RunFacts.from_bytes(data, str(path))


def write_report(folder: Path, facts: RunFacts) -> list[Path]:
    """report.json and report.html in `folder`, each written atomically; a file
    that already holds these bytes is left alone (a re-run that did nothing
    touches nothing)."""
    from bitext.outputs import atomic_write_bytes

    folder = Path(folder)
    contents = {
        folder / REPORT_JSON: facts.to_bytes(),
        # A name that is not UTF-8 is shown with U+FFFD in its place.
        folder / REPORT_HTML: report_html(facts).encode("utf-8", "replace"),
    }
    for path, data in contents.items():
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass  # not there yet, or unreadable: written below
        atomic_write_bytes(path, data)
    return list(contents)


# -- drawing -----------------------------------------------------------------


def report_html(facts: RunFacts) -> str:
    """The self-contained page: inline CSS, inline SVG, links to the exports beside it."""

    def first_export(document: DocumentFacts) -> str | None:
        return document.files[0] if document.files else None

    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>bitext report {escape(facts.date)}</title>\n"
        f"<style>\n{REPORT_CSS}</style>\n</head>\n<body>\n"
        f"{overview_html(facts, first_export)}</body>\n</html>\n"
    )


def overview_html(facts: RunFacts, link: Callable[[DocumentFacts], str | None]) -> str:
    """The overview's body: run facts, charts, documents, failures.

    `link` gives each document's address (None: its name without a link).
    """
    parts = [
        '<main class="report">\n<h1>Run report</h1>\n',
        _facts_list(facts),
        _totals(facts),
        '<section class="charts" aria-label="Charts">\n',
        _chart_flags(facts),
        _chart_sentences(facts),
        _chart_reviewed(facts),
        "</section>\n",
        _documents_table(facts, link),
        _failures(facts),
        "</main>\n",
    ]
    return "".join(parts)


def _facts_list(facts: RunFacts) -> str:
    items = [
        ("Date", facts.date),
        ("Model", ", ".join(facts.models) or "none (nothing translated)"),
        ("Glossary", facts.glossary or "none"),
        ("Target language", facts.target_lang),
        ("Formats", ", ".join(facts.formats)),
    ]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f'<dl class="facts">{rows}</dl>\n'


def _totals(facts: RunFacts) -> str:
    statuses = Counter(d.status for d in facts.documents)
    sentences = sum(d.sentences for d in facts.documents)
    reviewed = sum(d.reviewed for d in facts.documents)
    flagged = sum(facts.flag_counts.values())
    items = [
        ("documents", len(facts.documents)),
        ("done", statuses.get("done", 0)),
        ("skipped", statuses.get("skipped", 0)),
        ("failed", statuses.get("failed", 0) + statuses.get("interrupted", 0)),
        ("sentences", sentences),
        ("flags", flagged),
        ("reviewed", reviewed),
    ]
    cells = "".join(
        f'<li><span class="number">{n}</span> {escape(label)}</li>' for label, n in items
    )
    return f'<ul class="totals" aria-label="Totals">{cells}</ul>\n'


def _bar_chart(title: str, bars: list[tuple[str, int]], css: str) -> str:
    """Horizontal bars, one per label, drawn with presentation attributes only."""
    if not bars:
        return (
            f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
            '<p class="empty">None.</p></figure>\n'
        )
    top = max(n for _, n in bars) or 1
    row, label_w, bar_w = 18, 170, 240
    height = row * len(bars) + 4
    shapes = []
    for i, (label, n) in enumerate(bars):
        y = i * row + 2
        width = max(1, round(bar_w * n / top)) if n else 0
        shapes.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(_short(label))}'
            f"</text>"
            f'<rect class="{css}" x="{label_w}" y="{y + 2}" width="{width}" height="{row - 5}">'
            f"<title>{escape(label)}: {n}</title></rect>"
            f'<text x="{label_w + width + 4}" y="{y + 13}">{n}</text>'
        )
    total_w = label_w + bar_w + 50
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{total_w}" height="{height}" viewBox="0 0 {total_w} {height}">'
        + "".join(shapes)
        + "</svg></figure>\n"
    )


def _short(label: str, size: int = 26) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _chart_flags(facts: RunFacts) -> str:
    bars = sorted(facts.flag_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return _bar_chart("Flags per kind", bars, "bar-flag")


def _chart_sentences(facts: RunFacts) -> str:
    documents = [d for d in facts.documents if d.sentences]
    bars = [(d.name, d.sentences) for d in documents[:CHART_DOCUMENTS]]
    title = "Sentences per document"
    if len(documents) > CHART_DOCUMENTS:
        title += f" (first {CHART_DOCUMENTS} of {len(documents)})"
    return _bar_chart(title, bars, "bar-sentences")


def _chart_reviewed(facts: RunFacts) -> str:
    """One stacked bar: reviewed, machine and untranslated sentences."""
    reviewed = sum(d.reviewed for d in facts.documents)
    translated = sum(d.translated for d in facts.documents)
    total = sum(d.sentences for d in facts.documents)
    parts = [
        ("reviewed", reviewed, "bar-reviewed"),
        ("machine", max(0, translated - reviewed), "bar-machine"),
        ("kept in its language", max(0, total - translated), "bar-kept"),
    ]
    width, x, shapes = 420, 0.0, []
    for label, n, css in parts:
        share = n / total if total else 0
        w = width * share
        shapes.append(
            f'<rect class="{css}" x="{x:.1f}" y="0" width="{w:.1f}" height="22">'
            f"<title>{label}: {n} ({share:.0%})</title></rect>"
        )
        x += w
    legend = "".join(
        f'<li><span class="swatch {css}"></span>{label}: {n} '
        f"({(n / total if total else 0):.0%})</li>"
        for label, n, css in parts
    )
    title = "Reviewed share of the sentences"
    return (
        f'<figure class="chart"><figcaption>{title}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}" '
        f'width="{width}" height="22" viewBox="0 0 {width} 22">'
        + "".join(shapes)
        + f'</svg><ul class="legend">{legend}</ul></figure>\n'
    )


def _documents_table(facts: RunFacts, link: Callable[[DocumentFacts], str | None]) -> str:
    head = (
        "<tr><th>Document</th><th>Status</th><th>Language</th><th>Input</th>"
        "<th>Blocks</th><th>Sentences</th><th>Flags</th><th>Reviewed</th></tr>"
    )
    rows = []
    for d in facts.documents:
        href = link(d)
        name = escape(d.name)
        cell = f'<a href="{escape(href)}">{name}</a>' if href else name
        flags = ", ".join(f"{escape(k)} {v}" for k, v in sorted(d.flags.items())) or "–"
        rows.append(
            f'<tr class="status-{escape(d.status)}"><td>{cell}</td><td>{escape(d.status)}</td>'
            f"<td>{escape(d.language or '–')}</td><td>{escape(_input_name(d.input_kind))}</td>"
            f'<td class="n">{d.blocks}</td><td class="n">{d.sentences}</td>'
            f'<td>{flags}</td><td class="n">{d.reviewed}</td></tr>'
        )
    return (
        '<section aria-label="Documents"><h2>Documents</h2>\n'
        f'<table class="documents"><thead>{head}</thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></section>\n"
    )


def _input_name(kind: str | None) -> str:
    if not kind:
        return "–"
    from bitext.readers import input_name

    return input_name(kind)


def _failures(facts: RunFacts) -> str:
    failed = [d for d in facts.documents if d.status in ("failed", "interrupted")]
    if not failed:
        return '<section aria-label="Failures"><h2>Failures</h2><p>None.</p></section>\n'
    items = "".join(
        f"<li><strong>{escape(d.name)}</strong>: {escape(d.reason or d.status)}</li>"
        for d in failed
    )
    return (
        f'<section aria-label="Failures"><h2>Failures</h2><ul class="failures">{items}</ul>'
        "</section>\n"
    )


#: The report's style: inline in report.html, /static/report.css in the review pages.
REPORT_CSS = """\
body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main.report { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
ul.totals { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; }
ul.totals li { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .4rem .8rem; }
ul.totals .number { font-weight: 700; font-size: 1.1rem; }
section.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure.chart { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: .6rem .8rem; }
figure.chart figcaption { font-weight: 600; margin-bottom: .4rem; }
figure.chart svg text { font-size: 11px; fill: #333; }
.bar-flag { fill: #d9822b; }
.bar-sentences { fill: #4a78b5; }
.bar-reviewed { fill: #2e8b57; background: #2e8b57; }
.bar-machine { fill: #9bb7de; background: #9bb7de; }
.bar-kept { fill: #cccccc; background: #cccccc; }
ul.legend { list-style: none; padding: 0; margin: .4rem 0 0; font-size: .85rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem;
  vertical-align: middle; }
table.documents { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
table.documents th, table.documents td { border: 1px solid #ddd; padding: .25rem .5rem;
  text-align: left; }
table.documents td.n { text-align: right; }
tr.status-failed, tr.status-interrupted { background: #fdecea; }
tr.status-skipped { color: #666; }
ul.failures li { margin: .2rem 0; }
"""
