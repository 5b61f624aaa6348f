"""Web pages: the main text and metadata as trafilatura extracts them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from newstrace.stages.ingest.decoding import decode, meta_charset, normalise_newlines
from newstrace.stages.ingest.language import detect_language
from newstrace.stages.ingest.metadata import host, normalise_date
from newstrace.types import Document, Rejected

__all__ = ["document_from_html", "document_from_html_file"]

# trafilatura and htmldate log a malformed page's problems ("lxml parsing failed: Document is
# empty", "discarding data: None") at ERROR/WARNING: stray lines on the user's stderr.  They are
# caught here and the first becomes part of the page's reason instead.
_EXTRACTION_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "readability")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())


@contextmanager
def _captured_logs() -> Iterator[list[str]]:
    """Route the extraction libraries' log records to a list for the duration of the block."""
    handler = _Collect()
    saved = []
    for name in _EXTRACTION_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate))
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler.messages
    finally:
        for logger, propagate in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate


def document_from_html(doc_id: str, html: str | bytes, *, path: str | None = None,
                       url: str | None = None, identify_language: bool = True) -> Document | Rejected:
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
        identify_language: identify the language now; when False it is left for the prepare
            step (``newstrace.stages.prepare``), which the pipeline runs in its workers.

    Returns:
        The Document, or ``Rejected`` with the reason (undecodable, binary, no main text).
    """
    if isinstance(html, bytes):
        decoded = decode(html, declared=meta_charset(html))
        if isinstance(decoded, Rejected):
            return decoded
        html = decoded
    if not html.strip():
        return Rejected("empty file")
    import trafilatura

    try:
        with _captured_logs() as said:
            result = trafilatura.bare_extraction(html, url=url, with_metadata=True, favor_precision=True,
                                                 include_comments=False, include_tables=False)
    except Exception as exc:
        return Rejected(f"HTML extraction failed: {type(exc).__name__}: {exc}")
    text = getattr(result, "text", None) if result is not None else None
    if not text or not text.strip():
        return Rejected("no main text found in HTML" + (f" (parser: {said[0]})" if said else ""))
    # trafilatura puts one line break between blocks (headline, paragraphs, list items): they
    # are paragraphs, set apart by a blank line as in a text file, so that a headline is not
    # read as one sentence with the paragraph after it (the same article as .txt and .html
    # splits alike, and compares alike).
    raw = "\n\n".join(line.rstrip() for line in normalise_newlines(text).split("\n") if line.strip())
    page_url = url or getattr(result, "url", None) or None
    return Document(
        id=doc_id,
        raw=raw,
        path=path,
        title=getattr(result, "title", None) or None,
        url=page_url,
        site=host(page_url) or getattr(result, "hostname", None) or getattr(result, "sitename", None) or None,
        published=normalise_date(getattr(result, "date", None)),
        language=detect_language(raw) if identify_language else None,
    )



def document_from_html_file(doc_id: str, data: bytes, path: str, *,
                            identify_language: bool = True) -> Document | Rejected:
    if not data.strip():
        return Rejected("empty file")
    return document_from_html(doc_id, data, path=path, identify_language=identify_language)

