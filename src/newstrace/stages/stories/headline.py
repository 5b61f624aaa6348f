"""A story's headline: the title of the member article that best says what the story is about.

A story's label lists its most characteristic names (who and where); readers of a list of
stories also want to know what happened.  News aggregators name a story after one of its
articles' headlines, and so does this step: of the member titles that read as headlines
(a title ending in a full stop, a first sentence taken for a title, only when no other does), the
one naming most of the label's names (the label's first name weighing most), then the one
whose words most other members' titles share (the headline the story's reports agree on),
then the earliest published, then the shortest, then the earliest-sorting document.  A story
whose members have no title that reads as a headline (no title, a URL, a whole first sentence
taken for a title) has none: the label alone names it.

The choice depends only on the story's label and its members' titles and dates, so every
engine (the local pipeline, Spark) and every route (a scan, ``index add`` in batches) that
makes the same story gives it the same headline.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from newstrace.stages.text import STOPWORDS
from newstrace.types import Story

__all__ = ["HEADLINE_MAX_CHARS", "HEADLINE_MAX_WORDS", "headline_like", "story_headline", "with_headlines"]

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
    """The weight of the label's names found in ``title`` as whole words (any case): the first
    of ``k`` names weighs ``k``, the last 1."""
    k, text = len(names), title.lower()
    return sum(k - i for i, name in enumerate(names) if _has_word(text, name.lower()))


def _has_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` with no word character on either side (what a regex
    ``(?<!\\w)word(?!\\w)`` finds, without compiling one pattern per name)."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not _is_word_char(text[at - 1])) and (end == len(text) or not _is_word_char(text[end])):
            return True
        at = text.find(word, at + 1)
    return False


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


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
    carried: Counter[str] = Counter()
    for doc_id, title, published in members:
        if title is None or not headline_like(title):
            continue
        text = _SPACE.sub(" ", title).strip()
        carried.update(_content_words(text))
        when = (published is None, published or "", doc_id)
        if text not in first or when < first[text]:
            first[text] = when
    if not first:
        return None

    def rank(text: str) -> tuple[bool, int, int, bool, str, int, str]:
        agreed = sum(carried[w] - 1 for w in _content_words(text))
        undated, published, doc_id = first[text]
        # a headline before a sentence taken for one; earliest published first, undated last
        return (_sentence(text), -_names_in(text, names), -agreed, undated, published, len(text), doc_id)

    return min(first, key=rank)


def with_headlines(stories: Sequence[Story], titles: Callable[[Sequence[str]], Mapping[str, tuple[str | None, str | None]]],
                   *, keep: Iterable[Story] = ()) -> list[Story]:
    """``stories`` with their headlines (:func:`story_headline`), in the same order.

    Args:
        stories: the stories to give headlines.
        titles: ``(title, published)`` of documents by id, asked once, for the documents of the
            stories that need a headline (the store's, or the documents at hand).
        keep: stories whose headline is made already (``index add`` of a large index: the
            stored stories it did not cluster again); one of ``stories`` equal to one of them is
            given back as it is.
    """
    made = set(keep)
    needed = sorted({d for s in stories if s not in made for d in s.documents})
    found = titles(needed) if needed else {}
    out = []
    for story in stories:
        if story not in made:
            members = [(d, *found.get(d, (None, None))) for d in story.documents]
            story = replace(story, headline=story_headline(story.label, members))
        out.append(story)
    return out
