"""Words and sentences with character offsets: the units every later stage counts in.

The sentence splitter is rule-based on purpose: it must be deterministic, fast enough for
millions of articles, language-agnostic (Latin, Cyrillic and Greek scripts end sentences
with ``.!?`` and a space; Chinese, Japanese, Hindi, Arabic, Armenian, Amharic and Burmese
with their own marks and often no space), and it must never lose an offset.  Words are Unicode ``\\w`` runs; for matching they are lower-cased,
stop words dropped and the rest stemmed (Snowball, in the document's language when
PyStemmer has it).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from newstrace.types import Sentence

__all__ = [
    "STOPWORDS",
    "Tokens",
    "content_terms",
    "find_words",
    "known_tokens",
    "pack_tokens",
    "split_sentences",
    "stem_words",
    "term_table",
    "tokenize",
    "unpack_tokens",
    "word_count_before",
    "word_spans",
    "words_between",
    "words_with_offsets",
]

# Han ideographs and kana (not Hangul: Korean puts spaces between words).
# Chinese and Japanese are written without spaces, so each ideograph or kana counts as a word;
# everything else is a run of word characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD_RE = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+(?:['’](?:(?![{_CJK}])\w)+)*", re.UNICODE)
_CJK_RE = re.compile(f"[{_CJK}]")
# Without a Han or kana character in the text, WORD_RE's first branch never matches and its
# look-aheads always pass: it matches exactly what this simpler pattern matches, at 2-3x the
# speed (the look-ahead runs at every character).  Split by it with the word captured, a text
# is its gaps and words in turn: one ``split`` gives the words and, by the pieces' lengths,
# their offsets.
_PLAIN_WORD_RE = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_PLAIN_SPLIT_RE = re.compile(r"(\w+(?:['’]\w+)*)", re.UNICODE)

# A sentence ends at . ! ? (or …) possibly followed by closing quotes/brackets, then
# whitespace, then something that can open a sentence.  Blank lines always end one.
_SENT_END_RE = re.compile(
    r"""(?:(?<=[.!?…])|(?<=[.!?…]["'”’»)\]]))\s+(?=["'“‘«(\[]?[\w¿¡])|\n\s*\n"""
    # Scripts that end sentences with their own marks, written without a space after them:
    # CJK full stops and fullwidth ! ? (。！？ and the halfwidth ｡), Devanagari danda (।॥),
    # Arabic/Urdu question mark and full stop (؟ ۔), Armenian (։), Ethiopic (።), Myanmar (။),
    # Tibetan shad is left out (it also separates phrases).  Closing quotes/brackets stay
    # with the sentence they close.
    r"""|(?<=[。！？｡।॥؟۔։።။])[」』）》〉"”’)\]]*\s*(?=\S)""",
    re.UNICODE,
)
_CLOSERS = "」』）》〉\"”’)]"
# Where a sentence end can begin (see _sentence_ends): the whitespace one or two characters after
# . ! ? …, a line break, or the character after a mark of the scripts above.
_END_ANCHOR_RE = re.compile(r"[.!?…\n。！？｡।॥؟۔։።။]")
_END_PUNCT = ".!?…"
# Tokens before a period that do not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep rev hon pres
    vs etc inc ltd co corp dept univ no nos fig approx est jan feb mar apr jun jul aug sep sept
    oct nov dec mon tue wed thu fri sat sun u.s u.k u.n e.g i.e a.m p.m""".split()
)

# Function words: they carry no evidence of reuse, and spinners leave them alone anyway.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can cannot could couldn't did didn't do does doesn't doing don't
    down during each few for from further had hadn't has hasn't have haven't having he he'd he'll
    he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is
    isn't it it's its itself let's me more most mustn't my myself nor not of off on once only or
    other ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't
    so some such than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom
    why why's with won't would wouldn't you you'd you'll you're you've your yours yourself
    yourselves also would could may might must shall will just said says one two s t""".split()
)

_STEMMER_LANGS = {
    "en": "english", "es": "spanish", "de": "german", "fr": "french", "ru": "russian",
    "hu": "hungarian", "it": "italian", "pt": "portuguese", "nl": "dutch", "sv": "swedish",
}


@lru_cache(maxsize=16)
def _stemmer(language: str):  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer(_STEMMER_LANGS.get(language, "english"))


def stem_words(words: list[str], language: str = "en") -> list[str]:
    """Snowball stems of lower-cased words."""
    return list(_stemmer(language).stemWords(words))


def words_with_offsets(text: str, base: int = 0, *, lower: bool = False) -> list[tuple[str, int, int]]:
    """Every word of ``text`` as ``(word, start, end)``, offsets plus ``base``, the word
    lower-cased with ``lower``."""
    if _CJK_RE.search(text):
        return [(m.group().lower() if lower else m.group(), base + m.start(), base + m.end())
                for m in WORD_RE.finditer(text)]
    pieces = _PLAIN_SPLIT_RE.split(text)
    del pieces[-1]
    edges = list(accumulate(map(len, pieces), initial=base))
    words = [w.lower() for w in pieces[1::2]] if lower else pieces[1::2]
    return list(zip(words, edges[1::2], edges[2::2], strict=True))


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the period just before ``end`` closes an abbreviation or an initial."""
    i = end
    while i > 0 and text[i - 1] in "\"'”’»)]":
        i -= 1
    if i == 0 or text[i - 1] != ".":
        return False
    j = i - 1
    while j > 0 and (text[j - 1].isalpha() or text[j - 1] == "."):
        j -= 1
    token = text[j : i - 1].lower()
    if not token:
        return False
    if len(token) == 1 and token.isalpha():
        return True  # an initial: "John F. Kennedy"
    return token in _ABBREVIATIONS


def _split_long(text: str, s: int, e: int, max_words: int, words: _WordIndex) -> list[tuple[int, int]]:
    """Cut a run-on "sentence" (web lists, menus, unpunctuated text) at line breaks, then
    into chunks of ``max_words`` words, so one bad split cannot swallow a whole document."""
    lo, hi = words.between(s, e)
    if hi - lo <= max_words:
        return [(s, e)]
    lines = [(m.start(), m.end()) for m in _LINE_RE.finditer(text, s, e)]
    if len(lines) > 1:
        out: list[tuple[int, int]] = []
        cur_s, cur_e, cur_n = None, None, 0
        for ls, le in lines:
            n = words.count(ls, le)
            if cur_s is not None and cur_n + n > max_words:
                out.extend(_split_long(text, cur_s, cur_e, max_words, words))  # type: ignore[arg-type]
                cur_s, cur_n = None, 0
            if cur_s is None:
                cur_s = ls
            cur_e = le
            cur_n += n
        if cur_s is not None:
            out.extend(_split_long(text, cur_s, cur_e, max_words, words))  # type: ignore[arg-type]
        if len(out) > 1:
            return out
    chunk = max(1, (max_words * 2) // 3)
    out = []
    starts, ends = words.starts, words.ends
    for i in range(lo, hi, chunk):
        last = min(i + chunk, hi) - 1
        out.append((starts[i], ends[last] if i + chunk < hi else e))
    out[0] = (s, out[0][1])
    return out


_LINE_RE = re.compile(r"[^\n]+")


class _WordIndex:
    """The offsets of every word of a text, found in one pass, to count the words of any span
    by bisection instead of running the word pattern over each span again.

    Spans the splitter asks about never cut a word (they end at whitespace, at a sentence
    mark or closing quote, or at a word's edge), so a word lies inside a span exactly when the
    pattern run on the span alone would find it there.
    """

    __slots__ = ("ends", "starts", "words")

    def __init__(self, text: str) -> None:
        if _CJK_RE.search(text):
            # findall gives the same matches as finditer, as strings, at C speed.
            self.words: list[str] = WORD_RE.findall(text)
            spans = [m.span() for m in WORD_RE.finditer(text)]
            self.starts: list[int] = [s for s, _ in spans]
            self.ends: list[int] = [e for _, e in spans]
            return
        # Gap, word, gap, word, ..., the text after the last word (dropped): the offsets are the
        # running sum of the pieces' lengths (a third of the time of a match object per word).
        pieces = _PLAIN_SPLIT_RE.split(text)
        del pieces[-1]
        self.words = pieces[1::2]
        edges = list(accumulate(map(len, pieces)))
        self.starts = edges[0::2]
        self.ends = edges[1::2]

    def between(self, s: int, e: int) -> tuple[int, int]:
        """Indices ``[lo, hi)`` of the words inside ``text[s:e]``."""
        lo = bisect_left(self.starts, s)
        hi = bisect_right(self.ends, e)
        return lo, max(lo, hi)

    def count(self, s: int, e: int) -> int:
        lo, hi = self.between(s, e)
        return hi - lo


def split_sentences(text: str, *, min_words: int = 3, max_words: int = 60) -> list[Sentence]:
    """Split ``text`` into sentences, with offsets; whitespace between them is not part of any.

    Fragments with fewer than ``min_words`` words (a stray "Image: VOA", a list bullet) are
    joined to the following sentence so that they neither seed nor break an alignment.

    Every stage splits the same texts (fingerprints, signature, each pair's alignment, the
    change analysis, embeddings): the last texts split are remembered per process, so a
    document is split once however many pairs it is in.  Within :func:`known_tokens`, a text
    given there is not split again (its tokens hold its sentences' offsets).
    """
    if _KNOWN_SPLITS and (min_words, max_words) == _TOKEN_SPLIT:
        bounds = _KNOWN_SPLITS.get(text)
        if bounds is not None:
            return list(_sentences_at(text, bounds))
    return list(_split_cached(text, min_words, max_words))


# Per process, the most recent texts: a document's split and its tokens are asked for close
# together (fingerprint, signature; each pair's alignment).  Bounded in count, as a PAN
# document can be 300,000 characters (its word offsets then take a few megabytes).
@lru_cache(maxsize=32)
def _word_index(text: str) -> _WordIndex:
    return _WordIndex(text)


def _sentence_ends(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_SENT_END_RE.finditer(text)``, found by trying the pattern only where
    one can begin (``_END_ANCHOR_RE``: a scan of one character class, which ``re`` runs in C)
    instead of at every position (its look-behinds made it a third of splitting a text).

    Leftmost first, each from where the last ended (after an empty match, one further on),
    as ``finditer`` goes; a property test compares the two on any text."""
    pos = 0
    for anchor in _END_ANCHOR_RE.finditer(text):
        a = anchor.start()
        if text[a] in _END_PUNCT:
            starts: tuple[int, ...] = (a + 1, a + 2)  # the whitespace after it, or after one closer
        elif text[a] == "\n":
            starts = (a,)
        else:
            starts = (a + 1,)
        for p in starts:
            if p < pos:
                continue
            m = _SENT_END_RE.match(text, p)
            if m is not None:
                yield m
                pos = m.end() if m.end() > p else p + 1
                break


@lru_cache(maxsize=32)
def _natural_bounds(text: str) -> tuple[tuple[int, int], ...]:
    """The spans between sentence-ending punctuation (or blank lines), before long runs are cut
    and short fragments joined; each depends on the text from its start to its end alone.
    Remembered for the last texts, which :func:`natural_edges` asks about after their split."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _sentence_ends(text):
        g = m.group()
        if g.strip() == "" and "\n\n" not in g and _is_abbreviation(text, m.start()):
            continue
        closers = len(g) - len(g.lstrip(_CLOSERS))  # a closing quote ends with its sentence
        bounds.append((start, m.start() + closers))
        start = m.end()
    bounds.append((start, len(text)))
    return tuple(bounds)


@lru_cache(maxsize=32)
def _natural_edges(text: str) -> tuple[frozenset[int], frozenset[int]]:
    starts: set[int] = set()
    ends: set[int] = set()
    for s, e in _natural_bounds(text):
        s, e = _stripped(text, s, e)
        if s < e:
            starts.add(s)
            ends.add(e)
    return frozenset(starts), frozenset(ends)


def _stripped(text: str, s: int, e: int) -> tuple[int, int]:
    """The span ``s:e`` of ``text`` without its leading and trailing whitespace."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def natural_edges(text: str, start: int, end: int) -> bool:
    """Whether ``start`` and ``end`` are edges of punctuation-bounded spans of ``text`` (a
    sentence's own ends, not cuts of a long run, which depend on the run's whole length).

    The splitter reads nothing outside such a span, and a sentence edge is never inside a
    fragment waiting to be joined: so a stretch of ``text`` from one sentence's start to
    another's end, both natural edges, split on its own gives those very sentences
    (``stages.relate.lexical.passage_terms`` reads them from the text's tokens).
    """
    starts, ends = _natural_edges(text)
    return start in starts and end in ends


@lru_cache(maxsize=128)
def _split_cached(text: str, min_words: int, max_words: int) -> tuple[Sentence, ...]:
    words = _word_index(text)
    bounds = _natural_bounds(text)
    # words.count and _split_long's first test, inlined (most spans are short sentences)
    starts, ends = words.starts, words.ends
    pieces: list[tuple[int, int]] = []
    for s, e in bounds:
        if bisect_right(ends, e) - bisect_left(starts, s) <= max_words:
            pieces.append((s, e))
        else:
            pieces.extend(_split_long(text, s, e, max_words, words))

    merged: list[list[int]] = []
    pending: list[int] | None = None
    for s, e in pieces:
        s, e = _stripped(text, s, e)
        if s >= e:
            continue
        if pending is not None:
            s = pending[0]
            pending = None
        if bisect_right(ends, e) - bisect_left(starts, s) < min_words:
            pending = [s, e]
            continue
        merged.append([s, e])
    if pending is not None:
        if merged:
            merged[-1][1] = pending[1]
        else:
            merged.append(pending)
    return tuple(Sentence(s, e, text[s:e]) for s, e in merged)


def find_words(text: str) -> list[str]:
    """``WORD_RE.findall(text)``, faster on text without Han or kana characters."""
    return (WORD_RE if _CJK_RE.search(text) else _PLAIN_WORD_RE).findall(text)


def content_terms(text: str, language: str = "en") -> list[str]:
    """Stemmed content words of ``text``: stop words and single characters dropped."""
    words = find_words(text)
    table = term_table(language, words)
    return [t for t in map(table.__getitem__, words) if t]


def words_between(text: str, start: int, end: int) -> list[str]:
    """``find_words(text[start:end])``, read from the text's word index (found once per text)
    when no word of ``text`` straddles ``start`` or ``end``: the pattern, which looks at no
    character before a word or after it, then finds the very words of the text there."""
    index = _word_index(text)
    lo, hi = index.between(start, end)
    if (lo == 0 or index.ends[lo - 1] <= start) and (hi == len(index.starts) or index.starts[hi] >= end):
        return index.words[lo:hi]
    return find_words(text[start:end])


def word_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` (``WORD_RE``) with their start and end offsets, found once per
    text however often asked (the last texts are remembered per process)."""
    index = _word_index(text)
    return index.words, index.starts, index.ends


def word_count_before(text: str, position: int) -> int:
    """How many words of ``text`` start before ``position``: the index of the first word of a
    sentence starting there, or the number of words of the text up to a sentence ending there."""
    return bisect_left(_word_index(text).starts, position)


#: Per language, each word form seen -> its term ("" for a stop word or a single character).
#: A word's term does not depend on its context, so the lower-casing, filtering and stemming
#: of a form is done once per process instead of once per occurrence (a scan meets the same
#: few ten thousand forms in every document, sentence and pair).
_TERMS: dict[str, dict[str, str]] = {}
#: Forms remembered per language before the table starts over (about 100 bytes a form).
_TERMS_MAX = 200_000


def _term_table(language: str) -> dict[str, str]:
    table = _TERMS.get(language)
    if table is None or len(table) > _TERMS_MAX:
        table = _TERMS[language] = {}
    return table


def term_table(language: str, words: Sequence[str]) -> dict[str, str]:
    """The table of word form -> term (``""`` for none) of ``language``, knowing every form of
    ``words``: ``[t for t in map(table.__getitem__, words) if t]`` are their content terms."""
    table = _term_table(language)
    new = [w for w in dict.fromkeys(words) if w not in table]
    if new:
        _learn_terms(table, new, language)
    return table


def _learn_terms(table: dict[str, str], forms: list[str], language: str) -> None:
    lows = [w.lower() for w in forms]
    # A single ideograph is a word (and often a content word); a single Latin letter is not.
    keep = [i for i, w in enumerate(lows)
            if w not in STOPWORDS and (len(w) > 1 or w.isdigit() or _CJK_RE.match(w))]
    stems = stem_words([lows[i] for i in keep], language)
    for w in forms:
        table[w] = ""
    for i, stem in zip(keep, stems, strict=True):
        table[forms[i]] = stem


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text's sentences and, per sentence, its stemmed content terms."""

    sentences: tuple[Sentence, ...]
    terms: tuple[tuple[str, ...], ...]


#: :class:`Tokens` packed to cross a process boundary (:func:`pack_tokens`): each sentence's
#: start and end offsets, one after the other, and each sentence's terms.
PackedTokens = tuple[tuple[int, ...], tuple[tuple[str, ...], ...]]

#: Tokens of texts made before they were asked for, by ``(text, language)`` (:func:`known_tokens`):
#: packed as given, unpacked in place when first asked for in a process.
_KNOWN: dict[tuple[str, str], PackedTokens | Tokens] = {}
#: The sentence offsets of the same texts, by text alone (:func:`split_sentences`): the static
#: first stage of the semantic layer and the embedder split every document of a scan again in
#: its main process (1.1 s of serial work on BBC News before the transformer starts).
_KNOWN_SPLITS: dict[str, tuple[int, ...]] = {}
#: ``split_sentences``'s ``(min_words, max_words)`` in :func:`tokenize`.
_TOKEN_SPLIT = (3, 60)


def pack_tokens(tokens: Tokens) -> PackedTokens:
    """``tokens`` without its sentences' text (their offsets into the text say it) nor one
    object per sentence: unpickling a ``Sentence`` (a frozen dataclass with slots) runs
    Python code per object, which cost the scan's main process 0.25 s on BBC's 55,000."""
    return tuple(x for sent in tokens.sentences for x in (sent.start, sent.end)), tokens.terms


def unpack_tokens(text: str, packed: PackedTokens) -> Tokens:
    """The :class:`Tokens` of ``text`` that :func:`pack_tokens` packed."""
    bounds, terms = packed
    return Tokens(_sentences_at(text, bounds), terms)


def _sentences_at(text: str, bounds: Sequence[int]) -> tuple[Sentence, ...]:
    """The sentences of ``text`` at ``bounds`` (each one's start and end, one after the other)."""
    it = iter(bounds)
    return tuple(Sentence(s, e, text[s:e]) for s, e in zip(it, it, strict=True))


@contextmanager
def known_tokens(tokens: Iterable[tuple[str, str, PackedTokens]]) -> Iterator[None]:
    """Within the block, :func:`tokenize` of each ``(text, language)`` given returns its
    tokens (made elsewhere by :func:`tokenize` itself and packed by :func:`pack_tokens`: the
    same value) instead of tokenising again, and :func:`split_sentences` of each text its
    sentences; forgotten after it.

    A scan tokenises every document where it prepares it (its fingerprint), in a worker; the
    pair workers forked later tokenised each document again, once per worker that met it (on
    BBC about a quarter of the relate step's CPU time).  Given here, in the process that forks
    them, the workers inherit them.
    """
    for text, language, tok in tokens:
        _KNOWN[text, language] = tok
        _KNOWN_SPLITS[text] = tok[0]
    try:
        yield
    finally:
        _KNOWN.clear()
        _KNOWN_SPLITS.clear()


def tokenize(text: str, language: str = "en") -> Tokens:
    """Sentences of ``text`` and their content terms (the aligner's input).

    The terms of each sentence are those of :func:`content_terms` on its text, read from the
    words of the whole text found once (no word crosses a sentence's edge).  The last few are
    remembered per process (a document's fingerprint and its prepare step ask in turn), and
    any given to :func:`known_tokens` are not made again.
    """
    if _KNOWN:
        known = _KNOWN.get((text, language))
        if known is not None:
            if not isinstance(known, Tokens):
                known = _KNOWN[text, language] = unpack_tokens(text, known)
            return known
    return _tokenize(text, language)


@lru_cache(maxsize=8)
def _tokenize(text: str, language: str) -> Tokens:
    sentences = _split_cached(text, *_TOKEN_SPLIT)
    index = _word_index(text)
    table = term_table(language, index.words)
    terms = index.words
    out = []
    for sent in sentences:
        lo, hi = index.between(sent.start, sent.end)
        out.append(tuple(t for t in map(table.__getitem__, terms[lo:hi]) if t))
    return Tokens(sentences, tuple(out))
