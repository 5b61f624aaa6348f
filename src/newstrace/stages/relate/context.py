"""What a pair needs beyond its two documents: sentence vectors or an encoder, the collection
backgrounds of a cross-language pair, the settings, and whether to compute meaning changes.

The pipeline builds one context per candidate pair (``newstrace.stages.vectors.pair_context``);
``compare``, ``trace`` and the PAN runner build theirs the same way, so every command relates
a pair on the same evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from newstrace.stages.align import AlignConfig
from newstrace.stages.relate.config import DEFAULT_CONFIG, RelateConfig
from newstrace.stages.semantic import SemanticConfig

__all__ = ["ENGLISH_MODEL", "MULTILINGUAL_MODEL", "Encoder", "RelateContext", "RelateSettings"]

#: The English paraphrase model: MSRP 10-fold CV 0.757 accuracy, ~10x faster than e5
#: (docs/calibration.md).  The lexical aligner's meaning channels were swept on its cosines.
ENGLISH_MODEL = "minilm-l3"
#: The only packaged model that matches translations to their source.
MULTILINGUAL_MODEL = "e5-small"

Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class RelateSettings:
    """The settings of the three relate steps (``None``: the calibrated defaults)."""

    relate: RelateConfig = DEFAULT_CONFIG
    align: AlignConfig | None = None
    semantic: SemanticConfig | None = None


@dataclass(frozen=True, slots=True)
class RelateContext:
    """Evidence and settings for relating one pair ``(a, b)``.

    Attributes:
        vectors: the sentence vectors of ``a`` and ``b`` (one row per sentence of
            ``split_sentences(doc.text)``), from one embedder: the English model for an
            English pair, the multilingual one for a cross-language pair.
        model: the name of that embedder.  English vectors also feed the lexical aligner's
            meaning channels (as ``encoder`` does).
        encoder: computes English sentence vectors on demand when ``vectors`` are not given
            (the PAN runner); never pickled to a worker.
        backgrounds: for a cross-language pair, the two documents' sentence backgrounds in the
            collection (``newstrace.stages.vectors.translation_backgrounds``).
        changes: annotate every same-language passage with what the rewrite changed.
        settings: thresholds.
    """

    vectors: tuple[np.ndarray, np.ndarray] | None = None
    model: str | None = None
    encoder: Encoder | None = None
    backgrounds: tuple[np.ndarray, np.ndarray] | None = None
    changes: bool = False
    settings: RelateSettings = field(default_factory=RelateSettings)

    def swapped(self) -> RelateContext:
        """The same context for the pair ``(b, a)``."""
        return replace(
            self,
            vectors=None if self.vectors is None else (self.vectors[1], self.vectors[0]),
            backgrounds=None if self.backgrounds is None else (self.backgrounds[1], self.backgrounds[0]),
        )

    @property
    def lexical_vectors(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The vectors the lexical aligner may use: English-model ones only (its thresholds
        were swept on them)."""
        return self.vectors if self.model == ENGLISH_MODEL else None
