"""annotate_relation: the changes of every passage, by relation type."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import annotate_relation, checks_off, nlp
from newstrace.types import Direction, Document, Passage, Relation

needs_spacy = pytest.mark.skipif(nlp() is None, reason="needs spaCy's en_core_web_sm")


def _relation(src: str, tgt: str, kind: str, lang_a: str = "en", lang_b: str = "en") -> tuple[Document, Document,
                                                                                               Relation]:
    a = Document(id="a", raw=src, language=lang_a, text=src)
    b = Document(id="b", raw=tgt, language=lang_b, text=tgt)
    p = Passage((0, len(src)), (0, len(tgt)), src, tgt, 0.8)
    return a, b, Relation("a", "b", kind, 0.8, Direction("undetermined", ""), 1.0, 1.0, (p,))


@needs_spacy
def test_near_copies_get_the_full_analysis() -> None:
    a, b, r = _relation("The council approved the plan on Tuesday.", "The council endorsed the plan on Tuesday.",
                        "spun")
    out = annotate_relation(a, b, r)
    assert out.passages[0].changes and all(c.severity == "harmless" for c in out.passages[0].changes)
    assert r.passages[0].changes == ()  # the input is not modified


@needs_spacy
def test_a_summary_that_changes_a_number_is_flagged_but_not_what_it_leaves_out() -> None:
    src = ("The storm destroyed 120 homes in the north of the island on Monday. Rescue teams worked through "
           "the night, and the mayor thanked the volunteers who came from nearby towns.")
    tgt = "A storm destroyed 210 homes on the island on Monday."
    a, b, r = _relation(src, tgt, "summary")
    kinds = [c.kind for c in annotate_relation(a, b, r).passages[0].changes]
    assert kinds == ["number"]
    a, b, r = _relation(src, "A storm destroyed 120 homes on the island on Monday.", "summary")
    assert annotate_relation(a, b, r).passages[0].changes == ()


@needs_spacy
def test_a_paraphrase_that_moves_an_attribution_is_flagged() -> None:
    src = "According to the police, the driver was drunk when the crash happened on Friday night."
    tgt = "The driver was drunk when the crash happened on Friday night."
    a, b, r = _relation(src, tgt, "paraphrase")
    kinds = {c.kind for c in annotate_relation(a, b, r).passages[0].changes}
    assert "attribution" in kinds


def test_a_translation_gets_the_language_independent_checks() -> None:
    a, b, r = _relation("Llegaron 1.500 soldados el 5 de marzo.", "1,600 soldiers arrived on 5 March.",
                        "translation", "es", "en")
    (c,) = annotate_relation(a, b, r).passages[0].changes
    assert c.kind == "number" and c.source_text == "1.500" and c.target_text == "1,600"


def test_verbatim_passages_and_annotated_passages_are_kept() -> None:
    a, b, r = _relation("Same words here.", "Same words here.", "verbatim")
    assert annotate_relation(a, b, r).passages[0].changes == ()


def test_checks_off_names_checks_not_resources() -> None:
    off = checks_off()
    assert isinstance(off, tuple) and all(isinstance(x, str) and " " not in x for x in off)


def test_checks_off_lists_the_word_sense_checks_without_wordnet(monkeypatch: pytest.MonkeyPatch) -> None:
    from newstrace.stages.changes import resources

    monkeypatch.setattr(resources, "wordnet", lambda: None)
    resources.checks_off.cache_clear()
    try:
        off = resources.checks_off()
    finally:
        resources.checks_off.cache_clear()
    assert "word-sense" in off and "synonym" in off
