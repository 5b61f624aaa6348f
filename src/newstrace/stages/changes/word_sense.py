"""Word sense in context: which sense of a word its sentence uses (Lesk-style evidence plus a
frequency prior), and the verdict on a substitute: same-sense synonym, another sense of the
word (the spinner's error), another part of speech, an antonym, or a plain rewording.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from newstrace.stages.changes.config import CONFIG
from newstrace.stages.changes.lexicon import _HEDGES, _NEGATIVE_PREDICATES, _NEGATORS
from newstrace.stages.changes.qualifiers import _attribution_class
from newstrace.stages.changes.records import _PEOPLE_CLASSES, _Context, _Link, _shared_prefix, _Tok, _Verdict
from newstrace.stages.changes.resources import wordnet
from newstrace.stages.changes.wordnet_relations import (
    _MAX_SENSES,
    _UPOS_WN,
    _best_link,
    _concept_distance,
    _example_classes,
    _is_antonym,
    _lemma_objs,
    _link_from,
    _same_pos,
    _sense_words,
    _synsets,
)
from newstrace.stages.text import stem_words

_DECISIVE = CONFIG.decisive  # context evidence a sense needs over another to rule it out


_WEAK_CAP = CONFIG.weak_cap  # gloss overlap alone never reaches _DECISIVE
# Weights of the context evidence for a sense: a synonym nearby, gloss overlap (capped), noun class.
_SYN_WEIGHT, _GLOSS_WEIGHT = CONFIG.syn_weight, CONFIG.gloss_weight
_GLOSS_CAP, _CLASS_WEIGHT = CONFIG.gloss_cap, CONFIG.class_weight


@lru_cache(maxsize=65536)
def _sense_count(synset: Any, word: str) -> int:
    """How often the word is tagged with this sense in WordNet's sense-tagged corpus."""
    return sum(lem.count() for lem in _lemma_objs(synset, word))


def _sense_scores(word: str, senses: Sequence[Any], ctx: _Context) -> list[tuple[float, float, Any]]:
    """(context evidence, total score, sense) per sense, best first.

    Evidence: a synonym of the sense in the sentence (strong), words of its gloss, examples and
    neighbouring lemmas in the sentence (weak), and for an adjective, the noun it modifies
    belonging to the class of the nouns in the sense's examples (strong).
    """
    senses = senses[: 2 * _MAX_SENSES]
    counts = [_sense_count(s, word) for s in senses]
    total = sum(counts) + 1
    scored = []
    for rank, (s, c) in enumerate(zip(senses, counts, strict=True)):
        syn, gloss = _sense_words(s, word)
        evidence = (_SYN_WEIGHT * min(1, len(syn & ctx.near))
                    + _GLOSS_WEIGHT * min(_GLOSS_CAP, len(gloss & ctx.stems)))
        if ctx.head_classes and s.pos() in ("a", "s") and _example_classes(s, word) & _PEOPLE_CLASSES:
            evidence += _CLASS_WEIGHT
            strong = True
        else:
            strong = bool(syn & ctx.near)
        if not strong:
            evidence = min(evidence, _WEAK_CAP)  # gloss words alone: weak evidence
        prior = 0.6 * c / total + 0.3 / (rank + 1)
        scored.append((evidence, evidence + prior, s))
    scored.sort(key=lambda x: -x[1])
    return scored


def _gloss(synset: Any, limit: int = 60) -> str:
    g = str(synset.definition()).split(";")[0].strip()
    return g if len(g) <= limit else g[: limit - 1].rsplit(" ", 1)[0] + "…"


_POS_NAMES = {"n": "noun", "v": "verb", "a": "adjective", "s": "adjective", "r": "adverb"}


def _lexicon_class(t: _Tok) -> str | None:
    """Words interchangeable for meaning purposes: negative predicates, same-strength qualifiers."""
    if t.lemma.startswith("·"):
        return None
    if t.lower in _NEGATORS or t.lemma in _NEGATORS or t.lemma in _NEGATIVE_PREDICATES:
        return "negative"
    if t.lemma in _HEDGES:
        return f"qualifier{_HEDGES[t.lemma]}"
    if _attribution_class(t):
        return f"attribution-{_attribution_class(t)}"
    return None


def _judge_substitution(a: _Tok, b: _Tok, ctx: _Context, tight: bool = True) -> _Verdict:
    """Same sense, another sense, or no relation: one content word replaced by another."""
    wa, wb = a.lemma, b.lemma
    qa, qb = a.text, b.text
    if wa == wb or a.lower == b.lower:
        return _Verdict("rewording", "harmless", f"'{qa}' became '{qb}': same word, another form")
    if stem_words([a.lower])[0] == stem_words([b.lower])[0]:
        return _Verdict("rewording", "harmless", f"'{qa}' became '{qb}': same word stem")
    ca, cb = _lexicon_class(a), _lexicon_class(b)
    if ca is not None and ca == cb:
        return _Verdict("synonym", "harmless",
                        f"'{qa}' replaced by '{qb}': same force ({ca.split('-')[0].rstrip('-012')})")
    if wordnet() is None:
        return _Verdict("rewording", "harmless", f"'{qa}' replaced by '{qb}' (no WordNet to check the sense)")
    if _is_antonym(wa, wb):
        return _Verdict("polarity", "meaning",
                        f"'{qa}' replaced by its antonym '{qb}': the claim is reversed")
    all_a, all_b = _synsets(wa), _synsets(wb)
    if not all_a or not all_b:
        shared = _shared_prefix(a.lower, b.lower)
        if shared >= max(4, int(0.6 * min(len(a.lower), len(b.lower)))):
            return _Verdict("rewording", "harmless", f"'{qa}' became '{qb}': a related form")
        missing = qa if not all_a else qb
        return _Verdict("rewording", "harmless",
                        f"'{qa}' replaced by '{qb}' ('{missing}' is not in WordNet: sense not checked)")
    p = _UPOS_WN.get(a.pos)
    in_pos = [s for s in all_a if p and _same_pos(s.pos(), p)]
    senses = in_pos or list(all_a)
    scored = _sense_scores(wa, senses, ctx)
    ev_c, _, c = scored[0]
    # the substitute cannot fill the slot: no sense in the part of speech the source word has there
    b_has_pos = p is not None and any(_same_pos(s.pos(), p) for s in all_b)
    b_noun = any(s.pos() == "n" for s in all_b)  # a noun can modify a noun ("cell phone")
    if in_pos and p in ("n", "a") and ctx.slot == p and not b_has_pos and not (p == "a" and b_noun):
        link = _best_link(wa, wb, all_a)
        if link is not None and link.strength >= 0.6:
            other = link.start
            where = _POS_NAMES[other.pos()] if not _same_pos(other.pos(), p) else _POS_NAMES[link.end.pos()]
            return _Verdict("word-sense", "meaning",
                            f"'{qa}' ({_POS_NAMES[p]}: {_gloss(c)}) replaced by '{qb}', which has no "
                            f"{_POS_NAMES[p]} sense: a synonym of the {where} sense ({_gloss(link.end)})")
    ctx_link = _link_from(c, wa, wb)
    if ctx_link is not None and ctx_link.strength >= 0.78:
        if ctx_link.rel == "synonym":
            return _Verdict("synonym", "harmless",
                            f"'{qa}' replaced by '{qb}', a synonym in the same sense ({_gloss(c)})")
        return _Verdict("synonym", "harmless",
                        f"'{qa}' replaced by '{qb}', a close word in the same sense "
                        f"({ctx_link.rel}; {_gloss(c)})")
    best = _best_link(wa, wb, senses)
    cross_pos = None
    if (best is None or best.strength < 0.6) and in_pos:
        cross_pos = _best_link(wa, wb, [s for s in all_a if s not in in_pos])
    if best is not None and best.strength >= 0.5 and best.start is not c:
        other = best.start
        ev_other = next((e for e, _, s in scored if s is other), 0.0)
        related_senses = _concept_distance(c, [other])
        decisive = ev_c - ev_other >= _DECISIVE and (related_senses is None or related_senses > 2)
        if decisive:
            bridge = _bridge(best, wa, wb)
            via = f"'{bridge}': {_gloss(other)}" if bridge else _gloss(other)
            return _Verdict("word-sense", "meaning",
                            f"'{qa}' ({_gloss(c)}) replaced by '{qb}', a synonym of another sense ({via})")
        if best.strength < 0.6:
            return _Verdict("rewording", "harmless",
                            f"'{qa}' replaced by '{qb}', a loosely related word ({best.rel})")
        kind = "synonym" if best.strength >= 0.7 else "rewording"
        return _Verdict(kind, "harmless", f"'{qa}' replaced by '{qb}', related in WordNet ({best.rel}); "
                        "the context does not rule that sense out")
    if ctx_link is not None and ctx_link.strength >= 0.6:
        return _Verdict("rewording", "harmless",
                        f"'{qa}' replaced by '{qb}', a related word ({ctx_link.rel})")
    if best is not None and best.strength >= 0.6:
        return _Verdict("rewording", "harmless", f"'{qa}' replaced by '{qb}', a related word ({best.rel})")
    same_pos_b = [s for s in all_b if _same_pos(s.pos(), c.pos())]
    distance = _concept_distance(c, same_pos_b) if same_pos_b else None
    if distance is not None and distance <= 3:
        return _Verdict("rewording", "harmless", f"'{qa}' replaced by '{qb}', a closely related concept")
    if cross_pos is not None and cross_pos.strength >= 0.6 and ev_c >= _DECISIVE:
        return _Verdict("word-sense", "meaning",
                        f"'{qa}' ({_gloss(c)}) replaced by '{qb}', a synonym of its "
                        f"{_POS_NAMES[cross_pos.start.pos()]} "
                        f"sense ({_gloss(cross_pos.start)})")
    if ev_c < _DECISIVE and any((_concept_distance(s, same_pos_b) or 9) <= 3 for s in senses[:6]):
        return _Verdict("rewording", "harmless",
                        f"'{qa}' replaced by '{qb}', a related concept in some sense")
    return _Verdict("rewording", "harmless", f"'{qa}' replaced by '{qb}': loosely related wording")


def _bridge(link: _Link, wa: str, wb: str) -> str:
    """A word that shows how the substitute was reached (the synonym of the other sense)."""
    for s in (link.via, link.end if link.end is not link.start else None, link.start):
        if s is None:
            continue
        for x in s.lemma_names():
            if x.lower() not in (wa, wb) and x.lower().replace("_", " ") not in (wa, wb):
                return str(x).replace("_", " ")
    return ""
