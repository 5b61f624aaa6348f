"""Cleaning: offsets map back to the original, boilerplate goes by rule and by recurrence."""

from __future__ import annotations

import pytest

from newstrace.stages.clean import CleanConfig, clean, clean_collection, line_key, recurring_lines
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


# -- recurring lines: boilerplate is what a site repeats across DIFFERENT articles --------------

_VOCAB = ("council harbour minister budget river station league museum winter tenant court vaccine "
          "festival airport factory school bridge election harvest storm coach orchestra pension "
          "satellite bakery ferry glacier library market patrol").split()


def _article(seed: int, n_words: int = 120) -> list[str]:
    """A made-up article of three paragraphs whose words depend on ``seed`` (so two seeds differ)."""
    words = [f"{_VOCAB[(seed * 7 + k * k) % len(_VOCAB)]}{(seed * 31 + k) % 97}" for k in range(n_words)]
    third = n_words // 3
    return [" ".join(words[i : i + third]).capitalize() + "." for i in range(0, n_words, third)]


LEAD = ("The regional water board announced on Monday that reservoir levels had fallen to their "
        "lowest point in thirty years, and asked households to cut their use by a fifth.")
SECOND = ("Engineers said the dry spring and a burst main near the eastern pumping station had "
          "together drained the northern reservoirs faster than any model had predicted.")
THIRD = ("The board will decide next week whether to ban garden hoses, a step it last took during "
         "the drought of the early nineties, when the rivers ran almost dry.")
FOOTER = "Thanks for reading the Valley Courier, your local news since 1921"


def _copy(i: int, keep: int) -> str:
    """Copy ``i`` of the water story: its own site lines, the first ``keep`` paragraphs, one edit."""
    paras = [LEAD, SECOND, THIRD][:keep]
    paras[-1] = paras[-1].replace(" the ", f" the {'' if i % 2 else 'now '}", 1)
    return "\n\n".join([f"Site{i} News | Home | World | Contact Site{i}", "Water board asks for cuts",
                        *paras, f"Republished by site{i}. Follow site{i} for more."])


def _removed_keys(docs: list[Document]) -> set[str]:
    return {r.text.strip() for d in docs for r in d.removed if r.reason == "recurring across documents"}


def test_paragraphs_shared_by_50_near_copies_are_kept() -> None:
    # Truncated after 1, 2 or 3 paragraphs, the last one edited, each with its own site lines.
    docs = clean_collection([Document(id=f"c{i}", raw=_copy(i, 1 + i % 3)) for i in range(50)])
    assert all(d.text.count("reservoir levels had fallen") == 1 for d in docs)
    assert not _removed_keys(docs)  # nothing, headline included, goes as recurring
    for para in (LEAD, SECOND, THIRD):
        carriers = [d for d in docs if para in d.raw]
        assert len(carriers) >= 8 and all(para in d.text for d in carriers)


def test_footer_repeated_across_50_different_articles_goes() -> None:
    raws = ["\n\n".join([f"Headline number {i} of the day", *_article(i), FOOTER]) for i in range(50)]
    recurring = recurring_lines([Document(id=str(i), raw=r) for i, r in enumerate(raws)])
    assert line_key(FOOTER) in recurring
    assert not any(line_key(p) in recurring for p in _article(7))
    docs = clean_collection([Document(id=str(i), raw=r) for i, r in enumerate(raws)])
    assert all(FOOTER not in d.text and _article(int(d.id))[0] in d.text for d in docs)


def test_site_chrome_goes_from_copies_too_while_their_text_stays() -> None:
    # One site: 20 different articles and 30 copies of one story, all under the site's chrome.
    chrome = ["Valley Courier | News | Sport | Weather | Jobs", "Sign in to your Courier account today"]
    different = ["\n\n".join([*chrome, f"Headline number {i} of the day", *_article(i), FOOTER]) for i in range(20)]
    copies = ["\n\n".join([*chrome, _copy(i, 3), FOOTER]) for i in range(30)]
    docs = clean_collection([Document(id=str(i), raw=r) for i, r in enumerate(different + copies)])
    for d in docs:
        assert FOOTER not in d.text and chrome[1] not in d.text, d.text[:200]
    assert all(LEAD in d.text for d in docs[20:])
    assert {LEAD, SECOND} & _removed_keys(docs) == set()


def test_line_needs_enough_unrelated_carriers() -> None:
    # A quotation carried by 40 copies of one story and by 1 or 3 otherwise different articles:
    # the copies count as one carrier, so the quotation is boilerplate only in the second case.
    quote = "We will not rest until every household has clean water again, the minister said"
    copies = [_copy(i, 3) + "\n\n" + quote for i in range(40)]
    for others, expected in ((1, False), (3, True)):
        raws = copies + ["\n\n".join([f"Other headline {i}", *_article(100 + i), quote]) for i in range(others)]
        recurring = recurring_lines([Document(id=str(i), raw=r) for i, r in enumerate(raws)])
        assert (line_key(quote) in recurring) is expected, others


def test_site_menu_does_not_make_its_articles_look_alike() -> None:
    # Short articles under a menu of eight lines: compared as sets of lines they share most of
    # their lines; compared on their text (4-grams of the long lines too) they differ.
    menu = [f"Section {name} latest headlines and analysis" for name in
            ("politics", "business", "sport", "culture", "science", "travel", "health", "opinion")]
    raws = ["\n\n".join([*menu, f"Headline number {i} of the day", *_article(i, 45), FOOTER]) for i in range(30)]
    recurring = recurring_lines([Document(id=str(i), raw=r) for i, r in enumerate(raws)])
    assert {line_key(x) for x in [*menu, FOOTER]} <= recurring


def test_clean_config_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="copy_containment"):
        CleanConfig(copy_containment=0.0)
    with pytest.raises(ValueError, match="recurring_sample"):
        CleanConfig(recurring_sample=2)


@pytest.mark.parametrize("line", ["plain ascii line", " lead and trail ", " ", "", "x", "no  double", "tab\there",
                                  "caf\u00e9 &amp; bar", "\u201cquoted\u201d", " &nbsp;x"])
def test_normalised_lines_map_every_character_back(line: str) -> None:
    # The fast path (no entity, non-ASCII character or space run) and the character walk
    # alike: each output character comes from the offset given for it.
    from newstrace.stages.clean import _SPECIAL_RE, _normalise_line

    text, pos = _normalise_line(line, 10)
    assert len(text) == len(pos)
    assert pos == sorted(pos)
    if _SPECIAL_RE.search(line) is None:
        assert text == line.strip(" ")
        assert all(line[p - 10] == ch for ch, p in zip(text, pos, strict=True))
    assert not text.startswith(" ") and not text.endswith(" ")
