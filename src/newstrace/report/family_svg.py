"""Families drawn as inline SVG graphs for the HTML report (no script, no CDN).

Layout: a layered tree — the root on top, each member one row below its parent (the primary
edges), members of a row spread evenly; secondary edges are drawn dashed and faint.  Each node
links to its pair view (the relation from its parent, ``#rel{i}``), or to its document when it
has none (the root).  Families larger than ``MAX_NODES`` show the root's first rows and say how
many members are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

from newstrace.types import Family, Relation, Story

__all__ = ["MAX_NODES", "families_section"]

MAX_NODES = 60
_W, _ROW, _R = 150, 70, 9
_COLOURS = {"verbatim": "#1b7f3b", "near-duplicate": "#2f6db5", "spun": "#b5442f", "paraphrase": "#8a5cb8",
            "summary": "#b58a2f", "translation": "#2f9fb5"}


def _short(doc_id: str, n: int = 18) -> str:
    return doc_id if len(doc_id) <= n else doc_id[: n - 1] + "…"


def _layers(f: Family) -> tuple[list[list[str]], dict[str, str]]:
    children: dict[str, list[str]] = defaultdict(list)
    parent: dict[str, str] = {}
    for e in f.edges:
        if e.primary:
            children[e.source].append(e.target)
            parent[e.target] = e.source
    layers = [[f.root]]
    seen = {f.root}
    shown = 1
    while shown < MAX_NODES:
        nxt = [c for node in layers[-1] for c in sorted(children.get(node, [])) if c not in seen]
        if not nxt:
            break
        nxt = nxt[: MAX_NODES - shown]
        seen.update(nxt)
        shown += len(nxt)
        layers.append(nxt)
    return layers, parent


def family_svg(f: Family, rel_index: dict[tuple[str, str], int], doc_index: dict[str, int]) -> str:
    """One family as an ``<svg>`` element."""
    layers, parent = _layers(f)
    width = max(len(x) for x in layers) * _W + 40
    height = len(layers) * _ROW + 30
    pos: dict[str, tuple[float, float]] = {}
    for depth, row in enumerate(layers):
        step = width / (len(row) + 1)
        for k, node in enumerate(row):
            pos[node] = (step * (k + 1), 25 + depth * _ROW)
    parts = [f'<svg class="family-graph" data-testid="family-graph" data-family="{escape(f.id)}" '
             f'xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
             f'viewBox="0 0 {width:.0f} {height}" role="img" aria-label="family {escape(f.id)}">'
             f'<defs><marker id="arr-{escape(f.id)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for e in f.edges:
        if e.source in pos and e.target in pos and not e.primary:
            (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
            parts.append(f'<line x1="{x1:.0f}" y1="{y1}" x2="{x2:.0f}" y2="{y2}" stroke="#999" '
                         f'stroke-dasharray="4 3" stroke-opacity="0.5"><title>{escape(e.type)} (secondary)</title></line>')
    for e in f.edges:
        if e.primary and e.source in pos and e.target in pos:
            (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
            colour = _COLOURS.get(e.type, "#555")
            parts.append(f'<line class="edge" data-testid="family-edge" x1="{x1:.0f}" y1="{y1 + _R}" x2="{x2:.0f}" '
                         f'y2="{y2 - _R}" stroke="{colour}" stroke-width="2" marker-end="url(#arr-{escape(f.id)})"><title>{escape(e.source)} → '
                         f'{escape(e.target)}: {escape(e.type)}, {e.direction}; '
                         f'{escape(e.evidence[0] if e.evidence else "")}</title></line>')
    for node, (x, y) in pos.items():
        archetype = node == f.root and f.archetype
        p = parent.get(node)
        i = rel_index.get((p, node), rel_index.get((node, p), -1)) if p else -1
        href = f"#rel{i}" if i >= 0 else (f"#doc{doc_index[node]}" if node in doc_index else "#families")
        label = "unseen common source" if archetype else _short(node)
        fill = "#fff" if archetype else ("#ffe9a8" if node == f.root else "#dde8f6")
        dash = ' stroke-dasharray="3 2"' if archetype else ""
        parts.append(f'<a href="{href}" data-testid="family-node" data-id="{escape(node)}">'
                     f'<circle cx="{x:.0f}" cy="{y}" r="{_R}" fill="{fill}" stroke="#333"{dash}/>'
                     f'<text x="{x + _R + 3:.0f}" y="{y + 4}" text-anchor="start" font-size="11">{escape(label)}</text>'
                     f"<title>{escape(node)}</title></a>")
    parts.append("</svg>")
    return "".join(parts)


def families_section(families: Sequence[Family], stories: Sequence[Story], relations: Sequence[Relation],
                     doc_index: dict[str, int]) -> str:
    """The report's ``#families`` section: each family's graph and root evidence, then the stories."""
    if not families and not stories:
        return ""
    rel_index = {(r.source, r.target): i for i, r in enumerate(relations)}
    out = ['<section id="families" data-testid="families"><h2>Families</h2>']
    if not families:
        out.append('<p class="muted">No family: no document derives from another.</p>')
    for f in families:
        shown = min(len(f.members) + (1 if f.archetype else 0), MAX_NODES)
        more = len(f.members) + (1 if f.archetype else 0) - shown
        root = "an unseen common source" if f.archetype else escape(f.root)
        out.append(f'<article class="card family" id="family-{escape(f.id)}" data-testid="family">'
                   f"<h3>{escape(f.id)}: {len(f.members)} documents, root {root}</h3>"
                   f'<p class="muted">{escape("; ".join(f.root_evidence[:3]))}</p>'
                   f'<div class="scroll">{family_svg(f, rel_index, doc_index)}</div>'
                   + (f'<p class="muted">{more} more members not drawn.</p>' if more > 0 else "")
                   + "</article>")
    if stories:
        out.append('<h2 id="stories">Stories</h2><div class="scroll"><table class="summary" data-testid="stories-table">'
                   "<thead><tr><th>story</th><th>headline</th><th>label</th><th>documents</th><th>families</th><th>published</th>"
                   "</tr></thead><tbody>")
        for s in stories:
            docs = ", ".join(f'<a href="#doc{doc_index[d]}">{escape(d)}</a>' if d in doc_index else escape(d)
                             for d in s.documents[:20]) + (f" (+{len(s.documents) - 20})" if len(s.documents) > 20 else "")
            fams = ", ".join(f'<a href="#family-{escape(x)}">{escape(x)}</a>' for x in s.families) or "–"
            span = f"{s.first_published} – {s.last_published}" if s.first_published else "–"
            out.append(f'<tr data-testid="story-row"><td>{escape(s.id)}</td><td>{escape(s.headline or "–")}</td>'
                       f'<td>{escape(s.label)}</td>'
                       f"<td>{docs}</td><td>{fams}</td><td>{escape(span)}</td></tr>")
        out.append("</tbody></table></div>")
    out.append("</section>")
    return "".join(out)
