"""The PAN plagiarism-detection measures: precision, recall, granularity and plagdet.

Implemented as defined by Potthast, Stein, Barrón-Cedeño & Rosso, "An Evaluation Framework
for Plagiarism Detection" (COLING 2010), and as computed by the official PAN evaluator
(``pan09-plagiarism-detection-performance-measures.py``, re-used unchanged in its measures by
``pan13-text-alignment-perfmeasures.py`` in pan-webis-de/pan-code).  Every convention below is
the official code's, including its edge cases:

* A case ``s`` and a detection ``r`` are passage *pairs* (suspicious side, source side).  ``r``
  overlaps ``s`` only if they share the suspicious document, the source document, and at least
  one character on **both** sides.  A detection overlapping a case on the suspicious side only
  counts as no overlap at all.
* Macro-averaged recall: the mean over cases of
  ``|(⋃ s ⊓ r) on the suspicious side| + |(⋃ s ⊓ r) on the source side|`` divided by
  ``|s| = this_length + source_length``, the union taken over the detections ``r`` that overlap
  ``s``.  Precision is the same with cases and detections swapped (mean over detections).
* Empty sets: no cases and no detections gives recall = precision = 1; no cases *or* no
  detections (not both) gives recall = precision = 0.
* Granularity: the mean, over cases overlapped by at least one detection, of how many
  detections overlap the case; 1 when there are no detections or no detected case.
* plagdet = F1 / log2(1 + granularity), and 0 when recall = precision = 0.
* Cases and detections are sets, as the official reader collects them: an annotation given
  twice counts once.
* The official code divides by zero on an annotation with ``this_length + source_length == 0``;
  here such an annotation contributes 0 to its average.

Pooling and the per-class figures.  The official evaluator takes a truth directory and a
detection directory and pools every case and every detection found there; it does not average
per pair.  The figures for the whole corpus pool all pairs of all five class folders, so
detections on the no-plagiarism pairs (``01``) lower precision there.  Per-class figures pool
the pairs of one class folder, with only the detections of those pairs.

The ``none`` class in published results.  The PAN 2013 text-alignment results by obfuscation
(Potthast et al. 2013 overview; Sanchez-Perez, Gelbukh & Sidorov 2014: none 0.894, random 0.889,
translation 0.884, summary 0.577, entire 0.877) list four obfuscation strategies plus the entire
corpus.  "None" there is the *no-obfuscation* class ``02`` (whose cases carry
``obfuscation="none"``), not the no-plagiarism class ``01``: under the official code a class
without cases scores exactly 1 (no detection at all) or exactly 0 (any detection), so a value
such as 0.894 cannot come from class ``01`` evaluated alone, and the published rows map one to
one onto the four classes with cases.  Class ``01`` has no published per-class figure; it
enters the published numbers only through the entire corpus (as false positives).  We report
its official 0/1 figure, with its detection count, for completeness.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from newstrace.pan.corpus import PanCase

__all__ = [
    "PanScores",
    "case_recall",
    "evaluate",
    "granularity",
    "macro_precision",
    "macro_recall",
    "overlaps",
    "plagdet_score",
]


@dataclass(frozen=True, slots=True)
class PanScores:
    """The PAN measures of a set of detections against a set of cases."""

    plagdet: float
    precision: float
    recall: float
    granularity: float
    cases: int
    detections: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def overlaps(a: PanCase, b: PanCase) -> bool:
    """True when ``b`` overlaps ``a`` on both sides (the official ``is_overlapping(a, b)``)."""
    return (a.susp == b.susp and a.src == b.src
            and b.this_offset + b.this_length > a.this_offset and b.this_offset < a.this_end
            and b.src_offset + b.src_length > a.src_offset and b.src_offset < a.src_end)


def _covered(start: int, end: int, intervals: Iterable[tuple[int, int]]) -> int:
    """Characters of ``[start, end)`` covered by the union of ``intervals``."""
    clipped = sorted((max(s, start), min(e, end)) for s, e in intervals)
    total, cur_s, cur_e = 0, None, None
    for s, e in clipped:
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s  # type: ignore[operator]
            cur_s, cur_e = s, e
        elif e > cur_e:
            cur_e = e
    if cur_e is not None:
        total += cur_e - cur_s  # type: ignore[operator]
    return total


def case_recall(case: PanCase, detections: Iterable[PanCase]) -> float:
    """Share of ``case``'s characters (both sides) covered by the detections overlapping it."""
    size = case.this_length + case.src_length
    hits = [d for d in detections if overlaps(case, d)]
    if not hits or size <= 0:
        return 0.0
    this = _covered(case.this_offset, case.this_end, ((d.this_offset, d.this_end) for d in hits))
    src = _covered(case.src_offset, case.src_end, ((d.src_offset, d.src_end) for d in hits))
    return (this + src) / size


def _index(annotations: Iterable[PanCase]) -> dict[tuple[str, str], list[PanCase]]:
    index: dict[tuple[str, str], list[PanCase]] = {}
    for a in annotations:
        index.setdefault((a.susp, a.src), []).append(a)
    return index


def _unique(annotations: Iterable[PanCase]) -> list[PanCase]:
    return list(dict.fromkeys(annotations))


def macro_recall(cases: Iterable[PanCase], detections: Iterable[PanCase]) -> float:
    """Macro-averaged recall of ``detections`` on ``cases`` (the official conventions)."""
    cases, detections = _unique(cases), _unique(detections)
    if not cases and not detections:
        return 1.0
    if not cases or not detections:
        return 0.0
    det_index = _index(detections)
    total = sum(case_recall(c, det_index.get((c.susp, c.src), ())) for c in cases)
    return total / len(cases)


def macro_precision(cases: Iterable[PanCase], detections: Iterable[PanCase]) -> float:
    """Macro-averaged precision: recall with cases and detections swapped."""
    return macro_recall(detections, cases)


def granularity(cases: Iterable[PanCase], detections: Iterable[PanCase]) -> float:
    """Mean number of detections overlapping each detected case; 1 if nothing is detected."""
    cases, detections = _unique(cases), _unique(detections)
    if not detections:
        return 1.0
    det_index = _index(detections)
    counts = [sum(overlaps(c, d) for d in det_index.get((c.susp, c.src), ())) for c in cases]
    detected = sum(1 for n in counts if n > 0)
    if detected == 0:
        return 1.0
    return sum(counts) / detected


def plagdet_score(recall: float, precision: float, gran: float) -> float:
    """F1 of precision and recall divided by log2(1 + granularity); 0 when P = R = 0."""
    if (recall == 0 and precision == 0) or recall < 0 or precision < 0 or gran < 1:
        return 0.0
    return (2 * recall * precision / (recall + precision)) / math.log2(1 + gran)


def evaluate(cases: Sequence[PanCase] | Iterable[PanCase],
             detections: Sequence[PanCase] | Iterable[PanCase]) -> PanScores:
    """All PAN measures of ``detections`` against ``cases``, pooled (not averaged per pair)."""
    cases, detections = _unique(cases), _unique(detections)
    rec = macro_recall(cases, detections)
    prec = macro_precision(cases, detections)
    gran = granularity(cases, detections)
    return PanScores(plagdet=plagdet_score(rec, prec, gran), precision=prec, recall=rec,
                     granularity=gran, cases=len(cases), detections=len(detections))
