"""The outer ASGI layers around the app: request metrics and security headers, then the body limit.

They sit outside FastAPI's own middleware stack so that a body refused for its size is still
counted, and every response (errors included) carries ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI

from newstrace.service.limits import BodyLimit
from newstrace.service.runtime import Service

__all__ = ["SECURITY_HEADERS", "wrap"]

SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def wrap(app: FastAPI, svc: Service) -> FastAPI:
    """``app`` with metrics (by route template, never raw path) and the body limit outside it."""
    inner = app.build_middleware_stack()
    limited = BodyLimit(inner, svc.config.max_body_bytes)

    async def measured(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await limited(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500
        svc.metrics.in_flight += 1

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await limited(scope, receive, send_status)
        finally:
            svc.metrics.in_flight -= 1
            route = scope.get("route")
            svc.metrics.observe(scope.get("method", "?"), getattr(route, "path", "unmatched"), status,
                                time.perf_counter() - t0)

    # Starlette builds this stack lazily on the first call; set it once, with our layers outside.
    app.middleware_stack = measured
    return app
