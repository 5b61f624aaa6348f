"""``POST /api/trace``: the sources of one article against the index, without adding it."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from newstrace.pipeline import ScanResult
from newstrace.report.html import render_html
from newstrace.report.output import to_dict
from newstrace.service.engine import TraceRequest, trace_request
from newstrace.service.errors import ApiError
from newstrace.service.request_bodies import (
    TRACE_SCHEMA,
    TraceIn,
    content_type,
    openapi_body,
    read_files,
    read_json_model,
)
from newstrace.service.runtime import Service
from newstrace.service.uploads import UploadError, safe_name

__all__ = ["read_trace_request", "router"]


async def read_trace_request(request: Request) -> TraceRequest:
    """The article a trace request carries: a JSON record or one multipart ``file``."""
    ctype = content_type(request)
    if ctype == "application/json":
        body: TraceIn = await read_json_model(request, TraceIn)
        record = body.model_dump(exclude_none=True)
        record["id"] = record.get("id") or "submitted"
        return TraceRequest(record=record)
    if ctype == "multipart/form-data":
        files = await read_files(request, "file", 1, limit_hint="a trace takes one file")
        try:
            safe_name(files[0].name)
        except UploadError as exc:
            raise ApiError(415, str(exc)) from None
        return TraceRequest(file=files[0])
    raise ApiError(415, f"unsupported content type {ctype or '(none)'!r}: send application/json "
                        "({\"text\": ...} or {\"html\": ...}) or multipart/form-data (field 'file')")


def report_with_others(svc: Service, result: ScanResult) -> str:
    """The HTML report of a trace: the query and every indexed document it relates to."""
    ids = sorted({x for r in result.relations for x in (r.source, r.target)} - {d.id for d in result.documents})
    others = svc.read_store().get_documents(ids)
    return render_html([*result.documents, *others], result.relations, result.errors, result.stats,
                       title="newstrace: trace")


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["trace"])
    config = svc.config

    @api.post("/api/trace", openapi_extra=openapi_body(TRACE_SCHEMA, "file", False),
              summary="The sources of one article against the index (not added to it)",
              description="Answers the JSON of `newstrace scan --format json` (docs/output.md); "
                          "`format=html` answers the side-by-side HTML report. The header X-Trace-Id "
                          "names the result for the web app (/traces/{id}).")
    async def api_trace(request: Request, format: str = Query("json", pattern="^(json|html)$")) -> Response:
        svc.check(request, write=False)
        submitted = await read_trace_request(request)
        result = await svc.compute(trace_request, svc.db, submitted, config.changes, config.semantic)
        if not result.documents:
            reasons = "; ".join(f"{e.path}: {e.reason}" for e in result.errors) or "nothing readable"
            raise ApiError(422, f"the article could not be read: {reasons}")
        tid = svc.traces.put(result)
        headers = {"X-Trace-Id": tid, "Link": f"</traces/{tid}>; rel=alternate"}
        if format == "html":
            return HTMLResponse(report_with_others(svc, result), headers=headers)
        return JSONResponse(to_dict(result.documents, result.relations, result.errors, result.stats,
                                    families=result.families, not_aligned=result.not_aligned), headers=headers)

    return api
