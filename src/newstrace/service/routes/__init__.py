"""The REST API, one module per resource; ``include_api`` mounts them all on the app.

=============  ============================================================  ===============
module         endpoints                                                     OpenAPI tag
=============  ============================================================  ===============
documents      ``POST/GET /api/documents``, ``GET /api/documents/{id}``,      documents
               ``GET /api/documents/{id}/relations``
jobs           ``GET /api/jobs``, ``GET /api/jobs/{id}``                       documents
trace          ``POST /api/trace``                                           trace
pairs          ``GET /api/compare``                                          trace
search         ``GET /api/search``                                           search
families       ``GET /api/stories``, ``/api/stories/{id}``,                   stories
               ``/api/families/{id}``
operations     ``GET /healthz``, ``GET /metrics``                            operations
=============  ============================================================  ===============
"""

from __future__ import annotations

from fastapi import FastAPI

from newstrace.service.routes import documents, families, jobs, operations, pairs, search, trace
from newstrace.service.runtime import Service

__all__ = ["include_api"]


def include_api(app: FastAPI, svc: Service) -> None:
    """Add every API route to ``app`` (the order fixes the OpenAPI document's order)."""
    for module in (documents, jobs, trace, pairs, search, families, operations):
        app.include_router(module.router(svc))
