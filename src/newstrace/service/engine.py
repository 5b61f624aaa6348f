"""The one adapter between the service and the pipeline: the work that runs off the event loop.

The service calls the same functions as the CLI on ``Document``s built from the request
(``newstrace.service.uploads``): ``pipeline.add_documents`` then ``pipeline.link`` for an
upload job, ``pipeline.trace_documents`` for a trace, ``pipeline.relate_pairs`` for a
compare.  Nothing is staged on disk.  The functions here are module-level and take plain,
picklable arguments, because they run in the writer process and the worker pool.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from newstrace.executors.local import LocalExecutor
from newstrace.pipeline import (
    ScanResult,
    add_documents,
    link_pending,
    organise,
    relate_pairs,
    trace_documents,
)
from newstrace.service.uploads import Upload, document_from_record, read_records, read_uploads
from newstrace.stages.vectors import Vectors, embed_texts, models_for
from newstrace.store import Store
from newstrace.types import Document, InputError

__all__ = [
    "CHUNK_DOCUMENTS",
    "AddOutcome",
    "AddRequest",
    "TraceRequest",
    "add_in_chunks",
    "compare_stored",
    "die_with_parent",
    "reader_store",
    "run_add_job",
    "start_worker",
    "trace_request",
    "warm_up",
    "worker_pid",
    "writer_store",
]

log = logging.getLogger(__name__)

# Documents per committed chunk of an upload job.  ``add_documents`` commits every 16
# documents; a job reports a chunk's articles as committed only after the chunk returns, so a
# kill -9 loses at most one chunk of work and never misreports one.  100 keeps a progress step
# under ~2 s on the 2-core dev machine (BBC articles, lexical settings) while the per-chunk
# overhead (reading the stored hashes and the store's raw documents for boilerplate) stays
# small next to the chunk's cleaning.
CHUNK_DOCUMENTS = 100


@dataclass(frozen=True, slots=True)
class AddRequest:
    """What an upload job adds: a JSON batch's records or uploaded files (sent to the writer as is)."""

    records: tuple[dict[str, Any], ...] = ()
    files: tuple[Upload, ...] = ()

    def read(self) -> Iterator[Document | InputError]:
        """The documents (and unreadable inputs) in order, read lazily chunk by chunk."""
        yield from read_records(self.records)
        yield from read_uploads(self.files)


@dataclass(frozen=True, slots=True)
class TraceRequest:
    """The article to trace: a JSON record (``text`` or ``html`` and metadata) or one file."""

    record: dict[str, Any] | None = None
    file: Upload | None = None


@dataclass(slots=True)
class AddOutcome:
    """What an upload did so far: counts, the ids committed, the inputs skipped and why."""

    read: int = 0
    added: int = 0
    replaced: int = 0  # of the added: new versions of stored documents (an id sent again with another text)
    unchanged: int = 0
    skipped: int = 0
    committed: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    relations: int = 0
    families: int = 0
    stories: int = 0


def _chunks(items: Iterable[Document | InputError], out: AddOutcome, size: int) -> Iterator[tuple[list[Document], int]]:
    """Documents ``size`` at a time with the inputs consumed so far; unreadable inputs and
    repeated ids (across the whole upload, not just a chunk) go to ``out.errors``."""
    seen: set[str] = set()
    chunk: list[Document] = []
    consumed = 0
    for item in items:
        consumed += 1
        if isinstance(item, InputError):
            out.errors.append(item)
            out.skipped += 1
        elif item.id in seen:
            out.errors.append(InputError(item.id, f"duplicate document id {item.id!r} in the upload: kept the first"))
            out.skipped += 1
        else:
            seen.add(item.id)
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk, consumed
                chunk = []
    if chunk:
        yield chunk, consumed


def add_in_chunks(store: Store, items: Iterable[Document | InputError], *, changes: bool, semantic: bool,
                  link_after: bool = True, chunk_size: int = CHUNK_DOCUMENTS,
                  on_chunk: Callable[[AddOutcome, int], None] | None = None,
                  on_linking: Callable[[], None] | None = None) -> AddOutcome:
    """Add documents with ``pipeline.add_documents`` one chunk at a time, then relate what is new
    and rebuild the families and stories, as ``newstrace index add`` does.

    ``on_chunk(outcome, consumed)`` is called after each chunk is committed (``consumed``
    inputs read so far) so the caller can record progress and the ids committed
    (``IndexStats.added_ids``).  Linking is ``pipeline.link`` over every pair not compared
    yet, then ``pipeline.organise``, so re-posting after an interrupted job finishes what the
    interruption left undone.
    """
    out = AddOutcome()
    chunks = 0
    for docs, consumed in _chunks(items, out, chunk_size):
        chunks += 1
        stats = add_documents(store, docs, workers=1, forensics=changes, static_vectors=semantic)
        out.read += stats.read
        out.added += stats.added
        out.replaced += stats.replaced
        out.unchanged += stats.unchanged
        out.skipped += stats.skipped
        out.errors.extend(stats.errors)
        out.committed.extend(stats.added_ids)
        if on_chunk is not None:
            on_chunk(out, consumed)
    if on_chunk is not None and not chunks:  # only unreadable inputs, or nothing
        on_chunk(out, out.skipped)
    if link_after:
        if on_linking is not None:
            on_linking()
        link_pending(store, workers=1, changes=changes, semantic=semantic)  # the new documents
        families, stories = organise(store, workers=1, changes=changes)
        out.relations = store.relation_count()  # with organise's
        out.families, out.stories = len(families), len(stories)
    return out


def run_add_job(db: str, job_id: str, request: AddRequest, changes: bool, semantic: bool) -> None:
    """An upload job on the single writer (a process of its own, or a thread in tests).

    Chunks are committed one by one; after each, the job row records the progress and the ids
    committed, so a kill loses at most the chunk in flight and never misreports one.
    """
    from newstrace.service import search
    from newstrace.service.jobs import JobStore

    store = writer_store(db)
    jobs = JobStore(store.conn)
    job = jobs.get(job_id)
    if job is None:
        return
    try:
        jobs.update(job, status="running")

        def counts(out: AddOutcome) -> dict[str, Any]:
            return {"read": out.read, "added": out.added, "replaced": out.replaced, "unchanged": out.unchanged,
                    "skipped": out.skipped,
                    "committed": out.committed, "errors": [{"input": e.path, "reason": e.reason} for e in out.errors]}

        def on_chunk(out: AddOutcome, consumed: int) -> None:
            jobs.update(job, done=min(consumed, job.total), **counts(out))

        out = add_in_chunks(store, request.read(), changes=changes, semantic=semantic, chunk_size=CHUNK_DOCUMENTS,
                            on_chunk=on_chunk,
                            on_linking=lambda: jobs.update(job, status="linking"))
        search.sync(store.conn)
        jobs.update(job, status="done", done=job.total, **counts(out), relations_in_index=out.relations,
                    families_in_index=out.families, stories_in_index=out.stories,
                    message=f"read {out.read}, added {out.added}"
                            + (f" ({out.replaced} replacing an earlier version)" if out.replaced else "")
                            + f", unchanged {out.unchanged}, skipped {out.skipped}")
    except Exception as exc:
        log.exception("upload job %s failed", job_id)
        jobs.update(job, status="failed", message=f"{type(exc).__name__}: {exc}")


def die_with_parent(parent: int) -> None:
    """Worker-process initializer: on Linux, the kernel kills the worker when the server dies
    (even by kill -9), so no orphan goes on writing to the store after a restart.

    ``parent`` is the server's pid: a server killed while the worker was still starting (before
    the request to the kernel) is noticed by the worker itself, which then exits.  Linux sends
    the signal when the *thread* that started the worker ends: under uvicorn that is the main
    thread; under a test client it is a thread of its own, and ``Service.stop`` kills the
    workers itself.
    """
    import ctypes
    import signal as _signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(_signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers exit when their pipe closes
        pass
    if os.getppid() != parent:
        os._exit(1)


def start_worker(parent: int, db: str, changes: bool, semantic: bool) -> None:
    """Initializer of the read pool's worker processes: :func:`die_with_parent`, then
    :func:`warm_up`, so the first trace a worker serves does not wait for the models."""
    die_with_parent(parent)
    warm_up(db, changes=changes, semantic=semantic)


def warm_up(db: str, *, changes: bool, semantic: bool) -> None:
    """Load in this process what a trace or compare will need: the language model, with
    ``changes`` the analysis's resources (WordNet, spaCy, the context-sense encoder) and with
    ``semantic`` the sentence encoders the store's languages call for.

    Each is loaded once per process on first use anyway; a worker that loads them as it starts
    answers its first trace in the time of any other (the sample articles' index: 3.3 s for a
    cold worker's first trace, 0.06 s after).  A resource that fails to load is left for the
    request itself to report, as without the warm-up.
    """
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.ingest.language import load_language_model
    from newstrace.stages.vectors import models_of

    try:
        load_language_model()
        if changes:
            from newstrace.stages.changes import checks_off
            from newstrace.stages.changes.diff import diff_passage
            from newstrace.stages.signature import rewrite_signature

            checks_off()
            # The analysis's first use also reads WordNet's index and warms spaCy's pipeline.
            diff_passage(*_WARM_UP_PAIR)
            rewrite_signature(_WARM_UP_PAIR[0], _WARM_UP_PAIR[0], [], language="en", deep=True)
        if semantic:
            for name in models_of(reader_store(db)):
                get_embedder(name, threads=1).encode(["warm-up"])  # trace_documents' workers=1
    except Exception as exc:  # the request that needs it reports it
        log.warning("warm-up of a worker stopped: %s", exc)


#: Two made-up sentences the warm-up analyses (a rewording, a changed date, a dropped hedge).
_WARM_UP_PAIR = ("The council reportedly approved the new tram line on Tuesday, officials said.",
                 "The city council endorsed the new tram line on Monday, officials said.")


def worker_pid() -> int:
    """This process's id (a task the service submits to start each worker of its pool)."""
    return os.getpid()


# -- reading: trace and compare in the worker pool -----------------------------------------------

_local = threading.local()


def _opened_store(path: str) -> Store:
    """A read connection that skips the start-up check (``Store(opened=True)``): every new
    request thread would otherwise queue behind the writer's transactions just to open it."""
    return Store(path, opened=True)


def _thread_store(db: str, kind: str, make: Callable[[str], Store]) -> Store:
    stores: dict[tuple[str, str], Store] | None = getattr(_local, "stores", None)
    if stores is None:
        stores = {}
        _local.stores = stores
    store = stores.get((db, kind))
    if store is None:
        store = make(db)
        stores[(db, kind)] = store
    return store


def reader_store(db: str) -> Store:
    """This thread's (or process's) connection for reads, opened once without taking the write
    lock (the service opened the store as a ``Store`` at start-up)."""
    return _thread_store(db, "read", _opened_store)


def writer_store(db: str) -> Store:
    """The writer's connection: a full ``Store`` (it may be the first to open a new file)."""
    return _thread_store(db, "write", Store)


def trace_request(db: str, request: TraceRequest, changes: bool, semantic: bool) -> ScanResult:
    """``pipeline.trace_documents`` of a submitted article (module-level: runs in a worker process)."""
    items: list[Document | InputError] = []
    if request.record is not None:
        items.append(document_from_record(request.record, path="upload:submitted"))
    if request.file is not None:
        items.extend(read_uploads([request.file]))
    docs = [x for x in items if isinstance(x, Document)]
    errors = [x for x in items if isinstance(x, InputError)]
    if not docs:
        return ScanResult([], [], errors, {"documents": 0, "relations": 0})
    result = trace_documents(reader_store(db), docs, workers=1, changes=changes, semantic=semantic)
    result.errors = errors + result.errors
    return result


def compare_stored(db: str, a: str, b: str, changes: bool, semantic: bool) -> ScanResult | None:
    """Two stored documents related as ``newstrace compare`` relates two files (forced as a
    candidate, lexical then semantic), on the index's own cleaning of them, so the passages'
    offsets are those of ``GET /api/documents/{id}``; None if one is missing."""
    t0 = time.perf_counter()
    docs = {d.id: d for d in reader_store(db).get_documents([a, b])}
    if a not in docs or b not in docs:
        return None
    languages = {i: d.language for i, d in docs.items()}
    vectors: Vectors = {}
    if semantic:
        pair = [docs[a], docs[b]]
        vectors = {name: dict(zip((a, b), embed_texts(name, pair, threads=1), strict=True))
                   for name in models_for(languages)}
    first, second = sorted((a, b))
    relations = relate_pairs(docs, [(first, second)], vectors, languages, changes=changes,
                             executor=LocalExecutor(1))
    return ScanResult([docs[a], docs[b]], relations, [],
                      {"documents": 2, "skipped": 0, "relations": len(relations),
                       "seconds": round(time.perf_counter() - t0, 3)})
