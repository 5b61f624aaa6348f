"""The HTML report without a browser: escaping, self-containment, anchors, overlapping changes,
filling changes for the report, and ``newstrace compare``."""

from __future__ import annotations

import json
import re
import sys
import types
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from fixtures.articles import ARTICLE, OTHER

from newstrace.cli.app import main
from newstrace.compare import compare
from newstrace.report.html import render_html
from newstrace.stages.relate import add_changes
from newstrace.types import Change, Direction, Document, InputError, Passage, Relation, Removed

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>" onmouseover="alert(2)'

# Resources a page would load: any src attribute, a link to a style sheet or icon, CSS imports and
# url(...) pointing anywhere, and <base>/<meta refresh>.
EXTERNAL = re.compile(
    r"""(?ix)
    <(?:script|img|iframe|frame|embed|object|source|track|video|audio|input|image)\b[^>]*\bsrc\s*=
    | <link\b[^>]*\bhref\s*=
    | @import
    | url\(\s*['"]?(?!\#)[^)'"\s]
    | <base\b
    | <meta\b[^>]*http-equiv\s*=\s*['"]?refresh
    | \bsrcset\s*=
    """
)


def _doc(doc_id: str, text: str, **kw: object) -> Document:
    return Document(id=doc_id, raw=text, text=text, offsets=list(range(len(text) + 1)), **kw)  # type: ignore[arg-type]


SRC_TEXT = "Intro line.\n\nThe mayor said 12 people were hurt in Lyon on Monday.\n\nOutro."
TGT_TEXT = "Header.\n\nThe governor claimed 21 people were injured in Paris.\n\nEnd."


def _change(
    kind: str,
    severity: str,
    src: str,
    tgt: str,
    explanation: str = "why",
    src_text: str = SRC_TEXT,
    tgt_text: str = TGT_TEXT,
) -> Change:
    s = src_text.index(src) if src else src_text.index("Monday") + len("Monday")
    t = tgt_text.index(tgt) if tgt else tgt_text.index("Paris") + len("Paris")
    return Change(kind, severity, (s, s + len(src)), (t, t + len(tgt)), src, tgt, explanation)  # type: ignore[arg-type]


def _fixture(changes: tuple[Change, ...], *, title: str = "Mayor", explanation_title: str = "") -> tuple:  # type: ignore[type-arg]
    a = _doc(
        "a.txt",
        SRC_TEXT,
        title=title,
        published="2024-01-02",
        language="en",
        removed=[Removed(0, 5, "Menu", "site header")],
    )
    b = _doc("b.txt", TGT_TEXT, title="Governor", language="en")
    ps, pe = SRC_TEXT.index("The mayor"), SRC_TEXT.index("Monday.") + len("Monday.")
    ts, te = TGT_TEXT.index("The governor"), TGT_TEXT.index("Paris.") + len("Paris.")
    passage = Passage((ps, pe), (ts, te), SRC_TEXT[ps:pe], TGT_TEXT[ts:te], 0.8, changes)
    rel = Relation(
        "a.txt",
        "b.txt",
        "near-duplicate",
        0.9,
        Direction("published-date", "a is older"),
        0.6,
        0.7,
        (passage,),
        ("evidence one",),
    )
    return [a, b], [rel], [InputError("bad.warc", "truncated gzip stream")]


CHANGES = (
    _change("entity", "meaning", "mayor", "governor", "a different office holder"),
    _change("attribution", "harmless", "said", "claimed", "a verb of saying"),
    _change("number", "meaning", "12", "21", "the count of people differs"),
    _change("synonym", "harmless", "hurt", "injured", "same meaning"),
    _change("entity", "meaning", "Lyon", "Paris", "another city"),
    _change("omission", "meaning", " on Monday", "", "the day is gone"),
)


class _Tags(HTMLParser):
    """Checks that tags nest properly and collects the text of the passage sides."""

    VOID: ClassVar[frozenset[str]] = frozenset({"meta", "br", "input", "img", "link", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.sides: dict[str, list[str]] = {}
        self._side: list[tuple[str, int]] = []  # (testid, depth)
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if d.get("id"):
            self.ids.append(str(d["id"]))
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if d.get("data-testid") in ("passage-source", "passage-target"):
            key = f"{d['data-testid']}:{len(self.sides)}"
            self.sides[key] = []
            self._side.append((key, len(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (
            f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        )
        if self._side and self._side[-1][1] == len(self.stack):
            self._side.pop()
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._side:
            self.sides[self._side[-1][0]].append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    assert p.stack == []
    return p


def test_hostile_text_is_inert() -> None:
    hostile_changes = (_change("entity", "meaning", "mayor", "governor", HOSTILE),)
    docs, rels, errors = _fixture(hostile_changes, title=HOSTILE)
    docs[0].site = HOSTILE
    errors = [InputError(HOSTILE, HOSTILE)]
    html = render_html(docs, rels, errors, title=HOSTILE)
    assert html.count("<script") == 1  # the report's own script, at the end
    assert "<img" not in html and 'onmouseover="' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert re.search(r"<title>&lt;script&gt;", html)
    _parse(html)


def test_self_contained() -> None:
    docs, rels, errors = _fixture(CHANGES)
    docs[0].url = "https://example.org/a"
    html = render_html(docs, rels, errors, {"seconds": 1.5})
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert not re.search(r"""(?i)\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_every_change_has_an_anchor_on_both_sides_and_the_texts_survive() -> None:
    docs, rels, errors = _fixture(CHANGES)
    html = render_html(docs, rels, errors)
    tags = _parse(html)
    ids = set(tags.ids)
    for k in range(len(CHANGES)):
        assert {f"rel0-p0-c{k}", f"rel0-p0-c{k}-src", f"rel0-p0-c{k}-tgt"} <= ids
        assert f'href="#rel0-p0-c{k}-src"' in html and f'href="#rel0-p0-c{k}-tgt"' in html
    assert len(tags.ids) == len(ids), "duplicate element ids"
    p = rels[0].passages[0]
    assert "".join(tags.sides["passage-source:0"]) == p.source_text
    assert "".join(tags.sides["passage-target:1"]) == p.target_text
    assert html.count('data-testid="change"') == len(CHANGES)
    assert html.count('data-testid="change-mark"') == 2 * len(CHANGES)
    assert html.count('data-testid="relation"') == 1 and html.count('data-testid="passage"') == 1
    # severity and kind are classes and data attributes; explanations are in the hover title
    assert re.search(
        r'<mark class="chg k-number s-meaning" id="rel0-p0-c2-src"[^>]*data-kind="number"'
        r'[^>]*data-severity="meaning"[^>]*title="number · meaning: the count of people differs',
        html,
    )
    # the omission has nothing on the target side: a point marker there
    assert re.search(
        r'<mark class="chg chg-point k-omission s-meaning" data-point="empty" id="rel0-p0-c5-tgt"', html
    )


def test_overlapping_nested_and_out_of_range_changes() -> None:
    base = CHANGES[0]
    s, t = SRC_TEXT.index("The mayor said"), TGT_TEXT.index("The governor claimed")
    weird = (
        Change(
            "rewording", "harmless", (s, s + 14), (t, t + 20), "The mayor said", "The governor claimed", "x"
        ),
        base,  # nested inside the first
        Change("quote", "meaning", (s + 4, s + 30), (t + 4, t + 30), "", "", "overlaps both"),
        Change("number", "meaning", (10_000, 10_010), (-5, 3), "", "", "out of range"),
    )
    docs, rels, errors = _fixture(weird)
    html = render_html(docs, rels, errors)
    tags = _parse(html)
    for k in range(len(weird)):
        assert f"rel0-p0-c{k}-src" in tags.ids and f"rel0-p0-c{k}-tgt" in tags.ids
    p = rels[0].passages[0]
    assert "".join(tags.sides["passage-source:0"]) == p.source_text
    assert "".join(tags.sides["passage-target:1"]) == p.target_text
    assert re.search(r'data-point="overlap" id="rel0-p0-c1-src"', html)


def test_summary_and_full_texts() -> None:
    docs, rels, errors = _fixture(CHANGES)
    html = render_html(docs, rels, errors, {"seconds": 0.25})
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "a is older" in text and "published-date" in text
    assert "site header ×1" in text and "truncated gzip stream" in text
    assert re.search(r"entity 2\s+number 1\s+omission 1", text)  # meaning changes by kind
    assert html.count('data-testid="document-text"') == 2
    # the passage is marked in both documents' full text and links to the passage
    assert html.count('<a class="psg" href="#rel0-p0"') == 2
    assert "0.25 s" in text


def test_no_relations_and_no_changes() -> None:
    docs, _, _ = _fixture(())
    html = render_html(docs, [], [])
    assert 'data-testid="no-relations"' in html and 'data-testid="passage"' not in html
    docs, rels, errors = _fixture(())
    html = render_html(docs, rels, errors)
    assert html.count('data-testid="passage"') == 1 and 'data-testid="change"' not in html
    assert "no changes recorded" in html


def annotate_changes(docs: list[Document], rels: list[Relation]) -> list[Relation]:
    return [add_changes(docs[0], docs[1], r) for r in rels]


def test_changes_step_without_and_with_the_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """The relate step's changes annotation (``stages/relate/changes_step.py``; reports never run
    it) hands every relation to the meaning-change stage's ``annotate_relation``, and leaves the
    relation as it is when that stage cannot be imported."""
    docs, rels, _ = _fixture(())
    monkeypatch.setitem(sys.modules, "newstrace.stages.changes", None)  # import fails
    assert annotate_changes(docs, rels) == rels
    calls: list[tuple[str, str, str]] = []

    def annotate_relation(source: Document, target: Document, relation: Relation) -> Relation:
        calls.append((source.id, target.id, relation.type))
        p = relation.passages[0]
        i, j = p.source_text.index("12"), p.target_text.index("21")
        change = Change("number", "meaning", (p.source_span[0] + i, p.source_span[0] + i + 2),
                        (p.target_span[0] + j, p.target_span[0] + j + 2), "12", "21", "count")
        return replace(relation, passages=(replace(p, changes=(change,)), *relation.passages[1:]))

    fake = types.ModuleType("newstrace.stages.changes")
    fake.annotate_relation = annotate_relation  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "newstrace.stages.changes", fake)
    [out] = annotate_changes(docs, rels)
    assert calls == [(docs[0].id, docs[1].id, rels[0].type)]
    [c] = out.passages[0].changes
    assert (
        SRC_TEXT[c.source_span[0] : c.source_span[1]] == "12"
        and TGT_TEXT[c.target_span[0] : c.target_span[1]] == "21"
    )
    assert rels[0].passages[0].changes == ()  # input untouched


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    a, b, c = tmp_path / "a" / "story.txt", tmp_path / "b" / "story.txt", tmp_path / "other.txt"
    a.parent.mkdir()
    b.parent.mkdir()
    a.write_text(ARTICLE)
    b.write_text(ARTICLE.replace("twelve crossings", "twenty crossings").replace("October", "November"))
    c.write_text(OTHER)
    return a, b, c


def test_compare_finds_the_relation_and_writes_a_report(
    pair: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c = pair
    result = compare(a, b)
    assert len(result.documents) == 2 and len({d.id for d in result.documents}) == 2  # same name, two ids
    [rel] = result.relations
    assert rel.passages
    report = tmp_path / "r.html"
    assert main(["compare", str(a), str(b), "--report", str(report)]) == 0
    out, err = capsys.readouterr()
    assert "Passage 1" in out and rel.type in out
    assert f"newstrace: wrote {report}" in err
    html = report.read_text()
    assert html.count('data-testid="passage"') == len(rel.passages) and not EXTERNAL.search(html)
    assert main(["compare", str(a), str(b), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["relations"]) == 1
    assert main(["compare", str(a), str(c)]) == 0
    assert "no reuse found" in capsys.readouterr().out
    assert main(["compare", str(a), str(tmp_path / "missing.txt")]) == 1


def test_scan_report_flag(
    pair: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _, _ = pair
    report = tmp_path / "scan.html"
    assert (
        main(["scan", str(a.parent.parent), "--format", "json", "--report", str(report), "--workers", "1"])
        == 0
    )
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert len(data["documents"]) == 3 and f"newstrace: wrote {report}" in err
    html = report.read_text()
    assert html.count('data-testid="relation"') == len(data["relations"]) >= 1
    assert html.count('data-testid="passage"') == sum(len(r["passages"]) for r in data["relations"])
