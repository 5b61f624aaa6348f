"""``newstrace scan PATH...``: the one-shot job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newstrace.cli._common import (
    add_db,
    add_limits,
    add_output,
    check_writable,
    emit,
    limits_from,
    report_errors,
)
from newstrace.pipeline import ScanResult, scan

__all__ = ["register", "scan_cli", "write_report"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("scan", help="scan articles and trace which derive from which",
                       description="Ingest files or directories of articles (.txt, .html, .jsonl, .warc[.gz]), "
                                   "clean them, find reused passages and report the relations.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or directory (walked recursively)")
    add_db(p, default=None)
    add_output(p)
    add_limits(p)
    p.add_argument("--report", metavar="FILE",
                   help="also write a self-contained HTML report (passages side by side, changes marked) to FILE")
    p.set_defaults(func=scan_cli)


def scan_cli(args: argparse.Namespace) -> int:
    for path, what in ((args.output, "output"), (getattr(args, "report", None), "report")):
        problem = check_writable(path, what)
        if problem:  # before the work, not after it
            print(f"newstrace: error: {problem}", file=sys.stderr)
            return 2
    progress = not args.no_progress and sys.stderr.isatty()
    off: tuple[str, ...] = ()
    if not args.no_changes:
        from newstrace.stages.changes import checks_off

        off = checks_off()  # one line on stderr when a resource is missing
    result = scan(args.paths, db=args.db, workers=args.workers, progress=progress, changes=not args.no_changes,
                  semantic=not args.lexical_only, limits=limits_from(args))
    report_errors(result.errors)
    stats = {**result.stats, "checks_off": list(off)} if off else result.stats
    emit(args, result.documents, result.relations, result.errors, stats,
         families=result.families, stories=result.stories)
    if getattr(args, "report", None):
        write_report(args.report, result)
    return 0 if result.documents or not result.errors else 1


def write_report(path: str, result: ScanResult) -> None:
    """Write the HTML report of ``result`` to ``path``: exactly the relations the scan found, with
    the changes the pipeline computed (a report renders; it never runs a stage)."""
    from newstrace.report.html import render_html

    Path(path).write_text(render_html(result.documents, result.relations, result.errors, result.stats,
                                      families=result.families, stories=result.stories), encoding="utf-8")
    print(f"newstrace: wrote {path}", file=sys.stderr)
