"""Relation thresholds, each with where it comes from (docs/calibration.md)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CONFIG", "RelateConfig"]


@dataclass(frozen=True, slots=True)
class RelateConfig:
    """Thresholds of the relate step.

    Attributes:
        min_target_chars: aligned target text below this is no relation (a shared quote or
            dateline); set on the sample articles and BBC News.
        min_similarity: lexical passages below this similarity are dropped (BBC News).
        verbatim_copy: share of aligned target words in shared word 5-grams for ``verbatim``.
        near_duplicate_copy: ... for ``near-duplicate``; a spinner replacing a quarter of the
            words leaves about a quarter of the 5-grams intact, so 0.3 separates the two.
        spun_sequence: word-sequence similarity a copy below ``near_duplicate_copy`` must keep
            to be typed ``spun`` (with spinner evidence; otherwise ``near-duplicate``).
        summary_ratio: aligned source text this many times the target's makes a ``summary``.
        containment_gap: coverage difference at which a relation's note says which text
            holds the other (no order is drawn from it: ``orient.decide_direction``).
        sentence_dice, min_sentence_share, sentence_min_terms: the copy test of
            ``lexical.sentence_share``: on BBC News the share is at most 0.38 for pairs sharing
            under a tenth of their 5-grams and at least 0.48 for pairs where one contains half
            of the other (docs/calibration.md).
        screen_sentence_share: the aligner runs on a pair only when at least this share of
            the shorter text's sentences hold half of a sentence of the other text, or are held
            by one (``lexical.passes_sentence_screen``): half of ``min_sentence_share``, so
            that a copy whose matching sentences are partly passage-edge pieces still passes.
            On BBC News, ECB+ and a PAN sample no relation fails it, and 69%, 25% and 60% of
            the pairs that give none do (docs/calibration.md).  0 turns the screen off.
        summary_min_source_coverage: a semantic summary must cover this much of its source
            (BBC News: the one false summary, a headline echoing another story, covered 13%).
    """

    min_target_chars: int = 150
    min_similarity: float = 0.3
    verbatim_copy: float = 0.95
    near_duplicate_copy: float = 0.3
    spun_sequence: float = 0.3
    summary_ratio: float = 2.5
    containment_gap: float = 0.25
    sentence_dice: float = 0.5
    min_sentence_share: float = 0.42
    sentence_min_terms: int = 4
    screen_sentence_share: float = 0.21
    summary_min_source_coverage: float = 0.3

    def __post_init__(self) -> None:
        if not 0 <= self.near_duplicate_copy <= self.verbatim_copy <= 1:
            raise ValueError("need 0 <= near_duplicate_copy <= verbatim_copy <= 1")


DEFAULT_CONFIG = RelateConfig()
