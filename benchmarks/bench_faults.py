"""Fault benchmark: kill -9 ``index add`` at many seeded moments on ~2,000 BBC articles,
resume, and compare each final store with a clean run; then two writers at once.

The CI suite (``tests/robustness/test_faults.py``) does 5 kill points on 52 articles; this
runs the real-sized collection (the lead runs it at the end; it takes a while)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_faults.py ../shared/data/bbc-news --kills 10

Prints one line per kill point (moment, documents and relations stored at the kill, equal or
the tables that differ) and a summary; exits non-zero if any store differs from the clean one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from newstrace.evaluation.faults import concurrent_writers, kill_and_resume, kill_points, run_index, snapshot


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bbc", type=Path, help="the BBC News folder (../shared/data/bbc-news)")
    ap.add_argument("--kills", type=int, default=10, help="kill points (default 10)")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--semantic", action="store_true", help="with the semantic layer and changes (much slower)")
    args = ap.parse_args()
    extra = () if args.semantic else ("--lexical-only", "--no-changes")
    inputs = [args.bbc]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds, first = run_index(inputs, work / "clean.db", extra=extra)
        clean = snapshot(work / "clean.db")
        print(f"clean run: {seconds:.1f} s (first commit at {first:.1f} s), {len(clean['documents'])} documents, "
              f"{len(clean['relations'])} relations, integrity {clean['integrity'][0][0]}")
        results = []
        for k, t in enumerate(kill_points(args.kills, seconds - first, args.seed)):
            r = kill_and_resume(inputs, work, clean, seconds=t, extra=extra, name=f"kill{k}")
            results.append(r)
            print(f"kill {k}: {r.seconds:7.2f} s after the first commit: {r.documents_at_kill:5d} documents, "
                  f"{r.relations_at_kill:5d} relations stored; resumed store "
                  f"{'equals the clean run' if r.equal else 'DIFFERS: ' + ', '.join(r.differences)}")
        codes = concurrent_writers(inputs, work / "two.db", writers=2, extra=extra)
        two = snapshot(work / "two.db") == clean
        print(f"two writers at once: exit codes {codes}, store {'equals the clean run' if two else 'DIFFERS'}")
    equal = sum(r.equal for r in results)
    print(f"{equal}/{len(results)} kill points equal to the clean run")
    return 0 if equal == len(results) and two and codes == [0, 0] else 1


if __name__ == "__main__":
    sys.exit(main())
