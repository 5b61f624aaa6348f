"""Benchmark: the aligner on PAN 2013 text-alignment training, with the official PAN measures.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_pan.py                 # whole corpus (5,185 pairs)
    .venv/bin/python benchmarks/bench_pan.py --limit 30      # first 30 pairs of each class

Prints wall time, pairs per second, and plagdet / precision / recall / granularity per class
and for the entire corpus.  Published reference (Sanchez-Perez, Gelbukh & Sidorov 2014, PAN 2013
training): no obfuscation 0.894, random 0.889, translation 0.884, summary 0.577, entire 0.877.
With ``--limit`` the figures are on a subset and not comparable with those.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "pan13-train"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run newstrace's aligner on PAN 2013 text-alignment training and score it.")
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS),
                        help=f"PAN corpus folder (default: {DEFAULT_CORPUS})")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="first N pairs of each class only")
    parser.add_argument("--classes", default=None, metavar="LIST", help="class folders, e.g. 02,03 (default: all)")
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="processes (default: all cores)")
    parser.add_argument("--out", default=None, metavar="DIR", help="keep the detection XMLs in DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    corpus = Path(args.corpus)
    if not (corpus / "02-no-obfuscation" / "pairs").is_file():
        print(f"SKIP: PAN 2013 text-alignment corpus not found at {corpus} "
              "(expected src/, susp/ and class folders with pairs files)")
        return 0

    from newstrace.cli.eval_cmd import render_pan_table
    from newstrace.pan.run import evaluate_corpus

    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    result = evaluate_corpus(corpus, workers=args.workers, out_dir=args.out, classes=classes,
                             limit=args.limit, progress=not args.no_progress)
    for err in result["errors"]:
        print(f"problem: {err['path']}: {err['reason']}", file=sys.stderr)
    render_pan_table(result)  # the table, then wall time and pairs/s
    return 0


if __name__ == "__main__":
    sys.exit(main())
