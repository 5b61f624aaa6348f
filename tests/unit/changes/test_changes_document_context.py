"""The change analysis read against the two whole documents: what a passage pair alone would
misread as lost (a name the other article names elsewhere, a sentence it has elsewhere) is not
reported as a change of meaning; without the documents, or when it is really gone, it still is."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import diff_passage, nlp
from newstrace.types import Change

needs_spacy = pytest.mark.skipif(nlp() is None, reason="needs spaCy's en_core_web_sm")


def _meaning(changes: list[Change], kind: str | None = None) -> list[Change]:
    return [c for c in changes if c.severity == "meaning" and (kind is None or c.kind == kind)]


SOURCE = ("Halvorsen Group said on Monday that its quarterly sales rose by a tenth. "
          "The company will open two new stores in the spring.")
TARGET = ("The retailer said on Monday that its quarterly sales rose by a tenth. "
          "The company will open two new stores in the spring.")


@needs_spacy
def test_a_name_the_other_article_gives_elsewhere_is_not_lost() -> None:
    alone = diff_passage(SOURCE, TARGET)
    assert [c.source_text for c in _meaning(alone, "entity")] == ["Halvorsen Group"]  # the passage alone
    document = "Halvorsen Group reported its results.\n\n" + TARGET
    offset = document.index(TARGET)
    read = diff_passage(SOURCE, TARGET, target_offset=offset, source_document=SOURCE, target_document=document)
    assert _meaning(read, "entity") == []
    # named nowhere else in the target: still a name dropped
    elsewhere = "A retailer reported its results.\n\n" + TARGET
    read = diff_passage(SOURCE, TARGET, target_offset=elsewhere.index(TARGET), source_document=SOURCE,
                        target_document=elsewhere)
    assert [c.source_text for c in _meaning(read, "entity")] == ["Halvorsen Group"]


MOVED = "Shareholders will vote on the merger at a meeting in Bergen next March."
KEPT = ("The board approved the plan after a long debate on Tuesday. "
        "Analysts expect the deal to close within a year.")


@needs_spacy
def test_a_sentence_the_other_article_has_elsewhere_moved_and_was_not_dropped() -> None:
    source = f"The board approved the plan after a long debate on Tuesday. {MOVED} " \
             "Analysts expect the deal to close within a year."
    assert [c.kind for c in _meaning(diff_passage(source, KEPT))] == ["omission"]
    document = f"{MOVED}\n\n{KEPT}"
    read = diff_passage(source, KEPT, target_offset=document.index(KEPT), source_document=source,
                        target_document=document)
    assert _meaning(read) == []
    [moved] = [c for c in read if c.source_text == MOVED.rstrip(".")]
    assert (moved.kind, moved.severity) == ("rewording", "harmless") and "moved" in moved.explanation
    # the target has another sentence on another subject: dropped
    other = "Shareholders were told nothing about the dividend.\n\n" + KEPT
    read = diff_passage(source, KEPT, target_offset=other.index(KEPT), source_document=source, target_document=other)
    assert [c.kind for c in _meaning(read)] == ["omission"]


SIGNED = "The club signed the young striker on Monday after a long chase."
SIGNED_FROM = "The club signed the young striker from Southampton on Monday after a long chase."


@needs_spacy
def test_words_the_other_article_has_elsewhere_as_a_phrase_are_restated_not_added() -> None:
    assert [c.target_text for c in _meaning(diff_passage(SIGNED, SIGNED_FROM))] == ["from Southampton"]
    document = "The striker played for Southampton for two seasons. " + SIGNED
    read = diff_passage(SIGNED, SIGNED_FROM, source_offset=document.index(SIGNED), source_document=document,
                        target_document=SIGNED_FROM)
    assert _meaning(read) == []
    assert any("has it elsewhere" in c.explanation for c in read)
    # one common word the source uses elsewhere is no evidence: still an addition
    young = SIGNED.replace("young ", "")
    document = "The young players trained on Sunday. " + young
    read = diff_passage(young, SIGNED, source_offset=document.index(young), source_document=document,
                        target_document=SIGNED)
    assert [c.target_text for c in _meaning(read)] == ["young"]
