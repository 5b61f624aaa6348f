"""The executor contract: run a per-item step over many items, somewhere.

Steps are plain module-level functions over typed records (``newstrace.stages``); they never
know where they run.  An executor maps one step over items and yields the results in input
order.  ``LocalExecutor`` (``local.py``) uses this machine's cores; a Spark executor goes
beside it as ``spark.py`` (``SparkExecutor.map`` = ``sc.parallelize(items).map(step)``, with
heavy imports inside the step, as the steps already do), and the pipeline takes any
``Executor``.  Whole-collection steps (recurring lines, band keys -> candidate pairs, ANN
candidates, translation backgrounds) run in the driver between two ``map`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

__all__ = ["Executor", "finishing"]

T = TypeVar("T")
U = TypeVar("U")


class Executor(Protocol):
    """Maps a picklable per-item step over items."""

    def map(self, step: Callable[[T], U], items: Iterable[T], *, label: str | None = None,
            one_at_a_time: bool = False) -> Iterator[U]:
        """Yield ``step(item)`` for every item, in input order; ``label`` names the work for
        progress reporting (``None``: no progress shown).  ``one_at_a_time``: hand the items to
        the workers one by one, however few they are: for items of seconds of work each, or a
        stream whose first result should come after one item, not after a batch."""
        ...


@contextmanager
def finishing(results: Iterator[U]) -> Iterator[Iterator[U]]:
    """Close ``results`` (an executor's lazy map) however the consumer leaves it.

    A consumer that stops early (Ctrl-C while it commits a batch, an error) would otherwise
    leave the map suspended with its workers still busy and their results unread, and the
    process would hang at exit waiting for them; closing it stops the workers at once.
    """
    try:
        yield results
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
