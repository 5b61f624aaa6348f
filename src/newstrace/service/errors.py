"""How the service refuses a request: always a JSON body naming the problem, never a traceback.

Routes raise ``ApiError``; FastAPI's own errors (validation, unknown route or method) and the
body limit are translated to the same ``{"error": ..., "problems": [...]}`` shape here, and
anything unexpected is logged and answered as a 500 naming only the exception's type.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from newstrace.service.limits import BodyTooLargeError, too_large_body

__all__ = ["ApiError", "install_error_handlers", "validation_problems"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the service refuses: the status and a message naming the problem."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.headers = headers or {}


def validation_problems(exc: ValidationError | RequestValidationError) -> list[str]:
    """Each validation error as ``field.path: message``; malformed JSON says so."""
    out = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        msg = str(e.get("msg", "invalid"))
        if e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            msg = f"malformed JSON: {ctx.get('error', msg)}"
        out.append(f"{loc or 'body'}: {msg}")
    return out


def install_error_handlers(app: FastAPI, max_body_bytes: int) -> None:
    """Answer every refused or failed request of ``app`` with a JSON error."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message}
        if exc.problems:
            body["problems"] = exc.problems
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc)
        return JSONResponse({"error": "invalid request: " + "; ".join(problems[:5]), "problems": problems},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} not allowed on {request.url.path}"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(request: Request, __: BodyTooLargeError) -> Response:
        body, kind = too_large_body(request.url.path, f"request body too large: the limit is {max_body_bytes} "
                                                      "bytes (serve --max-body-mb)")
        return Response(body, status_code=413, media_type=kind.decode())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); it was logged"}, status_code=500)
