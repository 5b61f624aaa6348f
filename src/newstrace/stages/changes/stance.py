"""Context checks a thesaurus misses: a reversed stance and a dropped status qualifier.

* **Stance**: WordNet does not call "shelved" and "maintained", or "upheld" and "overturned",
  antonyms, yet swapping one for the other reverses the claim.  The lexicon file's
  ``stance_groups`` lists, per kind of claim, the verbs on each side ("keep or end",
  "approve or reject", "rise or fall"...): a substitute taken from the other side of the same
  group is a ``polarity`` change.
* **Status qualifiers** ("breakaway", "self-declared", "so-called", "interim"): words that say
  a name's status is contested or temporary.  Dropping or adding one changes what the text
  asserts about the thing named, however small the word: a ``hedge`` change.
"""

from __future__ import annotations

from collections.abc import Sequence

from newstrace.stages.changes.lexicon import _LEX
from newstrace.stages.changes.records import _Tok

__all__ = ["STANCE_GROUPS", "STATUS_QUALIFIERS", "stance_reversal", "status_words"]

#: group name -> (one side's lemmas, the other side's lemmas)
STANCE_GROUPS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    name: (frozenset(sides[0]), frozenset(sides[1])) for name, sides in _LEX["stance_groups"].items()
}
STATUS_QUALIFIERS = frozenset(_LEX["status_qualifiers"])


def stance_reversal(a: str, b: str) -> str | None:
    """The stance group in which lemma ``b`` takes the other side from lemma ``a``, if any.

    >>> stance_reversal("shelve", "maintain")
    'keep or end'
    >>> stance_reversal("approve", "endorse") is None
    True
    """
    for name, (yes, no) in STANCE_GROUPS.items():
        if (a in yes and b in no and a not in no and b not in yes) or (
                a in no and b in yes and a not in yes and b not in no):
            return name
    return None


def status_words(toks: Sequence[_Tok]) -> list[_Tok]:
    """The status qualifiers among the tokens ("self-declared", "breakaway")."""
    return [t for t in toks if t.lower in STATUS_QUALIFIERS or t.lemma in STATUS_QUALIFIERS]
