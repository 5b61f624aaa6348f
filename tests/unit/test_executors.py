"""The executor contract: a step mapped over items, results in input order."""

from __future__ import annotations

import os

from newstrace.executors.base import Executor
from newstrace.executors.local import MIN_ITEMS_FOR_POOL, LocalExecutor


def _square(x: int) -> int:
    return x * x


def _pid(_: int) -> int:
    return os.getpid()


def test_local_executor_keeps_input_order_in_a_pool() -> None:
    executor: Executor = LocalExecutor(workers=2)
    items = list(range(MIN_ITEMS_FOR_POOL + 10))
    assert list(executor.map(_square, items)) == [x * x for x in items]


def test_small_jobs_run_in_this_process() -> None:
    pids = set(LocalExecutor(workers=2).map(_pid, range(MIN_ITEMS_FOR_POOL - 1)))
    assert pids == {os.getpid()}


def _blas_threads(_: int = 0) -> list[int]:
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    return [int(x["num_threads"]) for x in threadpool_info() if x["user_api"] == "blas"]


def test_one_blas_thread_in_the_block_and_in_pool_workers() -> None:
    import numpy as np  # noqa: F401  (loads the BLAS library threadpoolctl reports)

    from newstrace.executors.local import one_blas_thread

    before = _blas_threads()
    assert before, "numpy's BLAS library is not visible to threadpoolctl"
    with one_blas_thread():
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before
    # A pool worker runs on one BLAS thread whatever its parent's setting.
    counts = list(LocalExecutor(workers=2).map(_blas_threads, range(MIN_ITEMS_FOR_POOL + 2)))
    assert {c for row in counts for c in row} == {1}


def test_a_stopped_pool_is_not_woken_through_a_closed_pipe_at_exit() -> None:
    """The interpreter's exit wakes each pool's manager thread; after a Ctrl-C the pipe could be
    closed already, and the write printed a traceback (tests/robustness/test_repros.py)."""
    from concurrent.futures import ProcessPoolExecutor

    from newstrace.executors.local import _stop

    pool = ProcessPoolExecutor(1)
    assert pool.submit(abs, -1).result() == 1
    wakeup = pool._executor_manager_thread_wakeup  # type: ignore[attr-defined]
    _stop(pool)
    # The race: the exit handler saw the pipe open, then the manager thread closed it.
    wakeup._writer.close()
    wakeup._closed = False
    wakeup.wakeup()  # what concurrent.futures' exit handler calls: no error
