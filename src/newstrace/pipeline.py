"""The pipeline: the order of the steps, over a store.  Nothing else lives here.

These functions are the Python API; the CLI, the service and the Spark executor call them.

=====================  ==============================================  ==========================
step                   what it does                                    where
=====================  ==============================================  ==========================
read                   files, JSONL, WARC -> ``Document`` (or error)   ``stages/ingest.py``
boilerplate            recurring lines over the whole collection       ``stages/prepare.py``
prepare (per doc)      clean, language, rewrite signature, fingerprint ``stages/prepare.py``
candidates             band keys -> candidate pairs                    ``stages/candidates.py``
vectors (per shard)    sentence vectors, cached in the store           ``stages/vectors.py``
semantic candidates    ANN over document vectors                       ``stages/vectors.py``
backgrounds            translation backgrounds over the collection     ``stages/vectors.py``
relate (per pair)      lexical -> semantic -> cross-language, changes  ``stages/relate/``
families / stories     provenance graphs and event stories             ``stages/families``, ``stages/stories``
=====================  ==============================================  ==========================

Per-item steps run through an ``Executor`` (``newstrace.executors``); whole-collection steps
run here, between them.  The families/stories step takes the stored relations after ``link``.
"""

from __future__ import annotations

import gc
import logging
import tempfile
import time
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

from newstrace.executors.base import Executor, finishing
from newstrace.executors.local import MIN_ITEMS_FOR_POOL, LocalExecutor, one_blas_thread
from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.stages.candidates import (
    Fingerprint,
    SentenceKeys,
    StoredSketch,
    arrival_key,
    indexed_candidates,
    large_components,
    nearest_candidates,
    nearest_earlier,
    neighbourhood,
    outside_families,
    plan_pairs,
    sentence_buckets,
)
from newstrace.stages.ingest import read_inputs
from newstrace.stages.ingest.ids import settle_ids, sources_of
from newstrace.stages.ingest.language import load_language_model, preload_language_model
from newstrace.stages.prepare import (
    IndexRows,
    PrepareTask,
    document_columns,
    indexed_rows,
    learn_boilerplate_indexed,
    learn_boilerplate_profiled,
    line_facts,
    prepare_document,
    prepare_tasks,
)
from newstrace.stages.relate.changes_step import load_changes_resources
from newstrace.stages.relate.pair import relate_task_limited
from newstrace.stages.text import PackedTokens, known_tokens, pack_tokens, tokenize
from newstrace.stages.vectors import (
    ENGLISH_MODEL,
    MULTILINGUAL_MODEL,
    Vectors,
    crosses_languages,
    embed_documents,
    indexed_query_pairs,
    indexed_semantic_pairs,
    load_vectors,
    load_vectors_of,
    models_of,
    pair_context,
    preselected_pairs,
    query_sketches,
    sampled_translation_backgrounds,
    screened_meaning_pairs,
    semantic_pairs,
    translation_backgrounds,
)
from newstrace.store import Store, content_hash, encode_fingerprint, text_hash
from newstrace.types import Document, Family, InputError, Relation, Story

__all__ = [
    "ENGLISH_MODEL",
    "MULTILINGUAL_MODEL",
    "IndexStats",
    "ScanResult",
    "add_documents",
    "index_add",
    "link",
    "link_pending",
    "organise",
    "relate_pairs",
    "relate_stream",
    "scan",
    "trace",
    "trace_documents",
    "translation_backgrounds",
]

log = logging.getLogger(__name__)
U = TypeVar("U")

BATCH = 1000  # documents read from the store at a time
#: Documents whose sentence-channel candidates ``link(only=...)`` looks up with one cache of
#: sketches (``_candidates_of``).  Linking 1,000 articles into a 100k index, one cache for all
#: of them held the sketches of every document sharing a sentence band with any: 1.1 GB.
CANDIDATE_QUERIES = 100
# Commits come in small batches from the first documents (two writers see each other's work
# soon), doubling up to COMMIT_DOCUMENTS_MAX: a kill at any moment loses at most that many
# cleaned documents.  Each commit rewrites the band-table pages its rows land on (random keys),
# and a larger batch shares more of them: adding 914 PAN 2013 suspicious documents to the
# benchmark's 100k-document index took 35.3 s in 16-document commits, 24.2 s in 128 and 20.2 s
# in 256 (16.8 → 8.9 s at 10k; benchmarks/bench_index.py's indexes, docs/benchmarks.md).
COMMIT_DOCUMENTS = 16
COMMIT_DOCUMENTS_MAX = 128
COMMIT_PAIRS = 100
# A scan into a temporary store (no --db) has nothing to lose to a kill: the store goes with the
# process.  Its documents are committed in batches this large, without fsync, since every commit
# rewrites the band-table pages its rows land on (random 64-bit keys: a 16-document batch's
# 7,000 sentence-band rows touch most leaf pages); on BBC the index writes took 14.5 s of wall
# time in 16-document commits with fsync and 4.6 s in 256-document commits without.
SCRATCH_COMMIT_DOCUMENTS = 256
# A scratch store's pairs are related in one batch (one process pool), not BATCH at a time: each
# batch started a pool whose workers met every document cold (its tokens, sentence splits and
# term tables made again, ``newstrace.stages.align.aligner``) and ended waiting for its slower
# worker.  The scan reads every document afterwards anyway, so holding the pairs' documents at
# once does not raise its peak.  On BBC (2,244 pairs) three pools were one.
SCRATCH_BATCH = 1 << 30


@dataclass(slots=True)
class IndexStats:
    """What an ``index add`` did: nothing given is dropped without being counted here."""

    read: int = 0
    added: int = 0
    unchanged: int = 0
    skipped: int = 0
    #: of the added: new versions of stored documents (the same file changed, or an id its
    #: input gives met again with another text)
    replaced: int = 0
    #: ``(path, id as read, id given)`` of each document whose id another file holds
    #: (``newstrace.stages.ingest.ids``)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    #: of the unchanged: stored documents signed again with the deep checks an earlier add
    #: without the analysis of changes left out (not counted as added)
    resigned: int = 0
    resigned_ids: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)  # new or changed documents, as committed
    # with ``story_features``: each added document's ``stories.cluster.document_features``
    story_features: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    # with ``keep_documents``: the added documents as prepared (the store's form, not re-read),
    # and by id the tokens their prepare step made (``stages.text.tokenize`` of text and
    # language, packed by ``stages.text.pack_tokens``)
    prepared: list[Document] = field(default_factory=list)
    tokens: dict[str, PackedTokens] = field(default_factory=dict)


@dataclass(slots=True)
class ScanResult:
    """Documents, the relations among them, the inputs that could not be read, and counters."""

    documents: list[Document]
    relations: list[Relation]
    errors: list[InputError]
    stats: dict[str, float | int] = field(default_factory=dict)
    families: list[Family] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    #: ``(path, id as read, id given)`` of each document whose id another file held
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    #: a trace's candidates left unaligned among many near-copies, by query id
    #: (``candidates.nearest_candidates``)
    not_aligned: dict[str, list[str]] = field(default_factory=dict)


def _read(paths: Sequence[str | Path], errors: list[InputError], *, limits: Limits = DEFAULT_LIMITS,
          progress: bool = False) -> list[Document]:
    """Documents under ``paths``, their language left for the prepare step to identify in the
    workers (``prepare_document``), not here in this one process."""
    docs: list[Document] = []
    for item in read_inputs(paths, limits=limits, progress=progress, identify_language=False):
        if isinstance(item, InputError):
            errors.append(item)
            log.debug("skipped %s", item)
        else:
            docs.append(item)
    return docs


def add_documents(store: Store, docs: Sequence[Document], *, workers: int | None = None, progress: bool = False,
                  forensics: bool = True, executor: Executor | None = None,
                  commit_documents: int = COMMIT_DOCUMENTS, candidate_index: bool = True,
                  story_features: bool = False, keep_documents: bool = False,
                  store_offsets: bool = True, static_vectors: bool = False) -> IndexStats:
    """Prepare already-read documents and add them to ``store``.

    Re-adding an unchanged document does nothing; a changed one replaces the old version.
    Lines recurring across the store's documents and these are removed as boilerplate.  With
    ``forensics``, the rewrite signature runs its model-based checks too.  Prepared documents
    are committed ``commit_documents`` at first, then in batches doubling up to
    ``COMMIT_DOCUMENTS_MAX`` (or ``commit_documents`` if larger): a kill loses at most one batch.  Without
    ``candidate_index``, the store's band and line lookup rows are not written
    (``Store.put_documents``): for a store no document will be looked up in.  With
    ``story_features``, the workers also read each document's story features
    (``IndexStats.story_features``, for :func:`organise`), while its words are at hand.
    With ``keep_documents``, the added documents are kept in ``IndexStats.prepared`` as they
    were stored (equal to what ``Store.get_documents`` reads back), and their tokens in
    ``IndexStats.tokens`` (for ``stages.text.known_tokens``).  Without ``store_offsets`` the
    documents' per-character offsets are stored as an empty list: only for a scratch store
    whose reader keeps the prepared documents (``scan``) and never reads them back (on BBC
    three quarters of the bytes written, and their JSON 0.1 ms a document in the workers).
    With ``static_vectors`` (a store linked with the semantic layer), the workers also make
    each English document's static sentence vectors and the store keeps them
    (``Store.static_vectors``): the screen of candidates by meaning reads them instead of
    splitting and embedding every neighbour document again on every add (at 40k documents a
    third of ``index add``'s link: docs/benchmarks.md).  Without the static embedder's
    dependencies, none are made and the screen makes them as before.
    """
    executor = executor or LocalExecutor(workers, progress, chunksize=16)
    stats = IndexStats(read=len(docs))
    # An id two files were given (one name in two folders) stays with the file that holds it,
    # in this run or in the index; the other takes its folder's name (stages.ingest.ids).
    settled = settle_ids(docs, stored=lambda ids: sources_of(store.stored_paths(ids)), content=content_hash)
    unique = settled.documents
    stats.errors.extend(settled.duplicates)
    stats.renamed = settled.renamed
    stats.skipped = len(stats.errors)
    stored = store.stored_hashes(d.id for d in unique)
    fresh = [d for d in unique if stored.get(d.id) != content_hash(d)]
    stats.unchanged = len(unique) - len(fresh)
    stats.replaced = sum(1 for d in fresh if d.id in stored)
    resign: set[str] = set()
    if forensics:
        # An unchanged document an earlier add signed without the deep checks (--no-changes) is
        # prepared again: its signature is completed, and stored again it is linked again with
        # the new ones (link_pending's signed_again), its relations made with the deep checks.
        changed = {d.id for d in fresh}
        resign = store.shallow_signatures(d.id for d in unique if d.id in stored and d.id not in changed)
        if resign:
            stats.resigned = len(resign)
            stats.resigned_ids = sorted(resign)
            fresh = [d for d in unique if d.id in changed or d.id in resign]
    if not fresh:
        return stats
    # The store's recurring-line index answers for the lines of these documents alone: the
    # stored raw texts are not read again (newstrace.stages.prepare.learn_boilerplate_indexed).
    # Each document's line profile and lookups are made in the workers (the rest of this step
    # is a few thousand index lookups): on BBC 1.0 s of serial work before the pool started.
    # With the analysis of changes, its models are loaded here while the line workers run,
    # before the preparing and relating pools fork: they share this copy instead of each
    # worker loading its own (load_changes_resources).
    doc_shards = _shards(fresh)  # a shard of documents a prepare step: the deep signature tags their words together
    pooled = len(fresh) >= MIN_ITEMS_FOR_POOL  # as many documents as a pool's worth: shards one a message
    preload = forensics and _forks(executor, len(doc_shards), one_at_a_time=pooled)
    facts = []
    with finishing(executor.map(line_facts, [d.raw for d in unique], label="reading lines")) as lines:
        for fact in lines:
            facts.append(fact)
            if preload and len(facts) == 1:  # the line workers are forked and busy by now
                _load_ahead()
    recurring, profiles = learn_boilerplate_profiled(store, unique, facts=facts)
    del facts  # their line lookups are done with (tens of MB on BBC)
    profile_of = dict(zip((d.id for d in unique), profiles, strict=True))
    # Committed in small batches as they come: a crash loses at most one batch, and a re-run
    # skips what is stored.  The workers hash each document's bands (indexed_rows) and
    # the recurring-line step made its line profile: this process only writes them.
    pending: list[tuple[Document, Fingerprint | None, IndexRows]] = []
    batch = commit_documents  # doubles after each commit, up to COMMIT_DOCUMENTS_MAX

    def commit() -> None:
        signed_again = sum(1 for p in pending if p[0].id in resign)  # unchanged: not added
        stats.added += store.put_documents(pending, candidate_index=candidate_index) - signed_again
        stats.added_ids.extend(p[0].id for p in pending if p[0].id not in resign)
        pending.clear()

    if any(not d.language for d in fresh):
        load_language_model()  # before the pool forks: its workers share this copy
    rows_of = indexed_rows if candidate_index else partial(_unindexed_rows, offsets=store_offsets)
    static = static_vectors and _static_embedder_ready()
    prepare = partial(_prepare_shard, rows_of, story_features, keep_documents, static, candidate_index)
    shards = [[(d, recurring, forensics) for d in shard] for shard in doc_shards]
    label = f"cleaning ({PREPARE_SHARD} articles a step)" if len(shards) > 1 else "cleaning"
    with finishing(executor.map(prepare, shards, label=label, one_at_a_time=pooled)) as done:
        for doc, fp, rows, features, tokens in (r for shard in done for r in shard):
            pending.append((doc, fp, replace(rows, profile=profile_of[doc.id])))
            if features is not None:
                stats.story_features[doc.id] = features
            if keep_documents:
                # Its per-character offsets come packed (_prepare_step: 8 bytes a character
                # instead of a list of int objects, about 36): on BBC 200 MB less while the
                # pairs are planned and related (_unpacked gives the list back at the end).
                stats.prepared.append(doc)
            if tokens is not None:
                stats.tokens[doc.id] = tokens
            if len(pending) >= batch:
                commit()
                batch = min(2 * batch, max(commit_documents, COMMIT_DOCUMENTS_MAX))
    if pending:
        commit()
    return stats


def _unpacked(doc: Document) -> Document:
    """``doc`` with the offsets ``add_documents(keep_documents=True)`` packed as a list again."""
    offsets: Any = doc.offsets
    if isinstance(offsets, array):
        doc.offsets = offsets.tolist()
    return doc


def _static_embedder_ready() -> bool:
    """Whether the static embedder loads (its table read or made once here, before the workers
    fork, so that they share it); a missing dependency is left for the semantic layer to report."""
    from newstrace.stages.embed import MissingDependencyError
    from newstrace.stages.static import get_static_embedder

    try:
        get_static_embedder().load()
    except MissingDependencyError:
        return False
    return True


#: Documents a prepare step takes at a time (:func:`_prepare_shard`): the deep signature's
#: tagger costs 2.9 ms of CPU a BBC article alone, 1.5 ms in shards of 16 (1.3 ms in 64).
PREPARE_SHARD = 16
#: Characters a shard holds at most, beyond its first document: a shard's documents are all
#: cleaned before the first is packed (each character's offset about 36 bytes until then), so
#: sixteen articles of spaCy's 1,000,000-character limit would hold half a gigabyte.
PREPARE_SHARD_CHARS = 500_000


def _shards(docs: Sequence[Document]) -> list[list[Document]]:
    """``docs`` in order, cut into shards of :data:`PREPARE_SHARD` documents and at most
    :data:`PREPARE_SHARD_CHARS` raw characters (a longer document is a shard of its own)."""
    shards: list[list[Document]] = []
    size = 0
    for doc in docs:
        chars = len(doc.raw or "")
        if not shards or len(shards[-1]) >= PREPARE_SHARD or size + chars > PREPARE_SHARD_CHARS:
            shards.append([])
            size = 0
        shards[-1].append(doc)
        size += chars
    return shards


def _forks(executor: Executor, items: int, *, one_at_a_time: bool = False) -> bool:
    """Whether ``executor.map`` of ``items`` items forks a local pool from this process."""
    return isinstance(executor, LocalExecutor) and executor.forks(items, one_at_a_time=one_at_a_time)


def _load_ahead() -> None:
    """``load_changes_resources``, a failure left for the workers' own load to report."""
    try:
        load_changes_resources()
    except Exception as exc:  # each worker loads them itself as before, and says what fails
        log.warning("could not load the analysis of changes ahead of its workers: %s", exc)


_Prepared = tuple[Document, None, IndexRows, tuple[list[str], list[str]] | None, PackedTokens | None]


def _prepare_shard(rows_of: Callable[[Document, Fingerprint], tuple[Document, Fingerprint, IndexRows]],
                   story_features: bool, tokens: bool, static: bool, kept_features: bool,
                   shard: Sequence[PrepareTask]) -> list[_Prepared]:
    """:func:`_prepare_step` of each task of ``shard``, prepared together (``prepare_tasks``)."""
    return [_prepare_step(rows_of, story_features, tokens, static, kept_features, doc, fp)
            for doc, fp in prepare_tasks(shard)]


def _prepare_step(rows_of: Callable[[Document, Fingerprint], tuple[Document, Fingerprint, IndexRows]],
                  story_features: bool, tokens: bool, static: bool, kept_features: bool,
                  doc: Document, fp: Fingerprint) -> _Prepared:
    """``rows_of`` a prepared document, with ``story_features`` the prepared document's story features,
    with ``tokens`` its tokens (made for its fingerprint: remembered, not made again) and its
    offsets packed (:func:`_unpacked`), with ``static`` an English document's static sentence
    vectors in its rows (``IndexRows.static_vectors``; a document's are the same made alone as
    among others, to the bit), with ``kept_features`` its story features in the form the store
    keeps them (``IndexRows.story_features``: ``organise`` then reads them instead of the text).

    The fingerprint goes back to the writer in its store form only (``IndexRows.fingerprint``,
    with its band rows beside it), not as a :class:`Fingerprint`: the writer needs nothing else
    of it, and unpickling its per-sentence lists of integers and term sets cost the scan's
    main process about 0.3 CPU s on BBC (the store's reader decodes the bytes when asked)."""
    doc, _, rows = rows_of(doc, fp)
    if static:
        from newstrace.stages.static import kept_static_vectors

        rows = replace(rows, static_vectors=kept_static_vectors(doc))
    features = None
    if story_features or kept_features:
        from newstrace.stages.stories.cluster import document_features
        from newstrace.stages.stories.store import encode_features, features_key

        features = document_features(doc)
        if kept_features:
            key = features_key(doc.title, doc.language, text_hash(doc.text))
            rows = replace(rows, story_features=(key, encode_features(features)))
    made = None
    if tokens:
        made = pack_tokens(tokenize(doc.text, doc.language or "en"))
        # Pickled as one buffer, not 2,500-odd integers a document (the store's form of them,
        # ``rows.columns``, is made already): unpacked by the scan when it returns them.
        doc.offsets = array("q", doc.offsets)  # type: ignore[assignment]
    return doc, None, rows, features if story_features else None, made


def _unindexed_rows(doc: Document, fp: Fingerprint, *, offsets: bool = True) -> tuple[Document, Fingerprint, IndexRows]:
    """``indexed_rows`` without the band hashes (no candidate index to write them to);
    without ``offsets``, the offsets column empty (``add_documents(store_offsets=False)``)."""
    return doc, fp, IndexRows((), (), columns=document_columns(doc, offsets=offsets), fingerprint=encode_fingerprint(fp))


def index_add(store: Store, paths: Sequence[str | Path], *, workers: int | None = None,
              progress: bool = False, forensics: bool = True, limits: Limits = DEFAULT_LIMITS,
              commit_documents: int = COMMIT_DOCUMENTS, candidate_index: bool = True,
              story_features: bool = False, keep_documents: bool = False,
              store_offsets: bool = True, static_vectors: bool = False) -> IndexStats:
    """Read the articles under ``paths`` and add them to ``store`` (:func:`add_documents`)."""
    errors: list[InputError] = []
    preload_language_model()  # decompressed on the other core while this one reads the inputs
    docs = _read(paths, errors, limits=limits, progress=progress)
    stats = add_documents(store, docs, workers=workers, progress=progress, forensics=forensics,
                          commit_documents=commit_documents, candidate_index=candidate_index,
                          story_features=story_features, keep_documents=keep_documents,
                          store_offsets=store_offsets, static_vectors=static_vectors)
    stats.errors = errors + stats.errors
    stats.skipped = len(stats.errors)
    return stats


def relate_stream(docs: Mapping[str, Document], pairs: Sequence[tuple[str, str]], vectors: Vectors,
                  languages: Mapping[str, str | None], *, changes: bool, executor: Executor,
                  label: str | None = None, limits: Limits = DEFAULT_LIMITS,
                  errors: list[InputError] | None = None, store: Store | None = None,
                  one_at_a_time: bool = False) -> Iterator[tuple[tuple[str, str], Relation | None]]:
    """Relate each pair with its context (vectors, translation backgrounds), yielding
    ``(pair, relation or None)`` in input order as the executor delivers them: the relate step
    of every command.  A pair over ``limits.pair_seconds`` is named in ``errors`` (when given,
    else logged), yields ``None`` and the run goes on.  With ``store``, the translation
    backgrounds come from its sampled pools (``vectors.sampled_translation_backgrounds``) and
    ``vectors`` need only hold the pairs' documents; without, from every document in ``vectors``.
    ``one_at_a_time``: one pair a message to the executor's workers (the first result then
    comes after one alignment)."""
    backs: dict[tuple[str, str], tuple[Any, Any]] = {}
    if MULTILINGUAL_MODEL in vectors:
        backs = (sampled_translation_backgrounds(store, pairs, languages, vectors[MULTILINGUAL_MODEL])
                 if store is not None else translation_backgrounds(pairs, languages, vectors[MULTILINGUAL_MODEL]))
    tasks = [(docs[a], docs[b], pair_context(docs[a], docs[b], vectors, backs, changes=changes), limits.pair_seconds)
             for a, b in pairs]
    if changes and _forks(executor, len(tasks), one_at_a_time=one_at_a_time):
        _load_ahead()  # before the pool forks: its workers share this copy
    with finishing(executor.map(relate_task_limited, tasks, label=label, one_at_a_time=one_at_a_time)) as results:
        for pair, r in zip(pairs, results, strict=True):
            if isinstance(r, InputError):
                if errors is not None:
                    errors.append(r)
                else:
                    log.warning("%s", r)
                yield pair, None
            else:
                yield pair, r


def relate_pairs(docs: Mapping[str, Document], pairs: Sequence[tuple[str, str]], vectors: Vectors,
                 languages: Mapping[str, str | None], *, changes: bool, executor: Executor,
                 label: str | None = None, limits: Limits = DEFAULT_LIMITS,
                 errors: list[InputError] | None = None, store: Store | None = None) -> list[Relation]:
    """The relations :func:`relate_stream` finds among ``pairs``."""
    return [r for _, r in relate_stream(docs, pairs, vectors, languages, changes=changes, executor=executor,
                                        label=label, limits=limits, errors=errors, store=store) if r is not None]


def link(store: Store, *, only: set[str] | None = None, workers: int | None = None,
         progress: bool = False, changes: bool = True, semantic: bool = True,
         executor: Executor | None = None, stats: dict[str, int] | None = None,
         limits: Limits = DEFAULT_LIMITS, errors: list[InputError] | None = None,
         preselect: bool = False, batch: int = BATCH, pairs: set[tuple[str, str]] | None = None,
         ) -> list[Relation]:
    """Find candidates among stored documents, relate the pairs not yet compared, store relations.

    With ``only``, just the pairs involving those ids are considered, found through the store's
    candidate index (:func:`_candidates_of`) at a cost in their neighbourhood, not in the
    size of the index, and only the relations involving them are returned (all otherwise).  With ``changes``, every aligned passage carries what the rewrite
    changed.  With ``semantic``, sentence embeddings add candidates and meaning evidence to
    every pair.  ``stats`` (when given) receives the candidate plan's counters
    (``newstrace.stages.candidates.plan_pairs``; with ``only``, of the neighbourhood) and
    ``alignments``.  A pair over ``limits.pair_seconds`` is named in ``errors`` and the run goes on.
    With ``preselect`` (whole collection only), static vectors choose the documents the sentence
    encoder embeds (``newstrace.stages.vectors.preselected_pairs``); the others stay unembedded,
    so a store that ``trace`` will query should be linked without it (every document embedded).
    ``batch``: pairs related at a time (their documents read from the store together, one
    executor map each).  With ``pairs``, exactly those are considered, and the relations
    involving their documents are returned.  A pair counts as compared when it was compared under
    these relate settings with at least what this call adds (``Store._compared_enough``: with
    ``semantic``, not a pair compared without the semantic layer; with ``changes``, not a related
    pair compared without the analysis of changes).
    """
    executor = executor or LocalExecutor(workers, progress)
    if pairs is not None:  # their documents were linked before: nothing to mark
        only, covered = {x for p in pairs for x in p}, set()
    else:
        covered = set(only) if only is not None else store.unlinked()  # linked once this call ends
    whole: Vectors | None = None
    sampled = only is not None  # translation backgrounds from the store's sampled pools
    early: list[tuple[str, str]] = []  # pairs aligned while the rest were planned

    def batch_streams(todo: list[tuple[str, str]], before: int, *, one_at_a_time: bool = False,
                      ) -> Iterator[Iterator[tuple[tuple[str, str], Relation | None]]]:
        """The relate stream of each ``batch`` of ``todo`` not compared yet, its documents read
        from the store as it is reached (``before``: pairs counted before ``todo``, for the label;
        ``one_at_a_time``: :func:`relate_stream`'s)."""
        nonlocal whole
        for i in range(0, len(todo), batch_size := max(1, batch)):
            chunk = todo[i : i + batch_size]
            # another writer may have compared some meanwhile
            pending = sorted(set(chunk) - store.checked_among(chunk, changes=changes, semantic=semantic))
            if not pending:
                continue
            ids = sorted({x for p in pending for x in p})
            docs = {d.id: d for d in store.get_documents(ids, relate_only=True)}
            languages = store.languages(ids)
            vectors: Vectors = {}
            if semantic:
                if only is None:
                    # the whole collection's vectors are loaded for its semantic pairs anyway
                    whole = whole if whole is not None else load_vectors(store, threads=workers)
                    vectors = whole
                    languages = store.languages()
                else:
                    # a cross-language pair's backgrounds come from each language's sampled pool
                    # (vectors.background_pool): only the batch's documents are read
                    vectors = load_vectors_of(store, ids, threads=workers)
            yield relate_stream(docs, pending, vectors, languages, changes=changes, executor=executor,
                                label=f"aligning {before + i + len(pending)}/{before + len(todo)}",
                                limits=limits, errors=errors, store=store if sampled else None,
                                one_at_a_time=one_at_a_time)

    if pairs is not None:
        plan_stats: dict[str, int] = {}
        todo = sorted(pairs - store.checked_among(pairs, changes=changes, semantic=semantic))
    elif only is not None:
        families: dict[str, int] = {}
        pairs, plan_stats = _candidates_of(store, only, executor=executor, families=families)
        if semantic:
            embed_documents(store, threads=workers, progress=progress)
            meaning = indexed_semantic_pairs(store, only, threads=workers) - pairs
            pairs |= screened_meaning_pairs(store, _left_to_families(meaning, families, plan_stats),
                                            stats=plan_stats)
        pairs = {p for p in pairs if p[0] in only or p[1] in only}
        todo = sorted(pairs - store.checked_among(pairs, changes=changes, semantic=semantic))
    else:
        done = store.checked(changes=changes, semantic=semantic)
        early_stream = None

        def shingles_planned(shingle_pairs: list[tuple[str, str]]) -> None:
            # The shingle channel's pairs (the copies: most of the aligning) start in the
            # workers while this process plans the sentence channel, which leaves them idle.
            # Fewer than a pool's worth are aligned with the rest (executors.local.MIN_ITEMS_FOR_POOL).
            nonlocal early, early_stream
            early = [p for p in shingle_pairs if p not in done]
            if len(early) < MIN_ITEMS_FOR_POOL:
                early = []
                return
            # One pair a message: the first result, which starts the stream, comes after one pair.
            early_stream = _started(batch_streams(early, 0, one_at_a_time=True))

        # plan_pairs: linear in each family of near-copies; no bucket silently dropped
        families = {}
        planned, plan_stats = plan_pairs(store.all_sketches(), arrival=store.arrivals(),
                                         shingles_planned=None if semantic else shingles_planned, families=families)
        pairs = set(planned)
        if semantic and preselect:
            # Static vectors choose the documents the sentence encoder embeds (stages/static.py).
            meaning = preselected_pairs(store, planned, threads=workers, progress=progress, stats=plan_stats)
            pairs |= _left_to_families(meaning - pairs, families, plan_stats)
        elif semantic:
            embed_documents(store, threads=workers, progress=progress)
            meaning = semantic_pairs(store.languages(), load_vectors(store, threads=workers)) - pairs
            pairs |= screened_meaning_pairs(store, _left_to_families(meaning, families, plan_stats), stats=plan_stats)
        if early_stream is not None:
            for stream in early_stream:
                _write_relations(store, stream, changes=changes, semantic=semantic)
        started = set(early)
        todo = sorted(p for p in pairs if p not in done and p not in started)
    if stats is not None:
        stats.update({f"plan_{k}": v for k, v in plan_stats.items()}, alignments=len(early) + len(todo))
    for stream in batch_streams(todo, len(early)):
        _write_relations(store, stream, changes=changes, semantic=semantic)
    store.mark_linked(covered)
    return store.get_relations(only)


def _write_relations(store: Store, stream: Iterator[tuple[tuple[str, str], Relation | None]], *,
                     changes: bool, semantic: bool) -> None:
    """Store the pairs of a relate stream as compared and the relations found, committed every
    ``COMMIT_PAIRS`` pairs as results arrive: a kill loses at most that many."""
    checked: list[tuple[str, str]] = []
    found: list[Relation] = []
    with finishing(stream):
        for pair, relation in stream:
            checked.append(pair)
            if relation is not None:
                found.append(relation)
            if len(checked) >= COMMIT_PAIRS:
                store.put_relations(checked, found, changes=changes, semantic=semantic)
                checked, found = [], []
    if checked:
        store.put_relations(checked, found, changes=changes, semantic=semantic)


def _started(streams: Iterator[Iterator[U]]) -> Iterator[Iterator[U]]:
    """``streams`` with the first one started: its first result taken (which hands its work to
    the executor's workers, ``executors.local.map_items``) and put back in front.  The rest
    start when reached."""
    first = next(streams, None)
    if first is None:
        return iter(())
    return chain([_put_back(next(first), first)], streams)


def _put_back(head: U, rest: Iterator[U]) -> Iterator[U]:
    """``head``, then ``rest``; closing it closes ``rest`` (``executors.base.finishing``)."""
    try:
        yield head
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()


def link_pending(store: Store, *, signed_again: Collection[str] = (), **options: Any) -> list[Relation]:
    """:func:`link` the documents stored since the last link (``Store.unlinked``: the ones this
    ``index add`` committed, and any a killed run committed but never linked), and return the
    relations involving them.

    A few new documents among many are linked through the candidate index (``only``: cost in
    their neighbourhood, not in the index); when they are most of the store, the whole-collection
    plan is cheaper, and gives the same pairs.  With the semantic layer (``semantic``, the
    default), the documents an earlier add linked without it (``--lexical-only``) are embedded
    and linked again first, every pair of theirs compared again; with the analysis of changes
    (``changes``, the default), the relations an earlier add made without it (``--no-changes``)
    are (``Store.relations_without_changes``).  So an index added to with and without these
    options ends as the same adds with them would leave it.  ``signed_again``: the stored
    documents this add signed again (``IndexStats.resigned_ids``); being stored again they are
    linked among the pending ones, and those never embedded count as linked again with the
    semantic layer.
    """
    pending = store.unlinked()
    stats = options.get("stats")
    again = {k: v for k, v in options.items() if k != "stats"}  # their plans are not this add's
    redone: dict[str, int] = {}
    if options.get("semantic", True):
        # Documents an earlier add linked without the semantic layer (--lexical-only) were never
        # embedded: they are now, and their pairs compared again with it.
        never = set(store.pending_vectors())
        unembedded = never - pending
        if unembedded:
            link(store, only=unembedded, **again)
        redone["documents_linked_semantically"] = len(unembedded) + len(never & pending & set(signed_again))
    if options.get("changes", True):
        # Relations an add made without the analysis of changes (--no-changes) get it now:
        # compared again, the rest of the index untouched.
        stale = store.relations_without_changes()
        if stale:
            link(store, pairs=stale, **again)
        redone["relations_analysed_again"] = len(stale)
    if stats is not None:
        stats.update(redone)
    if not pending:
        return []
    whole = 2 * len(pending) > store.document_count()
    relations = link(store, only=None if whole else pending, **options)
    return [r for r in relations if r.source in pending or r.target in pending] if whole else relations


def _left_to_families(meaning: set[tuple[str, str]], families: Mapping[str, int],
                      stats: dict[str, int]) -> set[tuple[str, str]]:
    """The candidates by meaning not inside one family of near-copies (``candidates.outside_families``:
    the family plan aligns those); ``stats["meaning_in_families"]`` counts the others."""
    kept = outside_families(meaning, families)
    stats["meaning_in_families"] = len(meaning) - len(kept)
    return kept


def _candidates_of(store: Store, ids: set[str], *, executor: Executor | None = None,
                   families: dict[str, int] | None = None) -> tuple[set[tuple[str, str]], dict[str, int]]:
    """The lexical candidate pairs the whole-collection plan (``plan_pairs``) gives that involve
    ``ids``, from the store's band tables.

    The shingle components holding ``ids`` are gathered by band lookups
    (``candidates.neighbourhood``) and planned alone, exactly as in the whole collection (small
    components pair by pair, large ones by nearest members, so a family of near-copies still
    costs O(n)); the sentence channel looks up each document's sentence bands with the
    collection-wide bucket sizes (``candidates.indexed_candidates``), and each pair is kept
    or not from its later-arriving document's side (``candidates.nearest_earlier``): usually a
    document of ``ids``, else (``link(only=...)`` of documents older than some of their
    partners) that partner's own lookups decide.  ``families``, when given, receives the large
    shingle components of ``ids``' neighbourhood (``candidates.large_components``), as the
    whole-collection plan finds them.

    The sentence lookups of each chunk of ``CANDIDATE_QUERIES`` documents depend on nothing but
    the store, so ``executor``'s workers make them (without one, this process does), each chunk on its own connection to the
    store (:func:`_sentence_pairs_task`), while nothing else runs: linking 1,000 articles into
    a 41,000-document index, they were 16 of the 39 seconds, on one core.
    """
    shingles_only = neighbourhood(store, ids)  # shingle digests only
    family: dict[str, int] = {}  # the large components, found by the plan on its way
    planned, plan_stats = plan_pairs(shingles_only, families=family)
    pairs = {p for p in planned if p[0] in ids or p[1] in ids}
    if families is not None:
        families.update(family)
    del shingles_only
    plan_stats["sentence_nearest"] = 0
    later: set[str] = set()  # partners, not in ids, that arrived after one of ids
    ordered = sorted(ids)
    # The sentence sketches read for one chunk of documents, then let go: a query's candidates
    # do not depend on what was read before, only the reads saved do.
    chunks = [ordered[k : k + CANDIDATE_QUERIES] for k in range(0, len(ordered), CANDIDATE_QUERIES)]
    if executor is not None and len(chunks) > 1 and Path(store.path).is_file():
        tasks = [(store.path, chunk, family) for chunk in chunks]
        # Each chunk is seconds of work: a pool for two chunks already pays.
        with finishing(executor.map(_sentence_pairs_task, tasks, one_at_a_time=True)) as results:
            for found, nearest, partners in results:
                pairs |= found
                plan_stats["sentence_nearest"] += nearest
                later |= partners
    else:
        for chunk_ids in chunks:
            pairs |= _sentence_pairs_of(store, store.get_fingerprints(chunk_ids), family, plan_stats, later)
    if later - ids:
        # Their own side decides their pairs with ids; their shingle components may lie beyond
        # ids' neighbourhood (the family plan pairs within those, not the sentence channel).
        family = large_components(neighbourhood(store, later - ids))
        found = _sentence_pairs_of(store, store.get_fingerprints(sorted(later - ids)), family, {}, set())
        pairs |= {p for p in found if p[0] in ids or p[1] in ids}
    return pairs, plan_stats


def _sentence_pairs_task(task: tuple[str, list[str], Mapping[str, int]]) -> tuple[set[tuple[str, str]], int, set[str]]:
    """:func:`_sentence_pairs_of` of one chunk of stored documents, on a connection of its own
    to the store at ``task[0]`` (a worker of ``_candidates_of``): the chunk's pairs, how many
    of its documents kept only their nearest partners, and its partners that arrived later."""
    path, ids, family = task
    stats: dict[str, int] = {}
    later: set[str] = set()
    with Store(path) as store:
        found = _sentence_pairs_of(store, store.get_fingerprints(ids), family, stats, later)
    return found, stats.get("sentence_nearest", 0), later


def _sentence_pairs_of(store: Store, fps: Sequence[Fingerprint], family: Mapping[str, int],
                       stats: dict[str, int], later: set[str]) -> set[tuple[str, str]]:
    """The sentence-channel pairs of ``fps`` with the documents that arrived before each, as
    ``plan_pairs`` keeps them (``candidates.nearest_earlier``); the partners that arrived
    after are added to ``later`` (their own side decides).  ``stats["sentence_nearest"]``
    counts the documents that kept only their nearest."""
    cache: dict[str, StoredSketch] = {}
    terms: dict[int, frozenset[str] | None] = {}  # the chunk's colliding sentences' terms, each read once
    keys_of: dict[str, SentenceKeys] = {}
    buckets = sentence_buckets(store, fps, stored=True, keys_of=keys_of)
    out: set[tuple[str, str]] = set()
    found: dict[str, list[str]] = {}
    for fp in fps:
        mine = family.get(fp.doc_id)

        def same_family(other: str, mine: int | None = mine) -> bool:
            return mine is not None and family.get(other) == mine

        found[fp.doc_id] = sorted(indexed_candidates(store, fp, stored=True, shingles=False, skip=same_family,
                                                     cache=cache, buckets=buckets, terms_cache=terms,
                                                     sentence_keys=keys_of[fp.doc_id]))
    arrival = store.arrivals({d for fp in fps for d in (fp.doc_id, *found[fp.doc_id])})
    for fp in fps:
        me = arrival_key(fp.doc_id, arrival)
        earlier = [(d, arrival_key(d, arrival), cache[d].shingles) for d in found[fp.doc_id]
                   if arrival_key(d, arrival) < me]
        later.update(d for d in found[fp.doc_id] if arrival_key(d, arrival) > me)
        kept = nearest_earlier(fp.shingles, earlier)
        if len(kept) < len(earlier):
            stats["sentence_nearest"] = stats.get("sentence_nearest", 0) + 1
        out |= {(fp.doc_id, d) if fp.doc_id < d else (d, fp.doc_id) for d in kept}
    return out


#: The scan's first-generation collection threshold (Python's default is 700 allocations).
#: A scan allocates millions of small acyclic objects (offsets, tokens, rows) and keeps most of
#: them alive, so each young collection found almost nothing and each full one walked the
#: whole heap: on BBC 889 collections took 1.0 s of the main process's 6.8 CPU s; with this
#: threshold, 10 took 0.1 s.  Cycles are still collected, later.
SCAN_GC_THRESHOLD = 50_000


@contextmanager
def _fewer_collections(threshold: int = SCAN_GC_THRESHOLD) -> Iterator[None]:
    """Raise the collector's first-generation threshold to ``threshold`` (never lower it) for
    the duration, then restore it (the process pools' workers fork with the raised one)."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], threshold), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def scan(paths: Sequence[str | Path], *, db: str | Path | None = None, workers: int | None = None,
         progress: bool = False, changes: bool = True, semantic: bool = True,
         limits: Limits = DEFAULT_LIMITS) -> ScanResult:
    """One-shot: index everything under ``paths`` (into ``db`` or a temporary store) and relate it.

    Its processes run their matrix products on one BLAS thread each (``one_blas_thread``):
    the scan's workers already use every core."""
    with _fewer_collections(), one_blas_thread():
        return _scan(paths, db=db, workers=workers, progress=progress, changes=changes, semantic=semantic,
                     limits=limits)


def _scan(paths: Sequence[str | Path], *, db: str | Path | None, workers: int | None, progress: bool,
          changes: bool, semantic: bool, limits: Limits) -> ScanResult:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db or Path(tmp) / "scan.db")
        if db is None:
            # A scratch store: deleted with the directory, so no fsync at commits (SQLite's
            # synchronous pragma is per connection), documents committed in large batches, and
            # no candidate index (band and line lookup rows): nothing looks a document up in it,
            # the whole-collection plan reads the fingerprints.
            store.conn.execute("PRAGMA synchronous = OFF")
        commits = COMMIT_DOCUMENTS if db is not None else SCRATCH_COMMIT_DOCUMENTS
        try:
            stats = index_add(store, paths, workers=workers, progress=progress, forensics=changes, limits=limits,
                              commit_documents=commits, candidate_index=db is not None, story_features=True,
                              static_vectors=semantic and db is not None,
                              keep_documents=db is None, store_offsets=db is not None)
            t1 = time.perf_counter()
            plan: dict[str, int] = {}
            # A scratch store is gone when the scan ends: only the documents whose pairs can use
            # transformer vectors are embedded.  A kept one (``db``) is embedded whole, for trace.
            # The tokens the prepare workers made are not made again by the pair workers (forked
            # with them known) (``stages.text.known_tokens``).
            known = known_tokens((d.text, d.language or "en", stats.tokens[d.id])
                                 for d in stats.prepared if d.id in stats.tokens)
            with known:
                relations = link(store, workers=workers, progress=progress, changes=changes, semantic=semantic,
                                 stats=plan, limits=limits, errors=stats.errors, preselect=db is None,
                                 batch=BATCH if db is not None else SCRATCH_BATCH)
            stats.tokens.clear()
            t2 = time.perf_counter()
            # organise changes relations, families and stories, not documents.  A scratch store
            # holds exactly the documents this scan prepared: kept, they are not read back (on
            # BBC 0.4-0.5 s of serial JSON parsing of the per-character offsets, which the
            # scratch store does not even hold: add_documents(store_offsets=False)).
            if db is None and len(stats.prepared) != store.document_count():
                raise RuntimeError(f"scan: {len(stats.prepared)} documents prepared, "
                                   f"{store.document_count()} in its scratch store")
            documents = (sorted(map(_unpacked, stats.prepared), key=lambda d: d.id) if db is None
                         else store.get_documents())
            stats.prepared.clear()
            families, stories = organise(store, workers=workers, stats=plan, documents=documents,
                                         features=stats.story_features, changes=changes)
            if plan.get("alignments_parents"):
                relations = store.get_relations()  # with the member-parent pairs organise aligned
        finally:
            store.close()
    t3 = time.perf_counter()
    return ScanResult(documents, relations, stats.errors, {
        "documents": len(documents), "read": stats.read, "added": stats.added, "unchanged": stats.unchanged,
        "skipped": stats.skipped, "renamed": len(stats.renamed), "relations": len(relations), **plan,
        "families": len(families), "stories": len(stories),
        "seconds_ingest": round(t1 - t0, 3), "seconds_relate": round(t2 - t1, 3),
        "seconds_families": round(t3 - t2, 3), "seconds": round(t3 - t0, 3)}, families, stories, stats.renamed)


# -- families and stories (newstrace.stages.families, newstrace.stages.stories) --------------------


def organise(store: Store, *, fresh: bool = False, workers: int | None = None,
             stats: dict[str, int] | None = None, documents: list[Document] | None = None,
             features: Mapping[str, tuple[list[str], list[str]]] | None = None,
             whole_below: int | None = None, changes: bool = True) -> tuple[list[Family], list[Story]]:
    """Rebuild the store's families from its relations and update its stories; store both.

    Families are recomputed from all relations (a new copy can change an original's evidence),
    but an add (no ``documents``, not ``fresh``) reuses each stored family whose inputs' digest
    is unchanged, reading and building only the others (``_families_of``).
    A member whose stemmatic parent it was never aligned with (the candidate plan pairs near
    neighbours, not parents) is aligned with it now — at most one alignment per member — so
    every primary edge carries passages (and, with ``changes``, what the rewrite changed, as the
    run's other relations do).  Stories are clustered again over the whole
    collection, so several adds give the stories of one scan; each keeps the id of the stored
    story it shares most documents with (``newstrace.stages.stories.update_stories``).  With
    ``fresh``, stored ids are not consulted.  ``documents``: the store's documents (all of
    them, in id order), when the caller has them already.  ``features``: story features of
    documents by id, made where they were prepared (``IndexStats.story_features``); any
    document missing or changed since is read here.

    Without ``documents`` (``index add``, the service), only the family members' documents are
    read (a family's evidence is in its members' texts), and the stories are clustered from the
    story features the store keeps with each document
    (``newstrace.stages.stories.store.stored_story_inputs``): at 11,000 documents, reading
    every document and making its features again was 16 of the 24 seconds this step took.

    An index of ``whole_below`` documents or more (default
    ``newstrace.stages.stories.cluster.WHOLE_BELOW``) that has stories already clusters again
    only the stories its new documents reach (``extend_stories``); a smaller one, a scan and
    ``fresh`` cluster everything.
    """
    from newstrace.stages.families import load_reusable_families, save_families, unaligned_parents
    from newstrace.stages.stories import load_stories, save_stories
    from newstrace.stages.stories.cluster import (
        WHOLE_BELOW,
        Neighbourhood,
        cluster_threads,
        document_features,
        extend_stories,
        known_features,
        representative_ids,
        stories_of_features,
    )
    from newstrace.stages.stories.naming import OPENING_CHARS, member_texts, name_stories
    from newstrace.stages.stories.store import (
        StoredNeighbourhoods,
        load_representatives,
        load_usual,
        save_neighbourhoods,
        save_representatives,
        save_usual,
        stored_story_inputs,
        usual_settings,
    )

    given = None if documents is None else {d.id: d for d in documents}
    # An add (no documents given) reuses each stored family whose inputs are unchanged: the
    # rest read their members' texts and are built again.
    reuse = given is None and not fresh
    known = load_reusable_families(store.conn) if reuse else {}
    families, digests, rebuilt = _families_of(store, store.get_relations(), given, known)
    member_ids = {m for f in families for m in f.members}
    unaligned = unaligned_parents(families, member_ids)
    missing = sorted(unaligned - store.checked_among(unaligned))
    if missing:
        ends = sorted({d for pair in missing for d in pair})
        pair_docs = given if given is not None else {d.id: d for d in store.get_documents(ends, relate_only=True)}
        found = relate_pairs(pair_docs, missing, {}, store.languages(), changes=changes,
                             executor=LocalExecutor(workers))
        store.put_relations(missing, found, changes=changes)
        # the families these alignments changed are built again; the others are those just made
        made = {f.id: (digests[f.id], f) for f in families}
        families, digests, again = _families_of(store, store.get_relations(), given, made)
        rebuilt |= again
    if stats is not None:
        stats["alignments_parents"] = len(missing)
        stats["families_rebuilt"] = len(rebuilt)
        stats["families_reused"] = len(families) - len(rebuilt)
    feats: Sequence[tuple[list[str], list[str]]]
    if documents is None:
        ids, published, feats = stored_story_inputs(store)
    else:
        ordered = sorted(documents, key=lambda d: d.id)
        ids, published = [d.id for d in ordered], [d.published for d in ordered]
        with known_features(ordered, features or {}):
            feats = [document_features(d) for d in ordered]
    stored = [] if fresh else load_stories(store.conn)
    # The last arrival the stored stories saw: a document replaced since (a new version of a
    # stored one) is clustered again with the new ones.  Unknown for stores made before it
    # was kept, where only documents in no story count as new.
    seen = store.meta("stories_arrival")
    last = store.last_arrival()
    # The usual similarity each representative was held to, kept for the next add's
    # extend_stories: it clusters again only the stored stories a new pair can pass the threshold in.
    settings = usual_settings()
    usual: dict[str, float] = {}
    # and each one's neighbourhood: the next add scores a reached story's representatives
    # against the part it clusters again instead of every document.  A document that became a
    # representative since a neighbourhood was made (its family split) is new to it, as a
    # document that arrived since is: each representative is kept with the arrival it became one at.
    around: dict[str, Neighbourhood] = {}
    was = load_representatives(store.conn)
    since = {d: was.get(d, last) for d in representative_ids(ids, families)}

    def unseen_after(mark: int) -> set[str]:
        return store.arrived_after(mark) | {d for d, at in since.items() if at > mark}

    # its block products on the workers' cores, in threads (the same stories)
    with cluster_threads(workers):
        extend = documents is None and bool(stored) and len(ids) >= (WHOLE_BELOW if whole_below is None else whole_below)
        if extend:
            stories, counts = extend_stories(ids, published, feats, families, stored,
                                             changed=store.arrived_after(int(seen)) if seen is not None else (),
                                             known_usual=load_usual(store.conn, settings), usual_out=usual,
                                             known_neighbourhood=StoredNeighbourhoods(store.conn, settings),
                                             neighbourhood_out=around, arrived_after=unseen_after)
            if stats is not None:
                stats.update({f"stories_{k}": v for k, v in counts.items()})
        else:
            stories = stories_of_features(ids, published, feats, families, stored, usual_out=usual,
                                          neighbourhood_out=around)
    # Headlines and name phrases from the members' titles and openings: a story an add kept as
    # stored keeps its own.
    if documents is not None:
        stories = name_stories(stories, member_texts(documents))
    else:
        stories = name_stories(stories, lambda ids: store.story_openings(ids, OPENING_CHARS), keep=stored if extend else ())
    save_families(store.conn, families, digests)
    save_stories(store.conn, stories)
    save_usual(store.conn, usual, settings, replace=not extend)
    save_neighbourhoods(store.conn, around, settings, replace=not extend, arrival=last)
    save_representatives(store.conn, since)
    store.set_meta("stories_arrival", str(last))  # after the stories: a crash between re-clusters more, never less
    return families, stories


def _families_of(store: Store, relations: Sequence[Relation], given: Mapping[str, Document] | None,
                 known: Mapping[str, tuple[str, Family]]) -> tuple[list[Family], dict[str, str], set[str]]:
    """The families of ``relations``, the digest of each one's inputs, and the ids of those built
    here.  A family in ``known`` under the digest its inputs have now is that family, as a
    rebuild would give it (``families.family_digest``; its passages' texts, which the store does
    not keep, come back from the relations), so only the others read their members (from
    ``given``, or the store).

    At 41,000 documents building every family took 3 s of an add's organise and reading their
    members 0.6 s, though an add of 1,000 articles changes a few of 935 families.
    """
    from newstrace.stages.families import build_family, family_digest, family_groups, with_passages

    groups = family_groups(relations)
    hashes = store.stored_hashes({m for g in groups for m in g.members})
    digests = {g.id: family_digest(g, hashes) for g in groups}
    todo = [g for g in groups if known.get(g.id, ("", None))[0] != digests[g.id]]
    by_id = given if given is not None else {
        d.id: d for d in store.get_documents(sorted({m for g in todo for m in g.members}), offsets=False)}
    made = {g.id: build_family(g, by_id) for g in todo}
    families = [made[g.id] if g.id in made else with_passages(known[g.id][1], g) for g in groups]
    return families, digests, set(made)


def trace_documents(store: Store, docs: Sequence[Document], *, workers: int | None = None, changes: bool = True,
                    semantic: bool = True, executor: Executor | None = None) -> ScanResult:
    """The sources of already-read articles against an index, without adding them to it.

    Each article (its id prefixed ``query:``) is prepared as if it joined the index (the
    index's recurring lines are its boilerplate), and related to the stored documents that are
    candidates by fingerprint or, with ``semantic``, by meaning (translations too when the
    index holds documents in other languages).  Candidates come from the store's band tables
    and the vector files beside it; only the candidates' documents and vectors are read.  When
    the index holds a second language, the multilingual model embeds the queries' sketches in
    a thread while the same-language candidates are related (on a 2-core machine the trace then
    takes about the longer of the two, not their sum); the relations are those of one pass.

    A query with more near-copies in the index than an ordinary story has is aligned with its
    nearest, as ``index add`` would align it (:func:`candidates.nearest_candidates`), so a trace
    costs the same however many copies the index holds: the others are named in the result's
    ``not_aligned`` and counted in its stats, and its ``families`` are the stored families of
    the copies it was aligned with.
    """
    executor = executor or LocalExecutor(workers)
    errors: list[InputError] = []
    queries = list(docs)
    for q in queries:
        q.id = f"query:{q.id}"
    recurring = learn_boilerplate_indexed(store, queries)
    prints: dict[str, Fingerprint] = {q.id: prepare_document(q, recurring, forensics=changes)[1] for q in queries}
    found: dict[tuple[str, str], Relation] = {}
    asked: dict[str, set[str]] = {q.id: set() for q in queries}
    cache: dict[str, StoredSketch] = {}

    def relate_candidates(wanted: Mapping[str, set[str]], query_vectors: Vectors,
                          now: Callable[[Document, str | None], bool] = lambda q, other: True) -> dict[str, set[str]]:
        # Relate each query with the stored documents ``wanted`` for it that ``now`` accepts
        # (by the query and the document's language); return the ones left for later.
        later: dict[str, set[str]] = {}
        for q in queries:
            others = {d.id: d for d in store.get_documents(sorted(wanted[q.id] - asked[q.id]), relate_only=True)}
            langs: dict[str, str | None] = {**store.languages(sorted(others)), q.id: q.language}
            ids = sorted(i for i in others if now(q, langs[i]))
            later[q.id] = set(others) - set(ids)
            asked[q.id] |= set(ids)
            vectors: Vectors = {}
            if query_vectors:
                # only the candidates' vectors: a cross-language pair's backgrounds come from each
                # language's sampled pool (vectors.background_pool)
                vectors = load_vectors_of(store, ids, threads=workers)
                for name, by_id in query_vectors.items():
                    if q.id in by_id:
                        vectors.setdefault(name, {})[q.id] = by_id[q.id]
            for pair, r in relate_stream({**others, q.id: q}, [(i, q.id) for i in ids], vectors, langs,
                                         changes=changes, executor=executor, errors=errors, store=store):
                if r is not None:
                    found[pair] = r
        return later

    # A query among many near-copies is aligned with its nearest (candidates.nearest_candidates);
    # the rest are left, by meaning too, and their stored families are returned instead.
    lexical: dict[str, set[str]] = {}
    left: dict[str, set[str]] = {}
    terms: dict[int, frozenset[str] | None] = {}
    for q in queries:
        proposed = indexed_candidates(store, prints[q.id], cache=cache, both_channels=False, terms_cache=terms)
        lexical[q.id], left[q.id] = nearest_candidates(prints[q.id].shingles, proposed,
                                                       {d: cache[d].shingles for d in proposed if d in cache})
    if not (semantic and queries):
        relate_candidates(lexical, {})
    else:
        embed_documents(store, threads=workers)  # documents added without vectors get them now
        multilingual = MULTILINGUAL_MODEL in models_of(store)
        with ThreadPoolExecutor(1) as ahead:
            # The multilingual model (the costly one: a 4-sentence sketch takes 0.14-0.22 s of
            # CPU) embeds the queries' sketches in a thread (its C engine releases the GIL)
            # while the English candidates are found and every same-language pair is related:
            # those never use multilingual vectors (vectors.pair_context).  Cross-language
            # pairs wait for the sketches.
            sketches = ahead.submit(query_sketches, queries, threads=workers) if multilingual else None
            hits, query_vectors = indexed_query_pairs(store, queries, threads=workers, models=[ENGLISH_MODEL])
            hits = screened_meaning_pairs(store, hits, queries=queries)
            wanted = {q.id: lexical[q.id] | {a for a, b in hits if b == q.id and a not in left[q.id]}
                      for q in queries}
            if sketches is None:
                relate_candidates(wanted, query_vectors)
            else:
                later = relate_candidates(wanted, query_vectors,
                                          lambda q, other: not crosses_languages(q.language, other))
                hits, more = indexed_query_pairs(store, queries, threads=workers, models=[MULTILINGUAL_MODEL],
                                                 sketches=sketches.result())
                hits = screened_meaning_pairs(store, hits, queries=queries)
                query_vectors.update(more)
                relate_candidates({q.id: later[q.id] | {a for a, b in hits if b == q.id and a not in left[q.id]}
                                   for q in queries}, query_vectors)
    # In the order of one pass: each query's candidates in id order.
    relations = [found[i, q.id] for q in queries for i in sorted(asked[q.id]) if (i, q.id) in found]
    families = _families_left(store, relations, left)
    return ScanResult(queries, relations, errors, {
        "documents": len(queries), "relations": len(relations),
        "nearest_only": sum(1 for q in queries if left[q.id]),
        "not_aligned": sum(len(x) for x in left.values())}, families=families,
        not_aligned={q.id: sorted(left[q.id]) for q in queries if left[q.id]})


def _families_left(store: Store, relations: Sequence[Relation], left: Mapping[str, set[str]]) -> list[Family]:
    """The stored families of the documents a trace related its queries to, for the queries that
    left near-copies unaligned (:func:`candidates.nearest_candidates`): they name every copy and
    how each descends, which the query's own relations then no longer list one by one."""
    from newstrace.stages.families import load_families

    related = sorted({d for r in relations for d in (r.source, r.target)
                      if any(left.get(q) for q in (r.source, r.target))} - set(left))
    out: dict[str, Family] = {}
    for doc_id in related:
        for family in load_families(store.conn, doc_id):
            out.setdefault(family.id, family)
    return [out[k] for k in sorted(out)]


def trace(store: Store, path: str | Path, *, workers: int | None = None, changes: bool = True,
          semantic: bool = True) -> ScanResult:
    """The sources of the article(s) at ``path`` against an index (:func:`trace_documents`)."""
    errors: list[InputError] = []
    result = trace_documents(store, _read([path], errors), workers=workers, changes=changes, semantic=semantic)
    result.errors = errors + result.errors
    return result


