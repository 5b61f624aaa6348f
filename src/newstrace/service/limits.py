"""Request body limit as plain ASGI middleware: refused before the body is read into memory.

A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted as it
streams and refused when it passes the limit.  Either way the client gets a 413: a JSON error,
or for the web app's forms (``/web/...``, a browser's upload) a page saying so.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["BodyLimit", "BodyTooLargeError", "too_large_body"]


class BodyTooLargeError(Exception):
    pass


def too_large_body(path: str, message: str) -> tuple[bytes, bytes]:
    """The 413's body and content type: a page for a web form's post, JSON for the API."""
    if path.startswith("/web/"):
        page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Upload too large</title></head>"
                f"<body><h1>Upload too large</h1><p>{html.escape(message)}</p>"
                f'<p><a href="/">Back to newstrace</a></p></body></html>')
        return page.encode(), b"text/html; charset=utf-8"
    return json.dumps({"error": message}).encode(), b"application/json"


class BodyLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"request body too large: the limit is {self.max_bytes} bytes (serve --max-body-mb)"

    async def _refuse(self, scope: Any, send: Any) -> None:
        body, kind = too_large_body(scope.get("path", ""), self._message())
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._refuse(scope, send)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._refuse(scope, send)
