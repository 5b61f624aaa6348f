"""Naming stories for readers: a headline, and the label's names as whole names.

A story's label lists its most characteristic names (who and where), as single words the
clustering counted ("Lanka · Sri · Indonesia · Bank"); readers of a list of stories also want to
know what happened.  News aggregators name a story after one of its articles' headlines, and
so does this step (:func:`story_headline`): of the member titles that read as headlines (a title
ending in a full stop, a first sentence taken for a title, only when no other does), the one
naming most of the label's names (the label's first name weighing most), then the one whose
words most other members' titles share (the headline the story's reports agree on), then the
earliest published, then the shortest, then the earliest-sorting document.  A story whose
members have no title that reads as a headline (no title, a URL, a date line) has none: the
label alone names it.  The label's names that the members' openings write as one name are put
together (:func:`phrased_label`: "Sri Lanka · Indonesia · Bank").

Both depend only on the clustering's label and the members' titles, dates and openings, so
every engine (the local pipeline, Spark) and every route (a scan, ``index add`` in batches) that
makes the same story names it the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from newstrace.stages.text import STOPWORDS, WORD_RE
from newstrace.types import Document, Story

__all__ = ["HEADLINE_MAX_CHARS", "HEADLINE_MAX_WORDS", "OPENING_CHARS", "MemberText", "headline_like", "member_texts",
           "name_stories", "phrased_label", "story_headline"]

#: A title longer than this many words is a sentence taken for a title (a reader without a
#: title field takes the first line), not a headline.  News headlines run to about 15 words.
HEADLINE_MAX_WORDS = 20
#: Nor is one longer than this many characters.
HEADLINE_MAX_CHARS = 160

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_LINKISH = re.compile(r"https?\b|\bwww\b|://|\.(?:com|org|net|html?)\b", re.IGNORECASE)
#: Words of a date or time line ("Posted September 26, 2013 - 3:47pm", "3 July 2013 Last updated
#: at 13:38 GMT"), which a reader may take for a title: a headline has two words besides them.
_DATELINE_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday mon tue tues wed thu thur thurs fri sat sun posted updated published last "
    "at on am pm a p m gmt bst utc et est edt cet cest pst pdt ist hrs th st nd rd".split())
#: What :func:`Story.label <newstrace.types.Story>` is when the story names nobody.
_NO_NAMES = "(no names)"
_LABEL_SEP = " · "


def headline_like(title: str | None) -> bool:
    """Whether ``title`` reads as a headline: 2 to :data:`HEADLINE_MAX_WORDS` words, at most
    :data:`HEADLINE_MAX_CHARS` characters, some letters, and nothing of a URL (ECB+'s texts
    open with their source's address, which a reader takes for the title).

    >>> headline_like("Kilroy launches 'Veritas' party")
    True
    >>> headline_like("http : / / www . example . com / news / 2013 / quake")
    False
    >>> headline_like("Posted September 26 , 2013 - 3 : 47pm Updated September 27 , 2013")
    False
    """
    if not title:
        return False
    text = _SPACE.sub(" ", title).strip()
    words = _WORD.findall(text)
    letters = ("".join(ch for ch in w if ch.isalpha()).lower() for w in words)  # "47pm" is "pm"
    lettered = [w for w in letters if w and w not in _DATELINE_WORDS]
    return (2 <= len(words) <= HEADLINE_MAX_WORDS and len(text) <= HEADLINE_MAX_CHARS
            and len(lettered) >= 2 and not _LINKISH.search(text))


def _content_words(title: str) -> frozenset[str]:
    return frozenset(w for w in (x.lower() for x in _WORD.findall(title)) if len(w) > 2 and w not in STOPWORDS)


def _names_in(title: str, names: Sequence[str]) -> int:
    """The weight of the label's names found in ``title`` as whole words (any case,
    :func:`_word_ends`): the first of ``k`` names weighs ``k``, the last 1."""
    k, text = len(names), title.lower()
    return sum(k - i for i, name in enumerate(names) if _word_ends(text, name.lower()))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _word_ends(text: str, word: str) -> list[int]:
    """Where each occurrence of ``word`` as a whole word of ``text`` ends (case as given).  A word
    goes on through an apostrophe between letters ("O'Brien" holds no "Brien"), but a
    possessive ends it ("Russia's" holds "Russia", followed by no name)."""
    out = []
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else ""
        inside = bool(before) and (_is_word_char(before) or (before in "'’" and at > 1 and _is_word_char(text[at - 2])))
        if not inside and _ends_word(text, end):
            out.append(end)
        at = text.find(word, at + 1)
    return out


def _ends_word(text: str, end: int) -> bool:
    """Whether a word of ``text`` can end at ``end``: no word character follows, nor an
    apostrophe that joins another word but a possessive's."""
    if end >= len(text):
        return True
    if _is_word_char(text[end]):
        return False
    if text[end] in "'’" and end + 1 < len(text) and _is_word_char(text[end + 1]):
        return text[end + 1 : end + 2] in ("s", "S") and (end + 2 >= len(text) or not _is_word_char(text[end + 2]))
    return True


def _sentence(title: str) -> bool:
    """Whether ``title`` ends as a sentence does (a full stop, not an ellipsis): a reader without
    a title field takes the first sentence; headlines carry no full stop."""
    return title.endswith(".") and not title.endswith("..")


def story_headline(label: str, members: Iterable[tuple[str, str | None, str | None]]) -> str | None:
    """The headline of a story labelled ``label`` whose members are ``(id, title, published)``:
    the member title chosen as the module docstring says (whitespace collapsed), or None when
    no member's title reads as a headline (:func:`headline_like`).

    How much the other reports agree on a title is the sum, over its words, of the other members
    whose titles carry that word: linear in the story, so a wire story copied by thousands of
    sites costs no more than its titles (copies under one title count as reports agreeing).

    >>> story_headline("Kilroy · UKIP", [("a", "Party leader resigns", "2005-01-02"),
    ...                                  ("b", "Kilroy quits UKIP to form party", "2005-01-03")])
    'Kilroy quits UKIP to form party'
    """
    names = [] if label == _NO_NAMES else [n for n in label.split(_LABEL_SEP) if n]
    # each distinct title once: (its earliest date, undated last; its earliest-sorting member)
    first: dict[str, tuple[bool, str, str]] = {}
    words: dict[str, frozenset[str]] = {}
    carried: Counter[str] = Counter()
    for doc_id, title, published in members:
        if title is None or not headline_like(title):
            continue
        text = _SPACE.sub(" ", title).strip()
        if text not in words:
            words[text] = _content_words(text)
        carried.update(words[text])
        when = (published is None, published or "", doc_id)
        if text not in first or when < first[text]:
            first[text] = when
    if not first:
        return None

    def rank(text: str) -> tuple[bool, int, int, bool, str, int, str]:
        agreed = sum(carried[w] - 1 for w in words[text])
        undated, published, doc_id = first[text]
        # a headline before a sentence taken for one; earliest published first, undated last
        return (_sentence(text), -_names_in(text, names), -agreed, undated, published, len(text), doc_id)

    return min(first, key=rank)


#: How much of each member's text (after its title) :func:`phrased_label` reads: the lead, where
#: news names its people and places in full ("Gordon Brown", later "Mr Brown").
OPENING_CHARS = 1500


def phrased_label(label: str, openings: Iterable[str]) -> str:
    """``label`` with the names that make up one name put together, in the label's order.

    The label's names are single capitalised words ("Lanka · Sri · Indonesia · Bank"); in the
    members' openings (title and lead) a name that is followed by another of the label's names
    in most of its occurrences, with only a space or a hyphen between, is one name with it:
    "Sri Lanka", "Kilroy-Silk", "Endangered Species Act".  A chain of such names is one phrase,
    placed where its best-ranked word was; a name may end two phrases ("Laci Peterson · Scott
    Peterson").  Names seen apart as often as together (Bush in "Bush administration" and "Bush
    Endangered Species Act") stay apart.  Each item then takes the capitalised words that stand
    beside it in most of its occurrences outside headline-case lines (:func:`_widened`: "New
    Orleans Saints", "Tara Reid", "Nagorno-Karabakh"), and an item inside another is dropped.

    >>> phrased_label("Lanka · Sri · Indonesia · Bank", ["Tsunami to hit Sri Lanka banks",
    ...               "Sri Lanka and Indonesia count the cost; the World Bank offers loans"])
    'Sri Lanka · Indonesia · World Bank'
    """
    if label == _NO_NAMES:
        return label
    names = [n for n in label.split(_LABEL_SEP) if n]
    texts = list(openings)
    seen: Counter[str] = Counter()
    follows: Counter[tuple[str, str, str]] = Counter()
    for text in texts:
        for a in names:
            for end in _word_ends(text, a):
                seen[a] += 1
                gap = text[end : end + 1]
                if gap in (" ", "-"):
                    for b in names:
                        if text.startswith(b, end + 1) and _ends_word(text, end + 1 + len(b)):
                            follows[a, b, gap] += 1
    # each name's successor: the name following it in more than half of its occurrences
    after: dict[str, tuple[str, str]] = {}
    for (a, b, gap), together in sorted(follows.items(), key=lambda x: (-x[1], x[0])):
        if a != b and a not in after and 2 * together > seen[a]:
            after[a] = (b, gap)
    followed = {b for b, _ in after.values()}
    rank = {n: i for i, n in enumerate(names)}
    phrases: dict[str, int] = {}
    for head in names:
        if head in followed:
            continue  # inside or at the end of a chain: placed by the chain's head
        words, text, at = [head], head, head
        while at in after and after[at][0] not in words:
            nxt, gap = after[at]
            words.append(nxt)
            text += gap + nxt
            at = nxt
        phrases.setdefault(text, min(rank[w] for w in words))
    # a cycle (no head): its names stay as they were
    placed = {w for p in phrases for w in WORD_RE.findall(p)}
    for name in names:
        if name not in placed:
            phrases.setdefault(name, rank[name])
    widened: dict[str, int] = {}
    cased: dict[tuple[int, int], bool] = {}
    for phrase, place in phrases.items():
        wide = _widened(phrase, texts, cased)
        widened[wide] = min(place, widened.get(wide, place))
    # an item inside another ("Diego" in "San Diego Chargers") is that one
    items = {p: min([place] + [widened[q] for q in widened if q != p and _word_ends(p, q)])
             for p, place in widened.items() if not any(q != p and _word_ends(q, p) for q in widened)}
    return _LABEL_SEP.join(sorted(items, key=lambda p: (items[p], p)))


#: How many words :func:`_widened` may add on each side of a name.
WIDEN_WORDS = 2


def _widened(phrase: str, texts: Sequence[str], cased: dict[tuple[int, int], bool]) -> str:
    """``phrase`` with the capitalised words that stand beside it, after a space or a hyphen, in
    most of its occurrences ("New" before "Orleans Saints", "Nagorno-" before "Karabakh"), up to
    :data:`WIDEN_WORDS` a side.  ``cased``: whether the line of ``texts[k]`` starting at ``i`` is
    in headline case, by ``(k, i)``, filled in as lines are met."""
    for _ in range(WIDEN_WORDS):
        before: Counter[tuple[str, str]] = Counter()
        after: Counter[tuple[str, str]] = Counter()
        total = 0
        for k, text in enumerate(texts):
            for end in _word_ends(text, phrase):
                start = end - len(phrase)
                line = text.rfind("\n", 0, start) + 1
                if (k, line) not in cased:
                    cased[k, line] = _headline_case(text, line)
                if cased[k, line]:
                    continue  # "Protests Erupt Following Death Of Teen": capitals mark no names
                total += 1
                gap = text[start - 1 : start] if start >= 2 else ""
                if gap in (" ", "-"):
                    word = _word_before(text, start - 1)
                    if not word.endswith(("'s", "’s")):  # "Britain's Jewish" is not one name
                        before[word, gap] += 1
                gap = text[end : end + 1]
                if gap in (" ", "-"):
                    m = WORD_RE.match(text, end + 1)
                    if m is not None:
                        after[m.group(0).removesuffix("'s").removesuffix("’s"), gap] += 1
        grown = phrase
        for counts, left in ((before, True), (after, False)):
            (best, gap) = max(sorted(counts), key=lambda w: counts[w], default=("", ""))
            if _name_like(best) and 2 * counts[best, gap] > total and best not in WORD_RE.findall(grown):
                grown = f"{best}{gap}{grown}" if left else f"{grown}{gap}{best}"
        if grown == phrase:
            break
        phrase = grown
    return phrase


def _headline_case(text: str, start: int) -> bool:
    """Whether the line of ``text`` starting at ``start`` is a title in headline case (where
    capitals do not mark names): at most :data:`HEADLINE_MAX_CHARS` characters, with a stop word
    capitalised past its first word, or four fifths of at least four words of four letters or
    more capitalised."""
    end = text.find("\n", start)
    end = end if end >= 0 else len(text)
    if end - start > HEADLINE_MAX_CHARS:
        return False  # a paragraph, not a title
    words = WORD_RE.findall(text, start, end)
    if any(w[:1].isupper() and w.lower() in STOPWORDS for w in words[1:]):
        return True  # "Death Of Teen", "Checks Into Rehab"
    long = [w for w in words if len(w) >= 4]
    return len(long) >= 4 and 5 * sum(1 for w in long if w[:1].isupper()) >= 4 * len(long)


def _word_before(text: str, end: int) -> str:
    """The word of ``text`` that ends at ``end`` ("" when none does)."""
    start = end
    while start > 0 and (_is_word_char(text[start - 1]) or (
            text[start - 1] in "'’" and start > 1 and _is_word_char(text[start - 2]))):
        start -= 1
    return text[start:end]


def _name_like(word: str) -> bool:
    """Whether ``word`` counts as a name, as the story features count one: capitalised, not a
    number, a stop word, or a day or month."""
    low = word.lower()
    return (word[:1].isupper() and len(word) > 1 and not word.isdigit() and low not in STOPWORDS
            and low not in _DATELINE_WORDS and low not in _HONORIFICS)


#: Words before a name that are not part of it ("Mr Brown" is Brown).
_HONORIFICS = frozenset("mr mrs ms miss dr mr. mrs. ms. dr.".split())


#: What :func:`name_stories` asks for each member: ``(title, published, opening)``, the opening
#: being the first :data:`OPENING_CHARS` characters of its text.
MemberText = tuple[str | None, str | None, str]


def name_stories(stories: Sequence[Story], members: Callable[[Sequence[str]], Mapping[str, MemberText]],
                 *, keep: Iterable[Story] = ()) -> list[Story]:
    """``stories`` named for readers, in the same order: each with its headline
    (:func:`story_headline`, from the names the clustering labelled it with) and its label's
    names put together into phrases (:func:`phrased_label`).

    Args:
        stories: the stories, labelled as the clustering made them.
        members: ``(title, published, opening)`` of documents by id, asked once, for the
            documents of the stories to name (the store's, or the documents at hand).
        keep: stories named already (``index add`` of a large index: the stored stories it did
            not cluster again); one of ``stories`` equal to one of them is given back as it is.
    """
    made = set(keep)
    needed = sorted({d for s in stories if s not in made for d in s.documents})
    found = members(needed) if needed else {}
    out = []
    for story in stories:
        if story not in made:
            texts = [found.get(d, (None, None, "")) for d in story.documents]
            headline = story_headline(story.label, [(d, t[0], t[1]) for d, t in zip(story.documents, texts, strict=True)])
            label = phrased_label(story.label, [f"{t[0]}\n{t[2]}" if t[0] else t[2] for t in texts])
            story = replace(story, label=label, headline=headline)
        out.append(story)
    return out


def member_texts(documents: Iterable[Document]) -> Callable[[Sequence[str]], Mapping[str, MemberText]]:
    """:func:`name_stories`' ``members`` over documents at hand."""
    at_hand = {d.id: (d.title, d.published, d.text[:OPENING_CHARS]) for d in documents}
    return lambda wanted: {d: at_hand[d] for d in wanted if d in at_hand}
