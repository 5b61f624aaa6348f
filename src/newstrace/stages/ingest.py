"""Ingest: read articles from files into ``Document`` records, naming every input that fails.

newstrace takes whatever a user has lying around: folders of plain-text articles, saved
web pages, JSONL exports and WARC crawls.  This stage turns each into ``Document``s with
the text as ingested (``raw``) and the metadata later stages rely on — the published date
decides the direction of reuse, the language picks the stemmer — and leaves cleaning to
the next stage, so every span can still be mapped back to the file.

A batch never stops on one bad input and never drops one silently: anything that cannot
be read comes out as an ``InputError`` naming the file (or line, or WARC record) and the
reason, in the same stream as the documents.  Hidden files are the only silent skip.

Heavy libraries (trafilatura, fastwarc, py3langid, charset_normalizer) are imported
inside the functions that need them, so importing newstrace stays cheap and the stage
pickles for process pools.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from newstrace.types import Document, InputError, Rejected

__all__ = [
    "SUPPORTED_SUFFIXES",
    "detect_language",
    "document_from_html",
    "document_from_text",
    "read_file",
    "read_inputs",
]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".warc", ".warc.gz")

# A first line longer than this is a paragraph, not a headline.
TITLE_MAX_CHARS = 200
# Datelines sit in the header (first lines) or, on some sites, the footer (last lines).
_DATE_HEAD_LINES = 10
_DATE_TAIL_LINES = 5
_DATE_LINE_MAX_CHARS = 80
# Language identification: below this many letters py3langid guesses; a normalised
# probability below the floor (uniform over ~100 labels is 0.01) is no answer either.
# Calibrated on one-line samples: "Hello there" scores 0.34 for Sesotho, a single
# English or Spanish sentence scores above 0.9.
_LANG_MIN_LETTERS = 20
_LANG_MIN_CONFIDENCE = 0.25
_LANG_MAX_CHARS = 20_000
# Binary sniffing: control bytes other than whitespace, backspace, form feed and escape
# hardly occur in text in any 8-bit encoding; a tenth of the sample is not text.
_SNIFF_BYTES = 8192
_MAX_CONTROL_RATIO = 0.10
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (8, 9, 10, 12, 13, 27)) + b"\x7f"
# charset_normalizer's "mess" ratio; its own default cut-off is 0.2, we want sure results.
_MAX_CHAOS = 0.10
_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 16


# --------------------------------------------------------------------------- walking


def read_inputs(paths: Sequence[str | Path]) -> Iterator[Document | InputError]:
    """Read every article under ``paths``, in a deterministic order.

    Each path is a file or a directory; directories are walked recursively in sorted
    order, skipping hidden files and folders (names starting with ``.``).  Documents in
    a directory get their path relative to it as id; a file given directly gets its name.

    Args:
        paths: files and directories to read.

    Yields:
        A ``Document`` per article read, and an ``InputError`` per input (file, JSONL
        line, WARC record) that could not be read, with the reason.
    """
    for given in paths:
        path = Path(given)
        if not path.exists():
            yield InputError(str(path), "no such file or directory")
        elif path.is_dir():
            for file in _walk(path):
                yield from read_file(file, path)
        else:
            yield from read_file(path, path.parent)


def _walk(root: Path) -> list[Path]:
    """Files under ``root`` sorted by relative path, hidden names pruned (the only silent skip)."""
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for name in filenames:
            if not name.startswith("."):
                file = base / name
                found.append((file.relative_to(root).as_posix(), file))
    return [file for _, file in sorted(found)]


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".warc.gz" if name.endswith(".warc.gz") else path.suffix.lower()


def read_file(path: Path, root: Path) -> Iterator[Document | InputError]:
    """Read one file, choosing the reader by suffix; JSONL and WARC files may hold many articles.

    Args:
        path: the file.
        root: the directory the ids are relative to (the file's parent for a file
            given directly).

    Yields:
        Documents, and an ``InputError`` for the file or for each bad line or record.
    """
    path = Path(path)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    if not path.exists():
        yield InputError(str(path), "no such file or directory")
        return
    if not path.is_file():
        yield InputError(str(path), "not a regular file")
        return
    suffix = _suffix(path)
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no suffix)"
        yield InputError(str(path), f"unsupported file type {shown} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
        return
    try:
        if suffix == ".jsonl":
            yield from _read_jsonl(path, rel)
        elif suffix in (".warc", ".warc.gz"):
            yield from _read_warc(path, rel)
        else:
            data = path.read_bytes()
            item = (_document_from_html_file if suffix in (".html", ".htm") else _document_from_text_file)(
                rel, data, str(path))
            yield InputError(str(path), item.reason) if isinstance(item, Rejected) else item
    except OSError as exc:
        yield InputError(str(path), f"cannot read: {exc.strerror or exc}")


# --------------------------------------------------------------------------- decoding


def _decode(data: bytes, *, declared: str | None = None) -> str | Rejected:
    """Bytes to text: a BOM, else strict UTF-8, else a declared charset, else a confident guess.

    Strict UTF-8 goes before a declared charset because declarations are often wrong
    and legacy-encoded text almost never happens to be valid UTF-8.
    """
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                return Rejected(f"undecodable text ({encoding.upper()} byte-order mark, but {exc.reason})")
    sample = data[:_SNIFF_BYTES]
    if b"\x00" in data or (sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES))
                           > _MAX_CONTROL_RATIO * len(sample)):
        return Rejected("binary file (NUL or control bytes: not text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if declared:
        try:
            return data.decode(codecs.lookup(declared).name)
        except (LookupError, UnicodeDecodeError):
            log.debug("declared charset %r does not decode the input", declared)
    guessed = _guess_charset(data)
    if guessed is not None:
        return guessed
    return Rejected(f"undecodable text (not UTF-8: invalid byte 0x{data[utf8_error.start]:02x} at offset "
                    f"{utf8_error.start}; no confident guess of another charset)")


def _guess_charset(data: bytes) -> str | None:
    """The text in the charset charset_normalizer is sure of, or None.

    Sure means: a low mess ratio, and the best-scoring candidates agree on the text —
    except that among tied 8-bit Western candidates windows-1252 wins, as the WHATWG
    encoding standard makes it the web's default (charset_normalizer alone reads Spanish
    ``niño`` in windows-1250 as ``nińo``).  UTF-16/32 guesses without a BOM are refused:
    on short 8-bit input they are noise.
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if m.chaos <= _MAX_CHAOS
               and not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    top = [m for m in matches if m.chaos == least]
    most = max(m.coherence for m in top)
    top = [m for m in top if m.coherence == most]
    texts = {str(m) for m in top}
    if len(texts) == 1:
        log.debug("decoded as %s (charset guess)", top[0].encoding)
        return texts.pop()
    for m in top:
        if "cp1252" in m.could_be_from_charset:
            log.debug("decoded as cp1252 (charset guess, tie broken towards the web default)")
            return data.decode("cp1252")
    return None


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _meta_charset(html: bytes) -> str | None:
    m = _META_CHARSET.search(html[:4096])
    return m.group(1).decode("ascii") if m else None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- metadata

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = (r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
            r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?,?\s+)?")
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_LABEL = r"(?:(?:published|updated|last\s+updated|posted|date|dated)(?:\s+on)?\s*[:\-–—]?\s*)?"
_TIME = (r"(?:\s*(?:,|at|[-–—|·])?\s*\d{1,2}[:.]\d\d(?:[:.]\d\d)?(?:\.\d+)?\s*(?:[ap]\.?m\.?)?"
         r"(?:\s*(?:z|utc|gmt)?\s*[+-]\d\d:?\d\d|\s*[a-z]{1,5})?)?")
_DATE_FORMS = tuple(re.compile(_LABEL + body + _TIME, re.IGNORECASE) for body in (
    _WEEKDAY + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR,                       # Oct 5 2023, Wednesday, May 29, 2024
    _WEEKDAY + _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR,             # 5 October 2023, Thu, 05 Oct 2023
    _YEAR + r"(?P<sep>[-/.])(?P<mon>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?:t(?=\d))?",  # 2023-10-05, 2023-10-05T08:30Z
))


def _parse_date(value: str) -> str | None:
    """``value`` as ISO ``YYYY-MM-DD`` if the whole of it is a date (a label and a time may go with it).

    Deterministic on purpose: no relative dates ("yesterday"), no day-first numeric
    forms (``05/10/2023`` is ambiguous), never today's date as a default.

    >>> _parse_date("Wednesday, May 29, 2024")
    '2024-05-29'
    """
    s = value.strip().strip("|•·-–—()[]. \t")
    if not s or len(s) > _DATE_LINE_MAX_CHARS:
        return None
    for form in _DATE_FORMS:
        m = form.fullmatch(s)
        if m is None:
            continue
        parts = m.groupdict()
        month = int(parts["mon"]) if parts.get("mon") else _MONTHS[parts["month"][:3].lower()]
        try:
            return date(int(parts["year"]), month, int(parts["day"])).isoformat()
        except ValueError:
            return None
    return None


def _normalise_date(value: object) -> str | None:
    """A date given as metadata, as ISO ``YYYY-MM-DD``; None (logged) if it is not one."""
    if value is None or value == "":
        return None
    iso = _parse_date(str(value))
    if iso is None:
        log.warning("ignored a published date that is not a date: %r", value)
    return iso


def _published_from_text(lines: list[str]) -> str | None:
    """The date of a line that is only a date or dateline, among the first and last lines."""
    for line in lines[:_DATE_HEAD_LINES] + lines[-_DATE_TAIL_LINES:]:
        found = _parse_date(line)
        if found:
            return found
    return None


def _title_from_text(lines: list[str]) -> str | None:
    """The first non-empty line, if short enough to be a headline; a date line is not a title."""
    for line in lines:
        if _parse_date(line):
            continue
        return line if len(line) <= TITLE_MAX_CHARS else None
    return None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname or None
    except ValueError:
        return None


@cache
def _identifier() -> Any:
    """py3langid's model, loaded once per process on first use (about a second), never at import."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language of ``text``, or None when it cannot be told.

    Very short text (fewer than 20 letters), a low-confidence guess, or a label that is
    not a two-letter language code (py3langid also has ``zxx``, no linguistic content)
    give None, so callers fall back knowingly instead of trusting a guess.

    >>> detect_language("The council voted on Tuesday to extend the tram line.")
    'en'
    """
    sample = text[:_LANG_MAX_CHARS]
    if sum(ch.isalpha() for ch in sample) < _LANG_MIN_LETTERS:
        return None
    lang, confidence = _identifier().classify(sample)
    if confidence < _LANG_MIN_CONFIDENCE or len(lang) != 2 or not lang.isalpha():
        return None
    return str(lang)


# --------------------------------------------------------------------------- records


def document_from_text(doc_id: str, text: str, *, path: str | None = None, title: str | None = None,
                       url: str | None = None, published: str | None = None) -> Document:
    """A ``Document`` from plain text, finding the title and published date in it when not given.

    ``raw`` is the text with line endings normalised to ``\\n`` and a BOM dropped;
    everything else is kept for the cleaning stage.

    Args:
        doc_id: the document id.
        text: the article text.
        path: the file it came from.
        title: the title; the first non-empty line if short, when None.
        url: where it was published; its host becomes ``site``.
        published: the publication date in any form ``_parse_date`` reads (normalised to
            ISO); looked for in the first and last lines when None.
    """
    raw = _normalise_newlines(text.removeprefix("\ufeff"))
    lines = [s for s in (line.strip() for line in raw.split("\n")) if s]
    return Document(
        id=doc_id,
        raw=raw,
        path=path,
        title=title if title is not None else _title_from_text(lines),
        url=url or None,
        site=_host(url),
        published=_normalise_date(published) if published is not None else _published_from_text(lines),
        language=detect_language(raw),
    )


def document_from_html(doc_id: str, html: str | bytes, *, path: str | None = None,
                       url: str | None = None) -> Document | Rejected:
    """A ``Document`` from a web page: its main text and metadata as trafilatura extracts them.

    Extraction favours precision and leaves out comments and tables: a reposted
    article is compared by its body, and menus or comment threads would create false
    reuse between pages of one site.  Bytes are decoded like text files, with the
    page's ``<meta charset>`` as the declared charset.

    Args:
        doc_id: the document id.
        html: the page.
        path: the file it came from.
        url: the page's URL if known (else the canonical URL trafilatura finds).

    Returns:
        The Document, or ``Rejected`` with the reason (undecodable, binary, no main text).
    """
    if isinstance(html, bytes):
        decoded = _decode(html, declared=_meta_charset(html))
        if isinstance(decoded, Rejected):
            return decoded
        html = decoded
    if not html.strip():
        return Rejected("empty file")
    import trafilatura

    try:
        result = trafilatura.bare_extraction(html, url=url, with_metadata=True, favor_precision=True,
                                             include_comments=False, include_tables=False)
    except Exception as exc:
        return Rejected(f"HTML extraction failed: {type(exc).__name__}: {exc}")
    text = getattr(result, "text", None) if result is not None else None
    if not text or not text.strip():
        return Rejected("no main text found in HTML")
    raw = _normalise_newlines(text)
    page_url = url or getattr(result, "url", None) or None
    return Document(
        id=doc_id,
        raw=raw,
        path=path,
        title=getattr(result, "title", None) or None,
        url=page_url,
        site=_host(page_url) or getattr(result, "hostname", None) or getattr(result, "sitename", None) or None,
        published=_normalise_date(getattr(result, "date", None)),
        language=detect_language(raw),
    )


# --------------------------------------------------------------------------- formats


def _document_from_text_file(doc_id: str, data: bytes, path: str) -> Document | Rejected:
    text = _decode(data)
    if isinstance(text, Rejected):
        return text
    if not text.strip():
        return Rejected("empty file")
    return document_from_text(doc_id, text, path=path)


def _document_from_html_file(doc_id: str, data: bytes, path: str) -> Document | Rejected:
    if not data.strip():
        return Rejected("empty file")
    return document_from_html(doc_id, data, path=path)


def _read_jsonl(path: Path, rel: str) -> Iterator[Document | InputError]:
    """One Document per JSON line; a bad line is reported by line number and the rest still read."""
    records = 0
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
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
            where = f"{rel}:{number}"
            item = _jsonl_record(line, rel, number, str(path))
            yield InputError(where, item.reason) if isinstance(item, Rejected) else item
    if records == 0:
        yield InputError(str(path), "empty file")


def _jsonl_record(line: bytes, rel: str, number: int, path: str) -> Document | Rejected:
    try:
        record = json.loads(line)
    except UnicodeDecodeError as exc:
        return Rejected(f"invalid JSON: not UTF-8 ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        return Rejected(f"invalid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(record, dict):
        return Rejected(f"record is a JSON {type(record).__name__}, not an object")
    doc_id = record.get("id")
    doc_id = f"{rel}#{number}" if doc_id is None or doc_id == "" else str(doc_id)
    meta: dict[str, str | None] = {}
    for key in ("url", "title", "published"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return Rejected(f"field {key!r} is a JSON {type(value).__name__}, not a string")
        meta[key] = value or None
    text, html = record.get("text"), record.get("html")
    for key, value in (("text", text), ("html", html)):
        if value is not None and not isinstance(value, str):
            return Rejected(f"field {key!r} is a JSON {type(value).__name__}, not a string")
    if text and text.strip():
        return document_from_text(doc_id, text, path=path, title=meta["title"], url=meta["url"],
                                  published=meta["published"])
    if html and html.strip():
        doc = document_from_html(doc_id, html, path=path, url=meta["url"])
        if isinstance(doc, Document):
            # The record's own metadata is explicit; it wins over what extraction guessed.
            doc.title = meta["title"] or doc.title
            if meta["published"]:
                doc.published = _normalise_date(meta["published"]) or doc.published
        return doc
    if text is not None or html is not None:
        return Rejected("record has an empty 'text'" if text is not None else "record has an empty 'html'")
    return Rejected("record has neither 'text' nor 'html'")


class _WarcCorruptError(Exception):
    """A record whose header or body is cut off: fastwarc returns those without raising."""


class _GunzipReader:
    """A read-only stream over (multi-member) gzip that notes a cut-off end instead of raising.

    ``gzip.GzipFile`` raises ``EOFError`` on a truncated file from inside a read, and the
    data decompressed in that read is lost, so the records before the cut are lost too;
    fastwarc's own decoder stops silently, half-way through a record.  Here the stream
    simply ends where the data ends, fastwarc yields the complete records, and the caller
    checks ``truncated``.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflater = zlib.decompressobj(wbits=31)
        self._buffer = bytearray()
        self._position = 0
        self._in_member = False
        self._ended = False
        self.truncated = False

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._buffer) < size) and not self._ended:
            chunk = self._raw.read(_READ_CHUNK)
            if not chunk:
                self._ended = True
                self.truncated = self._in_member
                break
            self._inflate(chunk)
        n = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._position += n
        return out

    def _inflate(self, chunk: bytes) -> None:
        while chunk:
            if not self._in_member and not chunk.strip(b"\x00"):
                return  # zero padding after the last member, as some writers add
            self._in_member = True
            self._buffer += self._inflater.decompress(chunk)
            if not self._inflater.eof:
                return
            chunk = self._inflater.unused_data
            self._inflater = zlib.decompressobj(wbits=31)
            self._in_member = False


def _is_rust_panic(exc: BaseException) -> bool:
    # pyo3 panics derive from BaseException; a corrupt record must not take the batch down.
    return type(exc).__name__ == "PanicException"


def _read_warc(path: Path, rel: str) -> Iterator[Document | InputError]:
    """One Document per HTML response record; a cut-off or corrupt WARC keeps the records before it."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    complete = 0
    html_records = 0
    seen: Counter[str] = Counter()
    failure: str | None = None
    if path.stat().st_size == 0:
        yield InputError(str(path), "empty file")
        return
    try:
        with path.open("rb") as fh:
            gzipped = fh.read(2) == _GZIP_MAGIC
            fh.seek(0)
            stream: Any = _GunzipReader(fh) if gzipped else fh
            for record in ArchiveIterator(stream, parse_http=True):
                declared = (record.headers.get("Content-Length") or "").strip()
                http = record.http_headers if record.is_http else None
                if (not declared.isdigit() or record.record_type == WarcRecordType.unknown
                        or (http is not None and not http.status_line)):
                    msg = "a record header is cut off or invalid"
                    raise _WarcCorruptError(msg)
                is_html = (record.record_type == WarcRecordType.response and http is not None
                           and "html" in (http.get("Content-Type") or "").lower())
                payload = record.reader.read() if is_html else None
                got = len(payload) if payload is not None else record.consume()
                if got < record.content_length:
                    uri = record.headers.get("WARC-Target-URI") or record.headers.get("WARC-Type")
                    msg = f"record {uri} is cut off ({got} of {record.content_length} bytes)"
                    raise _WarcCorruptError(msg)
                complete += 1
                if payload is None:
                    continue
                status = http.status_code if http is not None else None
                if status is not None and not 200 <= status < 300:
                    log.debug("%s: skipped HTTP %s response", rel, status)
                    continue
                html_records += 1
                yield _warc_document(record, payload, path, rel, seen)
            if gzipped and stream.truncated:
                msg = "the gzip stream ends in the middle of a member"
                raise _WarcCorruptError(msg)
    except (OSError, EOFError, zlib.error, ValueError, _WarcCorruptError) as exc:
        failure = str(exc) or type(exc).__name__
    except BaseException as exc:
        if not _is_rust_panic(exc):
            raise
        failure = f"parser panic: {exc}"
    if failure is not None:
        yield InputError(str(path), f"truncated or corrupt WARC after {complete} records: {failure}")
    elif html_records == 0:
        yield InputError(str(path), "no HTML response records in WARC")


_CONTENT_DECODERS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def _warc_document(record: Any, payload: bytes, path: Path, rel: str, seen: Counter[str]) -> Document | InputError:
    uri = record.headers.get("WARC-Target-URI") or None
    if uri:
        seen[uri] += 1
        doc_id = uri if seen[uri] == 1 else f"{uri}#{seen[uri]}"
    else:
        seen[""] += 1
        doc_id = f"{rel}#{seen['']}"
    where = f"{rel}:{uri or doc_id}"
    encoding = (record.http_headers.get("Content-Encoding") or "").strip().lower()
    if encoding and encoding != "identity":
        if encoding not in _CONTENT_DECODERS:
            return InputError(where, f"unsupported Content-Encoding {encoding!r} (supported: gzip, deflate)")
        try:
            payload = zlib.decompress(payload, _CONTENT_DECODERS[encoding])
        except zlib.error:
            try:  # servers often send raw deflate under "deflate"
                payload = zlib.decompress(payload, -15)
            except zlib.error as exc:
                return InputError(where, f"cannot decode Content-Encoding {encoding!r}: {exc}")
    text = _decode(payload, declared=record.http_charset or _meta_charset(payload))
    if isinstance(text, Rejected):
        return InputError(where, text.reason)
    doc = document_from_html(doc_id, text, path=str(path), url=uri)
    return InputError(where, doc.reason) if isinstance(doc, Rejected) else doc
