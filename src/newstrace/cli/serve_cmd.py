"""``newstrace serve``: the REST API and web app over an index."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from newstrace.cli._common import positive_int

__all__ = ["register", "serve_cli"]


def _positive_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}") from None
    if x <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}")
    return x


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the REST API and web app over an index",
                       description="Serve the index over HTTP: a REST API (OpenAPI at /docs) and a web app at /. "
                                   "Writes need a bearer token: NEWSTRACE_TOKEN, --token-file, or one generated at "
                                   "first start and kept beside the store (<db>.token, mode 600).")
    p.add_argument("--db", default="newstrace.db", metavar="PATH", help="SQLite store (created if missing)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--token-file", metavar="FILE", help="file holding the bearer token")
    p.add_argument("--protect-reads", action="store_true", help="reads need the token too (API and pages)")
    p.add_argument("--max-body-mb", type=_positive_float, default=50.0, help="largest request body (default: 50)")
    p.add_argument("--max-files", type=positive_int, default=1000, help="most files per upload (default: 1000)")
    p.add_argument("--max-documents", type=positive_int, default=5000,
                   help="most articles per JSON batch (default: 5000)")
    p.add_argument("--request-timeout", type=_positive_float, default=120.0,
                   help="seconds a trace or compare may take (default: 120)")
    p.add_argument("--max-pending", type=positive_int, default=256,
                   help="traces and compares queued at once before answering 503 (default: 256)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="worker processes for alignment and embedding (default: all cores)")
    p.add_argument("--threads", action="store_true", help="run the worker pool as threads instead of processes")
    p.add_argument("--lexical-only", action="store_true", help="skip the semantic layer (sentence embeddings)")
    p.add_argument("--no-changes", action="store_true", help="do not analyse what each rewrite changed")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=serve_cli)


def serve_cli(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from newstrace.service import ServiceConfig, create_app
        from newstrace.service.auth import resolve_token
    except ModuleNotFoundError as exc:
        print(f"newstrace: serve needs {exc.name}: pip install 'newstrace[serve]'", file=sys.stderr)
        return 2
    db = Path(args.db).resolve()
    if not db.parent.is_dir():
        print(f"newstrace: no directory {str(db.parent)!r} for the store {args.db!r}", file=sys.stderr)
        return 2
    from newstrace.store import Store

    with Store(db):  # a file that is not a newstrace store fails here, in one line (StoreError)
        pass
    source = resolve_token(db, Path(args.token_file) if args.token_file else None)
    if source.origin == "generated":
        print(f"newstrace: generated an API token (kept in {source.path}, mode 600); it is shown only now:\n"
              f"{source.token}", file=sys.stderr)
    elif source.origin == "file":
        print(f"newstrace: using the API token in {source.path}", file=sys.stderr)
    try:
        config = ServiceConfig(
            db=db, token=source.token, protect_reads=args.protect_reads,
            max_body_bytes=int(args.max_body_mb * 1024 * 1024), max_files=args.max_files,
            max_documents=args.max_documents, request_timeout=args.request_timeout,
            workers=args.workers or os.cpu_count() or 1, pool="thread" if args.threads else "process",
            semantic=not args.lexical_only, changes=not args.no_changes, max_pending=args.max_pending)
    except ValueError as exc:
        print(f"newstrace: {exc}", file=sys.stderr)
        return 2
    app = create_app(config)
    print(f"newstrace: serving {db} on http://{args.host}:{args.port}/ (API description at /docs)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                timeout_graceful_shutdown=10)
    return 0
