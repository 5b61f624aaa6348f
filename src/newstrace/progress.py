"""Opt-in progress bars on stderr (rich), shared by the long steps: reading files, embedding.

Off unless asked for (the CLI asks when stderr is a terminal); the library and the service
never draw one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["progress_bar"]


class _Bar:
    def __init__(self, label: str, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                                  transient=True)
        self._task = self._progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


class _NoBar:
    def advance(self, n: int = 1) -> None:
        pass


@contextmanager
def progress_bar(label: str, total: int, *, enabled: bool) -> Iterator[_Bar | _NoBar]:
    """A bar over ``total`` steps when ``enabled`` (and there is more than one step)."""
    if not enabled or total < 2:
        yield _NoBar()
        return
    bar = _Bar(label, total)
    bar._progress.start()
    try:
        yield bar
    finally:
        bar._progress.stop()
