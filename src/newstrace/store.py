"""The embedded store: SQLite, versioned schema, transactional writes.

One file holds the cleaned documents, their sketches (for candidate search against the
index) and the relations found.  Every batch is written in one transaction, so a crash
leaves the store as it was before the batch, and a re-run skips documents already stored
(documents are keyed by id and content hash: re-adding is idempotent, a changed text
replaces the old version).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import xxhash

from newstrace.errors import StoreError
from newstrace.stages.candidates import Fingerprint
from newstrace.state import StoreSettings, current_settings
from newstrace.types import Change, Direction, Document, Passage, Relation, Removed

__all__ = ["SCHEMA_VERSION", "Store", "content_hash", "text_hash"]

log = logging.getLogger(__name__)

# 3: documents and fingerprints carry the hash of the cleaned text, checked pairs the relate
# settings digest, and meta the settings digests (newstrace.state).
SCHEMA_VERSION = 3
# Seconds a writer waits for another's transaction (two `index add` on one store).
BUSY_TIMEOUT = 120.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL, text_hash TEXT NOT NULL,
    path TEXT, title TEXT, url TEXT, site TEXT, published TEXT, language TEXT,
    raw TEXT NOT NULL, text TEXT NOT NULL,
    offsets TEXT NOT NULL, removed TEXT NOT NULL, signature TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS fingerprints (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    text_hash TEXT NOT NULL, settings TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS relations (
    source TEXT NOT NULL, target TEXT NOT NULL,
    type TEXT NOT NULL, confidence REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (source, target)
);
CREATE TABLE IF NOT EXISTS checked_pairs (
    a TEXT NOT NULL, b TEXT NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (a, b)
);
"""


def content_hash(doc: Document) -> str:
    """The hash of the text as ingested: a re-added file with this hash is unchanged."""
    return xxhash.xxh64_hexdigest(doc.raw)


def text_hash(text: str) -> str:
    """The hash of a cleaned text: what sketches and sentence vectors are keyed by."""
    return xxhash.xxh64_hexdigest(text)


class Store:
    """A newstrace index in one SQLite file.  Use as a context manager.

    Args:
        path: the SQLite file (created if missing).
        settings: the settings digests this run works under (``newstrace.state``); the
            defaults' when ``None``.  A store whose documents were indexed under another
            ``index`` digest is refused (``StoreError``); pairs compared under another
            ``relate`` digest are not reported by :meth:`checked`, so they are compared again.

    Raises:
        StoreError: the file cannot be opened, is not a newstrace store, has another schema
            version, or was indexed under other settings.
    """

    def __init__(self, path: str | Path, *, settings: StoreSettings | None = None) -> None:
        self.path = str(path)
        self.settings = settings or current_settings()
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.path!r}: {exc}") from exc
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._enter_wal()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path!r} is not a newstrace store: {exc}") from exc
        self._migrate()

    def _enter_wal(self) -> None:
        """Switch to write-ahead logging, waiting out another process that is doing the same.

        Changing the journal mode needs the database to itself, and SQLite answers "database
        is locked" at once rather than through the busy timeout, so two writers opening one
        new store would otherwise fail; a lock is waited for (up to ``BUSY_TIMEOUT``), any
        other error is reported as such.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        try:
            with self.conn:
                # BEGIN IMMEDIATE: two processes opening one new store do not both create it.
                self.conn.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is None:
                    self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                elif int(row[0]) != SCHEMA_VERSION:
                    raise StoreError(f"store {self.path!r} has schema version {row[0]}, this newstrace "
                                     f"reads version {SCHEMA_VERSION}: re-index into a new --db file")
                self._check_settings()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path!r} is not a newstrace store: {exc}") from exc
        except StoreError:
            self.conn.close()
            raise

    def _check_settings(self) -> None:
        meta = dict(self.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'settings_%'"))
        stored = meta.get("settings_index")
        has_docs = self.conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None
        if stored is not None and stored != self.settings.index and has_docs:
            raise StoreError(
                f"store {self.path!r} was indexed with other settings ({stored}; this newstrace uses "
                f"{self.settings.index}): its fingerprints cannot be compared with new ones; "
                "re-index into a new --db file")
        if stored != self.settings.index:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('settings_index', ?)", (self.settings.index,))
        if meta.get("settings_relate") != self.settings.relate:
            if meta.get("settings_relate") is not None:
                log.info("store %s: pairs compared under relate settings %s are compared again under %s",
                         self.path, meta["settings_relate"], self.settings.relate)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('settings_relate', ?)", (self.settings.relate,))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.conn:
            # IMMEDIATE: take the write lock at the start, so two writers queue instead of
            # one failing with "database is locked" when it upgrades a read lock.
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn

    # -- documents ----------------------------------------------------------------------

    def stored_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, content_hash FROM documents"))

    def put_documents(self, docs: Iterable[tuple[Document, Fingerprint]]) -> int:
        """Insert or replace documents with their fingerprints, in one transaction.

        A document whose cleaned text changed loses its relations, checked pairs and sentence
        vectors: they were computed from the old text.
        """
        n = 0
        embeddings = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'embeddings'").fetchone() is not None
        with self.transaction() as c:
            for doc, fp in docs:
                new_hash = text_hash(doc.text)
                c.execute("DELETE FROM relations WHERE source = ? OR target = ?", (doc.id, doc.id))
                c.execute("DELETE FROM checked_pairs WHERE a = ? OR b = ?", (doc.id, doc.id))
                if embeddings:
                    c.execute("DELETE FROM embeddings WHERE doc_id = ? AND text_hash IS NOT ?", (doc.id, new_hash))
                c.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (doc.id, content_hash(doc), new_hash, doc.path, doc.title, doc.url, doc.site, doc.published,
                     doc.language, doc.raw, doc.text, json.dumps(doc.offsets),
                     json.dumps([[r.start, r.end, r.text, r.reason] for r in doc.removed]),
                     json.dumps(doc.signature)),
                )
                c.execute("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?)", (
                    doc.id, new_hash, self.settings.index, json.dumps(
                        {"shingles": fp.shingles, "sentences": fp.sentences,
                         "sentence_terms": [sorted(t) for t in fp.sentence_terms]})))
                n += 1
        return n

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]

    def get_documents(self, ids: Iterable[str] | None = None) -> list[Document]:
        cols = "id, path, title, url, site, published, language, raw, text, offsets, removed, signature"
        if ids is None:
            rows = self.conn.execute(f"SELECT {cols} FROM documents ORDER BY id").fetchall()
        else:
            wanted = list(ids)
            rows = []
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                rows += self.conn.execute(
                    f"SELECT {cols} FROM documents WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            order = {d: k for k, d in enumerate(wanted)}
            rows.sort(key=lambda r: order[r[0]])
        return [
            Document(id=r[0], path=r[1], title=r[2], url=r[3], site=r[4], published=r[5], language=r[6],
                     raw=r[7], text=r[8], offsets=json.loads(r[9]),
                     removed=[Removed(*x) for x in json.loads(r[10])], signature=json.loads(r[11]))
            for r in rows
        ]

    def languages(self) -> dict[str, str | None]:
        """Every stored document's language, by id."""
        return dict(self.conn.execute("SELECT id, language FROM documents"))

    def raw_documents(self) -> Iterator[Document]:
        """Every stored document's id and ingested text only (for collection steps such as
        learning recurring boilerplate lines)."""
        for doc_id, raw in self.conn.execute("SELECT id, raw FROM documents ORDER BY id").fetchall():
            yield Document(id=doc_id, raw=raw)

    def get_fingerprints(self) -> list[Fingerprint]:
        """The sketches of the stored documents: only those of each document's current text,
        made under this store's index settings."""
        out = []
        for doc_id, data in self.conn.execute(
                "SELECT f.doc_id, f.data FROM fingerprints f JOIN documents d ON d.id = f.doc_id "
                "WHERE f.text_hash = d.text_hash AND f.settings = ? ORDER BY f.doc_id", (self.settings.index,)):
            d = json.loads(data)
            out.append(Fingerprint(doc_id, d["shingles"], d["sentences"], [frozenset(t) for t in d["sentence_terms"]]))
        return out

    # -- relations ----------------------------------------------------------------------

    def checked(self) -> set[tuple[str, str]]:
        """The pairs already compared under this store's relate settings (others count as new)."""
        return set(self.conn.execute("SELECT a, b FROM checked_pairs WHERE settings = ?", (self.settings.relate,)))

    def put_relations(self, checked: Iterable[tuple[str, str]], relations: Iterable[Relation]) -> None:
        """Record the pairs compared and the relations found, in one transaction.

        A relation stored earlier for a pair compared again is replaced by what was found now
        (nothing, if the pair is no longer related).
        """
        pairs = list(checked)
        with self.transaction() as c:
            for a, b in pairs:
                c.execute("DELETE FROM relations WHERE (source = ? AND target = ?) OR (source = ? AND target = ?)",
                          (a, b, b, a))
            c.executemany("INSERT OR REPLACE INTO checked_pairs VALUES (?, ?, ?)",
                          [(a, b, self.settings.relate) for a, b in pairs])
            for r in relations:
                c.execute("DELETE FROM relations WHERE (source = ? AND target = ?) OR (source = ? AND target = ?)",
                          (r.source, r.target, r.target, r.source))
                c.execute("INSERT INTO relations VALUES (?,?,?,?,?)",
                          (r.source, r.target, r.type, r.confidence, json.dumps(relation_to_dict(r))))

    def get_relations(self, doc_ids: Iterable[str] | None = None) -> list[Relation]:
        rows = self.conn.execute("SELECT source, target, data FROM relations ORDER BY source, target").fetchall()
        wanted = set(doc_ids) if doc_ids is not None else None
        return [relation_from_dict(json.loads(d)) for s, t, d in rows
                if wanted is None or s in wanted or t in wanted]


def relation_to_dict(r: Relation) -> dict:  # type: ignore[type-arg]
    """The JSON form of a relation (docs/output.md)."""
    return {
        "source": r.source, "target": r.target, "type": r.type, "confidence": r.confidence,
        "direction": {"decided_by": r.direction.decided_by, "note": r.direction.note},
        "source_coverage": r.source_coverage, "target_coverage": r.target_coverage,
        "evidence": list(r.evidence),
        "passages": [
            {"source_span": list(p.source_span), "target_span": list(p.target_span),
             "source_text": p.source_text, "target_text": p.target_text, "similarity": p.similarity,
             "changes": [
                 {"kind": c.kind, "severity": c.severity, "source_span": list(c.source_span),
                  "target_span": list(c.target_span), "source_text": c.source_text,
                  "target_text": c.target_text, "explanation": c.explanation} for c in p.changes]}
            for p in r.passages
        ],
    }


def relation_from_dict(d: dict) -> Relation:  # type: ignore[type-arg]
    return Relation(
        d["source"], d["target"], d["type"], d["confidence"],
        Direction(d["direction"]["decided_by"], d["direction"]["note"]),
        d["source_coverage"], d["target_coverage"],
        tuple(Passage(tuple(p["source_span"]), tuple(p["target_span"]), p["source_text"], p["target_text"],
                      p["similarity"], tuple(
                          Change(c["kind"], c["severity"], tuple(c["source_span"]), tuple(c["target_span"]),
                                 c["source_text"], c["target_text"], c["explanation"])
                          for c in p.get("changes", ())))
              for p in d["passages"]),
        tuple(d.get("evidence", ())),
    )
