"""Language-independent checks: figures, dates, names and quotations that a translation altered.

A translation cannot be diffed word by word, but some things must survive it unchanged:

* **numbers** written in digits (thousands separators of either convention normalised:
  ``1.500`` and ``1,500`` are both 1500, ``3,5`` and ``3.5`` both 3.5);
* **dates**: the month names of the languages in the lexicon file (``months_multilingual``)
  mapped to month numbers, and years (which are digit numbers);
* **names**: capitalised words that are not the first of a sentence, compared after
  transliteration (accents stripped, ``Müller`` = ``Muller``) and with a shared stem
  (``Vicente``/``Vicent``); a target word WordNet knows as a common word (``Duchess``,
  ``God``) is a translated noun, not a name to check;
* **quotations**: the number of quoted stretches on each side.

Each difference becomes a :class:`~newstrace.types.Change` with offsets in both texts (an
empty span at the passage start on the side that lacks it).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from newstrace.stages.changes.lexicon import _LEX, _MONTHS
from newstrace.stages.changes.resources import _sense_ids, wordnet
from newstrace.stages.changes.tokens import _quote_regions
from newstrace.stages.matching import SequenceMatcher
from newstrace.stages.text import STOPWORDS
from newstrace.types import Change

__all__ = ["FactConfig", "fact_changes"]


@dataclass(frozen=True, slots=True)
class FactConfig:
    """Thresholds of the language-independent checks.

    Attributes:
        name_stem: letters two names must share at the start (or all but the last letter of the
            shorter) to be one name across languages (``Mallorca``/``Mallorcan``, ``Clapés``/``Clapp``).
        cognate: ``difflib`` ratio above which two names are one name in two languages
            (``Caesars``/``Césares`` 0.86, ``Tony``/``Toni`` 0.75); set on the unaltered
            PAN-PC-11 pairs, where names are only ever rendered, never changed.
        min_name: shortest word taken as a name (initials and ``I`` are not).
        quotes: whether a different number of quotations is a change.  Off by default: on the
            35 unaltered PAN-PC-11 Spanish→English pairs it flags 8 (13 have quotations at all),
            because translation renders Spanish dialogue dashes and « » as quotation marks.
    """

    name_stem: int = 5
    cognate: float = 0.75
    min_name: int = 3
    quotes: bool = False


_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_NAME_RE = re.compile(r"\b[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*", re.UNICODE)
_SENT_END = re.compile(r"[.!?:;«»\"“”—–-]\s*$|^\s*$")


def _fold(word: str) -> str:
    """Lower case without accents: a transliteration good enough for Latin-script names."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


_MONTH_NAMES: dict[str, int] = {
    _fold(m): i + 1 for months in [_LEX["months"], *_LEX["months_multilingual"].values()]
    for i, m in enumerate(months)
}


def _number(text: str) -> str:
    """Canonical value of a digit number, either separator convention."""
    parts = re.split(r"[.,]", text)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        return str(int("".join(parts)))  # thousands groups: 1.500 / 1,500 / 1,000,000
    if len(parts) == 2:
        return f"{float(parts[0] + '.' + parts[1]):g}"  # a decimal: 3,5 / 3.5
    return text


@dataclass(frozen=True, slots=True)
class _Fact:
    kind: str  # "number", "date" or "entity"
    value: str
    start: int
    end: int
    text: str


def _facts(text: str) -> list[_Fact]:
    out = [_Fact("number", _number(m.group()), m.start(), m.end(), m.group()) for m in _NUMBER_RE.finditer(text)]
    for m in _NAME_RE.finditer(text):
        w = m.group()
        folded = _fold(w)
        if folded in _MONTH_NAMES and (w[:1].isupper() or folded not in _MONTHS or len(folded) > 4):
            out.append(_Fact("date", f"month {_MONTH_NAMES[folded]}", m.start(), m.end(), w))
            continue
        if not w[:1].isupper() or len(w) < 3 or (w.isupper() and len(w) < 2):
            continue
        if _SENT_END.search(text[max(0, m.start() - 3):m.start()]) or m.start() == 0:
            continue  # a sentence's first word is capitalised anyway
        out.append(_Fact("entity", folded, m.start(), m.end(), w))
    return out


def _checkable(word: str) -> bool:
    """Whether a capitalised word is a name worth checking (not a function or common word, not
    a contraction, not a heading in capitals)."""
    w = re.sub(r"['’]s$", "", word)
    if "'" in w or "’" in w or (w.isupper() and len(w) > 5) or len(w) < 3:
        return False
    parts = [x for x in re.split(r"-", w) if x]
    if any(len(x) < 2 for x in parts):
        return False
    return not all(x.lower() in STOPWORDS or _common_word(x) for x in parts)


def _common_word(word: str) -> bool:
    """Whether WordNet knows the word (or its base form) as a common word ("Doctors", "God")."""
    wn = wordnet()
    if wn is None:
        return False
    w = word.lower()
    if _sense_ids(w):
        return True
    return any(bool(_sense_ids(str(b))) for pos in ("n", "a") for b in (wn._morphy(w, pos) or ()))


def _word_forms(text: str) -> frozenset[str]:
    """Every word of a text, folded (names are matched against all words: a Spanish demonym or
    a name at the start of a sentence is not capitalised or not taken as a name)."""
    return frozenset(_fold(m.group()) for m in _NAME_RE.finditer(text) if len(m.group()) >= 3)


@lru_cache(maxsize=65536)
def _similar(a: str, b: str, stem: int, ratio: float) -> bool:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    if n >= min(stem, len(a) - 1, len(b) - 1):
        return True
    return SequenceMatcher(None, a, b).ratio() >= ratio


def _has_form(name: str, words: frozenset[str], cfg: FactConfig) -> bool:
    """Whether a folded name has a transliteration or cognate among the other side's words."""
    name = re.sub(r"['’]s$", "", name)
    return name in words or any(_similar(name, w, cfg.name_stem, cfg.cognate) for w in words)


def fact_changes(source_text: str, target_text: str, *, source_offset: int = 0, target_offset: int = 0,
                 config: FactConfig | None = None) -> list[Change]:
    """Numbers, dates, names and quotations that differ between a passage and its translation.

    Args:
        source_text: the source passage, in any language written in Latin script.
        target_text: its translation.
        source_offset: position of the source passage in its document (spans are absolute).
        target_offset: position of the target passage in its document.
        config: thresholds (defaults: :class:`FactConfig`).

    Returns:
        One ``meaning`` change per figure, date or name on one side without its counterpart on
        the other (a changed value pairs the two sides when both have one left over).
    """
    cfg = config or FactConfig()
    src, tgt = _facts(source_text), _facts(target_text)
    changes: list[Change] = []
    so, to = source_offset, target_offset

    def add(kind: str, a: _Fact | None, b: _Fact | None, why: str) -> None:
        ss = (a.start, a.end) if a else (0, 0)
        ts = (b.start, b.end) if b else (0, 0)
        changes.append(Change(kind, "meaning", (so + ss[0], so + ss[1]), (to + ts[0], to + ts[1]),
                              source_text[ss[0]:ss[1]], target_text[ts[0]:ts[1]], why))

    for kind in ("number", "date"):
        a_vals = Counter(f.value for f in src if f.kind == kind)
        b_vals = Counter(f.value for f in tgt if f.kind == kind)
        lost = [f for f in src if f.kind == kind and (a_vals - b_vals)[f.value] > 0]
        new = [f for f in tgt if f.kind == kind and (b_vals - a_vals)[f.value] > 0]
        lost = _first_each(lost, a_vals - b_vals)
        new = _first_each(new, b_vals - a_vals)
        what = "number" if kind == "number" else "date"
        for a, b in zip(lost, new, strict=False):
            add("number", a, b, f"{what} changed in translation: {a.text} → {b.text}")
        for a in lost[len(new):]:
            add("number", a, None, f"{what} {a.text} dropped in translation")
        for b in new[len(lost):]:
            add("number", None, b, f"{what} {b.text} added in translation: the source does not have it")
    src_words = _word_forms(source_text)
    tgt_words = _word_forms(target_text)
    new_names = [f for f in tgt if f.kind == "entity" and _checkable(f.text) and not _has_form(f.value, src_words, cfg)]
    lost_names = [f for f in src if f.kind == "entity" and _checkable(f.text) and not _has_form(f.value, tgt_words, cfg)]
    for b in new_names:
        # the source name it replaced: the unmatched one at the nearest relative position
        rel = b.start / max(1, len(target_text))
        old = min(lost_names, key=lambda a: abs(a.start / max(1, len(source_text)) - rel), default=None)
        if old is not None:
            lost_names.remove(old)
            add("entity", old, b, f"'{old.text}' rendered as '{b.text}': a different name")
        else:
            add("entity", None, b, f"'{b.text}' added in translation: a name the source does not mention")
    if cfg.quotes:
        qa, qb = _quote_regions(source_text), _quote_regions(target_text)
        if len(qa) != len(qb):
            add("quote", None, None, f"{len(qa)} quotation(s) in the source, {len(qb)} in the translation")
    changes.sort(key=lambda c: (c.target_span, c.source_span))
    return changes


def _first_each(facts: list[_Fact], excess: Counter[str]) -> list[_Fact]:
    """The last ``excess[v]`` facts of each value (the extra occurrences)."""
    left = Counter(excess)
    out = []
    for f in reversed(facts):
        if left[f.value] > 0:
            out.append(f)
            left[f.value] -= 1
    return sorted(out, key=lambda f: f.start)
