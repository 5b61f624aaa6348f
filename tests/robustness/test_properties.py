"""Property tests (Hypothesis) over arbitrary input: offsets never lie, and nothing raises.

Invariants, whatever the text:
* sentences are ordered, disjoint, inside the text, trimmed, and their ``text`` is the slice;
* every alignment span lies inside its text, and ``align`` is deterministic;
* any bytes read as a ``.txt`` file give a Document or a reason, never an exception, and
  every cleaned span maps back inside the text as ingested;
* a passage on natural sentence edges has its document's sentences, and the compiled
  sequence matcher agrees with difflib.
"""

from __future__ import annotations

import difflib

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newstrace.stages.align import align
from newstrace.stages.clean import clean
from newstrace.stages.ingest.txt import document_from_text_file
from newstrace.stages.matching import SequenceMatcher
from newstrace.stages.relate.lexical import passage_terms
from newstrace.stages.text import (
    WORD_RE,
    find_words,
    split_sentences,
    tokenize,
    word_spans,
    words_between,
    words_with_offsets,
)
from newstrace.types import Document, Rejected

# Latin, accents, CJK, Arabic, Devanagari, sentence marks of several scripts, quotes,
# whitespace and control characters.
ALPHABET = st.sampled_from([*list("abcdeXYZ éü0123 .!?…。！？।؟»”’\"')]\n\t\r\x00\x1b中文的是ابت"), "Mr.", "\n\n"])
TEXT = st.lists(ALPHABET, max_size=400).map("".join)
WORDS = st.sampled_from("council harbour ferry vote budget tram line minister said the a of new old".split())
SENTENCE = st.lists(WORDS, min_size=4, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
ARTICLE = st.lists(SENTENCE, min_size=1, max_size=25).map(" ".join)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TEXT)
def test_sentences_are_exact_slices_in_order(text: str) -> None:
    last = 0
    for s in split_sentences(text):
        assert last <= s.start < s.end <= len(text)
        assert s.text == text[s.start : s.end] == s.text.strip()
        last = s.end


@FAST
@given(ARTICLE, ARTICLE, st.data())
def test_alignment_spans_stay_inside_the_texts(a: str, b: str, data: st.DataObject) -> None:
    # the target reuses a random slice of the source
    i = data.draw(st.integers(0, len(a)))
    j = data.draw(st.integers(i, len(a)))
    target = b[: len(b) // 2] + " " + a[i:j] + " " + b[len(b) // 2 :]
    found = align(a, target)
    assert found == align(a, target)
    for x in found:
        assert 0 <= x.source_span[0] <= x.source_span[1] <= len(a)
        assert 0 <= x.target_span[0] <= x.target_span[1] <= len(target)


@FAST
@given(st.binary(max_size=600) | TEXT.map(lambda t: t.encode("utf-8")) | TEXT.map(lambda t: t.encode("utf-16-le")))
def test_any_bytes_give_a_document_or_a_reason_and_spans_map_back(data: bytes) -> None:
    item = document_from_text_file("x.txt", data, "x.txt")
    assert isinstance(item, (Document, Rejected))
    if isinstance(item, Rejected):
        assert item.reason
        return
    clean(item)
    for s in split_sentences(item.text):
        start, end = item.to_original((s.start, s.end))
        assert 0 <= start <= end <= len(item.raw)


# Text the splitter cuts in every way: sentence ends, abbreviations, short fragments, blank
# lines, and runs of more than 60 words with and without line breaks (cut into chunks).
PIECE = st.sampled_from(["Mr. Smith said", "the council voted", "on Tuesday", "Yes.", "\n", "\n\n", ".", "?",
                         "“Quoted words.”", "tram line budget ferry harbour minister", "a b c", "$50.00 Feeds: 20"])
LINE = st.lists(WORDS, min_size=1, max_size=90).map(" ".join)
RUN = st.lists(LINE, min_size=1, max_size=4).map("\n".join)
RUN_ON = st.lists(PIECE | RUN | SENTENCE, min_size=1, max_size=30).map(" ".join)


@FAST
@given(RUN_ON)
# a line, then a line of over 60 words cut into chunks: the first two pieces, 60 words or fewer
# together, are one sentence on their own (a case found on PAN 2013)
@example("Start here now. " + " ".join(["ferry vote"] * 10) + "\n" + " ".join(["tram line budget"] * 33) + ". The end.")
def test_a_passage_on_natural_sentence_edges_splits_into_the_texts_sentences(text: str) -> None:
    """``passage_terms`` reads a passage's sentences from its document's tokens when both its
    ends are natural sentence edges: they must be the sentences the passage splits into alone.
    Every passage of up to four sentences is checked."""
    sentences = split_sentences(text)
    doc = Document(id="d", raw=text, text=text, language="en")
    for i in range(len(sentences)):
        for j in range(i, min(i + 4, len(sentences))):
            span = (sentences[i].start, sentences[j].end)
            assert passage_terms(doc, span) == tokenize(text[span[0] : span[1]], "en").terms, span


@FAST
@given(st.lists(WORDS, max_size=60), st.lists(WORDS, max_size=60))
def test_the_compiled_sequence_matcher_matches_difflib(a: list[str], b: list[str]) -> None:
    """``stages.matching.SequenceMatcher`` (cydifflib) gives difflib's blocks, opcodes and ratio."""
    for x, y, autojunk in ((a, b, False), (" ".join(a), " ".join(b), True)):  # word lists; strings (names)
        ours, ref = SequenceMatcher(None, x, y, autojunk=autojunk), difflib.SequenceMatcher(None, x, y, autojunk=autojunk)
        assert ours.get_matching_blocks() == ref.get_matching_blocks()
        assert ours.get_opcodes() == ref.get_opcodes()
        assert ours.ratio() == ref.ratio()


@FAST
@given(st.lists(ALPHABET | st.sampled_from(["don't", "rock’n’roll", "'", "’", "x'"]), max_size=200).map("".join),
       st.data())
def test_words_between_are_the_words_the_pattern_finds_in_the_slice(text: str, data: st.DataObject) -> None:
    """``words_between`` reads the text's word index where no word straddles an end; any
    span, mid-word ends included, must give what the word pattern finds in the slice."""
    for _ in range(20):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        assert words_between(text, start, end) == find_words(text[start:end]), (start, end)


@FAST
@given(st.lists(ALPHABET | st.sampled_from(["don't", "rock’n’roll", "'", "’", "x'", "_", "ǅ"]), max_size=200).map("".join))
def test_word_spans_and_offsets_are_the_patterns_matches(text: str) -> None:
    """The word index (gaps and words from one split) and ``words_with_offsets`` give the
    words and offsets WORD_RE's matches give, whatever the text."""
    reference = [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]
    words, starts, ends = word_spans(text)
    assert list(zip(words, starts, ends, strict=True)) == reference
    assert words_with_offsets(text, 3, lower=True) == [(w.lower(), s + 3, e + 3) for w, s, e in reference]


@FAST
@given(st.text(alphabet=st.sampled_from([*"ab &;\t\x7f\x1f~ ", "é", "\u00a0"]), max_size=60) | st.text(max_size=60))
def test_plain_lines_are_those_the_special_pattern_leaves_alone(line: str) -> None:
    """The cleaner's fast path for a line is taken exactly when its pattern of characters to
    normalise finds nothing."""
    from newstrace.stages.clean import _SPECIAL_RE, _plain

    assert _plain(line) == (_SPECIAL_RE.search(line) is None)


_END_ALPHABET = st.sampled_from([*".!?…。！？｡।॥؟۔։።။」』）》〉\"”’)]['“‘«(¿¡", *"aZ9 \n\t\u00a0\u3000", "Mr.", "\n\n", "日"])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(_END_ALPHABET, max_size=80).map("".join))
def test_sentence_ends_are_the_patterns_matches(text: str) -> None:
    """The splitter tries its sentence-end pattern only where a match can begin: the same
    matches as scanning every position."""
    from newstrace.stages.text import _SENT_END_RE, _sentence_ends

    assert [m.span() for m in _sentence_ends(text)] == [m.span() for m in _SENT_END_RE.finditer(text)]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from([*"abxzZ. ,;:!?\n\t5é_", "He", "The", "Their", "bc.", "c.", " ."]), max_size=30).map("".join))
@example("5bc. ab, 5c. ab, xbc. ab")  # three letters before the full stop, not two
@example("é ; 5 ; _ . ab .\nx, He y 5, He y Z, He y")
def test_signature_patterns_match_as_their_look_behind_first_forms(text: str) -> None:
    """The signature's patterns start with their first character and check what precedes it
    after: the same matches as the look-behind-first patterns they replace."""
    import re

    from newstrace.stages import signature

    written_first = {
        "_SPACE_BEFORE_PUNCT_RE": r"(?<=[^\W\d_]) [.,;:!?](?=\s|$)",
        "_LOWER_START_RE": r"(?<=[a-z]{3}\.) ([a-z][a-z]+)\b",
        "_MIDSENTENCE_CAPITAL_RE": r"(?<=[a-z]), (He|She|It|They|We|The|This|These|Those|His|Her|Its|Their) (?=[a-z])",
        "_CUT_RE": r"(?<=\S) (?=\S)",
    }
    for name, pattern in written_first.items():
        ours = getattr(signature, name)
        assert [(m.span(), m.groups()) for m in ours.finditer(text)] == \
            [(m.span(), m.groups()) for m in re.finditer(pattern, text)], name
