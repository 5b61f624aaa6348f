"""The vector files beside the store (``stages/semantic/index_file.py``): a cache brought up to
date from the store's change log, rebuilt when missing or made for another store or model."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from newstrace.stages.semantic.index_file import IndexFile, index_path, open_index

Change = tuple[int, str, np.ndarray | None]


class Log:
    """A store's change log of document vectors: (seq, key, group, vector or None)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, str, np.ndarray | None]] = []
        self.asked: list[int] = []

    def put(self, key: int, vec: np.ndarray | None, group: str = "") -> None:
        self.rows = [r for r in self.rows if r[1] != key]  # one row per key, as doc_vectors
        self.rows.append((self.seq + 1, key, group, vec))

    @property
    def seq(self) -> int:
        return max((r[0] for r in self.rows), default=0)

    def changes(self, after: int) -> Iterator[Change]:
        self.asked.append(after)
        for _, key, group, vec in sorted(r for r in self.rows if r[0] > after):
            yield key, group, vec


def _vec(i: int, dim: int = 8) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    v[i % dim] = 1.0
    v[(i + 1) % dim] = 0.1 * (i // dim + 1)
    return v


def _open(path: Path, log: Log, store: str = "s1", model: str = "m@1") -> IndexFile:
    return open_index(path, store_id=store, model=model, group="", seq=log.seq, changes=log.changes)


def test_a_file_follows_the_store_and_is_only_rebuilt_when_it_cannot_be_trusted(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = index_path(tmp_path / "x.db", "m@1", "")
    log = Log()
    for i in range(20):
        log.put(i, _vec(i))
    with caplog.at_level(logging.INFO, logger="newstrace"):
        f = _open(path, log)
    assert f.size == 20 and log.asked == [0]
    assert [r for r in caplog.records if "rebuilding" in r.getMessage()]
    [[(key, cos), *_]] = f.search(_vec(3)[None, :], 3)
    assert key == 3 and cos == pytest.approx(1.0)

    # up to date: opened as it is (memory-mapped), the log is not read
    log.asked.clear()
    assert _open(path, log).size == 20 and log.asked == []

    # behind: only the changes since are applied (a removal, a replacement, an addition)
    seen = log.seq
    log.put(3, None)
    log.put(4, _vec(11))
    log.put(20, _vec(20))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="newstrace"):
        f = _open(path, log)
    assert log.asked == [seen] and f.size == 20
    assert not [r for r in caplog.records if "rebuilding" in r.getMessage()]
    hits = f.search(_vec(3)[None, :], 25)[0]
    assert 3 not in [k for k, _ in hits] and 20 in [k for k, _ in hits]

    # made for another store, or another model: rebuilt from the whole log, with one log line
    for store, model in (("s2", "m@1"), ("s2", "m@2")):
        log.asked.clear()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="newstrace"):
            f = _open(index_path(tmp_path / "x.db", model, ""), log, store=store, model=model)
        assert log.asked == [0] and f.size == 20
        assert len([r for r in caplog.records if "rebuilding" in r.getMessage()]) == 1

    # a file whose description claims a change the store never made (a newer file over an
    # older store): rebuilt, never trusted
    meta = Path(f"{path}.json")
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "seq": log.seq + 5}))
    log.asked.clear()
    assert _open(path, log).size == 20 and log.asked == [0]

    # missing: rebuilt
    path.unlink()
    log.asked.clear()
    assert _open(path, log).size == 20 and log.asked == [0]


def test_an_empty_group_has_no_file_and_finds_nothing(tmp_path: Path) -> None:
    log = Log()
    log.put(1, _vec(1), group="de")
    f = open_index(index_path(tmp_path / "x.db", "m@1", "en"), store_id="s", model="m@1", group="en",
                   seq=log.seq, changes=log.changes)
    assert f.size == 0 and f.search(_vec(1)[None, :], 5) == [[]]


def test_searched_together_each_row_gets_its_own_answer(tmp_path: Path) -> None:
    """``vectors._nearest_many`` (index add's batched search: one call per file for many rows,
    on two threads) answers each row as ``_nearest`` (trace's one-row search) and as the plain
    definition do: each row leaves out its own group's file, and hits from several files are
    merged nearest first."""
    from newstrace.stages.vectors import _nearest, _nearest_many

    rng = np.random.default_rng(3)
    files = {}
    for g, group in enumerate(("en", "es", "fr")):
        log = Log()
        for i in range(300):
            log.put(1000 * g + i, rng.normal(size=16).astype(np.float32), group)
        files[group] = open_index(index_path(tmp_path / "x.db", "m@1", group), store_id="s1", model="m@1",
                                  group=group, seq=log.seq, changes=log.changes)
    queries = rng.normal(size=(40, 16)).astype(np.float32)
    exclude = [(None, "en", "es", "fr")[k % 4] for k in range(len(queries))]
    def plain(q: np.ndarray, count: int, x: str | None) -> list[tuple[int, float]]:
        # every other group's file searched for this row alone, merged nearest first
        hits = [h for g, f in sorted(files.items()) if g != x for h in f.search(q[None, :], count)[0]]
        return sorted(hits, key=lambda h: -h[1])[:count]

    for count in (1, 10, 50):
        alone = [_nearest(files, q, count, x) for q, x in zip(queries, exclude, strict=True)]
        assert alone == [plain(q, count, x) for q, x in zip(queries, exclude, strict=True)]
        assert _nearest_many(files, queries, count, exclude, threads=2) == alone
        assert all(len(a) == count for a in alone)
    assert {k // 1000 for k, _ in _nearest(files, queries[1], 50, "en")} == {1, 2}
