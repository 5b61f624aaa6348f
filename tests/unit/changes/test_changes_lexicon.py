"""The word lists live in a data file; the loaded tables keep their shape."""

from __future__ import annotations

from newstrace.stages.changes import lexicon


def test_lexicon_file_loads_with_every_list() -> None:
    data = lexicon.load_lexicon()
    for key in ("negators", "hedges", "attribution_neutral", "number_words", "months", "connectives",
                "months_multilingual"):
        assert data[key], key


def test_derived_tables() -> None:
    assert lexicon._MONTHS["oct"] == 10 and lexicon._MONTHS["sept"] == 9 and lexicon._MONTHS["may"] == 5
    assert lexicon._HEDGES["may"] < 0 < lexicon._HEDGES["clearly"]
    assert ("as", "a", "result", "of") in lexicon._CONNECTIVES
    assert lexicon._NUMBER_WORDS["twenty"] == 20 and lexicon._SCALES["million"] == 1_000_000
