"""The HTTP API: LibreTranslate's endpoints, and bitext's own under `/v1/`.

LibreTranslate's API is what other tools already speak (Weblate, editors,
browser add-ons, `libretranslatepy`), so its paths, field names, answers and
error shapes are kept: `POST /translate`, `POST /detect`, `GET /languages`,
`GET /frontend/settings`; JSON and form bodies alike; errors as
`{"error": "..."}`. bitext's own endpoints return the JSONL export's rows of
a whole article (`/v1/translate`) or of an article aligned with its
translation (`/v1/align`); `/v1/openapi.json` documents them.

Every request is bounded (body size in the security layer; texts, characters,
sentences and HTML elements here; queue depth and time in the batcher) and
every refusal is an answer: the server keeps serving after each.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bitext.web.app import Settings
from bitext.web.service import (
    BadRequest,
    Busy,
    Service,
    TextJob,
    align_article,
    detect,
    translate_article,
)

#: Seconds a client is told to wait after a 503.
RETRY_AFTER_SECONDS = 2
#: Paths served to programs: no session cookie, API keys instead.
API_PREFIXES = ("/translate", "/detect", "/languages", "/frontend/settings", "/v1")
FORMATS = ("text", "html")


def error(status: int, message: str, **headers: str) -> JSONResponse:
    """LibreTranslate's error shape, which its clients parse."""
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


class Forbidden(Exception):
    """A missing or wrong API key (HTTP 403)."""


class ApiPart:
    """The API as a part of the one web app (see `bitext.web.app.create_app`)."""

    api_prefixes = API_PREFIXES

    def __init__(self, service: Service, settings: Settings) -> None:
        self.service = service
        self.settings = settings

    def lifespan(self):
        @asynccontextmanager
        async def serving() -> AsyncIterator[None]:
            await run_in_threadpool(self.service.start)
            try:
                yield
            finally:  # after uvicorn has let the requests in flight finish
                await run_in_threadpool(self.service.close)

        return serving()

    def routes(self) -> list[BaseRoute]:
        handled = self._handled
        return [
            Route("/translate", handled(self.translate), methods=["POST"]),
            Route("/detect", handled(self.detect), methods=["POST"]),
            Route("/languages", handled(self.languages), methods=["GET", "POST"]),
            Route("/frontend/settings", handled(self.frontend_settings), methods=["GET"]),
            Route("/v1/translate", handled(self.v1_translate), methods=["POST"]),
            Route("/v1/align", handled(self.v1_align), methods=["POST"]),
            Route("/v1/status", handled(self.v1_status), methods=["GET"]),
            Route("/v1/openapi.json", handled(self.openapi), methods=["GET"]),
        ]

    # -- one way to fail ------------------------------------------------------

    def _handled(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except BadRequest as exc:
                return error(400, str(exc))
            except Forbidden as exc:
                return error(403, str(exc))
            except Busy as exc:
                return error(503, str(exc), **{"Retry-After": str(RETRY_AFTER_SECONDS)})
            except Exception as exc:  # the server answers and goes on
                return error(500, f"Cannot translate text: {exc}")

        return endpoint

    async def _fields(self, request: Request) -> dict[str, Any]:
        """The body's fields, JSON or form, with the API key checked."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                fields = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadRequest(f"Invalid request: malformed JSON body ({exc})") from exc
            if not isinstance(fields, dict):
                raise BadRequest("Invalid request: the JSON body must be an object")
        elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            fields = {name: form.get(name) for name in form.keys()}
        else:
            fields = dict(request.query_params)
        key = fields.get("api_key")
        if key is not None and not isinstance(key, str):
            raise BadRequest("Invalid request: api_key must be a string")
        if not self.settings.key_ok(key):
            raise Forbidden("Invalid API key")
        return fields

    # -- LibreTranslate ---------------------------------------------------------

    async def translate(self, request: Request) -> Response:
        fields = await self._fields(request)
        texts, many = _texts(fields, self.service.options)
        source = _code(fields, "source")
        target = _code(fields, "target")
        text_format = fields.get("format") or "text"
        if text_format not in FORMATS:
            raise BadRequest(f"{text_format} format is not supported")
        self.service.check_code(target, "target")
        if source != "auto":
            self.service.check_code(source, "source")
        detected = None
        if source == "auto":
            plain = [_html_text(t) for t in texts] if text_format == "html" else texts
            detected = await run_in_threadpool(_detect_each, plain)
        deadline = time.monotonic() + self.service.options.request_seconds
        answers = []
        for index, text in enumerate(texts):  # texts of one language go in one job
            lang = detected[index]["language"] if detected else source
            answers.append((lang, text))
        translated = await self._translate_texts(answers, target, text_format == "html", deadline)
        body: dict[str, Any] = {"translatedText": translated if many else translated[0]}
        if detected is not None:
            body["detectedLanguage"] = detected if many else detected[0]
        if fields.get("alternatives"):  # newer clients ask; one model has none to give
            body["alternatives"] = [[] for _ in texts] if many else []
        return JSONResponse(body)

    async def _translate_texts(
        self, texts: list[tuple[str, str]], target: str, html: bool, deadline: float
    ) -> list[str]:
        """Each (language, text) translated; texts already in `target` come back as they are."""
        results: list[str | None] = [None] * len(texts)
        by_language: dict[str, list[int]] = {}
        for index, (lang, text) in enumerate(texts):
            if lang == target:
                results[index] = text
            else:
                by_language.setdefault(lang, []).append(index)
        for lang, indexes in by_language.items():
            pair = self.service.pair(lang, target)
            job = TextJob(self.service, lang, target, html)

            def plan(job=job, indexes=indexes) -> list[str]:
                for index in indexes:
                    job.add_text(texts[index][1])
                return job.model_texts()

            model_texts = await run_in_threadpool(plan)
            outputs = await self._await(pair.batcher, model_texts, deadline)
            for index, answer in zip(indexes, job.finish(outputs)):
                results[index] = answer
        return [r if r is not None else "" for r in results]

    async def _await(self, batcher, texts: list[str], deadline: float) -> dict[str, str]:
        """The batcher's translations, awaited without blocking the event loop."""
        future = self.service.submit(batcher, texts)
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=max(0.0, deadline - time.monotonic())
            )
        except asyncio.TimeoutError as exc:
            batcher.cancel(future)
            raise Busy(
                f"the request took longer than {self.service.options.request_seconds:g} s; "
                "send fewer sentences or try again later"
            ) from exc

    async def detect(self, request: Request) -> Response:
        fields = await self._fields(request)
        q = fields.get("q")
        if not q:
            raise BadRequest("Invalid request: missing q parameter")
        if not isinstance(q, str):
            raise BadRequest("Invalid request: q must be a string")
        _check_chars(len(q), self.service.options.max_chars)
        return JSONResponse(await run_in_threadpool(detect, q))

    async def languages(self, request: Request) -> Response:
        return JSONResponse(self.service.languages())

    async def frontend_settings(self, request: Request) -> Response:
        """What LibreTranslate's own web page and some clients read at start-up."""
        languages = self.service.languages()
        source = next((lang for lang in languages if lang["targets"]), languages[0])
        target_code = source["targets"][0] if source["targets"] else source["code"]
        target = next(lang for lang in languages if lang["code"] == target_code)
        return JSONResponse(
            {
                "charLimit": self.service.options.max_chars,
                "frontendTimeout": 500,
                "apiKeys": bool(self.settings.api_keys),
                "keyRequired": bool(self.settings.api_keys),
                "suggestions": False,
                "filesTranslation": False,
                "supportedFilesFormat": [],
                "language": {
                    "source": {"code": source["code"], "name": source["name"]},
                    "target": {"code": target["code"], "name": target["name"]},
                },
            }
        )

    # -- bitext's own ---------------------------------------------------------------

    async def v1_translate(self, request: Request) -> Response:
        fields = await self._fields(request)
        data, filename = _article(fields, "text", "file", "article.txt")
        source = _code(fields, "source", default="auto")
        target = _code(fields, "target", default=self.service.options.translate.target_lang)
        self.service.check_code(target, "target")
        if source != "auto":
            self.service.check_code(source, "source")
        rows, summary = await run_in_threadpool(
            translate_article, self.service, data, filename, source, target
        )
        return JSONResponse({"document": summary, "rows": rows})

    async def v1_align(self, request: Request) -> Response:
        fields = await self._fields(request)
        source = _article(fields, "text", "file", "article.txt")
        translation = _article(fields, "translation", "translation_file", "translation.txt")
        source_lang = _code(fields, "source", default="auto")
        target_lang = _code(fields, "target", default="auto")
        rows, summary = await run_in_threadpool(
            align_article, self.service, source, translation, source_lang, target_lang
        )
        return JSONResponse({"alignment": summary, "rows": rows})

    async def v1_status(self, request: Request) -> Response:
        await self._fields(request)
        return JSONResponse(
            {
                "batching": "cross-request" if self.service.options.cross_request else "off",
                "models": [
                    {
                        "pair": f"{source}-{target}",
                        "package": pair.package.label,
                        "queued": pair.batcher.queued,
                        **vars(pair.batcher.stats),
                    }
                    for (source, target), pair in self.service.pairs.items()
                ],
            }
        )

    async def openapi(self, request: Request) -> Response:
        from bitext.web.openapi import document

        return JSONResponse(document(self.service.options))


# -- field checks -------------------------------------------------------------


def _texts(fields: dict[str, Any], options) -> tuple[list[str], bool]:
    """`q` as a list of strings, and whether it came as a list."""
    q = fields.get("q")
    if q is None or q == "" or q == []:
        raise BadRequest("Invalid request: missing q parameter")
    many = isinstance(q, list)
    texts = q if many else [q]
    if not all(isinstance(t, str) for t in texts):
        raise BadRequest("Invalid request: q must be a string or a list of strings")
    if len(texts) > options.max_texts:
        raise BadRequest(
            f"Invalid request: request ({len(texts)}) exceeds text limit ({options.max_texts})"
        )
    _check_chars(sum(len(t) for t in texts), options.max_chars)
    return texts, many


def _check_chars(chars: int, limit: int) -> None:
    if chars > limit:
        raise BadRequest(f"Invalid request: request ({chars}) exceeds text limit ({limit})")


def _code(fields: dict[str, Any], name: str, default: str | None = None) -> str:
    value = fields.get(name) or default
    if not value:
        raise BadRequest(f"Invalid request: missing {name} parameter")
    if not isinstance(value, str) or len(value) > 20:
        raise BadRequest(f"Invalid request: {name} must be a language code")
    return value


#: Texts up to this many characters take the language of all the texts together
#: (LibreTranslate's rule: short texts cannot be told apart reliably).
SHORT_TEXT = 40


def _html_text(html: str) -> str:
    """The words of an HTML text, for detection (markup is not language)."""
    import lxml.html

    try:
        return lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    except Exception:  # unparsable: the translation step says why
        return html


def _detect_each(texts: list[str]) -> list[dict]:
    """The detected language of each text (`detectedLanguage`), as LibreTranslate picks it."""
    overall = detect("\n\n".join(texts))[0]
    return [detect(t)[0] if len(t) > SHORT_TEXT else overall for t in texts]


def _article(fields: dict[str, Any], text_field: str, file_field: str, name: str):
    """(bytes, file name) from a text field or an uploaded file."""
    upload = fields.get(file_field)
    if upload is not None and hasattr(upload, "file"):
        return upload.file.read(), upload.filename or name
    text = fields.get(text_field)
    if not text:
        raise BadRequest(f"Invalid request: missing {text_field} (or an uploaded {file_field})")
    if not isinstance(text, str):
        raise BadRequest(f"Invalid request: {text_field} must be a string")
    return text.encode("utf-8"), name
