"""The FastAPI application: assembles the API routes, the web app and the outer layers.

What each part does lives in its own module: ``runtime`` (the writer, the worker pool, the
trace cache), ``routes/`` (one module per resource), ``web`` (the pages), ``errors`` (JSON
errors), ``auth`` (the token), ``limits`` and ``middleware`` (body size, metrics, headers),
``engine`` (the calls into the pipeline).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from newstrace import __version__
from newstrace.service.config import ServiceConfig
from newstrace.service.errors import install_error_handlers
from newstrace.service.middleware import wrap
from newstrace.service.request_bodies import BATCH_SCHEMA, TRACE_SCHEMA
from newstrace.service.routes import include_api
from newstrace.service.runtime import Service

__all__ = ["create_app"]


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
            for name, model_schema in (("DocumentsBatch", BATCH_SCHEMA), ("TraceIn", TRACE_SCHEMA)):
                schemas.update(model_schema.get("$defs", {}))
                schemas[name] = {k: v for k, v in model_schema.items() if k != "$defs"}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    install_error_handlers(app, config.max_body_bytes)
    include_api(app, svc)

    from newstrace.service import web

    web.register(app, svc)
    return wrap(app, svc)
