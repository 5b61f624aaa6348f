"""The semantic layer on Spark: embedding, candidates by meaning, translation backgrounds.

* embedding: ``vectors.embed_texts`` per partition (``mapPartitions``), in chunks of
  ``vectors.EMBED_DOCUMENTS`` documents; ``embed.get_embedder`` builds each model once per
  Python worker (workers are reused), from the pip-packaged weights.  Which document gets which
  model is the local ``embed_documents``' rule: the English model for English documents, the
  multilingual one for every document once the collection holds two languages
  (``vectors.models_for``).
* candidates by meaning: the local ``vectors.semantic_pairs`` is nearest neighbours (the
  ``NEIGHBOURS`` nearest document vectors, above the model's cosine floor), so a fixed cosine
  threshold with LSH banding cannot give its pairs: document vectors of news in one language
  are all fairly close (among 300 BBC articles the median 10th-nearest is at 0.51, the English
  floor is 0.5), so random-hyperplane bands at that threshold put nearly every pair in some
  bucket.  The documents are partitioned instead into *cells* of about :data:`CELL_DOCS`
  documents (inverted-file search, Jégou, Douze & Schmid, *Product quantization for nearest
  neighbor search*, TPAMI 2011): centroids by spherical k-means over a bounded sample, each
  document a member of its nearest cell and a query of its :data:`PROBES` nearest; each cell is
  one task, which calls the local engine's ``semantic.semantic_candidates`` (the helper
  ``semantic_pairs`` uses) for its queries against its members, and each document keeps its
  ``NEIGHBOURS`` best over the cells it probed.  A collection of at most ``CELL_DOCS`` documents
  is one cell, and that task calls ``vectors.semantic_pairs`` itself: the local pairs exactly.
  The driver sees only the counts and the k-means sample.
* the screen of those candidates: a pair found only by meaning (not a lexical candidate) whose
  two documents are English is aligned only when its static pair score reaches the floor the
  local engine holds its own candidates by meaning to (``static.screen_meaning_candidates``):
  each document's static sentence vectors are made once per partition and joined to its pairs.
* translation backgrounds: ``vectors.background_requests`` per cross-language pair decides
  which documents need a background in which language (per-language sentence counts are a
  ``reduceByKey``); each language's sentences are cut into blocks of about
  :data:`BLOCK_SENTENCES`; every block task gives each query sentence its ``crosslang_k`` best
  pool sentences there; those candidates (which hold each sentence's ``crosslang_k`` best of the
  whole language) are grouped per query document and ``semantic.sentence_backgrounds`` computes
  the background from them, as the local engine does from the whole pool.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Iterator
from operator import add
from typing import Any

import numpy as np

from newstrace.stages.relate.context import ENGLISH_MODEL, MULTILINGUAL_MODEL
from newstrace.types import Document

from .graph import narrow

__all__ = ["BLOCK_SENTENCES", "CELL_DOCS", "PROBES", "embed_partition", "spark_backgrounds", "spark_embed",
           "spark_screen_meaning", "spark_semantic_pairs", "spherical_kmeans"]

#: Documents per cell of the candidate search.  A cell is one task: ``semantic_candidates``
#: builds an HNSW index over its members (a few thousand vectors: well under a second) and
#: queries it.  At most this many documents in all: one cell, the local engine's pairs exactly.
CELL_DOCS = 4000
#: Cells each document is looked up in: its true nearest neighbours are missed only when they
#: sit in none of its PROBES nearest cells.  Calibrated on all 2,225 BBC articles (English
#: model; recall of the pairs of the local whole-collection search): 4 probes of 11 cells 0.993,
#: of 51 cells 0.966, of 102 cells 0.942; 8 probes of 51 cells 0.993, of 102 cells 0.987; 16 of
#: 102 0.995.  Recall falls as cells get finer against the neighbourhoods, so a crawl of many
#: thousand cells may want more (the cost per document grows linearly with it).
PROBES = 8
#: Sampled document vectors per cell for the k-means centroids (the sample is the only part of
#: the collection that reaches the driver: 32 x 1.5 kB per cell).
KMEANS_SAMPLE = 32
KMEANS_ROUNDS = 10
#: Pool sentences per block of the background search (one ``v @ block.T`` per query document).
BLOCK_SENTENCES = 20_000

#: ``(id, language, document vector as a 1-row matrix)``: the row form ``semantic_pairs`` takes
#: (its ``document_vector`` of one row is that row).
DocRow = tuple[str, str | None, np.ndarray]
#: ``(id, (language, {model: sentence vectors}))``
Embedded = tuple[str, tuple[str | None, dict[str, np.ndarray]]]
Pair = tuple[str, str]


# -- embedding -------------------------------------------------------------------------------------


def embed_partition(rows: Iterable[tuple[str, Document]], models: tuple[str, ...]) -> Iterator[Embedded]:
    """The sentence vectors of a partition's documents under ``models`` (the local
    ``embed_documents``' choice per document; documents without sentences get none)."""
    from newstrace.stages.vectors import EMBED_DOCUMENTS, embed_texts

    chunk: list[Document] = []

    def flush() -> Iterator[Embedded]:
        found: dict[str, dict[str, np.ndarray]] = {d.id: {} for d in chunk}
        for name in models:
            wanted = [d for d in chunk if name == MULTILINGUAL_MODEL or d.language == "en"]
            # One thread per task: Spark runs as many tasks as the executor has cores.
            for d, v in zip(wanted, embed_texts(name, wanted, threads=1), strict=True):
                if len(v):
                    found[d.id][name] = v
        for d in chunk:
            if found[d.id]:
                yield d.id, (d.language, found[d.id])
        chunk.clear()

    for _, doc in rows:
        chunk.append(doc)
        if len(chunk) >= EMBED_DOCUMENTS:
            yield from flush()
    if chunk:
        yield from flush()


def spark_embed(documents: Any) -> tuple[Any, tuple[str, ...]]:
    """The sentence vectors of an RDD of ``(id, Document)``: an RDD of :data:`Embedded` rows
    and the models used (only the distinct languages reach the driver)."""
    from newstrace.stages.vectors import models_for

    languages = documents.map(lambda x: x[1].language).distinct().collect()
    models = tuple(models_for({str(lang): lang for lang in languages}))
    return documents.mapPartitions(lambda rows: embed_partition(rows, models)), models


# -- candidates by meaning -------------------------------------------------------------------------


def spherical_kmeans(sample: np.ndarray, cells: int, rounds: int = KMEANS_ROUNDS) -> np.ndarray:
    """``cells`` unit centroids of ``sample``'s unit rows (Lloyd's algorithm on the cosine,
    started from the first ``cells`` rows: the sample is random already; an emptied cell keeps
    its centroid)."""
    x = sample / np.maximum(np.linalg.norm(sample, axis=1, keepdims=True), 1e-12)
    centroids = x[:cells].copy()
    for _ in range(rounds):
        nearest = np.argmax(x @ centroids.T, axis=1)
        for c in range(len(centroids)):
            members = x[nearest == c]
            if len(members):
                mean = members.mean(axis=0)
                centroids[c] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    out: np.ndarray = centroids.astype(np.float32)
    return out


def _whole_cell(rows: Iterable[DocRow], model: str) -> list[Pair]:
    """The local ``semantic_pairs`` over one cell holding the whole collection."""
    from newstrace.stages.vectors import semantic_pairs

    found = sorted(rows, key=lambda r: r[0])
    languages = {i: lang for i, lang, _ in found}
    return sorted(semantic_pairs(languages, {model: {i: v for i, _, v in found}}))


def _cell(rows: Iterable[tuple[str, DocRow]], model: str) -> list[tuple[str, tuple[str, float]]]:
    """One cell's candidates: its queries against its members with ``semantic_candidates``,
    each found pair given to both of its documents (``(doc, (other, cosine))``)."""
    from newstrace.stages.semantic import CANDIDATE_MIN_COSINE, semantic_candidates
    from newstrace.stages.vectors import NEIGHBOURS, SEMANTIC_CANDIDATE_COSINE

    members = sorted((r for role, r in rows if role == "m"), key=lambda r: r[0])
    queries = sorted((r for role, r in rows if role == "q"), key=lambda r: r[0])
    found: dict[Pair, float] = {}
    if model == ENGLISH_MODEL:
        if members and queries:
            # k + 1: a query that is a member of this cell finds itself first.
            found.update(semantic_candidates(
                [m[0] for m in members], np.concatenate([m[2] for m in members]), k=NEIGHBOURS + 1,
                min_cosine=SEMANTIC_CANDIDATE_COSINE, query_ids=[q[0] for q in queries],
                query_vecs=np.concatenate([q[2] for q in queries])))
    else:
        # As the local step: each language's documents against the other languages' documents.
        for lang in sorted({q[1] for q in queries}, key=str):
            others = [m for m in members if m[1] != lang]
            asked = [q for q in queries if q[1] == lang]
            if others:
                found.update(semantic_candidates(
                    [m[0] for m in others], np.concatenate([m[2] for m in others]), k=NEIGHBOURS,
                    min_cosine=CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL], query_ids=[q[0] for q in asked],
                    query_vecs=np.concatenate([q[2] for q in asked])))
    return [x for (a, b), cos in found.items() for x in ((a, (b, cos)), (b, (a, cos)))]


def _nearest_of(item: tuple[str, Iterable[tuple[str, float]]]) -> list[Pair]:
    """A document's pairs with its ``NEIGHBOURS`` best candidates over the cells it probed.

    The candidates hold the document's best of each cell it probed (and pairs other documents
    found with it, real cosines too), so their best ``NEIGHBOURS`` are its nearest over those
    cells.
    """
    from newstrace.stages.vectors import NEIGHBOURS

    doc, found = item
    best: dict[str, float] = {}
    for other, cos in found:
        best[other] = max(best.get(other, -1.0), cos)
    ranked = sorted(best.items(), key=lambda x: (-x[1], x[0]))[:NEIGHBOURS]
    return [(doc, other) if doc < other else (other, doc) for other, _ in ranked]


def _probes(row: DocRow, centroids: np.ndarray, probes: int) -> list[tuple[int, tuple[str, DocRow]]]:
    """A document as the member of its nearest cell and the query of its ``probes`` nearest."""
    order = np.argsort(-(centroids @ row[2][0]), kind="stable")[:probes]
    return [(int(order[0]), ("m", row))] + [(int(c), ("q", row)) for c in order]


def spark_semantic_pairs(embedded: Any, models: tuple[str, ...], *, partitions: int | None = None,
                         cell_docs: int = CELL_DOCS, probes: int = PROBES) -> tuple[Any, dict[str, int]]:
    """``vectors.semantic_pairs`` over an RDD of :data:`Embedded` rows: an RDD of distinct
    pairs (ids sorted) and counters (documents and cells per model).

    Args:
        embedded: the sentence vectors (:func:`spark_embed`).
        models: the models they were computed with.
        partitions: partitions of the shuffles.
        cell_docs: documents per cell (:data:`CELL_DOCS`).
        probes: cells each document is looked up in (:data:`PROBES`).
    """
    from newstrace.stages.semantic import document_vector

    sc = embedded.context
    found: list[Any] = []
    stats: dict[str, int] = {}
    for model in models:
        rows = (embedded.filter(lambda x, m=model: m in x[1][1])
                .map(lambda x, m=model: (x[0], x[1][0], document_vector(x[1][1][m])[None, :])).cache())
        n = rows.count()
        cells = max(1, math.ceil(n / cell_docs))
        stats[f"semantic_documents_{model}"] = n
        stats[f"semantic_cells_{model}"] = cells
        if n < 2:
            rows.unpersist()
            continue
        if cells == 1:
            found.append(rows.map(lambda r: (0, r)).groupByKey(1).flatMap(lambda kv, m=model: _whole_cell(kv[1], m)))
            continue
        sample = np.concatenate([r[2] for r in rows.takeSample(False, min(n, cells * KMEANS_SAMPLE), seed=17)])
        centroids = sc.broadcast(spherical_kmeans(sample, cells))
        k = min(probes, cells)
        candidates = (rows.flatMap(lambda r, c=centroids, p=k: _probes(r, c.value, p)).groupByKey(partitions)
                      .flatMap(lambda kv, m=model: _cell(kv[1], m)))
        found.append(candidates.groupByKey(partitions).flatMap(_nearest_of))
    if not found:
        return sc.parallelize([], 1), stats
    pairs = narrow(sc.union(found), partitions).distinct(partitions).cache()
    stats["semantic_pairs"] = pairs.count()
    return pairs, stats


def _static_rows(rows: Iterable[tuple[str, tuple[Document, None]]]) -> Iterator[tuple[str, np.ndarray | None]]:
    """Each document's static sentence vectors (``static.StaticEmbedder.documents``), ``None``
    for a document not in English (its pairs are not screened)."""
    from newstrace.stages.static import get_static_embedder

    docs = [doc for _, (doc, _) in rows]
    english = [d for d in docs if d.language == "en"]
    vectors = dict(zip((d.id for d in english), get_static_embedder().documents(english), strict=True))
    for d in docs:
        yield d.id, vectors.get(d.id)


def _passes_screen(item: tuple[str, tuple[tuple[str, np.ndarray | None], np.ndarray | None]]) -> list[Pair]:
    from newstrace.stages.static import PRESELECT, pair_score

    b, ((a, va), vb) = item
    if va is None or vb is None or pair_score(va, vb) >= PRESELECT.semantic_min:
        return [(a, b)]
    return []


def spark_screen_meaning(meaning: Any, lexical: Any, documents: Any, *,
                         partitions: int | None = None, families: Any = None,
                         stats: dict[str, int] | None = None) -> tuple[Any, int]:
    """The local ``vectors.screened_meaning_pairs`` on Spark: of the candidate pairs by meaning
    (:func:`spark_semantic_pairs`), those that are not lexical candidates and join two English
    documents are kept only when their static pair score reaches ``PRESELECT.semantic_min``;
    the others are kept as they are.  Those inside one family of near-copies are left to its
    plan first, as the local link leaves them (``candidates.outside_families``).  Returns the
    pairs kept (an RDD) and the number left out by the screen.

    Args:
        meaning: candidate pairs by meaning.
        lexical: the lexical candidate pairs (never screened).
        documents: the prepared ``(id, Document)`` rows.
        partitions: partitions of the joins.
        families: ``(id, component)`` of the documents in large shingle components
            (``steps.plan_spark_pairs``); ``None``: none left to the families.
        stats: receives ``meaning_in_families``, the pairs left to the families' plans.
    """
    fresh = meaning.subtract(lexical, partitions).persist()
    left = fresh
    in_families = 0
    if families is not None:
        inside = (fresh.join(families, partitions).map(lambda x: (x[1][0], (x[0], x[1][1])))
                  .join(families, partitions).filter(lambda x: x[1][0][1] == x[1][1])
                  .map(lambda x: (x[1][0][0], x[0])))
        left = fresh.subtract(inside, partitions).persist()
        in_families = fresh.count() - left.count()
    if stats is not None:
        stats["meaning_in_families"] = in_families
    ids = left.flatMap(lambda p: p).distinct(partitions).map(lambda i: (i, None))
    statics = documents.join(ids, partitions).mapPartitions(_static_rows)
    kept = (left.join(statics, partitions).map(lambda x: (x[1][0], (x[0], x[1][1])))
            .join(statics, partitions).flatMap(_passes_screen))
    screened = narrow(meaning.subtract(fresh, partitions).union(kept), partitions).distinct(partitions).persist()
    dropped = left.count() - kept.count()
    fresh.unpersist()
    left.unpersist()
    return screened, dropped


# -- translation backgrounds -----------------------------------------------------------------------


def _block(doc_id: str, blocks: int) -> int:
    return zlib.crc32(doc_id.encode("utf-8")) % blocks


def _requests(item: tuple[str, tuple[tuple[Pair, tuple[Any, int]], tuple[Any, int]]],
              sizes: dict[str | None, int]) -> list[tuple[str, Any]]:
    """One pair's verdict of ``background_requests``: ``("pair", (a, b, lang a, lang b))`` when
    it gets backgrounds, and ``("need", (doc, language))`` for each background it needs."""
    from newstrace.stages.vectors import background_requests

    _, ((pair, (lang_a, n_a)), (lang_b, n_b)) = item
    a, b = pair
    usable, wanted = background_requests([pair], {a: lang_a, b: lang_b}, {a: n_a, b: n_b}, sizes)
    out: list[tuple[str, Any]] = [("pair", (a, b, lang_a, lang_b)) for a, b in usable]
    out += [("need", (doc, lang)) for lang, ids in wanted.items() for doc in ids]
    return out


def _block_candidates(item: tuple[Any, Iterable[tuple[str, str, np.ndarray]]], k: int) -> list[tuple[Any, Any]]:
    """Each query document's candidates in one pool block: for every one of its sentences, the
    ``k`` pool sentences of other documents with the highest cosine there."""
    (lang, _), rows = item
    found = list(rows)
    pool = sorted((r for r in found if r[0] == "p"), key=lambda r: r[1])
    queries = [r for r in found if r[0] == "q"]
    if not pool or not queries:
        return []
    mat = np.concatenate([np.asarray(v, dtype=np.float32) for _, _, v in pool])
    unit = mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
    owner = np.repeat(np.arange(len(pool)), [len(v) for _, _, v in pool])
    first = np.cumsum([0] + [len(v) for _, _, v in pool])
    out: list[tuple[Any, Any]] = []
    for _, doc, vecs in queries:
        v = np.asarray(vecs, dtype=np.float32)
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        sims = v @ unit.T
        mine = [n for n, (_, i, _) in enumerate(pool) if i == doc]
        if mine:
            sims[:, owner == mine[0]] = -np.inf
        top = min(k, sims.shape[1])
        best = np.unique(np.argpartition(-sims, top - 1, axis=1)[:, :top])
        best = best[np.isfinite(sims[:, best]).any(axis=0)]
        by_doc: dict[int, list[int]] = {}
        for s in best:
            o = int(owner[s])
            by_doc.setdefault(o, []).append(int(s - first[o]))
        picked = {pool[o][1]: np.asarray(pool[o][2], dtype=np.float32)[sorted(at)] for o, at in by_doc.items()}
        out.append(((doc, lang), picked))
    return out


def _merge_pools(x: dict[str, np.ndarray], y: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    # Blocks hold disjoint documents, so one document's candidates come from one block.
    return {**x, **y}


def _background(item: tuple[tuple[str, str], tuple[dict[str, np.ndarray], np.ndarray]],
                k: int) -> tuple[tuple[str, str], np.ndarray]:
    from newstrace.stages.semantic.similarity import sentence_backgrounds

    (doc, lang), (pool, vecs) = item
    return (doc, lang), sentence_backgrounds({doc: vecs}, pool, k=k)[doc]


def spark_backgrounds(pairs: Any, embedded: Any, *, partitions: int | None = None,
                      block_sentences: int = BLOCK_SENTENCES) -> Any:
    """``vectors.translation_backgrounds`` over RDDs: ``((a, b), (background of a, background
    of b))`` for the cross-language pairs of ``pairs`` that get one.

    Args:
        pairs: candidate pairs ``(a, b)``.
        embedded: the sentence vectors (:func:`spark_embed`); only the multilingual model's count.
        partitions: partitions of the shuffles.
        block_sentences: pool sentences per block task (:data:`BLOCK_SENTENCES`).
    """
    from newstrace.stages.semantic import DEFAULT_CONFIG

    k = DEFAULT_CONFIG.crosslang_k
    multi = (embedded.filter(lambda x: MULTILINGUAL_MODEL in x[1][1])
             .map(lambda x: (x[0], (x[1][0], x[1][1][MULTILINGUAL_MODEL]))).cache())
    meta = multi.mapValues(lambda v: (v[0], len(v[1])))
    sizes: dict[str | None, int] = dict(meta.map(lambda x: x[1]).reduceByKey(add).collect())
    verdicts = (pairs.map(lambda p: (p[0], p)).join(meta, partitions).map(lambda x: (x[1][0][1], (x[1][0], x[1][1])))
                .join(meta, partitions).flatMap(lambda x: _requests(x, sizes)).cache())
    usable = verdicts.filter(lambda v: v[0] == "pair").values()
    needs = verdicts.filter(lambda v: v[0] == "need").values().distinct(partitions)
    blocks = {lang: max(1, math.ceil(n / block_sentences)) for lang, n in sizes.items()}
    # Each needed (document, language) against every block of that language's pool.
    asked = needs.join(multi, partitions).flatMap(lambda x: [((x[1][0], b), ("q", x[0], x[1][1][1]))
                                                             for b in range(blocks.get(x[1][0], 1))])
    pool = multi.filter(lambda x: x[1][0] is not None).map(
        lambda x: ((x[1][0], _block(x[0], blocks[x[1][0]])), ("p", x[0], x[1][1])))
    candidates = (narrow(asked.union(pool), partitions).groupByKey(partitions)
                  .flatMap(lambda item: _block_candidates(item, k)).reduceByKey(_merge_pools, partitions))
    own = needs.join(multi, partitions).map(lambda x: ((x[0], x[1][0]), x[1][1][1]))
    back = candidates.join(own, partitions).map(lambda item: _background(item, k))
    side_a = usable.map(lambda p: ((p[0], p[3]), (p[0], p[1]))).join(back, partitions).values()
    side_b = usable.map(lambda p: ((p[1], p[2]), (p[0], p[1]))).join(back, partitions).values()
    return side_a.join(side_b, partitions)
