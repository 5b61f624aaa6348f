"""Hostile-input suite: every generated input is processed or named in ``errors`` with a true
reason, nothing prints a traceback, and good inputs' results do not depend on bad ones beside them.

The inputs (``hostile.generate``) are deterministic from the seed: 12 kinds of mutation of each
real article (BBC News when the shared data is there, else the fixture articles) and two
dozen inputs of their own kind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fixtures.articles import ARTICLE, OTHER
from fixtures.shared import DATA
from hostile import PROCESSED, Case, generate

from newstrace.cli.app import main
from newstrace.limits import Limits
from newstrace.pipeline import scan

SEED = 10
HUGE = 20_000  # the article limit of these runs (the default is 1,000,000: too slow to exceed here)
N_ARTICLES = 4


def _articles() -> list[str]:
    bbc = DATA / "bbc-news"
    if bbc.is_dir():
        files = sorted(bbc.rglob("*.txt"))[7::371][:N_ARTICLES]
        return [f.read_text(encoding="utf-8") for f in files]
    return [ARTICLE, OTHER]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Case], dict, str]:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("hostile") / "inputs"
    cases = generate(root, _articles(), seed=SEED, huge_chars=HUGE)
    return cases, {"root": root, "out": root.parent / "out.json"}, ""


def _outcomes(case: Case, docs: list[dict], errors: list[dict]) -> tuple[bool, list[str]]:  # type: ignore[type-arg]
    path = str(case.path)
    processed = any(d["path"] == path for d in docs)
    reasons = [e["reason"] for e in errors if e["path"] == path or e["path"].startswith(path + ":")]
    return processed, reasons


def test_every_input_is_processed_or_named_with_a_true_reason(run: tuple, capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[type-arg]
    cases, where, _ = run
    code = main(["scan", str(where["root"]), "--lexical-only", "--no-changes", "--workers", "1", "--format", "json",
                 "-o", str(where["out"]), "--max-article-chars", str(HUGE)])
    err = capfd.readouterr().err
    assert code == 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert all(line.startswith(("newstrace: skipped ", "newstrace: wrote ")) for line in lines), lines
    result = json.loads(where["out"].read_text())
    docs, errors = result["documents"], result["errors"]
    counts: dict[str, int] = {}
    for case in cases:
        processed, reasons = _outcomes(case, docs, errors)
        assert processed or reasons, f"{case.kind} {case.path}: neither processed nor named"
        if processed:
            assert PROCESSED in case.allowed, f"{case.kind} {case.path}: processed, expected {case.allowed}"
        for reason in reasons:
            if case.lines:
                continue
            assert reason.startswith(tuple(a for a in case.allowed if a != PROCESSED)), \
                f"{case.kind} {case.path}: wrong reason {reason!r}, expected one of {case.allowed}"
        for number, allowed in case.lines.items():
            named = [e["reason"] for e in errors if e["path"] == f"{case.path}:{number}"]
            if PROCESSED not in allowed:
                assert named and all(r.startswith(allowed) for r in named), (case.kind, number, named)
            else:
                assert all(r.startswith(tuple(a for a in allowed if a != PROCESSED)) for r in named), named
        outcome = "processed" if processed and not reasons else "named" if not processed else "both"
        counts[outcome] = counts.get(outcome, 0) + 1
    # Every error names an input that was generated (nothing unexplained).
    paths = [str(c.path) for c in cases]
    assert all(any(e["path"] == p or e["path"].startswith(p + ":") or e["path"].startswith(p + "/")
                   for p in paths) for e in errors), errors
    # Duplicates are found as what they are.
    pairs = {frozenset((r["source"], r["target"])): r["type"] for r in result["relations"]}
    for k in range(len([c for c in cases if c.kind == "good"])):
        assert pairs.get(frozenset((f"good/{k:02d}.txt", f"dup/{k:02d}.txt"))) == "verbatim"
    # measured with seed 10 on BBC (4 articles): 67 inputs; 45 processed, 21 named in errors, 1 both (JSONL)
    assert sum(counts.values()) == len(cases) and counts.get("named", 0) >= 20, counts


def test_good_results_do_not_depend_on_the_bad_inputs_beside_them(run: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    cases, where, _ = run
    good = [c for c in cases if c.good]
    bad = [c for c in cases if PROCESSED not in c.allowed and c.path.is_file() and not c.path.is_symlink()]
    alone, mixed = tmp_path / "alone", tmp_path / "mixed"
    for c in good:
        for dest in (alone, mixed):
            (dest / c.path.relative_to(where["root"])).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(c.path, dest / c.path.relative_to(where["root"]))
    for c in bad:
        (mixed / c.path.relative_to(where["root"])).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(c.path, mixed / c.path.relative_to(where["root"]))
    limits = Limits(max_article_chars=HUGE)
    a = scan([alone], workers=1, semantic=False, changes=False, limits=limits)
    b = scan([mixed], workers=1, semantic=False, changes=False, limits=limits)
    assert len(b.errors) == len(bad) and not a.errors
    assert [(d.id, d.text) for d in a.documents] == [(d.id, d.text) for d in b.documents]
    assert a.relations == b.relations
