"""``/api/documents``: add articles to the index (a job), list them, read one and its relations."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from newstrace.report.output import to_dict
from newstrace.service.engine import AddRequest
from newstrace.service.errors import ApiError
from newstrace.service.groups import Groups, document_summary
from newstrace.service.jobs import JobStore
from newstrace.service.request_bodies import (
    BATCH_SCHEMA,
    DocumentsBatch,
    content_type,
    openapi_body,
    read_files,
    read_json_model,
)
from newstrace.service.runtime import Service
from newstrace.service.uploads import UploadError, article_count, check_names, document_id_for
from newstrace.store import Store, relation_to_dict
from newstrace.types import Document

__all__ = ["require_document", "router"]


def require_document(store: Store, doc_id: str) -> Document:
    """The stored document, or a 404 naming the id."""
    docs = store.get_documents([doc_id])
    if not docs:
        raise ApiError(404, f"no document with id {doc_id!r} in the index")
    return docs[0]


def _encoded_tail(request: Request) -> bool:
    """Whether the request's ``/relations`` was sent as ``%2Frelations``: part of an id, which
    the routes' decoded path cannot tell from the relations route's own ``/relations``."""
    raw = request.scope.get("raw_path") or b""
    return not raw.split(b"?", 1)[0].endswith(b"/relations")


async def _add_request(request: Request, svc: Service) -> tuple[str, AddRequest, int, list[str] | None]:
    """The job a POST asks for: its kind, what it adds, how many articles, the file names."""
    config = svc.config
    ctype = content_type(request)
    if ctype == "application/json":
        batch: DocumentsBatch = await read_json_model(request, DocumentsBatch)
        if len(batch.documents) > config.max_documents:
            raise ApiError(413, f"{len(batch.documents)} documents in one batch; the limit is {config.max_documents} "
                                "(serve --max-documents)")
        records = [d.model_dump(exclude_none=True) for d in batch.documents]
        for r in records:
            r["id"] = r.get("id") or document_id_for(r)
        ids = [r["id"] for r in records]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ApiError(422, f"duplicate document ids in the batch: {', '.join(map(repr, dup[:10]))}")
        return "add-json", AddRequest(records=tuple(records)), len(records), None
    if ctype == "multipart/form-data":
        uploads = await read_files(request, "files", config.max_files)
        try:
            names = check_names(uploads)
        except UploadError as exc:
            raise ApiError(415 if "unsupported" in exc.reason or "empty" in exc.reason else 422, str(exc)) from None
        return "add-files", AddRequest(files=tuple(uploads)), article_count(uploads), names
    raise ApiError(415, f"unsupported content type {ctype or '(none)'!r}: send application/json "
                        "({\"documents\": [...]}) or multipart/form-data (field 'files')")


def router(svc: Service) -> APIRouter:
    api = APIRouter(tags=["documents"])
    config = svc.config

    @api.post("/api/documents", status_code=202, openapi_extra=openapi_body(BATCH_SCHEMA, "files", True),
              summary="Add articles to the index (JSON batch or files); runs as a job")
    async def add_documents(request: Request, wait: bool | None = Query(None, description="wait for the job to finish "
                                                                          "(default: only for small batches)")) -> JSONResponse:
        svc.check(request, write=True)
        kind, add, total, names = await _add_request(request, svc)
        job, fut = await svc.submit(kind, add, total, names)
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

    @api.get("/api/documents", summary="The indexed documents, a page at a time")
    def list_documents(request: Request, limit: int = Query(50, ge=1, le=500),
                       offset: int = Query(0, ge=0)) -> dict[str, Any]:
        svc.check(request, write=False)
        store = svc.read_store()
        ids = store.document_ids()
        docs = store.get_documents(ids[offset : offset + limit])
        return {"total": len(ids), "offset": offset, "documents": [document_summary(d) for d in docs]}

    @api.get("/api/documents/{doc_id:path}/relations", summary="A document's sources and copies, with passages and changes")
    def document_relations(request: Request, doc_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        if _encoded_tail(request):  # "/api/documents/wire%2Frelations": the document "wire/relations"
            return get_document(request, f"{doc_id}/relations")
        store = svc.read_store()
        require_document(store, doc_id)
        return {"id": doc_id, "relations": [relation_to_dict(r) for r in store.get_relations([doc_id])]}

    @api.get("/api/documents/{doc_id:path}",
             summary="One document: metadata, cleaned text, removed boilerplate, rewrite signature")
    def get_document(request: Request, doc_id: str) -> dict[str, Any]:
        svc.check(request, write=False)
        store = svc.read_store()
        doc = require_document(store, doc_id)
        out: dict[str, Any] = to_dict([doc], [], [])["documents"][0]
        out["groups"] = Groups(store.conn).of_document(doc_id)
        return out

    return api
