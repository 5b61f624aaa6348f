"""Fault suite: ``kill -9`` of ``index add`` at seeded moments, then a resume, equals a clean run;
two writers at once lose nothing and duplicate nothing.

The set is small (40 BBC articles, 8 reposts and 4 cut copies: 52 documents and their
relations) so the suite stays within CI's budget; ``benchmarks/bench_faults.py`` runs more
kill points on about 2,000 BBC articles.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures.shared import DATA, require

from newstrace.evaluation.faults import concurrent_writers, kill_and_resume, kill_points, run_index, snapshot

EXTRA = ("--lexical-only", "--no-changes", "--workers", "1")
KILL_POINTS = 5
SEED = 10


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bbc = require(DATA / "bbc-news")
    root = tmp_path_factory.mktemp("faults") / "articles"
    files = sorted(bbc.rglob("*.txt"))[::50][:40]
    for f in files:
        dest = root / f.parent.name / f.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    for i, f in enumerate(files[:8]):  # reposts: a site line added
        (root / "reposts").mkdir(exist_ok=True)
        (root / "reposts" / f"{i}.txt").write_text("Wire copy\n\n" + f.read_text(encoding="utf-8"))
    for i, f in enumerate(files[8:12]):  # cut copies: the first two thirds
        text = f.read_text(encoding="utf-8")
        (root / "cut").mkdir(exist_ok=True)
        (root / "cut" / f"{i}.txt").write_text(text[: 2 * len(text) // 3])
    return root


@pytest.fixture(scope="module")
def clean(collection: Path) -> tuple[dict, float]:  # type: ignore[type-arg]
    db = collection.parent / "clean.db"
    seconds, first_commit = run_index([collection], db, extra=EXTRA)
    state = snapshot(db)
    assert state["integrity"] == [("ok",)]
    assert len(state["documents"]) == 52 and len(state["relations"]) >= 12
    return state, seconds - first_commit


@pytest.mark.integration
@pytest.mark.slow
def test_kill_at_seeded_moments_then_resume_equals_a_clean_run(collection: Path, clean: tuple) -> None:  # type: ignore[type-arg]
    state, seconds = clean
    results = [kill_and_resume([collection], collection.parent, state, seconds=t, extra=EXTRA, name=f"kill{k}")
               for k, t in enumerate(kill_points(KILL_POINTS, seconds, SEED))]
    assert all(r.equal for r in results), results
    # The kills landed at different stages (stored documents and relations at the kill).
    assert len({(r.documents_at_kill, r.relations_at_kill) for r in results}) >= 2, results


@pytest.mark.integration
@pytest.mark.slow
def test_two_writers_at_once_lose_nothing_and_duplicate_nothing(collection: Path, clean: tuple) -> None:  # type: ignore[type-arg]
    state, _ = clean
    db = collection.parent / "two.db"
    assert concurrent_writers([collection], db, writers=2, extra=EXTRA) == [0, 0]
    assert snapshot(db) == state
