"""Plain-text articles: the title and date are found in the first and last lines."""

from __future__ import annotations

from newstrace.stages.ingest.decoding import decode, normalise_newlines
from newstrace.stages.ingest.language import detect_language
from newstrace.stages.ingest.metadata import host, normalise_date, published_from_text, title_from_text
from newstrace.types import Document, Rejected

__all__ = ["document_from_text", "document_from_text_file"]


def document_from_text(doc_id: str, text: str, *, path: str | None = None, title: str | None = None,
                       url: str | None = None, published: str | None = None,
                       identify_language: bool = True) -> Document:
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
        identify_language: identify the language now (py3langid); when False it is left
            unset for the prepare step to identify (``newstrace.stages.prepare``), which the
            pipeline runs in its worker processes.
    """
    raw = normalise_newlines(text.removeprefix("\ufeff"))
    lines = [s for s in (line.strip() for line in raw.split("\n")) if s]
    return Document(
        id=doc_id,
        raw=raw,
        path=path,
        title=title if title is not None else title_from_text(lines),
        url=url or None,
        site=host(url),
        published=normalise_date(published) if published is not None else published_from_text(lines),
        language=detect_language(raw) if identify_language else None,
    )



def document_from_text_file(doc_id: str, data: bytes, path: str, *,
                            identify_language: bool = True) -> Document | Rejected:
    text = decode(data)
    if isinstance(text, Rejected):
        return text
    if not text.strip():
        return Rejected("empty file")
    return document_from_text(doc_id, text, path=path, identify_language=identify_language)

