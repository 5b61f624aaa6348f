"""The pipeline: ingest → clean → fingerprint → candidates → align → relate, over a store.

These functions are the Python API; the CLI (and later the service and the Spark executor)
call them.  Stages are pure functions over records; this module only orders them, and the
executor decides where they run.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newstrace.executors.local import map_items
from newstrace.report.annotate import annotate_changes
from newstrace.stages.candidates import fingerprint, find_candidates
from newstrace.stages.clean import clean, recurring_lines
from newstrace.stages.ingest import detect_language, read_inputs
from newstrace.stages.relate import relate
from newstrace.store import Store, content_hash
from newstrace.types import Document, InputError, Relation

__all__ = ["IndexStats", "ScanResult", "index_add", "link", "scan", "trace"]

log = logging.getLogger(__name__)

BATCH = 1000  # documents or pairs per transaction


@dataclass(slots=True)
class IndexStats:
    """What an ``index add`` did: nothing given is dropped without being counted here."""

    read: int = 0
    added: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[InputError] = field(default_factory=list)


@dataclass(slots=True)
class ScanResult:
    documents: list[Document]
    relations: list[Relation]
    errors: list[InputError]
    stats: dict[str, float | int] = field(default_factory=dict)


def _prepare(doc: Document, recurring: frozenset[int]) -> tuple[Document, object]:
    clean(doc, recurring)
    if not doc.language:
        doc.language = detect_language(doc.text)
    return doc, fingerprint(doc)


def _prepare_task(args: tuple[Document, frozenset[int]]) -> tuple[Document, object]:
    return _prepare(*args)


def index_add(store: Store, paths: Sequence[str | Path], *, workers: int | None = None,
              progress: bool = False) -> IndexStats:
    """Read, clean and fingerprint the articles under ``paths`` and add them to ``store``.

    Re-adding an unchanged document does nothing; a changed one replaces the old version.
    Lines recurring across the documents of this batch are removed as boilerplate.
    """
    stats = IndexStats()
    docs: list[Document] = []
    seen: set[str] = set()
    for item in read_inputs(paths):
        if isinstance(item, InputError):
            stats.errors.append(item)
            log.debug("skipped %s", item)
            continue
        stats.read += 1
        if item.id in seen:
            stats.errors.append(InputError(item.path or item.id, f"duplicate document id {item.id!r}: kept the first"))
            continue
        seen.add(item.id)
        docs.append(item)
    stats.skipped = len(stats.errors)
    stored = store.stored_hashes()
    fresh = [d for d in docs if stored.get(d.id) != content_hash(d)]
    stats.unchanged = len(docs) - len(fresh)
    recurring = recurring_lines(docs)
    # Committed in batches: a crash loses at most one batch, and a re-run skips what is stored.
    for i in range(0, len(fresh), BATCH):
        batch = fresh[i : i + BATCH]
        prepared = list(map_items(_prepare_task, [(d, recurring) for d in batch],
                                  workers=_workers(workers, len(batch)),
                                  progress=f"cleaning {i + len(batch)}/{len(fresh)}" if progress else None,
                                  chunksize=16))
        stats.added += store.put_documents(prepared)  # type: ignore[arg-type]
    return stats


def _relate_task(task: tuple[Document, Document, bool]) -> Relation | None:
    a, b, with_changes = task
    relation = relate(a, b)
    if relation is not None and with_changes and a.language == b.language:
        relation = annotate_changes([a, b], [relation])[0]
    return relation


def _workers(workers: int | None, n: int) -> int:
    # Process start-up costs more than a few dozen small jobs.
    return 1 if n < 40 else (workers or 0) or __import__("os").cpu_count() or 1


def link(store: Store, *, only: set[str] | None = None, workers: int | None = None,
         progress: bool = False, changes: bool = True) -> list[Relation]:
    """Find candidates among stored documents, align the pairs not yet compared, store relations.

    With ``only``, just the pairs involving those ids are considered.  With ``changes``, every
    aligned passage carries what the rewrite changed (``newstrace.stages.changes``).
    """
    fps = store.get_fingerprints()
    pairs = find_candidates(fps)
    done = store.checked()
    todo = sorted(p for p in pairs if p not in done and (only is None or p[0] in only or p[1] in only))
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        docs = {d.id: d for d in store.get_documents(sorted({x for p in batch for x in p}))}
        relations = [r for r in map_items(_relate_task, [(docs[a], docs[b], changes) for a, b in batch],
                                          workers=_workers(workers, len(batch)),
                                          progress=f"aligning {i + len(batch)}/{len(todo)}" if progress else None)
                     if r is not None]
        store.put_relations(batch, relations)
    return store.get_relations()


def scan(paths: Sequence[str | Path], *, db: str | Path | None = None, workers: int | None = None,
         progress: bool = False, changes: bool = True) -> ScanResult:
    """One-shot: index everything under ``paths`` (into ``db`` or a temporary store) and relate it."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db or Path(tmp) / "scan.db")
        try:
            stats = index_add(store, paths, workers=workers, progress=progress)
            t1 = time.perf_counter()
            relations = link(store, workers=workers, progress=progress, changes=changes)
            documents = store.get_documents()
        finally:
            store.close()
    t2 = time.perf_counter()
    return ScanResult(documents, relations, stats.errors, {
        "documents": len(documents), "read": stats.read, "added": stats.added, "unchanged": stats.unchanged,
        "skipped": stats.skipped, "relations": len(relations),
        "seconds_ingest": round(t1 - t0, 3), "seconds_relate": round(t2 - t1, 3), "seconds": round(t2 - t0, 3)})


def trace(store: Store, path: str | Path, *, workers: int | None = None, changes: bool = True) -> ScanResult:
    """The sources of one article against an index, without adding it to the index."""
    errors: list[InputError] = []
    queries: list[Document] = []
    for item in read_inputs([path]):
        (errors if isinstance(item, InputError) else queries).append(item)  # type: ignore[arg-type]
    relations: list[Relation] = []
    indexed = store.get_fingerprints()
    for q in queries:
        q.id = f"query:{q.id}"
        _prepare(q, frozenset())
        fp = fingerprint(q)
        pairs = find_candidates(indexed, queries=[fp])
        others = {d.id: d for d in store.get_documents(sorted({i for p in pairs for i in p if i != q.id}))}
        found = map_items(_relate_task, [(others[i], q, changes) for p in sorted(pairs) for i in p if i != q.id],
                          workers=_workers(workers, len(pairs)))
        relations.extend(r for r in found if r is not None)
    return ScanResult(queries, relations, errors, {"documents": len(queries), "relations": len(relations)})
