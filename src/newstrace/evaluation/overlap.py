"""Exact word 5-gram overlap between all document pairs: the reference for reuse on BBC News.

Computed with an inverted index over shingles, so only pairs sharing at least one 5-gram are
counted.  ``containment(a, b)`` is the share of the smaller document's 5-grams found in the
other; ``jaccard`` is the usual set ratio.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from newstrace.stages.text import WORD_RE

__all__ = ["PairOverlap", "overlaps", "shingle_set"]


def shingle_set(text: str, n: int = 5) -> set[int]:
    words = [w.lower() for w in WORD_RE.findall(text)]
    return {hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1)}


@dataclass(frozen=True, slots=True)
class PairOverlap:
    a: str
    b: str
    shared: int
    containment: float  # shared / min(|A|, |B|): how much of the smaller one is in the other
    mutual: float  # shared / max(|A|, |B|): the share *each* article has in common
    jaccard: float


def overlaps(texts: Mapping[str, str], n: int = 5, max_postings: int = 1000) -> dict[tuple[str, str], PairOverlap]:
    """Every pair of documents sharing at least one word n-gram, with its overlap figures."""
    sets = {k: shingle_set(v, n) for k, v in texts.items()}
    postings: dict[int, list[str]] = defaultdict(list)
    for k, s in sets.items():
        for g in s:
            postings[g].append(k)
    shared: Counter[tuple[str, str]] = Counter()
    for docs in postings.values():
        if 1 < len(docs) <= max_postings:
            docs = sorted(docs)
            for i, a in enumerate(docs):
                for b in docs[i + 1 :]:
                    shared[(a, b)] += 1
    out = {}
    for (a, b), n in shared.items():
        la, lb = len(sets[a]), len(sets[b])
        out[(a, b)] = PairOverlap(a, b, n, n / max(1, min(la, lb)), n / max(1, la, lb), n / max(1, la + lb - n))
    return out
