"""``GET /api/compare``: two indexed documents related, with passages and changes."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from newstrace.report.html import render_html
from newstrace.report.output import to_dict
from newstrace.service.engine import compare_stored
from newstrace.service.errors import ApiError
from newstrace.service.routes.documents import require_document
from newstrace.service.runtime import Service

__all__ = ["router"]


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["trace"])
    config = svc.config

    @api.get("/api/compare", summary="Compare two indexed documents: passages and changes")
    async def api_compare(request: Request, a: str = Query(..., min_length=1, description="a document id"),
                          b: str = Query(..., min_length=1, description="another document id"),
                          format: str = Query("json", pattern="^(json|html)$")) -> Response:
        svc.check(request, write=False)
        store = svc.read_store()
        for x in (a, b):
            require_document(store, x)
        if a == b:
            raise ApiError(422, "a and b are the same document")
        result = await svc.compute(compare_stored, svc.db, a, b, config.changes, config.semantic)
        if result is None:
            raise ApiError(404, f"document {a!r} or {b!r} disappeared from the index")
        if format == "html":
            return HTMLResponse(render_html(result.documents, result.relations, result.errors, result.stats,
                                            title=f"newstrace: {a} and {b}"))
        return JSONResponse(to_dict(result.documents, result.relations, result.errors, result.stats))

    return api
