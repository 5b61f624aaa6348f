"""Token alignment inside a sentence group: identical keys first, words moved within the
sentence, then the remaining content words of each gap paired by WordNet relatedness into
units (a substitution, a dropped or an added stretch).
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from newstrace.stages.changes.config import CONFIG
from newstrace.stages.changes.names import _same_name
from newstrace.stages.changes.qualifiers import _is_signal
from newstrace.stages.changes.quotes import _runs
from newstrace.stages.changes.records import _shared_prefix, _Tok, _Unit
from newstrace.stages.changes.resources import _sense_ids
from newstrace.stages.changes.tokens import _spelled_otherwise
from newstrace.stages.changes.word_sense import _lexicon_class
from newstrace.stages.changes.wordnet_relations import (
    _UPOS_WN,
    _concept_distance,
    _near_ids,
    _same_pos,
    _synsets,
)
from newstrace.stages.matching import SequenceMatcher
from newstrace.stages.text import stem_words


def _relatedness(a: _Tok, b: _Tok) -> float:
    """How likely b replaced a (0..1), for pairing leftover words."""
    if a.key == b.key:
        return 1.0
    if a.name or b.name:
        if a.name and b.name:
            return 0.95 if _same_name(a.key[1:], b.key[1:]) else 0.5
        return 0.0
    if (a.num is None) != (b.num is None):
        return 0.0
    if a.num is not None:
        return 0.6
    if stem_words([a.lower])[0] == stem_words([b.lower])[0]:
        return 0.95
    ca, cb = _lexicon_class(a), _lexicon_class(b)
    if ca is not None and ca == cb:
        return 0.9
    if _shared_prefix(a.lower, b.lower) >= 5:
        return 0.8
    parts_a, parts_b = a.lemma.split("-"), b.lemma.split("-")
    if (len(parts_a) > 1 and b.lemma in parts_a) or (len(parts_b) > 1 and a.lemma in parts_b):
        return 0.8  # a compound and one of its parts: "war-making" / "war"
    if _sense_ids(a.lemma) & _sense_ids(b.lemma):
        return 0.9
    if _sense_ids(b.lemma) & _near_ids(a.lemma) or _sense_ids(a.lemma) & _near_ids(b.lemma):
        return 0.8
    pa, pb = _UPOS_WN.get(a.pos), _UPOS_WN.get(b.pos)
    if pa and pb and _same_pos(pa, pb):
        sa_pos = [s for s in _synsets(a.lemma) if _same_pos(s.pos(), pa)][:4]
        sb_pos = [s for s in _synsets(b.lemma) if _same_pos(s.pos(), pb)][:4]
        if any((_concept_distance(x, sb_pos) or 9) <= 2 for x in sa_pos):
            return 0.7
        return 0.35
    return 0.2


def _pair_slot(S: list[_Tok], T: list[_Tok], si: list[int], ti: list[int]) -> list[tuple[int, int]]:
    """Monotone pairing of the content words of one gap, maximising relatedness."""
    cs = [i for i in si if S[i].content]
    ct = [j for j in ti if T[j].content]
    if not cs or not ct:
        return []
    n, m = len(cs), len(ct)
    small = n <= 2 and m <= 2  # unrelated words only pair up in a short gap...
    pos_s = Counter(_UPOS_WN.get(S[i].pos, "") for i in cs)
    pos_t = Counter(_UPOS_WN.get(T[j].pos, "") for j in ct)
    unique = {(i, j) for i in cs for j in ct  # ...or as the only words of their part of speech
              if _UPOS_WN.get(S[i].pos) and _UPOS_WN.get(S[i].pos) == _UPOS_WN.get(T[j].pos)
              and pos_s[_UPOS_WN.get(S[i].pos, "")] == 1 and pos_t[_UPOS_WN.get(T[j].pos, "")] == 1}
    rel = [[_relatedness(S[a], T[b]) for b in ct] for a in cs]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    take = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [(score[i - 1][j], 1), (score[i][j - 1], 2)]
            r = rel[i - 1][j - 1]
            if r >= 0.6 or (r >= 0.35 and (small or (cs[i - 1], ct[j - 1]) in unique)):
                options.append((score[i - 1][j - 1] + r, 3))
            score[i][j], take[i][j] = max(options)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        t = take[i][j]
        if t == 3:
            pairs.append((cs[i - 1], ct[j - 1]))
            i, j = i - 1, j - 1
        elif t == 1:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    # a lone content word replaced by a lone one in a short gap: a substitution whatever the relation
    if not pairs and n == 1 and m == 1 and len(si) <= 3 and len(ti) <= 3 and rel[0][0] > 0.0:
        pairs = [(cs[0], ct[0])]
    return pairs


def _canonical_names(S: list[_Tok], T: list[_Tok]) -> None:
    """Give names that denote the same entity one key (union-find over the group's names)."""
    names = sorted({t.key for t in S + T if t.name})
    parent = {k: k for k in names}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for x in range(len(names)):
        for y in range(x + 1, len(names)):
            if _same_name(names[x][1:], names[y][1:]):
                parent[find(names[y])] = find(names[x])
    for t in S + T:
        if t.name:
            t.key = find(t.key)


def _align_tokens(S: list[_Tok], T: list[_Tok]) -> tuple[dict[int, int], set[int], list[_Unit]]:
    """Matched tokens (src → tgt), the source tokens matched out of order, and the units of difference.

    Tokens are matched on keys in order (difflib), then blocks and content words that moved
    within the sentence are matched out of order.  Each run of unmatched source tokens is
    set against the run of unmatched target tokens in the same slot (right after the
    counterpart of its left neighbour, or right before that of its right neighbour); content
    words inside a slot pair up by relatedness, and what is left is an omission or addition.
    """
    keys_s, keys_t = [t.key for t in S], [t.key for t in T]
    sm = SequenceMatcher(None, keys_s, keys_t, autojunk=False)
    match: dict[int, int] = {}
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            match[block.a + k] = block.b + k
    matched_t = set(match.values())
    in_order = set(match)
    # moved blocks: the longest common run of unmatched tokens holding a content word, repeatedly
    while True:
        best = (0, 0, 0)
        for i in range(len(S)):
            if i in match:
                continue
            for j in range(len(T)):
                if j in matched_t or keys_t[j] != keys_s[i]:
                    continue
                k = 0
                while (i + k < len(S) and j + k < len(T) and i + k not in match and j + k not in matched_t
                       and keys_s[i + k] == keys_t[j + k]):
                    k += 1
                if k > best[2] and any(S[x].content for x in range(i, i + k)) and (k >= 2 or S[i].content):
                    best = (i, j, k)
        i, j, k = best
        if k == 0:
            break
        for x in range(k):
            match[i + x] = j + x
            matched_t.add(j + x)
    # names of one entity spelled differently ("Azerbaijan" / "Azerbaijani") out of order
    for i, s in enumerate(S):
        if i in match or not s.name:
            continue
        for j, t in enumerate(T):
            if j not in matched_t and t.name and t.key == s.key:
                match[i] = j
                matched_t.add(j)
                break
    moved = set(match) - in_order

    # slots: the unmatched tokens between two consecutive in-order matches (moved words excluded)
    anchors = sorted((i, j) for i, j in match.items() if i not in moved)
    units: list[_Unit] = []
    bounds = [(-1, -1), *anchors, (len(S), len(T))]
    for (a0, b0), (a1, b1) in pairwise(bounds):
        if b1 < b0:
            continue
        si = [i for i in range(a0 + 1, a1) if i not in match]
        ti = [j for j in range(b0 + 1, b1) if j not in matched_t]
        if not si and not ti:
            continue
        at_s = S[a0].end if a0 >= 0 else (S[a1].start if a1 < len(S) else 0)
        at_t = T[b0].end if b0 >= 0 else (T[b1].start if b1 < len(T) else 0)
        units.extend(_slot_units(S, T, si, ti, at_s, at_t))
    _pair_across(S, T, units)
    for _ in range(2):
        _merge_rephrasings(S, T, units, match)
    for u in units:
        u.src.sort()
        u.tgt.sort()
    units = [u for u in units if u.src or u.tgt]
    units.sort(key=lambda u: (S[u.src[0]].start if u.src else u.at_src,
                              T[u.tgt[0]].start if u.tgt else u.at_tgt))
    return match, moved, units


def _slot_units(S: list[_Tok], T: list[_Tok], si: list[int], ti: list[int],
                at_s: int, at_t: int) -> list[_Unit]:
    """Units for one slot: paired content words (with neighbouring function words) and the rest."""
    content = [S[i] for i in si if S[i].content] + [T[j] for j in ti if T[j].content]
    if content and all(t.name for t in content) and any(S[i].name for i in si) and any(T[j].name for j in ti):
        return [_Unit(list(si), list(ti), None, at_s, at_t)]  # names swapped as a whole: "A and B" → "C"
    pairs = _pair_slot(S, T, si, ti)
    tight = len(si) <= 4 and len(ti) <= 4 and len(pairs) == 1
    pair_units = [_Unit([p[0]], [p[1]], p, tight=tight) for p in pairs]
    units: list[_Unit] = []
    cuts = [(-1, -1), *pairs, (len(S), len(T))]
    for k in range(len(cuts) - 1):
        ls, lt = cuts[k]
        rs, rt = cuts[k + 1]
        xs = [i for i in si if ls < i < rs]
        ys = [j for j in ti if lt < j < rt]
        if not xs and not ys:
            continue
        signal = (any(S[i].content or _is_signal(S[i]) for i in xs)
                  or any(T[j].content or _is_signal(T[j]) for j in ys))
        if not signal and pair_units:
            host = pair_units[k - 1] if k > 0 else pair_units[0]  # glue function words to a neighbour
            host.src.extend(xs)
            host.tgt.extend(ys)
            continue
        unit = _Unit(xs, ys)
        unit.at_src = S[ls].end if ls >= 0 else at_s
        unit.at_tgt = T[lt].end if lt >= 0 else at_t
        units.append(unit)
    return units + pair_units


def _split_scattered(S: list[_Tok], T: list[_Tok], units: list[_Unit]) -> list[_Unit]:
    """An omission or addition whose words lie apart (matched words between them) becomes one
    unit per run of adjacent words; runs of function words alone are left out."""
    out: list[_Unit] = []
    for u in units:
        one_side = u.pair is None and (not u.src or not u.tgt)
        idx = u.src or u.tgt
        runs = _runs(sorted(idx)) if one_side else [idx]
        if len(runs) <= 1:
            out.append(u)
            continue
        toks = S if u.src else T
        for run in runs:
            if not any(toks[k].content or _is_signal(toks[k]) for k in run):
                continue
            if u.src:
                out.append(_Unit(run, [], None, u.at_src, u.at_tgt, u.tight, u.rephrase))
            else:
                out.append(_Unit([], run, None, u.at_src, u.at_tgt, u.tight, u.rephrase))
    return out


def _drop_reorder_noise(S: list[_Tok], T: list[_Tok], units: list[_Unit]) -> list[_Unit]:
    """Function words that only moved (dropped here, the same ones added there): not a change."""
    plain = [u for u in units if not any(S[i].content or _is_signal(S[i]) for i in u.src)
             and not any(T[j].content or _is_signal(T[j]) for j in u.tgt) and u.pair is None]
    dropped = Counter(S[i].key for u in plain for i in u.src)
    added = Counter(T[j].key for u in plain for j in u.tgt)
    if plain and dropped == added:
        return [u for u in units if u not in plain]
    return units


def _merge_rephrasings(S: list[_Tok], T: list[_Tok], units: list[_Unit], match: dict[int, int]) -> None:
    """Content dropped in one place and other content added elsewhere in the same sentence: a
    clause moved and reworded.  The two are aligned against each other (their own in-order
    matches as anchors, so words moved along with the clause line up) instead of being counted
    as a loss plus a gain."""
    drops = [u for u in units if u.pair is None and any(S[i].content for i in u.src)
             and not any(T[j].content for j in u.tgt)]
    adds = [u for u in units if u.pair is None and any(T[j].content for j in u.tgt)
            and not any(S[i].content for i in u.src)]
    for d, a in zip(drops, adds, strict=False):
        units.remove(d)
        units.remove(a)
        i0, i1 = min(d.src), max(d.src)
        j0, j1 = min(a.tgt), max(a.tgt)
        own_s, own_t = set(d.src), set(a.tgt)
        sub_s = [i for i in range(i0, i1 + 1) if i in own_s or (i in match and j0 <= match[i] <= j1)]
        sub_t = [j for j in range(j0, j1 + 1) if j in own_t or any(match.get(i) == j for i in sub_s)]
        sm = SequenceMatcher(None, [S[i].key for i in sub_s], [T[j].key for j in sub_t], autojunk=False)
        anchors = [(sub_s[b.a + k], sub_t[b.b + k]) for b in sm.get_matching_blocks() for k in range(b.size)]
        bounds = [(i0 - 1, j0 - 1), *anchors, (i1 + 1, j1 + 1)]
        found: list[_Unit] = []
        for (a0, b0), (a1, b1) in pairwise(bounds):
            si = [i for i in d.src if a0 < i < a1]
            ti = [j for j in a.tgt if b0 < j < b1]
            if si or ti:
                at_s = S[a0].end if a0 >= i0 else d.at_src
                at_t = T[b0].end if b0 >= j0 else a.at_tgt
                found.extend(_slot_units(S, T, si, ti, at_s, at_t))
        anchored_s = {i for i, _ in anchors}
        anchored_t = {j for _, j in anchors}
        leftover_s = [i for i in d.src if i not in anchored_s and not any(i in u.src for u in found)]
        leftover_t = [j for j in a.tgt if j not in anchored_t and not any(j in u.tgt for u in found)]
        if leftover_s or leftover_t:
            found.append(_Unit(leftover_s, leftover_t, None, d.at_src, a.at_tgt))
        for u in found:
            u.rephrase = True
        units.extend(found)


def _pair_across(S: list[_Tok], T: list[_Tok], units: list[_Unit]) -> None:
    """Words dropped in one place and a close synonym added in another (a reordered sentence)."""
    dropped = [(u, i) for u in units if u.pair is None for i in u.src if S[i].content]
    added = [(u, j) for u in units if u.pair is None for j in u.tgt if T[j].content]
    if not dropped or not added:
        return
    cands = sorted(((_relatedness(S[i], T[j]), k, m) for k, (_, i) in enumerate(dropped)
                    for m, (_, j) in enumerate(added)), key=lambda x: -x[0])
    used_d: set[int] = set()
    used_a: set[int] = set()
    for r, k, m in cands:
        if r < CONFIG.pair_relatedness:
            break
        if k in used_d or m in used_a:
            continue
        used_d.add(k)
        used_a.add(m)
        (ud, i), (ua, j) = dropped[k], added[m]
        ud.src.remove(i)
        ua.tgt.remove(j)
        units.append(_Unit([i], [j], (i, j)))
    for u in list(units):
        if u.pair is None and not u.src and not u.tgt:
            units.remove(u)


def _moved_blocks(moved: set[int], match: dict[int, int]) -> list[list[int]]:
    """Moved source tokens grouped into runs that stay together in the target."""
    blocks: list[list[int]] = []
    for i in sorted(moved):
        if blocks and i == blocks[-1][-1] + 1 and match[i] == match[blocks[-1][-1]] + 1:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    return blocks


def _join_split_spellings(S: list[_Tok], T: list[_Tok], units: list[_Unit]) -> list[_Unit]:
    """A word written as one on one side and as two on the other ("double-act" / "double act")
    falls into a substitution and an addition (or omission) beside it: the two become one unit,
    which the classification then reads as the same words spelled otherwise."""
    out = list(units)
    for u in units:
        if u.pair is not None or bool(u.src) == bool(u.tgt) or u not in out:
            continue
        side = u.src or u.tgt
        for v in out:
            if v is u or not v.src or not v.tgt:
                continue
            near = v.src if u.src else v.tgt
            if not (max(side) + 1 == min(near) or max(near) + 1 == min(side)):
                continue
            src, tgt = sorted(v.src + u.src), sorted(v.tgt + u.tgt)
            if _spelled_otherwise([S[i] for i in src], [T[j] for j in tgt]):
                v.src, v.tgt = src, tgt
                out.remove(u)
                break
    return out
