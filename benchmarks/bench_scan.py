"""Scan throughput and peak memory on BBC News, against a plain datasketch MinHash-LSH baseline.

    python benchmarks/bench_scan.py [../shared/data/bbc-news] [--repeat 3]

Each run happens in a fresh subprocess so its peak RSS is its own.  The baseline is what a
dataset builder would write first: datasketch MinHash (128 permutations) over word 5-grams
and a MinHashLSH index at Jaccard 0.5 — candidates only, no alignment, no cleaning.  It is
the floor on cost; newstrace does cleaning, two candidate channels and passage alignment on top.
Also prints the BBC reuse figures (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "bbc-news"

NEWSTRACE = r"""
import json, resource, sys, time
from newstrace.pipeline import scan
t = time.perf_counter()
r = scan([sys.argv[1]], workers=int(sys.argv[2]), semantic=sys.argv[3] == "semantic", changes=False)
dt = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
rel = [{"source": x.source, "target": x.target, "type": x.type} for x in r.relations]
print(json.dumps({"seconds": dt, "docs": len(r.documents), "peak_mb": peak / 1024, "relations": rel,
                  "errors": len(r.errors), "stats": r.stats}))
"""

BASELINE = r"""
import json, re, resource, sys, time
from pathlib import Path
from datasketch import MinHash, MinHashLSH
t = time.perf_counter()
lsh = MinHashLSH(threshold=0.5, num_perm=128)
mh = {}
for p in sorted(Path(sys.argv[1]).rglob("*.txt")):
    words = re.findall(r"\w+", p.read_bytes().decode("utf-8", "replace").lower())
    m = MinHash(num_perm=128, seed=1)
    m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))])
    key = str(p)
    lsh.insert(key, m)
    mh[key] = m
pairs = {tuple(sorted((k, o))) for k, m in mh.items() for o in lsh.query(m) if o != k}
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": dt, "docs": len(mh), "peak_mb": peak / 1024, "pairs": len(pairs)}))
"""


def run(code: str, *args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lexical-only", action="store_true", help="skip the semantic-mode runs")
    args = ap.parse_args()
    if not Path(args.corpus).is_dir():
        print(f"skipped: corpus not found at {args.corpus} (place ../shared beside the repository)")
        return 0
    modes = ["lexical"] + ([] if args.lexical_only else ["semantic"])
    ours: dict[str, list[dict]] = {m: [] for m in modes}  # type: ignore[type-arg]
    base = []
    for _ in range(args.repeat):
        base.append(run(BASELINE, args.corpus))
        for m in modes:
            ours[m].append(run(NEWSTRACE, args.corpus, str(args.workers), m))
    b_s = statistics.median(r["seconds"] for r in base)
    b_m = statistics.median(r["peak_mb"] for r in base)
    n = base[0]["docs"]
    print(f"corpus: {args.corpus} ({n} documents), median of {args.repeat} runs, {args.workers} workers")
    print(f"{'':34s}{'seconds':>10s}{'articles/s':>12s}{'peak MB':>10s}{'x baseline time':>17s}")
    print(f"{'datasketch LSH baseline':34s}{b_s:10.2f}{n / b_s:12.1f}{b_m:10.0f}{1.0:17.2f}")
    for m in modes:
        o_s = statistics.median(r["seconds"] for r in ours[m])
        o_m = statistics.median(r["peak_mb"] for r in ours[m])
        print(f"{'newstrace scan (' + m + ')':34s}{o_s:10.2f}{n / o_s:12.1f}{o_m:10.0f}{o_s / b_s:17.2f}")
    print(f"baseline candidate pairs: {base[0]['pairs']}")
    for m in modes:
        types: dict[str, int] = {}
        for r in ours[m][0]["relations"]:
            types[r["type"]] = types.get(r["type"], 0) + 1
        print(f"relations ({m}): {len(ours[m][0]['relations'])} {json.dumps(types, sort_keys=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
