"""The index benchmark's disguised variants (``bench_index.py --variants distinct``) are texts
of their own: what its figures at every size rest on."""

from __future__ import annotations

import importlib.util
import itertools
import random
import re
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
    common, vocabulary, cumulative = bench.disguise_words(TEXTS + OTHERS)
    assert {"the", "said", "would"} <= common  # in 8, 6 and 4 of the 8 texts
    assert "monday" not in common and "minister" not in common  # in 2 and 1
    assert len(cumulative) == len(vocabulary) and cumulative == sorted(cumulative)
    weight = dict(zip(vocabulary, [cumulative[0], *(b - a for a, b in itertools.pairwise(cumulative))], strict=True))
    assert weight["monday"] == 2 and weight["minister"] == 1  # drawn as often as it is used


def test_a_disguised_text_keeps_its_shape_and_no_uncommon_word(bench: ModuleType) -> None:
    words = bench.disguise_words(TEXTS)
    common = words[0]
    text = "Minister Jones said the MINISTER would rise, and the minister did.\n\nJones left."
    out = bench.disguise(text, random.Random(5), *words)
    split = re.compile(r"[A-Za-z]+")
    assert split.split(out) == split.split(text)  # punctuation, spaces and paragraphs kept
    before, after = split.findall(text), split.findall(out)
    for old, new in zip(before, after, strict=True):
        if old.lower() in common or len(old) < 3:
            assert new == old
        else:
            assert new.lower() in words[1]
            assert new[0].isupper() == old[0].isupper() and new.isupper() == old.isupper()
    # one replacement a word, whatever its case: "Minister", "MINISTER" and "minister"
    swapped = {after[i].lower() for i, w in enumerate(before) if w.lower() == "minister"}
    assert len(swapped) == 1
    assert bench.disguise(text, random.Random(5), *words) == out  # seeded: the same variant


def test_disguised_variants_share_next_to_no_content(bench: ModuleType) -> None:
    words = bench.disguise_words(TEXTS)
    rng = random.Random(11)

    def uncommon(text: str) -> list[str]:
        return [w.lower() for w in re.findall(r"[A-Za-z]+", text) if w.lower() not in words[0] and len(w) >= 3]

    for text in TEXTS:
        before, after = uncommon(text), uncommon(bench.disguise(text, rng, *words))
        assert len(after) == len(before)  # a replacement is never a kept word
        # the same word only where the draw from the (here tiny) vocabulary lands on it
        assert sum(a == b for a, b in zip(before, after, strict=True)) <= len(before) // 3
