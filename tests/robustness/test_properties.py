"""Property tests (Hypothesis) over arbitrary input: offsets never lie, and nothing raises.

Invariants, whatever the text:
* sentences are ordered, disjoint, inside the text, trimmed, and their ``text`` is the slice;
* every alignment span lies inside its text, and ``align`` is deterministic;
* any bytes read as a ``.txt`` file give a Document or a reason, never an exception, and
  every cleaned span maps back inside the text as ingested.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newstrace.stages.align import align
from newstrace.stages.clean import clean
from newstrace.stages.ingest.txt import document_from_text_file
from newstrace.stages.text import split_sentences
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
