"""The HTML report's family graphs: inline SVG, nodes linking to pair views."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from newstrace.report.family_svg import MAX_NODES, families_section, family_svg
from newstrace.report.html import render_html
from newstrace.types import Direction, Document, Family, FamilyEdge, Relation, Story


def _family(n: int) -> Family:
    edges = [FamilyEdge("root", f"c{i}", "verbatim", True, 0.9, "published-date") for i in range(n)]
    edges.append(FamilyEdge("c0", "c1", "near-duplicate", False, 0.5, "undetermined"))
    return Family("F1", "root", ("root", *(f"c{i}" for i in range(n))), tuple(edges))


def test_svg_is_well_formed_and_links_each_node_to_its_pair_view() -> None:
    svg = family_svg(_family(3), {("root", "c0"): 0, ("root", "c1"): 1, ("root", "c2"): 2}, {"root": 7})
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    links = {a.get("data-id"): a.get("href") for a in root.iter(f"{ns}a")}
    assert links == {"root": "#doc7", "c0": "#rel0", "c1": "#rel1", "c2": "#rel2"}
    assert len([x for x in root.iter(f"{ns}line") if x.get("data-testid") == "family-edge"]) == 3


def test_large_family_is_capped_and_says_so() -> None:
    html = families_section([_family(MAX_NODES + 40)], [], [], {})
    assert html.count('data-testid="family-node"') == MAX_NODES
    assert "41 more members not drawn" in html


def test_report_has_families_section_without_external_resources() -> None:
    doc = Document(id="root", raw="a b c", text="a b c")
    rel = Relation("root", "c0", "verbatim", 0.9, Direction("containment", "x"), 1.0, 1.0, ())
    story = Story("S1", "Label", ("c0", "root"), ("F1",))
    html = render_html([doc], [rel], [], families=[_family(1)], stories=[story])
    assert 'href="#families"' in html and 'data-testid="family-graph"' in html
    assert 'data-testid="story-row"' in html
    assert not re.search(r"(?i)\bsrc\s*=\s*[\"']?(?:https?:)?//", html)
