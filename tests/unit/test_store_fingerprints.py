"""The store's fingerprint column (schema 5): a compact binary form that decodes to exactly the
fingerprint stored, and the in-place, transactional migration of a version-4 store (JSON)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fixtures.articles import ARTICLE, OTHER, write_corpus

from newstrace.errors import StoreError
from newstrace.pipeline import index_add
from newstrace.stages.candidates import Fingerprint, fingerprint
from newstrace.store import SCHEMA_VERSION, Store, decode_fingerprint, encode_fingerprint
from newstrace.types import Document


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "articles")


def _same(a: Fingerprint, b: Fingerprint) -> bool:
    return (a.doc_id, a.shingles, a.sentences, a.sentence_terms) == (b.doc_id, b.shingles, b.sentences, b.sentence_terms)


def _json(fp: Fingerprint) -> str:
    """The schema-4 form of the column."""
    return json.dumps({"shingles": fp.shingles, "sentences": fp.sentences,
                       "sentence_terms": [sorted(t) for t in fp.sentence_terms]})


@pytest.mark.parametrize("fp", [
    fingerprint(Document(id="a", raw=ARTICLE, text=ARTICLE, language="en")),
    fingerprint(Document(id="b", raw=OTHER, text=OTHER, language="en")),
    Fingerprint("empty"),
    Fingerprint("no-sentences", [0, 1, 2**32 - 1]),
    Fingerprint("odd", [], [[7, 8], [2**32 - 1, 0]], [frozenset({"zürich", "ünd", "東京"}), frozenset()]),
])
def test_the_binary_form_decodes_to_the_fingerprint_and_is_smaller_than_json(fp: Fingerprint) -> None:
    data = encode_fingerprint(fp)
    assert isinstance(data, bytes)
    assert _same(decode_fingerprint(fp.doc_id, data), fp)
    assert _same(decode_fingerprint(fp.doc_id, _json(fp)), fp)  # the schema-4 form still reads
    if len(fp.sentences) > 3:
        assert len(data) < 0.6 * len(_json(fp))


def test_bad_fingerprints_are_refused_with_the_document_named() -> None:
    with pytest.raises(ValueError, match=r"'x'.*control character"):
        encode_fingerprint(Fingerprint("x", [1], [[1, 2]], [frozenset({"a\x1fb"})]))
    with pytest.raises(ValueError, match=r"'x'.*unequal length"):
        encode_fingerprint(Fingerprint("x", [1], [[1, 2], [3]], [frozenset({"a"}), frozenset({"b"})]))
    good = encode_fingerprint(Fingerprint("x", [1, 2, 3]))
    with pytest.raises(StoreError, match="'x'"):
        decode_fingerprint("x", b"NTF0" + good[4:])
    with pytest.raises(StoreError, match="'x'"):
        decode_fingerprint("x", good[:-4])  # truncated digests


def _downgrade(db: Path) -> None:
    """Make ``db`` what schema 4 wrote: fingerprints as JSON, version 4."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT doc_id, data FROM fingerprints").fetchall()
        conn.executemany("UPDATE fingerprints SET data = ? WHERE doc_id = ?",
                         [(_json(decode_fingerprint(i, d)), i) for i, d in rows])
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.close()


def test_a_version_4_store_is_migrated_in_place(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        before = store.get_fingerprints()
        bands = store.band_rows("shingle_bands")
    _downgrade(db)
    with sqlite3.connect(db) as conn:
        assert {t for (t,) in conn.execute("SELECT typeof(data) FROM fingerprints")} == {"text"}
    conn.close()
    with Store(db) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION) == "9"
        kinds = {t for (t,) in store.conn.execute("SELECT typeof(data) FROM fingerprints")}
        after = store.get_fingerprints()
        assert store.band_rows("shingle_bands") == bands
    assert kinds == {"blob"}
    assert len(before) == 3 and all(_same(a, b) for a, b in zip(before, after, strict=True))


def test_a_failed_migration_leaves_the_version_4_store_as_it_was(corpus: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newstrace.store.MIGRATE_BATCH", 1)  # earlier rows are re-encoded before the failure
    db = tmp_path / "x.db"
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
    _downgrade(db)
    with sqlite3.connect(db) as conn:
        # the last row in rowid order is broken: the rows before it were already re-encoded
        conn.execute("UPDATE fingerprints SET data = '{\"shingles\": [' "
                     "WHERE rowid = (SELECT MAX(rowid) FROM fingerprints)")
        before = conn.execute("SELECT * FROM fingerprints ORDER BY rowid").fetchall()
    conn.close()
    with pytest.raises(StoreError, match=r"not a newstrace store|fingerprint"):
        Store(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("4",)
        assert conn.execute("SELECT * FROM fingerprints ORDER BY rowid").fetchall() == before
    conn.close()
