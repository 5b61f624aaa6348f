"""Options and output handling shared by the CLI commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.report.output import FORMATS, counted, render
from newstrace.types import Document, Family, InputError, Relation, Story

__all__ = ["add_db", "add_limits", "add_output", "check_writable", "emit", "limits_from", "one_line", "positive_int", "report_errors"]

# Control characters (a newline in a file name would split the one-line message) shown escaped.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(32), 127]} | {10: "\\n", 13: "\\r", 9: "\\t"}


def one_line(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``), so it stays on one line."""
    return text.translate(_CONTROL)


def check_writable(path: str | None, what: str = "output") -> str | None:
    """Why ``path`` cannot be written, or None: checked before the work, not after it.

    The file is opened for appending (nothing is truncated) and, if it did not exist, removed
    again; a directory, a missing folder, a read-only or special file (``/proc/version``) fail here.
    """
    if not path:
        return None
    target = Path(path)
    if target.is_dir():
        return f"cannot write {what} {one_line(path)}: it is a directory"
    existed = target.exists()
    try:
        with target.open("a", encoding="utf-8") as fh:
            fh.write("")
            fh.flush()
    except OSError as exc:
        return f"cannot write {what} {one_line(path)}: {exc.strerror or exc}"
    if existed and not target.is_file():
        return f"cannot write {what} {one_line(path)}: not a regular file"
    if not existed:
        target.unlink(missing_ok=True)
    return None


def positive_int(value: str) -> int:
    """argparse type for counts such as ``--workers``: a clear message instead of a traceback."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return n


def add_db(parser: argparse.ArgumentParser, default: str | None = "newstrace.db") -> None:
    parser.add_argument("--db", default=default, metavar="PATH",
                        help=f"SQLite store (default: {default or 'a temporary store'})")


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    parser.add_argument("--workers", type=positive_int, default=None, help="processes to use (default: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    parser.add_argument("--lexical-only", action="store_true",
                        help="skip the semantic layer (sentence embeddings for paraphrase, summary and translation): "
                             "several times faster on large collections")
    parser.add_argument("--no-changes", action="store_true",
                        help="do not analyse what each rewrite changed (faster on large collections)")


def add_limits(parser: argparse.ArgumentParser) -> None:
    """The resource limits (``newstrace.limits``) as options, with their safe defaults."""
    d = DEFAULT_LIMITS
    parser.add_argument("--max-article-chars", type=positive_int, default=d.max_article_chars, metavar="N",
                        help=f"longer articles are skipped with a reason (default: {d.max_article_chars:,})")
    parser.add_argument("--max-file-bytes", type=positive_int, default=d.max_file_bytes, metavar="N",
                        help=f"larger files are skipped with a reason (default: {d.max_file_bytes:,})")
    parser.add_argument("--pair-seconds", type=float, default=d.pair_seconds, metavar="S",
                        help=f"a pair aligning longer is reported and skipped; 0: no limit (default: {d.pair_seconds:g})")


def limits_from(args: argparse.Namespace) -> Limits:
    """The ``Limits`` the options of :func:`add_limits` ask for (argparse already checked them)."""
    try:
        return Limits(args.max_article_chars, args.max_file_bytes, args.pair_seconds)
    except ValueError as exc:
        raise SystemExit(f"newstrace: error: {exc}") from None


def report_errors(errors: list[InputError]) -> None:
    """One line per skipped input on stderr: the input and the reason."""
    for e in errors:
        print(f"newstrace: skipped {one_line(e.path)}: {one_line(e.reason)}", file=sys.stderr)


def report_renamed(renamed: Sequence[tuple[str, str, str]], *, shown: int = 3) -> None:
    """One line on stderr for the documents whose id another file held, with the first few
    (``newstrace.stages.ingest.ids``): nothing is renamed without a word."""
    if not renamed:
        return
    examples = ", ".join(f"{one_line(old)} → {one_line(new)}" for _, old, new in renamed[:shown])
    more = ", …" if len(renamed) > shown else ""
    print(f"newstrace: {counted(len(renamed), 'document')} took a longer id, another file holding theirs "
          f"({examples}{more})", file=sys.stderr)


def emit(args: argparse.Namespace, documents: list[Document], relations: list[Relation],
         errors: list[InputError], stats: dict, *, families: list[Family] | None = None,  # type: ignore[type-arg]
         stories: list[Story] | None = None, not_aligned: dict[str, list[str]] | None = None) -> None:
    text = render(args.format, documents, relations, errors, stats, families=families, stories=stories,
                  not_aligned=not_aligned)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"newstrace: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
