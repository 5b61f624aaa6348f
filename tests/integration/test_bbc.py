"""BBC News (2,225 real articles): duplicates and partial copies found, no reuse between different stories.

Reference: exact word 5-gram overlap between every pair (newstrace.evaluation.overlap), where
``containment`` is the share of the smaller article's 5-grams found in the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newstrace.evaluation.overlap import overlaps
from newstrace.pipeline import scan

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def bbc(data_dir: Path):  # type: ignore[no-untyped-def]
    root = data_dir / "bbc-news"
    if not root.is_dir():
        pytest.skip(f"BBC News not found at {root}")
    # One scan with the semantic layer on: the lexical claims below must hold in it too.
    result = scan([root], workers=2, changes=False)
    texts = {d.id: d.text for d in result.documents}
    truth = overlaps(texts)
    found = {tuple(sorted((r.source, r.target))): r for r in result.relations}
    return result, truth, found


def test_every_document_read(bbc) -> None:  # type: ignore[no-untyped-def]
    result, _, _ = bbc
    assert len(result.documents) == 2225
    assert result.errors == []  # sport/199.txt is Latin-1: decoded, not skipped


def test_duplicates_are_verbatim_or_near_duplicate(bbc) -> None:  # type: ignore[no-untyped-def]
    _, truth, found = bbc
    dups = [p for p, o in truth.items() if o.mutual >= 0.9]
    assert len(dups) >= 100
    missing = [p for p in dups if p not in found or found[p].type not in ("verbatim", "near-duplicate")]
    assert not missing, missing[:5]


def test_half_contained_pairs_are_reuse(bbc) -> None:  # type: ignore[no-untyped-def]
    _, truth, found = bbc
    contained = [p for p, o in truth.items() if o.containment >= 0.5]
    # Something to check: the 100 groups of exact duplicates alone are contained pairs.
    assert len(contained) >= 100, len(contained)
    missing = [p for p in contained if p not in found]
    assert not missing, missing[:5]


LEXICAL = ("verbatim", "near-duplicate", "spun")


def test_no_lexical_reuse_between_articles_sharing_under_a_tenth(bbc) -> None:  # type: ignore[no-untyped-def]
    _, truth, found = bbc
    false = [p for p, r in found.items() if r.type in LEXICAL and (p not in truth or truth[p].containment < 0.1)]
    assert not false, [(p, found[p].type) for p in false[:5]]


def test_semantic_layer_adds_no_relation_between_unrelated_articles(bbc) -> None:  # type: ignore[no-untyped-def]
    """Articles of different sections (business, sport, tech, ...) are related only when they
    truly share text (one story filed under two sections); a summary must share real content;
    semantic relations under a tenth of shared 5-grams are the reworded background passages BBC
    reuses across its updates (read and checked), and few."""
    _, truth, found = bbc
    cross = [p for p in found if p[0].split("/")[0] != p[1].split("/")[0]
             and (p not in truth or truth[p].containment < 0.1)]
    assert not cross, cross[:5]
    low = [p for p, r in found.items() if r.type not in LEXICAL and (p not in truth or truth[p].containment < 0.1)]
    assert not [p for p in low if found[p].type == "summary"]
    assert len(low) <= 10, [(p, found[p].type) for p in low]
