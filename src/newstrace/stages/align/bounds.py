"""Passage bounds: copies by runs of identical words, rewrites snapped to shared n-grams or
cut of the edge words the other side lacks."""

from __future__ import annotations

from functools import lru_cache

from newstrace.stages.align.extend import _chars, _Fragment
from newstrace.stages.text import STOPWORDS, Tokens, stem_words, words_with_offsets


def _words(tokens: Tokens, rng: tuple[int, int]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for i in range(rng[0], rng[1] + 1):
        sent = tokens.sentences[i]
        out.extend(_sentence_words(sent.text, sent.start))
    return out


@lru_cache(maxsize=4096)
def _sentence_words(text: str, start: int) -> tuple[tuple[str, int, int], ...]:
    # A sentence's words are asked for by every fragment and step that reaches it, and again in
    # each pair of its document: on BBC's pairs 14,000 asks were for 5,200 sentences.
    return tuple(words_with_offsets(text, start, lower=True))


def _word_range(words: list[tuple[str, int, int]], span: tuple[int, int]) -> tuple[int, int]:
    import bisect

    starts = [w[1] for w in words]
    return bisect.bisect_left(starts, span[0]), bisect.bisect_left(starts, span[1]) - 1


def _ngrams(ws: list[tuple[str, int, int]], n: int) -> list[tuple[str, ...]]:
    """The word ``n``-grams of ``ws`` in order, one per start (none when shorter than ``n``).

    Made by zipping shifted word lists (C speed) rather than a tuple per start from a
    generator: on two copies of an article the n-grams were most of the bounds' time.
    """
    if n <= 0:
        return [()] * (len(ws) + 1)  # the empty gram at every position, as slicing gives it
    words = [w[0] for w in ws]
    return list(zip(*(words[k:] for k in range(n)), strict=False))


def _shared(src: Tokens, tgt: Tokens, f: _Fragment, n: int) -> float:
    sg, tg = set(_ngrams(_words(src, f.src), n)), set(_ngrams(_words(tgt, f.tgt), n))
    return len(sg & tg) / max(1, min(len(sg), len(tg)))


def _copies(sw: list[tuple[str, int, int]], tw: list[tuple[str, int, int]], f_src: tuple[int, int],
            f_tgt: tuple[int, int], block: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The verbatim passages inside a copied fragment, with exact word boundaries.

    ``sw``/``tw`` are all words of the two texts; ``f_src``/``f_tgt`` the fragment's word
    index ranges.  Runs of at least ``block`` identical words are found (in any order, so two
    copies from different source places that sit side by side in the target are told apart),
    grown while the words keep matching (a copy may begin mid-sentence, before the first
    seeded sentence), and grouped by diagonal.
    """
    index: dict[tuple[str, ...], list[int]] = {}
    for j, gram in enumerate(_ngrams(sw[f_src[0] : f_src[1] + 1], block), start=f_src[0]):
        index.setdefault(gram, []).append(j)
    hits: set[tuple[int, int]] = set()
    for i, gram in enumerate(_ngrams(tw[f_tgt[0] : f_tgt[1] + 1], block), start=f_tgt[0]):
        for j in index.get(gram, ())[:4]:
            hits.add((i, j))
    runs: list[list[int]] = []  # [tgt start, src start, length]
    for i, j in sorted(hits):
        if (i - 1, j - 1) in hits:
            continue
        n = block
        while (i + n - block + 1, j + n - block + 1) in hits:
            n += 1
        while i > 0 and j > 0 and tw[i - 1][0] == sw[j - 1][0]:
            i, j, n = i - 1, j - 1, n + 1
        while i + n < len(tw) and j + n < len(sw) and tw[i + n][0] == sw[j + n][0]:
            n += 1
        runs.append([i, j, n])
    # Keep the longest runs; a short one inside a long one is a phrase that recurs elsewhere.
    kept: list[list[int]] = []
    covered: set[int] = set()
    for run in sorted({(x[0], x[1], x[2]) for x in runs}, key=lambda x: -x[2]):
        span = range(run[0], run[0] + run[2])
        if sum(k in covered for k in span) > run[2] // 2:
            continue
        covered.update(span)
        kept.append(list(run))
    groups: list[list[list[int]]] = []
    for r in sorted(kept):
        if groups:
            g = groups[-1][-1]
            if abs((r[0] - r[1]) - (g[0] - g[1])) <= 2 * block and r[0] - (g[0] + g[2]) <= 2 * block:
                groups[-1].append(r)
                continue
        groups.append([r])
    out: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for group in groups:
        t0, t1 = min(r[0] for r in group), max(r[0] + r[2] for r in group) - 1
        s0, s1 = min(r[1] for r in group), max(r[1] + r[2] for r in group) - 1
        out.append(((sw[s0][1], sw[s1][2]), (tw[t0][1], tw[t1][2])))
    return out


def _trim(src: Tokens, tgt: Tokens, f: _Fragment, n: int, min_shared: float, edge_cut: float = 0.0,
          languages: tuple[str, str] = ("en", "en")) -> tuple[tuple[int, int], tuple[int, int]]:
    """Snap each end of a passage to the first/last word n-gram the other side shares.

    Sentence ranges over-reach when a reused passage starts or ends mid-sentence; only the
    first and last sentence are trimmed, and only where they share an n-gram, so rewritten
    edges are left alone.
    """
    s_chars, t_chars = _chars(src, f.src), _chars(tgt, f.tgt)
    if n <= 0:
        return s_chars, t_chars
    sw, tw = _words(src, f.src), _words(tgt, f.tgt)

    s_grams, t_grams = _ngrams(sw, n), _ngrams(tw, n)
    sg, tg = set(s_grams), set(t_grams)
    if len(sg & tg) < min_shared * max(1, min(len(sg), len(tg))):
        # A rewrite: its edges are not where the word n-grams match, but an edge sentence
        # may still run past the reused words (a unit merging reused and other text).
        if edge_cut <= 0:
            return s_chars, t_chars
        s_stems, t_stems = _content(sw, languages[0]), _content(tw, languages[1])
        s_new = _snap_content(sw, s_stems, {c[0] for c in t_stems}, edge_cut, s_chars,
                              _chars(src, (f.src[0], f.src[0]))[1], _chars(src, (f.src[1], f.src[1]))[0])
        t_new = _snap_content(tw, t_stems, {c[0] for c in s_stems}, edge_cut, t_chars,
                              _chars(tgt, (f.tgt[0], f.tgt[0]))[1], _chars(tgt, (f.tgt[1], f.tgt[1]))[0])
        return s_new, t_new

    def snap(ws: list[tuple[str, int, int]], grams: list[tuple[str, ...]], other: set[tuple[str, ...]],
             first: tuple[int, int], last: tuple[int, int], span: tuple[int, int]) -> tuple[int, int]:
        starts = [i for i, gram in enumerate(grams) if gram in other]
        if not starts:
            return span
        start, end = span
        i0 = starts[0]
        if ws[i0][1] < first[1]:  # the first shared n-gram lies in the first sentence
            start = ws[i0][1]
        i1 = starts[-1] + n - 1
        if ws[i1][2] > last[0]:
            end = ws[i1][2]
        return (start, end) if end > start else span

    s_new = snap(sw, s_grams, tg, _chars(src, (f.src[0], f.src[0])), _chars(src, (f.src[1], f.src[1])), s_chars)
    t_new = snap(tw, t_grams, sg, _chars(tgt, (f.tgt[0], f.tgt[0])), _chars(tgt, (f.tgt[1], f.tgt[1])), t_chars)
    return s_new, t_new


def _content(ws: list[tuple[str, int, int]], language: str) -> list[tuple[str, int]]:
    """(stem, word index) of the content words among ``ws`` (as ``content_terms`` counts them)."""
    idx = [i for i, w in enumerate(ws) if w[0] not in STOPWORDS and (len(w[0]) > 1 or w[0].isdigit())]
    stems = stem_words([ws[i][0] for i in idx], language)
    return list(zip(stems, idx, strict=True))


def _snap_content(ws: list[tuple[str, int, int]], stems: list[tuple[str, int]], other: set[str], cut: float,
                  span: tuple[int, int], first_end: int, last_start: int) -> tuple[int, int]:
    """Cut from each edge of ``span`` the longest stretch of content words (within the edge
    sentence) whose share found in ``other`` is well below the passage's own: each word scores
    ``found - cut * density``, and the edge moves past the lowest-scoring prefix (suffix) when
    it costs at least one word."""
    hit = [1.0 if c[0] in other else 0.0 for c in stems]
    m = len(stems)
    if m < 4:
        return span
    d = sum(hit) / m
    w = [h - cut * d for h in hit]
    start, end = span
    best, acc, k0 = -1.0, 0.0, 0
    for k in range(m):
        if ws[stems[k][1]][1] >= first_end:
            break
        acc += w[k]
        if acc < best:
            best, k0 = acc, k + 1
    if k0 > 0 and k0 < m:
        start = max(start, ws[stems[k0 - 1][1] + 1][1])
    best, acc, k1 = -1.0, 0.0, m
    for k in range(m - 1, -1, -1):
        if ws[stems[k][1]][2] <= last_start:
            break
        acc += w[k]
        if acc < best:
            best, k1 = acc, k
    if k1 < m and k1 > 0:
        # keep up to the last content word kept and the stop words after it
        end = min(end, ws[stems[k1][1] - 1][2])
    return (start, end) if end > start else span
