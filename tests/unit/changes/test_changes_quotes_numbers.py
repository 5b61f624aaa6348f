"""Quotation regions and scaled numbers of the meaning-change analysis: no change is claimed
from quotation marks that cannot be paired, nor from one number written two ways."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import diff_passage, nlp
from newstrace.stages.changes.tokens import _quote_regions
from newstrace.types import Change

needs_spacy = pytest.mark.skipif(nlp() is None, reason="needs spaCy's en_core_web_sm")


def _meaning(changes: list[Change], kind: str | None = None) -> list[Change]:
    return [c for c in changes if c.severity == "meaning" and (kind is None or c.kind == kind)]


def _quoted(text: str) -> list[str]:
    return [text[s:e].strip() for s, e in _quote_regions(text)]


# ------------------------------------------------------------------------------------ quotations

# A quotation running over two paragraphs, English style: each paragraph opens with a mark,
# only the last one closes.
_TWO_PARAGRAPHS = (
    "The minister spoke to reporters outside the court. She said: {o}We will appeal against this "
    "ruling. We think the judge was wrong.\n\n{o}Our lawyers are studying the decision,{c} she added. "
    "The court adjourned the hearing until next month."
)


@pytest.mark.parametrize(("o", "c"), [('"', '"'), ("“", "”")])
def test_a_quotation_over_two_paragraphs_is_one_quotation(o: str, c: str) -> None:
    text = _TWO_PARAGRAPHS.format(o=o, c=c)
    assert _quoted(text) == ["We will appeal against this ruling. We think the judge was wrong.",
                             "Our lawyers are studying the decision,"]


@needs_spacy
@pytest.mark.parametrize(("o", "c"), [('"', '"'), ("“", "”")])
def test_merging_the_paragraphs_of_a_quotation_claims_no_quote_change(o: str, c: str) -> None:
    source = _TWO_PARAGRAPHS.format(o=o, c=c)
    target = source.replace("\n\n", " ")
    assert not _meaning(diff_passage(source, target), "quote")
    assert not _meaning(diff_passage(target, source), "quote")


@needs_spacy
def test_a_passage_starting_inside_a_quotation_claims_no_quote_change() -> None:
    source = ('we acted within the law at every stage." He said the answer had been prepared in his '
              'office with two of his officials.\n\n"No other minister or official was involved in any way')
    target = source.replace("\n\n", " ")
    assert _quoted(source)[0] == "we acted within the law at every stage."
    assert not _meaning(diff_passage(source, target), "quote")
    assert not _meaning(diff_passage(target, source), "quote")


@needs_spacy
def test_a_stray_quotation_mark_claims_no_quote_change() -> None:
    source = ("The minister left the court before noon.\n\n"
              "She said the ruling was wrong and that her lawyers would appeal against it next week.")
    target = ("The minister left the court before noon.\n\n"
              'She said the ruling was wrong" and that her lawyers would appeal against it next week.')
    assert not _meaning(diff_passage(source, target), "quote")
    assert not _meaning(diff_passage(target, source), "quote")


def test_curly_marks_tell_opening_from_closing() -> None:
    # the closing mark of the first quotation is missing: “ opens twice, so the first stretch is
    # not taken for a quotation, and the second is still read the right way round
    text = "She called it “a disgrace and left. Later she said “we will appeal” to reporters."
    assert _quoted(text) == ["we will appeal"]


def test_a_closing_glyph_stuck_to_the_word_before_a_quotation_opens_it() -> None:
    # a spinner's artefact: both marks look like closing ones, the first must open
    text = "According to the minister,” the bridge will reopen in spring.” Work starts today."
    assert _quoted(text) == ["the bridge will reopen in spring."]


@needs_spacy
def test_quotation_marks_really_dropped_are_still_a_change() -> None:
    source = _TWO_PARAGRAPHS.format(o='"', c='"')
    target = source.replace('"Our lawyers are studying the decision," she added.',
                            "She added that her lawyers were studying the decision.")
    assert _meaning(diff_passage(source, target), "quote")


# ------------------------------------------------------------------------------------ numbers


@needs_spacy
@pytest.mark.parametrize(("a", "b"), [
    ("Up to 1.4m workers could strike.", "Up to 1.4 million workers could strike."),
    ("The deal is worth £1.4m to the club.", "The deal is worth £1,400,000 to the club."),
    ("The firm paid $2bn for the network.", "The firm paid $2 billion for the network."),
    ("The app has 700k users in Spain.", "The app has 700,000 users in Spain."),
    ("Sales reached 2.3m units last year.", "Sales reached 2.3 million units last year."),
])
def test_a_scaled_number_is_the_same_number_in_full(a: str, b: str) -> None:
    assert not _meaning(diff_passage(a, b), "number")
    assert not _meaning(diff_passage(b, a), "number")


@needs_spacy
def test_a_scaled_number_that_differs_is_still_a_change() -> None:
    changes = _meaning(diff_passage("Up to 1.4m workers could strike.", "Up to 1.5 million workers could strike."),
                       "number")
    assert [(c.source_text, c.target_text) for c in changes] == [("1.4m", "1.5 million")]


@needs_spacy
def test_metres_are_not_millions() -> None:
    assert not _meaning(diff_passage("She won the 60m hurdles in Madrid.", "She won the 60 metres hurdles in Madrid."),
                        "number")


@needs_spacy
def test_a_weekday_for_a_relative_time_is_no_number_change() -> None:
    changes = diff_passage("The minister resigned last week after the vote.",
                           "The minister resigned on Thursday after the vote.")
    assert not _meaning(changes, "number")


@needs_spacy
def test_dates_are_reported_as_dates() -> None:
    changed = _meaning(diff_passage("The minister resigned on Monday after the vote.",
                                    "The minister resigned on Thursday after the vote."))
    assert len(changed) == 1 and changed[0].explanation.startswith("date changed")
    added = _meaning(diff_passage("The minister told the BBC that he would resign.",
                                  "The minister told the BBC on Friday that he would resign."))
    assert [c.explanation for c in added] == ["date added: Friday (the source gives no date here)"]
