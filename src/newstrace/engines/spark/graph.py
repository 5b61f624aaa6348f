"""Connected components on Spark: iterative minimum-label propagation.

Every vertex starts with its own id as label; each round, every vertex takes the smallest
label among itself and its neighbours (the edges joined with the labels, then one
``reduceByKey`` that keeps the smallest label heard and the vertex's previous one), until no
label changes.  The rounds needed are the largest component's diameter (Kang, Tsourakakis &
Faloutsos, *PEGASUS*, ICDM 2009, "HCC"); families of copies and shingle components are shallow
(a star around the original), so a few rounds suffice.  Labels end as the smallest id in each
component, the id a union-find rooted at the minimum gives, and the driver never holds the graph.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_ROUNDS", "connected_components", "narrow"]

#: A safety stop: a component's diameter above this would mean a chain of copies of copies
#: 200 generations deep.
MAX_ROUNDS = 200

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
    links = narrow(edges, partitions).flatMap(_undirected).distinct(partitions).cache()
    labels = (narrow(vertices.map(lambda v: (v, v)).union(links.map(lambda e: (e[0], e[0]))), partitions)
              .reduceByKey(min, partitions).cache())
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
    return labels
