"""Language per sentence: which sentence pairs are cross-language, and which texts are mixed.

The semantic aligner compares sentences in one language with an English model and across
languages with the multilingual one, so it needs the language of each sentence, not just of
the document (a translated article may keep quotes, titles or a paragraph in the original).
Identification is py3langid's (the same model and confidence floor as ingest's
``detect_language``); a sentence too short or too uncertain to tell gets ``None`` and
inherits the document's language in :func:`fill_languages`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from newstrace.stages.ingest import detect_language
from newstrace.types import Sentence

__all__ = ["document_language", "fill_languages", "is_mixed", "sentence_languages"]


def _span(s: Sentence | tuple[int, int]) -> tuple[int, int]:
    return (s.start, s.end) if isinstance(s, Sentence) else (int(s[0]), int(s[1]))


def sentence_languages(text: str, sentences: Sequence[Sentence | tuple[int, int]]) -> list[str | None]:
    """The ISO 639-1 code of each sentence of ``text``, or ``None`` where it cannot be told.

    Args:
        text: the text the sentences' offsets refer to.
        sentences: ``Sentence`` records or ``(start, end)`` spans.

    >>> text = "The council voted to extend the tram line. El consejo votó ampliar la línea de tranvía."
    >>> sentence_languages(text, [(0, 42), (43, len(text))])
    ['en', 'es']
    """
    out: list[str | None] = []
    for s in sentences:
        start, end = _span(s)
        out.append(detect_language(text[start:end]))
    return out


def document_language(languages: Sequence[str | None]) -> str | None:
    """The majority language of a document's sentences (``None`` if no sentence has one).

    Ties go to the language seen first.
    """
    counts = Counter(lang for lang in languages if lang)
    if not counts:
        return None
    best = max(counts.values())
    return next(lang for lang in languages if lang and counts[lang] == best)


def fill_languages(languages: Sequence[str | None], default: str | None = None) -> list[str | None]:
    """``languages`` with each ``None`` replaced by the document's language (or ``default``)."""
    doc = document_language(languages) or default
    return [lang or doc for lang in languages]


def is_mixed(text: str, sentences: Sequence[Sentence | tuple[int, int]], *, min_share: float = 0.2,
             min_sentences: int = 2, languages: Sequence[str | None] | None = None) -> bool:
    """Whether ``text`` has substantial parts in more than one language.

    True when a second language accounts for at least ``min_sentences`` sentences and
    ``min_share`` of the sentences whose language could be told (single misidentified
    sentences, a foreign name or quote, do not make a text mixed).

    Args:
        text: the text.
        sentences: its sentences (records or spans).
        min_share: the second language's minimum share of identified sentences.
        min_sentences: its minimum number of sentences.
        languages: already computed :func:`sentence_languages`, to avoid recomputing.
    """
    langs = list(languages) if languages is not None else sentence_languages(text, sentences)
    counts = Counter(lang for lang in langs if lang)
    if len(counts) < 2:
        return False
    total = sum(counts.values())
    second = counts.most_common(2)[1][1]
    return second >= min_sentences and second >= min_share * total
