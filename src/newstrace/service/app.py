"""The FastAPI application: the REST API, the web app's routes and the service's runtime.

Concurrency model: SQLite in WAL mode, one writer and many readers.  Every write (an upload
job, the search index) runs on a single writer thread with its own connection, one committed
chunk at a time; reads use a connection per request thread.  Alignment and embedding (trace,
compare) run in a worker pool (processes by default) and are awaited with a time limit, so the
event loop only parses requests and sends responses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from multiprocessing import get_context
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from newstrace import __version__
from newstrace.pipeline import ScanResult
from newstrace.report.html import render_html
from newstrace.report.output import to_dict
from newstrace.service import engine, search
from newstrace.service.auth import COOKIE, bearer, token_matches
from newstrace.service.config import ServiceConfig
from newstrace.service.jobs import Job, JobStore
from newstrace.service.limits import BodyLimit, BodyTooLargeError
from newstrace.service.metrics import Metrics
from newstrace.store import Store, relation_to_dict

__all__ = ["ApiError", "DocumentIn", "DocumentsBatch", "Service", "TraceIn", "create_app"]

log = logging.getLogger(__name__)
T = TypeVar("T")

TRACE_CACHE_SIZE = 64  # recent trace results kept for the web app's pair pages


class ApiError(Exception):
    """A request the service refuses: the status and a message naming the problem."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.headers = headers or {}


# -- request schemas ---------------------------------------------------------------------------


class DocumentIn(BaseModel):
    """One article: the fields of the JSONL input (docs/output.md)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=1000, description="the article's id; a content hash when absent")
    text: str | None = Field(None, description="the article's plain text")
    html: str | None = Field(None, description="the article's web page (main text extracted)")
    url: str | None = None
    title: str | None = None
    published: str | None = Field(None, description="publication date, any common form")

    @model_validator(mode="after")
    def _has_body(self) -> DocumentIn:
        if not (self.text and self.text.strip()) and not (self.html and self.html.strip()):
            raise ValueError("needs a non-empty 'text' or 'html'")
        return self


class DocumentsBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(min_length=1)


class TraceIn(BaseModel):
    """The article to trace: ``text`` or ``html``, with optional metadata."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    html: str | None = None
    id: str | None = Field(None, max_length=1000)
    url: str | None = None
    title: str | None = None
    published: str | None = None

    @model_validator(mode="after")
    def _has_body(self) -> TraceIn:
        if not (self.text and self.text.strip()) and not (self.html and self.html.strip()):
            raise ValueError("needs a non-empty 'text' or 'html'")
        return self


def _problems(exc: ValidationError | RequestValidationError) -> list[str]:
    out = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        msg = str(e.get("msg", "invalid"))
        if e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            msg = f"malformed JSON: {ctx.get('error', msg)}"
        out.append(f"{loc or 'body'}: {msg}")
    return out


# -- the service's runtime ---------------------------------------------------------------------


class TraceCache:
    """The last few trace results, so the web app can show a traced article's pairs."""

    def __init__(self, size: int = TRACE_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, ScanResult] = OrderedDict()
        self._lock = Lock()
        self._n = 0

    def put(self, result: ScanResult) -> str:
        with self._lock:
            self._n += 1
            key = f"t{int(time.time() * 1000):x}{self._n:x}"
            self._items[key] = result
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return key

    def get(self, key: str) -> ScanResult | None:
        with self._lock:
            return self._items.get(key)

    def __len__(self) -> int:
        return len(self._items)


class Service:
    """What the routes share: settings, pools, metrics, the trace cache."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.db = str(config.db)
        self.metrics = Metrics()
        self.traces = TraceCache()
        self.writer: Executor | None = None
        self.pool: Executor | None = None
        self.started = time.time()
        self.pending = 0  # traces and compares queued or running (event loop only: no lock needed)
        self.slots: asyncio.Semaphore | None = None  # one per worker: the pool is never oversubscribed

    # lifecycle

    def start(self) -> None:
        self.slots = asyncio.Semaphore(self.config.workers)
        self._startup()
        self.writer = self._new_writer()
        self.pool = self._new_pool()

    def _new_pool(self) -> Executor:
        if self.config.pool == "process":
            return ProcessPoolExecutor(max_workers=self.config.workers, mp_context=get_context("spawn"),
                                       initializer=engine.die_with_parent, initargs=(os.getpid(),))
        return ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="newstrace-worker")

    def _new_writer(self) -> Executor:
        """The single writer: a process of its own (its CPU work never holds this process's GIL,
        so reads keep answering while it indexes), or a thread with ``pool="thread"``."""
        if self.config.pool == "process":
            return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=engine.die_with_parent,
                                       initargs=(os.getpid(),))
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="newstrace-writer")

    def stop(self) -> None:
        """Stop without waiting for work in flight: a running upload job stops with the server
        and shows as interrupted at the next start, ready to be re-posted."""
        for executor in (self.pool, self.writer):
            if executor is None:
                continue
            executor.shutdown(wait=False, cancel_futures=True)
            # CPython keeps a process pool's workers in ``_processes`` (3.14 adds kill_workers()).
            for proc in list((getattr(executor, "_processes", None) or {}).values()):
                proc.kill()

    def _startup(self) -> None:
        store = Store(self.db)
        JobStore.ensure_schema(store.conn)
        search.ensure_schema(store.conn)
        n = JobStore(store.conn).mark_interrupted()
        if n:
            log.warning("%d upload job(s) were interrupted by the last shutdown: re-post them to complete", n)
        # Staging directories of interrupted jobs: their committed articles are in the store.
        shutil.rmtree(self.config.upload_root, ignore_errors=True)
        self.config.upload_root.mkdir(mode=0o700, exist_ok=True)
        search.sync(store.conn)
        store.close()

    # stores

    def read_store(self) -> Store:
        return engine.reader_store(self.db)

    # work

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU work in the pool.

        Requests wait for a free worker in the event loop (cancellable, costing nothing), at most
        ``max_pending`` of them (then 503); the time limit counts from the moment the work starts,
        so a burst of requests is served in turn instead of timing out in the queue.  A worker
        stays reserved until its work really ends, even when the client was answered 504.
        """
        assert self.pool is not None and self.slots is not None
        if self.pending >= self.config.max_pending:
            raise ApiError(503, f"busy: {self.pending} traces or compares are waiting (serve --max-pending); retry shortly",
                           headers={"Retry-After": "1"})
        loop = asyncio.get_running_loop()
        self.pending += 1
        try:
            await self.slots.acquire()
            slots = self.slots
            try:
                cf = self.pool.submit(fn, *args)
            except BaseException:
                slots.release()
                raise

            def free(_: object) -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(slots.release)

            cf.add_done_callback(free)
            return await asyncio.wait_for(asyncio.wrap_future(cf), self.config.request_timeout)
        except TimeoutError:
            raise ApiError(504, f"the request took longer than the limit of {self.config.request_timeout:g} s "
                                "(serve --request-timeout)") from None
        except BrokenProcessPool:
            self.pool = self._new_pool()
            raise ApiError(503, "a worker process died; the pool was restarted: retry the request") from None
        finally:
            self.pending -= 1

    async def submit(self, kind: str, total: int, stage: Callable[[Path], list[engine.StagedChunk]],
                     inputs: list[str] | None) -> tuple[Job, asyncio.Future[None]]:
        """Stage an upload in a private directory and queue its job on the writer thread."""
        stage_dir = self.config.upload_root / f"job-{time.time_ns():x}"
        stage_dir.mkdir(mode=0o700, parents=True)
        try:
            chunks = await asyncio.to_thread(stage, stage_dir)
        except engine.UploadError as exc:
            shutil.rmtree(stage_dir, ignore_errors=True)
            raise ApiError(422, str(exc)) from None
        except BaseException:
            shutil.rmtree(stage_dir, ignore_errors=True)
            raise
        total = sum(c.count for c in chunks) or total
        job = JobStore(self.read_store().conn).create(kind, total, {"inputs": inputs[:50]} if inputs else {})
        fut = asyncio.get_running_loop().run_in_executor(self.writer, engine.run_add_job, self.db, job.id, stage_dir,
                                                         chunks, self.config.changes, self.config.semantic)
        fut.add_done_callback(lambda f: self._job_ended(job.id, f))
        return job, fut

    def _job_ended(self, job_id: str, fut: asyncio.Future[None]) -> None:
        """A writer that died (a killed or crashed process) leaves its job failed, and is replaced."""
        exc = fut.exception() if not fut.cancelled() else None
        if exc is None:
            return
        log.error("upload job %s: the writer failed: %s", job_id, exc)
        if isinstance(exc, BrokenProcessPool):
            self.writer = self._new_writer()
        try:
            jobs = JobStore(self.read_store().conn)
            job = jobs.get(job_id)
            if job is not None and job.status in ("queued", "running", "linking"):
                jobs.update(job, status="failed", message=f"the writer failed: {type(exc).__name__}: {exc}")
        except Exception:
            log.exception("could not record the failure of job %s", job_id)

    # auth

    def check(self, request: Request, *, write: bool) -> None:
        """Refuse a request without the token when it needs one (writes always; reads if configured)."""
        if not write and not self.config.protect_reads:
            return
        given = bearer(request.headers.get("authorization"))
        if given is None and not write:
            given = request.cookies.get(COOKIE)
        if given is None:
            what = "writing" if write else "reading (serve --protect-reads)"
            raise ApiError(401, f"missing bearer token: {what} needs 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
        if not token_matches(given, self.config.token):
            raise ApiError(403, "invalid bearer token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


# -- reading request bodies --------------------------------------------------------------------


async def read_json_model(request: Request, model: type[BaseModel]) -> Any:
    body = await request.body()
    if not body.strip():
        raise ApiError(400, "empty request body: send JSON")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        problems = _problems(exc)
        raise ApiError(400 if "malformed JSON" in problems[0] else 422,
                       "invalid request body: " + "; ".join(problems[:5]), problems) from None


async def read_files(request: Request, field: str, max_files: int) -> list[engine.Upload]:
    try:
        form = await request.form(max_files=max_files, max_fields=100)
    except (MultiPartException, StarletteHTTPException) as exc:
        message = exc.message if isinstance(exc, MultiPartException) else str(exc.detail)
        raise ApiError(413 if "Too many files" in message else 400,
                       f"multipart body refused: {message}" + (" (serve --max-files)" if "files" in message else "")) from None
    uploads = []
    for item in form.getlist(field):
        if isinstance(item, str):
            raise ApiError(400, f"form field {field!r} must be a file, got text")
        uploads.append(engine.Upload(item.filename or "", await item.read()))
        await item.close()
    await form.close()
    if not uploads:
        raise ApiError(400, f"no file in the form field {field!r}")
    return uploads


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# -- the application ---------------------------------------------------------------------------

_BATCH_SCHEMA = DocumentsBatch.model_json_schema(ref_template="#/components/schemas/{model}")
_TRACE_SCHEMA = TraceIn.model_json_schema(ref_template="#/components/schemas/{model}")


def _openapi_body(schema: dict[str, Any], field: str, many: bool) -> dict[str, Any]:
    file_schema: dict[str, Any] = {"type": "string", "format": "binary"}
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {k: v for k, v in schema.items() if k != "$defs"}},
        "multipart/form-data": {"schema": {"type": "object", "required": [field], "properties": {
            field: {"type": "array", "items": file_schema} if many else file_schema}}},
    }}}


def create_app(config: ServiceConfig) -> FastAPI:
    """The service as an ASGI application (``uvicorn`` runs it; tests use ``TestClient``)."""
    svc = Service(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(title="newstrace", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Trace news articles to their sources: which derive from which, how, "
                              "the aligned passages and what changed. Writes need a bearer token.")
    app.state.service = svc
    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The generated description, plus the request models the JSON/multipart bodies refer to."""
        if app.openapi_schema is None:
            spec = base_openapi()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for name, model_schema in (("DocumentsBatch", _BATCH_SCHEMA), ("TraceIn", _TRACE_SCHEMA)):
                schemas.update(model_schema.get("$defs", {}))
                schemas[name] = {k: v for k, v in model_schema.items() if k != "$defs"}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # errors: always JSON naming the problem, never a traceback

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message}
        if exc.problems:
            body["problems"] = exc.problems
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = _problems(exc)
        return JSONResponse({"error": "invalid request: " + "; ".join(problems[:5]), "problems": problems},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} not allowed on {request.url.path}"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(_: Request, __: BodyTooLargeError) -> JSONResponse:
        return JSONResponse({"error": f"request body too large: the limit is {config.max_body_bytes} bytes"},
                            status_code=413)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); it was logged"}, status_code=500)

    # -- documents ------------------------------------------------------------------------

    @app.post("/api/documents", status_code=202, tags=["documents"], openapi_extra=_openapi_body(_BATCH_SCHEMA, "files", True),
              summary="Add articles to the index (JSON batch or files); runs as a job")
    async def add_documents(request: Request, wait: bool | None = Query(None, description="wait for the job to finish "
                                                                          "(default: only for small batches)")) -> JSONResponse:
        svc.check(request, write=True)
        ctype = _content_type(request)
        names: list[str] = []
        if ctype == "application/json":
            batch: DocumentsBatch = await read_json_model(request, DocumentsBatch)
            if len(batch.documents) > config.max_documents:
                raise ApiError(413, f"{len(batch.documents)} documents in one batch; the limit is {config.max_documents} "
                                    "(serve --max-documents)")
            records = [d.model_dump() for d in batch.documents]
            for r in records:
                r["id"] = r["id"] or engine.document_id_for(r)
            dup = sorted({r["id"] for r in records if sum(1 for x in records if x["id"] == r["id"]) > 1}) if len(
                {r["id"] for r in records}) != len(records) else []
            if dup:
                raise ApiError(422, f"duplicate document ids in the batch: {', '.join(map(repr, dup[:10]))}")
            total, kind = len(records), "add-json"

            def stage(path: Path) -> list[engine.StagedChunk]:
                return engine.stage_records(records, path)
        elif ctype == "multipart/form-data":
            uploads = await read_files(request, "files", config.max_files)
            try:
                names = [engine.safe_name(u.name) for u in uploads]
            except engine.UploadError as exc:
                raise ApiError(415, str(exc)) from None
            total, kind = len(uploads), "add-files"

            def stage(path: Path) -> list[engine.StagedChunk]:
                return engine.stage_uploads(uploads, path)
        else:
            raise ApiError(415, f"unsupported content type {ctype or '(none)'!r}: send application/json "
                                "({\"documents\": [...]}) or multipart/form-data (field 'files')")
        job, fut = await svc.submit(kind, total, stage, names if kind == "add-files" else None)
        should_wait = wait if wait is not None else total <= config.sync_max_documents
        status = 202
        if should_wait:
            try:
                await asyncio.wait_for(asyncio.shield(fut), config.request_timeout)
                status = 201
            except TimeoutError:
                pass
        final = JobStore(svc.read_store().conn).get(job.id) or job
        return JSONResponse({"job": final.to_dict(), "links": {"job": f"/api/jobs/{job.id}", "page": f"/jobs/{job.id}"}},
                            status_code=status, headers={"Location": f"/api/jobs/{job.id}"})

    @app.get("/api/jobs/{job_id}", tags=["documents"], summary="An upload job's status and progress")
    def get_job(request: Request, job_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        job = JobStore(svc.read_store().conn).get(job_id)
        if job is None:
            raise ApiError(404, f"no job with id {job_id!r}")
        return {"job": job.to_dict()}

    @app.get("/api/jobs", tags=["documents"], summary="Recent upload jobs")
    def list_jobs(request: Request, limit: int = Query(20, ge=1, le=200)) -> dict[str, Any]:
        svc.check(request, write=False)
        return {"jobs": [_job_brief(j) for j in JobStore(svc.read_store().conn).recent(limit)]}

    @app.get("/api/documents", tags=["documents"], summary="The indexed documents, a page at a time")
    def list_documents(request: Request, limit: int = Query(50, ge=1, le=500),
                       offset: int = Query(0, ge=0)) -> dict[str, Any]:
        svc.check(request, write=False)
        store = svc.read_store()
        ids = store.document_ids()
        docs = store.get_documents(ids[offset : offset + limit])
        return {"total": len(ids), "offset": offset, "documents": [engine.document_summary(d) for d in docs]}

    @app.get("/api/documents/{doc_id:path}/relations", tags=["documents"],
             summary="A document's sources and copies, with passages and changes")
    def document_relations(request: Request, doc_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        store = svc.read_store()
        _require_document(store, doc_id)
        return {"id": doc_id, "relations": [relation_to_dict(r) for r in store.get_relations([doc_id])]}

    @app.get("/api/documents/{doc_id:path}", tags=["documents"],
             summary="One document: metadata, cleaned text, removed boilerplate, rewrite signature")
    def get_document(request: Request, doc_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        store = svc.read_store()
        doc = _require_document(store, doc_id)
        out: dict[str, Any] = to_dict([doc], [], [])["documents"][0]
        out["groups"] = engine.Groups(store.conn).of_document(doc_id)
        return out

    # -- trace, compare, search -------------------------------------------------------------

    @app.post("/api/trace", tags=["trace"], openapi_extra=_openapi_body(_TRACE_SCHEMA, "file", False),
              summary="The sources of one article against the index (not added to it)",
              description="Answers the JSON of `newstrace scan --format json` (docs/output.md); "
                          "`format=html` answers the side-by-side HTML report. The header X-Trace-Id "
                          "names the result for the web app (/traces/{id}).")
    async def api_trace(request: Request, format: str = Query("json", pattern="^(json|html)$")) -> Response:
        svc.check(request, write=False)
        upload = await _trace_upload(request, config)
        result = await svc.compute(engine.trace_upload, svc.db, upload, str(config.upload_root),
                                   config.changes, config.semantic)
        if not result.documents:
            reasons = "; ".join(f"{e.path}: {e.reason}" for e in result.errors) or "nothing readable"
            raise ApiError(422, f"the article could not be read: {reasons}")
        tid = svc.traces.put(result)
        headers = {"X-Trace-Id": tid, "Link": f"</traces/{tid}>; rel=alternate"}
        if format == "html":
            return HTMLResponse(_report_with_others(svc, result), headers=headers)
        return JSONResponse(to_dict(result.documents, result.relations, result.errors, result.stats), headers=headers)

    @app.get("/api/compare", tags=["trace"], summary="Compare two indexed documents: passages and changes")
    async def api_compare(request: Request, a: str = Query(..., min_length=1, description="a document id"),
                          b: str = Query(..., min_length=1, description="another document id"),
                          format: str = Query("json", pattern="^(json|html)$")) -> Response:
        svc.check(request, write=False)
        store = svc.read_store()
        for x in (a, b):
            _require_document(store, x)
        if a == b:
            raise ApiError(422, "a and b are the same document")
        result = await svc.compute(engine.compare_stored, svc.db, a, b, str(config.upload_root), config.changes)
        if result is None:
            raise ApiError(404, f"document {a!r} or {b!r} disappeared from the index")
        if format == "html":
            return HTMLResponse(render_html(result.documents, result.relations, result.errors, result.stats,
                                            title=f"newstrace: {a} and {b}"))
        return JSONResponse(to_dict(result.documents, result.relations, result.errors, result.stats))

    @app.get("/api/search", tags=["search"], summary="Full-text search over the index (SQLite FTS5)")
    def api_search(request: Request, q: str = Query(..., max_length=1000, description="words; all must match"),
                   limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        svc.check(request, write=False)
        if search.fts_query(q) is None:
            raise ApiError(422, "q must contain at least one word")
        return {"query": q, "results": search.search(svc.read_store().conn, q, limit, offset)}

    # -- families and stories ---------------------------------------------------------------

    @app.get("/api/stories", tags=["stories"], summary="Stories (clusters of articles on one event)")
    def list_stories(request: Request, limit: int = Query(100, ge=1, le=1000),
                     offset: int = Query(0, ge=0)) -> dict[str, Any]:
        svc.check(request, write=False)
        groups = engine.Groups(svc.read_store().conn)
        out: dict[str, Any] = {"stories": groups.list_groups("stories", limit, offset)}
        if not groups.available("stories"):
            out["note"] = engine.no_groups_message("stories")
        return out

    @app.get("/api/stories/{story_id}", tags=["stories"], summary="One story and its articles")
    def get_story(request: Request, story_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        return {"story": _group(svc, "stories", story_id)}

    @app.get("/api/families/{family_id}", tags=["stories"], summary="One family (an original and its copies)")
    def get_family(request: Request, family_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        return {"family": _group(svc, "families", family_id)}

    # -- operations -----------------------------------------------------------------------------

    @app.get("/healthz", tags=["operations"], summary="Liveness and readiness")
    def healthz() -> JSONResponse:
        try:
            conn = svc.read_store().conn
            n = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            running = JobStore(conn).count("running") + JobStore(conn).count("linking")
        except Exception as exc:
            return JSONResponse({"status": "error", "error": f"store unreadable: {exc}"}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__, "documents": n, "jobs_running": running,
                             "uptime_seconds": round(time.time() - svc.started, 1)})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics (text format 0.0.4)",
             response_class=PlainTextResponse)
    def metrics(request: Request) -> PlainTextResponse:
        svc.check(request, write=False)
        conn = svc.read_store().conn
        gauges: dict[str, tuple[str, float]] = {
            "newstrace_documents": ("Documents in the index.", conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]),
            "newstrace_relations": ("Relations in the index.", conn.execute("SELECT COUNT(*) FROM relations").fetchone()[0]),
            "newstrace_trace_cache_entries": ("Trace results kept for the web app.", len(svc.traces)),
            "newstrace_compute_pending": ("Traces and compares queued or running.", svc.pending),
        }
        for status in ("queued", "running", "linking", "done", "failed", "interrupted"):
            gauges[f"newstrace_jobs_{status}"] = (f"Upload jobs {status}.", JobStore(conn).count(status))
        return PlainTextResponse(svc.metrics.render(gauges), media_type="text/plain; version=0.0.4; charset=utf-8")

    from newstrace.service import web

    web.register(app, svc)
    return _wrap(app, svc)


def _wrap(app: FastAPI, svc: Service) -> FastAPI:
    """Outer ASGI layers: metrics (route templates), then the body limit, around the app."""
    inner = app.build_middleware_stack()
    limited = BodyLimit(inner, svc.config.max_body_bytes)

    async def measured(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await limited(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500
        svc.metrics.in_flight += 1

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await limited(scope, receive, send_status)
        finally:
            svc.metrics.in_flight -= 1
            route = scope.get("route")
            svc.metrics.observe(scope.get("method", "?"), getattr(route, "path", "unmatched"), status,
                                time.perf_counter() - t0)

    # Starlette builds this stack lazily on the first call; set it once, with our layers outside.
    app.middleware_stack = measured
    return app


def _job_brief(job: Job) -> dict[str, Any]:
    d = job.to_dict()
    d.pop("committed", None)
    d.pop("errors", None)
    return d


def _require_document(store: Store, doc_id: str) -> Any:
    docs = store.get_documents([doc_id])
    if not docs:
        raise ApiError(404, f"no document with id {doc_id!r} in the index")
    return docs[0]


def _group(svc: Service, kind: str, group_id: str) -> dict[str, Any]:
    groups = engine.Groups(svc.read_store().conn)
    if not groups.available(kind):
        raise ApiError(404, engine.no_groups_message(kind))
    found = groups.get(kind, group_id)
    if found is None:
        raise ApiError(404, f"no {kind[:-1] if kind == 'families' else 'story'} with id {group_id!r}".replace("familie", "family"))
    return found


async def _trace_upload(request: Request, config: ServiceConfig) -> engine.Upload:
    ctype = _content_type(request)
    if ctype == "application/json":
        body: TraceIn = await read_json_model(request, TraceIn)
        record = body.model_dump()
        record["id"] = record["id"] or "submitted"
        return engine.Upload("submitted.jsonl", (json.dumps({k: v for k, v in record.items() if v is not None},
                                                            ensure_ascii=False) + "\n").encode("utf-8"))
    if ctype == "multipart/form-data":
        files = await read_files(request, "file", 1)
        try:
            engine.safe_name(files[0].name)
        except engine.UploadError as exc:
            raise ApiError(415, str(exc)) from None
        return files[0]
    raise ApiError(415, f"unsupported content type {ctype or '(none)'!r}: send application/json "
                        "({\"text\": ...} or {\"html\": ...}) or multipart/form-data (field 'file')")


def _report_with_others(svc: Service, result: ScanResult) -> str:
    """The HTML report of a trace: the query and every indexed document it relates to."""
    ids = sorted({x for r in result.relations for x in (r.source, r.target)} - {d.id for d in result.documents})
    others = svc.read_store().get_documents(ids)
    return render_html([*result.documents, *others], result.relations, result.errors, result.stats,
                       title="newstrace: trace")
