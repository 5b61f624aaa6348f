"""Fixtures for the service tests: an app over a fresh store, a client, the sample articles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install -e '.[serve]'")

with warnings.catch_warnings():
    # Starlette's TestClient warns that it will move to httpx2; not this project's concern.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from newstrace.service import ServiceConfig, create_app

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def seed(seeds_dir: Path, prefix: str) -> Path:
    """The sample article whose file name starts with ``prefix`` (000 … 004)."""
    return next(p for p in sorted(seeds_dir.iterdir()) if p.name.startswith(prefix))


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Build a started TestClient over a new store; settings override the test defaults."""
    clients: list[TestClient] = []

    def _make(db: Path | None = None, **settings: Any) -> TestClient:
        options: dict[str, Any] = {"token": TOKEN, "pool": "thread", "workers": 2, "semantic": False}
        options.update(settings)
        client = TestClient(create_app(ServiceConfig(db=db or tmp_path / "news.db", **options)))
        client.__enter__()
        clients.append(client)
        return client

    yield _make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[TestClient]:
    """A client over an index of the sample articles 001–004 (000, the spun copy, is left to trace)."""
    db = tmp_path_factory.mktemp("indexed") / "news.db"
    config = ServiceConfig(db=db, token=TOKEN, pool="thread", workers=2, semantic=False)
    with TestClient(create_app(config)) as client:
        files = [("files", (p.name, p.read_bytes())) for p in sorted(seeds_dir.iterdir()) if not p.name.startswith("000")]
        r = client.post("/api/documents", files=files, headers=AUTH)
        assert r.status_code == 201, r.text
        assert r.json()["job"]["status"] == "done", r.text
        yield client


ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``newstrace serve`` on 127.0.0.1 in a child process; returns it and its base URL once healthy."""
    port = free_port()
    env = {**os.environ, "NEWSTRACE_TOKEN": TOKEN, "PYTHONPATH": str(ROOT / "src")}
    log = (db.parent / f"server-{port}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "newstrace", "serve", "--db", str(db), "--port", str(port),
                             "--log-level", "warning", *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # bounded: 30 s to start
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"server did not start: {(db.parent / f'server-{port}.log').read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
