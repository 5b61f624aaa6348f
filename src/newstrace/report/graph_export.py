"""Families as graphs other tools read: GraphML (Gephi, yEd, networkx, igraph) and JSON Graph
Format v2 (jsongraphformat.info).

Nodes are documents (with title, site, published, and whether each is a family's root) and
hypothetical archetypes; edges are family edges with type, primary, confidence, direction and
evidence.  Passages stay in the scan JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from newstrace.types import Document, Family

__all__ = ["to_graphml", "to_json_graph", "write_graph"]

_NODE_KEYS = (("family", "string"), ("root", "boolean"), ("archetype", "boolean"), ("title", "string"),
              ("site", "string"), ("published", "string"))
_EDGE_KEYS = (("type", "string"), ("primary", "boolean"), ("confidence", "double"), ("direction", "string"),
              ("evidence", "string"))


def _nodes(families: Sequence[Family], docs: dict[str, Document]) -> list[dict[str, Any]]:
    out = []
    for f in families:
        ids = ([f.root] if f.archetype else []) + list(f.members)
        for node in ids:
            d = docs.get(node)
            out.append({"id": node, "family": f.id, "root": node == f.root, "archetype": f.archetype and node == f.root,
                        "title": (d.title if d else None) or "", "site": (d.site if d else None) or "",
                        "published": (d.published if d else None) or ""})
    return out


def to_json_graph(families: Sequence[Family], documents: Sequence[Document] = ()) -> dict[str, Any]:
    """JSON Graph Format v2: ``{"graphs": [...]}``, one directed graph per family."""
    docs = {d.id: d for d in documents}
    graphs = []
    for f in families:
        nodes = {n["id"]: {"label": n["title"] or n["id"], "metadata": n} for n in _nodes([f], docs)}
        edges = [{"source": e.source, "target": e.target, "relation": e.type,
                  "metadata": {"primary": e.primary, "confidence": e.confidence, "direction": e.direction,
                               "evidence": list(e.evidence)}} for e in f.edges]
        graphs.append({"id": f.id, "directed": True, "type": "newstrace-family",
                       "metadata": {"root": f.root, "archetype": f.archetype, "root_evidence": list(f.root_evidence)},
                       "nodes": nodes, "edges": edges})
    return {"graphs": graphs}


def to_graphml(families: Sequence[Family], documents: Sequence[Document] = ()) -> str:
    """GraphML: one directed graph holding every family (node attribute ``family``)."""
    docs = {d.id: d for d in documents}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
             'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for name, kind in _NODE_KEYS:
        lines.append(f'  <key id="n_{name}" for="node" attr.name="{name}" attr.type="{kind}"/>')
    for name, kind in _EDGE_KEYS:
        lines.append(f'  <key id="e_{name}" for="edge" attr.name="{name}" attr.type="{kind}"/>')
    lines.append('  <graph id="families" edgedefault="directed">')
    seen: set[str] = set()
    for n in _nodes(families, docs):
        if n["id"] in seen:
            continue
        seen.add(n["id"])
        lines.append(f'    <node id={quoteattr(n["id"])}>')
        for name, kind in _NODE_KEYS:
            value = str(n[name]).lower() if kind == "boolean" else escape(str(n[name]))
            lines.append(f'      <data key="n_{name}">{value}</data>')
        lines.append("    </node>")
    k = 0
    for f in families:
        for e in f.edges:
            lines.append(f'    <edge id="e{k}" source={quoteattr(e.source)} target={quoteattr(e.target)}>')
            lines.append(f'      <data key="e_type">{escape(e.type)}</data>')
            lines.append(f'      <data key="e_primary">{str(e.primary).lower()}</data>')
            lines.append(f'      <data key="e_confidence">{e.confidence}</data>')
            lines.append(f'      <data key="e_direction">{escape(e.direction)}</data>')
            lines.append(f'      <data key="e_evidence">{escape(" | ".join(e.evidence))}</data>')
            lines.append("    </edge>")
            k += 1
    lines += ["  </graph>", "</graphml>"]
    return "\n".join(lines) + "\n"


def write_graph(path: str, families: Sequence[Family], documents: Sequence[Document] = ()) -> str:
    """Write ``families`` to ``path``: GraphML for ``.graphml``/``.xml``, JSON Graph for ``.json``.

    Raises:
        ValueError: for another extension, naming the ones accepted.
    """
    low = path.lower()
    if low.endswith((".graphml", ".xml")):
        text = to_graphml(families, documents)
    elif low.endswith(".json"):
        text = json.dumps(to_json_graph(families, documents), ensure_ascii=False, indent=1) + "\n"
    else:
        raise ValueError(f"{path}: graph format unknown; name the file .graphml (GraphML) or .json (JSON Graph)")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return text
