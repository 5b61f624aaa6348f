"""The store's offsets column (schema 6): runs that decode to exactly the per-character offsets
of a document, the list form of schema 5 still read, and a version-5 store opened in place."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fixtures.articles import write_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.pipeline import index_add
from newstrace.stages.prepare import decode_offsets, encode_offsets
from newstrace.store import SCHEMA_VERSION, Store


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(-5, 2**40), max_size=60)
       | st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 50)), max_size=12).map(
           lambda runs: [o + k for o, n in runs for k in range(n)]))
def test_runs_decode_to_the_offsets(offsets: list[int]) -> None:
    column = encode_offsets(offsets)
    assert decode_offsets(column) == offsets
    assert decode_offsets(json.dumps(offsets)) == offsets  # schema 5's list


def test_a_cleaned_article_is_a_few_runs(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "articles")
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        for doc in store.get_documents():
            column = store.conn.execute("SELECT offsets FROM documents WHERE id = ?", (doc.id,)).fetchone()[0]
            assert len(doc.offsets) == len(doc.text) + 1
            assert len(column) < len(json.dumps(doc.offsets)) / 4
            assert all(doc.raw[doc.offsets[i]] == ch for i, ch in enumerate(doc.text) if not ch.isspace())


def test_bad_offsets_columns_are_refused() -> None:
    for column in ('{"n": 3, "runs": [0, 5]}x', '{"n": 4, "runs": [0, 5, 2]}', '{"runs": [0, 1]}', '{"n": -1, "runs": [0, 1]}', '{"n": 2, "runs": [0, 1, 5, 9]}'):
        with pytest.raises(ValueError):
            decode_offsets(column)


def test_a_version_5_store_is_opened_in_place_and_its_lists_still_read(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "articles")
    db = tmp_path / "x.db"
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        before = {d.id: d.offsets for d in store.get_documents()}
    with sqlite3.connect(db) as conn:  # what schema 5 wrote: one integer per character
        conn.executemany("UPDATE documents SET offsets = ? WHERE id = ?",
                         [(json.dumps(offsets), i) for i, offsets in before.items()])
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    conn.close()
    with Store(db) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION) == "9"
        assert {d.id: d.offsets for d in store.get_documents()} == before
