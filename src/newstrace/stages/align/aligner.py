"""The aligner's entry points: ``align`` (texts) and ``align_tokens`` (tokenised texts)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from newstrace.stages.align.bounds import _copies, _shared, _trim, _word_range, _words
from newstrace.stages.align.config import DEFAULT_CONFIG, AlignConfig
from newstrace.stages.align.extend import _chain_seeds, _chars, _Fragment, _length, _overlap, _run
from newstrace.stages.align.similarity import Encoder, SentenceSimilarity
from newstrace.stages.align.space import _passage_cosine, _space
from newstrace.stages.align.summary import _local_sources, _summaries
from newstrace.stages.text import Tokens, tokenize
from newstrace.types import Alignment

__all__ = ["align", "align_tokens"]


@lru_cache(maxsize=128)
def _cached_tokens(text: str, language: str) -> Tokens:
    # Source documents recur across many pairs (PAN pairs, a scan's candidates); a scan's
    # pairs come sorted, so a worker meets the first document of a pair again at once.
    return tokenize(text, language)


def align_tokens(src: Tokens, tgt: Tokens, config: AlignConfig = DEFAULT_CONFIG, *,
                 source_language: str = "en", target_language: str = "en",
                 encoder: Encoder | None = None, source_vectors: np.ndarray | None = None,
                 target_vectors: np.ndarray | None = None) -> list[Alignment]:
    """Align two tokenised texts (see :func:`align`)."""
    if not src.sentences or not tgt.sentences:
        return []
    floor_cosine = min(config.seed_cosine, config.grow_cosine) if config.grow_cosine > 0 else config.seed_cosine
    floor_dice = min(config.seed_dice, config.grow_dice) if config.grow_cosine > 0 else config.seed_dice
    space = _space(src, tgt, floor_cosine, floor_dice)
    if encoder is not None or (source_vectors is not None and target_vectors is not None):
        space.semantic = SentenceSimilarity(src, tgt, encoder, source_vectors=source_vectors,
                                            target_vectors=target_vectors)
    found = set(space.scores.where(config.seed_cosine, config.seed_dice, strict=True))
    if space.semantic is not None and config.semantic_chain > 0:
        found.update(_chain_seeds(space.semantic, len(src.sentences), len(tgt.sentences), config.semantic_chain))
    seeds = sorted(found)  # row-major, as np.nonzero over the dense mask gave them
    if config.seed_relative > 0 and seeds:
        # A generic sentence matches many others weakly; keep a seed only if it is close to
        # the best match of both its sentences, so one true pair does not drag far ones in.
        value = [space.scores.cos(i, j) for i, j in seeds]
        best_src: dict[int, float] = {}
        best_tgt: dict[int, float] = {}
        for (i, j), v in zip(seeds, value, strict=True):
            best_src[i] = max(best_src.get(i, 0.0), v)
            best_tgt[j] = max(best_tgt.get(j, 0.0), v)
        rel = config.seed_relative
        seeds = [(i, j) for (i, j), v in zip(seeds, value, strict=True)
                 if v >= rel * best_src[i] and v >= rel * best_tgt[j]]
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
          encoder: Encoder | None = None, source_vectors: np.ndarray | None = None,
          target_vectors: np.ndarray | None = None) -> list[Alignment]:
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
        source_vectors, target_vectors: the texts' sentence vectors, made already (one row a
            sentence of :func:`tokenize`'s), used as the encoder's would be.

    Returns:
        Alignments ordered by target position, spans as character offsets into the two texts.
    """
    config = config or DEFAULT_CONFIG
    found = align_tokens(_cached_tokens(source_text, source_language),
                         _cached_tokens(target_text, target_language), config,
                         source_language=source_language, target_language=target_language, encoder=encoder,
                         source_vectors=source_vectors, target_vectors=target_vectors)
    return [with_edge_punctuation(a, source_text, target_text) for a in found]


#: Characters of punctuation a passage takes in at each edge at most.
EDGE_PUNCTUATION = 3


def with_edge_punctuation(a: Alignment, source_text: str, target_text: str) -> Alignment:
    """``a`` with the punctuation both texts have just outside its edges taken in (a sentence's
    full stop, an opening quotation mark): passages end at words, so a verbatim copy was
    covered all but its last full stop.  A summary's spans are left as they are."""
    if a.method == "summary":
        return a
    (s0, s1), (t0, t1) = a.source_span, a.target_span

    def punctuation(x: str, y: str) -> bool:
        return x == y and not x.isalnum() and not x.isspace()

    k = 0
    while k < EDGE_PUNCTUATION and s1 + k < len(source_text) and t1 + k < len(target_text) \
            and punctuation(source_text[s1 + k], target_text[t1 + k]):
        k += 1
    m = 0
    while m < EDGE_PUNCTUATION and s0 - m > 0 and t0 - m > 0 \
            and punctuation(source_text[s0 - m - 1], target_text[t0 - m - 1]):
        m += 1
    if not k and not m:
        return a
    return Alignment((s0 - m, s1 + k), (t0 - m, t1 + k), a.similarity, a.method)
