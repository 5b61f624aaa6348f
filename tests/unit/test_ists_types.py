"""The learned iSTS type and score: features, fitting, the shipped models."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from newstrace.evaluation.ists_types import (
    FEATURES,
    TYPES,
    ChunkPair,
    TypeModel,
    chunk_features,
    fit_model,
    load_models,
)

STOP = frozenset({"the", "of", "in", "a"})


def _pair(w1: str, w2: str, *, cosine: float = 0.9, rule: str = "EQUI") -> ChunkPair:
    a, b = w1.split(), w2.split()
    k1 = Counter(w.lower() for w in a if w.lower() not in STOP)
    k2 = Counter(w.lower() for w in b if w.lower() not in STOP)
    return ChunkPair(a, b, k1, k2, float(sum((k1 & k2).values())), Counter(), Counter(), rule, cosine)


def test_features_have_one_value_each_and_see_containment() -> None:
    same = chunk_features(_pair("in northern Pakistan", "in northern Pakistan"), STOP)
    more = chunk_features(_pair("in northern Pakistan", "in Pakistan"), STOP)
    assert same.shape == (len(FEATURES),)
    at = FEATURES.index
    assert same[at("identical")] == 1.0 and more[at("identical")] == 0.0
    assert more[at("words_contain1")] == 1.0 and more[at("words_contain2")] == 0.0
    assert chunk_features(_pair("on Monday", "on Thursday"), STOP)[at("dates_differ")] == 1.0


@pytest.mark.parametrize("units", [0, 4])
def test_fit_learns_a_separable_rule_and_round_trips(units: int) -> None:
    """Pairs whose words match are EQUI, pairs where one side has more are SPE1: learnable."""
    rows, types, scores = [], [], []
    for k in range(30):
        rows.append(chunk_features(_pair(f"w{k} x{k}", f"w{k} x{k}"), STOP))
        types.append("EQUI")
        scores.append(5.0)
        rows.append(chunk_features(_pair(f"big w{k} x{k}", f"w{k} x{k}", cosine=0.7), STOP))
        types.append("SPE1")
        scores.append(4.0)
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
    t, s = models["headlines"].predict(chunk_features(_pair("Obama", "Obama", cosine=1.0), STOP))
    assert t in TYPES and t == "EQUI" and s == 5
