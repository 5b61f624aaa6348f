"""A self-contained HTML report: relations, aligned passages side by side, changes highlighted.

One file, with its CSS and JavaScript inline and no external resource (scripts, fonts, images
or style sheets), so it opens from ``file://`` and can be mailed or archived as is.  Element ids
and ``data-testid`` attributes are stable so that tests and scripts can find things:

* ``#rel{i}`` (``data-testid="relation"``): relation *i*, in the order given;
* ``#rel{i}-p{j}`` (``data-testid="passage"``): its aligned passage *j*, source left, target right;
* ``#rel{i}-p{j}-c{k}`` (``data-testid="change"``, ``data-kind``, ``data-severity``): change *k*
  in the passage's list of changes;
* ``#rel{i}-p{j}-c{k}-src`` / ``-tgt`` (``data-testid="change-mark"``, ``data-side``): where that
  change sits in the source and in the target text.  Every change has both anchors: a change
  with an empty span on one side (an omission or an addition), or one overlapping a change
  already highlighted, is shown as a small point marker instead of a highlighted range;
* ``#doc{n}`` (``data-testid="document-text"``): the full cleaned text of document *n*, with the
  passages of its relations marked;
* ``#details`` (``data-testid="details"``): the panel a click on a change fills;
* ``#meaning-only`` (``data-testid="meaning-only"``): the toggle that hides harmless changes.

Spans are absolute offsets into each document's cleaned text (``Document.text``); a change's
position inside its passage is its span minus the passage's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from itertools import pairwise
from typing import Any

from newstrace import __version__
from newstrace.report.family_svg import families_section
from newstrace.report.html_assets import CSS, JS, PANEL
from newstrace.types import Change, Document, Family, InputError, Passage, Relation, Story

__all__ = ["KINDS", "render_html"]

#: The kinds of change the meaning-change stage reports, in legend order, with a hue for each
#: and a one-line description for the legend.  Unknown kinds are shown in grey.
KINDS: dict[str, tuple[int, int, str]] = {
    # kind: (hue, saturation %, description)
    "entity": (2, 75, "a person, place or organisation is named differently or replaced"),
    "number": (28, 85, "a figure, date, amount or quantity differs"),
    "quote": (318, 60, "words inside quotation marks were altered"),
    "attribution": (268, 55, "who said or reported something changed"),
    "polarity": (212, 75, "a negation or the direction of a claim is reversed"),
    "hedge": (176, 65, "the certainty changed (may / will, reportedly, allegedly)"),
    "word-sense": (45, 90, "a word was swapped for one that means something else here"),
    "synonym": (135, 45, "a word was swapped for an equivalent one"),
    "rewording": (95, 40, "a phrase was rewritten with the same meaning"),
    "omission": (220, 12, "source text left out of the target"),
    "addition": (192, 55, "target text that is not in the source"),
}
_OTHER = (220, 10, "another kind of difference")
_OPEN_LIST_MAX = 12  # longer lists of changes start folded


def _e(value: object) -> str:
    """HTML-escape any value for text or a double-quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def _slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", kind.lower()).strip("-") or "other"


def _kind_classes(change: Change) -> str:
    severity = change.severity if change.severity in ("meaning", "harmless") else "unknown"
    return f"k-{_slug(change.kind)} s-{severity}"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _short(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _change_title(c: Change) -> str:
    src = _short(c.source_text, 120) or "(nothing)"
    tgt = _short(c.target_text, 120) or "(nothing)"
    return f"{c.kind} · {c.severity}: {c.explanation}\n“{src}” → “{tgt}”"


# ---------------------------------------------------------------------------------------------
# marking text: ranges that never overlap, plus point markers


def _local(span: tuple[int, int], base: int, length: int) -> tuple[int, int]:
    """A span relative to ``base``, clamped to ``[0, length]``."""
    s = min(max(span[0] - base, 0), length)
    e = min(max(span[1] - base, s), length)
    return s, e


def _mark_text(
    text: str, ranges: Sequence[tuple[int, int, str, str]], points: Sequence[tuple[int, str]]
) -> str:
    """Escape ``text`` and wrap non-overlapping ``(start, end, open, close)`` ranges, inserting
    ``(position, html)`` points; points inside a range are placed inside it (well-formed)."""
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    inserts: dict[int, list[str]] = {}
    for s, e, o, c in ranges:
        opens.setdefault(s, []).append(o)
        closes.setdefault(e, []).append(c)
    for pos, h in points:
        inserts.setdefault(pos, []).append(h)
    cuts = sorted({0, len(text), *opens, *closes, *inserts})
    out: list[str] = []
    for i, pos in enumerate(cuts):
        out += closes.get(pos, [])
        out += opens.get(pos, [])
        out += inserts.get(pos, [])
        if i + 1 < len(cuts):
            out.append(_e(text[pos : cuts[i + 1]]))
    return "".join(out)


def _side_html(text: str, base: int, changes: Sequence[Change], prefix: str, side: str) -> str:
    """One side of a passage with every change marked; ``side`` is ``"src"`` or ``"tgt"``."""
    spans: list[tuple[int, int, int]] = []  # (start, end, k)
    for k, c in enumerate(changes):
        s, e = _local(c.source_span if side == "src" else c.target_span, base, len(text))
        spans.append((s, e, k))
    ranges: list[tuple[int, int, str, str]] = []
    points: list[tuple[int, str]] = []
    taken_until = -1
    # Longest first among equal starts, so a change nested in another becomes a point marker.
    for s, e, k in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]), x[2])):
        c = changes[k]
        cid = f"{prefix}-c{k}"
        other = "tgt" if side == "src" else "src"
        attrs = (
            f'id="{cid}-{side}" data-testid="change-mark" data-change="{cid}" '
            f'data-side="{"source" if side == "src" else "target"}" data-counterpart="{cid}-{other}" '
            f'data-kind="{_e(c.kind)}" data-severity="{_e(c.severity)}" tabindex="0" role="button" '
            f'title="{_e(_change_title(c))}"'
        )
        if s < e and s >= taken_until:
            ranges.append((s, e, f'<mark class="chg {_kind_classes(c)}" {attrs}>', "</mark>"))
            taken_until = e
        else:  # empty on this side, or overlapping a change already highlighted
            why = "empty" if e <= s else "overlap"
            points.append(
                (s, f'<mark class="chg chg-point {_kind_classes(c)}" data-point="{why}" {attrs}></mark>')
            )
    return _mark_text(text, ranges, points)


def _segments_html(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """The full text of a document with possibly overlapping ``(start, end, href, label)`` spans
    marked: each stretch covered by one or more passages links to the first of them."""
    cuts = sorted(
        {
            0,
            len(text),
            *(min(max(s, 0), len(text)) for s, _, _, _ in spans),
            *(min(max(e, 0), len(text)) for _, e, _, _ in spans),
        }
    )
    out: list[str] = []
    for a, b in pairwise(cuts):
        covering = [(h, lab) for s, e, h, lab in spans if s <= a and b <= e]
        piece = _e(text[a:b])
        if covering:
            title = "; ".join(lab for _, lab in covering)
            many = " psg-many" if len(covering) > 1 else ""
            out.append(f'<a class="psg{many}" href="#{covering[0][0]}" title="{_e(title)}">{piece}</a>')
        else:
            out.append(piece)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# sections


def _doc_label(doc_id: str, docs: dict[str, tuple[int, Document]]) -> str:
    if doc_id in docs:
        n, d = docs[doc_id]
        title = f'<span class="doc-title">{_e(d.title)}</span>' if d.title else ""
        return f'<a class="doc-id" href="#doc{n}">{_e(doc_id)}</a>{title}'
    return f'<span class="doc-id">{_e(doc_id)}</span>'


def _meaning_by_kind(r: Relation) -> Counter[str]:
    return Counter(c.kind for p in r.passages for c in p.changes if c.severity != "harmless")


def _kind_chips(counts: Counter[str]) -> str:
    if not counts:
        return '<span class="muted">none</span>'
    return " ".join(
        f'<span class="chip k-{_slug(k)}" data-kind="{_e(k)}">{_e(k)} {n}</span>'
        for k, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    )


def _removed_summary(d: Document) -> str:
    if not d.removed:
        return '<span class="muted">–</span>'
    reasons = Counter(x.reason for x in d.removed)
    detail = ", ".join(f"{_e(k)} ×{v}" for k, v in reasons.items())
    return f'<strong>{len(d.removed)}</strong> <span class="muted">({detail})</span>'


def _summary(
    documents: Sequence[Document],
    relations: Sequence[Relation],
    errors: Sequence[InputError],
    docs: dict[str, tuple[int, Document]],
) -> str:
    out = ['<section id="summary" class="card"><h2>Relations</h2>']
    if relations:
        out.append(
            '<div class="scroll"><table class="summary" data-testid="relations-table"><thead><tr>'
            "<th>source → target</th><th>type</th><th>conf.</th><th>direction (evidence)</th>"
            "<th>src cov.</th><th>tgt cov.</th><th>passages</th><th>meaning changes</th><th>harmless</th>"
            "</tr></thead><tbody>"
        )
        for i, r in enumerate(relations):
            harmless = sum(1 for p in r.passages for c in p.changes if c.severity == "harmless")
            out.append(
                f'<tr data-testid="relation-row"><td><a href="#rel{i}">{_e(r.source)}<br>→ '
                f"{_e(r.target)}</a></td>"
                f'<td><span class="badge type">{_e(r.type)}</span></td>'
                f'<td class="num">{r.confidence:.2f}</td>'
                f"<td><strong>{_e(r.direction.decided_by)}</strong><br>"
                f'<span class="note">{_e(r.direction.note)}</span></td>'
                f'<td class="num">{_pct(r.source_coverage)}</td>'
                f'<td class="num">{_pct(r.target_coverage)}</td><td class="num">{len(r.passages)}</td>'
                f'<td>{_kind_chips(_meaning_by_kind(r))}</td><td class="num">{harmless}</td></tr>'
            )
        out.append("</tbody></table></div>")
    else:
        out.append(
            f'<p class="empty" data-testid="no-relations">No reuse found among {len(documents)} '
            "documents.</p>"
        )
    out.append(
        '<h2>Documents</h2><div class="scroll"><table class="summary" data-testid="documents-table">'
        "<thead><tr><th>id</th><th>title</th><th>site</th><th>lang.</th><th>published</th>"
        "<th>removed boilerplate</th></tr></thead><tbody>"
    )
    for n, d in enumerate(documents):
        out.append(
            f'<tr data-testid="document-row"><td><a href="#doc{n}">{_e(d.id)}</a></td><td>{_e(d.title)}</td>'
            f"<td>{_e(d.site)}</td><td>{_e(d.language)}</td><td>{_e(d.published)}</td>"
            f"<td>{_removed_summary(d)}</td></tr>"
        )
    out.append("</tbody></table></div>")
    out.append("<h2>Skipped inputs</h2>")
    if errors:
        out.append('<ul class="errors" data-testid="errors">')
        out += [f'<li data-testid="error"><code>{_e(x.path)}</code>: {_e(x.reason)}</li>' for x in errors]
        out.append("</ul>")
    else:
        out.append('<p class="muted" data-testid="errors">None: every input was read.</p>')
    out.append("</section>")
    return "".join(out)


def _legend(kinds_seen: Iterable[str]) -> str:
    kinds = list(KINDS) + sorted(k for k in set(kinds_seen) if k not in KINDS)
    items = []
    for k in kinds:
        desc = KINDS.get(k, _OTHER)[2]
        items.append(
            f'<li data-kind="{_e(k)}"><span class="swatch chg k-{_slug(k)} s-meaning">{_e(k)}</span>'
            f'<span class="swatch chg k-{_slug(k)} s-harmless">{_e(k)}</span>'
            f'<span class="desc">{_e(desc)}</span></li>'
        )
    return (
        '<section id="legend" class="card" data-testid="legend"><h2>Legend</h2>'
        '<p class="muted">Each change is highlighted in both texts. <span class="chg k-entity s-meaning">'
        'Strong colour</span> marks a change of meaning; <span class="chg k-entity s-harmless">a faint '
        "dotted underline</span> a harmless one. ▸ marks a change with nothing on that side (an "
        "omission or an addition) or one inside another change. Hover over a change for its "
        "explanation; click it for details and to jump to its counterpart.</p>"
        f'<ul class="legend">{"".join(items)}</ul></section>'
    )


def _passage(i: int, j: int, r: Relation, p: Passage) -> str:
    prefix = f"rel{i}-p{j}"
    meaning = sum(1 for c in p.changes if c.severity != "harmless")
    count = (
        (
            f"{len(p.changes)} change{'s' if len(p.changes) != 1 else ''} · "
            f'<span class="meaning-count">{meaning} of meaning</span>'
        )
        if p.changes
        else "no changes recorded"
    )
    src = _side_html(p.source_text, p.source_span[0], p.changes, prefix, "src")
    tgt = _side_html(p.target_text, p.target_span[0], p.changes, prefix, "tgt")
    rows = []
    for k, c in enumerate(p.changes):
        cid = f"{prefix}-c{k}"
        rows.append(
            f'<li id="{cid}" class="change-row {_kind_classes(c)}" data-testid="change" '
            f'data-kind="{_e(c.kind)}" '
            f'data-severity="{_e(c.severity)}" data-source-text="{_e(c.source_text)}" '
            f'data-target-text="{_e(c.target_text)}" data-explanation="{_e(c.explanation)}" '
            f'data-source-span="{c.source_span[0]}–{c.source_span[1]}" '
            f'data-target-span="{c.target_span[0]}–{c.target_span[1]}" title="{_e(_change_title(c))}">'
            f'<span class="chip k-{_slug(c.kind)} sev-{_e(c.severity)}">{_e(c.kind)}</span>'
            f'<span class="texts"><del>{_e(_short(c.source_text, 70)) or "∅"}</del> → '
            f"<ins>{_e(_short(c.target_text, 70)) or '∅'}</ins></span>"
            f'<span class="expl">{_e(c.explanation)}</span>'
            f'<span class="jump"><a href="#{cid}-src" data-jump="src">source</a> · '
            f'<a href="#{cid}-tgt" data-jump="tgt">target</a></span></li>'
        )
    # A long list starts folded: the highlights in the texts are the primary view.
    fold = "" if len(rows) > _OPEN_LIST_MAX else " open"
    changes = (
        (
            f'<details class="changes"{fold}><summary>List of the changes in this passage ({len(p.changes)}, '
            f"{meaning} of meaning)</summary>"
            f'<ol class="change-list">{"".join(rows)}</ol></details>'
        )
        if rows
        else ""
    )
    return (
        f'<section class="passage" id="{prefix}" data-testid="passage" data-changes="{len(p.changes)}">'
        f'<header class="passage-head"><h3>Passage {j + 1}</h3>'
        f'<span class="muted">source {p.source_span[0]}–{p.source_span[1]} ↔ target '
        f"{p.target_span[0]}–{p.target_span[1]} · similarity {p.similarity:.2f} · {count}</span></header>"
        f'<div class="cols">'
        '<div class="side" data-side="source"><div class="side-label">'
        f"<b>Source</b> <code>{_e(r.source)}</code>"
        f"</div>"
        f'<div class="text" data-testid="passage-source">{src}</div></div>'
        '<div class="side" data-side="target"><div class="side-label">'
        f"<b>Target</b> <code>{_e(r.target)}</code>"
        f"</div>"
        f'<div class="text" data-testid="passage-target">{tgt}</div></div>'
        f"</div>{changes}</section>"
    )


def _relation(i: int, r: Relation, docs: dict[str, tuple[int, Document]]) -> str:
    evidence = "".join(f"<li>{_e(x)}</li>" for x in r.evidence)
    passages = "".join(_passage(i, j, r, p) for j, p in enumerate(r.passages))
    return (
        f'<article class="relation card" id="rel{i}" data-testid="relation" data-source="{_e(r.source)}" '
        f'data-target="{_e(r.target)}" data-type="{_e(r.type)}">'
        f'<h2><span class="rel-n">Relation {i + 1}</span> <span class="badge type">{_e(r.type)}</span></h2>'
        f'<div class="rel-docs"><div><span class="lbl">source</span>{_doc_label(r.source, docs)}</div>'
        '<div class="arrow">→</div><div><span class="lbl">target (derived)</span>'
        f"{_doc_label(r.target, docs)}"
        f"</div></div>"
        f'<dl class="facts"><dt>confidence</dt><dd>{r.confidence:.2f}</dd>'
        f"<dt>direction</dt><dd><strong>{_e(r.direction.decided_by)}</strong>: {_e(r.direction.note)}</dd>"
        f"<dt>coverage</dt><dd>{_pct(r.source_coverage)} of the source, {_pct(r.target_coverage)} of the "
        f"target</dd><dt>meaning changes</dt><dd>{_kind_chips(_meaning_by_kind(r))}</dd>"
        + (f'<dt>evidence</dt><dd><ul class="evidence">{evidence}</ul></dd>' if evidence else "")
        + f"</dl>{passages}</article>"
    )


def _document(n: int, d: Document, relations: Sequence[Relation]) -> str:
    spans: list[tuple[int, int, str, str]] = []
    for i, r in enumerate(relations):
        for j, p in enumerate(r.passages):
            where = f"relation {i + 1}, passage {j + 1}"
            if r.source == d.id:
                spans.append((*p.source_span, f"rel{i}-p{j}", f"{where} (source of {r.target})"))
            if r.target == d.id:
                spans.append((*p.target_span, f"rel{i}-p{j}", f"{where} (derived from {r.source})"))
    removed = ""
    if d.removed:
        removed = (
            '<details class="removed"><summary>Removed boilerplate</summary><ul>'
            + "".join(
                f'<li><span class="badge">{_e(x.reason)}</span> {_e(_short(x.text, 160))}</li>'
                for x in d.removed
            )
            + "</ul></details>"
        )
    meta = " · ".join(_e(x) for x in (d.site, d.language, d.published, d.url) if x)
    return (
        f'<details class="document card" id="doc{n}" data-testid="document-text" data-id="{_e(d.id)}">'
        f'<summary><span class="doc-id">{_e(d.id)}</span> <span class="doc-title">{_e(d.title)}</span> '
        f'<span class="muted">{len(d.text):,} characters · {len(spans)} passage'
        f"{'s' if len(spans) != 1 else ''} marked</span></summary>"
        f'<p class="muted">{meta}</p>{removed}'
        f'<div class="text fulltext">{_segments_html(d.text, spans)}</div></details>'
    )




def _kind_css() -> str:
    """One colour per kind (hue, saturation); the severity classes decide how strongly it shows."""
    return "".join(f".k-{_slug(k)}{{--h:{h};--s:{s}%}}" for k, (h, s, _) in KINDS.items()) + "\n"




def render_html(
    documents: Sequence[Document],
    relations: Sequence[Relation],
    errors: Sequence[InputError],
    stats: dict[str, Any] | None = None,
    *,
    title: str = "newstrace report",
    families: Sequence[Family] = (),
    stories: Sequence[Story] = (),
) -> str:
    """Render a scan result as one self-contained HTML page.

    Args:
        documents: the documents read (their cleaned ``text`` is shown in full, collapsed).
        relations: the relations found; passages with ``changes`` get them highlighted.
        errors: the inputs that were skipped, with the reason.
        stats: optional run statistics (``seconds`` is shown when present).
        title: the page title.
        families: drawn as inline SVG graphs (``newstrace.report.family_svg``), each node linking
            to its pair view.
        stories: listed after the families.

    Returns:
        The HTML document as a string; it loads nothing from outside itself.
    """
    stats = stats or {}
    docs = {d.id: (n, d) for n, d in enumerate(documents)}
    n_passages = sum(len(r.passages) for r in relations)
    n_changes = sum(len(p.changes) for r in relations for p in r.passages)
    n_meaning = sum(1 for r in relations for p in r.passages for c in p.changes if c.severity != "harmless")
    line = (
        f"{len(documents)} document{'s' if len(documents) != 1 else ''} · {len(relations)} relation"
        f"{'s' if len(relations) != 1 else ''} · {n_passages} aligned passage{'s' if n_passages != 1 else ''}"
        f" · {n_changes} changes ({n_meaning} of meaning) · {len(errors)} input"
        f"{'s' if len(errors) != 1 else ''} skipped"
    )
    if isinstance(stats.get("seconds"), (int, float)):
        line += f" · {stats['seconds']:.2f} s"
    kinds_seen = {c.kind for r in relations for p in r.passages for c in p.changes}
    body = [
        (
            '<header class="bar"><div class="bar-in">'
            f"<h1>{_e(title)}</h1>"
            '<nav><a href="#summary">Summary</a><a href="#legend">Legend</a>'
            '<a href="#relations">Relations</a>'
            + ('<a href="#families">Families</a>' if families or stories else "")
            + '<a href="#documents">Documents</a></nav>'
            '<label class="toggle"><input type="checkbox" id="meaning-only" data-testid="meaning-only">'
            "Show only meaning changes</label></div></header>"
        ),
        f'<main><p class="stats" data-testid="stats">{_e(line)}</p>',
        _summary(documents, relations, errors, docs),
        _legend(kinds_seen),
        families_section(families, stories, relations, {d.id: n for n, d in enumerate(documents)}),
        '<section id="relations">',
        "".join(_relation(i, r, docs) for i, r in enumerate(relations)),
        (
            '</section><section id="documents"><h2>Documents: full cleaned text</h2>'
            '<p class="muted">Highlighted stretches are aligned passages; click one to go to it.</p>'
        ),
        "".join(_document(n, d, relations) for n, d in enumerate(documents)),
        f"</section><footer>newstrace {_e(__version__)}</footer></main>",
        PANEL,
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="newstrace {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{CSS}{_kind_css()}</style></head>\n<body>"
        + "".join(body)
        + f"<script>{JS}</script></body></html>\n"
    )
