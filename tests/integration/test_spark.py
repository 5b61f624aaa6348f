"""The Spark engine gives what the local engine gives: same relations (pairs, types, directions,
passages with their spans and changes), same families, same stories.

Spark runs ``local[2]`` with 2 partitions, on the five sample articles (with the analysis of
changes), on a fixed BBC sample (with its exact-duplicate pairs) and on the sample articles as
a Parquet dataset written back as Parquet.  Skipped with a message where Java or pyspark is
missing.  Cost: Spark start-up and about 70 small Spark stages per scan; about 2 minutes on an
idle 2-core machine.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.shared import DATA, require

from newstrace.engines.spark import SparkOptions, read_results, scan_spark, spark_missing, spark_session
from newstrace.pipeline import ScanResult, scan
from newstrace.stages.families.store import family_to_dict
from newstrace.stages.stories.store import story_to_dict
from newstrace.store import relation_to_dict

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OPTIONS = SparkOptions("local[2]", partitions=2)
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


def _same(local: ScanResult, out: Path) -> int:
    """Assert the Spark datasets under ``out`` equal the local result; return the relations."""
    _, rels, families, stories = read_results(out)
    assert _relations(rels) == _relations(local.relations)
    assert sorted((family_to_dict(f) for f in families), key=lambda d: d["id"]) == \
        sorted((family_to_dict(f) for f in local.families), key=lambda d: d["id"])
    assert sorted((story_to_dict(s) for s in stories), key=lambda d: d["id"]) == \
        sorted((story_to_dict(s) for s in local.stories), key=lambda d: d["id"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"] == len(local.documents)
    return len(rels)


def test_seeds_same_as_local(spark: Any, seeds_dir: Path, tmp_path: Path) -> None:
    local = scan([seeds_dir], semantic=False, changes=True)
    result = scan_spark([seeds_dir], tmp_path / "out", options=OPTIONS, changes=True)
    assert result.errors == []
    # The spun pair (001 rewrites 000), with its passages and changes, in one family and story.
    assert _same(local, tmp_path / "out") >= 1
    assert any(r.passages and any(p.changes for p in r.passages) for r in local.relations)


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
    sample = _bbc_sample(require(DATA / "bbc-news"), tmp_path / "bbc")
    local = scan([sample], semantic=False, changes=False)
    assert len(local.documents) == BBC_SAMPLE
    scan_spark([sample], tmp_path / "out", options=OPTIONS, changes=False)
    # Measured: 55 relations (54 exact-duplicate pairs and one more), 55 families, 76 stories.
    assert _same(local, tmp_path / "out") >= 54
    assert len(local.families) >= 54


def test_parquet_in_and_out(spark: Any, seeds_dir: Path, tmp_path: Path) -> None:
    rows = [(f.name, f.read_text(encoding="utf-8")) for f in sorted(seeds_dir.glob("*.txt"))]
    spark.createDataFrame(rows, "id string, text string").write.parquet(str(tmp_path / "seeds.parquet"))
    result = scan_spark([tmp_path / "seeds.parquet", tmp_path / "missing"], tmp_path / "out", options=OPTIONS,
                        fmt="parquet", changes=False)
    assert [(e.path, e.reason) for e in result.errors] == [(str(tmp_path / "missing"), "no such file or directory")]
    relations = spark.read.parquet(str(tmp_path / "out" / "relations")).select("source", "target", "type").collect()
    local = scan([seeds_dir], semantic=False, changes=False)
    assert sorted(tuple(r) for r in relations) == sorted((r.source, r.target, r.type) for r in local.relations)
    assert spark.read.parquet(str(tmp_path / "out" / "documents")).count() == len(rows)


def test_connected_components_by_label_propagation(spark: Any) -> None:
    from newstrace.engines.spark.graph import connected_components

    sc = spark.sparkContext
    edges = sc.parallelize([("d", "c"), ("c", "b"), ("b", "a"), ("f", "e"), ("e", "f")], 2)
    labels = dict(connected_components(sc.parallelize(list("abcdefg"), 2), edges, partitions=2).collect())
    # A chain 3 edges long needs 3 rounds; the label is the smallest id, as union-find's root.
    assert labels == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "e", "f": "e", "g": "g"}
