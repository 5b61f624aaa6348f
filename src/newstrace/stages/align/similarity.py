"""Meaning: sentence-embedding cosines between two texts, computed only where asked."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from newstrace.stages.text import Tokens

__all__ = ["Encoder", "SentenceSimilarity"]

Encoder = Callable[[Sequence[str]], np.ndarray]


class SentenceSimilarity:
    """Embedding cosine between the sentences of two texts, computed only where asked.

    The aligner needs meaning only around the passages that words already found (the
    sentence just past an edge, the neighbours of a weak fragment), so sentences are embedded
    on demand, a few per passage, instead of every sentence of both texts.  ``encode`` maps
    texts to L2-normalised rows; precomputed vectors (one row per sentence) may be given instead.
    """

    def __init__(self, src: Tokens, tgt: Tokens, encode: Encoder | None = None, *,
                 source_vectors: np.ndarray | None = None, target_vectors: np.ndarray | None = None) -> None:
        if encode is None and (source_vectors is None or target_vectors is None):
            raise ValueError("SentenceSimilarity needs an encoder or vectors for both texts")
        self._texts = ([s.text for s in src.sentences], [s.text for s in tgt.sentences])
        self._encode = encode
        self._vecs: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})
        for side, given in enumerate((source_vectors, target_vectors)):
            if given is not None:
                if len(given) != len(self._texts[side]):
                    raise ValueError("one sentence vector per sentence is needed")
                self._vecs[side].update(enumerate(np.asarray(given, dtype=np.float32)))

    def _rows(self, side: int, idx: Sequence[int]) -> np.ndarray:
        have = self._vecs[side]
        missing = sorted({i for i in idx if i not in have})
        if missing:
            assert self._encode is not None
            vecs = self._encode([self._texts[side][i] for i in missing])
            have.update(zip(missing, np.asarray(vecs, dtype=np.float32), strict=True))
        if not idx:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([have[i] for i in idx])

    def block(self, src_range: range, tgt_range: range) -> np.ndarray:
        """Cosines of the source sentences in ``src_range`` x the target ones in ``tgt_range``."""
        if not src_range or not tgt_range:
            return np.zeros((len(src_range), len(tgt_range)), dtype=np.float32)
        return np.asarray(self._rows(0, list(src_range)) @ self._rows(1, list(tgt_range)).T, dtype=np.float32)

    def pair(self, i: int, j: int) -> float:
        return float(self.block(range(i, i + 1), range(j, j + 1))[0, 0])
