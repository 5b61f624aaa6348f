"""GraphML and JSON Graph exports of families."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from newstrace.report.graph_export import write_graph
from newstrace.types import Family, FamilyEdge

FAM = Family("F1", "archetype:F1", ("a", "b & c"), (
    FamilyEdge("archetype:F1", "a", "paraphrase", True, 0.0, "undetermined", ("x <y>",)),
    FamilyEdge("archetype:F1", "b & c", "paraphrase", True, 0.0, "undetermined"),
    FamilyEdge("a", "b & c", "paraphrase", False, 0.7, "undetermined", ("z",)),
), archetype=True)


def test_graphml_parses_with_nodes_and_edges(tmp_path: Path) -> None:
    path = tmp_path / "f.graphml"
    write_graph(str(path), [FAM])
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.parse(path).getroot()
    nodes = {n.get("id") for n in root.iterfind(".//g:node", ns)}
    assert nodes == {"archetype:F1", "a", "b & c"}
    edges = root.findall(".//g:edge", ns)
    assert len(edges) == 3
    primary = [e for e in edges if e.find("g:data[@key='e_primary']", ns).text == "true"]  # type: ignore[union-attr]
    assert len(primary) == 2


def test_json_graph(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    write_graph(str(path), [FAM])
    [g] = json.loads(path.read_text())["graphs"]
    assert g["directed"] and g["metadata"]["archetype"] and set(g["nodes"]) == {"archetype:F1", "a", "b & c"}
    assert [e["metadata"]["primary"] for e in g["edges"]] == [True, True, False]


def test_unknown_extension_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.graphml"):
        write_graph(str(tmp_path / "f.dot"), [FAM])
