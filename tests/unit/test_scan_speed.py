"""The scan's speed work (issue 12, part 3) changes where work happens, never its results:
band rows made in the workers, language identified in the prepare step, sentence buckets
grouped with numpy, a scratch store without lookup rows."""

from __future__ import annotations

import random
import sqlite3
import struct
from collections import defaultdict
from pathlib import Path

import pytest
from fixtures.articles import ARTICLE, OTHER

from newstrace.pipeline import add_documents, scan
from newstrace.stages.candidates import _band_keys, _colliding_sentences, band_hashes, fingerprint, plan_pairs
from newstrace.stages.ingest import document_from_text, read_inputs
from newstrace.stages.prepare import (
    document_columns,
    indexed_rows,
    learn_boilerplate,
    line_profile,
    prepare_document,
    prepare_task,
)
from newstrace.store import BAND_LEVELS, BAND_TABLES, Store, _blob, _sorted_blob
from newstrace.types import Document

SPANISH = ("El ayuntamiento aprobó el martes la ampliación de la línea de tranvía hasta el puerto, "
           "una obra que costará doce millones de euros y durará dos años, según la alcaldesa.")
LOOKUP_TABLES = (*(f"{t}{level}" for t in BAND_TABLES for level in BAND_LEVELS), "sentence_terms", "line_carriers",
                 "line_profiles")


def _rows(db: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as c:
        return sorted(c.execute(f"SELECT * FROM {table}"))


def _reference_band_hashes(digest: list[int], bands: int, channel: int) -> list[int]:
    """The band hashes as first written: one ``int.to_bytes`` per row."""
    import xxhash

    rows = len(digest) // bands
    out = []
    for b in range(bands):
        data = b"".join(int(x).to_bytes(4, "little") for x in digest[b * rows : (b + 1) * rows])
        h = xxhash.xxh64_intdigest(data, seed=channel * 4096 + b)
        out.append(h - (1 << 64) if h >= 1 << 63 else h)
    return out


def test_band_hashes_are_the_bytes_of_each_band() -> None:
    rng = random.Random(3)
    for perm, bands in ((128, 32), (60, 20)):
        digest = [rng.randrange(1 << 32) for _ in range(perm)]
        assert band_hashes(digest, bands, 2) == _reference_band_hashes(digest, bands, 2)
    with pytest.raises(struct.error):  # not a uint32, refused as before
        band_hashes([1 << 32] * 60, 20, 2)


def test_sorted_blob_is_the_blob_of_the_sorted_keys() -> None:
    rng = random.Random(4)
    keys = frozenset(rng.randrange(1 << 64) for _ in range(500)) | {0, (1 << 63) - 1, 1 << 63, (1 << 64) - 1}
    assert _sorted_blob(keys) == _blob(sorted(keys))
    assert _sorted_blob(frozenset()) == _blob([])


def test_colliding_sentences_are_the_dict_buckets_with_two_or_more() -> None:
    """Every bucket of two or more sentences, members in order, as a dict of band keys gives."""
    rng = random.Random(5)
    pool = [[rng.randrange(1 << 32) for _ in range(60)] for _ in range(40)]
    digests = []
    for _ in range(300):
        d = list(rng.choice(pool))
        for i in rng.sample(range(60), rng.randrange(0, 50)):  # partial copies collide in some bands
            d[i] = rng.randrange(1 << 32)
        digests.append(d)
    buckets: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for g, d in enumerate(digests):
        for key in _band_keys(d, 20):
            buckets[key].append(g)
    expected = sorted(m for m in buckets.values() if len(m) > 1)
    found = _colliding_sentences(digests, 20)
    assert sorted(found) == expected and len(expected) > 50
    assert _colliding_sentences([], 20) == []


def test_plan_pairs_counts_every_repeated_bucket() -> None:
    """Buckets repeating another's members are counted, not replanned: a stock sentence in 60
    documents is skipped in each of its 20 bands."""
    stock = "The markets committee will publish its quarterly summary of trading figures on Monday morning."
    docs = [Document(id=f"d{i:02d}", raw="", text=f"{stock} Item {i} reports {ARTICLE[i * 7 : i * 7 + 40]}.")
            for i in range(60)]
    _, stats = plan_pairs([fingerprint(d) for d in docs])
    assert stats["skipped_buckets"] + stats["absorbed_buckets"] >= 20


def test_language_identified_in_the_prepare_step_is_the_readers() -> None:
    for text, lang in ((ARTICLE, "en"), (SPANISH * 2, "es")):
        read = document_from_text("a", text)
        deferred = document_from_text("a", text, identify_language=False)
        assert read.language == lang and deferred.language is None
        assert prepare_document(deferred, forensics=False)[0].language == read.language


def test_read_inputs_can_leave_the_language_to_the_prepare_step(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(SPANISH * 2)
    (tmp_path / "b.jsonl").write_text('{"id": "j", "text": "' + ARTICLE.replace('"', "'").replace("\n", " ") + '"}\n')
    now = {d.id: d.language for d in read_inputs([tmp_path]) if isinstance(d, Document)}
    later = [d for d in read_inputs([tmp_path], identify_language=False) if isinstance(d, Document)]
    assert now == {"a.txt": "es", "j": "en"} and all(d.language is None for d in later)
    assert {d.id: prepare_document(d, forensics=False)[0].language for d in later} == now


def test_rows_made_in_the_workers_are_the_rows_the_store_makes(tmp_path: Path) -> None:
    docs = [Document(id=i, raw=t) for i, t in (("a", ARTICLE), ("b", ARTICLE + "\n\nUpdate: more."), ("c", OTHER))]
    recurring = learn_boilerplate(docs)
    prepared = [indexed_rows(*prepare_task((d, recurring, False))) for d in docs]
    with Store(tmp_path / "here.db") as here, Store(tmp_path / "there.db") as there:
        here.put_documents([(d, fp) for d, fp, _ in prepared])
        rows = [(d, fp, type(r)(r.shingle_bands, r.sentence_bands, r.sentence_terms, line_profile(d.raw), r.columns))
                for d, fp, r in prepared]
        assert all(r.columns == document_columns(d) for d, _, r in rows)
        there.put_documents(rows)
        there.put_documents(rows[:1] + rows[:1])  # the same document twice in one batch: replaced, rows kept
    for table in (*LOOKUP_TABLES, "documents"):
        assert _rows(tmp_path / "here.db", table) == _rows(tmp_path / "there.db", table), table
    with Store(tmp_path / "here.db") as here:
        assert len(here.band_rows("sentence_bands")) > 20


def test_a_scratch_store_gets_the_same_documents_without_lookup_rows(tmp_path: Path) -> None:
    docs = [Document(id=i, raw=t) for i, t in (("a", ARTICLE), ("b", ARTICLE + "\n\nUpdate: more."), ("c", OTHER))]
    for name, index in (("full", True), ("scratch", False)):
        with Store(tmp_path / f"{name}.db") as store:
            add_documents(store, [Document(id=d.id, raw=d.raw) for d in docs], workers=1, forensics=False,
                          candidate_index=index)
    for table in ("documents", "fingerprints", "doc_numbers", "language_counts", "pending_vectors"):
        assert _rows(tmp_path / "full.db", table) == _rows(tmp_path / "scratch.db", table), table
    assert all(_rows(tmp_path / "full.db", t) for t in ("line_carriers", "line_profiles"))
    with Store(tmp_path / "full.db") as full:
        assert all(full.band_rows(t) for t in BAND_TABLES)
    assert not any(_rows(tmp_path / "scratch.db", t) for t in LOOKUP_TABLES)


def test_scan_with_and_without_a_store_file_finds_the_same(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE)
    (corpus / "b.txt").write_text("Breaking\n\n" + ARTICLE + "\n\nUpdate: the council confirmed it.")
    (corpus / "c.txt").write_text(OTHER)
    kept = scan([corpus], db=tmp_path / "kept.db", workers=1, changes=False, semantic=False)
    scratch = scan([corpus], workers=1, changes=False, semantic=False)
    assert [(r.source, r.target, r.type, r.passages) for r in kept.relations] == \
        [(r.source, r.target, r.type, r.passages) for r in scratch.relations]
    assert kept.relations and [d.language for d in kept.documents] == [d.language for d in scratch.documents]
    with Store(tmp_path / "kept.db") as store:
        assert store.band_rows("sentence_bands")


def test_prepare_shards_are_bounded_in_documents_and_characters() -> None:
    """The prepare step takes up to 16 documents at a time, and a shard stops short of
    ``PREPARE_SHARD_CHARS`` (a shard's documents are all cleaned before any is packed)."""
    from newstrace.pipeline import PREPARE_SHARD, PREPARE_SHARD_CHARS, _shards

    small = [Document(id=f"s{i}", raw="x" * 100) for i in range(2 * PREPARE_SHARD + 3)]
    assert [len(s) for s in _shards(small)] == [PREPARE_SHARD, PREPARE_SHARD, 3]
    big = Document(id="big", raw="y" * (PREPARE_SHARD_CHARS + 1))
    half = Document(id="half", raw="z" * (PREPARE_SHARD_CHARS // 2))
    docs = [small[0], big, half, half, small[1], small[2]]
    shards = _shards(docs)
    assert [[d.id for d in s] for s in shards] == [["s0"], ["big"], ["half", "half"], ["s1", "s2"]]
    assert [d for s in shards for d in s] == docs  # every document, in order
    assert _shards([]) == []
