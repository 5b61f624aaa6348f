"""The records the analysis passes between its steps: tokens, alignment units, sentence groups,
contexts, WordNet links and verdicts, plus the change kinds and small helpers over tokens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["harmless", "meaning"]

MEANING_KINDS = ("entity", "number", "quote", "attribution", "polarity", "hedge", "word-sense",
                 "omission", "addition")


HARMLESS_KINDS = ("synonym", "rewording")


@dataclass(slots=True)
class _Tok:
    text: str
    start: int  # offsets in the passage
    end: int
    lower: str
    lemma: str
    pos: str
    ent: str
    sent: int = -1
    key: str = ""
    num: str | None = None
    name: bool = False
    content: bool = False
    quoted: bool = False
    quote_unknown: bool = False  # its quotation marks cannot be paired: quoted or not is unknown
    initial: bool = False  # first word of a sentence or line
    tense: str = ""  # spaCy's morphological Tense of a verb ("Past", "Pres"), else ""
    reports: bool = True  # an attribution verb that introduces what was said (not "announced his plans")
    negates: bool = False  # a denial verb taking a clause ("denied that …", "denies being …"): a negation


@dataclass(frozen=True, slots=True)
class _Link:
    strength: float
    start: Any  # the sense of the source word the link leaves from
    end: Any  # a sense of the substitute
    via: Any | None  # intermediate synset of a two-step link
    rel: str


@dataclass(frozen=True, slots=True)
class _Context:
    stems: frozenset[str]  # content words of the sentence
    head_classes: frozenset[str]  # classes of the noun an adjective modifies (persons, groups)
    slot: str  # part of speech the word's position calls for in the target ("n", "a" or "")
    near: frozenset[str] = frozenset()  # content words within a few tokens (a list, a phrase)




@dataclass(frozen=True, slots=True)
class _Verdict:
    kind: str
    severity: Severity
    explanation: str


@dataclass(slots=True)
class _Unit:
    src: list[int] = field(default_factory=list)  # token indices into the group's lists
    tgt: list[int] = field(default_factory=list)
    pair: tuple[int, int] | None = None  # the content word pair it was built on
    at_src: int = 0  # insertion points (passage offsets) when one side is empty
    at_tgt: int = 0
    tight: bool = False  # the pair filled a short gap between matched words: a clean substitution
    rephrase: bool = False  # part of a clause that moved and was reworded


@dataclass(slots=True)
class _Group:
    S: list[_Tok]
    T: list[_Tok]
    src_text: str
    tgt_text: str
    neg_equal: bool
    hedge_equal: bool
    attrib_equal: bool
    ctx: frozenset[str]
    src_names: Counter[str]
    tgt_names: Counter[str]
    src_words: frozenset[str] = frozenset()  # lower-cased words of each side
    tgt_words: frozenset[str] = frozenset()
    equivalent: frozenset[str] = frozenset()  # name keys matched by an acronym on the other side
    # whether each side attributes what it says somewhere in the group (qualifiers._attributes)
    src_attributed: bool = False
    tgt_attributed: bool = False
    # the words of each whole document as written (case kept), when the caller gives the
    # documents: a name left out of this sentence but named elsewhere is not lost (empty: unknown)
    src_doc_words: frozenset[str] = frozenset()
    tgt_doc_words: frozenset[str] = frozenset()


# Adjectives take distinct senses with nouns for people and organisations ("nominal head",
# "nominal fee"): the class of the modified noun is evidence only for these classes.
_PEOPLE_CLASSES = frozenset({"noun.person", "noun.group"})


def _stretch(toks: Sequence[_Tok], text: str) -> str:
    """The text from the first to the last token (with what lies between), or the words alone."""
    if not toks:
        return ""
    s, e = min(t.start for t in toks), max(t.end for t in toks)
    return " ".join(text[s:e].split()) if e - s <= 60 else _texts(toks)


def _texts(toks: Sequence[_Tok]) -> str:
    return " ".join(t.text for t in toks)


def _span(toks: Sequence[_Tok], at: int) -> tuple[int, int]:
    if not toks:
        return (at, at)
    return (min(t.start for t in toks), max(t.end for t in toks))


def _by_sentence(toks: list[_Tok]) -> list[list[_Tok]]:
    n = max((t.sent for t in toks), default=-1) + 1
    groups: list[list[_Tok]] = [[] for _ in range(n)]
    for t in toks:
        groups[t.sent].append(t)
    return groups


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shared_prefix(a: str, b: str) -> int:
    """Length of the common prefix of two words (one word in another form: "deploy" / "deployed")."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
