"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Needs ``pip install playwright==1.65.2`` and ``apt-get install chromium`` (no ``playwright install``:
the system browser is used).  Set ``NEWSTRACE_CHROMIUM`` to use another Chromium binary.  Skipped,
with the reason, when either is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.browser import chromium_browser

from newstrace.cli.app import main
from newstrace.report.html import render_html
from newstrace.stages.relate.changes_step import load_annotator
from newstrace.types import Change, Direction, Document, InputError, Passage, Relation, Removed

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
EXTERNAL = re.compile(
    r"""(?i)\bsrc\s*=\s*["']?(?:https?:)?//|<link\b[^>]*\bhref\s*=|@import|url\(\s*['"]?(?:https?:)?//"""
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as b:
        yield b


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:
    """Open an HTML file; every request the page makes is recorded, and any non-file one is refused."""
    pages: list[Any] = []

    def _open(path: Path) -> Any:
        page = browser.new_page(viewport={"width": 1300, "height": 800})
        page.requests = []  # the URLs it asked for, checked by _no_external_requests
        page.on("request", lambda r: page.requests.append(r.url))
        page.route(re.compile(r"^(?!file:|data:|about:)"), lambda route: route.abort())
        page.goto(path.resolve().as_uri())
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()


def _no_external_requests(page: Any) -> None:
    assert [u for u in page.requests if not u.startswith(("file:", "data:", "about:"))] == []


# ---------------------------------------------------------------------------------------------- invented


def _doc(doc_id: str, text: str, **kw: Any) -> Document:
    return Document(id=doc_id, raw=text, text=text, offsets=list(range(len(text) + 1)), **kw)


def _span(text: str, part: str, after: int = 0) -> tuple[int, int]:
    i = text.index(part, after)
    return i, i + len(part)


ORIG = (
    "Storm closes port\n\nThe port of Brest was closed on Tuesday after winds of 140 km/h damaged two cranes, "
    "the harbour master said.\n\nNo one was hurt, officials confirmed. Repairs will take three weeks.\n\n"
    + "Background paragraph that nobody copied. "
    * 30
)
COPY = (
    "Tempest shuts harbour\n\nThe harbour of Brest was shut on Wednesday after gusts of 410 km/h wrecked two "
    "cranes, according to a blogger.\n\nSomeone was hurt, officials confirmed. Repairs might take weeks."
)
SUMMARY = "Brest port closed after a storm damaged cranes; repairs take three weeks."


def _invented() -> tuple[list[Document], list[Relation], list[InputError]]:
    a = _doc(
        "orig.html",
        ORIG,
        title="Storm closes port",
        site="news.example",
        language="en",
        published="2024-03-01",
        removed=[Removed(0, 4, "Menu", "site header"), Removed(5, 9, "Ads", "ad")],
    )
    b = _doc("copy.txt", COPY, title="Tempest shuts harbour <b>!</b>", language="en")
    c = _doc("summary.txt", SUMMARY, title="Digest", language="en")
    p1s, p1t = (
        (ORIG.index("The port"), ORIG.index("said.") + 5),
        (COPY.index("The harbour"), COPY.index("blogger.") + 8),
    )
    p2s, p2t = (
        (ORIG.index("No one"), ORIG.index("weeks.") + 6),
        (COPY.index("Someone"), COPY.index("weeks.") + 6),
    )

    def ch(kind: str, severity: str, s: str, t: str, why: str, src_after: int, tgt_after: int) -> Change:
        ss = _span(ORIG, s, src_after) if s else (src_after, src_after)
        ts = _span(COPY, t, tgt_after) if t else (tgt_after, tgt_after)
        return Change(kind, severity, ss, ts, s, t, why)  # type: ignore[arg-type]

    c1 = (
        ch("synonym", "harmless", "port", "harbour", "an equivalent word", p1s[0], p1t[0]),
        ch("synonym", "harmless", "closed", "shut", "an equivalent word", p1s[0], p1t[0]),
        ch("number", "meaning", "Tuesday", "Wednesday", "the day of the closure differs", p1s[0], p1t[0]),
        ch("number", "meaning", "140", "410", "the wind speed differs", p1s[0], p1t[0]),
        ch("rewording", "harmless", "damaged", "wrecked", "stronger verb, same event", p1s[0], p1t[0]),
        ch(
            "attribution",
            "meaning",
            "the harbour master said",
            "according to a blogger",
            "the source of the claim changed",
            p1s[0],
            p1t[0],
        ),
    )
    c2 = (
        ch("polarity", "meaning", "No one", "Someone", "the claim is reversed", p2s[0], p2t[0]),
        ch("hedge", "meaning", "will", "might", "certainty lowered", p2s[0], p2t[0]),
        ch(
            "omission",
            "harmless",
            "three ",
            "",
            "the duration is vaguer",
            p2s[0],
            COPY.index("weeks.", p2t[0]),
        ),
    )
    r1 = Relation(
        "orig.html",
        "copy.txt",
        "spun",
        0.81,
        Direction("published-date", "orig.html is dated, copy is not"),
        0.3,
        0.95,
        (
            Passage(p1s, p1t, ORIG[p1s[0] : p1s[1]], COPY[p1t[0] : p1t[1]], 0.7, c1),
            Passage(p2s, p2t, ORIG[p2s[0] : p2s[1]], COPY[p2t[0] : p2t[1]], 0.6, c2),
        ),
        ("spinner signature",),
    )
    r2 = Relation(
        "orig.html",
        "summary.txt",
        "summary",
        0.5,
        Direction("containment", "the summary is shorter"),
        0.1,
        1.0,
        (Passage(p1s, (0, len(SUMMARY)), ORIG[p1s[0] : p1s[1]], SUMMARY, 0.4, ()),),
    )
    return [a, b, c], [r1, r2], [InputError("broken.warc", "truncated record")]


@pytest.fixture(scope="module")
def invented_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Relation]]:
    docs, rels, errors = _invented()
    path = tmp_path_factory.mktemp("html") / "invented.html"
    path.write_text(
        render_html(docs, rels, errors, {"seconds": 0.5}, title="Invented <report>"), encoding="utf-8"
    )
    return path, rels


def test_invented_report_shows_relations_passages_and_changes(
    open_report: Any, invented_report: tuple[Path, list[Relation]]
) -> None:
    path, rels = invented_report
    page = open_report(path)
    assert page.title() == "Invented <report>"
    assert page.locator('[data-testid="relation"]').count() == 2
    assert page.locator('[data-testid="passage"]').count() == 3
    assert page.locator('[data-testid="change"]').count() == 9
    assert page.locator('#rel0 [data-testid="passage"]').count() == 2
    assert page.locator('[data-testid="relation-row"]').count() == 2
    assert page.locator('[data-testid="document-row"]').count() == 3
    assert page.locator('[data-testid="error"]').inner_text() == "broken.warc: truncated record"
    assert "2 (site header ×1, ad ×1)" in page.locator('[data-testid="document-row"]').first.inner_text()
    # side by side: the source column is left of the target column, on the same row
    src = page.locator("#rel0-p0 [data-testid=passage-source]").bounding_box()
    tgt = page.locator("#rel0-p0 [data-testid=passage-target]").bounding_box()
    assert src["x"] + src["width"] <= tgt["x"] and abs(src["y"] - tgt["y"]) < 5
    # each change is marked in both texts, with kind and severity
    for k, c in enumerate(rels[0].passages[0].changes):
        for side in ("src", "tgt"):
            mark = page.locator(f"#rel0-p0-c{k}-{side}")
            assert (
                mark.get_attribute("data-kind") == c.kind
                and mark.get_attribute("data-severity") == c.severity
            )
            assert f"s-{c.severity}" in (mark.get_attribute("class") or "")
        assert page.locator(f"#rel0-p0-c{k}-src").inner_text() == c.source_text
        assert page.locator(f"#rel0-p0-c{k}-tgt").inner_text() == c.target_text
    assert page.locator('[data-testid="legend"] li').count() >= 11
    # the passage without changes is shown plainly
    assert page.locator("#rel1-p0 .chg").count() == 0
    _no_external_requests(page)


def test_hover_shows_the_explanation(open_report: Any, invented_report: tuple[Path, list[Relation]]) -> None:
    page = open_report(invented_report[0])
    mark = page.locator("#rel0-p0-c3-src")
    mark.hover()
    title = mark.get_attribute("title") or ""
    assert "the wind speed differs" in title and "number" in title and "“140” → “410”" in title
    assert "the wind speed differs" in (page.locator("#rel0-p0-c3-tgt").get_attribute("title") or "")


def test_meaning_only_toggle_hides_harmless_changes(
    open_report: Any, invented_report: tuple[Path, list[Relation]]
) -> None:
    page = open_report(invented_report[0])
    harmless_rows = page.locator('[data-testid="change"][data-severity="harmless"]')
    meaning_rows = page.locator('[data-testid="change"][data-severity="meaning"]')
    assert harmless_rows.count() == 4 and meaning_rows.count() == 5
    harmless_mark, meaning_mark = page.locator("#rel0-p0-c0-src"), page.locator("#rel0-p0-c2-src")

    def background(loc: Any) -> str:
        return str(loc.evaluate("e => getComputedStyle(e).backgroundColor"))

    assert background(harmless_mark) != "rgba(0, 0, 0, 0)"
    assert all(harmless_rows.nth(i).is_visible() for i in range(4))
    page.locator('[data-testid="meaning-only"]').check()
    assert all(harmless_rows.nth(i).is_hidden() for i in range(4))
    assert all(meaning_rows.nth(i).is_visible() for i in range(5))
    assert background(harmless_mark) == "rgba(0, 0, 0, 0)"  # text stays, highlight goes
    assert harmless_mark.inner_text() == "port"
    assert background(meaning_mark) != "rgba(0, 0, 0, 0)"
    assert page.locator("#rel0-p1-c2-tgt").is_hidden()  # harmless point marker (the omission's target side)
    page.locator('[data-testid="meaning-only"]').uncheck()
    assert harmless_rows.first.is_visible()


def test_click_shows_details_and_flashes_the_counterpart(
    open_report: Any, invented_report: tuple[Path, list[Relation]]
) -> None:
    page = open_report(invented_report[0])
    details = page.locator('[data-testid="details"]')
    assert details.is_hidden()
    page.locator("#rel0-p0-c5-src").click()  # attribution, in the source
    assert details.is_visible()
    assert details.locator(".d-kind").inner_text() == "attribution"
    assert details.locator(".d-severity").inner_text() == "meaning"
    assert "the harbour master said" in details.locator(".d-source").inner_text()
    assert "according to a blogger" in details.locator(".d-target").inner_text()
    assert details.locator(".d-expl").inner_text() == "the source of the claim changed"
    counterpart = page.locator("#rel0-p0-c5-tgt")
    assert re.search(r"\bflash\b", counterpart.get_attribute("class") or "")
    assert re.search(r"\bcurrent\b", counterpart.get_attribute("class") or "")
    # from the target side, the source flashes
    page.locator("#rel0-p1-c0-tgt").click()
    assert details.locator(".d-kind").inner_text() == "polarity"
    assert re.search(r"\bflash\b", page.locator("#rel0-p1-c0-src").get_attribute("class") or "")
    assert "current" not in (counterpart.get_attribute("class") or "")  # the previous selection is cleared
    # the panel's links scroll to either side, even from the far end of the page
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    details.locator(".d-go-tgt").click()
    page.wait_for_function(
        "() => { const r = document.getElementById('rel0-p1-c0-tgt').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }",
        timeout=5000,
    )
    # the list's links too
    page.evaluate("window.scrollTo(0, 0)")
    page.locator('#rel0-p1-c1 a[data-jump="tgt"]').click()
    assert details.locator(".d-kind").inner_text() == "hedge"
    page.wait_for_function(
        "() => { const r = document.getElementById('rel0-p1-c1-tgt').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }",
        timeout=5000,
    )
    page.keyboard.press("Escape")
    assert details.is_hidden()


def test_full_texts_expand_with_passages_marked(
    open_report: Any, invented_report: tuple[Path, list[Relation]]
) -> None:
    page = open_report(invented_report[0])
    doc = page.locator('[data-testid="document-text"][data-id="orig.html"]')
    assert not doc.locator(".fulltext").is_visible()
    doc.locator(":scope > summary").click()
    assert doc.locator(".fulltext").is_visible()
    assert "Background paragraph that nobody copied." in doc.locator(".fulltext").inner_text()
    assert doc.locator("a.psg").count() >= 2
    assert doc.locator("a.psg.psg-many").count() >= 1  # passage 1 is shared by both relations
    page.locator('[data-testid="document-text"][data-id="copy.txt"] > summary').click()
    assert (
        "Tempest shuts harbour <b>!</b>"
        in page.locator('[data-testid="document-text"][data-id="copy.txt"] summary').inner_text()
    )


# ---------------------------------------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    if not SEEDS.exists():
        pytest.skip(f"sample articles not found at {SEEDS}: place ../shared beside the repository")
    out = tmp_path_factory.mktemp("seeds")
    report, data = out / "seeds.html", out / "seeds.json"
    assert (
        main(
            [
                "scan",
                str(SEEDS),
                "--format",
                "json",
                "-o",
                str(data),
                "--report",
                str(report),
                "--workers",
                "1",
            ]
        )
        == 0
    )
    return report, json.loads(data.read_text())


def test_seeds_report_in_the_browser(
    open_report: Any, browser: Any, seeds_report: tuple[Path, dict[str, Any]]
) -> None:
    report, data = seeds_report
    html = report.read_text()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    [rel] = [
        r for r in data["relations"] if r["source"].startswith("001_") and r["target"].startswith("000_")
    ]
    page = open_report(report)
    i = [r["source"] for r in data["relations"]].index(rel["source"])
    relation = page.locator(f"#rel{i}")
    assert relation.get_attribute("data-source") == rel["source"]
    assert relation.get_attribute("data-target") == rel["target"]
    passages = relation.locator('[data-testid="passage"]')
    assert passages.count() == len(rel["passages"]) >= 1
    for j, p in enumerate(rel["passages"]):
        src = passages.nth(j).locator('[data-testid="passage-source"]')
        tgt = passages.nth(j).locator('[data-testid="passage-target"]')
        a, b = src.bounding_box(), tgt.bounding_box()
        assert a["x"] + a["width"] <= b["x"], "source and target side by side"
        assert src.text_content() == p["source_text"] and tgt.text_content() == p["target_text"]
    changes = relation.locator('[data-testid="change"]')
    if load_annotator() is not None:
        assert changes.count() >= 1, "the meaning-change stage is installed but no change is shown"
    assert page.locator('[data-testid="document-text"]').count() == len(data["documents"])
    if changes.count():
        cid = changes.first.get_attribute("id")
        page.locator(f"#{cid}-src").click()
        assert page.locator('[data-testid="details"]').is_visible()
        assert page.locator(".d-kind").inner_text() == changes.first.get_attribute("data-kind")
        assert re.search(r"\bflash\b", page.locator(f"#{cid}-tgt").get_attribute("class") or "")
    else:  # without the stage: the passage links in the full texts still lead to the passages
        page.locator('[data-testid="document-text"] summary').first.click()
        page.locator("a.psg").first.click()
        page.wait_for_function(f"() => location.hash === '#rel{i}-p0'", timeout=5000)
    _no_external_requests(page)


def test_seeds_family_graph_in_the_browser(
    open_report: Any, browser: Any, seeds_report: tuple[Path, dict[str, Any]]
) -> None:
    """The family 001 → 000 is drawn as an inline SVG; clicking a node opens its pair view."""
    report, data = seeds_report
    [fam] = data["families"]
    assert fam["root"].startswith("001_") and any(m.startswith("000_") for m in fam["members"])
    story = next(s for s in data["stories"] if fam["root"] in s["documents"])
    assert fam["id"] in story["families"]
    page = open_report(report)
    graph = page.locator(f'[data-testid="family-graph"][data-family="{fam["id"]}"]')
    assert graph.count() == 1 and graph.is_visible()
    assert graph.evaluate("e => e.namespaceURI") == "http://www.w3.org/2000/svg"
    nodes = graph.locator('[data-testid="family-node"]')
    assert sorted(nodes.nth(k).get_attribute("data-id") for k in range(nodes.count())) == sorted(fam["members"])
    assert graph.locator('[data-testid="family-edge"]').count() == 1
    target = next(m for m in fam["members"] if m.startswith("000_"))
    i = [(r["source"], r["target"]) for r in data["relations"]].index((fam["root"], target))
    node = graph.locator(f'[data-testid="family-node"][data-id="{target}"]')
    assert node.get_attribute("href") == f"#rel{i}"
    node.locator("circle").click()
    page.wait_for_function(f"() => location.hash === '#rel{i}'", timeout=5000)
    assert page.locator('[data-testid="story-row"]').count() == len(data["stories"])
    _no_external_requests(page)
