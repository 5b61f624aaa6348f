"""``scan`` on Spark: the local scan's steps in the same order, as distributed jobs.

=====================  ================================================  =========================
step                   on Spark                                          step function
=====================  ================================================  =========================
read                   ``binaryFile`` / Parquet rows, one task a file    ``ingest.read_file``
boilerplate            line carriers grouped by key, sampled sketches    ``clean.document_lines``,
                       joined by document                                ``clean.count_unrelated``
prepare                per document                                      ``prepare.prepare_task``
candidates             band keys -> ``groupByKey`` -> components ->      ``candidates.*_pairs``
                       pairs per bucket / per large component
embed (semantic)       per partition, each model once per worker         ``vectors.embed_texts``
semantic candidates    k-means cells, one task per cell, best per doc    ``vectors.semantic_pairs``,
                                                                         ``semantic_candidates``
backgrounds            per pair, pool blocks per language                ``background_requests``,
                                                                         ``sentence_backgrounds``
relate                 pairs joined with both documents (and vectors)    ``relate_task_limited``,
                                                                         ``vectors.pair_context``
families               relation components, one task per component       ``families.build_families``
stories                name-sharing pairs scored, components, per part   ``stories.update_stories``
=====================  ================================================  =========================

The semantic steps (``semantic.py``) run unless ``semantic=False`` (``--lexical-only``), as in
the local ``scan``.  The driver holds only counters, the recurring line keys (a site's chrome),
the file listing, the distinct languages and, past one candidate cell, a bounded k-means sample;
results go to ``out`` as Parquet or JSONL datasets (``documents``, ``relations``, ``families``,
``stories``, ``errors``) and ``summary.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.stages.ingest.ids import document_source, duplicate_error, id_candidates, settle_group
from newstrace.stages.relate.context import MULTILINGUAL_MODEL
from newstrace.types import Document, Family, InputError, Relation, Story

from .graph import narrow
from .inputs import read_spark_inputs
from .organise import spark_families, spark_stories
from .semantic import spark_backgrounds, spark_embed, spark_screen_meaning, spark_semantic_pairs
from .session import SparkOptions, spark_session
from .steps import plan_spark_pairs, recurring_spark_lines, relate_spark_pairs

__all__ = ["OUTPUTS", "SparkScanResult", "read_results", "scan_spark"]

OUTPUTS = ("documents", "relations", "families", "stories", "errors")


@dataclass(slots=True)
class SparkScanResult:
    """Where a Spark scan wrote its datasets, its counters, and the first input errors."""

    out: str
    stats: dict[str, float | int] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)  # the first ``SHOWN_ERRORS``


SHOWN_ERRORS = 50


def _settled_ids(read: Any, parts: int, keep: Any) -> tuple[Any, int]:
    """The documents of ``read`` under the ids ``stages.ingest.ids.settle_ids`` gives them in
    the local engine, and how many were renamed.

    Only a light entry a document (its reading-order key, source and candidate ids) is grouped
    by the id it holds, in rounds of ``settle_group`` until no document moves (one round when no
    two files share an id); then each document joins its settled id, or its duplicate error.
    """
    docs = read.filter(lambda x: isinstance(x[1], Document))
    entries = docs.map(lambda x: (x[0], document_source(x[1]), tuple(id_candidates(x[1])), 0))
    duplicates = docs.context.parallelize([], 1)
    held = []  # each round's settlement, kept until the verdicts are made from them
    while True:
        rounds = (entries.map(lambda e: (e[2][e[3]], e)).groupByKey(parts)
                  .map(lambda kv: settle_group(list(kv[1]))).persist(keep))
        held.append(rounds)
        moved = rounds.flatMap(lambda r: r[1]).count()
        duplicates = duplicates.union(rounds.flatMap(lambda r: r[2]))
        entries = rounds.flatMap(lambda r: r[0] + r[1])
        if not moved:
            break
    verdicts = (entries.map(lambda e: (e[0], (e[2][e[3]], e[3] > 0)))
                .union(duplicates.map(lambda e: (e[0], (None, False)))).persist(keep))
    renamed = int(verdicts.filter(lambda v: v[1][1]).count())  # made once: the rounds are not grouped again
    for rounds in held:
        rounds.unpersist()

    def settled(item: tuple[Any, tuple[Document, tuple[str | None, bool]]]) -> tuple[Any, Document | InputError]:
        key, (doc, (doc_id, _)) = item
        if doc_id is None:
            return key, duplicate_error(doc)
        return key, doc if doc_id == doc.id else replace(doc, id=doc_id)

    return docs.join(verdicts, parts).map(settled), renamed


def _prepare(doc: Document, recurring: frozenset[int], forensics: bool) -> tuple[str, Document]:
    from newstrace.stages.prepare import prepare_task

    prepared, _ = prepare_task((doc, recurring, forensics))
    return prepared.id, prepared


def _fingerprint(doc: Document) -> Any:
    from newstrace.stages.candidates import fingerprint

    return fingerprint(doc)


def _json(kind: str, item: Any) -> str:
    if kind == "documents":
        from newstrace.report.output import document_to_dict

        return json.dumps(document_to_dict(item), ensure_ascii=False)
    if kind == "relations":
        from newstrace.store import relation_to_dict

        return json.dumps(relation_to_dict(item), ensure_ascii=False)
    if kind == "families":
        from newstrace.stages.families.store import family_to_dict

        return json.dumps(family_to_dict(item), ensure_ascii=False)
    if kind == "stories":
        from newstrace.stages.stories.store import story_to_dict

        return json.dumps(story_to_dict(item), ensure_ascii=False)
    return json.dumps({"path": item.path, "reason": item.reason}, ensure_ascii=False)


def _row(kind: str, item: Any) -> tuple[Any, ...]:
    """A Parquet row: the fields one filters on, and the whole record as JSON (docs/output.md)."""
    body = _json(kind, item)
    if kind == "documents":
        return (item.id, item.language, item.published, body)
    if kind == "relations":
        return (item.source, item.target, item.type, float(item.confidence), body)
    if kind == "families":
        return (item.id, item.root, list(item.members), body)
    if kind == "stories":
        return (item.id, item.label, list(item.documents), body)
    return (item.path, item.reason, body)


_SCHEMAS = {
    "documents": "id string, language string, published string, json string",
    "relations": "source string, target string, type string, confidence double, json string",
    "families": "id string, root string, members array<string>, json string",
    "stories": "id string, label string, documents array<string>, json string",
    "errors": "path string, reason string, json string",
}


def _jsonl_parts(spark: Any, target: str) -> None:
    """Spark's text parts named as what they hold (``part-….jsonl``: a later scan of a folder
    holding the output does not read them as articles), the empty ones removed (JSON readers
    such as pyarrow's refuse an empty part) unless every part is empty."""
    jvm = spark.sparkContext._jvm
    folder = jvm.org.apache.hadoop.fs.Path(target)
    fs = folder.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    parts = [st for st in fs.listStatus(folder) if st.getPath().getName().startswith("part-")
             and st.getPath().getName().endswith(".txt")]
    keep_one = all(st.getLen() == 0 for st in parts)
    for k, st in enumerate(parts):
        path = st.getPath()
        if st.getLen() == 0 and not (keep_one and k == 0):
            fs.delete(path, False)
        else:
            fs.rename(path, jvm.org.apache.hadoop.fs.Path(folder, path.getName()[: -len(".txt")] + ".jsonl"))


def _write(spark: Any, kind: str, rdd: Any, out: str, fmt: str) -> None:
    target = f"{out.rstrip('/')}/{kind}"
    if fmt == "jsonl":
        frame = spark.createDataFrame(rdd.map(lambda x: (_json(kind, x),)), "value string")
        frame.write.mode("overwrite").text(target)
        _jsonl_parts(spark, target)
    else:
        spark.createDataFrame(rdd.map(lambda x: _row(kind, x)), _SCHEMAS[kind]).write.mode("overwrite").parquet(target)


def scan_spark(paths: Sequence[str | Path], out: str | Path, *, options: SparkOptions | None = None,
               fmt: Literal["jsonl", "parquet"] = "jsonl", changes: bool = True, semantic: bool = True,
               limits: Limits = DEFAULT_LIMITS) -> SparkScanResult:
    """Scan ``paths`` on Spark and write documents, relations, families, stories and errors
    under ``out``; the same relations, families and stories as the local ``pipeline.scan``
    with the same ``semantic`` and ``changes``.

    Args:
        paths: files or folders, local or on any Hadoop file system (``hdfs://``, ``s3a://``),
            or ``.parquet`` datasets of JSONL-like records.
        out: the output folder (local or Hadoop URI); datasets in it are replaced.
        options: the master and partitions (``SparkOptions``; ``local[*]`` by default).
        fmt: ``jsonl`` (one JSON object per line, the JSON output's records) or ``parquet``.
        changes: analyse what each rewrite changed (as ``scan``'s ``changes``).
        semantic: add the semantic layer (sentence embeddings: candidates by meaning, meaning
            evidence for every pair, translations), as ``scan``'s ``semantic``.
        limits: file, article and per-pair limits.
    """
    options = options or SparkOptions()
    t0 = time.perf_counter()
    spark = spark_session(options)
    sc = spark.sparkContext
    parts = options.partitions or max(2, sc.defaultParallelism)
    out = str(out)
    from pyspark import StorageLevel

    keep = StorageLevel.MEMORY_AND_DISK
    clock = [time.perf_counter()]
    seconds: dict[str, float] = {}

    def lap(step: str) -> None:
        clock.append(time.perf_counter())
        seconds[f"seconds_{step}"] = round(clock[-1] - clock[-2], 3)

    # Each step's persisted result is counted before the next starts, so the per-step seconds
    # are that step's (benchmarks/bench_spark.py projects cluster time from them).
    read = read_spark_inputs(spark, [str(p) for p in paths], limits=limits).coalesce(parts).persist(keep)
    read_errors = read.values().filter(lambda x: isinstance(x, InputError))
    # Each document under the id it settles on (the first of an id its input gives); its
    # reading-order key orders the boilerplate step's sampling.
    kept, n_renamed = _settled_ids(read, parts, keep)
    kept = kept.persist(keep)
    kept.count()
    lap("read")
    dup_errors = kept.values().filter(lambda x: isinstance(x, InputError))
    ordered = kept.filter(lambda x: isinstance(x[1], Document))
    recurring = sc.broadcast(recurring_spark_lines(ordered))
    docs = ordered.map(lambda x: (x[1].id, x[1]))
    lap("boilerplate")

    prepared = docs.map(lambda x: _prepare(x[1], recurring.value, changes)).persist(keep)
    n_docs = prepared.count()
    lap("prepare")
    fingerprints = prepared.mapValues(_fingerprint).persist(keep)
    # Pairs are kept from their later-read document's side, as the local store's arrivals do.
    pairs, plan, families_planned = plan_spark_pairs(fingerprints, arrivals=ordered.map(lambda x: (x[1].id, x[0])),
                                                     partitions=parts, families=semantic)
    lap("candidates")
    embedded = backgrounds = None
    compared = pairs
    semantic_stats: dict[str, int] = {}
    if semantic:
        embedded, models = spark_embed(prepared)
        embedded = embedded.persist(keep)
        counted = embedded.map(lambda x: (1, max(len(v) for v in x[1][1].values()))).fold(
            (0, 0), lambda a, b: (a[0] + b[0], a[1] + b[1]))
        semantic_stats.update(embedded=counted[0], sentences=counted[1])
        lap("embed")
        meaning, found = spark_semantic_pairs(embedded, models, partitions=parts)
        semantic_stats.update(found)
        meaning, semantic_stats["meaning_screened_out"] = spark_screen_meaning(
            meaning, pairs, prepared, partitions=parts, families=families_planned, stats=semantic_stats)
        compared = narrow(pairs.union(meaning), parts).distinct(parts).persist(keep)
        semantic_stats["alignments"] = compared.count()
        lap("semantic")
        if MULTILINGUAL_MODEL in models:
            backgrounds = spark_backgrounds(compared, embedded, partitions=parts).persist(keep)
            semantic_stats["backgrounds"] = backgrounds.count()
        lap("backgrounds")
    related = relate_spark_pairs(compared, prepared, changes=changes, limits=limits, partitions=parts,
                                 vectors=embedded, backgrounds=backgrounds).persist(keep)
    relations = related.values().filter(lambda r: isinstance(r, Relation)).persist(keep)
    relate_errors = related.values().filter(lambda r: isinstance(r, InputError))
    n_relations = relations.count()
    lap("relate")

    families, parent_relations, family_errors = spark_families(prepared, relations, compared, limits=limits,
                                                               partitions=parts)
    families = families.persist(keep)
    n_families = families.count()
    lap("families")
    stories = spark_stories(prepared, families, partitions=parts).persist(keep)
    n_stories = stories.count()
    lap("stories")
    all_relations = narrow(relations.union(parent_relations), parts)
    errors = narrow(read_errors.union(dup_errors).union(relate_errors).union(family_errors), parts).persist(keep)
    datasets: dict[str, Any] = {"documents": prepared.values(), "relations": all_relations,
                                "families": families, "stories": stories, "errors": errors}
    for kind in OUTPUTS:
        _write(spark, kind, datasets[kind], out, fmt)
    lap("write")

    n_parents = parent_relations.count()
    n_errors = errors.count()
    stats: dict[str, float | int] = {
        "documents": n_docs, "skipped": n_errors, "renamed": n_renamed, "relations": n_relations + n_parents,
        **{f"plan_{k}": v for k, v in plan.items()}, "alignments": plan["pairs"], **semantic_stats,
        "alignments_parents": n_parents, "families": n_families, "stories": n_stories,
        **seconds, "seconds": round(clock[-1] - t0, 3), "partitions": parts}
    summary = {"engine": "spark", "master": options.master, "format": fmt, **stats}
    if "://" not in out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    shown = errors.take(SHOWN_ERRORS)
    for rdd in (read, kept, prepared, fingerprints, related, relations, families, stories, errors, embedded,
                backgrounds, compared):
        if rdd is not None:
            rdd.unpersist()
    recurring.unpersist()
    return SparkScanResult(out, stats, shown)


def read_results(out: str | Path) -> tuple[list[Document] | None, list[Relation], list[Family], list[Story]]:
    """The relations, families and stories a JSONL Spark scan wrote under ``out`` (for tests and
    small runs; documents are not rebuilt)."""
    from newstrace.stages.families.store import family_from_dict
    from newstrace.stages.stories.store import story_from_dict
    from newstrace.store import relation_from_dict

    def lines(kind: str) -> list[dict[str, Any]]:
        return [json.loads(line) for f in sorted((Path(out) / kind).glob("part-*")) for line in
                f.read_text(encoding="utf-8").splitlines() if line.strip()]

    relations = [relation_from_dict(d) for d in lines("relations")]
    families = [family_from_dict(d) for d in lines("families")]
    stories = [story_from_dict(d) for d in lines("stories")]
    return None, relations, families, stories
