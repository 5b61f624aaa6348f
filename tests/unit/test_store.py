"""Versioned stored state: a store knows the settings that made it, and never silently reuses
state made under other ones (issue 9, item 5).  One test per kind of mismatch."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from fixtures.articles import OTHER, write_corpus

from newstrace.errors import StoreError
from newstrace.limits import Limits
from newstrace.pipeline import index_add, link
from newstrace.stages.embed_cache import EmbeddingCache
from newstrace.state import StoreSettings, current_settings
from newstrace.store import SCHEMA_VERSION, Store


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "articles")


def _other(index: bool = False, relate: bool = False) -> StoreSettings:
    now = current_settings()
    return StoreSettings(now.index + "-other" if index else now.index, now.relate + "-other" if relate else now.relate)


def test_current_settings_are_stable_and_versioned() -> None:
    a, b = current_settings(), current_settings()
    assert a == b
    assert a.index.startswith("index.v") and a.relate.startswith("relate.v")


def test_a_store_indexed_under_other_index_settings_is_refused(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Store(db, settings=_other(index=True)) as store:
        index_add(store, [corpus], workers=1, forensics=False)
    with pytest.raises(StoreError, match=r"indexed with other settings .* re-index into a new --db"):
        Store(db)


def test_an_empty_store_takes_the_current_settings(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Store(db, settings=_other(index=True)).close()
    with Store(db) as store:  # nothing stored yet: nothing to refuse
        assert store.settings == current_settings()


def test_pairs_compared_under_other_relate_settings_are_compared_again(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Store(db, settings=_other(relate=True)) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        link(store, workers=1, changes=False, semantic=False)
        old_pairs = store.checked()
        # A relation the old settings found for a pair that is not related (a stale result).
        store.conn.execute("UPDATE relations SET type = 'stale'")
        store.conn.commit()
    assert old_pairs
    with Store(db) as store:
        assert store.checked() == set()  # not skipped
        relations = link(store, workers=1, changes=False, semantic=False)
        assert store.checked() == old_pairs
    assert [r.type for r in relations] == ["verbatim"]


def test_vectors_of_a_changed_text_are_not_reused(corpus: Path, tmp_path: Path) -> None:
    """The root of the changed-article crash: vectors are keyed by the text they were split from."""
    db = tmp_path / "x.db"
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        cache = EmbeddingCache(store.conn)
        cache.put("original.txt", "model-v1", [(0, 10), (11, 20)], np.ones((2, 4), np.float32))
        assert cache.doc_ids("model-v1") == {"original.txt"}
    (corpus / "original.txt").write_text(OTHER + "\n\nA different ending for the article, in a new sentence.")
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        cache = EmbeddingCache(store.conn)
        assert cache.doc_ids("model-v1") == set()
        assert cache.get("original.txt", "model-v1") is None


def test_a_schema_8_store_moves_its_sentence_vectors_in_place(corpus: Path, tmp_path: Path) -> None:
    """Opening a store made before schema 9 moves its per-sentence vector rows (one row each
    per document and model) in the migration's transaction; vectors of the current text only
    keep counting."""
    db = tmp_path / "x.db"
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        current = store.conn.execute("SELECT text_hash FROM documents WHERE id = 'original.txt'").fetchone()[0]
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE sentence_vectors")
    conn.execute("""CREATE TABLE embeddings (
        doc_id TEXT, model TEXT, sentence INTEGER, start INTEGER, end INTEGER, vector BLOB, text_hash TEXT,
        PRIMARY KEY (doc_id, model, sentence))""")
    vecs = np.arange(8, dtype=np.float32).reshape(2, 4)
    conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [("original.txt", "m@1", i, 10 * i, 10 * i + 5, vecs[i].tobytes(), current) for i in range(2)]
                     + [("other.txt", "m@1", 0, 0, 5, vecs[0].tobytes(), "an older text")])
    conn.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),)
        cache = EmbeddingCache(store.conn)
        assert np.array_equal(cache.get("original.txt", "m@1", spans=[(0, 5), (10, 15)]), vecs)
        assert cache.doc_ids("m@1") == {"original.txt"}  # other.txt's were of another text


def test_neighbour_bounds_hold_while_vectors_are_only_added(corpus: Path, tmp_path: Path) -> None:
    """A document's kept bound (the farthest of its nearest when last searched) stays while
    vectors are added, and goes when any vector of its model is replaced or a text changes."""
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        ids = sorted(store.document_ids())
        one = np.ones(4, np.float32)
        store.put_doc_vectors([("m@1", i, "", one) for i in ids] + [("m@2", ids[0], "", one)])
        store.put_vector_bounds("m@1", {ids[0]: 0.5, ids[1]: 0.25})
        store.put_vector_bounds("m@2", {ids[0]: 0.75})
        assert store.vector_bounds("m@1", ids) == {ids[0]: 0.5, ids[1]: 0.25}
        store.put_doc_vectors([("m@1", "a new one", "", one)])  # an addition: the bounds hold
        assert store.vector_bounds("m@1", ids) == {ids[0]: 0.5, ids[1]: 0.25}
        store.put_doc_vectors([("m@1", ids[1], "", 2 * one)])  # a replacement: its model's go
        assert store.vector_bounds("m@1", ids) == {} and store.vector_bounds("m@2", ids) == {ids[0]: 0.75}
    (corpus / "original.txt").write_text(OTHER + "\n\nA different ending for the article, in a new sentence.")
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)  # a text changed: every bound goes
        assert store.vector_bounds("m@2", ids) == {}


def test_vectors_under_another_model_version_are_not_reused(tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        cache = EmbeddingCache(store.conn)
        cache.put("a", "minilm-l3/1.0", [(0, 5)], np.ones((1, 4), np.float32))
        assert cache.get("a", "minilm-l3/1.1") is None and cache.doc_ids("minilm-l3/1.1") == set()


def test_fingerprints_carry_the_text_and_settings_that_made_them(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with Store(db) as store:
        index_add(store, [corpus], workers=1, forensics=False)
        rows = store.conn.execute("SELECT f.settings, f.text_hash = d.text_hash FROM fingerprints f "
                                  "JOIN documents d ON d.id = f.doc_id").fetchall()
        assert rows and all(s == store.settings.index and same for s, same in rows)
        store.conn.execute("UPDATE fingerprints SET text_hash = 'old' WHERE doc_id = 'other.txt'")
        store.conn.commit()
        assert sorted(f.doc_id for f in store.get_fingerprints()) == ["original.txt", "repost.txt"]


def test_a_pair_over_the_time_limit_is_reported_and_the_run_goes_on(corpus: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import newstrace.pipeline as pipeline
    import newstrace.stages.relate.pair as pair

    real = pair.relate

    def slow_for_other(a, b, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "other.txt" in (a.id, b.id):
            time.sleep(5)  # interrupted by the limit
        return real(a, b, *args, **kwargs)

    monkeypatch.setattr(pair, "relate", slow_for_other)
    monkeypatch.setattr(pipeline, "plan_pairs", lambda fps, **_: (
        {("original.txt", "repost.txt"), ("original.txt", "other.txt")}, {}))
    errors: list = []  # type: ignore[type-arg]
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        relations = link(store, workers=1, changes=False, semantic=False, limits=Limits(pair_seconds=0.2),
                         errors=errors)
    assert [(r.source, r.target) for r in relations] in ([("original.txt", "repost.txt")],
                                                         [("repost.txt", "original.txt")])
    assert [e.path for e in errors] == ["original.txt <-> other.txt"]
    assert "Limits.pair_seconds" in errors[0].reason


def test_documents_read_without_offsets_or_for_relating_keep_the_rest(corpus: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    with Store(tmp_path / "s.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        whole = store.get_documents()
        assert all(d.offsets and d.raw for d in whole)
        # offsets and removed spans left out (what families read), everything else as stored
        assert store.get_documents(offsets=False) == [replace(d, offsets=[], removed=[]) for d in whole]
        # for relating a pair: the raw text left out too
        assert store.get_documents(relate_only=True) == [replace(d, offsets=[], removed=[], raw="") for d in whole]


def test_a_signature_keeps_whether_its_deep_checks_ran(corpus: Path, tmp_path: Path) -> None:
    """An add with ``--no-changes`` signs without the deep checks, and the store says so, so that
    direction compares a later add's signatures on the checks both had (relate/orient.py)."""
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus / "original.txt"], workers=1, forensics=False)
        index_add(store, [corpus / "repost.txt"], workers=1, forensics=True)
        deep = {d.id: d.deep_signature for d in store.get_documents()}
        assert deep == {"original.txt": False, "repost.txt": True}
        assert {d.id: d.deep_signature for d in store.get_documents(relate_only=True)} == deep
        with store.conn:  # a store written before the depth was kept: read as deep, as it was compared then
            store.conn.execute("UPDATE documents SET signature = '[]' WHERE id = 'original.txt'")
        assert store.get_documents(["original.txt"])[0].deep_signature


def test_relations_made_without_the_analysis_of_changes_get_it_on_a_later_add(tmp_path: Path) -> None:
    """An add with ``--no-changes`` records its pairs as compared without the analysis; a later
    add with it compares the related ones again, so the index ends with every relation analysed,
    and a pair compared with the analysis is not compared again without it."""
    from fixtures.articles import ARTICLE

    from newstrace.pipeline import link_pending

    reworded = ARTICLE.replace("Monday", "Tuesday").replace("twelve", "ten").replace("approved", "rejected")
    corpus = write_corpus(tmp_path / "articles", repost="Local news\n\n" + reworded)
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        link_pending(store, workers=1, changes=False, semantic=False)
        [before] = store.get_relations()
        assert not any(p.changes for p in before.passages)
        assert store.relations_without_changes() == {tuple(sorted((before.source, before.target)))}
        stats: dict[str, int] = {}
        link_pending(store, workers=1, changes=True, semantic=False, stats=stats)
        [after] = store.get_relations()
        assert stats["relations_analysed_again"] == 1 and store.relations_without_changes() == set()
        assert {c.kind for p in after.passages for c in p.changes} >= {"number"}
        # compared with the analysis: a link without it leaves the pair alone
        link_pending(store, workers=1, changes=False, semantic=False)
        assert store.get_relations() == [after]
        assert store.checked(changes=True) == store.checked()


def test_an_add_with_the_deep_checks_signs_again_what_an_earlier_add_left_shallow(corpus: Path,
                                                                                   tmp_path: Path) -> None:
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        assert not any(d.deep_signature for d in store.get_documents())
        again = index_add(store, [corpus], workers=1, forensics=True)
        assert (again.added, again.unchanged, again.resigned, again.replaced) == (0, 3, 3, 0)
        assert all(d.deep_signature for d in store.get_documents())
        assert index_add(store, [corpus], workers=1, forensics=True).resigned == 0
        assert index_add(store, [corpus], workers=1, forensics=False).resigned == 0  # never made shallow again
        assert all(d.deep_signature for d in store.get_documents())


def test_an_index_added_without_the_analysis_then_with_it_equals_one_built_with_it(tmp_path: Path) -> None:
    from fixtures.articles import ARTICLE

    from newstrace.pipeline import link_pending, organise

    reworded = ARTICLE.replace("Monday", "Tuesday").replace("twelve", "ten").replace("approved", "rejected")
    corpus = write_corpus(tmp_path / "articles", repost="Local news\n\n" + reworded)

    def add(store: Store, changes: bool) -> None:
        index_add(store, [corpus], workers=1, forensics=changes)
        link_pending(store, workers=1, changes=changes, semantic=False)
        organise(store, workers=1, changes=changes)

    def state(store: Store) -> tuple[object, ...]:
        docs = {d.id: (d.signature, d.deep_signature) for d in store.get_documents()}
        rows = sorted(store.conn.execute("SELECT source, target, data FROM relations"))
        return docs, rows, sorted(store.conn.execute("SELECT data FROM families"))

    with Store(tmp_path / "upgraded.db") as upgraded, Store(tmp_path / "direct.db") as direct:
        add(upgraded, changes=False)
        add(upgraded, changes=True)
        add(direct, changes=True)
        assert state(upgraded) == state(direct)
        assert any(p.changes for r in upgraded.get_relations() for p in r.passages)


def test_an_index_added_without_the_semantic_layer_then_with_it_equals_one_built_with_it(tmp_path: Path) -> None:
    """Documents an add linked ``--lexical-only`` were never embedded: the next add with the
    semantic layer embeds them and compares their pairs again, so the index ends as one built
    with it (the same vectors, checked pairs, relations and families)."""
    from fixtures.articles import ARTICLE

    from newstrace.pipeline import link_pending, organise

    reworded = ARTICLE.replace("Monday", "Tuesday").replace("approved", "backed")
    corpus = write_corpus(tmp_path / "articles", repost="Local news\n\n" + reworded)

    def add(store: Store, semantic: bool) -> dict[str, int]:
        stats: dict[str, int] = {}
        index_add(store, [corpus], workers=1, forensics=False)
        link_pending(store, workers=1, changes=False, semantic=semantic, stats=stats)
        organise(store, workers=1, changes=False)
        return stats

    def state(store: Store) -> tuple[object, ...]:
        return (store.conn.execute("SELECT COUNT(*) FROM doc_vectors").fetchone(),
                sorted(store.conn.execute("SELECT a, b, settings FROM checked_pairs")),
                sorted(store.conn.execute("SELECT source, target, data FROM relations")),
                sorted(store.conn.execute("SELECT data FROM families")))

    with Store(tmp_path / "upgraded.db") as upgraded, Store(tmp_path / "direct.db") as direct:
        add(upgraded, semantic=False)
        assert all(s.endswith("|lexical|no-changes") for _, _, s in upgraded.conn.execute("SELECT * FROM checked_pairs"))
        assert add(upgraded, semantic=True)["documents_linked_semantically"] == 3
        assert add(upgraded, semantic=True)["documents_linked_semantically"] == 0
        add(direct, semantic=True)
        assert state(upgraded) == state(direct)
        assert state(direct)[0] == (3,)


def test_one_add_upgrading_both_layers_says_it_did_both(tmp_path: Path) -> None:
    """After ``--lexical-only --no-changes``, the full add signs the documents again, which
    stores them again: they are linked among the new ones, and still count as linked again
    with the semantic layer (the work an upgrade does is reported, whichever pass did it)."""
    from fixtures.articles import ARTICLE

    from newstrace.pipeline import link_pending

    corpus = write_corpus(tmp_path / "articles", repost="Local news\n\n" + ARTICLE.replace("approved", "backed"))
    with Store(tmp_path / "x.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        link_pending(store, workers=1, changes=False, semantic=False)
        again = index_add(store, [corpus], workers=1, forensics=True)
        assert again.resigned == 3 and sorted(again.resigned_ids) == sorted(d.id for d in store.get_documents())
        stats: dict[str, int] = {}
        link_pending(store, workers=1, changes=True, semantic=True, stats=stats, signed_again=again.resigned_ids)
        assert stats["documents_linked_semantically"] == 3
        assert not set(store.pending_vectors())
        assert store.relations_without_changes() == set()
