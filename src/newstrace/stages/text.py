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
from dataclasses import dataclass
from functools import lru_cache

from newstrace.types import Sentence

__all__ = [
    "STOPWORDS",
    "Tokens",
    "content_terms",
    "split_sentences",
    "stem_words",
    "tokenize",
    "words_with_offsets",
]

# Han ideographs and kana (not Hangul: Korean puts spaces between words).
# Chinese and Japanese are written without spaces, so each ideograph or kana counts as a word;
# everything else is a run of word characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD_RE = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+(?:['’](?:(?![{_CJK}])\w)+)*", re.UNICODE)
_CJK_RE = re.compile(f"[{_CJK}]")

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


def words_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """Every word of ``text`` as ``(word, start, end)``."""
    return [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


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


def _split_long(text: str, s: int, e: int, max_words: int) -> list[tuple[int, int]]:
    """Cut a run-on "sentence" (web lists, menus, unpunctuated text) at line breaks, then
    into chunks of ``max_words`` words, so one bad split cannot swallow a whole document."""
    words = list(WORD_RE.finditer(text, s, e))
    if len(words) <= max_words:
        return [(s, e)]
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text[s:e])]
    if len(lines) > 1:
        out: list[tuple[int, int]] = []
        cur_s, cur_e, cur_n = None, None, 0
        for ls, le in lines:
            n = len(WORD_RE.findall(text, s + ls, s + le))
            if cur_s is not None and cur_n + n > max_words:
                out.extend(_split_long(text, cur_s, cur_e, max_words))  # type: ignore[arg-type]
                cur_s, cur_n = None, 0
            if cur_s is None:
                cur_s = s + ls
            cur_e = s + le
            cur_n += n
        if cur_s is not None:
            out.extend(_split_long(text, cur_s, cur_e, max_words))  # type: ignore[arg-type]
        if len(out) > 1:
            return out
    chunk = max(1, (max_words * 2) // 3)
    out = []
    for i in range(0, len(words), chunk):
        group = words[i : i + chunk]
        out.append((group[0].start(), group[-1].end() if i + chunk < len(words) else e))
    out[0] = (s, out[0][1])
    return out


def split_sentences(text: str, *, min_words: int = 3, max_words: int = 60) -> list[Sentence]:
    """Split ``text`` into sentences, with offsets; whitespace between them is not part of any.

    Fragments with fewer than ``min_words`` words (a stray "Image: VOA", a list bullet) are
    joined to the following sentence so that they neither seed nor break an alignment.
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END_RE.finditer(text):
        if m.group().strip() == "" and "\n\n" not in m.group() and _is_abbreviation(text, m.start()):
            continue
        closers = len(m.group()) - len(m.group().lstrip(_CLOSERS))  # a closing quote ends with its sentence
        bounds.append((start, m.start() + closers))
        start = m.end()
    bounds.append((start, len(text)))
    bounds = [piece for s, e in bounds for piece in _split_long(text, s, e, max_words)]

    merged: list[list[int]] = []
    pending: list[int] | None = None
    for s, e in bounds:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s >= e:
            continue
        if pending is not None:
            s = pending[0]
            pending = None
        if len(WORD_RE.findall(text, s, e)) < min_words:
            pending = [s, e]
            continue
        merged.append([s, e])
    if pending is not None:
        if merged:
            merged[-1][1] = pending[1]
        else:
            merged.append(pending)
    return [Sentence(s, e, text[s:e]) for s, e in merged]


def content_terms(text: str, language: str = "en") -> list[str]:
    """Stemmed content words of ``text``: stop words and single characters dropped."""
    words = [w.lower() for w in WORD_RE.findall(text)]
    # A single ideograph is a word (and often a content word); a single Latin letter is not.
    words = [w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit() or _CJK_RE.match(w))]
    return stem_words(words, language)


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text's sentences and, per sentence, its stemmed content terms."""

    sentences: tuple[Sentence, ...]
    terms: tuple[tuple[str, ...], ...]


def tokenize(text: str, language: str = "en") -> Tokens:
    """Sentences of ``text`` and their content terms (the aligner's input)."""
    sentences = split_sentences(text)
    terms = tuple(tuple(content_terms(s.text, language)) for s in sentences)
    return Tokens(tuple(sentences), terms)
