"""What the routes share at run time: settings, the writer and the worker pool, metrics, traces.

Concurrency model: SQLite in WAL mode, one writer and many readers.  Every write (an upload
job, then the search index) runs on a single writer (a process of its own) with its own
connection, one committed chunk at a time; reads use a connection per request thread.
Alignment and embedding (trace, compare) run in a worker pool (processes by default) and are
awaited with a time limit, so the event loop only parses requests and sends responses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from threading import Lock
from typing import Any, TypeVar

from fastapi import Request

from newstrace.pipeline import ScanResult
from newstrace.service import engine, search
from newstrace.service.auth import require_token
from newstrace.service.config import ServiceConfig
from newstrace.service.errors import ApiError
from newstrace.service.jobs import ACTIVE, Job, JobStore
from newstrace.service.metrics import Metrics
from newstrace.store import Store

__all__ = ["TRACE_CACHE_SIZE", "Service", "TraceCache"]

log = logging.getLogger(__name__)
T = TypeVar("T")

TRACE_CACHE_SIZE = 64  # recent trace results kept for the web app's pair pages


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
        self.warming: list[Future[int]] = []  # the read pool's start-up tasks (_new_pool)
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
        """The read pool.  Its worker processes start at once (not at the first request, as a
        process pool otherwise does), each loading the models a trace needs as it starts
        (``engine.start_worker``); requests arriving meanwhile queue for them as usual.
        ``warming`` holds one start-up task per worker.  A thread pool (``--threads``, the API
        tests) shares this process's models and loads them on first use."""
        if self.config.pool == "process":
            pool = ProcessPoolExecutor(max_workers=self.config.workers, mp_context=get_context("spawn"),
                                       initializer=engine.start_worker,
                                       initargs=(os.getpid(), self.db, self.config.changes, self.config.semantic))
            # A spawning pool starts a worker for each task no idle one can take.
            self.warming = [pool.submit(engine.worker_pid) for _ in range(self.config.workers)]
            return pool
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
            # CPython keeps a process pool's workers in ``_processes`` (3.14 adds kill_workers()),
            # and ``shutdown`` drops it: read first, killed after.  Every worker must go: one
            # killed while it held the task queue's lock (an idle worker waits on the queue
            # holding it) would leave a live sibling blocked on that lock for ever, and the
            # interpreter's exit waiting for the sibling.
            workers = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            for proc in workers:
                proc.kill()

    def _startup(self) -> None:
        store = Store(self.db)
        JobStore.ensure_schema(store.conn)
        search.ensure_schema(store.conn)
        n = JobStore(store.conn).mark_interrupted()
        if n:
            log.warning("%d upload job(s) were interrupted by the last shutdown: re-post them to complete", n)
        search.sync(store.conn)
        store.close()

    # stores and auth

    def read_store(self) -> Store:
        return engine.reader_store(self.db)

    def check(self, request: Request, *, write: bool) -> None:
        """Refuse a request without the token when it needs one (``auth.require_token``)."""
        require_token(request, self.config, write=write)

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

    async def submit(self, kind: str, request: engine.AddRequest, total: int,
                     inputs: list[str] | None) -> tuple[Job, asyncio.Future[None]]:
        """Record an upload job and queue it on the writer; the request goes to it in memory."""
        job = JobStore(self.read_store().conn).create(kind, total, {"inputs": inputs[:50]} if inputs else {})
        fut = asyncio.get_running_loop().run_in_executor(self.writer, engine.run_add_job, self.db, job.id, request,
                                                         self.config.changes, self.config.semantic)
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
            if job is not None and job.status in ACTIVE:
                jobs.update(job, status="failed", message=f"the writer failed: {type(exc).__name__}: {exc}")
        except Exception:
            log.exception("could not record the failure of job %s", job_id)
