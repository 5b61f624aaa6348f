"""Compare two articles directly: is one derived from the other, which passages, what changed.

This is what ``newstrace compare A B`` runs: the two documents go through exactly the steps a
scan of them would take (boilerplate, preparation, sentence vectors, the relate step with its
lexical -> semantic -> cross-language order), except that there is no candidate search: the
pair is related whatever its fingerprints say.  So ``compare`` gives the relation ``scan``
gives, translations included.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from newstrace.errors import NewstraceError
from newstrace.executors.local import LocalExecutor
from newstrace.pipeline import ScanResult, add_documents, relate_pairs
from newstrace.stages.ingest import read_inputs
from newstrace.stages.prepare import prepare_document
from newstrace.stages.vectors import Vectors, embed_documents, load_vectors
from newstrace.store import Store
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


def compare(path_a: str | Path, path_b: str | Path, *, changes: bool = True, semantic: bool = True) -> ScanResult:
    """Ingest, clean and relate two articles, and find the changes in their aligned passages.

    Args:
        path_a: one article (.txt, .html, a one-line .jsonl, a one-record .warc).
        path_b: the other.  Which of the two is the source is decided by ``relate``.
        changes: fill the passages' changes when the meaning-change stage is installed.
        semantic: use sentence embeddings (paraphrase, summary, translation), as ``scan`` does.

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
    relations: list[Relation] = []
    if a is not None and b is not None:
        documents, relations = _relate_two(a, b, changes=changes, semantic=semantic)
    else:
        for d in documents:
            prepare_document(d, forensics=changes)
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


def _relate_two(a: Document, b: Document, *, changes: bool, semantic: bool) -> tuple[list[Document], list[Relation]]:
    """The scan steps on a collection of two documents, with the pair forced as candidate."""
    with tempfile.TemporaryDirectory(prefix="newstrace-compare-") as tmp, Store(Path(tmp) / "pair.db") as store:
        add_documents(store, [a, b], workers=1, forensics=changes)
        vectors: Vectors = {}
        if semantic:
            embed_documents(store)
            vectors = load_vectors(store)
        docs = {d.id: d for d in store.get_documents()}
        pair = tuple(sorted((a.id, b.id)))
        relations = relate_pairs(docs, [(pair[0], pair[1])], vectors, store.languages(), changes=changes,
                                 executor=LocalExecutor(1))
        return [docs[a.id], docs[b.id]], relations
