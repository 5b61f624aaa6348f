"""Spark engine against the local engine on BBC News, in the same run, and a cluster projection.

    python benchmarks/bench_spark.py [../shared/data/bbc-news] [--cores 2] [--limit N]

Both engines scan the same folder (lexical layer, no change analysis, as ``bench_scan.py``'s
lexical run) in fresh subprocesses: the local engine with ``--cores`` workers, Spark with
``local[--cores]``.  Prints seconds, articles/s and articles/s per core of each, checks they found
the same relations, and prints Spark's per-step seconds (each step's result is counted before
the next starts, ``newstrace.engines.spark.run``).

The projection of a 10M-article scan on ``n`` executors (``--executor-cores`` each) scales the
measured per-step costs: the per-article steps (read, boilerplate, prepare, candidates, stories)
by the article count, relate by the pairs per article measured here (a crawl with more reuse per
article costs proportionally more), divided by the cores; plus Spark's fixed cost per step, taken
as the time of the run on the five sample articles, where the work is nil.  It assumes shuffles
stay cheap against the Python work (true here: the heaviest step is relate, with no shuffle of
note) and that no family or story component outgrows one task.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "bbc-news"
SEEDS = ROOT.parent / "shared" / "seeds"

LOCAL = r"""
import json, sys, time
from newstrace.pipeline import scan
t = time.perf_counter()
r = scan([sys.argv[1]], workers=int(sys.argv[2]), semantic=False, changes=False)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "docs": len(r.documents),
                  "relations": sorted([x.source, x.target, x.type] for x in r.relations)}))
"""

SPARK = r"""
import json, sys, time
from pathlib import Path
from newstrace.engines.spark import SparkOptions, read_results, scan_spark
t = time.perf_counter()
r = scan_spark([sys.argv[1]], sys.argv[3], options=SparkOptions(f"local[{sys.argv[2]}]"), changes=False)
dt = time.perf_counter() - t
_, rels, _, _ = read_results(sys.argv[3])
print(json.dumps({"seconds": dt, "stats": r.stats, "relations": sorted([x.source, x.target, x.type] for x in rels)}))
"""

PER_ARTICLE = ("read", "boilerplate", "prepare", "candidates", "families", "stories", "write")


def _run(code: str, *args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _sample(root: Path, limit: int, into: Path) -> Path:
    files = sorted(root.rglob("*.txt"))[:limit]
    for f in files:
        target = into / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(f)
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="the first N articles only (0: all)")
    ap.add_argument("--articles", type=float, default=10e6, help="articles in the projected scan")
    ap.add_argument("--executor-cores", type=int, default=4)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not corpus.exists():
        sys.exit(f"bench_spark: {corpus} not found (place ../shared beside the repository)")
    with tempfile.TemporaryDirectory() as tmp:
        if args.limit:
            corpus = _sample(corpus, args.limit, Path(tmp) / "sample")
        local = _run(LOCAL, str(corpus), str(args.cores))
        spark = _run(SPARK, str(corpus), str(args.cores), str(Path(tmp) / "out"))
        fixed = _run(SPARK, str(SEEDS), str(args.cores), str(Path(tmp) / "seeds")) if SEEDS.exists() else None
    n = local["docs"]
    stats = spark["stats"]
    print(f"corpus {corpus}: {n} articles, {args.cores} cores")
    for name, r in (("local", local), ("spark", spark)):
        rate = n / r["seconds"]
        print(f"  {name:6} {r['seconds']:8.1f} s  {rate:7.1f} articles/s  {rate / args.cores:7.1f} articles/s/core")
    print(f"  spark/local time: {spark['seconds'] / local['seconds']:.2f}x; "
          f"same relations: {spark['relations'] == local['relations']} ({len(local['relations'])})")
    steps = {k.removeprefix("seconds_"): v for k, v in stats.items() if k.startswith("seconds_")}
    print("  spark per step (s): " + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
    base = {k.removeprefix("seconds_"): v for k, v in (fixed or {"stats": {}})["stats"].items()
            if k.startswith("seconds_")}
    # Work per article (core-seconds) once Spark's fixed cost per step is taken off.
    work = {k: max(0.0, v - base.get(k, 0.0)) * args.cores / n for k, v in steps.items()}
    pairs_per_article = stats["alignments"] / max(1, n)
    relate_per_pair = work.get("relate", 0.0) * n / max(1, stats["alignments"])
    print("  core-seconds per article: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in work.items())
          + f"; relate {relate_per_pair * 1000:.1f} ms per pair, {pairs_per_article:.3f} pairs per article")
    overhead = sum(base.values())
    per_article = sum(work[k] for k in PER_ARTICLE if k in work) + pairs_per_article * relate_per_pair
    print(f"projection, {args.articles:,.0f} articles, {args.executor_cores} cores per executor "
          f"({per_article * 1000:.1f} core-ms per article, {overhead:.0f} s fixed):")
    for executors in (1, 10, 50, 100, 500):
        cores = executors * args.executor_cores
        hours = (overhead + args.articles * per_article / cores) / 3600
        print(f"  {executors:4d} executors ({cores:5d} cores): {hours:8.2f} h")


if __name__ == "__main__":
    main()
