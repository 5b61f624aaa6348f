"""Document ids that stay with their files (newstrace.stages.ingest.ids)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.pipeline import add_documents, scan
from newstrace.stages.ingest import read_inputs
from newstrace.stages.ingest.ids import (
    GroupEntry,
    Held,
    document_source,
    id_candidates,
    path_named,
    settle_group,
    settle_ids,
)
from newstrace.store import Store
from newstrace.types import Document, InputError


def _doc(doc_id: str, path: str | None, text: str = "text") -> Document:
    return Document(id=doc_id, raw=text, path=path)


def test_ids_made_from_paths_are_told_from_ids_the_input_gives() -> None:
    assert path_named(_doc("001.txt", "/d/politics/001.txt"))
    assert path_named(_doc("sub/x.html", "/d/sub/x.html"))
    assert path_named(_doc("feed.jsonl#3", "/d/feed.jsonl"))  # a record with no id of its own
    assert not path_named(_doc("abc", "/d/feed.jsonl"))  # a JSONL record's id
    assert not path_named(_doc("https://example.com/a#2", "/d/crawl.warc.gz"))  # a WARC record's URL
    assert not path_named(_doc("story.txt", "upload:story.txt"))  # a service upload
    assert not path_named(_doc("x", None))
    assert document_source(_doc("abc", "/d/feed.jsonl")) is None
    assert document_source(_doc("001.txt", "/d/politics/001.txt")) == "/d/politics/001.txt"


def test_candidates_prefix_the_folders_above_one_at_a_time() -> None:
    assert id_candidates(_doc("001.txt", "/data/bbc/politics/001.txt")) == [
        "001.txt", "politics/001.txt", "bbc/politics/001.txt", "data/bbc/politics/001.txt",
        "/data/bbc/politics/001.txt"]
    assert id_candidates(_doc("sub/x.txt", "/r/sub/x.txt")) == ["sub/x.txt", "r/sub/x.txt", "/r/sub/x.txt"]
    assert id_candidates(_doc("a.jsonl#3", "/d/a.jsonl")) == ["a.jsonl#3", "d/a.jsonl#3", "/d/a.jsonl#3"]
    assert id_candidates(_doc("abc", "/d/a.jsonl")) == ["abc"]


def test_one_name_in_two_folders_gives_two_documents() -> None:
    settled = settle_ids([_doc("001.txt", "/d/business/001.txt"), _doc("002.txt", "/d/business/002.txt"),
                          _doc("001.txt", "/d/politics/001.txt")])
    assert [d.id for d in settled.documents] == ["001.txt", "002.txt", "politics/001.txt"]
    assert settled.renamed == [("/d/politics/001.txt", "001.txt", "politics/001.txt")]
    assert settled.duplicates == []


def test_the_same_file_twice_and_an_id_given_twice_are_duplicates() -> None:
    settled = settle_ids([_doc("001.txt", "/d/a/001.txt"), _doc("a/001.txt", "/d/a/001.txt"),
                          _doc("r1", "/d/x.jsonl"), _doc("r1", "/d/y.jsonl")])
    # "a/001.txt" (the file read from the folder above) is free, but the file is taken: kept
    # under the first id it was read with
    assert [d.id for d in settled.documents] == ["001.txt", "a/001.txt", "r1"]
    settled = settle_ids([_doc("001.txt", "/d/a/001.txt"), _doc("001.txt", "/d/a/001.txt")])
    assert [d.id for d in settled.documents] == ["001.txt"]
    assert [e.reason for e in settled.duplicates] == [
        "duplicate document id '001.txt' in one run: kept the first (an id met again in a later run is a new version)"]


def test_an_index_keeps_each_id_with_its_file() -> None:
    stored: dict[str, Held] = {"001.txt": ("/d/business/001.txt", "budget"),
                               "politics/001.txt": ("/d/politics/001.txt", "election"), "r1": (None, "record")}

    def lookup(ids: Sequence[str]) -> dict[str, Held]:
        return {i: stored[i] for i in ids if i in stored}

    settled = settle_ids([_doc("001.txt", "/d/politics/001.txt"), _doc("001.txt", "/d/business/001.txt"),
                          _doc("001.txt", "/d/sport/001.txt"), _doc("r1", "/d/z.jsonl")], stored=lookup,
                         content=lambda d: d.raw)
    # politics' file is found under the id it was given before, business' keeps its own, a new
    # folder's file takes its folder's name, and an id the input gives is its document's
    assert [d.id for d in settled.documents] == ["politics/001.txt", "001.txt", "sport/001.txt", "r1"]
    assert settled.renamed == [("/d/sport/001.txt", "001.txt", "sport/001.txt")]
    # a stored document its input named holds its id against any file
    settled = settle_ids([_doc("r1", "/d/r1")], stored=lookup, content=lambda d: d.raw)
    assert [d.id for d in settled.documents] == ["d/r1"]
    # the business folder moved: its file, with the text the index holds, is that document
    settled = settle_ids([_doc("001.txt", "/mnt/business/001.txt", "budget"),
                          _doc("001.txt", "/mnt/other/001.txt", "another text")], stored=lookup,
                         content=lambda d: d.raw)
    assert [d.id for d in settled.documents] == ["001.txt", "other/001.txt"]
    assert [r[2] for r in settled.renamed] == ["other/001.txt"]


def _rounds(docs: list[Document]) -> tuple[dict[int, str], set[int]]:
    """Spark's way (engines.spark.run._settled_ids), in plain Python: group by the id held,
    settle each group, again until nothing moves."""
    entries: list[GroupEntry] = [(i, document_source(d), tuple(id_candidates(d)), 0) for i, d in enumerate(docs)]
    dups: set[object] = set()
    while True:
        groups: dict[str, list[GroupEntry]] = defaultdict(list)
        for e in entries:
            groups[e[2][e[3]]].append(e)
        entries, moved = [], 0
        for group in groups.values():
            kept, moving, dup = settle_group(group)
            entries += kept + moving
            moved += len(moving)
            dups |= {e[0] for e in dup}
        if not moved:
            return {i: e[2][e[3]] for e in entries if isinstance(i := e[0], int)}, {i for i in dups if isinstance(i, int)}


_FOLDERS = ["/d/a", "/d/b", "/e/a", "/d/a/a"]


@st.composite
def _documents(draw: st.DrawFn) -> list[Document]:
    out = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 5)) == 0:
            out.append(_doc(draw(st.sampled_from(["r1", "r2", "x.txt", "a/x.txt"])), "/d/feed.jsonl"))
            continue
        folder = draw(st.sampled_from(_FOLDERS))
        name = draw(st.sampled_from(["x.txt", "y.txt", "a/x.txt"]))
        root = draw(st.sampled_from([f for f in _FOLDERS if (folder + "/").startswith(f + "/")] or [folder]))
        path = f"{folder}/{name}"
        out.append(_doc(path[len(root) + 1:], path))
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_documents())
def test_spark_rounds_settle_as_the_serial_pass(docs: list[Document]) -> None:
    settled = settle_ids(docs)
    ids, dups = _rounds(docs)
    serial = {id(d): d.id for d in settled.documents}
    assert len(set(serial.values())) == len(serial)  # every kept id is one document's
    assert len(settled.documents) + len(settled.duplicates) == len(docs)  # nothing dropped unnamed
    kept = [i for i in range(len(docs)) if i not in dups]
    assert [ids[i] for i in kept] == [d.id for d in settled.documents]
    held: dict[str, str | None] = {}
    for d in settled.documents:  # and no file's id is another's
        held[d.id] = document_source(d)
    assert len(held) == len(settled.documents)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _article(topic: str) -> str:
    return (f"{topic.title()} report\n\nThe council met on Tuesday to discuss the {topic} plan for the town. "
            f"Members said the {topic} plan would cost more than expected and asked for a new estimate. "
            "A decision is due next month after a public consultation.\n")


def test_adds_of_two_folders_sharing_file_names_keep_both(tmp_path: Path) -> None:
    _write(tmp_path / "business", "001.txt", _article("budget"))
    _write(tmp_path / "politics", "001.txt", _article("election"))
    store = Store(tmp_path / "index.db")
    try:
        first = add_documents(store, [d for d in read_inputs([tmp_path / "business"]) if isinstance(d, Document)],
                              workers=1)
        second = add_documents(store, [d for d in read_inputs([tmp_path / "politics"]) if isinstance(d, Document)],
                               workers=1)
        assert (first.added, second.added, second.replaced) == (1, 1, 0)
        assert second.renamed == [(str(tmp_path / "politics" / "001.txt"), "001.txt", "politics/001.txt")]
        assert sorted(store.document_ids()) == ["001.txt", "politics/001.txt"]
        again = add_documents(store, [d for d in read_inputs([tmp_path / "politics"]) if isinstance(d, Document)],
                              workers=1)
        assert (again.added, again.unchanged, again.renamed) == (0, 1, [])
        _write(tmp_path / "politics", "001.txt", _article("election") + "The vote was postponed.\n")
        changed = add_documents(store, [d for d in read_inputs([tmp_path / "politics"]) if isinstance(d, Document)],
                                workers=1)
        assert (changed.added, changed.replaced, store.document_count()) == (1, 1, 2)
        assert "postponed" in store.get_documents(["politics/001.txt"])[0].raw
    finally:
        store.close()


def test_a_moved_folder_added_again_is_unchanged(tmp_path: Path) -> None:
    _write(tmp_path / "business", "001.txt", _article("budget"))
    store = Store(tmp_path / "index.db")
    try:
        add_documents(store, [d for d in read_inputs([tmp_path / "business"]) if isinstance(d, Document)], workers=1)
        (tmp_path / "business").rename(tmp_path / "moved")
        again = add_documents(store, [d for d in read_inputs([tmp_path / "moved"]) if isinstance(d, Document)],
                              workers=1)
        assert (again.added, again.unchanged, again.renamed, store.document_count()) == (0, 1, [], 1)
    finally:
        store.close()


def test_a_scan_of_two_folders_sharing_file_names_keeps_both(tmp_path: Path) -> None:
    _write(tmp_path / "business", "001.txt", _article("budget"))
    _write(tmp_path / "politics", "001.txt", _article("election"))
    result = scan([tmp_path / "business", tmp_path / "politics"], workers=1, semantic=False, changes=False)
    assert sorted(d.id for d in result.documents) == ["001.txt", "politics/001.txt"]
    assert result.stats["renamed"] == 1 and result.stats["skipped"] == 0
    assert all(not isinstance(e, InputError) or "duplicate" not in e.reason for e in result.errors)
