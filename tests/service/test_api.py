"""The REST API with FastAPI's TestClient: every endpoint, auth, limits, bad input, escaping.

Most tests share one index of the sample articles 001–004 (lexical settings, changes on);
tests that need other settings build their own small store.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.service_support import AUTH, TOKEN, seed

from newstrace.service.auth import resolve_token
from newstrace.service.jobs import JobStore
from newstrace.store import Store

pytestmark = pytest.mark.integration

SCRIPT = "<script>alert('x')</script>"
ONERROR = '<img src=x onerror="alert(1)">'
HOSTILE = (f"Council approves budget {SCRIPT} after a long debate.\n\nThe mayor said {ONERROR} the vote was close. "
           "Opposition members walked out before the final count was read aloud to the chamber.")
# An article written for these tests (no sample text): long enough for the fingerprints.
DAM = (
    "Engineers opened the spillway of the Kestrel Valley dam on Tuesday after three days of heavy rain raised the "
    "reservoir to its highest level since the structure was completed in 1978. The regional water authority said "
    "the release was planned and that the dam itself was never at risk. Residents of four villages downstream were "
    "told to move cars and livestock away from the riverbank before the gates opened at noon. Farmers said the "
    "flooding of low fields would delay the spring planting by at least two weeks. The authority's director told "
    "a press conference that the inspection carried out in March found no cracks in the main wall. Local council "
    "members asked why the warning reached some households only an hour before the release. A spokesperson said "
    "text messages had been delayed by a fault at the mobile network's regional exchange. The river is expected to "
    "return to its normal level by the weekend if the forecast of dry weather holds."
)


def _id_of(client: TestClient, prefix: str) -> str:
    ids = [d["id"] for d in client.get("/api/documents").json()["documents"]]
    return str(next(i for i in ids if i.startswith(prefix)))


# -- auth ------------------------------------------------------------------------------------


def test_writes_refused_without_or_with_a_wrong_token(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    body = {"documents": [{"id": "a", "text": "One short article about the harbour."}]}
    r = client.post("/api/documents", json=body)
    assert r.status_code == 401
    assert "bearer token" in r.json()["error"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.post("/api/documents", json=body, headers={"Authorization": "Bearer wrong-token-wrong-token"})
    assert r.status_code == 403
    assert r.json()["error"] == "invalid bearer token"
    assert client.get("/api/documents").json()["total"] == 0
    r = client.post("/api/documents", json=body, headers=AUTH)
    assert r.status_code == 201
    assert r.json()["job"]["committed"] == ["a"]


def test_reads_protected_when_configured(make_client: Callable[..., TestClient]) -> None:
    client = make_client(protect_reads=True)
    assert client.get("/api/documents").status_code == 401
    assert client.get("/api/search", params={"q": "x"}).status_code == 401
    assert client.post("/api/trace", json={"text": "Some article text to trace."}).status_code == 401
    assert client.get("/metrics").status_code == 401
    assert client.get("/healthz").status_code == 200  # probes stay open
    assert client.get("/api/documents", headers=AUTH).status_code == 200
    page = client.get("/")
    assert page.status_code == 401 and "Sign in" in page.text
    assert client.post("/login", data={"token": "nope"}).status_code == 403
    r = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200  # the cookie now rides along


def test_token_from_env_file_or_generated_with_mode_600(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    assert resolve_token(db, env={"NEWSTRACE_TOKEN": "from-env-from-env"}).token == "from-env-from-env"
    f = tmp_path / "tok"
    f.write_text("from-file-from-file\n")
    assert resolve_token(db, f, env={}).token == "from-file-from-file"
    first = resolve_token(db, env={})
    assert first.origin == "generated" and len(first.token) >= 32
    assert first.path is not None and stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    again = resolve_token(db, env={})
    assert again.origin == "file" and again.token == first.token


# -- documents and jobs ----------------------------------------------------------------------


def test_add_json_batch_then_read_it_back(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    docs = [{"id": "hostile", "text": HOSTILE, "title": "Budget <b>vote</b>", "url": "https://example.org/a",
             "published": "2024-03-01"},
            {"text": "A second article without an id, about rail timetables changing in spring."}]
    r = client.post("/api/documents", json={"documents": docs}, headers=AUTH)
    assert r.status_code == 201, r.text
    job = r.json()["job"]
    assert job["status"] == "done" and job["added"] == 2 and len(job["committed"]) == 2
    assert r.headers["location"] == f"/api/jobs/{job['id']}"
    generated = next(i for i in job["committed"] if i != "hostile")
    assert generated.startswith("doc-")
    d = client.get("/api/documents/hostile").json()
    assert SCRIPT in d["text"] and d["title"] == "Budget <b>vote</b>" and d["published"] == "2024-03-01"
    assert d["site"] == "example.org" and d["groups"]["families"] == []  # no reuse, no family
    assert len(d["groups"]["stories"]) == 1  # the upload job built the stories (pipeline.organise)
    assert client.get("/api/documents/hostile/relations").json() == {"id": "hostile", "relations": []}
    listing = client.get("/api/documents", params={"limit": 1}).json()
    assert listing["total"] == 2 and len(listing["documents"]) == 1
    # Re-posting the same batch adds nothing and duplicates nothing.
    again = client.post("/api/documents", json={"documents": docs}, headers=AUTH).json()["job"]
    assert again["added"] == 0 and again["unchanged"] == 2 and again["committed"] == []
    assert client.get("/api/documents").json()["total"] == 2
    # An id sent again with another text is a new version of its article, and the job says so.
    update = client.post("/api/documents", json={"documents": [dict(docs[0], text=HOSTILE + " Updated at noon.")]},
                         headers=AUTH).json()["job"]
    assert (update["added"], update["replaced"], update["committed"]) == (1, 1, ["hostile"])
    assert "1 replacing an earlier version" in update["message"]
    assert client.get("/api/documents").json()["total"] == 2
    jobs = client.get("/api/jobs").json()["jobs"]
    assert [j["id"] for j in jobs][:3] == [update["id"], again["id"], job["id"]]
    assert client.get(f"/api/jobs/{job['id']}").json()["job"]["committed"] == job["committed"]


def test_add_files_multipart_jsonl_and_bad_inputs(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    client = make_client()
    jsonl = "\n".join(json.dumps({"id": f"j{i}", "text": f"Article number {i} reports on the {i}th harbour "
                                  "expansion and the dredging works planned for the coming years."}) for i in range(3))
    files = [("files", ("batch.jsonl", (jsonl + "\n{broken\n").encode())),
             ("files", ("../../etc/story.txt", b"A plain text story about a bridge closing for repairs next week.")),
             ("files", ("empty.txt", b""))]
    r = client.post("/api/documents", files=files, headers=AUTH)
    assert r.status_code == 201, r.text
    job = r.json()["job"]
    assert sorted(job["committed"]) == ["etc/story.txt", "j0", "j1", "j2"]  # its folders kept, less the ".."
    reasons = {e["input"]: e["reason"] for e in job["errors"]}
    assert reasons["batch.jsonl:4"].startswith("invalid JSON")
    assert reasons["empty.txt"] == "empty file"
    assert not any("/" in k for k in reasons)  # the client's names, never a server path
    # Read in memory: nothing but the store (and its token) beside it, no staging directory.
    assert {p.name for p in tmp_path.iterdir()} <= {"news.db", "news.db-wal", "news.db-shm"}
    doc = client.get("/api/documents/etc%2Fstory.txt").json()
    assert doc["path"] == "upload:etc/story.txt"  # the client's name, never a server path
    r = client.post("/api/documents", files=[("files", ("notes.pdf", b"%PDF-1.4"))], headers=AUTH)
    assert r.status_code == 415 and "notes.pdf" in r.json()["error"] and ".txt" in r.json()["error"]


def test_large_batch_answers_with_a_job_to_poll(make_client: Callable[..., TestClient]) -> None:
    client = make_client(sync_max_documents=2)
    docs = [{"id": f"d{i}", "text": f"Report {i}: the ferry service resumed after storms closed the strait."}
            for i in range(5)]
    r = client.post("/api/documents", json={"documents": docs}, headers=AUTH)
    assert r.status_code == 202
    job_id = r.json()["job"]["id"]
    for _ in range(200):  # bounded: the job is 5 tiny articles
        job = client.get(f"/api/jobs/{job_id}").json()["job"]
        if job["status"] == "done":
            break
        time.sleep(0.05)
    assert job["status"] == "done" and job["done"] == job["total"] == 5 and job["progress"] == 1.0
    assert sorted(job["committed"]) == [f"d{i}" for i in range(5)]


def test_interrupted_jobs_are_marked_at_start(tmp_path: Path, make_client: Callable[..., TestClient]) -> None:
    db = tmp_path / "news.db"
    make_client(db)  # creates the schema
    conn = sqlite3.connect(db)
    stale = JobStore(conn).create("add-files", 10)
    JobStore(conn).update(stale, status="running", done=3)
    conn.close()
    client = make_client(db)
    job = client.get(f"/api/jobs/{stale.id}").json()["job"]
    assert job["status"] == "interrupted" and job["done"] == 3


# -- bad requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "status", "needle"), [
    (b"{not json", 400, "malformed JSON"),
    (b"", 400, "empty request body"),
    (b'{"documents": []}', 422, "documents"),
    (b'{"documents": [{"id": "x"}]}', 422, "needs a non-empty 'text' or 'html'"),
    (b'{"documents": [{"text": "t", "path": "/etc/passwd"}]}', 422, "documents.0.path"),
    (b'{"documents": [{"id": "a", "text": "one"}, {"id": "a", "text": "two"}]}', 422, "duplicate document ids"),
    (b'[1, 2]', 422, "body: Input should be an object"),
    (b'{"documents": [{"text": "t", "published": "04/05/2024"}]}', 422, "not a date newstrace reads: '04/05/2024'"),
    (b'{"documents": [{"text": "t", "published": "yesterday"}]}', 422, "documents.0.published"),
    (b'{"documents": [{"id": "line\\nbreak", "text": "t"}]}', 422, "control character"),
])
def test_bad_batches_get_a_4xx_naming_the_problem(make_client: Callable[..., TestClient], body: bytes, status: int,
                                                  needle: str) -> None:
    client = make_client()
    r = client.post("/api/documents", content=body, headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == status, r.text
    assert needle in r.text
    assert "Traceback" not in r.text


def test_wrong_content_type_unknown_route_and_method(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    r = client.post("/api/documents", content=b"hello", headers={**AUTH, "content-type": "text/plain"})
    assert r.status_code == 415 and "multipart/form-data" in r.json()["error"]
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "no such endpoint: /api/nothing-here"
    r = client.delete("/api/documents")
    assert r.status_code == 405 and "not allowed" in r.json()["error"]
    r = client.get("/api/documents", params={"limit": "many"})
    assert r.status_code == 422 and "limit" in r.json()["error"]


def test_over_size_bodies_and_too_many_files(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=2000, max_files=2)
    big = {"documents": [{"id": "big", "text": "word " * 1000}]}
    r = client.post("/api/documents", json=big, headers=AUTH)
    assert r.status_code == 413 and "2000 bytes" in r.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"documents": [{"id": "big", "text": "'
        for _ in range(10):
            yield b"word " * 100
        yield b'"}]}'

    r = client.post("/api/documents", content=chunks(), headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 413
    files = [("files", (f"{i}.txt", b"short text")) for i in range(3)]
    r = client.post("/api/documents", files=files, headers=AUTH)
    assert r.status_code == 413 and "Too many files" in r.json()["error"]
    assert client.get("/api/documents").json()["total"] == 0
    page = client.post("/web/upload", files=[("files", ("big.txt", b"word " * 1000))], data={"token": TOKEN})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")  # a browser's form
    assert "Upload too large" in page.text and "2000 bytes" in page.text
    client = make_client(max_documents=2)
    many = {"documents": [{"id": str(i), "text": "some text here"} for i in range(3)]}
    r = client.post("/api/documents", json=many, headers=AUTH)
    assert r.status_code == 413 and "limit is 2" in r.json()["error"]


def test_request_time_limit_and_back_pressure(make_client: Callable[..., TestClient], seeds_dir: Path) -> None:
    client = make_client(request_timeout=0.001)
    r = client.post("/api/trace", json={"text": seed(seeds_dir, "000").read_text()})
    assert r.status_code == 504 and "limit" in r.json()["error"]
    client = make_client(max_pending=1)
    client.app.state.service.pending = 1  # type: ignore[attr-defined]  # as if one trace were running
    r = client.post("/api/trace", json={"text": "An article."})
    assert r.status_code == 503 and r.headers["retry-after"] == "1" and "busy" in r.json()["error"]


# -- trace, compare, search ------------------------------------------------------------------------


def test_trace_text_names_001_as_the_spun_source(indexed: TestClient, seeds_dir: Path) -> None:
    r = indexed.post("/api/trace", json={"text": seed(seeds_dir, "000").read_text(encoding="utf-8")})
    assert r.status_code == 200, r.text
    out = r.json()
    assert {"newstrace_version", "documents", "relations", "errors", "summary"} <= set(out)  # scan --format json
    assert [(x["source"][:3], x["target"], x["type"]) for x in out["relations"]] == [("001", "query:submitted", "spun")]
    meaning = [c for p in out["relations"][0]["passages"] for c in p["changes"] if c["severity"] == "meaning"]
    assert len(meaning) >= 5
    assert r.headers["x-trace-id"]
    assert indexed.get(f"/traces/{r.headers['x-trace-id']}").status_code == 200
    # Tracing does not add to the index.
    assert indexed.get("/api/documents").json()["total"] == 4


def test_trace_file_upload_and_html_format(indexed: TestClient, seeds_dir: Path) -> None:
    path = seed(seeds_dir, "000")
    r = indexed.post("/api/trace", files={"file": (path.name, path.read_bytes())}, params={"format": "html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-testid="relation"' in r.text and 'data-severity="meaning"' in r.text
    r = indexed.post("/api/trace", files={"file": ("x.docx", b"PK\x03\x04")})
    assert r.status_code == 415
    r = indexed.post("/api/trace", json={"text": "   "})
    assert r.status_code == 422 and "text" in r.json()["error"]
    r = indexed.post("/api/trace", json={"text": "x", "path": "/etc/passwd"})
    assert r.status_code == 422 and "path" in r.json()["error"]
    r = indexed.post("/api/trace", files={"file": ("blob.txt", b"\x00\x01\x02" * 100)})
    assert r.status_code == 422 and "binary" in r.json()["error"]


def test_trace_in_a_worker_process(make_client: Callable[..., TestClient], seeds_dir: Path) -> None:
    client = make_client(pool="process", workers=1, changes=False)  # changes need spaCy: slow to load twice
    docs = [{"id": "001", "text": seed(seeds_dir, "001").read_text(encoding="utf-8")}]
    assert client.post("/api/documents", json={"documents": docs}, headers=AUTH).status_code == 201
    r = client.post("/api/trace", json={"text": seed(seeds_dir, "000").read_text(encoding="utf-8")})
    assert r.status_code == 200, r.text
    assert [x["source"] for x in r.json()["relations"]] == ["001"]


def test_a_process_pool_starts_its_workers_warm(make_client: Callable[..., TestClient]) -> None:
    # Every worker starts with the service, not at its first request, and loads what a trace
    # needs as it starts (engine.start_worker): a start-up task ends only after a warm-up.
    client = make_client(pool="process", workers=2, changes=False)
    svc = client.app.state.service  # type: ignore[attr-defined]
    pids = [f.result(timeout=120) for f in svc.warming]
    assert len(svc.warming) == 2 and os.getpid() not in pids
    workers = svc.pool._processes  # CPython's live workers (Service.stop reads them too)
    assert len(workers) == 2 and all(p.is_alive() for p in workers.values())


def test_warm_up_loads_what_a_trace_needs(tmp_path: Path) -> None:
    from newstrace.service.engine import warm_up
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.ingest import language

    Store(tmp_path / "empty.db").close()
    warm_up(str(tmp_path / "empty.db"), changes=False, semantic=True)
    assert language._MODEL  # the language model is loaded
    assert get_embedder("minilm-l3", threads=1)._session is not None  # and the encoder's session made


def test_compare_two_indexed_documents(indexed: TestClient) -> None:
    a, b = _id_of(indexed, "001"), _id_of(indexed, "002")
    r = indexed.get("/api/compare", params={"a": a, "b": b})
    assert r.status_code == 200
    assert sorted(d["id"] for d in r.json()["documents"]) == [a, b]
    assert r.json()["relations"] == []  # 002 reports another event (README)
    assert indexed.get("/api/compare", params={"a": a, "b": b, "format": "html"}).text.startswith("<!DOCTYPE html>")
    r = indexed.get("/api/compare", params={"a": a, "b": "/etc/passwd"})
    assert r.status_code == 404 and "'/etc/passwd'" in r.json()["error"]
    assert indexed.get("/api/compare", params={"a": a}).status_code == 422
    assert indexed.get("/api/compare", params={"a": a, "b": a}).status_code == 422


def test_search_full_text(indexed: TestClient) -> None:
    r = indexed.get("/api/search", params={"q": "peacekeeping Nagorno"})
    assert r.status_code == 200
    hits = r.json()["results"]
    assert hits and all(set(h) == {"id", "title", "snippet", "highlights", "score"} for h in hits)
    for h in hits:
        words = {h["snippet"][s:e].lower() for s, e in h["highlights"]}
        assert words <= {"peacekeeping", "nagorno"} and words
    assert indexed.get("/api/search", params={"q": 'AND OR "( NEAR*'}).status_code == 200  # no FTS5 syntax errors
    assert indexed.get("/api/search", params={"q": "zzxqvnotaword"}).json()["results"] == []
    r = indexed.get("/api/search", params={"q": "  ?!  "})
    assert r.status_code == 422 and "at least one word" in r.json()["error"]
    assert indexed.get("/api/search").status_code == 422


def test_unknown_ids_are_404_with_the_id(indexed: TestClient) -> None:
    for path in ("/api/documents/nope.txt", "/api/documents/nope.txt/relations", "/api/jobs/nope"):
        r = indexed.get(path)
        assert r.status_code == 404, path
        assert "'nope" in r.json()["error"], path


def test_stories_and_families_before_and_after_they_exist(make_client: Callable[..., TestClient],
                                                          tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    client = make_client(db)
    out = client.get("/api/stories").json()
    assert out["stories"] == [] and "no stories yet" in out["note"]
    assert "no stories yet" in client.get("/api/stories/s1").json()["error"]
    assert client.get("/api/families/f1").status_code == 404
    body = {"documents": [{"id": "a", "text": DAM, "published": "2024-04-02"},
                          {"id": "b", "text": "Reposted from the valley paper.\n\n" + DAM, "published": "2024-04-03"}]}
    r = client.post("/api/documents", json=body, headers=AUTH)
    assert r.status_code == 201 and r.json()["job"]["status"] == "done", r.text
    # The upload job ran pipeline.organise, as `index add` does: b copies a, one family, one story.
    groups = client.get("/api/documents/a").json()["groups"]
    assert len(groups["families"]) == 1 and len(groups["stories"]) == 1
    assert client.get("/api/documents/b").json()["groups"] == groups
    family_id, story_id = groups["families"][0], groups["stories"][0]
    family = client.get(f"/api/families/{family_id}").json()["family"]
    assert family["root"] == "a" and sorted(family["members"]) == ["a", "b"]
    story = client.get(f"/api/stories/{story_id}").json()["story"]
    assert sorted(story["documents"]) == ["a", "b"] and story["families"] == [family_id]
    assert [x["id"] for x in client.get("/api/stories").json()["stories"]] == [story_id]
    assert client.get("/api/stories/s-none").status_code == 404
    assert "no family with id" in client.get("/api/families/f-none").json()["error"]
    page = client.get(f"/stories/{story_id}")
    assert page.status_code == 200 and 'href="/documents/a"' in page.text
    page = client.get("/documents/a")
    assert f'href="/families/{family_id}"' in page.text and f'href="/stories/{story_id}"' in page.text
    assert 'href="/documents/b"' in client.get(f"/families/{family_id}").text


def test_uploaded_names_stay_apart_and_every_id_links(make_client: Callable[..., TestClient]) -> None:
    """Two files are two articles whatever their names: folders and scripts are kept (the
    CLI's ids), and every id, ``..`` segments and a ``/relations`` ending included, is
    reachable from the pages' links and the API."""
    client = make_client()
    texts = {name: f"{DAM} Filed as {i}." for i, name in enumerate(
        ["politics/001.txt", "sport/001.txt", "Москва.txt", "Россия.txt", "c d.txt", "c_d.txt"])}
    r = client.post("/api/documents", headers=AUTH, files=[("files", (n, t.encode())) for n, t in texts.items()])
    assert r.status_code == 201, r.text
    assert sorted(r.json()["job"]["committed"]) == sorted(texts) and r.json()["job"]["replaced"] == 0
    assert client.get("/api/documents").json()["total"] == 6
    odd = {"documents": [{"id": "../../etc/x#1", "text": DAM + " Odd one."},
                         {"id": "wire/relations", "text": DAM + " Wire one."}]}
    assert client.post("/api/documents", json=odd, headers=AUTH).status_code == 201
    assert client.get("/api/documents/wire%2Frelations").json()["id"] == "wire/relations"
    assert client.get("/api/documents/wire/relations").status_code == 404  # the relations of "wire": no such id
    listing = client.get("/documents").text
    links = re.findall(r'href="(/documents/[^"?]+)"', listing)
    assert "/documents/..%2F..%2Fetc%2Fx%231" in links  # not resolved away by a browser
    for link in links:
        assert client.get(link).status_code == 200, link


def test_stories_and_families_listed_largest_first_with_a_total(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    other = ("The city library reopened on Saturday after a two-year renovation that added a children's wing, "
             "a rooftop reading terrace and study rooms that can be booked online by any card holder. ") * 3
    body = {"documents": [{"id": "a", "text": DAM}, {"id": "b", "text": "Reposted.\n\n" + DAM},
                          {"id": "c", "text": other}]}
    assert client.post("/api/documents", json=body, headers=AUTH).status_code == 201
    stories = client.get("/api/stories").json()
    assert stories["total"] == 2 and [len(s["documents"]) for s in stories["stories"]] == [2, 1]
    assert client.get("/api/stories", params={"offset": 1}).json()["stories"] == stories["stories"][1:]
    families = client.get("/api/families").json()
    assert families["total"] == 1 and sorted(families["families"][0]["members"]) == ["a", "b"]
    page = client.get("/stories").text
    assert "1–2 of 2, largest first" in page and "2 articles" in page


def test_a_traced_file_of_several_articles_shows_each(indexed: TestClient, seeds_dir: Path) -> None:
    lines = [json.dumps({"id": k, "text": seed(seeds_dir, k).read_text(encoding="utf-8")}) for k in ("000", "002")]
    r = indexed.post("/web/trace", files={"file": ("two.jsonl", ("\n".join(lines) + "\n").encode())},
                     data={"text": ""}, follow_redirects=True)
    assert r.status_code == 200
    assert r.text.count('data-testid="traced-article"') == 2 and "2 articles in the file" in r.text
    pairs = re.findall(r'href="(/traces/[^"]+/pairs/\d+)"', r.text)
    assert pairs and all(indexed.get(p).status_code == 200 for p in pairs)


# -- operations and description ------------------------------------------------------------------------


def test_healthz_and_metrics(indexed: TestClient) -> None:
    h = indexed.get("/healthz").json()
    assert h["status"] == "ok" and h["documents"] == 4
    indexed.get("/api/documents/nope")
    text = indexed.get("/metrics").text
    assert "# TYPE newstrace_http_requests_total counter" in text
    assert 'newstrace_http_requests_total{method="GET",route="/api/documents/{doc_id:path}",status="404"}' in text
    assert "newstrace_documents 4" in text
    assert 'newstrace_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}' in text


def test_openapi_describes_every_endpoint(indexed: TestClient) -> None:
    spec = indexed.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/documents", "/api/documents/{doc_id}", "/api/documents/{doc_id}/relations", "/api/jobs/{job_id}",
            "/api/trace", "/api/search", "/api/compare", "/api/stories", "/api/stories/{story_id}",
            "/api/families/{family_id}", "/healthz", "/metrics"} <= {p.replace(":path", "") for p in paths}
    content = spec["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert {"DocumentIn"} <= refs <= set(spec["components"]["schemas"])  # no dangling reference
    docs = indexed.get("/docs")
    assert docs.status_code == 200 and "/api/trace" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text  # nothing loaded from a CDN


# -- escaping ------------------------------------------------------------------------------------------


def _assert_escaped(html: str) -> None:
    assert "<script>alert" not in html
    assert "onerror=\"alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html


def test_script_payloads_come_back_as_text(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    copy = HOSTILE + "\n\nA reporter added one more paragraph about the parking fees for the council staff."
    r = client.post("/api/documents", headers=AUTH, json={"documents": [
        {"id": "orig", "text": HOSTILE, "title": f"Title {SCRIPT}", "published": "2024-01-01"},
        {"id": "copy", "text": copy, "title": "Copy", "published": "2024-02-01"}]})
    assert r.status_code == 201
    assert client.get("/api/documents/orig").json()["text"].count(SCRIPT) == 1  # JSON keeps the text as is
    page = client.get("/documents/orig")
    _assert_escaped(page.text)
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    _assert_escaped(client.get("/search", params={"q": "council budget"}).text)
    assert [(x["source"], x["target"]) for x in client.get("/api/documents/orig/relations").json()["relations"]] == [
        ("orig", "copy")]
    _assert_escaped(client.get("/pairs/orig/copy").text)
    r = client.post("/web/trace", data={"text": copy}, follow_redirects=True)
    assert r.status_code == 200
    _assert_escaped(r.text)


# -- web pages ------------------------------------------------------------------------------------------


def test_web_pages(indexed: TestClient, seeds_dir: Path) -> None:
    home = indexed.get("/")
    assert home.status_code == 200 and "4 articles" in home.text
    assert indexed.get("/static/app.css").headers["content-type"].startswith("text/css")
    doc = _id_of(indexed, "001")
    page = indexed.get(f"/documents/{doc}")
    assert page.status_code == 200 and "Russia leaves Armenia" in page.text
    assert indexed.get("/documents/missing.txt").status_code == 404
    assert indexed.get("/pairs/a/b").status_code == 404
    assert indexed.get("/traces/nope").status_code == 404
    r = indexed.post("/web/trace", files={"file": ("000.txt", seed(seeds_dir, "000").read_bytes())},
                     data={"text": ""}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/traces/")
    trace_page = indexed.get(r.headers["location"])
    assert 'data-role="source"' in trace_page.text and f'data-other="{doc}"' in trace_page.text
    pair = indexed.get(r.headers["location"] + "/pairs/0")
    assert pair.status_code == 200 and 'data-severity="meaning"' in pair.text
    assert indexed.get(r.headers["location"] + "/pairs/9").status_code == 404
    r = indexed.post("/web/upload", files={"files": ("n.txt", b"A new article about a library opening downtown.")},
                     follow_redirects=False)
    assert r.status_code == 401 and "token" in r.text
    assert indexed.get("/api/documents").json()["total"] == 4


def test_serve_refuses_bad_settings_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from newstrace.cli.app import main

    bad = tmp_path / "bad.db"
    bad.write_text("not a database")
    assert main(["serve", "--db", str(bad)]) == 2
    assert main(["serve", "--db", str(tmp_path / "missing" / "x.db")]) == 2
    assert main(["serve", "--db", str(tmp_path / "n.db"), "--token-file", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "not a newstrace store" in err[0] and "no directory" in err[1] and "cannot read token" in err[2]
    assert "Traceback" not in "".join(err)


def test_a_trace_among_many_copies_names_their_family(make_client: Callable[..., TestClient], seeds_dir: Path) -> None:
    """An article the index holds 15 near-copies of is aligned with its nearest (as adding it
    would align it); the JSON and the trace page name the family holding the others."""
    text = seed(seeds_dir, "001").read_text(encoding="utf-8")
    sents = re.split(r"(?<=[.!?])\s+", text)

    def copy(k: int) -> bytes:
        kept = sents[: max(6, len(sents) - k % 4)]
        kept[k % len(kept)] = kept[k % len(kept)].replace(" the ", " a ", 1)
        return f"Site {k} daily\n\n{' '.join(kept)}\n\nShare site{k} stories\n".encode()

    client = make_client()
    files = [("files", (f"copy{k:02d}.txt", copy(k))) for k in range(15)]
    assert client.post("/api/documents", files=files, headers=AUTH).status_code == 201
    r = client.post("/api/trace", files={"file": ("query.txt", copy(40))})
    assert r.status_code == 200
    out = r.json()
    assert 1 <= len(out["relations"]) <= 3 and out["summary"]["not_aligned"] == 15 - len(out["relations"])
    (family,) = out["families"]
    assert {f"copy{k:02d}.txt" for k in range(15)} <= set(family["members"])
    (left,) = out["not_aligned"].values()
    assert len(left) == out["summary"]["not_aligned"] and set(left) <= set(family["members"])
    page = client.get(f"/traces/{r.headers['X-Trace-Id']}").text
    link = re.search(r'data-testid="trace-families">.*?href="(/families/[^"]+)"', page)
    assert link is not None and client.get(link.group(1)).status_code == 200
