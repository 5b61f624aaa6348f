"""Every threshold of the meaning-change analysis, in one frozen config, with where it comes from.

Provenance, honestly: the word-sense and alignment constants (``decisive`` ... ``quote_kept``)
were set when the stage was written, by reading the spun sample pair and hand-made cases of
tests/unit/test_changes.py; they are not fitted to a corpus.  ``context_cosine`` and the
iSTS mapping were set on the SemEval-2016 iSTS train split (see their docstrings); the
translation checks' thresholds (:class:`~newstrace.stages.changes.facts.FactConfig`) on the
unaltered PAN-PC-11 Spanish→English pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONFIG", "ChangesConfig"]


@dataclass(frozen=True, slots=True)
class ChangesConfig:
    """Thresholds of ``diff_passage``.

    Attributes:
        decisive: context evidence one sense needs over another to rule the other out (a
            synonym nearby scores ``syn_weight``, a matching noun class ``class_weight``).
        weak_cap: the most gloss overlap alone can score: below ``decisive``, so gloss words
            never decide a word-sense error on their own.
        syn_weight: evidence of a synonym of the sense within ``near`` tokens.
        gloss_weight: evidence per gloss or example word found in the sentence (capped at ``gloss_cap``).
        gloss_cap: most gloss words counted.
        class_weight: evidence of an adjective modifying a noun of the class its sense's examples qualify.
        max_senses: senses explored per word (the rarest senses of very polysemous words are not).
        near: tokens either side within which a synonym tells the sense ("weapons, arms and ammunition").
        unmatched_cost: sentence-pairing penalty per unmatched content word.
        pair_relatedness: WordNet relatedness above which a dropped and an added word far apart
            in the sentence are paired as one substitution.
        quote_kept: share of a quotation's words that must stay quoted for it to count as kept.
        context_cosine: see :mod:`newstrace.stages.changes.context_sense`.
    """

    decisive: float = 1.5
    weak_cap: float = 1.0
    syn_weight: float = 2.0
    gloss_weight: float = 1.0
    gloss_cap: float = 2.0
    class_weight: float = 1.5
    max_senses: int = 10
    near: int = 4
    unmatched_cost: float = 0.3
    pair_relatedness: float = 0.7
    quote_kept: float = 0.6
    context_cosine: float = 0.85

    def __post_init__(self) -> None:
        if not self.weak_cap < self.decisive:
            raise ValueError(f"weak_cap ({self.weak_cap}) must stay below decisive ({self.decisive})")
        if not 0.0 <= self.quote_kept <= 1.0:
            raise ValueError(f"quote_kept must be in [0, 1], got {self.quote_kept!r}")


CONFIG = ChangesConfig()
