"""The verdict on one alignment unit, checks in order of how much they matter: names, numbers,
status qualifiers, hedges, negation, attribution, then the content words (stance, sense,
omission, addition, rewording).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from newstrace.stages.changes.config import CONFIG
from newstrace.stages.changes.context_sense import CONTEXT_COSINE, substitution_similarity
from newstrace.stages.changes.qualifiers import (
    _attribution_class,
    _attributions,
    _hedge_levels,
    _hedge_words,
    _negations,
)
from newstrace.stages.changes.records import (
    _PEOPLE_CLASSES,
    _Context,
    _Group,
    _shared_prefix,
    _stretch,
    _texts,
    _Tok,
    _Unit,
    _Verdict,
)
from newstrace.stages.changes.resources import _sense_ids
from newstrace.stages.changes.stance import stance_reversal, status_words
from newstrace.stages.changes.tokens import _spelled_otherwise
from newstrace.stages.changes.word_sense import _judge_substitution, _lexicon_class
from newstrace.stages.changes.wordnet_relations import _noun_classes, _stems

_NEAR = CONFIG.near  # a synonym this close (a list: "weapons, arms and ammunition") tells the sense


def _context_for(g: _Group, i: int, j: int | None) -> _Context:
    S, T = g.S, g.T
    t = S[i]
    head: frozenset[str] = frozenset()
    if t.pos == "ADJ":
        for k in range(i + 1, min(len(S), i + 4)):
            if S[k].pos == "NOUN" and S[k].sent == t.sent:
                head = _noun_classes(S[k].lemma, 2)
                break
            if S[k].pos not in ("ADJ", "PROPN", "NUM"):
                break
    slot = ""
    if j is not None:
        b = T[j]
        prev = T[j - 1] if j > 0 and T[j - 1].sent == b.sent else None
        nxt = T[j + 1] if j + 1 < len(T) and T[j + 1].sent == b.sent else None
        if b.pos == "NOUN" or (prev is not None and prev.pos in ("DET", "ADJ", "PROPN", "NOUN")
                               and prev.end <= b.start and (nxt is None or nxt.pos not in ("NOUN",))):
            slot = "n"
        if t.pos == "ADJ" and nxt is not None and nxt.pos == "NOUN":
            slot = "a"
    own = _stems(t.lower) | _stems(t.lemma)
    stems = g.ctx - own
    near = frozenset().union(*(_stems(x.lemma) for x in S[max(0, i - _NEAR):i + _NEAR + 1]
                               if x.content and not x.name and x.sent == t.sent)) - own
    return _Context(stems, head & _PEOPLE_CLASSES, slot, near)


def _carries_content(toks: Sequence[_Tok]) -> bool:
    """Whether words present on one side only carry content worth flagging."""
    for t in toks:
        if t.name or t.num is not None:
            return True
        if not t.content or _lexicon_class(t) is not None:
            continue
        if t.pos in ("NOUN", "PROPN", "X", "", "ADJ"):
            return True
    return False


def _classify(u: _Unit, g: _Group) -> _Verdict:
    A = [g.S[i] for i in u.src]
    B = [g.T[j] for j in u.tgt]
    ta, tb = _texts(A), _texts(B)
    if _spelled_otherwise(A, B):
        return _Verdict("rewording", "harmless", f"'{ta}' → '{tb}': the same words spelled otherwise")
    # names
    ea = [t for t in A if t.name]
    eb = [t for t in B if t.name]
    lost = [a for a in ea if a.key not in {b.key for b in eb} and g.src_names[a.key] > g.tgt_names[a.key]
            and a.lower not in g.tgt_words and a.key not in g.equivalent]
    new = [b for b in eb if b.key not in {a.key for a in ea} and g.tgt_names[b.key] > g.src_names[b.key]
           and g.src_names[b.key] == 0 and b.lower not in g.src_words and b.key not in g.equivalent]
    if bool(lost) != bool(new):
        # A name one side leaves out of this sentence while the other document names it
        # elsewhere is the same entity referred to otherwise ("LVMH" / "the Paris-based firm",
        # "Frank Field" / "he"): no name is lost, and the rest of the unit is judged below.
        # (A swap of two names is not excused so: that is how a claim changes hands.)
        if lost and g.tgt_doc_words:
            lost = [a for a in lost if a.text not in g.tgt_doc_words]
        if new and g.src_doc_words:
            new = [b for b in new if b.text not in g.src_doc_words]
    if bool(lost) != bool(new):
        # a first name or particle added to (or dropped from) a name both sides keep is the same
        # entity named more or less fully ("Schumacher" / "Michael Schumacher")
        if new:
            new = [b for b in new if not _beside_kept_name(g.T, b, g.src_names)]
        else:
            lost = [a for a in lost if not _beside_kept_name(g.S, a, g.tgt_names)]
        if not lost and not new:
            return _Verdict("rewording", "harmless", f"'{ta or tb}': the same name given more or less fully")
    if lost and new and _actors_recast(lost, new, g):
        lost, new = [], []  # the clause was rewritten around the same actors: judged as words below
    if lost or new:
        if lost and new and any(t.quoted for t in g.S) and not any(t.quoted or t.quote_unknown for t in lost + new) and (
                _attributions(g.S) or _attributions(g.T)) and all(t.ent == "PERSON" for t in lost + new):
            return _Verdict("quote", "meaning",
                            f"the quotation is now attributed to '{_texts(new)}' instead of '{_texts(lost)}'")
        ls, ns = _stretch(lost, g.src_text), _stretch(new, g.tgt_text)
        if lost and new:
            nationality = any(t.ent == "NORP" or (t.pos == "ADJ" and t.name) for t in lost + new)
            what = "a different nationality or group" if nationality else "a different name"
            return _Verdict("entity", "meaning", f"'{ls}' became '{ns}': {what}")
        if lost:
            return _Verdict("entity", "meaning", f"'{ls}' dropped: the name is no longer mentioned here")
        return _Verdict("entity", "meaning", f"'{ns}' added: a name the source does not mention here")
    # numbers (dates included: a weekday or month name has a value, "day 4", "month 3")
    na = Counter(t.num for t in A if t.num is not None) + _relative_periods(g.S, u.src)
    nb = Counter(t.num for t in B if t.num is not None) + _relative_periods(g.T, u.tgt)
    # "today" may be rendered as the weekday, and back; "last week" as the day of last week
    for unit in ("day ", "month "):
        vague = unit + "?"
        for side, other in ((na, nb), (nb, na)):
            while side.get(vague, 0) and any(k.startswith(unit) and k != vague for k in +other):
                k = next(k for k in +other if k.startswith(unit) and k != vague)
                side[vague] -= 1
                other[k] -= 1
    na, nb = +na, +nb
    for vague in ("day ?", "month ?"):  # a relative day dropped or added alone is vague, not a changed date
        na.pop(vague, None)
        nb.pop(vague, None)
    if na != nb and all(_is_date(k) for k in (na - nb) + (nb - na)):
        xa = ", ".join(t.text for t in A if t.num is not None and _is_date(t.num))
        xb = ", ".join(t.text for t in B if t.num is not None and _is_date(t.num))
        # still the "number" kind (figures and dates), the kind paraphrases are checked for
        if not xa:
            return _Verdict("number", "meaning", f"date added: {xb} (the source gives no date here)")
        if not xb:
            return _Verdict("number", "meaning", f"date dropped: {xa} (the target gives no date here)")
        return _Verdict("number", "meaning", f"date changed: {xa} → {xb}")
    if na != nb:
        xa = ", ".join(t.text for t in A if t.num is not None) or "no number"
        xb = ", ".join(t.text for t in B if t.num is not None) or "no number"
        return _Verdict("number", "meaning", f"number changed: {xa} → {xb}")
    if len(A) == 1 and len(B) == 1 and _shared_prefix(A[0].lower, B[0].lower) >= 5:
        return _Verdict("rewording", "harmless", f"'{ta}' became '{tb}': the same word in another form")
    # status qualifiers ("breakaway", "self-declared") dropped or added
    qa = [t for t in status_words(A) if t.lower not in g.tgt_words]
    qb = [t for t in status_words(B) if t.lower not in g.src_words]
    if qa or qb:
        if qa and not qb:
            return _Verdict("hedge", "meaning", f"status qualifier '{_texts(qa)}' dropped: what the source presents "
                                                f"as contested or provisional now reads as settled")
        if qb and not qa:
            return _Verdict("hedge", "meaning", f"status qualifier '{_texts(qb)}' added: the target presents as "
                                                f"contested or provisional what the source states plainly")
        return _Verdict("hedge", "meaning", f"status qualifier '{_texts(qa)}' became '{_texts(qb)}'")
    # qualifiers
    if not g.hedge_equal and _hedge_levels(A) != _hedge_levels(B):
        ha, hb = _hedge_words(A), _hedge_words(B)
        la, lb = sum(_hedge_levels(A).elements()), sum(_hedge_levels(B).elements())
        if ha and hb:
            how = "weaker" if lb < la else "stronger" if lb > la else "differently qualified"
            return _Verdict("hedge", "meaning",
                            f"qualifier '{' '.join(ha)}' became '{' '.join(hb)}': a {how} claim")
        if ha:
            how = "stated more firmly" if la < 0 else "stated less firmly"
            if B:
                return _Verdict("hedge", "meaning",
                                f"'{ta}' became '{tb}': without the qualifier '{' '.join(ha)}' "
                                f"the claim is {how}")
            return _Verdict("hedge", "meaning", f"qualifier '{' '.join(ha)}' dropped: the claim is {how}")
        how = "hedged" if lb < 0 else "stated more firmly"
        if A:
            return _Verdict("hedge", "meaning",
                            f"'{ta}' became '{tb}': with the qualifier '{' '.join(hb)}' the claim is {how}")
        return _Verdict("hedge", "meaning", f"qualifier '{' '.join(hb)}' added: the claim is {how}")
    # negation (a negative verb replaced by its synonym, "rejected" → "refused", is not one)
    synonyms = u.pair is not None and bool(_sense_ids(g.S[u.pair[0]].lemma) & _sense_ids(g.T[u.pair[1]].lemma))
    if not g.neg_equal and not synonyms and _negations(A) % 2 != _negations(B) % 2:
        if _negations(B) > _negations(A):
            return _Verdict("polarity", "meaning", f"negation added: '{ta}' → '{tb}'")
        return _Verdict("polarity", "meaning", f"negation removed: '{ta}' → '{tb}'")
    # attribution
    if not g.attrib_equal:
        aa, ab = _attributions(A), _attributions(B)
        # An attribution dropped from (added to) this stretch while the other side's sentence
        # still attributes it elsewhere ("according to Mr Peston, …" / "…, Mr Peston said") is
        # the same report: the claim reads as fact only when that sentence attributes nothing.
        # (A headline's speaker after a dash attributes too: "UK heading wrong way - Howard".)
        if aa != ab and not (aa and not ab and g.tgt_attributed) and not (ab and not aa and g.src_attributed):
            if aa and not ab:
                return _Verdict("attribution", "meaning",
                                f"attribution '{ta}' dropped: a reported claim now reads as fact")
            if ab and not aa:
                what = "a claim" if ab.get("doubt") else "a reported statement"
                return _Verdict("attribution", "meaning",
                                f"attribution '{tb}' added: a stated fact becomes {what}")
            if ab.get("doubt", 0) > aa.get("doubt", 0):
                return _Verdict("attribution", "meaning",
                                f"'{ta}' became '{tb}': the statement is now cast as a claim")
            return _Verdict("attribution", "meaning",
                            f"'{ta}' became '{tb}': a claim now reported as a statement")
    return _content_verdict(u, g, A, B)


def _content_verdict(u: _Unit, g: _Group, A: list[_Tok], B: list[_Tok]) -> _Verdict:
    ta, tb = _texts(A), _texts(B)
    ca = [t for t in A if t.content]
    cb = [t for t in B if t.content]
    if (A or B) and all(_attribution_class(t) or not t.content for t in A + B) and any(
            _attribution_class(t) for t in A + B):
        return _Verdict("rewording", "harmless",
                        f"attribution rephrased ('{ta}' → '{tb}'): the same source is quoted")
    if not ca and not cb:
        if not A or not B:
            return _Verdict("rewording", "harmless",
                            f"function words {'dropped' if A else 'added'}: '{ta or tb}'")
        return _Verdict("rewording", "harmless", f"function words changed: '{ta}' → '{tb}'")
    if not ca and all(t.name and g.src_names[t.key] > 0 for t in cb):
        return _Verdict("rewording", "harmless",
                        f"'{tb}' spelled out: the source names it elsewhere in the sentence")
    if not cb and all(t.name and g.tgt_names[t.key] > 0 for t in ca):
        return _Verdict("rewording", "harmless",
                        f"'{ta}' left implicit: the target names it elsewhere in the sentence")
    if u.pair is not None or (len(ca) == 1 and len(cb) == 1):
        i, j = u.pair if u.pair is not None else (g.S.index(ca[0]), g.T.index(cb[0]))
        a, b = g.S[i], g.T[j]
        tight = u.tight if u.pair is not None else (len(A) <= 4 and len(B) <= 4)
        verdict = _judge_substitution(a, b, _context_for(g, i, j), tight)
        group = stance_reversal(a.lemma, b.lemma) if verdict.severity == "harmless" else None
        if group is not None:  # WordNet sees no antonym, the stance lexicon does
            return _Verdict("polarity", "meaning", f"'{a.text}' became '{b.text}': the opposite stance ({group})")
        if verdict.kind == "synonym":
            shift = _context_shift(a, b, g)
            if shift is not None:
                return shift
        others = ([f"'{t.text}' dropped" for t in ca if t is not a]
                  + [f"'{t.text}' added" for t in cb if t is not b])
        if verdict.severity == "harmless" and others:
            also = "; also " + ", ".join(others)
            return _Verdict(verdict.kind, verdict.severity, verdict.explanation + also)
        return verdict
    if _pronoun_for_phrase(A, B) or _pronoun_for_phrase(B, A):
        return _Verdict("rewording", "harmless", f"'{ta}' → '{tb}': the same thing referred to by a pronoun")
    if A and B and (not ca or not cb):
        for x in A:
            for y in B:
                if x.lower != y.lower and _sense_ids(x.lemma) & _sense_ids(y.lemma):
                    return _Verdict("synonym", "harmless", f"'{x.text}' replaced by '{y.text}', a synonym "
                                    f"(in '{ta}' → '{tb}')")
    if u.rephrase and len([t for t in ca + cb if t.pos in ("NOUN", "ADJ", "PROPN")]) <= 1:
        side = f"'{ta}' dropped" if ca else f"'{tb}' added"
        return _Verdict("rewording", "harmless", f"{side} in a reworded clause: no content lost on its own")
    if not cb:
        if _carries_content(ca):
            return _Verdict("omission", "meaning", f"'{ta}' dropped: content the target leaves out")
        return _Verdict("rewording", "harmless", f"'{ta}' dropped: no content lost")
    if not ca:
        if _carries_content(cb):
            return _Verdict("addition", "meaning", f"'{tb}' added: content the source does not have")
        return _Verdict("rewording", "harmless", f"'{tb}' added: no content added")
    return _Verdict("rewording", "harmless", f"'{ta}' rephrased as '{tb}'")


def _context_shift(a: _Tok, b: _Tok, g: _Group) -> _Verdict | None:
    """A WordNet synonym that moves the sentence's meaning (sentence encoder, in context)."""
    sent = [t for t in g.S if t.sent == a.sent]
    start, end = sent[0].start, sent[-1].end
    sim = substitution_similarity(g.src_text[start:end], a.start - start, a.end - start, b.text)
    if sim is None or sim >= CONTEXT_COSINE:
        return None
    return _Verdict("word-sense", "meaning",
                    f"'{a.text}' replaced by '{b.text}': WordNet lists them as synonyms, but in this sentence "
                    f"the substitute shifts the meaning (sentence similarity {sim:.2f})")


_PRONOUNS = frozenset({"it", "they", "them", "he", "him", "she", "her", "this", "these"})


def _pronoun_for_phrase(phrase: list[_Tok], other: list[_Tok]) -> bool:
    """Whether ``other`` is a lone pronoun standing where ``phrase``, a short common noun phrase
    ("the ministerial answer" / "it"), stands on the other side: the same thing referred to
    again, as a coreference.  Names are judged before (a name for "he" needs the name elsewhere)."""
    if len(other) != 1 or other[0].lower not in _PRONOUNS or not 1 <= len(phrase) <= 4:
        return False
    if any(t.name or t.num is not None for t in phrase) or phrase[-1].pos != "NOUN":
        return False
    # (a participle may modify the noun: "the proposed law")
    return phrase[0].pos in ("DET", "ADJ", "NOUN", "PRON") and all(
        t.pos in ("DET", "ADJ", "NOUN", "PRON") or (t.pos == "VERB" and 0 < k < len(phrase) - 1)
        for k, t in enumerate(phrase))


def _is_date(value: str) -> bool:
    """Whether a token value is a date (a weekday or a month), not a number."""
    return value.startswith(("day ", "month "))


# A period named relative to the time of writing ("last week", "earlier this month"): vague,
# the same time as a weekday or a month name the other side gives for it.
_RELATIVE_PERIODS = {"week": "day ?", "weekend": "day ?", "month": "month ?"}
_RELATIVE_MODIFIERS = frozenset({"last", "this", "next", "past", "coming"})


def _relative_periods(side: list[_Tok], idx: list[int]) -> Counter[str]:
    """Vague date values ("day ?", "month ?") of the relative periods among ``side[idx]``."""
    out: Counter[str] = Counter()
    for i in idx:
        t = side[i]
        if t.lower in _RELATIVE_PERIODS and t.num is None and i > 0 and side[i - 1].lower in _RELATIVE_MODIFIERS \
                and side[i - 1].sent == t.sent:
            out[_RELATIVE_PERIODS[t.lower]] += 1
    return out


_NON_PERSON_LABELS = frozenset({"ORG", "GPE", "NORP", "LOC", "FAC"})


def _actors_recast(lost: list[_Tok], new: list[_Tok], g: _Group) -> bool:
    """Whether a name swap is a clause rewritten around the same actors rather than one claimant
    put for another: a person on one side, a group, place or organisation on the other ("Michael
    Howard has denied …" / "The Tories are to back …", "Qwest chairman Richard Notebaert …" /
    "Qwest Communications …"), each named somewhere in the other document.  A swap of two people,
    or of two parties or places ("Qwest" / "Verizon", "London" / "the UK"), is still a change."""
    def kind(toks: list[_Tok]) -> str:
        labels = {t.ent for t in toks}
        if labels == {"PERSON"}:
            return "person"
        return "other" if labels and labels <= _NON_PERSON_LABELS else ""

    kinds = {kind(lost), kind(new)}
    if kinds != {"person", "other"} or not (g.src_doc_words and g.tgt_doc_words):
        return False
    return any(a.text in g.tgt_doc_words for a in lost) and any(b.text in g.src_doc_words for b in new)


def _beside_kept_name(side: list[_Tok], t: _Tok, other_names: Counter[str]) -> bool:
    """Whether a person's name token stands next to a person's name the other side also has
    (a first name: "Michael Schumacher"; not a place or group: "NW Pakistan" is more specific)."""
    k = next((n for n, x in enumerate(side) if x is t), -1)
    if k < 0 or t.ent != "PERSON":
        return False
    return any(0 <= m < len(side) and side[m].name and side[m].ent == "PERSON" and side[m].sent == t.sent
               and other_names[side[m].key] > 0 for m in (k - 1, k + 1))
