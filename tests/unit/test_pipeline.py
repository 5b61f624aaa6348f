"""The store and the pipeline around it: idempotent indexing, trace, bad inputs, output formats."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fixtures.articles import ARTICLE, OTHER, write_corpus

from newstrace.cli.app import build_parser, main
from newstrace.errors import StoreError
from newstrace.pipeline import add_documents, index_add, link, organise, scan, trace, trace_documents
from newstrace.store import SCHEMA_VERSION, Store
from newstrace.types import Document


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "articles", repost="Local news\n\n" + ARTICLE + "\nShare this article\n")


def test_scan_finds_the_repost_only(corpus: Path) -> None:
    result = scan([corpus], workers=1)
    assert len(result.documents) == 3
    [rel] = result.relations
    assert {rel.source, rel.target} == {"original.txt", "repost.txt"}
    assert rel.type == "verbatim"


def test_index_add_is_idempotent_and_resumes(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    with Store(db) as store:
        first = index_add(store, [corpus], workers=1)
        assert (first.added, first.unchanged) == (3, 0)
        rels = link(store, workers=1)
        again = index_add(store, [corpus], workers=1)
        assert (again.added, again.unchanged) == (0, 3)
        assert link(store, workers=1) == rels
    (corpus / "other.txt").write_text(OTHER.replace("ninety", "eighty"))
    with Store(db) as store:
        changed = index_add(store, [corpus], workers=1)
        assert (changed.added, changed.unchanged) == (1, 2)
        assert len(store.document_ids()) == 3


def test_trace_reports_sources_from_the_index(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    with Store(db) as store:
        index_add(store, [corpus / "original.txt", corpus / "other.txt"], workers=1)
        query = tmp_path / "query.txt"
        query.write_text(ARTICLE.replace("Monday", "Tuesday"))
        result = trace(store, query, workers=1)
        assert len(store.document_ids()) == 2  # the query is not added
    [rel] = result.relations
    assert "original.txt" in (rel.source, rel.target)


def test_store_refuses_other_files_and_versions(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a newstrace store"):
        Store(junk)
    db = tmp_path / "old.db"
    Store(db).close()
    with sqlite3.connect(db) as c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="schema version"):
        Store(db)


def test_failed_batch_leaves_store_unchanged(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    with Store(db) as store:
        index_add(store, [corpus / "original.txt"], workers=1)
        before = store.document_ids()

        def boom(*_: object) -> None:
            raise RuntimeError("crash mid-batch")

        docs = [(d, fp) for d, fp in zip(store.get_documents(), store.get_fingerprints(), strict=True)]
        bad = [docs[0], (None, None)]  # the second row fails inside the transaction
        with pytest.raises(Exception):  # noqa: B017
            store.put_documents(bad)  # type: ignore[arg-type]
        assert store.document_ids() == before


def test_broken_inputs_are_reported_and_the_run_goes_on(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "latin.txt").write_bytes("Caf\xe9 cr\xe8me \x81\x8d\x8f\x90\x9d".encode("latin-1") * 3)
    (corpus / "cut.warc.gz").write_bytes(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5000\r\n\r\n<html>")[:40])
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    out = corpus.parent / "out.json"
    code = main(["scan", str(corpus), "--format", "json", "-o", str(out), "--workers", "1"])
    assert code == 0
    data = json.loads(out.read_text())
    reasons = {Path(e["path"]).name: e["reason"] for e in data["errors"]}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "cut.warc.gz" in reasons and "notes.pdf" in reasons
    assert data["summary"]["skipped"] == len(data["errors"]) >= 4
    assert len(data["documents"]) >= 3
    err = capsys.readouterr().err
    assert all(name in err for name in ("empty.txt", "binary.txt", "cut.warc.gz"))


@pytest.mark.parametrize("fmt", ["json", "csv", "md", "table"])
def test_every_format_renders(corpus: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    assert main(["scan", str(corpus), "--format", fmt, "-o", str(out), "--workers", "1"]) == 0
    text = out.read_text()
    assert "repost.txt" in text and "original.txt" in text


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"scan", "index", "trace", "pan", "eval"} <= set(commands or ())
    for argv in (["--help"], ["scan", "--help"], ["index", "add", "--help"], ["trace", "--help"],
                 ["pan", "--help"], ["eval", "pan", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        assert "usage:" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "newstrace" in capsys.readouterr().out


CHROME = "Readers of the North Quay edition find more of these local stories in the weekly print supplement"
TOPICS = (
    "The city council voted on Tuesday to extend the tram line to the northern suburbs by 2028.",
    "A local bakery has won the regional prize for its rye loaf after three years of trying.",
    "Volunteers planted four hundred oak saplings along the river bank over the weekend.",
    "The county library will open on Sundays from next month after a public consultation.",
)


def _article(doc_id: str, body: str) -> Document:
    raw = f"{body}\n{CHROME}\n{body.replace('.', ', officials said.')}\n"
    return Document(id=doc_id, raw=raw, language="en")


def test_boilerplate_is_learned_over_the_store_not_the_batch(tmp_path: Path) -> None:
    """A chrome line recurring across the index is removed from a document added later on its
    own, and from a traced query, as it would be in one scan of them all."""
    with Store(tmp_path / "index.db") as store:
        stats = add_documents(store, [_article(f"a{i}", t) for i, t in enumerate(TOPICS[:3])], workers=1)
        assert stats.added == 3
        assert all(CHROME not in d.text for d in store.get_documents())
        add_documents(store, [_article("late", TOPICS[3])], workers=1)
        [late] = store.get_documents(["late"])
        assert CHROME not in late.text and any(r.text.strip() == CHROME for r in late.removed)
        [query] = trace_documents(store, [_article("q", TOPICS[0])], workers=1, semantic=False).documents
        assert query.id == "query:q" and CHROME not in query.text
    # One document alone: nothing recurs, the line stays (the store is what teaches it).
    with Store(tmp_path / "alone.db") as store:
        add_documents(store, [_article("late", TOPICS[3])], workers=1)
        assert CHROME in store.get_documents(["late"])[0].text


def test_add_documents_reports_duplicate_ids(tmp_path: Path) -> None:
    with Store(tmp_path / "index.db") as store:
        stats = add_documents(store, [_article("a", TOPICS[0]), _article("a", TOPICS[1])], workers=1)
    assert (stats.read, stats.added, stats.skipped) == (2, 1, 1)
    assert "duplicate document id 'a'" in stats.errors[0].reason
    assert stats.added_ids == ["a"]  # what was committed, so callers need not diff the store
    with Store(tmp_path / "index.db") as store:  # unchanged on a re-add: nothing committed
        again = add_documents(store, [_article("a", TOPICS[0]), _article("b", TOPICS[1])], workers=1)
    assert (again.unchanged, again.added_ids) == (1, ["b"])


def _pairs(relations: list) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(r.source, r.target, r.type) for r in relations}


def _two_batches(corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The corpus as two folders: the original and the other article, then the repost."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for name in ("original.txt", "other.txt"):
        (first / name).write_text((corpus / name).read_text())
    (second / "repost.txt").write_text((corpus / "repost.txt").read_text())
    return first, second


def test_index_add_links_what_a_killed_run_left_unlinked(corpus: Path, tmp_path: Path) -> None:
    """Each ``index add`` links only the documents not yet linked, through the candidate index;
    documents an earlier run stored but never linked (killed, or ``--no-link``) are linked by
    the next add, so the store ends as one scan."""
    whole = scan([corpus], workers=1, semantic=False, changes=False)
    first, second = _two_batches(corpus, tmp_path)
    db = tmp_path / "index.db"
    assert main(["index", "add", str(first), "--db", str(db), "--no-link", "--workers", "1"]) == 0
    with Store(db) as store:
        assert store.unlinked() == {"original.txt", "other.txt"}
    # a third document joins a store whose two documents were never linked
    assert main(["index", "add", str(second), "--db", str(db), "--lexical-only", "--no-changes",
                 "--workers", "1"]) == 0
    with Store(db) as store:
        assert store.unlinked() == set()
        assert _pairs(store.get_relations()) == _pairs(whole.relations) != set()


def test_link_pending_uses_the_index_for_a_few_new_documents(corpus: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from newstrace import pipeline

    db = tmp_path / "index.db"
    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(4):
        (extra / f"filler{i}.txt").write_text(OTHER.replace("Orchestra", f"Orchestra {i}"))
    with Store(db) as store:
        index_add(store, [corpus, extra], workers=1, forensics=False)
        pipeline.link_pending(store, workers=1, changes=False, semantic=False)
        (tmp_path / "more").mkdir()
        (tmp_path / "more" / "repost2.txt").write_text("Regional desk\n\n" + ARTICLE)
        stats = index_add(store, [tmp_path / "more"], workers=1, forensics=False)
        seen: list[object] = []
        real = pipeline.link
        monkeypatch.setattr(pipeline, "link", lambda s, **kw: seen.append(kw.get("only")) or real(s, **kw))
        found = pipeline.link_pending(store, workers=1, changes=False, semantic=False)
        assert seen == [set(stats.added_ids)] == [{"repost2.txt"}]
        assert any({r.source, r.target} == {"original.txt", "repost2.txt"} for r in found)
        assert store.unlinked() == set()


def test_scan_stories_are_those_of_the_stored_documents(corpus: Path, tmp_path: Path) -> None:
    # The scan's prepare workers read the story features and hand them to organise: they must
    # be the features of the documents as stored, and the stories those every feature read
    # again gives.
    from newstrace.stages.stories import update_stories
    from newstrace.stages.stories.cluster import document_features

    result = scan([corpus], workers=1, semantic=False, changes=False)
    assert result.stories == update_stories(result.documents, result.families)
    with Store(tmp_path / "i.db") as store:
        assert index_add(store, [corpus], workers=1, forensics=False).story_features == {}  # only when asked
    with Store(tmp_path / "j.db") as store:
        features = index_add(store, [corpus], workers=1, forensics=False, story_features=True).story_features
        stored = store.get_documents()
    assert features == {d.id: document_features(d) for d in stored}
    assert len(features) == len(result.documents) == 3


def test_organise_clusters_from_the_story_features_kept_with_the_documents(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `index add` keeps each document's story features, so organise reads no text but the
    # members' of the families it builds, and makes no features again; documents added without them (older code)
    # get theirs made once, and a replaced document's old features are never used.
    import newstrace.stages.stories.store as stories_store
    from newstrace.stages.stories.cluster import document_features
    from newstrace.stages.stories.store import decode_features

    with Store(tmp_path / "s.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        families, stories = organise(store)
        kept = {i: decode_features(data) for i, data in store.conn.execute("SELECT doc_id, data FROM story_features")}
        assert kept == {d.id: document_features(d) for d in store.get_documents()}
        [family] = families
        assert set(family.members) == {"original.txt", "repost.txt"}

        asked: list[str] = []
        read = Store.get_documents

        def recording(self: Store, ids: object = None, **kw: object) -> list[Document]:
            wanted = list(ids) if ids is not None else self.document_ids()  # type: ignore[call-overload]
            asked.extend(wanted)
            return read(self, wanted, **kw)  # type: ignore[arg-type]

        def refuse(doc: Document) -> tuple[list[str], list[str]]:
            raise AssertionError(f"features of {doc.id} made again")

        monkeypatch.setattr(Store, "get_documents", recording)
        monkeypatch.setattr(stories_store, "document_features", refuse)
        assert organise(store) == (families, stories)
        # The family is stored with the digest of its inputs, which did not change: it is not
        # built again, so no text is read at all (other.txt is in no family either).
        assert asked == []
        monkeypatch.undo()

        made: list[str] = []

        def counting(doc: Document) -> tuple[list[str], list[str]]:
            made.append(doc.id)
            return document_features(doc)

        monkeypatch.setattr(stories_store, "document_features", counting)
        with store.transaction() as c:  # as a store indexed by older code, and one stale row
            c.execute("DELETE FROM story_features WHERE doc_id != 'other.txt'")
            c.execute("UPDATE story_features SET key = 'stale' WHERE doc_id = 'other.txt'")
        assert organise(store) == (families, stories)
        assert sorted(made) == ["original.txt", "other.txt", "repost.txt"]
        assert organise(store) == (families, stories) and len(made) == 3  # kept: made once
        with store.transaction() as c:  # a damaged row is made again, not a crash
            c.execute("UPDATE story_features SET data = x'00ff' WHERE doc_id = 'repost.txt'")
        assert organise(store) == (families, stories) and made[3:] == ["repost.txt"]

        changed = Document(id="other.txt", raw="Harbour Board\n\nThe Harbour Board in Westport approved new "
                           "moorings for the fishing fleet on Monday after a long dispute.\n")
        add_documents(store, [changed], workers=1, forensics=False)
        [now] = store.get_documents(["other.txt"])
        [(data,)] = store.conn.execute("SELECT data FROM story_features WHERE doc_id = 'other.txt'").fetchall()
        assert decode_features(data) == document_features(now) != kept["other.txt"]


def test_organise_of_a_large_index_clusters_again_only_the_stories_new_documents_reach(
        corpus: Path, tmp_path: Path) -> None:
    # ``whole_below=0`` takes the large index's path on the small corpus: the stored stories no
    # new document reaches are kept, and the stories are those of clustering everything.
    files = sorted(corpus.iterdir())
    with Store(tmp_path / "s.db") as store:
        index_add(store, files[:-1], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        _, before = organise(store, whole_below=0)  # no stories stored yet: everything
        # Each representative's usual similarity is kept, under the settings that made it, for the
        # next add's extend_stories (which stored stories a new pair can reach).
        from newstrace.stages.stories.store import load_usual, usual_settings

        kept = load_usual(store.conn, usual_settings())
        assert sorted(kept) == sorted(d for s in before for d in s.documents)  # no families: all represent
        assert load_usual(store.conn, "other settings") == {}
        # and each one's neighbourhood: its highest similarities and the documents they are with
        from newstrace.stages.stories.cluster import DEFAULT_CONFIG
        from newstrace.stages.stories.store import StoredNeighbourhoods

        around = StoredNeighbourhoods(store.conn, usual_settings())
        assert sorted(around) == sorted(kept) and len(around) == len(kept)
        for d in kept:
            assert len(around[d].top) == DEFAULT_CONFIG.neighbours and set(around[d].documents) <= set(kept) - {d}
            assert around[d].arrival == store.last_arrival()  # every stored document seen
        assert len(StoredNeighbourhoods(store.conn, "other settings")) == 0
        with store.transaction() as c:  # a damaged row counts as none (scored against everything)
            c.execute("UPDATE story_neighbourhood SET top = x'00ff00' WHERE doc_id = ?", (min(kept),))
        assert around.get(min(kept)) is None and around.get(max(kept)) is not None
        with store.transaction() as c:
            c.execute("UPDATE story_neighbourhood SET high = 'x' WHERE doc_id = ?", (max(kept),))
        assert around.get(max(kept)) is None
        index_add(store, files[-1:], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        stats: dict[str, int] = {}
        _, stories = organise(store, whole_below=0, stats=stats)
        assert stats["stories_new"] == 1 and stats["stories_kept"] + stats["stories_reached"] == len(before)
        # the part's values replaced, the rest kept (the new article is a family member here,
        # represented by its family's earliest member)
        now = load_usual(store.conn, usual_settings())
        assert set(kept) <= set(now) <= {f.name for f in files}
        assert {s.id for s in before} <= {s.id for s in stories}
        _, whole = organise(store, fresh=True)
        assert sorted(s.documents for s in stories) == sorted(s.documents for s in whole)
        stats.clear()
        organise(store, whole_below=0, stats=stats)  # nothing arrived: nothing clustered again
        assert stats["stories_new"] == stats["stories_reached"] == 0
        # A new version of a stored article is clustered again, its story reached.
        changed = tmp_path / "changed"
        changed.mkdir()
        (changed / "other.txt").write_text((corpus / "other.txt").read_text() + "\nA late paragraph was added.\n")
        index_add(store, [changed / "other.txt"], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        stats.clear()
        organise(store, whole_below=0, stats=stats)
        assert stats["stories_new"] == stats["stories_reached"] == 1


def test_an_add_builds_again_only_the_families_whose_inputs_changed(corpus: Path, tmp_path: Path) -> None:
    # Each organise keeps every family with the digest of its inputs (members, their texts, the
    # relations among them); the next one reuses a family whose digest is unchanged and builds
    # the others.  After every add the families equal those built from scratch, passages and all.
    from newstrace.stages.families import build_families, load_families
    from newstrace.stages.families.store import family_to_dict

    def add(*files: tuple[str, str]) -> dict[str, int]:
        folder = tmp_path / f"batch{len(list(tmp_path.glob('batch*')))}"
        folder.mkdir()
        for name, text in files:
            (folder / name).write_text(text)
        index_add(store, [folder], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        stats: dict[str, int] = {}
        families, _ = organise(store, stats=stats)
        scratch = build_families(store.get_documents(), store.get_relations())
        assert families == scratch  # what organise returns, passage texts included
        assert [family_to_dict(f) for f in load_families(store.conn)] == [family_to_dict(f) for f in scratch]
        return stats

    with Store(tmp_path / "s.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        organise(store)
        # a copy of the repost joins the stored family; a copy of other.txt makes a new one
        stats = add(("repost2.txt", "Regional digest\n\n" + ARTICLE + "\nMore from the region\n"),
                    ("other_copy.txt", "Wire desk\n\n" + OTHER))
        assert (stats["families_rebuilt"], stats["families_reused"]) == (2, 0)
        # an article unrelated to both: the two families are reused as stored
        stats = add(("third.txt", OTHER.replace("ninety", "eighty").replace("Tuesday", "Friday")[::-1]))
        assert (stats["families_rebuilt"], stats["families_reused"]) == (0, 2)
        # a new version of a member changes its family's inputs: built again, the other reused
        stats = add(("repost2.txt", "Regional digest, updated\n\n" + ARTICLE + "\nMore from the region\n"))
        assert (stats["families_rebuilt"], stats["families_reused"]) == (1, 1)
        # a damaged stored family is built again, and a member row left by a family no longer
        # stored gives way: neither stops the add
        damaged = store.conn.execute("SELECT id FROM families ORDER BY id").fetchone()[0]
        with store.conn:
            store.conn.execute("UPDATE families SET data = '{\"id\": ' WHERE id = ?", (damaged,))
            store.conn.execute("DELETE FROM families WHERE id <> ?", (damaged,))
        stats = add(("fourth.txt", ARTICLE[::-1]))
        assert (stats["families_rebuilt"], stats["families_reused"]) == (2, 0)


def test_a_document_that_becomes_a_story_representative_is_new_to_the_kept_neighbourhoods(
        corpus: Path, tmp_path: Path) -> None:
    # A family stands in the stories as its earliest member.  When the family splits (a new
    # version of that member copies nothing any more), the other member becomes a representative
    # without arriving: the neighbourhoods kept before it did have not seen it, so organise
    # counts it as arriving then (``story_representatives``), as ``extend_stories(arrived_after=)``
    # asks.
    from newstrace.stages.stories.store import StoredNeighbourhoods, load_representatives, usual_settings

    with Store(tmp_path / "s.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        organise(store, whole_below=0)
        first = store.last_arrival()
        assert load_representatives(store.conn) == {"original.txt": first, "other.txt": first}
        assert StoredNeighbourhoods(store.conn, usual_settings())["other.txt"].arrival == first
        (corpus / "original.txt").write_text(OTHER.replace("ninety", "seventy")[::-1])
        index_add(store, [corpus / "original.txt"], workers=1, forensics=False)
        link(store, changes=False, semantic=False)
        organise(store, whole_below=0)
        later = store.last_arrival()
        assert later > first
        assert load_representatives(store.conn) == {"original.txt": first, "other.txt": first, "repost.txt": later}


def test_index_add_says_how_many_stories_it_clustered_again(corpus: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import newstrace.stages.stories.cluster as cluster

    monkeypatch.setattr(cluster, "WHOLE_BELOW", 0)  # the large index's path on three articles
    first, second = _two_batches(corpus, tmp_path)
    db = str(tmp_path / "index.db")
    assert main(["index", "add", str(first), "--db", db, "--lexical-only", "--workers", "1"]) == 0
    assert "reached by the new articles" not in capsys.readouterr().out  # no stories yet: all clustered
    assert main(["index", "add", str(second), "--db", db, "--lexical-only", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "and 2 stories (1 story reached by the new articles clustered again, 1 kept)" in out


def test_kept_story_terms_count_the_kept_features_once(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # stored_story_inputs keeps every document's features counted (story_terms): the views of
    # any set of documents made from them are those of counting the features again, to the
    # bit; a document is counted once, again when its row is damaged or its features change.
    import newstrace.stages.stories.store as stories_store
    from newstrace.stages.stories.cluster import _collection_views, counted_views
    from newstrace.stages.stories.store import stored_story_inputs

    with Store(tmp_path / "t.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        counted: list[str] = []
        real = stories_store.encode_counted

        def counting(features: tuple[list[str], list[str]], term_ids: Any) -> bytes:
            counted.append(features[0][0])
            return real(features, term_ids)

        monkeypatch.setattr(stories_store, "encode_counted", counting)
        ids, _, feats = stored_story_inputs(store)
        assert len(counted) == len(ids) == 3
        for rows in ([0, 1, 2], [2, 0], [1]):
            content, names, collection = counted_views(feats.counted, rows)
            want_content, want_names, want = _collection_views([feats[i] for i in rows])
            assert (content != want_content).nnz == 0 and (names != want_names).nnz == 0
            assert collection == want
        again = stored_story_inputs(store)
        assert len(counted) == 3 and list(again[2]) == list(feats)  # kept: not counted again
        with store.transaction() as c:  # a damaged row is counted again, not a crash
            c.execute("UPDATE story_terms SET data = x'0100' WHERE doc_id = 'repost.txt'")
        assert list(stored_story_inputs(store)[2]) == list(feats) and len(counted) == 4
        import numpy as np

        unknown = np.asarray([1, 0, 10**6, 1], dtype="<u4").tobytes()  # well formed, a term never numbered
        with store.transaction() as c:
            c.execute("UPDATE story_terms SET data = ? WHERE doc_id = 'repost.txt'", (unknown,))
        assert list(stored_story_inputs(store)[2]) == list(feats) and len(counted) == 5
        changed = Document(id="other.txt", raw="Harbour Board\n\nThe Harbour Board in Westport approved new "
                           "moorings for the fishing fleet on Monday after a long dispute.\n")
        add_documents(store, [changed], workers=1, forensics=False)
        ids, _, now = stored_story_inputs(store)
        assert len(counted) == 6 and now[ids.index("other.txt")] != feats[ids.index("other.txt")]
        content, names, _ = counted_views(now.counted, [0, 1, 2])
        want_content, want_names, _ = _collection_views(list(now))
        assert (content != want_content).nnz == 0 and (names != want_names).nnz == 0
        # A counted document's kept row stays compressed until its words are asked for: damaged,
        # it is made again then (once, and kept), not when the inputs are read.
        remade: list[str] = []
        real_features = stories_store.document_features

        def remaking(doc: Document) -> tuple[list[str], list[str]]:
            remade.append(doc.id)
            return real_features(doc)

        monkeypatch.setattr(stories_store, "document_features", remaking)
        with store.transaction() as c:
            c.execute("UPDATE story_features SET data = x'00ff' WHERE doc_id = 'original.txt'")
        ids, _, lazy = stored_story_inputs(store)
        assert remade == [] and len(counted) == 6
        k = ids.index("original.txt")
        assert lazy[k] == now[k] and remade == ["original.txt"]
        assert lazy[k] == now[k] and remade == ["original.txt"]  # made once
        assert list(stored_story_inputs(store)[2]) == list(now) and remade == ["original.txt"]  # kept


def test_family_command_takes_a_document_or_a_family_id(corpus: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``scan`` and ``stories`` print family ids: ``newstrace family`` takes them as it takes a
    member's id, and says what it was given when it is neither."""
    db = str(tmp_path / "x.db")
    assert main(["index", "add", str(corpus), "--db", db, "--lexical-only", "--no-changes", "--workers", "1"]) == 0
    with Store(db) as store:
        [family_id] = [r[0] for r in store.conn.execute("SELECT id FROM families")]
    capsys.readouterr()
    assert main(["family", "repost.txt", "--db", db]) == 0
    by_member = capsys.readouterr().out
    assert main(["family", family_id, "--db", db]) == 0
    assert capsys.readouterr().out == by_member and family_id in by_member
    assert main(["family", "other.txt", "--db", db]) == 1
    assert "neither a family nor a document in a family" in capsys.readouterr().err


def test_markdown_and_csv_keep_scraped_names_as_text(tmp_path: Path) -> None:
    """A title with ``|`` and markup stays one Markdown cell shown as text; an id a spreadsheet
    would run as a formula is marked as text in the CSV."""
    import csv
    import io

    from newstrace.report.output import render

    root = tmp_path / "odd"
    root.mkdir()
    (root / "=HYPERLINK(1).txt").write_text("Title with | pipe and <b>bold</b>\n\n" + ARTICLE)
    (root / "copy.txt").write_text("Reposted\n\n" + ARTICLE)
    result = scan([root], workers=1, changes=False, semantic=False)
    md = render("md", result.documents, result.relations, result.errors)
    row = next(line for line in md.splitlines() if "pipe" in line)
    assert row.count(" | ") == 4 and "\\|" in row and "&lt;b&gt;bold&lt;/b&gt;" in row and "<b>" not in md
    rows = list(csv.reader(io.StringIO(render("csv", result.documents, result.relations, result.errors))))
    ids = {cell for r in rows[1:] for cell in r[:2]}
    assert "'=HYPERLINK(1).txt" in ids and "=HYPERLINK(1).txt" not in ids


def test_tracing_an_indexed_article_says_it_is_there(corpus: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.db")
    assert main(["index", "add", str(corpus), "--db", db, "--lexical-only", "--no-changes", "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["trace", str(corpus / "original.txt"), "--db", db, "--lexical-only", "--no-changes",
                 "--workers", "1"]) == 0
    assert "query:original.txt is in the index already (the same cleaned text): original.txt, repost.txt" in capsys.readouterr().err
    edited = tmp_path / "edited.txt"
    edited.write_text(ARTICLE + "\n\nA paragraph the index does not hold, added by the copying site's editor.\n")
    assert main(["trace", str(edited), "--db", db, "--lexical-only", "--no-changes", "--workers", "1"]) == 0
    assert "in the index already" not in capsys.readouterr().err


def test_documents_commit_in_batches_that_double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the first commit comes early, later ones grow (fewer rewrites of the band tables' pages)
    sizes: list[int] = []
    put = Store.put_documents

    def counted(self: Store, rows: Any, **kw: Any) -> int:
        sizes.append(len(rows))
        return put(self, rows, **kw)

    monkeypatch.setattr(Store, "put_documents", counted)
    docs = [Document(id=f"d{i}.txt", raw=f"Report number {i} from the valley.\n\n{OTHER}") for i in range(20)]
    with Store(tmp_path / "x.db") as store:
        stats = add_documents(store, docs, workers=1, forensics=False, commit_documents=2)
        assert stats.added == 20 and store.document_count() == 20
    assert sizes == [2, 4, 8, 6]


def test_story_feature_rows_are_the_join_read_from_a_covering_index(corpus: Path, tmp_path: Path) -> None:
    # every document's story inputs read without its row (texts) and each kept row in table
    # order: the same rows as joining them in SQL, which read them all in random order
    from newstrace.stages.stories.store import stored_story_inputs

    with Store(tmp_path / "t.db") as store:
        index_add(store, [corpus], workers=1, forensics=False)
        unkept = store.story_feature_rows()  # features kept by the add, not yet counted
        stored_story_inputs(store)  # keeps every document's features and their counted terms
        store.conn.execute("DELETE FROM story_terms WHERE doc_id = (SELECT MIN(doc_id) FROM story_terms)")
        joined = store.conn.execute(
            "SELECT d.id, d.published, d.title, d.language, d.text_hash, s.key, s.data, t.key, t.data "
            "FROM documents d LEFT JOIN story_features s ON s.doc_id = d.id "
            "LEFT JOIN story_terms t ON t.doc_id = d.id ORDER BY d.id").fetchall()
        rows = store.story_feature_rows()
        plan = " ".join(str(r) for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id, published, title, language, text_hash FROM documents "
            "INDEXED BY documents_story ORDER BY id"))
    assert rows == joined and len(rows) == 3
    assert sum(r[8] is None for r in rows) == 1 and all(r[6] is not None for r in rows)
    assert [r[:5] for r in unkept] == [r[:5] for r in rows]
    assert "COVERING INDEX documents_story" in plan
