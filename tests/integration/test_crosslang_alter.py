"""The cross-language alteration check on a fixed sample of PAN-PC-11 Spanish→English pairs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from newstrace.evaluation.crosslang_alter import alter, evaluate
from newstrace.stages.changes import wordnet

pytestmark = pytest.mark.integration


def test_generator_is_deterministic_and_alters_one_thing() -> None:
    src = "Llegó el 5 de marzo con Vicente y 300 hombres."
    tgt = "He arrived on 5 March with Vicente and 300 men."
    a = alter(src, tgt, random.Random(3))
    b = alter(src, tgt, random.Random(3))
    assert a is not None and a == b
    text, alt = a
    assert text != tgt and text[alt.start:alt.end] == alt.new and alt.old in tgt
    assert alter("Nada aquí.", "nothing here at all.", random.Random(0)) is None


def test_alterations_are_caught_and_unaltered_pairs_not_flagged(data_dir: Path) -> None:
    pairs = data_dir / "pan11-crosslang" / "pairs.jsonl"
    if not pairs.is_file():
        pytest.skip(f"PAN-PC-11 pairs not found at {pairs}")
    if wordnet() is None:
        pytest.skip("needs WordNet (common words are not names)")
    pytest.importorskip("onnxruntime")
    r = evaluate(str(pairs), limit=6, seed=0)
    assert r.altered >= 4
    assert r.recall >= 0.75, r
    assert r.unaltered_flagged <= 1, r
