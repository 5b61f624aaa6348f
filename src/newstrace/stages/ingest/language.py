"""Language identification (py3langid), loaded once per process on first use."""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["detect_language", "load_language_model"]

# probability below the floor (uniform over ~100 labels is 0.01) is no answer either.
# Calibrated on one-line samples: "Hello there" scores 0.34 for Sesotho, a single
# English or Spanish sentence scores above 0.9.
_LANG_MIN_LETTERS = 20
_LANG_MIN_CONFIDENCE = 0.25
_LANG_MAX_CHARS = 20_000
# py3langid walks its automaton over every byte in Python (about 0.4 µs a byte): a text longer
# than _LANG_SAMPLE_CHARS is identified from three windows of _LANG_WINDOW characters (its
# start, middle and end, so a boilerplate header or a quoted passage cannot decide alone).
# Measured against the whole text (up to _LANG_MAX_CHARS) with samples of 1,000 to 3,000
# characters: the same language for every BBC article (2,225, en), 400 PAN 2013 source and
# suspicious documents (en), the five seed articles and the 70 PAN-PC-11 fragments (35 es,
# 35 en); on BBC it halves the time of the call, on PAN (5,900 characters on average) a fifth.
_LANG_SAMPLE_CHARS = 1_500
_LANG_WINDOW = 500


@cache
def _identifier() -> Any:
    """py3langid's model, loaded once per process on first use (about a second), never at import."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_language_model() -> None:
    """Load the model now, if not yet loaded in this process.

    A process pool started afterwards by fork (the local executor's, on Linux) shares this
    copy instead of each worker reading and decompressing its own (about 1 CPU second each).
    """
    _identifier()


def _sample(text: str) -> str:
    """The part of ``text`` the language is identified from (``_LANG_SAMPLE_CHARS``)."""
    if len(text) <= _LANG_SAMPLE_CHARS:
        return text
    text = text[:_LANG_MAX_CHARS]
    parts = []
    for start in (0, (len(text) - _LANG_WINDOW) // 2, len(text) - _LANG_WINDOW):
        if start:  # from the next word on, not from inside one
            space = text.find(" ", start, start + 50)
            start = space + 1 if space >= 0 else start
        parts.append(text[start : start + _LANG_WINDOW])
    return "\n".join(parts)


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language of ``text``, or None when it cannot be told.

    Very short text (fewer than 20 letters), a low-confidence guess, or a label that is
    not a two-letter language code (py3langid also has ``zxx``, no linguistic content)
    give None, so callers fall back knowingly instead of trusting a guess.

    >>> detect_language("The council voted on Tuesday to extend the tram line.")
    'en'
    """
    sample = _sample(text)
    letters = 0
    for ch in sample:  # stops at the 20th letter: counting every one cost a third of the call
        if ch.isalpha():
            letters += 1
            if letters >= _LANG_MIN_LETTERS:
                break
    else:
        return None
    lang, confidence = _identifier().classify(sample)
    if confidence < _LANG_MIN_CONFIDENCE or len(lang) != 2 or not lang.isalpha():
        return None
    return str(lang)

