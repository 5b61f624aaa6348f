"""Reading inputs on Spark: every file through the readers of ``newstrace.stages.ingest``.

Local paths are listed on the driver by the local engine's own walk (``walking.plan_inputs``:
file names only, never their contents), so a symlink loop, a link to a file or folder already
read, a broken link, an empty file, a name starting with ``_`` or holding ``:``, ``[`` or ``*``
fare exactly as in the local engine; the files are spread over the executors, each read there
by ``read_file``, the reader of the local engine (a local path must therefore be readable by
every executor: a laptop's ``local[*]``, or a folder every node mounts).  Files under a Hadoop
URI (``hdfs://``, ``s3a://``, any Hadoop file system) come in through Spark's ``binaryFile``
source, one row per file, the bytes spilled to a private temporary file under their relative
name and read the same way, so ids, limits and every error message are the local engine's;
Hadoop's listing skips names starting with ``_`` or ``.`` there.  A path ending in ``.parquet`` is read with Spark's Parquet reader; each row is a
record with the JSONL fields (``id``, ``text`` or ``html``, ``title``, ``url``, ``published``)
and goes through the JSONL record reader.

Each item is keyed by its place in the local engine's reading order (path argument, relative
path, record), so steps that depend on order (boilerplate sampling, the first of two documents
with one id) decide as the local engine does.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.types import Document, InputError

__all__ = ["Keyed", "read_spark_inputs"]

#: Local files a reading task takes at most (more tasks than cores when there are many files).
LOCAL_FILES_A_TASK = 500
#: Reading tasks of local files at most.
MAX_LOCAL_TASKS = 10_000

#: ``((argument index, relative path, record index), document or error)``
Keyed = tuple[tuple[int, str, int], Document | InputError]


def _display(given: str, rel: str, is_dir: bool) -> str:
    """The path the local engine names: the argument as given, joined with the relative path."""
    if not is_dir:
        return given
    if "://" in given:
        return given.rstrip("/") + "/" + rel
    return str(Path(given) / rel)


def _absolute(given: str) -> str:
    """A local argument made absolute on the driver (a document's path is its file's absolute
    path, as the local engine's); a Hadoop URI as it is."""
    return given if "://" in given else os.path.abspath(given)


def _read_one(task: tuple[int, str, str, str, bool, str, bytes, Limits]) -> list[Keyed]:
    """Read one file's bytes with the local engine's ``read_file`` (an executor task)."""
    from newstrace.stages.ingest import read_file

    arg, given, absolute, root, is_dir, uri, data, limits = task
    rel = uri[len(root) + 1 :] if is_dir and uri.startswith(root + "/") else PurePosixPath(uri).name
    if any(part.startswith(".") for part in PurePosixPath(rel).parts):
        return []  # hidden names are skipped, as the local walk does
    shown = _display(given, rel, is_dir)
    located = _display(absolute, rel, is_dir)
    out: list[Keyed] = []
    with tempfile.TemporaryDirectory(prefix="newstrace-read-") as tmp:
        spilled = Path(tmp) / rel
        spilled.parent.mkdir(parents=True, exist_ok=True)
        spilled.write_bytes(data)
        where = str(spilled)
        for i, item in enumerate(read_file(spilled, Path(tmp), limits=limits)):
            if isinstance(item, InputError):
                item = InputError(item.path.replace(where, shown), item.reason)
            elif item.path and item.path.startswith(where):
                item.path = located + item.path[len(where) :]
            out.append(((arg, rel, i), item))
    return out


def _read_local(task: tuple[int, str, str, str, Limits]) -> list[Keyed]:
    """Read one local file with the local engine's ``read_file`` (an executor task)."""
    from newstrace.stages.ingest import read_file

    arg, rel, path, root, limits = task
    return [((arg, rel, i), item) for i, item in enumerate(read_file(Path(path), Path(root), limits=limits))]


def _local_plan(arg: int, given: str) -> tuple[list[tuple[int, str, str, str]], list[Keyed]]:
    """The files under a local argument as the local engine plans them, as ``(argument index,
    relative path, path, root)`` tasks, and an error for each input it cannot read."""
    from newstrace.stages.ingest.walking import plan_inputs

    tasks: list[tuple[int, str, str, str]] = []
    errors: list[Keyed] = []
    for entry in plan_inputs([given]):
        if isinstance(entry, InputError):
            rel = os.path.relpath(entry.path, given) if Path(given).is_dir() else ""
            errors.append(((arg, "" if rel == "." else rel, 0), entry))
        else:
            path, root = entry
            tasks.append((arg, os.path.relpath(path, root), str(path), str(root)))
    return tasks, errors


def _parquet_row(task: tuple[tuple[Any, int], int, str, str]) -> Keyed:
    from newstrace.stages.ingest.jsonl import jsonl_record
    from newstrace.types import Rejected

    (row, number), arg, rel, shown = task
    line = json.dumps(row.asDict(recursive=True), default=str).encode("utf-8")
    item = jsonl_record(line, rel, number + 1, shown)
    where = f"{shown}:{number + 1}"
    return (arg, rel, number), (InputError(where, item.reason) if isinstance(item, Rejected) else item)


def read_spark_inputs(spark: Any, paths: list[str], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """An RDD of :data:`Keyed` items: every document and every input error under ``paths``."""
    sc = spark.sparkContext
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    parts: list[Any] = []
    missing: list[Keyed] = []
    local: list[tuple[int, str, str, str]] = []
    for arg, given in enumerate(paths):
        if "://" not in given and not given.rstrip("/").lower().endswith(".parquet"):
            tasks, errors = _local_plan(arg, given)
            local.extend(tasks)
            missing.extend(errors)
            continue
        hpath = jvm.org.apache.hadoop.fs.Path(given)
        fs = hpath.getFileSystem(conf)
        if not fs.exists(hpath):
            missing.append(((arg, "", 0), InputError(given, "no such file or directory")))
            continue
        is_dir = bool(fs.getFileStatus(hpath).isDirectory())
        root = str(fs.makeQualified(hpath).toString()).rstrip("/")
        name = PurePosixPath(given.rstrip("/")).name
        absolute = _absolute(given)
        if given.rstrip("/").lower().endswith(".parquet"):
            rows = spark.read.parquet(given).rdd.zipWithIndex()
            parts.append(rows.map(lambda r, a=arg, n=name, g=given: _parquet_row((r, a, n, g))))
            continue
        frame = spark.read.format("binaryFile")
        if is_dir:
            frame = frame.option("recursiveFileLookup", "true")
        files = frame.load(given).select("path", "content").rdd
        parts.append(files.flatMap(lambda row, a=arg, g=given, b=absolute, r=root, d=is_dir: _read_one(
            (a, g, b, r, d, row[0], bytes(row[1]), limits))))
    if local:
        slices = max(sc.defaultParallelism, min(len(local) // LOCAL_FILES_A_TASK, MAX_LOCAL_TASKS))
        parts.append(sc.parallelize(local, min(slices, len(local))).flatMap(
            lambda t: _read_local((*t, limits))))
    if missing:
        parts.append(sc.parallelize(missing, 1))
    return sc.union(parts) if parts else sc.parallelize([], 1)
