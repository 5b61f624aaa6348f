"""The per-document preparation step, and the whole-collection boilerplate step it needs.

Every document, whatever command brought it in (``scan``, ``index add``, ``trace``,
``compare``, the evaluation code), is prepared by :func:`prepare_document`: cleaned with the
recurring lines learned over the collection it joins (:func:`learn_boilerplate`), its
language identified, its rewrite signature read, and fingerprinted.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from newstrace.stages.candidates import Fingerprint, fingerprint
from newstrace.stages.clean import clean, recurring_lines
from newstrace.stages.ingest import detect_language
from newstrace.stages.signature import rewrite_signature
from newstrace.types import Document

__all__ = ["PrepareTask", "learn_boilerplate", "prepare_document", "prepare_task"]


def learn_boilerplate(collection: Iterable[Document], incoming: Iterable[Document] = ()) -> frozenset[int]:
    """Keys of the lines a collection repeats across otherwise unrelated documents: its boilerplate.

    A paragraph that recurs because documents are copies of one another (a wire story and its
    reposts) is content and is not returned, however many copies there are
    (``newstrace.stages.clean.recurring_lines``).  The verdict depends on the whole collection,
    so it is learned over the stored documents and the incoming ones together.

    Args:
        collection: the documents already in the collection (only ``id`` and ``raw`` are read;
            ``Store.raw_documents`` gives them), so a document added or traced later is
            cleaned as it would have been in one scan with the rest.
        incoming: the documents being added or traced; a stored document with the same id is
            replaced by its incoming version.
    """
    new = list(incoming)
    ids = {d.id for d in new}
    return recurring_lines(chain((d for d in collection if d.id not in ids), new))


def prepare_document(doc: Document, recurring: frozenset[int] = frozenset(), *,
                     forensics: bool = True) -> tuple[Document, Fingerprint]:
    """Clean ``doc`` in place, identify its language, read its rewrite signature, fingerprint it.

    Args:
        doc: a document as read (``raw`` set).
        recurring: the collection's recurring-line keys (:func:`learn_boilerplate`).
        forensics: also run the signature checks that need models (WordNet, per-sentence
            language identification); the pattern checks always run, as direction needs them.
    """
    clean(doc, recurring)
    if not doc.language:
        doc.language = detect_language(doc.text)
    doc.signature = rewrite_signature(doc.text, doc.raw, doc.removed, language=doc.language or "en", deep=forensics)
    return doc, fingerprint(doc)


PrepareTask = tuple[Document, frozenset[int], bool]


def prepare_task(task: PrepareTask) -> tuple[Document, Fingerprint]:
    """:func:`prepare_document` on one picklable task ``(doc, recurring, forensics)`` (for executors)."""
    doc, recurring, forensics = task
    return prepare_document(doc, recurring, forensics=forensics)
