"""``/api/jobs``: upload jobs, their progress and the ids they committed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from newstrace.service.errors import ApiError
from newstrace.service.jobs import Job, JobStore
from newstrace.service.runtime import Service

__all__ = ["router"]


def _brief(job: Job) -> dict[str, Any]:
    """A job for lists: without its (long) lists of committed ids and errors."""
    d = job.to_dict()
    d.pop("committed", None)
    d.pop("errors", None)
    return d


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["documents"])

    @api.get("/api/jobs/{job_id}", summary="An upload job's status and progress")
    def get_job(request: Request, job_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        job = JobStore(svc.read_store().conn).get(job_id)
        if job is None:
            raise ApiError(404, f"no job with id {job_id!r}")
        return {"job": job.to_dict()}

    @api.get("/api/jobs", summary="Recent upload jobs")
    def list_jobs(request: Request, limit: int = Query(20, ge=1, le=200)) -> dict[str, Any]:
        svc.check(request, write=False)
        return {"jobs": [_brief(j) for j in JobStore(svc.read_store().conn).recent(limit)]}

    return api
