"""PAN-PC-11 Spanish→English fragments written out as 70 opaque documents and scanned together.

Every English fragment should be traced to its Spanish source as a ``translation``; no false
translation relation may appear.  Two lines of the file translate overlapping text of one
source, so relations between their members are true, not false.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from newstrace.pipeline import scan

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _same_text(a: str, b: str) -> bool:
    a, b = " ".join(a.split()), " ".join(b.split())
    return a in b or b in a


def test_translations_traced_without_false_relations(data_dir: Path, tmp_path: Path) -> None:
    path = data_dir / "pan11-crosslang" / "pairs.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    group: dict[str, int] = {}
    for i, row in enumerate(rows):
        # fragments that overlap an earlier line's text belong to its group
        g = next((group[n] for n in group if _same_text(rows[group[n]]["source_text"], row["source_text"])), i)
        for side, text in (("s", row["source_text"]), ("t", row["target_text"])):
            name = hashlib.sha1(f"{side}{i}".encode()).hexdigest()[:12] + ".txt"
            (tmp_path / name).write_text(text, encoding="utf-8")
            group[name] = g
    result = scan([tmp_path], workers=2, changes=False)
    langs = {d.id: d.language for d in result.documents}
    assert sorted(langs.values()).count("es") == len(rows) == sorted(langs.values()).count("en")
    traced: set[int] = set()
    false = []
    for r in result.relations:
        if group[r.source] != group[r.target]:
            false.append((r.source, r.target, r.type))
        elif r.type == "translation":
            assert {langs[r.source], langs[r.target]} == {"es", "en"}
            assert any("languages" in e for e in r.evidence)
            traced.add(group[r.target])
    assert not false
    groups = set(group.values())
    assert len(traced) == len(groups), f"only {len(traced)} of {len(groups)} translations traced"
