"""Connected components of an edge list, each named by its smallest vertex.

The one union-find behind the families (``families.build_families``: documents joined by
relations) and the Spark engine's components (``engines.spark.graph``: each partition's edges
contracted to stars, then the stars in one task), so that both name a component alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["union_find_roots"]


def union_find_roots(edges: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """``(vertex, root)`` for every vertex of ``edges`` but the roots: the root is the smallest
    vertex of its component in these edges alone (union by the smaller id, paths halved)."""
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(parent.setdefault(a, a)), find(parent.setdefault(b, b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    for v in parent:
        root = find(v)
        if root != v:
            yield v, root
