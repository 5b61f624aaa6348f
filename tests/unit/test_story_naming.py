"""Naming stories: the member title that best says what happened, and the label's names as whole names."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import pytest

from newstrace.stages.stories.naming import headline_like, name_stories, phrased_label, story_headline
from newstrace.stages.stories.store import load_stories, save_stories
from newstrace.types import Story


@pytest.mark.parametrize("title", [
    "Kilroy launches 'Veritas' party",
    "UK heading wrong way - Howard",
    "Profile: David Blunkett",
    "Tara Reid Finally Checks Into Rehab For Undisclosed Reasons",
])
def test_headlines_read_as_headlines(title: str) -> None:
    assert headline_like(title)


@pytest.mark.parametrize("title", [
    None, "", "   ", "Breaking",
    "http : / / www . extremetech . com / computing / 120601 - amd - buys - seamicro",
    "www.example.org/news/quake",
    "February 29 , 2012 , 7 : 32 p . m . ET",
    "3 July 2013 Last updated at 13 : 38 GMT",
    "Posted September 26 , 2013 - 3 : 47pm Updated September 27 , 2013 - 6 : 56am",
    " ".join(["word"] * 21),
])
def test_urls_date_lines_and_whole_paragraphs_are_not_headlines(title: str | None) -> None:
    assert not headline_like(title)


def test_the_title_naming_most_of_the_label_wins_the_first_name_weighing_most() -> None:
    members = [("a", "Party leader resigns", "2005-01-01"),
               ("b", "UKIP candidate suspended", "2005-01-02"),
               ("c", "Kilroy quits party", "2005-01-03")]
    # Kilroy (first, weight 2) beats UKIP (second, weight 1); the first member names neither
    assert story_headline("Kilroy · UKIP", members) == "Kilroy quits party"
    assert story_headline("UKIP · Kilroy", members) == "UKIP candidate suspended"
    # both names in one title beat either alone
    both = [*members, ("d", "Kilroy-Silk quits 'shameful' UKIP", "2005-01-09")]
    assert story_headline("Kilroy · UKIP", both) == "Kilroy-Silk quits 'shameful' UKIP"


def test_names_match_whole_words_in_any_case() -> None:
    members = [("a", "Ukipper weekend", None), ("b", "ukip chooses new chief", None)]
    assert story_headline("UKIP", members) == "ukip chooses new chief"


def test_among_equals_the_title_the_other_reports_agree_on_then_the_earliest() -> None:
    members = [("a", "Tsunami hits coastal towns", "2004-12-27"),
               ("b", "Aid flights reach coastal towns", "2004-12-28"),
               ("c", "Aid pledges grow", "2004-12-26"),
               ("d", "Charities ask for more aid", "2004-12-29")]
    # no title names the label's name; "Aid flights reach coastal towns" shares words with three others
    assert story_headline("Indonesia", members) == "Aid flights reach coastal towns"
    twins = [("b", "Quake strikes Sumatra", "2004-12-27"), ("a", "Quake strikes Aceh", "2004-12-26"),
             ("c", "Quake strikes Banda", None)]
    assert story_headline("(no names)", twins) == "Quake strikes Aceh"  # earliest; undated last


def test_a_sentence_taken_for_a_title_only_when_no_headline_is_left() -> None:
    sentence = ("a", "Reid checked into Promises , her rep told People .", "2008-01-01")
    plain = ("b", "Actress enters rehab", "2008-01-02")
    assert story_headline("Reid · Promises", [sentence, plain]) == "Actress enters rehab"
    assert story_headline("Reid · Promises", [sentence]) == "Reid checked into Promises , her rep told People ."
    assert story_headline("Reid", [("a", "http : / / www . x . com / a", None), ("b", None, None)]) is None


def test_whitespace_in_a_title_is_collapsed() -> None:
    assert story_headline("Lisbon", [("a", "  Quake   strikes\nLisbon ", None)]) == "Quake strikes Lisbon"


def _members(asked: list[Sequence[str]], table: Mapping[str, tuple[str | None, str | None, str]]):  # type: ignore[no-untyped-def]
    def members(ids: Sequence[str]) -> dict[str, tuple[str | None, str | None, str]]:
        asked.append(list(ids))
        return {d: table[d] for d in ids if d in table}
    return members


def test_stories_kept_as_named_are_not_asked_about_again() -> None:
    table = {"a": ("Quake strikes Lisbon", "2024-02-01", "Rescuers searched Lisbon."),
             "b": ("Lisbon counts the damage", "2024-02-02", ""),
             "c": ("Danes reject bridge toll", "2024-05-01", "Voters in Copenhagen said no.")}
    kept = Story("S1", "Lisbon", ("a", "b"), headline="Quake strikes Lisbon")
    fresh = Story("S2", "Denmark", ("c",))
    asked: list[Sequence[str]] = []
    out = name_stories([kept, fresh], _members(asked, table), keep=[kept])
    assert [s.headline for s in out] == ["Quake strikes Lisbon", "Danes reject bridge toll"]
    assert asked == [["c"]]
    # a story clustered again (no headline yet) is named afresh, even with the members of a kept one
    again: list[Sequence[str]] = []
    out = name_stories([Story("S1", "Lisbon", ("a", "b"))], _members(again, table), keep=[kept])
    assert out[0].headline == "Quake strikes Lisbon" and again == [["a", "b"]]
    # nothing to name: the members are not read at all
    none: list[Sequence[str]] = []
    assert name_stories([kept], _members(none, table), keep=[kept]) == [kept] and none == []


def test_naming_puts_the_label_s_names_together_and_heads_with_the_raw_names() -> None:
    table = {"a": ("Tsunami to hit Sri Lanka banks", None, "Sri Lanka's central bank said..."),
             "b": ("Aid reaches Indonesia", None, "Sri Lanka and Indonesia count the cost.")}
    [story] = name_stories([Story("S1", "Lanka · Sri · Indonesia", ("a", "b"))], _members([], table))
    assert story.label == "Sri Lanka · Indonesia"
    assert story.headline == "Tsunami to hit Sri Lanka banks"


@pytest.mark.parametrize(("label", "openings", "phrased"), [
    # a chain of names is one phrase, placed where its best-ranked word was
    ("Species · Endangered · Act · Bush", ["Bush weakened the Endangered Species Act.",
                                           "The Endangered Species Act protects wolves."], "Endangered Species Act · Bush"),
    # a hyphen joins as a space does, and is kept
    ("Silk · Kilroy · UKIP · Robert", ["Robert Kilroy-Silk quit UKIP.", "Kilroy-Silk said UKIP had failed."],
     "Robert Kilroy-Silk · UKIP"),
    # a name ending two phrases is in both
    ("Laci · Peterson · Scott", ["Scott Peterson was convicted of killing Laci Peterson."],
     "Laci Peterson · Scott Peterson"),
    # seen apart as often as together: kept apart ("Bush Endangered" once, each alone twice)
    ("Bush · Endangered", ["Bush said. Bush Endangered. Bush left. The Endangered list. Endangered animals."],
     "Bush · Endangered"),
    # a possessive ends a name, an apostrophe inside one does not
    ("Russia · Putin · Brien · O'Brien", ["Russia's Putin met O'Brien."], "Russia · Putin · Brien · O'Brien"),
    # another case is another word; nothing found leaves the label as it is
    ("Lanka · Sri", ["SRI LANKA"], "Lanka · Sri"),
    ("(no names)", ["Anything at all"], "(no names)"),
])
def test_names_written_as_one_name_are_put_together(label: str, openings: list[str], phrased: str) -> None:
    assert phrased_label(label, openings) == phrased


def test_headlines_are_stored_and_stories_stored_before_them_load_without_one() -> None:
    conn = sqlite3.connect(":memory:")
    stories = [Story("S1", "Lisbon", ("a", "b"), (), "2024-02-01", "2024-02-02", "Quake strikes Lisbon"),
               Story("S2", "(no names)", ("c",))]
    save_stories(conn, stories)
    assert load_stories(conn) == stories
    with conn:  # a row as an older version wrote it: no headline key
        conn.execute("""UPDATE stories SET data = '{"id": "S2", "label": "(no names)", "documents": ["c"],
                        "families": [], "first_published": null, "last_published": null}' WHERE id = 'S2'""")
    assert load_stories(conn)[1] == Story("S2", "(no names)", ("c",))


def test_copies_under_one_title_count_as_reports_agreeing_on_it() -> None:
    copies = [(f"copy{i}", "Ferry terminal approved", "2024-03-02") for i in range(3)]
    members = [("a", "Harbour vote due", "2024-03-01"), *copies, ("b", "Terminal plan divides harbour", "2024-03-01")]
    # "Ferry terminal approved" is carried by three reports; its word "terminal" by a fourth
    assert story_headline("(no names)", members) == "Ferry terminal approved"


@pytest.mark.parametrize(("label", "openings", "phrased"), [
    # the capitalised words beside a name in most of its occurrences join it, on either side
    ("Orleans · Saints", ["The New Orleans Saints lost.", "New Orleans Saints coach Sean Payton said."],
     "New Orleans Saints"),
    ("Chargers · Diego", ["San Diego Chargers won.", "The San Diego Chargers waived him."], "San Diego Chargers"),
    ("Betty · Ford", ["She entered the Betty Ford Center.", "Betty Ford Center staff said."], "Betty Ford Center"),
    # not in a minority of occurrences, nor an honorific, a possessive or a word of a title in headline case
    ("Reid", ["Tara Reid said. Reid left. Reid is fine."], "Reid"),
    ("Brown", ["Mr Brown said. Mr Brown left."], "Brown"),
    ("Jewish", ["Britain's Jewish leaders met. Britain's Jewish community."], "Jewish"),
    ("Death", ["Protests Erupt Following Death Of Teen\nThe death sparked protests after the Death."], "Death"),
])
def test_names_take_the_capitalised_words_that_stand_beside_them(label: str, openings: list[str],
                                                                 phrased: str) -> None:
    assert phrased_label(label, openings) == phrased


def test_a_hyphen_joins_a_word_to_a_name_and_is_kept() -> None:
    openings = ["Armenians left Nagorno-Karabakh.", "The Nagorno-Karabakh region was emptied."]
    assert phrased_label("Armenia · Karabakh", openings) == "Armenia · Nagorno-Karabakh"
