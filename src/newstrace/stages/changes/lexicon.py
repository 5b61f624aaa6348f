"""General English word lists of the meaning checks, read from ``resources/changes_lexicon_en.json``.

The lists live in a data file so that they can be reviewed and extended without touching code;
nothing in them is specific to any article.  They are read once, at import.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from newstrace.stages.text import STOPWORDS

__all__ = ["load_lexicon"]

_LEXICON_FILE = "changes_lexicon_en.json"


def load_lexicon(name: str = _LEXICON_FILE) -> dict[str, Any]:
    """The parsed lexicon file shipped in ``newstrace/resources``."""
    with resources.files("newstrace").joinpath("resources", name).open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


_LEX = load_lexicon()

_NEGATORS = frozenset(_LEX["negators"])
_NEGATIVE_PREDICATES = frozenset(_LEX["negative_predicates"])
# Certainty of a qualifier: below 0 hedges, above 0 boosts.
_HEDGES: dict[str, int] = {str(k): int(v) for k, v in _LEX["hedges"].items()}
_BOOST_NOUNS = frozenset(_LEX["boost_nouns"])  # "in fact", "in reality"
_ATTRIB_NEUTRAL = frozenset(_LEX["attribution_neutral"])
_ATTRIB_DOUBT = frozenset(_LEX["attribution_doubt"])
_ATTRIB_WORDS = tuple(_LEX["attribution_words"])
_LIGHT_VERBS = frozenset(_LEX["light_verbs"])
_FUNCTION = STOPWORDS | frozenset(_LEX["function_words"])

_NUMBER_WORDS: dict[str, float] = {str(k): v for k, v in _LEX["number_words"].items()}
_SCALES: dict[str, int] = {str(k): int(v) for k, v in _LEX["scales"].items()}
_MONTHS = {m: i + 1 for i, m in enumerate(_LEX["months"])}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = {d: i + 1 for i, d in enumerate(_LEX["weekdays"])}
_RELATIVE_DAYS = frozenset(_LEX["relative_days"])
_TITLES = frozenset(_LEX["titles"])
_ORDINALS = {w: i + 1 for i, w in enumerate(_LEX["ordinals"])}
_BEFORE_PRONOUN_ONE = frozenset(_LEX["before_pronoun_one"])
# Multi-word connectives: function words even though some of their words carry content alone.
_CONNECTIVES = tuple(tuple(p.split()) for p in _LEX["connectives"])

_DIGITS_RE = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?$")
_NAME_LABELS = frozenset("PERSON NORP GPE ORG LOC FAC".split())
_CONTENT_POS = frozenset("NOUN PROPN VERB ADJ ADV NUM X".split())
_QUOTE_CHARS = '"“”„«»'
