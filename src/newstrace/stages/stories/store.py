"""Stories in the store: tables this module creates on the store's connection."""

from __future__ import annotations

import json
import sqlite3
import sys
import zlib
from typing import TYPE_CHECKING, Any

import xxhash

from newstrace.stages.stories.cluster import StoryFeatures, document_features
from newstrace.types import Story

if TYPE_CHECKING:
    from newstrace.store import Store

__all__ = ["FEATURES_VERSION", "decode_features", "encode_features", "features_key",
           "load_stories", "save_stories", "stored_story_inputs", "story_to_dict"]

#: The version of ``document_features`` whose output a store keeps: raise it when that
#: function's output changes, and every kept row is made again when next needed.
FEATURES_VERSION = 1
#: Documents whose missing features :func:`stored_story_inputs` reads and makes at a time.
FEATURES_BATCH = 1000
_SEP, _VIEWS = "\x1f", "\x1e"  # never in a stem or a name (``WORD_RE`` words)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_members (doc_id TEXT PRIMARY KEY, story TEXT NOT NULL);
"""


def story_to_dict(s: Story) -> dict[str, Any]:
    """The JSON form of a story (docs/output.md)."""
    return {"id": s.id, "label": s.label, "documents": list(s.documents), "families": list(s.families),
            "first_published": s.first_published, "last_published": s.last_published}


def save_stories(conn: sqlite3.Connection, stories: list[Story]) -> None:
    """Replace the stored stories with ``stories`` (one transaction)."""
    with conn:
        conn.executescript(_SCHEMA)
        conn.execute("DELETE FROM stories")
        conn.execute("DELETE FROM story_members")
        for s in stories:
            conn.execute("INSERT INTO stories VALUES (?, ?)", (s.id, json.dumps(story_to_dict(s))))
            conn.executemany("INSERT INTO story_members VALUES (?, ?)", [(d, s.id) for d in s.documents])


def load_stories(conn: sqlite3.Connection) -> list[Story]:
    """The stored stories, sorted by id."""
    conn.executescript(_SCHEMA)
    out = []
    for (data,) in conn.execute("SELECT data FROM stories ORDER BY id"):
        d = json.loads(data)
        out.append(Story(d["id"], d["label"], tuple(d["documents"]), tuple(d["families"]),
                         d["first_published"], d["last_published"]))
    return out


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
    content, names = zlib.decompress(data).decode().split(_VIEWS)
    return ([*map(sys.intern, content.split(_SEP))] if content else [],
            [*map(sys.intern, names.split(_SEP))] if names else [])


def stored_story_inputs(store: Store) -> tuple[list[str], list[str | None], list[StoryFeatures]]:
    """Every stored document's id (sorted), date and story features, for
    ``stories_of_features``: the features kept with each document, without reading its text.

    A document whose features were not kept, were made from another title, language or text
    (added by older code, or with ``add_documents`` writing no candidate index), or whose row
    does not decode (damaged), is read and
    its features are made here, :data:`FEATURES_BATCH` at a time, and kept for the next call.
    """
    ids: list[str] = []
    published: list[str | None] = []
    found: dict[str, StoryFeatures] = {}
    missing: list[str] = []
    for doc_id, date, title, language, hashed, key, data in store.story_feature_rows():
        ids.append(doc_id)
        published.append(date)
        if data is not None and key == features_key(title, language, hashed):
            try:
                found[doc_id] = decode_features(data)
                continue
            except (zlib.error, UnicodeDecodeError, ValueError):
                pass  # a damaged row: made again from the text, like a missing one
        missing.append(doc_id)
    from newstrace.store import text_hash

    for k in range(0, len(missing), FEATURES_BATCH):
        made = [(d, features_key(d.title, d.language, text_hash(d.text)), document_features(d))
                for d in store.get_documents(missing[k : k + FEATURES_BATCH], relate_only=True)]
        store.put_story_features([(d.id, key, encode_features(f)) for d, key, f in made])
        found.update((d.id, f) for d, _, f in made)
    return ids, published, [found[i] for i in ids]
