"""The learned iSTS type and score: features, fitting, the shipped models."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from newstrace.evaluation.ists_types import (
    FEATURES,
    LINK_FEATURES,
    TYPES,
    ChunkPair,
    LinkModel,
    Parsed,
    TypeEnsemble,
    TypeModel,
    chunk_features,
    fit_link_model,
    fit_model,
    link_features,
    load_link_models,
    load_models,
)

STOP = frozenset({"the", "of", "in", "a"})


def _pair(w1: str, w2: str, *, cosine: float = 0.9, rule: str = "EQUI", sentence: float = 0.0) -> ChunkPair:
    a, b = w1.split(), w2.split()
    k1 = Counter(w.lower() for w in a if w.lower() not in STOP)
    k2 = Counter(w.lower() for w in b if w.lower() not in STOP)
    return ChunkPair(a, b, k1, k2, float(sum((k1 & k2).values())), Counter(), Counter(), rule, cosine, sentence)


def test_features_have_one_value_each_and_see_containment() -> None:
    same = chunk_features(_pair("in northern Pakistan", "in northern Pakistan"), STOP)
    more = chunk_features(_pair("in northern Pakistan", "in Pakistan"), STOP)
    assert same.shape == (len(FEATURES),)
    at = FEATURES.index
    assert same[at("identical")] == 1.0 and more[at("identical")] == 0.0
    assert more[at("words_contain1")] == 1.0 and more[at("words_contain2")] == 0.0
    assert chunk_features(_pair("on Monday", "on Thursday"), STOP)[at("dates_differ")] == 1.0


def _separable(spe_score: float) -> tuple[list[np.ndarray], list[str], list[float]]:
    """30 EQUI pairs (same words, score 5) and 30 SPE1 pairs (one word more, ``spe_score``)."""
    rows, types, scores = [], [], []
    for k in range(30):
        rows.append(chunk_features(_pair(f"w{k} x{k}", f"w{k} x{k}"), STOP))
        types.append("EQUI")
        scores.append(5.0)
        rows.append(chunk_features(_pair(f"big w{k} x{k}", f"w{k} x{k}", cosine=0.7), STOP))
        types.append("SPE1")
        scores.append(spe_score)
    return rows, types, scores


@pytest.mark.parametrize("units", [0, 4])
def test_fit_learns_a_separable_rule_and_round_trips(units: int) -> None:
    """Pairs whose words match are EQUI, pairs where one side has more are SPE1: learnable."""
    rows, types, scores = _separable(spe_score=4.0)
    x = np.vstack(rows)
    m = fit_model(x, types, scores, l2=0.1, units=units, steps=300)
    assert m.predict(chunk_features(_pair("q r", "q r"), STOP)) == ("EQUI", 5)
    assert m.predict(chunk_features(_pair("big q r", "q r", cosine=0.7), STOP)) == ("SPE1", 4)
    again = TypeModel.from_json(m.to_json())
    assert [again.predict(r) for r in rows] == [m.predict(r) for r in rows]
    assert fit_model(x, types, scores, l2=0.1, units=units, steps=300).to_json() == m.to_json()  # deterministic


def test_shipped_models_cover_the_three_domains() -> None:
    models = load_models()
    assert {"headlines", "images", "answers-students"} <= set(models)
    # two iSTS sentences are about the same story (sentence cosine 0.3 or more in the train split's
    # headlines); no parse and no e5 here: the packaged encoder's cosines stand in for e5's
    t, s = models["headlines"].predict(chunk_features(_pair("Obama", "Obama", cosine=1.0, sentence=0.6), STOP))
    assert t in TYPES and t == "EQUI" and s == 5


def test_link_model_learns_cosine_and_round_trips() -> None:
    """Candidates with a high cosine that are each other's best match align; the rest do not."""
    rows, labels = [], []
    for k in range(40):
        hi = 0.55 + 0.01 * (k % 10)
        rows.append(link_features(hi, 0.7, 0.1, True, True, 2, 2, k % 3 == 0, False, True, 2, 2))
        labels.append(1.0)
        lo = 0.15 + 0.01 * (k % 10)
        rows.append(link_features(lo, 0.7, 0.6, False, k % 2 == 0, 3, 3, False, False, False, 3, 1))
        labels.append(0.0)
    x = np.vstack(rows)
    assert x.shape == (80, len(LINK_FEATURES))
    m = fit_link_model(x, labels, l2=1.0)
    assert m.prob(link_features(0.6, 0.7, 0.1, True, True, 2, 2, False, False, True, 2, 2)) > 0.9
    assert m.prob(link_features(0.2, 0.7, 0.6, False, False, 3, 3, False, False, False, 3, 1)) < 0.1
    again = LinkModel.from_json(m.to_json())
    assert [again.prob(r) for r in rows] == [m.prob(r) for r in rows]


def test_ensemble_averages_its_members() -> None:
    rows, types, scores = _separable(spe_score=3.0)
    x = np.vstack(rows)
    members = tuple(fit_model(x, types, scores, l2=0.1, units=4, steps=300, seed=s) for s in (0, 1, 2))
    ens = TypeEnsemble(members)
    assert ens.predict(chunk_features(_pair("q r", "q r"), STOP)) == ("EQUI", 5)
    assert ens.predict(chunk_features(_pair("big q r", "q r", cosine=0.7), STOP)) == ("SPE1", 3)
    probs = members[0].probs(rows[1])
    assert probs.shape == (len(TYPES),) and abs(float(probs.sum()) - 1.0) < 1e-9


def test_row_weights_shift_the_fit() -> None:
    """Weighting rows changes the fit (the same rows, labels in conflict, opposite weights)."""
    x = np.vstack([chunk_features(_pair("a b", "a b"), STOP)] * 4)
    types, scores = ["EQUI", "EQUI", "SIMI", "SIMI"], [5.0, 5.0, 3.0, 3.0]
    to_equi = fit_model(x, types, scores, l2=0.1, steps=200, weights=[5.0, 5.0, 1.0, 1.0])
    to_simi = fit_model(x, types, scores, l2=0.1, steps=200, weights=[1.0, 1.0, 5.0, 5.0])
    assert to_equi.predict(x[0])[0] == "EQUI" and to_simi.predict(x[0])[0] == "SIMI"


def test_shipped_link_models_cover_the_three_domains() -> None:
    links = load_link_models()
    assert {"headlines", "images", "answers-students"} <= set(links)
    m = links["headlines"]
    assert m.prob(link_features(0.9, 0.8, 0.0, True, True, 1, 1, True, True, True, 2, 2)) > m.threshold
    assert m.prob(link_features(0.05, 0.2, 0.9, False, False, 4, 4, False, False, False, 1, 5)) < m.threshold


def _parsed(lemmas: str, pos: str, ents: str, head: int, dep: str) -> Parsed:
    return Parsed(tuple(lemmas.split()), tuple(pos.split()), tuple("" if e == "-" else e for e in ents.split()),
                  head, dep)


def test_syntax_features_read_heads_entities_and_lemma_sets() -> None:
    """"in Syria" / "in Iraq": same head and role, same entity label with another name;
    "in northern Syria" holds "in Syria"'s lemmas and more."""
    syria = _parsed("in syria", "ADP PROPN", "- GPE", 0, "prep")
    iraq = _parsed("in iraq", "ADP PROPN", "- GPE", 0, "prep")
    north = _parsed("in northern syria", "ADP ADJ PROPN", "- - GPE", 0, "prep")
    at = FEATURES.index

    def feats(a: Parsed | None, b: Parsed | None) -> np.ndarray:
        pair = _pair("x", "x")
        return chunk_features(ChunkPair(pair.words1, pair.words2, pair.keys1, pair.keys2, pair.shared, Counter(),
                                        Counter(), "SIMI", 0.8, 0.7, a, b, 0.6, 0.5), STOP)

    other = feats(syria, iraq)
    assert other[at("head_lemma_equal")] == 1.0 and other[at("head_role_equal")] == 1.0
    assert other[at("head1_adp")] == 1.0 and other[at("head2_adp")] == 1.0
    assert other[at("entity_label_shared_text_differs")] == 1.0
    assert other[at("entities_only1")] == 1.0 and other[at("entities_only2")] == 1.0
    assert other[at("lemmas_within1")] == 0.0 and other[at("lemmas_within2")] == 0.0
    more = feats(north, syria)
    assert more[at("lemmas_within2")] == 1.0 and more[at("lemmas_only1")] == 1.0 and more[at("lemmas_only2")] == 0.0
    assert more[at("entity_label_shared_text_differs")] == 0.0
    assert more[at("e5_cosine")] == 0.6 and more[at("e5_sentence_cosine")] == 0.5
    # without a parse (no spaCy model) the syntax features are unknown (NaN), never an error
    none = feats(None, None)
    assert np.isnan(none[at("head_lemma_equal"):at("e5_cosine")]).all() and none.shape == (len(FEATURES),)


def test_unknown_features_read_as_the_training_mean() -> None:
    """No parse and no e5 (NaN features): the fit ignores them and the prediction reads them as
    the mean, so an identical pair stays EQUI instead of looking unrelated (0.0 cosines)."""
    rows, types, scores = _separable(spe_score=4.0)
    x = np.vstack(rows)
    e5 = FEATURES.index("e5_cosine")
    assert np.isnan(x[:, e5]).all()  # _pair gives no e5 cosine
    m = fit_model(x, types, scores, l2=0.1, units=4, steps=300)
    assert np.isfinite(m.mean).all() and np.isfinite(m.weights).all()
    assert m.predict(chunk_features(_pair("q r", "q r"), STOP)) == ("EQUI", 5)
    shipped = load_models()["headlines"]
    assert shipped.predict(chunk_features(_pair("Obama", "Obama", cosine=1.0, sentence=0.3), STOP)) == ("EQUI", 5)
