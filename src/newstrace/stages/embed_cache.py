"""Sentence embeddings stored beside the documents, so each sentence is embedded once.

The cache lives in the index's SQLite database (``Store.conn``) in its own table, one row per
document and model version string (``Embedder.version``: vectors of different models or
settings never mix): the sentences' character spans and their vectors, each in one blob, and
the hash of the text they were split from.  In a store, vectors count only while that hash is
the document's current ``text_hash``: vectors of a changed text are never reused (they were
the cause of "one vector per sentence needed" after an article changed)::

    cache = EmbeddingCache(store.conn)
    vecs = cache.get(doc.id, embedder.version, spans=spans)
    if vecs is None:
        vecs = embedder.encode([doc.text[s:e] for s, e in spans])
        cache.put(doc.id, embedder.version, spans, vecs)

Vectors are stored as little-endian float32 bytes, row after row; spans as little-endian
``uint32`` start/end pairs.  Until store schema 9 the table held a row per sentence
(``embeddings``): the document id, model string and text hash repeated on each, two 1.5 kB
rows a 4 kB page and an index on the three-column key, 10.9 of the 19.0 GB of a
100,000-document index (docs/benchmarks.md, stop 48).  :func:`migrate_embeddings` moves such a
table's rows over, the same vectors to the bit.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["MIGRATE_DOCUMENTS", "SCHEMA", "EmbeddingCache", "migrate_embeddings"]

log = logging.getLogger(__name__)

#: The table of sentence vectors (also made by ``newstrace.store.Store``'s schema).
SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    doc_id TEXT NOT NULL, model TEXT NOT NULL, text_hash TEXT,
    spans BLOB NOT NULL, vectors BLOB NOT NULL,
    PRIMARY KEY (doc_id, model)
)
"""

_DTYPE = np.dtype("<f4")
_SPAN = np.dtype("<u4")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


#: Documents whose per-sentence rows :func:`migrate_embeddings` moves in one transaction.
MIGRATE_DOCUMENTS = 2000


def migrate_embeddings(conn: sqlite3.Connection, *, documents: int = MIGRATE_DOCUMENTS) -> int:
    """Move the rows of a per-sentence ``embeddings`` table (before store schema 9) into
    ``sentence_vectors`` (made if missing), then drop it: the same spans and vectors, one row per
    document and model.  A document whose sentence rows are incomplete (not numbered 0..n-1,
    which ``get`` treated as missing) is left out, as is one whose rows disagree on the text hash.

    Outside a transaction, ``documents`` documents are moved a transaction (their old rows
    deleted in it), so a crash loses nothing and the next call goes on, and the file and its
    write-ahead log stay near their size: moving a 100,000-document index's 10 GB in one
    transaction grew the log past 17 GB before it was stopped (stop 48).  Inside one (the
    caller's), everything is moved in it.  Returns the rows written (0 without the old table)."""
    if not _has_table(conn, "embeddings"):
        return 0
    own = not conn.in_transaction
    written = 0
    while True:
        if own:
            conn.execute("BEGIN IMMEDIATE")
        try:
            if not _has_table(conn, "embeddings"):  # another process finished the move
                moved = None
            else:
                conn.execute(SCHEMA)
                moved = _move_some(conn, documents if own else None)
                written += moved or 0
                if moved is None or not own:  # nothing left
                    conn.execute("DROP TABLE embeddings")
                    moved = None
        except BaseException:
            if own:
                conn.rollback()
            raise
        if own:
            conn.commit()
        if moved is None:
            break
    log.info("sentence vectors: %d documents' rows moved to one row each (sentence_vectors)", written)
    return written


def _move_some(conn: sqlite3.Connection, documents: int | None) -> int | None:
    """Move the old rows of the first ``documents`` documents (all: ``None``) still in
    ``embeddings``, deleting them there; the number of rows written (``None``: none was left)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(embeddings)")}
    hashes = "text_hash" if "text_hash" in columns else "NULL"
    values: tuple[str, ...] = ()
    if documents is None:
        where = ""
    else:
        ids = [r[0] for r in conn.execute("SELECT DISTINCT doc_id FROM embeddings ORDER BY doc_id LIMIT ?",
                                          (documents,))]
        if not ids:
            return None
        where, values = "WHERE doc_id BETWEEN ? AND ? ", (ids[0], ids[-1])
    rows = conn.execute(f"SELECT doc_id, model, sentence, start, end, vector, {hashes} FROM embeddings {where}"
                        "ORDER BY doc_id, model, sentence", values)
    out: list[tuple[str, str, str | None, bytes, bytes]] = []
    key: tuple[str, str] | None = None
    group: list[tuple[int, int, int, bytes, str | None]] = []
    seen = 0

    def done() -> None:
        if key is not None and [g[0] for g in group] == list(range(len(group))) and len({g[4] for g in group}) == 1:
            spans = np.asarray([(g[1], g[2]) for g in group], dtype=_SPAN).tobytes()
            out.append((key[0], key[1], group[0][4], spans, b"".join(g[3] for g in group)))

    while batch := rows.fetchmany(5000):
        for doc_id, model, sentence, start, end, vector, digest in batch:
            seen += 1
            if (doc_id, model) != key:
                done()
                key, group = (doc_id, model), []
            group.append((sentence, start, end, vector, digest))
    done()
    if not seen:
        return None
    conn.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?, ?, ?, ?, ?)", out)
    conn.execute(f"DELETE FROM embeddings {where}", values)
    return len(out)


class EmbeddingCache:
    """Per-document sentence vectors in an SQLite connection (creates its table if needed, and
    moves an older per-sentence table's rows into it: :func:`migrate_embeddings`).

    Args:
        conn: an open connection, e.g. ``Store.conn``; the cache never closes it.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        if not _has_table(conn, "sentence_vectors") or _has_table(conn, "embeddings"):
            if conn.in_transaction:
                conn.execute(SCHEMA)
                migrate_embeddings(conn)
            else:
                with conn:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(SCHEMA)
                    migrate_embeddings(conn)
        # Inside a store, only vectors of each document's current text count.
        self._in_store = _has_table(conn, "documents")
        self._current = (" AND text_hash IS (SELECT d.text_hash FROM documents d WHERE d.id = sentence_vectors.doc_id)"
                         if self._in_store else "")

    def _row(self, doc_id: str, model: str) -> tuple[np.ndarray, np.ndarray] | None:
        row = self.conn.execute("SELECT spans, vectors FROM sentence_vectors WHERE doc_id = ? AND model = ?"
                                + self._current, (doc_id, model)).fetchone()
        if row is None:
            return None
        spans = np.frombuffer(row[0], dtype=_SPAN).reshape(-1, 2)
        flat = np.frombuffer(row[1], dtype=_DTYPE)
        if not len(spans) or len(flat) % len(spans):
            return None
        return spans, flat.reshape(len(spans), -1)

    def get(self, doc_id: str, model: str, *, spans: Sequence[tuple[int, int]] | None = None) -> np.ndarray | None:
        """The stored ``(n_sentences, dim)`` float32 vectors of ``doc_id`` under ``model``.

        Args:
            doc_id: the document id.
            model: the embedder's version string.
            spans: if given, the sentence spans the caller expects: stored vectors for other
                spans (the text changed, or another splitter) count as missing.

        Returns:
            The vectors in sentence order (a writable copy), or ``None`` when none (or stale
            ones) are stored.
        """
        found = self._row(doc_id, model)
        if found is None:
            return None
        stored, vectors = found
        if spans is not None and (len(spans) != len(stored)
                                  or not np.array_equal(stored, np.asarray(spans, dtype=np.int64).reshape(-1, 2))):
            return None
        return vectors.astype(np.float32)

    def spans(self, doc_id: str, model: str) -> list[tuple[int, int]]:
        """The sentence spans stored for ``doc_id`` under ``model`` (empty if none)."""
        found = self._row(doc_id, model)
        return [] if found is None else [(int(s), int(e)) for s, e in found[0].tolist()]

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
        commit per document cost a tenth of a semantic scan's embedding time).  A document with
        no sentences keeps no row (``get`` gives ``None``, as for one never embedded).

        ``text_hashes`` names the hash (``newstrace.store.text_hash``) of the text each
        document's vectors were computed from; by default, the stored document's current one.

        Raises:
            ValueError: as :meth:`put`, before anything is written.
        """
        gone: list[tuple[str, str]] = []
        rows: list[tuple[str, str, str | None, bytes, bytes]] = []
        for doc_id, spans, vectors in docs:
            vectors = np.asarray(vectors)
            if vectors.ndim != 2 or len(spans) != vectors.shape[0]:
                raise ValueError(f"need one vector per span: {len(spans)} spans, vectors of shape {vectors.shape}")
            if not len(spans):
                gone.append((doc_id, model))
                continue
            digest = (text_hashes or {}).get(doc_id) or self._text_hash(doc_id)
            rows.append((doc_id, model, digest, np.asarray(spans, dtype=_SPAN).reshape(-1, 2).tobytes(),
                         np.ascontiguousarray(vectors, dtype=_DTYPE).tobytes()))
        with self.conn:
            self.conn.executemany("DELETE FROM sentence_vectors WHERE doc_id = ? AND model = ?", gone)
            self.conn.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?, ?, ?, ?, ?)", rows)

    def _text_hash(self, doc_id: str) -> str | None:
        if not self._in_store:
            return None
        row = self.conn.execute("SELECT text_hash FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, doc_id: str, model: str | None = None) -> None:
        """Forget a document's vectors (under one model, or all)."""
        with self.conn:
            if model is None:
                self.conn.execute("DELETE FROM sentence_vectors WHERE doc_id = ?", (doc_id,))
            else:
                self.conn.execute("DELETE FROM sentence_vectors WHERE doc_id = ? AND model = ?", (doc_id, model))

    def doc_ids(self, model: str) -> set[str]:
        """Ids of the documents with vectors stored under ``model``."""
        return {r[0] for r in self.conn.execute(
            "SELECT doc_id FROM sentence_vectors WHERE model = ?" + self._current, (model,))}
