"""``newstrace scan PATH...``: the one-shot job."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from newstrace.cli._common import (
    add_db,
    add_limits,
    add_output,
    check_writable,
    emit,
    limits_from,
    one_line,
    positive_int,
    report_errors,
    report_renamed,
)
from newstrace.pipeline import ScanResult, scan

__all__ = ["register", "scan_cli", "spark_scan_cli", "write_report"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("scan", help="scan articles and trace which derive from which",
                       description="Ingest files or directories of articles (.txt, .html, .jsonl, .warc[.gz]), "
                                   "clean them, find reused passages and report the relations.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or directory (walked recursively)")
    add_db(p, default=None)
    add_output(p)
    add_limits(p)
    p.add_argument("--report", metavar="FILE",
                   help="also write a self-contained HTML report (passages side by side, changes marked) to FILE")
    spark = p.add_argument_group("Spark engine", "run the scan as Spark jobs (pip install 'newstrace[spark]', Java 17)")
    spark.add_argument("--engine", choices=("local", "spark"), default="local",
                       help="local: this machine's processes (default); spark: Spark jobs, results written to --out")
    spark.add_argument("--master", default="local[*]", metavar="URL",
                       help="Spark master URL (default: local[*], this machine's cores)")
    spark.add_argument("--out", metavar="DIR",
                       help="Spark engine: folder (local or hdfs://, s3a://) for the documents, relations, families, "
                            "stories and errors datasets")
    spark.add_argument("--out-format", choices=("jsonl", "parquet"), default="jsonl",
                       help="Spark engine: dataset format (default: jsonl)")
    spark.add_argument("--partitions", type=positive_int, default=None, metavar="N",
                       help="Spark engine: partitions per step (default: Spark's default parallelism)")
    p.set_defaults(func=scan_cli)


_EXCEPTION_LINE = re.compile(r"^(?:Caused by: )?[\w.$]*(?:Exception|Error)\b[\w.$]*:? ")


def spark_scan_cli(args: argparse.Namespace) -> int:
    """``scan --engine spark``: the Spark jobs write their datasets; the summary goes to stdout."""
    from newstrace.engines.spark import SparkOptions, SparkUnavailable, scan_spark

    problems = []
    if not args.out:
        problems.append("--engine spark writes its results to a folder: give --out DIR")
    if args.db or args.report or args.output:
        problems.append("--db, --report and -o/--output are local-engine options; the Spark engine writes --out")
    if args.out and "://" not in args.out:  # a local folder: checked before the work, not after it
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            problems.append(f"--out {args.out}: a file, not a folder")
        else:
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                problems.append(f"--out {args.out}: cannot create the folder ({exc.strerror or exc})")
            else:
                if not os.access(out, os.W_OK | os.X_OK):
                    problems.append(f"--out {args.out}: the folder is not writable")
    if problems:
        for problem in problems:
            print(f"newstrace: error: {problem}", file=sys.stderr)
        return 2
    try:
        result = scan_spark(args.paths, args.out, options=SparkOptions(args.master, args.partitions),
                            fmt=args.out_format, changes=not args.no_changes, semantic=not args.lexical_only,
                            limits=limits_from(args))
    except SparkUnavailable as exc:
        print(f"newstrace: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a failed Spark job: its Java trace says little to the user
        lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
        # the innermost exception line ("java.net.URISyntaxException: …"), never a stack frame
        # ("at ….withInternalError(…)")
        named = [x for x in lines if _EXCEPTION_LINE.match(x)]
        cause = named[-1] if named else (lines[0] if lines else repr(exc))
        print(f"newstrace: error: the Spark job failed: {one_line(cause)}", file=sys.stderr)
        return 1
    report_errors(result.errors)
    shown = len(result.errors)
    if result.stats.get("skipped", 0) > shown:
        print(f"newstrace: ... and {int(result.stats['skipped']) - shown} more skipped inputs in "
              f"{args.out}/errors", file=sys.stderr)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps({"engine": "spark", "out": result.out, "summary": result.stats}, indent=2) + "\n")
    else:
        for key, value in result.stats.items():
            print(f"{key:>24}  {value}")
        print(f"newstrace: wrote {args.out_format} datasets under {result.out}", file=sys.stderr)
    return 0 if result.stats.get("documents") or not result.stats.get("skipped") else 1


def scan_cli(args: argparse.Namespace) -> int:
    if getattr(args, "engine", "local") == "spark":
        return spark_scan_cli(args)
    for path, what in ((args.output, "output"), (getattr(args, "report", None), "report")):
        problem = check_writable(path, what)
        if problem:  # before the work, not after it
            print(f"newstrace: error: {problem}", file=sys.stderr)
            return 2
    progress = not args.no_progress and sys.stderr.isatty()
    off: tuple[str, ...] = ()
    if not args.no_changes:
        from newstrace.stages.changes import checks_off

        off = checks_off()  # one line on stderr when a resource is missing
    result = scan(args.paths, db=args.db, workers=args.workers, progress=progress, changes=not args.no_changes,
                  semantic=not args.lexical_only, limits=limits_from(args))
    report_errors(result.errors)
    report_renamed(result.renamed)
    stats = {**result.stats, "checks_off": list(off)} if off else result.stats
    emit(args, result.documents, result.relations, result.errors, stats,
         families=result.families, stories=result.stories)
    if getattr(args, "report", None):
        write_report(args.report, result)
    return 0 if result.documents or not result.errors else 1


def write_report(path: str, result: ScanResult) -> None:
    """Write the HTML report of ``result`` to ``path``: exactly the relations the scan found, with
    the changes the pipeline computed (a report renders; it never runs a stage)."""
    from newstrace.report.html import render_html

    Path(path).write_text(render_html(result.documents, result.relations, result.errors, result.stats,
                                      families=result.families, stories=result.stories), encoding="utf-8")
    print(f"newstrace: wrote {path}", file=sys.stderr)
