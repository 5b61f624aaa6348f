"""Families and stories on Spark: connected components, then the local step per component.

* families: the relation graph's components (``graph.connected_components``); each component's
  documents, relations and compared pairs are grouped into one task, which runs
  ``families.build_families``, aligns the members with the parents they were never compared with
  (``families.unaligned_parents``, the relate step with the context ``pipeline.organise`` gives)
  and builds the family again, as ``pipeline.organise`` does.
* stories: story representatives (a family's earliest-sorting member, lone documents) get
  their features (``stories.document_features``); document frequencies over them are a
  ``reduceByKey``; every pair of representatives sharing a name (no other pair has a story
  similarity above 0) is scored (``story_similarity``), each representative's usual similarity
  taken over them (``usual_similarity``), and the pairs whose contrast reaches the clustering
  threshold joined; each component of that graph is clustered by ``stories.update_stories``
  with the collection's counts and usual similarities.  Average-link never merges two groups
  without a pair past the threshold, so no story crosses a component and each component's
  stories are those of the whole run.
"""

from __future__ import annotations

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


def _products(members: Any) -> list[tuple[tuple[str, str], float]]:
    """One name's share of the names cosine of every two representatives carrying it."""
    found = sorted(members)
    return [((a, b), wa * wb) for i, (a, wa) in enumerate(found) for b, wb in found[i + 1 :]]


def _score(item: tuple[str, Any]) -> tuple[tuple[str, str], float]:
    from newstrace.stages.stories.cluster import story_similarity

    b, ((a, va), vb) = item
    return (a, b), story_similarity(va, vb, STORY.max_gap_days)


def _usual_of(item: tuple[str, Any]) -> tuple[str, tuple[float, list[tuple[tuple[str, str], float]]]]:
    """A representative's usual similarity over its scored pairs, and those pairs."""
    rep, pairs = item
    found = list(pairs)
    return rep, (usual_similarity([score for _, score in found], STORY.neighbours), found)


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
    # Every pair with a story similarity above 0 shares a name (the score is the geometric mean
    # of the content and the names cosines): the names cosine of every such pair is summed from
    # each name's products (a sparse dot product by reduceByKey) and those pairs are scored in
    # full.  Each representative's usual similarity (the mean of its ``neighbours`` highest) is
    # then known over the whole collection, and a pair is an edge when its contrast may pass the
    # threshold (``stories.contrast_matrix``; every pair counted as dated close together, whose
    # bar is lowered by ``close_discount``: a superset of the edges, the components' clustering
    # then applies the dates exactly).
    candidates = (vectors.flatMap(lambda x: [(name, (x[0], w)) for name, w in x[1][1].items()])
                  .groupByKey(partitions).values().flatMap(_products).reduceByKey(add, partitions)
                  .filter(lambda x: x[1] > 0).keys())
    scored = (candidates.join(vectors, partitions).map(lambda x: (x[1][0], (x[0], x[1][1])))
              .join(vectors, partitions).map(_score).filter(lambda x: x[1] > 0))
    # Each representative's scored pairs in one task: its usual similarity, sent with each pair;
    # the pair then meets both ends' usual similarities in one reduce.
    ends = scored.flatMap(lambda x: [(x[0][0], x), (x[0][1], x)]).groupByKey(partitions).map(_usual_of).cache()
    usual = ends.mapValues(lambda u: u[0])
    edges = (ends.flatMap(lambda x: [(pair, (score, x[1][0])) for pair, score in x[1][1]])
             .reduceByKey(lambda a, b: (a[0], a[1] * b[1]), partitions)
             .filter(lambda x: x[1][0] - max(STORY.floor, x[1][1] ** 0.5 - STORY.close_discount)
                     >= STORY.threshold - _EDGE_SLACK)
             .keys())
    comp = connected_components(reps.keys(), edges, partitions=partitions)
    # Everything a component's clustering needs is keyed by a representative: one join with the
    # components, one grouping by component.
    by_rep = (rep_of.map(lambda x: (x[1], ("doc", x[2]))).union(families.map(lambda f: (min(f.members), ("family", f))))
              .union(terms_df.mapValues(lambda t: ("term", t))).union(usual.map(lambda x: (x[0], ("usual", x)))))
    rows = narrow(by_rep, partitions).join(comp, partitions).map(lambda x: (x[1][1], x[1][0]))
    stories = rows.groupByKey(partitions).flatMap(lambda i: _story_task(i, size))
    return stories
