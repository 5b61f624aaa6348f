"""Quotations: edits inside a quotation kept on both sides are one ``quote`` change, and words
moved between quoted and reported speech are flagged.
"""

from __future__ import annotations

from newstrace.stages.changes.config import CONFIG
from newstrace.stages.changes.records import _span, _Tok, _Unit
from newstrace.stages.changes.resources import _sense_ids

# The region id of a token outside every quotation, and of one whose quote status is unknown
# (its quotation marks cannot be paired): no quote change is claimed from the latter.
_OUTSIDE, _UNKNOWN = -1, -2


def _region_ids(toks: list[_Tok], regions: list[tuple[int, int]]) -> list[int]:
    """The quotation each token lies in (its index in ``regions``), ``_OUTSIDE`` or ``_UNKNOWN``."""
    out = []
    k = 0
    for t in toks:
        while k < len(regions) and regions[k][1] <= t.start:
            k += 1
        if k < len(regions) and regions[k][0] <= t.start < regions[k][1]:
            out.append(k)
        else:
            out.append(_UNKNOWN if t.quote_unknown else _OUTSIDE)
    return out


def _counterparts(match: dict[int, int], units: list[_Unit]) -> dict[int, int]:
    out = dict(match)
    for u in units:
        if u.src and u.tgt:
            for k, i in enumerate(u.src):
                out.setdefault(i, u.tgt[min(k, len(u.tgt) - 1)])
    return out


# Inside a quotation kept on both sides, these differences are alterations of the quote.
_QUOTE_ABSORBS = ("synonym", "rewording", "omission", "addition", "attribution")


def _next_start(toks: list[_Tok], at: int) -> int:
    """The start of the first token at or after an insertion point (skipping "'s" and spaces)."""
    return next((t.start for t in toks if t.start >= at), at)


def _shared_quote(u: _Unit, sq: list[int], tq: list[int], counterpart: dict[int, int],
                  S: list[_Tok], T: list[_Tok]) -> int | None:
    """The source quotation a unit lies in, when the target keeps it quoted too."""
    src_regions = {sq[i] for i in u.src}
    tgt_quoted = [tq[j] >= 0 for j in u.tgt]
    if u.src:
        if len(src_regions) != 1 or min(src_regions) < 0:
            return None
        if u.tgt and not all(tgt_quoted):
            return None
        if not u.tgt:
            # an omission inside a quote: is the quote still a quote in the target?
            cps = [tq[counterpart[i]] for i in counterpart if sq[i] in src_regions]
            if not cps or sum(1 for c in cps if c >= 0) < CONFIG.quote_kept * len(cps):
                return None
        return next(iter(src_regions))
    if u.tgt and all(tgt_quoted):
        # an addition inside a target quote that renders a source quote
        regions = {sq[i] for i, j in counterpart.items() if tq[j] == tq[u.tgt[0]] and sq[i] >= 0}
        if len(regions) == 1:
            return next(iter(regions))
    return None


def _quote_moves(S: list[_Tok], T: list[_Tok], sq: list[int], tq: list[int],
                 counterpart: dict[int, int]) -> list[tuple[str, tuple[int, int], tuple[int, int], str]]:
    """Quotation marks dropped or added: words moved between quoted and reported speech.

    Only words whose quote status is known on both sides count: a word whose quotation marks
    cannot be paired on either side is neither kept in nor moved out of a quotation.
    """
    out: list[tuple[str, tuple[int, int], tuple[int, int], str]] = []
    by_region: dict[int, list[int]] = {}
    for i in counterpart:
        if sq[i] >= 0 and tq[counterpart[i]] != _UNKNOWN:
            by_region.setdefault(sq[i], []).append(i)
    for _, idx in sorted(by_region.items()):
        idx.sort()
        lost = [i for i in idx if tq[counterpart[i]] == _OUTSIDE]
        if len(lost) < 2:
            continue
        tgt_idx = sorted(counterpart[i] for i in lost)
        if len(lost) >= CONFIG.quote_kept * len(idx):
            if not _same_words([(S[i], T[counterpart[i]]) for i in lost]):
                continue
            region_toks = [t for k, t in enumerate(S) if sq[k] == sq[idx[0]]]
            out.append(("quote", _span(region_toks, 0), _span([T[j] for j in tgt_idx], 0),
                        ("quotation marks dropped: the quoted words are now presented as the writer's "
                         "own text")))
        else:
            for run in _runs(lost):
                if len(run) >= 3 and _same_words([(S[i], T[counterpart[i]]) for i in run]):
                    out.append(("quote", _span([S[i] for i in run], 0),
                                _span([T[counterpart[i]] for i in run], 0),
                                "words moved out of the quotation: they are now the writer's text"))
    rev: dict[int, int] = {}
    for i, j in counterpart.items():
        rev.setdefault(j, i)
    by_tregion: dict[int, list[int]] = {}
    for j in rev:
        if tq[j] >= 0 and sq[rev[j]] != _UNKNOWN:
            by_tregion.setdefault(tq[j], []).append(j)
    for _, idx in sorted(by_tregion.items()):
        idx.sort()
        gained = [j for j in idx if sq[rev[j]] == _OUTSIDE]
        if len(gained) < 2:
            continue
        if len(gained) >= CONFIG.quote_kept * len(idx):
            if not _same_words([(S[rev[j]], T[j]) for j in gained]):
                continue
            region_toks = [t for k, t in enumerate(T) if tq[k] == tq[idx[0]]]
            out.append(("quote", _span(sorted((S[rev[j]] for j in gained), key=lambda t: t.start), 0),
                        _span(region_toks, 0),
                        "quotation marks added: the source's reported words are now presented as a quote"))
        else:
            for run in _runs(gained):
                if len(run) >= 3 and _same_words([(S[rev[j]], T[j]) for j in run]):
                    out.append(("quote", _span([S[rev[j]] for j in run], 0), _span([T[j] for j in run], 0),
                                ("words moved into the quotation: the writer's text is now presented "
                                 "as quoted")))
    return out


def _same_words(pairs: list[tuple[_Tok, _Tok]]) -> bool:
    """Whether at least half the token pairs are the same word (key, lemma, or a shared WordNet
    sense: a spinner's synonyms count).  Words moved into or out of a quotation are the same
    words; pairs mostly of different words are the token aligner pairing stretches that do not
    correspond ("According to Mr Peston" with a quote's "going to have to"), which says
    nothing of what the quotation holds."""
    same = sum(1 for a, b in pairs if a.key == b.key or a.lemma == b.lemma or a.lower == b.lower
               or bool(_sense_ids(a.lemma) & _sense_ids(b.lemma)))
    return 2 * same >= len(pairs)


def _runs(indices: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
