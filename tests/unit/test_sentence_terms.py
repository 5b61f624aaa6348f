"""Sentence-band rows keyed by their sentence's terms (store schema 8): the sentence channel of
a stored index checks a bucket's members by the terms the rows name, each colliding sentence's
read once, instead of reading each member's whole fingerprint, and proposes exactly the same
candidates either way."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.pipeline import add_documents
from newstrace.stages.candidates import (
    SENTENCE_KEY_BITS,
    TERM_SEP,
    Fingerprint,
    SentenceBuckets,
    StoredSketch,
    indexed_candidates,
)
from newstrace.stages.prepare import band_rows
from newstrace.store import BAND_LEVELS, Store
from newstrace.types import Document


def _articles() -> list[Document]:
    """Invented articles: 6 originals of 8 sentences, each with a cut copy and a spun copy (a
    third of each sentence's words swapped), among unrelated ones sharing the vocabulary."""
    rng = random.Random(11)
    vocab = [f"{a}{b}" for a in ("mar", "tel", "vor", "kin", "sal", "dru", "pem", "lox", "quo", "fis")
             for b in ("ab", "eb", "ib", "ob", "ut", "an", "en", "on", "ir", "ul", "ex", "ax")]
    docs: list[Document] = []
    for i in range(6):
        sents = [" ".join(rng.choice(vocab) for _ in range(12)).capitalize() + "." for _ in range(8)]
        docs.append(Document(id=f"a{i}.txt", raw=f"Story {i}\n\n" + " ".join(sents)))
        docs.append(Document(id=f"a{i}-cut.txt", raw=f"Story {i} cut\n\n" + " ".join(sents[:5])))
        spun = [" ".join(rng.choice(vocab) if k % 3 == 1 else w for k, w in enumerate(s.rstrip(".").split())) + "."
                for s in sents]
        docs.append(Document(id=f"a{i}-spun.txt", raw=f"Story {i} spun\n\n" + " ".join(spun)))
    return docs


class _Counting:
    """A band lookup that counts the fingerprints read whole (with their sentences)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.read_whole = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def sketches(self, ids: Iterable[str], *, sentences: bool = True) -> dict[str, StoredSketch]:
        got = self.store.sketches(ids, sentences=sentences)
        if sentences:
            self.read_whole += len(got)
        return got


def test_band_rows_name_each_sentence_band_s_sentence() -> None:
    one, other = frozenset({"alpha", "beta", "gamma", "delta", "eps"}), frozenset({"zeta", "eta", "theta", "iota", "kap"})
    digest = list(range(60))
    # two sentences with one digest (bands alike) but different terms; a third with the first's
    # terms; a fourth with the first's digest and terms
    fp = Fingerprint("x", [], [digest, digest, list(range(100, 160)), digest], [one, other, one, one])
    _, sentences, terms = band_rows(fp)
    keyed = dict(sentences)
    assert len(keyed) == 40  # 20 bands of each distinct digest
    # each distinct term set kept once, under its first sentence
    assert terms == ((0, TERM_SEP.join(sorted(one))), (1, TERM_SEP.join(sorted(other))))
    # the shared digest's bands hold two term sets: no sentence; the third's name the first
    assert sum(v is None for v in keyed.values()) == 20
    assert sorted(v for v in keyed.values() if v is not None) == [0] * 20


def test_a_new_version_replaces_its_sentences_terms(tmp_path: Path) -> None:
    docs = _articles()
    with Store(tmp_path / "x.db") as store:
        add_documents(store, [Document(id=d.id, raw=d.raw) for d in docs[:3]], workers=1, forensics=False)
        before = store.conn.execute("SELECT COUNT(*) FROM sentence_terms").fetchone()[0]
        add_documents(store, [Document(id=docs[0].id, raw=docs[3].raw)], workers=1, forensics=False)
        [fp] = store.get_fingerprints([docs[0].id])
        no = store.conn.execute("SELECT no FROM doc_numbers WHERE id = ?", (docs[0].id,)).fetchone()[0]
        kept = [t for (t,) in store.conn.execute("SELECT terms FROM sentence_terms WHERE key >> ? = ? ORDER BY key",
                                                 (SENTENCE_KEY_BITS, no))]
        after = store.conn.execute("SELECT COUNT(*) FROM sentence_terms").fetchone()[0]
    texts = [TERM_SEP.join(sorted(t)) for t in fp.sentence_terms]
    assert before > 0 and kept == sorted(set(texts), key=texts.index)  # the new version's, in order
    assert after == before - 8 + len(kept)  # the old version's 8 sentences gone


def test_keyed_rows_propose_what_the_fingerprints_propose_and_read_none_whole(tmp_path: Path) -> None:
    docs = _articles()
    db = tmp_path / "x.db"
    with Store(db) as store:
        add_documents(store, [Document(id=d.id, raw=d.raw) for d in docs], workers=1, forensics=False)
        fps = store.get_fingerprints([d.id for d in docs])
        keyed_lookup = _Counting(store)
        keyed = {fp.doc_id: indexed_candidates(keyed_lookup, fp, stored=True) for fp in fps}
        # an article from outside the index, as ``trace`` looks one up
        outside = Fingerprint("q", [], fps[0].sentences[:4], fps[0].sentence_terms[:4])
        keyed_outside = indexed_candidates(keyed_lookup, outside)
        with store.transaction() as c:  # rows as a store made before schema 8 holds them
            for level in BAND_LEVELS:
                c.execute(f"UPDATE sentence_bands{level} SET terms = NULL")
        plain_lookup = _Counting(store)
        plain = {fp.doc_id: indexed_candidates(plain_lookup, fp, stored=True) for fp in fps}
        plain_outside = indexed_candidates(plain_lookup, outside)
    assert keyed == plain and keyed_outside == plain_outside
    assert sum("sentences" in ch for found in keyed.values() for ch in found.values()) >= 12  # spun and cut copies
    assert {"a0.txt", "a0-cut.txt", "a0-spun.txt"} <= set(keyed_outside)
    assert keyed_lookup.read_whole == 0 and plain_lookup.read_whole > 0


def test_a_missing_terms_row_falls_back_to_the_fingerprint(tmp_path: Path) -> None:
    docs = _articles()
    with Store(tmp_path / "x.db") as store:
        add_documents(store, [Document(id=d.id, raw=d.raw) for d in docs], workers=1, forensics=False)
        fps = store.get_fingerprints([d.id for d in docs])
        before = {fp.doc_id: indexed_candidates(store, fp, stored=True) for fp in fps}
        with store.transaction() as c:
            c.execute("DELETE FROM sentence_terms")
        lookup = _Counting(store)
        after = {fp.doc_id: indexed_candidates(lookup, fp, stored=True) for fp in fps}
    assert after == before and lookup.read_whole > 0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 9), st.sampled_from([0, 5, -(1 << 63), (1 << 63) - 1])),
                max_size=60), st.integers(1, 4))
def test_sentence_buckets_keep_each_key_s_first_members_in_order(rows: list[tuple[int, int, int]], limit: int) -> None:
    names = {n: f"d{n}" for n in range(9)}  # number 9 has no id: left out, as a store leaves it
    buckets = SentenceBuckets.of_rows(np.asarray([r[0] for r in rows], dtype=np.int64),
                                      np.asarray([r[1] for r in rows], dtype=np.int64),
                                      np.asarray([r[2] for r in rows], dtype=np.int64), limit,
                                      lambda numbers: {n: names[n] for n in numbers if n in names})
    expected: dict[int, list[tuple[str, int | None]]] = {}
    counted: dict[int, int] = {}
    for key, doc, terms in rows:
        counted[key] = counted.get(key, 0) + 1
        if counted[key] <= limit:
            members = expected.setdefault(key, [])
            if doc in names:
                members.append((names[doc], terms or None))
    assert dict(buckets.items()) == expected
    assert buckets.get(99) is None and len(buckets) == len(expected)
