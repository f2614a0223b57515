"""The review pages: a run's overview, each document side by side, edits saved.

A part of the web app (`bitext.web.app.create_app`): it serves pages, so it
sits behind the session cookie, and its one POST (a save) behind the CSRF
token and the Origin check. The work is `bitext.revision`'s; this module only
turns it into pages and JSON. The overview is `bitext.report.overview_html`,
the same body as the run's report.html, with its CSS served from /static (the
Content-Security-Policy forbids inline styles and scripts: the pages' only
behaviour is /static/review.js, plain `fetch()`).

The contract for automation and assistive technology: each sentence row has
`data-unit="DOCUMENT:BLOCK.SENTENCE"` (the XLIFF unit id and JSONL `id`) and
`data-origin`; its target editor is a labelled `textarea`; Ctrl+Enter in it
saves; the overview links each document by its name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bitext.revision import ReviewError, ReviewFolder, ReviewRow
from bitext.web.app import Settings

HERE = Path(__file__).resolve().parent
STATIC = {
    "review.css": "text/css; charset=utf-8",
    "review.js": "text/javascript; charset=utf-8",
    "report.css": "text/css; charset=utf-8",
}
#: Rows a search page lists at most.
SEARCH_LIMIT = 200
_WORDS = re.compile(r"\s+|[^\s]+")


def document_href(name: str) -> str:
    return f"/doc/{quote(name, safe='')}"


def word_diff(machine: str, edited: str) -> list[tuple[str, str]]:
    """(op, text) pieces, op one of `same`, `del`, `ins`: the machine output beside the edit."""
    a, b = _WORDS.findall(machine), _WORDS.findall(edited)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


def row_json(item: ReviewRow) -> dict:
    """What the page script needs to redraw a row after a save."""
    row = item.row
    return {
        "unit": item.id,
        "target": row.target,
        "origin": row.origin,
        "flags": list(row.flags),
        "machine": item.machine,
        "diff": word_diff(item.machine, row.target) if item.machine is not None else None,
    }


class ReviewPart:
    """The review pages of one run folder (a `bitext.web.app.WebPart`)."""

    api_prefixes: tuple[str, ...] = ()

    def __init__(self, folder: ReviewFolder, settings: Settings) -> None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        self.folder = folder
        self.settings = settings
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.globals.update(document_href=document_href, word_diff=word_diff)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.overview),
            Route("/doc/{name}", self.document),
            Route("/doc/{name}/save", self.save, methods=["POST"]),
            Route("/search", self.search),
            Route("/static/{file}", self.static),
        ]

    def lifespan(self):
        @asynccontextmanager
        async def closing() -> AsyncIterator[None]:
            try:
                yield
            finally:
                self.folder.close()

        return closing()

    def _page(self, template: str, status: int = 200, **context) -> HTMLResponse:
        page = self.templates.get_template(template).render(
            csrf_token=self.settings.csrf_token, facts=self.folder.facts, **context
        )
        return HTMLResponse(page, status_code=status)

    def overview(self, request: Request) -> Response:
        from bitext.report import overview_html

        body = overview_html(
            self.folder.facts, lambda d: document_href(d.name) if d.files else None
        )
        return self._page("overview.html", body=body)

    def document(self, request: Request) -> Response:
        from bitext.checks import FLAG_DESCRIPTIONS

        name = request.path_params["name"]
        try:
            document = self.folder.document(name)
        except ReviewError as exc:
            return self._page("error.html", status=404, message=str(exc))
        blocks: dict[int, list[ReviewRow]] = {}
        for item in document.rows:
            blocks.setdefault(item.row.block, []).append(item)
        kinds = sorted({f for item in document.rows for f in item.row.flags})
        return self._page(
            "document.html",
            name=name,
            document=document,
            blocks=list(blocks.values()),
            flag_kinds=kinds,
            descriptions=FLAG_DESCRIPTIONS,
        )

    def search(self, request: Request) -> Response:
        query = request.query_params.get("q", "")[:200]
        rows = self.folder.search(query, SEARCH_LIMIT) if query.strip() else []
        return self._page("search.html", query=query, rows=rows, limit=SEARCH_LIMIT)

    async def save(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        try:
            outcome = await run_in_threadpool(
                self.folder.save,
                request.path_params["name"],
                str(payload.get("unit", "")),
                payload.get("target"),
            )
        except ReviewError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {
                **row_json(outcome.row),
                "stored": outcome.stored,
                "files": outcome.files,
                "imported": outcome.imported,
                "kept": [Path(k).name for k in outcome.kept],
            }
        )

    def static(self, request: Request) -> Response:
        from bitext.report import REPORT_CSS

        name = request.path_params["file"]
        if name not in STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        if name == "report.css":
            content = REPORT_CSS
        else:
            content = (HERE / "static" / name).read_text(encoding="utf-8")
        return Response(content, media_type=STATIC[name], headers={"cache-control": "no-cache"})


def serve_review(
    folder: Path,
    options=None,
    *,
    port: int = 0,
    open_browser: bool = True,
    announce=print,
) -> None:
    """`bitext review`: serve `folder`'s review pages on 127.0.0.1 until Ctrl+C or SIGTERM.

    `announce` gets the line with the address (its token included) once the
    server accepts connections. Raises ReviewError when the folder cannot be
    reviewed, OSError when the port cannot be bound.
    """
    from bitext.web.app import create_app
    from bitext.web.server import bind, port_of, run

    review = ReviewFolder(folder, options)
    settings = Settings()
    try:
        sock = bind("127.0.0.1", port)
    except OSError:
        review.close()
        raise
    url = f"http://127.0.0.1:{port_of(sock)}/?token={settings.token}"

    def started() -> None:
        announce(f"Review at {url}")
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    run(create_app(settings, [ReviewPart(review, settings)]), sock, started)
