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

from newstrace.stages.ingest.html import document_from_html
from newstrace.stages.ingest.language import _identifier as _identifier  # signature.py shares the model
from newstrace.stages.ingest.language import detect_language
from newstrace.stages.ingest.txt import document_from_text
from newstrace.stages.ingest.walking import SUPPORTED_SUFFIXES, read_file, read_inputs

__all__ = [
    "SUPPORTED_SUFFIXES",
    "detect_language",
    "document_from_html",
    "document_from_text",
    "read_file",
    "read_inputs",
]
