"""Whole commands as a user types them: `newstrace scan` of the sample articles and `newstrace
trace` of one of them against their index, each a fresh process, start-up included.

    python benchmarks/bench_cli.py [--repeat 7]
    python benchmarks/bench_cli.py --against /tmp/old/src   # before/after, in the same run

A command on a few articles is mostly start-up: imports, the language model, the sentence
encoder, spaCy and WordNet for the analysis of changes.  The in-process figures of
``bench_index.py`` (a warm process, as the service runs) leave all of it out.  Each command runs
``--repeat`` times; with ``--against`` the other source tree (e.g. ``git archive REV src | tar -x
-C /tmp/old``) runs each command right after this checkout's, so both see the same load, and
its medians and this checkout's speed-up over it are printed.  The index is made once per tree
(untimed), and one untimed run of each command warms the caches both trees keep (the int8
model, the language model's copies).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SRC = str(ROOT / "src")

#: Runs the CLI of the tree first on ``sys.path`` and checks it is that tree.
ENTRY = r"""
import sys
src = sys.argv[1]
sys.path.insert(0, src)
import newstrace
assert newstrace.__file__.startswith(src), (newstrace.__file__, src)
from newstrace.cli.app import run
sys.exit(run(sys.argv[2:]))
"""


def command(src: str, args: list[str]) -> float:
    """Wall seconds of one CLI run of the tree at ``src``."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", ENTRY, src, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ""})
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--against", metavar="SRC", help="also time the CLI of this source tree")
    args = ap.parse_args()
    if not SEEDS.is_dir():
        print(f"skipped: sample articles not found at {SEEDS} (place ../shared beside the repository)")
        return 0
    trees = {"newstrace": SRC}
    if args.against:
        trees["against"] = str(Path(args.against).resolve())
    query = str(sorted(SEEDS.glob("*.txt"))[1])
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {}
        for name, src in trees.items():
            dbs[name] = str(Path(tmp) / f"{name}.db")
            command(src, ["index", "add", str(SEEDS), "--db", dbs[name]])
        trace = ["trace", query, "--db", "{db}", "--format", "json", "--no-progress"]
        commands: dict[str, list[str]] = {
            "scan (sample articles)": ["scan", str(SEEDS), "--format", "json", "--no-progress"],
            "trace": trace,
            "trace --lexical-only": [*trace, "--lexical-only"],
            "trace --lexical-only --no-changes": [*trace, "--lexical-only", "--no-changes"],
        }

        def make(c: str, name: str) -> list[str]:
            return [dbs[name] if a == "{db}" else a for a in commands[c]]
        seconds: dict[tuple[str, str], list[float]] = {(c, t): [] for c in commands for t in trees}
        for c in commands:
            for name, src in trees.items():
                command(src, make(c, name))  # warm-up, untimed
            for i in range(args.repeat):
                order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
                for name, src in order:
                    seconds[c, name].append(command(src, make(c, name)))
    print(f"median of {args.repeat} runs, each a fresh process (load average {os.getloadavg()[0]:.1f})")
    header = f"{'command':36s}{'newstrace s':>13s}"
    if args.against:
        header += f"{'against s':>11s}{'speed-up':>10s}"
    print(header)
    for c in commands:
        ours = statistics.median(seconds[c, "newstrace"])
        line = f"{c:36s}{ours:13.2f}"
        if args.against:
            theirs = statistics.median(seconds[c, "against"])
            line += f"{theirs:11.2f}{theirs / ours:9.2f}x"
        print(line)
    if args.against:
        print(f"against: {trees['against']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
