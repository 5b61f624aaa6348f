"""Hostile inputs, deterministic from a seed: every kind issue 10 probed, plus random
mutations of real articles (truncation at any byte, bad encodings, random markup, huge,
empty, duplicated).

Each generated input carries what may become of it: ``processed`` (one or more documents)
and/or the reasons (prefixes) under which it may be named in ``errors``.  A reason outside
that set is a wrong reason; an input in neither place was dropped.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Case", "generate"]

PROCESSED = "processed"
# Tokens scraped pages carry that break naive renderers: BBCode, rich markup, emoji codes,
# HTML, ANSI escapes.
_MARKUP = ("[/b]", "[b]", "[quote]", "[/quote]", "[red]", "[/]", ":joy:", "<b>", "</div>", "&nbsp;", "&amp;",
           "\x1b[31m", "{{template}}", "<!--", "]]>", "\\n")
_CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


@dataclass(slots=True)
class Case:
    """One generated input: its path, the kind of hostility, and the allowed outcomes."""

    path: Path
    kind: str
    allowed: tuple[str, ...]  # PROCESSED and/or reason prefixes
    good: bool = False  # a plain good article (its results must not depend on its neighbours)
    lines: dict[int, tuple[str, ...]] = field(default_factory=dict)  # JSONL: line -> allowed


def _warc_record(uri: str, html: str) -> bytes:
    body = html.encode("utf-8")
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + \
        str(len(body)).encode() + b"\r\n\r\n" + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{abs(hash(uri)) % 10**12:012d}-0000-0000-0000-000000000000>\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode()
    return head + http + b"\r\n\r\n"


def _html(title: str, text: str) -> str:
    paras = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>{paras}</article></body></html>")


def generate(root: Path, articles: list[str], *, seed: int, huge_chars: int) -> list[Case]:
    """Write the hostile inputs under ``root`` and return them with their allowed outcomes.

    Args:
        root: an empty folder.
        articles: real articles to mutate (plain text).
        seed: the generator's seed: the same seed writes the same bytes.
        huge_chars: the article limit the run uses (a "huge" input exceeds it).
    """
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def put(name: str, data: bytes, kind: str, *allowed: str, good: bool = False) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases.append(Case(path, kind, allowed, good))
        return path

    for k, text in enumerate(articles):
        raw = text.encode("utf-8")
        put(f"good/{k:02d}.txt", raw, "good", PROCESSED, good=True)
        cut = rng.randrange(0, len(raw))
        put(f"trunc/{k:02d}.txt", raw[:cut], "truncated at a byte", PROCESSED, "empty file", "undecodable text")
        words = text.split(" ")
        for _ in range(max(3, len(words) // 40)):
            at = rng.randrange(len(words))
            words[at] = words[at] + rng.choice(_MARKUP)
        put(f"markup/{k:02d}.txt", " ".join(words).encode("utf-8"), "random markup", PROCESSED)
        accented = text.replace("e", "é", 5).replace("a", "à", 3)
        put(f"latin1/{k:02d}.txt", accented.encode("latin-1", errors="replace"), "latin-1", PROCESSED,
            "undecodable text")
        put(f"utf16/{k:02d}.txt", text.encode("utf-16-le"), "UTF-16 without BOM", PROCESSED)
        put(f"utf16bom/{k:02d}.txt", text.encode("utf-16"), "UTF-16 with BOM", PROCESSED)
        put(f"bom/{k:02d}.txt", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), "UTF-8 BOM and CRLF", PROCESSED)
        put(f"dup/{k:02d}.txt", raw, "duplicated", PROCESSED)
        html = _html(text.split("\n", 1)[0][:80], text).encode()
        put(f"html/{k:02d}.html", html, "HTML", PROCESSED, "no main text found in HTML")
        put(f"htmlcut/{k:02d}.html", html[: rng.randrange(1, len(html))], "HTML cut at a byte", PROCESSED,
            "no main text found in HTML", "empty file")
        nul_at = rng.randrange(len(raw))
        while nul_at < len(raw) and raw[nul_at] & 0xC0 == 0x80:  # not inside a character
            nul_at += 1
        put(f"nul/{k:02d}.txt", raw[:nul_at] + b"\x00" + raw[nul_at:], "a stray NUL byte", PROCESSED)
        put(f"nuls/{k:02d}.txt", b"\x00".join(raw[i : i + 50] for i in range(0, len(raw), 50)), "NULs throughout",
            "binary file")
        put(f"huge/{k:02d}.txt", (text + "\n\n") .encode() * (huge_chars // max(1, len(text)) + 2), "huge",
            "article too long")
    put("empty.txt", b"", "empty", "empty file")
    put("blank.txt", b"  \n\t \n", "whitespace only", "empty file")
    put("empty.html", b"", "empty HTML", "empty file")
    put("doctype.html", b"<!DOCTYPE html>", "HTML without text", "no main text found in HTML")
    put("random.txt", bytes(rng.randrange(256) for _ in range(4096)), "random bytes", "binary file",
        "undecodable text")
    put("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2048)), "binary renamed",
        "binary file")
    put("report.pdf", b"%PDF-1.4\n", "unsupported suffix", "unsupported file type")
    put("noext", b"text", "no suffix", "unsupported file type")
    cjk = "。".join("".join(rng.choice(_CJK) for _ in range(rng.randrange(12, 30))) for _ in range(12)) + "。"
    put("cjk.txt", cjk.encode(), "Chinese", PROCESSED)
    arabic = ". ".join(" ".join("".join(rng.choice(_ARABIC) for _ in range(rng.randrange(2, 8)))
                                for _ in range(10)) for _ in range(8))
    put("arabic.txt", arabic.encode(), "Arabic", PROCESSED)
    put("ctrl.txt", b"\x07\x08\x01" * 300, "control bytes", "binary file")
    if articles:
        put("name\nwith newline.txt", articles[0].encode(), "newline in the name", PROCESSED)
        put("wire[/b]x.txt", articles[-1].encode(), "markup in the name", PROCESSED)
    # JSONL: one line of each kind; the good ones are documents, the others named by line.
    lines = [json.dumps({"id": "j-good", "text": articles[0] if articles else "x " * 50}),
             "{not json", json.dumps([1, 2]), json.dumps({"id": "j-type", "text": "t", "title": 5}),
             json.dumps({"id": "j-empty", "text": "   "}), json.dumps({"id": "j-none"}),
             json.dumps({"id": "j-html", "html": _html("T", articles[1] if len(articles) > 1 else "y " * 50)})]
    path = put("feed.jsonl", ("\n".join(lines) + "\n").encode(), "JSONL", PROCESSED)
    cases[-1].lines = {1: (PROCESSED,), 2: ("invalid JSON",), 3: ("record is a JSON list",),
                       4: (PROCESSED,), 5: ("record has an empty 'text'",),
                       6: ("record has neither 'text' nor 'html'",),
                       7: (PROCESSED, "no main text found in HTML")}
    assert path.exists()
    # WARC: two HTML responses; a whole one, and the same cut inside its second record.
    warc = b"".join(_warc_record(f"http://example.org/{k}", _html(f"Story {k}", t))
                    for k, t in enumerate(articles[:2]))
    put("crawl.warc", warc, "WARC", PROCESSED)
    put("cut.warc.gz", gzip.compress(warc)[: len(gzip.compress(warc)) * 3 // 4], "WARC cut at a byte", PROCESSED,
        "truncated or corrupt WARC", "duplicate document id")  # its records' URIs are crawl.warc's
    # Links that cannot be followed.
    (root / "loop.txt").symlink_to(root / "loop.txt")
    cases.append(Case(root / "loop.txt", "symlink loop", ("symlink loop",)))
    (root / "broken.txt").symlink_to(root / "missing-target.txt")
    cases.append(Case(root / "broken.txt", "broken symlink", ("broken symlink",)))
    (root / "good" / "again").symlink_to(root / "good")
    cases.append(Case(root / "good" / "again", "symlinked folder loop", ("symlink loop",)))
    return cases
