"""The whole-collection plan read from a store: stored sketches plan as decoded fingerprints do,
and ``link`` aligns the copies while the sentence channel is still being planned."""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from newstrace.executors.local import MIN_ITEMS_FOR_POOL, LocalExecutor
from newstrace.pipeline import add_documents, link, relate_pairs
from newstrace.stages import candidates
from newstrace.stages.candidates import fingerprint, large_components, plan_pairs
from newstrace.store import Store, decode_sketch, encode_fingerprint
from newstrace.types import Document

T = TypeVar("T")
U = TypeVar("U")


def _sentence(rng: random.Random) -> str:
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(4, 9))) for _ in range(12)]
    return " ".join(words).capitalize() + "."


def _collection(seed: int) -> list[Document]:
    """Twenty copies of one article (a large shingle component), small groups of near-copies,
    and rewrites that share a few sentences of a common pool (the sentence channel's pairs)."""
    rng = random.Random(seed)
    pool = [_sentence(rng) for _ in range(60)]
    wire = " ".join(rng.sample(pool, 15))
    docs = [Document(id=f"wire{i:02d}", raw=wire, text=wire) for i in range(20)]
    for g in range(6):
        base = " ".join(_sentence(rng) for _ in range(12))
        docs += [Document(id=f"group{g}-{k}", raw=base + f" Ends {k}.", text=base + f" Ends {k}.") for k in range(3)]
    for r in range(25):
        own = [_sentence(rng) for _ in range(8)]
        text = " ".join(own + rng.sample(pool, 4))
        docs.append(Document(id=f"rewrite{r:02d}", raw=text, text=text))
    return docs


@pytest.mark.parametrize("seed", [1, 2])
def test_stored_sketches_plan_as_decoded_fingerprints(seed: int) -> None:
    fps = [fingerprint(d) for d in _collection(seed)]
    sketches = [decode_sketch(fp.doc_id, encode_fingerprint(fp)) for fp in fps]
    arrival = {fp.doc_id: k for k, fp in enumerate(reversed(fps))}
    pairs, stats = plan_pairs(fps, arrival=arrival)
    told: list[list[tuple[str, str]]] = []
    assert plan_pairs(sketches, arrival=arrival, shingles_planned=told.append) == (pairs, stats)
    channels = {ch for chs in pairs.values() for ch in chs}
    assert {"shingles", "family", "sentences"} <= channels and stats["large_components"] == 1
    # told once, before the sentence channel, of exactly the shingle and family pairs
    assert told == [sorted(p for p, chs in pairs.items() if chs & {"shingles", "family"})]
    assert large_components(sketches) == large_components(fps)


class _Counting:
    """A one-process executor counting its maps."""

    def __init__(self) -> None:
        self.maps = 0

    def map(self, step: Callable[[T], U], items: Iterable[T], *, label: str | None = None,
            one_at_a_time: bool = False) -> Iterator[U]:
        self.maps += 1
        return LocalExecutor(1).map(step, items, label=label, one_at_a_time=one_at_a_time)


def test_link_aligns_the_copies_while_the_sentence_channel_is_planned(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _collection(3)
    executor = _Counting()
    maps_when_sentences_planned: list[int] = []
    real = candidates._sentence_channel

    def sentence_channel(*args: Any, **kwargs: Any) -> Any:
        maps_when_sentences_planned.append(executor.maps)
        return real(*args, **kwargs)

    monkeypatch.setattr(candidates, "_sentence_channel", sentence_channel)
    with Store(tmp_path / "index.db") as store:
        add_documents(store, docs, workers=1)
        planned, _ = plan_pairs(store.all_sketches(), arrival=store.arrivals())
        shingle_pairs = [p for p, chs in planned.items() if chs & {"shingles", "family"}]
        assert len(shingle_pairs) >= MIN_ITEMS_FOR_POOL
        maps_when_sentences_planned.clear()
        stats: dict[str, int] = {}
        found = link(store, semantic=False, changes=False, executor=executor, stats=stats)
        assert maps_when_sentences_planned == [1]  # the copies' stream was started first
        assert executor.maps == 2 and stats["alignments"] == len(planned)
        by_id = {d.id: d for d in store.get_documents()}
        every = relate_pairs(by_id, sorted(planned), {}, store.languages(), changes=False, executor=LocalExecutor(1))
        assert sorted((r.source, r.target, r.type) for r in found) == sorted((r.source, r.target, r.type) for r in every)
        assert len(found) > len(shingle_pairs) // 2 and store.checked() == set(planned)


def test_a_few_copies_are_aligned_with_the_rest(tmp_path: Path) -> None:
    docs = [d for d in _collection(4) if not d.id.startswith("wire")]  # 18 copy pairs: below a pool's worth
    executor = _Counting()
    with Store(tmp_path / "index.db") as store:
        add_documents(store, docs, workers=1)
        link(store, semantic=False, changes=False, executor=executor)
    assert executor.maps == 1
