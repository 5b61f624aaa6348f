"""WARC crawls (fastwarc): one article per HTML response record; a cut-off file keeps the
records before the cut."""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from newstrace.stages.ingest.decoding import decode, meta_charset
from newstrace.stages.ingest.html import document_from_html
from newstrace.types import Document, InputError, Rejected

__all__ = ["read_warc"]

log = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 16


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


def read_warc(path: Path, rel: str, *, identify_language: bool = True) -> Iterator[Document | InputError]:
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
        fh = path.open("rb")
    except OSError as exc:  # unreadable is not corrupt
        yield InputError(str(path), f"cannot read: {exc.strerror or exc}")
        return
    try:
        with fh:
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
                yield _warc_document(record, payload, path, rel, seen, identify_language=identify_language)
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


def _warc_document(record: Any, payload: bytes, path: Path, rel: str, seen: Counter[str], *,
                   identify_language: bool = True) -> Document | InputError:
    uri = record.headers.get("WARC-Target-URI") or None
    if uri:
        seen[uri] += 1
        doc_id = uri if seen[uri] == 1 else f"{uri}#{seen[uri]}"
    else:
        seen[""] += 1
        doc_id = f"{rel}#{seen['']}"
    where = f"{path}:{uri or doc_id}"
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
    text = decode(payload, declared=record.http_charset or meta_charset(payload))
    if isinstance(text, Rejected):
        return InputError(where, text.reason)
    doc = document_from_html(doc_id, text, path=str(path), url=uri, identify_language=identify_language)
    return InputError(where, doc.reason) if isinstance(doc, Rejected) else doc

