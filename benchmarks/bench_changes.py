"""What the meaning-change analysis costs: scan with changes against ``--no-changes``, same run.

    python benchmarks/bench_changes.py [../shared/data/bbc-news] [--limit 300] [--repeat 3]

The articles (the first ``--limit`` files of each BBC category, sorted by name, so the subset is
fixed) are copied to a temporary folder; each scan runs in a fresh subprocess, alternating
with-changes and without, so both see the same machine load.  Prints the median seconds of each
and their ratio (the issue's target: at most 1.5); ``--no-changes`` also skips each document's
rewrite signature, so the cost of ``annotate_relation`` alone on the relations found is timed too.  Also times ``diff_passage`` on a generated
5,000-character pair of synonym swaps (the case the unit test checks for correctness).
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
from newstrace.pipeline import scan
t = time.perf_counter()
r = scan([sys.argv[1]], workers=int(sys.argv[2]), changes=sys.argv[3] == "changes")
dt = time.perf_counter() - t
n = sum(len(p.changes) for x in r.relations for p in x.passages)
out = {"seconds": dt, "docs": len(r.documents), "relations": len(r.relations), "changes": n}
if sys.argv[3] != "changes":  # the meaning-change analysis alone, on the relations just found
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


def _run(code: str, *args: str) -> dict[str, float]:
    env_path = str(ROOT / "src")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--limit", type=int, default=300, help="files per category (default 300; 0 = all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    with tempfile.TemporaryDirectory(prefix="newstrace-bench-changes-") as tmp:
        n = 0
        for cat in sorted(p for p in corpus.iterdir() if p.is_dir()):
            files = sorted(cat.glob("*.txt"))
            for f in files[: args.limit or None]:
                shutil.copy(f, Path(tmp) / f"{cat.name}-{f.name}")
                n += 1
        times: dict[str, list[float]] = {"changes": [], "no-changes": []}
        last: dict[str, dict[str, float]] = {}
        runs_off: list[dict[str, float]] = []
        for _ in range(args.repeat):
            for mode in ("no-changes", "changes"):
                r = _run(RUN, tmp, str(args.workers), mode)
                times[mode].append(r["seconds"])
                last[mode] = r
                if mode == "no-changes":
                    runs_off.append(r)
    on, off = statistics.median(times["changes"]), statistics.median(times["no-changes"])
    print(f"{n} articles, {int(last['changes']['relations'])} relations, "
          f"{int(last['changes']['changes'])} changes found")
    print(f"scan --no-changes {off:.2f} s, with changes {on:.2f} s: ratio {on / off:.2f} (target <= 1.5; "
          "--no-changes also skips each document's rewrite signature)")
    ann = statistics.median(r["annotate_seconds"] for r in runs_off)
    print(f"annotate_relation alone on the same relations: {ann:.2f} s "
          f"({int(last['no-changes']['annotate_changes'])} changes): ratio {(off + ann) / off:.2f}")
    lp = _run(LONG_PAIR)
    print(f"diff_passage on a {int(lp['chars'])}-character pair: {lp['long_pair_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
