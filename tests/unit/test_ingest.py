"""Ingest: every supported format becomes Documents, and every unreadable input is named with a reason."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fixtures.shared import SEEDS

from newstrace.stages.ingest import (
    SUPPORTED_SUFFIXES,
    detect_language,
    document_from_html,
    document_from_text,
    read_file,
    read_inputs,
)
from newstrace.stages.ingest.metadata import parse_date as _parse_date
from newstrace.types import Document, InputError, Rejected

ENGLISH = ("The council voted on Tuesday to extend the northern tram line by four kilometres, "
           "after a decade of delays and two failed tenders. Residents of the outer districts "
           "welcomed the decision, although several warned that construction would close the main bridge.")
SPANISH = ("El ayuntamiento votó el martes a favor de ampliar la línea norte del tranvía en cuatro "
           "kilómetros, después de una década de retrasos. La señora López, vecina del barrio, dijo "
           "que el niño de su hermana tendrá por fin un trayecto corto hasta la escuela.")

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Harbour ferry returns after winter repairs | The Coastal Ledger</title>
<meta property="og:title" content="Harbour ferry returns after winter repairs">
<meta property="og:site_name" content="The Coastal Ledger">
<link rel="canonical" href="https://www.coastal-ledger.example/news/2024/03/harbour-ferry-returns">
<meta property="article:published_time" content="2024-03-12T08:30:00+00:00">
</head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav></header>
<main><article>
<h1>Harbour ferry returns after winter repairs</h1>
<p>The small passenger ferry that links the old harbour with the island of Skerrow resumed its
timetable on Monday, three weeks later than planned, after engineers replaced a cracked propeller
shaft found during the winter inspection.</p>
<p>About forty commuters boarded the first crossing at seven in the morning. Several said they had
spent the winter driving the long way round the bay, a journey that adds almost an hour each way.</p>
<p>The operator said the repair cost more than it had budgeted, but that fares would stay the same
until the end of the summer season. A second vessel will be overhauled in the autumn.</p>
</article></main>
<footer><p>Copyright 2024 The Coastal Ledger. All rights reserved.</p>
<a href="/privacy">Privacy</a> <a href="/contact">Contact us</a></footer>
</body>
</html>
"""


def page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{body} Paragraph {i} adds a little more detail to the story.</p>" for i in range(4))
    return (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>{paragraphs}</article><footer>Contact</footer></body></html>").encode()


def read_all(*paths: Path | str) -> tuple[list[Document], list[InputError]]:
    items = list(read_inputs(list(paths)))
    return ([i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, InputError)])


# --------------------------------------------------------------------------- txt


def test_txt_with_bom_and_crlf(tmp_path: Path) -> None:
    f = tmp_path / "story.txt"
    f.write_bytes(b"\xef\xbb\xbfTram line extended\r\n\r\nOct 5 2023\r\n\r\n" + ENGLISH.encode())
    docs, errors = read_all(f)
    assert errors == []
    (doc,) = docs
    assert doc.id == "story.txt"
    assert doc.path == str(f)
    assert doc.raw.startswith("Tram line extended\n\nOct 5 2023\n\n")
    assert "\r" not in doc.raw and "\ufeff" not in doc.raw
    assert doc.title == "Tram line extended"
    assert doc.published == "2023-10-05"
    assert doc.language == "en"
    assert (doc.text, doc.offsets, doc.removed) == ("", [], [])


def test_latin1_text_is_decoded_by_charset_detection(tmp_path: Path) -> None:
    f = tmp_path / "noticia.txt"
    f.write_bytes(("Ampliación del tranvía\n\n" + SPANISH).encode("latin-1"))
    (doc,) = list(read_inputs([f]))
    assert isinstance(doc, Document)
    assert doc.title == "Ampliación del tranvía"
    assert "niño" in doc.raw and "señora López" in doc.raw
    assert doc.language == "es"


def test_undecodable_text_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "garbled.txt"
    f.write_bytes(bytes((i * 37) % 128 + 128 for i in range(400)))
    (err,) = list(read_inputs([f]))
    assert isinstance(err, InputError)
    assert err.path == str(f)
    assert err.reason.startswith("undecodable text (not UTF-8")


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "empty.txt"
    f.write_bytes(content)
    assert list(read_inputs([f])) == [InputError(str(f), "empty file")]


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
                                     bytes([1, 2, 3, 4, 5, 6, 7, 65]) * 100])
def test_binary_file(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "picture.txt"
    f.write_bytes(content)
    (err,) = list(read_inputs([f]))
    assert isinstance(err, InputError)
    assert err.reason.startswith("binary file")


def test_stray_nul_bytes_in_utf8_text_become_replacement_characters(tmp_path: Path) -> None:
    """A scraper's stray NULs in otherwise valid UTF-8 (12 of PAN 2013's documents) are damage,
    not a sign of binary: the article is read, each NUL one U+FFFD, so offsets hold."""
    text = "Naïve reporting, and a second sentence here.\n\n" * 40
    at = [5, 700, 1500]
    data = bytearray(text.encode("utf-8"))
    for k in reversed(at):
        data[k:k] = b"\x00"
    f = tmp_path / "damaged.txt"
    f.write_bytes(bytes(data))
    (doc,) = list(read_inputs([f]))
    assert isinstance(doc, Document)
    assert "\x00" not in doc.raw and doc.raw.count("\ufffd") == 3
    assert doc.raw.replace("\ufffd", "") == text
    # NULs for more than a hundredth of the bytes, or in bytes that are not UTF-8, stay binary.
    ascii_text = text.replace("ï", "i").encode("ascii")
    many = b"\x00".join(ascii_text[i : i + 50] for i in range(0, len(ascii_text), 50))
    latin = b"Na\xefve reporting\x00 " * 60
    for name, content in (("many.txt", many), ("latin.txt", latin)):
        (tmp_path / name).write_bytes(content)
        (err,) = list(read_inputs([tmp_path / name]))
        assert isinstance(err, InputError) and err.reason.startswith("binary file"), (name, err)


@pytest.mark.parametrize(("line", "expected"), [
    ("Oct 5 2023", "2023-10-05"),
    ("Wednesday, May 29, 2024", "2024-05-29"),
    ("2023-10-05", "2023-10-05"),
    ("5 October 2023", "2023-10-05"),
    ("Published: 5th of October, 2023", "2023-10-05"),
    ("Updated Oct. 5, 2023, 10:30 a.m. ET", "2023-10-05"),
    ("Thu, 05 Oct 2023 10:00:00 GMT", "2023-10-05"),
    ("2024-03-12T08:30:00+00:00", "2024-03-12"),
    ("May 03 , 2013", "2013-05-03"),  # tokenised text (ECB+)
    ("Posted : May 03 , 2013 12 : 30 PM", "2013-05-03"),
    ("Sept 31 2023", None),
    ("Elections will be held on 5 October 2023", None),
    ("05/10/2023", None),
    ("yesterday", None),
])
def test_date_lines(line: str, expected: str | None) -> None:
    assert _parse_date(line) == expected


def test_document_from_text_metadata() -> None:
    body = "Headline here\n\n" + ENGLISH + "\n\nPosted on 2 January 2022"
    doc = document_from_text("a", body, url="https://news.example.org/x")
    assert (doc.title, doc.published, doc.site) == ("Headline here", "2022-01-02", "news.example.org")
    doc = document_from_text("b", ENGLISH + " " + ENGLISH, published="2021-07-04T10:00:00Z", title="T")
    assert (doc.title, doc.published, doc.site) == ("T", "2021-07-04", None)
    assert document_from_text("c", ENGLISH * 3).title is None  # first line is a paragraph, not a headline


# --------------------------------------------------------------------------- walking


def test_directory_walk_ids_order_and_skips(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b" / "deep").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "a.txt").write_text("First\n\n" + ENGLISH, encoding="utf-8")
    (root / "b" / "c.txt").write_text("Second\n\n" + ENGLISH, encoding="utf-8")
    (root / "b" / "deep" / "d.txt").write_text("Third\n\n" + SPANISH, encoding="utf-8")
    (root / ".hidden" / "e.txt").write_text(ENGLISH, encoding="utf-8")
    (root / ".notes.txt").write_text(ENGLISH, encoding="utf-8")
    (root / "b" / "scan.pdf").write_bytes(b"%PDF-1.4")
    docs, errors = read_all(root)
    assert [d.id for d in docs] == ["a.txt", "b/c.txt", "b/deep/d.txt"]
    assert [d.title for d in docs] == ["First", "Second", "Third"]
    assert docs[2].path == str(root / "b" / "deep" / "d.txt")
    (err,) = errors
    assert err.path == str(root / "b" / "scan.pdf")
    assert err.reason.startswith("unsupported file type '.pdf' (supported: ")
    assert all(s in err.reason for s in SUPPORTED_SUFFIXES)


def test_missing_path_and_mixed_inputs(tmp_path: Path) -> None:
    f = tmp_path / "one.txt"
    f.write_text(ENGLISH, encoding="utf-8")
    docs, errors = read_all(tmp_path / "nope", f)
    assert [d.id for d in docs] == ["one.txt"]
    assert errors == [InputError(str(tmp_path / "nope"), "no such file or directory")]


def test_read_file_ids_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    f = tmp_path / "x" / "y.txt"
    f.write_text(ENGLISH, encoding="utf-8")
    (doc,) = list(read_file(f, tmp_path))
    assert isinstance(doc, Document)
    assert doc.id == "x/y.txt"


# --------------------------------------------------------------------------- jsonl


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "first", "text": ENGLISH, "url": "https://a.example/1", "title": "One",
                    "published": "2023-10-05"}),
        '{"id": "broken" "text": "no comma"}',
        "",
        json.dumps({"id": "nothing", "url": "https://a.example/2"}),
        json.dumps({"text": SPANISH}),
        json.dumps({"id": 7, "html": ARTICLE_HTML, "title": "Given title"}),
        "[1, 2]",
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, errors = read_all(f)
    assert [d.id for d in docs] == ["first", "feed.jsonl#5", "7"]
    first, spanish, html = docs
    assert (first.url, first.site, first.title, first.published) == (
        "https://a.example/1", "a.example", "One", "2023-10-05")
    assert spanish.language == "es"
    assert html.title == "Given title" and "propeller" in html.raw and html.published == "2024-03-12"
    assert all(d.path == str(f) for d in docs)
    assert [e.path for e in errors] == [f"{f}:2", f"{f}:4", f"{f}:7"]  # the path as given, like file errors
    assert errors[0].reason.startswith("invalid JSON: Expecting ',' delimiter")
    assert errors[1].reason == "record has neither 'text' nor 'html'"
    assert "not an object" in errors[2].reason


def test_jsonl_metadata_that_cannot_be_used_is_left_out_not_the_article(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """A date given as a number or in a form newstrace does not read, or a title that is not a
    string, is ignored with a warning naming its line; the article is read all the same."""
    f = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": "a", "text": ENGLISH, "published": 20050305}),
             json.dumps({"id": "b", "text": ENGLISH, "published": "yesterday", "title": 5}),
             json.dumps({"id": "  ", "text": ENGLISH, "published": "5 March 2005"})]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        docs, errors = read_all(f)
    assert errors == [] and [(d.id, d.published) for d in docs] == [("a", None), ("b", None),
                                                                    ("feed.jsonl#3", "2005-03-05")]
    warned = [r.getMessage() for r in caplog.records]
    assert any(m.startswith(f"{f}:1: ignored the field 'published'") for m in warned)
    assert any(m.startswith(f"{f}:2: ignored the published date 'yesterday'") for m in warned)
    assert any(m.startswith(f"{f}:2: ignored the field 'title'") for m in warned)


def test_jsonl_empty(tmp_path: Path) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text("\n\n", encoding="utf-8")
    assert list(read_inputs([f])) == [InputError(str(f), "empty file")]


# --------------------------------------------------------------------------- html


def test_html_article(tmp_path: Path) -> None:
    f = tmp_path / "ferry.html"
    f.write_text(ARTICLE_HTML, encoding="utf-8")
    (doc,) = list(read_inputs([f]))
    assert isinstance(doc, Document)
    assert doc.id == "ferry.html"
    assert doc.title == "Harbour ferry returns after winter repairs"
    assert doc.published == "2024-03-12"
    assert doc.url == "https://www.coastal-ledger.example/news/2024/03/harbour-ferry-returns"
    assert doc.site == "www.coastal-ledger.example"
    assert doc.language == "en"
    assert "cracked propeller shaft" in doc.raw and "overhauled in the autumn" in doc.raw
    assert "Privacy" not in doc.raw and "Weather" not in doc.raw


def test_an_html_article_splits_as_the_same_text_file_does(tmp_path: Path) -> None:
    """The page's blocks are paragraphs: its headline is a sentence of its own, as in the
    article saved as text, not one with the first paragraph."""
    from newstrace.stages.text import split_sentences

    f = tmp_path / "ferry.html"
    f.write_text(ARTICLE_HTML, encoding="utf-8")
    (doc,) = list(read_inputs([f]))
    assert isinstance(doc, Document)
    as_text = tmp_path / "ferry.txt"
    as_text.write_text(doc.raw.replace("\n\n", "\n\n\n"), encoding="utf-8")  # paragraphs as a text file has them
    (txt,) = list(read_inputs([as_text]))
    assert isinstance(txt, Document)
    first = split_sentences(doc.raw)[0]
    assert doc.raw[first.start:first.end] == "Harbour ferry returns after winter repairs"
    assert [doc.raw[x.start:x.end] for x in split_sentences(doc.raw)] == [
        txt.raw[x.start:x.end] for x in split_sentences(txt.raw)]


def test_html_without_main_text(tmp_path: Path) -> None:
    # The parser's own complaint (logged by trafilatura, no stray stderr line) joins the reason.
    rejected = document_from_html("x", "<html><head><title>t</title></head><body></body></html>")
    assert isinstance(rejected, Rejected) and rejected.reason.startswith("no main text found in HTML")
    f = tmp_path / "blank.htm"
    f.write_bytes(b"<html><body><script>var a = 1;</script></body></html>")
    [error] = list(read_inputs([f]))
    assert isinstance(error, InputError) and error.path == str(f)
    assert error.reason.startswith("no main text found in HTML")


def test_html_legacy_charset_from_meta() -> None:
    html = ("<html><head><meta charset='windows-1252'><title>Tranvía</title></head><body><article>"
            + "".join(f"<p>{SPANISH} ({i})</p>" for i in range(3)) + "</article></body></html>")
    doc = document_from_html("x", html.encode("cp1252"))
    assert isinstance(doc, Document)
    assert "señora López" in doc.raw and doc.language == "es"


# --------------------------------------------------------------------------- warc


def write_warc(path: Path, records: list[tuple[str, str, bytes]], *, gzip: bool) -> list[int]:
    """Write response records (uri, content type, body); return each record's end offset."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    ends = []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for uri, ctype, body in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=headers))
            ends.append(fh.tell())
    return ends


RECORDS = [
    ("https://one.example/ferry", "text/html; charset=utf-8", page("Ferry back", ENGLISH)),
    ("https://one.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00" * 50),
    ("https://two.example/tranvia", "text/html", page("Tranvía", SPANISH)),
    ("https://one.example/ferry", "text/html; charset=utf-8", page("Ferry again", ENGLISH)),
]


@pytest.mark.parametrize("suffix", [".warc", ".warc.gz"])
def test_warc_html_responses(tmp_path: Path, suffix: str) -> None:
    f = tmp_path / f"crawl{suffix}"
    write_warc(f, RECORDS, gzip=suffix.endswith(".gz"))
    docs, errors = read_all(f)
    assert errors == []
    assert [d.id for d in docs] == ["https://one.example/ferry", "https://two.example/tranvia",
                                    "https://one.example/ferry#2"]
    assert [d.site for d in docs] == ["one.example", "two.example", "one.example"]
    assert [d.language for d in docs] == ["en", "es", "en"]
    assert docs[0].title == "Ferry back" and docs[0].url == "https://one.example/ferry"
    assert docs[1].title == "Tranvía"
    assert all(d.path == str(f) for d in docs)


@pytest.mark.parametrize("suffix", [".warc", ".warc.gz"])
def test_truncated_warc_keeps_records_before(tmp_path: Path, suffix: str) -> None:
    good = tmp_path / f"good{suffix}"
    ends = write_warc(good, RECORDS, gzip=suffix.endswith(".gz"))
    cut = tmp_path / f"cut{suffix}"
    data = good.read_bytes()
    cut.write_bytes(data[: (ends[2] + ends[3]) // 2])  # half-way through the fourth record
    docs, errors = read_all(cut)
    assert [d.id for d in docs] == ["https://one.example/ferry", "https://two.example/tranvia"]
    (err,) = errors
    assert err.path == str(cut)
    assert err.reason.startswith("truncated or corrupt WARC after 3 records: ")


def test_warc_cut_inside_first_record(tmp_path: Path) -> None:
    good = tmp_path / "good.warc.gz"
    write_warc(good, RECORDS, gzip=True)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(good.read_bytes()[:40])
    (err,) = list(read_inputs([cut]))
    assert isinstance(err, InputError)
    assert err.reason.startswith("truncated or corrupt WARC after 0 records")


def test_warc_without_html(tmp_path: Path) -> None:
    f = tmp_path / "images.warc.gz"
    write_warc(f, [RECORDS[1]], gzip=True)
    assert list(read_inputs([f])) == [InputError(str(f), "no HTML response records in WARC")]


def test_empty_warc(tmp_path: Path) -> None:
    f = tmp_path / "empty.warc.gz"
    f.write_bytes(b"")
    assert list(read_inputs([f])) == [InputError(str(f), "empty file")]


def test_not_a_warc(tmp_path: Path) -> None:
    f = tmp_path / "fake.warc"
    f.write_text("this is not a WARC file at all\n" * 5, encoding="utf-8")
    (err,) = list(read_inputs([f]))
    assert isinstance(err, InputError)
    assert err.reason.startswith("truncated or corrupt WARC after 0 records")


# --------------------------------------------------------------------------- language


def test_detect_language() -> None:
    assert detect_language(ENGLISH) == "en"
    assert detect_language(SPANISH) == "es"
    assert detect_language("Hi there") is None
    assert detect_language("12 34 56 -- 78") is None


# --------------------------------------------------------------------------- shared seeds


def test_shared_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"shared seeds not found at {SEEDS}: place ../shared beside the repository to run this test")
    docs, errors = read_all(SEEDS)
    assert errors == []
    names = sorted(p.name for p in SEEDS.iterdir() if p.is_file() and not p.name.startswith("."))
    assert len(docs) == 5
    assert [d.id for d in docs] == names
    assert {d.language for d in docs} == {"en"}
    (seed_001,) = [d for d in docs if d.id.startswith("001_")]
    assert seed_001.published == "2023-10-05"


# Texts in several scripts and byte lengths, with the edge cases of the automaton walk (fewer
# bytes than its depth, multi-byte characters, upper case, no features at all).
LANGUAGE_TEXTS = [ENGLISH, SPANISH, ENGLISH.upper(), "x", "ab", "é", "", "   ", "12 34 56 -- 78",
                  "Он сказал, что совет проголосует во вторник за продление трамвайной линии.",
                  "Η δημοτική επιτροπή ψήφισε την Τρίτη την επέκταση της γραμμής του τραμ.",
                  "市议会周二投票决定将北部有轨电车线路延长四公里。", "市議会は火曜日、路面電車の延長を決めた。",
                  "قرر المجلس البلدي يوم الثلاثاء تمديد خط الترام الشمالي", "🙂 emoji 🙂 text 🙂",
                  "Der Stadtrat hat am Dienstag beschlossen, die nördliche Straßenbahnlinie zu verlängern."]


def test_language_scores_are_py3langid_s_to_the_bit() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from newstrace.stages.ingest.language import _identifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ours = _identifier()
    texts = LANGUAGE_TEXTS + [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for text in texts:
        assert ours._decide(text).tobytes() == reference._decide(text).tobytes(), text[:40]
        assert ours.classify(text) == reference.classify(text)


def test_the_language_automaton_is_walked_within_its_depth() -> None:
    # Every state is reached from the start within _DFA_DEPTH bytes (breadth-first over the
    # model), which is what lets the walk find each position's state from its last bytes alone.
    import numpy as np

    from newstrace.stages.ingest.language import _DFA_DEPTH, _identifier

    ident = _identifier()
    moves = np.asarray(ident.tk_nextmove)
    rows = np.asarray(ident.tk_row, dtype=np.int64)
    depth = np.full(len(rows), -1, dtype=np.int64)
    depth[0] = 0
    frontier, d = np.array([0]), 0
    while len(frontier):
        reached = np.unique(moves[(rows[frontier] << 8)[:, None] + np.arange(256)].ravel())
        frontier = reached[depth[reached] < 0]
        d += 1
        depth[frontier] = d
    assert (depth >= 0).all()
    assert int(depth.max()) <= _DFA_DEPTH


def _same_tables(a: tuple, b: tuple) -> bool:  # type: ignore[type-arg]
    import numpy as np

    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b, strict=True))


def test_language_model_tables_come_from_a_cached_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's uncompressed copies in the cache directory give py3langid's own tables (the
    large two memory-mapped); a damaged copy is made again, and an unwritable cache directory
    only means decompressing."""
    import numpy as np
    from py3langid import modelio
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from newstrace.stages.ingest.language import _model_tables

    reference = tuple(modelio.load_model(Path(MODEL_DIR) / MODEL_FILE))
    monkeypatch.setenv("NEWSTRACE_CACHE_DIR", str(tmp_path / "cache"))
    made = _model_tables(MODEL_FILE)
    assert _same_tables(made, reference)
    assert made[0].dtype == np.float32 and made[0].shape == np.asarray(reference[0]).shape
    copies = sorted((tmp_path / "cache" / "models").glob("py3langid-*"))
    assert {c.name.rsplit("-", 1)[-1] for c in copies} == {"float32.npy", "nextmove.npy", "tables.npz"}
    read = _model_tables(MODEL_FILE)
    assert _same_tables(read, reference)
    assert isinstance(read[0].base, np.memmap) or isinstance(read[0], np.memmap)  # mapped, not read
    for copy in copies:  # each damaged in turn
        copy.write_bytes(copy.read_bytes()[:1000])
        assert _same_tables(_model_tables(MODEL_FILE), reference)
        assert copy.stat().st_size > 1_000 and not list(copy.parent.glob("*.part"))
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("NEWSTRACE_CACHE_DIR", str(blocked))
    assert _same_tables(_model_tables(MODEL_FILE), reference)
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr("newstrace.stages.embed.cache_dir", no_home)
    assert _same_tables(_model_tables(MODEL_FILE), reference)
