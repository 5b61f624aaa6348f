"""Connected components on Spark: union-find inside partitions, then one task or label propagation.

1. **Contraction.**  Each partition of the edges runs a union-find over its own edges and emits
   every vertex it saw with the smallest vertex of its partition-local component: a forest of
   stars whose components are the graph's (an edge's two ends share a local root), with at
   most one edge a vertex and a partition, whatever the input's chains and duplicates.
2. **One task**, when the stars number at most :data:`SINGLE_TASK_EDGES`: a union-find over
   all of them in one task finishes the components in one pass.
3. **Label propagation** otherwise: every vertex starts with its own id as label; each round,
   every vertex takes the smallest label among itself and its neighbours (the edges joined
   with the labels, then one ``reduceByKey``), until no label changes (Kang, Tsourakakis &
   Faloutsos, *PEGASUS*, ICDM 2009, "HCC"; the rounds are the stars' diameter, small).

Each Spark round is a few shuffles, a second or more of task overhead on a busy machine; a
chain of copies of copies needed as many rounds as it is long.  Labels end as the smallest id
in each component, the id a union-find rooted at the minimum gives; the driver never holds the
graph, and one task holds at most the contracted one.
"""

from __future__ import annotations

from typing import Any

from newstrace.stages.components import union_find_roots

__all__ = ["MAX_ROUNDS", "SINGLE_TASK_EDGES", "connected_components", "narrow"]

#: A safety stop: a component's diameter above this would mean a chain of copies of copies
#: 200 generations deep.
MAX_ROUNDS = 200

#: Contracted edges (one a vertex and a partition) a single task takes to a union-find: a
#: Python dict of two million vertices is a few hundred MB, an executor's share.  Beyond it the
#: components are finished by label propagation over the contracted graph.
SINGLE_TASK_EDGES = 2_000_000

#: ``(smallest label heard, the vertex's own label before the round)``
_Heard = tuple[Any, Any]


def narrow(rdd: Any, partitions: int | None) -> Any:
    """``rdd`` in at most ``partitions`` partitions without a shuffle: a union adds its inputs'
    partitions up, and every partition is a Python task (about a second of overhead each on a
    busy machine), so unions are narrowed before the shuffle that follows them."""
    if partitions and rdd.getNumPartitions() > partitions:
        return rdd.coalesce(partitions)
    return rdd


def _undirected(edge: tuple[Any, Any]) -> list[tuple[Any, Any]]:
    a, b = edge
    return [(a, b), (b, a)] if a != b else []


def _merge(x: _Heard, y: _Heard) -> _Heard:
    return (x[0] if x[0] <= y[0] else y[0]), (x[1] if x[1] is not None else y[1])


def connected_components(vertices: Any, edges: Any, *, partitions: int | None = None) -> Any:
    """``(vertex, component)`` for every vertex, the component named by its smallest vertex.

    Args:
        vertices: an RDD of vertex ids (duplicates allowed); vertices only in ``edges`` count too.
        edges: an RDD of ``(a, b)`` pairs.
        partitions: partitions of the label RDD (``None``: Spark's default).
    """
    stars = narrow(edges, partitions).mapPartitions(union_find_roots).cache()
    # Every vertex named once with itself: the given ones, and each local root (every other
    # vertex of an edge is in ``stars`` with a smaller label).  Self-loops name no vertex.
    own = vertices.map(lambda v: (v, v)).union(stars.map(lambda e: (e[1], e[1])))
    if stars.count() <= SINGLE_TASK_EDGES:
        roots = stars.coalesce(1).mapPartitions(union_find_roots)
        # ``stars`` stays cached until the RDD is let go (Spark's cleaner unpersists it then): an
        # action here only to unpersist it now would cost a job.
        return narrow(own.union(roots), partitions).reduceByKey(min, partitions).cache()
    links = stars.flatMap(_undirected).distinct(partitions).cache()
    labels = narrow(own.union(stars), partitions).reduceByKey(min, partitions).cache()
    for _ in range(MAX_ROUNDS):
        heard = links.join(labels, partitions).map(lambda x: (x[1][0], (x[1][1], None)))
        rounds = (narrow(labels.mapValues(lambda label: (label, label)).union(heard), partitions)
                  .reduceByKey(_merge, partitions).cache())
        changed = rounds.filter(lambda x: x[1][0] != x[1][1]).count()
        labels.unpersist()
        labels = rounds.mapValues(lambda h: h[0]).cache()
        if changed == 0:
            break
    links.unpersist()
    stars.unpersist()
    return labels
