"""Families and stories on real data: the seeds, a small wire collection, ECB+, and batches.

Cost: about 40 s on an idle machine (lexical-only scans; ECB+ clustering without alignment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newstrace.evaluation.ecb import evaluate_ecb
from newstrace.evaluation.wire import build_wire_collection, score_wire
from newstrace.pipeline import index_add, link, organise, scan
from newstrace.store import Store
from newstrace.types import Family, Story

pytestmark = pytest.mark.integration


def _partition(stories: list[Story]) -> list[list[str]]:
    return sorted(sorted(s.documents) for s in stories)


def _headlines(stories: list[Story]) -> list[tuple[tuple[str, ...], str | None]]:
    return sorted((tuple(sorted(s.documents)), s.headline) for s in stories)


def _shape(families: list[Family]) -> list[tuple[str, tuple[str, ...], frozenset[tuple[str, str]]]]:
    return sorted((f.root if not f.archetype else "archetype", f.members,
                   frozenset((e.source, e.target) for e in f.edges if e.primary and not f.archetype))
                  for f in families)


def test_seeds_family_and_stories(seeds_dir: Path) -> None:
    r = scan([seeds_dir], semantic=False, changes=False)
    [fam] = r.families
    assert fam.root.startswith("001_") and [m[:3] for m in fam.members] == ["000", "001"]
    [edge] = [e for e in fam.edges if e.primary]
    assert edge.source.startswith("001_") and edge.target.startswith("000_") and edge.passages
    # 000, 001, 002 and 004 report Russia's failure in the 2023 Karabakh offensive, 003 the 2020
    # ceasefire of the same conflict: measured, all five form one story (003 is not told apart:
    # its raw similarity to the others, 0.36-0.40, is as high as theirs to each other, 0.37-0.53;
    # sentence vectors, event words and year rules do no better, docs/calibration.md).  Only the
    # four are pinned, so a method that does split off 003 passes.
    story = next(s for s in r.stories if fam.members[0] in s.documents)
    assert {d[:3] for d in story.documents} >= {"000", "001", "002", "004"}
    holder = next(s for s in r.stories if fam.members[0] in s.documents)
    assert holder.families == (fam.id,)
    # named after a member's headline, the one naming most of the label's names
    titles = {d.id: d.title for d in r.documents}
    assert story.headline in {titles[d] for d in story.documents}
    assert story.label.split(" · ")[0] in story.headline


@pytest.mark.parametrize("order", [((1, 3), (0,), (2, 4)), ((4,), (3,), (2,), (1,), (0,)), ((2, 3, 4), (0, 1))])
def test_seeds_in_batches_match_one_scan(seeds_dir: Path, tmp_path: Path,
                                         order: tuple[tuple[int, ...], ...]) -> None:
    files = sorted(seeds_dir.iterdir())
    one = scan([seeds_dir], semantic=False, changes=False)
    with Store(tmp_path / "b.db") as store:
        ids_first: set[str] = set()
        for batch in order:
            index_add(store, [files[i] for i in batch], forensics=False)
            link(store, changes=False, semantic=False)
            families, stories = organise(store)
            if not ids_first:
                ids_first = {s.id for s in stories}
        assert ids_first <= {s.id for s in stories}, "story ids stay stable across adds"
    assert _shape(families) == _shape(one.families)
    assert _partition(stories) == _partition(one.stories)
    assert _headlines(stories) == _headlines(one.stories)


@pytest.mark.parametrize("dated", [True, False])
def test_wire_copies_form_one_family_with_the_original_as_root(data_dir: Path, tmp_path: Path, dated: bool) -> None:
    n = 30
    truth = build_wire_collection(tmp_path, n, data_dir / "bbc-news", background=50, dated=dated)
    r = scan([tmp_path / "collection.jsonl"], semantic=False, changes=False)
    score = score_wire(r.families, truth)
    # Measured (seed 0): every copy in one family, root the original, parents all right (1.0, 1.0).
    assert score["families_holding_copies"] == 1 and score["copies_in_family"] == n
    assert score["background_in_family"] == 0
    assert score["root_is_original"]
    assert score["parent_accuracy_gen1"] >= 0.9 and score["parent_accuracy_gen2"] >= 0.9
    alignments = r.stats["alignments"] + r.stats["alignments_parents"]
    assert alignments <= 4 * (n + 1) + 20, "alignments grow linearly in n"  # 20: background pairs
    [fam] = [f for f in r.families if truth.original in f.members]
    assert all(e.passages for e in fam.edges if e.primary)


def test_the_semantic_layer_leaves_a_family_of_copies_to_its_plan(data_dir: Path, tmp_path: Path) -> None:
    """A family of near-copies is aligned through its plan (each copy with its nearest members):
    with the semantic layer too, whose nearest-by-meaning candidates inside the family are its
    sibling copies.  The pairs compared inside the family are the lexical scan's, whole and
    through ``index add``, and the family and its parents are the same."""
    n = 20
    truth = build_wire_collection(tmp_path / "c", n, data_dir / "bbc-news", background=15)
    members = {truth.original, *truth.parent}

    def compared_in_family(db: Path) -> set[tuple[str, str]]:
        with Store(db) as store:
            rows = store.conn.execute("SELECT a, b FROM checked_pairs").fetchall()
        return {(a, b) for a, b in rows if a in members and b in members}

    lexical = scan([tmp_path / "c" / "collection.jsonl"], db=tmp_path / "lex.db", semantic=False, changes=False)
    semantic = scan([tmp_path / "c" / "collection.jsonl"], db=tmp_path / "sem.db", changes=False)
    # Measured (seed 0): 108 candidate pairs by meaning left to the family's plan; before, they
    # were aligned too: 150 alignments (and 6 for parents) against the lexical scan's 42 (and 14).
    assert semantic.stats["plan_meaning_in_families"] >= 4 * n
    assert semantic.stats["alignments"] == lexical.stats["alignments"]
    assert compared_in_family(tmp_path / "sem.db") == compared_in_family(tmp_path / "lex.db") != set()
    assert _shape(semantic.families) == _shape(lexical.families)
    assert score_wire(semantic.families, truth)["root_is_original"]

    lines = (tmp_path / "c" / "collection.jsonl").read_text().splitlines()
    for k, part in enumerate((lines[: len(lines) // 2], lines[len(lines) // 2 :])):
        (tmp_path / f"b{k}").mkdir()
        (tmp_path / f"b{k}" / "part.jsonl").write_text("\n".join(part) + "\n")
    planned: dict[str, dict[str, int]] = {}
    for mode in ("lexical", "semantic"):
        with Store(tmp_path / f"add-{mode}.db") as store:
            for k in range(2):
                stats = index_add(store, [tmp_path / f"b{k}"], forensics=False)
                planned[mode] = {}
                link(store, only=set(stats.added_ids), changes=False, semantic=mode == "semantic",
                     stats=planned[mode])
    # in batches too: the same pairs inside the family with and without the semantic layer
    assert planned["semantic"]["plan_meaning_in_families"] > 0
    assert compared_in_family(tmp_path / "add-semantic.db") == compared_in_family(tmp_path / "add-lexical.db")


def test_wire_in_batches_matches_one_scan(data_dir: Path, tmp_path: Path) -> None:
    truth = build_wire_collection(tmp_path / "c", 30, data_dir / "bbc-news", background=20)
    lines = (tmp_path / "c" / "collection.jsonl").read_text().splitlines()
    (tmp_path / "b1").mkdir()
    (tmp_path / "b2").mkdir()
    cut = len(lines) * 2 // 3
    (tmp_path / "b1" / "part.jsonl").write_text("\n".join(lines[:cut]) + "\n")
    (tmp_path / "b2" / "part.jsonl").write_text("\n".join(lines[cut:]) + "\n")
    with Store(tmp_path / "w.db") as store:
        for part in ("b1", "b2"):
            index_add(store, [tmp_path / part], forensics=False)
            link(store, changes=False, semantic=False)
            families, _ = organise(store)
    batched = score_wire(families, truth)
    assert batched["copies_in_family"] == 30 and batched["root_is_original"]
    assert batched["parent_accuracy_gen2"] >= 0.9


def test_ecb_stories_against_the_baseline(data_dir: Path) -> None:
    r = evaluate_ecb(data_dir / "ecbplus-dev")
    assert r["documents"] == 496
    ours, base, held = r["stories"], r["baseline_tfidf_average_link"], r["stories_leave_topics_out"]
    # Measured: event ARI 0.963, B³ F1 0.966 (leave-topics-out, threshold and neighbours chosen on
    # the other topics: the same; over 10 fold draws event ARI mean 0.945, min 0.914, B³ F1 mean
    # 0.958, min 0.944; neighbours fixed: 0.957 / 0.901, 0.962 / 0.934; without the close-date
    # discount 0.925 / 0.881, 0.946 / 0.924); the baseline tuned on the same data 0.804 / 0.862.
    # Floors about 0.015 below.
    assert ours["event_ari"] >= 0.945 and ours["event_b3_f1"] >= 0.95
    assert held["event_ari"] >= 0.945 and held["event_b3_f1"] >= 0.95
    assert held["draws"] == 10 and held["event_ari_mean"] >= 0.93 and held["event_ari_min"] >= 0.90
    assert held["event_b3_f1_mean"] >= 0.945 and held["event_b3_f1_min"] >= 0.93
    assert r["stories_leave_topics_out_fixed_neighbours"]["event_ari_mean"] >= 0.94
    # The close-date discount is what lifts recall: without it the held-out mean falls back.
    plain = r["stories_leave_topics_out_no_close_dates"]
    assert held["event_b3_recall_mean"] > plain["event_b3_recall_mean"] + 0.01
    assert ours["event_ari"] > base["event_ari"] + 0.1
    json.dumps(r)  # the report is plain JSON


def test_ecb_stories_in_batches_are_the_stories_of_one_scan(data_dir: Path) -> None:
    from newstrace.evaluation.ecb import adjusted_rand_index, load_ecb
    from newstrace.stages.stories import update_stories

    docs = [d for d, _, _ in load_ecb(data_dir / "ecbplus-dev")]
    one = update_stories(docs)
    stored: list[Story] = []
    for k in (1, 2, 3):  # every third document in turn: each batch holds part of every event
        stored = update_stories([d for i, d in enumerate(docs) if i % 3 < k], existing=stored)
    assert _partition(stored) == _partition(one)
    # Measured: 49 stories, event ARI 0.963, whichever order the documents come in.
    gold = {d.id: e for d, _, e in load_ecb(data_dir / "ecbplus-dev")}
    of = {d: s.id for s in stored for d in s.documents}
    assert adjusted_rand_index([of[d] for d in gold], list(gold.values())) >= 0.945


def _ecb_in_random_order(data_dir: Path) -> tuple[dict[str, str], dict[str, Any], dict[str, str | None],
                                                   list[Story], list[str]]:
    """ECB+ dev's gold events, story features and dates by id, one scan's stories, and its ids
    in a fixed random order (the order the batch tests add them in)."""
    import random

    from newstrace.evaluation.ecb import load_ecb
    from newstrace.stages.stories.cluster import document_features, stories_of_features

    rows = load_ecb(data_dir / "ecbplus-dev")
    gold = {d.id: e for d, _, e in rows}
    feats = {d.id: document_features(d) for d, _, _ in rows}
    published = {d.id: d.published for d, _, _ in rows}
    ids = sorted(gold)
    one = stories_of_features(ids, [published[i] for i in ids], [feats[i] for i in ids])
    order = ids[:]
    random.Random(0).shuffle(order)
    return gold, feats, published, one, order


def test_ecb_stories_when_adds_cluster_again_only_the_stories_they_reach(data_dir: Path) -> None:
    """The large index's add (``extend_stories``): half of ECB+ clustered whole, then batches
    of 50 in random order, each clustering again only the stories it reaches.  Measured over
    five orders (and first batches of 20% and 80%): event ARI 0.958-0.963 against 0.963 for one
    scan, and 0.995-1.0 against one scan's stories; a third of the stored stories kept."""
    from newstrace.evaluation.ecb import adjusted_rand_index
    from newstrace.stages.stories.cluster import extend_stories, stories_of_features

    gold, feats, published, one, order = _ecb_in_random_order(data_dir)
    ids = sorted(gold)
    first = sorted(order[:248])
    stored = stories_of_features(first, [published[i] for i in first], [feats[i] for i in first])
    kept = 0
    for end in range(298, len(order) + 50, 50):
        now = sorted(order[:end])
        stored, counts = extend_stories(now, [published[i] for i in now], [feats[i] for i in now], [], stored)
        kept += counts["kept"]
    assert kept > 40  # measured: 10, 10 and 9 stories kept by the first three batches
    of = {d: s.id for s in stored for d in s.documents}
    of_one = {d: s.id for s in one for d in s.documents}
    assert adjusted_rand_index([of[d] for d in ids], [gold[d] for d in ids]) >= 0.95  # measured 0.959
    assert adjusted_rand_index([of[d] for d in ids], [of_one[d] for d in ids]) >= 0.99  # measured 0.996


def test_ecb_stories_when_adds_score_reached_stories_against_their_kept_neighbourhoods(data_dir: Path) -> None:
    """As above, with what ``organise`` keeps between adds: each representative's usual similarity
    and neighbourhood, so that a reached story's stored representatives are scored against the
    part clustered again and their kept neighbours instead of every document.  A fifth of ECB+
    clustered whole, then batches of 25 in random order.  Measured: event ARI 0.959 (one scan
    0.963), 0.996 against one scan's stories, the same as without the kept values; 2,509 of the
    3,042 representatives clustered again were scored so (2,533 with the documents of earlier
    batches they had not seen)."""
    from dataclasses import replace

    from newstrace.evaluation.ecb import adjusted_rand_index
    from newstrace.stages.stories.cluster import Neighbourhood, extend_stories, stories_of_features

    gold, feats, published, one, order = _ecb_in_random_order(data_dir)
    ids = sorted(gold)
    usual: dict[str, float] = {}
    around: dict[str, Neighbourhood] = {}
    first = sorted(order[:99])
    stored = stories_of_features(first, [published[i] for i in first], [feats[i] for i in first],
                                 usual_out=usual, neighbourhood_out=around)
    assert sorted(around) == first  # no families here: every document represents itself
    # arrival numbers are positions in ``order`` (from 1): as organise stamps them (save_neighbourhoods)
    around = {d: replace(v, arrival=len(first)) for d, v in around.items()}
    scored = unseen = 0
    for end in range(124, len(order) + 25, 25):
        now = sorted(order[:end])
        new_usual: dict[str, float] = {}
        new_around: dict[str, Neighbourhood] = {}
        stored, counts = extend_stories(now, [published[i] for i in now], [feats[i] for i in now], [], stored,
                                        known_usual=usual, usual_out=new_usual, known_neighbourhood=around,
                                        neighbourhood_out=new_around, arrived_after=lambda mark: order[mark:])
        usual.update(new_usual)
        around.update({d: replace(v, arrival=min(end, len(order))) for d, v in new_around.items()})
        scored += counts["neighbourhoods_kept"]
        unseen += counts["neighbourhoods_unseen"]
    assert scored > 2000  # measured 2,509
    assert unseen > 0  # documents of earlier batches that a kept neighbourhood had not seen: measured 1,225
    of = {d: s.id for s in stored for d in s.documents}
    of_one = {d: s.id for s in one for d in s.documents}
    assert adjusted_rand_index([of[d] for d in ids], [gold[d] for d in ids]) >= 0.95  # measured 0.959
    assert adjusted_rand_index([of[d] for d in ids], [of_one[d] for d in ids]) >= 0.99  # measured 0.996


def test_the_names_index_over_some_rows_gives_the_whole_runs_floats(data_dir: Path) -> None:
    """``_indexed(rows=...)`` (an add's new documents and reached stories) finds the pairs of those
    rows and bounds their usual similarities with the whole run's floats, to the bit."""
    import numpy as np

    import newstrace.stages.stories.cluster as cluster
    from newstrace.evaluation.ecb import load_ecb

    docs = [d for d, _, _ in load_ecb(data_dir / "ecbplus-dev")]
    content, names = cluster._views([cluster.document_features(d) for d in docs], None)
    days = cluster._days([d.published for d in docs])
    keep = cluster.DEFAULT_CONFIG.threshold + cluster.DEFAULT_CONFIG.floor
    whole = cluster._indexed(content, names, days, 365, 20, keep, cluster.PAIR_NAME_COSINE)
    rows = list(range(3, len(docs), 7))
    part = cluster._indexed(content, names, days, 365, 20, keep, cluster.PAIR_NAME_COSINE, rows=rows)
    assert np.array_equal(part.low, whole.low[rows]) and np.array_equal(part.high, whole.high[rows])
    mine = np.zeros(len(docs), dtype=bool)
    mine[rows] = True
    w, p = whole.kept.tocoo(), part.kept.tocoo()
    touching = mine[w.row] | mine[w.col]
    assert sorted(zip(w.row[touching], w.col[touching], w.data[touching], strict=True)) == sorted(zip(p.row, p.col, p.data, strict=True))
    assert 0 < part.computed < whole.computed


def test_the_sparse_average_link_gives_the_stories_of_the_full_linkage(data_dir: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every component clustered by the sparse average link (groups compared only across an
    edge, their sums kept exact): the stories of the full linkage, at three settings."""
    import newstrace.stages.stories.cluster as cluster
    from newstrace.evaluation.ecb import adjusted_rand_index, load_ecb

    docs = [d for d, _, _ in load_ecb(data_dir / "ecbplus-dev")]
    feats = [cluster.document_features(d) for d in docs]
    published = [d.published for d in docs]
    for cfg in (cluster.StoryConfig(), cluster.StoryConfig(threshold=-0.08),
                cluster.StoryConfig(threshold=0.0, neighbours=15)):
        whole = cluster.cluster_representatives(feats, published, cfg, method="dense")
        with monkeypatch.context() as m:
            m.setattr(cluster, "SPARSE_LINK_MIN", 1)
            sparse = cluster.cluster_representatives(feats, published, cfg)
        assert adjusted_rand_index(sparse, whole) == 1.0
        assert len(set(sparse)) > 40  # measured: 49, 42 and 97 stories


def test_sparse_stories_are_the_dense_matrixs_on_ecb_and_bbc(data_dir: Path) -> None:
    """The clustering keeps only each representative's usual similarity and the pairs that can
    pass the threshold (memory linear in n), and by default scores only the pairs the names
    index finds: the same stories as the n × n matrix, with a fraction of the pairs scored."""
    from newstrace.evaluation.ecb import adjusted_rand_index, load_ecb
    from newstrace.stages.stories.cluster import (
        DEFAULT_CONFIG,
        cluster_representatives,
        document_features,
        indexed_similarity,
    )
    from newstrace.types import Document

    ecb = [d for d, _, _ in load_ecb(data_dir / "ecbplus-dev")]
    bbc = []
    for folder in sorted((data_dir / "bbc-news").iterdir()):
        for p in sorted(folder.glob("*.txt"))[:120]:  # 600 articles, five classes
            text = p.read_bytes().decode("utf-8", errors="replace")
            bbc.append(Document(id=f"{folder.name}/{p.name}", raw=text, text=text, language="en"))
    # Measured: ECB+ 49 stories, 15,792 of 122,760 pairs scored (13 %); the BBC sample 381
    # stories, 27,675 of 179,700 (15 %).
    for docs, floor, share in ((ecb, 45, 0.16), (bbc, 340, 0.17)):
        feats = [document_features(d) for d in docs]
        published = [d.published for d in docs]
        indexed = cluster_representatives(feats, published)
        for method in ("blocks", "dense"):
            assert adjusted_rand_index(indexed, cluster_representatives(feats, published, method=method)) == 1.0
        assert len(set(indexed)) >= floor
        found = indexed_similarity(feats, published, keep=DEFAULT_CONFIG.threshold + DEFAULT_CONFIG.floor - 1e-6)
        n = len(docs)
        assert found.computed <= share * n * (n - 1) // 2


def _bbc_sample(data_dir: Path, root: Path, per_class: int, skip: int = 0) -> list[Path]:
    """Copies of ``per_class`` articles of each BBC class (after the first ``skip``), under ``root``."""
    out = []
    for folder in sorted((data_dir / "bbc-news").iterdir()):
        for p in sorted(folder.glob("*.txt"))[skip : skip + per_class]:
            target = root / f"{folder.name}-{p.name}"
            target.write_bytes(p.read_bytes())
            out.append(target)
    return out


def test_bbc_stories_are_named_after_a_member_headline(data_dir: Path, tmp_path: Path) -> None:
    """Every BBC article has a headline for a title, so every story gets one of its members'.
    Measured on all 2,225 articles: 1,036 stories, every one with a headline."""
    (tmp_path / "c").mkdir()
    _bbc_sample(data_dir, tmp_path / "c", 60)
    r = scan([tmp_path / "c"], semantic=False, changes=False)
    titles = {d.id: d.title for d in r.documents}
    assert len(r.stories) >= 150
    for s in r.stories:
        assert s.headline in {titles[d] for d in s.documents}, s


def test_an_add_that_clusters_again_only_what_it_reaches_names_those_stories_afresh(data_dir: Path,
                                                                                     tmp_path: Path) -> None:
    """``index add`` into a large index (forced here: ``whole_below=1``) keeps a story it does not
    reach as stored, headline included, and names those it clusters again from their titles:
    each story equal to one of a single scan's has that story's headline."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _bbc_sample(data_dir, tmp_path / "a", 30)
    _bbc_sample(data_dir, tmp_path / "b", 10, skip=30)
    with Store(tmp_path / "x.db") as store:
        for part in ("a", "b"):
            index_add(store, [tmp_path / part], forensics=False)
            link(store, changes=False, semantic=False)
            _, stories = organise(store, whole_below=1)
        titles = {d.id: d.title for d in store.get_documents()}
    one = scan([tmp_path / "a", tmp_path / "b"], semantic=False, changes=False)
    scanned = dict(_headlines(one.stories))
    same = [s for s in stories if tuple(sorted(s.documents)) in scanned]
    assert len(same) >= 0.9 * len(stories)
    for s in same:
        assert s.headline == scanned[tuple(sorted(s.documents))], s
    assert all(s.headline in {titles[d] for d in s.documents} for s in stories)
