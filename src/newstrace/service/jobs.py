"""Background jobs (large uploads), persisted in the store so a restart shows what was interrupted.

A job row is written when the job is accepted, then after every committed chunk (progress and
the ids committed so far), and at the end.  When the service starts, any job still marked
``queued``, ``running`` or ``linking`` was cut short by a crash or kill: it is marked
``interrupted``.  Re-posting the same input completes it: stored articles with the same
content are skipped (``unchanged``) and only what is missing is added and related.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ACTIVE", "Job", "JobStore"]

ACTIVE = ("queued", "running", "linking")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS service_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}'
);
"""


@dataclass(slots=True)
class Job:
    """One job's state; ``data`` holds counts, the committed ids, errors and a message."""

    id: str
    kind: str
    status: str
    created: float
    updated: float
    total: int
    done: int = 0
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created)),
                "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.updated)),
                "total": self.total, "done": self.done,
                "progress": round(self.done / self.total, 3) if self.total else 1.0, **self.data}


class JobStore:
    """The ``service_jobs`` table: one small transaction per update."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @staticmethod
    def ensure_schema(conn: sqlite3.Connection) -> None:
        with conn:
            conn.executescript(_SCHEMA)

    def create(self, kind: str, total: int, data: dict[str, Any] | None = None) -> Job:
        now = time.time()
        job = Job(uuid.uuid4().hex[:16], kind, "queued", now, now, total, 0, dict(data or {}))
        with self.conn:
            self.conn.execute("INSERT INTO service_jobs VALUES (?,?,?,?,?,?,?,?)",
                              (job.id, job.kind, job.status, job.created, job.updated, job.total, job.done,
                               json.dumps(job.data)))
        return job

    def update(self, job: Job, **changes: Any) -> None:
        for key in ("status", "done", "total"):
            if key in changes:
                setattr(job, key, changes.pop(key))
        job.data.update(changes)
        job.updated = time.time()
        with self.conn:
            self.conn.execute("UPDATE service_jobs SET status = ?, updated = ?, total = ?, done = ?, data = ? WHERE id = ?",
                              (job.status, job.updated, job.total, job.done, json.dumps(job.data), job.id))

    def get(self, job_id: str) -> Job | None:
        row = self.conn.execute("SELECT id, kind, status, created, updated, total, done, data FROM service_jobs "
                                "WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(row[0], row[1], row[2], row[3], row[4], row[5], row[6], json.loads(row[7]))

    def recent(self, limit: int = 20) -> list[Job]:
        rows = self.conn.execute("SELECT id FROM service_jobs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [j for (i,) in rows if (j := self.get(i)) is not None]

    def count(self, status: str) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM service_jobs WHERE status = ?", (status,)).fetchone()[0])

    def mark_interrupted(self) -> int:
        """At start-up: jobs left active by a previous process were interrupted."""
        now = time.time()
        with self.conn:
            cur = self.conn.execute(
                f"UPDATE service_jobs SET status = 'interrupted', updated = ? WHERE status IN ({','.join('?' * len(ACTIVE))})",
                (now, *ACTIVE))
        return cur.rowcount
