"""The web app's HTML: the page layout, escaping, and the pieces the pages are made of.

Every value that comes from an article or a client goes through ``e`` (HTML escaping), and
pages other than the pair report are served with a Content-Security-Policy that allows no
script at all, so an article carrying ``<script>`` or ``onerror=`` is shown as text.
"""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from newstrace import __version__
from newstrace.types import Document, Relation

__all__ = [
    "CSP_PAGE",
    "CSP_REPORT",
    "css",
    "doc_meta",
    "e",
    "error_page",
    "group_view",
    "layout",
    "relation_rows",
    "report_page",
    "snippet",
    "split_pair",
    "text_block",
    "u",
]


# No script on the app's own pages; the pair report carries its own inline script and style.
CSP_PAGE = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
CSP_REPORT = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
              "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def u(doc_id: str) -> str:
    """A document id as one URL path segment, its slashes encoded too: a browser resolves the
    ``.`` and ``..`` segments of a URL before sending it (``/documents/../../a`` becomes
    ``/a``), while the server decodes ``%2F`` back to ``/`` in the routes' path parameters."""
    return quote(doc_id, safe="")


def css() -> str:
    return resources.files("newstrace.service").joinpath("static/app.css").read_text(encoding="utf-8")


def layout(title: str, body: str, *, status: int = 200, refresh: int | None = None) -> HTMLResponse:
    head = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}<title>{e(title)} · newstrace</title>"
        '<link rel="stylesheet" href="/static/app.css"></head><body>'
        '<header class="top"><a class="brand" href="/">newstrace</a><nav>'
        '<a href="/">Trace</a><a href="/documents">Documents</a><a href="/stories">Stories</a>'
        '<a href="/docs">API</a></nav>'
        '<form class="quick" action="/search" method="get" role="search">'
        '<input type="search" name="q" placeholder="Search the index" aria-label="Search the index">'
        "</form></header>"
        f'<main>{body}</main><footer>newstrace {e(__version__)}</footer></body></html>\n'
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP_PAGE})


def error_page(status: int, message: str) -> HTMLResponse:
    return layout("Error", f'<h1>Error {status}</h1><p class="error" data-testid="error">{e(message)}</p>'
                            '<p><a href="/">Back to the start page</a></p>', status=status)


def report_page(html: str, back: str) -> HTMLResponse:
    """The HTML report, with a bar linking back into the app."""
    bar = ('<div style="font:14px system-ui,sans-serif;padding:6px 12px;background:#1f2937;color:#fff">'
           '<a style="color:#fff;margin-right:1em" href="/">newstrace</a>' + back + "</div>")
    html = html.replace("<body>", "<body>" + bar, 1)
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP_REPORT})


# -- pieces ------------------------------------------------------------------------------------


def _meaning_count(r: Relation) -> int:
    return sum(1 for p in r.passages for c in p.changes if c.severity == "meaning")


def relation_rows(relations: list[Relation], me: str, pair_href: Any, doc_href: Any, role_of: Any) -> str:
    if not relations:
        return '<p class="muted" data-testid="no-relations">No source or copy found.</p>'
    rows = []
    for n, r in enumerate(relations):
        other = r.source if r.target == me else r.target
        role = role_of(r)
        evidence = "".join(f"<li>{e(x)}</li>" for x in r.evidence[:6]) or "<li class='muted'>–</li>"
        rows.append(
            f'<tr data-testid="relation-row" data-role="{e(role)}" data-other="{e(other)}">'
            f'<td>{e(role)}</td><td><a href="{doc_href(other)}">{e(other)}</a></td>'
            f'<td><span class="type type-{e(r.type)}">{e(r.type)}</span></td><td>{r.confidence:.2f}</td>'
            f"<td><strong>{e(r.direction.decided_by)}</strong>: {e(r.direction.note)}</td>"
            f"<td><ul class='ev'>{evidence}</ul></td>"
            f"<td>{r.source_coverage:.0%} / {r.target_coverage:.0%}</td><td>{len(r.passages)}</td>"
            f'<td>{_meaning_count(r)}</td><td><a data-testid="open-pair" href="{pair_href(n, r)}">side by side</a></td></tr>')
    return ('<table class="rels"><thead><tr><th>role</th><th>document</th><th>type</th><th>conf.</th>'
            "<th>direction (evidence)</th><th>evidence</th><th>coverage src / tgt</th><th>passages</th>"
            "<th>meaning changes</th><th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def doc_meta(d: Document) -> str:
    items = [("id", d.id), ("title", d.title), ("site", d.site), ("url", d.url), ("published", d.published),
             ("language", d.language), ("characters", len(d.text))]
    sig = ", ".join(sorted({str(x.get("kind")) for x in d.signature}))
    items.append(("rewrite signature", sig or "–"))
    return "<dl class='meta'>" + "".join(f"<dt>{e(k)}</dt><dd>{e(v) if v not in (None, '') else '–'}</dd>"
                                          for k, v in items) + "</dl>"


def text_block(d: Document) -> str:
    return f'<div class="article" data-testid="article-text">{e(d.text)}</div>'


def snippet(hit: dict[str, Any]) -> str:
    text, out, at = hit["snippet"], [], 0
    for start, end in hit["highlights"]:
        out.append(e(text[at:start]) + f"<mark>{e(text[start:end])}</mark>")
        at = end
    return "".join(out) + e(text[at:])


def split_pair(rest: str, exists: Any) -> tuple[str, str] | None:
    """``source/target`` where ids may contain slashes: the first split naming two documents."""
    positions = [m.start() for m in re.finditer("/", rest)]
    for p in positions:
        a, b = rest[:p], rest[p + 1 :]
        if a and b and exists(a, b):
            return a, b
    return None


def group_view(kind: str, group: dict[str, Any]) -> str:
    label = group.get("headline") or group.get("title") or group.get("label") or group.get("name") or group.get("id")
    members = group.get("members") or group.get("documents") or []
    rows = []
    for m in members if isinstance(members, list) else []:
        doc_id = m.get("doc_id") or m.get("id") if isinstance(m, dict) else m
        extra = ", ".join(f"{k}: {v}" for k, v in m.items() if k not in ("doc_id", "id")) if isinstance(m, dict) else ""
        rows.append(f'<li data-testid="member"><a href="/documents/{u(str(doc_id))}">{e(doc_id)}</a> '
                    f'<span class="muted">{e(extra)}</span></li>')
    fields = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in group.items()
                     if k not in ("members", "documents") and not isinstance(v, (list, dict)))
    if group.get("root"):
        root = str(group["root"])
        fields += f'<dt>original</dt><dd><a href="/documents/{u(root)}">{e(root)}</a></dd>'
    families = group.get("families")
    if isinstance(families, list) and families:
        fields += "<dt>families</dt><dd>" + ", ".join(
            f'<a data-testid="families-link" href="/families/{u(str(f))}">{e(f)}</a>' for f in families) + "</dd>"
    edges = group.get("edges")
    edge_rows = "".join(
        f'<tr data-testid="edge"><td><a href="/documents/{u(str(edge.get("source")))}">{e(edge.get("source"))}</a></td>'
        f'<td><a href="/documents/{u(str(edge.get("target")))}">{e(edge.get("target"))}</a></td><td>{e(edge.get("type"))}</td>'
        f'<td>{"primary" if edge.get("primary") else "secondary"}</td><td>{e(edge.get("direction"))}</td>'
        f'<td>{e("; ".join(map(str, edge.get("evidence") or [])))}</td>'
        f'<td><a href="/pairs/{u(str(edge.get("source")))}/{u(str(edge.get("target")))}">side by side</a></td></tr>'
        for edge in (edges if isinstance(edges, list) else []) if isinstance(edge, dict))
    edge_table = ("<h2>Who copied whom</h2><table class='rels'><thead><tr><th>source</th><th>copy</th><th>type</th>"
                  "<th>edge</th><th>direction</th><th>evidence</th><th></th></tr></thead><tbody>"
                  + edge_rows + "</tbody></table>") if edge_rows else ""
    return (f'<h1 data-testid="{e(kind)}-title">{e(label)}</h1><dl class="meta">{fields}</dl>'
            f"<h2>Articles ({len(rows)})</h2><ul>{''.join(rows) or '<li class=muted>none listed</li>'}</ul>"
            + edge_table)


