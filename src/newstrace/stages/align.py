"""Passage alignment: given two texts, exactly which passages of one derive from the other.

One aligner serves every command (``scan``, ``trace``, ``compare``, ``pan``).  It follows the
seed → extend → filter scheme that won PAN 2014 (Sanchez-Perez, Gelbukh & Sidorov, "A Winning
Approach to Text Alignment for Text Reuse Detection at PAN 2014"), with these changes:

* seeds are sentence pairs whose TF-ISF cosine *and* Dice overlap of stemmed content words
  pass a threshold (spinners keep names, numbers and rare words; they swap the common ones);
* extension clusters seeds that are close on both sides and validates each cluster by the
  cosine of the whole passages, splitting it with smaller gaps when that fails;
* the strategy adapts per pair: if the passages found with a wide gap are several times
  longer on the source side, the target condenses the source (a summary) and the wide-gap
  result is kept; otherwise the tight one is;
* passage ends are snapped to the first and last seeded sentence, and overlapping passages
  resolved by quality.

All spans are character offsets into the texts given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from newstrace.stages.text import WORD_RE, Tokens, tokenize
from newstrace.types import Alignment

__all__ = ["AlignConfig", "align", "align_tokens"]


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Aligner settings.  Defaults calibrated on PAN 2013 training (see docs/calibration.md)."""

    seed_cosine: float = 0.33
    seed_dice: float = 0.33
    max_gap: int = 4
    summary_max_gap: int = 24
    validation: float = 0.34
    min_chars: int = 150
    summary_ratio: float = 3.0
    seed_relative: float = 0.5
    trim_ngram: int = 3
    trim_min_shared: float = 0.5
    adaptive: bool = True
    summary_window: int = 500
    summary_cosine: float = 0.25
    summary_coverage: float = 0.6
    summary_whole: bool = True
    summary_local: float = 0.85
    summary_host: float = 0.15
    summary_rival: float = 9.0

    def __post_init__(self) -> None:
        for name in ("seed_cosine", "seed_dice", "validation"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"AlignConfig.{name} must be in [0, 1], got {value!r}")
        if self.max_gap < 0 or self.summary_max_gap < 0 or self.min_chars < 0:
            raise ValueError("AlignConfig gaps and min_chars must be non-negative")


DEFAULT_CONFIG = AlignConfig()


@lru_cache(maxsize=64)
def _cached_tokens(text: str, language: str) -> Tokens:
    # Source documents recur across many pairs (PAN pairs, a scan's candidates).
    return tokenize(text, language)


@dataclass(slots=True)
class _Space:
    """TF-ISF vectors of both texts' sentences in one vocabulary, and their similarities."""

    src: sparse.csr_matrix  # weighted, unnormalised
    tgt: sparse.csr_matrix
    cosine: np.ndarray  # src x tgt
    dice: np.ndarray


def _space(a: Tokens, b: Tokens) -> _Space:
    vocab: dict[str, int] = {}

    def counts(tokens: Tokens) -> sparse.csr_matrix:
        rows: list[int] = []
        cols: list[int] = []
        for i, terms in enumerate(tokens.terms):
            for t in terms:
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
        return rows, cols  # type: ignore[return-value]

    ra, ca = counts(a)  # type: ignore[misc]
    rb, cb = counts(b)  # type: ignore[misc]
    v = max(1, len(vocab))
    A = sparse.csr_matrix((np.ones(len(ra)), (ra, ca)), shape=(len(a.terms), v))
    B = sparse.csr_matrix((np.ones(len(rb)), (rb, cb)), shape=(len(b.terms), v))
    A.sum_duplicates()
    B.sum_duplicates()
    n = A.shape[0] + B.shape[0]
    Ab = (A > 0).astype(np.float64)
    Bb = (B > 0).astype(np.float64)
    df = np.asarray(Ab.sum(axis=0)).ravel() + np.asarray(Bb.sum(axis=0)).ravel()
    isf = np.log(n / np.maximum(df, 1.0))
    W = sparse.diags(isf)
    Aw = (A @ W).tocsr()
    Bw = (B @ W).tocsr()
    na = np.sqrt(np.asarray(Aw.multiply(Aw).sum(axis=1)).ravel())
    nb = np.sqrt(np.asarray(Bw.multiply(Bw).sum(axis=1)).ravel())
    dot = (Aw @ Bw.T).toarray()
    with np.errstate(divide="ignore", invalid="ignore"):
        cosine = dot / np.outer(np.maximum(na, 1e-12), np.maximum(nb, 1e-12))
        inter = (Ab @ Bb.T).toarray()
        la = np.asarray(Ab.sum(axis=1)).ravel()
        lb = np.asarray(Bb.sum(axis=1)).ravel()
        dice = 2.0 * inter / np.maximum(la[:, None] + lb[None, :], 1.0)
    return _Space(Aw, Bw, cosine, dice)


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


def _passage_cosine(space: _Space, src: tuple[int, int], tgt: tuple[int, int]) -> float:
    a = np.asarray(space.src[src[0] : src[1] + 1].sum(axis=0)).ravel()
    b = np.asarray(space.tgt[tgt[0] : tgt[1] + 1].sum(axis=0)).ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(a @ b / (na * nb))


@dataclass(slots=True)
class _Fragment:
    src: tuple[int, int]  # sentence index range, inclusive
    tgt: tuple[int, int]
    similarity: float
    quality: float


def _extend(space: _Space, seeds: list[tuple[int, int]], max_gap: int, validation: float) -> list[_Fragment]:
    out: list[_Fragment] = []
    for group in _cluster(seeds, max_gap):
        src = (min(s for s, _ in group), max(s for s, _ in group))
        tgt = (min(t for _, t in group), max(t for _, t in group))
        sim = _passage_cosine(space, src, tgt)
        if sim >= validation:
            quality = float(sum(space.cosine[s, t] for s, t in group))
            out.append(_Fragment(src, tgt, sim, quality))
        elif max_gap > 0 and len(group) > 1:
            out.extend(_extend(space, group, max_gap - 1, validation))
    return out


def _chars(tokens: Tokens, rng: tuple[int, int]) -> tuple[int, int]:
    return tokens.sentences[rng[0]].start, tokens.sentences[rng[1]].end


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _filter(fragments: list[_Fragment], src: Tokens, tgt: Tokens, min_chars: int) -> list[_Fragment]:
    """Resolve overlaps on the target side by quality, then drop passages too small to trust."""
    kept: list[_Fragment] = []
    for f in sorted(fragments, key=lambda f: -f.quality):
        if any(_overlap(f.tgt, k.tgt) for k in kept):
            continue
        kept.append(f)
    out = []
    for f in kept:
        s0, s1 = _chars(src, f.src)
        t0, t1 = _chars(tgt, f.tgt)
        if s1 - s0 < min_chars or t1 - t0 < min_chars:
            continue
        out.append(f)
    return sorted(out, key=lambda f: f.tgt)


def _run(space: _Space, seeds: list[tuple[int, int]], src: Tokens, tgt: Tokens, max_gap: int,
         config: AlignConfig) -> list[_Fragment]:
    return _filter(_extend(space, seeds, max_gap, config.validation), src, tgt, config.min_chars)


def _length(tokens: Tokens, frags: list[_Fragment], side: str) -> int:
    total = 0
    for f in frags:
        s, e = _chars(tokens, getattr(f, side))
        total += e - s
    return total


def _words(tokens: Tokens, rng: tuple[int, int]) -> list[tuple[str, int, int]]:
    out = []
    for i in range(rng[0], rng[1] + 1):
        sent = tokens.sentences[i]
        out.extend((m.group().lower(), sent.start + m.start(), sent.start + m.end())
                   for m in WORD_RE.finditer(sent.text))
    return out


def _trim(src: Tokens, tgt: Tokens, f: _Fragment, n: int, min_shared: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """Snap each end of a passage to the first/last word n-gram the other side shares.

    Sentence ranges over-reach when a reused passage starts or ends mid-sentence; only the
    first and last sentence are trimmed, and only where they share an n-gram, so rewritten
    edges are left alone.
    """
    s_chars, t_chars = _chars(src, f.src), _chars(tgt, f.tgt)
    if n <= 0:
        return s_chars, t_chars
    sw, tw = _words(src, f.src), _words(tgt, f.tgt)

    def grams(ws: list[tuple[str, int, int]]) -> set[tuple[str, ...]]:
        return {tuple(w[0] for w in ws[i : i + n]) for i in range(len(ws) - n + 1)}

    sg, tg = grams(sw), grams(tw)
    if len(sg & tg) < min_shared * max(1, min(len(sg), len(tg))):
        return s_chars, t_chars  # a rewrite: its edges are not where the words match

    def snap(ws: list[tuple[str, int, int]], other: set[tuple[str, ...]], first: tuple[int, int],
             last: tuple[int, int], span: tuple[int, int]) -> tuple[int, int]:
        starts = [i for i in range(len(ws) - n + 1) if tuple(w[0] for w in ws[i : i + n]) in other]
        if not starts:
            return span
        start, end = span
        i0 = starts[0]
        if ws[i0][1] < first[1]:  # the first shared n-gram lies in the first sentence
            start = ws[i0][1]
        i1 = starts[-1] + n - 1
        if ws[i1][2] > last[0]:
            end = ws[i1][2]
        return (start, end) if end > start else span

    s_new = snap(sw, tg, _chars(src, (f.src[0], f.src[0])), _chars(src, (f.src[1], f.src[1])), s_chars)
    t_new = snap(tw, sg, _chars(tgt, (f.tgt[0], f.tgt[0])), _chars(tgt, (f.tgt[1], f.tgt[1])), t_chars)
    return s_new, t_new


def _vec(m: sparse.csr_matrix, rng: tuple[int, int]) -> np.ndarray:
    return np.asarray(m[rng[0] : rng[1] + 1].sum(axis=0)).ravel()


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na and nb else 0.0


def _summaries(space: _Space, src: Tokens, tgt: Tokens, config: AlignConfig) -> list[tuple[tuple[int, int], float]]:
    """Target regions that condense the whole source: (sentence range, cosine with the source)."""
    doc = np.asarray(space.src.sum(axis=0)).ravel()
    present = doc > 0
    src_len = src.sentences[-1].end - src.sentences[0].start
    n = len(tgt.sentences)
    passing: list[tuple[int, int]] = []
    for i in range(n):
        j = i
        while j < n - 1 and tgt.sentences[j].end - tgt.sentences[i].start < config.summary_window:
            j += 1
        w = _vec(space.tgt, (i, j))
        mass = float(w.sum())
        if mass > 0 and src_len >= config.summary_ratio * (tgt.sentences[j].end - tgt.sentences[i].start):
            cov = float(w[present].sum()) / mass
            if cov >= config.summary_coverage and _cos(w, doc) >= config.summary_cosine:
                passing.append((i, j))
        if j == n - 1:
            break
    regions: list[list[int]] = []
    for i, j in passing:
        if regions and i <= regions[-1][1] + 1:
            regions[-1][1] = max(regions[-1][1], j)
        else:
            regions.append([i, j])
    out = []
    for i, j in regions:
        t0, t1 = tgt.sentences[i].start, tgt.sentences[j].end
        if src_len < config.summary_ratio * (t1 - t0):
            continue
        out.append(((i, j), _cos(_vec(space.tgt, (i, j)), doc)))
    return out


def _shared(src: Tokens, tgt: Tokens, f: _Fragment, n: int) -> float:
    sw, tw = _words(src, f.src), _words(tgt, f.tgt)
    sg = {tuple(w[0] for w in sw[i : i + n]) for i in range(len(sw) - n + 1)}
    tg = {tuple(w[0] for w in tw[i : i + n]) for i in range(len(tw) - n + 1)}
    return len(sg & tg) / max(1, min(len(sg), len(tg)))


def _accept_wide(f: dict) -> bool:
    return True


def _accept_summary(f: dict, config: AlignConfig = DEFAULT_CONFIG) -> bool:
    if f["rival"] > config.summary_rival * f["sim"]:
        return False
    if f["lcov"] > config.summary_local * f["dcov"]:
        return False
    return f["sim"] - f["host"] >= config.summary_host


def align_tokens(src: Tokens, tgt: Tokens, config: AlignConfig = DEFAULT_CONFIG) -> list[Alignment]:
    """Align two tokenised texts (see :func:`align`)."""
    if not src.sentences or not tgt.sentences:
        return []
    space = _space(src, tgt)
    mask = (space.cosine > config.seed_cosine) & (space.dice > config.seed_dice)
    if config.seed_relative > 0 and mask.any():
        # A generic sentence matches many others weakly; keep a seed only if it is close to
        # the best match of both its sentences, so one true pair does not drag far ones in.
        masked = np.where(mask, space.cosine, 0.0)
        best_src = masked.max(axis=1, keepdims=True)
        best_tgt = masked.max(axis=0, keepdims=True)
        rel = config.seed_relative
        mask &= (masked >= rel * best_src) & (masked >= rel * best_tgt)
    seeds = [(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)]
    frags: list[_Fragment] = []
    method = "lexical"
    if seeds:
        frags = _run(space, seeds, src, tgt, config.max_gap, config)
        if config.adaptive:
            wide = _run(space, seeds, src, tgt, config.summary_max_gap, config)
            if wide and _length(src, wide, "src") >= config.summary_ratio * max(1, _length(tgt, wide, "tgt")):
                wf = dict(ratio=_length(src, wide, "src") / max(1, _length(tgt, wide, "tgt")),
                          nwide=len(wide), ntight=len(frags), wsim=max(f.similarity for f in wide),
                          tsim=max((f.similarity for f in frags), default=0.0),
                          maxseed=float(max(space.cosine[s_, t_] for s_, t_ in seeds)),
                          meanseed=float(np.mean([space.cosine[s_, t_] for s_, t_ in seeds])),
                          nseeds=len(seeds), shared=max((_shared(src, tgt, f, config.trim_ngram) for f in frags), default=0.0),
                          wshared=max(_shared(src, tgt, f, config.trim_ngram) for f in wide),
                          span=[_chars(tgt, f.tgt) for f in wide])
                if _accept_wide(wf):
                    frags, method = wide, "summary"
    out = []
    whole = (src.sentences[0].start, src.sentences[-1].end)
    if config.summary_cosine > 0:
        for (i, j), sim in _summaries(space, src, tgt, config):
            region = _vec(space.tgt, (i, j))
            rivals = [f for f in frags if _overlap(f.tgt, (i, j))]
            rival = max((_cos(region, _vec(space.src, f.src)) for f in rivals), default=0.0)
            best = space.cosine[:, i : j + 1].max(axis=0)
            host = _cos(region, np.asarray(space.tgt.sum(axis=0)).ravel() - region)
            width = 2 * (tgt.sentences[j].end - tgt.sentences[i].start)
            local = 0.0
            lcov = 0.0
            k0 = 0
            mass = float(region.sum())
            docv = np.asarray(space.src.sum(axis=0)).ravel()
            dcov = float(region[docv > 0].sum()) / mass
            for k1 in range(len(src.sentences)):
                while src.sentences[k1].end - src.sentences[k0].start > width and k0 < k1:
                    k0 += 1
                lv = _vec(space.src, (k0, k1))
                local = max(local, _cos(region, lv))
                lcov = max(lcov, float(region[lv > 0].sum()) / mass)
            feats = dict(sim=sim, host=host, local=local, lcov=lcov, dcov=dcov, rival=rival, lexical=method == "lexical", maxc=float(best.max()),
                         meanc=float(best.mean()), nsent=j - i + 1,
                         span=(tgt.sentences[i].start, tgt.sentences[j].end))
            if not _accept_summary(feats, config):
                continue
            frags = [f for f in frags if not _overlap(f.tgt, (i, j))]
            out.append(Alignment(whole, (tgt.sentences[i].start, tgt.sentences[j].end), round(sim, 4), "summary"))
    for f in frags:
        s_span, t_span = _trim(src, tgt, f, config.trim_ngram, config.trim_min_shared)
        if method == "summary" and config.summary_whole:
            s_span = whole
        out.append(Alignment(s_span, t_span, round(min(1.0, f.similarity), 4), method))
    return sorted(out, key=lambda a: a.target_span)


def align(source_text: str, target_text: str, config: AlignConfig | None = None, *,
          source_language: str = "en", target_language: str = "en") -> list[Alignment]:
    """Find the passages of ``target_text`` that derive from ``source_text``.

    Args:
        source_text: the text reused from.
        target_text: the text that reuses it.
        config: aligner settings; the calibrated defaults when ``None``.
        source_language: ISO 639-1 code for stemming the source.
        target_language: ISO 639-1 code for stemming the target.

    Returns:
        Alignments ordered by target position, spans as character offsets into the two texts.
    """
    config = config or DEFAULT_CONFIG
    return align_tokens(_cached_tokens(source_text, source_language),
                        _cached_tokens(target_text, target_language), config)
