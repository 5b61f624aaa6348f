"""Wire benchmark: one BBC article copied n times (copies of copies among them) inside BBC News.

    python benchmarks/bench_wire.py [--n 100 1000 5000] [--background 500] [--undated] [--semantic] [--bbc DIR]

For each n, ``newstrace.evaluation.wire.build_wire_collection`` writes the collection (the
original, n copies with site lines, random truncation and light edits, half of them copies of
copies, and ``--background`` BBC articles) and a fresh subprocess scans it with
``--lexical-only --no-changes`` settings (``--semantic``: with the semantic layer, whose
candidates by meaning inside the family are left to the family's plan), so its peak RSS is its own.  One JSON line per n:
whether one family holds every copy, whether its root is the original, parent accuracy per
generation, alignments performed (candidate plan + parent alignments; linear in n), the
all-pairs count the plan avoided, wall time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BBC = ROOT.parent / "shared" / "data" / "bbc-news"

RUN = r"""
import json, pickle, resource, sys, time
from newstrace.evaluation.wire import score_wire
from newstrace.pipeline import scan
truth = pickle.load(open(sys.argv[2], "rb"))
t = time.perf_counter()
r = scan([sys.argv[1]], workers=int(sys.argv[3]), semantic=sys.argv[4] == "semantic", changes=False)
dt = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
s = r.stats
print(json.dumps({**score_wire(r.families, truth), "documents": len(r.documents), "seconds": round(dt, 1),
                  "peak_mb": round(peak / 1024), "alignments": s.get("alignments", 0) + s.get("alignments_parents", 0),
                  "alignments_plan": s.get("alignments"), "alignments_parents": s.get("alignments_parents"),
                  "all_pairs_in_components": s.get("plan_pairs_all_pairs"),
                  "skipped_buckets": s.get("plan_skipped_buckets"),
                  "meaning_in_families": s.get("plan_meaning_in_families"), "families": len(r.families),
                  "stories": len(r.stories)}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--background", type=int, default=500)
    ap.add_argument("--bbc", default=str(DEFAULT_BBC))
    ap.add_argument("--undated", action="store_true", help="no published dates: order from the texts alone")
    ap.add_argument("--semantic", action="store_true", help="scan with the semantic layer (default: lexical only)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not Path(args.bbc).is_dir():
        print(f"bench_wire: {args.bbc}: BBC News folder not found", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "src"))
    import pickle

    from newstrace.evaluation.wire import build_wire_collection

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            truth = build_wire_collection(tmp, n, args.bbc, background=args.background, seed=args.seed,
                                          dated=not args.undated)
            tpath = Path(tmp) / "truth.pkl"
            tpath.write_bytes(pickle.dumps(truth))
            coll = Path(tmp) / "coll"
            coll.mkdir()
            (Path(tmp) / "collection.jsonl").rename(coll / "collection.jsonl")
            out = subprocess.run([sys.executable, "-c", RUN, str(coll), str(tpath), str(args.workers),
                                  "semantic" if args.semantic else "lexical"],
                                 capture_output=True, text=True, env=env, check=False)
            if out.returncode:
                print(json.dumps({"n": n, "error": out.stderr.strip().splitlines()[-1:]}))
                continue
            print(json.dumps({"n": n, "dated": not args.undated, "semantic": args.semantic, **json.loads(out.stdout.strip().splitlines()[-1])}),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
