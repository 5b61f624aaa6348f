"""The Spark engine gives what the local engine gives: same relations (pairs, types, directions,
passages with their spans and changes), same families, same stories.

Spark runs ``local[2]`` with 2 partitions (one session for the module) on the five sample
articles plus two of them as a Parquet dataset (the default scan: the semantic layer, with the
analysis of changes, written as Parquet); on a fixed sample of PAN-PC-11 Spanish-English
fragments (semantic: the multilingual model, candidates across languages, translation
backgrounds); on a fixed BBC sample (lexical, with its exact-duplicate pairs, written as JSONL);
and the candidate cells of the semantic layer against the local nearest-neighbour search on
clustered synthetic vectors.  Skipped with a message where Java or pyspark is missing.

Cost: Spark start-up and about 70 small Spark stages per scan (85 with the semantic layer); on
a slow 2-core machine each costs about a second of JVM and Python-worker overhead whatever the
data, so the session's JVMs run the quick compiler only (``SparkOptions.java_options``), and
the sample articles' text and Parquet inputs, semantic layer and changes share one scan
(measured: seeds 130 s, BBC sample 133 s, translations about 200 s).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fixtures.graphs import smallest_in_component
from fixtures.shared import DATA, require

from newstrace.engines.spark import SparkOptions, read_results, scan_spark, spark_missing, spark_session
from newstrace.evaluation.crosslang import write_scan_collection
from newstrace.pipeline import ScanResult, scan
from newstrace.stages.families.store import family_from_dict, family_to_dict
from newstrace.stages.stories.store import story_from_dict, story_to_dict
from newstrace.store import relation_from_dict, relation_to_dict
from newstrace.types import Family, Relation, Story

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OPTIONS = SparkOptions("local[2]", partitions=2, java_options="-XX:TieredStopAtLevel=1")
#: BBC tech articles in the sample: every article of an exact-duplicate group in tech (54 groups,
#: 108 files) and the first other articles up to this many.
BBC_SAMPLE = 150


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    problem = spark_missing()
    if problem:
        pytest.skip(f"Spark engine not testable here: {problem}")
    session = spark_session(OPTIONS)
    yield session
    session.stop()


def _relations(rels: Any) -> list[dict[str, Any]]:
    return sorted((relation_to_dict(r) for r in rels), key=lambda d: (d["source"], d["target"]))


def _same(local: ScanResult, rels: list[Relation], families: list[Family], stories: list[Story]) -> None:
    assert _relations(rels) == _relations(local.relations)
    assert sorted((family_to_dict(f) for f in families), key=lambda d: d["id"]) == \
        sorted((family_to_dict(f) for f in local.families), key=lambda d: d["id"])
    assert sorted((story_to_dict(s) for s in stories), key=lambda d: d["id"]) == \
        sorted((story_to_dict(s) for s in local.stories), key=lambda d: d["id"])


def _parquet_records(spark: Any, out: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(row[0]) for row in spark.read.parquet(str(out / kind)).select("json").collect()]


def test_seeds_and_parquet_same_as_local(spark: Any, seeds_dir: Path, tmp_path: Path) -> None:
    """The default scan (semantic layer: candidates by meaning, meaning evidence on every pair)
    of text files and a Parquet dataset in one collection, with the analysis of changes, written
    as Parquet; the local engine reads the same records from JSONL."""
    records = [{"id": f"pq-{f.stem}", "text": f.read_text(encoding="utf-8")} for f in sorted(seeds_dir.glob("*.txt"))][:2]
    (tmp_path / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    spark.createDataFrame([(r["id"], r["text"]) for r in records], "id string, text string").write.parquet(
        str(tmp_path / "records.parquet"))
    local = scan([seeds_dir, tmp_path / "records.jsonl", tmp_path / "missing"], changes=True)
    out = tmp_path / "out"
    result = scan_spark([seeds_dir, tmp_path / "records.parquet", tmp_path / "missing"], out, options=OPTIONS,
                        fmt="parquet", changes=True)
    assert [(e.path, e.reason) for e in result.errors] == [(str(tmp_path / "missing"), "no such file or directory")]
    rels = [relation_from_dict(d) for d in _parquet_records(spark, out, "relations")]
    families = [family_from_dict(d) for d in _parquet_records(spark, out, "families")]
    stories = [story_from_dict(d) for d in _parquet_records(spark, out, "stories")]
    _same(local, rels, families, stories)
    # The spun pair (001 rewrites 000) with its changes, and each Parquet copy with its text file.
    assert len(rels) >= 3 and any(p.changes for r in rels for p in r.passages)
    assert {d["id"] for d in _parquet_records(spark, out, "documents")} == {d.id for d in local.documents}
    assert json.loads((out / "summary.json").read_text())["documents"] == 7
    # The seven articles are on one topic: Spark's neighbour search pairs all 21; the pairs found
    # only by meaning are held to the static floor the local scan's preselection uses
    # (stages/static.py), so both align the same lexical pairs and nothing more.
    assert result.stats["semantic_pairs"] >= 15 and result.stats["embedded"] == 7
    assert result.stats["alignments"] == local.stats["alignments"] == result.stats["plan_pairs"]
    assert result.stats["meaning_screened_out"] == result.stats["semantic_pairs"] - result.stats["plan_pairs"]


#: PAN-PC-11 fragment groups in the cross-language sample (both sides of each).
TRANSLATION_GROUPS = 6


def test_translations_semantic_same_as_local(spark: Any, data_dir: Path, tmp_path: Path) -> None:
    """Spanish sources and English translations: the multilingual model, candidates across
    languages and the translation backgrounds of every cross-language pair, on Spark."""
    path = data_dir / "pan11-crosslang" / "pairs.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    written = tmp_path / "all"
    written.mkdir()
    group, _ = write_scan_collection(path, written)
    chosen = sorted(set(group.values()))[:TRANSLATION_GROUPS]
    sample = tmp_path / "sample"
    sample.mkdir()
    for name, g in sorted(group.items()):
        if g in chosen:
            (sample / name).symlink_to(written / name)
    local = scan([sample], changes=False)
    result = scan_spark([sample], tmp_path / "out", options=OPTIONS, changes=False)
    _, rels, families, stories = read_results(tmp_path / "out")
    _same(local, rels, families, stories)
    assert result.stats["alignments"] == local.stats["alignments"]
    # Measured: every group traced as a translation; each cross-language pair got backgrounds.
    assert sum(r.type == "translation" for r in rels) >= TRANSLATION_GROUPS
    assert result.stats["backgrounds"] >= TRANSLATION_GROUPS


def test_a_family_of_copies_with_the_semantic_layer_same_as_local(spark: Any, data_dir: Path, tmp_path: Path) -> None:
    """One BBC article copied 20 times among 15 others, scanned with the semantic layer: the
    candidates by meaning inside the family are left to its plan on Spark as locally
    (``spark_screen_meaning(families=)``), so the relations, family and stories are the same."""
    from newstrace.evaluation.wire import build_wire_collection

    bbc = data_dir / "bbc-news"
    if not bbc.is_dir():
        pytest.skip(f"{bbc} not found")
    build_wire_collection(tmp_path / "c", 20, bbc, background=15)
    collection = tmp_path / "c" / "collection.jsonl"
    local = scan([collection], changes=False)
    result = scan_spark([collection], tmp_path / "out", options=OPTIONS, changes=False)
    _, rels, families, stories = read_results(tmp_path / "out")
    _same(local, rels, families, stories)
    assert result.stats["alignments"] == local.stats["alignments"]
    # Measured (seed 0): 108 candidates by meaning inside the family left to it locally, 103 on
    # Spark (the engines propose candidates by meaning otherwise before the static screen); the
    # pairs compared are the same.
    assert local.stats["plan_meaning_in_families"] >= 80 and result.stats["meaning_in_families"] >= 80


def test_candidate_cells_find_the_local_pairs(spark: Any) -> None:
    """Past one cell, the cells' nearest neighbours are the local ``semantic_pairs``' pairs.

    400 synthetic documents of two sentences around 40 topic centres (vectors only: no model),
    cut into 8 cells of about 50: the pairs of the local HNSW search over the whole collection
    against Spark's cells; with one cell, the local pairs exactly.
    """
    from newstrace.engines.spark.semantic import spark_semantic_pairs
    from newstrace.stages.vectors import ENGLISH_MODEL, semantic_pairs

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 64))
    vectors: dict[str, np.ndarray] = {}
    for i in range(400):
        base = centres[i % 40] + rng.normal(scale=0.9, size=64)
        vectors[f"d{i:03d}"] = (base + rng.normal(scale=0.5, size=(2, 64))).astype(np.float32)
    local = semantic_pairs(dict.fromkeys(vectors, "en"), {ENGLISH_MODEL: vectors})
    rows = spark.sparkContext.parallelize([(i, ("en", {ENGLISH_MODEL: v})) for i, v in vectors.items()], 2)
    whole, stats = spark_semantic_pairs(rows, (ENGLISH_MODEL,), partitions=2)
    assert stats[f"semantic_cells_{ENGLISH_MODEL}"] == 1 and set(whole.collect()) == local
    cells, stats = spark_semantic_pairs(rows, (ENGLISH_MODEL,), partitions=2, cell_docs=50, probes=4)
    found = set(cells.collect())
    assert stats[f"semantic_cells_{ENGLISH_MODEL}"] == 8
    # Measured: recall 1.0, jaccard 1.0 (floors leave room for another k-means sample).
    assert len(local) > 1000
    assert len(found & local) >= 0.97 * len(local) and len(found & local) >= 0.95 * len(found | local)


def _bbc_sample(root: Path, into: Path) -> Path:
    by_hash: dict[str, list[Path]] = defaultdict(list)
    files = sorted((root / "tech").glob("*.txt"))
    for f in files:
        by_hash[hashlib.sha256(f.read_bytes()).hexdigest()].append(f)
    dups = {f for group in by_hash.values() if len(group) > 1 for f in group}
    chosen = sorted(dups) + [f for f in files if f not in dups][: BBC_SAMPLE - len(dups)]
    (into / "tech").mkdir(parents=True)
    for f in chosen:
        (into / "tech" / f.name).symlink_to(f)
    return into


def test_bbc_sample_same_as_local(spark: Any, tmp_path: Path) -> None:
    """With a second folder holding another article under the name of one in the sample: both
    engines keep it, under its folder's name (newstrace.stages.ingest.ids).  That folder also
    holds what Hadoop's own listing got wrong (names starting with ``_`` or holding ``:``, a
    symlink loop, a link to a file read already, an empty file, a broken link): the Spark engine
    lists local folders as the local engine walks them, so both read and name the same."""
    root = require(DATA / "bbc-news")
    sample = _bbc_sample(root, tmp_path / "bbc")
    name = sorted((sample / "tech").iterdir())[0].name
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "tech").mkdir(parents=True)
    business = sorted((root / "business").glob("*.txt"))
    (elsewhere / "tech" / name).symlink_to(business[0])
    (elsewhere / "_notes.txt").symlink_to(business[1])
    (elsewhere / "12:30 update.txt").write_bytes(business[2].read_bytes())
    (elsewhere / "loop").symlink_to(elsewhere)
    (elsewhere / "again.txt").symlink_to(elsewhere / "_notes.txt")
    (elsewhere / "empty.txt").write_bytes(b"")
    (elsewhere / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    local = scan([sample, elsewhere], semantic=False, changes=False)
    assert len(local.documents) == BBC_SAMPLE + 3 and local.stats["renamed"] == 1
    assert len(local.errors) == 4
    result = scan_spark([sample, elsewhere], tmp_path / "out", options=OPTIONS, changes=False)
    assert sorted((e.path, e.reason) for e in result.errors) == sorted((e.path, e.reason) for e in local.errors)
    assert result.stats["renamed"] == 1 and result.stats["documents"] == BBC_SAMPLE + 3
    assert all(f.suffix == ".jsonl" for f in (tmp_path / "out" / "documents").glob("part-*"))
    documents = [json.loads(line)["id"] for f in sorted((tmp_path / "out" / "documents").glob("part-*"))
                 for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert sorted(documents) == sorted(d.id for d in local.documents)
    assert f"elsewhere/tech/{name}" in documents
    _, rels, families, stories = read_results(tmp_path / "out")
    _same(local, rels, families, stories)
    # Measured (before the three files of the second folder): 55 relations (54 exact-duplicate
    # pairs and one more), 55 families, 76 stories.
    assert len(rels) >= 54 and len(families) >= 54 and len(stories) >= 60


def test_a_rewritten_family_is_planned_as_locally(spark: Any) -> None:
    """30 rewrites of one invented story sharing sentences but no shingle bands, read in an
    order that is not id order: the Spark plan keeps the pairs the local plan keeps, each from
    its later-read document's side (``candidates.nearest_earlier``)."""
    import random

    from newstrace.engines.spark.steps import plan_spark_pairs
    from newstrace.stages.candidates import fingerprint, plan_pairs
    from newstrace.types import Document

    rng = random.Random(5)
    words = [f"w{i}" for i in range(3000)]
    story = [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(60)]
    docs = [Document(id=f"v{i:02d}", raw=t, text=t) for i, t in
            enumerate(" ".join(rng.sample(story, 12)) for _ in range(30))]
    fps = [fingerprint(d) for d in docs]
    read_as = {d.id: (0, f"{29 - i:02d}.txt", 0) for i, d in enumerate(docs)}  # reading order: reversed ids
    local, local_stats = plan_pairs(fps, arrival=read_as)
    sc = spark.sparkContext
    pairs, stats, families = plan_spark_pairs(sc.parallelize([(fp.doc_id, fp) for fp in fps], 2),
                                              arrivals=sc.parallelize(sorted(read_as.items()), 2), partitions=2)
    assert sorted(pairs.collect()) == sorted(local)
    assert stats == local_stats and stats["sentence_nearest"] > 0
    assert families is None  # not asked for


def test_the_families_left_to_their_plans_are_the_local_ones(spark: Any) -> None:
    """Copies of two invented stories (20 and 14 light edits of each, above the plan's small
    component) and unrelated texts: the large components the Spark plan gives
    ``spark_screen_meaning`` are those of the local ``candidates.large_components``."""
    import random

    from newstrace.engines.spark.steps import plan_spark_pairs
    from newstrace.stages.candidates import PLAN_SMALL_COMPONENT, fingerprint, large_components
    from newstrace.types import Document

    rng = random.Random(11)
    words = [f"w{i}" for i in range(3000)]

    def text(n: int) -> list[str]:
        return [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(n)]

    docs = []
    for story, copies in (("a", 20), ("b", 14)):
        sentences = text(40)
        for i in range(copies):
            edited = list(sentences)
            edited[rng.randrange(len(edited))] = text(1)[0]
            docs.append(Document(id=f"{story}{i:02d}", raw=" ".join(edited), text=" ".join(edited)))
    docs += [Document(id=f"z{i}", raw=t, text=t) for i, t in enumerate(" ".join(text(30)) for _ in range(6))]
    fps = [fingerprint(d) for d in docs]
    local = large_components(fps)
    assert len(set(local.values())) == 2 and min(20, 14) > PLAN_SMALL_COMPONENT

    sc = spark.sparkContext
    _, _, families = plan_spark_pairs(sc.parallelize([(fp.doc_id, fp) for fp in fps], 2), partitions=2,
                                      families=True)

    def grouped(members: Any) -> set[frozenset[str]]:
        by: dict[Any, set[str]] = {}
        for doc_id, comp in members:
            by.setdefault(comp, set()).add(doc_id)
        return {frozenset(m) for m in by.values()}

    assert grouped(families.collect()) == grouped(local.items())


def test_connected_components_by_label_propagation(spark: Any) -> None:
    from newstrace.engines.spark.graph import connected_components

    sc = spark.sparkContext
    edges = sc.parallelize([("d", "c"), ("c", "b"), ("b", "a"), ("f", "e"), ("e", "f")], 2)
    labels = dict(connected_components(sc.parallelize(list("abcdefg"), 2), edges, partitions=2).collect())
    # The label is the smallest id, as union-find's root; "g" has no edge.
    assert labels == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "e", "f": "e", "g": "g"}


def test_connected_components_in_one_task_and_by_propagation(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of finishing the components (one task over the contracted stars, or label
    propagation when there are too many for one task) give each vertex its component's
    smallest vertex, on a graph whose chains cross the partitions."""
    from newstrace.engines.spark import graph

    rng = np.random.default_rng(11)
    edges = [(int(a), int(b)) for a, b in rng.integers(0, 60, size=(45, 2))]
    edges += [(i + 1, i) for i in range(60, 90)]  # a chain 30 generations deep, written child to parent
    vertices = list(range(95))  # 91-94: no edge
    expected = smallest_in_component(vertices, edges)
    sc = spark.sparkContext
    for single_task in (graph.SINGLE_TASK_EDGES, 0):
        monkeypatch.setattr(graph, "SINGLE_TASK_EDGES", single_task)
        found = graph.connected_components(sc.parallelize(vertices, 2), sc.parallelize(edges, 3), partitions=2)
        assert dict(found.collect()) == expected, single_task



def test_python_workers_run_one_blas_thread(spark: Any) -> None:
    """Each Python worker is one core's share, as a local pool worker is (``one_blas_thread``):
    its matrix products run on one BLAS thread.  Spark gives them that itself: it sets
    ``OMP_NUM_THREADS`` to ``spark.task.cpus`` (1) for its Python workers, which OpenBLAS reads."""

    def blas_threads(_: Any) -> Iterator[list[int]]:  # defined here: shipped by value to the workers
        import numpy  # noqa: F401  (its OpenBLAS is what threadpoolctl reports)
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

        yield [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]

    seen = spark.sparkContext.parallelize(range(2), 2).mapPartitions(blas_threads).collect()
    assert seen and all(counts and set(counts) == {1} for counts in seen)
