"""The analysis of changes loads its models once, in the process that forks the workers.

A scan with the analysis through the Python API, or an ``index add``, used to load spaCy and
WordNet in each of its six workers (two preparing, four relating): about 1.2 CPU seconds each.
The models are now loaded where the pools fork from, while the line workers run, and the
workers share them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fixtures.articles import ARTICLE, OTHER

import newstrace.pipeline as pipeline
from newstrace.executors.local import MIN_ITEMS_FOR_POOL, LocalExecutor
from newstrace.store import Store
from newstrace.types import Document

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class _Recording(LocalExecutor):
    """A local executor that notes each map (its step, and whether it forks) in ``events``."""

    events: list[tuple[str, ...]] = field(default_factory=list)

    def map(self, step: Callable[[T], U], items: Iterable[T], *, label: str | None = None,
            one_at_a_time: bool = False) -> Iterator[U]:
        todo = list(items)
        name = getattr(step, "__name__", None) or getattr(getattr(step, "func", None), "__name__", "?")
        self.events.append(("map", name, str(self.forks(len(todo), one_at_a_time=one_at_a_time))))
        results = LocalExecutor.map(self, step, todo, label=label, one_at_a_time=one_at_a_time)
        for k, result in enumerate(results):
            if k == 0:  # the pool has forked and every item is submitted
                self.events.append(("first result", name))
            yield result


def _docs(n: int) -> list[Document]:
    return [Document(id=f"d{i:03d}", raw=(ARTICLE if i % 2 else OTHER) + f"\n\nFiled as item {i}.")
            for i in range(n)]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    events: list[tuple[str, ...]] = []
    monkeypatch.setattr(pipeline, "load_changes_resources", lambda: events.append(("load",)))
    return events


def test_models_are_loaded_before_the_preparing_pool_forks(tmp_path: Path, loads: list[tuple[str, ...]]) -> None:
    executor = _Recording(workers=2, events=loads)
    with Store(tmp_path / "s.db") as store:
        pipeline.add_documents(store, _docs(MIN_ITEMS_FOR_POOL + 2), executor=executor, forensics=True)
    maps = [e[1] for e in loads if e[0] == "map"]
    assert maps == ["line_facts", "_prepare_shard"]
    # loaded once, after the line workers started (they run meanwhile), before the preparing pool
    assert loads == [("map", "line_facts", "True"), ("first result", "line_facts"), ("load",),
                     ("map", "_prepare_shard", "True"), ("first result", "_prepare_shard")]


@pytest.mark.parametrize(("workers", "forensics", "n"), [(2, False, MIN_ITEMS_FOR_POOL + 2),
                                                         (1, True, MIN_ITEMS_FOR_POOL + 2),
                                                         (2, True, 3)])
def test_nothing_is_loaded_ahead_without_the_analysis_or_a_pool(tmp_path: Path, loads: list[tuple[str, ...]],
                                                                workers: int, forensics: bool, n: int) -> None:
    with Store(tmp_path / "s.db") as store:
        pipeline.add_documents(store, _docs(n), executor=_Recording(workers=workers, events=loads),
                               forensics=forensics)
    assert ("load",) not in loads


def test_models_are_loaded_before_the_relating_pool_forks(loads: list[tuple[str, ...]]) -> None:
    docs = {d.id: d for d in _docs(MIN_ITEMS_FOR_POOL + 2)}
    ids = sorted(docs)
    pairs = [(ids[i], ids[i + 1]) for i in range(len(ids) - 1)]
    for changes, expected in ((False, []), (True, [("load",)])):
        loads.clear()
        executor = _Recording(workers=2, events=loads)
        list(pipeline.relate_stream(docs, pairs, {}, {}, changes=changes, executor=executor))
        assert loads == [*expected, ("map", "relate_task_limited", "True"), ("first result", "relate_task_limited")]
    loads.clear()  # a few pairs are related in this process: nothing is loaded ahead
    list(pipeline.relate_stream(docs, pairs[:3], {}, {}, changes=True, executor=_Recording(workers=2, events=loads)))
    assert ("load",) not in loads


def _models_loaded(_: Any) -> tuple[int, int, int]:
    from newstrace.stages.changes.resources import _index, nlp, wordnet

    return nlp.cache_info().currsize, wordnet.cache_info().currsize, _index.cache_info().currsize


_REAL_PREPARE_SHARD = pipeline._prepare_shard


def _prepare_shard_with_the_models_loaded(*args: Any) -> Any:
    """The prepare step, in a worker, refusing to start on models it would have to load itself."""
    assert _models_loaded(None) == (1, 1, 1), "a preparing worker had to load the models itself"
    return _REAL_PREPARE_SHARD(*args)


def test_the_preparing_workers_find_the_models_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through ``add_documents``: each preparing worker finds spaCy, WordNet and its index loaded
    when it starts (forked from the driver, which loaded them while the line workers ran)."""
    from newstrace.stages.changes.resources import _index, nlp, wordnet

    for loaded in (nlp, wordnet, _index):  # loaded by earlier tests in this process: not by the driver's step
        loaded.cache_clear()
    monkeypatch.setattr(pipeline, "_prepare_shard", _prepare_shard_with_the_models_loaded)
    with Store(tmp_path / "s.db") as store:
        stats = pipeline.add_documents(store, _docs(MIN_ITEMS_FOR_POOL + 2), workers=2, forensics=True)
    assert stats.added == MIN_ITEMS_FOR_POOL + 2


def test_forks_says_where_a_map_runs() -> None:
    assert LocalExecutor(workers=2).forks(MIN_ITEMS_FOR_POOL)
    assert not LocalExecutor(workers=2).forks(MIN_ITEMS_FOR_POOL - 1)
    assert LocalExecutor(workers=2).forks(2, one_at_a_time=True)
    assert not LocalExecutor(workers=2).forks(1, one_at_a_time=True)
    assert not LocalExecutor(workers=1).forks(10 * MIN_ITEMS_FOR_POOL)
