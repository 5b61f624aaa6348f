"""The collection margin for translations, on synthetic vectors with a known geometry.

Multilingual embeddings put every text close to every other (a common direction), texts of one
kind closer still (a genre direction); a sentence and its translation share a direction of
their own.  A two-sentence translation then barely stands out from its own sibling sentences,
but clearly from the rest of the collection: the margin criterion (Artetxe & Schwenk 2019).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from newstrace.stages.semantic import SemanticConfig, align_semantic, sentence_backgrounds
from newstrace.stages.vectors import translation_backgrounds

DIM = 64
RNG = np.random.default_rng(7)
COMMON = RNG.standard_normal(DIM)
GENRE = RNG.standard_normal(DIM)


def _unit(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.linalg.norm(v)
    return out


COMMON, GENRE = _unit(COMMON), _unit(GENRE)


def _sentences(n: int, *, genre: float, own: list[np.ndarray] | None = None, passage: np.ndarray | None = None,
               seed: int, weight: float = 0.28) -> np.ndarray:
    """``n`` unit sentence vectors: common + genre (+ passage) + own meaning + noise."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        v = 0.88 * COMMON + genre * GENRE + 0.22 * _unit(rng.standard_normal(DIM))
        if passage is not None:
            v = v + 0.25 * passage
        if own is not None:
            v = v + weight * own[k]
        out.append(_unit(v))
    return np.stack(out)


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A two-sentence text and its translation: the sentences share their own meanings, and both
    texts a passage topic."""
    rng = np.random.default_rng(100 + seed)
    meanings = [_unit(rng.standard_normal(DIM)) for _ in range(2)]
    passage = _unit(rng.standard_normal(DIM))
    return (_sentences(2, genre=0.1, own=meanings, passage=passage, seed=200 + seed),
            _sentences(2, genre=0.1, own=meanings, passage=passage, seed=300 + seed))


def _align(src: np.ndarray, tgt: np.ndarray, **kwargs):  # type: ignore[no-untyped-def]
    spans = [(0, 10), (11, 20)]
    return align_semantic(spans[: len(src)], spans[: len(tgt)], src, tgt, src_text="x" * 20, tgt_text="y" * 20,
                          src_language="es", tgt_language="en", config=SemanticConfig(crosslang_cosine=0.6), **kwargs)


def test_backgrounds_are_the_mean_of_the_k_best_cosines_outside_the_own_document() -> None:
    e = np.eye(4, dtype=np.float32)
    pool = {"a": np.stack([e[0], e[1]]), "b": np.stack([_unit(e[0] + e[2]), e[3]]), "c": np.stack([e[2]])}
    back = sentence_backgrounds({"a": pool["a"], "q": np.stack([e[0]])}, pool, k=2)
    # "a" leaves itself out: its first sentence sees b's (cos 0.707) and the rest at 0.
    assert back["a"] == pytest.approx([np.sqrt(0.5) / 2, 0.0], abs=1e-6)
    assert back["q"] == pytest.approx([(1.0 + np.sqrt(0.5)) / 2], abs=1e-6)
    alone = sentence_backgrounds({"a": pool["a"]}, {"a": pool["a"]}, k=2)
    assert np.isnan(alone["a"]).all()  # nothing outside its own document
    assert sentence_backgrounds({"q": np.stack([e[0]])}, {}, k=2)["q"].shape == (1,)


def test_hnsw_backgrounds_match_the_exhaustive_ones() -> None:
    # Not importorskip: usearch must not be imported before onnxruntime (see semantic._usearch_index).
    if importlib.util.find_spec("usearch") is None:
        pytest.skip("large pools are searched with usearch: pip install usearch==2.26.6")
    rng = np.random.default_rng(3)
    pool = {f"d{k}": rng.standard_normal((5, 16)).astype(np.float32) for k in range(40)}
    queries = {"d0": pool["d0"], "q": rng.standard_normal((3, 16)).astype(np.float32)}
    exact = sentence_backgrounds(queries, pool, k=4)
    approx = sentence_backgrounds(queries, pool, k=4, exact_limit=0)
    for q in queries:
        assert approx[q] == pytest.approx(exact[q], abs=1e-4)


def _collection(genre: float, n_docs: int = 12) -> dict[str, np.ndarray]:
    return {f"o{k}": _sentences(4, genre=genre, seed=500 + k) for k in range(n_docs)}


def test_short_translation_stands_out_from_the_collection_not_from_itself() -> None:
    src, tgt = _pair()
    sim = src @ tgt.T
    assert sim[0, 0] > sim[0, 1] and sim[1, 1] > sim[1, 0]  # each sentence closest to its translation
    # Within the pair, half of each background is the sibling sentence of the same translation.
    assert _align(src, tgt) == []
    others = _collection(genre=0.1)  # unrelated texts of another kind
    back_src = sentence_backgrounds({"s": src}, {"t": tgt, **others})["s"]
    back_tgt = sentence_backgrounds({"t": tgt}, {"s": src, **others})["t"]
    [passage] = _align(src, tgt, src_background=back_src, tgt_background=back_tgt)
    assert passage.method == "translation"


def test_no_translation_where_the_collection_is_as_close() -> None:
    # Generic sentences: what the two texts say, many texts of the collection say too.  Within
    # the pair each sentence is closest to its counterpart, clearly (the pair's own criterion
    # accepts it), but the rest of the collection is as close.
    rng = np.random.default_rng(9)
    meanings = [_unit(rng.standard_normal(DIM)) for _ in range(2)]
    src = _sentences(2, genre=0.1, own=meanings, seed=11, weight=0.5)
    tgt = _sentences(2, genre=0.1, own=meanings, seed=12, weight=0.5)
    others = {f"o{k}": _sentences(2, genre=0.1, own=meanings, seed=600 + k, weight=0.5) for k in range(12)}
    assert [p.method for p in _align(src, tgt)] == ["translation"]
    back_src = sentence_backgrounds({"s": src}, {"t": tgt, **others})["s"]
    back_tgt = sentence_backgrounds({"t": tgt}, {"s": src, **others})["t"]
    assert _align(src, tgt, src_background=back_src, tgt_background=back_tgt) == []
    with pytest.raises(ValueError, match="one background per sentence"):
        _align(src, tgt, src_background=back_src[:1], tgt_background=back_tgt)


def test_pairs_get_collection_backgrounds_only_with_enough_other_sentences() -> None:
    src, tgt = _pair()
    langs = {"s": "es", "t": "en", "u": "en", "v": "es"}
    multi = {"s": src, "t": tgt}
    assert translation_backgrounds([("s", "t")], langs, multi) == {}  # the pair alone: its own background
    multi["u"] = _sentences(5, genre=0.1, seed=1)
    assert translation_backgrounds([("s", "t")], langs, multi) == {}  # no other Spanish sentence
    multi["v"] = _sentences(4, genre=0.1, seed=2)
    found = translation_backgrounds([("s", "t"), ("t", "u")], langs, multi)
    assert set(found) == {("s", "t")}  # same-language pairs never get them
    back_s, back_t = found[("s", "t")]
    assert back_s.shape == (2,) and back_t.shape == (2,)
    assert back_s == pytest.approx(sentence_backgrounds({"s": src}, {"t": tgt, "u": multi["u"]})["s"])


def test_missing_backgrounds_fall_back_to_the_pairs_own() -> None:
    src, tgt = _pair()
    nan = np.full(2, np.nan, dtype=np.float32)
    assert _align(src, tgt, src_background=nan, tgt_background=nan) == _align(src, tgt)
