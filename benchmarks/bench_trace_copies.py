"""Tracing an article that has many stored copies: the cost of relating a pair of copies.

    python benchmarks/bench_trace_copies.py [--originals 20] [--variants 25] [--repeat 5]
                                            [--against OLD/src] [--workdir /tmp/newstrace-bench-copies]

An index of BBC News plus ``--variants`` perturbed variants (``bench_index.perturb``: sentences
shuffled, names replaced, truncated) of each of ``--originals`` BBC articles is built once
(``add_documents``, lexical).  Then one more variant of each of those originals is traced
against it (``trace_documents``, one worker, no semantic layer, no meaning changes), after one
untimed warm-up trace: each query has about ``--variants`` true copies, so its time is mostly
relating pairs of copies.  Each run is a fresh process; prints the CPU seconds of all the
traces and the p50 latency, median of ``--repeat`` runs.  ``--against`` also runs another
source tree (``git archive REV src | tar -x -C /tmp/old``), run for run alternating with this
one, prints the ratios and checks that both trees trace the same relations (passages,
directions, types and, with the meaning-change analysis on, the changes).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = str(ROOT / "src")
sys.path.insert(0, SRC)
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_index import _NAME_RE, corpus, perturb, run  # noqa: E402

TRACE = r"""
import json, statistics, sys, time
from newstrace.executors.local import LocalExecutor
from newstrace.pipeline import trace_documents
from newstrace.store import Store, relation_to_dict
from newstrace.types import Document
db, queries_file, mode = sys.argv[1], sys.argv[2], sys.argv[3]
queries = json.loads(open(queries_file).read())
store, executor = Store(db), LocalExecutor(1)
if mode == "relations":  # what each tree finds, changes included
    found = []
    for qid, text in queries:
        r = trace_documents(store, [Document(id=qid, raw=text)], workers=1, semantic=False, executor=executor)
        found += [relation_to_dict(x) for x in r.relations]
    print(json.dumps({"relations": found}, sort_keys=True))
    raise SystemExit
trace_documents(store, [Document(id="warm-up", raw=queries[0][1])], workers=1, changes=False, semantic=False,
                executor=executor)
times, relations, cpu = [], 0, time.process_time()
for qid, text in queries:
    t = time.perf_counter()
    r = trace_documents(store, [Document(id=qid, raw=text)], workers=1, changes=False, semantic=False,
                        executor=executor)
    times.append(time.perf_counter() - t)
    relations += len(r.relations)
print(json.dumps({"cpu_s": time.process_time() - cpu, "p50_ms": 1000 * statistics.median(times),
                  "relations": relations}))
"""


def build(workdir: Path, originals: int, variants: int, seed: int) -> tuple[Path, Path]:
    """The index (BBC News and the variants) and the queries file, made once per settings."""
    from newstrace.pipeline import add_documents
    from newstrace.store import Store
    from newstrace.types import Document

    workdir.mkdir(parents=True, exist_ok=True)
    db, queries_file = workdir / f"copies-{originals}x{variants}-{seed}.db", workdir / f"queries-{originals}x{variants}-{seed}.json"
    if db.exists() and queries_file.exists():
        return db, queries_file
    for stale in workdir.glob(db.name + "*"):
        stale.unlink()
    bbc = [(i, t) for i, t in corpus() if i.startswith("bbc/")]
    rng = random.Random(seed)
    names = sorted({n for _, t in bbc[:300] for n in _NAME_RE.findall(t)})
    docs = [Document(id=i, raw=t) for i, t in bbc]
    queries = []
    for oid, text in rng.sample(bbc, originals):
        docs += [Document(id=f"{oid}~v{k}", raw=perturb(text, rng, names)) for k in range(variants)]
        queries.append((f"{oid}~query", perturb(text, rng, names)))
    with Store(db) as store:
        add_documents(store, docs, workers=2, forensics=False)
    queries_file.write_text(json.dumps(queries), encoding="utf-8")
    return db, queries_file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--originals", type=int, default=20)
    ap.add_argument("--variants", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--against", type=Path, default=None)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newstrace-bench-copies"))
    args = ap.parse_args()
    db, queries = build(args.workdir, args.originals, args.variants, args.seed)
    trees = {"this": SRC, **({"against": str(args.against)} if args.against else {})}
    runs: dict[str, list[dict]] = {name: [] for name in trees}  # type: ignore[type-arg]
    for _ in range(args.repeat):
        for name, src in trees.items():
            runs[name].append(run(TRACE, str(db), str(queries), "time", src=src))
    print(f"index: {db} ({args.originals} originals x {args.variants} variants + BBC News); "
          f"{args.originals} traces a run, median of {args.repeat} runs")
    medians = {}
    for name, rows in runs.items():
        medians[name] = {k: statistics.median(r[k] for r in rows) for k in ("cpu_s", "p50_ms")}
        print(f"  {name:8s} CPU {medians[name]['cpu_s']:.2f} s, p50 {medians[name]['p50_ms']:.1f} ms, "
              f"{rows[0]['relations']} relations ({rows[0]['relations'] / args.originals:.1f} a trace)")
    if args.against:
        print(f"  this code / against: CPU {medians['against']['cpu_s'] / medians['this']['cpu_s']:.2f}x less, "
              f"p50 {medians['against']['p50_ms'] / medians['this']['p50_ms']:.2f}x lower")
        same = (run(TRACE, str(db), str(queries), "relations")
                == run(TRACE, str(db), str(queries), "relations", src=str(args.against)))
        print(f"  same relations, passages and changes as against: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
