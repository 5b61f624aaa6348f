"""The fault suite's driver: kill ``index add`` at chosen moments, resume, compare with a clean run.

A store must survive ``kill -9`` at any moment: every batch is one transaction, so a kill
loses at most the batch in flight, and running the same command again completes the index.
The final store must equal a clean run's: the same documents, fingerprints, checked pairs
and relations, and ``PRAGMA integrity_check`` ok.  Used by ``tests/robustness/test_faults.py``
(a few kill points on a small set) and ``benchmarks/bench_faults.py`` (more, on BBC News).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KillResult", "concurrent_writers", "index_command", "kill_and_resume", "run_index", "snapshot"]


def index_command(inputs: Sequence[str | Path], db: str | Path, *, extra: Sequence[str] = ()) -> list[str]:
    """The ``newstrace index add`` command line, run with this interpreter."""
    return [sys.executable, "-m", "newstrace", "index", "add", *map(str, inputs), "--db", str(db), *extra]


def _env() -> dict[str, str]:
    # The child imports the same newstrace as this process.
    import newstrace

    src = str(Path(newstrace.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def run_index(inputs: Sequence[str | Path], db: str | Path, *, extra: Sequence[str] = ()) -> tuple[float, float]:
    """Run ``index add`` to completion; return its wall time and the time of its first commit
    (the start-up before it, imports and reading, is no interesting moment to kill at).

    Raises:
        RuntimeError: the command failed (with its stderr).
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(index_command(inputs, db, extra=extra), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=_env())
    first = _until_first_commit(proc, Path(db))
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"index add failed ({proc.returncode}): {err[-2000:]}")
    return time.perf_counter() - t0, first - t0


def _until_first_commit(proc: subprocess.Popen[Any], db: Path) -> float:
    while proc.poll() is None and _count(db, "documents") == 0:
        time.sleep(0.02)
    return time.perf_counter()


def snapshot(db: str | Path) -> dict[str, Any]:
    """Everything a clean run determines, in a comparable form, and the integrity check."""
    with sqlite3.connect(db) as conn:
        return {
            "integrity": conn.execute("PRAGMA integrity_check").fetchall(),
            "documents": conn.execute("SELECT id, content_hash, text_hash, text, offsets, removed, signature "
                                      "FROM documents ORDER BY id").fetchall(),
            "fingerprints": conn.execute("SELECT doc_id, text_hash, settings, data FROM fingerprints "
                                         "ORDER BY doc_id").fetchall(),
            "checked_pairs": conn.execute("SELECT a, b, settings FROM checked_pairs ORDER BY a, b").fetchall(),
            "relations": conn.execute("SELECT source, target, type, confidence, data FROM relations "
                                      "ORDER BY source, target").fetchall(),
        }


@dataclass(frozen=True, slots=True)
class KillResult:
    """One kill point: when, how much was stored at the kill, and whether the resumed store equals the clean one."""

    seconds: float
    documents_at_kill: int
    relations_at_kill: int
    equal: bool
    differences: tuple[str, ...]


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_and_resume(inputs: Sequence[str | Path], workdir: Path, clean: dict[str, Any], *, seconds: float,
                    extra: Sequence[str] = (), name: str = "kill") -> KillResult:
    """Start ``index add`` on a new store, ``kill -9`` it ``seconds`` after its first commit
    (its whole process group, workers included), run it again to completion and compare with
    ``clean``."""
    db = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    proc = subprocess.Popen(index_command(inputs, db, extra=extra), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=_env(), start_new_session=True)
    _until_first_commit(proc, db)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    docs, rels = _count(db, "documents"), _count(db, "relations")
    run_index(inputs, db, extra=extra)
    now = snapshot(db)
    diffs = tuple(k for k in clean if now[k] != clean[k])
    return KillResult(round(seconds, 2), docs, rels, not diffs, diffs)


def kill_points(n: int, duration: float, seed: int) -> list[float]:
    """``n`` kill moments spread over a run of ``duration`` seconds, deterministic from ``seed``:
    one per equal slice of the run, at a seeded random place in it."""
    rng = random.Random(seed)
    return [duration * (k + rng.random()) / n for k in range(n)]


def concurrent_writers(inputs: Sequence[str | Path], db: Path, *, writers: int = 2,
                       extra: Sequence[str] = ()) -> list[int]:
    """Run ``writers`` ``index add`` processes on one store at once; return their exit codes."""
    procs = [subprocess.Popen(index_command(inputs, db, extra=extra), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(writers)]
    codes = []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            sys.stderr.write(err[-2000:])
        codes.append(p.returncode)
    return codes
