"""Scan throughput and peak memory on BBC News, against a plain datasketch MinHash-LSH baseline.

    python benchmarks/bench_scan.py [../shared/data/bbc-news] [--repeat 3] [--lexical-only]
    python benchmarks/bench_scan.py --against /tmp/old/src   # before/after, in the same run
    python benchmarks/bench_scan.py --changes                # as `newstrace scan` runs by default

Each run happens in a fresh subprocess so its peak RSS is its own.  Prints seconds and articles/s
(median of ``--repeat`` runs) of the lexical-only and the semantic scan, without the analysis of
changes (``--no-changes``, the figure issue 12 set its targets on), or with it (``--changes``:
what ``newstrace scan`` does by default; the relations then compared include every change).  ``--against`` also
times the newstrace package found in another source tree (an older revision, e.g. from
``git archive REV src | tar -x -C /tmp/old``), run for run alternating with this checkout so
that both see the same machine load, and prints this checkout's speed-up over it.  The
embedders are loaded once before timing (the int8 model is made on first use).  The baseline is what a
dataset builder would write first: datasketch MinHash (128 permutations) over word 5-grams
and a MinHashLSH index at Jaccard 0.5 — candidates only, no alignment, no cleaning.  It is
the floor on cost; newstrace does cleaning, two candidate channels and passage alignment on top.
Also prints the BBC reuse figures (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
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
r = scan([sys.argv[1]], workers=int(sys.argv[2]), semantic=sys.argv[3] == "semantic", changes=sys.argv[4] == "changes")
dt = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
peak = max(me.ru_maxrss, kids.ru_maxrss)
rel = [{"source": x.source, "target": x.target, "type": x.type, "direction": x.direction.decided_by,
        "spans": [[list(p.source_span), list(p.target_span)] for p in x.passages],
        "changes": [[c.kind, c.severity, list(c.source_span), list(c.target_span), c.explanation]
                    for p in x.passages for c in p.changes]} for x in r.relations]
fam = sorted([f.id, f.root, sorted(f.members), sorted([e.source, e.target, e.type, e.primary] for e in f.edges)]
             for f in r.families)
sto = sorted([s.id, s.label, sorted(s.documents), sorted(s.families)] for s in r.stories)
print(json.dumps({"seconds": dt, "docs": len(r.documents), "peak_mb": peak / 1024, "relations": rel,
                  "families": fam, "stories": sto,
                  "cpu_main": me.ru_utime + me.ru_stime, "cpu_workers": kids.ru_utime + kids.ru_stime,
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


WARM = r"""
from newstrace.stages.embed import get_embedder
get_embedder("minilm-l3").encode(["Warm-up."])
print("{}")
"""

SRC = str(ROOT / "src")


def run(code: str, *args: str, src: str = SRC) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env)
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[type-arg]
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lexical-only", action="store_true", help="skip the semantic-mode runs")
    ap.add_argument("--against", metavar="SRC", help="also time the newstrace package in this source tree")
    ap.add_argument("--changes", action="store_true",
                    help="scan with the analysis of changes, as `newstrace scan` does by default")
    args = ap.parse_args()
    if not Path(args.corpus).is_dir():
        print(f"skipped: corpus not found at {args.corpus} (place ../shared beside the repository)")
        return 0
    modes = ["lexical"] + ([] if args.lexical_only else ["semantic"])
    trees = {"newstrace": SRC}
    if args.against:
        trees["against"] = str(Path(args.against).resolve())
    if "semantic" in modes:
        for src in trees.values():
            run(WARM, src=src)
    ours: dict[tuple[str, str], list[dict]] = {(t, m): [] for t in trees for m in modes}  # type: ignore[type-arg]
    base = []
    for i in range(args.repeat):
        base.append(run(BASELINE, args.corpus))
        order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
        for m in modes:
            for t, src in order:
                ours[t, m].append(run(NEWSTRACE, args.corpus, str(args.workers), m,
                                      "changes" if args.changes else "no-changes", src=src))
    b_s = statistics.median(r["seconds"] for r in base)
    b_m = statistics.median(r["peak_mb"] for r in base)
    n = base[0]["docs"]
    seconds = {k: statistics.median(r["seconds"] for r in v) for k, v in ours.items()}
    print(f"corpus: {args.corpus} ({n} documents), median of {args.repeat} runs, {args.workers} workers, "
          f"{'with' if args.changes else 'without'} the analysis of changes")
    if args.against:
        print(f"against: {trees['against']}")
    print(f"{'':34s}{'seconds':>10s}{'articles/s':>12s}{'peak MB':>10s}{'x baseline time':>17s}"
          f"{'CPU s main':>12s}{'CPU s workers':>15s}")
    print(f"{'datasketch LSH baseline':34s}{b_s:10.2f}{n / b_s:12.1f}{b_m:10.0f}{1.0:17.2f}")
    cpu = {k: (statistics.median(r.get("cpu_main", 0.0) for r in v), statistics.median(r.get("cpu_workers", 0.0) for r in v))
           for k, v in ours.items()}
    for (t, m), runs in ours.items():
        o_s = seconds[t, m]
        o_m = statistics.median(r["peak_mb"] for r in runs)
        label = f"{'newstrace scan' if t == 'newstrace' else 'against scan'} ({m})"
        print(f"{label:34s}{o_s:10.2f}{n / o_s:12.1f}{o_m:10.0f}{o_s / b_s:17.2f}{cpu[t, m][0]:12.1f}{cpu[t, m][1]:15.1f}")
    if args.against:
        # On a shared machine the CPU seconds (main process, and the workers together) are the
        # steadier figure: wall time also counts the other jobs' share of the cores.
        for m in modes:
            print(f"speed-up over against ({m}): {seconds['against', m] / seconds['newstrace', m]:.2f}x wall, "
                  f"{sum(cpu['against', m]) / sum(cpu['newstrace', m]):.2f}x CPU, main process "
                  f"{cpu['against', m][0] / cpu['newstrace', m][0]:.2f}x CPU")
    print(f"baseline candidate pairs: {base[0]['pairs']}")
    print("where the wall time went (median seconds): ingest = read + clean + fingerprint; relate = candidates +"
          " embeddings + alignment; families = families + stories")
    for (t, m), runs in ours.items():
        split = {k: statistics.median(r["stats"].get(f"seconds_{k}", 0.0) for r in runs)
                 for k in ("ingest", "relate", "families")}
        print(f"  {t} ({m}): " + ", ".join(f"{k} {v:.2f}" for k, v in split.items()))
    for (t, m), runs in ours.items():
        types: dict[str, int] = {}
        for r in runs[0]["relations"]:
            types[r["type"]] = types.get(r["type"], 0) + 1
        print(f"relations ({t}, {m}): {len(runs[0]['relations'])} {json.dumps(types, sort_keys=True)}")
    if args.against:
        for m in modes:
            # Every relation with its direction and passage spans, the families (members, edges)
            # and the stories (members, labels), run against run.
            a, b = ours["newstrace", m][0], ours["against", m][0]
            same = {k: json.dumps(sorted(map(json.dumps, a.get(k, []))) if k == "relations" else a.get(k))
                    == json.dumps(sorted(map(json.dumps, b.get(k, []))) if k == "relations" else b.get(k))
                    for k in ("relations", "families", "stories")}
            print(f"identical to against ({m}): relations with directions, spans and changes {same['relations']}, "
                  f"families {same['families']} ({len(a.get('families', []))}), "
                  f"stories {same['stories']} ({len(a.get('stories', []))})")
            mine = {(r["source"], r["target"], r["type"]) for r in ours["newstrace", m][0]["relations"]}
            theirs = {(r["source"], r["target"], r["type"]) for r in ours["against", m][0]["relations"]}
            print(f"relations ({m}) only in newstrace: {len(mine - theirs)}, only in against: {len(theirs - mine)}")
            for x in sorted(mine - theirs):
                print(f"  + {x[0]} -> {x[1]} {x[2]}")
            for x in sorted(theirs - mine):
                print(f"  - {x[0]} -> {x[1]} {x[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
