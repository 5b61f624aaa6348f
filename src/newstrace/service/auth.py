"""Bearer-token authentication: where the token comes from and how requests are checked.

The token is, in order: ``NEWSTRACE_TOKEN``; the file named by ``--token-file``; the file kept
beside the store (``<db>.token``).  When none exists, one is generated at first start, written
beside the store with mode 0600 and printed once by the CLI.  Comparison is constant-time.
Browsers reach protected read pages with the same token in an ``HttpOnly``, ``SameSite=Strict``
cookie set by ``/login`` (no ambient credential can be sent cross-site, so no CSRF token is
needed); writes from the web app carry the token in the form itself.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from newstrace.errors import NewstraceError
from newstrace.service.errors import ApiError

if TYPE_CHECKING:
    from fastapi import Request

    from newstrace.service.config import ServiceConfig

__all__ = ["COOKIE", "TokenSource", "bearer", "require_token", "resolve_token", "token_matches"]

COOKIE = "newstrace_token"


class TokenSource:
    """Where the token came from: ``env``, ``file`` or ``generated`` (with the file's path)."""

    def __init__(self, token: str, origin: str, path: Path | None) -> None:
        self.token = token
        self.origin = origin
        self.path = path


def resolve_token(db: Path, token_file: Path | None = None, env: dict[str, str] | None = None) -> TokenSource:
    """Find or create the service token (see the module docstring for the order).

    Raises:
        NewstraceError: the named token file is missing, unreadable or empty.
    """
    env = dict(os.environ) if env is None else env
    if env.get("NEWSTRACE_TOKEN", "").strip():
        return TokenSource(env["NEWSTRACE_TOKEN"].strip(), "env", None)
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise NewstraceError(f"cannot read token file {str(token_file)!r}: {exc.strerror or exc}") from exc
        if not token:
            raise NewstraceError(f"token file {str(token_file)!r} is empty")
        return TokenSource(token, "file", token_file)
    beside = db.with_name(db.name + ".token")
    if beside.exists():
        token = beside.read_text(encoding="utf-8").strip()
        if token:
            return TokenSource(token, "file", beside)
    token = secrets.token_urlsafe(32)
    fd = os.open(beside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(beside, 0o600)
    return TokenSource(token, "generated", beside)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_token(request: Request, config: ServiceConfig, *, write: bool) -> None:
    """Refuse a request without the token when it needs one (writes always; reads when
    ``protect_reads``): 401 when none is given, 403 when it is wrong.  Reads may carry it in
    the sign-in cookie; writes only in the ``Authorization`` header (no ambient credential).

    Raises:
        ApiError: the request may not go on.
    """
    if not write and not config.protect_reads:
        return
    given = bearer(request.headers.get("authorization"))
    if given is None and not write:
        given = request.cookies.get(COOKIE)
    if given is None:
        what = "writing" if write else "reading (serve --protect-reads)"
        raise ApiError(401, f"missing bearer token: {what} needs 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": "Bearer"})
    if not token_matches(given, config.token):
        raise ApiError(403, "invalid bearer token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
