"""Run a per-item function over many items on this machine's cores.

Stages are plain picklable functions, so the same call runs in one process (``workers=1``,
used by tests and small inputs) or in a process pool.  A later Spark executor maps the
same functions over partitions.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import InvalidStateError, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["MIN_ITEMS_FOR_POOL", "LocalExecutor", "default_workers", "map_items", "one_blas_thread"]

T = TypeVar("T")
U = TypeVar("U")


def default_workers() -> int:
    """All cores, as the PAN and scan jobs are CPU-bound."""
    return max(1, os.cpu_count() or 1)


def map_items(
    func: Callable[[T], U],
    items: Iterable[T],
    *,
    workers: int | None = None,
    progress: str | None = None,
    total: int | None = None,
    chunksize: int = 4,
) -> Iterator[U]:
    """Yield ``func(item)`` for every item, in input order.

    Args:
        func: a picklable, module-level function.
        items: the inputs.
        workers: processes to use; ``None`` means all cores, ``1`` runs in this process.
        progress: a label to show a rich progress bar on stderr, or ``None`` for none.
        total: the number of items, for the progress bar, when ``items`` has no ``len``.
        chunksize: items sent to a worker at a time.
    """
    workers = default_workers() if workers is None else max(1, workers)
    items = list(items)
    total = len(items) if total is None else total
    bar = _progress(progress, total)
    try:
        if workers == 1 or total <= 1:
            results: Iterable[U] = map(func, items)
            for r in results:
                if bar:
                    bar[0].advance(bar[1])
                yield r
            return
        # Workers ignore Ctrl-C: the parent alone handles it (one line, not a traceback per
        # worker), and on any exit but the normal one stops them at once instead of waiting.
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_start)
        # The workers are forked at the first submission (all of them: pool.map submits every
        # chunk at once).  Frozen first, the parent's objects are in the collector's permanent
        # generation in the children: their collections never walk the inherited heap (a
        # scan's documents, fingerprints and models), nor write its reference counts' pages
        # again.  The parent's own objects are unfrozen as soon as the workers exist.
        try:
            gc.freeze()
            try:
                results = pool.map(func, items, chunksize=chunksize)
            finally:
                gc.unfreeze()
            for r in results:
                if bar:
                    bar[0].advance(bar[1])
                yield r
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown()
    finally:
        if bar:
            bar[0].stop()


# Process start-up costs more than a few dozen small jobs: fewer items run in this process.
MIN_ITEMS_FOR_POOL = 40


@dataclass(frozen=True, slots=True)
class LocalExecutor:
    """The ``Executor`` on this machine: a process pool, or this process for small jobs.

    Attributes:
        workers: processes; ``None`` means all cores, ``1`` runs in this process.
        progress: show a progress bar on stderr for labelled work.
        chunksize: items sent to a worker at a time.  One chunk is pickled as one message, and
            pickle writes an object once per message however often it recurs: a scan's pairs
            come sorted, so consecutive pairs share their first document (and its sentence
            vectors).  On 300 BBC articles' 1,217 semantic pair tasks, chunks of 32 instead of
            4 send 39 MB instead of 68 MB, and cut the pickling from 0.08-0.11 s to 0.05-0.06 s
            and the workers' unpickling from 0.15-0.25 s to 0.07-0.08 s; a worker also meets the same documents
            again sooner, so its tokeniser cache serves more of them.  A chunk of 32 pairs is
            about 0.1 s of work, so the two workers still finish within one chunk of each other.
    """

    workers: int | None = None
    progress: bool = False
    chunksize: int = 32

    def forks(self, items: int, *, one_at_a_time: bool = False) -> bool:
        """Whether :meth:`map` of ``items`` items runs in a pool of processes forked from this
        one (which then share what this process has loaded), rather than in this process."""
        workers = default_workers() if self.workers is None else max(1, self.workers)
        return workers > 1 and items > 1 and (one_at_a_time or items >= MIN_ITEMS_FOR_POOL)

    def map(self, step: Callable[[T], U], items: Iterable[T], *, label: str | None = None,
            one_at_a_time: bool = False) -> Iterator[U]:
        """Yield ``step(item)`` for every item, in input order.  Fewer than
        :data:`MIN_ITEMS_FOR_POOL` items run in this process, unless ``one_at_a_time`` (the
        ``Executor`` contract): then each item is one message to the pool, which two items
        already pay for."""
        todo = list(items)
        workers = self.workers if self.forks(len(todo), one_at_a_time=one_at_a_time) else 1
        return map_items(step, todo, workers=workers, progress=label if self.progress else None,
                         chunksize=1 if one_at_a_time else self.chunksize)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread in this process (and in the workers it forks).

    Every matrix product of a scan is small (a document's sentences against a few others',
    a chunk of pairs' cosine blocks), and its processes already use every core.  OpenBLAS's own
    threads on such products mostly wait for each other: on BBC News the static preselection's
    pair scores (``newstrace.stages.static.pair_scores``, a 20 x 400 product per document) cost
    17.4 CPU s with the default two threads and 0.85 s with one, for the same pairs chosen
    (OpenBLAS splits a product's rows and columns among its threads, never the sum over the
    shared dimension, so the products are the same).  A process pool's workers (one per core)
    get one BLAS thread each as they start (:func:`_worker_start`).
    """
    with _one_blas_thread():
        yield


def _worker_start() -> None:
    """A pool worker ignores Ctrl-C (the parent handles it) and runs its products on one BLAS
    thread (:func:`one_blas_thread`): the pool already has a process per core."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _one_blas_thread()


def _one_blas_thread() -> Any:
    """Limit this process's BLAS libraries to one thread; the returned limiter restores the
    previous counts when used as a context manager."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(limits=1, user_api="blas")


def _ignoring_closed(send: Callable[[], object]) -> Callable[[], None]:
    """``send``, with the error of writing to a pipe already closed (``OSError``,
    ``ValueError``) dropped."""

    def quiet() -> None:
        with suppress(OSError, ValueError):
            send()

    return quiet


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: queued work cancelled, running workers terminated.

    The pool's manager thread then fails the futures ``pool.map`` already cancelled, which
    raises ``InvalidStateError`` in that thread on Python 3.11 (a traceback on stderr after
    the user's Ctrl-C); that one error is silenced, any other thread error still reported.
    """
    previous = threading.excepthook

    def quiet(args: threading.ExceptHookArgs) -> None:
        if not (args.exc_type is InvalidStateError and type(args.thread).__name__ == "_ExecutorManagerThread"):
            previous(args)

    threading.excepthook = quiet
    # At interpreter exit ``concurrent.futures`` wakes each pool's manager thread through a pipe
    # that thread closes as it ends; on Python 3.11 the two can cross, and the write to the
    # closed pipe printed a traceback after the user's Ctrl-C (seen 1 run in ~20 of six
    # interrupts).  A stopped pool's thread needs no more waking: such an error is dropped.
    wakeup = getattr(pool, "_executor_manager_thread_wakeup", None)
    if wakeup is not None:
        wakeup.wakeup = _ignoring_closed(wakeup.wakeup)
    processes = list(getattr(pool, "_processes", {}).values())
    call_queue = getattr(pool, "_call_queue", None)  # shutdown forgets both queues
    result_queue = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)
    # A worker terminated while writing its result leaves half a message in the result pipe,
    # and the pool's manager thread waits for the rest forever; interpreter exit then hangs
    # joining that thread (seen about 1 Ctrl-C in 3).  With every worker gone, this process
    # holds the pipe's last write end: closing it turns the wait into end-of-file, which the
    # manager thread treats as a broken pool, and it ends.  Its feeder thread is not waited for.
    if call_queue is not None:
        call_queue.cancel_join_thread()
    writer = getattr(result_queue, "_writer", None)
    if writer is not None and not any(p.is_alive() for p in processes):
        writer.close()


def _progress(label: str | None, total: int) -> tuple[Any, Any] | None:
    if not label:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(label, total=total)
    progress.start()
    return progress, task
