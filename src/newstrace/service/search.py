"""Full-text search over the index with SQLite FTS5.

The ``service_fts`` table holds each document's title and cleaned text; ``service_fts_docs``
remembers which content hash was indexed, so ``sync`` (run by the single writer after every
write and at start-up) only touches documents added, replaced or removed since.  Queries are
reduced to words, each quoted, so no user input is ever parsed as FTS5 syntax.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

__all__ = ["ensure_schema", "fts_query", "search", "sync"]

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS service_fts USING fts5(doc_id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS service_fts_docs (doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, fts_rowid INTEGER NOT NULL);
"""
_WORD = re.compile(r"\w+", re.UNICODE)
_OPEN, _CLOSE = "\x02", "\x03"
MAX_TERMS = 16


def ensure_schema(conn: sqlite3.Connection) -> None:
    with conn:
        conn.executescript(_SCHEMA)


def sync(conn: sqlite3.Connection) -> int:
    """Bring the FTS index in line with the documents table; return the rows changed."""
    indexed = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT doc_id, content_hash, fts_rowid FROM service_fts_docs")}
    current = dict(conn.execute("SELECT id, content_hash FROM documents"))
    stale = [i for i, (h, _) in indexed.items() if current.get(i) != h]
    fresh = [i for i, h in current.items() if indexed.get(i, (None,))[0] != h]
    with conn:
        for i in stale:
            conn.execute("DELETE FROM service_fts WHERE rowid = ?", (indexed[i][1],))
            conn.execute("DELETE FROM service_fts_docs WHERE doc_id = ?", (i,))
        for k in range(0, len(fresh), 500):
            marks = ",".join("?" * len(fresh[k : k + 500]))
            rows = conn.execute(f"SELECT id, content_hash, title, text FROM documents WHERE id IN ({marks})",
                                fresh[k : k + 500]).fetchall()
            for doc_id, h, title, text in rows:
                cur = conn.execute("INSERT INTO service_fts (doc_id, title, text) VALUES (?, ?, ?)", (doc_id, title or "", text))
                conn.execute("INSERT INTO service_fts_docs VALUES (?, ?, ?)", (doc_id, h, cur.lastrowid))
    return len(stale) + len(fresh)


def fts_query(q: str) -> str | None:
    """The FTS5 query for free text: every word quoted (all must match), or None when there are none."""
    words = _WORD.findall(q)[:MAX_TERMS]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words) or None


def search(conn: sqlite3.Connection, q: str, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Documents matching every word of ``q``, best first (bm25), each with a snippet.

    ``highlights`` are ``[start, end]`` offsets of the matched words in ``snippet``.
    """
    match = fts_query(q)
    if match is None:
        return []
    rows = conn.execute(
        f"SELECT doc_id, title, snippet(service_fts, 2, '{_OPEN}', '{_CLOSE}', '…', 24), bm25(service_fts) "
        "FROM service_fts WHERE service_fts MATCH ? ORDER BY bm25(service_fts) LIMIT ? OFFSET ?",
        (match, limit, offset)).fetchall()
    out = []
    for doc_id, title, marked, score in rows:
        snippet, highlights = _unmark(marked)
        out.append({"id": doc_id, "title": title or None, "snippet": snippet, "highlights": highlights,
                    "score": round(-float(score), 4)})
    return out


def _unmark(marked: str) -> tuple[str, list[list[int]]]:
    text: list[str] = []
    spans: list[list[int]] = []
    pos = 0
    start = 0
    for ch in marked:
        if ch == _OPEN:
            start = pos
        elif ch == _CLOSE:
            spans.append([start, pos])
        else:
            text.append(ch)
            pos += 1
    return "".join(text), spans
