"""Sentence embeddings stored beside the documents, so each sentence is embedded once.

The cache lives in the index's SQLite database (``Store.conn``) in its own table, one row per
sentence, keyed by document id, model version string (``Embedder.version``: vectors of
different models or settings never mix) and sentence number, with the sentence's character
span and the hash of the text it was split from.  In a store, a vector counts only while that
hash is the document's current ``text_hash``: vectors of a changed text are never reused
(they were the cause of "one vector per sentence needed" after an article changed)::

    cache = EmbeddingCache(store.conn)
    vecs = cache.get(doc.id, embedder.version, spans=spans)
    if vecs is None:
        vecs = embedder.encode([doc.text[s:e] for s, e in spans])
        cache.put(doc.id, embedder.version, spans, vecs)

Vectors are stored as little-endian float32 bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["EmbeddingCache"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    doc_id TEXT, model TEXT, sentence INTEGER, start INTEGER, end INTEGER, vector BLOB,
    text_hash TEXT,
    PRIMARY KEY (doc_id, model, sentence)
)
"""

_DTYPE = np.dtype("<f4")


class EmbeddingCache:
    """Per-sentence vectors in an SQLite connection (creates its table if needed).

    Args:
        conn: an open connection, e.g. ``Store.conn``; the cache never closes it.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        with conn:
            conn.execute(_SCHEMA)
            columns = {r[1] for r in conn.execute("PRAGMA table_info(embeddings)")}
            if "text_hash" not in columns:  # a table made before vectors were keyed by text
                conn.execute("ALTER TABLE embeddings ADD COLUMN text_hash TEXT")
        # Inside a store, only vectors of each document's current text count.
        self._in_store = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'documents'").fetchone() is not None
        self._current = (" AND text_hash IS (SELECT d.text_hash FROM documents d WHERE d.id = embeddings.doc_id)"
                         if self._in_store else "")

    def get(self, doc_id: str, model: str, *, spans: Sequence[tuple[int, int]] | None = None) -> np.ndarray | None:
        """The stored ``(n_sentences, dim)`` float32 vectors of ``doc_id`` under ``model``.

        Args:
            doc_id: the document id.
            model: the embedder's version string.
            spans: if given, the sentence spans the caller expects: stored vectors for other
                spans (the text changed, or another splitter) count as missing.

        Returns:
            The vectors in sentence order, or ``None`` when none (or stale ones) are stored.
        """
        rows = self.conn.execute(
            "SELECT sentence, start, end, vector FROM embeddings WHERE doc_id = ? AND model = ?"
            + self._current + " ORDER BY sentence", (doc_id, model)).fetchall()
        if not rows:
            return None
        if [r[0] for r in rows] != list(range(len(rows))):
            return None  # an incomplete write by something else: recompute
        if spans is not None and [(r[1], r[2]) for r in rows] != [(int(s), int(e)) for s, e in spans]:
            return None
        return np.stack([np.frombuffer(r[3], dtype=_DTYPE) for r in rows]).astype(np.float32)

    def spans(self, doc_id: str, model: str) -> list[tuple[int, int]]:
        """The sentence spans stored for ``doc_id`` under ``model`` (empty if none)."""
        return [(s, e) for s, e in self.conn.execute(
            "SELECT start, end FROM embeddings WHERE doc_id = ? AND model = ?" + self._current
            + " ORDER BY sentence", (doc_id, model))]

    def put(self, doc_id: str, model: str, spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> None:
        """Store (replacing any earlier ones) the vectors of a document's sentences, in one transaction.

        Raises:
            ValueError: ``spans`` and ``vectors`` differ in length, or ``vectors`` is not 2-D.
        """
        self.put_many(model, [(doc_id, spans, vectors)])

    def put_many(self, model: str,
                 docs: Iterable[tuple[str, Sequence[tuple[int, int]], np.ndarray]], *,
                 text_hashes: Mapping[str, str] | None = None) -> None:
        """:meth:`put` for many ``(doc_id, spans, vectors)`` at once, in one transaction (one
        commit per document cost a tenth of a semantic scan's embedding time).

        ``text_hashes`` names the hash (``newstrace.store.text_hash``) of the text each
        document's vectors were computed from; by default, the stored document's current one.

        Raises:
            ValueError: as :meth:`put`, before anything is written.
        """
        ids: list[tuple[str, str]] = []
        rows: list[tuple[str, str, int, int, int, bytes, str | None]] = []
        for doc_id, spans, vectors in docs:
            vectors = np.asarray(vectors)
            if vectors.ndim != 2 or len(spans) != vectors.shape[0]:
                raise ValueError(f"need one vector per span: {len(spans)} spans, vectors of shape {vectors.shape}")
            data = np.ascontiguousarray(vectors, dtype=_DTYPE)
            ids.append((doc_id, model))
            digest = (text_hashes or {}).get(doc_id) or self._text_hash(doc_id)
            rows.extend((doc_id, model, i, int(s), int(e), data[i].tobytes(), digest)
                        for i, (s, e) in enumerate(spans))
        with self.conn:
            self.conn.executemany("DELETE FROM embeddings WHERE doc_id = ? AND model = ?", ids)
            self.conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def _text_hash(self, doc_id: str) -> str | None:
        if not self._in_store:
            return None
        row = self.conn.execute("SELECT text_hash FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, doc_id: str, model: str | None = None) -> None:
        """Forget a document's vectors (under one model, or all)."""
        with self.conn:
            if model is None:
                self.conn.execute("DELETE FROM embeddings WHERE doc_id = ?", (doc_id,))
            else:
                self.conn.execute("DELETE FROM embeddings WHERE doc_id = ? AND model = ?", (doc_id, model))

    def doc_ids(self, model: str) -> set[str]:
        """Ids of the documents with vectors stored under ``model``."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT doc_id FROM embeddings WHERE model = ?" + self._current, (model,))}
