"""The pipeline: ingest → clean → fingerprint → candidates → align → relate, over a store.

These functions are the Python API; the CLI (and later the service and the Spark executor)
call them.  Stages are pure functions over records; this module only orders them, and the
executor decides where they run.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from newstrace.executors.local import map_items
from newstrace.limits import DEFAULT_LIMITS, Limits, TimeLimitExceeded, time_limit
from newstrace.progress import progress_bar
from newstrace.report.annotate import annotate_changes
from newstrace.stages.candidates import find_candidates, fingerprint
from newstrace.stages.clean import clean, recurring_lines
from newstrace.stages.ingest import detect_language, read_inputs
from newstrace.stages.relate import relate, relate_semantic
from newstrace.stages.text import split_sentences
from newstrace.store import Store, content_hash, text_hash
from newstrace.types import Document, InputError, Relation

if TYPE_CHECKING:
    from newstrace.stages.embed import Embedder
    from newstrace.stages.embed_cache import EmbeddingCache

__all__ = ["IndexStats", "ScanResult", "index_add", "link", "scan", "trace"]

log = logging.getLogger(__name__)

BATCH = 1000  # documents read from the store at a time
# Commits come in small batches from the first documents: a kill at any moment loses at most
# this many cleaned documents (or compared pairs), and two writers see each other's work soon.
# (16 documents commit in a few milliseconds; 2,000 BBC articles take 125 commits.)
COMMIT_DOCUMENTS = 16
COMMIT_PAIRS = 100
EMBED_DOCUMENTS = 100  # documents embedded and stored per transaction (and progress step)
# Document-vector cosine for an English semantic candidate (English model); the aligner decides.
SEMANTIC_CANDIDATE_COSINE = 0.5


@dataclass(slots=True)
class IndexStats:
    """What an ``index add`` did: nothing given is dropped without being counted here."""

    read: int = 0
    added: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[InputError] = field(default_factory=list)


@dataclass(slots=True)
class ScanResult:
    documents: list[Document]
    relations: list[Relation]
    errors: list[InputError]
    stats: dict[str, float | int] = field(default_factory=dict)


def _prepare(doc: Document, recurring: frozenset[int], forensics: bool = True) -> tuple[Document, object]:
    clean(doc, recurring)
    if not doc.language:
        doc.language = detect_language(doc.text)
    if forensics:
        from newstrace.stages.signature import rewrite_signature

        doc.signature = rewrite_signature(doc.text, doc.raw, doc.removed, language=doc.language or "en")
    return doc, fingerprint(doc)


def _prepare_task(args: tuple[Document, frozenset[int], bool]) -> tuple[Document, object]:
    return _prepare(*args)


def index_add(store: Store, paths: Sequence[str | Path], *, workers: int | None = None,
              progress: bool = False, forensics: bool = True, limits: Limits = DEFAULT_LIMITS) -> IndexStats:
    """Read, clean and fingerprint the articles under ``paths`` and add them to ``store``.

    Re-adding an unchanged document does nothing; a changed one replaces the old version.
    Lines recurring across the documents of this batch are removed as boilerplate.  With
    ``forensics``, each document's rewrite signature is computed too.
    """
    stats = IndexStats()
    docs: list[Document] = []
    seen: set[str] = set()
    for item in read_inputs(paths, limits=limits, progress=progress):
        if isinstance(item, InputError):
            stats.errors.append(item)
            log.debug("skipped %s", item)
            continue
        stats.read += 1
        if item.id in seen:
            stats.errors.append(InputError(item.path or item.id, f"duplicate document id {item.id!r}: kept the first"))
            continue
        seen.add(item.id)
        docs.append(item)
    stats.skipped = len(stats.errors)
    stored = store.stored_hashes()
    fresh = [d for d in docs if stored.get(d.id) != content_hash(d)]
    stats.unchanged = len(docs) - len(fresh)
    recurring = recurring_lines(docs)
    # Committed in small batches as they come: a crash loses at most one batch, and a re-run
    # skips what is stored.
    pending: list[tuple[Document, object]] = []
    for prepared in map_items(_prepare_task, [(d, recurring, forensics) for d in fresh],
                              workers=_workers(workers, len(fresh)),
                              progress="cleaning" if progress else None, chunksize=16):
        pending.append(prepared)
        if len(pending) >= COMMIT_DOCUMENTS:
            stats.added += store.put_documents(pending)  # type: ignore[arg-type]
            pending = []
    if pending:
        stats.added += store.put_documents(pending)  # type: ignore[arg-type]
    return stats


def _relate_task(task: tuple) -> Relation | InputError | None:  # type: ignore[type-arg]
    a, b, with_changes, vecs_a, vecs_b, back_a, back_b, *rest = task
    seconds = rest[0] if rest else DEFAULT_LIMITS.pair_seconds
    try:
        with time_limit(seconds):
            relation = relate(a, b)
            if relation is None and vecs_a is not None and vecs_b is not None:
                relation = relate_semantic(a, b, vecs_a, vecs_b, backgrounds=(
                    (back_a, back_b) if back_a is not None and back_b is not None else None))
            if relation is not None and with_changes and a.language == b.language:
                relation = annotate_changes([a, b], [relation])[0]
    except TimeLimitExceeded:
        return InputError(f"{a.id} <-> {b.id}", f"pair not compared: it took over {seconds:g} s "
                                                "(Limits.pair_seconds)")
    return relation


# -- the semantic layer: sentence embeddings, cached in the store ---------------------------------

ENGLISH_MODEL = "minilm-l3"  # MSRP 10-fold CV: 0.757 accuracy, ~10x faster than e5 (docs/calibration.md)
MULTILINGUAL_MODEL = "e5-small"  # the only packaged model that matches translations to their source


def _languages(store: Store) -> dict[str, str | None]:
    return dict(store.conn.execute("SELECT id, language FROM documents"))


def embed_documents(store: Store, *, threads: int | None = None, progress: bool = False) -> dict[str, int]:
    """Compute and cache the sentence vectors the semantic layer needs; return how many were added.

    English documents get the English paraphrase model; when the store holds more than one
    language, every document also gets the multilingual model (for translations).  Vectors are
    computed once per sentence and kept in the store under the model's name and version.
    """
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    cache = EmbeddingCache(store.conn)
    langs = _languages(store)
    wanted = [(ENGLISH_MODEL, [i for i, lang in langs.items() if lang == "en"])]
    if len({lang for lang in langs.values() if lang}) > 1:
        wanted.append((MULTILINGUAL_MODEL, sorted(langs)))
    added: dict[str, int] = {}
    for name, ids in wanted:
        embedder = get_embedder(name, threads=threads)
        have = cache.doc_ids(embedder.version)
        todo = [i for i in ids if i not in have]
        with progress_bar(f"embedding ({name})", len(todo), enabled=progress) as bar:
            for k in range(0, len(todo), EMBED_DOCUMENTS):
                _embed_chunk(store, cache, embedder, todo[k : k + EMBED_DOCUMENTS])
                bar.advance(min(EMBED_DOCUMENTS, len(todo) - k))
        added[name] = len(todo)
    return added


def _embed_chunk(store: Store, cache: EmbeddingCache, embedder: Embedder, ids: list[str]) -> None:
    """Embed the sentences of some documents in one call (a sentence repeated among them
    once) and store them in one transaction, keyed by the text they were split from."""
    docs = store.get_documents(ids)
    spans = [[(x.start, x.end) for x in split_sentences(d.text)] for d in docs]
    texts = [d.text[s:e] for d, sp in zip(docs, spans, strict=True) for s, e in sp]
    vecs = embedder.encode(texts)
    rows = []
    at = 0
    for d, sp in zip(docs, spans, strict=True):
        if sp:
            rows.append((d.id, sp, vecs[at : at + len(sp)]))
        at += len(sp)
    cache.put_many(embedder.version, rows, text_hashes={d.id: text_hash(d.text) for d in docs})


def _vectors(store: Store, name: str, threads: int | None = None) -> dict[str, np.ndarray]:
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    cache = EmbeddingCache(store.conn)
    version = get_embedder(name, threads=threads).version
    out = {}
    for doc_id in cache.doc_ids(version):
        v = cache.get(doc_id, version)
        if v is not None:
            out[doc_id] = v
    return out


def semantic_pairs(store: Store, vectors: dict[str, dict[str, np.ndarray]]) -> set[tuple[str, str]]:
    """Candidate pairs by meaning: nearest neighbours of document vectors (usearch HNSW).

    English documents are matched with the English model; documents in different languages
    with the multilingual one, querying each language's documents against the others' (a plain
    threshold would pair every two texts in one language).
    """
    from newstrace.stages.semantic import CANDIDATE_MIN_COSINE, document_vector, semantic_candidates

    pairs: set[tuple[str, str]] = set()
    en = vectors.get(ENGLISH_MODEL, {})
    if len(en) > 1:
        ids = sorted(en)
        found = semantic_candidates(ids, np.stack([document_vector(en[i]) for i in ids]), k=10,
                                    min_cosine=SEMANTIC_CANDIDATE_COSINE)
        pairs.update(found)
    multi = vectors.get(MULTILINGUAL_MODEL, {})
    if multi:
        langs = _languages(store)
        groups: dict[str | None, list[str]] = {}
        for i in sorted(multi):
            groups.setdefault(langs.get(i), []).append(i)
        for lang, queries in groups.items():
            others = [i for i in sorted(multi) if langs.get(i) != lang]
            if not others:
                continue
            found = semantic_candidates(
                others, np.stack([document_vector(multi[i]) for i in others]), k=10,
                min_cosine=CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL], query_ids=queries,
                query_vecs=np.stack([document_vector(multi[i]) for i in queries]))
            pairs.update(found)
    return pairs


def _pair_vectors(a: Document, b: Document, vectors: dict[str, dict[str, np.ndarray]]):  # type: ignore[no-untyped-def]
    """The vectors to align two documents by meaning with, or (None, None) when there are none."""
    if a.language and b.language and a.language != b.language:
        multi = vectors.get(MULTILINGUAL_MODEL, {})
        return multi.get(a.id), multi.get(b.id)
    if a.language == b.language == "en":
        en = vectors.get(ENGLISH_MODEL, {})
        return en.get(a.id), en.get(b.id)
    return None, None


def translation_backgrounds(pairs: Iterable[tuple[str, str]], languages: dict[str, str | None],
                            multi: dict[str, np.ndarray]) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """The collection backgrounds of the sentences of each cross-language pair (for the margin
    criterion of ``newstrace.stages.semantic.SemanticConfig.crosslang_collection_ratio``).

    A document's sentences get their background against all the collection's documents in the
    other document's language (``sentence_backgrounds``).  A pair gets backgrounds only when,
    on both sides, that language holds at least ``crosslang_k`` sentences outside the pair:
    otherwise the background would be the pair itself, and the pair's own criterion applies.
    """
    from newstrace.stages.semantic import DEFAULT_CONFIG, sentence_backgrounds

    k = DEFAULT_CONFIG.crosslang_k
    cross = [(a, b) for a, b in pairs if a in multi and b in multi and languages.get(a) and languages.get(b)
             and languages[a] != languages[b]]
    size: dict[str | None, int] = {}
    for i, v in multi.items():
        size[languages.get(i)] = size.get(languages.get(i), 0) + len(v)
    usable = [(a, b) for a, b in cross
              if size[languages[b]] - len(multi[b]) >= k and size[languages[a]] - len(multi[a]) >= k]
    wanted: dict[str, set[str]] = {}
    for a, b in usable:
        wanted.setdefault(str(languages[b]), set()).add(a)
        wanted.setdefault(str(languages[a]), set()).add(b)
    back: dict[tuple[str, str], np.ndarray] = {}
    for lang, ids in wanted.items():
        pool = {i: v for i, v in multi.items() if languages.get(i) == lang}
        for i, v in sentence_backgrounds({i: multi[i] for i in ids}, pool, k=k).items():
            back[(i, lang)] = v
    return {(a, b): (back[(a, str(languages[b]))], back[(b, str(languages[a]))]) for a, b in usable}


def _workers(workers: int | None, n: int) -> int:
    # Process start-up costs more than a few dozen small jobs.
    return 1 if n < 40 else (workers or 0) or __import__("os").cpu_count() or 1


def link(store: Store, *, only: set[str] | None = None, workers: int | None = None,
         progress: bool = False, changes: bool = True, semantic: bool = True,
         limits: Limits = DEFAULT_LIMITS, errors: list[InputError] | None = None) -> list[Relation]:
    """Find candidates among stored documents, align the pairs not yet compared, store relations.

    With ``only``, just the pairs involving those ids are considered.  With ``changes``, every
    aligned passage carries what the rewrite changed (``newstrace.stages.changes``).  With
    ``semantic``, sentence embeddings add candidates and align paraphrases, summaries and
    translations that share few words.  A pair over ``limits.pair_seconds`` is named in
    ``errors`` (when given, else logged) and the run goes on.
    """
    fps = store.get_fingerprints()
    pairs: dict[tuple[str, str], set[str]] | set[tuple[str, str]] = find_candidates(fps)
    vectors: dict[str, dict[str, np.ndarray]] = {}
    langs = _languages(store)
    if semantic:
        embed_documents(store, threads=workers, progress=progress)
        vectors = {ENGLISH_MODEL: _vectors(store, ENGLISH_MODEL, workers)}
        if len({lang for lang in langs.values() if lang}) > 1:
            vectors[MULTILINGUAL_MODEL] = _vectors(store, MULTILINGUAL_MODEL, workers)
        pairs = set(pairs) | semantic_pairs(store, vectors)
    done = store.checked()
    todo = sorted(p for p in pairs if p not in done and (only is None or p[0] in only or p[1] in only))
    for i in range(0, len(todo), COMMIT_PAIRS):
        done = store.checked()  # another writer may have compared some meanwhile
        batch = [p for p in todo[i : i + COMMIT_PAIRS] if p not in done]
        if not batch:
            continue
        docs = {d.id: d for d in store.get_documents(sorted({x for p in batch for x in p}))}
        backs = translation_backgrounds(batch, langs, vectors[MULTILINGUAL_MODEL]) if MULTILINGUAL_MODEL in vectors else {}
        tasks = [(docs[a], docs[b], changes, *_pair_vectors(docs[a], docs[b], vectors), *backs.get((a, b), (None, None)),
                  limits.pair_seconds) for a, b in batch]
        relations: list[Relation] = []
        for r in map_items(_relate_task, tasks, workers=_workers(workers, len(batch)),
                           progress=f"aligning {i + len(batch)}/{len(todo)}" if progress else None):
            if isinstance(r, InputError):
                if errors is not None:
                    errors.append(r)
                else:
                    log.warning("%s", r)
            elif r is not None:
                relations.append(r)
        store.put_relations(batch, relations)
    return store.get_relations()


def scan(paths: Sequence[str | Path], *, db: str | Path | None = None, workers: int | None = None,
         progress: bool = False, changes: bool = True, semantic: bool = True,
         limits: Limits = DEFAULT_LIMITS) -> ScanResult:
    """One-shot: index everything under ``paths`` (into ``db`` or a temporary store) and relate it."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db or Path(tmp) / "scan.db")
        try:
            stats = index_add(store, paths, workers=workers, progress=progress, forensics=changes, limits=limits)
            t1 = time.perf_counter()
            relations = link(store, workers=workers, progress=progress, changes=changes, semantic=semantic,
                             limits=limits, errors=stats.errors)
            documents = store.get_documents()
        finally:
            store.close()
    t2 = time.perf_counter()
    return ScanResult(documents, relations, stats.errors, {
        "documents": len(documents), "read": stats.read, "added": stats.added, "unchanged": stats.unchanged,
        "skipped": stats.skipped, "relations": len(relations),
        "seconds_ingest": round(t1 - t0, 3), "seconds_relate": round(t2 - t1, 3), "seconds": round(t2 - t0, 3)})


def trace(store: Store, path: str | Path, *, workers: int | None = None, changes: bool = True,
          semantic: bool = True) -> ScanResult:
    """The sources of one article against an index, without adding it to the index.

    With ``semantic``, the article is also matched by meaning against the index's English
    documents (and, when the index holds the multilingual vectors, against documents in other
    languages, for translations).
    """
    from newstrace.stages.semantic import CANDIDATE_MIN_COSINE, document_vector, semantic_candidates

    errors: list[InputError] = []
    queries: list[Document] = []
    for item in read_inputs([path]):
        (errors if isinstance(item, InputError) else queries).append(item)  # type: ignore[arg-type]
    relations: list[Relation] = []
    indexed = store.get_fingerprints()
    vectors: dict[str, dict[str, np.ndarray]] = {}
    langs = _languages(store)
    if semantic and queries:
        embed_documents(store, threads=workers)
        # The multilingual vectors exist only in a multilingual index (embed_documents).
        names = [ENGLISH_MODEL] + ([MULTILINGUAL_MODEL] if len({x for x in langs.values() if x}) > 1 else [])
        vectors = {name: _vectors(store, name, workers) for name in names}
    for q in queries:
        q.id = f"query:{q.id}"
        _prepare(q, frozenset(), changes)
        pairs = set(find_candidates(indexed, queries=[fingerprint(q)]))
        if vectors:
            from newstrace.stages.embed import get_embedder

            texts = [x.text for x in split_sentences(q.text)]
            for name, stored in vectors.items():
                pool = {i: v for i, v in stored.items()
                        if (name == ENGLISH_MODEL and q.language == "en")
                        or (name == MULTILINGUAL_MODEL and langs.get(i) != q.language)}
                if not pool or not texts:
                    continue
                q_vecs = get_embedder(name, threads=workers).encode(texts)
                vectors[name] = {**stored, q.id: q_vecs}
                ids = sorted(pool)
                pairs |= set(semantic_candidates(
                    ids, np.stack([document_vector(pool[i]) for i in ids]), k=10,
                    min_cosine=SEMANTIC_CANDIDATE_COSINE if name == ENGLISH_MODEL else CANDIDATE_MIN_COSINE[name],
                    query_ids=[q.id], query_vecs=document_vector(q_vecs)[None, :]))
        others = {d.id: d for d in store.get_documents(sorted({i for p in pairs for i in p if i != q.id}))}
        backs = {}
        if MULTILINGUAL_MODEL in vectors and q.id in vectors[MULTILINGUAL_MODEL]:
            # The query joins the collection its sentences' backgrounds are measured in.
            backs = translation_backgrounds([(i, q.id) for p in pairs for i in p if i != q.id],
                                            {**langs, q.id: q.language}, vectors[MULTILINGUAL_MODEL])
        tasks = [(others[i], q, changes, *_pair_vectors(others[i], q, vectors), *backs.get((i, q.id), (None, None)))
                 for p in sorted(pairs) for i in p if i != q.id and i in others]
        for r in map_items(_relate_task, tasks, workers=_workers(workers, len(tasks))):
            if isinstance(r, InputError):
                errors.append(r)
            elif r is not None:
                relations.append(r)
    return ScanResult(queries, relations, errors, {"documents": len(queries), "relations": len(relations)})
