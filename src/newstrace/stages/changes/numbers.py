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
        elif w in _SUFFIX_SCALE and seen:  # a suffix split off its digits: "1.4" "m"
            total += current * _SUFFIX_SCALE[w]
            current = 0
        elif w in ("and", "a", "-", "‐", "–"):
            continue
        else:
            return None
    if not seen:
        return None
    value = round(total + current, 6)  # 1.15 * 1e6 is 1150000.0000000002
    return f"{value:.6g}" if value != int(value) else str(int(value))


# Race distances in metres: "the 60m hurdles", "a 400m title" are not millions.
_RACE_METRES = frozenset({50, 60, 100, 110, 200, 300, 400, 800, 1000, 1500, 3000, 5000, 10000})
_CURRENCY = frozenset("£$€¥")


def _scale_suffix(toks: Sequence[_Tok], i: int, j: int) -> bool:
    """Whether ``toks[j]`` is a scale suffix written against the digits ``toks[i:j]`` end with
    ("1.4m", "£2bn", "700k", which spaCy splits in two): the number is then in millions,
    billions or thousands, the same as "1.4 million".  A suffix after a space is not one ("1.4 m"
    is a length), nor is "m" after a whole race distance without a currency sign ("60m hurdles").
    """
    if j >= len(toks) or j == i or toks[j].start != toks[j - 1].end or not _DIGITS_RE.match(toks[j - 1].text):
        return False
    suffix = toks[j].lower
    if suffix not in _SUFFIX_SCALE:
        return False
    if suffix == "m" and not (i > 0 and toks[i - 1].text in _CURRENCY):
        digits = toks[j - 1].text.replace(",", "")
        if digits.isdigit() and int(digits) in _RACE_METRES:
            return False
    return True


def _is_number_word(t: _Tok) -> bool:
    if _DIGITS_RE.match(t.text) or _SUFFIXED_RE.match(t.text):
        return True
    if t.lower in _NUMBER_WORDS or t.lower in _SCALES:
        return t.pos in ("NUM", "X", "") or t.lower in _SCALES  # not the pronoun "one"
    return False


_ORDINAL_RE = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
