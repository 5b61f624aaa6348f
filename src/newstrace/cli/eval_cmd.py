"""``newstrace eval``: measure newstrace on public benchmarks (``eval pan``: PAN text alignment)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from newstrace.cli._common import positive_int

__all__ = ["register", "render_pan_table"]


def _class_list(value: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of classes, e.g. 02,03")
    return items


def _register_ecb(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ecb = sub.add_parser(
        "ecb", help="ECB+ story clustering: ARI and B-cubed at event and topic level, against a TF-IDF baseline",
        description="Cluster ECB+ documents into stories with the labels hidden; score ARI and B-cubed P/R/F1 at "
                    "event (subtopic) and topic level, with a leave-topics-out estimate and a TF-IDF average-link "
                    "baseline whose threshold is tuned on the same data.")
    ecb.add_argument("corpus_dir", metavar="DIR", help="the ecbplus-dev folder (or its .jsonl)")
    ecb.add_argument("--folds", type=positive_int, default=3, help="topic folds of the leave-topics-out estimate")
    ecb.add_argument("--limit", type=positive_int, default=None, metavar="N", help="only the first N topics")
    ecb.add_argument("--json", action="store_true", help="print the results as JSON")
    ecb.set_defaults(func=_ecb_cli)


def _ecb_cli(args: argparse.Namespace) -> int:
    from newstrace.evaluation.ecb import evaluate_ecb

    try:
        result = evaluate_ecb(args.corpus_dir, folds=args.folds, limit=args.limit)
    except (OSError, ValueError) as exc:
        print(f"newstrace eval ecb: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"ECB+ stories: {result['documents']} documents, {result['topics']} topics, "
                    f"{result['events']} events")
    for col in ("system", "threshold", "event ARI", "event B³ P", "event B³ R", "event B³ F1", "topic ARI",
                "topic B³ F1", "clusters"):
        t.add_column(col, justify="right" if col != "system" else "left")
    for name, key in (("newstrace stories", "stories"), ("  leave-topics-out", "stories_leave_topics_out"),
                      ("TF-IDF average link (tuned)", "baseline_tfidf_average_link")):
        r = result[key]
        thr = r.get("threshold", "/".join(str(x) for x in r.get("thresholds", [])))
        t.add_row(name, str(thr), f"{r['event_ari']:.3f}", f"{r['event_b3_precision']:.3f}",
                  f"{r['event_b3_recall']:.3f}", f"{r['event_b3_f1']:.3f}", f"{r['topic_ari']:.3f}",
                  f"{r['topic_b3_f1']:.3f}", str(r["clusters"]))
    console = Console() if sys.stdout.isatty() else Console(width=140)
    console.print(t)
    for label, key in (("leave-topics-out", "stories_leave_topics_out"),
                       ("  neighbours fixed", "stories_leave_topics_out_fixed_neighbours"),
                       ("  no close-date discount", "stories_leave_topics_out_no_close_dates")):
        d = result.get(key)
        if d is None:
            continue
        console.print(f"{label} over {d['draws']} fold draws: event ARI mean {d['event_ari_mean']:.3f} "
                      f"(min {d['event_ari_min']:.3f}), event B³ F1 mean {d['event_b3_f1_mean']:.3f} "
                      f"(min {d['event_b3_f1_min']:.3f}; P {d.get('event_b3_precision_mean', float('nan')):.3f}, "
                      f"R {d.get('event_b3_recall_mean', float('nan')):.3f})")
    console.print(f"{result['seconds']:.1f} s; {result['dated_documents']} documents dated from their URL or date line")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "eval",
        help="evaluate newstrace on a benchmark",
        description="Evaluate newstrace on a public benchmark and print its measures.",
    )
    sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    pan = sub.add_parser(
        "pan",
        help="PAN text alignment: plagdet, precision, recall, granularity per class",
        description=(
            "Run the aligner on a PAN text-alignment corpus (e.g. PAN 2013 training) and score it "
            "with the official PAN measures, per class folder and for the entire corpus pooled."
        ),
        epilog=(
            "Per-class figures pool the pairs of one class folder; 'entire' pools all selected pairs. "
            "A class without cases (01-no-plagiarism) scores 1 with no detections and 0 with any, "
            "as in the official evaluator; published per-obfuscation results do not include it "
            "('none' there is 02-no-obfuscation)."
        ),
    )
    pan.add_argument("corpus_dir", metavar="CORPUS_DIR",
                     help="corpus folder with src/, susp/ and the class folders (each with pairs and truth XMLs)")
    pan.add_argument("--detections", metavar="DIR", default=None,
                     help="score the detection XMLs in DIR instead of running the aligner")
    pan.add_argument("--out", metavar="DIR", default=None,
                     help="keep the detection XMLs in DIR (default: a temporary folder, removed afterwards)")
    pan.add_argument("--workers", type=positive_int, default=None, metavar="N",
                     help="processes to use (default: all cores)")
    pan.add_argument("--json", action="store_true", help="print the results as JSON on stdout instead of a table")
    pan.add_argument("--classes", type=_class_list, default=None, metavar="LIST",
                     help="only these class folders, by number or name, comma-separated (e.g. 02,03)")
    pan.add_argument("--limit", type=positive_int, default=None, metavar="N",
                     help="only the first N pairs of each class (quick runs)")
    pan.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    _register_ecb(sub)  # families: story clustering on ECB+
    pan.add_argument("--lexical-only", action="store_true",
                     help="align on words alone: no sentence embeddings (faster; rewritten and translated edge sentences are missed)")
    pan.set_defaults(func=run_pan)

    ists = sub.add_parser(
        "ists", help="SemEval-2016 interpretable STS (gold chunks): what the meaning checks find",
        description="Run the meaning-change analysis on iSTS sentence pairs, write OUT/<domain>.wa, "
                    "score it and the overlap baseline with the official evalF1.pl (perl).")
    ists.add_argument("data_dir", metavar="DIR", help="folder with STSint.*.<domain>.sent1/sent2.chunk.txt (and .wa gold)")
    ists.add_argument("--out", metavar="OUTDIR", default=None, help="where the .wa files go (default: a temporary folder)")
    ists.add_argument("--limit", type=positive_int, default=None, metavar="N", help="only the first N pairs per domain")
    ists.add_argument("--json", action="store_true", help="print the results as JSON")
    ists.set_defaults(func=run_ists)


def run_ists(args: argparse.Namespace) -> int:
    from newstrace.evaluation.ists import run_cli

    return run_cli(args)


def run_pan(args: argparse.Namespace) -> int:
    from newstrace.pan.run import evaluate_corpus, lexical_align, semantic_align

    if args.detections and args.out:
        print("newstrace eval pan: --out is for new detections; it cannot be used with --detections",
              file=sys.stderr)
        return 2
    try:
        result = evaluate_corpus(args.corpus_dir, args.detections, workers=args.workers, out_dir=args.out,
                                 classes=args.classes, limit=args.limit, progress=not args.no_progress,
                                 aligner=lexical_align if args.lexical_only else semantic_align)
    except (OSError, ValueError) as exc:
        print(f"newstrace eval pan: {exc}", file=sys.stderr)
        return 2
    for err in result["errors"]:
        print(f"newstrace: {err['path']}: {err['reason']}", file=sys.stderr)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_pan_table(result)
    return 0


def render_pan_table(result: dict[str, Any], console: Any = None) -> None:
    """Print an ``evaluate_corpus`` result as a rich table (stdout by default)."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)  # keep every column readable when piped
    table = Table(title=f"PAN text alignment: {result['corpus']}")
    table.add_column("class")
    for col in ("pairs", "cases", "detections", "plagdet", "precision", "recall", "granularity"):
        table.add_column(col, justify="right")
    rows = list(result["classes"])
    for i, row in enumerate([*rows, result["entire"]]):
        table.add_row(
            row["class"], str(row["pairs"]), str(row["cases"]), str(row["detections"]),
            f"{row['plagdet']:.4f}", f"{row['precision']:.4f}", f"{row['recall']:.4f}",
            f"{row['granularity']:.4f}",
            end_section=(i == len(rows) - 1),
        )
    console.print(table)
    console.print(
        f"wall time {result['seconds']:.1f} s, {result['pairs']} pairs, {result['pairs_per_second']:.2f} pairs/s"
        + (f" (alignment {result['detect_seconds']:.1f} s)" if result.get("detect_seconds") else "")
    )
    if result.get("errors"):
        console.print(f"{len(result['errors'])} problems (listed on stderr)")
