"""The service's parts on their own: upload names and staging, the FTS query, metrics, the job table."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from newstrace.service import engine, search
from newstrace.service.jobs import JobStore
from newstrace.service.metrics import Metrics
from newstrace.types import InputError


@pytest.mark.parametrize(("given", "expected"), [
    ("story.txt", "story.txt"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\x\\page.HTML", "page.HTML"),
    ("crawl 2024.warc.gz", "crawl_2024.warc.gz"),
    (".hidden.jsonl", "hidden.jsonl"),
])
def test_safe_name_keeps_only_a_base_name(given: str, expected: str) -> None:
    assert engine.safe_name(given) == expected


@pytest.mark.parametrize("given", ["", "/", "notes.pdf", "archive.tar.gz", "noext"])
def test_safe_name_refuses_what_cannot_be_read(given: str) -> None:
    with pytest.raises(engine.UploadError):
        engine.safe_name(given)


def test_stage_uploads_splits_jsonl_and_keeps_ids_and_line_numbers(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"t{i}"}) for i in range(5)] + ["{broken"]
    files = [engine.Upload("a.jsonl", ("\n".join(lines) + "\n").encode()), engine.Upload("b.txt", b"x"),
             engine.Upload("c.txt", b"y")]
    chunks = engine.stage_uploads(files, tmp_path, chunk_size=2)
    assert [c.count for c in chunks] == [2, 2, 2, 2]  # three JSONL parts, then the two text files
    third = (chunks[2].directory / "a.jsonl").read_text().splitlines()
    assert json.loads(third[0])["id"] == "a.jsonl#5" and third[1] == "{broken"
    error = InputError(f"{chunks[2].directory}/a.jsonl:2", "invalid JSON")
    assert engine._client_error(error, chunks[2]) == InputError("a.jsonl:6", "invalid JSON")
    assert sorted(p.name for p in chunks[3].directory.iterdir()) == ["b.txt", "c.txt"]
    with pytest.raises(engine.UploadError, match="two files with this name"):
        engine.stage_uploads([engine.Upload("x/a.txt", b"1"), engine.Upload("y/a.txt", b"2")], tmp_path / "2")


def test_stage_records_and_content_ids(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [{"id": "r1", "text": "one", "url": None},
                                     {"id": engine.document_id_for({"text": "two"}), "text": "two"}]
    chunks = engine.stage_records(records, tmp_path, chunk_size=1)
    assert len(chunks) == 2
    assert json.loads((chunks[0].directory / "batch.jsonl").read_text()) == {"id": "r1", "text": "one"}
    assert engine.document_id_for({"text": "two"}) == engine.document_id_for({"text": "two"}) != engine.document_id_for(
        {"text": "three"})


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
