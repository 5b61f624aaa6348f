"""The scan's steps as Spark jobs, each over the step functions of ``newstrace.stages``.

* boilerplate: ``clean.document_lines`` per document; carriers of each short line by a
  ``groupByKey``; the sampled carriers' sketches joined in by document; ``clean.count_unrelated``
  per line.  Only the recurring line keys (a site's chrome, a few per site) reach the driver,
  to be broadcast to the cleaning step.
* prepare: ``prepare.prepare_task`` per document.
* candidates: ``candidates.plan_pairs`` as jobs: shingle band keys grouped into buckets,
  components by label propagation (``graph.connected_components``), all pairs of small
  components' buckets (``shingle_bucket_pairs``), nearest members in large ones
  (``nearest_pairs``, one component per task), sentence band keys grouped into buckets
  (``sentence_bucket_pairs``), each verified pair kept or not from its later-read document's
  side (``nearest_earlier``, one document per group).
* relate: each pair joined with both documents by id (and, in the semantic layer, with their
  sentence vectors and its translation backgrounds), ``relate.relate_task_limited`` per pair.
"""

from __future__ import annotations

from operator import add
from typing import TYPE_CHECKING, Any

import numpy as np

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.stages.candidates import (
    DEFAULT_CONFIG,
    PLAN_NEIGHBOURS,
    PLAN_SMALL_COMPONENT,
    Fingerprint,
    SentenceMember,
    arrived_at,
    band_keys,
    nearest_earlier,
    nearest_pairs,
    sentence_bucket_pairs,
    shingle_bucket_pairs,
)
from newstrace.stages.clean import DEFAULT_CONFIG as CLEAN
from newstrace.stages.clean import count_unrelated, document_lines, sampled_carriers
from newstrace.types import Document, InputError, Relation

from .graph import connected_components, narrow

if TYPE_CHECKING:
    from newstrace.stages.vectors import Vectors

__all__ = ["plan_spark_pairs", "recurring_spark_lines", "relate_spark_pairs"]

Pair = tuple[str, str]


# -- boilerplate -----------------------------------------------------------------------------------


def _doc_sketch(lines: list[tuple[int, frozenset[int], int]]) -> tuple[frozenset[int], int]:
    return frozenset().union(*(sh for _, sh, _ in lines)), sum(n for _, _, n in lines)


def _sample(item: tuple[int, Any]) -> list[tuple[int, tuple[int, int, frozenset[int], int]]]:
    key, carriers = item
    found = sorted(carriers, key=lambda c: c[0])
    if len(found) < CLEAN.recurring_min_docs:
        return []
    _, line, words = found[0]
    return [(found[i][0], (key, pos, line, words)) for pos, i in enumerate(sampled_carriers(len(found)))]


def _unrelated(item: tuple[int, Any]) -> tuple[int, int]:
    key, sampled = item
    rows = sorted(sampled, key=lambda r: r[0])
    _, _, _, line, words = rows[0]
    return key, count_unrelated(line, words, ((sketch, n) for _, sketch, n, _, _ in rows))


def recurring_spark_lines(ordered: Any) -> frozenset[int]:
    """``clean.recurring_lines`` over an RDD of ``(position key, Document)`` (keys sort in
    collection order).

    Every document's lines are sketched once; the carriers of each short line are grouped by
    line key, sampled in collection order (as the local step samples them), and only the
    sampled carriers' whole-text sketches are joined in.
    """
    lines = ordered.mapValues(lambda d: document_lines(d.raw)).cache()
    carriers = lines.flatMap(lambda x: [(k, (x[0], sh, n)) for k, sh, n in x[1] if n <= CLEAN.recurring_max_words])
    sampled = carriers.groupByKey().flatMap(_sample)
    sketches = lines.mapValues(_doc_sketch)
    joined = sampled.join(sketches).map(lambda x: (x[1][0][0], (x[1][0][1], x[1][1][0], x[1][1][1],
                                                                  x[1][0][2], x[1][0][3])))
    keys = (joined.groupByKey().map(_unrelated).filter(lambda kv: kv[1] >= CLEAN.recurring_min_docs)
            .keys().collect())
    lines.unpersist()
    return frozenset(keys)


# -- candidates ------------------------------------------------------------------------------------


def _nearest(item: tuple[str, Any]) -> list[Pair]:
    _, members = item
    ordered = sorted(members)  # the local plan's order: fingerprints by document id
    ids = [i for i, _ in ordered]
    found = nearest_pairs(list(range(len(ids))), [d for _, d in ordered], PLAN_NEIGHBOURS)
    return [(ids[a], ids[b]) for a, b in found]


def _sentence_members(item: tuple[str, tuple[Fingerprint, tuple[str, bool]]]) -> list[tuple[tuple[int, ...],
                                                                                             SentenceMember]]:
    doc_id, (fp, (comp, large)) = item
    out: list[tuple[tuple[int, ...], SentenceMember]] = []
    for s, digest in enumerate(fp.sentences):
        member = SentenceMember(doc_id, s, comp, large, fp.sentence_terms[s])
        out.extend((key, member) for key in band_keys(digest, DEFAULT_CONFIG.sentence_bands))
    return out


def _sentence_bucket(members: Any) -> tuple[list[Pair], str | None]:
    return sentence_bucket_pairs(sorted(members, key=lambda m: (m.doc, m.sentence)))


def _sorted_pair(p: tuple[str, str]) -> Pair:
    a, b = p
    return (a, b) if a < b else (b, a)


Arrived = tuple[str, Any, Any]  # (id, arrival sort key, shingle digest)


def _kept_earlier(item: tuple[str, Any]) -> tuple[list[Pair], int]:
    """``candidates.nearest_earlier`` for one later-read document and its earlier partners: the
    pairs kept (ids sorted), and 1 when it kept only its nearest."""
    _, group = item
    pairs = sorted(group, key=lambda x: x[1][0])
    me = pairs[0][0]
    earlier = [e for _, e in pairs]
    kept = nearest_earlier(me[2], earlier)
    return [(d, me[0]) if d < me[0] else (me[0], d) for d in kept], int(len(kept) < len(earlier))


def _oriented(item: tuple[str, tuple[tuple[str, Arrived], Arrived]]) -> tuple[str, tuple[Arrived, Arrived]]:
    """``(b, ((a, arrived a), arrived b))`` as ``(later id, (later, earlier))``."""
    _, ((_, x), y) = item
    return (x[0], (x, y)) if x[1] > y[1] else (y[0], (y, x))


def plan_spark_pairs(fingerprints: Any, *, arrivals: Any = None, partitions: int | None = None,
                     families: bool = False) -> tuple[Any, dict[str, int], Any]:
    """``candidates.plan_pairs`` over an RDD of ``(id, Fingerprint)``: an RDD of distinct pairs
    (ids sorted), the plan's counters and, with ``families``, an RDD of ``(id, component)`` of
    the documents in large components (``candidates.large_components``: the families planned by
    nearest members; cached, for ``semantic.spark_screen_meaning``), else ``None``.
    ``arrivals``: an RDD of ``(id, reading-order key)``, the order ``plan_pairs``'s ``arrival``
    gives (``None``: id order)."""
    bands = DEFAULT_CONFIG.doc_bands
    buckets = (fingerprints.flatMap(lambda x: [(k, x[0]) for k in band_keys(x[1].shingles, bands)] if x[1].shingles else [])
               .groupByKey(partitions).mapValues(sorted).filter(lambda kv: len(kv[1]) > 1).values().cache())
    edges = buckets.flatMap(lambda m: [(m[0], x) for x in m[1:]])
    comp = connected_components(fingerprints.keys(), edges, partitions=partitions)
    sizes = comp.map(lambda x: (x[1], 1)).reduceByKey(add).cache()
    info = comp.map(lambda x: (x[1], x[0])).join(sizes).map(
        lambda x: (x[1][0], (x[0], x[1][1] > PLAN_SMALL_COMPONENT))).cache()  # id -> (component, large)

    small_pairs = (buckets.map(lambda m: (m[0], m)).join(info).filter(lambda x: not x[1][1][1])
                   .flatMap(lambda x: shingle_bucket_pairs(x[1][0])))
    # Joined once and kept: each shuffle is seconds of overhead on a small run.
    with_info = fingerprints.join(info, partitions).cache()
    large_pairs = (with_info.filter(lambda x: x[1][1][1])
                   .map(lambda x: (x[1][1][0], (x[0], x[1][0].shingles))).groupByKey(partitions).flatMap(_nearest))
    verdicts = (with_info.flatMap(_sentence_members).groupByKey(partitions)
                .mapValues(_sentence_bucket).values().cache())
    keyed = arrivals if arrivals is not None else fingerprints.map(lambda x: (x[0], 0))
    arrived = keyed.join(fingerprints, partitions).map(
        lambda x: (x[0], (x[0], arrived_at(x[0], x[1][0]), x[1][1].shingles))).cache()
    chosen = (verdicts.flatMap(lambda v: v[0]).map(_sorted_pair).distinct(partitions)
              .join(arrived).map(lambda x: (x[1][0], (x[0], x[1][1]))).join(arrived)
              .map(_oriented).groupByKey(partitions).map(_kept_earlier).cache())
    sentence_pairs = chosen.flatMap(lambda v: v[0])
    pairs = (narrow(small_pairs.union(large_pairs).union(sentence_pairs), partitions).map(_sorted_pair)
             .distinct(partitions).cache())

    size_stats = sizes.values().map(lambda s: (int(s > 1), s, int(s > PLAN_SMALL_COMPONENT), s * (s - 1) // 2)).fold(
        (0, 0, 0, 0), lambda a, b: (a[0] + b[0], max(a[1], b[1]), a[2] + b[2], a[3] + b[3]))
    counted = verdicts.map(lambda v: v[1]).filter(lambda v: v is not None).countByValue()
    stats = {"components": size_stats[0], "largest_component": size_stats[1], "large_components": size_stats[2],
             "pairs": pairs.count(), "pairs_all_pairs": size_stats[3],
             "skipped_buckets": int(counted.get("skipped", 0)), "absorbed_buckets": int(counted.get("absorbed", 0)),
             "sentence_nearest": int(chosen.map(lambda v: v[1]).sum())}
    chosen.unpersist()
    with_info.unpersist()
    arrived.unpersist()
    buckets.unpersist()
    verdicts.unpersist()
    sizes.unpersist()
    large = None
    if families:
        large = info.filter(lambda x: x[1][1]).map(lambda x: (x[0], x[1][0])).cache()
        large.count()  # made while info is cached
    info.unpersist()
    return pairs, stats, large


# -- relate ----------------------------------------------------------------------------------------


def relate_one(a: Document, b: Document, changes: bool, seconds: float,
               vectors: Vectors | None = None,
               backgrounds: tuple[np.ndarray, np.ndarray] | None = None) -> Relation | InputError | None:
    """The relate step on one pair, with the context the local ``link`` gives it
    (``vectors.pair_context``): the pair's sentence vectors per model and, for a
    cross-language pair, its translation backgrounds (the lexical layer: neither)."""
    from newstrace.stages.relate.pair import relate_task_limited
    from newstrace.stages.vectors import pair_context

    backs = {(a.id, b.id): backgrounds} if backgrounds is not None else {}
    return relate_task_limited((a, b, pair_context(a, b, vectors or {}, backs, changes=changes), seconds))


def _pair_vectors(a: Document, b: Document, va: dict[str, np.ndarray] | None,
                  vb: dict[str, np.ndarray] | None) -> Vectors:
    """The ``Vectors`` of one pair: each model's sentence vectors of its two documents."""
    out: Vectors = {}
    for doc, found in ((a, va), (b, vb)):
        for model, v in (found or {}).items():
            out.setdefault(model, {})[doc.id] = v
    return out


def _relate_joined(item: tuple[str, tuple[tuple[str, Any, Any], Any]], changes: bool,
                   seconds: float) -> tuple[Pair, Relation | InputError | None]:
    b_id, ((a_id, (a, va), back), (b, vb)) = item
    return (a_id, b_id), relate_one(a, b, changes, seconds, _pair_vectors(a, b, va, vb), back)


def relate_spark_pairs(pairs: Any, documents: Any, *, changes: bool, limits: Limits = DEFAULT_LIMITS,
                       partitions: int | None = None, vectors: Any = None, backgrounds: Any = None) -> Any:
    """``((a, b), Relation | InputError | None)`` for every pair of an RDD of pairs, both
    documents joined in by id from an RDD of ``(id, Document)``.

    Args:
        vectors: the semantic layer's sentence vectors (``semantic.spark_embed``), joined to
            each pair's documents; ``None``: the lexical layer.
        backgrounds: ``((a, b), (background of a, background of b))`` of the cross-language
            pairs (``semantic.spark_backgrounds``), joined to the pairs.
    """
    seconds = limits.pair_seconds
    if vectors is None:
        docs = documents.mapValues(lambda d: (d, None))
    else:
        docs = documents.leftOuterJoin(vectors, partitions).mapValues(
            lambda x: (x[0], x[1][1] if x[1] is not None else None))
    keyed = (pairs.map(lambda p: (p, None)) if backgrounds is None
             else pairs.map(lambda p: (p, None)).leftOuterJoin(backgrounds, partitions).mapValues(lambda x: x[1]))
    with_a = keyed.map(lambda x: (x[0][0], (x[0][1], x[1]))).join(docs, partitions).map(
        lambda x: (x[1][0][0], (x[0], x[1][1], x[1][0][1])))
    return with_a.join(docs, partitions).map(lambda x: _relate_joined(x, changes, seconds))
