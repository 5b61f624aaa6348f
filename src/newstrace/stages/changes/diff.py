"""``diff_passage``: every difference between an aligned source passage and its target passage,
each a classified :class:`~newstrace.types.Change` with absolute offsets in both documents.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from newstrace.stages.changes.classify import _carries_content, _classify
from newstrace.stages.changes.names import _acronym_matches
from newstrace.stages.changes.qualifiers import _attributes, _attributions, _hedge_levels, _negations
from newstrace.stages.changes.quotes import (
    _QUOTE_ABSORBS,
    _counterparts,
    _next_start,
    _quote_moves,
    _region_ids,
    _shared_quote,
)
from newstrace.stages.changes.records import (
    Severity,
    _by_sentence,
    _clip,
    _Group,
    _span,
    _texts,
    _Tok,
    _Unit,
    _Verdict,
)
from newstrace.stages.changes.sentence_pairing import _align_sentences
from newstrace.stages.changes.token_alignment import (
    _align_tokens,
    _canonical_names,
    _drop_reorder_noise,
    _join_split_spellings,
    _moved_blocks,
    _split_scattered,
)
from newstrace.stages.changes.tokens import _quote_regions, _spelled_otherwise, _tokens
from newstrace.stages.changes.word_sense_slips import _sense_slip
from newstrace.stages.changes.wordnet_relations import _stems
from newstrace.stages.text import split_sentences
from newstrace.types import Change

_WORD = re.compile(r"\w[\w'’-]*")


#: Share of a dropped (added) sentence's content words that one sentence elsewhere in the
#: other document must hold for the sentence to count as moved, not dropped (added).
MOVED_SHARE = 0.7
#: Content words a sentence needs before it can count as moved (a short one matches by chance).
MOVED_MIN_WORDS = 4


@lru_cache(maxsize=16)
def _document_words(text: str) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
    """A document's words as written, and each of its sentences' lower-cased words."""
    words = frozenset(_WORD.findall(text))
    sentences = tuple(frozenset(w.lower() for w in _WORD.findall(text[x.start:x.end]))
                      for x in split_sentences(text))
    return words, sentences


def _moved_share(side: list[_Tok], sentences: tuple[frozenset[str], ...]) -> float:
    """The largest share of ``side``'s content words one of ``sentences`` holds (0 when it has
    too few content words to tell)."""
    content = {t.lower for t in side if t.content}
    if len(content) < MOVED_MIN_WORDS or not sentences:
        return 0.0
    return max(len(content & other) for other in sentences) / len(content)


@lru_cache(maxsize=16)
def _flat(text: str) -> str:
    """``text`` with its runs of whitespace one space: phrases are looked up in it."""
    return " ".join(text.split())


def _phrase_elsewhere(side: list[_Tok], text: str, other_flat: str) -> str | None:
    """The words of ``side`` from its first content word to its last (a name, or two content
    words at least), when the other document (``other_flat``, :func:`_flat`) holds them as
    they stand, whole words, case kept but for the first letter (a sentence may begin with
    them); None otherwise or without it."""
    content = [t for t in side if t.content]
    if not other_flat or not content or (len(content) < 2 and not any(t.name for t in content)):
        return None  # one common word recurs anywhere: a name, or two words together, is evidence
    phrase = " ".join(text[content[0].start:content[-1].end].split())
    if len(phrase) < 3:
        return None
    first = f"[{re.escape(phrase[0].lower())}{re.escape(phrase[0].upper())}]"
    found = re.search(rf"(?<!\w){first}{re.escape(phrase[1:])}(?!\w)", other_flat)
    return phrase if found else None


def _number_elsewhere(A: list[_Tok], B: list[_Tok], tgt_doc_flat: str, src_doc_flat: str) -> str | None:
    """Why a number dropped from (or added to) one sentence, with none in its place, is no
    change, when the other document (:func:`_flat`) gives it as written elsewhere ("$280bn
    (£155bn)" in a sentence the other copy puts its figures in): or None.  Only figures of two
    characters or more with a digit count ("155bn", "2003"); "2" or "nine" recur anywhere."""
    na, nb = [t for t in A if t.num is not None], [t for t in B if t.num is not None]
    if bool(na) == bool(nb):
        return None
    dropped = bool(na)
    other = tgt_doc_flat if dropped else src_doc_flat
    side = na or nb
    if not other or not all(sum(ch.isalnum() for ch in t.text) >= 2 and any(ch.isdigit() for ch in t.text)
                            and re.search(rf"(?<![\w.]){re.escape(t.text)}(?!\w)", other) for t in side):
        return None
    figures = ", ".join(t.text for t in side)
    return (f"'{figures}' {'dropped' if dropped else 'added'} here, but the "
            f"{'target' if dropped else 'source'} gives it elsewhere")


def diff_passage(source_text: str, target_text: str, *, source_offset: int = 0, target_offset: int = 0,
                 language: str = "en", source_document: str | None = None,
                 target_document: str | None = None) -> list[Change]:
    """The differences between an aligned source passage and its target passage, each classified.

    Spans are absolute: ``source_offset``/``target_offset`` (the passages' positions in their
    documents) plus the position inside the passage, so ``doc.text[s:e] == change.source_text``.

    With the two whole documents (``source_document``, ``target_document``: their cleaned
    texts), what the passage pair alone would misread is read against them: a sentence
    dropped here that the target has elsewhere (:data:`MOVED_SHARE` of its content words in
    one sentence) moved, and a name left out of a sentence that the other document names
    elsewhere is not lost.
    """
    S_all = _tokens(source_text, language)
    T_all = _tokens(target_text, language)
    _canonical_names(S_all, T_all)
    src_sents, tgt_sents = _by_sentence(S_all), _by_sentence(T_all)
    src_regions, tgt_regions = _quote_regions(source_text), _quote_regions(target_text)
    changes: list[Change] = []
    so, to = source_offset, target_offset
    src_doc_words, src_doc_sentences = _document_words(source_document) if source_document else (frozenset(), ())
    tgt_doc_words, tgt_doc_sentences = _document_words(target_document) if target_document else (frozenset(), ())
    src_doc_flat = _flat(source_document) if source_document else ""
    tgt_doc_flat = _flat(target_document) if target_document else ""

    def add(kind: str, severity: Severity, ss: tuple[int, int], ts: tuple[int, int], why: str) -> None:
        changes.append(Change(kind, severity, (so + ss[0], so + ss[1]), (to + ts[0], to + ts[1]),
                              source_text[ss[0]:ss[1]], target_text[ts[0]:ts[1]], why))

    last_s = last_t = 0
    for si, ti in _align_sentences(src_sents, tgt_sents):
        S = [t for i in si for t in src_sents[i]]
        T = [t for j in ti for t in tgt_sents[j]]
        if not S and not T:
            continue
        if not T or not S:
            side = S or T
            span = _span(side, 0)
            text = (source_text if S else target_text)[span[0]:span[1]]
            important = _carries_content(side)
            kind = ("omission" if S else "addition") if important else "rewording"
            severity: Severity = "meaning" if important else "harmless"
            share = _moved_share(side, tgt_doc_sentences if S else src_doc_sentences) if important else 0.0
            if share >= MOVED_SHARE:
                kind, severity = "rewording", "harmless"
            if S:
                add(kind, severity, span, (last_t, last_t),
                    f"sentence '{_clip(text)}' moved: the target has {share:.0%} of its words in one sentence "
                    "elsewhere" if share >= MOVED_SHARE else
                    f"sentence '{_clip(text)}' dropped: it has no counterpart in the target")
                last_s = span[1]
            else:
                add(kind, severity, (last_s, last_s), span,
                    f"sentence '{_clip(text)}' moved: the source has {share:.0%} of its words in one sentence "
                    "elsewhere" if share >= MOVED_SHARE else
                    f"sentence '{_clip(text)}' added: it has no counterpart in the source")
                last_t = span[1]
            continue
        last_s, last_t = S[-1].end, T[-1].end
        group = _Group(
            S, T, source_text, target_text,
            neg_equal=_negations(S) % 2 == _negations(T) % 2,
            hedge_equal=_hedge_levels(S) == _hedge_levels(T),
            attrib_equal=_attributions(S) == _attributions(T),
            ctx=frozenset().union(*(_stems(t.lemma) for t in S if t.content and not t.name)),
            src_names=Counter(t.key for t in S if t.name),
            tgt_names=Counter(t.key for t in T if t.name),
            src_words=frozenset(t.lower for t in S),
            tgt_words=frozenset(t.lower for t in T),
            equivalent=_acronym_matches(S, T),
            src_attributed=_attributes(S, source_text),
            tgt_attributed=_attributes(T, target_text),
            src_doc_words=src_doc_words,
            tgt_doc_words=tgt_doc_words,
        )
        match, moved, units = _align_tokens(S, T)
        for i, j in sorted(match.items()):  # a verb kept inside a quotation, in another tense
            a, b = S[i], T[j]
            if a.quoted and b.quoted and a.tense and b.tense and a.tense != b.tense and a.lemma == b.lemma:
                add("quote", "meaning", _span([a], 0), _span([b], 0),
                    f"tense changed inside the quotation: '{a.text}' ({a.tense.lower()}) → '{b.text}' "
                    f"({b.tense.lower()}): the speaker's words are altered")
        # an added word tied only to another sense of a source word: its own change
        for u in units:
            if u.pair is None:
                for j in [j for j in u.tgt if T[j].content]:
                    slip = _sense_slip(j, group)
                    if slip is not None:
                        i, verdict = slip
                        add(verdict.kind, verdict.severity, _span([S[i]], 0), _span([T[j]], 0),
                            verdict.explanation)
                        u.tgt.remove(j)
        units = _join_split_spellings(S, T, _split_scattered(S, T, _drop_reorder_noise(
            S, T, [u for u in units if u.src or u.tgt])))
        for block in _moved_blocks(moved, match):
            shown = _clip(" ".join(S[i].text for i in block), 50)
            add("rewording", "harmless", _span([S[i] for i in block], 0),
                _span([T[match[i]] for i in block], 0),
                f"word order changed: '{shown}' moved within the sentence")
        sq, tq = _region_ids(S, src_regions), _region_ids(T, tgt_regions)
        counterpart = _counterparts(match, units)
        quote_edits: dict[int, list[tuple[_Unit, _Verdict]]] = {}
        for u in units:
            verdict = _classify(u, group)
            region = _shared_quote(u, sq, tq, counterpart, S, T)
            A = [S[i] for i in u.src]
            B = [T[j] for j in u.tgt]
            if region is not None and verdict.kind in _QUOTE_ABSORBS and not _spelled_otherwise(A, B):
                quote_edits.setdefault(region, []).append((u, verdict))
                continue
            if verdict.severity == "meaning" and verdict.kind in ("omission", "addition"):
                # words the other article has elsewhere, as a phrase ("at Southampton" added to
                # a copy whose source names Southampton's club in another sentence): restated
                dropped = verdict.kind == "omission"
                phrase = _phrase_elsewhere(A if dropped else B, source_text if dropped else target_text,
                                           tgt_doc_flat if dropped else src_doc_flat)
                if phrase:
                    verdict = _Verdict("rewording", "harmless",
                                       f"'{phrase}' {'dropped' if dropped else 'added'} here, but the "
                                       f"{'target' if dropped else 'source'} has it elsewhere")
            if verdict.severity == "meaning" and verdict.kind == "number":
                held = _number_elsewhere(A, B, tgt_doc_flat, src_doc_flat)
                if held:
                    verdict = _Verdict("rewording", "harmless", held)
            add(verdict.kind, verdict.severity, _span(A, u.at_src), _span(B, u.at_tgt), verdict.explanation)
        for edits in quote_edits.values():
            A = [S[i] for u, _ in edits for i in u.src]
            B = [T[j] for u, _ in edits for j in u.tgt]
            if _spelled_otherwise(sorted(A, key=lambda t: t.start), sorted(B, key=lambda t: t.start)):
                # split across units: "double-act" / "double act"
                add("rewording", "harmless", _span(A, 0), _span(B, 0),
                    f"'{_texts(A)}' → '{_texts(B)}': the same words spelled otherwise")
                continue
            at_s = min((u.at_src for u, _ in edits if not u.src), default=0)
            at_t = min((u.at_tgt for u, _ in edits if not u.tgt), default=0)
            edit_list = [f"'{_texts([S[i] for i in u.src]) or '∅'}' → '{_texts([T[j] for j in u.tgt]) or '∅'}'"
                     for u, _ in edits
                     if any(S[i].content for i in u.src) or any(T[j].content for j in u.tgt)]
            detail = ", ".join(edit_list[:4]) + (", …" if len(edit_list) > 4 else "")
            if not detail:
                detail = "function words changed"
            # the spans cover every edit, insertion points included
            points_s = [_next_start(S, u.at_src) for u, _ in edits if not u.src] + [
                p for t in A for p in (t.start, t.end)]
            points_t = [_next_start(T, u.at_tgt) for u, _ in edits if not u.tgt] + [
                p for t in B for p in (t.start, t.end)]
            span_s = (min(points_s), max(points_s)) if A else _span(A, at_s)
            span_t = (min(points_t), max(points_t)) if B else _span(B, at_t)
            add("quote", "meaning", span_s, span_t,
                f"words inside the quotation altered ({len(edits)} edit{'s' if len(edits) > 1 else ''}): "
                f"{detail}")
        for kind, ss, ts, why in _quote_moves(S, T, sq, tq, counterpart):
            add(kind, "meaning", ss, ts, why)
    changes.sort(key=lambda c: (c.source_span, c.target_span))
    return changes
