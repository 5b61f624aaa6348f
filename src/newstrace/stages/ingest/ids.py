"""Document ids that name one document each, whichever folders they come from.

A file's id is its path inside the folder it was found in (``001.txt`` for
``bbc-news/politics/001.txt`` read from ``bbc-news/politics``), so ids stay short and the same
on every machine.  Two folders can then hand out one id: ``business/001.txt`` and
``politics/001.txt`` read from their own folders are both ``001.txt``.  Taking the second for
a new version of the first would replace one article with another without a word (an index of a
daily crawl, one folder a day, would keep only the last day of each file name), and dropping it
as a duplicate loses it.

So an id made from a path stays with its file: a document whose id another file already holds
(earlier in the same run, or in the index) takes the same id with the folders above it
prefixed one at a time (``politics/001.txt``, then ``bbc-news/politics/001.txt``, ...), the
first that no other file holds; its whole path is the last resort, which no other file can
hold.  Adding the folder again finds each file under the id it was given, so a changed file is
a new version of itself and an unchanged one is left alone; so does adding it from another
place (the folder moved, or given by another path): an id the index holds for another path with
this very text is this document's.  An id the input gives (a JSONL record's ``id``, a WARC
record's URL, an upload to the service) names its document as given: one id from two places is
one document, its later text a new version.

The same file read twice in one run (a folder and a folder inside it, say) is one document:
the second is reported as a duplicate.  Both engines settle ids the same way:
:func:`settle_ids` goes through the documents in reading order, each taking the first of its
:func:`id_candidates` that no earlier document of another file holds; Spark settles them in
rounds of :func:`settle_group` over documents grouped by id (the earliest keeps the id, each
later one of another file moves to its next candidate), which ends where the serial pass does
(tests/unit/test_ids.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from newstrace.types import Document, InputError

__all__ = [
    "GroupEntry",
    "Held",
    "IdSettlement",
    "document_source",
    "duplicate_error",
    "id_candidates",
    "path_named",
    "settle_group",
    "settle_ids",
    "sources_of",
]


def _named_part(doc_id: str, path: str | None) -> tuple[str, str] | None:
    """``(path inside the folder, "#n" or "")`` of an id made from ``path``, or None for an id
    its input gives: ``"a/b.txt"`` of ``.../a/b.txt``, ``("feed.jsonl", "#3")`` for the third
    record of ``.../feed.jsonl`` that gives no id of its own."""
    if not path or path.startswith("upload:"):
        return None
    path = path.replace(os.sep, "/")
    if path == doc_id or path.endswith("/" + doc_id):
        return doc_id, ""
    base, sep, number = doc_id.rpartition("#")
    if sep and base and number.isdigit() and (path == base or path.endswith("/" + base)):
        return base, f"#{number}"
    return None


def _source(doc_id: str, path: str | None) -> str | None:
    if _named_part(doc_id, path) is None or path is None:
        return None
    return path if "://" in path else os.path.abspath(path)


def path_named(doc: Document) -> bool:
    """Whether ``doc``'s id was made from its file's path: the path inside the folder given
    (or the file's name, for a file given directly), with ``#n`` for the n-th record of a JSONL
    or WARC file that gives none.  Not an id its input gives (a JSONL record's ``id``, a WARC
    record's URL) nor a service upload's name (its path is ``upload:…``)."""
    return _named_part(doc.id, doc.path) is not None


def document_source(doc: Document) -> str | None:
    """The file a path-named document is (its absolute path; a Hadoop URI as it is), or None for
    a document its input names.  Two documents of one source and one id are one document."""
    return _source(doc.id, doc.path)


def id_candidates(doc: Document) -> list[str]:
    """The ids ``doc`` may take, in order: its own, then with each folder above it prefixed in
    turn, the last its whole path (``001.txt``, ``politics/001.txt``, …,
    ``/data/bbc-news/politics/001.txt``).  Only its own for a document its input names."""
    named, source = _named_part(doc.id, doc.path), document_source(doc)
    if named is None or source is None:
        return [doc.id]
    base, record = named
    parts = PurePosixPath(source.replace(os.sep, "/")).parts
    own = PurePosixPath(base).parts
    above = parts[: len(parts) - len(own)]
    out = [doc.id]
    for k in range(1, len(above) + 1):
        out.append(PurePosixPath(*above[len(above) - k:], *own).as_posix() + record)
    return list(dict.fromkeys(out))


@dataclass(slots=True)
class IdSettlement:
    """The documents of a run under the ids they keep, and what that changed.

    Attributes:
        documents: every document kept, in reading order, under its settled id.
        renamed: ``(path, id as read, id given)`` of each document whose id another file held
            (not one found under the id an earlier add gave it).
        duplicates: an error for each document that repeats an earlier one (the same file read
            twice, or an id its input gives met twice in one run).
    """

    documents: list[Document] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    duplicates: list[InputError] = field(default_factory=list)


def duplicate_error(doc: Document) -> InputError:
    """The error that names a document dropped as a repeat of an earlier one."""
    return InputError(doc.path or doc.id, f"duplicate document id {doc.id!r} in one run: kept the first "
                                          "(an id met again in a later run is a new version)")


#: What an index says of an id it holds: the stored document's source (:func:`document_source`,
#: None for one its input named) and the hash of its text as ingested.
Held = tuple[str | None, str]


def settle_ids(docs: Iterable[Document], stored: Callable[[Sequence[str]], Mapping[str, Held]] | None = None,
               content: Callable[[Document], str] | None = None) -> IdSettlement:
    """Each document of ``docs`` (in reading order) under an id no other file holds.

    Args:
        docs: the documents of one run, in reading order.
        stored: for an index, :data:`Held` of each of the ids asked that the index holds; an id
            held by this source is the document's own (a new version, or unchanged).
        content: the hash ``stored`` gives, of a document (``newstrace.store.content_hash``).
            An id the index holds for another file with this very text is the document's own
            too: the folder was moved, or given by another path (the index keeps the path it
            was first read from).

    A document its input names keeps its id (an index's document of that id is an earlier
    version of it); if an earlier document of the run has that id, it is a duplicate.
    """
    settled = IdSettlement()
    docs = list(docs)
    # id -> the document holding it so far; its source is made only when another wants the id
    # (on BBC News the sources and candidates of every document cost 2% of a lexical scan)
    held: dict[str, Document] = {}
    known: dict[str, Held | None] = {}  # id -> what the index holds under it (None: nothing)
    if stored is not None:
        own = [d.id for d in docs]
        found = stored(own)
        known.update({i: found.get(i) for i in own})

    def in_index(doc_id: str) -> Held | None:
        if stored is None:
            return None
        if doc_id not in known:
            known[doc_id] = stored([doc_id]).get(doc_id)
        return known[doc_id]

    for doc in docs:
        if not path_named(doc):
            if doc.id in held:
                settled.duplicates.append(duplicate_error(doc))
                continue
            held[doc.id] = doc
            settled.documents.append(doc)
            continue
        if doc.id not in held and in_index(doc.id) is None:  # most documents: their own id is free
            held[doc.id] = doc
            settled.documents.append(doc)
            continue
        source = document_source(doc)
        for candidate in id_candidates(doc):
            if candidate in held:
                if document_source(held[candidate]) == source:  # this very file, read twice
                    settled.duplicates.append(duplicate_error(doc))
                    break
                continue
            holder = in_index(candidate)
            if holder is not None and holder[0] != source and (content is None or holder[1] != content(doc)):
                continue
            if candidate != doc.id:
                if holder is None:  # not the id an earlier add gave this file
                    settled.renamed.append((doc.path or "", doc.id, candidate))
                doc = replace(doc, id=candidate)
            held[candidate] = doc
            settled.documents.append(doc)
            break
        else:  # every candidate held by another input (an id given as this file's whole path)
            settled.duplicates.append(duplicate_error(doc))
    return settled


def sources_of(paths: Mapping[str, tuple[str | None, str]]) -> dict[str, Held]:
    """:data:`Held` of each stored document, from its id, the path it was read from and its
    content hash (``Store.stored_paths``; an older index kept paths as given, which are taken
    relative to the folder this runs in)."""
    return {i: (_source(i, p), h) for i, (p, h) in paths.items()}


#: One entry of :func:`settle_group`: ``(reading-order key, source or None, candidates, index
#: of the candidate it holds now)``.
GroupEntry = tuple[object, str | None, tuple[str, ...], int]


def settle_group(entries: Sequence[GroupEntry]) -> tuple[list[GroupEntry], list[GroupEntry], list[GroupEntry]]:
    """One round of settling the documents that hold one id now: ``(kept, moved, duplicates)``.

    The earliest in reading order keeps the id; a later one of the same source (or named by its
    input) is a duplicate; a later one of another source moves to its next candidate.  Repeated
    over the documents grouped by the ids they hold until none moves, this gives the ids of
    :func:`settle_ids` (without an index): each id goes to the earliest document that wants it
    of those not kept by an earlier id.
    """
    ranked = sorted(entries, key=lambda e: e[0])  # type: ignore[arg-type,return-value]
    first = ranked[0]
    kept: list[GroupEntry] = [first]
    moved: list[GroupEntry] = []
    dups: list[GroupEntry] = []
    for entry in ranked[1:]:
        _, source, candidates, at = entry
        if source is None or source == first[1] or at + 1 >= len(candidates):
            dups.append(entry)
        else:
            moved.append((entry[0], source, candidates, at + 1))
    return kept, moved, dups
