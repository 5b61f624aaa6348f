"""The semantic layer: paraphrases, summaries and translations, found by meaning.

Three pieces, each usable on its own:

* :func:`paraphrase_score` / :func:`is_paraphrase`: the sentence-level paraphrase decision,
  a logistic regression over the embedding cosine and lexical evidence (content-word Dice,
  word and character overlap, word-order similarity, length ratio, number, name and negation
  agreement), fitted on the MSRP training set (coefficients below, with how they were fitted).
* :func:`align_semantic`: passages of a target that derive from a source by meaning.  Sentence
  links (a target sentence and the source sentences closest to it) are chained monotonically
  across small gaps, like the lexical aligner's seed → extend scheme (Sanchez-Perez et al.
  2014), but on embeddings: a passage needs several consecutive correspondences, so two
  reports of the same event (which share a topic and a quote, not sentence after sentence)
  do not align.  A target sentence linked to several source sentences condenses them (a
  summary); across languages the links come from the multilingual model (a translation),
  judged by their margin over the sentences' background in the collection when it is known
  (:func:`sentence_backgrounds`; bitext mining's margin criterion, Artetxe & Schwenk 2019).
* :func:`semantic_candidates`: candidate document pairs by approximate nearest neighbours
  (usearch HNSW) over document vectors, in sub-quadratic time.

All spans are character offsets into the texts given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property
from typing import Literal

import numpy as np

from newstrace.stages.text import STOPWORDS, WORD_RE, content_terms
from newstrace.types import Alignment, Sentence

__all__ = [
    "CANDIDATE_MIN_COSINE",
    "DEFAULT_CONFIG",
    "FEATURES",
    "PARAPHRASE_MODELS",
    "SemanticConfig",
    "align_semantic",
    "document_vector",
    "is_paraphrase",
    "paraphrase_features",
    "paraphrase_score",
    "semantic_candidates",
    "sentence_backgrounds",
    "sentence_similarity",
]

# ----------------------------------------------------------------------- similarity


def sentence_similarity(src_vecs: np.ndarray, tgt_vecs: np.ndarray) -> np.ndarray:
    """The cosine of every source sentence with every target sentence: ``(n_src, n_tgt)``.

    The vectors need not be normalised (they are normalised here).
    """
    a = np.asarray(src_vecs, dtype=np.float32)
    b = np.asarray(tgt_vecs, dtype=np.float32)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"need 2-D arrays, got shapes {a.shape} and {b.shape}")
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"vectors of different dimensions: {a.shape[1]} and {b.shape[1]}")
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.clip(a @ b.T, -1.0, 1.0)


def document_vector(sentence_vecs: np.ndarray) -> np.ndarray:
    """A document's vector: the normalised mean of its sentence vectors (zeros if none)."""
    v = np.asarray(sentence_vecs, dtype=np.float32)
    if v.ndim != 2 or v.shape[0] == 0:
        return np.zeros(v.shape[-1] if v.ndim == 2 else 0, dtype=np.float32)
    mean = v.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def _usearch_index(purpose: str):  # type: ignore[no-untyped-def]
    """usearch's ``Index`` class.  onnxruntime (the English embedder's engine) is imported first
    when installed: with usearch 2.26 loaded before it, importing onnxruntime crashes the process."""
    from newstrace.stages.embed import MissingDependencyError

    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    try:
        from usearch.index import Index
    except ImportError as exc:
        raise MissingDependencyError("usearch", "usearch", purpose) from exc
    return Index


def sentence_backgrounds(queries: dict[str, np.ndarray], pool: dict[str, np.ndarray], *, k: int = 4,
                         exact_limit: int = 200_000, threads: int = 1) -> dict[str, np.ndarray]:
    """Each query sentence's background in a collection: the mean of its ``k`` highest cosines
    with the sentences of the ``pool`` documents other than its own.

    This is the denominator of margin-based scoring in bitext mining (Artetxe & Schwenk 2019):
    a translation stands out from what the rest of the collection offers a sentence, while
    unrelated text in one language is close to everything in the other.  Pools of up to
    ``exact_limit`` sentences are searched exhaustively, larger ones through an HNSW index
    (usearch), approximately.

    Args:
        queries: sentence vectors per document id.
        pool: sentence vectors per document id (a query document found here is left out of its
            own background).
        k: neighbours averaged.
        exact_limit: the largest pool searched exhaustively.
        threads: threads for the search.

    Returns:
        ``{doc_id: background}``, one value per sentence; ``nan`` where the pool has no sentence
        outside the query's own document.
    """
    ids = [i for i in sorted(pool) if len(pool[i])]
    out: dict[str, np.ndarray] = {}
    if not ids:
        return {q: np.full(len(v), np.nan, dtype=np.float32) for q, v in queries.items()}
    mat = np.concatenate([np.asarray(pool[i], dtype=np.float32) for i in ids])
    mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
    owner = np.repeat(np.arange(len(ids)), [len(pool[i]) for i in ids])
    rank = {i: n for n, i in enumerate(ids)}
    longest = max(len(pool[i]) for i in ids)
    index = None
    if len(mat) > exact_limit:
        Index = _usearch_index("sentence backgrounds")
        index = Index(ndim=mat.shape[1], metric="ip", dtype="f32", expansion_add=128, expansion_search=128)
        index.add(np.arange(len(mat), dtype=np.uint64), mat, threads=threads)
    for q in sorted(queries):
        v = np.asarray(queries[q], dtype=np.float32)
        if v.ndim != 2 or not len(v):
            out[q] = np.zeros(0, dtype=np.float32)
            continue
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        own = rank.get(q, -1)
        # Ask for enough neighbours that k remain once the query's own sentences are left out.
        count = min(len(mat), k + (longest if own >= 0 else 0))
        if index is None:
            sims = v @ mat.T
            if own >= 0:
                sims[:, owner == own] = -np.inf
            top = -np.sort(-sims, axis=1)[:, :k]
        else:
            found = index.search(v, count, threads=threads)
            keys = np.asarray(found.keys).reshape(len(v), -1)
            dists = np.asarray(found.distances).reshape(len(v), -1)
            top = np.full((len(v), k), -np.inf, dtype=np.float32)
            for r in range(len(v)):
                keep = [1.0 - d for key, d in zip(keys[r], dists[r], strict=True)
                        if key < len(mat) and owner[int(key)] != own][:k]
                top[r, : len(keep)] = keep
        finite = np.isfinite(top)
        n = finite.sum(axis=1)
        total = np.where(finite, top, 0.0).sum(axis=1)
        out[q] = np.where(n > 0, total / np.maximum(n, 1), np.nan).astype(np.float32)
    return out


# ------------------------------------------------------------ the paraphrase decision

_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATIONS = frozenset("not no never none nobody nothing neither nor cannot without".split())

#: The features of :func:`paraphrase_features`, in order.
FEATURES: tuple[str, ...] = (
    "cosine", "content_dice", "length_ratio", "number_agreement", "name_agreement", "word_dice",
    "bigram_dice", "negation_mismatch", "sequence_ratio", "char4_dice", "log_max_unshared",
    "log_min_unshared", "number_mismatch", "cosine_x_word_dice", "length_difference",
)


class _Info:
    """What the paraphrase features need of one sentence, computed once."""

    __slots__ = ("bigrams", "char4", "content", "lower", "names", "negated", "numbers", "words")

    def __init__(self, text: str, language: str) -> None:
        words = WORD_RE.findall(text)
        self.words = words
        self.lower = [w.lower() for w in words]
        self.content = set(content_terms(text, language))
        self.numbers = {m.group().replace(",", "") for m in _NUM_RE.finditer(text)}
        self.names = {w.lower() for w in words[1:] if w[:1].isupper() and w.lower() not in STOPWORDS}
        self.bigrams = set(zip(self.lower, self.lower[1:], strict=False))
        flat = re.sub(r"\s+", " ", text.lower())
        self.char4 = {flat[i : i + 4] for i in range(len(flat) - 3)}
        self.negated = any(w in _NEGATIONS or w.endswith("n't") for w in self.lower)


def _dice(a: set, b: set) -> float:  # type: ignore[type-arg]
    return 2.0 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _agreement(a: set, b: set) -> float:  # type: ignore[type-arg]
    return len(a & b) / len(a | b) if a or b else 1.0


def _features(a: _Info, b: _Info, cosine: float) -> list[float]:
    na, nb = len(a.words), len(b.words)
    word_dice = _dice(set(a.lower), set(b.lower))
    return [
        cosine,
        _dice(a.content, b.content),
        min(na, nb) / max(1, na, nb),
        _agreement(a.numbers, b.numbers),
        _agreement(a.names, b.names),
        word_dice,
        _dice(a.bigrams, b.bigrams),
        float(a.negated != b.negated),
        SequenceMatcher(None, a.lower, b.lower, autojunk=False).ratio(),
        _dice(a.char4, b.char4),
        math.log1p(max(len(a.content - b.content), len(b.content - a.content))),
        math.log1p(min(len(a.content - b.content), len(b.content - a.content))),
        float(bool(a.numbers ^ b.numbers)),
        cosine * word_dice,
        abs(na - nb) / max(1, na, nb),
    ]


def paraphrase_features(src_sentence: str, tgt_sentence: str, cosine: float, *, language: str = "en") -> list[float]:
    """The feature vector (:data:`FEATURES`) of a sentence pair."""
    return _features(_Info(src_sentence, language), _Info(tgt_sentence, language), float(cosine))


# Logistic-regression coefficients of the paraphrase decision, one set per embedder (the
# cosine's scale differs between models), on the raw features (standardisation folded in).
#
# How they were fitted: MSRP training set (msr_paraphrase_train.txt, 4,076 pairs, 67.5%
# paraphrases; "<QUOTE>" read as '"'), sentences embedded with each model, the features of
# FEATURES, logistic regression by Newton's method on standardised features with an L2 penalty
# of 1e-3 per example (intercept unpenalised), decision at probability 0.5; evaluated by 10-fold
# cross-validation over a fixed permutation (numpy default_rng(0)), then fitted on all 4,076
# pairs.  ``python -m newstrace.evaluation.msrp --model NAME --coefficients`` redoes both.
# Fitted 2025-11-23, newstrace 0.1.0.  10-fold CV on MSRP train (accuracy / F1):
#
#   model       cosine alone (threshold tuned in-fold)   cosine + lexical (this model)
#   minilm-l3   0.725 / 0.816                            0.757 / 0.829
#   minilm-l6   0.731 / 0.817                            0.751 / 0.825
#   e5-small    0.745 / 0.827                            0.761 / 0.831
#
# Published figures on the MSRP *test* set, for comparison: majority baseline 0.665, simple
# cosine 0.70-0.73, strong (fine-tuned) models 0.80+.  minilm-l3 is the default English model:
# within 0.004 of e5-small here, and about ten times faster (benchmarks/bench_embed.py).
#
# minilm-l3 now runs with int8 weights (newstrace.stages.embed.quantized_model); its
# coefficients were fitted on the float32 model's cosines and are kept: on the int8 cosines
# (pair cosines 0.004 lower on average, at most 0.028 apart) they score 0.757 / 0.830 on all
# 4,076 pairs (float32: 0.758 / 0.831), and a 10-fold CV refit gives 0.755 / 0.829 (float32:
# 0.757 / 0.829), within a fold's noise.
PARAPHRASE_MODELS: dict[str, tuple[float, tuple[float, ...]]] = {
    "minilm-l3": (-4.4888, (3.6280, -1.3292, 1.8095, -0.1520, -0.3225, 3.5674, -5.3067, -0.8130, 4.0440,
                            3.5218, -0.8238, -0.1957, -0.6108, -0.2531, -1.8095)),
    "minilm-l6": (-4.5243, (3.7580, -1.5089, 1.8030, -0.1815, -0.3336, 3.2410, -5.0880, -0.8585, 3.9909,
                            3.8880, -0.8237, -0.2211, -0.6529, -0.2584, -1.8030)),
    "e5-small": (-20.7170, (22.1661, -2.5850, 1.7893, -0.2496, -0.5134, 2.1802, -4.9474, -0.8150, 4.0902,
                            2.8528, -0.9843, -0.3920, -0.6133, 0.8798, -1.7893)),
}

DEFAULT_MODEL = "minilm-l3"


def _coefficients(model: str) -> tuple[float, tuple[float, ...]]:
    try:
        return PARAPHRASE_MODELS[model]
    except KeyError:
        raise ValueError(f"no paraphrase coefficients for {model!r}; available: {', '.join(PARAPHRASE_MODELS)}") from None


def _probability(features: Sequence[float], model: str) -> float:
    intercept, coef = _coefficients(model)
    z = intercept + sum(c * f for c, f in zip(coef, features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def paraphrase_score(src_sentence: str, tgt_sentence: str, cosine: float, *, model: str = DEFAULT_MODEL,
                     language: str = "en") -> float:
    """The probability that two sentences (in one language) are paraphrases.

    Args:
        src_sentence: one sentence.
        tgt_sentence: the other.
        cosine: the cosine of their embeddings under ``model``.
        model: the embedder that produced ``cosine`` (``"minilm-l3"``, ``"minilm-l6"``,
            ``"e5-small"``): each has its own coefficients.
        language: ISO 639-1 code, for stemming content words.

    Returns:
        A probability in [0, 1]; :func:`is_paraphrase` decides at 0.5.
    """
    return _probability(paraphrase_features(src_sentence, tgt_sentence, cosine, language=language), model)


def is_paraphrase(src_sentence: str, tgt_sentence: str, cosine: float, *, model: str = DEFAULT_MODEL,
                  language: str = "en", threshold: float = 0.5) -> bool:
    """Whether two sentences are paraphrases (:func:`paraphrase_score` at least ``threshold``)."""
    return paraphrase_score(src_sentence, tgt_sentence, cosine, model=model, language=language) >= threshold


# ----------------------------------------------------------------------- alignment


@dataclass(frozen=True, slots=True)
class SemanticConfig:
    """Semantic aligner settings.  Defaults calibrated as described in the module's comments
    next to :data:`DEFAULT_CONFIG`.

    Attributes:
        model: the embedder of the same-language vectors (selects paraphrase coefficients).
        link_cosine: a same-language *strong* link: a source sentence at least this close to
            the target sentence...
        link_margin: ...and within this of the target sentence's best source cosine.
        seed_probability: a strong link that is also the source sentence's best match (within
            the margin) is a paraphrase seed when :func:`paraphrase_score` reaches this.
        summary_link_cosine: a same-language *loose* link (what a condensing sentence has with
            each of the sentences it condenses): at least this close...
        summary_margin: ...and within this of the target sentence's best source cosine.
        crosslang_cosine: a cross-language (e5) link: cosine at least this...
        crosslang_margin: ...and within this of the target sentence's best; a cross-language
            link that is also the source sentence's best match is a seed...
        crosslang_ratio: ...and its cosine at least this many times the local background, the
            mean of the ``crosslang_k`` best cosines of its two sentences (margin-based scoring
            as in bitext mining, Artetxe & Schwenk 2019): multilingual embeddings put any two
            texts in one language close, so a raw cosine alone does not tell a translation.
        crosslang_k: neighbours in the background of ``crosslang_ratio``.
        crosslang_collection_link: when the sentences' background in the whole collection is
            known (:func:`sentence_backgrounds`, given to :func:`align_semantic`), it replaces
            the pair's own (whose background, for a text of two or three sentences, is mostly the
            link itself and the neighbouring sentence of the same translation).  A link's
            *margin* is then its cosine over the mean of its two sentences' backgrounds (their
            ``crosslang_k`` best cosines with the sentences of the collection's documents in the
            other side's language: the margin criterion of bitext mining, Artetxe & Schwenk
            2019); a link needs a margin of at least this (1: at least as close as its
            sentences' usual nearest neighbours)...
        crosslang_collection_ratio: ...and a translation passage a mean margin (over its
            target sentences' best links) of at least this.
        max_gap: target sentences a passage may skip between two links.
        max_src_gap: source sentences a passage may skip between two links (scaled up by
            the length ratio of the texts, to at most ``summary_src_gap``, so that a
            condensing target can skip what it leaves out).
        summary_src_gap: the most source sentences a condensing passage may skip.
        max_links: the most source sentences linked to one target sentence.
        min_links: distinct target sentences a passage needs...
        min_links_whole: ...or, when one text has fewer than ``min_links`` sentences, all
            of them and at least this many (a short text translated or paraphrased whole).
        min_density: share of a passage's target sentences that must be linked.
        min_src_density: share of the source sentences spanned by a sentence-for-sentence
            (``"semantic"``) passage that must be strongly linked: a rewrite follows its
            source sentence after sentence, a second report picks a sentence here and there.
        min_seed_share: share of a passage's strongly linked target sentences that must have a
            seed (for a passage that does not condense the source).
        summary_ratio: a passage condenses the source when its source side is at least this
            many times longer (in characters) than its target side.
        summary_cosine: a summary passage's mean best-link cosine must reach this...
        summary_containment: ...and this share of its target content words (stemmed) must occur
            in its source side: a summary reuses the source's names, numbers and terms, while a
            second report of the same event brings its own.
        granularity: ``"passage"``: one alignment per passage; ``"sentence"``: one per
            linked sentence pair of the accepted passages.
    """

    model: str = DEFAULT_MODEL
    link_cosine: float = 0.62
    link_margin: float = 0.08
    seed_probability: float = 0.5
    summary_link_cosine: float = 0.45
    summary_margin: float = 0.2
    crosslang_cosine: float = 0.85
    crosslang_margin: float = 0.03
    crosslang_ratio: float = 1.045
    crosslang_k: int = 4
    crosslang_collection_link: float = 1.0
    crosslang_collection_ratio: float = 1.025
    max_gap: int = 3
    max_src_gap: int = 3
    summary_src_gap: int = 15
    max_links: int = 4
    min_links: int = 3
    min_links_whole: int = 2
    min_density: float = 0.5
    min_src_density: float = 0.6
    min_seed_share: float = 0.5
    summary_ratio: float = 2.0
    summary_cosine: float = 0.6
    summary_containment: float = 0.85
    granularity: Literal["passage", "sentence"] = "passage"

    def __post_init__(self) -> None:
        for name in ("link_cosine", "summary_link_cosine", "crosslang_cosine", "summary_cosine"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"SemanticConfig.{name} must be a cosine in [-1, 1], got {value!r}")
        for name in ("seed_probability", "min_density", "min_src_density", "min_seed_share", "summary_containment"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"SemanticConfig.{name} must be in [0, 1], got {value!r}")
        for name in ("max_gap", "max_src_gap", "summary_src_gap", "link_margin", "summary_margin",
                     "crosslang_margin"):
            if getattr(self, name) < 0:
                raise ValueError(f"SemanticConfig.{name} must be non-negative, got {getattr(self, name)!r}")
        if min(self.crosslang_ratio, self.crosslang_collection_link, self.crosslang_collection_ratio) < 0 \
                or self.crosslang_k < 1:
            raise ValueError("SemanticConfig.crosslang_ratio, crosslang_collection_link and crosslang_collection_ratio "
                             "must be non-negative and crosslang_k at least 1")
        if self.min_links < 1 or self.max_links < 1:
            raise ValueError("SemanticConfig.min_links and max_links must be at least 1")
        if self.granularity not in ("passage", "sentence"):
            raise ValueError(f"SemanticConfig.granularity must be 'passage' or 'sentence', got {self.granularity!r}")


# How the defaults were calibrated (2025-11-23, minilm-l3 vectors, sentences by
# newstrace.stages.text.split_sentences):
#
# * negatives: all 2,925 same-subtopic (same event, different article) pairs of ECB+ dev, and
#   7,241 same-category pairs among 210 BBC News articles (70 each of business, politics, tech;
#   pairs sharing >= 10% of word 5-grams excluded: those are real copies);
# * positives: 40 random pairs each of PAN 2013 training classes 03 (random obfuscation), 04
#   (translation chains, i.e. machine paraphrase) and 05 (summary; 11 of the 40 have a case),
#   plus the invented paraphrase / summary / translation of tests/unit/test_semantic.py.
#
# With these defaults: BBC 0 of 7,241 pairs aligned; ECB+ 83 pairs aligned, of which 78 share at
# least 10% of their 5-grams (one wire story reprinted) and 5 under 10% (read one by one:
# rewrites of one agency or police report, e.g. a law firm's page rewording a TV station's
# story); PAN class 04: 16/40 pairs found, 03: 9/40, 05: 2/11 (the lexical aligner finds most of
# these; the semantic layer adds the heavily reworded ones); no alignment outside a PAN case.
# Alternatives measured: without the source-density test (min_src_density 0) 2 more PAN 04
# pairs and 7 more ECB+ pairs under 10% 5-gram overlap are aligned; seed_probability 0.6
# changes no PAN figure and drops one of the five ECB+ pairs, but also drops half the seeds of
# an AI-style paraphrase (the MSRP decision favours lexically close pairs), so the MSRP decision
# point 0.5 is kept; summaries judged on containment over the whole source range instead of the
# linked sentences (and their neighbours) let about 15 more ECB+ pairs through as "summaries".
# Cross-language thresholds: newstrace.evaluation.crosslang (PAN-PC-11 Spanish-English) and
# docs/calibration.md ("Cross-language margin").
DEFAULT_CONFIG = SemanticConfig()


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
    infos: dict[tuple[str, int], _Info] = {}

    def info(side: str, k: int) -> _Info:
        if (side, k) not in infos:
            infos[(side, k)] = _Info(p.src_sentence(k) if side == "s" else p.tgt_sentence(k), p.language)
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
                        and _probability(_features(info("s", i), info("t", j), c), config.model)
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


# ----------------------------------------------------------------------- candidates

#: Default ``min_cosine`` of :func:`semantic_candidates` per embedder (document vectors).
#: minilm-l3: 95% of the 110 document pairs align_semantic aligned in the calibration sample
#: (PAN 2013 pairs and ECB+ same-event pairs) have a document cosine of at least 0.5; the rest
#: are short reused passages inside long documents, which the lexical channels find.  Among 300
#: BBC articles the median 10th-nearest neighbour is at 0.51, so ``k`` bounds the candidates.
#: minilm-l6: assumed the same (not measured).  e5-small: document vectors of one language are
#: all close (unrelated Spanish literary fragments up to 0.99, wrong Spanish-English pairs up to
#: 0.96, translations from 0.90), so only the neighbour rank tells: query each language's
#: documents against an index of the other languages' (``query_ids``), 35/35 translations of
#: PAN-PC-11 have their source as nearest neighbour; the floor only drops the hopeless.
CANDIDATE_MIN_COSINE: dict[str, float] = {"minilm-l3": 0.5, "minilm-l6": 0.5, "e5-small": 0.85}


def semantic_candidates(
    doc_ids: Sequence[str], doc_vecs: np.ndarray, *, k: int = 10, min_cosine: float,
    query_ids: Sequence[str] | None = None, query_vecs: np.ndarray | None = None,
    expansion: int = 128, threads: int = 1,
) -> dict[tuple[str, str], float]:
    """Candidate pairs of documents whose vectors are close, by approximate nearest neighbours.

    An HNSW index (usearch) over the documents' vectors (:func:`document_vector`) is queried
    with every document for its ``k`` nearest neighbours: O(n log n), not O(n²).  With one
    thread the index, and so the result, is deterministic.

    Args:
        doc_ids: the ids of the indexed documents.
        doc_vecs: their vectors, one row each (normalised here).
        k: neighbours asked per query document.
        min_cosine: the least cosine of a candidate pair (see :data:`CANDIDATE_MIN_COSINE`).
        query_ids: with ``query_vecs``, only pairs between these queries and the indexed
            documents are returned (``trace``); otherwise all pairs within ``doc_ids``.
        query_vecs: the queries' vectors.
        expansion: HNSW search and construction depth (higher: better recall, slower).
        threads: threads for building and querying the index.

    Returns:
        ``{(a, b): cosine}`` with ``a < b``.

    Raises:
        MissingDependencyError: usearch is not installed.
    """
    Index = _usearch_index("semantic candidates")
    ids = list(doc_ids)
    vecs = np.asarray(doc_vecs, dtype=np.float32)
    if len(ids) != len(vecs):
        raise ValueError(f"{len(ids)} ids but {len(vecs)} vectors")
    if not ids:
        return {}
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    index = Index(ndim=vecs.shape[1], metric="ip", dtype="f32", expansion_add=expansion, expansion_search=expansion)
    index.add(np.arange(len(ids), dtype=np.uint64), vecs, threads=threads)
    if query_vecs is not None:
        q_ids = list(query_ids or [])
        q = np.asarray(query_vecs, dtype=np.float32)
        if len(q_ids) != len(q):
            raise ValueError(f"{len(q_ids)} query ids but {len(q)} query vectors")
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        count = min(k, len(ids))
    else:
        q_ids, q = ids, vecs
        count = min(k + 1, len(ids))  # the document itself comes back too
    if not q_ids:
        return {}
    matches = index.search(q, count, threads=threads)
    keys = np.asarray(matches.keys).reshape(len(q_ids), -1)
    dists = np.asarray(matches.distances).reshape(len(q_ids), -1)
    out: dict[tuple[str, str], float] = {}
    for row, a in enumerate(q_ids):
        for key, dist in zip(keys[row], dists[row], strict=True):
            if key >= len(ids):  # usearch pads missing neighbours with a sentinel key
                continue
            b = ids[int(key)]
            cos = round(float(1.0 - dist), 6)
            if b == a or cos < min_cosine:
                continue
            pair = (a, b) if a < b else (b, a)
            out[pair] = max(out.get(pair, -1.0), cos)
    return out
