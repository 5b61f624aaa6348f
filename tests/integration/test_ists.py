"""``newstrace eval ists`` on a fixed sample of the iSTS 2016 train headlines (floors measured).

The first 40 headline pairs: the system (learned types, ``ists_types``) must beat the issue's
overlap baseline on type+score in the same run, and the binary meaning-change view must stay above the floors measured when
this test was written (see the figures in the assertions; the whole split is in the report).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newstrace.evaluation.ists import evaluate, find_domains, load_domain
from newstrace.stages.changes import nlp, wordnet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ists_dir(data_dir: Path) -> Path:
    folder = data_dir / "ists2016-train"
    if not folder.is_dir():
        pytest.skip(f"iSTS data not found at {folder}")
    if shutil.which("perl") is None:
        pytest.skip("the official scorer needs perl (Debian perl; `make system-deps`)")
    if nlp() is None or wordnet() is None:
        pytest.skip("needs spaCy's en_core_web_sm and WordNet")
    return folder


def test_domains_are_found_by_file_pattern(ists_dir: Path) -> None:
    found = find_domains(ists_dir)
    assert {"headlines", "images", "answers-students"} <= set(found)
    pairs = load_domain(*found["headlines"])
    assert len(pairs) == 756 and all(p.gold for p in pairs[:20])
    assert sum(len(c) for c in pairs[0].chunks1) == len(pairs[0].tokens1)


def test_headlines_sample_beats_the_baseline(ists_dir: Path, tmp_path: Path) -> None:
    (r,) = evaluate(ists_dir, tmp_path, limit=40, domains=["headlines"])
    assert (tmp_path / "headlines.wa").is_file() and (tmp_path / "headlines.baseline.wa").is_file()
    # measured: type+score 0.741 against the baseline's 0.413 (0.777 with the previous round's
    # 49-feature models fitted at l2 10, which fitted these in-sample pairs more tightly; 0.738 with
    # the single-network type model and cosine-threshold leftovers, 0.627 with the rule mapping
    # alone; these 40 pairs are in the split the learned models were fitted on, so this pins the
    # shipped models' behaviour: their held-out figures come from benchmarks/train_ists_types.py);
    # ali 0.950 (0.918 before the learned leftover aligner); binary P 0.712, F1 0.691 (the binary
    # view does not use the models)
    assert r.system["type+score"] >= 0.72, (r.system, r.baseline)
    assert r.system["type+score"] > r.baseline["type+score"] + 0.30, (r.system, r.baseline)
    assert r.system["ali"] >= 0.93, r.system
    assert r.binary["precision"] >= 0.66 and r.binary["f1"] >= 0.62, r.binary
