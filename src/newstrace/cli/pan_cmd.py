"""``newstrace pan``: the PAN text-alignment interface (pairs, sources, suspicious, output)."""

from __future__ import annotations

import argparse
import sys

from newstrace.cli._common import positive_int

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "pan",
        help="align PAN text-alignment pairs and write one detection XML per pair",
        description=(
            "Run the passage aligner on every pair of a PAN 'pairs' file and write "
            "suspicious-documentNNNNN-source-documentMMMMM.xml detection files (the PAN "
            "text-alignment software interface)."
        ),
        epilog=(
            "A pair whose document is missing or unreadable is reported on stderr and skipped; "
            "the run goes on. Exit status: 0 when every pair was written, 1 when some were skipped, "
            "2 when the pairs file cannot be read."
        ),
    )
    parser.add_argument("pairs", metavar="PAIRS", help="the pairs file: 'suspicious-….txt source-….txt' per line")
    parser.add_argument("src_dir", metavar="SRC_DIR", help="folder of the source documents")
    parser.add_argument("susp_dir", metavar="SUSP_DIR", help="folder of the suspicious documents")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder for the detection XMLs (created if needed)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="processes to use (default: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.add_argument("--lexical-only", action="store_true",
                        help="align on words alone: no sentence embeddings (faster; rewritten and translated edge sentences are missed)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from newstrace.pan.run import detect_pairs, lexical_align, semantic_align

    try:
        summary = detect_pairs(args.pairs, args.src_dir, args.susp_dir, args.out_dir,
                               aligner=lexical_align if args.lexical_only else semantic_align,
                               workers=args.workers, progress=not args.no_progress)
    except (OSError, ValueError) as exc:
        print(f"newstrace pan: {exc}", file=sys.stderr)
        return 2
    print(
        f"{summary.written} of {summary.pairs} pairs written to {args.out_dir}, "
        f"{summary.passages} passages, {len(summary.errors)} skipped, "
        f"{summary.seconds:.1f} s ({summary.pairs_per_second:.2f} pairs/s)",
        file=sys.stderr,
    )
    return 1 if summary.errors else 0
