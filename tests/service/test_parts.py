"""The service's parts on their own: upload names and in-memory reading, chunked commits, the FTS query, metrics, the job table."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from newstrace.limits import Limits
from newstrace.service import engine, search, uploads
from newstrace.service.jobs import JobStore
from newstrace.service.metrics import Metrics
from newstrace.store import Store
from newstrace.types import InputError


@pytest.mark.parametrize(("given", "expected"), [
    ("story.txt", "story.txt"),
    ("../../etc/passwd.txt", "etc/passwd.txt"),
    ("C:\\Users\\x\\page.HTML", "Users/x/page.HTML"),
    ("crawl 2024.warc.gz", "crawl 2024.warc.gz"),
    ("c_d.txt", "c_d.txt"),
    (".hidden.jsonl", "hidden.jsonl"),
    ("Москва.txt", "Москва.txt"),
    ("Émile Zola.html", "Émile Zola.html"),
    ("politics/./001.txt", "politics/001.txt"),
])
def test_safe_name_keeps_the_name_as_given_less_dot_parts(given: str, expected: str) -> None:
    """Names are ids: two articles whose names differ keep two ids (the CLI's rule for files in
    folders), so no upload replaces another because its name was simplified."""
    assert uploads.safe_name(given) == expected


@pytest.mark.parametrize("given", ["", "/", "notes.pdf", "archive.tar.gz", "noext", "line\nbreak.txt",
                                   "x" * 600 + ".txt"])
def test_safe_name_refuses_what_cannot_be_read(given: str) -> None:
    with pytest.raises(uploads.UploadError):
        uploads.safe_name(given)


def test_uploads_are_read_in_memory_by_the_ingest_readers() -> None:
    lines = [json.dumps({"text": f"Harbour report {i}: the dredging works go on."}) for i in range(3)] + ["{broken"]
    files = [uploads.Upload("dir/a.jsonl", ("\n".join(lines) + "\n").encode()),
             uploads.Upload("b.txt", b"A story about a bridge closing for repairs."),
             uploads.Upload("c.html", b"<html><body><article><p>" + b"The council voted on the budget. " * 20
                            + b"</p></article></body></html>"),
             uploads.Upload("empty.txt", b""), uploads.Upload("bin.jsonl", b"\x00\x01\x02")]
    items = list(uploads.read_uploads(files))
    docs = [x for x in items if not isinstance(x, InputError)]
    errors = {x.path: x.reason for x in items if isinstance(x, InputError)}
    assert [d.id for d in docs] == ["dir/a.jsonl#1", "dir/a.jsonl#2", "dir/a.jsonl#3", "b.txt", "c.html"]
    assert {d.path for d in docs} == {"upload:dir/a.jsonl", "upload:b.txt", "upload:c.html"}  # never a server path
    assert errors["dir/a.jsonl:4"].startswith("invalid JSON")
    assert errors["empty.txt"] == "empty file"
    assert errors["bin.jsonl"].startswith("binary file")
    assert uploads.article_count(files) == 4 + 1 + 1 + 1 + 1


def test_warc_upload_read_in_memory_and_a_cut_off_one_named() -> None:
    page = b"<html><body><article><p>" + b"Rail timetables change in spring. " * 20 + b"</p></article></body></html>"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page) + page
    record = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.org/rail\r\n"
              b"WARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
              b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(http)
              + http + b"\r\n\r\n")
    items = list(uploads.read_uploads([uploads.Upload("crawl.warc", record),
                                       uploads.Upload("cut.warc", record[: len(record) - 200])]))
    assert [(x.id, x.url, x.path) for x in items if not isinstance(x, InputError)] == [
        ("https://example.org/rail", "https://example.org/rail", "upload:crawl.warc")]
    errors = [x for x in items if isinstance(x, InputError)]
    assert [x.path for x in errors] == ["cut.warc"] and "truncated or corrupt WARC" in errors[0].reason


def test_records_limits_and_duplicate_names() -> None:
    page = {"html": "<html><body><article><p>" + "Trains resume. " * 30 + "</p></article></body></html>", "title": "Rail"}
    docs = list(uploads.read_records([{"id": "r1", "text": "One article.", "published": "5 March 2024"}, page]))
    assert not any(isinstance(d, InputError) for d in docs)
    first, second = (d for d in docs if not isinstance(d, InputError))
    assert (first.id, first.path, first.published) == ("r1", "upload:r1", "2024-03-05")
    assert second.id == uploads.document_id_for(page) and second.id.startswith("doc-")  # a content hash
    assert second.title == "Rail"
    assert uploads.document_id_for({"text": "two"}) == uploads.document_id_for({"text": "two"}) != \
        uploads.document_id_for({"text": "three"})
    tight = Limits(max_article_chars=10)
    long = list(uploads.read_uploads([uploads.Upload("long.txt", b"x" * 11)], limits=tight))
    assert isinstance(long[0], InputError) and long[0].path == "long.txt" and "article too long" in long[0].reason
    assert uploads.check_names([uploads.Upload("x/a.txt", b"1"), uploads.Upload("y/a.txt", b"2")]) == ["x/a.txt", "y/a.txt"]
    with pytest.raises(uploads.UploadError, match="two files with this name"):
        uploads.check_names([uploads.Upload("x/a.txt", b"1"), uploads.Upload("x/./a.txt", b"2")])


def test_add_in_chunks_reports_commits_per_chunk_and_repeated_ids(tmp_path: Path) -> None:
    texts = [f"Report {i}: the ferry service to island {i} resumed after the storms closed the strait." for i in range(5)]
    items = [*uploads.read_records([{"id": f"d{i}", "text": t} for i, t in enumerate(texts)]),
             *uploads.read_records([{"id": "d0", "text": "a second d0"}]), InputError("bad.txt", "empty file")]
    seen: list[tuple[list[str], int]] = []
    with Store(tmp_path / "news.db") as store:
        out = engine.add_in_chunks(store, items, changes=False, semantic=False, link_after=False, chunk_size=2,
                                   on_chunk=lambda o, n: seen.append((list(o.committed), n)))
        assert sorted(store.document_ids()) == [f"d{i}" for i in range(5)]
    assert [n for _, n in seen] == [2, 4, 7]  # inputs consumed when each chunk was committed
    assert seen[0][0] == ["d0", "d1"] and seen[-1][0] == [f"d{i}" for i in range(5)]
    assert (out.read, out.added, out.unchanged, out.skipped) == (5, 5, 0, 2)
    assert [e.path for e in out.errors] == ["d0", "bad.txt"] and "duplicate document id" in out.errors[0].reason


def test_fts_query_quotes_every_word() -> None:
    assert search.fts_query('peace AND "talks" OR (NEAR*') == '"peace" "AND" "talks" "OR" "NEAR"'
    assert search.fts_query(" ?! ") is None


def test_search_sync_follows_the_documents_table() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE documents (id TEXT PRIMARY KEY, content_hash TEXT, title TEXT, text TEXT)")
    conn.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)",
                     [("a", "h1", "Dam", "The dam on the river burst."), ("b", "h2", "Rail", "Trains resume.")])
    search.ensure_schema(conn)
    assert search.sync(conn) == 2 and search.sync(conn) == 0
    hit = search.search(conn, "river dam")[0]
    assert hit["id"] == "a" and [hit["snippet"][s:e] for s, e in hit["highlights"]] == ["dam", "river"]
    conn.execute("UPDATE documents SET content_hash = 'h3', text = 'The levee held.' WHERE id = 'a'")
    conn.execute("DELETE FROM documents WHERE id = 'b'")
    assert search.sync(conn) == 3  # one stale + one removed, one re-added
    assert search.search(conn, "river") == [] and search.search(conn, "levee")[0]["id"] == "a"
    assert search.search(conn, "trains") == []


def test_metrics_text_format() -> None:
    m = Metrics()
    m.observe("GET", '/api/x"y', 200, 0.003)
    m.observe("GET", '/api/x"y', 404, 2.0)
    text = m.render({"newstrace_documents": ("Documents.", 7)})
    assert 'newstrace_http_requests_total{method="GET",route="/api/x\\"y",status="404"} 1' in text
    assert 'newstrace_http_request_duration_seconds_bucket{method="GET",route="/api/x\\"y",le="0.005"} 1' in text
    assert 'newstrace_http_request_duration_seconds_bucket{method="GET",route="/api/x\\"y",le="+Inf"} 2' in text
    assert "# TYPE newstrace_documents gauge\nnewstrace_documents 7" in text


def test_jobs_table_round_trip_and_interruption() -> None:
    conn = sqlite3.connect(":memory:")
    JobStore.ensure_schema(conn)
    jobs = JobStore(conn)
    job = jobs.create("add-json", 4, {"inputs": ["x"]})
    jobs.update(job, status="running", done=2, committed=["a", "b"])
    back = jobs.get(job.id)
    assert back is not None and back.to_dict()["progress"] == 0.5 and back.data["committed"] == ["a", "b"]
    done = jobs.create("add-json", 1)
    jobs.update(done, status="done", done=1)
    assert jobs.mark_interrupted() == 1
    assert [j.status for j in jobs.recent()] == ["done", "interrupted"]
    assert jobs.get("missing") is None


def test_add_job_records_inputs_skipped_after_the_last_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job's final state names every skipped input, also those read after the last chunk."""
    monkeypatch.setattr(engine, "CHUNK_DOCUMENTS", 2)
    db = str(tmp_path / "news.db")
    files = (uploads.Upload("a.txt", b"The ferry to the northern island resumed after the storms."),
             uploads.Upload("b.txt", b"Rail timetables change in spring on the coastal line."),
             uploads.Upload("empty.txt", b""))
    with Store(db) as store:
        JobStore.ensure_schema(store.conn)
        search.ensure_schema(store.conn)
        job = JobStore(store.conn).create("add-files", 3)
    engine.run_add_job(db, job.id, engine.AddRequest(files=files), False, False)
    with Store(db) as store:
        done = JobStore(store.conn).get(job.id)
    assert done is not None and done.status == "done", done
    assert sorted(done.data["committed"]) == ["a.txt", "b.txt"] and done.data["skipped"] == 1
    assert done.data["errors"] == [{"input": "empty.txt", "reason": "empty file"}]
