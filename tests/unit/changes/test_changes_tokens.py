"""Tokens, numbers and names of the meaning-change analysis."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import diff_passage, nlp
from newstrace.stages.changes.names import _name_norm
from newstrace.stages.changes.numbers import _number_value
from newstrace.stages.changes.records import _by_sentence
from newstrace.stages.changes.sentence_pairing import _align_sentences
from newstrace.stages.changes.tokens import _tokens

needs_spacy = pytest.mark.skipif(nlp() is None, reason="needs spaCy's en_core_web_sm")


@pytest.mark.parametrize(("words", "value"), [
    (["two", "thousand"], "2000"), (["38bn"], "38000000000"), (["38", "bn"], "38000000000"),
    (["2.5m"], "2500000"), (["700k"], "700000"), (["one", "hundred", "and", "twenty-five"], None),
])
def test_number_values(words: list[str], value: str | None) -> None:
    assert _number_value(words) == value


def test_initials_are_normalised_in_names() -> None:
    assert _name_norm("U.S.") == _name_norm("US") == "us"
    assert _name_norm("Russia's") == "russia"


@needs_spacy
def test_one_sentence_passages_always_pair() -> None:
    s = _by_sentence(_tokens("Mali due to vote for president", "en"))
    t = _by_sentence(_tokens("Mali counts votes after presidential runoff", "en"))
    assert _align_sentences(s, t) == [([0], [0])]


@needs_spacy
def test_a_first_name_added_to_a_kept_name_is_harmless_but_a_new_name_is_not() -> None:
    full = diff_passage("Schumacher is in a coma after the accident.", "Michael Schumacher is in a coma after the accident.")
    assert not [c for c in full if c.severity == "meaning"]
    swapped = diff_passage("Obama meets Putin in Moscow.", "Obama meets Merkel in Moscow.")
    assert [c.kind for c in swapped if c.severity == "meaning"] == ["entity"]


@needs_spacy
def test_headline_scales_are_the_same_number() -> None:
    same = diff_passage("Revenue hits record $38 bn in 2012.", "Revenue hits record $38b in 2012.")
    assert not [c for c in same if c.kind == "number"]
