"""What the meaning-change analysis costs: scan with changes against ``--no-changes``, same run.

    python benchmarks/bench_changes.py [../shared/data/bbc-news] [--limit 300] [--repeat 3]
                                       [--workers 2] [--before ../main/src] [--lexical-only]

The issue's figure (whole BBC, two workers, medians of two runs)::

    python benchmarks/bench_changes.py --limit 0 --repeat 2

The articles (the first ``--limit`` files of each BBC category, sorted by name, so the subset is
fixed; 0 takes them all) are copied to a temporary folder; each scan runs in a fresh
subprocess, the modes alternating, so all see the same machine load.  Three modes, medians of
each:

* ``no-changes``: ``scan(changes=False)`` as shipped.  Every command ties the rewrite
  signature's model-based ("deep") checks to ``--no-changes`` (``forensics=changes``), so this
  scan runs the pattern checks only.  Then ``annotate_relation`` is timed alone on the
  relations found, in the same process (the change analysis without its model loading: its
  ratio is ``(scan + annotate) / scan``);
* ``no-changes+forensics``: the same scan with the deep signature checks forced on: what they
  cost (against ``no-changes``), and the ratio the change analysis alone would have if they
  ran in every command (``changes`` against this mode);
* ``changes``: the full scan as shipped (deep checks and change analysis).

The ratio the issue asks for is ``changes`` over ``no-changes`` (target: at most 1.5).  With
``--before SRC`` (another checkout's ``src``, e.g. ``/work/main/src``, or a ``git archive``
copy) every mode also runs on that code, interleaved, so before and after are measured in the
same run.  Also times ``diff_passage`` on a generated 5,000-character pair of synonym swaps
(the case the unit test checks for correctness).  ``--lexical-only`` scans without the semantic
layer, where the deep checks weigh most::

    python benchmarks/bench_changes.py --limit 0 --repeat 2 --lexical-only --modes no-changes no-changes+forensics
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "bbc-news"

RUN = r"""
import json, sys, time
import newstrace.pipeline as pipeline
from newstrace.pipeline import scan
if sys.argv[3] == "no-changes+forensics":  # scan() passes forensics=changes: force it on
    _index_add = pipeline.index_add
    pipeline.index_add = lambda *a, **k: _index_add(*a, **{**k, "forensics": True})
t = time.perf_counter()
r = scan([sys.argv[1]], workers=int(sys.argv[2]), changes=sys.argv[3] == "changes", semantic=sys.argv[4] == "semantic")
dt = time.perf_counter() - t
n = sum(len(p.changes) for x in r.relations for p in x.passages)
out = {"seconds": dt, "docs": len(r.documents), "relations": len(r.relations), "changes": n}
if sys.argv[3] == "no-changes":  # the meaning-change analysis alone, on the relations just found
    from newstrace.stages.changes import annotate_relation
    docs = {d.id: d for d in r.documents}
    t = time.perf_counter()
    found = [annotate_relation(docs[x.source], docs[x.target], x) for x in r.relations]
    out["annotate_seconds"] = time.perf_counter() - t
    out["annotate_changes"] = sum(len(p.changes) for x in found for p in x.passages)
print(json.dumps(out))
"""

LONG_PAIR = r"""
import itertools, json, time
from newstrace.stages.changes import diff_passage
subjects = ["The harbour board", "Local fishermen", "The city council", "Two ferry operators"]
verbs = [("approved", "endorsed"), ("delayed", "postponed"), ("supported", "backed"), ("rejected", "refused")]
objects = ["the new quay design", "a plan to dredge the channel", "the winter timetable", "the fuel dock"]
src, tgt = [], []
for k, (s, (v, w), o) in enumerate(itertools.product(subjects, verbs, objects)):
    src.append(f"{s} {v} {o} on day {k + 1} of the inquiry.")
    tgt.append(f"{s} {w if k % 2 else v} {o} on day {k + 1} of the inquiry.")
a, b = " ".join(src)[:5200], " ".join(tgt)[:5200]
diff_passage("Warm-up sentence.", "Warm-up sentences.")
t = time.perf_counter()
diff_passage(a, b)
print(json.dumps({"long_pair_seconds": time.perf_counter() - t, "chars": len(a)}))
"""


MODES = ("no-changes", "no-changes+forensics", "changes")


def _run(code: str, src: Path, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _report(name: str, runs: dict[str, list[dict[str, float]]]) -> None:
    med = {m: statistics.median(r["seconds"] for r in runs[m]) for m in MODES if runs[m]}
    last = next(runs[m][-1] for m in reversed(MODES) if runs[m])
    print(f"[{name}] {int(last['docs'])} articles, {int(last['relations'])} relations, "
          f"{int(last['changes'])} changes found; medians of {max(len(r) for r in runs.values())} run(s): "
          + ", ".join(f"{m} {v:.2f} s" for m, v in med.items()))
    off, deep, on = med.get("no-changes"), med.get("no-changes+forensics"), med.get("changes")
    if off and on:
        print(f"[{name}] whole scan as shipped: --no-changes {off:.2f} s, with changes {on:.2f} s: "
              f"ratio {on / off:.2f} (target <= 1.5)")
    if off and deep:
        print(f"[{name}] deep signature checks forced on in --no-changes: {deep:.2f} s, "
              f"{100 * (deep - off) / off:+.1f}% over --no-changes")
    if deep and on:
        print(f"[{name}] with changes against --no-changes with the deep checks on: ratio {on / deep:.2f}")
    if off:
        ann = statistics.median(r["annotate_seconds"] for r in runs["no-changes"])
        print(f"[{name}] annotate_relation alone on the same relations: {ann:.2f} s "
              f"({int(runs['no-changes'][-1]['annotate_changes'])} changes): ratio {(off + ann) / off:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--limit", type=int, default=300, help="files per category (default 300; 0 = all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--before", type=Path, help="another checkout's src to measure in the same run")
    ap.add_argument("--lexical-only", action="store_true",
                    help="scan without the semantic layer (as `scan --lexical-only`), where the deep checks weigh most")
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                    help="modes to run (default all; no-changes and changes are needed for the ratio)")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    trees = {"after": ROOT / "src"}
    if args.before:
        trees = {"before": args.before.resolve(), **trees}
    runs: dict[str, dict[str, list[dict[str, float]]]] = {t: {m: [] for m in MODES} for t in trees}
    with tempfile.TemporaryDirectory(prefix="newstrace-bench-changes-") as tmp:
        n = 0
        for cat in sorted(p for p in corpus.iterdir() if p.is_dir()):
            files = sorted(cat.glob("*.txt"))
            for f in files[: args.limit or None]:
                shutil.copy(f, Path(tmp) / f"{cat.name}-{f.name}")
                n += 1
        print(f"{n} articles (first {args.limit or 'all'} of each category), {args.workers} workers, "
              f"{args.repeat} repeat(s), {'lexical' if args.lexical_only else 'semantic'} scan", flush=True)
        for _ in range(args.repeat):
            for mode in args.modes:
                for tree, src in trees.items():
                    r = _run(RUN, src, tmp, str(args.workers), mode, "lexical" if args.lexical_only else "semantic")
                    runs[tree][mode].append(r)
                    print(f"  {tree:6} {mode:21} {r['seconds']:7.2f} s", flush=True)
    for tree in trees:
        _report(tree, runs[tree])
    for tree, src in trees.items():
        lp = _run(LONG_PAIR, src)
        print(f"[{tree}] diff_passage on a {int(lp['chars'])}-character pair: {lp['long_pair_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
