"""plan_pairs: linear alignments for big families, no bucket silently dropped."""

from __future__ import annotations

import random
from collections.abc import Iterable

from newstrace.stages.candidates import (
    PLAN_NEIGHBOURS,
    SENTENCE_SMALL_EARLIER,
    fingerprint,
    large_components,
    nearest_earlier,
    outside_families,
    plan_pairs,
)
from newstrace.types import Document

WORDS = [f"w{i}" for i in range(3000)]


def _text(rng: random.Random, n: int = 300) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def _reached(start: str, pairs: Iterable[tuple[str, str]]) -> set[str]:
    """The documents the pairs join to ``start``."""
    seen = {start}
    grow = True
    while grow:
        grow = False
        for a, b in pairs:
            if (a in seen) != (b in seen):
                seen |= {a, b}
                grow = True
    return seen


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
    assert _reached("c000", pairs) == copies  # the planned pairs connect every copy


def test_the_plan_names_its_families_and_pairs_inside_one_are_left_to_it() -> None:
    rng = random.Random(3)
    first, second = _text(rng), _text(rng)
    docs = [Document(id=f"a{i:02d}", raw=first, text=first) for i in range(15)]
    docs += [Document(id=f"b{i:02d}", raw=second, text=second) for i in range(14)]
    docs += [Document(id=f"s{i}", raw=first + " tail", text=first + " tail") for i in range(2)]  # joins a's
    docs += [Document(id=f"o{i}", raw=t, text=t) for i, t in enumerate(_text(rng) for _ in range(3))]
    fps = [fingerprint(d) for d in docs]
    families: dict[str, int] = {}
    plan_pairs(fps, families=families)
    assert families == large_components(fps)
    assert len(set(families.values())) == 2 and not any(i.startswith("o") for i in families)
    assert families["a00"] == families["s1"] != families["b00"]
    meaning = {("a00", "a07"), ("a03", "s0"), ("a00", "b00"), ("a00", "o1"), ("o0", "o1"), ("b01", "b13")}
    assert outside_families(meaning, families) == {("a00", "b00"), ("a00", "o1"), ("o0", "o1")}
    assert outside_families(meaning, {}) == meaning


def test_small_components_keep_every_colliding_pair() -> None:
    rng = random.Random(2)
    base = _text(rng)
    docs = [Document(id=f"d{i}", raw=base + f" tail{i}", text=base + f" tail{i}") for i in range(4)]
    pairs, stats = plan_pairs([fingerprint(d) for d in docs])
    assert len(pairs) == 6 and stats["large_components"] == 0
    assert all("shingles" in ch for ch in pairs.values())


def _variants(rng: random.Random, n: int, *, sentences: int = 60, taken: int = 12) -> list[Document]:
    """``n`` rewrites of one story that each keep a different fifth of its sentences, shuffled:
    they share sentences (the sentence channel pairs them) but few 5-grams (few shingle bands)."""
    story = [" ".join(rng.choice(WORDS) for _ in range(12)) + "." for _ in range(sentences)]
    out = []
    for i in range(n):
        text = " ".join(rng.sample(story, taken))
        out.append(Document(id=f"v{i:02d}", raw=text, text=text))
    return out


def _earlier_sentence_partners(pairs: dict[tuple[str, str], set[str]], order: list[str]) -> dict[str, set[str]]:
    rank = {d: i for i, d in enumerate(order)}
    out: dict[str, set[str]] = {d: set() for d in order}
    for (a, b), channels in pairs.items():
        if "sentences" in channels:
            later, earlier = (a, b) if rank[a] > rank[b] else (b, a)
            out[later].add(earlier)
    return out


def test_a_large_sentence_linked_family_is_aligned_with_each_members_nearest_earlier_copies() -> None:
    docs = _variants(random.Random(3), 30)
    fps = [fingerprint(d) for d in docs]
    order = [d.id for d in reversed(docs)]  # arrival order is not id order
    arrival = {d: i for i, d in enumerate(order)}
    full, full_stats = plan_pairs(fps, arrival=arrival, sentence_small=10**6)
    pairs, stats = plan_pairs(fps, arrival=arrival)
    everyone = _earlier_sentence_partners(full, order)
    kept = _earlier_sentence_partners(pairs, order)
    assert full_stats["sentence_nearest"] == 0
    assert max(len(p) for p in everyone.values()) > SENTENCE_SMALL_EARLIER  # the bound is reached
    for doc_id in order:
        if len(everyone[doc_id]) <= SENTENCE_SMALL_EARLIER:
            assert kept[doc_id] == everyone[doc_id]
        else:
            assert kept[doc_id] < everyone[doc_id] and len(kept[doc_id]) == PLAN_NEIGHBOURS
    assert stats["sentence_nearest"] == sum(len(p) > SENTENCE_SMALL_EARLIER for p in everyone.values())
    assert set(pairs) < set(full) and stats["pairs"] == len(pairs)
    assert _reached(order[0], pairs) == set(order)  # the kept pairs still join the family into one


def test_nearest_earlier_keeps_all_of_a_few_and_the_most_agreeing_of_many() -> None:
    mine = list(range(10))
    earlier = [(f"e{i}", (i, f"e{i}"), [*range(i), *[99] * (10 - i)]) for i in range(6)]  # e5 agrees most
    assert nearest_earlier(mine, earlier, small=6) == [e[0] for e in earlier]
    assert nearest_earlier(mine, earlier, small=5, neighbours=2) == ["e5", "e4"]
    tied = [(f"t{i}", (5 - i, f"t{i}"), [99] * 10) for i in range(6)]  # no agreement: earliest first
    assert nearest_earlier(mine, tied, small=2, neighbours=2) == ["t5", "t4"]


def test_nearest_candidates_keeps_all_of_a_small_family_and_the_nearest_of_a_large_one() -> None:
    from newstrace.stages.candidates import PLAN_NEIGHBOURS, PLAN_SMALL_COMPONENT, nearest_candidates

    query = list(range(128))

    def digest(agree: int) -> list[int]:  # agrees with the query on its first ``agree`` values
        return query[:agree] + [1000 + i for i in range(128 - agree)]

    n = PLAN_SMALL_COMPONENT + 5
    found = {f"copy{i:02d}": {"shingles"} for i in range(n)}
    found |= {f"spun{i}": {"sentences"} for i in range(4)}
    digests = {f"copy{i:02d}": digest(60 + i) for i in range(n)}
    digests |= {f"spun{i}": digest(0) for i in range(4)}
    kept, left = nearest_candidates(query, found, digests)
    nearest = {f"copy{i:02d}" for i in range(n - PLAN_NEIGHBOURS, n)}
    assert kept == nearest | {f"spun{i}" for i in range(4)}  # few sentence-only candidates: all kept
    assert left == set(found) - kept
    small = {k: v for k, v in found.items() if k < f"copy{PLAN_SMALL_COMPONENT:02d}"}
    assert nearest_candidates(query, small, digests) == (set(small), set())
