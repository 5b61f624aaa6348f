"""Seeds to passages: clustering, validation, hysteresis growth and the semantic edges (SP14's
"extension" and "filtering" steps)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newstrace.stages.align.config import DEFAULT_CONFIG, AlignConfig
from newstrace.stages.align.similarity import SentenceSimilarity
from newstrace.stages.align.space import _BLOCK_CELLS, _passage_cosine, _Space
from newstrace.stages.text import Tokens


def _split_by(seeds: list[tuple[int, int]], axis: int, max_gap: int) -> list[list[tuple[int, int]]]:
    """Group seeds whose positions along ``axis`` are at most ``max_gap`` sentences apart."""
    ordered = sorted(seeds, key=lambda s: (s[axis], s[1 - axis]))
    groups: list[list[tuple[int, int]]] = []
    last = 0
    for s in ordered:
        if not groups or s[axis] - last > max_gap + 1:
            groups.append([s])
        else:
            groups[-1].append(s)
        last = s[axis]
    return groups


def _cluster(seeds: list[tuple[int, int]], max_gap: int) -> list[list[tuple[int, int]]]:
    """Alternately split by target then source position until every cluster is stable."""
    pending = [seeds]
    done: list[list[tuple[int, int]]] = []
    while pending:
        group = pending.pop()
        by_tgt = _split_by(group, 1, max_gap)
        if len(by_tgt) > 1:
            pending.extend(by_tgt)
            continue
        by_src = _split_by(group, 0, max_gap)
        if len(by_src) > 1:
            pending.extend(by_src)
            continue
        done.append(group)
    return done


@dataclass(slots=True)
class _Fragment:
    src: tuple[int, int]  # sentence index range, inclusive
    tgt: tuple[int, int]
    similarity: float
    quality: float
    seeds: int = 1  # sentence pairs supporting it


def _extend(space: _Space, seeds: list[tuple[int, int]], max_gap: int, validation: float) -> list[_Fragment]:
    out: list[_Fragment] = []
    for group in _cluster(seeds, max_gap):
        src = (min(s for s, _ in group), max(s for s, _ in group))
        tgt = (min(t for _, t in group), max(t for _, t in group))
        sim = _passage_cosine(space, src, tgt)
        if sim >= validation:
            quality = float(sum(space.scores.cos(s, t) for s, t in group))
            out.append(_Fragment(src, tgt, sim, quality, len(group)))
        elif max_gap > 0 and len(group) > 1:
            out.extend(_extend(space, group, max_gap - 1, validation))
    return out


def _chars(tokens: Tokens, rng: tuple[int, int]) -> tuple[int, int]:
    return tokens.sentences[rng[0]].start, tokens.sentences[rng[1]].end


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _filter(fragments: list[_Fragment], src: Tokens, tgt: Tokens, min_chars: int,
            space: _Space | None = None, config: AlignConfig = DEFAULT_CONFIG) -> list[_Fragment]:
    """Resolve overlaps on the target side by quality, then drop passages too small to trust
    (unless weaker evidence around them grows them to size, see ``_grow``)."""
    kept: list[_Fragment] = []
    for f in sorted(fragments, key=lambda f: -f.quality):
        if any(_overlap(f.tgt, k.tgt) for k in kept):
            continue
        kept.append(f)

    def small(f: _Fragment) -> bool:
        s0, s1 = _chars(src, f.src)
        t0, t1 = _chars(tgt, f.tgt)
        return s1 - s0 < min_chars or t1 - t0 < min_chars

    def trusted(f: _Fragment) -> bool:
        return not small(f) and (f.seeds > 1 or f.similarity >= config.single_validation)

    out = [f for f in kept if trusted(f)]
    if space is not None and config.grow_cosine > 0:
        big = list(out)
        for f in sorted((f for f in kept if not trusted(f)), key=lambda f: -f.quality):
            g = _grow(space, f, config)
            if small(g) or g.seeds < 2 or g.similarity < config.grow_validation:
                continue
            if any(_overlap(g.tgt, k.tgt) or _overlap(g.src, k.src) for k in big):
                continue
            if any(_overlap(g.tgt, k.tgt) for k in out):
                continue
            out.append(g)
    return sorted(out, key=lambda f: f.tgt)


def _grow(space: _Space, f: _Fragment, config: AlignConfig) -> _Fragment:
    """Hysteresis: extend a fragment by weak seeds (cosine and Dice above the ``grow_*``
    thresholds) lying within ``grow_gap`` sentences of it on both sides, until none is left.
    An obfuscated sentence that is merged, split or heavily edited still shares a few words
    with its source; alone it is no evidence, next to a seed it is."""
    n_s, n_t = space.shape
    a, b = f.src
    c, d = f.tgt
    q = f.quality
    n = f.seeds
    gap = config.grow_gap
    while True:
        sa, sb = max(0, a - gap), min(n_s, b + gap + 1)
        ta, tb = max(0, c - gap), min(n_t, d + gap + 1)
        near = set(space.scores.where(config.grow_cosine, config.grow_dice, rows=(sa, sb), cols=(ta, tb)))
        if space.semantic is not None and config.semantic_grow > 0:
            ii, jj = np.nonzero(space.semantic.block(range(sa, sb), range(ta, tb)) >= config.semantic_grow)
            near.update(zip((ii + sa).tolist(), (jj + ta).tolist(), strict=True))
        na, nb, nc, nd = a, b, c, d
        for i, j in sorted(near):  # row-major, as np.nonzero over the window gave them
            if a <= i <= b and c <= j <= d:
                continue
            na, nb, nc, nd = min(na, i), max(nb, i), min(nc, j), max(nd, j)
            q += space.scores.cos(i, j)
            n += 1
        if (na, nb, nc, nd) == (a, b, c, d):
            break
        a, b, c, d = int(na), int(nb), int(nc), int(nd)
    return _Fragment((a, b), (c, d), _passage_cosine(space, (a, b), (c, d)), q, n)


def _run(space: _Space, seeds: list[tuple[int, int]], src: Tokens, tgt: Tokens, max_gap: int,
         config: AlignConfig) -> list[_Fragment]:
    frags = _filter(_extend(space, seeds, max_gap, config.validation), src, tgt, config.min_chars, space, config)
    if space.semantic is not None and config.semantic_edge > 0:
        frags = _semantic_edges(space, frags, config.semantic_edge)
    return frags


def _chain_seeds(sem: SentenceSimilarity, n_s: int, n_t: int, threshold: float) -> list[tuple[int, int]]:
    """Seeds by meaning alone: sentence pairs that are each other's best match and continue
    a run of consecutive pairs (the next or previous sentences on both sides) that all reach
    ``threshold``.  One close pair may be a shared topic; two in a row in order rarely are.

    Computed in blocks of source rows (two passes: the best matches, then the runs), so memory
    stays linear in the texts' length.
    """
    step = max(1, _BLOCK_CELLS // max(1, n_t))
    row_max = np.full(n_s, -np.inf, dtype=np.float64)
    col_max = np.full(n_t, -np.inf, dtype=np.float64)
    for r0 in range(0, n_s, step):
        S = sem.block(range(r0, min(n_s, r0 + step)), range(n_t))
        row_max[r0 : r0 + len(S)] = S.max(axis=1)
        np.maximum(col_max, S.max(axis=0), out=col_max)
    out: list[tuple[int, int]] = []
    for r0 in range(0, n_s, step):
        r1 = min(n_s, r0 + step)
        S = sem.block(range(r0, r1), range(n_t))
        strong = threshold <= S
        above = (threshold <= sem.block(range(r0 - 1, r0), range(n_t))) if r0 > 0 else np.zeros((1, n_t), bool)
        below = (threshold <= sem.block(range(r1, r1 + 1), range(n_t))) if r1 < n_s else np.zeros((1, n_t), bool)
        ext = np.vstack([above, strong, below])  # rows r0-1 .. r1
        nxt = np.zeros_like(strong)
        prv = np.zeros_like(strong)
        nxt[:, :-1] = ext[2:, 1:]  # (i+1, j+1)
        prv[:, 1:] = ext[:-2, :-1]  # (i-1, j-1)
        best = (row_max[r0:r1, None] <= S) & (col_max[None, :] <= S)
        ii, jj = np.nonzero(strong & (nxt | prv) & best)
        out.extend(zip((ii + r0).tolist(), jj.tolist(), strict=True))
    return out


def _semantic_edges(space: _Space, frags: list[_Fragment], threshold: float) -> list[_Fragment]:
    """Extend each passage by the sentence pair just before (after) it on both sides while
    their embeddings agree: a translated or rewritten edge sentence keeps its meaning but may
    share too few words to be seeded, and passages start and end on aligned sentences."""
    assert space.semantic is not None
    sem = space.semantic
    n_s, n_t = space.shape
    out: list[_Fragment] = []
    for k, f in enumerate(frags):
        others = frags[:k] + frags[k + 1 :]
        (a, b), (c, d) = f.src, f.tgt

        def free(i: int, j: int, others: list[_Fragment] = others) -> bool:
            return not any(_overlap((i, i), o.src) or _overlap((j, j), o.tgt) for o in others)

        while a > 0 and c > 0 and sem.pair(a - 1, c - 1) >= threshold and free(a - 1, c - 1):
            a, c = a - 1, c - 1
        while b < n_s - 1 and d < n_t - 1 and sem.pair(b + 1, d + 1) >= threshold and free(b + 1, d + 1):
            b, d = b + 1, d + 1
        if ((a, b), (c, d)) != (f.src, f.tgt):
            # The edge-word trimming that follows still cuts what the other side lacks.
            f = _Fragment((a, b), (c, d), _passage_cosine(space, (a, b), (c, d)), f.quality, f.seeds)
        out.append(f)
    return out


def _length(tokens: Tokens, frags: list[_Fragment], side: str) -> int:
    total = 0
    for f in frags:
        s, e = _chars(tokens, getattr(f, side))
        total += e - s
    return total
