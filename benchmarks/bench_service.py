"""The service under load, and after a kill -9: latency, errors, server memory, durability.

    python benchmarks/bench_service.py [../shared/data/bbc-news] [--index 2225] [--requests 1000]
        [--concurrency 50] [--searches 200] [--write 500] [--fault 2000] [--semantic]
        [--max-seconds S] [--cache-dir /tmp] [--rebuild-index] [--json out.json]

Starts ``newstrace serve`` on 127.0.0.1 (a child process, process worker pool) over an index of
BBC News articles, then, from bounded clients that stop by themselves:

1. **trace**: ``--requests`` ``POST /api/trace`` (``--concurrency`` at a time), each the text of
   a BBC article (indexed ones, so every trace finds at least its own verbatim copy, and
   articles outside the index): p50/p95/p99 latency, errors, requests/s.  ``--max-seconds``
   stops sending new requests after that long (the report says how many were sent), so a
   full-size run fits a time window on a slow machine.
2. **reads during a write**: a ``POST /api/documents`` of ``--write`` new articles (a job), and
   while it runs ``--searches`` ``GET /api/search`` all at once: their latency and errors, and
   how many were answered while the write job was still running.
3. **fault** (``--fault N``, 0 to skip): a new store, an upload job of N articles, ``kill -9``
   once it has committed half of them, restart: ``PRAGMA integrity_check``, every article the
   job reported committed is there, the job shows ``interrupted``, re-posting the same
   articles completes it without duplicates.

The index is built once through the service itself (``POST /api/documents``, the time is
reported) and cached as ``newstrace-bench-bbc-<n>-<settings>-<digest>.db`` under
``--cache-dir`` (default: the system's temporary folder); the digest covers the newstrace
version, the store schema, the index and relate settings digests (``newstrace.state``) and the
indexed articles, so a run after a change to any of them builds a new index, and a re-run
(after a faster trace is merged, say) reuses it.  Each run works on a copy, so the write test
never alters the cache.

Server peak memory is the largest sum of resident memory of the server and its worker
processes, sampled every 0.2 s from /proc.  By default the service runs with
``--lexical-only`` (no sentence embeddings); ``--semantic`` turns the semantic layer on (its
own cached index).  Article ids are ``category/file`` so the five categories' file names do
not collide.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "bbc-news"
TOKEN = "bench-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


# -- the corpus ------------------------------------------------------------------------------


def load_articles(root: Path) -> list[dict[str, str]]:
    """Every BBC article as a JSON-batch record (``category/file`` ids), in a fixed order."""
    out = []
    for path in sorted(root.rglob("*.txt")):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # a handful of BBC files are Latin-1 (pound signs)
        out.append({"id": path.relative_to(root).as_posix(), "text": text})
    return out


# -- the server ---------------------------------------------------------------------------------


class Server:
    """``newstrace serve`` in a child process, with its memory sampled while it runs."""

    def __init__(self, db: Path, args: list[str]) -> None:
        self.db = db
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.peak_rss = 0
        self._sampling = False

    def start(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "NEWSTRACE_TOKEN": TOKEN, "PYTHONPATH": str(ROOT / "src")}
        log = (self.db.parent / "server.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "newstrace", "serve", "--db", str(self.db),
                                      "--port", str(port), "--log-level", "warning", *self.args],
                                     env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # bounded: 60 s
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {(self.db.parent / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        else:
            raise SystemExit("server did not answer /healthz within 60 s")
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

    def _rss(self) -> int:
        assert self.proc is not None
        pids = [self.proc.pid]
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def _sample(self) -> None:
        while self._sampling and self.proc is not None and self.proc.poll() is None:
            self.peak_rss = max(self.peak_rss, self._rss())
            time.sleep(0.2)

    def kill9(self) -> None:
        assert self.proc is not None
        self._sampling = False
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        self._sampling = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_job(base: str, job_id: str, timeout: float = 3600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base}/api/jobs/{job_id}", timeout=30).json()["job"]
        if job["status"] not in ("queued", "running", "linking"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise SystemExit(f"job {job_id} still running after {timeout:.0f} s")


def post_batch(base: str, records: list[dict[str, str]], wait: bool) -> dict[str, Any]:
    r = httpx.post(f"{base}/api/documents", json={"documents": records}, headers=AUTH,
                   params={"wait": str(wait).lower()}, timeout=600)
    if r.status_code not in (201, 202):
        raise SystemExit(f"upload refused: {r.status_code} {r.text[:500]}")
    return r.json()["job"]  # type: ignore[no-any-return]


# -- the cached index -------------------------------------------------------------------------------


def index_digest(records: list[dict[str, str]], semantic: bool) -> str:
    """What the cached index depends on: newstrace's version, store schema and settings digests,
    the serving settings and the articles (ids and text)."""
    sys.path.insert(0, str(ROOT / "src"))
    from newstrace import __version__
    from newstrace.state import current_settings
    from newstrace.store import SCHEMA_VERSION

    settings = current_settings()
    h = hashlib.sha256(json.dumps([__version__, SCHEMA_VERSION, settings.index, settings.relate, semantic],
                                  sort_keys=True).encode())
    for r in records:
        h.update(r["id"].encode() + b"\0" + r["text"].encode() + b"\0")
    return h.hexdigest()[:12]


def copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite store (the backup API: WAL content included)."""
    dst.unlink(missing_ok=True)
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def cached_index(args: argparse.Namespace, records: list[dict[str, str]], work: Path,
                 server_args: list[str]) -> tuple[Path, dict[str, Any]]:
    """The cached BBC index for ``records`` under these settings, built through the service
    when missing (or with ``--rebuild-index``); returns its path and how it was obtained."""
    mode = "semantic" if args.semantic else "lexical"
    cache = Path(args.cache_dir) / f"newstrace-bench-bbc-{len(records)}-{mode}-{index_digest(records, args.semantic)}.db"
    if cache.exists() and not args.rebuild_index:
        conn = sqlite3.connect(cache)
        try:
            n = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            conn.close()
        if n == len(records):
            print(f"reusing the cached index {cache} ({n} articles)", flush=True)
            return cache, {"index_cache": str(cache), "index_built": False}
    db = work / "build.db"
    server = Server(db, server_args)
    server.start()
    try:
        t = time.perf_counter()
        job = wait_job(server.base, post_batch(server.base, records, wait=False)["id"])
        seconds = round(time.perf_counter() - t, 1)
    finally:
        server.stop()
    if job["status"] != "done" or job.get("added") != len(records):
        raise SystemExit(f"building the index failed: {json.dumps({k: job.get(k) for k in ('status', 'added', 'skipped', 'message')})}")
    print(f"indexed {job.get('added')} articles in {seconds} s; cached as {cache}", flush=True)
    partial = cache.with_name(cache.name + ".partial")
    copy_store(db, partial)
    partial.replace(cache)
    db.unlink()
    return cache, {"index_cache": str(cache), "index_built": True, "index_seconds": seconds,
                   "index_job": {k: job.get(k) for k in ("status", "added", "unchanged", "skipped", "relations_in_index")}}


# -- load ------------------------------------------------------------------------------------------


def percentiles(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) > 1 else [xs[0]] * 99
    return {"p50": round(q[49], 3), "p95": round(q[94], 3), "p99": round(q[98], 3), "max": round(max(xs), 3)}


async def run_requests(n: int, concurrency: int, make: Any, max_seconds: float | None = None,
                       timeout: float = 3600) -> tuple[list[float], list[str], list[float]]:
    """``n`` requests, at most ``concurrency`` at a time; latencies, errors, completion times.
    After ``max_seconds`` no new request is sent (those in flight finish).  ``timeout`` is the
    client's patience per request: it must cover the wait in the server's queue (``concurrency``
    requests share the workers), or the client, not the server, makes the errors."""
    latencies: list[float] = []
    errors: list[str] = []
    finished: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    stop_at = time.monotonic() + max_seconds if max_seconds else None
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:

        async def one(i: int) -> None:
            async with sem:
                if stop_at is not None and time.monotonic() > stop_at:
                    return
                t = time.perf_counter()
                try:
                    r = await make(client, i)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                latencies.append(time.perf_counter() - t)
                finished.append(time.monotonic())

        await asyncio.gather(*(one(i) for i in range(n)))
    return latencies, errors, finished


def bench_load(args: argparse.Namespace, articles: list[dict[str, str]], work: Path) -> dict[str, Any]:
    rng = random.Random(13)
    indexed = articles[: args.index]
    rest = articles[args.index :]
    flags = ["--workers", str(args.workers)] + ([] if args.semantic else ["--lexical-only"])
    out: dict[str, Any] = {"index": len(indexed), "settings": "semantic" if args.semantic else "lexical-only"}
    cache, how = cached_index(args, indexed, work, flags)
    out.update(how)
    copy_store(cache, work / "load.db")
    server = Server(work / "load.db", flags)
    server.start()
    try:
        # 1. traces: a mix of indexed articles (a verbatim copy exists) and unindexed ones.
        pool = indexed + rest if rest else indexed
        queries = [rng.choice(pool)["text"] for _ in range(args.requests)]

        async def trace(client: httpx.AsyncClient, i: int) -> httpx.Response:
            return await client.post(f"{server.base}/api/trace", json={"text": queries[i]})

        t = time.perf_counter()
        lat, errors, _ = asyncio.run(run_requests(args.requests, args.concurrency, trace, args.max_seconds,
                                                  args.client_timeout))
        wall = time.perf_counter() - t
        out["trace"] = {"requests": args.requests, "sent": len(lat), "concurrency": args.concurrency,
                        "errors": len(errors), "error_samples": errors[:3], "seconds": round(wall, 1),
                        "requests_per_s": round(len(lat) / wall, 2),
                        "worker_seconds_per_trace": round(wall * args.workers / max(1, len(lat)), 2), **percentiles(lat)}
        out["peak_rss_mb_after_trace"] = round(server.peak_rss / 2**20)
        print(f"trace: {json.dumps(out['trace'])}", flush=True)

        # 2. searches while a write job runs.
        words = ["government", "market", "film", "election", "mobile", "football", "economy", "music", "minister",
                 "growth", "police", "software", "record", "tax", "shares"]
        new = rest[: args.write] if len(rest) >= args.write else [
            {"id": f"copy/{r['id']}", "text": r["text"] + "\n\nThis copy was reposted."} for r in indexed[: args.write]]
        write_job = post_batch(server.base, new, wait=False)

        async def search(client: httpx.AsyncClient, i: int) -> httpx.Response:
            return await client.get(f"{server.base}/api/search", params={"q": f"{words[i % len(words)]} {words[(i * 7) % len(words)]}"})

        t = time.perf_counter()
        lat, errors, finished = asyncio.run(run_requests(args.searches, args.searches, search))
        job = wait_job(server.base, write_job["id"])
        write_end = time.monotonic()
        write_seconds = time.perf_counter() - t
        during = sum(1 for x in finished if x < write_end - 0.5)  # answered while the job was still running
        out["search_during_write"] = {"requests": args.searches, "concurrency": args.searches, "errors": len(errors),
                                      "error_samples": errors[:3], "answered_while_writing": during,
                                      "write_articles": len(new), "write_status": job["status"],
                                      "write_seconds": round(write_seconds, 1), **percentiles(lat)}
        print(f"search during write: {json.dumps(out['search_during_write'])}", flush=True)
        out["peak_rss_mb"] = round(server.peak_rss / 2**20)
    finally:
        server.stop()
    return out


# -- fault -----------------------------------------------------------------------------------------


def bench_fault(args: argparse.Namespace, articles: list[dict[str, str]], work: Path) -> dict[str, Any]:
    records = articles[: args.fault]
    db = work / "fault.db"
    flags = ["--workers", str(args.workers), "--lexical-only"]
    server = Server(db, flags)
    server.start()
    job = post_batch(server.base, records, wait=False)
    reported: list[str] = []
    deadline = time.monotonic() + 1800
    state = job
    while time.monotonic() < deadline:
        state = httpx.get(f"{server.base}/api/jobs/{job['id']}", timeout=30).json()["job"]
        if state["status"] not in ("queued", "running") or state["done"] >= min(len(records) // 2, 1000):
            break
        time.sleep(0.2)
    reported = list(state.get("committed") or [])
    was = state["status"]
    server.kill9()
    out: dict[str, Any] = {"articles": len(records), "status_at_kill": was, "reported_committed": len(reported)}
    conn = sqlite3.connect(db)
    out["integrity_check"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    stored = {r[0] for r in conn.execute("SELECT id FROM documents")}
    conn.close()
    out["stored_after_kill"] = len(stored)
    out["reported_all_present"] = set(reported) <= stored
    server = Server(db, flags)
    server.start()
    try:
        out["job_after_restart"] = httpx.get(f"{server.base}/api/jobs/{job['id']}", timeout=30).json()["job"]["status"]
        t = time.perf_counter()
        again = wait_job(server.base, post_batch(server.base, records, wait=False)["id"])
        out["repost_seconds"] = round(time.perf_counter() - t, 1)
        out["repost"] = {k: again.get(k) for k in ("status", "added", "unchanged", "skipped")}
        total = httpx.get(f"{server.base}/api/documents", params={"limit": 1}, timeout=30).json()["total"]
        out["documents_after_repost"] = total
        out["no_duplicates"] = total == len({r["id"] for r in records})
    finally:
        server.stop()
    conn = sqlite3.connect(db)
    out["integrity_check_after_repost"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    ok = (out["integrity_check"] == "ok" and out["reported_all_present"] and out["job_after_restart"] == "interrupted"
          and out["no_duplicates"] and out["repost"]["status"] == "done")
    out["passed"] = bool(ok)
    print(f"fault: {json.dumps(out)}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(DEFAULT), help="BBC News folder (default: ../shared/data/bbc-news)")
    ap.add_argument("--index", type=int, default=2225, help="articles indexed before the load (default: all)")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--searches", type=int, default=200)
    ap.add_argument("--write", type=int, default=500, help="articles posted while the searches run")
    ap.add_argument("--fault", type=int, default=2000, help="articles in the kill -9 test (0: skip it)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server worker processes")
    ap.add_argument("--semantic", action="store_true", help="serve with the semantic layer (default: lexical only)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="stop sending traces after this long (default: send them all)")
    ap.add_argument("--client-timeout", type=float, default=3600,
                    help="seconds the client waits for one answer, queueing included (default: 3600)")
    ap.add_argument("--cache-dir", default=tempfile.gettempdir(), help="where the built index is cached")
    ap.add_argument("--rebuild-index", action="store_true", help="build the index even when it is cached")
    ap.add_argument("--skip-load", action="store_true", help="only the fault test")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    root = Path(args.data)
    if not root.is_dir():
        print(f"bench_service: no BBC News folder at {root}", file=sys.stderr)
        return 2
    articles = load_articles(root)
    # A fixed shuffle so a subset (--index 300) spans the five categories.
    random.Random(7).shuffle(articles)
    results: dict[str, Any] = {"cpus": os.cpu_count(), "workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        if not args.skip_load:
            results["load"] = bench_load(args, articles, Path(tmp))
        if args.fault:
            results["fault"] = bench_fault(args, articles, Path(tmp))
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    failed = results.get("fault", {}).get("passed") is False or results.get("load", {}).get("trace", {}).get("errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
