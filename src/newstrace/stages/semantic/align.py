"""The semantic aligner: chains of sentence links across small gaps (paraphrase, summary, translation)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from newstrace.stages.semantic.config import DEFAULT_CONFIG, SemanticConfig
from newstrace.stages.semantic.paraphrase import SentenceInfo, _probability, feature_values
from newstrace.stages.semantic.similarity import sentence_similarity
from newstrace.stages.text import content_terms
from newstrace.types import Alignment, Sentence


@dataclass(slots=True)
class _Link:
    i: int  # source sentence
    j: int  # target sentence
    cosine: float
    strong: bool  # passes link_cosine / link_margin (always, across languages)
    seed: bool  # strong, mutual best and a paraphrase (same language) / mutual best (across languages)
    margin: float = 0.0  # across languages: cosine over the sentences' background


@dataclass
class _Chain:
    links: list[_Link]

    @cached_property
    def targets(self) -> set[int]:
        return {lk.j for lk in self.links}

    @cached_property
    def sources(self) -> set[int]:
        return {lk.i for lk in self.links}

    @property
    def src_range(self) -> tuple[int, int]:
        return min(self.sources), max(self.sources)

    @property
    def tgt_range(self) -> tuple[int, int]:
        return min(self.targets), max(self.targets)


def _spans(sentences: Sequence[Sentence | tuple[int, int]]) -> list[tuple[int, int]]:
    return [(s.start, s.end) if isinstance(s, Sentence) else (int(s[0]), int(s[1])) for s in sentences]


@dataclass(slots=True)
class _Pair:
    """One source/target text pair under alignment."""

    src_text: str
    tgt_text: str
    src: list[tuple[int, int]]
    tgt: list[tuple[int, int]]
    sim: np.ndarray
    cross: bool
    language: str
    config: SemanticConfig
    background: tuple[np.ndarray, np.ndarray] | None = None  # per source / target sentence

    def src_sentence(self, i: int) -> str:
        return self.src_text[self.src[i][0] : self.src[i][1]]

    def tgt_sentence(self, j: int) -> str:
        return self.tgt_text[self.tgt[j][0] : self.tgt[j][1]]


def _links(p: _Pair) -> list[_Link]:
    config = p.config
    if p.cross:
        floor, margin = config.crosslang_cosine, config.crosslang_margin
    else:
        floor, margin = min(config.link_cosine, config.summary_link_cosine), config.summary_margin
    best_src = p.sim.max(axis=1)
    if p.cross and p.background is not None:
        back_src, back_tgt = p.background
        ratio = config.crosslang_collection_link
    elif p.cross:
        k_src = min(config.crosslang_k, p.sim.shape[1])
        k_tgt = min(config.crosslang_k, p.sim.shape[0])
        back_src = -np.sort(-p.sim, axis=1)[:, :k_src].mean(axis=1)
        back_tgt = -np.sort(-p.sim, axis=0)[:k_tgt, :].mean(axis=0)
        ratio = config.crosslang_ratio
    infos: dict[tuple[str, int], SentenceInfo] = {}

    def info(side: str, k: int) -> SentenceInfo:
        if (side, k) not in infos:
            infos[(side, k)] = SentenceInfo(p.src_sentence(k) if side == "s" else p.tgt_sentence(k), p.language)
        return infos[(side, k)]

    out: list[_Link] = []
    for j in range(p.sim.shape[1]):
        col = p.sim[:, j]
        best = float(col.max())
        if best < floor:
            continue
        for i in np.argsort(-col, kind="stable")[: config.max_links]:
            c = float(col[i])
            if c < floor or c < best - margin:
                break
            i = int(i)
            if p.cross:
                background = (float(back_src[i]) + float(back_tgt[j])) / 2.0
                if c < ratio * background:
                    continue
                strong = True
                seed = c >= float(best_src[i]) - config.crosslang_margin
                out.append(_Link(i, j, c, strong, seed, c / max(background, 1e-6)))
                continue
            else:
                strong = c >= config.link_cosine and c >= best - config.link_margin
                seed = (strong and c >= float(best_src[i]) - config.link_margin
                        and _probability(feature_values(info("s", i), info("t", j), c), config.model)
                        >= config.seed_probability)
            out.append(_Link(i, j, c, strong, seed))
    return out


def _best_chain(links: list[_Link], src_gap: int, config: SemanticConfig, floor: float) -> _Chain | None:
    """The highest-scoring monotone chain of links: dynamic programming over the links sorted
    by target, then source, position; a link follows another if it is no earlier on either
    side and at most ``max_gap`` (target) and ``src_gap`` (source) sentences further on."""
    if not links:
        return None
    links = sorted(links, key=lambda lk: (lk.j, lk.i))
    score = [0.0] * len(links)
    back = [-1] * len(links)
    for k, lk in enumerate(links):
        # A link's worth: how far its cosine clears the floor; a strong link or a seed more.
        w = (lk.cosine - floor + 0.05) * (1.0 + lk.strong + lk.seed)
        score[k], back[k] = w, -1
        for p in range(k - 1, -1, -1):
            q = links[p]
            if lk.j - q.j > config.max_gap + 1:
                break
            if q.i > lk.i or lk.i - q.i > src_gap + 1 or (q.i == lk.i and q.j == lk.j):
                continue
            if score[p] + w > score[k]:
                score[k], back[k] = score[p] + w, p
    k = int(np.argmax(score))
    chain: list[_Link] = []
    while k >= 0:
        chain.append(links[k])
        k = back[k]
    chain.reverse()
    return _Chain(chain)


def _containment(p: _Pair, chain: _Chain) -> float:
    """Share of the linked target sentences' content words (stemmed) that occur in the source
    sentences they are linked to or next to those (what a condensing sentence draws on)."""
    near = {k for i in chain.sources for k in (i - 1, i, i + 1) if 0 <= k < len(p.src)}
    src_terms = {w for i in near for w in content_terms(p.src_sentence(i), p.language)}
    tgt_terms = [w for j in chain.targets for w in content_terms(p.tgt_sentence(j), p.language)]
    return sum(w in src_terms for w in tgt_terms) / max(1, len(tgt_terms))


def _accept(chain: _Chain, p: _Pair) -> tuple[str, float, list[_Link]] | None:
    """The chain's method, mean best-link cosine and links kept, if it is a passage."""
    config = p.config
    shorter = min(len(p.src), len(p.tgt))
    # A text too short for min_links links must be linked sentence for sentence.
    needed = config.min_links if shorter >= config.min_links else max(config.min_links_whole, shorter)
    n_tgt = len(chain.targets)
    t0, t1 = chain.tgt_range
    if n_tgt < needed or n_tgt < config.min_density * (t1 - t0 + 1):
        return None
    best: dict[int, _Link] = {}
    for lk in chain.links:
        if lk.j not in best or lk.cosine > best[lk.j].cosine:
            best[lk.j] = lk
    mean = float(np.mean([lk.cosine for lk in best.values()]))
    seeded = len({lk.j for lk in chain.links if lk.seed})
    strong_targets = len({lk.j for lk in chain.links if lk.strong})
    if p.cross:
        if seeded < max(needed, config.min_seed_share * n_tgt):
            return None
        if p.background is not None and float(np.mean([lk.margin for lk in best.values()])) \
                < config.crosslang_collection_ratio:
            return None
        return "translation", mean, chain.links
    s0, s1 = chain.src_range
    src_chars = p.src[s1][1] - p.src[s0][0]
    tgt_chars = p.tgt[t1][1] - p.tgt[t0][0]
    if (src_chars >= config.summary_ratio * tgt_chars and len(chain.sources) > n_tgt
            and mean >= config.summary_cosine
            and _containment(p, chain) >= config.summary_containment):
        return "summary", mean, chain.links
    # Otherwise a sentence-for-sentence rewrite: judged on its strong links only.
    strong = [lk for lk in chain.links if lk.strong]
    if strong_targets < needed or seeded < max(needed, config.min_seed_share * strong_targets):
        return None
    strong_src = {lk.i for lk in strong}
    if len(strong_src) < config.min_src_density * (max(strong_src) - min(strong_src) + 1):
        return None
    strong_best: dict[int, _Link] = {}
    for lk in strong:
        if lk.j not in strong_best or lk.cosine > strong_best[lk.j].cosine:
            strong_best[lk.j] = lk
    return "semantic", float(np.mean([lk.cosine for lk in strong_best.values()])), strong


def align_semantic(
    src_sentences: Sequence[Sentence | tuple[int, int]],
    tgt_sentences: Sequence[Sentence | tuple[int, int]],
    src_vecs: np.ndarray,
    tgt_vecs: np.ndarray,
    *,
    src_text: str,
    tgt_text: str,
    config: SemanticConfig | None = None,
    src_language: str | None = None,
    tgt_language: str | None = None,
    cross_language: bool | None = None,
    src_background: np.ndarray | None = None,
    tgt_background: np.ndarray | None = None,
) -> list[Alignment]:
    """Passages of the target that derive from the source by meaning.

    Each target sentence is linked to its closest source sentences (strongly, when close
    enough to be a rewrite of one; loosely, when it may condense several); links are chained
    monotonically across small gaps; a chain is a passage when it has enough linked target
    sentences, densely enough, and either most of its strong links are paraphrase seeds
    (``"semantic"``), or it condenses the source with the source's own words
    (``"summary"``), or, across languages, its links are mutual best matches
    (``"translation"``).

    Args:
        src_sentences: the source's sentences (``Sentence`` records or ``(start, end)`` spans).
        tgt_sentences: the target's sentences.
        src_vecs: one embedding per source sentence; for texts in different languages they
            must come from the multilingual model (``e5-small``).
        tgt_vecs: one embedding per target sentence, from the same model.
        src_text: the text the source spans refer to.
        tgt_text: the text the target spans refer to.
        config: settings; the calibrated defaults when ``None``.
        src_language: ISO 639-1 code of the source (stemming; cross-language detection).
        tgt_language: ISO 639-1 code of the target.
        cross_language: force the cross-language mode on or off; by default it is on when
            both languages are given and differ.
        src_background: across languages, each source sentence's background in the collection
            (:func:`sentence_backgrounds` against the target's language); with
            ``tgt_background``, links and passages are judged by their margin over it
            (``crosslang_collection_link``, ``crosslang_collection_ratio``) instead of by
            ``crosslang_ratio`` against the pair's own sentences.
        tgt_background: each target sentence's background (against the source's language).

    Returns:
        Alignments ordered by target position; ``similarity`` is the passage's mean best-link
        cosine (or the link's cosine, with ``granularity="sentence"``).

    Raises:
        ValueError: the numbers of sentences and vectors differ.
    """
    config = config or DEFAULT_CONFIG
    src, tgt = _spans(src_sentences), _spans(tgt_sentences)
    if len(src) != len(src_vecs) or len(tgt) != len(tgt_vecs):
        raise ValueError(f"one vector per sentence needed: {len(src)} source sentences and {len(src_vecs)} "
                         f"vectors, {len(tgt)} target sentences and {len(tgt_vecs)} vectors")
    if not src or not tgt:
        return []
    cross = cross_language if cross_language is not None else bool(
        src_language and tgt_language and src_language != tgt_language)
    background = None
    if cross and src_background is not None and tgt_background is not None:
        background = (np.asarray(src_background, dtype=np.float32), np.asarray(tgt_background, dtype=np.float32))
        if background[0].shape != (len(src),) or background[1].shape != (len(tgt),):
            raise ValueError(f"one background per sentence needed: {len(src)} and {len(tgt)} sentences, "
                             f"backgrounds of shapes {background[0].shape} and {background[1].shape}")
        if not (np.isfinite(background[0]).all() and np.isfinite(background[1]).all()):
            background = None  # some sentence has no background in the collection: the pair's own applies
    pair = _Pair(src_text, tgt_text, src, tgt, sentence_similarity(src_vecs, tgt_vecs), cross,
                 (src_language if cross else tgt_language or src_language) or "en", config, background)
    links = _links(pair)
    floor = config.crosslang_cosine if cross else min(config.link_cosine, config.summary_link_cosine)
    ratio = (src[-1][1] - src[0][0]) / max(1, tgt[-1][1] - tgt[0][0])
    src_gap = min(config.summary_src_gap, max(config.max_src_gap, math.ceil(config.max_src_gap * ratio)))

    out: list[Alignment] = []
    remaining = links
    while remaining:
        chain = _best_chain(remaining, src_gap, config, floor)
        if chain is None:
            break
        t0, t1 = chain.tgt_range
        remaining = [lk for lk in remaining if not t0 <= lk.j <= t1]
        accepted = _accept(chain, pair)
        if accepted is None:
            continue
        method, mean, kept = accepted
        if config.granularity == "sentence":
            out.extend(Alignment(src[lk.i], tgt[lk.j], round(lk.cosine, 4), method) for lk in kept)
        else:
            s0, s1 = min(lk.i for lk in kept), max(lk.i for lk in kept)
            k0, k1 = min(lk.j for lk in kept), max(lk.j for lk in kept)
            out.append(Alignment((src[s0][0], src[s1][1]), (tgt[k0][0], tgt[k1][1]), round(mean, 4), method))
    return sorted(out, key=lambda a: (a.target_span, a.source_span))


