"""Precision of the meaning changes on real article pairs: BBC News updates and reposts, against
changes judged by reading.

    python benchmarks/bench_change_precision.py [../shared/data/bbc-news]
    python benchmarks/bench_change_precision.py --against /tmp/old/src   # the same, for an older tree

``benchmarks/data/bbc_change_judgements.jsonl`` holds, for meaning changes an earlier scan
reported, the pair, the kind, both spans and a verdict (TRUE: a reader comparing the two
articles agrees the meaning changed there; FALSE: it did not, e.g. the same entity named
otherwise, content the other article has elsewhere, words that do not correspond; UNSURE) —
ids and offsets only, no text.  Two splits:

* ``dev``: 83 changes of BBC politics and business (scanned in that order), sampled by kind
  and judged first; the rules were chosen looking at these.
* ``held-out``: BBC entertainment, tech and sport (in that order), judged blind (the reviewer
  did not know which version of the analysis produced each change) and never looked at
  while choosing: every change two versions disagreed on, and 60 of the 208 both reported,
  each of those weighing 208/60.

Each split is scanned (``--lexical-only``, with the analysis of changes) and every reported
meaning change looked up by pair, kind and spans.  Printed: the (weighted) TRUE and FALSE
among the judged changes still reported, their precision, and how many reported changes have
no judgement of their own.  On held-out the sampled changes stand for the unsampled ones both
judged versions reported (their weight), so its precision is an estimate for the code of those
versions (62c2924 and f3b2c94, or later code that reports no change they did not):
a change neither made is unjudged and left out, so for other code the figure is a bound only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

JUDGEMENTS = Path(__file__).resolve().parent / "data" / "bbc_change_judgements.jsonl"
SPLITS = {"dev": ("politics", "business"), "held-out": ("entertainment", "tech", "sport")}

Key = tuple[str, str, str, tuple[int, int], tuple[int, int]]


def reported(corpus: Path, folders: tuple[str, ...]) -> set[Key]:
    """The meaning changes a lexical scan with the analysis of changes reports."""
    from newstrace.pipeline import scan

    result = scan([corpus / f for f in folders], workers=2, semantic=False, changes=True)
    return {(r.source, r.target, c.kind, c.source_span, c.target_span)
            for r in result.relations for p in r.passages for c in p.changes if c.severity == "meaning"}


def score(corpus: Path) -> dict[str, dict[str, float]]:
    judged = [json.loads(line) for line in JUDGEMENTS.read_text(encoding="utf-8").splitlines()]
    out: dict[str, dict[str, float]] = {}
    for split, folders in SPLITS.items():
        t0 = time.perf_counter()
        found = reported(corpus, folders)
        weights: Counter[str] = Counter()
        known: set[Key] = set()
        for j in (x for x in judged if x["split"] == split):
            key = (j["source"], j["target"], j["kind"], tuple(j["source_span"]), tuple(j["target_span"]))
            known.add(key)  # type: ignore[arg-type]
            if key in found:
                weights[j["verdict"]] += j["weight"]
        true, false = weights["TRUE"], weights["FALSE"]
        out[split] = {"reported": len(found), "unjudged": len(found - known), "true": round(true, 1),
                      "false": round(false, 1), "unsure": round(weights["UNSURE"], 1),
                      "precision": round(true / (true + false), 3) if true + false else 0.0,
                      "seconds": round(time.perf_counter() - t0, 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"
                                                          / "bbc-news"))
    parser.add_argument("--against", metavar="SRC", help="also score the newstrace package in this source tree")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one run's figures, for --against
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"skipped: no BBC News corpus at {corpus}", file=sys.stderr)
        return 0
    if args.json:
        print(json.dumps(score(corpus)))
        return 0
    runs = {"this checkout": score(corpus)}
    if args.against:
        env = {**os.environ, "PYTHONPATH": str(Path(args.against).resolve())}
        done = subprocess.run([sys.executable, __file__, str(corpus), "--json"], env=env, capture_output=True,
                              text=True, check=True)
        runs[f"--against {args.against}"] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'code':28s} {'split':9s} {'reported':>8s} {'unjudged':>8s} {'TRUE':>6s} {'FALSE':>6s} "
          f"{'UNSURE':>6s} {'precision':>9s} {'s':>5s}")
    for name, figures in runs.items():
        for split, f in figures.items():
            print(f"{name:28s} {split:9s} {f['reported']:8.0f} {f['unjudged']:8.0f} {f['true']:6.1f} "
                  f"{f['false']:6.1f} {f['unsure']:6.1f} {f['precision']:9.3f} {f['seconds']:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
