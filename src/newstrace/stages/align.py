"""Passage alignment: given two texts, exactly which passages of one derive from the other.

One aligner serves every command (``scan``, ``trace``, ``compare``, ``pan``).  It follows the
seed → extend → filter scheme that won PAN 2014 (Sanchez-Perez, Gelbukh & Sidorov, "A Winning
Approach to Text Alignment for Text Reuse Detection at PAN 2014"), with these changes:

* seeds are sentence pairs whose TF-ISF cosine *and* Dice overlap of stemmed content words
  pass a threshold (spinners keep names, numbers and rare words; they swap the common ones);
* extension clusters seeds that are close on both sides and validates each cluster by the
  cosine of the whole passages, splitting it with smaller gaps when that fails;
* hysteresis: a passage too short, or resting on one weak sentence pair, is kept only if
  weaker sentence pairs next to it (an obfuscated sentence merged, split or rewritten still
  shares a few words) grow it to size; a lone weak pair is usually a shared topic;
* a fragment that is a copy (most of its word 3-grams shared) takes its bounds from the runs
  of identical words, grown past the seeded sentences while the words keep matching: a copy
  often starts or ends mid-sentence, and a neighbouring source sentence that shares a few
  words with it must not be claimed ("verbatim");
* summaries are found at document level, not from sentence seeds: a summary sentence fuses
  several source sentences, so it rarely matches one.  A target region whose words are
  mostly found in the source, spread over it (no local passage holds them) and foreign to
  its own text is a summary of the *whole* source, and is reported so ("summary");
* the remaining passages ("lexical") are snapped to the first and last shared word n-gram of
  their edge sentences, or, for rewrites, lose the edge words of their edge sentences that
  the other side lacks; overlapping passages are resolved by quality;
* with a sentence encoder (``align(..., encoder=...)``), meaning adds what words miss in
  rewritten and translated text: runs of consecutive sentence pairs close in meaning seed
  passages, passages take the next sentence pair when its meaning agrees, weak fragments
  grow by meaning, and a would-be summary whose sentences follow one stretch of the source
  in step is reported as the local rewrite it is.

All spans are character offsets into the texts given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np
from scipy import sparse

from newstrace.stages.text import STOPWORDS, WORD_RE, Tokens, stem_words, tokenize
from newstrace.types import Alignment

__all__ = ["AlignConfig", "Encoder", "SentenceSimilarity", "align", "align_tokens"]


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Aligner settings.  Defaults calibrated on PAN 2013 training (see docs/calibration.md).

    Every figure named below is plagdet on the whole PAN 2013 training corpus (5,185 pairs).
    """

    # Seeds: sentence pairs with TF-ISF cosine and Dice of stemmed content words above these
    # (SP14's 0.33; a sweep of 0.25-0.33 traded precision for recall one for one on 03/04).
    seed_cosine: float = 0.33
    seed_dice: float = 0.33
    # Clustering gap in sentences (SP14's 4; 5 gave -0.001 on 02-04).
    max_gap: int = 4
    summary_max_gap: int = 24
    # Passage cosine a cluster must reach, else it is re-clustered with a smaller gap (SP14).
    validation: float = 0.34
    # Passages shorter than this on either side are dropped (PAN cases are >= ~150 chars).
    min_chars: int = 150
    # A summary condenses: its source is at least this many times longer than it.
    summary_ratio: float = 3.0
    # Seed kept only if >= this share of the best seed of both its sentences.
    seed_relative: float = 0.5
    trim_ngram: int = 3
    trim_min_shared: float = 0.5
    # Rewritten (non-copy) passages: from each edge sentence, on both sides, the leading
    # (trailing) content words are cut while their share found in the other side's passage
    # stays below ``edge_cut`` x the passage's own share (0 = off).  Swept 0.3-0.7 on 03/04
    # (0.5: 03 +0.005, 04 +0.010; source side only: +0.003 each).
    edge_cut: float = 0.5
    # A fragment resting on a single sentence pair must reach this passage cosine, else it
    # needs weak neighbours (below).  0.45: 02 +0.009, 04 +0.008, 05 +0.011, caseless detections 16 -> 10.
    single_validation: float = 0.45
    # Hysteresis (``_grow``): a fragment too small or too weakly supported is grown by weak
    # seeds (cosine and Dice >= ``grow_cosine``/``grow_dice``) within ``grow_gap`` sentences
    # and kept if it then has >= 2 supporting pairs, ``min_chars`` and a passage cosine
    # >= ``grow_validation``.  0.2/0.2/2/0.4 keep caseless detections down; 0.15/0.15 added
    # detections on class 01.  0 = off.
    grow_cosine: float = 0.2
    grow_dice: float = 0.2
    grow_gap: int = 2
    grow_validation: float = 0.4
    # SP14's wide-gap summary switch.  Off: on PAN 2013 train it mistook verbatim and
    # obfuscated pairs with a few far seeds for summaries (02 -0.007, 03 -0.012, 04 -0.010);
    # the document-level summary test below replaces it.
    adaptive: bool = False
    # Document-level summary test (see ``_summaries``).  Target windows of ``summary_window``
    # chars (PAN summaries are ~600) whose terms are mostly found in the source
    # (``summary_coverage``) and whose cosine with the whole source is high (``summary_cosine``)
    # form candidate regions; the thresholds are the 5th percentile of true summary windows of
    # class 05 (all 238 cases), where unrelated pairs (the 947 caseless 05 pairs, class 01)
    # reach them in < 0.5% of pairs.
    summary_window: int = 500
    summary_cosine: float = 0.25
    summary_coverage: float = 0.6
    # A region is a summary only if (a) the best source window twice its length holds at most
    # this share of the region's terms found in the whole source (local reuse holds ~all), and
    # (b) it is closer to the source than to the rest of its own text by this margin (a
    # paragraph on the same topic is as close to its own text).  Swept on all regions found
    # on PAN 2013 train (0.7-0.9 x 0-0.15): 0.85/0.15 keeps 171/218 summaries, 68 false.
    summary_local: float = 0.85
    summary_host: float = 0.15
    # Copies: a fragment whose word 3-grams are >= ``copy_shared`` shared is verbatim; its
    # bounds are then the runs of >= ``copy_block`` identical words (02: 0.938 -> 0.957;
    # copy_shared 0.5 cut obfuscated passages of 03: -0.008).
    copy_block: int = 4
    copy_shared: float = 0.8
    # Sentence embeddings (used only when the caller gives an encoder or sentence vectors;
    # cosines of MiniLM-L3 paraphrase vectors).  Swept on PAN 2013 train class 04 with every
    # other class checked (docs/calibration.md, "Meaning in the aligner"):
    # * ``semantic_grow``: a pair this close is weak evidence for the hysteresis (0.45-0.6).
    # * ``semantic_edge``: a passage takes the sentence pair just before / after it while the
    #   pair is this close (0.4-0.7; 04 +0.008 alone).
    # * ``semantic_chain``: pairs that are each other's best match and continue a run of
    #   consecutive pairs this close are seeds (0.5-0.8; pairs alone at 0.7 cost precision).
    # * ``semantic_local*``: a would-be summary region is local reuse when region sentences
    #   with a source sentence this close chain in step over >= ``semantic_local_share`` of
    #   it and the chains' source text is <= ``semantic_local_ratio`` x their target text.
    semantic_grow: float = 0.5
    semantic_edge: float = 0.5
    semantic_chain: float = 0.5
    semantic_local: float = 0.6
    semantic_local_ratio: float = 1.5
    semantic_local_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("seed_cosine", "seed_dice", "validation", "seed_relative", "trim_min_shared",
                     "summary_cosine", "summary_coverage", "summary_local", "summary_host",
                     "copy_shared", "edge_cut", "single_validation", "grow_cosine", "grow_dice",
                     "grow_validation", "semantic_grow", "semantic_edge", "semantic_chain", "semantic_local"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"AlignConfig.{name} must be in [0, 1], got {value!r}")
        if (self.max_gap < 0 or self.summary_max_gap < 0 or self.min_chars < 0 or self.trim_ngram < 0
                or self.copy_block < 0 or self.summary_window < 0 or self.grow_gap < 0):
            raise ValueError("AlignConfig gaps, sizes and min_chars must be non-negative")
        if self.summary_ratio < 1.0:
            raise ValueError(f"AlignConfig.summary_ratio must be >= 1, got {self.summary_ratio!r}")


DEFAULT_CONFIG = AlignConfig()


@lru_cache(maxsize=64)
def _cached_tokens(text: str, language: str) -> Tokens:
    # Source documents recur across many pairs (PAN pairs, a scan's candidates).
    return tokenize(text, language)


Encoder = Callable[[Sequence[str]], np.ndarray]


class SentenceSimilarity:
    """Embedding cosine between the sentences of two texts, computed only where asked.

    The aligner needs meaning only around the passages that words already found (the
    sentence just past an edge, the neighbours of a weak fragment), so sentences are embedded
    on demand, a few per passage, instead of every sentence of both texts.  ``encode`` maps
    texts to L2-normalised rows; precomputed vectors (one row per sentence) may be given instead.
    """

    def __init__(self, src: Tokens, tgt: Tokens, encode: Encoder | None = None, *,
                 source_vectors: np.ndarray | None = None, target_vectors: np.ndarray | None = None) -> None:
        if encode is None and (source_vectors is None or target_vectors is None):
            raise ValueError("SentenceSimilarity needs an encoder or vectors for both texts")
        self._texts = ([s.text for s in src.sentences], [s.text for s in tgt.sentences])
        self._encode = encode
        self._vecs: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})
        for side, given in enumerate((source_vectors, target_vectors)):
            if given is not None:
                if len(given) != len(self._texts[side]):
                    raise ValueError("one sentence vector per sentence is needed")
                self._vecs[side].update(enumerate(np.asarray(given, dtype=np.float32)))

    def _rows(self, side: int, idx: Sequence[int]) -> np.ndarray:
        have = self._vecs[side]
        missing = sorted({i for i in idx if i not in have})
        if missing:
            assert self._encode is not None
            vecs = self._encode([self._texts[side][i] for i in missing])
            have.update(zip(missing, np.asarray(vecs, dtype=np.float32), strict=True))
        if not idx:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([have[i] for i in idx])

    def block(self, src_range: range, tgt_range: range) -> np.ndarray:
        """Cosines of the source sentences in ``src_range`` x the target ones in ``tgt_range``."""
        if not src_range or not tgt_range:
            return np.zeros((len(src_range), len(tgt_range)), dtype=np.float32)
        return self._rows(0, list(src_range)) @ self._rows(1, list(tgt_range)).T

    def pair(self, i: int, j: int) -> float:
        return float(self.block(range(i, i + 1), range(j, j + 1))[0, 0])


@dataclass(slots=True)
class _Space:
    """TF-ISF vectors of both texts' sentences in one vocabulary, and their similarities."""

    src: sparse.csr_matrix  # weighted, unnormalised
    tgt: sparse.csr_matrix
    cosine: np.ndarray  # src x tgt
    dice: np.ndarray
    semantic: SentenceSimilarity | None = None  # sentence-embedding cosine, when an encoder is given


def _counts(rows: list[list[int]], v: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term counts per sentence as canonical CSR arrays (indptr, column indices ascending
    within each row, counts as float64), from each sentence's term ids."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    row = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    col = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    keys, counts = np.unique(row * v + col, return_counts=True)
    r, c = np.divmod(keys, v)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=len(rows)), out=indptr[1:])
    return indptr, c, counts.astype(np.float64)


def _weighted(indptr: np.ndarray, cols: np.ndarray, counts: np.ndarray, isf: np.ndarray,
              v: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The TF-ISF rows and their norms, float for float what ``A @ diags(isf)`` and
    ``sqrt(Aw.multiply(Aw).sum(axis=1))`` give for the count matrix ``A``: the same products,
    zeros dropped, each row's entries stored in descending column order as scipy's sparse
    product leaves them (the order the later sparse products add in), and the squares summed
    in ascending column order by the same ``np.add.reduceat``."""
    n = len(indptr) - 1
    row = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    data = counts * isf[cols]
    keep = data != 0
    row, cols, data = row[keep], cols[keep], data[keep]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=ptr[1:])
    norms = np.zeros(n, dtype=np.float64)
    nonempty = np.flatnonzero(np.diff(ptr))
    if len(nonempty):
        norms[nonempty] = np.add.reduceat(data * data, ptr[nonempty])
    order = np.lexsort((-cols, row))
    index = np.int32 if max(v, len(data)) < np.iinfo(np.int32).max else np.int64
    m = sparse.csr_matrix((data[order], cols[order].astype(index), ptr.astype(index)), shape=(n, v))
    return m, np.sqrt(norms)


def _space(a: Tokens, b: Tokens) -> _Space:
    """TF-ISF cosines and Dice overlaps of every source/target sentence pair.

    Built from numpy arrays, not a chain of two dozen scipy operations: the floats are those of
    the sparse formulation (``tests/unit/test_align.py`` keeps it as the reference), in half
    the time; the order-sensitive sums (the dot products) are still scipy's sparse product.
    """
    vocab: dict[str, int] = {}
    ids_a = [[vocab.setdefault(t, len(vocab)) for t in terms] for terms in a.terms]
    ids_b = [[vocab.setdefault(t, len(vocab)) for t in terms] for terms in b.terms]
    v = max(1, len(vocab))
    pa, ca, xa = _counts(ids_a, v)
    pb, cb, xb = _counts(ids_b, v)
    n = len(a.terms) + len(b.terms)
    df = (np.bincount(ca, minlength=v) + np.bincount(cb, minlength=v)).astype(np.float64)
    isf = np.log(n / np.maximum(df, 1.0))
    Aw, na = _weighted(pa, ca, xa, isf, v)
    Bw, nb = _weighted(pb, cb, xb, isf, v)
    dot = (Aw @ Bw.T).toarray()
    Ab = sparse.csr_matrix((np.ones(len(ca)), ca.astype(np.int32), pa.astype(np.int32)), shape=(len(a.terms), v))
    Bb = sparse.csr_matrix((np.ones(len(cb)), cb.astype(np.int32), pb.astype(np.int32)), shape=(len(b.terms), v))
    with np.errstate(divide="ignore", invalid="ignore"):
        cosine = dot / np.outer(np.maximum(na, 1e-12), np.maximum(nb, 1e-12))
        inter = (Ab @ Bb.T).toarray()
        la = np.diff(pa).astype(np.float64)
        lb = np.diff(pb).astype(np.float64)
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
    a = _vec(space.src, src)
    b = _vec(space.tgt, tgt)
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
    seeds: int = 1  # sentence pairs supporting it


def _extend(space: _Space, seeds: list[tuple[int, int]], max_gap: int, validation: float) -> list[_Fragment]:
    out: list[_Fragment] = []
    for group in _cluster(seeds, max_gap):
        src = (min(s for s, _ in group), max(s for s, _ in group))
        tgt = (min(t for _, t in group), max(t for _, t in group))
        sim = _passage_cosine(space, src, tgt)
        if sim >= validation:
            quality = float(sum(space.cosine[s, t] for s, t in group))
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
    n_s, n_t = space.cosine.shape
    weak = (space.cosine >= config.grow_cosine) & (space.dice >= config.grow_dice)
    a, b = f.src
    c, d = f.tgt
    q = f.quality
    n = f.seeds
    gap = config.grow_gap
    while True:
        sa, sb = max(0, a - gap), min(n_s, b + gap + 1)
        ta, tb = max(0, c - gap), min(n_t, d + gap + 1)
        near = weak[sa:sb, ta:tb]
        if space.semantic is not None and config.semantic_grow > 0:
            near = near | (space.semantic.block(range(sa, sb), range(ta, tb)) >= config.semantic_grow)
        ii, jj = np.nonzero(near)
        na, nb, nc, nd = a, b, c, d
        for i, j in zip(ii + sa, jj + ta, strict=True):
            if a <= i <= b and c <= j <= d:
                continue
            na, nb, nc, nd = min(na, i), max(nb, i), min(nc, j), max(nd, j)
            q += float(space.cosine[i, j])
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


def _chain_seeds(sem: SentenceSimilarity, n_s: int, n_t: int, threshold: float) -> np.ndarray:
    """Seeds by meaning alone: sentence pairs that are each other's best match and continue
    a run of consecutive pairs (the next or previous sentences on both sides) that all reach
    ``threshold``.  One close pair may be a shared topic; two in a row in order rarely are."""
    S = sem.block(range(n_s), range(n_t))
    strong = threshold <= S
    best = (S.max(axis=1, keepdims=True) <= S) & (S.max(axis=0, keepdims=True) <= S)
    run = np.zeros_like(strong)
    run[:-1, :-1] |= strong[:-1, :-1] & strong[1:, 1:]
    run[1:, 1:] |= strong[1:, 1:] & strong[:-1, :-1]
    return run & best


def _semantic_edges(space: _Space, frags: list[_Fragment], threshold: float) -> list[_Fragment]:
    """Extend each passage by the sentence pair just before (after) it on both sides while
    their embeddings agree: a translated or rewritten edge sentence keeps its meaning but may
    share too few words to be seeded, and passages start and end on aligned sentences."""
    assert space.semantic is not None
    sem = space.semantic
    n_s, n_t = space.cosine.shape
    out: list[_Fragment] = []
    for k, f in enumerate(frags):
        others = frags[:k] + frags[k + 1 :]
        (a, b), (c, d) = f.src, f.tgt

        def free(i: int, j: int) -> bool:
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


def _words(tokens: Tokens, rng: tuple[int, int]) -> list[tuple[str, int, int]]:
    out = []
    for i in range(rng[0], rng[1] + 1):
        sent = tokens.sentences[i]
        out.extend((m.group().lower(), sent.start + m.start(), sent.start + m.end())
                   for m in WORD_RE.finditer(sent.text))
    return out


def _trim(src: Tokens, tgt: Tokens, f: _Fragment, n: int, min_shared: float, edge_cut: float = 0.0,
          languages: tuple[str, str] = ("en", "en")) -> tuple[tuple[int, int], tuple[int, int]]:
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
        # A rewrite: its edges are not where the word n-grams match, but an edge sentence
        # may still run past the reused words (a unit merging reused and other text).
        if edge_cut <= 0:
            return s_chars, t_chars
        s_stems, t_stems = _content(sw, languages[0]), _content(tw, languages[1])
        s_new = _snap_content(sw, s_stems, {c[0] for c in t_stems}, edge_cut, s_chars,
                              _chars(src, (f.src[0], f.src[0]))[1], _chars(src, (f.src[1], f.src[1]))[0])
        t_new = _snap_content(tw, t_stems, {c[0] for c in s_stems}, edge_cut, t_chars,
                              _chars(tgt, (f.tgt[0], f.tgt[0]))[1], _chars(tgt, (f.tgt[1], f.tgt[1]))[0])
        return s_new, t_new

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


def _content(ws: list[tuple[str, int, int]], language: str) -> list[tuple[str, int]]:
    """(stem, word index) of the content words among ``ws`` (as ``content_terms`` counts them)."""
    idx = [i for i, w in enumerate(ws) if w[0] not in STOPWORDS and (len(w[0]) > 1 or w[0].isdigit())]
    stems = stem_words([ws[i][0] for i in idx], language)
    return list(zip(stems, idx, strict=True))


def _snap_content(ws: list[tuple[str, int, int]], stems: list[tuple[str, int]], other: set[str], cut: float,
                  span: tuple[int, int], first_end: int, last_start: int) -> tuple[int, int]:
    """Cut from each edge of ``span`` the longest stretch of content words (within the edge
    sentence) whose share found in ``other`` is well below the passage's own: each word scores
    ``found - cut * density``, and the edge moves past the lowest-scoring prefix (suffix) when
    it costs at least one word."""
    hit = [1.0 if c[0] in other else 0.0 for c in stems]
    m = len(stems)
    if m < 4:
        return span
    d = sum(hit) / m
    w = [h - cut * d for h in hit]
    start, end = span
    best, acc, k0 = -1.0, 0.0, 0
    for k in range(m):
        if ws[stems[k][1]][1] >= first_end:
            break
        acc += w[k]
        if acc < best:
            best, k0 = acc, k + 1
    if k0 > 0 and k0 < m:
        start = max(start, ws[stems[k0 - 1][1] + 1][1])
    best, acc, k1 = -1.0, 0.0, m
    for k in range(m - 1, -1, -1):
        if ws[stems[k][1]][2] <= last_start:
            break
        acc += w[k]
        if acc < best:
            best, k1 = acc, k
    if k1 < m and k1 > 0:
        # keep up to the last content word kept and the stop words after it
        end = min(end, ws[stems[k1][1] - 1][2])
    return (start, end) if end > start else span


def _vec(m: sparse.csr_matrix, rng: tuple[int, int]) -> np.ndarray:
    """The sum of rows ``rng[0]..rng[1]`` of ``m`` as a dense vector.

    Read from the CSR arrays: the same additions in the same order as
    ``m[a : b + 1].sum(axis=0)`` (so the same floats), without building two sparse matrices.
    """
    lo, hi = m.indptr[rng[0]], m.indptr[rng[1] + 1]
    return np.bincount(m.indices[lo:hi], weights=m.data[lo:hi], minlength=m.shape[1])


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na and nb else 0.0


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
        if mass > 0 and src_len >= config.summary_ratio * (tgt.sentences[j].end - tgt.sentences[i].start):
            if float(w[present].sum()) / mass >= config.summary_coverage and _cos(w, doc) >= config.summary_cosine:
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


def _word_range(words: list[tuple[str, int, int]], span: tuple[int, int]) -> tuple[int, int]:
    import bisect

    starts = [w[1] for w in words]
    return bisect.bisect_left(starts, span[0]), bisect.bisect_left(starts, span[1]) - 1


def _shared(src: Tokens, tgt: Tokens, f: _Fragment, n: int) -> float:
    sw, tw = _words(src, f.src), _words(tgt, f.tgt)
    sg = {tuple(w[0] for w in sw[i : i + n]) for i in range(len(sw) - n + 1)}
    tg = {tuple(w[0] for w in tw[i : i + n]) for i in range(len(tw) - n + 1)}
    return len(sg & tg) / max(1, min(len(sg), len(tg)))


def _copies(sw: list[tuple[str, int, int]], tw: list[tuple[str, int, int]], f_src: tuple[int, int],
            f_tgt: tuple[int, int], block: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The verbatim passages inside a copied fragment, with exact word boundaries.

    ``sw``/``tw`` are all words of the two texts; ``f_src``/``f_tgt`` the fragment's word
    index ranges.  Runs of at least ``block`` identical words are found (in any order, so two
    copies from different source places that sit side by side in the target are told apart),
    grown while the words keep matching (a copy may begin mid-sentence, before the first
    seeded sentence), and grouped by diagonal.
    """
    index: dict[tuple[str, ...], list[int]] = {}
    for j in range(f_src[0], f_src[1] - block + 2):
        index.setdefault(tuple(w[0] for w in sw[j : j + block]), []).append(j)
    hits: set[tuple[int, int]] = set()
    for i in range(f_tgt[0], f_tgt[1] - block + 2):
        for j in index.get(tuple(w[0] for w in tw[i : i + block]), ())[:4]:
            hits.add((i, j))
    runs: list[list[int]] = []  # [tgt start, src start, length]
    for i, j in sorted(hits):
        if (i - 1, j - 1) in hits:
            continue
        n = block
        while (i + n - block + 1, j + n - block + 1) in hits:
            n += 1
        while i > 0 and j > 0 and tw[i - 1][0] == sw[j - 1][0]:
            i, j, n = i - 1, j - 1, n + 1
        while i + n < len(tw) and j + n < len(sw) and tw[i + n][0] == sw[j + n][0]:
            n += 1
        runs.append([i, j, n])
    # Keep the longest runs; a short one inside a long one is a phrase that recurs elsewhere.
    kept: list[list[int]] = []
    covered: set[int] = set()
    for r in sorted(set(map(tuple, runs)), key=lambda r: -r[2]):
        span = range(r[0], r[0] + r[2])
        if sum(k in covered for k in span) > r[2] // 2:
            continue
        covered.update(span)
        kept.append(list(r))
    runs = sorted(kept)
    groups: list[list[list[int]]] = []
    for r in runs:
        if groups:
            g = groups[-1][-1]
            if abs((r[0] - r[1]) - (g[0] - g[1])) <= 2 * block and r[0] - (g[0] + g[2]) <= 2 * block:
                groups[-1].append(r)
                continue
        groups.append([r])
    out = []
    for g in groups:
        t0, t1 = min(r[0] for r in g), max(r[0] + r[2] for r in g) - 1
        s0, s1 = min(r[1] for r in g), max(r[1] + r[2] for r in g) - 1
        out.append(((sw[s0][1], sw[s1][2]), (tw[t0][1], tw[t1][2])))
    return out


def align_tokens(src: Tokens, tgt: Tokens, config: AlignConfig = DEFAULT_CONFIG, *,
                 source_language: str = "en", target_language: str = "en",
                 encoder: Encoder | None = None, source_vectors: np.ndarray | None = None,
                 target_vectors: np.ndarray | None = None) -> list[Alignment]:
    """Align two tokenised texts (see :func:`align`)."""
    if not src.sentences or not tgt.sentences:
        return []
    space = _space(src, tgt)
    if encoder is not None or (source_vectors is not None and target_vectors is not None):
        space.semantic = SentenceSimilarity(src, tgt, encoder, source_vectors=source_vectors,
                                            target_vectors=target_vectors)
    mask = (space.cosine > config.seed_cosine) & (space.dice > config.seed_dice)
    if space.semantic is not None and config.semantic_chain > 0:
        mask |= _chain_seeds(space.semantic, len(src.sentences), len(tgt.sentences), config.semantic_chain)
    if config.seed_relative > 0 and mask.any():
        # A generic sentence matches many others weakly; keep a seed only if it is close to
        # the best match of both its sentences, so one true pair does not drag far ones in.
        masked = np.where(mask, space.cosine, 0.0)
        best_src = masked.max(axis=1, keepdims=True)
        best_tgt = masked.max(axis=0, keepdims=True)
        rel = config.seed_relative
        mask &= (masked >= rel * best_src) & (masked >= rel * best_tgt)
    seeds = [(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)]
    whole = (src.sentences[0].start, src.sentences[-1].end)
    frags: list[_Fragment] = []
    method = "lexical"
    if seeds:
        frags = _run(space, seeds, src, tgt, config.max_gap, config)
        if config.adaptive:
            wide = _run(space, seeds, src, tgt, config.summary_max_gap, config)
            if wide and _length(src, wide, "src") >= config.summary_ratio * max(1, _length(tgt, wide, "tgt")):
                frags, method = wide, "summary"
    out: list[Alignment] = []
    for (i, j), sim in _summaries(space, src, tgt, config):
        # The summary claims its whole region; seeded fragments inside it are parts of it.
        frags = [f for f in frags if not _overlap(f.tgt, (i, j))]
        local = _local_sources(space, src, tgt, (i, j), config)
        if local:
            # Meaning follows the region through one stretch of the source: a rewrite, not a summary.
            frags.extend(_Fragment(s, t, _passage_cosine(space, s, t), sim, 2) for s, t in local)
            frags.sort(key=lambda f: f.tgt)
            continue
        out.append(Alignment(whole, (tgt.sentences[i].start, tgt.sentences[j].end), round(sim, 4), "summary"))
    src_words = tgt_words = None
    for f in frags:
        if method == "lexical" and config.copy_block > 0 and _shared(src, tgt, f, config.trim_ngram) >= config.copy_shared:
            if src_words is None or tgt_words is None:
                src_words = _words(src, (0, len(src.sentences) - 1))
                tgt_words = _words(tgt, (0, len(tgt.sentences) - 1))
            copies = _copies(src_words, tgt_words, _word_range(src_words, _chars(src, f.src)),
                             _word_range(tgt_words, _chars(tgt, f.tgt)), config.copy_block)
            copies = [c for c in copies if min(c[0][1] - c[0][0], c[1][1] - c[1][0]) >= config.min_chars]
            if copies:
                out.extend(Alignment(c[0], c[1], round(min(1.0, f.similarity), 4), "verbatim") for c in copies)
                continue
        if method == "summary":
            s_span, t_span = whole, _chars(tgt, f.tgt)  # a summary condenses the whole source
        else:
            s_span, t_span = _trim(src, tgt, f, config.trim_ngram, config.trim_min_shared, config.edge_cut,
                                   (source_language, target_language))
        out.append(Alignment(s_span, t_span, round(min(1.0, f.similarity), 4), method))
    return sorted(out, key=lambda a: a.target_span)


def align(source_text: str, target_text: str, config: AlignConfig | None = None, *,
          source_language: str = "en", target_language: str = "en",
          encoder: Encoder | None = None) -> list[Alignment]:
    """Find the passages of ``target_text`` that derive from ``source_text``.

    Args:
        source_text: the text reused from.
        target_text: the text that reuses it.
        config: aligner settings; the calibrated defaults when ``None``.
        source_language: ISO 639-1 code for stemming the source.
        target_language: ISO 639-1 code for stemming the target.
        encoder: a sentence encoder (texts -> L2-normalised rows, e.g. ``Embedder.encode``);
            when given, passages are also extended and grown by meaning (``semantic_*``
            settings), which recovers rewritten and translated edge sentences.

    Returns:
        Alignments ordered by target position, spans as character offsets into the two texts.
    """
    config = config or DEFAULT_CONFIG
    return align_tokens(_cached_tokens(source_text, source_language),
                        _cached_tokens(target_text, target_language), config,
                        source_language=source_language, target_language=target_language, encoder=encoder)
