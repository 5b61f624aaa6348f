"""The web app: server-rendered pages, no build step, no CDN, no script of its own.

Pages: ``/`` (paste, upload, search), ``/documents/{id}`` (an article, its sources and copies),
``/pairs/{source}/{target}`` (a pair side by side, rendered by the HTML report's renderer),
``/traces/{id}`` (a pasted or uploaded article's sources), ``/jobs/{id}``, ``/stories/{id}``,
``/families/{id}`` and ``/docs`` (the API, from the OpenAPI description).  Forms post to
``/web/trace`` and ``/web/upload``, which call the same code as the API.

Every value that comes from an article or a client goes through ``_e`` (HTML escaping), and
pages other than the pair report are served with a Content-Security-Policy that allows no
script at all, so an article carrying ``<script>`` or ``onerror=`` is shown as text.
"""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newstrace import __version__
from newstrace.report.html import render_html
from newstrace.service import engine, search
from newstrace.service.app import ApiError, Service
from newstrace.service.auth import COOKIE, token_matches
from newstrace.service.jobs import ACTIVE, JobStore
from newstrace.types import Document, Relation

__all__ = ["register"]

# No script on the app's own pages; the pair report carries its own inline script and style.
CSP_PAGE = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
CSP_REPORT = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
              "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _u(doc_id: str) -> str:
    """A document id as a URL path segment (slashes kept: routes take the rest of the path)."""
    return quote(doc_id, safe="/")


def _css() -> str:
    return resources.files("newstrace.service").joinpath("static/app.css").read_text(encoding="utf-8")


def _layout(title: str, body: str, *, status: int = 200, refresh: int | None = None) -> HTMLResponse:
    head = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}<title>{_e(title)} · newstrace</title>"
        '<link rel="stylesheet" href="/static/app.css"></head><body>'
        '<header class="top"><a class="brand" href="/">newstrace</a><nav>'
        '<a href="/">Trace</a><a href="/documents">Documents</a><a href="/stories">Stories</a>'
        '<a href="/docs">API</a></nav>'
        '<form class="quick" action="/search" method="get" role="search">'
        '<input type="search" name="q" placeholder="Search the index" aria-label="Search the index">'
        "</form></header>"
        f'<main>{body}</main><footer>newstrace {_e(__version__)}</footer></body></html>\n'
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP_PAGE})


def _error_page(status: int, message: str) -> HTMLResponse:
    return _layout("Error", f'<h1>Error {status}</h1><p class="error" data-testid="error">{_e(message)}</p>'
                            '<p><a href="/">Back to the start page</a></p>', status=status)


def _report_page(html: str, back: str) -> HTMLResponse:
    """The HTML report, with a bar linking back into the app."""
    bar = ('<div style="font:14px system-ui,sans-serif;padding:6px 12px;background:#1f2937;color:#fff">'
           '<a style="color:#fff;margin-right:1em" href="/">newstrace</a>' + back + "</div>")
    html = html.replace("<body>", "<body>" + bar, 1)
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP_REPORT})


# -- pieces ------------------------------------------------------------------------------------


def _meaning_count(r: Relation) -> int:
    return sum(1 for p in r.passages for c in p.changes if c.severity == "meaning")


def _relation_rows(relations: list[Relation], me: str, pair_href: Any, doc_href: Any, role_of: Any) -> str:
    if not relations:
        return '<p class="muted" data-testid="no-relations">No source or copy found.</p>'
    rows = []
    for n, r in enumerate(relations):
        other = r.source if r.target == me else r.target
        role = role_of(r)
        evidence = "".join(f"<li>{_e(x)}</li>" for x in r.evidence[:6]) or "<li class='muted'>–</li>"
        rows.append(
            f'<tr data-testid="relation-row" data-role="{_e(role)}" data-other="{_e(other)}">'
            f'<td>{_e(role)}</td><td><a href="{doc_href(other)}">{_e(other)}</a></td>'
            f'<td><span class="type type-{_e(r.type)}">{_e(r.type)}</span></td><td>{r.confidence:.2f}</td>'
            f"<td><strong>{_e(r.direction.decided_by)}</strong>: {_e(r.direction.note)}</td>"
            f"<td><ul class='ev'>{evidence}</ul></td>"
            f"<td>{r.source_coverage:.0%} / {r.target_coverage:.0%}</td><td>{len(r.passages)}</td>"
            f'<td>{_meaning_count(r)}</td><td><a data-testid="open-pair" href="{pair_href(n, r)}">side by side</a></td></tr>')
    return ('<table class="rels"><thead><tr><th>role</th><th>document</th><th>type</th><th>conf.</th>'
            "<th>direction (evidence)</th><th>evidence</th><th>coverage src / tgt</th><th>passages</th>"
            "<th>meaning changes</th><th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _doc_meta(d: Document) -> str:
    items = [("id", d.id), ("title", d.title), ("site", d.site), ("url", d.url), ("published", d.published),
             ("language", d.language), ("characters", len(d.text))]
    sig = ", ".join(sorted({str(x.get("kind")) for x in d.signature}))
    items.append(("rewrite signature", sig or "–"))
    return "<dl class='meta'>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v) if v not in (None, '') else '–'}</dd>"
                                          for k, v in items) + "</dl>"


def _text_block(d: Document) -> str:
    return f'<div class="article" data-testid="article-text">{_e(d.text)}</div>'


def _snippet(hit: dict[str, Any]) -> str:
    text, out, at = hit["snippet"], [], 0
    for s, e in hit["highlights"]:
        out.append(_e(text[at:s]) + f"<mark>{_e(text[s:e])}</mark>")
        at = e
    return "".join(out) + _e(text[at:])


def _split_pair(rest: str, exists: Any) -> tuple[str, str] | None:
    """``source/target`` where ids may contain slashes: the first split naming two documents."""
    positions = [m.start() for m in re.finditer("/", rest)]
    for p in positions:
        a, b = rest[:p], rest[p + 1 :]
        if a and b and exists(a, b):
            return a, b
    return None


def _group_view(kind: str, group: dict[str, Any]) -> str:
    label = group.get("title") or group.get("label") or group.get("name") or group.get("id")
    members = group.get("members") or group.get("documents") or []
    rows = []
    for m in members if isinstance(members, list) else []:
        doc_id = m.get("doc_id") or m.get("id") if isinstance(m, dict) else m
        extra = ", ".join(f"{k}: {v}" for k, v in m.items() if k not in ("doc_id", "id")) if isinstance(m, dict) else ""
        rows.append(f'<li data-testid="member"><a href="/documents/{_u(str(doc_id))}">{_e(doc_id)}</a> '
                    f'<span class="muted">{_e(extra)}</span></li>')
    fields = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in group.items()
                     if k not in ("members", "documents") and not isinstance(v, (list, dict)))
    if group.get("root"):
        root = str(group["root"])
        fields += f'<dt>original</dt><dd><a href="/documents/{_u(root)}">{_e(root)}</a></dd>'
    families = group.get("families")
    if isinstance(families, list) and families:
        fields += "<dt>families</dt><dd>" + ", ".join(
            f'<a data-testid="families-link" href="/families/{_u(str(f))}">{_e(f)}</a>' for f in families) + "</dd>"
    edges = group.get("edges")
    edge_rows = "".join(
        f'<tr data-testid="edge"><td><a href="/documents/{_u(str(e.get("source")))}">{_e(e.get("source"))}</a></td>'
        f'<td><a href="/documents/{_u(str(e.get("target")))}">{_e(e.get("target"))}</a></td><td>{_e(e.get("type"))}</td>'
        f'<td>{"primary" if e.get("primary") else "secondary"}</td><td>{_e(e.get("direction"))}</td>'
        f'<td>{_e("; ".join(map(str, e.get("evidence") or [])))}</td>'
        f'<td><a href="/pairs/{_u(str(e.get("source")))}/{_u(str(e.get("target")))}">side by side</a></td></tr>'
        for e in (edges if isinstance(edges, list) else []) if isinstance(e, dict))
    edge_table = ("<h2>Who copied whom</h2><table class='rels'><thead><tr><th>source</th><th>copy</th><th>type</th>"
                  "<th>edge</th><th>direction</th><th>evidence</th><th></th></tr></thead><tbody>"
                  + edge_rows + "</tbody></table>") if edge_rows else ""
    return (f'<h1 data-testid="{_e(kind)}-title">{_e(label)}</h1><dl class="meta">{fields}</dl>'
            f"<h2>Articles ({len(rows)})</h2><ul>{''.join(rows) or '<li class=muted>none listed</li>'}</ul>"
            + edge_table)


# -- routes ------------------------------------------------------------------------------------


def register(app: FastAPI, svc: Service) -> None:
    """Add the web app's pages and form handlers to ``app``."""
    config = svc.config

    def allowed(request: Request) -> HTMLResponse | None:
        try:
            svc.check(request, write=False)
        except ApiError as exc:
            if exc.status in (401, 403):
                return _layout("Sign in", _login_form(exc.message), status=exc.status)
            raise
        return None

    def _login_form(message: str = "") -> str:
        return ('<h1>Sign in</h1>' + (f'<p class="error">{_e(message)}</p>' if message else "")
                + '<form method="post" action="/login"><label>Token <input type="password" name="token" '
                  'autocomplete="current-password" required></label> <button type="submit">Sign in</button></form>')

    @app.get("/static/app.css", include_in_schema=False)
    def static_css() -> Response:
        return Response(_css(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        return _layout("Sign in", _login_form())

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        token = str(form.get("token") or "")
        if not token_matches(token, config.token):
            return _layout("Sign in", _login_form("invalid token"), status=403)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return resp

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        store = svc.read_store()
        n_docs = store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        n_rel = store.conn.execute("SELECT COUNT(*) FROM relations").fetchone()[0]
        jobs = JobStore(store.conn).recent(5)
        job_items = "".join(
            f'<li><a href="/jobs/{_e(j.id)}">{_e(j.id)}</a> {_e(j.status)} {j.done}/{j.total}</li>' for j in jobs)
        body = (
            "<h1>Where does this article come from?</h1>"
            f'<p class="muted" data-testid="index-stats">The index holds {n_docs} articles and {n_rel} relations.</p>'
            '<section class="card"><h2>Paste an article</h2>'
            '<form method="post" action="/web/trace" enctype="multipart/form-data" data-testid="trace-form">'
            '<textarea name="text" rows="10" placeholder="Paste the article text here" data-testid="paste"></textarea>'
            '<p>or a file: <input type="file" name="file" data-testid="trace-file"></p>'
            '<button type="submit" data-testid="trace-submit">Find its sources and copies</button>'
            "</form></section>"
            '<section class="card"><h2>Add articles to the index</h2>'
            '<form method="post" action="/web/upload" enctype="multipart/form-data" data-testid="upload-form">'
            f'<p><input type="file" name="files" multiple data-testid="upload-files"> '
            f'<span class="muted">.txt, .html, .jsonl, .warc; up to {config.max_files} files</span></p>'
            '<p><label>Token <input type="password" name="token" autocomplete="off" data-testid="upload-token"></label> '
            '<span class="muted">(writing needs the service token)</span></p>'
            '<button type="submit" data-testid="upload-submit">Upload and index</button></form></section>'
            '<section class="card"><h2>Search the index</h2><form action="/search" method="get">'
            '<input type="search" name="q" data-testid="search-input"> <button type="submit">Search</button></form></section>'
            + (f"<section><h2>Recent uploads</h2><ul>{job_items}</ul></section>" if jobs else "")
        )
        return _layout("Trace", body)

    @app.post("/web/trace", include_in_schema=False)
    async def web_trace(request: Request) -> Response:
        if (denied := allowed(request)) is not None:
            return denied
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception as exc:
            return _error_page(400, f"form refused: {getattr(exc, 'detail', exc)}")
        file = form.get("file")
        text = form.get("text")
        if file is not None and not isinstance(file, str) and file.filename:
            upload = engine.Upload(file.filename, await file.read())
            try:
                engine.safe_name(upload.name)
            except engine.UploadError as exc:
                return _error_page(415, str(exc))
        elif isinstance(text, str) and text.strip():
            upload = engine.Upload("pasted.txt", text.encode("utf-8"))
        else:
            return _error_page(400, "paste an article's text or choose a file")
        await form.close()
        try:
            result = await svc.compute(engine.trace_upload, svc.db, upload, str(config.upload_root),
                                       config.changes, config.semantic)
        except ApiError as exc:
            return _error_page(exc.status, exc.message)
        if not result.documents:
            return _error_page(422, "the article could not be read: " + "; ".join(f"{e.path}: {e.reason}" for e in result.errors))
        return RedirectResponse(f"/traces/{svc.traces.put(result)}", status_code=303)

    @app.post("/web/upload", include_in_schema=False)
    async def web_upload(request: Request) -> Response:
        try:
            form = await request.form(max_files=config.max_files, max_fields=10)
        except Exception as exc:
            message = str(getattr(exc, "detail", exc))
            return _error_page(413 if "Too many files" in message else 400, f"upload refused: {message}")
        token = str(form.get("token") or "") or request.cookies.get(COOKIE) or ""
        if not token_matches(token, config.token):
            await form.close()
            return _error_page(401 if not token else 403, "writing needs the service token: "
                                                          + ("none given" if not token else "invalid token"))
        uploads = []
        for item in form.getlist("files"):
            if not isinstance(item, str) and item.filename:
                uploads.append(engine.Upload(item.filename, await item.read()))
        await form.close()
        if not uploads:
            return _error_page(400, "choose at least one file to upload")
        try:
            names = [engine.safe_name(u.name) for u in uploads]
            job, _ = await svc.submit("add-files", len(uploads), lambda p: engine.stage_uploads(uploads, p), names)
        except engine.UploadError as exc:
            return _error_page(415, str(exc))
        except ApiError as exc:
            return _error_page(exc.status, exc.message)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(request: Request, job_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        job = JobStore(svc.read_store().conn).get(job_id)
        if job is None:
            return _error_page(404, f"no job with id {job_id!r}")
        d = job.to_dict()
        committed = d.get("committed") or []
        errors = d.get("errors") or []
        body = (f"<h1>Upload {_e(job.id)}</h1>"
                f'<p data-testid="job-status" data-status="{_e(job.status)}">Status: <strong>{_e(job.status)}</strong> · '
                f"{job.done} of {job.total} articles processed · {_e(d.get('message') or '')}</p>"
                f'<progress max="{max(job.total, 1)}" value="{job.done}"></progress>'
                "<h2>Articles committed</h2><ul data-testid='committed'>"
                + "".join(f'<li><a href="/documents/{_u(i)}">{_e(i)}</a></li>' for i in committed[:200])
                + (f"<li class='muted'>… and {len(committed) - 200} more</li>" if len(committed) > 200 else "")
                + "</ul>"
                + ("<h2>Skipped inputs</h2><ul>" + "".join(f"<li>{_e(x.get('input'))}: {_e(x.get('reason'))}</li>"
                                                          for x in errors) + "</ul>" if errors else ""))
        return _layout(f"Upload {job.id}", body, refresh=2 if job.status in ACTIVE else None)

    @app.get("/search", include_in_schema=False)
    def search_page(request: Request, q: str = Query("", max_length=1000)) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        hits = search.search(svc.read_store().conn, q, 50) if search.fts_query(q) else []
        items = "".join(f'<li data-testid="search-hit"><a href="/documents/{_u(h["id"])}">{_e(h["title"] or h["id"])}</a>'
                        f' <span class="muted">{_e(h["id"])}</span><p>{_snippet(h)}</p></li>' for h in hits)
        body = (f'<h1>Search</h1><form action="/search" method="get"><input type="search" name="q" value="{_e(q)}">'
                f' <button type="submit">Search</button></form>'
                f"<p class='muted'>{len(hits)} result{'s' if len(hits) != 1 else ''}</p><ol class='hits'>{items}</ol>")
        return _layout(f"Search: {q}", body)

    @app.get("/documents", include_in_schema=False)
    def documents_page(request: Request, offset: int = Query(0, ge=0)) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        store = svc.read_store()
        ids = store.document_ids()
        docs = store.get_documents(ids[offset : offset + 100])
        items = "".join(f'<li><a href="/documents/{_u(d.id)}">{_e(d.title or d.id)}</a> <span class="muted">{_e(d.id)}</span></li>'
                        for d in docs)
        nav = (f'<a href="/documents?offset={offset + 100}">next page</a>' if offset + 100 < len(ids) else "")
        return _layout("Documents", f"<h1>Documents ({len(ids)})</h1><ul>{items}</ul>{nav}")

    @app.get("/documents/{doc_id:path}", include_in_schema=False)
    def document_page(request: Request, doc_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        store = svc.read_store()
        docs = store.get_documents([doc_id])
        if not docs:
            return _error_page(404, f"no document with id {doc_id!r} in the index")
        d = docs[0]
        relations = store.get_relations([doc_id])
        sources = [r for r in relations if r.target == doc_id]
        copies = [r for r in relations if r.source == doc_id]
        groups = engine.Groups(store.conn).of_document(doc_id)
        label = {"stories": "story", "families": "family"}
        group_links = "".join(f'<li><a data-testid="{kind}-link" href="/{kind}/{_u(g)}">{label.get(kind, kind)} {_e(g)}</a></li>'
                              for kind, ids in groups.items() for g in ids)
        pair = lambda _n, r: f"/pairs/{_u(r.source)}/{_u(r.target)}"  # noqa: E731
        doc = lambda i: f"/documents/{_u(i)}"  # noqa: E731
        body = (f'<h1 data-testid="document-title">{_e(d.title or d.id)}</h1>{_doc_meta(d)}'
                + (f"<h2>Family and story</h2><ul>{group_links}</ul>" if group_links else "")
                + f'<h2>Sources ({len(sources)})</h2><div data-testid="sources">'
                + _relation_rows(sources, doc_id, pair, doc, lambda r: "source") + "</div>"
                + f'<h2>Copies ({len(copies)})</h2><div data-testid="copies">'
                + _relation_rows(copies, doc_id, pair, doc, lambda r: "copy") + "</div>"
                + "<h2>Cleaned text</h2>" + _text_block(d))
        return _layout(d.title or d.id, body)

    @app.get("/pairs/{rest:path}", include_in_schema=False)
    def pair_page(request: Request, rest: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        store = svc.read_store()
        relations: dict[tuple[str, str], Relation] = {}

        def exists(a: str, b: str) -> bool:
            if (a, b) not in relations:
                found = [r for r in store.get_relations([a]) if r.source == a and r.target == b]
                if found:
                    relations[(a, b)] = found[0]
            return (a, b) in relations

        split = _split_pair(rest, exists)
        if split is None:
            return _error_page(404, f"no relation between the documents named in {rest!r}: "
                                    "the path is /pairs/SOURCE/TARGET of a relation in the index")
        r = relations[split]
        docs = store.get_documents(list(split))
        html = render_html(docs, [r], [], title=f"{split[0]} → {split[1]}")
        back = (f'<a style="color:#fff;margin-right:1em" data-testid="source-doc-link" href="/documents/{_u(split[0])}">source: {_e(split[0])}</a>'
                f'<a style="color:#fff" data-testid="target-doc-link" href="/documents/{_u(split[1])}">copy: {_e(split[1])}</a>')
        return _report_page(html, back)

    @app.get("/traces/{trace_id}", include_in_schema=False)
    def trace_page(request: Request, trace_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        result = svc.traces.get(trace_id)
        if result is None:
            return _error_page(404, f"no trace result {trace_id!r}: results are kept for the last "
                                    f"{svc.traces.size} traces; trace the article again")
        q = result.documents[0]
        sources = [r for r in result.relations if r.target == q.id]
        copies = [r for r in result.relations if r.source == q.id]
        order = result.relations
        pair = lambda _n, r: f"/traces/{_e(trace_id)}/pairs/{order.index(r)}"  # noqa: E731
        doc = lambda i: f"/documents/{_u(i)}"  # noqa: E731
        body = (f'<h1 data-testid="document-title">{_e(q.title or "Traced article")}</h1>{_doc_meta(q)}'
                f'<h2>Sources ({len(sources)})</h2><div data-testid="sources">'
                + _relation_rows(sources, q.id, pair, doc, lambda r: "source") + "</div>"
                + f'<h2>Copies in the index ({len(copies)})</h2><div data-testid="copies">'
                + _relation_rows(copies, q.id, pair, doc, lambda r: "copy") + "</div>"
                + "<h2>Cleaned text</h2>" + _text_block(q))
        return _layout("Trace", body)

    @app.get("/traces/{trace_id}/pairs/{n}", include_in_schema=False)
    def trace_pair_page(request: Request, trace_id: str, n: int) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        result = svc.traces.get(trace_id)
        if result is None or not 0 <= n < len(result.relations):
            return _error_page(404, f"no pair {n} in trace result {trace_id!r}")
        r = result.relations[n]
        q = result.documents[0]
        other = r.source if r.target == q.id else r.target
        docs = ([*svc.read_store().get_documents([other]), q] if other == r.source
                else [q, *svc.read_store().get_documents([other])])
        html = render_html(docs, [r], [], title=f"{r.source} → {r.target}")
        back = (f'<a style="color:#fff;margin-right:1em" href="/traces/{_e(trace_id)}">back to the trace</a>'
                f'<a style="color:#fff" data-testid="indexed-doc-link" href="/documents/{_u(other)}">indexed article: {_e(other)}</a>')
        return _report_page(html, back)

    def group_page(kind: str, request: Request, group_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        groups = engine.Groups(svc.read_store().conn)
        if not groups.available(kind):
            return _error_page(404, engine.no_groups_message(kind))
        found = groups.get(kind, group_id)
        if found is None:
            return _error_page(404, f"no such {kind} entry {group_id!r}")
        return _layout(f"{kind} {group_id}", _group_view(kind, found))

    @app.get("/stories", include_in_schema=False)
    def stories_page(request: Request) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        groups = engine.Groups(svc.read_store().conn)
        if not groups.available("stories"):
            return _layout("Stories", f'<h1>Stories</h1><p class="muted">{_e(engine.no_groups_message("stories"))}</p>')
        items = "".join(f'<li><a href="/stories/{_u(str(s.get("id")))}">{_e(s.get("title") or s.get("label") or s.get("id"))}</a></li>'
                        for s in groups.list_groups("stories", 200))
        return _layout("Stories", f"<h1>Stories</h1><ul>{items}</ul>")

    @app.get("/stories/{story_id}", include_in_schema=False)
    def story_page(request: Request, story_id: str) -> HTMLResponse:
        return group_page("stories", request, story_id)

    @app.get("/families/{family_id}", include_in_schema=False)
    def family_page(request: Request, family_id: str) -> HTMLResponse:
        return group_page("families", request, family_id)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        spec = app.openapi()
        rows = []
        for path, methods in spec.get("paths", {}).items():
            for method, op in methods.items():
                params = ", ".join(f"{p['name']}{'' if p.get('required') else '?'}" for p in op.get("parameters", []))
                bodies = ", ".join(op.get("requestBody", {}).get("content", {}))
                rows.append(f"<tr><td><code>{_e(method.upper())}</code></td><td><code>{_e(path)}</code></td>"
                            f"<td>{_e(op.get('summary', ''))}<div class='muted'>{_e(op.get('description', ''))}</div></td>"
                            f"<td>{_e(params)}</td><td>{_e(bodies)}</td></tr>")
        body = ("<h1>newstrace API</h1><p>The machine-readable description is <a href='/openapi.json'>/openapi.json</a> "
                "(OpenAPI 3). Writes need <code>Authorization: Bearer &lt;token&gt;</code>. Errors are JSON "
                "<code>{\"error\": \"...\"}</code>.</p><table class='rels'><thead><tr><th>method</th><th>path</th>"
                "<th>what</th><th>parameters</th><th>body</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
        return _layout("API", body)
