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
