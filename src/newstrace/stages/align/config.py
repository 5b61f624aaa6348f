"""The aligner's settings, with the sweeps that calibrated them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CONFIG", "AlignConfig"]


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Aligner settings.  Defaults calibrated on PAN 2013 training (see docs/calibration.md).

    Every figure named below is plagdet on the whole PAN 2013 training corpus (5,185 pairs).
    """

    # Seeds: sentence pairs with TF-ISF cosine and Dice of stemmed content words above these
    # (SP14's 0.33; a sweep of 0.25-0.33 traded precision for recall one for one on 03/04).
    seed_cosine: float = 0.33
    seed_dice: float = 0.33
    # Clustering gap in sentences (SP14's 4; 5 gave -0.001 on 02-04).
    max_gap: int = 4
    summary_max_gap: int = 24
    # Passage cosine a cluster must reach, else it is re-clustered with a smaller gap (SP14).
    validation: float = 0.34
    # Passages shorter than this on either side are dropped (PAN cases are >= ~150 chars).
    min_chars: int = 150
    # A summary condenses: its source is at least this many times longer than it.
    summary_ratio: float = 3.0
    # Seed kept only if >= this share of the best seed of both its sentences.
    seed_relative: float = 0.5
    trim_ngram: int = 3
    trim_min_shared: float = 0.5
    # Rewritten (non-copy) passages: from each edge sentence, on both sides, the leading
    # (trailing) content words are cut while their share found in the other side's passage
    # stays below ``edge_cut`` x the passage's own share (0 = off).  Swept 0.3-0.7 on 03/04
    # (0.5: 03 +0.005, 04 +0.010; source side only: +0.003 each).
    edge_cut: float = 0.5
    # A fragment resting on a single sentence pair must reach this passage cosine, else it
    # needs weak neighbours (below).  0.45: 02 +0.009, 04 +0.008, 05 +0.011, caseless detections 16 -> 10.
    single_validation: float = 0.45
    # Hysteresis (``_grow``): a fragment too small or too weakly supported is grown by weak
    # seeds (cosine and Dice >= ``grow_cosine``/``grow_dice``) within ``grow_gap`` sentences
    # and kept if it then has >= 2 supporting pairs, ``min_chars`` and a passage cosine
    # >= ``grow_validation``.  0.2/0.2/2/0.4 keep caseless detections down; 0.15/0.15 added
    # detections on class 01.  0 = off.
    grow_cosine: float = 0.2
    grow_dice: float = 0.2
    grow_gap: int = 2
    grow_validation: float = 0.4
    # SP14's wide-gap summary switch.  Off: on PAN 2013 train it mistook verbatim and
    # obfuscated pairs with a few far seeds for summaries (02 -0.007, 03 -0.012, 04 -0.010);
    # the document-level summary test below replaces it.
    adaptive: bool = False
    # Document-level summary test (see ``_summaries``).  Target windows of ``summary_window``
    # chars (PAN summaries are ~600) whose terms are mostly found in the source
    # (``summary_coverage``) and whose cosine with the whole source is high (``summary_cosine``)
    # form candidate regions; the thresholds are the 5th percentile of true summary windows of
    # class 05 (all 238 cases), where unrelated pairs (the 947 caseless 05 pairs, class 01)
    # reach them in < 0.5% of pairs.
    summary_window: int = 500
    summary_cosine: float = 0.25
    summary_coverage: float = 0.6
    # A region is a summary only if (a) the best source window twice its length holds at most
    # this share of the region's terms found in the whole source (local reuse holds ~all), and
    # (b) it is closer to the source than to the rest of its own text by this margin (a
    # paragraph on the same topic is as close to its own text).  Swept on all regions found
    # on PAN 2013 train (0.7-0.9 x 0-0.15): 0.85/0.15 keeps 171/218 summaries, 68 false.
    summary_local: float = 0.85
    summary_host: float = 0.15
    # Copies: a fragment whose word 3-grams are >= ``copy_shared`` shared is verbatim; its
    # bounds are then the runs of >= ``copy_block`` identical words (02: 0.938 -> 0.957;
    # copy_shared 0.5 cut obfuscated passages of 03: -0.008).
    copy_block: int = 4
    copy_shared: float = 0.8
    # Sentence embeddings (used only when the caller gives an encoder or sentence vectors;
    # cosines of MiniLM-L3 paraphrase vectors).  Swept on PAN 2013 train class 04 with every
    # other class checked (docs/calibration.md, "Meaning in the aligner"):
    # * ``semantic_grow``: a pair this close is weak evidence for the hysteresis (0.45-0.6).
    # * ``semantic_edge``: a passage takes the sentence pair just before / after it while the
    #   pair is this close (0.4-0.7; 04 +0.008 alone).
    # * ``semantic_chain``: pairs that are each other's best match and continue a run of
    #   consecutive pairs this close are seeds (0.5-0.8; pairs alone at 0.7 cost precision).
    # * ``semantic_local*``: a would-be summary region is local reuse when region sentences
    #   with a source sentence this close chain in step over >= ``semantic_local_share`` of
    #   it and the chains' source text is <= ``semantic_local_ratio`` x their target text.
    semantic_grow: float = 0.5
    semantic_edge: float = 0.5
    semantic_chain: float = 0.5
    semantic_local: float = 0.6
    semantic_local_ratio: float = 1.5
    semantic_local_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("seed_cosine", "seed_dice", "validation", "seed_relative", "trim_min_shared",
                     "summary_cosine", "summary_coverage", "summary_local", "summary_host",
                     "copy_shared", "edge_cut", "single_validation", "grow_cosine", "grow_dice",
                     "grow_validation", "semantic_grow", "semantic_edge", "semantic_chain", "semantic_local"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"AlignConfig.{name} must be in [0, 1], got {value!r}")
        if (self.max_gap < 0 or self.summary_max_gap < 0 or self.min_chars < 0 or self.trim_ngram < 0
                or self.copy_block < 0 or self.summary_window < 0 or self.grow_gap < 0):
            raise ValueError("AlignConfig gaps, sizes and min_chars must be non-negative")
        if self.summary_ratio < 1.0:
            raise ValueError(f"AlignConfig.summary_ratio must be >= 1, got {self.summary_ratio!r}")


DEFAULT_CONFIG = AlignConfig()
