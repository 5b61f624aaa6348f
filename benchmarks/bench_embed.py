"""Benchmark: sentence embedding throughput of each embedder on BBC News sentences.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_embed.py                      # 2,000 sentences, 2 threads, 3 runs
    .venv/bin/python benchmarks/bench_embed.py --sample 500 --runs 5 --models minilm-l3,e5-small

Samples ``--sample`` sentences (fixed seed) from the BBC News articles (split by newstrace's
sentence splitter), embeds them ``--runs`` times with each model using ``--threads`` CPU
threads, and prints the median (and min/max) sentences per second.  The first, untimed call
loads the model.  On a shared machine other processes' load shows in the spread.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "bbc-news"


def bbc_sentences(root: Path, n: int, seed: int = 0) -> list[str]:
    from newstrace.stages.text import split_sentences

    sentences: list[str] = []
    for path in sorted(root.rglob("*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        sentences.extend(s.text for s in split_sentences(text))
    random.Random(seed).shuffle(sentences)
    return sentences[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sentences per second of newstrace's embedders on BBC News.")
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), help=f"BBC News folder (default: {DEFAULT_CORPUS})")
    parser.add_argument("--sample", type=int, default=2000, help="sentences to embed (default: 2000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per model (default: 3)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads per model (default: 2)")
    parser.add_argument("--models", default="minilm-l3,minilm-l6,e5-small", help="comma-separated embedder names")
    args = parser.parse_args(argv)

    root = Path(args.corpus)
    if not root.is_dir():
        print(f"SKIP: BBC News not found at {root}")
        return 0
    from newstrace.stages.embed import MissingDependencyError, get_embedder

    sentences = bbc_sentences(root, args.sample)
    words = sum(len(s.split()) for s in sentences)
    print(f"{len(sentences)} BBC sentences ({words / max(1, len(sentences)):.1f} words on average), "
          f"{args.threads} threads, {args.runs} runs")
    for name in (m.strip() for m in args.models.split(",") if m.strip()):
        try:
            emb = get_embedder(name, threads=args.threads)
        except MissingDependencyError as exc:
            print(f"{name:10s} SKIP: {exc}")
            continue
        emb.encode(sentences[:32])  # load the model
        rates = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            emb.encode(sentences)
            rates.append(len(sentences) / (time.perf_counter() - t0))
        print(f"{name:10s} {statistics.median(rates):8.1f} sentences/s median "
              f"(min {min(rates):.1f}, max {max(rates):.1f})  {emb.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
