"""The rewrite signature on invented texts: each trace reported as evidence, none on clean text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.stages.signature import SIGNATURE_KINDS, TRACES, rewrite_signature
from newstrace.types import Removed

CLEAN = """Harbour authority approves new ferry terminal

The harbour authority approved a new ferry terminal on Monday, ending a long dispute with fishing crews.
"The fleet keeps its berths along the northern quay," the harbour master said after the vote.
Construction is due to begin in October, once the dredging contract has been awarded.
The terminal is funded by a regional transport grant and a loan from the national development bank."""


def kinds(items: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [i["kind"] for i in items]


def check_items(text: str, items: list[dict]) -> None:  # type: ignore[type-arg]
    for item in items:
        assert set(item) == {"kind", "trace", "evidence", "span", "text"}
        assert item["trace"] in TRACES.values()
        assert item["kind"] in SIGNATURE_KINDS
        assert item["evidence"] and isinstance(item["evidence"], str)
        if item["span"] is not None:
            s, e = item["span"]
            assert text[s:e] == item["text"]


def test_clean_article_shows_nothing() -> None:
    assert rewrite_signature(CLEAN, CLEAN, []) == []


def test_mangled_entities_in_text_and_in_raw_only() -> None:
    text = "The ferry will stop at the & nbsp, northern quay during the works. & nbsp,"
    items = rewrite_signature(text)
    check_items(text, items)
    assert kinds(items).count("spinning") == 2
    assert items[0]["text"].startswith("& nbsp")
    cleaned = "The ferry will stop at the northern quay during the works."
    items = rewrite_signature(cleaned, raw_text=text)
    assert kinds(items) == ["spinning", "spinning"]
    assert all(i["span"] is None and "ingested text" in i["evidence"] for i in items)


def test_misplaced_quotation_marks() -> None:
    text = "The harbour master said,” The fleet keeps its berths.” Crews welcomed the vote."
    items = [i for i in rewrite_signature(text) if "quotation" in i["evidence"]]
    check_items(text, items)
    assert len(items) == 1 and items[0]["kind"] == "spinning"
    glued = 'According to the harbour master," The fleet keeps its berths."'
    assert any("quotation" in i["evidence"] for i in rewrite_signature(glued))
    assert not rewrite_signature('The harbour master said: "The fleet keeps its berths."')


def test_word_without_a_noun_sense_heading_a_noun_phrase() -> None:
    from newstrace.stages.changes import nlp, wordnet

    if nlp() is None or wordnet() is None:
        pytest.skip("needs spaCy's en_core_web_sm and WordNet (wordnet-base)")
    text = "The Norwegian insulting, despite being far away, was a result of the dispute over the quay."
    items = [i for i in rewrite_signature(text) if i["kind"] == "spinning"]
    check_items(text, items)
    assert [i["text"] for i in items] == ["insulting"]


def test_machine_translation_traces() -> None:
    text = (
        "The ferries were stopped by the port authority . Crews protested in the harbour. "
        "The vote was delayed by a week. he also said the works would continue. "
        "The company cited the weather, He had asked for a delay."
    )
    items = rewrite_signature(text)
    check_items(text, items)
    assert kinds(items) == ["machine-translation"] * 3
    assert [i["text"] for i in items] == [" .", "he", "He"]


def test_sentence_in_another_language() -> None:
    text = (
        "The harbour authority approved a new ferry terminal on Monday after a long debate. "
        "Die Fischer haben lange gegen die Pläne für den neuen Hafen protestiert und demonstriert. "
        "Construction is due to begin in October once the contract has been awarded."
    )
    items = rewrite_signature(text)
    check_items(text, items)
    assert kinds(items) == ["machine-translation"]
    assert "(de)" in items[0]["evidence"] and items[0]["text"].startswith("Die Fischer")


def test_aggregator_disclaimer_among_removed_boilerplate_and_conclusion() -> None:
    body = CLEAN + (
        "\nOverall, the approval of the terminal marks an important moment for the harbour and its "
        "fishing crews, who will follow the works closely in the months to come."
    )
    removed = [
        Removed(
            0,
            10,
            "Disclaimer: Harbour Daily is an automatic aggregator of the news published "
            "by other media. All materials belong to their authors.",
            "disclaimer",
        )
    ]
    items = rewrite_signature(body, None, removed)
    check_items(body, items)
    assert kinds(items) == ["aggregator", "aggregator"]
    assert items[0]["span"] is None and "removed boilerplate" in items[0]["evidence"]
    assert items[1]["text"].startswith("Overall,")
    as_dicts = [{"text": r.text, "reason": r.reason} for r in removed]
    assert kinds(rewrite_signature(CLEAN, None, as_dicts)) == ["aggregator"]


def test_ad_shortcodes() -> None:
    text = "[ad_1]\nThe ferry terminal was approved on Monday.\n[ad_2]"
    assert kinds(rewrite_signature(text)) == ["aggregator", "aggregator"]


def test_ai_rewrite_needs_several_stock_phrases() -> None:
    one = CLEAN + "\nAdditionally, the terminal will open in spring."
    assert "ai-rewrite" not in kinds(rewrite_signature(one))
    many = CLEAN + (
        "\nIn the year 2027 the terminal will open. Additionally, the fleet keeps its berths, "
        "resulting in a significant shift for the harbour. This further exacerbated the dispute."
    )
    items = [i for i in rewrite_signature(many) if i["kind"] == "ai-rewrite"]
    check_items(many, items)
    assert len(items) >= 4
    assert all("stock phrase" in i["evidence"] for i in items)


_AI_EXAMPLES = [
    "It happened in the year 1999 indeed.", "It is important to note the cost.", "IT IS WORTH NOTING this.",
    "This will further exacerbate tensions.", "A significant shift occurred.", "It was over. Additionally, prices rose.",
    "Sales fell. Furthermore, costs rose.", "Sales fell. Moreover, costs rose.", "The plan serves as a model.",
    "Rain fell, resulting in floods.", "She plays a pivotal role here.", "It is a testament to skill.",
    "We delve into the data.", "This sheds light on it.", "Experts underscored the risk.",
    "Prices rose, highlighting demand.", "It will be felt for years to come.", "ıt ıs ımportant to note ſignificant ſhifts.",
    # every alternative of every pattern, so that each literal is checked
    "It is crucial to note this.", "It is worth noting that.", "Costs further intensified.", "It further deepens it.",
    "Rates further fuel it.", "It further underscores it.", "It further highlights it.", "A significant impact.",
    "A significant role.", "A significant decline.", "A significant increase.", "Prices significantly declined.",
    "It significantly shifts.", "It significantly impacts.", "It significantly increases.", "It served as the base.",
    "It serves as an example.", "It played a key role.", "She plays a vital role.", "Playing a crucial role.",
    "Delves into it.", "Delved into it.", "Delving into it.", "It sheds light on it.", "Shedding light on it.",
    "They underscore it.", "It underscores it.", "Underscoring the risk.", "Sales fell. Moreover, costs rose.",
]


def test_signature_literals() -> None:
    """Every AI-phrase pattern matches some of the examples (each of its alternatives), and
    every match holds one of its literals: the literal test never skips a pattern that would
    match."""
    from newstrace.stages.literals import fold
    from newstrace.stages.signature import _AI_LITERALS, _AI_PHRASES

    assert len(_AI_LITERALS) == len(_AI_PHRASES)
    for (label, rx), literals in zip(_AI_PHRASES, _AI_LITERALS, strict=True):
        hits = [m.group() for t in _AI_EXAMPLES for m in rx.finditer(t)]
        assert hits, label
        for hit in hits:
            assert any(literal in fold(hit) for literal in literals), (label, hit)


def test_noun_slot_misfits_at_the_edges_and_side_by_side() -> None:
    """Candidates tagged in small contexts: at the text's first and last tokens, and close together."""
    from newstrace.stages.changes import nlp, wordnet
    from newstrace.stages.signature import _noun_slot_misfits

    if nlp() is None or wordnet() is None:
        pytest.skip("needs spaCy's en_core_web_sm and WordNet (wordnet-base)")
    text = ("The insulting, the unpleasant. Its unpleasant, her insulting; the quay was closed. "
            "The fleet sailed at dawn and the crews cheered the harbour master's unpleasant.")
    whole = nlp()(text)
    found = _noun_slot_misfits(text)
    assert [text[s:e] for s, e, _ in found] == ["insulting", "unpleasant", "unpleasant", "insulting", "unpleasant"]
    for s, e, _ in found:  # each found word is a token of the whole text, tagged as a noun-phrase head
        token = next(t for t in whole if t.idx == s)
        assert token.idx + len(token.text) == e and token.pos_ in ("NOUN", "ADJ")


def test_texts_tagged_together_give_the_findings_of_each_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``known_slot_tags`` tags many texts' contexts in one batch (the scan's prepare shards):
    every text's noun-slot findings and whole signature are those it gets alone."""
    from fixtures.articles import ARTICLE, OTHER

    from newstrace.stages import signature
    from newstrace.stages.changes import nlp, wordnet
    from newstrace.stages.prepare import prepare_document, prepare_tasks
    from newstrace.stages.signature import _KNOWN_SLOTS, _noun_slot_misfits, known_slot_tags
    from newstrace.types import Document

    if nlp() is None or wordnet() is None:
        pytest.skip("needs spaCy's en_core_web_sm and WordNet (wordnet-base)")
    texts = ["The insulting, the unpleasant. Its unpleasant, her insulting; the quay was closed.",
             ARTICLE, "No candidate here at all.", OTHER,
             "The crews cheered the harbour master's unpleasant. The army's insulting, said the mayor."]
    alone = [_noun_slot_misfits(t) for t in texts]
    assert sum(map(len, alone)) >= 5
    tagged = []
    real = signature._tagged_slots
    monkeypatch.setattr(signature, "_tagged_slots", lambda ts: tagged.append(list(ts)) or real(ts))
    with known_slot_tags([*texts, texts[0]]):
        assert set(_KNOWN_SLOTS) == set(texts)
        assert [_noun_slot_misfits(t) for t in texts] == alone
    assert tagged == [texts]  # tagged once, all together; each text's check read what was tagged
    assert not _KNOWN_SLOTS  # forgotten after the block
    singles = [prepare_document(Document(id=str(k), raw=t)) for k, t in enumerate(texts)]
    tagged.clear()
    together = list(prepare_tasks([(Document(id=str(k), raw=t), frozenset(), True) for k, t in enumerate(texts)]))
    assert len(tagged) == 1 and len(tagged[0]) == len(texts)  # the shard's cleaned texts, tagged together
    assert [(d.text, d.language, d.signature, fp) for d, fp in together] == \
        [(d.text, d.language, d.signature, fp) for d, fp in singles]
    assert any(item["kind"] == "spinning" for d, _ in together for item in d.signature)


def test_tokenizer_exceptions_hide_no_noun_slot_candidate() -> None:
    """An alphabetic token is a whole run of letters unless a tokenizer exception splits the run.

    The noun-slot screen (``_SLOT_CANDIDATE_RE``) finds whole runs only, so no exception may
    split a run into a piece that could be a misfit (four letters or more, lower case, not a
    function word, no noun sense).
    """
    from newstrace.stages.changes import _FUNCTION, _known, nlp, wordnet_available

    model = nlp()
    if model is None or not wordnet_available():
        pytest.skip("needs spaCy's en_core_web_sm and WordNet (wordnet-base)")
    runs = [key for key in model.tokenizer.rules if key.isalpha()]
    assert len(runs) > 100  # "cannot", "gonna", "dont", ...: the exceptions are there
    split = {key: [t.text for t in model.make_doc(key)] for key in runs}
    assert sum(len(pieces) > 1 for pieces in split.values()) > 50
    hidden = [(key, piece) for key, pieces in split.items() if len(pieces) > 1 for piece in pieces
              if len(piece) >= 4 and piece.isalpha() and not piece[0].isupper()
              and piece.lower() not in _FUNCTION and not _known(piece.lower(), "n")]
    assert hidden == []


def test_slot_candidate_pattern_sees_every_follower() -> None:
    """The screen keeps a word before ",.;:", an apostrophe, or an auxiliary (also in "isn't", "cannot")."""
    from newstrace.stages.signature import _SLOT_CANDIDATE_RE

    def runs(text: str) -> list[str]:
        return [m.group() for m in _SLOT_CANDIDATE_RE.finditer(text)]

    assert runs("its unpleasant, then") == ["unpleasant"]
    assert runs("its unpleasant ; then") == ["unpleasant"]
    assert runs("the unpleasant's cost") == ["unpleasant"]
    assert runs("the unpleasant isn't here") == ["unpleasant"]
    assert runs("the unpleasant cannot stay") == ["unpleasant"]
    assert runs("the unpleasant Will stay") == ["unpleasant"]
    assert runs("the unpleasant wo n't stay") == ["unpleasant"]
    assert runs("the unpleasant island") == []  # "is" inside a word is no auxiliary
    assert runs("the unpleasant2, x") == []  # not a whole run of letters
    assert runs("the xunpleasant") == []


@st.composite
def _paragraphs(draw: st.DrawFn) -> str:
    """Lines of 0-20 words (any whitespace between them), joined by one or two line breaks."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        gap = draw(st.sampled_from([" ", "\t", "\u00a0", "  ", " . "]))
        lines.append(gap.join(["word"] * draw(st.integers(0, 20))))
    text = "".join(line + draw(st.sampled_from(["\n", "\n\n"])) for line in lines)
    return text[: len(text) - draw(st.integers(0, 1))]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_paragraphs())
def test_last_of_three_paragraphs_is_the_last_long_line(text: str) -> None:
    """The closing-paragraph check reads lines from the end: the same line as listing every line
    of at least 15 words and taking the last, when there are three."""
    import re

    from newstrace.stages.signature import _last_of_three_paragraphs

    long_lines = [m.span() for m in re.finditer(r"[^\n]+", text) if len(m.group().split()) >= 15]
    assert _last_of_three_paragraphs(text) == (long_lines[-1] if len(long_lines) >= 3 else None)
