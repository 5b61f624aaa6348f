"""Stories in the store: tables this module creates on the store's connection."""

from __future__ import annotations

import json
import sqlite3
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import xxhash

from newstrace.stages.stories.cluster import (
    DEFAULT_CONFIG,
    IDF_FLOOR,
    IDF_PRIOR_DOCS,
    PAIR_NAME_COSINE,
    CountedTerms,
    Neighbourhood,
    StoryConfig,
    StoryFeatures,
    document_features,
)
from newstrace.stages.tables import write_changed
from newstrace.types import Story

if TYPE_CHECKING:
    from newstrace.store import Store

__all__ = ["FEATURES_VERSION", "StoredFeatures", "StoredNeighbourhoods", "decode_features", "encode_counted",
           "encode_features", "features_key", "load_representatives", "load_stories", "load_usual", "save_neighbourhoods",
           "save_representatives", "save_stories", "save_usual", "stored_story_inputs", "story_from_dict", "story_to_dict",
           "usual_settings"]

#: The version of ``document_features`` whose output a store keeps: raise it when that
#: function's output changes, and every kept row is made again when next needed.
FEATURES_VERSION = 1
#: Documents whose missing features :func:`stored_story_inputs` reads and makes at a time.
FEATURES_BATCH = 1000
_SEP, _VIEWS = "\x1f", "\x1e"  # never in a stem or a name (``WORD_RE`` words)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_members (doc_id TEXT PRIMARY KEY, story TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_usual (doc_id TEXT PRIMARY KEY, value REAL NOT NULL, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_neighbourhood (doc_id TEXT PRIMARY KEY, top BLOB NOT NULL, neighbours TEXT NOT NULL,
                                                high REAL NOT NULL, size INTEGER NOT NULL, settings TEXT NOT NULL,
                                                arrival INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS story_representatives (doc_id TEXT PRIMARY KEY, since INTEGER NOT NULL);
"""


def _schema(conn: sqlite3.Connection) -> None:
    """Create the stories' tables; a neighbourhood table made before neighbourhoods kept their
    arrival gains the column (0: each such row has seen nothing, so an add scores it against
    every document that has an arrival number)."""
    conn.executescript(_SCHEMA)
    if "arrival" not in {r[1] for r in conn.execute("PRAGMA table_info(story_neighbourhood)")}:
        with conn:
            conn.execute("ALTER TABLE story_neighbourhood ADD COLUMN arrival INTEGER NOT NULL DEFAULT 0")


def story_to_dict(s: Story) -> dict[str, Any]:
    """The JSON form of a story (docs/output.md)."""
    return {"id": s.id, "label": s.label, "headline": s.headline, "documents": list(s.documents),
            "families": list(s.families), "first_published": s.first_published, "last_published": s.last_published}


def story_from_dict(d: Mapping[str, Any]) -> Story:
    """A story from its JSON form (:func:`story_to_dict`).  One written before stories had
    headlines (by an older version, stored or exported) has none."""
    return Story(d["id"], d["label"], tuple(d["documents"]), tuple(d.get("families", ())),
                 d.get("first_published"), d.get("last_published"), d.get("headline"))


def save_stories(conn: sqlite3.Connection, stories: list[Story]) -> None:
    """Replace the stored stories with ``stories`` (one transaction, holding the write lock from
    its start).  Only the rows that differ are written: the stored stories are read inside the
    transaction, and a story stored with other content, or no longer given, is deleted with its
    members, then the given stories not stored as they are now are inserted.  An add at 41,000
    documents changes a few hundred of 6,000 stories: rewriting all of them and their 41,000
    member rows wrote 9 MB (0.29 s, besides the checkpoint every 4 MB of writes brings), the
    10% of them that changed 0.08 s."""
    _schema(conn)
    rows = {s.id: json.dumps(story_to_dict(s)) for s in stories}
    by_id = {s.id: s for s in stories}

    def insert(sid: str) -> None:
        conn.execute("INSERT INTO stories VALUES (?, ?)", (sid, rows[sid]))
        # OR REPLACE: a member row left by a story no longer stored (a damaged store) gives way
        conn.executemany("INSERT OR REPLACE INTO story_members VALUES (?, ?)", [(d, sid) for d in by_id[sid].documents])

    with conn:
        conn.execute("BEGIN IMMEDIATE")
        write_changed(conn, "stories", "story_members", "story", rows, insert)


def load_stories(conn: sqlite3.Connection) -> list[Story]:
    """The stored stories, sorted by id."""
    _schema(conn)
    return [story_from_dict(json.loads(data)) for (data,) in conn.execute("SELECT data FROM stories ORDER BY id")]


def usual_settings(config: StoryConfig = DEFAULT_CONFIG) -> str:
    """What a representative's kept usual similarity (:func:`save_usual`) was computed with:
    the features' version, the idf's prior and floor and the settings that weigh a document's
    neighbours.  A value kept under other settings is not used."""
    return (f"{FEATURES_VERSION}:{IDF_PRIOR_DOCS}:{IDF_FLOOR}:{PAIR_NAME_COSINE}:{config.neighbours}:"
            f"{config.max_gap_days}")


def save_usual(conn: sqlite3.Connection, values: Mapping[str, float], settings: str, *, replace: bool) -> None:
    """Keep the usual similarity each story representative was held to (by document id), for
    the next add's ``extend_stories(known_usual=)``; with ``replace``, the kept values of every
    other document are dropped (the whole collection was clustered).  One transaction.  The
    values only narrow which stored stories an add clusters again, so they are written after
    the stories: a crash between leaves the previous values, which are never wrong by more
    than the collection's growth since."""
    with conn:
        _schema(conn)
        if replace:
            conn.execute("DELETE FROM story_usual")
        conn.executemany("INSERT OR REPLACE INTO story_usual VALUES (?, ?, ?)",
                         [(d, float(v), settings) for d, v in values.items()])


def load_usual(conn: sqlite3.Connection, settings: str) -> dict[str, float]:
    """The kept usual similarities made with ``settings`` (:func:`save_usual`), by document id."""
    _schema(conn)
    return {d: float(v) for d, v in conn.execute("SELECT doc_id, value FROM story_usual WHERE settings = ?",
                                                   (settings,))}


def save_neighbourhoods(conn: sqlite3.Connection, values: Mapping[str, Neighbourhood], settings: str, *,
                        replace: bool, arrival: int) -> None:
    """Keep each story representative's neighbourhood (by document id) for the next add's
    ``extend_stories(known_neighbourhood=)``, as :func:`save_usual` keeps its usual similarity
    (with ``replace``, those of every other document are dropped; one transaction).  ``arrival``:
    the store's last arrival when they were made (:attr:`Neighbourhood.arrival`)."""
    with conn:
        _schema(conn)
        if replace:
            conn.execute("DELETE FROM story_neighbourhood")
        conn.executemany("INSERT OR REPLACE INTO story_neighbourhood VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(d, np.asarray(v.top, dtype="<f4").tobytes(), _SEP.join(v.documents), float(v.high),
                           int(v.size), settings, int(arrival)) for d, v in values.items()])


def load_representatives(conn: sqlite3.Connection) -> dict[str, int]:
    """The story representatives of the last clustering, each with the arrival number of the
    organise it became one in (:func:`save_representatives`)."""
    _schema(conn)
    return {str(d): int(s) for d, s in conn.execute("SELECT doc_id, since FROM story_representatives")}


def save_representatives(conn: sqlite3.Connection, since: Mapping[str, int]) -> None:
    """Keep the story representatives ``since`` names, each with the arrival number it became
    one at (rows of any other document are dropped; one transaction).  A document that becomes a
    representative (its family split, or it left one) is new to the kept neighbourhoods made
    before, as a document that arrived since is (``extend_stories(arrived_after=)``)."""
    from newstrace.store import IN_CHUNK

    _schema(conn)
    with conn:
        stored = dict(conn.execute("SELECT doc_id, since FROM story_representatives"))
        gone = sorted(d for d in stored if since.get(d) != stored[d])
        for k in range(0, len(gone), IN_CHUNK):
            chunk = gone[k : k + IN_CHUNK]
            conn.execute(f"DELETE FROM story_representatives WHERE doc_id IN ({','.join('?' * len(chunk))})", chunk)
        conn.executemany("INSERT INTO story_representatives VALUES (?, ?)",
                         [(d, int(s)) for d, s in since.items() if stored.get(d) != s])


class StoredNeighbourhoods(Mapping[str, Neighbourhood]):
    """The neighbourhoods kept with ``settings`` (:func:`save_neighbourhoods`), read one document
    at a time as asked: an add asks for those of the stored stories it reaches, a few thousand of
    a collection's representatives.  A damaged row counts as none."""

    def __init__(self, conn: sqlite3.Connection, settings: str) -> None:
        _schema(conn)
        self._conn, self._settings = conn, settings

    def __getitem__(self, doc_id: str) -> Neighbourhood:
        row = self._conn.execute("SELECT top, neighbours, high, size, arrival FROM story_neighbourhood "
                                 "WHERE doc_id = ? AND settings = ?", (doc_id, self._settings)).fetchone()
        if row is None or not isinstance(row[0], bytes) or len(row[0]) % 4 or not isinstance(row[1], str):
            raise KeyError(doc_id)
        try:
            high, size, arrival = float(row[2]), int(row[3]), int(row[4])
        except (TypeError, ValueError):
            raise KeyError(doc_id) from None
        return Neighbourhood(np.frombuffer(row[0], dtype="<f4").astype(np.float32), high, size,
                             tuple(row[1].split(_SEP)) if row[1] else (), arrival)

    def __iter__(self) -> Iterator[str]:
        yield from (str(d) for (d,) in self._conn.execute(
            "SELECT doc_id FROM story_neighbourhood WHERE settings = ? ORDER BY doc_id", (self._settings,)))

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM story_neighbourhood WHERE settings = ?",
                                      (self._settings,)).fetchone()[0])


def features_key(title: str | None, language: str | None, text_hash: str) -> str:
    """What a document's kept story features were made from: ``document_features`` reads its
    title, language and cleaned text (``newstrace.store.text_hash``), and nothing else."""
    return f"{FEATURES_VERSION}:" + xxhash.xxh64_hexdigest(f"{title or ''}{_SEP}{language or ''}{_SEP}{text_hash}")


def encode_features(features: StoryFeatures) -> bytes:
    """A document's story features as the store keeps them: both views' tokens, in order
    (the clustering counts them; order is kept so the weights sum as made), compressed."""
    content, names = features
    return zlib.compress(f"{_SEP.join(content)}{_VIEWS}{_SEP.join(names)}".encode(), 1)


def decode_features(data: bytes) -> StoryFeatures:
    """The features :func:`encode_features` encoded, each token interned: a collection's
    features repeat a vocabulary of a few hundred thousand words millions of times, and one
    string object a word (its hash computed once) holds 41,000 documents' features in 279 MB
    instead of 1,263 MB."""
    return _features_of_text(zlib.decompress(data).decode())


def _features_of_text(text: str) -> StoryFeatures:
    """:func:`decode_features` after the decompression: ``text`` as :func:`encode_features`
    joined it, each token interned."""
    content, names = text.split(_VIEWS)
    return ([*map(sys.intern, content.split(_SEP))] if content else [],
            [*map(sys.intern, names.split(_SEP))] if names else [])


def _decompressed(data: bytes) -> str:
    """The joined features of a kept row; raises ``zlib.error``, ``UnicodeDecodeError`` or
    ``ValueError`` when the row is damaged."""
    text = zlib.decompress(data).decode()
    if text.count(_VIEWS) != 1:
        raise ValueError("story features: not two views")
    return text


def encode_counted(features: StoryFeatures, term_ids: Mapping[str, int]) -> bytes:
    """A document's counted terms as the store keeps them (:class:`CountedTerms`): the numbers
    of distinct content stems and lower-cased names, then each view's term ids and counts, in
    the order ``Counter`` meets them (``uint32``, little-endian)."""
    content = Counter(features[0])
    names = Counter(w.lower() for w in features[1])
    out = np.empty(2 + 2 * len(content) + 2 * len(names), dtype="<u4")
    out[0], out[1] = len(content), len(names)
    k = 2
    for counted in (content, names):
        out[k : k + len(counted)] = [term_ids[t] for t in counted]
        out[k + len(counted) : k + 2 * len(counted)] = list(counted.values())
        k += 2 * len(counted)
    return out.tobytes()


def _split_counted(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The four arrays of :func:`encode_counted` (views of ``data``), or None when damaged."""
    if len(data) % 4:
        return None
    a = np.frombuffer(data, dtype="<u4")
    if len(a) < 2:
        return None
    nc, nn = int(a[0]), int(a[1])
    if len(a) != 2 + 2 * nc + 2 * nn:
        return None
    return a[2 : 2 + nc], a[2 + nc : 2 + 2 * nc], a[2 + 2 * nc : 2 + 2 * nc + nn], a[2 + 2 * nc + nn :]


class StoredFeatures(Sequence[StoryFeatures]):
    """Every stored document's story features, as :func:`stored_story_inputs` reads them: each
    decompressed and decoded when asked for (``extend_stories`` asks for those of the stories it
    clusters again), and all of them counted, as arrays (:attr:`counted`), for the views of the
    whole collection (``newstrace.stages.stories.cluster.counted_views``).  At 41,000 documents,
    decoding every document's tokens took 3-5 s of each ``index add``, counting them again 6 s,
    and decompressing every kept row 0.8 s (and 4x the memory of the compressed rows).

    ``remake(i)``: document ``i``'s features made again from its text (and kept), for a kept row
    found damaged only when asked for."""

    def __init__(self, kept: list[bytes | str | StoryFeatures], counted: CountedTerms,
                 remake: Callable[[int], StoryFeatures] | None = None) -> None:
        self._kept = kept
        self.counted = counted
        self._remake = remake

    def __len__(self) -> int:
        return len(self._kept)

    @overload
    def __getitem__(self, i: int) -> StoryFeatures: ...

    @overload
    def __getitem__(self, i: slice) -> list[StoryFeatures]: ...

    def __getitem__(self, i: int | slice) -> StoryFeatures | list[StoryFeatures]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        kept = self._kept[i]
        if isinstance(kept, bytes):
            try:
                kept = _decompressed(kept)
            except (zlib.error, UnicodeDecodeError, ValueError):
                if self._remake is None:
                    raise
                made = self._remake(i)
                self._kept[i] = made
                return made
        return _features_of_text(kept) if isinstance(kept, str) else kept


def stored_story_inputs(store: Store) -> tuple[list[str], list[str | None], StoredFeatures]:
    """Every stored document's id (sorted), date and story features, for
    ``stories_of_features``: the features kept with each document, without reading its text.

    A document whose features were not kept, were made from another title, language or text
    (added by older code, or with ``add_documents`` writing no candidate index), or whose row
    does not decode (damaged), is read and
    its features are made here, :data:`FEATURES_BATCH` at a time, and kept for the next call.
    Each document's features are also kept counted (``story_terms``, their terms numbered in
    ``story_vocabulary``): those not counted yet (the documents added since the last call) are
    counted here and kept, so a call decodes and counts only the new documents' tokens.  A
    counted document's kept row stays compressed until its words are asked for; found damaged
    then, it is made again from the text and kept (:class:`StoredFeatures`).
    """
    ids: list[str] = []
    published: list[str | None] = []
    kept: list[bytes | str | StoryFeatures] = []
    keys: list[str] = []
    terms: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None] = []
    missing: list[int] = []
    for doc_id, date, title, language, hashed, key, data, terms_key, counted in store.story_feature_rows():
        ids.append(doc_id)
        published.append(date)
        expected = features_key(title, language, hashed)
        keys.append(expected)
        terms.append(_split_counted(counted) if counted is not None and terms_key == expected else None)
        if data is not None and key == expected and terms[-1] is not None:
            kept.append(data)  # counted already: decompressed only if its words are asked for
            continue
        if data is not None and key == expected:
            try:
                kept.append(_decompressed(data))
                continue
            except (zlib.error, UnicodeDecodeError, ValueError):
                pass  # a damaged row: made again from the text, like a missing one
        kept.append(([], []))
        terms[-1] = None
        missing.append(len(ids) - 1)
    from newstrace.store import text_hash

    def remade(chunk: list[int]) -> None:
        made = [(d, features_key(d.title, d.language, text_hash(d.text)), document_features(d))
                for d in store.get_documents([ids[i] for i in chunk], relate_only=True)]
        store.put_story_features([(d.id, key, encode_features(f)) for d, key, f in made])
        position = {ids[i]: i for i in chunk}
        for d, key, f in made:
            kept[position[d.id]] = f
            keys[position[d.id]] = key

    for k in range(0, len(missing), FEATURES_BATCH):
        remade(missing[k : k + FEATURES_BATCH])
    vocabulary = store.story_vocabulary()
    for i, t in enumerate(terms):  # a row numbering terms the vocabulary lacks is counted again
        if t is not None and any(len(a) and int(a.max()) >= len(vocabulary) for a in (t[0], t[2])):
            terms[i] = None
    uncounted = [i for i, t in enumerate(terms) if t is None]

    def opened(i: int) -> StoryFeatures:
        """Row ``i``'s features, decompressed (a row left compressed, whose counted terms turned
        out stale, is counted again too); made again from the text if damaged."""
        x = kept[i]
        if isinstance(x, bytes):
            try:
                x = kept[i] = _decompressed(x)
            except (zlib.error, UnicodeDecodeError, ValueError):
                remade([i])
                x = kept[i]
        if isinstance(x, bytes):
            raise RuntimeError(f"story features of {ids[i]}: not made again")
        return _features_of_text(x) if isinstance(x, str) else x

    for k in range(0, len(uncounted), FEATURES_BATCH):
        chunk = uncounted[k : k + FEATURES_BATCH]
        feats = [opened(i) for i in chunk]
        words = sorted({t for f in feats for t in f[0]} | {w.lower() for f in feats for w in f[1]})
        term_ids = store.story_term_ids(words)
        rows = [(ids[i], keys[i], encode_counted(f, term_ids)) for i, f in zip(chunk, feats, strict=True)]
        store.put_story_terms(rows)
        for i, (_, _, data) in zip(chunk, rows, strict=True):
            terms[i] = _split_counted(data)
        # the numbers just given, added to the vocabulary read above (every term these rows use)
        vocabulary.extend([None] * (max(term_ids.values(), default=-1) + 1 - len(vocabulary)))
        for term, number in term_ids.items():
            vocabulary[number] = term

    def remake(i: int) -> StoryFeatures:
        remade([i])
        found = kept[i]
        if isinstance(found, bytes | str):
            raise RuntimeError(f"story features of {ids[i]}: the document is no longer stored")
        return found

    return ids, published, StoredFeatures(kept, _counted_terms(terms, vocabulary), remake)


def _counted_terms(terms: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None],
                   vocabulary: Sequence[str | None]) -> CountedTerms:
    """The :class:`CountedTerms` of every document, from each one's arrays (none missing)."""
    parts = [t for t in terms if t is not None]
    if len(parts) != len(terms):
        raise RuntimeError("stored_story_inputs: a document's terms were not counted")

    def joined(k: int) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.fromiter((len(p[k]) for p in parts), dtype=np.int64, count=len(parts))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        values = np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype="<u4")
        return offsets, values.astype(np.uint32, copy=False)  # half the memory of int64 (50 MB at 41k)

    content_offsets, content_ids = joined(0)
    _, content_counts = joined(1)
    names_offsets, names_ids = joined(2)
    _, names_counts = joined(3)
    return CountedTerms(content_offsets, content_ids, content_counts, names_offsets, names_ids, names_counts,
                        vocabulary)
