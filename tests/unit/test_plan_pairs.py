"""plan_pairs: linear alignments for big families, no bucket silently dropped."""

from __future__ import annotations

import random

from newstrace.stages.candidates import PLAN_NEIGHBOURS, fingerprint, plan_pairs
from newstrace.types import Document

WORDS = [f"w{i}" for i in range(3000)]


def _text(rng: random.Random, n: int = 300) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def test_identical_copies_cost_linear_alignments_and_stay_one_component() -> None:
    rng = random.Random(1)
    base = _text(rng)
    docs = [Document(id=f"c{i:03d}", raw=base, text=base) for i in range(120)]
    docs += [Document(id=f"o{i}", raw=t, text=t) for i, t in enumerate(_text(rng) for _ in range(5))]
    pairs, stats = plan_pairs([fingerprint(d) for d in docs])
    copies = {d.id for d in docs if d.id.startswith("c")}
    assert stats["largest_component"] == 120 and stats["large_components"] == 1
    assert len(pairs) <= PLAN_NEIGHBOURS * 120 + 1
    assert stats["pairs_all_pairs"] == 120 * 119 // 2
    # the planned pairs connect every copy
    seen = {"c000"}
    grow = True
    while grow:
        grow = False
        for a, b in pairs:
            if (a in seen) != (b in seen):
                seen |= {a, b}
                grow = True
    assert seen == copies


def test_small_components_keep_every_colliding_pair() -> None:
    rng = random.Random(2)
    base = _text(rng)
    docs = [Document(id=f"d{i}", raw=base + f" tail{i}", text=base + f" tail{i}") for i in range(4)]
    pairs, stats = plan_pairs([fingerprint(d) for d in docs])
    assert len(pairs) == 6 and stats["large_components"] == 0
    assert all("shingles" in ch for ch in pairs.values())
