"""``newstrace scan PATH...``: the one-shot job."""

from __future__ import annotations

import argparse
import sys

from newstrace.cli._common import add_db, add_output, emit, report_errors
from newstrace.pipeline import scan

__all__ = ["register", "scan_cli"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("scan", help="scan articles and trace which derive from which",
                       description="Ingest files or directories of articles (.txt, .html, .jsonl, .warc[.gz]), "
                                   "clean them, find reused passages and report the relations.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or directory (walked recursively)")
    add_db(p, default=None)
    add_output(p)
    p.set_defaults(func=scan_cli)


def scan_cli(args: argparse.Namespace) -> int:
    progress = not args.no_progress and sys.stderr.isatty()
    result = scan(args.paths, db=args.db, workers=args.workers, progress=progress)
    report_errors(result.errors)
    emit(args, result.documents, result.relations, result.errors, result.stats)
    return 0 if result.documents or not result.errors else 1
