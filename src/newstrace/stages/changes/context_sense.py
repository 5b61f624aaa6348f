"""Does a same-sense substitute keep the meaning *in this sentence*?  Asked of the sentence encoder.

WordNet says whether two words share a sense; it cannot say whether the sentence uses that
sense ("a formal affair" → "a proper affair", "preoccupation with" → "concern for").  The
packaged English sentence encoder (``minilm-l3``, int8 ONNX) can: the sentence is encoded as
written and with the substitute in place of the word, and a substitute that moves the sentence
vector further than same-sense synonyms do is a shift of meaning in context.

The threshold was set on the SemEval-2016 iSTS **train** split (benchmarks/calibrate_context_sense.py):
single-word substitutions our WordNet check calls same-sense synonyms, labelled by the gold
chunk alignment they fall in (EQUI versus any other type), choosing the cosine below which
precision stays high.  On 300 pairs per domain (74 such substitutions, 49 of them in non-EQUI
chunks), cosine < 0.85 flagged 8 with precision 0.88 on the even pairs and 5 with precision 1.00
on the odd ones (recall about 0.25); 0.88 already drops the even half to 0.70.  Without the encoder (onnxruntime missing) the check is off and listed
by :func:`~newstrace.stages.changes.resources.checks_off`.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from newstrace.stages.changes.config import CONFIG

__all__ = ["CONTEXT_COSINE", "encoder", "substitution_similarity"]

log = logging.getLogger(__name__)

#: Below this cosine between the sentence and the sentence with the substitute, the substitute
#: shifts the meaning (calibration in the module docstring).
CONTEXT_COSINE = CONFIG.context_cosine


@lru_cache(maxsize=1)
def encoder() -> Any:
    """The packaged English sentence encoder, or ``None`` when it cannot be loaded."""
    try:
        from newstrace.stages.embed import get_embedder

        return get_embedder("minilm-l3", threads=1)
    except Exception as exc:  # a missing optional dependency: the check is off
        log.debug("context-sense check off: %s", exc)
        return None


@lru_cache(maxsize=16384)
def substitution_similarity(sentence: str, start: int, end: int, substitute: str) -> float | None:
    """Cosine between ``sentence`` and the sentence with ``sentence[start:end]`` replaced.

    >>> s = substitution_similarity("The council approved the plan.", 12, 20, "endorsed")
    >>> s is None or 0.8 < s <= 1.0
    True
    """
    enc = encoder()
    if enc is None:
        return None
    v = enc.encode([sentence, sentence[:start] + substitute + sentence[end:]])
    return float(v[0] @ v[1])
