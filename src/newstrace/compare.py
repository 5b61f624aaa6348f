"""Compare two articles directly: is one derived from the other, which passages, what changed.

This is what ``newstrace compare A B`` runs; no store, no candidate search: the pair is
aligned whatever its fingerprints say.
"""

from __future__ import annotations

import time
from pathlib import Path

from newstrace.errors import NewstraceError
from newstrace.pipeline import ScanResult
from newstrace.report.annotate import annotate_changes
from newstrace.stages.clean import clean
from newstrace.stages.ingest import detect_language, read_inputs
from newstrace.stages.relate import relate
from newstrace.types import Document, InputError, Relation

__all__ = ["compare"]


def _read_one(path: str | Path, errors: list[InputError]) -> Document | None:
    docs: list[Document] = []
    for item in read_inputs([path]):
        if isinstance(item, InputError):
            errors.append(item)
        else:
            docs.append(item)
    if len(docs) > 1:
        raise NewstraceError(
            f"{str(path)!r} holds {len(docs)} articles; compare takes one article per file "
            f"(use 'newstrace scan {path}' for a collection)"
        )
    return docs[0] if docs else None


def compare(path_a: str | Path, path_b: str | Path, *, changes: bool = True) -> ScanResult:
    """Ingest, clean and relate two articles, and find the changes in their aligned passages.

    Args:
        path_a: one article (.txt, .html, a one-line .jsonl, a one-record .warc).
        path_b: the other.  Which of the two is the source is decided by ``relate``.
        changes: fill the passages' changes when the meaning-change stage is installed.

    Returns:
        A ``ScanResult`` with the two documents (fewer if one could not be read, with the
        reason in ``errors``) and zero or one relation.

    Raises:
        NewstraceError: a file holds more than one article.
    """
    t0 = time.perf_counter()
    errors: list[InputError] = []
    a = _read_one(path_a, errors)
    b = _read_one(path_b, errors)
    documents = [d for d in (a, b) if d is not None]
    if a is not None and b is not None and a.id == b.id:  # same file name in two folders
        a.id, b.id = str(path_a), str(path_b)
        if a.id == b.id:
            a.id, b.id = f"{a.id} (A)", f"{b.id} (B)"
    for d in documents:
        clean(d)
        if not d.language:
            d.language = detect_language(d.text)
    relations: list[Relation] = []
    if a is not None and b is not None:
        r = relate(a, b)
        if r is not None:
            relations = [r]
    if changes:
        relations = annotate_changes(documents, relations)
    return ScanResult(
        documents,
        relations,
        errors,
        {
            "documents": len(documents),
            "skipped": len(errors),
            "relations": len(relations),
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )
