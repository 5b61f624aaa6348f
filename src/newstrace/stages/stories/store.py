"""Stories in the store: tables this module creates on the store's connection."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from newstrace.types import Story

__all__ = ["load_stories", "save_stories", "story_to_dict"]

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
