"""Families and stories on Spark: connected components, then the local step per component.

* families: the relation graph's components (``graph.connected_components``); each component's
  documents, relations and compared pairs are grouped into one task, which runs
  ``families.build_families``, aligns the members with the parents they were never compared with
  (``families.unaligned_parents``, the relate step with the context ``pipeline.organise`` gives)
  and builds the family again, as ``pipeline.organise`` does.
* stories: story representatives (a family's earliest-sorting member, lone documents) get
  their features (``stories.document_features``); document frequencies over them are a
  ``reduceByKey``; every pair of representatives sharing a name (no other pair has a story
  similarity above 0) is scored (``story_similarity``) in the task of its block pair (the
  representatives cut into blocks by a hash, each vector sent to its block's pairs), each
  representative's usual similarity taken over them (``usual_similarity`` of the highest scores
  of every task), and the pairs whose contrast reaches the clustering threshold joined; each
  component of that graph is clustered by ``stories.update_stories``
  with the collection's counts and usual similarities.  Average-link never merges two groups
  without a pair past the threshold, so no story crosses a component and each component's
  stories are those of the whole run.
"""

from __future__ import annotations

import math
import zlib
from operator import add
from typing import Any

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.stages.stories.cluster import DEFAULT_CONFIG as STORY
from newstrace.stages.stories.cluster import usual_similarity
from newstrace.types import Document, Family, InputError, Relation, Story

from .graph import connected_components, narrow
from .steps import relate_one

__all__ = ["spark_families", "spark_stories"]

#: Edges of the story graph are taken this much below the threshold: the pair score is summed
#: in another order than the clustering's matrix, and a component too large costs nothing.
_EDGE_SLACK = 1e-6


def _family_task(item: tuple[str, Any], seconds: float) -> list[Family | Relation | InputError]:
    from newstrace.stages.families import build_families, unaligned_parents

    _, rows = item
    # In the local store's order (documents by id, relations by source and target): the family
    # builder breaks ties in the order it is given.
    docs = dict(sorted((r[1].id, r[1]) for r in rows if r[0] == "doc"))
    rels: list[Relation] = sorted((r[1] for r in rows if r[0] == "rel"), key=_by_ends)
    done = {r[1] for r in rows if r[0] == "pair"}
    families = build_families(list(docs.values()), rels)
    missing = sorted(unaligned_parents(families, docs) - done)
    out: list[Family | Relation | InputError] = []
    if missing:
        for a, b in missing:
            found = relate_one(docs[a], docs[b], False, seconds)
            if found is not None:
                out.append(found)
        rels = sorted(rels + [r for r in out if isinstance(r, Relation)], key=_by_ends)
        families = build_families(list(docs.values()), rels)
    return [*families, *out]


def _by_ends(r: Relation) -> tuple[str, str]:
    return r.source, r.target


def spark_families(documents: Any, relations: Any, compared: Any, *, limits: Limits = DEFAULT_LIMITS,
                   partitions: int | None = None) -> tuple[Any, Any, Any]:
    """The families of the relation graph, with the member-parent alignments they needed.

    Args:
        documents: RDD of ``(id, Document)``.
        relations: RDD of ``Relation``.
        compared: RDD of the pairs ``(a, b)`` already compared (related or not).

    Returns:
        RDDs ``(families, new relations, errors)``.
    """
    seconds = limits.pair_seconds
    edges = relations.map(lambda r: (r.source, r.target))
    comp = connected_components(edges.flatMap(lambda e: list(e)), edges, partitions=partitions)
    # Documents, relations and compared pairs keyed by a document of theirs, so that one join
    # with the components sends each to its component (a shuffle is seconds of overhead).
    by_doc = (documents.mapValues(lambda d: ("doc", d)).union(relations.map(lambda r: (r.source, ("rel", r))))
              .union(compared.map(lambda p: (p[0], ("pair", p)))))
    rows = narrow(by_doc, partitions).join(comp, partitions).map(lambda x: (x[1][1], x[1][0]))
    built = rows.groupByKey(partitions).flatMap(lambda item: _family_task(item, seconds)).cache()
    families = built.filter(lambda x: isinstance(x, Family))
    new = built.filter(lambda x: isinstance(x, Relation))
    errors = built.filter(lambda x: isinstance(x, InputError))
    return families, new, errors


# -- stories ---------------------------------------------------------------------------------------


def _terms(feats: tuple[list[str], list[str]]) -> list[tuple[str, str]]:
    return [("c", t) for t in set(feats[0])] + [("n", t) for t in {w.lower() for w in feats[1]}]


def _collection(size: int, terms: Any) -> Any:
    from newstrace.stages.stories.cluster import StoryCollection

    content = {t: df for (kind, t), df in terms if kind == "c"}
    names = {t: df for (kind, t), df in terms if kind == "n"}
    return StoryCollection(size, content, names)


def _vector(item: tuple[str, Any], size: int) -> list[tuple[str, Any]]:
    """A representative's story vector from its ``(term, document frequency)`` rows and its
    features (none when it has no term: it shares a name with nobody)."""
    from newstrace.stages.stories.cluster import story_vector

    rep, (terms, found) = item
    terms = list(terms)
    if not terms:
        return []
    feats, published = next(iter(found))
    return [(rep, story_vector(feats, published, _collection(size, terms)))]


#: Representatives per block of the story pairs' scoring (:func:`_score_block`).  Each
#: representative's vector goes to every block pair its block is in (``blocks`` copies), and
#: each pair of representatives sharing a name is scored in the one task that holds both vectors.
#: On BBC News (2,023 representatives, 864,410 pairs sharing a name, vectors of about 3 kB) the
#: step before listed every such pair from each name's members, summed their names products by
#: ``reduceByKey`` and joined both vectors to every pair: 219 of the Spark scan's 344 s.
_BLOCK_REPS = 1000


def _block(rep: str, blocks: int) -> int:
    """The block of a representative: a hash every Python worker computes alike (``hash`` of a
    str is salted per process)."""
    return zlib.crc32(rep.encode("utf-8")) % blocks


def _vector_copies(item: tuple[str, Any], blocks: int) -> list[tuple[tuple[int, int], tuple[int, str, Any]]]:
    """A representative's vector, keyed by each block pair its block belongs to, with its block."""
    rep, vector = item
    b = _block(rep, blocks)
    return [((min(b, x), max(b, x)), (b, rep, vector)) for x in range(blocks)]


#: What :func:`_score_block` emits: ``("top", rep, scores)``, the representative's highest scores
#: in the task (at most ``neighbours``), or ``("pair", (a, b), score)``, a pair that may be an edge.
BlockOutput = tuple[str, Any, Any]


def _score_block(item: tuple[tuple[int, int], Any]) -> list[BlockOutput]:
    """Score every pair of representatives of one block pair that share a name (no other pair has
    a story similarity above 0: it is the geometric mean of the content and the names cosines)
    with ``story_similarity``, and keep what the next steps need of them: each representative's
    ``neighbours`` highest scores (its usual similarity is the mean of its highest over every
    task, :func:`_top_scores`), and the pairs that can be edges, whose score reaches the least any
    edge has (``threshold + floor``: a pair's bar is never under the floor)."""
    from newstrace.stages.stories.cluster import story_similarity

    (x, y), rows = item
    side: dict[int, dict[str, Any]] = {x: {}, y: {}}
    for block, rep, vector in rows:
        side[block][rep] = vector
    holders: dict[str, list[str]] = {}
    for rep, vector in side[y].items():
        for name in vector[1]:
            holders.setdefault(name, []).append(rep)
    least = STORY.threshold + STORY.floor - _EDGE_SLACK
    scores: dict[str, list[float]] = {}
    out: list[BlockOutput] = []
    vectors = {**side[x], **side[y]}
    for a in sorted(side[x]):
        partners = {b for name in side[x][a][1] for b in holders.get(name, ()) if x != y or a < b}
        for b in sorted(partners):
            # The lower id first, as the whole-collection steps order a pair (the cosines sum
            # over the shorter vector's terms: for two of one length, over the first's).
            pair = (a, b) if a < b else (b, a)
            score = story_similarity(vectors[pair[0]], vectors[pair[1]], STORY.max_gap_days)
            if score <= 0:
                continue
            scores.setdefault(a, []).append(score)
            scores.setdefault(b, []).append(score)
            if score >= least:
                out.append(("pair", pair, score))
    out.extend(("top", rep, _top_scores(found, [])) for rep, found in scores.items())
    return out


def _top_scores(a: list[float], b: list[float]) -> list[float]:
    """The ``neighbours`` highest of two lists of scores (``usual_similarity`` of them is that of
    all the scores: it is the mean of the highest, and rounding to float32 keeps their order)."""
    return sorted(a + b, reverse=True)[: STORY.neighbours]


def _story_task(item: tuple[str, Any], size: int) -> list[Story]:
    from newstrace.stages.stories import update_stories

    _, rows = item
    docs: list[Document] = [r[1] for r in rows if r[0] == "doc"]
    families: list[Family] = [r[1] for r in rows if r[0] == "family"]
    # A term is listed by each representative carrying it; the collection counts it once.
    terms = sorted({r[1] for r in rows if r[0] == "term"})
    usual = dict(r[1] for r in rows if r[0] == "usual")
    return update_stories(docs, families, (), STORY, collection=_collection(size, terms), usual=usual)


def spark_stories(documents: Any, families: Any, *, partitions: int | None = None) -> Any:
    """The stories of the collection (RDD of ``Story``), from ``(id, Document)`` and ``Family`` RDDs."""
    from newstrace.stages.stories.cluster import document_features

    member = families.flatMap(lambda f: [(m, (f.id, min(f.members))) for m in f.members])
    # Each document's representative: its family's earliest-sorting member, or itself.
    rep_of = documents.leftOuterJoin(member, partitions).map(
        lambda x: (x[0], x[1][1][1] if x[1][1] is not None else x[0], x[1][0])).cache()
    reps = rep_of.filter(lambda x: x[0] == x[1]).map(lambda x: (x[0], (document_features(x[2]), x[2].published))).cache()
    size = reps.count()
    rep_terms = reps.flatMap(lambda x: [(t, x[0]) for t in _terms(x[1][0])])
    df = rep_terms.map(lambda x: (x[0], 1)).reduceByKey(add, partitions)
    # rep -> (term, its document frequency); a representative's terms and features meet in one
    # cogroup (each shuffle is seconds of overhead on a small run).
    terms_df = rep_terms.join(df, partitions).map(lambda x: (x[1][0], (x[0], x[1][1]))).cache()
    vectors = terms_df.cogroup(reps, partitions).flatMap(lambda x: _vector(x, size)).cache()
    # Every pair sharing a name is scored where its two vectors meet, one task per block pair
    # (:func:`_score_block`).  Each representative's usual similarity (the mean of its
    # ``neighbours`` highest) is then known over the whole collection, and a pair is an edge when
    # its contrast may pass the threshold (``stories.contrast_matrix``; every pair counted as
    # dated close together, whose bar is lowered by ``close_discount``: a superset of the edges,
    # the components' clustering then applies the dates exactly).
    blocks = max(1, math.ceil(size / _BLOCK_REPS))
    scored = (vectors.flatMap(lambda x: _vector_copies(x, blocks))
              .groupByKey(max(partitions or 1, blocks * (blocks + 1) // 2)).flatMap(_score_block).cache())
    usual = (scored.filter(lambda x: x[0] == "top").map(lambda x: (x[1], x[2])).reduceByKey(_top_scores, partitions)
             .mapValues(lambda top: usual_similarity(top, STORY.neighbours)).cache())
    edges = (scored.filter(lambda x: x[0] == "pair").map(lambda x: (x[1][0], (x[1][1], x[2])))
             .join(usual, partitions).map(lambda x: (x[1][0][0], (x[0], x[1][0][1], x[1][1])))
             .join(usual, partitions)
             .filter(lambda x: x[1][0][1] - max(STORY.floor, (x[1][0][2] * x[1][1]) ** 0.5 - STORY.close_discount)
                     >= STORY.threshold - _EDGE_SLACK)
             .map(lambda x: (x[1][0][0], x[0])))
    comp = connected_components(reps.keys(), edges, partitions=partitions)
    # Everything a component's clustering needs is keyed by a representative: one join with the
    # components, one grouping by component.
    by_rep = (rep_of.map(lambda x: (x[1], ("doc", x[2]))).union(families.map(lambda f: (min(f.members), ("family", f))))
              .union(terms_df.mapValues(lambda t: ("term", t))).union(usual.map(lambda x: (x[0], ("usual", x)))))
    rows = narrow(by_rep, partitions).join(comp, partitions).map(lambda x: (x[1][1], x[1][0]))
    stories = rows.groupByKey(partitions).flatMap(lambda i: _story_task(i, size))
    return stories
