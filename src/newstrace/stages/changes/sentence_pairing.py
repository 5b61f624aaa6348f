"""Sentence pairing: aligned passages are split into sentences and paired monotonically by
weighted content-word overlap (synonyms count), with 1:2 and 2:1 merges; a sentence left
alone is an omission or an addition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from newstrace.stages.changes.config import CONFIG
from newstrace.stages.changes.records import _Tok
from newstrace.stages.changes.resources import _sense_ids


def _key_weight(key: str) -> float:
    return 0.5 if key.startswith("@") else 1.0  # names recur across a story: they count half


def _bag(toks: Iterable[_Tok]) -> Counter[str]:
    return Counter(t.key for t in toks if t.content)


@lru_cache(maxsize=65536)
def _key_senses(key: str) -> frozenset[tuple[str, int]]:
    if key.startswith(("@", "#")):
        return frozenset()
    return _sense_ids(key)


def _weight(bag: Counter[str]) -> float:
    """The content weight of a bag: its words, names counting half (:func:`_key_weight`).

    Every weight is a multiple of one half, so sums of them are exact in any order."""
    return sum(_key_weight(k) * n for k, n in bag.items())


def _matched(a: Counter[str], b: Counter[str], na: float | None = None,
             nb: float | None = None) -> tuple[float, float, float]:
    """(matched weight, content weight of a, of b) of two bags of content keys; ``na`` and
    ``nb``, when given, are the bags' weights (:func:`_weight`), known already.

    A word matches the same key on the other side (names are already one key per entity), or
    a word sharing a WordNet sense with it.
    """
    na = _weight(a) if na is None else na
    nb = _weight(b) if nb is None else nb
    if not a or not b:
        return 0.0, na, nb
    common = a & b
    matched = _weight(common)
    rest_a, rest_b = a - common, b - common
    if rest_a and rest_b:
        # the senses of the other side's words, one entry a word (a word matches once)
        pool = [senses for k, n in rest_b.items() if (senses := _key_senses(k)) for _ in range(n)]
        for k, n in rest_a.items():
            senses = _key_senses(k)
            if not senses:
                continue
            for _ in range(n):
                hit = next((x for x, other in enumerate(pool) if not senses.isdisjoint(other)), -1)
                if hit < 0:
                    break
                pool.pop(hit)
                matched += 1.0
    return matched, na, nb


_UNMATCHED_COST = CONFIG.unmatched_cost


def _align_sentences(src: list[list[_Tok]], tgt: list[list[_Tok]],
                     threshold: float = 0.2) -> list[tuple[list[int], list[int]]]:
    """Monotone alignment of sentences (1:1, 1:2, 2:1, 1:0, 0:1).

    A pair gains its matched content words and loses a little for each unmatched one; a merge
    is only allowed when the extra sentence brings its own matches (at least 30% of its words).
    """
    n, m = len(src), len(tgt)
    if n == 1 and m == 1 and src[0] and tgt[0]:
        return [([0], [0])]  # an aligned passage of one sentence each: they correspond
    band = max(8, (max(n, m) - min(n, m)) + 6)  # aligned passages: sentences stay near the diagonal
    cache: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[float, float, float]] = {}

    bags_s = [_bag(x) for x in src]
    bags_t = [_bag(x) for x in tgt]
    weights_s = [_weight(b) for b in bags_s]
    weights_t = [_weight(b) for b in bags_t]

    def bag(bags: list[Counter[str]], idx: tuple[int, ...]) -> Counter[str]:
        return bags[idx[0]] if len(idx) == 1 else sum((bags[i] for i in idx), Counter())

    def stats(i_s: tuple[int, ...], j_s: tuple[int, ...]) -> tuple[float, float, float]:
        key = (i_s, j_s)
        found = cache.get(key)
        if found is None:
            found = cache[key] = _matched(bag(bags_s, i_s), bag(bags_t, j_s), sum((weights_s[i] for i in i_s), 0.0),
                                          sum((weights_t[j] for j in j_s), 0.0))
        return found

    def gain(i_s: tuple[int, ...], j_s: tuple[int, ...]) -> float | None:
        mt, na, nb = stats(i_s, j_s)
        if na + nb == 0 or 2 * mt / (na + nb) < threshold:
            return None
        return 2 * mt - _UNMATCHED_COST * (na + nb - 2 * mt)

    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            cur = best[i][j]
            if cur == neg:
                continue
            moves: list[tuple[int, int, float]] = [(1, 0, 0.0), (0, 1, 0.0)]
            if i < n and j < m and abs(i * m - j * n) <= band * max(n, m):
                g11 = gain((i,), (j,))
                if g11 is not None:
                    moves.append((1, 1, g11))
                    m11 = stats((i,), (j,))[0]
                    if j + 1 < m:
                        g12 = gain((i,), (j, j + 1))
                        extra = stats((i,), (j, j + 1))[0] - m11
                        if g12 is not None and extra >= max(1.0, 0.3 * stats((), (j + 1,))[2]):
                            moves.append((1, 2, g12))
                    if i + 1 < n:
                        g21 = gain((i, i + 1), (j,))
                        extra = stats((i, i + 1), (j,))[0] - m11
                        if g21 is not None and extra >= max(1.0, 0.3 * stats((i + 1,), ())[1]):
                            moves.append((2, 1, g21))
            for di, dj, g in moves:
                ni, nj = i + di, j + dj
                if ni <= n and nj <= m and cur + g > best[ni][nj] + 1e-12:
                    best[ni][nj] = cur + g
                    back[ni][nj] = (di, dj)
    groups: list[tuple[list[int], list[int]]] = []
    i, j = n, m
    while i > 0 or j > 0:
        step = back[i][j]
        assert step is not None
        di, dj = step
        groups.append((list(range(i - di, i)), list(range(j - dj, j))))
        i, j = i - di, j - dj
    groups.reverse()
    return groups
