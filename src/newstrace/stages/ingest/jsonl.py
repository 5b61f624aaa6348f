"""JSONL exports: one article per line; a bad line is named by its line number."""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from newstrace.stages.ingest.decoding import SNIFF_BYTES
from newstrace.stages.ingest.html import document_from_html
from newstrace.stages.ingest.metadata import normalise_date, parse_date
from newstrace.stages.ingest.txt import document_from_text
from newstrace.types import Document, InputError, Rejected

__all__ = ["jsonl_record", "read_jsonl"]

log = logging.getLogger(__name__)


def read_jsonl(path: Path, rel: str, *, identify_language: bool = True) -> Iterator[Document | InputError]:
    """One Document per JSON line; a bad line is reported by line number and the rest still read."""
    records = 0
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
        if b"\x00" in head:
            yield InputError(str(path), "binary file (NUL or control bytes: not text)")
            return
        fh.seek(0)
        for number, line in enumerate(fh, start=1):
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if not line.strip():
                continue
            records += 1
            where = f"{path}:{number}"
            item = _jsonl_record(line, rel, number, str(path), identify_language=identify_language)
            yield InputError(where, item.reason) if isinstance(item, Rejected) else item
    if records == 0:
        yield InputError(str(path), "empty file")


def _jsonl_record(line: bytes, rel: str, number: int, path: str, *,
                  identify_language: bool = True) -> Document | Rejected:
    try:
        record = json.loads(line)
    except UnicodeDecodeError as exc:
        return Rejected(f"invalid JSON: not UTF-8 ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        return Rejected(f"invalid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(record, dict):
        return Rejected(f"record is a JSON {type(record).__name__}, not an object")
    doc_id = record.get("id")
    doc_id = f"{rel}#{number}" if doc_id is None or not str(doc_id).strip() else str(doc_id)
    meta: dict[str, str | None] = {}
    for key in ("url", "title", "published"):
        # Metadata that cannot be used is left out, with a warning naming the line: the
        # article itself is still read (a date given as 20050305 must not lose the article).
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            log.warning("%s:%d: ignored the field %r: a JSON %s, not a string", path, number, key,
                        type(value).__name__)
            value = None
        if key == "published" and value and value.strip() and parse_date(value) is None:
            log.warning("%s:%d: ignored the published date %r: not a date newstrace reads "
                        "(2024-05-29, 29 May 2024, May 29, 2024)", path, number, value[:40])
            value = None
        meta[key] = value or None
    text, html = record.get("text"), record.get("html")
    for key, value in (("text", text), ("html", html)):
        if value is not None and not isinstance(value, str):
            return Rejected(f"field {key!r} is a JSON {type(value).__name__}, not a string")
    if text and text.strip():
        return document_from_text(doc_id, text, path=path, title=meta["title"], url=meta["url"],
                                  published=meta["published"], identify_language=identify_language)
    if html and html.strip():
        doc = document_from_html(doc_id, html, path=path, url=meta["url"], identify_language=identify_language)
        if isinstance(doc, Document):
            # The record's own metadata is explicit; it wins over what extraction guessed.
            doc.title = meta["title"] or doc.title
            if meta["published"]:
                doc.published = normalise_date(meta["published"]) or doc.published
        return doc
    if text is not None or html is not None:
        return Rejected("record has an empty 'text'" if text is not None else "record has an empty 'html'")
    return Rejected("record has neither 'text' nor 'html'")


def jsonl_record(line: bytes, rel: str, number: int, path: str) -> Document | Rejected:
    """One JSON record (a JSONL line, or a Parquet row as JSON) as a ``Document``, or why not:
    ``rel`` and ``number`` name a record without an ``id``."""
    return _jsonl_record(line, rel, number, path)
