"""A sentence encoder that remembers what it embedded.

The aligner embeds a few sentences per passage on demand (see
``newstrace.stages.align.SentenceSimilarity``).  Across many pairs the same sentences come
back (a PAN source document is paired with several suspicious ones; a scan compares one
article with many), so each process keeps the most recent vectors by sentence text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["MemoizedEncoder"]


class MemoizedEncoder:
    """Wrap ``encode(texts) -> rows`` with a least-recently-used memory of ``max_items`` sentences.

    Calls with only remembered texts do not reach the model; the rest are embedded in one batch.
    """

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], max_items: int = 100_000) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items!r}")
        self._encode = encode
        self._max = max_items
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self.embedded = 0  # texts sent to the model
        self.asked = 0  # texts asked for

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += len(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            vecs = np.asarray(self._encode(missing), dtype=np.float32)
            self.embedded += len(missing)
            for t, v in zip(missing, vecs, strict=True):
                self._memo[t] = v
        rows = []
        for t in texts:
            self._memo.move_to_end(t)
            rows.append(self._memo[t])
        while len(self._memo) > self._max:
            self._memo.popitem(last=False)
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(rows)
