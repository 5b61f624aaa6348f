"""``/api/stories`` and ``/api/families``: the groups the families/stories stages built."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from newstrace.service.errors import ApiError
from newstrace.service.groups import Groups, no_groups_message
from newstrace.service.runtime import Service

__all__ = ["router"]

_SINGULAR = {"families": "family", "stories": "story"}


def _group(svc: Service, kind: str, group_id: str) -> dict[str, Any]:
    groups = Groups(svc.read_store().conn)
    if not groups.available(kind):
        raise ApiError(404, no_groups_message(kind))
    found = groups.get(kind, group_id)
    if found is None:
        raise ApiError(404, f"no {_SINGULAR[kind]} with id {group_id!r}")
    return found


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["stories"])

    def listing(request: Request, kind: str, limit: int, offset: int) -> dict[str, Any]:
        svc.check(request, write=False)
        groups = Groups(svc.read_store().conn)
        out: dict[str, Any] = {"total": groups.count(kind), "offset": offset,
                               kind: groups.list_groups(kind, limit, offset)}
        if not groups.available(kind):
            out["note"] = no_groups_message(kind)
        return out

    @api.get("/api/stories", summary="Stories (clusters of articles on one event), largest first")
    def list_stories(request: Request, limit: int = Query(100, ge=1, le=1000),
                     offset: int = Query(0, ge=0)) -> dict[str, Any]:
        return listing(request, "stories", limit, offset)

    @api.get("/api/families", summary="Families (an original and its copies), largest first")
    def list_families(request: Request, limit: int = Query(100, ge=1, le=1000),
                      offset: int = Query(0, ge=0)) -> dict[str, Any]:
        return listing(request, "families", limit, offset)

    @api.get("/api/stories/{story_id}", summary="One story and its articles")
    def get_story(request: Request, story_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        return {"story": _group(svc, "stories", story_id)}

    @api.get("/api/families/{family_id}", summary="One family (an original and its copies)")
    def get_family(request: Request, family_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        return {"family": _group(svc, "families", family_id)}

    return api
