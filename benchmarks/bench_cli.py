"""Whole commands as a user types them: `newstrace scan` of the sample articles and `newstrace
trace` of one of them against their index, each a fresh process, start-up included; and the
first traces a freshly started `newstrace serve` answers.

    python benchmarks/bench_cli.py [--repeat 7]
    python benchmarks/bench_cli.py --against /tmp/old/src   # before/after, in the same run

A command on a few articles is mostly start-up: imports, the language model, the sentence
encoder, spaCy and WordNet for the analysis of changes.  The in-process figures of
``bench_index.py`` (a warm process, as the service runs) leave all of it out.  Each command runs
``--repeat`` times; with ``--against`` the other source tree (e.g. ``git archive REV src | tar -x
-C /tmp/old``) runs each command right after this checkout's, so both see the same load, and
its medians and this checkout's speed-up over it are printed.  The index is made once per tree
(untimed), and one untimed run of each command warms the caches both trees keep (the int8
model, the language model's copies).  The service (one worker) is started ``--repeat`` times per
tree; ``--settle`` seconds after it answers ``/healthz`` (a deployment's first request rarely
comes sooner) it is sent two traces of the query, each made unique so that its trace cache
cannot answer; both latencies are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
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


def first_traces(src: str, db: str, query: str, settle: float, run: int) -> tuple[float, float]:
    """Start ``serve`` of the tree at ``src`` over ``db`` (one worker), wait until it answers and
    ``settle`` seconds more, then time two traces of ``query`` (made unique): seconds of each."""
    import urllib.request

    with socket.socket() as probe:  # a free port on the loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", ENTRY, src, "serve", "--db", db, "--port", str(port),
                               "--workers", "1", "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ""})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # bounded: 60 s to start
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"serve of {src} did not start")
        time.sleep(settle)
        text = Path(query).read_text(encoding="utf-8")
        out = []
        for k in range(2):
            body = json.dumps({"text": f"{text}\n\nA note ({run}, {k}) was added to this copy."}).encode()
            request = urllib.request.Request(f"{base}/api/trace", data=body, headers={"Content-Type": "application/json"})
            t = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as answer:
                answer.read()
            out.append(time.perf_counter() - t)
        return out[0], out[1]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--against", metavar="SRC", help="also time the CLI of this source tree")
    ap.add_argument("--settle", type=float, default=10.0, help="seconds between the service's start and its first trace")
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
        for c in ("serve: first trace", "serve: second trace"):
            for name in trees:
                seconds[c, name] = []
        for i in range(args.repeat):
            order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
            for name, src in order:
                first, second = first_traces(src, dbs[name], query, args.settle, i)
                seconds["serve: first trace", name].append(first)
                seconds["serve: second trace", name].append(second)
    print(f"median of {args.repeat} runs, each a fresh process (load average {os.getloadavg()[0]:.1f})")
    header = f"{'command':36s}{'newstrace s':>13s}"
    if args.against:
        header += f"{'against s':>11s}{'speed-up':>10s}"
    print(header)
    for c in [*commands, "serve: first trace", "serve: second trace"]:
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
