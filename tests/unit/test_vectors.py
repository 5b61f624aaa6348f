"""The relate context of a pair: the vectors of the model that fits its languages."""

from __future__ import annotations

import numpy as np

from newstrace.stages.relate import ENGLISH_MODEL, MULTILINGUAL_MODEL
from newstrace.stages.vectors import models_for, pair_context
from newstrace.types import Document


def _doc(doc_id: str, language: str | None) -> Document:
    return Document(id=doc_id, raw="x", text="x", language=language)


VECTORS = {
    ENGLISH_MODEL: {"a": np.ones((1, 4), np.float32), "b": np.zeros((1, 4), np.float32)},
    MULTILINGUAL_MODEL: {"a": np.ones((1, 8), np.float32), "c": np.zeros((1, 8), np.float32)},
}


def test_english_pair_gets_english_vectors_that_also_feed_the_lexical_aligner() -> None:
    ctx = pair_context(_doc("a", "en"), _doc("b", "en"), VECTORS, {}, changes=True)
    assert ctx.model == ENGLISH_MODEL and ctx.vectors is not None and ctx.vectors[0].shape == (1, 4)
    assert ctx.lexical_vectors is ctx.vectors and ctx.changes


def test_cross_language_pair_gets_multilingual_vectors_and_swapped_backgrounds() -> None:
    back = (np.full(1, 0.1, np.float32), np.full(1, 0.2, np.float32))
    ctx = pair_context(_doc("c", "es"), _doc("a", "en"), VECTORS, {("a", "c"): back}, changes=False)
    assert ctx.model == MULTILINGUAL_MODEL and ctx.lexical_vectors is None
    assert ctx.backgrounds is not None and float(ctx.backgrounds[0][0]) == np.float32(0.2)
    swapped = ctx.swapped()
    assert swapped.vectors is not None and swapped.vectors[0].shape == (1, 8)
    assert swapped.backgrounds is not None and float(swapped.backgrounds[0][0]) == np.float32(0.1)


def test_pair_without_vectors_is_related_on_words_alone() -> None:
    ctx = pair_context(_doc("a", "de"), _doc("z", "de"), VECTORS, {}, changes=False)
    assert ctx.vectors is None and ctx.model is None


def test_multilingual_model_only_for_a_multilingual_collection() -> None:
    assert models_for({"a": "en", "b": "en"}) == [ENGLISH_MODEL]
    assert models_for({"a": "en", "b": "es", "c": None}) == [ENGLISH_MODEL, MULTILINGUAL_MODEL]
