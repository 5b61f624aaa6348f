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
import struct
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from newstrace.errors import StoreError
from newstrace.stages.candidates import DEFAULT_CONFIG as CANDIDATES
from newstrace.stages.candidates import (
    SENTENCE_KEY_BITS,
    TERM_SEP,
    Fingerprint,
    SentenceBuckets,
    StoredSketch,
)
from newstrace.stages.embed_cache import SCHEMA as SENTENCE_VECTORS
from newstrace.stages.embed_cache import migrate_embeddings
from newstrace.stages.prepare import (
    IndexRows,
    LineProfile,
    band_rows,
    decode_offsets,
    decode_signature,
    document_columns,
    line_profile,
    signed64,
)
from newstrace.state import StoreSettings, current_settings
from newstrace.types import Change, Direction, Document, Passage, Relation, Removed

__all__ = ["SCHEMA_VERSION", "Store", "content_hash", "decode_fingerprint", "decode_sketch", "encode_fingerprint",
           "text_hash"]

log = logging.getLogger(__name__)

# 3: documents and fingerprints carry the hash of the cleaned text, checked pairs the relate
# settings digest, and meta the settings digests (newstrace.state).
# 4: the persistent candidate index (issue 12): LSH band tables, recurring-line carriers and
# profiles, language counts, document vectors with a change sequence, pending embeddings.  A
# version-3 store is migrated in place (one pass over its documents and fingerprints).
# 5: fingerprints in a compact binary form (``encode_fingerprint``) instead of JSON, which the
# index lookups spent most of their time parsing.  A version-3 or -4 store is migrated in place,
# in one transaction.
# 6: offsets stored as runs (``prepare.encode_offsets``).
# 7: the band tables in levels (``BAND_LEVELS``): new rows go to a small table, merged into
# larger ones in sorted runs.  A version-3 to -6 store is migrated in place: its rows stay in
# the last level.
# 8: each sentence-band row names the terms of its sentence (a key into ``sentence_terms``: the
# document's number and the sentence's index), so the sentence channel checks a chance
# collision without reading the colliding document's whole fingerprint.  A version-3 to -7
# store is migrated in place: its rows get no terms key (their fingerprints are read, as before).
# 9: sentence vectors in one row per document and model (``embed_cache.SCHEMA``), not one per
# sentence; a version-3 to -8 store's rows are moved over in place (``migrate_embeddings``).
SCHEMA_VERSION = 9
_MIGRATABLE = {3, 4, 5, 6, 7, 8}
#: The levels of each band table, the first written to, the last (the table's own name) the
#: largest, and how many documents' rows each level but the last holds before it is merged
#: into the next (``Store.merge_band_levels``).
#:
#: The band tables are B-trees over random 64-bit keys: once a table is much larger than a
#: commit, each of a commit's rows lands on a page of its own, which is written to the WAL and
#: again at the checkpoint.  At 100,000 documents (45M sentence-band rows, about 170,000 leaf
#: pages) a 128-document commit rewrote ~57,000 pages, and adding 1,000 articles cost 15 s of
#: inserts against 5.6 s at 10,000 (docs/benchmarks.md, stop 45).  Rows written to a small first
#: level share its few pages, and a merge inserts a whole level in key order, each page of the
#: next level written once: a log-structured merge (O'Neil et al. 1996) with a fan-out of 8.
#: A lookup reads every level (four index seeks a key instead of one).
BAND_LEVELS = ("_l0", "_l1", "_l2", "")
BAND_LEVEL_DOCUMENTS = (2_000, 16_000, 128_000)
BAND_TABLES = ("shingle_bands", "sentence_bands")
#: Each band table's columns: a sentence band's row carries its sentence's terms key
#: (``candidates.SENTENCE_KEY_BITS``; ``NULL`` when the document has two sentences with
#: different terms in the bucket, or the row predates schema 8).
BAND_COLUMNS = {"shingle_bands": "key, doc", "sentence_bands": "key, doc, terms"}
#: A merge moves a level in this many ranges of keys, a transaction each: at a million documents
#: the last level is some 8 GB, and one transaction rewriting it would hold the write lock (and
#: grow the WAL) for minutes, past another writer's ``BUSY_TIMEOUT``.
MERGE_SLICES = 16
# Values bound in one ``IN (...)`` query (SQLite's limit on bound parameters is 999 in older builds).
IN_CHUNK = 500
# Fingerprints re-encoded per statement when a store is migrated to schema 5.
MIGRATE_BATCH = 500
# Seconds a writer waits for another's transaction (two `index add` on one store).
BUSY_TIMEOUT = 120.0
#: Appended to the relate settings of a pair compared without the semantic layer
#: (``--lexical-only``) or without the analysis of changes (``--no-changes``), in that order
#: (``checked_pairs.settings``).  A pair compared before these were kept counts as compared with both.
LEXICAL_ONLY = "|lexical"
NO_CHANGES = "|no-changes"

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
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS relations (
    source TEXT NOT NULL, target TEXT NOT NULL,
    type TEXT NOT NULL, confidence REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (source, target)
);
CREATE TABLE IF NOT EXISTS checked_pairs (
    a TEXT NOT NULL, b TEXT NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS doc_numbers (no INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS arrivals (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE);
{band_tables}
CREATE TABLE IF NOT EXISTS line_carriers (
    key INTEGER NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (key, doc_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS line_profiles (
    doc_id TEXT PRIMARY KEY, words INTEGER NOT NULL, sketch BLOB NOT NULL, carried BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS language_counts (language TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_vectors (doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS unlinked (doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS doc_vectors (
    model TEXT NOT NULL, doc_id TEXT NOT NULL, grp TEXT NOT NULL, seq INTEGER NOT NULL, vector BLOB,
    PRIMARY KEY (model, doc_id)
);
CREATE INDEX IF NOT EXISTS doc_vectors_seq ON doc_vectors (model, seq);
CREATE TABLE IF NOT EXISTS static_vectors (
    doc_id TEXT PRIMARY KEY, model TEXT NOT NULL, text_hash TEXT NOT NULL, sentences INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS story_features (doc_id TEXT PRIMARY KEY, key TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS story_terms (doc_id TEXT PRIMARY KEY, key TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS story_vocabulary (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sentence_terms (key INTEGER PRIMARY KEY, terms TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vector_bounds (
    model TEXT NOT NULL, doc_id TEXT NOT NULL, cosine REAL NOT NULL, PRIMARY KEY (model, doc_id)
) WITHOUT ROWID;
{sentence_vectors};
CREATE INDEX IF NOT EXISTS relations_target ON relations (target);
CREATE INDEX IF NOT EXISTS documents_story ON documents (id, published, title, language, text_hash);
CREATE INDEX IF NOT EXISTS checked_pairs_b ON checked_pairs (b);
""".format(sentence_vectors=SENTENCE_VECTORS.strip(), band_tables="".join(
    f"CREATE TABLE IF NOT EXISTS {table}{level} (key INTEGER NOT NULL, doc INTEGER NOT NULL"
    + (", terms INTEGER" if table == "sentence_bands" else "") + ", PRIMARY KEY (key, doc)) WITHOUT ROWID;\n"
    for table in BAND_TABLES for level in BAND_LEVELS))

_I64 = np.dtype("<i8")


def _ints(blob: bytes) -> list[int]:
    return [int(x) for x in np.frombuffer(blob, dtype=_I64)]


def _blob(keys: Iterable[int]) -> bytes:
    return np.asarray([signed64(k) for k in keys], dtype=_I64).tobytes()


def _sorted_blob(keys: Iterable[int]) -> bytes:
    """``_blob(sorted(keys))`` for unsigned 64-bit keys, in numpy: the same bytes (a key's
    signed form is its two's-complement reading)."""
    return np.sort(np.fromiter(keys, dtype=np.uint64)).view(_I64).tobytes()


# -- the fingerprint column: one pair of functions (encode on write, decode on every read) ---------

#: Magic and layout version at the head of an encoded fingerprint (``encode_fingerprint``).
_FP_MAGIC = b"NTF1"
_FP_HEAD = struct.Struct("<4sIII")  # magic, shingle count, sentence count, sentence digest length
#: Separators of the sentence term lists (ASCII record and unit separators: never in a term,
#: which is a stemmed word of ``newstrace.stages.text.WORD_RE``; checked when encoding).
_SENT_SEP, _TERM_SEP = "\x1e", TERM_SEP
_U32 = np.dtype("<u4")


def encode_fingerprint(fp: Fingerprint) -> bytes:
    """The compact binary form of a fingerprint, as the store's ``fingerprints.data`` holds it.

    A 16-byte head (magic ``NTF1``, number of shingle digest values, number of sentences, length
    of a sentence digest), the shingle digest and the sentence digests as little-endian
    ``uint32`` (``numpy.tobytes``), then each sentence's sorted terms in UTF-8, sentences
    separated by U+001E and terms by U+001F.  Decoding (:func:`decode_fingerprint`) is two
    ``frombuffer`` calls and one string split instead of parsing a JSON document of thousands
    of integers: the lookups of ``trace`` and ``link(only=...)`` read fingerprints by the
    dozen per query (schema 5; schema 4 held the JSON form).

    Raises:
        ValueError: the sentence digests differ in length, or a term holds a separator.
    """
    width = len(fp.sentences[0]) if fp.sentences else 0
    if any(len(d) != width for d in fp.sentences) or len(fp.sentence_terms) != len(fp.sentences):
        raise ValueError(f"fingerprint of {fp.doc_id!r}: sentence digests of unequal length "
                         "or not one term set per sentence")
    parts = [sorted(t) for t in fp.sentence_terms]
    text = _SENT_SEP.join(_TERM_SEP.join(t) for t in parts)
    if (text.count(_SENT_SEP) != max(0, len(parts) - 1)
            or text.count(_TERM_SEP) != sum(max(0, len(t) - 1) for t in parts)):
        raise ValueError(f"fingerprint of {fp.doc_id!r}: a sentence term holds a control character")
    terms = text.encode("utf-8")
    return b"".join((
        _FP_HEAD.pack(_FP_MAGIC, len(fp.shingles), len(fp.sentences), width),
        np.asarray(fp.shingles, dtype=_U32).tobytes(),
        np.asarray(fp.sentences, dtype=_U32).reshape(len(fp.sentences), width).tobytes(),
        terms,
    ))


def _decode_head(doc_id: str, data: bytes) -> tuple[memoryview, int, int, int, int]:
    view = memoryview(data)
    if len(view) < _FP_HEAD.size:
        raise StoreError(f"fingerprint of {doc_id!r}: {len(view)} bytes, not a newstrace fingerprint")
    magic, n_shingles, n_sentences, width = _FP_HEAD.unpack_from(view)
    digest_end = _FP_HEAD.size + 4 * (n_shingles + n_sentences * width)
    if magic != _FP_MAGIC:
        raise StoreError(f"fingerprint of {doc_id!r}: not a newstrace fingerprint (format {bytes(magic)!r})")
    return view, n_shingles, n_sentences, width, digest_end


def decode_sketch(doc_id: str, data: bytes, *, sentences: bool = True) -> StoredSketch:
    """What the index lookups read of an encoded fingerprint (:class:`StoredSketch`): the
    digests as arrays over the stored bytes and the term lists unsplit.  With ``sentences``
    false, ``data`` may be the head of the encoding alone (its first
    ``16 + 4 * shingle count`` bytes).

    Raises:
        StoreError: ``data`` is not an encoded fingerprint (or too short for what is asked).
    """
    view, n_shingles, n_sentences, width, digest_end = _decode_head(doc_id, data)
    end = digest_end if sentences else _FP_HEAD.size + 4 * n_shingles
    if len(view) < end:
        raise StoreError(f"fingerprint of {doc_id!r}: {len(view)} bytes, {end} expected")
    numbers = np.frombuffer(view[_FP_HEAD.size : end], dtype=_U32)
    if not sentences:
        return StoredSketch(doc_id, numbers)
    text = bytes(view[digest_end:]).decode("utf-8")
    return StoredSketch(doc_id, numbers[:n_shingles], numbers[n_shingles:].reshape(n_sentences, width),
                        text.split(_SENT_SEP) if n_sentences else [])


def decode_fingerprint(doc_id: str, data: bytes | str) -> Fingerprint:
    """The fingerprint :func:`encode_fingerprint` encoded (or, for a store being migrated from
    schema 4, its JSON form).

    Raises:
        StoreError: ``data`` is neither form.
    """
    if isinstance(data, str):  # schema <= 4: JSON
        try:
            d = json.loads(data)
            return Fingerprint(doc_id, d["shingles"], d["sentences"], [frozenset(t) for t in d["sentence_terms"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"fingerprint of {doc_id!r}: unreadable JSON form ({exc})") from exc
    view, n_shingles, n_sentences, width, digest_end = _decode_head(doc_id, data)
    if len(view) < digest_end:
        raise StoreError(f"fingerprint of {doc_id!r}: {len(view)} bytes, {digest_end} expected")
    numbers = np.frombuffer(view[_FP_HEAD.size : digest_end], dtype=_U32)
    shingles: list[int] = numbers[:n_shingles].tolist()
    sentences: list[list[int]] = numbers[n_shingles:].reshape(n_sentences, width).tolist() if n_sentences else []
    text = bytes(view[digest_end:]).decode("utf-8")
    terms = [frozenset(t.split(_TERM_SEP)) if t else frozenset() for t in text.split(_SENT_SEP)] if n_sentences else []
    return Fingerprint(doc_id, shingles, sentences, terms)




class _IndexBatch:
    """Candidate-index rows of the documents of one ``put_documents`` transaction, written
    together sorted by key (:meth:`flush`).

    The band tables are B-trees over random 64-bit keys; a document's 400-odd sentence bands
    land on as many leaf pages.  Inserting a batch's rows in key order visits each page once
    and in order: on BBC (2,225 documents, 780,000 sentence-band rows), 16-document
    transactions took 3.9 CPU s sorted against 5.7 s document by document.
    """

    def __init__(self) -> None:
        self.shingles: list[tuple[int, int]] = []
        self.sentences: list[tuple[int, int, int | None]] = []
        self.carriers: list[tuple[int, str]] = []
        self.terms: list[tuple[int, str]] = []

    def flush(self, c: sqlite3.Connection) -> None:
        first = BAND_LEVELS[0]
        tables: tuple[tuple[str, list[Any]], ...] = (
            (f"shingle_bands{first}", self.shingles), (f"sentence_bands{first}", self.sentences),
            ("line_carriers", self.carriers))
        if self.terms:
            # a sentence's terms as last put in the batch (the sort is stable): keys are by
            # document number, which a new version keeps
            self.terms.sort(key=lambda row: row[0])
            c.executemany("INSERT OR REPLACE INTO sentence_terms VALUES (?, ?)", self.terms)
            self.terms.clear()
        for table, rows in tables:
            if rows:
                rows.sort(key=lambda row: (row[0], row[1]))
                c.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
                rows.clear()


def _level_documents(c: sqlite3.Connection, level: int) -> int:
    """How many documents' band rows went into ``level`` since it was last merged (documents
    replaced since count still: a merge comes a little early, never late)."""
    row = c.execute("SELECT value FROM meta WHERE key = ?", (f"band_level_{level}_documents",)).fetchone()
    return 0 if row is None else int(row[0])


def _add_level_documents(c: sqlite3.Connection, level: int, n: int) -> None:
    c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
              (f"band_level_{level}_documents", str(_level_documents(c, level) + n)))


def _key_slices(n: int) -> list[tuple[int, int]]:
    """The signed 64-bit key range cut into ``n`` equal, inclusive ranges."""
    step = (1 << 64) // n
    lows = [-(1 << 63) + k * step for k in range(n)]
    return [(lo, (lows[k + 1] - 1) if k + 1 < n else (1 << 63) - 1) for k, lo in enumerate(lows)]


def _move_band_rows(c: sqlite3.Connection, here: str, there: str, lo: int, hi: int) -> None:
    """Move the band rows with keys in ``[lo, hi]`` from level ``here`` to level ``there``.  A
    level's primary key is (key, doc): read in its order, the rows go into the next level's
    B-tree in order, each of its pages written once."""
    for table in BAND_TABLES:
        c.execute(f"INSERT OR IGNORE INTO {table}{there} SELECT {BAND_COLUMNS[table]} FROM {table}{here} "
                  "WHERE key BETWEEN ? AND ? ORDER BY key, doc", (lo, hi))
        c.execute(f"DELETE FROM {table}{here} WHERE key BETWEEN ? AND ?", (lo, hi))


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

    def __init__(self, path: str | Path, *, settings: StoreSettings | None = None, opened: bool = False) -> None:
        """Open (or create) the store at ``path``.

        With ``opened``, the file is known to have been opened as a ``Store`` already (schema
        created or migrated, settings checked, WAL on: all kept in the file), and that check,
        which runs in a ``BEGIN IMMEDIATE`` transaction and so waits for the write lock, is
        skipped: the service's request threads open their read connections this way.
        """
        self.path = str(path)
        self.settings = settings or current_settings()
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.path!r}: {exc}") from exc
        if opened:
            self.conn.execute("PRAGMA foreign_keys = ON")
            return
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
                # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the
                # program loses nothing committed, a power loss may lose the last commits but
                # never corrupts the file (SQLite's WAL guarantees), and each 16-document
                # commit of ``index add`` no longer waits for an fsync.
                self.conn.execute("PRAGMA synchronous = NORMAL")
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
                elif int(row[0]) in _MIGRATABLE:
                    if int(row[0]) < 4:
                        self._build_index(int(row[0]))
                    if int(row[0]) < 5:
                        self._encode_fingerprints(int(row[0]))
                    # 5 -> 6: offsets stored as runs (prepare.encode_offsets); rows already
                    # stored keep their list, which decode_offsets reads as well.
                    # 6 -> 7: the band levels are created above; the rows stay in the last.
                    # 7 -> 8: the sentence-band tables made before gain their terms column,
                    # NULL in the rows they hold.
                    for level in BAND_LEVELS:
                        columns = {r[1] for r in self.conn.execute(f"PRAGMA table_info(sentence_bands{level})")}
                        if "terms" not in columns:
                            self.conn.execute(f"ALTER TABLE sentence_bands{level} ADD COLUMN terms INTEGER")
                    # 8 -> 9: the sentence vectors' rows, one a sentence, become one a
                    # document: moved after this transaction, in transactions of their own.
                    self.conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
                elif int(row[0]) != SCHEMA_VERSION:
                    raise StoreError(f"store {self.path!r} has schema version {row[0]}, this newstrace "
                                     f"reads version {SCHEMA_VERSION}: re-index into a new --db file")
                if self.conn.execute("SELECT 1 FROM meta WHERE key = 'store_id'").fetchone() is None:
                    # Names this store in the vector files beside it: a file made for another
                    # store at the same path is never taken for this one's.
                    self.conn.execute("INSERT INTO meta VALUES ('store_id', ?)", (uuid.uuid4().hex,))
                self._check_settings()
            # Schema 9's move of the sentence vectors (also the rest of a move a crash cut short).
            migrate_embeddings(self.conn)
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

    def _build_index(self, version: int) -> None:
        """Migrate a version-``version`` store: fill the candidate-index tables from its
        documents and fingerprints, in the open transaction (one pass; a crash leaves the store
        at its old version).  Every document's document vectors are pending: they are made
        from its cached sentence vectors when next needed."""
        c = self.conn
        n = 0
        rows = c.execute("SELECT d.id, d.raw, d.language, f.data FROM documents d LEFT JOIN fingerprints f "
                         "ON f.doc_id = d.id AND f.text_hash = d.text_hash AND f.settings = ? ORDER BY d.id",
                         (self.settings.index,))
        while batch := rows.fetchmany(500):
            for doc_id, raw, language, data in batch:
                fp = decode_fingerprint(doc_id, data) if data is not None else None
                self._index_document(c, doc_id, raw, language, fp)
                n += 1
        _add_level_documents(c, 0, n)  # merged on the next add
        log.info("store %s: schema version %d -> %d, candidate index built over %d documents",
                 self.path, version, SCHEMA_VERSION, n)

    def _encode_fingerprints(self, version: int) -> None:
        """Migrate the fingerprints of a version-``version`` store (< 5) from JSON to the binary
        form (:func:`encode_fingerprint`), in the open transaction, by rowid ranges (one pass)."""
        c = self.conn
        last, n = -1, 0
        while batch := c.execute("SELECT rowid, doc_id, data FROM fingerprints WHERE rowid > ? ORDER BY rowid "
                                 "LIMIT ?", (last, MIGRATE_BATCH)).fetchall():
            c.executemany("UPDATE fingerprints SET data = ? WHERE rowid = ?",
                          [(encode_fingerprint(decode_fingerprint(doc_id, data)), rowid)
                           for rowid, doc_id, data in batch if isinstance(data, str)])
            n += sum(isinstance(data, str) for _, _, data in batch)
            last = batch[-1][0]
        log.info("store %s: schema version %d -> %d, %d fingerprints in binary form", self.path, version,
                 SCHEMA_VERSION, n)

    def _doc_number(self, c: sqlite3.Connection, doc_id: str) -> int:
        c.execute("INSERT OR IGNORE INTO doc_numbers (id) VALUES (?)", (doc_id,))
        return int(c.execute("SELECT no FROM doc_numbers WHERE id = ?", (doc_id,)).fetchone()[0])

    def _index_document(self, c: sqlite3.Connection, doc_id: str, raw: str, language: str | None,
                        fp: Fingerprint | None, rows: IndexRows | None = None, batch: _IndexBatch | None = None,
                        *, lookups: bool = True) -> None:
        """Write one document's rows in the candidate-index tables (see :meth:`_unindex_document`).

        ``rows``: its band hashes (and line profile) when the worker that prepared it made
        them, else they are computed here.  With ``batch``, the band and carrier rows are
        queued there for one sorted write per transaction.  Without ``lookups``, only its
        number, language count and pending vectors are written, not the band and line rows
        (``put_documents(candidate_index=False)``)."""
        no = self._doc_number(c, doc_id)
        c.execute("INSERT INTO language_counts VALUES (?, 1) ON CONFLICT (language) DO UPDATE SET n = n + 1",
                  (language or "",))
        c.execute("INSERT OR IGNORE INTO pending_vectors VALUES (?)", (doc_id,))
        if not lookups:
            return
        batch_given = batch is not None
        batch = batch or _IndexBatch()
        if rows is not None:
            shingles, sentences, terms = rows.shingle_bands, rows.sentence_bands, rows.sentence_terms
        elif fp is not None:
            shingles, sentences, terms = band_rows(fp)
        else:
            shingles, sentences, terms = (), (), ()
        batch.shingles.extend((k, no) for k in shingles)
        base = no << SENTENCE_KEY_BITS
        # (a sentence past the key's room, never seen in news, is checked from the fingerprint)
        batch.sentences.extend((k, no, None if s is None or s >> SENTENCE_KEY_BITS else base + s) for k, s in sentences)
        batch.terms.extend((base + s, text) for s, text in terms if not s >> SENTENCE_KEY_BITS)
        profile = rows.profile if rows is not None and rows.profile is not None else line_profile(raw)
        batch.carriers.extend((signed64(k), doc_id) for k in profile.carried)
        if not batch_given:
            batch.flush(c)
        c.execute("INSERT OR REPLACE INTO line_profiles VALUES (?, ?, ?, ?)",
                  (doc_id, profile.words, _sorted_blob(profile.sketch), _blob(profile.carried)))

    def _unindex_document(self, c: sqlite3.Connection, doc_id: str, language: str | None,
                          fp_data: bytes | str | None) -> None:
        """Remove a stored document's rows from the candidate-index tables (before it is replaced)."""
        row = c.execute("SELECT no FROM doc_numbers WHERE id = ?", (doc_id,)).fetchone()
        if row is not None and fp_data is not None:
            shingles, sentences, _ = band_rows(decode_fingerprint(doc_id, fp_data))
            c.execute("DELETE FROM sentence_terms WHERE key BETWEEN ? AND ?",
                      (row[0] << SENTENCE_KEY_BITS, ((row[0] + 1) << SENTENCE_KEY_BITS) - 1))
            for level in BAND_LEVELS:
                c.executemany(f"DELETE FROM shingle_bands{level} WHERE key = ? AND doc = ?",
                              [(k, row[0]) for k in shingles])
                c.executemany(f"DELETE FROM sentence_bands{level} WHERE key = ? AND doc = ?",
                              [(k, row[0]) for k, _ in sentences])
        old = c.execute("SELECT carried FROM line_profiles WHERE doc_id = ?", (doc_id,)).fetchone()
        if old is not None:
            c.executemany("DELETE FROM line_carriers WHERE key = ? AND doc_id = ?",
                          [(k, doc_id) for k in _ints(old[0])])
            c.execute("DELETE FROM line_profiles WHERE doc_id = ?", (doc_id,))
        c.execute("UPDATE language_counts SET n = n - 1 WHERE language = ?", (language or "",))
        c.execute("DELETE FROM language_counts WHERE n <= 0")

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

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that see one state of the store (a deferred transaction, rolled back at the
        end: it writes nothing); inside a transaction already, that one's."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            self.conn.rollback()

    def _rows_in(self, sql: str, values: Iterable[Any], *, before: tuple[Any, ...] = (),
                 repeat: int = 1) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` for all of ``values``, whose ``{marks}`` (``repeat`` times) is the
        ``IN`` list: queried in chunks under SQLite's limit on bound parameters (999 in older
        builds), after the parameters ``before``."""
        wanted = list(values)
        size = IN_CHUNK // repeat
        for i in range(0, len(wanted), size):
            chunk = wanted[i : i + size]
            yield from self.conn.execute(sql.format(marks=",".join("?" * len(chunk))),
                                         (*before, *chunk * repeat)).fetchall()

    # -- documents ----------------------------------------------------------------------

    def stored_hashes(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """The content hash of every stored document (or of those of ``ids`` that are stored)."""
        if ids is None:
            return dict(self.conn.execute("SELECT id, content_hash FROM documents"))
        return dict(self._rows_in("SELECT id, content_hash FROM documents WHERE id IN ({marks})", ids))

    def shallow_signatures(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` whose stored signature was made without its deep checks
        (``newstrace.stages.prepare.document_columns``: ``{"shallow": [...]}``)."""
        return {i for (i,) in self._rows_in(
            "SELECT id FROM documents WHERE substr(signature, 1, 1) = ? AND id IN ({marks})", ids, before=("{",))}

    def stored_paths(self, ids: Iterable[str]) -> dict[str, tuple[str | None, str]]:
        """``(path, content hash)`` of each stored document of ``ids``: where it was read from
        (None where it has none) and :func:`content_hash` of its text as ingested."""
        return {i: (p, h) for i, p, h in self._rows_in(
            "SELECT id, path, content_hash FROM documents WHERE id IN ({marks})", ids)}

    def put_documents(self, docs: Iterable[tuple[Document, Fingerprint]
                                           | tuple[Document, Fingerprint | None, IndexRows]],
                      *, candidate_index: bool = True) -> int:
        """Insert or replace documents with their fingerprints, in one transaction.

        A document whose cleaned text changed loses its relations, checked pairs and sentence
        vectors: they were computed from the old text.  An item may carry its candidate-index
        rows (``newstrace.stages.prepare.IndexRows``, made where it was prepared); without
        them they are computed here.

        Args:
            docs: ``(document, fingerprint)`` or ``(document, fingerprint, rows)`` items; the
                fingerprint may be ``None`` when ``rows`` holds its encoding and band rows.
            candidate_index: also write the band and recurring-line rows that ``trace``,
                ``index add`` and ``link(only=...)`` look documents up by.  Only a store that
                is never looked up in goes without: ``scan``'s temporary store, whose
                whole-collection plan reads the fingerprints (on BBC the band rows are
                850,000 of the store's rows and about 2 s of its writing).
        """
        n = 0
        vectors_gone = False  # a document's vectors tombstoned: no kept neighbour bound holds
        with self.transaction() as c:
            batch = _IndexBatch()
            seen: set[str] = set()
            for item in docs:
                doc, fp = item[0], item[1]
                rows = item[2] if len(item) > 2 else None
                if doc.id in seen:
                    batch.flush(c)  # its earlier version's rows are in the tables before they are removed
                seen.add(doc.id)
                new_hash = text_hash(doc.text)
                old = c.execute("SELECT d.text_hash, d.language, f.data FROM documents d LEFT JOIN fingerprints f "
                                "ON f.doc_id = d.id AND f.text_hash = d.text_hash AND f.settings = ? "
                                "WHERE d.id = ?", (self.settings.index, doc.id)).fetchone()
                if old is not None:
                    self._unindex_document(c, doc.id, old[1], old[2])
                    if old[0] != new_hash or old[1] != doc.language:
                        # Its document vectors were made from the old text: tombstones, so the
                        # vector files beside the store drop them when they catch up.
                        seq = self._next_vector_seq(c)
                        c.execute("UPDATE doc_vectors SET vector = NULL, seq = ? WHERE doc_id = ?", (seq, doc.id))
                        vectors_gone = True
                c.execute("DELETE FROM relations WHERE source = ? OR target = ?", (doc.id, doc.id))
                c.execute("DELETE FROM checked_pairs WHERE a = ? OR b = ?", (doc.id, doc.id))
                c.execute("DELETE FROM sentence_vectors WHERE doc_id = ? AND text_hash IS NOT ?", (doc.id, new_hash))
                static = rows.static_vectors if rows is not None else None
                if static is not None and len(static[1]):
                    c.execute("INSERT OR REPLACE INTO static_vectors VALUES (?, ?, ?, ?, ?)",
                              (doc.id, static[0], new_hash, len(static[1]),
                               np.asarray(static[1], dtype="<f4").tobytes()))
                elif old is not None:  # a replaced document's vectors of its old text
                    c.execute("DELETE FROM static_vectors WHERE doc_id = ? AND text_hash IS NOT ?", (doc.id, new_hash))
                story = rows.story_features if rows is not None else None
                if story is not None:
                    c.execute("INSERT OR REPLACE INTO story_features VALUES (?, ?, ?)", (doc.id, *story))
                elif old is not None:  # made from its old version: stories_store.stored_story_inputs makes them again
                    c.execute("DELETE FROM story_features WHERE doc_id = ?", (doc.id,))
                columns = rows.columns if rows is not None and rows.columns is not None else document_columns(doc)
                c.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (doc.id, content_hash(doc), new_hash, doc.path, doc.title, doc.url, doc.site, doc.published,
                     doc.language, doc.raw, doc.text, *columns),
                )
                encoded = rows.fingerprint if rows is not None else None
                if encoded is None:
                    if fp is None:
                        raise ValueError(f"document {doc.id!r}: neither a fingerprint nor its encoding to store")
                    encoded = encode_fingerprint(fp)
                c.execute("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?)", (
                    doc.id, new_hash, self.settings.index, encoded))
                self._index_document(c, doc.id, doc.raw, doc.language, fp, rows, batch, lookups=candidate_index)
                c.execute("INSERT OR IGNORE INTO unlinked VALUES (?)", (doc.id,))
                c.execute("INSERT OR REPLACE INTO arrivals (doc_id) VALUES (?)", (doc.id,))  # a new version arrives last
                if old is not None and old[0] == new_hash and old[1] == doc.language:
                    c.execute("DELETE FROM pending_vectors WHERE doc_id = ? AND EXISTS (SELECT 1 FROM doc_vectors "
                              "WHERE doc_id = ? AND vector IS NOT NULL)", (doc.id, doc.id))
                n += 1
            batch.flush(c)
            if vectors_gone:
                c.execute("DELETE FROM vector_bounds")
            if candidate_index and n:
                _add_level_documents(c, 0, n)
        if candidate_index and n:
            self.merge_band_levels()
        return n

    def merge_band_levels(self, *, everything: bool = False) -> list[int]:
        """Merge each band level holding more than its share of documents
        (:data:`BAND_LEVEL_DOCUMENTS`) into the next, from the first; with ``everything``, every
        level into the last.  Returns the levels merged.  ``put_documents`` calls it after each
        commit.

        A level moves in :data:`MERGE_SLICES` ranges of keys, a transaction each
        (:func:`_move_band_rows`), so another writer waits for one slice, not the whole merge,
        and a crash leaves each row in one level or the other, never in neither: lookups read
        every level, and the next commit finishes the merge (the level's count is lowered only
        once every slice has moved)."""
        merged: list[int] = []
        for i, cap in enumerate(BAND_LEVEL_DOCUMENTS):
            docs = _level_documents(self.conn, i)
            if docs <= cap and not everything:
                continue
            for lo, hi in _key_slices(MERGE_SLICES):
                with self.transaction() as c:
                    _move_band_rows(c, BAND_LEVELS[i], BAND_LEVELS[i + 1], lo, hi)
            with self.transaction() as c:
                # Documents another writer added to the level since it was counted stay counted;
                # two writers merging one level at once lower its count once.
                moved = min(docs, _level_documents(c, i))
                _add_level_documents(c, i, -moved)
                if i + 1 < len(BAND_LEVEL_DOCUMENTS):
                    _add_level_documents(c, i + 1, moved)
            merged.append(i)
        return merged

    def static_vectors(self, ids: Iterable[str], model: str) -> dict[str, np.ndarray]:
        """The static sentence vectors (``newstrace.stages.static``) stored for these documents
        under ``model`` (the static embedder's version) and made from their current text; the
        others are left out (made before the table existed, without the semantic layer, or by
        another model).  See ``add_documents(static_vectors=True)``."""
        rows = self._rows_in("SELECT s.doc_id, s.sentences, s.data FROM static_vectors s JOIN documents d "
                             "ON d.id = s.doc_id WHERE s.text_hash = d.text_hash AND s.model = ? "
                             "AND s.doc_id IN ({marks})", set(ids), before=(model,))
        return {doc_id: np.frombuffer(data, dtype="<f4").reshape(int(n), -1) for doc_id, n, data in rows}

    # -- the candidate index (issue 12): lookups that never load the whole store ---------------

    def _filled_levels(self, table: str) -> list[str]:
        """The levels of band table ``table`` holding any row, the last (largest) first: a
        lookup queries each apart (one statement over all levels, a ``UNION ALL`` in a
        correlated sub-query, took 1.3 s for 81,000 keys at 100,000 documents against 0.4 s
        for the last level alone and 0.07 s for a first level of 914 documents)."""
        return [f"{table}{level}" for level in reversed(BAND_LEVELS)
                if self.conn.execute(f"SELECT 1 FROM {table}{level} LIMIT 1").fetchone() is not None]

    def shingle_docs(self, keys: Sequence[int]) -> set[str]:
        """Ids of the stored documents with any of these shingle band hashes
        (``newstrace.stages.candidates.BandLookup``)."""
        return {r[0] for level in self._filled_levels("shingle_bands") for r in self._rows_in(
            f"SELECT n.id FROM {level} b JOIN doc_numbers n ON n.no = b.doc WHERE b.key IN ({{marks}})", keys)}

    def band_rows(self, table: str) -> list[tuple[int, str]]:
        """Every ``(band hash, document id)`` row of a band table (``"shingle_bands"`` or
        ``"sentence_bands"``), over all its levels (:data:`BAND_LEVELS`), sorted."""
        if table not in BAND_TABLES:
            raise ValueError(f"not a band table: {table!r}")
        levels = " UNION ALL ".join(f"SELECT key, doc FROM {table}{lv}" for lv in BAND_LEVELS)
        return sorted(self.conn.execute(f"SELECT b.key, n.id FROM ({levels}) b JOIN doc_numbers n ON n.no = b.doc"))

    def sentence_docs(self, key: int, limit: int) -> list[str]:
        """Up to ``limit`` ids of stored documents with a sentence of this band hash."""
        out: list[str] = []
        for level in self._filled_levels("sentence_bands"):
            out += [r[0] for r in self.conn.execute(
                f"SELECT n.id FROM {level} b JOIN doc_numbers n ON n.no = b.doc WHERE b.key = ? LIMIT ?",
                (key, limit - len(out)))]
            if len(out) >= limit:
                break
        return out

    def sentence_docs_many(self, keys: Sequence[int], limit: int) -> dict[int, list[str]]:
        """:meth:`sentence_docs` of many band hashes, in one statement per ``IN_CHUNK`` keys and
        level instead of one per key: a correlated sub-query reads at most ``limit`` rows of each
        key (so a stock phrase's key, shared by many documents, still costs ``limit`` rows a
        level).  Keys no stored document has are left out."""
        return {key: [d for d, _ in members] for key, members in self.sentence_members_many(keys, limit).items()}

    def sentence_members_many(self, keys: Sequence[int], limit: int) -> SentenceBuckets:
        """:meth:`sentence_docs_many` with each document's terms key in the bucket (the
        ``terms`` column: ``None`` where it is NULL) (``candidates.BandLookup``).

        Each level's answer comes as two lists of numbers a key, parsed for all keys at once
        (:class:`~newstrace.stages.candidates.SentenceBuckets` makes a bucket's list when asked):
        parsing them key by key in Python was 2 of the 2.4 seconds of a 100-article chunk's
        110,000 keys, the statements 0.35."""
        key_parts: list[np.ndarray] = []
        doc_parts: list[np.ndarray] = []
        term_parts: list[np.ndarray] = []
        wanted = list(keys)
        for level in self._filled_levels("sentence_bands"):
            found_keys: list[int] = []
            found: list[str] = []
            for i in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[i : i + IN_CHUNK]
                # both lists from the one sub-query's rows, in the same order (a NULL key as 0)
                sql = (f"WITH k(key) AS (VALUES {','.join(['(?)'] * len(chunk))}) SELECT k.key, "
                       f"(SELECT group_concat(doc) || ';' || group_concat(ifnull(terms, 0)) FROM "
                       f"(SELECT doc, terms FROM {level} WHERE key = k.key LIMIT {int(limit)})) FROM k")
                for key, members in self.conn.execute(sql, chunk):
                    if members is not None:
                        found_keys.append(key)
                        found.append(members)
            if not found:
                continue
            parts = ";".join(found).split(";")
            docs, terms = parts[0::2], parts[1::2]
            sizes = np.fromiter((d.count(",") + 1 for d in docs), dtype=np.int64, count=len(docs))
            key_parts.append(np.repeat(np.asarray(found_keys, dtype=np.int64), sizes))
            doc_parts.append(np.asarray(",".join(docs).split(","), dtype=np.int64))
            term_parts.append(np.asarray(",".join(terms).split(","), dtype=np.int64))
        empty = np.zeros(0, dtype=np.int64)
        return SentenceBuckets.of_rows(np.concatenate(key_parts) if key_parts else empty,
                                       np.concatenate(doc_parts) if doc_parts else empty,
                                       np.concatenate(term_parts) if term_parts else empty, limit, self.doc_ids_of)

    def sentence_terms(self, keys: Iterable[int]) -> dict[int, str]:
        """The term text of each of these sentence terms keys the store holds
        (``candidates.BandLookup``)."""
        return {int(k): str(t) for k, t in self._rows_in("SELECT key, terms FROM sentence_terms WHERE key IN ({marks})",
                                                          set(keys))}

    def fingerprints(self, ids: Iterable[str]) -> list[Fingerprint]:
        """The current fingerprints of these stored documents (:meth:`get_fingerprints` for some)."""
        return self.get_fingerprints(ids)

    def all_sketches(self) -> list[StoredSketch | Fingerprint]:
        """Every stored document's current sketch (:meth:`get_fingerprints` of all of them), in id
        order, as the index lookups read them (:func:`decode_sketch`): the whole-collection
        plan (``candidates.plan_pairs``) takes them so, its digests as arrays straight from the
        stored bytes and a sentence's terms made only when it is checked (on BBC, 0.03 s
        against 0.28 s for decoding every fingerprint into lists and term sets)."""
        rows = self.conn.execute("SELECT f.doc_id, f.data FROM fingerprints f JOIN documents d ON d.id = f.doc_id "
                                 "WHERE f.text_hash = d.text_hash AND f.settings = ? ORDER BY f.doc_id",
                                 (self.settings.index,)).fetchall()
        # (a fingerprint still in its schema-4 JSON form is decoded whole)
        return [decode_fingerprint(doc_id, data) if isinstance(data, str) else decode_sketch(doc_id, data)
                for doc_id, data in rows]

    def sketches(self, ids: Iterable[str], *, sentences: bool = True) -> dict[str, StoredSketch]:
        """The current fingerprints of these stored documents as the index lookups read them
        (:func:`decode_sketch`); with ``sentences`` false only the head of each stored
        fingerprint is read (``substr``: the shingle digest, not the sentences)."""
        column = "f.data" if sentences else f"substr(f.data, 1, {_FP_HEAD.size + 4 * CANDIDATES.doc_perm})"
        rows = self._rows_in(f"SELECT f.doc_id, {column} FROM fingerprints f JOIN documents d ON d.id = f.doc_id "
                             "WHERE f.text_hash = d.text_hash AND f.settings = ? AND f.doc_id IN ({marks})",
                             set(ids), before=(self.settings.index,))
        return {doc_id: decode_sketch(doc_id, data, sentences=sentences) for doc_id, data in rows}

    def carrier_count(self, key: int) -> int:
        """How many stored documents carry recurring-line candidate ``key``
        (``newstrace.stages.prepare.LineIndex``)."""
        return int(self.conn.execute("SELECT COUNT(*) FROM line_carriers WHERE key = ?", (signed64(key),)).fetchone()[0])

    def carrier_at(self, key: int, position: int, exclude: Sequence[str]) -> str:
        """The stored carrier of line ``key`` at ``position`` in id order, ``exclude`` left out."""
        skip = list(exclude)
        row = self.conn.execute(
            "SELECT doc_id FROM line_carriers WHERE key = ?"
            + (f" AND doc_id NOT IN ({','.join('?' * len(skip))})" if skip else "")
            + " ORDER BY doc_id LIMIT 1 OFFSET ?", (signed64(key), *skip, position)).fetchone()
        if row is None:
            raise StoreError(f"store {self.path!r}: no carrier {position} of line {key}")
        return str(row[0])

    def line_profiles(self, ids: Iterable[str]) -> dict[str, LineProfile]:
        """The stored :class:`~newstrace.stages.prepare.LineProfile` of these documents."""
        mask = (1 << 64) - 1
        return {doc_id: LineProfile(tuple(k & mask for k in _ints(carried)),
                                    frozenset(k & mask for k in _ints(sketch)), int(words))
                for doc_id, words, sketch, carried in self._rows_in(
                    "SELECT doc_id, words, sketch, carried FROM line_profiles WHERE doc_id IN ({marks})", ids)}

    def language_counts(self) -> dict[str | None, int]:
        """Stored documents per language (``None``: not identified), kept as documents are put."""
        return {(lang or None): int(n) for lang, n in self.conn.execute("SELECT language, n FROM language_counts")}

    def checked_among(self, pairs: Iterable[tuple[str, str]], *, changes: bool = False,
                      semantic: bool = False) -> set[tuple[str, str]]:
        """Those of ``pairs`` already compared under this store's relate settings (:meth:`checked`
        for a few pairs, without reading every checked pair), as a run with ``changes`` and
        ``semantic`` asks (:meth:`_compared_enough`)."""
        out: set[tuple[str, str]] = set()
        for a, b in pairs:
            row = self.conn.execute(f"SELECT settings FROM checked_pairs WHERE a = ? AND b = ? AND settings IN "
                                    f"({','.join('?' * len(self._levels))})", (a, b, *self._levels)).fetchone()
            if row is not None and self._compared_enough(a, b, row[0], changes=changes, semantic=semantic):
                out.add((a, b))
        return out

    @property
    def _levels(self) -> tuple[str, ...]:
        """The ``checked_pairs`` settings of a pair compared under this store's relate settings:
        with the semantic layer and the analysis of changes, or without either or both."""
        r = self.settings.relate
        return (r, r + NO_CHANGES, r + LEXICAL_ONLY, r + LEXICAL_ONLY + NO_CHANGES)

    def _level(self, *, changes: bool, semantic: bool) -> str:
        return self.settings.relate + ("" if semantic else LEXICAL_ONLY) + ("" if changes else NO_CHANGES)

    def _compared_enough(self, a: str, b: str, level: str, *, changes: bool, semantic: bool) -> bool:
        """Whether a pair compared at ``level`` need not be compared again by a run with
        ``changes`` and ``semantic``: a run with the semantic layer compares again every pair
        compared without it (meaning evidence can make a relation where words made none); one
        with the analysis of changes, the related pairs compared without it."""
        if semantic and LEXICAL_ONLY in level:
            return False
        if changes and level.endswith(NO_CHANGES):
            return self.conn.execute("SELECT 1 FROM relations WHERE (source = ? AND target = ?) OR "
                                     "(source = ? AND target = ?)", (a, b, b, a)).fetchone() is None
        return True

    def relations_without_changes(self) -> set[tuple[str, str]]:
        """The compared pairs whose relation was found without the analysis of changes (an
        ``index add --no-changes``): a link with the analysis compares them again
        (``pipeline.link_pending``)."""
        return {(a, b) for a, b in self.conn.execute(
            "SELECT c.a, c.b FROM checked_pairs c WHERE c.settings IN (?, ?) AND EXISTS (SELECT 1 FROM relations r "
            "WHERE (r.source = c.a AND r.target = c.b) OR (r.source = c.b AND r.target = c.a))",
            (self.settings.relate + NO_CHANGES, self.settings.relate + LEXICAL_ONLY + NO_CHANGES))}

    def doc_ids_of(self, numbers: Iterable[int]) -> dict[int, str]:
        """Document ids by their numbers (the keys of the vector files beside the store)."""
        return dict(self._rows_in("SELECT no, id FROM doc_numbers WHERE no IN ({marks})", (int(x) for x in numbers)))

    def arrivals(self, ids: Iterable[str] | None = None) -> dict[str, int]:
        """The order in which documents (or these ones) arrived: a number per id, larger for a
        later arrival, a replaced document's new version counting as arriving when it was put.
        Documents stored before arrivals were kept are left out (they count as arriving first,
        in id order: ``candidates.arrival_key``)."""
        if ids is None:
            return {str(d): int(n) for n, d in self.conn.execute("SELECT seq, doc_id FROM arrivals")}
        return dict(self._rows_in("SELECT doc_id, seq FROM arrivals WHERE doc_id IN ({marks})", ids))

    def arrived_after(self, seq: int) -> set[str]:
        """The documents (or new versions) that arrived after arrival number ``seq`` (a range
        of the table's key: only those rows are read)."""
        return {str(d) for (d,) in self.conn.execute("SELECT doc_id FROM arrivals WHERE seq > ?", (seq,))}

    def last_arrival(self) -> int:
        """The number of the last arrival (0 when none)."""
        return int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM arrivals").fetchone()[0])

    def doc_numbers(self, ids: Iterable[str]) -> dict[str, int]:
        """Document numbers by id (stable across a document's replacement)."""
        return dict(self._rows_in("SELECT id, no FROM doc_numbers WHERE id IN ({marks})", ids))

    def meta(self, key: str) -> str | None:
        """A value of the store's ``meta`` table (``None`` when unset)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the store's ``meta`` table (in its own transaction, if it changes)."""
        if self.meta(key) != value:
            with self.transaction() as c:
                c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- document vectors: the truth the vector files beside the store are a cache of ----------

    @staticmethod
    def _next_vector_seq(c: sqlite3.Connection) -> int:
        row = c.execute("SELECT value FROM meta WHERE key = 'vector_seq'").fetchone()
        seq = (int(row[0]) if row else 0) + 1
        c.execute("INSERT OR REPLACE INTO meta VALUES ('vector_seq', ?)", (str(seq),))
        return seq

    def vector_seq(self) -> int:
        """The change number of the latest document-vector write (0: none yet)."""
        value = self.meta("vector_seq")
        return int(value) if value else 0

    def pending_vectors(self) -> list[str]:
        """Ids of documents added or changed since their document vectors were last made."""
        return [r[0] for r in self.conn.execute("SELECT doc_id FROM pending_vectors ORDER BY doc_id")]

    def put_doc_vectors(self, rows: Iterable[tuple[str, str, str, np.ndarray | None]], *,
                        done: Iterable[str] = ()) -> None:
        """Record document vectors ``(model, doc_id, group, vector)`` (``None``: the document has
        no sentence, so no vector) and clear ``done`` from the pending list, in one transaction;
        each row gets a new change number."""
        rows = list(rows)
        by_model: dict[str, list[str]] = {}
        for model, doc_id, _, _ in rows:
            by_model.setdefault(model, []).append(doc_id)
        with self.transaction() as c:
            # the vectors these rows replace, looked up once a model: a replaced vector (not an
            # added one) forgets its model's neighbour bounds (:meth:`vector_bounds`)
            held = {(model, doc_id) for model, ids in by_model.items() for (doc_id,) in self._rows_in(
                "SELECT doc_id FROM doc_vectors WHERE model = ? AND length(vector) > 0 AND doc_id IN ({marks})",
                ids, before=(model,))}
            replaced: set[str] = set()
            for model, doc_id, grp, vec in rows:
                if (model, doc_id) in held:
                    replaced.add(model)
                seq = self._next_vector_seq(c)
                data = b"" if vec is None else np.ascontiguousarray(vec, dtype="<f4").tobytes()
                c.execute("INSERT OR REPLACE INTO doc_vectors VALUES (?, ?, ?, ?, ?)", (model, doc_id, grp, seq, data))
                if data:
                    held.add((model, doc_id))
            c.executemany("DELETE FROM vector_bounds WHERE model = ?", [(m,) for m in sorted(replaced)])
            c.executemany("DELETE FROM pending_vectors WHERE doc_id = ?", [(i,) for i in done])

    def doc_vector_changes(self, model: str, after: int) -> Iterator[tuple[str, str, int, np.ndarray | None]]:
        """``(doc_id, group, seq, vector or None)`` of ``model``'s document vectors changed after
        change number ``after``, in change order (``None``: removed, or no sentence)."""
        cur = self.conn.execute("SELECT doc_id, grp, seq, vector FROM doc_vectors WHERE model = ? AND seq > ? "
                                "ORDER BY seq", (model, after))
        while batch := cur.fetchmany(2000):
            for doc_id, grp, seq, data in batch:
                yield doc_id, grp, int(seq), (np.frombuffer(data, dtype="<f4").copy() if data else None)

    def doc_vectors(self, model: str, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored document vectors of these documents under ``model`` (those that have one)."""
        return {doc_id: np.frombuffer(data, dtype="<f4").copy() for doc_id, data in self._rows_in(
            "SELECT doc_id, vector FROM doc_vectors WHERE model = ? AND vector IS NOT NULL AND "
            "length(vector) > 0 AND doc_id IN ({marks})", ids, before=(model,))}

    def vector_bounds(self, model: str, ids: Iterable[str]) -> dict[str, float]:
        """For these documents, the cosine of their farthest neighbour in the last nearest-neighbour
        search made for them under ``model`` (``vectors.indexed_semantic_pairs``), where kept.

        While documents are only added, a document's k-th nearest only comes closer, so a
        document farther than its bound is not among its nearest now, without a search.
        Replacing or removing any document vector forgets every bound of its model
        (:meth:`put_doc_vectors`, :meth:`put_documents`)."""
        return {doc_id: float(cos) for doc_id, cos in self._rows_in(
            "SELECT doc_id, cosine FROM vector_bounds WHERE model = ? AND doc_id IN ({marks})", ids, before=(model,))}

    def put_vector_bounds(self, model: str, bounds: Mapping[str, float]) -> None:
        """Keep (replacing) the :meth:`vector_bounds` found by a search, in one transaction."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO vector_bounds VALUES (?, ?, ?)",
                          [(model, doc_id, float(cos)) for doc_id, cos in bounds.items()])

    def unlinked(self) -> set[str]:
        """Documents stored since the last ``link`` that covered them: those a new ``index add``
        must relate, including any a killed run stored but never linked."""
        return {r[0] for r in self.conn.execute("SELECT doc_id FROM unlinked")}

    def mark_linked(self, ids: Iterable[str]) -> None:
        """Record that every candidate pair of ``ids`` has been compared."""
        with self.transaction() as c:
            c.executemany("DELETE FROM unlinked WHERE doc_id = ?", [(i,) for i in ids])

    def document_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def relation_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM relations").fetchone()[0])

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]

    def get_documents(self, ids: Iterable[str] | None = None, *, relate_only: bool = False,
                      offsets: bool = True) -> list[Document]:
        """The stored documents (or those of ``ids`` that are stored, in that order).

        With ``relate_only``, only what relating a pair reads (``newstrace.stages.relate``: id,
        metadata, language, cleaned text, signature): ``raw``, ``offsets`` and ``removed`` are
        left empty, and not read (``offsets``, one integer per character once decoded, was the
        largest thing ``trace`` and ``link`` parsed per candidate after the fingerprints).
        Without ``offsets``, only ``offsets`` and ``removed`` are left empty and not read (what
        building families reads: the raw text too; decoding the offsets of the members was most
        of reading them).
        """
        spans = "offsets, removed" if offsets else "'[]', '[]'"
        cols = ("id, path, title, url, site, published, language, '' AS raw, text, '[]', '[]', signature"
                if relate_only else
                f"id, path, title, url, site, published, language, raw, text, {spans}, signature")
        if ids is None:
            rows = self.conn.execute(f"SELECT {cols} FROM documents ORDER BY id").fetchall()
        else:
            wanted = list(ids)
            rows = list(self._rows_in(f"SELECT {cols} FROM documents WHERE id IN ({{marks}})", wanted))
            order = {d: k for k, d in enumerate(wanted)}
            rows.sort(key=lambda r: order[r[0]])
        return [
            Document(id=r[0], path=r[1], title=r[2], url=r[3], site=r[4], published=r[5], language=r[6],
                     raw=r[7], text=r[8], offsets=decode_offsets(r[9]),
                     removed=[Removed(*x) for x in json.loads(r[10])], signature=signature, deep_signature=deep)
            for r in rows
            for signature, deep in (decode_signature(r[11]),)
        ]

    def story_feature_rows(self) -> list[tuple[str, str | None, str | None, str | None, str, str | None,
                                               bytes | None, str | None, bytes | None]]:
        """Every stored document's ``(id, published, title, language, text_hash, key, data,
        terms_key, terms)``, by id, with its kept story features (``key`` and ``data`` ``None``
        when none are kept) and their counted terms (``terms_key``, the key of the features they
        were counted from, and ``terms``; ``None`` when none are kept): what
        ``newstrace.stages.stories.store.stored_story_inputs`` reads instead of every text."""
        # The documents' columns from an index holding them (``documents_story``), the kept rows
        # by scanning their tables in their own order, joined here: the join in SQL read each
        # document's row (its texts, 1.2 GB at 100,000 documents) and each kept row by id, in
        # random order, which from a cold page cache took 60 s at 100,000 documents; this 4.9 s
        # (1.4 against 1.0 s warm; docs/benchmarks.md, stop 47).
        with self.snapshot() as c:
            docs = c.execute("SELECT id, published, title, language, text_hash FROM documents "
                             "INDEXED BY documents_story ORDER BY id").fetchall()
            features = {r[0]: (r[1], r[2]) for r in c.execute("SELECT doc_id, key, data FROM story_features")}
            terms = {r[0]: (r[1], r[2]) for r in c.execute("SELECT doc_id, key, data FROM story_terms")}
        none = (None, None)
        return [(*d, *features.get(d[0], none), *terms.get(d[0], none)) for d in docs]

    def put_story_features(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Keep ``(doc id, key, data)`` story features made for stored documents (one transaction)."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO story_features VALUES (?, ?, ?)", rows)

    def story_vocabulary(self) -> list[str | None]:
        """The terms of the kept counted story terms, by id (``None`` for an id not in use)."""
        rows = self.conn.execute("SELECT id, term FROM story_vocabulary").fetchall()
        out: list[str | None] = [None] * (max((r[0] for r in rows), default=-1) + 1)
        for i, term in rows:
            out[i] = term
        return out

    def story_term_ids(self, terms: Sequence[str]) -> dict[str, int]:
        """The id of each of ``terms`` in the story vocabulary, the new ones added (one
        transaction; an id, once given, never changes, so writers in other processes agree)."""
        with self.transaction() as c:
            c.executemany("INSERT OR IGNORE INTO story_vocabulary (term) VALUES (?)", ((t,) for t in terms))
            return {t: i for i, t in self._rows_in("SELECT id, term FROM story_vocabulary WHERE term IN ({marks})",
                                                     terms)}

    def put_story_terms(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Keep ``(doc id, features key, data)`` counted story terms (one transaction)."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO story_terms VALUES (?, ?, ?)", rows)

    def languages(self, ids: Iterable[str] | None = None) -> dict[str, str | None]:
        """Every stored document's language, by id (or only those of ``ids`` that are stored)."""
        if ids is None:
            return dict(self.conn.execute("SELECT id, language FROM documents"))
        return dict(self._rows_in("SELECT id, language FROM documents WHERE id IN ({marks})", ids))

    def story_openings(self, ids: Iterable[str], chars: int) -> dict[str, tuple[str | None, str | None, str]]:
        """``(title, published, the first chars characters of the text)`` of the stored documents
        of ``ids``, by id: what naming a story reads of its members
        (``newstrace.stages.stories.naming.name_stories``)."""
        return {d: (t, p, o) for d, t, p, o in self._rows_in(
            "SELECT id, title, published, substr(text, 1, ?) FROM documents WHERE id IN ({marks})", ids,
            before=(chars,))}

    def raw_documents(self) -> Iterator[Document]:
        """Every stored document's id and ingested text only (for collection steps such as
        learning recurring boilerplate lines)."""
        for doc_id, raw in self.conn.execute("SELECT id, raw FROM documents ORDER BY id").fetchall():
            yield Document(id=doc_id, raw=raw)

    def get_fingerprints(self, ids: Iterable[str] | None = None) -> list[Fingerprint]:
        """The sketches of the stored documents (or of ``ids``, those stored): only those of each
        document's current text, made under this store's index settings, in id order."""
        query = ("SELECT f.doc_id, f.data FROM fingerprints f JOIN documents d ON d.id = f.doc_id "
                 "WHERE f.text_hash = d.text_hash AND f.settings = ?")
        if ids is None:
            rows = self.conn.execute(query + " ORDER BY f.doc_id", (self.settings.index,)).fetchall()
        else:
            rows = sorted(self._rows_in(query + " AND f.doc_id IN ({marks})", set(ids),
                                        before=(self.settings.index,)))
        return [decode_fingerprint(doc_id, data) for doc_id, data in rows]

    # -- relations ----------------------------------------------------------------------

    def checked(self, *, changes: bool = False, semantic: bool = False) -> set[tuple[str, str]]:
        """The pairs already compared under this store's relate settings (others count as new),
        as a run with ``changes`` and ``semantic`` asks (:meth:`_compared_enough`)."""
        rows = self.conn.execute(f"SELECT a, b, settings FROM checked_pairs WHERE settings IN "
                                 f"({','.join('?' * len(self._levels))})", self._levels).fetchall()
        if semantic:
            rows = [row for row in rows if LEXICAL_ONLY not in row[2]]
        done = {(a, b) for a, b, _ in rows}
        return done - self.relations_without_changes() if changes else done

    def put_relations(self, checked: Iterable[tuple[str, str]], relations: Iterable[Relation], *,
                      changes: bool = True, semantic: bool = True) -> None:
        """Record the pairs compared and the relations found, in one transaction.

        A relation stored earlier for a pair compared again is replaced by what was found now
        (nothing, if the pair is no longer related).  Without ``changes`` (the relations carry no
        analysis of changes) or ``semantic`` (no meaning evidence), the pairs are recorded as
        such: a link with the analysis compares the related ones again, one with the semantic
        layer every one (:meth:`_compared_enough`).
        """
        pairs = list(checked)
        with self.transaction() as c:
            for a, b in pairs:
                c.execute("DELETE FROM relations WHERE (source = ? AND target = ?) OR (source = ? AND target = ?)",
                          (a, b, b, a))
            settings = self._level(changes=changes, semantic=semantic)
            c.executemany("INSERT OR REPLACE INTO checked_pairs VALUES (?, ?, ?)",
                          [(a, b, settings) for a, b in pairs])
            for r in relations:
                c.execute("DELETE FROM relations WHERE (source = ? AND target = ?) OR (source = ? AND target = ?)",
                          (r.source, r.target, r.target, r.source))
                c.execute("INSERT INTO relations VALUES (?,?,?,?,?)",
                          (r.source, r.target, r.type, r.confidence, json.dumps(relation_to_dict(r))))

    def get_relations(self, doc_ids: Iterable[str] | None = None) -> list[Relation]:
        """The stored relations (or those involving ``doc_ids``), by source and target."""
        if doc_ids is None:
            rows = self.conn.execute("SELECT source, target, data FROM relations ORDER BY source, target").fetchall()
        else:
            found = {(s, t): d for s, t, d in self._rows_in(
                "SELECT source, target, data FROM relations WHERE source IN ({marks}) OR target IN ({marks})",
                sorted(set(doc_ids)), repeat=2)}
            rows = [(s, t, found[(s, t)]) for s, t in sorted(found)]
        return [relation_from_dict(json.loads(d)) for _, _, d in rows]


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
