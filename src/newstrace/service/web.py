"""The web app: server-rendered pages, no build step, no CDN, no script of its own.

Pages: ``/`` (paste, upload, search), ``/documents/{id}`` (an article, its sources and copies),
``/pairs/{source}/{target}`` (a pair side by side, rendered by the HTML report's renderer),
``/traces/{id}`` (a pasted or uploaded article's sources), ``/jobs/{id}``, ``/stories/{id}``,
``/families/{id}`` and ``/docs`` (the API, from the OpenAPI description).  Forms post to
``/web/trace`` and ``/web/upload``, which call the same code as the API.  The HTML itself
(escaping, layout, tables) is built by ``web_html``.
"""

from __future__ import annotations

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from newstrace.report.html import render_html
from newstrace.service import search
from newstrace.service.auth import COOKIE, token_matches
from newstrace.service.engine import AddRequest, TraceRequest, trace_request
from newstrace.service.errors import ApiError
from newstrace.service.groups import Groups, no_groups_message
from newstrace.service.jobs import ACTIVE, JobStore
from newstrace.service.runtime import Service
from newstrace.service.uploads import Upload, UploadError, article_count, check_names, safe_name
from newstrace.service.web_html import (
    css,
    doc_meta,
    e,
    error_page,
    group_view,
    layout,
    relation_rows,
    report_page,
    snippet,
    split_pair,
    text_block,
    u,
)
from newstrace.types import Relation

__all__ = ["register"]

#: Stories a page of ``/stories`` lists (largest first; the page links to the next).
STORIES_PAGE = 200


# -- routes ------------------------------------------------------------------------------------


def register(app: FastAPI, svc: Service) -> None:
    """Add the web app's pages and form handlers to ``app``."""
    config = svc.config

    def allowed(request: Request) -> HTMLResponse | None:
        try:
            svc.check(request, write=False)
        except ApiError as exc:
            if exc.status in (401, 403):
                return layout("Sign in", _login_form(exc.message), status=exc.status)
            raise
        return None

    def _login_form(message: str = "") -> str:
        return ('<h1>Sign in</h1>' + (f'<p class="error">{e(message)}</p>' if message else "")
                + '<form method="post" action="/login"><label>Token <input type="password" name="token" '
                  'autocomplete="current-password" required></label> <button type="submit">Sign in</button></form>')

    @app.get("/static/app.css", include_in_schema=False)
    def static_css() -> Response:
        return Response(css(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        return layout("Sign in", _login_form())

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        token = str(form.get("token") or "")
        if not token_matches(token, config.token):
            return layout("Sign in", _login_form("invalid token"), status=403)
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
            f'<li><a href="/jobs/{e(j.id)}">{e(j.id)}</a> {e(j.status)} {j.done}/{j.total}</li>' for j in jobs)
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
        return layout("Trace", body)

    @app.post("/web/trace", include_in_schema=False)
    async def web_trace(request: Request) -> Response:
        if (denied := allowed(request)) is not None:
            return denied
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception as exc:
            return error_page(400, f"form refused: {getattr(exc, 'detail', exc)}")
        file = form.get("file")
        text = form.get("text")
        if file is not None and not isinstance(file, str) and file.filename:
            upload = Upload(file.filename, await file.read())
            try:
                safe_name(upload.name)
            except UploadError as exc:
                return error_page(415, str(exc))
        elif isinstance(text, str) and text.strip():
            upload = Upload("pasted.txt", text.encode("utf-8"))
        else:
            return error_page(400, "paste an article's text or choose a file")
        await form.close()
        try:
            result = await svc.compute(trace_request, svc.db, TraceRequest(file=upload),
                                       config.changes, config.semantic)
        except ApiError as exc:
            return error_page(exc.status, exc.message)
        if not result.documents:
            return error_page(422, "the article could not be read: " + "; ".join(f"{x.path}: {x.reason}" for x in result.errors))
        return RedirectResponse(f"/traces/{svc.traces.put(result)}", status_code=303)

    @app.post("/web/upload", include_in_schema=False)
    async def web_upload(request: Request) -> Response:
        try:
            form = await request.form(max_files=config.max_files, max_fields=10)
        except Exception as exc:
            message = str(getattr(exc, "detail", exc))
            return error_page(413 if "Too many files" in message else 400, f"upload refused: {message}")
        token = str(form.get("token") or "") or request.cookies.get(COOKIE) or ""
        if not token_matches(token, config.token):
            await form.close()
            return error_page(401 if not token else 403, "writing needs the service token: "
                                                          + ("none given" if not token else "invalid token"))
        uploads = []
        for item in form.getlist("files"):
            if not isinstance(item, str) and item.filename:
                uploads.append(Upload(item.filename, await item.read()))
        await form.close()
        if not uploads:
            return error_page(400, "choose at least one file to upload")
        try:
            names = check_names(uploads)
            job, _ = await svc.submit("add-files", AddRequest(files=tuple(uploads)), article_count(uploads), names)
        except UploadError as exc:
            return error_page(415, str(exc))
        except ApiError as exc:
            return error_page(exc.status, exc.message)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(request: Request, job_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        job = JobStore(svc.read_store().conn).get(job_id)
        if job is None:
            return error_page(404, f"no job with id {job_id!r}")
        d = job.to_dict()
        committed = d.get("committed") or []
        errors = d.get("errors") or []
        body = (f"<h1>Upload {e(job.id)}</h1>"
                f'<p data-testid="job-status" data-status="{e(job.status)}">Status: <strong>{e(job.status)}</strong> · '
                f"{job.done} of {job.total} articles processed · {e(d.get('message') or '')}</p>"
                f'<progress max="{max(job.total, 1)}" value="{job.done}"></progress>'
                "<h2>Articles committed</h2><ul data-testid='committed'>"
                + "".join(f'<li><a href="/documents/{u(i)}">{e(i)}</a></li>' for i in committed[:200])
                + (f"<li class='muted'>… and {len(committed) - 200} more</li>" if len(committed) > 200 else "")
                + "</ul>"
                + ("<h2>Skipped inputs</h2><ul>" + "".join(f"<li>{e(x.get('input'))}: {e(x.get('reason'))}</li>"
                                                          for x in errors) + "</ul>" if errors else ""))
        return layout(f"Upload {job.id}", body, refresh=2 if job.status in ACTIVE else None)

    @app.get("/search", include_in_schema=False)
    def search_page(request: Request, q: str = Query("", max_length=1000)) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        hits = search.search(svc.read_store().conn, q, 50) if search.fts_query(q) else []
        items = "".join(f'<li data-testid="search-hit"><a href="/documents/{u(h["id"])}">{e(h["title"] or h["id"])}</a>'
                        f' <span class="muted">{e(h["id"])}</span><p>{snippet(h)}</p></li>' for h in hits)
        body = (f'<h1>Search</h1><form action="/search" method="get"><input type="search" name="q" value="{e(q)}">'
                f' <button type="submit">Search</button></form>'
                f"<p class='muted'>{len(hits)} result{'s' if len(hits) != 1 else ''}</p><ol class='hits'>{items}</ol>")
        return layout(f"Search: {q}", body)

    @app.get("/documents", include_in_schema=False)
    def documents_page(request: Request, offset: int = Query(0, ge=0)) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        store = svc.read_store()
        ids = store.document_ids()
        docs = store.get_documents(ids[offset : offset + 100])
        items = "".join(f'<li><a href="/documents/{u(d.id)}">{e(d.title or d.id)}</a> <span class="muted">{e(d.id)}</span></li>'
                        for d in docs)
        nav = (f'<a href="/documents?offset={offset + 100}">next page</a>' if offset + 100 < len(ids) else "")
        return layout("Documents", f"<h1>Documents ({len(ids)})</h1><ul>{items}</ul>{nav}")

    @app.get("/documents/{doc_id:path}", include_in_schema=False)
    def document_page(request: Request, doc_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        store = svc.read_store()
        docs = store.get_documents([doc_id])
        if not docs:
            return error_page(404, f"no document with id {doc_id!r} in the index")
        d = docs[0]
        relations = store.get_relations([doc_id])
        sources = [r for r in relations if r.target == doc_id]
        copies = [r for r in relations if r.source == doc_id]
        groups = Groups(store.conn).of_document(doc_id)
        label = {"stories": "story", "families": "family"}
        group_links = "".join(f'<li><a data-testid="{kind}-link" href="/{kind}/{u(g)}">{label.get(kind, kind)} {e(g)}</a></li>'
                              for kind, ids in groups.items() for g in ids)
        pair = lambda _n, r: f"/pairs/{u(r.source)}/{u(r.target)}"  # noqa: E731
        doc = lambda i: f"/documents/{u(i)}"  # noqa: E731
        body = (f'<h1 data-testid="document-title">{e(d.title or d.id)}</h1>{doc_meta(d)}'
                + (f"<h2>Family and story</h2><ul>{group_links}</ul>" if group_links else "")
                + f'<h2>Sources ({len(sources)})</h2><div data-testid="sources">'
                + relation_rows(sources, doc_id, pair, doc, lambda r: "source") + "</div>"
                + f'<h2>Copies ({len(copies)})</h2><div data-testid="copies">'
                + relation_rows(copies, doc_id, pair, doc, lambda r: "copy") + "</div>"
                + "<h2>Cleaned text</h2>" + text_block(d))
        return layout(d.title or d.id, body)

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

        split = split_pair(rest, exists)
        if split is None:
            return error_page(404, f"no relation between the documents named in {rest!r}: "
                                    "the path is /pairs/SOURCE/TARGET of a relation in the index")
        r = relations[split]
        docs = store.get_documents(list(split))
        html = render_html(docs, [r], [], title=f"{split[0]} → {split[1]}")
        back = (f'<a style="color:#fff;margin-right:1em" data-testid="source-doc-link" href="/documents/{u(split[0])}">source: {e(split[0])}</a>'
                f'<a style="color:#fff" data-testid="target-doc-link" href="/documents/{u(split[1])}">copy: {e(split[1])}</a>')
        return report_page(html, back)

    @app.get("/traces/{trace_id}", include_in_schema=False)
    def trace_page(request: Request, trace_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        result = svc.traces.get(trace_id)
        if result is None:
            return error_page(404, f"no trace result {trace_id!r}: results are kept for the last "
                                    f"{svc.traces.size} traces; trace the article again")
        order = result.relations
        pair = lambda _n, r: f"/traces/{e(trace_id)}/pairs/{order.index(r)}"  # noqa: E731
        doc = lambda i: f"/documents/{u(i)}"  # noqa: E731
        # A file may hold several articles (JSONL, WARC): each is shown, in the file's order.
        sections = []
        for q in result.documents:
            sources = [r for r in result.relations if r.target == q.id]
            copies = [r for r in result.relations if r.source == q.id]
            sections.append(
                f'<section data-testid="traced-article"><h1 data-testid="document-title">'
                f'{e(q.title or "Traced article")}</h1>{doc_meta(q)}'
                f'<h2>Sources ({len(sources)})</h2><div data-testid="sources">'
                + relation_rows(sources, q.id, pair, doc, lambda r: "source") + "</div>"
                + f'<h2>Copies in the index ({len(copies)})</h2><div data-testid="copies">'
                + relation_rows(copies, q.id, pair, doc, lambda r: "copy") + "</div>"
                + "<h2>Cleaned text</h2>" + text_block(q) + "</section>")
        head = (f'<p class="muted" data-testid="traced-count">{len(result.documents)} articles in the file</p>'
                if len(result.documents) > 1 else "")
        left = sorted({d for ids in result.not_aligned.values() for d in ids})
        if left:  # near-copies left unaligned: named, and the families that hold them
            head += ('<p data-testid="trace-families">Aligned with its nearest copies only; '
                     f'{len(left):,} more near-copies were left unaligned: '
                     + ", ".join(f'<a href="/documents/{u(d)}">{e(d)}</a>' for d in left[:10])
                     + (f" and {len(left) - 10:,} more" if len(left) > 10 else "")
                     + (". The families of the copies it was aligned with: "
                        + ", ".join(f'<a href="/families/{u(f.id)}">{e(f.id)}</a> ({len(f.members):,} members, '
                                    + ("an unseen common source" if f.archetype else f"original {e(f.root)}") + ")"
                                    for f in result.families) if result.families else "") + ".</p>")
        return layout("Trace", head + "".join(sections))

    @app.get("/traces/{trace_id}/pairs/{n}", include_in_schema=False)
    def trace_pair_page(request: Request, trace_id: str, n: int) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        result = svc.traces.get(trace_id)
        if result is None or not 0 <= n < len(result.relations):
            return error_page(404, f"no pair {n} in trace result {trace_id!r}")
        r = result.relations[n]
        queries = {d.id: d for d in result.documents}
        indexed = [i for i in (r.source, r.target) if i not in queries]
        stored = {d.id: d for d in svc.read_store().get_documents(indexed)} if indexed else {}
        docs = [queries.get(i) or stored[i] for i in (r.source, r.target) if i in queries or i in stored]
        html = render_html(docs, [r], [], title=f"{r.source} → {r.target}")
        back = (f'<a style="color:#fff;margin-right:1em" href="/traces/{e(trace_id)}">back to the trace</a>'
                + "".join(f'<a style="color:#fff" data-testid="indexed-doc-link" href="/documents/{u(i)}">'
                          f"indexed article: {e(i)}</a>" for i in indexed))
        return report_page(html, back)

    def group_page(kind: str, request: Request, group_id: str) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        groups = Groups(svc.read_store().conn)
        if not groups.available(kind):
            return error_page(404, no_groups_message(kind))
        found = groups.get(kind, group_id)
        if found is None:
            return error_page(404, f"no such {kind} entry {group_id!r}")
        return layout(f"{kind} {group_id}", group_view(kind, found))

    @app.get("/stories", include_in_schema=False)
    def stories_page(request: Request, offset: int = 0) -> HTMLResponse:
        if (denied := allowed(request)) is not None:
            return denied
        groups = Groups(svc.read_store().conn)
        if not groups.available("stories"):
            return layout("Stories", f'<h1>Stories</h1><p class="muted">{e(no_groups_message("stories"))}</p>')
        offset = max(0, offset)
        total = groups.count("stories")
        items = "".join(f'<li data-testid="story-item"><a href="/stories/{u(str(s.get("id")))}">'
                        f'{e(s.get("headline") or s.get("label") or s.get("id"))}</a>'
                        f' <span class="muted">{len(s.get("documents") or [])} articles'
                        + (f' · {e(s.get("label"))}' if s.get("headline") and s.get("label") else "")
                        + "</span></li>"
                        for s in groups.list_groups("stories", STORIES_PAGE, offset))
        shown = f"{offset + 1:,}–{min(total, offset + STORIES_PAGE):,} of {total:,}, largest first" if total else "none"
        nav = " ".join(
            ([f'<a href="/stories?offset={max(0, offset - STORIES_PAGE)}">previous page</a>'] if offset else [])
            + ([f'<a data-testid="next-page" href="/stories?offset={offset + STORIES_PAGE}">next page</a>']
               if offset + STORIES_PAGE < total else []))
        return layout("Stories", f'<h1>Stories</h1><p class="muted" data-testid="stories-shown">{shown}</p>'
                                 f"<ul>{items}</ul><p>{nav}</p>")

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
                rows.append(f"<tr><td><code>{e(method.upper())}</code></td><td><code>{e(path)}</code></td>"
                            f"<td>{e(op.get('summary', ''))}<div class='muted'>{e(op.get('description', ''))}</div></td>"
                            f"<td>{e(params)}</td><td>{e(bodies)}</td></tr>")
        body = ("<h1>newstrace API</h1><p>The machine-readable description is <a href='/openapi.json'>/openapi.json</a> "
                "(OpenAPI 3). Writes need <code>Authorization: Bearer &lt;token&gt;</code>. Errors are JSON "
                "<code>{\"error\": \"...\"}</code>.</p><table class='rels'><thead><tr><th>method</th><th>path</th>"
                "<th>what</th><th>parameters</th><th>body</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
        return layout("API", body)
