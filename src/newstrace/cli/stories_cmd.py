"""``newstrace stories --db``: the index's stories (events), with their families."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newstrace.cli._common import add_db
from newstrace.types import Story

__all__ = ["register", "stories", "stories_cli"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("stories", help="list the stories (events) in the index",
                       description="List the index's stories: documents about one event, whether or not they "
                                   "share text, with a label, time span and the families inside.")
    add_db(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    p.add_argument("--min-size", type=int, default=1, metavar="N", help="only stories of at least N documents")
    p.set_defaults(func=stories_cli)


def stories(db: str) -> list[Story]:
    """The stories stored in the index at ``db``."""
    from newstrace.stages.stories import load_stories
    from newstrace.store import Store

    with Store(db) as store:
        return load_stories(store.conn)


def stories_cli(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        print(f"newstrace stories: {args.db}: no such index (create it with newstrace index add)", file=sys.stderr)
        return 2
    found = [s for s in stories(args.db) if len(s.documents) >= args.min_size]
    found.sort(key=lambda s: (-len(s.documents), s.id))
    if args.format == "json":
        from newstrace.stages.stories import story_to_dict

        json.dump([story_to_dict(s) for s in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    t = Table(title=f"Stories in {args.db} ({len(found)})")
    for col in ("story", "headline", "label", "docs", "families", "published", "documents"):
        t.add_column(col, overflow="fold")
    for s in found:
        span = f"{s.first_published} – {s.last_published}" if s.first_published else "–"
        t.add_row(s.id, s.headline or "–", s.label, str(len(s.documents)), str(len(s.families)), span,
                  "\n".join(s.documents[:6]) + (f"\n(+{len(s.documents) - 6})" if len(s.documents) > 6 else ""))
    console.print(t)
    return 0
