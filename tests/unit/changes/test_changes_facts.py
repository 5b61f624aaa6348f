"""Language-independent checks of a translation (newstrace.stages.changes.facts)."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import fact_changes, wordnet

ES = "El ministro Ignacio Aldecoa anunció el 5 de marzo que 1.500 soldados llegarían a Valencia."
EN = "Minister Ignacio Aldecoa announced on 5 March that 1,500 soldiers would arrive in Valencia."


def test_a_faithful_translation_has_no_changes() -> None:
    assert fact_changes(ES, EN) == []


def test_a_changed_figure_is_flagged_with_offsets_in_both_texts() -> None:
    altered = EN.replace("1,500", "1,700")
    (c,) = fact_changes(ES, altered, source_offset=100, target_offset=200)
    assert (c.kind, c.severity) == ("number", "meaning")
    assert c.source_text == "1.500" and c.target_text == "1,700"
    assert c.source_span == (100 + ES.index("1.500"), 100 + ES.index("1.500") + 5)
    assert c.target_span[0] == 200 + altered.index("1,700")
    assert "1.500" in c.explanation and "1,700" in c.explanation


def test_a_changed_month_is_a_changed_date() -> None:
    (c,) = fact_changes(ES, EN.replace("March", "May"))
    assert c.kind == "number" and c.source_text == "marzo" and c.target_text == "May"


@pytest.mark.skipif(wordnet() is None, reason="needs WordNet (Debian wordnet-base)")
def test_a_replaced_name_is_flagged_but_a_translated_title_is_not() -> None:
    (c,) = fact_changes(ES, EN.replace("Aldecoa", "Okonkwo"))
    assert c.kind == "entity" and c.target_text == "Okonkwo" and c.source_text == "Aldecoa"
    # "Duquesa" -> "Duchess": a common word, translated, not a name
    assert fact_changes("Habló con la Duquesa de Alba.", "He spoke with the Duchess of Alba.") == []


def test_decimal_and_thousands_conventions_are_the_same_number() -> None:
    assert fact_changes("Creció un 3,5 % hasta 2.000 casos.", "It grew 3.5% to 2,000 cases.") == []
    assert [c.kind for c in fact_changes("Creció un 3,5 %.", "It grew 4.5%.")] == ["number"]
