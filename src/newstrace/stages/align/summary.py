"""Summaries, found at document level: target regions that condense the whole source."""

from __future__ import annotations

import numpy as np

from newstrace.stages.align.config import AlignConfig
from newstrace.stages.align.extend import _chars
from newstrace.stages.align.space import _cos, _Space, _vec
from newstrace.stages.text import Tokens


def _summaries(space: _Space, src: Tokens, tgt: Tokens, config: AlignConfig) -> list[tuple[tuple[int, int], float]]:
    """Target regions that condense the whole source: (sentence range, cosine with the source).

    A summary sentence fuses several source sentences, so sentence seeds often miss it (a
    quarter of PAN 2013's summaries had none).  Instead, target windows are compared with the
    source as a whole; windows close to it are merged into regions, and a region is kept when
    the whole source explains it better than any local passage (else it is local reuse, left
    to the seeds) and better than the target's own remaining text (else it is just on topic).
    """
    n = len(tgt.sentences)
    src_len = src.sentences[-1].end - src.sentences[0].start
    if config.summary_cosine <= 0 or src_len < config.summary_ratio * 150:
        return []
    doc = _vec(space.src, (0, space.src.shape[0] - 1))
    present = doc > 0
    passing: list[tuple[int, int]] = []
    for i in range(n):
        j = i
        while j < n - 1 and tgt.sentences[j].end - tgt.sentences[i].start < config.summary_window:
            j += 1
        w = _vec(space.tgt, (i, j))
        mass = float(w.sum())
        if (mass > 0 and src_len >= config.summary_ratio * (tgt.sentences[j].end - tgt.sentences[i].start)
                and float(w[present].sum()) / mass >= config.summary_coverage
                and _cos(w, doc) >= config.summary_cosine):
            passing.append((i, j))
        if j == n - 1:
            break
    regions: list[list[int]] = []
    for i, j in passing:
        if regions and i <= regions[-1][1] + 1:
            regions[-1][1] = max(regions[-1][1], j)
        else:
            regions.append([i, j])
    target_all = _vec(space.tgt, (0, space.tgt.shape[0] - 1))
    out = []
    for i, j in regions:
        t0, t1 = tgt.sentences[i].start, tgt.sentences[j].end
        if src_len < config.summary_ratio * (t1 - t0):
            continue
        region = _vec(space.tgt, (i, j))
        sim = _cos(region, doc)
        if sim - _cos(region, target_all - region) < config.summary_host:
            continue
        if _local_share(space, src, region, 2 * (t1 - t0)) > config.summary_local:
            continue
        out.append(((i, j), sim))
    return out


def _local_sources(space: _Space, src: Tokens, tgt: Tokens, region: tuple[int, int],
                   config: AlignConfig) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The local passages inside a would-be summary region, if meaning says it is local reuse.

    A summary draws on the whole source; a heavily rewritten (translated) passage follows one
    stretch of it sentence by sentence.  Region sentences with a close source sentence by
    meaning (``semantic_local``) are chained while both sides advance in step (target by 1-2
    sentences, source by 0-3); when chains of two or more hold at least half the region, the
    region is local reuse and the chains are returned as ``(source range, target range)``.
    """
    if space.semantic is None or config.semantic_local <= 0:
        return []
    i, j = region
    sims = space.semantic.block(range(len(src.sentences)), range(i, j + 1))
    best = sims.max(axis=0)
    at = sims.argmax(axis=0)
    chains: list[list[tuple[int, int]]] = []  # (target, source) sentence pairs
    for k in np.nonzero(best >= config.semantic_local)[0]:
        t, s = i + int(k), int(at[k])
        last = chains[-1][-1] if chains else None
        if last is not None and 1 <= t - last[0] <= 2 and 0 <= s - last[1] <= 3:
            chains[-1].append((t, s))
        else:
            chains.append([(t, s)])
    # A summary also follows its source in order, but condenses it: its chains cover more
    # source text than target text.  A rewrite keeps the length.
    chains = [c for c in chains if len(c) >= 2
              and _chars(src, (c[0][1], c[-1][1]))[1] - _chars(src, (c[0][1], c[-1][1]))[0]
              <= config.semantic_local_ratio * (_chars(tgt, (c[0][0], c[-1][0]))[1] - _chars(tgt, (c[0][0], c[-1][0]))[0])]
    if sum(c[-1][0] - c[0][0] + 1 for c in chains) < config.semantic_local_share * (j - i + 1):
        return []
    return [((c[0][1], c[-1][1]), (c[0][0], c[-1][0])) for c in chains]


def _local_share(space: _Space, src: Tokens, region: np.ndarray, width: int) -> float:
    """Of the region's term mass found in the source, the most one source window holds."""
    idx = np.nonzero(region)[0]
    weights = region[idx]
    here = (space.src[:, idx] > 0).toarray().astype(np.int32)  # source sentences x terms
    total = float(weights[here.any(axis=0)].sum())
    if total <= 0:
        return 1.0
    cum = np.vstack([np.zeros((1, len(idx)), np.int32), np.cumsum(here, axis=0)])
    starts = np.empty(len(src.sentences), dtype=np.int64)
    k0 = 0
    for k1, sent in enumerate(src.sentences):
        while sent.end - src.sentences[k0].start > width and k0 < k1:
            k0 += 1
        starts[k1] = k0
    found = (cum[1:] - cum[starts]) > 0  # window ending at each sentence x terms
    return float((found @ weights).max()) / total
