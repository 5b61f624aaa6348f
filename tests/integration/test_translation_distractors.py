"""The 70 PAN-PC-11 fragments scanned together with 200 unrelated BBC News articles.

The articles change every Spanish sentence's background (its nearest English sentences now
include news) and add 200 × 35 Spanish-English pairs that must not become translations.
Every fragment group must still be traced, and no relation may join documents of different
groups (fragments or articles).  Measured: 34/34 groups, 0 false relations, ~2 min on two
quiet cores (the multilingual embedding of ~5,000 sentences dominates); the same as
``python benchmarks/bench_crosslang_distractors.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.translations import traced_and_false

from newstrace.evaluation.crosslang import write_scan_collection
from newstrace.pipeline import scan

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_translations_traced_among_unrelated_news(data_dir: Path, tmp_path: Path) -> None:
    pairs, bbc = data_dir / "pan11-crosslang" / "pairs.jsonl", data_dir / "bbc-news"
    if not pairs.exists() or not bbc.is_dir():
        pytest.skip(f"{pairs} or {bbc} not found")
    group, distractors = write_scan_collection(pairs, tmp_path, distractors=bbc, every=11)
    assert len(distractors) == 200
    result = scan([tmp_path], workers=2, changes=False)
    langs = {d.id: d.language for d in result.documents}
    assert all(langs[i] == "en" for i in distractors)
    traced, false = traced_and_false(result.relations, group, langs)
    assert not false
    assert len(traced) == len(set(group.values()))
