"""``newstrace index add PATH...``: add articles to a store incrementally."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newstrace.cli._common import (
    add_db,
    add_limits,
    limits_from,
    one_line,
    positive_int,
    report_errors,
    report_renamed,
)
from newstrace.pipeline import index_add, link_pending, organise
from newstrace.report.output import counted
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
    add_limits(a)
    a.set_defaults(func=index_add_cli)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def index_add_cli(args: argparse.Namespace) -> int:
    progress = sys.stderr.isatty()
    new_store = not Path(args.db).exists()
    before = 0
    store = Store(args.db)
    try:
        before = len(store.document_ids())
        limits = limits_from(args)
        stats = index_add(store, args.paths, workers=args.workers, progress=progress,
                          forensics=not args.no_changes, limits=limits, static_vectors=not args.lexical_only)
        report_errors(stats.errors)
        report_renamed(stats.renamed)
        if stats.read == 0 and before == 0:
            store.close()
            if new_store:  # nothing readable: no empty store left behind
                for suffix in ("", "-wal", "-shm"):
                    Path(args.db + suffix).unlink(missing_ok=True)
            print(f"newstrace: error: nothing readable in {', '.join(one_line(p) for p in args.paths)}"
                  f"{'' if new_store else f'; {args.db} unchanged'}", file=sys.stderr)
            return 1
        # the new documents (and any a killed run left unlinked), through the candidate index
        linked: dict[str, int] = {}
        if not args.no_link:
            link_pending(store, workers=args.workers, progress=progress, changes=not args.no_changes,
                         semantic=not args.lexical_only, limits=limits, errors=stats.errors, stats=linked,
                         signed_again=stats.resigned_ids)
        if stats.resigned:
            print(f"newstrace: signed {counted(stats.resigned, 'stored document')} again with the checks an "
                  f"earlier add left out (--no-changes){'' if args.no_link else ', and compared their pairs again'}",
                  file=sys.stderr)
        if linked.get("documents_linked_semantically"):
            print(f"newstrace: linked {counted(linked['documents_linked_semantically'], 'stored document')} again "
                  "with the semantic layer an earlier add left out (--lexical-only)", file=sys.stderr)
        if linked.get("relations_analysed_again"):
            print(f"newstrace: analysed the changes of {counted(linked['relations_analysed_again'], 'relation')} "
                  "an earlier add made without them (--no-changes)", file=sys.stderr)
        report_errors(stats.errors[stats.skipped:])  # pairs over the time limit
        # families and stories: rebuilt / extended after each add
        story_counts: dict[str, int] = {}
        families, stories = ([], []) if args.no_link else organise(store, workers=args.workers,
                                                                   stats=story_counts,
                                                                   changes=not args.no_changes)
        total, relations = store.document_count(), store.relation_count()
    except KeyboardInterrupt:
        # One line and what is safe: every commit before the interrupt is kept.
        committed = len(store.document_ids()) - before
        store.close()
        print(f"newstrace: interrupted: {committed} documents were committed to {args.db}; "
              "run the same command again to continue", file=sys.stderr)
        return 130
    finally:
        store.close()
    replaced = f" ({stats.replaced:,} new {'version' if stats.replaced == 1 else 'versions'} of stored ones)" \
        if stats.replaced else ""
    print(f"read {stats.read}, added {stats.added}{replaced}, unchanged {stats.unchanged}, skipped {stats.skipped}; "
          f"index {args.db} holds {counted(total, 'document')}, {counted(relations, 'relation')}, "
          f"{counted(len(families), 'family', 'families')} and {counted(len(stories), 'story', 'stories')}"
          + (f" ({counted(story_counts['stories_reached'], 'story', 'stories')} reached by the new articles "
             f"clustered again, {story_counts['stories_kept']:,} kept)" if "stories_reached" in story_counts else ""))
    return 0
