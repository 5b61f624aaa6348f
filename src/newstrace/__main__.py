"""``python -m newstrace`` is the same as the ``newstrace`` console script."""

from newstrace.cli.app import run

raise SystemExit(run())
