"""Families and stories in the store: tables this module creates on the store's connection."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from newstrace.types import Family, FamilyEdge, Passage

__all__ = ["family_from_dict", "family_to_dict", "load_families", "save_families"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS families (id TEXT PRIMARY KEY, root TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS family_members (doc_id TEXT PRIMARY KEY, family TEXT NOT NULL);
"""


def family_to_dict(f: Family, *, passages: bool = True) -> dict[str, Any]:
    """The JSON form of a family (docs/output.md)."""
    return {
        "id": f.id, "root": f.root, "archetype": f.archetype, "root_evidence": list(f.root_evidence),
        "members": list(f.members),
        "edges": [{
            "source": e.source, "target": e.target, "type": e.type, "primary": e.primary,
            "confidence": e.confidence, "direction": e.direction, "evidence": list(e.evidence),
            "passages": [{"source_span": list(p.source_span), "target_span": list(p.target_span),
                          "similarity": p.similarity} for p in e.passages] if passages else [],
        } for e in f.edges],
    }


def family_from_dict(d: dict[str, Any]) -> Family:
    return Family(d["id"], d["root"], tuple(d["members"]), tuple(
        FamilyEdge(e["source"], e["target"], e["type"], e["primary"], e["confidence"], e["direction"],
                   tuple(e["evidence"]), tuple(Passage(tuple(p["source_span"]), tuple(p["target_span"]), "", "",
                                                      p["similarity"]) for p in e["passages"]))
        for e in d["edges"]), d.get("archetype", False), tuple(d.get("root_evidence", ())))


def save_families(conn: sqlite3.Connection, families: list[Family]) -> None:
    """Replace the stored families with ``families`` (one transaction)."""
    with conn:
        conn.executescript(_SCHEMA)
        conn.execute("DELETE FROM families")
        conn.execute("DELETE FROM family_members")
        for f in families:
            conn.execute("INSERT INTO families VALUES (?, ?, ?)", (f.id, f.root, json.dumps(family_to_dict(f))))
            conn.executemany("INSERT INTO family_members VALUES (?, ?)", [(m, f.id) for m in f.members])


def load_families(conn: sqlite3.Connection, doc_id: str | None = None) -> list[Family]:
    """The stored families, or the one holding ``doc_id``."""
    conn.executescript(_SCHEMA)
    if doc_id is None:
        rows = conn.execute("SELECT data FROM families ORDER BY id").fetchall()
    else:
        rows = conn.execute("SELECT f.data FROM families f JOIN family_members m ON m.family = f.id "
                            "WHERE m.doc_id = ?", (doc_id,)).fetchall()
    return [family_from_dict(json.loads(r[0])) for r in rows]
