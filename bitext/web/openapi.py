"""The OpenAPI 3.1 document of `bitext serve` (served at /v1/openapi.json).

Written by hand, as plain data: the API is small, and a schema generator
would mean pydantic's weight for one page of JSON.
"""

from __future__ import annotations

from typing import Any

from bitext import __version__

_ERROR = {
    "description": "Error",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"error": {"type": "string"}}}
        }
    },
}
_ROW = {
    "type": "object",
    "description": "One sentence, as one line of the JSONL export.",
    "properties": {
        "id": {"type": "string", "example": "article:3.1"},
        "document": {"type": "string"},
        "block": {"type": "integer"},
        "sentence": {"type": "integer"},
        "kind": {"type": "string", "example": "paragraph"},
        "source_lang": {"type": "string"},
        "target_lang": {"type": "string"},
        "source": {"type": "string"},
        "target": {"type": "string"},
        "flags": {"type": "array", "items": {"type": "string"}},
        "score": {"type": ["number", "null"]},
        "origin": {"type": ["string", "null"], "enum": ["model", "reviewed", "source", None]},
    },
}


def _body(properties: dict[str, Any], required: list[str], files: dict[str, str]) -> dict:
    form = dict(properties)
    for name, description in files.items():
        form[name] = {"type": "string", "format": "binary", "description": description}
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": properties, "required": required}
            },
            "multipart/form-data": {"schema": {"type": "object", "properties": form}},
        },
    }


def _answer(description: str, schema: dict) -> dict:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}},
        "400": _ERROR,
        "403": _ERROR,
        "413": _ERROR,
        "500": _ERROR,
        "503": {**_ERROR, "description": "Busy or shutting down; see Retry-After"},
    }


def document(options: Any) -> dict:
    """The OpenAPI document; `options` (ServeOptions) gives the limits it states."""
    key = {"type": "string", "description": "API key (when the server has --api-keys)"}
    lang = {"type": "string", "description": "Language code, or auto (detect)"}
    rows = {"type": "array", "items": _ROW}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "bitext serve",
            "version": __version__,
            "description": (
                "bitext's own endpoints. The LibreTranslate-compatible ones (/translate, "
                "/detect, /languages, /frontend/settings) follow LibreTranslate's API. "
                f"Limits: {options.max_chars} characters and {options.max_sentences} "
                f"sentences per request, {options.request_seconds:g} s per request."
            ),
        },
        "paths": {
            "/v1/translate": {
                "post": {
                    "summary": "Translate an article; the rows of its JSONL export",
                    "requestBody": _body(
                        {
                            "text": {"type": "string"},
                            "source": lang,
                            "target": lang,
                            "api_key": key,
                        },
                        ["text"],
                        {"file": "An article in any format bitext reads (.txt .docx .html ...)"},
                    ),
                    "responses": _answer(
                        "The document's summary and its rows",
                        {
                            "type": "object",
                            "properties": {"document": {"type": "object"}, "rows": rows},
                        },
                    ),
                }
            },
            "/v1/align": {
                "post": {
                    "summary": "Align an article with its translation; the rows",
                    "requestBody": _body(
                        {
                            "text": {"type": "string"},
                            "translation": {"type": "string"},
                            "source": lang,
                            "target": lang,
                            "api_key": key,
                        },
                        ["text", "translation"],
                        {"file": "The article", "translation_file": "Its translation"},
                    ),
                    "responses": _answer(
                        "Link counts and the aligned rows (with scores)",
                        {
                            "type": "object",
                            "properties": {"alignment": {"type": "object"}, "rows": rows},
                        },
                    ),
                }
            },
            "/v1/status": {
                "get": {
                    "summary": "Loaded models, queue depth and batching counters",
                    "responses": _answer("Status", {"type": "object"}),
                }
            },
        },
    }
