"""The ``newstrace`` command: one sub-command per module, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys

from newstrace import __version__
from newstrace.errors import NewstraceError

__all__ = ["build_parser", "main", "run"]

# Each module defines ``register(subparsers)`` that adds its parser and sets ``func``.
COMMAND_MODULES = (
    "newstrace.cli.scan_cmd",
    "newstrace.cli.index_cmd",
    "newstrace.cli.trace_cmd",
    "newstrace.cli.pan_cmd",
    "newstrace.cli.eval_cmd",
    "newstrace.cli.compare_cmd",
    "newstrace.cli.serve_cmd",
    "newstrace.cli.stories_cmd",
    "newstrace.cli.family_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newstrace",
        description="Trace news articles to their sources: which derive from which, how, and which passages.",
    )
    parser.add_argument("--version", action="version", version=f"newstrace {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except NewstraceError as exc:
        print(f"newstrace: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newstrace: interrupted", file=sys.stderr)
        return 130


def run(argv: list[str] | None = None) -> int:
    """The process entry point (console script and ``python -m newstrace``): :func:`main`, then
    Ctrl-C ignored while the interpreter shuts down.

    Once a command has returned, its work is done and written; what is left is the interpreter's
    exit (the worker pool's and the store's clean-up).  An interrupt landing there used to print a
    traceback over a finished run while the exit status still said success, so from then on the
    process finishes its exit instead.  ``main`` itself leaves the signal alone, so callers that
    run commands in-process (tests, notebooks) keep their Ctrl-C.
    """
    code = main(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


if __name__ == "__main__":
    sys.exit(run())
