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


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language of ``text``, or None when it cannot be told.

    Very short text (fewer than 20 letters), a low-confidence guess, or a label that is
    not a two-letter language code (py3langid also has ``zxx``, no linguistic content)
    give None, so callers fall back knowingly instead of trusting a guess.

    >>> detect_language("The council voted on Tuesday to extend the tram line.")
    'en'
    """
    sample = text[:_LANG_MAX_CHARS]
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

