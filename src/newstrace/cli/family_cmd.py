"""``newstrace family DOC --db``: a document's family as a tree; ``--graph`` exports families."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newstrace.cli._common import add_db
from newstrace.types import Family

__all__ = ["family", "family_cli", "register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("family", help="show a document's family (original, who copied whom) as a tree",
                       description="Show the family of DOC in the index: its original (or unseen common source) "
                                   "and each member under its most direct parent, with the edge's type and evidence. "
                                   "With --all, every family. --graph FILE also writes the families shown as "
                                   "GraphML (.graphml) or JSON Graph (.json).")
    p.add_argument("doc", nargs="?", metavar="DOC", help="a document id in the index, or a family id (F…)")
    p.add_argument("--all", action="store_true", help="every family in the index")
    p.add_argument("--graph", metavar="FILE", help="write the families as GraphML (.graphml) or JSON Graph (.json)")
    add_db(p)
    p.set_defaults(func=family_cli)


def family(db: str, doc: str | None) -> list[Family]:
    """The family holding ``doc`` (or every family when ``doc`` is None) in the store at ``db``."""
    from newstrace.stages.families import load_families
    from newstrace.store import Store

    with Store(db) as store:
        return load_families(store.conn, doc)


def _grow(node: Any, key: str, seen: set[str], children: dict[str, list[tuple[str, str]]]) -> None:
    for target, label in sorted(children.get(key, [])):
        if target not in seen:
            seen.add(target)
            _grow(node.add(label), target, seen, children)


def family_cli(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.tree import Tree

    from newstrace.report.output import edge_label

    if not args.all and not args.doc:
        print("newstrace family: give a document id, or --all", file=sys.stderr)
        return 2
    if not Path(args.db).exists():
        print(f"newstrace family: {args.db}: no such index (create it with newstrace index add)", file=sys.stderr)
        return 2
    families = family(args.db, None if args.all else args.doc)
    if not families:
        print(f"newstrace family: {args.doc!r} is neither a family nor a document in a family in {args.db} "
              "(no reuse found, or not indexed)", file=sys.stderr)
        return 1
    console = Console()
    for f in families:
        title = (f"[bold]{f.id}[/bold]: {len(f.members)} documents; root "
                 + ("[italic]an unseen common source[/italic]" if f.archetype else f"[bold]{f.root}[/bold]"))
        tree = Tree(title)
        for line in f.root_evidence[:3]:
            tree.add(f"[dim]{line}[/dim]")
        children: dict[str, list[tuple[str, str]]] = {}
        for e in f.edges:
            if e.primary:
                why = e.evidence[0] if e.evidence else ""
                children.setdefault(e.source, []).append(
                    (e.target, f"{e.target}  [cyan]{edge_label(e)}[/cyan] [dim]{why}[/dim]"))
        secondary = sum(1 for e in f.edges if not e.primary)

        _grow(tree.add(f.root + (" (hypothetical)" if f.archetype else " (original)")), f.root, {f.root}, children)
        if secondary:
            tree.add(f"[dim]{secondary} secondary edges (other relations between members)[/dim]")
        console.print(tree)
    if args.graph:
        from newstrace.report.graph_export import write_graph
        from newstrace.store import Store

        with Store(args.db) as store:
            docs = store.get_documents(sorted({m for f in families for m in f.members}))
        try:
            write_graph(args.graph, families, docs)
        except (OSError, ValueError) as exc:
            print(f"newstrace family: {exc}", file=sys.stderr)
            return 2
        print(f"newstrace: wrote {args.graph}", file=sys.stderr)
    return 0
