"""``newstrace compare A B``: is one article derived from the other, and what changed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newstrace.cli._common import check_writable, report_errors
from newstrace.compare import compare
from newstrace.pipeline import ScanResult
from newstrace.report.html import render_html
from newstrace.report.output import render
from newstrace.types import Relation

__all__ = ["compare_cli", "register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "compare",
        help="compare two articles: reuse, aligned passages and what changed",
        description="Align two articles directly, say whether one derives from the other, and "
        "show the aligned passages with the changes between them.",
    )
    p.add_argument("a", metavar="A", help="one article (.txt, .html, .jsonl or .warc holding one article)")
    p.add_argument("b", metavar="B", help="the other article")
    p.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (default: table)"
    )
    p.add_argument("--report", metavar="FILE", help="also write a self-contained HTML report to FILE")
    p.set_defaults(func=compare_cli)


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def print_comparison(result: ScanResult, file: object = None) -> None:
    """The relation, its passages and their changes, as rich tables (meaning changes in colour)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = file or sys.stdout
    # Markup and emoji codes off: ids, notes and passages are data ("[/b]" must not raise).
    console = Console(file=out, width=None if getattr(out, "isatty", lambda: False)() else 140,  # type: ignore[arg-type]
                      markup=False, emoji=False)
    names = ", ".join(d.id for d in result.documents)
    if not result.relations:
        unread = ", ".join(e.path for e in result.errors)
        console.print(
            f"no reuse found between {names}"
            if len(result.documents) == 2
            else f"nothing compared: {unread or 'an input'} could not be read; compare needs two readable articles"
        )
        return
    r: Relation = result.relations[0]
    t = Table(title="Relation", show_header=False, box=None, padding=(0, 1))
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    t.add_row("source → target", f"{r.source} → {r.target}")
    t.add_row("type", r.type)
    t.add_row("confidence", f"{r.confidence:.2f}")
    t.add_row("direction", f"{r.direction.decided_by}: {r.direction.note}")
    t.add_row("coverage", f"{r.source_coverage:.0%} of the source, {r.target_coverage:.0%} of the target")
    for x in r.evidence:
        t.add_row("evidence", x)
    console.print(t)
    for j, p in enumerate(r.passages, 1):
        meaning = sum(1 for c in p.changes if c.severity != "harmless")
        title = (
            f"Passage {j}: source {p.source_span[0]}–{p.source_span[1]} ↔ target "
            f"{p.target_span[0]}–{p.target_span[1]}, similarity {p.similarity:.2f}, "
            f"{len(p.changes)} changes ({meaning} of meaning)"
        )
        console.print()
        console.print(Text(title, style="bold"), highlight=False)
        console.print(Text(f"  source: “{_short(p.source_text, 200)}”", style="dim"))
        console.print(Text(f"  target: “{_short(p.target_text, 200)}”", style="dim"))
        if not p.changes:
            console.print("  no changes recorded for this passage")
            continue
        ct = Table(show_lines=False, expand=False)
        ct.add_column("kind", no_wrap=True)
        ct.add_column("severity", no_wrap=True)
        ct.add_column("source → target", ratio=1, overflow="fold")
        ct.add_column("explanation", ratio=1, overflow="fold")
        for c in p.changes:
            style = "bold red" if c.severity != "harmless" else "dim"
            change = Text(_short(c.source_text, 80) or "∅", style="red" if c.severity != "harmless" else "")
            change.append(" → ")
            change.append(_short(c.target_text, 80) or "∅", style="green" if c.severity != "harmless" else "")
            ct.add_row(Text(c.kind, style=style), Text(c.severity, style=style), change, Text(c.explanation))
        console.print(ct)


def compare_cli(args: argparse.Namespace) -> int:
    problem = check_writable(args.report, "report")
    if problem:  # before the work, not after it
        print(f"newstrace: error: {problem}", file=sys.stderr)
        return 2
    result = compare(args.a, args.b)
    report_errors(result.errors)
    if args.format == "json":
        sys.stdout.write(render("json", result.documents, result.relations, result.errors, result.stats))
    else:
        print_comparison(result)
    if args.report:
        Path(args.report).write_text(
            render_html(
                result.documents,
                result.relations,
                result.errors,
                result.stats,
                title=f"newstrace: {Path(args.a).name} vs {Path(args.b).name}",
            ),
            encoding="utf-8",
        )
        print(f"newstrace: wrote {args.report}", file=sys.stderr)
    return 0 if len(result.documents) == 2 else 1
