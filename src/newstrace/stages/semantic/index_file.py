"""Document vectors in usearch HNSW files beside the store: a cache the store can always rebuild.

The store holds every document vector with a change number (``newstrace.store.Store``:
``doc_vectors``, written in the same transaction as the sentence vectors they are the mean
of).  A file ``<db>.vectors.<model>.<group>.usearch`` holds one group of them (a model's
vectors of one language, or all of them) in an HNSW index keyed by document number, with a
small JSON beside it naming the store, the model version, the group and the change number
the file reflects.  Opening a file (:func:`open_index`) compares these with the store:

* the same: the file is memory-mapped (``Index.restore(path, view=True)``), so a ``trace``
  pages in only what its search visits and its memory does not grow with the index;
* behind: the changes since are applied (a vector removed, replaced or added), the file is
  written beside and renamed over the old one, then the JSON: a crash at any point leaves a
  file the next open either takes as it is or brings up to date (re-applying a change is
  harmless);
* missing, unreadable, or made for another store or model: rebuilt from the store, with one
  log line.

The store is the truth and the file a cache: deleting the files loses nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newstrace.stages.semantic.similarity import usearch_index

__all__ = ["EXPANSION", "FILE_FORMAT", "IndexFile", "index_path", "open_index"]

log = logging.getLogger(__name__)

#: HNSW construction and search depth: the value ``semantic_candidates`` builds its in-memory
#: indexes with, so a file answers as the whole-load path did.
EXPANSION = 128
#: Bumped when the file layout or its keys change: an older file is rebuilt.
FILE_FORMAT = 1


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "_"


def index_path(db: str | Path, model: str, group: str) -> Path:
    """Where the vectors of ``model`` (its version string) and ``group`` live beside store
    ``db``: the model's name and a hash of its whole version string name the file."""
    import xxhash

    tag = f"{_safe(model.split('@')[0])[:40]}-{xxhash.xxh64_hexdigest(model)[:8]}"
    return Path(f"{db}.vectors.{tag}.{_safe(group) if group else 'all'}.usearch")


@dataclass(slots=True)
class IndexFile:
    """An opened vector file: the (memory-mapped) usearch index, or ``None`` when it is empty."""

    path: Path
    index: Any
    size: int

    def search(self, vectors: np.ndarray, count: int, *, threads: int = 1) -> list[list[tuple[int, float]]]:
        """The ``count`` nearest keys of each row of ``vectors`` (normalised here), with their
        cosine rounded as ``semantic_candidates`` rounds it; nearest first.  Each row is searched
        on its own (usearch's read-only graph walk), so a row's answer does not depend on the
        others in the call or on ``threads``, the searches run at once."""
        q = np.asarray(vectors, dtype=np.float32)
        if self.index is None or self.size == 0 or len(q) == 0:
            return [[] for _ in range(len(q))]
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        matches = self.index.search(q, min(count, self.size), threads=max(1, threads))
        keys = np.asarray(matches.keys).reshape(len(q), -1)
        dists = np.asarray(matches.distances).reshape(len(q), -1)
        sentinel = np.iinfo(np.uint64).max
        return [[(int(k), round(float(1.0 - d), 6)) for k, d in zip(keys[r], dists[r], strict=True) if k != sentinel]
                for r in range(len(q))]


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(Path(f"{path}.json").read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _write_atomic(path: Path, write: Callable[[str], None]) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def open_index(path: Path, *, store_id: str, model: str, group: str, seq: int,
               changes: Callable[[int], Iterable[tuple[int, str, np.ndarray | None]]]) -> IndexFile:
    """Open the vector file at ``path``, first bringing it up to change number ``seq``.

    Args:
        path: the file (:func:`index_path`).
        store_id: the store's id (``meta.store_id``): a file made for another store is rebuilt.
        model: the model version string the vectors were made by.
        group: the group this file holds (a language, or ``""`` for all).
        seq: the store's latest change number.
        changes: ``changes(after)`` yields ``(key, group, vector or None)`` for every change
            after change number ``after``, in order (``None``: the key has no vector any more).

    Returns:
        The file, memory-mapped.
    """
    Index = usearch_index("the vector index beside the store")
    meta = _read_meta(path)
    expected = {"format": FILE_FORMAT, "store": store_id, "model": model, "group": group}
    usable = (meta is not None and path.exists() and all(meta.get(k) == v for k, v in expected.items())
              and isinstance(meta.get("seq"), int) and meta["seq"] <= seq)
    if usable and meta is not None and meta["seq"] == seq:
        return _view(Index, path, int(meta.get("size", 0)))
    index = None
    after = 0
    if usable and meta is not None:
        index = Index.restore(str(path)) if meta.get("size") else None
        if index is not None or not meta.get("size"):
            after = int(meta["seq"])
    if after == 0:
        index = None
        reason = "missing" if meta is None or not path.exists() else "made for another store, model or format"
        log.info("vector index %s %s: rebuilding it from the store", path.name, reason)
    index, size = _apply(Index, index, changes(after), group)
    if index is not None:
        _write_atomic(path, lambda tmp: index.save(tmp))
    else:
        path.unlink(missing_ok=True)
    meta_new = {**expected, "seq": seq, "size": size}
    _write_atomic(Path(f"{path}.json"), lambda tmp: _write_text(tmp, json.dumps(meta_new)))
    return _view(Index, path, size)


def _write_text(path: str, text: str) -> None:
    Path(path).write_text(text)


def _apply(Index: Any, index: Any, rows: Iterable[tuple[int, str, np.ndarray | None]],
           group: str) -> tuple[Any, int]:
    """Apply change rows to an in-memory index (created on the first vector).  Additions are
    gathered and added in batches (one thread: the graph does not depend on scheduling)."""
    pending: dict[int, np.ndarray] = {}

    def flush() -> Any:
        nonlocal index
        if pending:
            keys = np.fromiter(pending, dtype=np.uint64, count=len(pending))
            vecs = np.stack(list(pending.values()))
            if index is None:
                index = Index(ndim=vecs.shape[1], metric="ip", dtype="f32", expansion_add=EXPANSION,
                              expansion_search=EXPANSION)
            index.add(keys, vecs, threads=1)
            pending.clear()
        return index

    for key, grp, vec in rows:
        pending.pop(key, None)
        if index is not None and key in index:
            index.remove(key)
        if vec is None or grp != group or len(vec) == 0:
            continue
        v = np.asarray(vec, dtype=np.float32)
        pending[key] = v / max(float(np.linalg.norm(v)), 1e-12)
        if len(pending) >= 4096:
            flush()
    flush()
    return index, (len(index) if index is not None else 0)


def _view(Index: Any, path: Path, size: int) -> IndexFile:
    if size == 0 or not path.exists():
        return IndexFile(path, None, 0)
    view = Index.restore(str(path), view=True)
    if view is None:
        return IndexFile(path, None, 0)
    view.expansion_search = EXPANSION
    return IndexFile(path, view, len(view))
