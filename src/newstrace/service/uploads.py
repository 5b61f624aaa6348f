"""What a client sends, read into ``Document``s in memory: JSON records and uploaded files.

No request ever names a server path and nothing is written to disk: a file's name, as the
client gave it less any ``.``/``..`` parts, gives the document its id (as ``newstrace index
add`` names a file by its path inside the folder given: ``politics/001.txt``), and its suffix
chooses the ingest reader; the reader gets the bytes.
Text and HTML files go to ``document_from_text_file`` / ``document_from_html_file``; JSONL
and WARC files to ``read_jsonl`` / ``read_warc`` through ``_InMemoryFile``, which gives those
path-based readers the two things they use of a path (``open("rb")`` and ``stat()``), so
every check of the CLI's readers (binary files, BOMs, bad lines, cut-off WARC records)
applies to uploads unchanged.  Errors name the input as the client knows it (``batch.jsonl:4``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import xxhash

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.stages.ingest import SUPPORTED_SUFFIXES, document_from_html, document_from_text
from newstrace.stages.ingest.html import document_from_html_file
from newstrace.stages.ingest.jsonl import read_jsonl
from newstrace.stages.ingest.metadata import normalise_date
from newstrace.stages.ingest.txt import document_from_text_file
from newstrace.stages.ingest.warc import read_warc
from newstrace.types import Document, InputError, Rejected

__all__ = [
    "ACCEPTED_SUFFIXES",
    "Upload",
    "UploadError",
    "article_count",
    "check_names",
    "document_from_record",
    "document_id_for",
    "holds_control_character",
    "read_records",
    "read_uploads",
    "safe_name",
]

ACCEPTED_SUFFIXES: tuple[str, ...] = tuple(SUPPORTED_SUFFIXES)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def holds_control_character(name: str) -> bool:
    """Whether ``name`` holds a control character (a line break, a tab): an id with one could
    never be named in a URL or on one report line again, so ids and file names refuse it."""
    return _CONTROL.search(name) is not None
_DRIVE = re.compile(r"[A-Za-z]:")
#: Longest file name kept as an id (a longer one is refused, never cut: cut names could collide).
MAX_NAME_CHARS = 512


class UploadError(ValueError):
    """An upload that cannot be accepted: names the input and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as a client sent it: its name (:func:`safe_name`) and bytes."""

    name: str
    data: bytes


def safe_name(name: str) -> str:
    """The client's file name as a document id: its folders and characters kept (two uploads
    of ``politics/001.txt`` and ``sport/001.txt``, or of ``Москва.txt`` and ``Россия.txt``, are
    two articles), less the ``.``, ``..`` and empty parts of its path, the blanks around each
    part, a base name's leading dots and a Windows drive; ``\\`` separates folders as ``/``
    does.

    Raises:
        UploadError: no usable name, a control character (a line break) in it, a name over
            :data:`MAX_NAME_CHARS` characters, or an unsupported suffix.
    """
    parts = [p.strip() for p in name.replace("\\", "/").split("/")]
    kept = [p for p in parts if p not in ("", ".", "..")]
    if len(kept) > 1 and _DRIVE.fullmatch(kept[0]):  # a Windows client's whole path
        kept = kept[1:]
    if kept:
        kept[-1] = kept[-1].lstrip(".").strip()
    cleaned = "/".join(p for p in kept if p)
    if not kept or not kept[-1]:
        raise UploadError(name or "(no name)", "file name is empty")
    if holds_control_character(cleaned):
        raise UploadError(name.encode("unicode_escape").decode("ascii"), "file name holds a control character")
    if len(cleaned) > MAX_NAME_CHARS:
        raise UploadError(name[:80] + "…", f"file name longer than {MAX_NAME_CHARS} characters")
    lower = kept[-1].lower()
    if not any(lower.endswith(s) for s in ACCEPTED_SUFFIXES):
        raise UploadError(name, f"unsupported file type (supported: {', '.join(ACCEPTED_SUFFIXES)})")
    return cleaned


def check_names(files: Sequence[Upload]) -> list[str]:
    """The safe names of ``files``, refusing an upload before any work starts.

    Raises:
        UploadError: a name is unusable, or two files reduce to the same name (their
            documents would get the same id).
    """
    names = [safe_name(f.name) for f in files]
    seen: set[str] = set()
    for original, name in zip(files, names, strict=True):
        if name in seen:
            raise UploadError(original.name, "two files with this name in one upload (ids are file names)")
        seen.add(name)
    return names


def article_count(files: Sequence[Upload]) -> int:
    """Articles an upload holds, for a job's progress: a JSONL file's non-empty lines, one per
    other file (a WARC counts as one until it is read)."""
    return sum(sum(1 for x in f.data.splitlines() if x.strip()) or 1 if f.name.lower().endswith(".jsonl") else 1
               for f in files)


def document_id_for(record: dict[str, Any]) -> str:
    """The id of a JSON record without one: a hash of its content, so re-posting is idempotent."""
    body = str(record.get("text") or record.get("html") or "")
    return f"doc-{xxhash.xxh64_hexdigest(body.encode('utf-8'))}"


# -- reading -------------------------------------------------------------------------------------


def document_from_record(record: dict[str, Any], *, path: str, limits: Limits = DEFAULT_LIMITS) -> Document | InputError:
    """One JSON record (the fields of the JSONL input, already validated by the request
    schema) as a ``Document``, read as the JSONL reader reads a line: ``text`` wins over
    ``html``, and the record's own title and date win over what extraction found."""
    doc_id = str(record.get("id") or document_id_for(record))
    text, html = record.get("text"), record.get("html")
    url, title, published = record.get("url") or None, record.get("title") or None, record.get("published") or None
    doc: Document | Rejected
    if text and str(text).strip():
        doc = document_from_text(doc_id, str(text), path=path, title=title, url=url, published=published)
    elif html and str(html).strip():
        doc = document_from_html(doc_id, str(html), path=path, url=url)
        if isinstance(doc, Document):
            doc.title = title or doc.title
            if published:
                doc.published = normalise_date(published) or doc.published
    else:
        doc = Rejected("record has neither 'text' nor 'html'")
    if isinstance(doc, Rejected):
        return InputError(doc_id, doc.reason)
    return _within_limits(doc, doc_id, limits)


def read_records(records: Iterable[dict[str, Any]], *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document | InputError]:
    """The documents of a JSON batch, in order (``path`` is ``upload:<id>``)."""
    for record in records:
        doc_id = str(record.get("id") or document_id_for(record))
        yield document_from_record({**record, "id": doc_id}, path=f"upload:{doc_id}", limits=limits)


class _InMemoryFile:
    """An uploaded file's bytes where the path-based readers (``read_jsonl``, ``read_warc``)
    expect a ``Path``: they use ``open("rb")``, ``stat().st_size`` and ``str()`` of it.  Any
    other use fails loudly (AttributeError), so a reader that changes is noticed by the tests
    that upload JSONL and WARC files."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = data

    def open(self, mode: str = "rb") -> io.BytesIO:
        if mode != "rb":
            raise ValueError(f"an uploaded file is read-only, not {mode!r}")
        return io.BytesIO(self._data)

    def stat(self) -> SimpleNamespace:
        return SimpleNamespace(st_size=len(self._data))

    def __str__(self) -> str:
        return self.name

    def __fspath__(self) -> str:
        raise TypeError(f"{self.name!r} is an uploaded file in memory, not a path on this server")


def read_uploads(files: Sequence[Upload], *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document | InputError]:
    """The documents of uploaded files, file by file in the given order, each read by the
    reader its suffix names; ``path`` is ``upload:<file name>``.  A file that cannot be used
    at all is one ``InputError``; a bad JSONL line or WARC record is one each."""
    for upload in files:
        try:
            name = safe_name(upload.name)
        except UploadError as exc:
            yield InputError(exc.name, exc.reason)
            continue
        if len(upload.data) > limits.max_file_bytes:
            yield InputError(name, f"file too large ({len(upload.data):,} bytes; the limit is "
                                   f"{limits.max_file_bytes:,}, Limits.max_file_bytes)")
            continue
        for item in _read_one(name, upload.data):
            if isinstance(item, InputError):
                yield item
                continue
            item.path = f"upload:{name}"
            yield _within_limits(item, name if item.id == name else f"{name}:{item.id}", limits)


def _read_one(name: str, data: bytes) -> Iterator[Document | InputError]:
    lower = name.lower()
    if lower.endswith(".jsonl"):
        yield from read_jsonl(cast("Path", _InMemoryFile(name, data)), name)
    elif lower.endswith((".warc", ".warc.gz")):
        yield from read_warc(cast("Path", _InMemoryFile(name, data)), name)
    else:
        reader = document_from_html_file if lower.endswith((".html", ".htm")) else document_from_text_file
        doc = reader(name, data, name)
        yield InputError(name, doc.reason) if isinstance(doc, Rejected) else doc


def _within_limits(doc: Document, where: str, limits: Limits) -> Document | InputError:
    """The document, or why it is refused (the CLI's ``Limits.max_article_chars``)."""
    if len(doc.raw) > limits.max_article_chars:
        return InputError(where, f"article too long ({len(doc.raw):,} characters; the limit is "
                                 f"{limits.max_article_chars:,}, Limits.max_article_chars)")
    return doc
