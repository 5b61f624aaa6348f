"""The index benchmark's disguised variants (``bench_index.py --variants distinct``) are texts
of their own: what its figures at every size rest on."""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_index.py"

TEXTS = [
    "The minister said the budget would rise by 3% next year, the Treasury confirmed on Monday.",
    "The club said its striker would miss the final after an injury in training on Monday.",
    "Shares in the bank fell after the regulator said it would review the merger next year.",
    "The council said the new bridge would open in May, a year later than planned.",
]
OTHERS = [
    "Police said the road was closed for most of the day.",
    "The singer said the tour was the best of her life.",
    "The storm cut power to thousands of homes in the north.",
    "Fans queued all night for the first tickets.",
]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_index_for_tests", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_common_words_are_those_of_most_texts(bench: ModuleType) -> None:
    common, common_cumulative, vocabulary, cumulative = bench.disguise_words(TEXTS + OTHERS)
    assert {"the", "said", "would"} <= set(common)  # in 8, 6 and 4 of the 8 texts
    assert "monday" in vocabulary and "minister" in vocabulary  # in 2 and 1
    assert not set(common) & set(vocabulary)
    for words, cum in ((common, common_cumulative), (vocabulary, cumulative)):
        assert len(cum) == len(words) and cum == sorted(cum)
    weight = dict(zip(vocabulary, [cumulative[0], *(b - a for a, b in itertools.pairwise(cumulative))], strict=True))
    assert weight["monday"] == 2 and weight["minister"] == 1  # drawn as often as it is used


def test_a_disguised_text_keeps_its_shape_not_its_words(bench: ModuleType) -> None:
    words = bench.disguise_words(TEXTS + OTHERS)
    common, vocabulary = set(words[0]), set(words[2])
    text = "Minister Jones said the MINISTER would rise 3%, and the minister did.\n\nJones left in 2004."
    out = bench.disguise(text, random.Random(5), *words)
    split = bench._WORD_RE
    assert split.split(out) == split.split(text)  # punctuation, spaces and paragraphs kept
    before, after = split.findall(text), split.findall(out)
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        if old.isdigit():
            assert new.isdigit()
        elif old.lower() in common:
            assert new.lower() in common  # another function word, drawn at each occurrence
        else:
            assert new.lower() in vocabulary
        if not old.isdigit():
            assert new[0].isupper() == old[0].isupper()
    # one replacement a word, whatever its case: "Minister", "MINISTER" and "minister"
    assert len({after[i].lower() for i, w in enumerate(before) if w.lower() == "minister"}) == 1
    assert bench.disguise(text, random.Random(5), *words) == out  # seeded: the same variant


def test_disguised_variants_of_one_text_share_next_to_nothing(bench: ModuleType) -> None:
    words = bench.disguise_words(TEXTS + OTHERS)
    rng = random.Random(11)
    for text in TEXTS:
        first, second = (bench._WORD_RE.findall(bench.disguise(text, rng, *words)) for _ in range(2))
        # neither the original's words nor, between two variants, the order of the function words
        assert sum(a == b for a, b in zip(bench._WORD_RE.findall(text), first, strict=True)) <= len(first) // 3
        assert sum(a == b for a, b in zip(first, second, strict=True)) <= len(first) // 3
