"""The per-document preparation step, and the whole-collection boilerplate step it needs.

Every document, whatever command brought it in (``scan``, ``index add``, ``trace``,
``compare``, the evaluation code), is prepared by :func:`prepare_document`: cleaned with the
recurring lines learned over the collection it joins (:func:`learn_boilerplate`), its
language identified, its rewrite signature read, and fingerprinted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Protocol

import numpy as np
import xxhash

from newstrace.stages.candidates import (
    DEFAULT_CONFIG as CANDIDATES,
)
from newstrace.stages.candidates import (
    SENTENCE_CHANNEL,
    SHINGLE_CHANNEL,
    TERM_SEP,
    Fingerprint,
    band_hashes,
    fingerprint,
)
from newstrace.stages.clean import (
    _WORD_RE,
    DEFAULT_CONFIG,
    CleanConfig,
    _containment_besides,
    _line_shingles,
    _normalise_line,
    _split_lines,
    clean,
    recurring_lines,
)
from newstrace.stages.ingest import detect_language
from newstrace.stages.signature import known_slot_tags, rewrite_signature
from newstrace.types import Document

__all__ = [
    "IndexRows",
    "LineIndex",
    "LineProfile",
    "PrepareTask",
    "band_rows",
    "decode_offsets",
    "decode_signature",
    "document_columns",
    "encode_offsets",
    "indexed_rows",
    "learn_boilerplate",
    "learn_boilerplate_indexed",
    "learn_boilerplate_profiled",
    "line_facts",
    "line_profile",
    "prepare_document",
    "prepare_task",
    "prepare_tasks",
    "signed64",
]


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


# -- the same verdict from an index of recurring lines, without re-reading the collection --------


def signed64(key: int) -> int:
    """An unsigned 64-bit line key as SQLite's signed INTEGER (and back: the same bits)."""
    return key - (1 << 64) if key >= 1 << 63 else key


@dataclass(frozen=True, slots=True)
class LineProfile:
    """What the recurring-line step needs of one document, computed once when it is stored.

    Attributes:
        carried: keys of its distinct short lines (at most ``recurring_max_words`` words), in
            order: the lines it is a carrier of.
        sketch: sampled word 4-gram hashes of its whole text (all distinct lines).
        words: words in its distinct lines.
    """

    carried: tuple[int, ...]
    sketch: frozenset[int]
    words: int


def _raw_lines(raw: str) -> Iterable[list[str]]:
    for s, e in _split_lines(raw):
        words = _WORD_RE.findall(raw[s:e].casefold())
        if words:
            yield words


def line_profile(raw: str, config: CleanConfig = DEFAULT_CONFIG) -> LineProfile:
    """The :class:`LineProfile` of a document's ingested text, exactly as
    ``newstrace.stages.clean.recurring_lines`` indexes it (its ``_LineIndex``)."""
    return _profile(((xxhash.xxh64_intdigest(" ".join(line)), line) for line in _raw_lines(raw)), config)


def _profile(lines: Iterable[tuple[int, list[str]]], config: CleanConfig) -> LineProfile:
    """The :class:`LineProfile` of a document's non-empty lines, each as its key and words."""
    seen: set[int] = set()
    carried: list[int] = []
    sketch: set[int] = set()
    words = 0
    for k, line in lines:
        if k in seen:
            continue
        seen.add(k)
        sketch |= _line_shingles(line)
        words += len(line)
        if len(line) <= config.recurring_max_words:
            carried.append(k)
    return LineProfile(tuple(carried), frozenset(sketch), words)


class LineIndex(Protocol):
    """The stored side of :func:`learn_boilerplate_indexed` (``newstrace.store.Store``): which
    stored documents carry a line, in id order, and their profiles."""

    def carrier_count(self, key: int) -> int:
        """How many stored documents carry line ``key``."""
        ...

    def carrier_at(self, key: int, position: int, exclude: Sequence[str]) -> str:
        """The id of the stored carrier of ``key`` at ``position`` in id order, not counting ``exclude``."""
        ...

    def line_profiles(self, ids: Iterable[str]) -> dict[str, LineProfile]:
        """The stored profiles of these documents (ids not stored are left out)."""
        ...


def learn_boilerplate_indexed(index: LineIndex, incoming: Sequence[Document],
                              config: CleanConfig = DEFAULT_CONFIG) -> frozenset[int]:
    """:func:`learn_boilerplate` over a stored collection and ``incoming``, asked of an index
    (:func:`learn_boilerplate_profiled` without the profiles)."""
    return learn_boilerplate_profiled(index, incoming, config)[0]


LineFacts = tuple[LineProfile, dict[int, list[str]]]


def line_facts(raw: str, config: CleanConfig = DEFAULT_CONFIG) -> LineFacts:
    """What :func:`learn_boilerplate_profiled` reads of one incoming document: its
    :class:`LineProfile`, and the lines cleaning it may look up (each line's key as ingested and
    as normalised, when short enough to have carriers) with their words.  A pure function of
    the text, so the scan runs it in its workers (``newstrace.pipeline.add_documents``)."""
    lookups: dict[int, list[str]] = {}
    # line_profile's pass and the lookups' in one: a line's words as ingested serve both.
    ingested: list[tuple[int, list[str]]] = []
    short = config.recurring_max_words
    for s, e in _split_lines(raw):
        line = raw[s:e]
        words = _WORD_RE.findall(line.casefold())
        if words:
            key = xxhash.xxh64_intdigest(" ".join(words))
            ingested.append((key, words))
            if len(words) <= short:  # longer lines have no carriers
                lookups.setdefault(key, words)
        normalised = _normalise_line(line, s)[0]
        if normalised != line:
            words = _WORD_RE.findall(normalised.casefold())
            if words and len(words) <= short:
                lookups.setdefault(xxhash.xxh64_intdigest(" ".join(words)), words)
    return _profile(ingested, config), lookups


def learn_boilerplate_profiled(index: LineIndex, incoming: Sequence[Document], config: CleanConfig = DEFAULT_CONFIG,
                               facts: Sequence[LineFacts] | None = None,
                               ) -> tuple[frozenset[int], list[LineProfile]]:
    """:func:`learn_boilerplate` over a stored collection and ``incoming``, asked of an index,
    and the :class:`LineProfile` of each incoming document (in order), which this step needs
    anyway and the store keeps (``IndexRows.profile``): made once, not again at write time.

    Returns the same verdict as ``learn_boilerplate(every stored document, incoming)`` for
    every line cleaning ``incoming`` can look up (each line's key as ingested and as
    normalised), which is all :func:`prepare_document` needs of it: only the carriers of those
    lines are counted, and only the sampled ones' profiles read, so the cost is in the size of
    ``incoming``, not of the collection.  Stored documents with an incoming document's id are
    replaced by it, and the carriers come in the order of the whole-collection pass (stored
    ids in order, then ``incoming`` in order), so the same carriers are sampled.  ``facts``: each
    incoming document's :func:`line_facts` under ``config``, in order, when made elsewhere (the
    workers).
    """
    docs = list(incoming)
    ids = [d.id for d in docs]
    if facts is None:
        facts = [line_facts(d.raw, config) for d in docs]
    if len(facts) != len(docs):
        raise ValueError(f"line facts of {len(facts)} documents for {len(docs)} incoming")
    profiles = [f[0] for f in facts]
    stored_old = index.line_profiles(ids)  # incoming ids already stored: their old carriers step aside
    excluded: dict[int, list[str]] = defaultdict(list)
    for doc_id, old in stored_old.items():
        for k in old.carried:
            excluded[k].append(doc_id)
    incoming_carriers: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for k in p.carried:
            incoming_carriers[k].append(i)
    lookups: dict[int, list[str]] = {}
    for _, found_lines in facts:
        for key, words in found_lines.items():
            lookups.setdefault(key, words)
    cache: dict[str, LineProfile] = {}
    found: set[int] = set()
    for key, words in lookups.items():
        skip = sorted(excluded.get(key, ()))
        n_stored = index.carrier_count(key) - len(skip)
        n = n_stored + len(incoming_carriers.get(key, ()))
        if n < config.recurring_min_docs:
            continue

        def carrier(position: int, key: int = key, skip: list[str] = skip, n_stored: int = n_stored) -> LineProfile:
            if position >= n_stored:
                return profiles[incoming_carriers[key][position - n_stored]]
            doc_id = index.carrier_at(key, position, skip)
            if doc_id not in cache:
                cache.update(index.line_profiles([doc_id]))
            return cache[doc_id]

        if _unrelated(carrier, n, _line_shingles(words), len(words), config) >= config.recurring_min_docs:
            found.add(key)
    return frozenset(found), profiles


def _unrelated(carrier: Callable[[int], LineProfile], n: int, line: frozenset[int], line_words: int,
               config: CleanConfig) -> int:
    """``newstrace.stages.clean._unrelated_carriers`` over carriers given by position."""
    m = min(n, config.recurring_sample)
    reps: list[frozenset[int]] = []
    for i in range(m):
        p = carrier(i * n // m)
        if p.words - line_words < line_words:
            continue
        if not any(_containment_besides(p.sketch, r, line) >= config.copy_containment for r in reps):
            reps.append(p.sketch)
            if len(reps) >= config.recurring_min_docs:
                break
    return len(reps)


def prepare_document(doc: Document, recurring: frozenset[int] = frozenset(), *,
                     forensics: bool = True) -> tuple[Document, Fingerprint]:
    """Clean ``doc`` in place, identify its language, read its rewrite signature, fingerprint it.

    The language is identified here, in the worker, when the reader left it unset (the scan
    reads with ``identify_language=False``: py3langid took 4.6 s of BBC's serial read): from
    the text as ingested, as the readers do, and failing that from the cleaned text, so a
    document gets the same language whichever process identifies it.

    Args:
        doc: a document as read (``raw`` set).
        recurring: the collection's recurring-line keys (:func:`learn_boilerplate`).
        forensics: also run the signature checks that need models (WordNet, per-sentence
            language identification); the pattern checks always run, as direction needs them.
    """
    _clean_and_identify(doc, recurring)
    return _sign_and_fingerprint(doc, forensics)


def _clean_and_identify(doc: Document, recurring: frozenset[int]) -> None:
    clean(doc, recurring)
    if not doc.language:
        doc.language = detect_language(doc.raw) or detect_language(doc.text)


def _sign_and_fingerprint(doc: Document, forensics: bool) -> tuple[Document, Fingerprint]:
    doc.signature = rewrite_signature(doc.text, doc.raw, doc.removed, language=doc.language or "en", deep=forensics)
    doc.deep_signature = forensics
    return doc, fingerprint(doc)


PrepareTask = tuple[Document, frozenset[int], bool]


def prepare_task(task: PrepareTask) -> tuple[Document, Fingerprint]:
    """:func:`prepare_document` on one picklable task ``(doc, recurring, forensics)`` (for executors)."""
    doc, recurring, forensics = task
    return prepare_document(doc, recurring, forensics=forensics)


def prepare_tasks(tasks: Sequence[PrepareTask]) -> Iterator[tuple[Document, Fingerprint]]:
    """:func:`prepare_task` of each task, in order, with the same results, the documents
    cleaned first and the deep signature's tagger run on all of them at once
    (``signature.known_slot_tags``): on BBC News 2.9 ms of CPU a document alone, 1.5 ms in
    shards of 16 (the scan's prepare step, ``newstrace.pipeline.add_documents``).

    Each document is signed and fingerprinted as it is asked for, so whatever its consumer
    does with it next finds its tokens still in the per-process caches
    (``newstrace.stages.text.tokenize`` remembers the last 8 texts)."""
    for doc, recurring, _ in tasks:
        _clean_and_identify(doc, recurring)
    deep = [doc.text for doc, _, forensics in tasks if forensics and (doc.language or "en") == "en"]
    with known_slot_tags(deep):
        for doc, _, forensics in tasks:
            yield _sign_and_fingerprint(doc, forensics)


# -- the rows a document adds to the store's candidate index, computed where it is prepared ------


@dataclass(frozen=True, slots=True)
class IndexRows:
    """A prepared document's rows in the store's candidate-index tables (``newstrace.store``).

    Computed in the worker that prepared the document (:func:`indexed_rows`), so the
    process that owns the store only writes them: hashing the bands in the writer cost about
    1.5 ms a document of serial time on BBC.

    Attributes:
        shingle_bands: the distinct signed 64-bit band hashes of the shingle MinHash, sorted.
        sentence_bands: the distinct band hashes of all its sentence MinHashes, sorted, each
            with the index of its sentence in the fingerprint (the store makes it the sentence's
            terms key, ``candidates.SENTENCE_KEY_BITS``), or ``None`` when two of its sentences
            with different terms share the band.
        sentence_terms: the index and term text of each sentence with distinct terms, by index
            (the store keeps them for the sentence channel's checks).
        profile: its :class:`LineProfile` when already known (the recurring-line step makes
            every incoming document's), else ``None``: the writer computes it.
        columns: its :func:`document_columns`, serialised where it was prepared (the JSON of
            the per-character offsets was most of the writer's remaining time on BBC), else
            ``None``: the writer serialises them.
        fingerprint: its fingerprint in the store's binary form
            (``newstrace.store.encode_fingerprint``), encoded where it was prepared, else
            ``None``: the writer encodes it.  On BBC the writer's encoding was 1.1 CPU s of the
            scan's serial main process (the term lists' sort and join, 2,225 documents).
        static_vectors: the static embedder's version and the document's static sentence
            vectors (``newstrace.stages.static``), when made where it was prepared, for the
            screen of candidates by meaning (``newstrace.stages.vectors.screened_meaning_pairs``);
            else ``None``: the screen makes them when it meets the document.
        story_features: the document's story features as the store keeps them
            (``newstrace.stages.stories.store``: ``features_key`` and ``encode_features``), made
            where it was prepared; else ``None``: they are made when the stories next need them.
    """

    shingle_bands: tuple[int, ...]
    sentence_bands: tuple[tuple[int, int | None], ...]
    sentence_terms: tuple[tuple[int, str], ...] = ()
    profile: LineProfile | None = None
    columns: tuple[str, str, str] | None = None
    fingerprint: bytes | None = None
    static_vectors: tuple[str, np.ndarray] | None = None
    story_features: tuple[str, bytes] | None = None


def encode_offsets(offsets: Sequence[int]) -> str:
    """A document's per-character offsets (``Document.offsets``) as the store keeps them: JSON
    ``{"n": len(offsets), "runs": [i0, o0, i1, o1, ...]}``, where from index ``i_k`` up to the
    next run's start the offsets count up by one from ``o_k``.

    A cleaned text copies its lines from the raw one, so its offsets are a few dozen runs; as a
    list of one integer per character (schema 5) they were most of a stored document's bytes
    (70% of the documents table of an index of news articles) and their JSON a tenth of
    preparing a document for the store.  :func:`decode_offsets` reads both forms.
    """
    n = len(offsets)
    if n == 0:
        return '{"n":0,"runs":[]}'
    values = np.asarray(offsets, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(values) != 1) + 1))
    runs = np.column_stack((starts, values[starts])).ravel().tolist()
    return json.dumps({"n": n, "runs": runs}, separators=(",", ":"))


def decode_offsets(column: str) -> list[int]:
    """The per-character offsets :func:`encode_offsets` encoded, or a list of them (the form
    of schema 5 and earlier, and of a store kept without offsets: ``[]``).

    Raises:
        ValueError: ``column`` is neither form.
    """
    value = json.loads(column)
    if isinstance(value, list):
        return value
    try:
        n, runs = int(value["n"]), value["runs"]
        starts, bases = runs[0::2], runs[1::2]
        out: list[int] = []
        for k, (start, base) in enumerate(zip(starts, bases, strict=True)):
            end = starts[k + 1] if k + 1 < len(starts) else n
            out.extend(range(base, base + end - start))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a newstrace offsets column: {exc}") from exc
    if len(out) != n:
        raise ValueError(f"offsets column of {len(out)} values, {n} announced")
    return out


def document_columns(doc: Document, *, offsets: bool = True) -> tuple[str, str, str]:
    """A prepared document's ``offsets`` (:func:`encode_offsets`), ``removed`` and ``signature``
    as the JSON the store keeps them in (``newstrace.store``: its ``documents`` table); without
    ``offsets``, an empty list in their place (``newstrace.pipeline.add_documents(store_offsets=False)``).
    A signature made without its deep checks is kept as ``{"shallow": [...]}`` (:func:`decode_signature`)."""
    return (encode_offsets(doc.offsets) if offsets else "[]",
            json.dumps([[r.start, r.end, r.text, r.reason] for r in doc.removed]),
            json.dumps(doc.signature if doc.deep_signature else {"shallow": doc.signature}))


def decode_signature(column: str) -> tuple[list[dict[str, object]], bool]:
    """``(signature, deep)`` from the store's ``signature`` column (:func:`document_columns`).
    A list is a deep signature, as every one stored before the depth was kept: an index added
    with ``--no-changes`` before then reads as deep, as it was compared then."""
    value = json.loads(column)
    if isinstance(value, dict):
        return list(value.get("shallow", [])), False
    return list(value), True


def band_rows(fp: Fingerprint) -> tuple[tuple[int, ...], tuple[tuple[int, int | None], ...],
                                         tuple[tuple[int, str], ...]]:
    """The rows of a fingerprint in the store's band tables: the distinct shingle band hashes,
    sorted; the distinct sentence band hashes (``newstrace.stages.candidates.band_hashes``),
    sorted, each with the index of its sentence, or ``None`` when sentences with different terms
    share it (the lookup then reads the document's sketch); and the index and term text of each
    sentence with terms no earlier sentence has (:class:`IndexRows`)."""
    shingles = set(band_hashes(fp.shingles, CANDIDATES.doc_bands, SHINGLE_CHANNEL)) if fp.shingles else set()
    sentences: dict[int, int | None] = {}
    first: dict[str, int] = {}
    for s, (digest, term_set) in enumerate(zip(fp.sentences, fp.sentence_terms, strict=True)):
        index = first.setdefault(TERM_SEP.join(sorted(term_set)), s)
        for band in band_hashes(digest, CANDIDATES.sentence_bands, SENTENCE_CHANNEL):
            if band not in sentences:
                sentences[band] = index
            elif sentences[band] != index:
                sentences[band] = None
    return (tuple(sorted(shingles)), tuple(sorted(sentences.items(), key=lambda row: row[0])),
            tuple(sorted((index, text) for text, index in first.items())))


def indexed_rows(doc: Document, fp: Fingerprint) -> tuple[Document, Fingerprint, IndexRows]:
    """A prepared document with its band rows (:class:`IndexRows`, no profile): what the
    workers of ``newstrace.pipeline.add_documents`` return for each document of a shard
    (:func:`prepare_tasks`)."""
    from newstrace.store import encode_fingerprint

    return doc, fp, IndexRows(*band_rows(fp), columns=document_columns(doc), fingerprint=encode_fingerprint(fp))
