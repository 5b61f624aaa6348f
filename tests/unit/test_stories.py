"""Stories: event clustering, incremental assignment with stable ids, measures."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.evaluation.ecb import adjusted_rand_index, b_cubed
from newstrace.stages.stories import update_stories
from newstrace.types import Document, Family, Story

QUAKE = ("An earthquake of magnitude {m} struck near Lisbon on {d}, Portugal's civil protection agency said. "
         "Buildings in Lisbon and Setubal were damaged and rescuers from Porto searched the rubble. "
         "Prime Minister Antonio Costa visited Lisbon and promised aid for Setubal.")
VOTE = ("Voters in Denmark rejected the Copenhagen bridge toll in a referendum on {d}, Danish officials said. "
        "Mette Frederiksen conceded that Copenhagen commuters had spoken, and Aarhus voted the same way. "
        "The Danish parliament in Copenhagen will debate the result.")


def _docs() -> list[Document]:
    out = []
    for i in range(3):
        out.append(Document(id=f"quake{i}", raw="", text=QUAKE.format(m=6 + i / 10, d=f"Monday {i}"),
                            published=f"2024-02-0{i + 1}"))
        out.append(Document(id=f"vote{i}", raw="", text=VOTE.format(d=f"Sunday {i}"), published=f"2024-05-0{i + 1}"))
    return out


def test_documents_about_one_event_form_one_story() -> None:
    stories = update_stories(_docs())
    groups = sorted(sorted(s.documents) for s in stories)
    assert groups == [["quake0", "quake1", "quake2"], ["vote0", "vote1", "vote2"]]
    quake = next(s for s in stories if "quake0" in s.documents)
    assert "Lisbon" in quake.label
    assert (quake.first_published, quake.last_published) == ("2024-02-01", "2024-02-03")


def test_incremental_adds_keep_story_ids_and_join_new_documents() -> None:
    docs = _docs()
    first = update_stories(docs[:4])
    later = update_stories(docs, existing=first)
    assert {s.id for s in first} <= {s.id for s in later}
    for s in first:
        [now] = [x for x in later if x.id == s.id]
        assert set(s.documents) <= set(now.documents)
    assert sorted(sorted(s.documents) for s in later) == sorted(sorted(s.documents) for s in update_stories(docs))


def test_a_family_never_straddles_two_stories() -> None:
    docs = _docs()
    fam = Family("F1", "quake0", ("quake0", "vote0"), ())
    stories = update_stories(docs, [fam])
    [holder] = [s for s in stories if "quake0" in s.documents]
    assert "vote0" in holder.documents and holder.families == ("F1",)


def test_measures() -> None:
    gold = ["a", "a", "b", "b"]
    assert adjusted_rand_index([1, 1, 2, 2], gold) == 1.0
    assert adjusted_rand_index([1, 2, 3, 4], gold) == 0.0
    p, r, f = b_cubed([1, 1, 1, 1], gold)
    assert (p, r) == (0.5, 1.0) and abs(f - 2 / 3) < 1e-9


def test_a_pair_is_judged_against_its_neighbourhood() -> None:
    """Raw similarity 0.4 joins a lone pair, but not two like events inside a topic whose
    reports of one event are 0.6 alike (module docstring: the contrast)."""
    import numpy as np

    from newstrace.stages.stories.cluster import _average_link, contrast_matrix

    n = 12  # documents 0-4 and 5-9 two like events of one topic; 10 and 11 a lone pair
    sim = np.full((n, n), 0.02)
    sim[:10, :10] = 0.4
    sim[:5, :5] = sim[5:10, 5:10] = 0.6
    sim[10, 11] = sim[11, 10] = 0.4
    np.fill_diagonal(sim, 1.0)
    labels = _average_link(contrast_matrix(sim, neighbours=8, floor=0.25), -0.05)
    assert len({labels[i] for i in range(5)}) == 1 and len({labels[i] for i in range(5, 10)}) == 1
    assert labels[0] != labels[5], "two like events of one topic stay apart"
    assert labels[10] == labels[11], "a lone pair needs only the floor"
    assert labels[10] not in {labels[0], labels[5]}
    # Without the contrast, one threshold cannot do both: 0.4 joins the pair and the events.
    raw = _average_link(sim, 0.35)
    assert raw[10] == raw[11] and raw[0] == raw[5]


def test_a_small_collection_falls_back_on_the_floor() -> None:
    """Two near-copies and a third report of their event: one story, though the copies are far
    closer to each other than to it (with fewer documents than neighbours, the missing ones
    count as dissimilar)."""
    import numpy as np

    from newstrace.stages.stories.cluster import _average_link, contrast_matrix

    sim = np.asarray([[1.0, 0.9, 0.5], [0.9, 1.0, 0.5], [0.5, 0.5, 1.0]])
    assert len(set(_average_link(contrast_matrix(sim, neighbours=20, floor=0.25), -0.05))) == 1
    # Had the three been all of a document's neighbours, the third would stand apart.
    assert len(set(_average_link(contrast_matrix(sim, neighbours=2, floor=0.25), -0.05))) == 2


def test_reports_dated_close_together_are_held_to_a_lower_usual_similarity() -> None:
    """One event told from two sides in a dense topic (documents 0-9: two groups of five, 0.6
    alike inside, 0.42 across, among a like event 10-19): apart when undated, one story when
    all ten are dated within ``close_days``.  Loosely related articles dated the same day (the
    floor's regime) are not joined: the discount never goes below the floor."""
    import numpy as np

    from newstrace.stages.stories.cluster import _average_link, contrast_matrix

    n = 24
    sim = np.full((n, n), 0.02)
    sim[:20, :20] = 0.3  # one topic
    sim[:10, :10] = 0.42  # one event, two sides
    sim[:5, :5] = sim[5:10, 5:10] = sim[10:20, 10:20] = 0.6
    sim[20:, 20:] = 0.15  # four loosely related articles (under the floor's bar of 0.20)
    np.fill_diagonal(sim, 1.0)
    undated: list[str | None] = [None] * n
    labels = _average_link(contrast_matrix(sim, 8, 0.25, published=undated), -0.05)
    assert labels[0] != labels[5]
    dated = ["2024-03-04"] * 5 + ["2024-03-06"] * 5 + [None] * 10 + ["2024-03-04"] * 4
    labels = _average_link(contrast_matrix(sim, 8, 0.25, published=dated), -0.05)
    assert len({labels[i] for i in range(10)}) == 1 and labels[0] != labels[10]
    assert len({labels[i] for i in range(20, 24)}) == 4, "same day, under the floor: apart"
    # A week apart is not close (``close_days`` 3); no discount, no join.
    far = ["2024-03-04"] * 5 + ["2024-03-11"] * 5 + [None] * 14
    assert len(set(_average_link(contrast_matrix(sim, 8, 0.25, published=far), -0.05)[:10])) == 2
    assert len(set(_average_link(contrast_matrix(sim, 8, 0.25, published=dated, close_discount=0.0),
                                 -0.05)[:10])) == 2


def test_story_settings_are_checked() -> None:
    from newstrace.stages.stories import StoryConfig

    with pytest.raises(ValueError, match="close_discount"):
        StoryConfig(close_discount=1.5)
    with pytest.raises(ValueError, match="close_days"):
        StoryConfig(close_days=-1)


def test_stored_ids_follow_the_documents_they_hold() -> None:
    from newstrace.stages.stories.cluster import _assign_ids, story_id

    old = [Story("Sa", "", ("a1", "a2", "a3"), (), None, None), Story("Sb", "", ("b1",), (), None, None)]
    # Sa loses a3 to a new story, Sb grows: both keep their ids; the new story gets a fresh one.
    assert _assign_ids([["a1", "a2"], ["b1", "b2"], ["a3", "c1"]], old) == ["Sa", "Sb", story_id(["a3", "c1"])]
    # Sa and Sb turn out to be one story: the one it shares more documents with keeps its id.
    assert _assign_ids([["a1", "a2", "a3", "b1"]], old) == ["Sa"]
    # A new story whose first document names a stored id is salted, never a duplicate.
    clash = [Story(story_id(["x"]), "", ("y",), (), None, None)]
    [fresh, kept] = _assign_ids([["x"], ["y"]], clash)
    assert kept == clash[0].id and fresh != kept


def test_adds_in_any_order_give_the_stories_of_one_scan() -> None:
    docs = _docs()
    one = sorted(sorted(s.documents) for s in update_stories(docs))
    for order in ([5, 0, 3], [1], [2, 4]), ([0], [1], [2], [3], [4], [5]):
        stored: list[Story] = []
        seen: set[str] = set()
        indexed: list[Document] = []
        for batch in order:
            indexed += [docs[i] for i in batch]
            stored = update_stories(indexed, existing=stored)
            assert seen <= {s.id for s in stored}
            seen = {s.id for s in stored}
        assert sorted(sorted(s.documents) for s in stored) == one


def test_the_sparse_path_gives_the_stories_of_the_dense_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few rows (the block boundary inside stories), same partition and same usual
    similarities as the n × n matrix; only pairs that can pass the threshold are kept."""
    import numpy as np

    import newstrace.stages.stories.cluster as cluster

    docs = [*_docs(), Document(id="other", raw="", text="A chess club in Oslo opened a new hall for juniors.")]
    feats = [cluster.document_features(d) for d in docs]
    published = [d.published for d in docs]
    monkeypatch.setattr(cluster, "BLOCK_ENTRIES", 2 * len(docs))  # two rows a block
    kept, r = cluster.sparse_similarity(feats, published, neighbours=3, keep=0.2)
    dense = cluster.similarity_matrix(feats, published)
    off = dense.astype(np.float64)
    np.fill_diagonal(off, -np.inf)
    assert np.array_equal(r, cluster._usual_rows(off, 3))
    full = kept.toarray()
    assert np.array_equal(full[off >= 0.2], dense[off >= 0.2]) and not full[off < 0.2].any()
    for cfg in (cluster.StoryConfig(), cluster.StoryConfig(neighbours=3, threshold=-0.1)):
        sparse = cluster.cluster_representatives(feats, published, cfg)
        whole = cluster.cluster_representatives(feats, published, cfg, dense=True)
        assert adjusted_rand_index(sparse, whole) == 1.0
    assert len(set(sparse)) == 3


def test_the_names_index_finds_every_pair_that_can_join_a_story(monkeypatch: pytest.MonkeyPatch) -> None:
    """``indexed_similarity`` scores only pairs whose name cosine can reach ``keep²`` (the
    similarity is the geometric mean of two cosines of at most 1), yet keeps every pair of the
    n × n matrix at ``keep`` or more, with its float to the bit, and brackets each usual
    similarity; the stories are those of the dense matrix, blocks of two rows included."""
    import numpy as np

    import newstrace.stages.stories.cluster as cluster

    docs = [*_docs(), Document(id="chess", raw="", text="A chess club in Oslo opened a new hall for Magnus juniors."),
            Document(id="tide", raw="", text="The tide tables for Setubal harbour were printed again, a clerk said.")]
    feats = [cluster.document_features(d) for d in docs]
    published = [d.published for d in docs]
    monkeypatch.setattr(cluster, "BLOCK_ENTRIES", 2 * len(docs))  # two rows a block
    dense = cluster.similarity_matrix(feats, published)
    off = dense.astype(np.float64)
    np.fill_diagonal(off, -np.inf)
    for neighbours, keep, name_cosine in ((3, 0.2, 0.02), (3, 0.1, 0.5), (20, 0.3, 0.0)):
        found = cluster.indexed_similarity(feats, published, neighbours=neighbours, keep=keep, name_cosine=name_cosine)
        full = found.kept.toarray()
        assert np.array_equal(full[off >= keep], dense[off >= keep]) and not full[off < keep].any()
        r = cluster._usual_rows(off, neighbours)
        assert (found.low <= r).all() and (r <= found.high).all()
        assert found.computed < len(docs) * (len(docs) - 1) // 2  # the chess club shares no name
    for cfg in (cluster.StoryConfig(), cluster.StoryConfig(neighbours=3, threshold=-0.1),
                cluster.StoryConfig(neighbours=2, floor=0.0, threshold=-0.3)):
        whole = _canonical(cluster.cluster_representatives(feats, published, cfg, method="dense"))
        for method in ("indexed", "blocks"):
            assert _canonical(cluster.cluster_representatives(feats, published, cfg, method=method)) == whole
        with monkeypatch.context() as m:  # every component through the sparse average link
            m.setattr(cluster, "SPARSE_LINK_MIN", 1)
            assert _canonical(cluster.cluster_representatives(feats, published, cfg)) == whole
    assert len(set(whole)) < len(docs)
    with pytest.raises(ValueError, match="keep must be positive"):
        cluster.indexed_similarity(feats, published, keep=0.0)


def _canonical(labels: list[int]) -> list[int]:
    first: dict[int, int] = {}
    return [first.setdefault(x, len(first)) for x in labels]


def test_the_usual_similarity_does_not_depend_on_the_order_of_its_values() -> None:
    """Every path sums a row's highest similarities in one order, so their floats agree."""
    import numpy as np

    from newstrace.stages.stories.cluster import _usual_rows, usual_similarity

    rng = np.random.default_rng(7)
    vals = rng.random((5, 30)).astype(np.float32).astype(np.float64)
    shuffled = np.take_along_axis(vals, rng.permuted(np.tile(np.arange(30), (5, 1)), axis=1), axis=1)
    assert np.array_equal(_usual_rows(vals, 20), _usual_rows(shuffled, 20))
    # fewer values than neighbours: the missing ones count as 0
    assert np.array_equal(_usual_rows(vals[:, :4], 20), _usual_rows(np.hstack([vals[:, :4], np.zeros((5, 9))]), 20))
    assert usual_similarity(list(vals[0]), 20) == _usual_rows(vals[:1], 20)[0]


FIRE = ("A fire destroyed a warehouse in Bergen on {d}, Norwegian police said. Firefighters from Oslo "
        "and Stavanger fought the blaze through the night, and the Bergen harbour was closed.")


def test_an_add_clusters_again_only_the_stories_its_documents_reach() -> None:
    """``extend_stories``: a new report of a stored event joins its story (same id), a report of
    a new event opens one, and a story no new document reaches is kept as stored; the stories
    are those of clustering everything again."""
    from newstrace.stages.stories.cluster import document_features, extend_stories

    docs = _docs() + [Document(id=f"fire{i}", raw="", text=FIRE.format(d=f"Friday {i}"), published=f"2024-08-0{i + 1}")
                      for i in range(3)]
    by_id = {d.id: d for d in docs}
    stored = update_stories([by_id[i] for i in ("quake0", "quake1", "vote0", "vote1", "vote2")])

    def extend(ids: list[str], existing: list[Story]) -> tuple[list[Story], dict[str, int]]:
        ids = sorted(ids)
        return extend_stories(ids, [by_id[i].published for i in ids], [document_features(by_id[i]) for i in ids],
                              [], existing)

    later, counts = extend(["quake0", "quake1", "quake2", "vote0", "vote1", "vote2"], stored)
    [quake] = [s for s in stored if "quake0" in s.documents]
    [vote] = [s for s in stored if "vote0" in s.documents]
    assert counts == {"new": 1, "reached": 1, "kept": 1, "clustered": 3, "neighbourhoods_kept": 0,
                      "neighbourhoods_unseen": 0}
    assert vote in later  # not reached: kept as stored, label and all
    assert next(s for s in later if s.id == quake.id).documents == ("quake0", "quake1", "quake2")
    final, counts = extend(list(by_id), later)
    assert counts == {"new": 3, "reached": 0, "kept": 2, "clustered": 3, "neighbourhoods_kept": 0,
                      "neighbourhoods_unseen": 0}
    assert {s.id for s in later} < {s.id for s in final}
    assert sorted(sorted(s.documents) for s in final) == sorted(sorted(s.documents) for s in update_stories(docs))
    again, counts = extend(list(by_id), final)  # nothing new: nothing clustered
    assert again == final and counts["clustered"] == 0
    ids = sorted(by_id)  # a new version of vote1: its story is clustered again
    _, counts = extend_stories(ids, [by_id[i].published for i in ids], [document_features(by_id[i]) for i in ids],
                               [], final, changed={"vote1"})
    assert counts["new"] == counts["reached"] == 1 and counts["clustered"] == 3
    with pytest.raises(ValueError, match="sorted and unique"):
        extend_stories(["b", "a"], [None, None], [([], []), ([], [])], [], [])


def test_kept_usual_similarities_narrow_the_stories_an_add_reaches() -> None:
    """``extend_stories(known_usual=)``: a stored story is reached only by a pair whose contrast
    can pass the threshold on the kept usual similarities (less the drift allowance), not by
    every pair of similarity ``threshold + floor``.  A clustering hands out the usual
    similarity each representative was held to (``usual_out``)."""
    import math

    from newstrace.stages.stories.cluster import (
        DEFAULT_CONFIG,
        USUAL_DRIFT,
        document_features,
        extend_stories,
        indexed_similarity,
        stories_of_features,
    )

    by_id = {d.id: d for d in _docs()}
    ids = sorted(by_id)
    first = [i for i in ids if i != "quake2"]
    held: dict[str, float] = {}
    stored = stories_of_features(first, [by_id[i].published for i in first],
                                 [document_features(by_id[i]) for i in first], usual_out=held)
    assert sorted(held) == first and all(0.0 <= v <= 1.0 for v in held.values())
    feats = [document_features(by_id[i]) for i in ids]
    published = [by_id[i].published for i in ids]

    def extend(known: dict[str, float] | None) -> dict[str, int]:
        out: dict[str, float] = {}
        _, counts = extend_stories(ids, published, feats, [], stored, known_usual=known, usual_out=out)
        assert sorted(out) == (["quake0", "quake1", "quake2"] if counts["reached"] else ["quake2"])
        return counts

    assert extend(None)["reached"] == 1  # quake2 reaches the quake story on the floor
    assert extend(held)["reached"] == 1  # and on the values the clustering kept (a true report of it)
    # Kept values so high that quake2's strongest pair cannot pass the threshold, even with the
    # close-dates discount (the three reports are dated a day apart): not reached.
    found = indexed_similarity(feats, published)
    q2 = ids.index("quake2")
    best = float(found.kept[q2].max())
    low_q2 = float(found.low[q2])
    needed = ((best - DEFAULT_CONFIG.threshold + DEFAULT_CONFIG.close_discount + 0.01) ** 2 / max(low_q2, 1e-9)
              + USUAL_DRIFT)
    assert math.isfinite(needed)
    counts = extend({**held, "quake0": needed, "quake1": needed})
    assert counts["reached"] == 0 and counts["kept"] == len(stored)


def test_a_family_reaching_into_a_kept_story_brings_it_into_the_add() -> None:
    """A new document whose family holds a stored document re-clusters that document's story,
    so a family still never straddles two stories."""
    from newstrace.stages.stories.cluster import document_features, extend_stories

    docs = _docs()
    stored = update_stories(docs[:5])
    ids = sorted(d.id for d in docs)
    by_id = {d.id: d for d in docs}
    fam = Family("F1", "quake0", ("quake0", "vote2"), ())  # vote2 (new) copies quake0
    out, counts = extend_stories(ids, [by_id[i].published for i in ids], [document_features(by_id[i]) for i in ids],
                                 [fam], stored)
    assert counts["reached"] >= 1
    [holder] = [s for s in out if "quake0" in s.documents]
    assert "vote2" in holder.documents and holder.families == ("F1",)


def test_threads_give_the_one_thread_pairs_and_usual_similarities_to_the_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cluster_threads`` computes the names index's and the exact usual similarities' blocks
    in threads, folded in block order: the same kept pairs (entries in the same order), bounds
    and usual similarities as one thread, and the same stories."""
    import numpy as np

    import newstrace.stages.stories.cluster as cluster

    docs = [*_docs(), Document(id="chess", raw="", text="A chess club in Oslo opened a new hall for Magnus juniors."),
            Document(id="tide", raw="", text="The tide tables for Setubal harbour were printed again, a clerk said.")]
    feats = [cluster.document_features(d) for d in docs]
    published = [d.published for d in docs]
    monkeypatch.setattr(cluster, "BLOCK_ENTRIES", 2 * len(docs))  # two rows a block
    content, names = cluster._views(feats, None)
    days = cluster._days(published)

    def run() -> tuple[object, ...]:
        found = cluster.indexed_similarity(feats, published, neighbours=3, keep=0.1, name_cosine=0.02)
        usual = cluster._exact_usual(content, names, days, cluster.DEFAULT_MAX_GAP, list(range(len(docs))), 3)
        return (found.kept.indptr.tolist(), found.kept.indices.tolist(), found.kept.data.tolist(),
                found.low.tolist(), found.high.tolist(), found.computed, usual.tolist(),
                cluster.cluster_representatives(feats, published))

    one = run()
    seen: list[str] = []
    real = cluster._similarity_rows

    def noting(*args: object, **kwargs: object) -> object:
        import threading

        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cluster, "_similarity_rows", noting)
    with cluster.cluster_threads(2):
        assert run() == one
    assert any(name.startswith("newstrace-stories") for name in seen)  # the blocks ran in threads
    assert np.asarray(one[6]).size == len(docs)


def test_merging_into_the_highest_values_skips_only_what_cannot_enter() -> None:
    """``_merge_top`` folds values into each row's ``k`` highest, skipping values no higher than
    the row's ``k``-th: the rows end as sorting everything at once leaves them, ties included."""
    import numpy as np

    from newstrace.stages.stories.cluster import _merge_top, _top_per_row

    rng = np.random.default_rng(11)
    n, k = 40, 5
    top = np.zeros((n, k), dtype=np.float64)
    every_row: list[np.ndarray] = []
    every_value: list[np.ndarray] = []
    for _ in range(30):  # blocks, coarse values so that many tie with a row's k-th
        rows = rng.integers(0, n, size=60)
        values = rng.integers(0, 8, size=60) / 8.0
        _merge_top(top, rows, values)
        every_row.append(rows)
        every_value.append(values)
    assert np.array_equal(top, _top_per_row(np.concatenate(every_row), np.concatenate(every_value), n, k))
    assert (np.diff(top, axis=1) <= 0).all()  # each row descending, as the filter needs


def test_a_collection_s_views_count_its_terms_as_the_collection_does() -> None:
    """``_collection_views``: the views of ``_views`` and each term's document frequency among
    the representatives (content stems, lower-cased names)."""
    from collections import Counter
    from itertools import chain

    import newstrace.stages.stories.cluster as cluster

    feats = [cluster.document_features(d) for d in _docs()]
    content, names, counts = cluster._collection_views(feats)
    want_content, want_names = cluster._views(feats, None)
    assert (content != want_content).nnz == 0 and (names != want_names).nnz == 0
    assert counts.size == len(feats)
    assert dict(counts.content_df) == Counter(chain.from_iterable(set(f[0]) for f in feats))
    assert dict(counts.names_df) == Counter(chain.from_iterable({w.lower() for w in f[1]} for f in feats))


def test_a_part_scored_within_its_collection_clusters_as_scored_on_its_own() -> None:
    """``cluster_representatives(scored=...)``: the part's rows of the collection's views and
    its pairs found by the collection's names index give the labels of scoring the part again
    with the collection's counts; ``scored`` without ``usual`` is refused."""
    import numpy as np

    import newstrace.stages.stories.cluster as cluster

    docs = _docs() + [Document(id=f"fire{i}", raw="", text=FIRE.format(d=f"Friday {i}"), published=f"2024-08-0{i + 1}")
                      for i in range(3)]
    feats = [cluster.document_features(d) for d in docs]
    published = [d.published for d in docs]
    content, names, collection = cluster._collection_views(feats)
    cfg = cluster.StoryConfig(neighbours=3, threshold=-0.1)
    keep = cfg.threshold + cfg.floor - 1e-6
    part = [0, 1, 2, 4, 6, 8]  # three quakes, a vote, two fires
    found = cluster._indexed(content, names, cluster._days(published), cfg.max_gap_days, cfg.neighbours, keep,
                             cluster.PAIR_NAME_COSINE, rows=part)
    take = np.asarray(part)
    scored = cluster.ScoredPart(content[take], names[take], found.kept[take][:, take])
    usual = found.low
    args = ([feats[i] for i in part], [published[i] for i in part], cfg)
    own = cluster.cluster_representatives(*args, collection=collection, usual=usual)
    assert cluster.cluster_representatives(*args, collection=collection, usual=usual, scored=scored) == own
    assert len(set(own)) == 3
    with pytest.raises(ValueError, match="scored needs usual"):
        cluster.cluster_representatives(*args, collection=collection, scored=scored)


_WORDS = ["harbour", "vote", "quake", "fire", "strike", "court", "budget", "storm", "match", "rescue", "bridge", "tariff"]
_NAMES = ["Lisbon", "Oslo", "Bergen", "Porto", "Ana", "Silva", "Hansen", "Tejo"]
#: Small collections of story features (content words, names) over a few shared terms.
_COLLECTIONS = st.lists(st.tuples(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12),
                                  st.lists(st.sampled_from(_NAMES), min_size=1, max_size=6)), min_size=3, max_size=24)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_COLLECTIONS, st.data())
def test_the_part_scored_with_the_new_rows_reused_equals_scoring_it_whole(
        features: list[tuple[list[str], list[str]]], data: st.DataObject) -> None:
    """``extend_stories`` takes the new rows' pairs and bounds from the search for the reached
    stories instead of scoring them again (``_part_pairs``): the same kept pairs (values and
    places) and the same bounds on the usual similarity as scoring the whole part at once."""
    import numpy as np

    from newstrace.stages.stories import cluster

    n = len(features)
    part = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    new = sorted(data.draw(st.sets(st.sampled_from(part), min_size=1)))
    content, names, _ = cluster._collection_views(features)
    days = cluster._days([None] * n)
    cfg = cluster.DEFAULT_CONFIG
    keep = cfg.threshold + cfg.floor - 1e-6
    args = (content, names, days, cfg.max_gap_days, cfg.neighbours, keep, cluster.PAIR_NAME_COSINE)
    near = cluster._indexed(*args, rows=new)
    reused = cluster._part_pairs(content, names, days, cfg, keep, part, new, near)
    whole = cluster._indexed(*args, rows=part)
    assert np.array_equal(reused.kept.toarray(), whole.kept.toarray())
    assert np.array_equal(reused.low, whole.low) and np.array_equal(reused.high, whole.high)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_COLLECTIONS, st.data())
def test_a_part_row_with_its_kept_neighbourhood_is_bounded_as_when_scored_against_everything(
        features: list[tuple[list[str], list[str]]], data: st.DataObject) -> None:
    """``extend_stories(known_neighbourhood=)``: an old row of the part, with the neighbourhood
    kept when the collection lacked the new rows and the ``unseen`` ones (those of earlier adds
    that did not reach its story), is scored against the part and the unseen rows alone
    (``_part_pairs(known=, since_rows=)``).  Its pairs within the part are those of scoring it
    against every row, its lower bound on the usual similarity is the same (its kept neighbours'
    similarities computed again and those to the new and unseen rows: the same pairs), and its
    upper bound still holds the exact value.  Some kept neighbourhoods lose a neighbour (gone
    from the collection, as a document joining a family leaves the representatives)."""
    import numpy as np

    from newstrace.stages.stories import cluster

    n = len(features)
    part = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=2)))
    new = sorted(data.draw(st.sets(st.sampled_from(part), min_size=1, max_size=len(part) - 1)))
    old = [i for i in range(n) if i not in new]
    unseen = sorted(data.draw(st.sets(st.sampled_from(old), max_size=len(old) - 1)))
    before_rows = [i for i in old if i not in unseen]
    content, names, _ = cluster._collection_views(features)
    days = cluster._days([None] * n)
    # few neighbours too, so that a kept neighbourhood is full and a lost neighbour's slot can be taken
    cfg = replace(cluster.DEFAULT_CONFIG, neighbours=data.draw(st.sampled_from([2, 3, cluster.DEFAULT_CONFIG.neighbours])))
    keep = cfg.threshold + cfg.floor - 1e-6
    args = (cfg.max_gap_days, cfg.neighbours, keep, cluster.PAIR_NAME_COSINE)
    # what the clustering before the unseen and new rows kept (the same idf here, so the same floats)
    before = cluster._indexed(content[before_rows], names[before_rows], days[before_rows], *args)
    assert before.top is not None and before.top_ids is not None
    known = {o: cluster.Neighbourhood(before.top[k].astype(np.float32), float(before.high[k]), len(before_rows))
             for k, o in enumerate(before_rows) if o in part}
    neighbour_rows = {o: [before_rows[j] for j in before.top_ids[k].tolist() if j >= 0]
                      for k, o in enumerate(before_rows) if o in part}
    # Rows that have left the representatives since (joined a family): no similarity to any row
    # now, and no longer anyone's neighbour (a lost neighbour's slot is bounded by the lowest kept value).
    outside = [i for i in before_rows if i not in part]
    gone = sorted(data.draw(st.sets(st.sampled_from(outside)))) if outside else []
    if gone:
        keep_rows = np.ones(n)
        keep_rows[gone] = 0.0
        content = content.multiply(keep_rows[:, None]).tocsr()
        names = names.multiply(keep_rows[:, None]).tocsr()
        neighbour_rows = {o: [q for q in rows if q not in gone] for o, rows in neighbour_rows.items()}
    near = cluster._indexed(content, names, days, *args, rows=new)
    merged = cluster._part_pairs(content, names, days, cfg, keep, part, new, near, known, neighbour_rows,
                                 unseen)
    whole = cluster._indexed(content, names, days, *args, rows=part)
    take = np.asarray(part)
    assert np.array_equal(merged.kept[take][:, take].toarray(), whole.kept[take][:, take].toarray())
    exact = cluster._exact_usual(content, names, days, cfg.max_gap_days, part, cfg.neighbours)
    # the same similarities, each pair computed on its own (the float of a lone dot product),
    # but where a lost neighbour was one of them
    intact = np.asarray([p not in neighbour_rows or len(neighbour_rows[p]) == np.count_nonzero(known[p].top)
                         for p in part])
    assert np.allclose(merged.low[intact], whole.low[intact], rtol=0.0, atol=1e-6)
    assert np.all(merged.low <= exact + 1e-12) and np.all(exact <= merged.high + 1e-9)


def test_a_row_that_became_a_representative_since_is_counted_like_one_that_arrived() -> None:
    """A family split by a new version of its representative (row 1 now) leaves its other member
    (row 2, a copy of the old text) a representative of its own: it did not arrive, but the kept
    neighbourhood of row 0, made when row 2 was hidden in the family, has not seen it.  Counted
    among the rows arrived since (``since_rows``), it bounds row 0's usual similarity; left out,
    both bounds miss it and agree, and the wrong value would be trusted."""
    import numpy as np

    from newstrace.stages.stories import cluster

    quake = (["quake", "city", "rescue", "dead", "rubble"], ["Ankara", "Turkey", "AFAD"])
    features = [(["quake", "city", "rescue", "dead", "toll"], ["Ankara", "Turkey", "AFAD"]),
                (["vote", "parliament", "budget"], ["Berlin", "Scholz"]), quake,
                (["quake", "aid"], ["Turkey", "UN"]), (["rescue", "team"], ["AFAD", "Istanbul"]),
                (["football", "match"], ["Madrid"]), (["weather", "rain"], ["London"])]
    content, names, _ = cluster._collection_views(features)
    days = cluster._days([None] * len(features))
    cfg = replace(cluster.DEFAULT_CONFIG, neighbours=2)
    keep = cfg.threshold + cfg.floor - 1e-6
    args = (cfg.max_gap_days, cfg.neighbours, keep, cluster.PAIR_NAME_COSINE)
    # before: the family's representative had the quake text (modelled by row 2's), row 1's id
    before_rows = [0, 2, 3, 4, 5, 6]
    before = cluster._indexed(content[before_rows], names[before_rows], days[before_rows], *args)
    assert before.top is not None and before.top_ids is not None
    known = {0: cluster.Neighbourhood(before.top[0].astype(np.float32), float(before.high[0]), len(before_rows))}
    neighbours = [{2: 1}.get(before_rows[j], before_rows[j]) for j in before.top_ids[0].tolist() if j >= 0]
    near = cluster._indexed(content, names, days, *args, rows=[1])
    exact = cluster._exact_usual(content, names, days, cfg.max_gap_days, [0], cfg.neighbours)[0]
    counted = cluster._part_pairs(content, names, days, cfg, keep, [0, 1, 2], [1], near, known, {0: neighbours}, [2])
    assert counted.low[0] <= exact + 1e-12 and exact <= counted.high[0] + 1e-9
    missed = cluster._part_pairs(content, names, days, cfg, keep, [0, 1, 2], [1], near, known, {0: neighbours}, [])
    assert missed.high[0] < exact  # what the kept neighbourhood alone would say


def test_a_neighbourhood_table_without_arrivals_gains_the_column() -> None:
    """A store whose neighbourhood table was made before neighbourhoods kept their arrival reads
    its rows as having seen nothing (arrival 0) and keeps new ones with theirs."""
    import sqlite3

    import numpy as np

    from newstrace.stages.stories.cluster import Neighbourhood
    from newstrace.stages.stories.store import StoredNeighbourhoods, save_neighbourhoods

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE story_neighbourhood (doc_id TEXT PRIMARY KEY, top BLOB NOT NULL, "
                 "neighbours TEXT NOT NULL, high REAL NOT NULL, size INTEGER NOT NULL, settings TEXT NOT NULL)")
    conn.execute("INSERT INTO story_neighbourhood VALUES ('a', ?, 'b', 0.5, 10, 's')",
                 (np.zeros(2, dtype="<f4").tobytes(),))
    conn.commit()
    kept = StoredNeighbourhoods(conn, "s")
    assert kept["a"].arrival == 0 and kept["a"].documents == ("b",)
    save_neighbourhoods(conn, {"c": Neighbourhood(np.ones(2, dtype=np.float32), 1.0, 12, ("a",))}, "s",
                        replace=False, arrival=7)
    assert kept["c"].arrival == 7 and kept["a"].arrival == 0


def test_saving_stories_writes_only_the_stories_that_changed() -> None:
    """``save_stories`` leaves the stored rows of unchanged stories alone: the store then holds
    exactly the given stories, their members pointing at them, as a full rewrite would."""
    import sqlite3

    from newstrace.stages.stories import load_stories, save_stories

    conn = sqlite3.connect(":memory:")
    first = update_stories(_docs())
    save_stories(conn, first)
    assert load_stories(conn) == first
    before = conn.total_changes
    save_stories(conn, first)
    assert conn.total_changes == before  # nothing changed: nothing written
    quake = next(s for s in first if "quake0" in s.documents)
    vote = next(s for s in first if "vote0" in s.documents)
    moved = [Story(quake.id, quake.label, ("quake0", "quake1"), (), None, None),
             Story(vote.id, vote.label, (*vote.documents, "quake2"), (), None, None),
             Story("S-new", "new", ("lone",), (), None, None)]
    save_stories(conn, moved)
    assert load_stories(conn) == sorted(moved, key=lambda s: s.id)
    members = dict(conn.execute("SELECT doc_id, story FROM story_members"))
    assert members == {d: s.id for s in moved for d in s.documents}
    before = conn.total_changes
    save_stories(conn, [moved[0], moved[1]])  # one story gone, the others as stored
    assert conn.total_changes - before == 2  # its row and its member's
    assert load_stories(conn) == sorted(moved[:2], key=lambda s: s.id)
