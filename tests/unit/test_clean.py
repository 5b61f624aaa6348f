"""Cleaning: offsets map back to the original, boilerplate goes by rule and by recurrence."""

from __future__ import annotations

import pytest

from newstrace.stages.clean import CleanConfig, clean, clean_collection, recurring_lines
from newstrace.types import Document

BODY = ("The council voted on Tuesday to extend the northern tram line by four kilometres, "
        "after a decade of delays and two failed tenders.")
BODY2 = ("Residents of the outer districts welcomed the decision, although several warned that "
         "construction would close the main bridge for most of next year.")


def make(raw: str, doc_id: str = "d") -> Document:
    return clean(Document(id=doc_id, raw=raw))


def test_offsets_map_every_character_back() -> None:
    raw = "Tram line extended\n\n[ad_1]\n\n" + BODY.replace("decade", "decade&nbsp;") + "\n\n" + BODY2
    doc = make(raw)
    assert len(doc.offsets) == len(doc.text) + 1
    for i, ch in enumerate(doc.text):
        if ch.isalnum():
            assert raw[doc.offsets[i]] == ch
    start = doc.text.index("Residents")
    s, e = doc.to_original((start, start + 9))
    assert raw[s:e] == "Residents"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[ad_1]", "ad shortcode"),
        ("Leave a Comment", "comment prompt"),
        ("Categories: World, Europe", "category crumbs"),
        ("Wednesday, May 29, 2024", "date line"),
        ("Share Tweet WhatsApp", "share widget"),
        ("Disclaimer: this site is an automatic aggregator of the world's media.", "disclaimer"),
    ],
)
def test_boilerplate_rules(line: str, reason: str) -> None:
    doc = make(f"Headline about trams\n\n{BODY}\n\n{line}\n\n{BODY2}")
    assert line not in doc.text
    assert any(r.reason == reason for r in doc.removed), doc.removed


def test_mangled_entities_and_quotes_normalised() -> None:
    doc = make("Title here\n\n" + "He said \u201cno\u201d to the plan & nbsp, and left. " + BODY)
    assert "nbsp" not in doc.text
    assert '"no"' in doc.text
    assert "  " not in doc.text


def test_header_chrome_removed_but_headline_kept() -> None:
    doc = make("X\n\nTram line extended to the north\n\nCity Times\n\n" + BODY + "\n\n" + BODY2)
    assert doc.text.startswith("Tram line extended to the north")
    assert doc.title == "Tram line extended to the north"
    assert {r.text.strip() for r in doc.removed} == {"X", "City Times"}


def test_recurring_lines_across_different_documents_are_boilerplate() -> None:
    tagline = "Your trusted source for regional news every single day"
    docs = [Document(id=str(i), raw=f"Headline {i}\n\n{tagline}\n\nStory {i}: " + " ".join(
        f"word{i}x{k}" for k in range(30)) + ".") for i in range(4)]
    recurring = recurring_lines(docs, CleanConfig(recurring_min_docs=3))
    cleaned = [clean(d, recurring) for d in docs]
    assert all(tagline not in d.text for d in cleaned)
    assert all(any(r.reason == "recurring across documents" for r in d.removed) for d in cleaned)


def test_lines_shared_by_copies_are_kept() -> None:
    article = f"Tram line extended\n\n{BODY}\n\n{BODY2}"
    docs = clean_collection([Document(id=str(i), raw=article) for i in range(4)])
    assert all(BODY in d.text and BODY2 in d.text for d in docs)


def test_cleaning_is_idempotent_on_clean_text() -> None:
    once = make(f"Tram line extended\n\n{BODY}\n\n{BODY2}")
    twice = make(once.text)
    assert twice.text == once.text


def test_hard_wrapped_paragraph_lines_are_not_header_or_footer() -> None:
    # Plain text wrapped at a fixed width: the short first and last lines of a paragraph
    # continue its sentences, so the zone rules must not take them for chrome.
    raw = ("The ferry left the harbour at dawn and\n"
           "crossed the bay before the wind rose.\n\n"
           "Passengers on the upper deck watched the cliffs of the northern shore pass by while\n"
           "the crew prepared the moorings for the crowded\n"
           "quay.\n\n"
           "City Times\n\n" + BODY + "\n\nShare Tweet WhatsApp\n\nMore from\n"
           "our partners")
    doc = make(raw)
    assert doc.text.startswith("The ferry left the harbour at dawn and\ncrossed the bay")
    assert "crowded\nquay." in doc.text
    assert "City Times" in doc.text  # between body paragraphs: not in a zone
    removed = {r.text.strip() for r in doc.removed}
    assert "Share Tweet WhatsApp" in removed
    assert {"More from", "our partners"} <= removed  # a short unit after the body is still a footer
