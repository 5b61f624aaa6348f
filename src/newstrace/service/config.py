"""The service's settings: one frozen dataclass, validated, with the limits a newsroom can tune."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["ServiceConfig"]


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """How ``newstrace serve`` runs.

    Attributes:
        db: the SQLite store.
        token: the bearer token write endpoints require (resolved by ``auth.resolve_token``).
        protect_reads: whether reads (GET, search, trace, compare, pages) need the token too.
        max_body_bytes: the largest request body accepted (413 beyond).
        max_files: the most files one multipart request may carry.
        max_documents: the most articles one JSON batch may carry.
        request_timeout: seconds a trace or compare may take before the client gets a 504.
        workers: the size of the pool alignment and embedding run in.
        pool: ``process`` (CPU-bound work in parallel on every core) or ``thread`` (cheaper
            to start; used by the API tests).
        semantic: use the semantic layer (sentence embeddings) as the CLI does by default.
        changes: analyse what each rewrite changed.
        sync_max_documents: a JSON batch up to this size is answered when done (201); larger
            ones answer at once with the job (202).
        max_pending: traces and compares queued or running at once; beyond, a 503 with
            ``Retry-After`` (back-pressure instead of an unbounded queue).
    """

    db: Path
    token: str
    protect_reads: bool = False
    max_body_bytes: int = 50 * 1024 * 1024
    max_files: int = 1000
    max_documents: int = 5000
    request_timeout: float = 120.0
    workers: int = 2
    pool: Literal["process", "thread"] = "process"
    semantic: bool = True
    changes: bool = True
    sync_max_documents: int = 20
    max_pending: int = 256

    def __post_init__(self) -> None:
        problems = []
        if len(self.token) < 16:
            problems.append("token must have at least 16 characters")
        for name in ("max_body_bytes", "max_files", "max_documents", "workers", "max_pending"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.request_timeout <= 0:
            problems.append(f"request_timeout must be positive, got {self.request_timeout!r}")
        if self.pool not in ("process", "thread"):
            problems.append(f"pool must be 'process' or 'thread', got {self.pool!r}")
        if problems:
            raise ValueError("invalid service settings: " + "; ".join(problems))
