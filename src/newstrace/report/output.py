"""Renderers for scan and trace results: JSON (documented in docs/output.md), CSV, Markdown, terminal.

All four render the same ``ScanResult``; none recomputes anything.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from newstrace import __version__
from newstrace.stages.text import split_sentences
from newstrace.store import relation_to_dict
from newstrace.types import Document, Family, FamilyEdge, InputError, Relation, Story

__all__ = ["FORMATS", "document_to_dict", "family_tree_lines", "render", "to_dict"]

FORMATS = ("table", "json", "csv", "md")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 relation", "0 inputs", "2 families"."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def document_to_dict(d: Document) -> dict[str, Any]:
    """The JSON form of a document (docs/output.md)."""
    return {
        "id": d.id, "path": d.path, "title": d.title, "url": d.url, "site": d.site,
        "published": d.published, "language": d.language, "text": d.text,
        "sentences": [[x.start, x.end] for x in split_sentences(d.text)],
        "removed": [{"text": r.text, "reason": r.reason, "span": [r.start, r.end]} for r in d.removed],
        "rewrite_signature": list(d.signature),
    }


def to_dict(documents: list[Document], relations: list[Relation], errors: list[InputError],
            stats: dict[str, Any] | None = None, *, families: list[Family] | None = None,
            stories: list[Story] | None = None, not_aligned: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The JSON document described in docs/output.md (``not_aligned``: a trace's, when it left any)."""
    from newstrace.stages.families.store import family_to_dict
    from newstrace.stages.stories.store import story_to_dict

    out = {
        "newstrace_version": __version__,
        "documents": [document_to_dict(d) for d in documents],
        "relations": [relation_to_dict(r) for r in relations],
        "families": [family_to_dict(f) for f in families or []],
        "stories": [story_to_dict(s) for s in stories or []],
        "errors": [{"path": e.path, "reason": e.reason} for e in errors],
        "summary": dict(stats or {}),
    }
    if not_aligned:
        out["not_aligned"] = {q: list(ids) for q, ids in not_aligned.items()}
    return out


#: First characters that make a spreadsheet read a cell as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    """An id as a CSV cell: one a spreadsheet would run as a formula (``=HYPERLINK(…)``, from a
    scraped page's name) gets a leading ``'``, as spreadsheets themselves mark text."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv(relations: list[Relation], families: list[Family], stories: list[Story]) -> str:
    family_of = {m: f.id for f in families for m in f.members}
    primary = {(e.source, e.target) for f in families for e in f.edges if e.primary}
    story_of = {d: s.id for s in stories for d in s.documents}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["source", "target", "type", "confidence", "direction", "source_coverage", "target_coverage",
                "passage", "source_start", "source_end", "target_start", "target_end", "similarity",
                "family", "primary", "story"])
    for r in relations:
        edge = "true" if (r.source, r.target) in primary or (r.target, r.source) in primary else "false"
        for i, p in enumerate(r.passages):
            w.writerow([_csv_text(r.source), _csv_text(r.target), r.type, r.confidence, r.direction.decided_by,
                        r.source_coverage, r.target_coverage, i, *p.source_span, *p.target_span, p.similarity,
                        family_of.get(r.target, ""), edge, story_of.get(r.target, "")])
    return buf.getvalue()


def family_tree_lines(f: Family) -> list[str]:
    """A family as indented lines: each member under its parent, with the edge's type and evidence."""
    children: dict[str, list[Any]] = {}
    for e in f.edges:
        if e.primary:
            children.setdefault(e.source, []).append(e)
    head = f"{f.root} (unseen common source)" if f.archetype else f"{f.root} (original)"
    lines = [head]

    def walk(node: str, depth: int, seen: set[str]) -> None:
        for e in sorted(children.get(node, []), key=lambda x: x.target):
            if e.target in seen:
                continue
            seen.add(e.target)
            lines.append(f"{'  ' * depth}└─ {e.target} [{edge_label(e)}] "
                         f"{_short(e.evidence[0], 110) if e.evidence else ''}")
            walk(e.target, depth + 1, seen)

    walk(f.root, 1, {f.root})
    return lines


def edge_label(e: FamilyEdge) -> str:
    """An edge's type, confidence and direction evidence, as the family tree shows them.  An edge
    no alignment made (from the unseen common source, or a member placed by the family's
    structure) has no confidence to show, and says so instead of "0.00"."""
    if e.passages or e.confidence > 0:
        return f"{e.type}, {e.confidence:.2f}, {e.direction}"
    if e.source.startswith("archetype:"):
        return f"{e.type}, no alignment: the source is unseen"
    return f"{e.type}, not aligned: placed by the family's structure"


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _md(text: object) -> str:
    """Data as Markdown text: ``|`` escaped (a table cell stays one cell), ``<``, ``>`` and ``&``
    as entities (a scraped title's markup shows as text, never as HTML), on one line."""
    return " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _families_markdown(families: list[Family], stories: list[Story]) -> list[str]:
    lines: list[str] = []
    if families:
        lines += ["", "## Families", ""]
        for f in families:
            lines += [f"### {_md(f.id)}: {len(f.members)} documents", "",
                      f"Root: {_md(f.root)} — " + "; ".join(_md(x) for x in f.root_evidence[:2]), "", "```"]
            lines += family_tree_lines(f)
            lines += ["```"]
    if stories:
        lines += ["", "## Stories", "",
                  "| id | headline | label | documents | families | first published | last published |",
                  "|---|---|---|---|---|---|---|"]
        for s in stories:
            lines.append(f"| {_md(s.id)} | {_md(s.headline or '–')} | {_md(s.label)} | {_md(', '.join(s.documents))} | "
                         f"{_md(', '.join(s.families) or '–')} | {s.first_published or ''} | {s.last_published or ''} |")
    return lines


def _markdown(documents: list[Document], relations: list[Relation], errors: list[InputError],
              stats: dict[str, Any], families: list[Family], stories: list[Story]) -> str:
    lines = ["# newstrace report", "", f"{counted(len(documents), 'document')}, {counted(len(relations), 'relation')}, "
             f"{counted(len(errors), 'input')} skipped.", "", "## Relations", ""]
    if relations:
        lines += ["| source | target | type | confidence | direction | source cov. | target cov. | passages |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in relations:
            lines.append(f"| {_md(r.source)} | {_md(r.target)} | {r.type} | {r.confidence:.2f} | {r.direction.decided_by}: "
                         f"{_md(r.direction.note)} | {r.source_coverage:.0%} | {r.target_coverage:.0%} | {len(r.passages)} |")
        for r in relations:
            lines += ["", f"### {_md(r.source)} → {_md(r.target)} ({r.type})", ""]
            for p in r.passages:
                lines.append(f"- source {p.source_span} ↔ target {p.target_span}, similarity {p.similarity:.2f}: "
                             f"“{_md(_short(p.source_text, 70))}” ↔ “{_md(_short(p.target_text, 70))}”")
    else:
        lines.append("No reuse found.")
    lines += ["", "## Documents", "", "| id | title | language | published | removed |", "|---|---|---|---|---|"]
    for d in documents:
        lines.append(f"| {_md(d.id)} | {_md(_short(d.title or '', 60))} | {d.language or ''} | {d.published or ''} | "
                     f"{len(d.removed)} |")
    signed = [d for d in documents if d.signature]
    if signed:
        lines += ["", "## Rewrite signatures", ""]
        for d in signed:
            lines.append(f"- {_md(d.id)}: " + "; ".join(f"{x.get('kind')}: {_md(x.get('evidence'))}" for x in d.signature[:6])
                         + (f"; … ({len(d.signature) - 6} more)" if len(d.signature) > 6 else ""))
    lines += _families_markdown(families, stories)
    if errors:
        lines += ["", "## Skipped inputs", ""] + [f"- {_md(e.path)}: {_md(e.reason)}" for e in errors]
    return "\n".join(lines) + "\n"


def _signature_summary(d: Document) -> str:
    kinds: dict[str, int] = {}
    for item in d.signature:
        kinds[str(item.get("kind"))] = kinds.get(str(item.get("kind")), 0) + 1
    return ", ".join(f"{k} ({v} traces)" for k, v in kinds.items()) or "–"


def _meaning_summary(r: Relation) -> str:
    kinds: dict[str, int] = {}
    harmless = 0
    for p in r.passages:
        for c in p.changes:
            if c.severity == "meaning":
                kinds[c.kind] = kinds.get(c.kind, 0) + 1
            else:
                harmless += 1
    if not kinds and not harmless:
        return "–"
    return ", ".join(f"{k} ×{v}" for k, v in sorted(kinds.items())) + f" (+{harmless} harmless)"


def _table(documents: list[Document], relations: list[Relation], errors: list[InputError],
           stats: dict[str, Any], families: list[Family], stories: list[Story]) -> str:
    from rich.console import Console
    from rich.table import Table

    # Markup and emoji codes off: every string here is data (ids, titles, passages), and text
    # like "[/b]" or ":joy:" from a scraped page must print as it is, not raise MarkupError.
    console = Console(record=True, width=140, file=io.StringIO(), markup=False, emoji=False, highlight=False)
    t = Table(title=f"Relations ({len(relations)})", show_lines=False)
    for col in ("source → target", "type", "conf.", "direction (evidence)", "src cov.", "tgt cov.", "passages",
                "meaning changes"):
        t.add_column(col, overflow="fold")
    for r in relations:
        t.add_row(f"{r.source} → {r.target}", r.type, f"{r.confidence:.2f}",
                  f"{r.direction.decided_by}: {r.direction.note}", f"{r.source_coverage:.0%}",
                  f"{r.target_coverage:.0%}", str(len(r.passages)), _meaning_summary(r))
    console.print(t)
    for r in relations:
        meaning = [c for p in r.passages for c in p.changes if c.severity == "meaning"]
        if not meaning:
            continue
        ct = Table(title=f"{r.source} → {r.target}: what the rewrite changed in meaning", show_lines=False)
        for col in ("kind", "source", "target", "explanation"):
            ct.add_column(col, overflow="fold")
        for c in meaning:
            ct.add_row(c.kind, _short(c.source_text, 50) or "–", _short(c.target_text, 50) or "–", c.explanation)
        console.print(ct)
    for r in relations:
        pt = Table(title=f"{r.source} → {r.target}: aligned passages", show_lines=True)
        pt.add_column("source span")
        pt.add_column("source text", ratio=1)
        pt.add_column("target span")
        pt.add_column("target text", ratio=1)
        pt.add_column("sim.")
        for p in r.passages:
            pt.add_row(f"{p.source_span[0]}–{p.source_span[1]}", _short(p.source_text, 160),
                       f"{p.target_span[0]}–{p.target_span[1]}", _short(p.target_text, 160), f"{p.similarity:.2f}")
        console.print(pt)
    dt = Table(title=f"Documents ({len(documents)})")
    for col in ("id", "title", "lang", "published", "removed boilerplate", "rewrite signature"):
        dt.add_column(col, overflow="fold")
    for d in documents:
        reasons: dict[str, int] = {}
        for x in d.removed:
            reasons[x.reason] = reasons.get(x.reason, 0) + 1
        dt.add_row(d.id, _short(d.title or "", 60), d.language or "", d.published or "",
                   ", ".join(f"{k} ×{v}" for k, v in reasons.items()) or "–", _signature_summary(d))
    console.print(dt)
    if families:
        ft = Table(title=f"Families ({len(families)})")
        for col in ("family", "root", "members", "provenance (primary edges)"):
            ft.add_column(col, overflow="fold")
        for f in families:
            ft.add_row(f.id, f.root + (" (unseen)" if f.archetype else ""), str(len(f.members)),
                       "\n".join(family_tree_lines(f)[1:13]) + ("\n…" if len(f.members) > 12 else ""))
        console.print(ft)
    if stories:
        st = Table(title=f"Stories ({len(stories)})")
        for col in ("story", "headline", "label", "documents", "families", "published"):
            st.add_column(col, overflow="fold")
        for s in stories:
            span = f"{s.first_published or '?'} – {s.last_published or '?'}" if s.first_published else "–"
            st.add_row(s.id, s.headline or "–", s.label, ", ".join(s.documents[:8]) + (f" (+{len(s.documents) - 8})" if len(s.documents) > 8 else ""),
                       ", ".join(s.families) or "–", span)
        console.print(st)
    summary = (f"{counted(stats.get('documents', len(documents)), 'document')}, "
               f"{counted(len(relations), 'relation')}, {counted(len(errors), 'input')} skipped")
    if "seconds" in stats:
        summary += f", {stats['seconds']:.2f} s"
    console.print(summary)
    for e in errors:
        console.print(f"skipped {e.path}: {e.reason}")
    return console.export_text()


def render(fmt: str, documents: list[Document], relations: list[Relation], errors: list[InputError],
           stats: dict[str, Any] | None = None, *, families: list[Family] | None = None,
           stories: list[Story] | None = None, not_aligned: Mapping[str, list[str]] | None = None) -> str:
    """Render a result in one of ``FORMATS``."""
    stats = stats or {}
    fams, stos = families or [], stories or []
    if fmt == "json":
        return json.dumps(to_dict(documents, relations, errors, stats, families=fams, stories=stos,
                                  not_aligned=not_aligned), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return _csv(relations, fams, stos)
    if fmt == "md":
        return _markdown(documents, relations, errors, stats, fams, stos)
    if fmt == "table":
        return _table(documents, relations, errors, stats, fams, stos)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
