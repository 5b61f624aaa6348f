"""Numbers written in digits and/or words, parsed to one canonical value ("two thousand" = "2,000").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newstrace.stages.changes.lexicon import (
    _DIGITS_RE,
    _NUMBER_WORDS,
    _SCALES,
)
from newstrace.stages.changes.records import _Tok

# Digits with a scale suffix, as headlines write them: "38bn", "38b", "2.5m", "700k".
_SUFFIXED_RE = re.compile(r"^(\d+(?:\.\d+)?)(bn|b|mn|m|k)$", re.IGNORECASE)
_SUFFIX_SCALE = {"bn": 1e9, "b": 1e9, "mn": 1e6, "m": 1e6, "k": 1e3}


def _number_value(words: Sequence[str]) -> str | None:
    """Canonical value of a number written in digits and/or words ("two thousand" → "2000")."""
    total, current, seen = 0.0, 0.0, False
    for w in words:
        w = w.lower()
        suffixed = _SUFFIXED_RE.match(w)
        if suffixed:
            current += float(suffixed.group(1)) * _SUFFIX_SCALE[suffixed.group(2).lower()]
            seen = True
        elif _DIGITS_RE.match(w):
            current += float(w.replace(",", ""))
            seen = True
        elif w in _NUMBER_WORDS:
            current += _NUMBER_WORDS[w]
            seen = True
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALES:
            total += (current or 1) * _SCALES[w]
            current = 0
        elif w in ("and", "a", "-", "‐", "–"):
            continue
        else:
            return None
    if not seen:
        return None
    value = total + current
    return f"{value:.6g}" if value != int(value) else str(int(value))


def _is_number_word(t: _Tok) -> bool:
    if _DIGITS_RE.match(t.text) or _SUFFIXED_RE.match(t.text):
        return True
    if t.lower in _NUMBER_WORDS or t.lower in _SCALES:
        return t.pos in ("NUM", "X", "") or t.lower in _SCALES  # not the pronoun "one"
    return False


_ORDINAL_RE = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
