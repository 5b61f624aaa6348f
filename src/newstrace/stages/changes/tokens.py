"""Word tokens of a passage: spaCy tokens (or a regex and a stemmer for other languages),
multi-word numbers and hyphenated compounds merged, keys for alignment (lemma, normalised
name, parsed number), quotation and sentence membership, content-word flags.
"""

from __future__ import annotations

import re
from functools import lru_cache

from newstrace.stages.changes.lexicon import (
    _ATTRIB_DOUBT,
    _ATTRIB_NEUTRAL,
    _BEFORE_PRONOUN_ONE,
    _CONNECTIVES,
    _CONTENT_POS,
    _FUNCTION,
    _MONTHS,
    _NAME_LABELS,
    _NUMBER_WORDS,
    _ORDINALS,
    _QUOTE_CHARS,
    _RELATIVE_DAYS,
    _SCALES,
    _TITLES,
    _WEEKDAYS,
)
from newstrace.stages.changes.names import _name_norm
from newstrace.stages.changes.numbers import _ORDINAL_RE, _is_number_word, _number_value, _scale_suffix
from newstrace.stages.changes.records import _Tok
from newstrace.stages.changes.resources import _LEMMA_POS, _checked_lemma, nlp
from newstrace.stages.text import split_sentences, stem_words

_OPENING_GLYPHS = "“„«"
_CLOSING_GLYPHS = "”»"
# characters after which a quotation mark opens ("said:"Hello", "("we…")") and before which one closes
_BEFORE_OPENING = "([{<—–-:/"
_AFTER_CLOSING = ".,;:!?)]}>—–-…"


def _mark_direction(para: str, i: int) -> bool | None:
    """Whether the quotation mark at ``para[i]`` opens (True) or closes (False) a quotation, or
    ``None`` when neither its neighbours nor its glyph tell.

    The neighbours decide first: a mark after a space (or the paragraph start, a bracket, a
    colon) and before a word opens, one after a word and before a space (or punctuation, the
    paragraph end) closes, whatever the glyph, so a closing glyph used to open a quotation (a
    spinner's artefact) is still read the right way round.  When the neighbours say both or
    neither (a mark between two spaces, or between two words), a curly glyph's direction is
    used; a straight mark stays undecided.
    """
    prev = para[i - 1] if i > 0 else " "
    nxt = para[i + 1] if i + 1 < len(para) else " "
    opens = (prev.isspace() or prev in _BEFORE_OPENING) and not nxt.isspace()
    closes = (nxt.isspace() or nxt in _AFTER_CLOSING) and not prev.isspace()
    if opens != closes:
        return opens
    if para[i] in _OPENING_GLYPHS:
        return True
    if para[i] in _CLOSING_GLYPHS:
        return False
    return None


@lru_cache(maxsize=512)
def _quote_status(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The stretches of ``text`` inside double quotation marks, and those whose quote status is
    unknown because their marks cannot be paired; the rest is known to be outside quotations.

    Marks are paired paragraph by paragraph, each read as opening or closing from its
    neighbours and glyph (:func:`_mark_direction`; an undecided one closes an open quotation
    and opens one otherwise).  The conventions of news copy are followed:

    * a paragraph that leaves a quotation open continues it into the next paragraph when that
      one opens with a quotation mark (English style: every paragraph of a long quotation opens
      with a mark, only the last one closes) or closes the quotation without opening one; the
      last paragraph's open quotation runs to the end (a passage cut inside a quotation);
    * a closing mark with no quotation open opens one when the next mark of its paragraph closes
      too (a closing glyph stuck to the word before the quotation, a spinner's artefact:
      ``Pashinyan,” Armenia has…”``); otherwise, before any other mark of the text, it closes a
      quotation the passage began in.

    Anything else is a mark that cannot be paired: a quotation opened while one is open (two
    paragraphs of one quotation run together, or a closing mark lost), a closing mark with no
    quotation open, a quotation left open that the next paragraph does not continue.  The
    stretch such a mark ends is given unknown status, so that no quote change is ever claimed
    from a mis-paired quotation.
    """
    quoted: list[tuple[int, int]] = []
    unknown: list[tuple[int, int]] = []

    def keep(spans: list[tuple[int, int]], start: int, end: int) -> None:
        if text[start:end].strip():
            spans.append((start, end))

    paragraphs: list[tuple[int, str]] = []
    pos = 0
    for para in text.split("\n"):
        if para.strip():
            paragraphs.append((pos, para))
        pos += len(para) + 1
    marks = [[(i, _mark_direction(para, i)) for i, ch in enumerate(para) if ch in _QUOTE_CHARS]
             for _, para in paragraphs]
    seen_mark = False
    inside = False  # the paragraph begins inside a quotation the previous one left open
    for k, (pos, para) in enumerate(paragraphs):
        lead = len(para) - len(para.lstrip())
        opened: int | None = pos + lead if inside else None
        after_mark = pos  # where the stretch a mark ends begins
        for m, (i, direction) in enumerate(marks[k]):
            if inside and m == 0 and i == lead and direction is not False:
                opens = True  # the mark re-opening the quotation the previous paragraph left open
            else:
                opens = opened is None if direction is None else direction
                if not opens and opened is None and m + 1 < len(marks[k]) and marks[k][m + 1][1] is False:
                    opens = True  # two closing marks in a row: the first opens (a spinner's "said,” We…”")
                if opens and opened is not None:
                    keep(unknown, opened, pos + i)  # opened twice: where the first one ends is unknown
                elif not opens and opened is not None:
                    keep(quoted, opened, pos + i)
                elif not opens and k == 0 and not seen_mark:
                    keep(quoted, pos + lead, pos + i)  # the passage began inside this quotation
                elif not opens:
                    keep(unknown, after_mark, pos + i)  # closed with none open: where it began is unknown
            opened = pos + i + 1 if opens else None
            after_mark = pos + i + 1
            seen_mark = True
        inside = False
        if opened is not None:
            end = pos + len(para.rstrip())
            if k + 1 == len(paragraphs):
                keep(quoted, opened, end)
                continue
            npara = paragraphs[k + 1][1]
            nlead = len(npara) - len(npara.lstrip())
            first = marks[k + 1][0] if marks[k + 1] else None
            continues = first is not None and (
                (first[0] == nlead and first[1] is not False)  # re-opened at the paragraph start
                or (first[0] != nlead and first[1] is not True))  # closed without re-opening
            inside = continues
            keep(quoted if continues else unknown, opened, end)
    return tuple(quoted), tuple(unknown)


def _quote_regions(text: str) -> list[tuple[int, int]]:
    """Spans inside double quotation marks (see :func:`_quote_status`)."""
    return list(_quote_status(text)[0])


def _unknown_quote_regions(text: str) -> list[tuple[int, int]]:
    """Spans whose quotation marks cannot be paired: neither quoted nor known to be outside a quotation."""
    return list(_quote_status(text)[1])


_Parsed = tuple[tuple[str, int, str, str, str, str, str], ...]


@lru_cache(maxsize=256)
def _parse(text: str) -> _Parsed | None:
    """spaCy's tokens of ``text`` as immutable tuples (text, offset, lower, lemma, POS, entity,
    tense), or ``None`` without spaCy.

    Cached per process: one source passage is often compared with several targets (a wire story
    and its copies, the updates of one story), and the parse is most of the analysis's cost.
    """
    model = nlp()
    if model is None:
        return None
    out = []
    for t in model(text):
        if t.is_space:
            continue
        lemma = t.lemma_.lower() if t.lemma_ else t.lower_
        if t.lower_ in ("n't", "n’t"):
            lemma = "not"
        elif t.pos_ in _LEMMA_POS and t.is_alpha:
            lemma = _checked_lemma(t.lower_, lemma, _LEMMA_POS[t.pos_])
        tense = ",".join(t.morph.get("Tense")) if t.pos_ in ("VERB", "AUX") else ""
        out.append((t.text, t.idx, t.lower_, lemma, t.pos_, t.ent_type_, tense))
    return tuple(out)


def _raw_tokens(text: str, language: str) -> list[_Tok]:
    parsed = _parse(text) if language == "en" else None
    out: list[_Tok] = []
    if parsed is not None:
        for word, start, lower, lemma, pos, ent, tense in parsed:
            tok = _Tok(word, start, start + len(word), lower, lemma, pos, ent)
            tok.tense = tense
            out.append(tok)
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





def _connective_tokens(words: list[str]) -> set[int]:
    """The positions of ``words`` inside a connective phrase ("as well as", "in addition to")."""
    out: set[int] = set()
    for i, word in enumerate(words):
        for phrase in _CONNECTIVES_BY_FIRST.get(word, ()):
            if tuple(words[i:i + len(phrase)]) == phrase:
                out.update(range(i, i + len(phrase)))
    return out


#: The connective phrases by their first word (a text's words are looked up, not each phrase tried).
_CONNECTIVES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _CONNECTIVES:
    _CONNECTIVES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


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
            if _scale_suffix(raw, i, j):
                j += 1
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
    regions, unknown = _quote_status(text)
    title_case = _title_case_sentences(out, starts)
    si, qi, ui = 0, 0, 0
    prev_end = -1
    for k_tok, t in enumerate(out):
        while si + 1 < len(starts) and starts[si + 1] <= t.start:
            si += 1
        t.sent = si
        while qi < len(regions) and regions[qi][1] <= t.start:
            qi += 1
        t.quoted = qi < len(regions) and regions[qi][0] <= t.start < regions[qi][1]
        while ui < len(unknown) and unknown[ui][1] <= t.start:
            ui += 1
        t.quote_unknown = ui < len(unknown) and unknown[ui][0] <= t.start < unknown[ui][1]
        gap = text[prev_end:t.start] if prev_end >= 0 else "\n"
        t.initial = (prev_end < 0 or "\n" in gap or bool(re.search(r"[.!?:]\s*$", gap.replace('"', "")))
                     or (bool(sentences) and t.start == sentences[si].start))
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
        if t.name and not t.ent and t.sent in title_case:
            t.name = False  # a headline in title case: only what NER calls a name is one
        t.key = "@" + _name_norm(t.text) if t.name else t.lemma
        t.content = t.name or (t.pos in _CONTENT_POS and t.lemma not in _FUNCTION and t.lower not in _FUNCTION
                               and len(t.lower) > 1)
    _mark_reporting(out, text)
    _mark_denials(out)
    return out


#: Verbs whose clause they deny: "deny that they conspired" says "they did not conspire".
_DENIALS = frozenset({"deny", "dispute", "refute"})


def _mark_denials(toks: list[_Tok]) -> None:
    """Mark the denial verbs that take a clause (``_Tok.negates``): "denied that it was",
    "denies being", "denied it had" carry the negation of what follows, as "said it was not"
    does; "denied the charges" denies a thing and negates no clause."""
    for k, t in enumerate(toks):
        if t.lemma not in _DENIALS or t.pos not in ("VERB", ""):
            continue
        nxt = toks[k + 1] if k + 1 < len(toks) and toks[k + 1].sent == t.sent else None
        after = toks[k + 2] if nxt is not None and k + 2 < len(toks) and toks[k + 2].sent == t.sent else None
        t.negates = nxt is not None and (
            nxt.lower == "that" or (nxt.lower.endswith("ing") and nxt.pos in ("VERB", "AUX"))
            or (nxt.pos == "PRON" and after is not None and after.pos in ("VERB", "AUX")))


#: Attribution verbs that always report speech; the others ("announce", "report", "add",
#: "confirm", "reveal") also take a plain object ("announced his plans", "reported a loss").
_ALWAYS_REPORTING = frozenset({"say", "tell", "claim", "allege", "according"})
_REPORTED_AFTER = re.compile(r"\s*(?:that\b|[:\"“‘']|,\s*[\"“‘'])")
_REPORTING_BEFORE = re.compile(r"(?:[,\"”’']\s*(?:\w+\s+){0,3})$")


def _mark_reporting(toks: list[_Tok], text: str) -> None:
    """Mark the attribution verbs that do not introduce what was said (``_Tok.reports``): one
    that takes a plain object ("announced his decision to quit") reports nothing.  A verb
    reports when "that", a colon or a quotation follows it, when it follows a quotation or a
    comma ("…," he added), or when its sentence ends right after it ("the minister noted.")."""
    for k, t in enumerate(toks):
        if (t.lemma not in _ATTRIB_NEUTRAL and t.lemma not in _ATTRIB_DOUBT) or t.lemma in _ALWAYS_REPORTING:
            continue
        if t.pos not in ("VERB", ""):
            continue
        after = text[t.end : t.end + 12]
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        ends = nxt is None or nxt.sent != t.sent or bool(re.match(r"\s*[.;!?]", after))
        before = text[max(0, t.start - 40) : t.start]
        t.reports = bool(_REPORTED_AFTER.match(after)) or ends or bool(_REPORTING_BEFORE.search(before)) \
            or (nxt is not None and nxt.lower in ("that", "of", "on", "about") and nxt.sent == t.sent)


def _title_case_sentences(toks: list[_Tok], starts: list[int]) -> frozenset[int]:
    """Sentences written in title case ("Mali Counts Votes After Presidential Runoff"): at least
    four words, and at least 70% of the alphabetic ones capitalised."""
    by: dict[int, list[bool]] = {}
    si = 0
    for t in toks:
        while si + 1 < len(starts) and starts[si + 1] <= t.start:
            si += 1
        if t.text[:1].isalpha() and t.lower not in _FUNCTION:
            by.setdefault(si, []).append(t.text[:1].isupper())
    return frozenset(k for k, caps in by.items() if len(caps) >= 4 and sum(caps) >= 0.7 * len(caps))


#: British and American spellings of one word, each rewritten to one form (both sides alike):
#: tyre/tire, colour/color, organise/organize, centre/center, travelled/traveled, paediatric,
#: manoeuvre, catalogue, licence.
_SPELLINGS = tuple((re.compile(p), r) for p, r in (
    (r"yre", "ire"), (r"our(?=s?\b)", "or"), (r"is(?=(?:e|ed|es|ing|ation|ations)\b)", "iz"),
    (r"([^aeiou])re(?=s?\b)", r"\1er"), (r"ll(?=(?:ed|ing|er|ers)\b)", "l"), (r"ae", "e"), (r"oe", "e"),
    (r"ogue(?=s?\b)", "og"), (r"ence(?=s?\b)", "ense")))


def _spelling_key(text: str) -> str:
    """``text`` lower-cased without spaces and hyphens, in one spelling of each British/American
    pair (:data:`_SPELLINGS`)."""
    words = [w for w in re.split(r"[\s\-‐–]+", text.lower()) if w]
    out = []
    for w in words:
        for pattern, repl in _SPELLINGS:
            w = pattern.sub(repl, w)
        out.append(w)
    return "".join(out)


def _same_spelling(a: str, b: str) -> bool:
    """Whether two different texts are the same words spelled otherwise: hyphenated or not
    ("double-act" / "double act"), British or American ("tyres" / "tires"), at least five
    letters and no digits (so that "four" is never "for")."""
    if a == b or not a or not b or any(ch.isdigit() for ch in a + b):
        return False
    ka = _spelling_key(a)
    return len(ka) >= 5 and ka == _spelling_key(b)


def _spelled_otherwise(a: list[_Tok], b: list[_Tok]) -> bool:
    """Whether two token runs are the same words spelled otherwise (:func:`_same_spelling`);
    never for names ("Labour" / "Labor" are two parties)."""
    if not a or not b or any(t.name for t in a + b):
        return False
    return _same_spelling(" ".join(t.text for t in a), " ".join(t.text for t in b))
