"""The one adapter between the service and the pipeline: everything that touches files lives here.

The service calls the same functions as the CLI (``pipeline.index_add``, ``pipeline.link``,
``pipeline.trace``, ``compare.compare``).  Those read articles from paths, so until the
pipeline takes already-read ``Document`` objects (``pipeline.add_documents`` /
``trace_documents``), an upload is written into a *private* staging directory this module
creates (mode 0700, under the service's own upload root) and deletes itself.  No request ever
names a server path: file names from clients are reduced to a safe base name, and only the
suffix chooses the reader.  Switching to the document-taking functions at merge touches only
this module.

Families and stories are built by other stages; ``Groups`` reads them when the store holds
them and says clearly when it does not, so the endpoints light up once those tables exist.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import xxhash

from newstrace.compare import compare
from newstrace.pipeline import ScanResult, index_add, link, trace
from newstrace.stages.ingest import SUPPORTED_SUFFIXES
from newstrace.store import Store
from newstrace.types import Document, InputError

__all__ = [
    "ACCEPTED_SUFFIXES",
    "AddOutcome",
    "Groups",
    "StagedChunk",
    "Upload",
    "UploadError",
    "add_staged",
    "compare_stored",
    "die_with_parent",
    "document_id_for",
    "reader_store",
    "run_add_job",
    "stage_records",
    "stage_uploads",
    "staging_dir",
    "trace_upload",
]

log = logging.getLogger(__name__)

ACCEPTED_SUFFIXES: tuple[str, ...] = tuple(SUPPORTED_SUFFIXES)
# Documents per committed chunk of an upload job.  index_add commits a chunk in one
# transaction; a job reports a chunk's articles as committed only after that commit, so a
# kill -9 loses at most one chunk of work.  100 keeps a progress step under ~2 s on the
# 2-core dev machine (BBC articles, lexical settings) while the per-chunk overhead (reading
# the stored hashes) stays below 5% of the chunk's time.
CHUNK_DOCUMENTS = 100
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(ValueError):
    """An upload that cannot be accepted: names the input and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as a client sent it: only its base name and bytes are used."""

    name: str
    data: bytes


def safe_name(name: str) -> str:
    """The client's file name reduced to a safe base name with a supported suffix.

    Raises:
        UploadError: no usable name or an unsupported suffix.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".")
    if not cleaned:
        raise UploadError(name or "(no name)", "file name is empty")
    lower = cleaned.lower()
    if not any(lower.endswith(s) for s in ACCEPTED_SUFFIXES):
        raise UploadError(name, f"unsupported file type (supported: {', '.join(ACCEPTED_SUFFIXES)})")
    return cleaned[:200]


def document_id_for(record: dict[str, Any]) -> str:
    """The id of a JSON record without one: a hash of its content, so re-posting is idempotent."""
    body = str(record.get("text") or record.get("html") or "")
    return f"doc-{xxhash.xxh64_hexdigest(body.encode('utf-8'))}"


# -- staging ---------------------------------------------------------------------------------


@contextmanager
def staging_dir(root: Path) -> Iterator[Path]:
    """A fresh private directory under ``root``, removed on exit whatever happens."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = Path(tempfile.mkdtemp(prefix="stage-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(slots=True)
class StagedChunk:
    """One directory of staged inputs, indexed and committed as one unit."""

    directory: Path
    count: int  # articles (records or files) it holds, for progress
    # JSONL parts: name in the chunk -> (original upload name, line offset) to report errors
    # against the file the client sent.
    line_offsets: dict[str, tuple[str, int]] = field(default_factory=dict)


def _new_chunk(root: Path, chunks: list[StagedChunk]) -> StagedChunk:
    d = root / f"c{len(chunks):05d}"
    d.mkdir(mode=0o700)
    chunk = StagedChunk(d, 0)
    chunks.append(chunk)
    return chunk


def stage_records(records: Sequence[dict[str, Any]], root: Path, chunk_size: int = CHUNK_DOCUMENTS) -> list[StagedChunk]:
    """Write JSON-batch records as JSONL chunks (the JSONL input format) under ``root``."""
    chunks: list[StagedChunk] = []
    for i in range(0, len(records), chunk_size):
        part = records[i : i + chunk_size]
        chunk = _new_chunk(root, chunks)
        lines = [json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) for r in part]
        (chunk.directory / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        chunk.count = len(part)
        chunk.line_offsets["batch.jsonl"] = ("documents", i)
    return chunks


def stage_uploads(files: Sequence[Upload], root: Path, chunk_size: int = CHUNK_DOCUMENTS) -> list[StagedChunk]:
    """Write uploaded files into chunk directories; JSONL files are split by lines.

    Raises:
        UploadError: a file name is unusable, or two files have the same name (their ids
            would collide).
    """
    names = [safe_name(f.name) for f in files]
    seen: set[str] = set()
    for original, name in zip(files, names, strict=True):
        if name in seen:
            raise UploadError(original.name, "two files with this name in one upload (ids are file names)")
        seen.add(name)
    chunks: list[StagedChunk] = []
    current: StagedChunk | None = None
    for upload, name in zip(files, names, strict=True):
        if name.lower().endswith(".jsonl"):
            lines = upload.data.splitlines(keepends=True)
            for i in range(0, max(1, len(lines)), chunk_size):
                part = lines[i : i + chunk_size]
                chunk = _new_chunk(root, chunks)
                (chunk.directory / name).write_bytes(b"".join(_with_line_id(x, name, i + n + 1) for n, x in enumerate(part)))
                chunk.count = sum(1 for x in part if x.strip())
                chunk.line_offsets[name] = (name, i)
            current = None
            continue
        if current is None or current.count >= chunk_size:
            current = _new_chunk(root, chunks)
        (current.directory / name).write_bytes(upload.data)
        current.count += 1
    return chunks


def _with_line_id(line: bytes, name: str, number: int) -> bytes:
    """A JSONL line keeps the id it would have had in the whole file (``name#line``)."""
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return line
    if isinstance(record, dict) and record.get("id") in (None, ""):
        record["id"] = f"{name}#{number}"
        return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
    return line


def _client_error(e: InputError, chunk: StagedChunk) -> InputError:
    """An input error as the client knows the input: no staging path, original line numbers."""
    where = e.path.replace(str(chunk.directory) + os.sep, "")
    m = re.fullmatch(r"(.+):(\d+)", where)
    if m and m.group(1) in chunk.line_offsets:
        original, offset = chunk.line_offsets[m.group(1)]
        where = f"{original}:{int(m.group(2)) + offset}"
    return InputError(where, e.reason)


# -- writing: index_add per chunk, then link ---------------------------------------------------


@dataclass(slots=True)
class AddOutcome:
    read: int = 0
    added: int = 0
    unchanged: int = 0
    skipped: int = 0
    committed: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    relations: int = 0


def add_staged(store: Store, chunks: Sequence[StagedChunk], *, changes: bool, semantic: bool, link_after: bool = True,
               on_chunk: Callable[[AddOutcome, int], None] | None = None,
               on_linking: Callable[[], None] | None = None) -> AddOutcome:
    """Index the staged chunks one committed transaction at a time, then relate what is new.

    ``on_chunk(outcome, done)`` is called after each chunk is committed (``done`` articles
    processed so far) so the caller can record progress and the ids committed.  Linking is
    ``pipeline.link`` over every pair not compared yet, so re-posting after an interrupted job
    finishes the comparisons the interruption left undone.
    """
    out = AddOutcome()
    done = 0
    for chunk in chunks:
        stats = index_add(store, [chunk.directory], workers=1, forensics=changes)
        fresh = sorted(stats.added_ids)
        # Adapter-only: index_add records the staging path; the stored path names the upload.
        with store.transaction() as c:
            c.executemany("UPDATE documents SET path = ? WHERE id = ?", [(f"upload:{i}", i) for i in fresh])
        out.read += stats.read
        out.added += stats.added
        out.unchanged += stats.unchanged
        out.skipped += stats.skipped
        out.errors.extend(_client_error(e, chunk) for e in stats.errors)
        out.committed.extend(fresh)
        done += chunk.count
        if on_chunk is not None:
            on_chunk(out, done)
    if link_after:
        if on_linking is not None:
            on_linking()
        out.relations = len(link(store, workers=1, changes=changes, semantic=semantic))
    return out


def run_add_job(db: str, job_id: str, stage: Path, chunks: list[StagedChunk], changes: bool, semantic: bool) -> None:
    """An upload job on the single writer (a process of its own, or a thread in tests).

    Chunks are committed one by one; after each, the job row records the progress and the ids
    committed, so a kill loses at most the chunk in flight and never misreports one.
    """
    from newstrace.service import search
    from newstrace.service.jobs import JobStore

    store = reader_store(db)
    jobs = JobStore(store.conn)
    job = jobs.get(job_id)
    if job is None:
        shutil.rmtree(stage, ignore_errors=True)
        return
    try:
        jobs.update(job, status="running")

        def on_chunk(out: AddOutcome, done: int) -> None:
            jobs.update(job, done=done, read=out.read, added=out.added, unchanged=out.unchanged,
                        skipped=out.skipped, committed=out.committed,
                        errors=[{"input": e.path, "reason": e.reason} for e in out.errors])

        out = add_staged(store, chunks, changes=changes, semantic=semantic, on_chunk=on_chunk,
                         on_linking=lambda: jobs.update(job, status="linking"))
        search.sync(store.conn)
        jobs.update(job, status="done", done=job.total, relations_in_index=out.relations,
                    message=f"read {out.read}, added {out.added}, unchanged {out.unchanged}, skipped {out.skipped}")
    except Exception as exc:
        log.exception("upload job %s failed", job_id)
        jobs.update(job, status="failed", message=f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def die_with_parent(parent: int) -> None:
    """Worker-process initializer: on Linux, the kernel kills the worker when the server dies
    (even by kill -9), so no orphan goes on writing to the store after a restart.

    ``parent`` is the server's pid: a server killed while the worker was still starting (before
    the request to the kernel) is noticed by the worker itself, which then exits.
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


# -- reading: trace and compare in the worker pool -----------------------------------------------

_local = threading.local()


def reader_store(db: str) -> Store:
    """This thread's (or process's) connection to the store, opened once."""
    stores: dict[str, Store] | None = getattr(_local, "stores", None)
    if stores is None:
        stores = {}
        _local.stores = stores
    store = stores.get(db)
    if store is None:
        store = Store(db)
        stores[db] = store
    return store


def trace_upload(db: str, upload: Upload, upload_root: str, changes: bool, semantic: bool) -> ScanResult:
    """``pipeline.trace`` of one uploaded article (module-level: runs in a worker process)."""
    name = safe_name(upload.name)
    with staging_dir(Path(upload_root)) as tmp:
        path = tmp / name
        path.write_bytes(upload.data)
        result = trace(reader_store(db), path, workers=1, changes=changes, semantic=semantic)
    for d in result.documents:
        d.path = f"upload:{name}"
    result.errors[:] = [InputError(name, e.reason) for e in result.errors]
    return result


def compare_stored(db: str, a: str, b: str, upload_root: str, changes: bool) -> ScanResult | None:
    """``compare.compare`` of two stored documents (re-read from their stored text), or None if one is missing."""
    docs = {d.id: d for d in reader_store(db).get_documents([a, b])}
    if a not in docs or b not in docs:
        return None
    with staging_dir(Path(upload_root)) as tmp:
        paths = []
        for n, doc in enumerate((docs[a], docs[b])):
            p = tmp / f"{n}.jsonl"
            record = {"id": doc.id, "text": doc.raw, "title": doc.title, "url": doc.url, "published": doc.published}
            p.write_text(json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False) + "\n",
                         encoding="utf-8")
            paths.append(p)
        result = compare(paths[0], paths[1], changes=changes)
    for d in result.documents:
        d.path = docs[d.id].path if d.id in docs else None
    return result


# -- families and stories ----------------------------------------------------------------------


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
        if not self.available(kind):
            return []
        cur = self.conn.execute(f"SELECT * FROM {kind} ORDER BY id LIMIT ? OFFSET ?", (limit, offset))
        return [self._row(cur, r) for r in cur.fetchall()]

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
