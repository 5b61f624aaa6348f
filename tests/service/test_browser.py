"""The web app in a real browser: headless Debian Chromium driven by Playwright, against
``newstrace serve`` started by the test on 127.0.0.1.

The walk a fact-checker takes: paste the spun sample article (000) into an index of the others,
see 001 named as its source, open the pair side by side with the meaning changes highlighted,
follow the link to the indexed article, upload a repost of it and follow its family view.
Screenshots of the trace and pair pages are kept as docs/service.png and docs/service-pair.png
for the README (refreshed with ``NEWSTRACE_UPDATE_SCREENSHOTS=1``).  Skipped, with
the reason, when Playwright or Chromium is missing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.browser import chromium_browser
from fixtures.service_support import ROOT, TOKEN, seed, start_server, stop_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Iterator[str]:
    """``newstrace serve`` on 127.0.0.1 over an index of 001–004; stopped at the end."""
    db = tmp_path_factory.mktemp("browser") / "news.db"
    proc, base = start_server(db, "--lexical-only", "--threads", "--workers", "2")
    try:
        files = [("files", (p.name, p.read_bytes())) for p in sorted(seeds_dir.iterdir()) if not p.name.startswith("000")]
        r = httpx.post(f"{base}/api/documents", files=files, headers={"Authorization": f"Bearer {TOKEN}"},
                       params={"wait": "true"}, timeout=120)
        assert r.status_code == 201 and r.json()["job"]["status"] == "done", r.text
        yield base
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


def _screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """A screenshot in tmp_path; with NEWSTRACE_UPDATE_SCREENSHOTS=1, also the README's copy in docs/."""
    page.screenshot(path=str(tmp_path / name))
    assert (tmp_path / name).stat().st_size > 10_000
    if os.environ.get("NEWSTRACE_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / name, ROOT / "docs" / name)


def test_paste_trace_pair_changes_document_upload(server: str, browser: Any, seeds_dir: Path,
                                                  tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.route(re.compile(r"^(?!http://127\.0\.0\.1:|data:|about:)"), lambda route: route.abort())
    try:
        # 1. paste the spun article
        page.goto(server + "/")
        page.get_by_test_id("paste").fill(seed(seeds_dir, "000").read_text(encoding="utf-8"))
        page.get_by_test_id("trace-submit").click()
        page.wait_for_url(re.compile(r"/traces/"), timeout=60_000)
        # 2. 001 is named as its source, with type and direction
        row = page.locator('[data-testid="sources"] [data-testid="relation-row"]')
        assert row.count() == 1
        assert row.get_attribute("data-other", timeout=5000).startswith("001")
        assert "spun" in row.inner_text()
        assert "rewrite-artefacts" in row.inner_text()
        _screenshot(page, "service.png", tmp_path)
        # 3. open the pair
        row.get_by_test_id("open-pair").click()
        page.wait_for_selector('[data-testid="passage"]')
        # 4. the meaning changes are highlighted, on both sides
        page.locator('[data-testid="passage"]').first.scroll_into_view_if_needed()
        _screenshot(page, "service-pair.png", tmp_path)
        marks = page.locator('[data-testid="change-mark"][data-severity="meaning"]')
        assert marks.count() >= 5
        assert marks.first.is_visible()
        background = marks.first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background not in ("", "rgba(0, 0, 0, 0)", "transparent")
        # 5. follow to the indexed article
        page.get_by_test_id("indexed-doc-link").click()
        page.wait_for_selector('[data-testid="document-title"]')
        assert "Russia leaves Armenia" in page.get_by_test_id("document-title").inner_text()
        source_page = page.url
        # 6. upload a file with the token: a repost of 001 (read from the samples at run time)
        article = tmp_path / "repost.txt"
        article.write_text("Reposted from Asia Times\n\n" + seed(seeds_dir, "001").read_text(encoding="utf-8"),
                           encoding="utf-8")
        page.goto(server + "/")
        page.get_by_test_id("upload-files").set_input_files(str(article))
        page.get_by_test_id("upload-token").fill(TOKEN)
        page.get_by_test_id("upload-submit").click()
        page.wait_for_url(re.compile(r"/jobs/"))
        for _ in range(60):  # bounded: the page refreshes itself every 2 s while the job runs
            if page.get_by_test_id("job-status").get_attribute("data-status") not in ("queued", "running", "linking"):
                break
            page.wait_for_timeout(500)
            page.reload()
        assert page.get_by_test_id("job-status").get_attribute("data-status") == "done"
        assert "repost.txt" in page.get_by_test_id("committed").inner_text()
        # 5 (cont.). the upload made 001 and its repost a family: follow 001's family view
        page.goto(source_page)
        page.get_by_test_id("families-link").first.click()
        page.wait_for_selector('[data-testid="member"]')
        members = page.locator('[data-testid="member"]').all_inner_texts()
        assert any(m.startswith("001") for m in members) and any(m.startswith("repost.txt") for m in members)
        assert [u for u in requested if not u.startswith(("http://127.0.0.1:", "data:", "about:"))] == []
    finally:
        page.close()
