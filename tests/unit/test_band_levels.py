"""The band tables in levels (``newstrace.store.BAND_LEVELS``): new rows go to a small first
level, merged into larger ones in key order, and every lookup reads all levels, so a store
answers exactly as one table would, whatever level its rows are in."""

from __future__ import annotations

import random
import sqlite3
from itertools import pairwise
from pathlib import Path

import pytest

import newstrace.store as store_module
from newstrace.pipeline import add_documents, link
from newstrace.stages.candidates import SHINGLE_CHANNEL, band_hashes
from newstrace.store import BAND_LEVELS, BAND_TABLES, SCHEMA_VERSION, Store
from newstrace.types import Document

#: Level sizes small enough for a few batches of invented articles to fill every level: adds
#: of ``BATCHES`` documents leave 2, 3, 5 and 9 documents' rows in the four levels.
SMALL_LEVELS = (2, 4, 8)
BATCHES = (9, 5, 3, 2)


def _articles() -> list[Document]:
    """Invented articles: 8 originals of 8 sentences, each with a cut copy and an edited copy."""
    rng = random.Random(7)
    vocab = [f"{a}{b}" for a in ("mar", "tel", "vor", "kin", "sal", "dru", "pem", "lox") for b in
             ("ab", "eb", "ib", "ob", "ut", "an", "en", "on", "ir", "ul")]
    docs: list[Document] = []
    for i in range(8):
        sents = [" ".join(rng.choice(vocab) for _ in range(12)).capitalize() + "." for _ in range(8)]
        docs.append(Document(id=f"a{i}.txt", raw=f"Story {i}\n\n" + " ".join(sents)))
        docs.append(Document(id=f"a{i}-cut.txt", raw=f"Story {i} cut\n\n" + " ".join(sents[:5])))
        edited = [s.replace(s.split()[3], "zephyr", 1) if j % 3 == 0 else s for j, s in enumerate(sents)]
        docs.append(Document(id=f"a{i}-edit.txt", raw=f"Story {i} again\n\n" + " ".join(edited)))
    return docs


def _fresh(docs: list[Document]) -> list[Document]:
    return [Document(id=d.id, raw=d.raw) for d in docs]


def _level_counts(store: Store, table: str) -> dict[str, int]:
    return {level: int(store.conn.execute(f"SELECT COUNT(*) FROM {table}{level}").fetchone()[0])
            for level in BAND_LEVELS}


def _build(db: Path, docs: list[Document], batches: tuple[int, ...] = BATCHES) -> None:
    with Store(db) as store:
        start = 0
        for size in batches:
            add_documents(store, _fresh(docs[start : start + size]), workers=1, forensics=False)
            start += size


def _lookups(store: Store) -> tuple[dict[int, list[str]], dict[int, set[str]]]:
    sentence_keys = sorted({k for k, _ in store.band_rows("sentence_bands")})
    shingle_keys = sorted({k for k, _ in store.band_rows("shingle_bands")})
    many = {k: sorted(v) for k, v in store.sentence_docs_many(sentence_keys, 50).items()}
    return many, {k: store.shingle_docs([k]) for k in shingle_keys}


def _members(store: Store) -> dict[int, list[tuple[str, int | None]]]:
    """Every sentence bucket's documents with their sentences' terms keys."""
    keys = sorted({k for k, _ in store.band_rows("sentence_bands")})
    return {k: sorted(v, key=lambda m: m[0]) for k, v in store.sentence_members_many(keys, 50).items()}


def test_levelled_rows_answer_every_lookup_as_one_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _articles()[: sum(BATCHES)]
    _build(tmp_path / "one.db", docs)  # default level sizes: every row stays in the first level
    monkeypatch.setattr(store_module, "BAND_LEVEL_DOCUMENTS", SMALL_LEVELS)
    _build(tmp_path / "levels.db", docs)
    with Store(tmp_path / "one.db") as one, Store(tmp_path / "levels.db") as levelled:
        spread = _level_counts(levelled, "sentence_bands")
        assert all(spread.values()), spread  # the rows really are in every level
        assert set(_level_counts(one, "sentence_bands")) == set(BAND_LEVELS)
        assert _level_counts(one, "sentence_bands")[""] == 0
        for table in BAND_TABLES:
            assert levelled.band_rows(table) == one.band_rows(table)
        expected = _lookups(one)
        assert _lookups(levelled) == expected
        members = _members(one)
        assert _members(levelled) == members  # the terms keys too
        keyed = [t is not None for ms in members.values() for _, t in ms]
        assert sum(keyed) > 0.9 * len(keyed), (sum(keyed), len(keyed))
        assert any(len(v) >= 3 for v in expected[0].values())  # buckets shared by a family
        key = next(k for k, v in expected[0].items() if len(v) >= 3)
        assert len(levelled.sentence_docs(key, 2)) == 2  # the limit holds across levels
        assert sorted(levelled.sentence_docs(key, 50)) == expected[0][key]
        # everything merged into the last level: the same rows and answers
        assert levelled.merge_band_levels(everything=True) == [0, 1, 2]
        counts = _level_counts(levelled, "sentence_bands")
        assert counts[""] and not any(counts[level] for level in BAND_LEVELS[:-1])
        assert _lookups(levelled) == expected
        assert _members(levelled) == members  # a merge carries the terms keys


def test_linking_new_articles_finds_the_same_relations_with_levels(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _articles()
    old, new = docs[:17], docs[17:19]  # one of the new is an edited copy of a stored original
    found = []
    for name, levels in (("one", None), ("levels", SMALL_LEVELS)):
        if levels:
            monkeypatch.setattr(store_module, "BAND_LEVEL_DOCUMENTS", levels)
        _build(tmp_path / f"{name}.db", old, BATCHES[:3])
        with Store(tmp_path / f"{name}.db") as store:
            added = add_documents(store, _fresh(new), workers=1, forensics=False)
            relations = link(store, only=set(added.added_ids), workers=1, changes=False, semantic=False)
            found.append(sorted((r.source, r.target, r.type) for r in relations))
    assert found[0] == found[1]
    assert len(found[0]) >= 2  # the edited copy finds its original and the cut copy


def test_a_replaced_document_leaves_no_rows_in_any_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BAND_LEVEL_DOCUMENTS", SMALL_LEVELS)
    docs = _articles()
    _build(tmp_path / "x.db", docs[: sum(BATCHES)])
    with Store(tmp_path / "x.db") as store:
        [old_fp] = store.get_fingerprints([docs[0].id])
        old_keys = band_hashes(old_fp.shingles, 32, SHINGLE_CHANNEL)
        assert docs[0].id in store.shingle_docs(old_keys)
        levels_before = {lv for lv in BAND_LEVELS
                         if store.conn.execute(f"SELECT 1 FROM sentence_bands{lv} b JOIN doc_numbers n ON n.no = b.doc "
                                               "WHERE n.id = ?", (docs[0].id,)).fetchone()}
        assert levels_before and "_l0" not in levels_before  # merged on by the later batches
        add_documents(store, [Document(id=docs[0].id, raw=docs[-1].raw + " Corrected.")], workers=1, forensics=False)
        [new_fp] = store.get_fingerprints([docs[0].id])
        new_keys = set(band_hashes(new_fp.shingles, 32, SHINGLE_CHANNEL))
        assert {k for k, d in store.band_rows("shingle_bands") if d == docs[0].id} == new_keys
        assert docs[0].id not in store.shingle_docs(sorted(set(old_keys) - new_keys))


def test_a_version_6_store_keeps_its_rows_in_the_last_level(tmp_path: Path) -> None:
    docs = _articles()
    db = tmp_path / "v6.db"
    _build(db, docs[:12], (12,))
    with Store(db) as store:
        store.merge_band_levels(everything=True)
        rows = {t: store.band_rows(t) for t in BAND_TABLES}
        answers = _lookups(store)
    with sqlite3.connect(db) as conn:  # what schema 6 had: one table per channel, no terms keys
        for table in BAND_TABLES:
            for level in BAND_LEVELS[:-1]:
                conn.execute(f"DROP TABLE {table}{level}")
        conn.execute("CREATE TABLE old (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) "
                     "WITHOUT ROWID")
        conn.execute("INSERT INTO old SELECT key, doc FROM sentence_bands")
        conn.execute("DROP TABLE sentence_bands")
        conn.execute("ALTER TABLE old RENAME TO sentence_bands")
        conn.execute("DROP TABLE sentence_terms")
        conn.execute("DELETE FROM meta WHERE key LIKE 'band_level_%'")
        conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    conn.close()
    with Store(db) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION) == "9"
        assert {t: store.band_rows(t) for t in BAND_TABLES} == rows
        assert _lookups(store) == answers
        # the rows kept have no terms key: their documents' sketches are read instead
        assert all(t is None for members in store.sentence_members_many(sorted(answers[0]), 50).values()
                   for _, t in members)
        add_documents(store, _fresh(docs[12:15]), workers=1, forensics=False)
        assert _level_counts(store, "sentence_bands")["_l0"] > 0  # new rows go to the first level
        assert store.meta("band_level_0_documents") == "3"


def test_key_slices_cover_every_signed_64_bit_key_once() -> None:
    slices = store_module._key_slices(store_module.MERGE_SLICES)
    assert slices[0][0] == -(1 << 63) and slices[-1][1] == (1 << 63) - 1
    assert all(hi + 1 == lo for (_, hi), (lo, _) in pairwise(slices))


def test_a_merge_cut_short_loses_no_row_and_the_next_commit_finishes_it(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BAND_LEVEL_DOCUMENTS", (100, 200, 300))  # no merge while building
    docs = _articles()
    _build(tmp_path / "x.db", docs[:12], (12,))
    with Store(tmp_path / "x.db") as store:
        rows = {t: store.band_rows(t) for t in BAND_TABLES}
        answers = _lookups(store)
        # killed after half its slices: each slice is a transaction of its own
        for lo, hi in store_module._key_slices(store_module.MERGE_SLICES)[: store_module.MERGE_SLICES // 2]:
            with store.transaction() as c:
                store_module._move_band_rows(c, "_l0", "_l1", lo, hi)
        counts = _level_counts(store, "sentence_bands")
        assert counts["_l0"] and counts["_l1"]
        assert {t: store.band_rows(t) for t in BAND_TABLES} == rows and _lookups(store) == answers
        monkeypatch.setattr(store_module, "BAND_LEVEL_DOCUMENTS", (2, 200, 300))
        add_documents(store, _fresh(docs[12:13]), workers=1, forensics=False)  # its commit merges the level
        counts = _level_counts(store, "sentence_bands")
        assert counts["_l0"] == 0 and counts["_l1"] > 0
        assert store.meta("band_level_0_documents") == "0" and store.meta("band_level_1_documents") == "13"
