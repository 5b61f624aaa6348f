"""Families and stories as the store holds them, for the routes and pages that show them.

They are built by other stages (``newstrace.stages.families``, ``newstrace.stages.stories``);
this module only reads their tables, without importing those stages, so the service runs on
stores with or without them and says clearly when they are missing.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, ClassVar

from newstrace.types import Document

__all__ = ["Groups", "document_summary", "no_groups_message"]


class Groups:
    """Families and stories as the store holds them, once the stages that build them have run.

    The interface the routes use: ``available(kind)``, ``list_groups(kind)``, ``get(kind, id)``
    and ``of_document(doc_id)``.  It reads the tables of ``newstrace.stages.families.store`` and
    ``newstrace.stages.stories.store`` (``families(id, root, data)`` / ``family_members(doc_id,
    family)``, ``stories(id, data)`` / ``story_members(doc_id, story)``, ``data`` the JSON of
    ``family_to_dict``/``story_to_dict``) read-only, without importing those stages, so the
    service runs on stores with or without them.  Until the tables exist every call answers
    "not available" instead of failing.
    """

    KINDS = ("families", "stories")
    _MEMBERS: ClassVar[dict[str, tuple[str, str]]] = {"families": ("family_members", "family"),
                                                      "stories": ("story_members", "story")}

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}

    def available(self, kind: str) -> bool:
        return kind in self.KINDS and kind in self._tables()

    @staticmethod
    def _row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
        """A row as a dict; a JSON object in a ``data`` column is merged in (it is the record)."""
        out: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for (col, *_), value in zip(cursor.description, row, strict=True):
            if col == "data" and isinstance(value, str):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = None
                if isinstance(parsed, dict):
                    data = parsed
                    continue
            out[col] = value
        return {**out, **data}

    def list_groups(self, kind: str, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """A page of the groups, largest first (then by id), as ``newstrace stories`` lists them."""
        if not self.available(kind):
            return []
        table, owner = self._MEMBERS[kind]
        if table in self._tables():
            cur = self.conn.execute(
                f"SELECT g.* FROM {kind} g LEFT JOIN (SELECT {owner} AS gid, COUNT(*) AS n FROM {table} "
                f"GROUP BY {owner}) m ON m.gid = g.id ORDER BY COALESCE(m.n, 0) DESC, g.id LIMIT ? OFFSET ?",
                (limit, offset))
        else:
            cur = self.conn.execute(f"SELECT * FROM {kind} ORDER BY id LIMIT ? OFFSET ?", (limit, offset))
        return [self._row(cur, r) for r in cur.fetchall()]

    def count(self, kind: str) -> int:
        """How many groups of ``kind`` the store holds (0 before the stage that builds them ran)."""
        if not self.available(kind):
            return 0
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {kind}").fetchone()[0])

    def get(self, kind: str, group_id: str) -> dict[str, Any] | None:
        if not self.available(kind):
            return None
        cur = self.conn.execute(f"SELECT * FROM {kind} WHERE id = ?", (group_id,))
        row = cur.fetchone()
        if row is None:
            return None
        group = self._row(cur, row)
        table, owner = self._MEMBERS[kind]
        if "members" not in group and "documents" not in group and table in self._tables():
            group["members"] = [str(r[0]) for r in self.conn.execute(
                f"SELECT doc_id FROM {table} WHERE {owner} = ? ORDER BY doc_id", (group_id,))]
        return group

    def of_document(self, doc_id: str) -> dict[str, list[str]]:
        """The family and story ids a document belongs to (empty lists when none are stored)."""
        tables = self._tables()
        out: dict[str, list[str]] = {}
        for kind in self.KINDS:
            table, owner = self._MEMBERS[kind]
            out[kind] = [str(r[0]) for r in self.conn.execute(
                f"SELECT {owner} FROM {table} WHERE doc_id = ?", (doc_id,))] if table in tables else []
        return out


def no_groups_message(kind: str) -> str:
    return (f"this index has no {kind} yet: {kind} are built by the families/stories stage; "
            f"index articles with a newstrace that has it, then they appear here")


def document_summary(doc: Document) -> dict[str, Any]:
    """The short form of a document for lists."""
    return {"id": doc.id, "title": doc.title, "url": doc.url, "site": doc.site, "published": doc.published,
            "language": doc.language, "characters": len(doc.text)}
