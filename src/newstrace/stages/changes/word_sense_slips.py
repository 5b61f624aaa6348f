"""Added words that WordNet ties only to another sense of a source word of the sentence, one
the context rules out ("weapons, arms" → "arms, hands").
"""

from __future__ import annotations

from functools import lru_cache

from newstrace.stages.changes.classify import _context_for
from newstrace.stages.changes.records import _Group, _Verdict
from newstrace.stages.changes.resources import _sense_ids, wordnet
from newstrace.stages.changes.word_sense import _DECISIVE, _gloss, _sense_scores
from newstrace.stages.changes.wordnet_relations import (
    _MAX_SENSES,
    _UPOS_WN,
    _best_link,
    _near_ids,
    _pointer_ids,
    _same_pos,
    _synsets,
)


def _sense_slip(j: int, g: _Group) -> tuple[int, _Verdict] | None:
    """An added word that WordNet ties only to another sense of a source word of the sentence,
    one the context rules out ("weapons, arms" → "arms, hands")."""
    b = g.T[j]
    if not b.content or b.name or b.num is not None or wordnet() is None:
        return None
    for i, a in enumerate(g.S):
        if not a.content or a.name or a.num is not None or a.lemma == b.lemma:
            continue
        p = _UPOS_WN.get(a.pos)
        senses = [s for s in _synsets(a.lemma) if p and _same_pos(s.pos(), p)]
        if not senses or (not _sense_ids(b.lemma) & _near_ids(a.lemma) and not _part_linked(a.lemma, b.lemma)):
            continue
        link = _best_link(a.lemma, b.lemma, senses)
        if link is None or link.strength < 0.5:
            continue
        scored = _sense_scores(a.lemma, senses, _context_for(g, i, None))
        ev_c, _, c = scored[0]
        if link.start is c:
            continue
        ev_other = next((e for e, _, s in scored if s is link.start), 0.0)
        if ev_c - ev_other >= _DECISIVE:
            return i, _Verdict("word-sense", "meaning",
                               f"'{a.text}' ({_gloss(c)}) rendered as '{b.text}', which belongs to "
                               f"another sense "
                               f"of '{a.text}' ({_gloss(link.start)})")
    return None


@lru_cache(maxsize=65536)
def _part_linked(a: str, b: str) -> bool:
    """Whether a sense of b is a part or whole of a sense of a (arm / hand)."""
    ids_b = _sense_ids(b)
    for s in _synsets(a)[:_MAX_SENSES]:
        if any(n in ids_b for n, _, rel in _pointer_ids(s, a) if rel in ("part", "whole")):
            return True
    return False
