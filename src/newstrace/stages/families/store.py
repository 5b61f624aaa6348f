"""Families and stories in the store: tables this module creates on the store's connection."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

from newstrace.stages.tables import write_changed
from newstrace.types import Family, FamilyEdge, Passage

__all__ = ["family_from_dict", "family_to_dict", "load_families", "load_reusable_families", "save_families"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS families (id TEXT PRIMARY KEY, root TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS family_members (doc_id TEXT PRIMARY KEY, family TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS family_inputs (family TEXT PRIMARY KEY, digest TEXT NOT NULL);
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


def save_families(conn: sqlite3.Connection, families: list[Family], digests: Mapping[str, str] | None = None) -> None:
    """Replace the stored families with ``families`` (one transaction, holding the write lock
    from its start), with ``digests`` the digest of each one's inputs (by family id,
    ``build.family_digest``) for the next organise to reuse the families whose inputs did not
    change.  Without ``digests`` no family is kept for reuse.

    Only the rows that differ are written: a family stored with other content, or no longer
    given, is deleted with its member rows, then the given families not stored as they are
    now are inserted (an add at 41,000 documents changes a few of 935 families)."""
    conn.executescript(_SCHEMA)
    rows = {f.id: json.dumps(family_to_dict(f)) for f in families}
    by_id = {f.id: f for f in families}

    def insert(fid: str) -> None:
        conn.execute("INSERT INTO families VALUES (?, ?, ?)", (fid, by_id[fid].root, rows[fid]))
        # OR REPLACE: a member row left by a family no longer stored (a damaged store) gives way
        conn.executemany("INSERT OR REPLACE INTO family_members VALUES (?, ?)", [(m, fid) for m in by_id[fid].members])

    with conn:
        conn.execute("BEGIN IMMEDIATE")
        write_changed(conn, "families", "family_members", "family", rows, insert)
        conn.execute("DELETE FROM family_inputs")
        if digests is not None:
            conn.executemany("INSERT INTO family_inputs VALUES (?, ?)",
                             [(f.id, digests[f.id]) for f in families if f.id in digests])


def load_reusable_families(conn: sqlite3.Connection) -> dict[str, tuple[str, Family]]:
    """The stored families kept with the digest of their inputs (:func:`save_families`), by id,
    as ``(digest, family)``.  A damaged row is left out (its family is then built again), so
    that it never stops an add."""
    conn.executescript(_SCHEMA)
    out: dict[str, tuple[str, Family]] = {}
    for fid, digest, data in conn.execute("SELECT f.id, i.digest, f.data FROM families f "
                                          "JOIN family_inputs i ON i.family = f.id"):
        try:
            family = family_from_dict(json.loads(data))
        except (TypeError, ValueError, KeyError, IndexError):
            log.warning("stored family %s is damaged: built again", fid)
            continue
        if family.id == fid and isinstance(digest, str):
            out[fid] = (digest, family)
    return out


def load_families(conn: sqlite3.Connection, doc_id: str | None = None) -> list[Family]:
    """The stored families, or the one holding the document ``doc_id``, or else the family
    whose id it is (``newstrace family`` takes either: scans and ``stories`` print both)."""
    # A read writes nothing: a store no organise step has run on has no families yet (and
    # ``executescript`` would commit whatever transaction the caller has open).
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'family_members'").fetchone() is None:
        return []
    if doc_id is None:
        rows = conn.execute("SELECT data FROM families ORDER BY id").fetchall()
    else:
        rows = conn.execute("SELECT f.data FROM families f JOIN family_members m ON m.family = f.id "
                            "WHERE m.doc_id = ?", (doc_id,)).fetchall()
        if not rows:
            rows = conn.execute("SELECT data FROM families WHERE id = ?", (doc_id,)).fetchall()
    return [family_from_dict(json.loads(r[0])) for r in rows]
