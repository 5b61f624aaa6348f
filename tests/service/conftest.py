"""Fixtures for the service tests: an app over a fresh store, a client, the sample articles."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install -e '.[serve]'")

with warnings.catch_warnings():
    # Starlette's TestClient warns that it will move to httpx2; not this project's concern.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from fixtures.service_support import AUTH, TOKEN

from newstrace.service import ServiceConfig, create_app


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


