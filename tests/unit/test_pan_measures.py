"""The PAN measures on hand-computed cases (expected numbers worked out by hand)."""

from __future__ import annotations

import math

import pytest

from newstrace.pan.corpus import PanCase, read_detections, write_detections
from newstrace.pan.measures import (
    case_recall,
    evaluate,
    granularity,
    macro_precision,
    macro_recall,
    overlaps,
    plagdet_score,
)

SUSP, SRC = "suspicious-document00001.txt", "source-document00001.txt"


def ann(t_off: int, t_len: int, s_off: int, s_len: int, susp: str = SUSP, src: str = SRC) -> PanCase:
    return PanCase(susp, src, t_off, t_len, s_off, s_len)


CASE = ann(0, 100, 0, 100)
ONE_OVER_LOG2_3 = 1 / math.log2(3)  # plagdet of a perfect F1 with granularity 2: 0.63092975…


def scores(cases: list[PanCase], dets: list[PanCase]) -> tuple[float, float, float, float]:
    s = evaluate(cases, dets)
    return s.plagdet, s.precision, s.recall, s.granularity


def test_exact_detection() -> None:
    assert scores([CASE], [CASE]) == pytest.approx((1.0, 1.0, 1.0, 1.0))


def test_half_detection() -> None:
    # Detected: 50 of 100 chars on each side -> recall 100/200 = 0.5; the detection lies wholly
    # inside the case -> precision 1; F1 = 2*0.5*1/1.5 = 2/3; granularity 1.
    assert scores([CASE], [ann(0, 50, 0, 50)]) == pytest.approx((2 / 3, 1.0, 0.5, 1.0))


def test_detection_spilling_outside_the_case() -> None:
    case = ann(100, 100, 100, 100)
    det = ann(50, 200, 100, 100)  # this side [50, 250) covers the case [100, 200); source side exact
    # recall (100 + 100) / 200 = 1; precision (100 + 100) / (200 + 100) = 2/3;
    # F1 = 2 * 2/3 / (5/3) = 0.8
    assert scores([case], [det]) == pytest.approx((0.8, 2 / 3, 1.0, 1.0))


def test_case_split_in_two_detections() -> None:
    dets = [ann(0, 50, 0, 50), ann(50, 50, 50, 50)]
    # every character found, nothing extra: P = R = 1, but two detections for one case
    assert scores([CASE], dets) == pytest.approx((ONE_OVER_LOG2_3, 1.0, 1.0, 2.0))
    assert pytest.approx(0.63092975) == ONE_OVER_LOG2_3


def test_overlapping_detections() -> None:
    dets = [ann(0, 60, 0, 60), ann(40, 80, 40, 80)]
    # recall: the union covers [0, 100) on both sides -> 1 (overlap counted once).
    # precision: first detection 120/120 = 1; second [40, 120) has 60 + 60 of 160 inside -> 0.75;
    # mean 0.875.  F1 = 2 * 0.875 / 1.875 = 14/15; granularity 2.
    assert scores([CASE], dets) == pytest.approx((14 / 15 / math.log2(3), 0.875, 1.0, 2.0))


def test_wrong_source_side_is_no_overlap() -> None:
    det = ann(0, 100, 500, 100)  # right suspicious passage, wrong source passage
    assert not overlaps(CASE, det)
    assert case_recall(CASE, [det]) == 0.0
    assert scores([CASE], [det]) == pytest.approx((0.0, 0.0, 0.0, 1.0))


def test_wrong_source_document_is_no_overlap() -> None:
    det = ann(0, 100, 0, 100, src="source-document00002.txt")
    assert scores([CASE], [det]) == pytest.approx((0.0, 0.0, 0.0, 1.0))


def test_partial_overlap_counts_both_sides_separately() -> None:
    # this side fully covered, source side half covered -> (100 + 50) / 200 = 0.75
    assert case_recall(CASE, [ann(0, 100, 50, 100)]) == pytest.approx(0.75)


def test_no_detections() -> None:
    assert scores([CASE], []) == pytest.approx((0.0, 0.0, 0.0, 1.0))


def test_empty_sets_follow_the_official_convention() -> None:
    # no cases and no detections: R = P = 1; no cases but detections (or the reverse): R = P = 0
    assert scores([], []) == pytest.approx((1.0, 1.0, 1.0, 1.0))
    assert scores([], [CASE]) == pytest.approx((0.0, 0.0, 0.0, 1.0))
    assert macro_recall([], []) == 1.0 and macro_precision([], []) == 1.0
    assert macro_recall([CASE], []) == 0.0 and macro_precision([], [CASE]) == 0.0


def test_granularity_averages_over_detected_cases_only() -> None:
    c1, c2, c3 = ann(0, 100, 0, 100), ann(200, 100, 200, 100), ann(400, 100, 400, 100)
    dets = [ann(0, 50, 0, 50), ann(50, 50, 50, 50), ann(200, 100, 200, 100)]
    # c1 hit twice, c2 once, c3 never: (2 + 1) / 2 detected cases = 1.5
    assert granularity([c1, c2, c3], dets) == pytest.approx(1.5)
    assert granularity([c1], []) == 1.0


def test_duplicate_annotations_count_once() -> None:
    assert scores([CASE, CASE], [CASE, CASE]) == pytest.approx((1.0, 1.0, 1.0, 1.0))
    assert evaluate([CASE], [CASE, CASE]).detections == 1


def test_pooled_over_pairs_not_averaged_per_pair() -> None:
    a_case = ann(0, 100, 0, 100, susp="suspicious-document00001.txt")
    b_case = ann(0, 100, 0, 100, susp="suspicious-document00002.txt")
    c_false = ann(0, 100, 0, 100, susp="suspicious-document00003.txt")  # a pair without cases
    s = evaluate([a_case, b_case], [a_case, c_false])
    # recall: a found, b missed -> (1 + 0) / 2; precision: a right, c false -> (1 + 0) / 2
    assert (s.plagdet, s.precision, s.recall, s.granularity) == pytest.approx((0.5, 0.5, 0.5, 1.0))
    assert (s.cases, s.detections) == (2, 2)
    # averaging per pair would give (1 + 0 + 0) / 3 instead
    assert s.plagdet != pytest.approx(1 / 3)


def test_plagdet_score() -> None:
    assert plagdet_score(0, 0, 1) == 0.0
    assert plagdet_score(1, 1, 1) == 1.0
    assert plagdet_score(0.5, 1, 1) == pytest.approx(2 / 3)
    # F1(0.25, 0.75) = 0.375, / log2(3)
    assert plagdet_score(0.25, 0.75, 2) == pytest.approx(0.375 / math.log2(3))
    assert plagdet_score(1, 1, 0.5) == 0.0  # granularity below 1 is invalid


def test_detection_xml_round_trip(tmp_path) -> None:
    dets = [ann(300, 20, 7, 40), ann(10, 100, 0, 90)]
    path = write_detections(tmp_path, SUSP, SRC, dets)
    assert path.name == "suspicious-document00001-source-document00001.xml"
    assert read_detections(path) == sorted(dets, key=lambda d: d.this_offset)
