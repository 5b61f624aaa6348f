"""``newstrace index add PATH...``: add articles to a store incrementally."""

from __future__ import annotations

import argparse
import sys

from newstrace.cli._common import add_db, positive_int, report_errors
from newstrace.pipeline import index_add, link, organise
from newstrace.store import Store

__all__ = ["index_add_cli", "register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("index", help="manage the article index", description="Manage the article index (a SQLite file).")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")
    a = isub.add_parser("add", help="add articles to the index (idempotent)",
                        description="Ingest, clean and fingerprint articles and add them to the index; "
                                    "unchanged articles are skipped, changed ones replaced. Then relate the new ones.")
    a.add_argument("paths", nargs="+", metavar="PATH", help="file or directory (walked recursively)")
    add_db(a)
    a.add_argument("--workers", type=positive_int, default=None, help="processes to use (default: all cores)")
    a.add_argument("--no-link", action="store_true", help="only store the articles; do not look for reuse yet")
    a.add_argument("--no-changes", action="store_true", help="do not analyse what each rewrite changed")
    a.add_argument("--lexical-only", action="store_true", help="skip the semantic layer (sentence embeddings)")
    a.set_defaults(func=index_add_cli)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def index_add_cli(args: argparse.Namespace) -> int:
    progress = sys.stderr.isatty()
    with Store(args.db) as store:
        stats = index_add(store, args.paths, workers=args.workers, progress=progress,
                          forensics=not args.no_changes)
        report_errors(stats.errors)
        relations = [] if args.no_link else link(store, workers=args.workers, progress=progress,
                                                   changes=not args.no_changes, semantic=not args.lexical_only)
        # families and stories: rebuilt / extended after each add
        families, stories = ([], []) if args.no_link else organise(store, workers=args.workers)
        total = len(store.document_ids())
    print(f"read {stats.read}, added {stats.added}, unchanged {stats.unchanged}, skipped {stats.skipped}; "
          f"index {args.db} holds {total} documents, {len(relations)} relations, {len(families)} families "
          f"and {len(stories)} stories")
    return 0
