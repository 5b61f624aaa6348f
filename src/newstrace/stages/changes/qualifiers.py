"""Signals whose change alters a claim's status: negation, hedges and boosters (with their
strength), attribution verbs (neutral "say" versus doubting "claim").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import groupby

from newstrace.stages.changes.lexicon import (
    _ATTRIB_DOUBT,
    _ATTRIB_NEUTRAL,
    _ATTRIB_WORDS,
    _BOOST_NOUNS,
    _HEDGES,
    _NEGATIVE_PREDICATES,
    _NEGATORS,
)
from newstrace.stages.changes.records import _Tok


def _is_signal(t: _Tok) -> bool:
    if t.lemma.startswith("·"):
        return False
    return (t.lower in _NEGATORS or t.lemma in _NEGATORS or t.lemma in _HEDGES
            or _attribution_class(t) is not None
            or t.lemma in _NEGATIVE_PREDICATES or t.negates or t.num is not None)





def _attribution_class(t: _Tok) -> str | None:
    if t.lemma in _ATTRIB_WORDS or t.lower in _ATTRIB_WORDS:
        return "doubt" if t.lower != "according" else "neutral"
    if t.pos not in ("VERB", "") or not t.reports:
        return None
    if t.lemma in _ATTRIB_DOUBT:
        return "doubt"
    if t.lemma in _ATTRIB_NEUTRAL:
        return "neutral"
    return None


def _negations(toks: Iterable[_Tok]) -> int:
    return sum(1 for t in toks if not t.lemma.startswith("·") and (
        t.lower in _NEGATORS or t.lemma in _NEGATORS or t.lemma in _NEGATIVE_PREDICATES or t.negates))


def _hedge_levels(toks: Sequence[_Tok]) -> Counter[int]:
    out: Counter[int] = Counter()
    for k, t in enumerate(toks):
        if t.lemma in _HEDGES:
            out[_HEDGES[t.lemma]] += 1
        elif t.lemma in _BOOST_NOUNS and k > 0 and toks[k - 1].lower == "in":
            out[1] += 1
    return out


def _hedge_words(toks: Sequence[_Tok]) -> list[str]:
    words = []
    for k, t in enumerate(toks):
        if t.lemma in _HEDGES:
            words.append(t.text)
        elif t.lemma in _BOOST_NOUNS and k > 0 and toks[k - 1].lower == "in":
            words.append(f"{toks[k - 1].text} {t.text}")
    return words


def _attributions(toks: Iterable[_Tok]) -> Counter[str]:
    return Counter(c for c in (_attribution_class(t) for t in toks) if c)


#: What stands before a headline's closing speaker: "Lords wrong on detainees - Straw", "…: Straw".
_SPEAKER_BEFORE = re.compile(r"(?:\s[-–—]|:)\s*$")


def _attributes(side: list[_Tok], text: str) -> bool:
    """Whether ``side`` (a group's sentences, offsets into ``text``) attributes what it says: an
    attribution word, or a headline's speaker, named after a dash or colon at a sentence's end
    or before a colon at its start ("UK heading wrong way - Howard", "Blair: Iraq war was right")."""
    if _attributions(side):
        return True
    for _, group in groupby(side, key=lambda t: t.sent):
        sent = list(group)
        lead, tail = _names_at_start(sent), _names_at_start(sent[::-1])
        if 0 < lead < len(sent) and text[sent[lead - 1].end : sent[lead].start].strip() == ":":
            return True
        if 0 < tail < len(sent) and _SPEAKER_BEFORE.search(text[sent[-tail - 1].end : sent[-tail].start]):
            return True
    return False


def _names_at_start(toks: Sequence[_Tok], most: int = 3) -> int:
    """How many of the first ``most`` tokens are names, counted up to the first that is not."""
    n = 0
    while n < min(most, len(toks)) and toks[n].name:
        n += 1
    return n
