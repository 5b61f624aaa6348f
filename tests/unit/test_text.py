"""The sentence splitter and tokeniser: the fast paths give what the plain definitions give.

``split_sentences`` counts words by bisecting the word offsets of the whole text, found once,
and ``tokenize`` reads each sentence's terms from them; ``content_terms`` remembers each word
form's term.  The references below are the plain definitions (the pattern run over each span,
every word lowered, filtered and stemmed where it occurs); both must agree on every text.
"""

from __future__ import annotations

import re

import pytest

from newstrace.stages import text as text_mod
from newstrace.stages.text import (
    _CJK_RE,
    _CLOSERS,
    _SENT_END_RE,
    STOPWORDS,
    WORD_RE,
    _is_abbreviation,
    content_terms,
    find_words,
    split_sentences,
    stem_words,
    tokenize,
    word_count_before,
    word_spans,
    words_with_offsets,
)


def _reference_long(text: str, s: int, e: int, max_words: int) -> list[tuple[int, int]]:
    words = list(WORD_RE.finditer(text, s, e))
    if len(words) <= max_words:
        return [(s, e)]
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text[s:e])]
    if len(lines) > 1:
        out: list[tuple[int, int]] = []
        cur_s: int | None = None
        cur_e = 0
        cur_n = 0
        for ls, le in lines:
            n = len(WORD_RE.findall(text, s + ls, s + le))
            if cur_s is not None and cur_n + n > max_words:
                out.extend(_reference_long(text, cur_s, cur_e, max_words))
                cur_s, cur_n = None, 0
            if cur_s is None:
                cur_s = s + ls
            cur_e = s + le
            cur_n += n
        if cur_s is not None:
            out.extend(_reference_long(text, cur_s, cur_e, max_words))
        if len(out) > 1:
            return out
    chunk = max(1, (max_words * 2) // 3)
    out = []
    for i in range(0, len(words), chunk):
        group = words[i : i + chunk]
        out.append((group[0].start(), group[-1].end() if i + chunk < len(words) else e))
    out[0] = (s, out[0][1])
    return out


def _reference_split(text: str, min_words: int = 3, max_words: int = 60) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END_RE.finditer(text):
        if m.group().strip() == "" and "\n\n" not in m.group() and _is_abbreviation(text, m.start()):
            continue
        closers = len(m.group()) - len(m.group().lstrip(_CLOSERS))
        bounds.append((start, m.start() + closers))
        start = m.end()
    bounds.append((start, len(text)))
    bounds = [piece for s, e in bounds for piece in _reference_long(text, s, e, max_words)]
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
    return [(s, e) for s, e in merged]


def _reference_terms(text: str, language: str) -> list[str]:
    words = [w.lower() for w in WORD_RE.findall(text)]
    words = [w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit() or _CJK_RE.match(w))]
    return stem_words(words, language)


TEXTS = [
    "",
    "One.",
    "Mr. Smith went to Washington. He said 'no.' Then he left! Did he? Yes… he did.",
    "John F. Kennedy spoke on Jan. 5 in the U.S. capital. The crowd, e.g. students, cheered.\n\nNext paragraph here "
    "with more words. Short. Tiny bit.",
    "日本語の文です。次の文！これは何ですか？「引用」と彼は言った。",
    "Он сказал: «Нет». Потом он ушёл. Это было вчера вечером в Москве.",
    "menu item one\nmenu item two\nmenu item three\n" * 40,
    "word " * 400,
    "A list:\n- first point made here\n- second point made here\n\n\nx\n\ny. Z ends it.",
    "Quotes end sentences.\u201d Then a new one starts here. (Brackets too.) And \u2018single\u2019 ones.",
    "It's the company's view that don't-stop O'Neill's rock'n'roll isn't dead.  Doesn't matter.",
    "Line without end punctuation but very long " * 30 + "\nand a short tail line",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize(("min_words", "max_words"), [(3, 60), (1, 12), (5, 8)])
def test_split_matches_the_plain_definition(text: str, min_words: int, max_words: int) -> None:
    got = [(x.start, x.end) for x in split_sentences(text, min_words=min_words, max_words=max_words)]
    assert got == _reference_split(text, min_words, max_words)
    assert all(x.text == text[x.start : x.end] for x in split_sentences(text, min_words=min_words, max_words=max_words))


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("language", ["en", "hu", "ja"])
def test_terms_match_the_plain_definition(text: str, language: str) -> None:
    assert content_terms(text, language) == _reference_terms(text, language)
    tokens = tokenize(text, language)
    assert [(x.start, x.end) for x in tokens.sentences] == _reference_split(text)
    assert [list(t) for t in tokens.terms] == [_reference_terms(x.text, language) for x in tokens.sentences]


def test_term_table_is_per_language_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # "running" stems differently in English and Hungarian: one table per language.
    assert content_terms("running", "en") == ["run"]
    assert content_terms("running", "hu") == _reference_terms("running", "hu")
    monkeypatch.setattr(text_mod, "_TERMS_MAX", 3)
    text_mod._TERMS.pop("en", None)
    for word in ["alpha", "beta", "gamma", "delta", "epsilon"]:
        assert content_terms(f"The {word} was here", "en") == _reference_terms(f"The {word} was here", "en")
    assert len(text_mod._TERMS["en"]) <= 3 + 4  # starts over past the bound (one text's forms added)


def test_split_result_is_a_fresh_list() -> None:
    a = split_sentences(TEXTS[2])
    a.clear()
    assert split_sentences(TEXTS[2])  # the remembered split is not the caller's list


@pytest.mark.parametrize("text", [*TEXTS, "mixed 日本語 and l'été d’état", "\t tabs\tand  spaces ", "x"])
def test_word_offsets_match_the_pattern(text: str) -> None:
    # The plain pattern (no Han or kana in the text) with the gaps summed must find exactly
    # the words and offsets WORD_RE's matches give.
    reference = [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]
    words, starts, ends = word_spans(text)
    assert list(zip(words, starts, ends, strict=True)) == reference
    assert find_words(text) == WORD_RE.findall(text)
    assert words_with_offsets(text) == reference
    assert words_with_offsets(text, 7, lower=True) == [(w.lower(), s + 7, e + 7) for w, s, e in reference]
    for sentence in split_sentences(text):
        assert word_count_before(text, sentence.start) == sum(1 for _, s, _ in reference if s < sentence.start)
