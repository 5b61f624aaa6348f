"""Context checks beyond WordNet relations: stance, status qualifiers, tense in quotes, encoder sense."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import diff_passage, nlp, wordnet
from newstrace.stages.changes.context_sense import encoder, substitution_similarity
from newstrace.stages.changes.stance import stance_reversal, status_words

pytestmark = pytest.mark.skipif(nlp() is None or wordnet() is None, reason="needs spaCy's en_core_web_sm and WordNet")


def kinds(a: str, b: str) -> list[tuple[str, str]]:
    return [(c.kind, c.severity) for c in diff_passage(a, b)]


def test_stance_lexicon_pairs_opposite_sides_of_one_group_only() -> None:
    assert stance_reversal("shelve", "maintain") == "keep or end"
    assert stance_reversal("uphold", "overturn") == "keep or end"
    assert stance_reversal("approve", "endorse") is None  # same side
    assert stance_reversal("approve", "fall") is None  # different groups


@pytest.mark.parametrize(("src", "tgt"), [
    ("The government shelved the tradition last year.", "The government maintained the tradition last year."),
    ("The court upheld the ban on Friday.", "The court overturned the ban on Friday."),
])
def test_a_reversed_stance_is_a_polarity_change(src: str, tgt: str) -> None:
    assert ("polarity", "meaning") in kinds(src, tgt)


@pytest.mark.parametrize(("src", "tgt"), [
    ("Troops entered the breakaway region on Monday.", "Troops entered the region on Monday."),
    ("The self-declared republic held elections.", "The republic held elections."),
])
def test_a_dropped_status_qualifier_is_flagged(src: str, tgt: str) -> None:
    assert ("hedge", "meaning") in kinds(src, tgt)


def test_a_status_qualifier_kept_elsewhere_is_not_flagged() -> None:
    out = kinds("The self-declared republic held elections.", "The republic, self-declared, held elections.")
    assert ("hedge", "meaning") not in out


def test_tense_changed_inside_a_quote_but_not_in_reported_speech() -> None:
    quoted = diff_passage('"We leave the country tomorrow," the minister said.',
                          '"We left the country tomorrow," the minister said.')
    assert [(c.kind, c.source_text, c.target_text) for c in quoted] == [("quote", "leave", "left")]
    assert not [c for c in diff_passage("The minister said they leave the country.",
                                        "The minister said they left the country.") if c.severity == "meaning"]


def test_same_sense_synonyms_and_reordering_stay_harmless() -> None:
    assert all(s == "harmless" for _, s in kinds("The council approved the plan after a long debate.",
                                                 "The council endorsed the plan after a lengthy debate."))
    assert all(s == "harmless" for _, s in kinds("On Tuesday the council approved the plan.",
                                                 "The council approved the plan on Tuesday."))


def test_status_words_reads_the_lexicon() -> None:
    from newstrace.stages.changes.tokens import _tokens

    assert [t.text for t in status_words(_tokens("The so-called interim council met.", "en"))] == [
        "so-called", "interim"]


@pytest.mark.skipif(encoder() is None, reason="needs the packaged sentence encoder (onnxruntime)")
def test_encoder_similarity_ranks_a_sense_shift_below_a_synonym() -> None:
    s = "His preoccupation with security alarmed his allies."
    shift = substitution_similarity(s, 4, 17, "concern")
    t = "The council approved the plan after a long debate."
    same = substitution_similarity(t, t.index("long"), t.index("long") + 4, "lengthy")
    assert shift is not None and same is not None and shift < same
