"""Translation memory: a SQLite cache of every sentence ever translated.

A newsroom translates overlapping article sets again and again; a sentence
already translated with the same model and decoding settings never goes
through the model twice. The key is (model key, source text): the model key
names the package code, version, archive SHA-256, compute type and decoding
settings (see `Translator.model_key`), and the source text is exactly what the
model saw (after glossary placeholders), so a changed glossary or model can
never return a stale result.

The database runs in WAL mode with a busy timeout: two runs at once can read
while the other writes, and writes wait for each other instead of failing.
Each batch is committed on its own, so an interrupted run keeps what it did.

Beside the machine translations it keeps a `reviewed` store: human
translations imported from reviewed exports (`bitext memory import`), keyed
by the original source sentence and the language pair, independent of the
model (a human translation holds for any model). `translate` takes them
before the model and before the machine entries; an import is one
transaction, so a failed or interrupted import leaves the memory unchanged.

It also keeps each article's analysis (blocks, languages, sentences) keyed by
the file's SHA-256 and the code that produced it: language detection costs
more than exporting, so without it a warm re-run would still pay for it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

FILE_NAME = "memory.sqlite3"
#: SQLite's default limit on host parameters is 999 in older builds.
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    model TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (model, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    created REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reviewed (
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    created REAL NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (source_lang, target_lang, source)
) WITHOUT ROWID;
"""
#: `PRAGMA user_version` of the current schema. 0: a memory file from before
#: the reviewed store (issue 15); opening it adds the table, nothing else
#: changes, so its machine entries stay valid.
SCHEMA_VERSION = 1


def _model_pair(model_key: str) -> tuple[str, str] | None:
    """('nb', 'en') from a model key starting `translate-nb_en@...`."""
    import re

    match = re.match(r"translate-([A-Za-z-]+)_([A-Za-z-]+)@", model_key)
    return (match.group(1), match.group(2)) if match else None


def default_path() -> Path:
    """`$BITEXT_CACHE_DIR/memory.sqlite3`, else the user's cache folder."""
    folder = os.environ.get("BITEXT_CACHE_DIR")
    if folder:
        return Path(folder) / FILE_NAME
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bitext" / FILE_NAME


class TranslationMemory:
    """Source -> translation per model key, stored in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = 60.0):
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are opened explicitly below.
        self._db = sqlite3.connect(
            str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._retry_while_locked(lambda: self._db.execute("PRAGMA journal_mode = WAL"), timeout)
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._retry_while_locked(self._migrate, timeout)

    def _migrate(self) -> None:
        """Create missing tables (a new file, or an older one) and stamp the version."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"the memory was written by a newer bitext (schema {version}, "
                f"this one knows {SCHEMA_VERSION})"
            )
        if version == SCHEMA_VERSION:
            return
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _retry_while_locked(action, timeout: float) -> None:
        """Run `action`, retrying while another process holds the file.

        Switching a new file to WAL needs an exclusive lock and SQLite reports
        "database is locked" at once instead of waiting on the busy timeout,
        so two runs starting together on a new cache would collide here.
        """
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get_many(self, model: str, sources: Sequence[str]) -> dict[str, str]:
        """The stored translations of those `sources` that are in the memory."""
        return dict(self._select_by_source("translations WHERE model = ?", [model], sources))

    def put_many(self, model: str, pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        """Store translations in one transaction (an existing entry is replaced)."""
        items = list(pairs.items() if isinstance(pairs, Mapping) else pairs)
        if not items:
            return
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO translations (model, source, target, created) "
                "VALUES (?, ?, ?, ?)",
                [(model, s, t, now) for s, t in items],
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def get_reviewed(
        self, source_lang: str, target_lang: str, sources: Sequence[str]
    ) -> dict[str, str]:
        """Reviewed (human) translations of those `sources` for the language pair."""
        return dict(
            self._select_by_source(
                "reviewed WHERE source_lang = ? AND target_lang = ?",
                [source_lang, target_lang],
                sources,
            )
        )

    def machine_outputs(self, sources: Sequence[str]) -> dict[str, set[str]]:
        """Every model's stored output for each of `sources` (any model key)."""
        found: dict[str, set[str]] = {}
        for source, target in self._select_by_source("translations WHERE 1", [], sources):
            found.setdefault(source, set()).add(target)
        return found

    def _select_by_source(
        self, table_where: str, params: list, sources: Sequence[str]
    ) -> list[tuple[str, str]]:
        """(source, target) rows of `table_where` for `sources`, queried in chunks
        small enough for SQLite's limit on bound parameters."""
        rows: list[tuple[str, str]] = []
        unique = list(dict.fromkeys(sources))
        for start in range(0, len(unique), _CHUNK):
            part = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            rows += self._db.execute(
                f"SELECT source, target FROM {table_where} AND source IN ({marks})",
                [*params, *part],
            )
        return rows

    def put_reviewed(self, entries: Iterable[tuple[str, str, str, str, str]]) -> int:
        """Store (source_lang, target_lang, source, target, origin file) entries in
        ONE transaction: all of them, or (on any error) none. Later entries win."""
        now = time.time()
        rows = [(sl, tl, s, t, now, o) for sl, tl, s, t, o in entries]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO reviewed "
                "(source_lang, target_lang, source, target, created, origin) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return len(rows)

    def entries(
        self,
        *,
        reviewed_only: bool = False,
        source_lang: str | None = None,
        target_lang: str | None = None,
    ) -> list[dict]:
        """Every entry as a dict (source_lang, target_lang, source, target, created,
        origin, model), reviewed first, in a stable order; for `memory export`.

        Machine entries take their language pair from the model key's package
        code (`translate-nb_en@...`); keys without one are left out.
        """
        out = []
        for sl, tl, source, target, created, origin in self._db.execute(
            "SELECT source_lang, target_lang, source, target, created, origin FROM reviewed "
            "ORDER BY source_lang, target_lang, source"
        ):
            out.append(
                {
                    "source_lang": sl,
                    "target_lang": tl,
                    "source": source,
                    "target": target,
                    "created": created,
                    "origin": "reviewed",
                    "model": None,
                    "file": origin,
                }
            )
        if not reviewed_only:
            for model, source, target, created in self._db.execute(
                "SELECT model, source, target, created FROM translations ORDER BY model, source"
            ):
                pair = _model_pair(model)
                if pair is None:
                    continue
                out.append(
                    {
                        "source_lang": pair[0],
                        "target_lang": pair[1],
                        "source": source,
                        "target": target,
                        "created": created,
                        "origin": "model",
                        "model": model,
                        "file": None,
                    }
                )
        return [
            e
            for e in out
            if (source_lang is None or e["source_lang"] == source_lang)
            and (target_lang is None or e["target_lang"] == target_lang)
        ]

    def get_document(self, key: str) -> str | None:
        """A stored document analysis (JSON text), or None."""
        row = self._db.execute("SELECT data FROM documents WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put_document(self, key: str, data: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO documents (key, data, created) VALUES (?, ?, ?)",
            (key, data, time.time()),
        )

    def info(self) -> dict:
        """Where the memory is, how big, and how many entries per model key."""
        models = dict(
            self._db.execute("SELECT model, COUNT(*) FROM translations GROUP BY model ORDER BY 1")
        )
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        reviewed = dict(
            self._db.execute(
                "SELECT source_lang || '-' || target_lang, COUNT(*) FROM reviewed "
                "GROUP BY 1 ORDER BY 1"
            )
        )
        return {
            "path": str(self.path),
            "bytes": size,
            "entries": sum(models.values()),
            "reviewed": reviewed,
            "documents": self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "models": models,
        }

    def clear(
        self,
        model: str | None = None,
        *,
        stored_before: float | None = None,
        reviewed: bool = False,
    ) -> int:
        """Delete every machine entry (or those of one model key, or those stored
        before a Unix time, which keeps the memory from growing without end);
        returns how many translations went. Reviewed (human) translations are
        kept unless `reviewed` is true: they cost a person's time."""
        where, args = [], []
        if model is not None:
            where.append("model = ?")
            args.append(model)
        if stored_before is not None:
            where.append("created < ?")
            args.append(stored_before)
        condition = (" WHERE " + " AND ".join(where)) if where else ""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self._db.execute("DELETE FROM translations" + condition, args)
            removed = cursor.rowcount
            if reviewed and model is None:
                older = " WHERE created < ?" if stored_before is not None else ""
                cursor = self._db.execute(
                    "DELETE FROM reviewed" + older, args[-1:] if older else []
                )
                removed += cursor.rowcount
            if model is None:  # analysed documents belong to no model
                documents = " WHERE created < ?" if stored_before is not None else ""
                self._db.execute(
                    "DELETE FROM documents" + documents, args[-1:] if documents else []
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        return removed
