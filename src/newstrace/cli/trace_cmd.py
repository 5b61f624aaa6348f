"""``newstrace trace FILE``: the sources of one article, against the index."""

from __future__ import annotations

import argparse
import sys

from newstrace.cli._common import add_db, add_output, check_writable, emit, report_errors
from newstrace.pipeline import trace
from newstrace.store import Store

__all__ = ["register", "trace_cli"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("trace", help="find the sources of one article in the index",
                       description="Report which indexed articles the given article derives from (or which derive "
                                   "from it), with aligned passages. The article is not added to the index.")
    p.add_argument("file", metavar="FILE", help="the article (.txt, .html, .jsonl or .warc)")
    add_db(p)
    add_output(p)
    p.set_defaults(func=trace_cli)


def trace_cli(args: argparse.Namespace) -> int:
    from pathlib import Path

    problem = check_writable(args.output)
    if problem:  # before the work, not after it
        print(f"newstrace: error: {problem}", file=sys.stderr)
        return 2
    if not Path(args.db).exists():
        print(f"newstrace: no index at {args.db}: build one with 'newstrace index add PATH --db {args.db}'",
              file=sys.stderr)
        return 2
    with Store(args.db) as store:
        result = trace(store, args.file, workers=args.workers, changes=not args.no_changes,
                       semantic=not args.lexical_only)
        # An article traced again: said, so that its row is not read as a copy found.
        queries = {d.id: d.text for d in result.documents}
        held: dict[str, list[str]] = {}
        for r in result.relations:
            query, stored = (r.target, r.source) if r.target in queries else (r.source, r.target)
            if r.type == "verbatim" and stored not in queries and any(
                    d.text == queries[query] for d in store.get_documents([stored])):
                held.setdefault(query, []).append(stored)
        for query, stored_as in held.items():
            print(f"newstrace: {query} is in the index already (the same cleaned text): {', '.join(stored_as)}",
                  file=sys.stderr)
        in_families = {m for f in result.families for m in f.members}
        for query, left in result.not_aligned.items():
            shown = ", ".join(left[:5]) + (f", … ({len(left) - 5:,} more)" if len(left) > 5 else "")
            covered = sum(1 for d in left if d in in_families)
            where = (f"; the families listed, of the copies it was aligned with, hold {covered:,} of them "
                     f"('newstrace family ID --db {args.db}' draws one)") if covered else ""
            print(f"newstrace: {query} has more near-copies than are aligned one by one: aligned with its nearest, "
                  f"{len(left):,} left ({shown}){where}", file=sys.stderr)
    report_errors(result.errors)
    emit(args, result.documents, result.relations, result.errors, result.stats, families=result.families,
         not_aligned=result.not_aligned)
    return 0 if result.documents else 1
