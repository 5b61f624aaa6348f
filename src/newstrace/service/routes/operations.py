"""``/healthz`` (liveness and readiness) and ``/metrics`` (Prometheus text format 0.0.4)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from newstrace import __version__
from newstrace.service.jobs import JobStore
from newstrace.service.runtime import Service

__all__ = ["router"]

JOB_STATUSES = ("queued", "running", "linking", "done", "failed", "interrupted")


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["operations"])

    @api.get("/healthz", summary="Liveness and readiness")
    def healthz() -> JSONResponse:
        try:
            conn = svc.read_store().conn
            n = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            running = JobStore(conn).count("running") + JobStore(conn).count("linking")
        except Exception as exc:
            return JSONResponse({"status": "error", "error": f"store unreadable: {exc}"}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__, "documents": n, "jobs_running": running,
                             "uptime_seconds": round(time.time() - svc.started, 1)})

    @api.get("/metrics", summary="Prometheus metrics (text format 0.0.4)", response_class=PlainTextResponse)
    def metrics(request: Request) -> PlainTextResponse:
        svc.check(request, write=False)
        conn = svc.read_store().conn
        gauges: dict[str, tuple[str, float]] = {
            "newstrace_documents": ("Documents in the index.", conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]),
            "newstrace_relations": ("Relations in the index.", conn.execute("SELECT COUNT(*) FROM relations").fetchone()[0]),
            "newstrace_trace_cache_entries": ("Trace results kept for the web app.", len(svc.traces)),
            "newstrace_compute_pending": ("Traces and compares queued or running.", svc.pending),
        }
        for status in JOB_STATUSES:
            gauges[f"newstrace_jobs_{status}"] = (f"Upload jobs {status}.", JobStore(conn).count(status))
        return PlainTextResponse(svc.metrics.render(gauges), media_type="text/plain; version=0.0.4; charset=utf-8")

    return api
