"""Candidates and relations on small invented articles."""

from __future__ import annotations

from newstrace.stages.candidates import find_candidates, fingerprint
from newstrace.stages.prepare import prepare_document
from newstrace.stages.relate import relate, rewrite_artefacts
from newstrace.stages.relate.config import DEFAULT_CONFIG as DEFAULT_RELATE
from newstrace.stages.relate.config import RelateConfig
from newstrace.stages.relate.context import RelateContext, RelateSettings
from newstrace.stages.relate.lexical import passes_sentence_screen
from newstrace.types import Document

ORIGINAL = """Harbour authority approves new ferry terminal

The harbour authority approved a new ferry terminal on Monday, ending a three-year dispute with fishing crews over berth space.
The terminal will handle up to twelve crossings a day to the islands and is expected to open in the spring of 2027.
Fishing crews had argued that the original plans would push their boats into the shallow eastern basin.
Under the approved design, the fleet keeps its berths along the northern quay and gains a new fuel dock.
The project is funded by a regional transport grant and a loan from the national development bank.
Construction is due to begin in October, once the dredging contract has been awarded."""

SPUN = """Harbour authority approves new ferry terminal

On Monday the harbour body endorsed a fresh ferry terminal, finishing a three-year row with fishing crews about berth room.
That terminal is set to manage as many as twelve crossings each day toward the islands and is anticipated to open during spring 2027.
Fishing crews had claimed the initial plans might drive their boats toward the shallow eastern basin.
Beneath the endorsed design, that fleet retains its berths on the northern quay and acquires a brand new fuel dock.
This project is financed through a regional transport subsidy plus a loan from the national development bank.
Building is due to start in October, when the dredging contract has been granted."""

UNRELATED = """Orchestra names new conductor

The city orchestra has appointed a 34-year-old violinist as its principal conductor from next season.
She has led the youth ensemble for six years and toured with it across four continents.
Her first programme will pair a new commission with two symphonies from the late classical period.
The board said the appointment followed an international search that drew more than ninety applicants."""


def doc(doc_id: str, raw: str, published: str | None = None) -> Document:
    return prepare_document(Document(id=doc_id, raw=raw, language="en", published=published), forensics=False)[0]


def test_candidates_find_exact_and_spun_copies_but_not_unrelated() -> None:
    docs = [doc("orig", ORIGINAL), doc("copy", ORIGINAL), doc("spun", SPUN), doc("other", UNRELATED)]
    pairs = find_candidates([fingerprint(d) for d in docs])
    assert "shingles" in pairs[("copy", "orig")]
    assert ("orig", "spun") in pairs
    assert not any("other" in p for p in pairs)


def test_verbatim_copy_is_verbatim() -> None:
    r = relate(doc("a", ORIGINAL), doc("b", ORIGINAL + "\n\nMore on this story soon from our harbour reporter."))
    assert r is not None
    assert r.type == "verbatim"
    assert r.source_coverage > 0.9


def test_reworded_copy_without_spinner_evidence_is_a_near_duplicate() -> None:
    """Structure kept and words swapped, but no spinner traces and no word-sense errors: a
    spinner is not shown, so the relation is not called spun."""
    r = relate(doc("orig", ORIGINAL), doc("spun", SPUN))
    assert r is not None
    assert r.type == "near-duplicate"
    assert any("no spinner traces" in e for e in r.evidence)


def test_spun_copy_is_spun_and_passages_stay_in_bounds() -> None:
    mangled = SPUN.replace("fuel dock.", "fuel dock. & nbsp,")
    a, b = doc("orig", ORIGINAL), doc("spun", mangled)
    r = relate(a, b)
    assert r is not None
    assert r.type == "spun"
    assert (r.source, r.target) == ("orig", "spun")
    assert any("spinning traces" in e for e in r.evidence)
    for p in r.passages:
        src = a if r.source == "orig" else b
        tgt = b if r.target == "spun" else a
        assert 0 <= p.source_span[0] < p.source_span[1] <= len(src.text)
        assert 0 <= p.target_span[0] < p.target_span[1] <= len(tgt.text)
        assert src.text[p.source_span[0]:p.source_span[1]] == p.source_text


def test_unrelated_articles_have_no_relation() -> None:
    assert relate(doc("a", ORIGINAL), doc("b", UNRELATED)) is None


def test_direction_by_publication_date() -> None:
    r = relate(doc("late", ORIGINAL, published="2024-03-02"), doc("early", SPUN, published="2024-03-01"))
    assert r is not None
    assert (r.source, r.target) == ("early", "late")
    assert r.direction.decided_by == "published-date"


def test_direction_by_rewrite_artefacts() -> None:
    mangled = SPUN.replace("fuel dock.", "fuel dock. & nbsp,").replace("Building is", "Building & nbsp, is")
    r = relate(doc("orig", ORIGINAL), doc("spun", mangled))
    assert r is not None
    assert (r.source, r.target) == ("orig", "spun")
    assert r.direction.decided_by == "rewrite-artefacts"
    assert rewrite_artefacts(doc("spun", mangled))


def test_containment_alone_decides_no_direction() -> None:
    """A text held whole by a longer one is a copy cut short or an earlier version the longer
    one extends (read on ECB+, containment pointed the wrong way in 8 of 10 pairs): the
    relation says which holds which and claims no order."""
    truncated = "\n".join(ORIGINAL.split("\n")[:5])
    r = relate(doc("full", ORIGINAL + "\n" + UNRELATED.split("\n", 2)[2]), doc("part", truncated))
    assert r is not None
    assert (r.source, r.target) == ("full", "part")  # the longer text shown as source
    assert r.direction.decided_by == "undetermined"
    assert "part is 100% covered by full" in r.direction.note and "earlier version" in r.direction.note


# -- the sentence screen before the aligner (lexical.passes_sentence_screen) ----------------------

def _screen(long_doc: Document, short_doc: Document, share: float = DEFAULT_RELATE.screen_sentence_share) -> bool:
    return passes_sentence_screen(long_doc, short_doc, RelateConfig(screen_sentence_share=share))


def test_sentence_screen_turns_away_a_pair_sharing_one_sentence() -> None:
    """Two articles meeting on one sentence (the sentence channel's chance meetings) fail the
    screen, and relating them gives no relation with the screen or without it."""
    stock = ORIGINAL.split("\n")[3]
    long_doc = doc("a", ORIGINAL)
    short_doc = doc("b", UNRELATED + "\n" + stock)
    assert not _screen(long_doc, short_doc)
    context_off = RelateContext(settings=RelateSettings(relate=RelateConfig(screen_sentence_share=0)))
    assert relate(long_doc, short_doc) is None
    assert relate(long_doc, short_doc, context_off) is None


def test_sentence_screen_passes_copies_spun_copies_and_truncations() -> None:
    original = doc("orig", ORIGINAL)
    assert _screen(original, doc("copy", ORIGINAL))
    assert _screen(original, doc("spun", SPUN))
    assert _screen(original, doc("part", "\n".join(ORIGINAL.split("\n")[:4])))


def test_sentence_screen_counts_containment_not_dice() -> None:
    """A sentence holding a third of a long sentence's terms matches it (containment 1), though
    their Dice is under the copy test's 0.5: a passage edge can cut the long one down to it."""
    long_doc = doc("long", "Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november.")
    short_doc = doc("short", "Alpha bravo charlie delta.")
    assert _screen(long_doc, short_doc, share=1.0)
    assert not _screen(doc("other", "Oscar papa quebec romeo sierra tango uniform victor."), short_doc,
                       share=0.01)


def test_sentence_screen_off_or_without_countable_sentences_passes() -> None:
    long_doc, short_doc = doc("a", ORIGINAL), doc("b", UNRELATED)
    assert not _screen(long_doc, short_doc)
    assert _screen(long_doc, short_doc, share=0)
    assert _screen(long_doc, doc("c", "Short note."))  # no sentence of four terms: the aligner decides


def test_signatures_are_compared_on_the_checks_both_had() -> None:
    """A copy signed with the deep checks shows a noun-slot misfit; the same text signed without
    them (``--no-changes``: a trace, an add) shows none because none was looked for, so the misfit
    decides nothing between them.  Signed alike, it does."""
    from dataclasses import replace

    from newstrace.stages.signature import TRACES

    misfit = {"kind": "spinning", "trace": TRACES["noun-slot"], "evidence": "'hands' heads a noun phrase",
              "span": [0, 5], "text": "hands"}
    deep = replace(doc("stored", ORIGINAL), signature=[misfit], deep_signature=True)
    shallow = replace(doc("query", ORIGINAL + "\n\nMore soon."), deep_signature=False)
    r = relate(deep, shallow)
    assert r is not None and r.direction.decided_by != "rewrite-artefacts"
    r = relate(deep, replace(shallow, deep_signature=True))
    assert r is not None and r.direction.decided_by == "rewrite-artefacts"
    assert (r.source, r.target) == ("query", "stored")
    assert rewrite_artefacts(deep) == ["words forced into a noun slot (1)"]
    assert rewrite_artefacts(deep, shallow) == []
