"""difflib's ``SequenceMatcher``, compiled.

``cydifflib`` is difflib's own algorithm built with Cython: the same matching blocks, opcodes
and ratios (``tests/robustness/test_properties.py`` compares them), about 7x faster on the word
lists of two copies of a news article (0.82 → 0.11 ms a BBC article and its variant).  The
relation's word-sequence similarity and the change analysis's token alignment run it on every
related pair.  Type checkers see difflib's class, which it mirrors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from difflib import SequenceMatcher
else:
    from cydifflib import SequenceMatcher

__all__ = ["SequenceMatcher"]
