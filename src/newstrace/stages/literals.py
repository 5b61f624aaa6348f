"""A literal screen in front of a case-insensitive pattern: search only texts that can match.

Python's ``re`` has no fast scan for a case-insensitive alternation: it tries every branch at
every position of the text.  The boilerplate rules and the rewrite signature run such patterns
(disclaimers) over every line and every document, where they almost never match; on BBC News
that was about 7% of preparing a document.  Every match of such a pattern holds one of a few
literals (each branch has one it cannot match without).  A text whose folded form holds none of
them is not searched: the answer (no match) is the one the search would give.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["ScreenedPattern", "fold"]

#: Characters that a case-insensitive pattern matches to an ASCII letter but that ``str.lower``
#: does not map to it (Python's ``re`` folds these together); ``tests/unit/test_literals.py``
#: checks every code point.
_FOLD = str.maketrans({"ı": "i", "İ": "i", "ſ": "s", "\u212a": "k"})


def fold(text: str) -> str:
    """``text`` in lower case, with the characters ``re.IGNORECASE`` takes for an ASCII letter
    mapped to it: a case-insensitive ASCII literal occurs in ``text`` only if it occurs, in
    lower case, in ``fold(text)``."""
    if "ı" in text or "İ" in text or "ſ" in text:
        return text.translate(_FOLD).lower()
    return text.lower()  # the same: str.lower maps the Kelvin sign to "k" (translate is slower)


@dataclass(frozen=True, slots=True)
class ScreenedPattern:
    """A compiled pattern and lower-case literals of which every match holds one (for each
    branch, a literal it cannot match without): :meth:`search` and :meth:`finditer` give the
    pattern's answers, and search only texts that hold one of the literals (:func:`fold`)."""

    pattern: re.Pattern[str]
    literals: tuple[str, ...]

    def possible(self, text: str, folded: str | None = None) -> bool:
        """Whether ``text`` holds one of the literals (if not, the pattern cannot match);
        ``folded``: ``fold(text)``, when the caller has it already."""
        folded = fold(text) if folded is None else folded
        return any(literal in folded for literal in self.literals)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.possible(text) else None

    def finditer(self, text: str, folded: str | None = None) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self.possible(text, folded) else iter(())
