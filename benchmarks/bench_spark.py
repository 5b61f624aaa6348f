"""Spark engine against the local engine on BBC News, in the same run, and a cluster projection.

    python benchmarks/bench_spark.py [../shared/data/bbc-news] [--cores 2] [--limit N]
                                     [--modes lexical,semantic] [--translated 0.0]

For each mode (``lexical``: ``--lexical-only``; ``semantic``: the default scan, with sentence
embeddings), both engines scan the same folder without change analysis (as ``bench_scan.py``)
in fresh subprocesses: the local engine with ``--cores`` workers, Spark with ``local[--cores]``.
Prints seconds, articles/s and articles/s per core of each, checks they found the same
relations, and prints Spark's per-step seconds (each step's result is counted before the next
starts, ``newstrace.engines.spark.run``).  The embedders are loaded (and the int8 model made)
before timing.

The projection of a 10M-article scan on ``n`` executors (``--executor-cores`` each) scales the
measured per-step costs: the per-article steps (read, boilerplate, prepare, candidates, embed,
families, stories, write) by the article count, relate by the pairs per article measured here
(a crawl with more reuse per article costs proportionally more), divided by the cores; plus
Spark's fixed cost per step, taken as the time of the run on the five sample articles, where
the work is nil.  Semantic candidates: at 10M articles the collection is cut into cells of
``CELL_DOCS`` documents, each document querying ``PROBES`` cells, so a document costs at most
``PROBES + 1`` times what it costs in the one cell measured here (there one HNSW insert and one
query in an index of a few thousand, at 10M one insert and ``PROBES`` queries, plus shipping its
vector to each cell: taken as ``PROBES + 1`` whole costs, an upper bound), plus the driver's k-means over
``KMEANS_SAMPLE`` vectors per cell (timed here on a random sample of that size).  Translation
backgrounds cost nothing on a one-language corpus such as BBC; with ``--translated F`` (the share
of articles with a translation in the collection) each such pair's two documents are compared
with every sentence of the other language, which the projection prices at this machine's
measured float32 matrix-product rate.  It assumes shuffles stay cheap against the Python work
(true here: the heavy steps, embed and relate, shuffle little) and that no family or story
component outgrows one task.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "bbc-news"
SEEDS = ROOT.parent / "shared" / "seeds"

WARM = r"""
from newstrace.stages.embed import get_embedder
from newstrace.stages.vectors import ENGLISH_MODEL
get_embedder(ENGLISH_MODEL, threads=1).encode(["warm up"])
"""

LOCAL = r"""
import json, sys, time
from newstrace.pipeline import scan
t = time.perf_counter()
r = scan([sys.argv[1]], workers=int(sys.argv[2]), semantic=sys.argv[3] == "semantic", changes=False)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "docs": len(r.documents), "stats": r.stats,
                  "relations": sorted([x.source, x.target, x.type] for x in r.relations)}))
"""

SPARK = r"""
import json, sys, time
from pathlib import Path
from newstrace.engines.spark import SparkOptions, read_results, scan_spark
t = time.perf_counter()
r = scan_spark([sys.argv[1]], sys.argv[4], options=SparkOptions(f"local[{sys.argv[2]}]"), changes=False,
               semantic=sys.argv[3] == "semantic")
dt = time.perf_counter() - t
_, rels, _, _ = read_results(sys.argv[4])
print(json.dumps({"seconds": dt, "stats": r.stats, "relations": sorted([x.source, x.target, x.type] for x in rels)}))
"""

PER_ARTICLE = ("read", "boilerplate", "prepare", "candidates", "embed", "families", "stories", "write")


def _run(code: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _sample(root: Path, limit: int, into: Path) -> Path:
    files = sorted(root.rglob("*.txt"))[:limit]
    for f in files:
        target = into / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(f)
    return into


def _kmeans_seconds(cells: int) -> float:
    """The driver's k-means of a 10M-article scan, timed on random vectors of its sample size."""
    import numpy as np

    from newstrace.engines.spark.semantic import KMEANS_SAMPLE, spherical_kmeans

    sample = np.random.default_rng(0).normal(size=(cells * KMEANS_SAMPLE, 384)).astype(np.float32)
    t = time.perf_counter()
    spherical_kmeans(sample, cells)
    return time.perf_counter() - t


def _flops_per_second() -> float:
    """This core's float32 matrix-product rate, as the background blocks use it."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 384)).astype(np.float32)
    b = rng.normal(size=(20_000, 384)).astype(np.float32)
    t = time.perf_counter()
    for _ in range(20):
        _ = a @ b.T
    return 20 * 2 * 30 * 20_000 * 384 / (time.perf_counter() - t)


def _report(mode: str, n: int, cores: int, local: dict[str, Any], spark: dict[str, Any],
            fixed: dict[str, Any] | None) -> dict[str, float]:
    """Print one mode's comparison; return Spark's work per article (core-seconds) per step."""
    stats = spark["stats"]
    print(f"{mode}:")
    for name, r in (("local", local), ("spark", spark)):
        rate = n / r["seconds"]
        print(f"  {name:6} {r['seconds']:8.1f} s  {rate:7.1f} articles/s  {rate / cores:7.1f} articles/s/core")
    print(f"  spark/local time: {spark['seconds'] / local['seconds']:.2f}x; "
          f"same relations: {spark['relations'] == local['relations']} ({len(local['relations'])}); "
          f"pairs compared: local {local['stats'].get('alignments')}, spark {stats.get('alignments')}")
    steps = {k.removeprefix("seconds_"): v for k, v in stats.items() if k.startswith("seconds_")}
    print("  spark per step (s): " + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
    base = {k.removeprefix("seconds_"): v for k, v in (fixed or {"stats": {}})["stats"].items()
            if k.startswith("seconds_")}
    # Work per article (core-seconds) once Spark's fixed cost per step is taken off.
    work = {k: max(0.0, v - base.get(k, 0.0)) * cores / n for k, v in steps.items()}
    work["fixed"] = sum(base.values())
    work["pairs_per_article"] = stats["alignments"] / max(1, n)
    work["relate_per_pair"] = work.get("relate", 0.0) * n / max(1, stats["alignments"])
    print("  core-seconds per article: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in work.items()
                                                    if k in steps)
          + f"; relate {work['relate_per_pair'] * 1000:.1f} ms per pair, "
          f"{work['pairs_per_article']:.3f} pairs per article")
    return work


def _project(mode: str, work: dict[str, float], args: argparse.Namespace, stats: dict[str, Any]) -> None:
    from newstrace.engines.spark.semantic import CELL_DOCS, PROBES

    per_article = sum(work.get(k, 0.0) for k in PER_ARTICLE) + work["pairs_per_article"] * work["relate_per_pair"]
    fixed = work["fixed"]
    parts = [f"{per_article * 1000:.1f} core-ms per article"]
    if mode == "semantic":
        cells = math.ceil(args.articles / CELL_DOCS)
        candidates = work.get("semantic", 0.0) * (PROBES + 1)
        kmeans = _kmeans_seconds(min(cells, 2500))
        kmeans *= cells / min(cells, 2500)
        per_article += candidates
        fixed += kmeans
        parts.append(f"semantic candidates {candidates * 1000:.1f} core-ms per article in {cells:,} cells, "
                     f"k-means {kmeans:.0f} s on the driver")
        if args.translated:
            sentences = stats.get("sentences", 0) / max(1, stats.get("embedded", 0)) or 25.0
            flops = _flops_per_second()
            # Each translated pair: both documents' sentences against the other language's pool;
            # the pool is the translated share of the collection (at least its partners).
            pool = args.translated * args.articles * sentences
            per_pair = 2 * sentences * pool * 384 * 2 / flops
            backgrounds = args.translated * per_pair  # per article of the collection
            per_article += backgrounds
            parts.append(f"backgrounds {backgrounds * 1000:.1f} core-ms per article "
                         f"({args.translated:.1%} translated, {flops / 1e9:.0f} GFLOP/s per core)")
    print(f"projection ({mode}), {args.articles:,.0f} articles, {args.executor_cores} cores per executor: "
          + "; ".join(parts) + f"; {fixed:.0f} s fixed")
    for executors in (1, 10, 50, 100, 500):
        cores = executors * args.executor_cores
        hours = (fixed + args.articles * per_article / cores) / 3600
        print(f"  {executors:4d} executors ({cores:5d} cores): {hours:8.2f} h")
    # Every step above is scaled linearly; the stories step scores every pair of representatives
    # sharing a name (engines/spark/organise.py), which grows with the square of the collection.
    print(f"  (a lower bound: the stories step, {work.get('stories', 0.0) * 1000:.1f} core-ms per article here, "
          "scores every pair of representatives sharing a name and grows with the square of the collection)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="the first N articles only (0: all)")
    ap.add_argument("--modes", default="lexical,semantic", help="comma-separated: lexical, semantic")
    ap.add_argument("--articles", type=float, default=10e6, help="articles in the projected scan")
    ap.add_argument("--executor-cores", type=int, default=4)
    ap.add_argument("--translated", type=float, default=0.0,
                    help="share of the projected articles with a translation in the collection")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= {"lexical", "semantic"}:
        sys.exit(f"bench_spark: --modes takes lexical and semantic, got {args.modes!r}")
    corpus = Path(args.corpus)
    if not corpus.exists():
        sys.exit(f"bench_spark: {corpus} not found (place ../shared beside the repository)")
    if "semantic" in modes:
        _run(WARM + "\nprint('{}')")
    with tempfile.TemporaryDirectory() as tmp:
        if args.limit:
            corpus = _sample(corpus, args.limit, Path(tmp) / "sample")
        results = {}
        for mode in modes:
            local = _run(LOCAL, str(corpus), str(args.cores), mode)
            spark = _run(SPARK, str(corpus), str(args.cores), mode, str(Path(tmp) / f"out-{mode}"))
            fixed = (_run(SPARK, str(SEEDS), str(args.cores), mode, str(Path(tmp) / f"seeds-{mode}"))
                     if SEEDS.exists() else None)
            results[mode] = (local, spark, fixed)
    n = next(iter(results.values()))[0]["docs"]
    print(f"corpus {corpus}: {n} articles, {args.cores} cores")
    for mode, (local, spark, fixed) in results.items():
        work = _report(mode, n, args.cores, local, spark, fixed)
        _project(mode, work, args, spark["stats"])


if __name__ == "__main__":
    main()
