"""The sentence-level paraphrase decision: a logistic regression fitted on MSRP."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from newstrace.stages.matching import SequenceMatcher
from newstrace.stages.text import STOPWORDS, WORD_RE, content_terms

_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATIONS = frozenset("not no never none nobody nothing neither nor cannot without".split())

#: The features of :func:`paraphrase_features`, in order.
FEATURES: tuple[str, ...] = (
    "cosine", "content_dice", "length_ratio", "number_agreement", "name_agreement", "word_dice",
    "bigram_dice", "negation_mismatch", "sequence_ratio", "char4_dice", "log_max_unshared",
    "log_min_unshared", "number_mismatch", "cosine_x_word_dice", "length_difference",
)


class SentenceInfo:
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


def _dice(a: AbstractSet[object], b: AbstractSet[object]) -> float:
    return 2.0 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _agreement(a: AbstractSet[object], b: AbstractSet[object]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def feature_values(a: SentenceInfo, b: SentenceInfo, cosine: float) -> list[float]:
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
    return feature_values(SentenceInfo(src_sentence, language), SentenceInfo(tgt_sentence, language), float(cosine))


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


