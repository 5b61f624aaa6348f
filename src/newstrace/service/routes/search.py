"""``GET /api/search``: full-text search over the index (SQLite FTS5, ``service.search``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from newstrace.service import search as fts
from newstrace.service.errors import ApiError
from newstrace.service.runtime import Service

__all__ = ["router"]


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["search"])

    @api.get("/api/search", summary="Full-text search over the index (SQLite FTS5)")
    def api_search(request: Request, q: str = Query(..., max_length=1000, description="words; all must match"),
                   limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        svc.check(request, write=False)
        if fts.fts_query(q) is None:
            raise ApiError(422, "q must contain at least one word")
        return {"query": q, "results": fts.search(svc.read_store().conn, q, limit, offset)}

    return api
