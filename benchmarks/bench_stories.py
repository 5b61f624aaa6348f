"""Stories benchmark: cost and shape on BBC News and a larger synthetic collection, and adds in
batches against one scan on ECB+.

    python benchmarks/bench_stories.py [--bbc DIR] [--ecb DIR] [--seeds 3] [--only bbc|ecb|synthetic]
        [--method indexed|blocks|dense] [--worlds 9]

Time and peak memory of the clustering, old against new (run each alone, so the process's peak
is its own)::

    python benchmarks/bench_stories.py --only bbc --method blocks      # every pair, in blocks (before)
    python benchmarks/bench_stories.py --only bbc --method indexed     # pairs sharing names (now)
    python benchmarks/bench_stories.py --only synthetic --method blocks
    python benchmarks/bench_stories.py --only synthetic --method indexed

Prints JSON lines:

* ``bbc``: ``update_stories`` over every BBC News article (no families, so every article is
  its own unit: the worst case for the similarity graph) with ``--method``: seconds (all, and
  the clustering alone on precomputed features), the clustering's peak traced memory (a second run)
  (``tracemalloc``: numpy and scipy arrays), peak RSS of the process, pairs whose similarity
  was computed, stories, single articles, the size histogram and the ten largest stories'
  labels.
* ``synthetic``: the same for a collection of ``--worlds`` × 2,225 articles (20,025 at 9): BBC
  News and its copies into ``worlds − 1`` other "worlds", where every rare word (in fewer than
  20 BBC articles) and every name but the 50 commonest gets a per-world suffix — other events
  told in the same language, about the same countries and institutions.  No article is a copy
  of another world's (their content and name cosines come only from common words and names).
* ``bbc_dates``: BBC News undated, every article dated one day, and dated over 30 days:
  stories, single articles and the largest sizes (what the close-date discount does to a
  general collection; ``--only bbc_dates``).
* ``ecb_extend``: ECB+ dev, a first part (20%, 50%, 80%) clustered whole, then batches (25, 50,
  100) added as a large index adds them (``extend_stories``: only the stories a batch reaches
  are clustered again), ``--seeds`` orders: event ARI and B³ F1, agreement with one scan, the
  stored stories each batch kept and the representatives it clustered, with the usual
  similarities kept from each clustering (``kept_usual``) and without (``floor``).
* ``index_extend`` (``--only index_extend --index DB``, not in the default run): on an index
  kept by ``bench_index.py --keep``, its last add's articles taken out of the stories, then
  added back by ``extend_stories`` and by clustering everything: seconds of each, the
  agreement (ARI), identical stories; ``extend_stories`` with the usual similarities the
  clustering before kept and without them (``floor_*``), and how far the kept values fell
  (``drift_*``).
* ``ecb_batches``: ECB+ dev added in 2 and 5 random batches (``--seeds`` orders each) with
  ``update_stories``, the stories after the last add against one scan (ARI between the two
  partitions, event ARI of each), and how ids fared across the adds: stored stories whose id
  disappeared (merged into another) and stored stories that kept their id but gave up a member.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from newstrace.evaluation.ecb import adjusted_rand_index, b_cubed, load_ecb
from newstrace.stages.families.store import load_families
from newstrace.stages.stories import update_stories
from newstrace.stages.stories.cluster import (
    DEFAULT_CONFIG,
    Method,
    Neighbourhood,
    StoryFeatures,
    cluster_representatives,
    cluster_threads,
    document_features,
    extend_stories,
    indexed_similarity,
    stories_of_features,
)
from newstrace.stages.stories.store import stored_story_inputs
from newstrace.store import Store
from newstrace.types import Document, Story

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # sport/199.txt is Latin-1
        return raw.decode("latin-1")


def _bbc_docs(folder: Path) -> list[Document]:
    return [Document(id=f"{p.parent.name}/{p.name}", raw=(t := _read(p)), text=t, language="en")
            for p in sorted(folder.rglob("*.txt"))]


_WORD = re.compile(r"\w+")


def synthetic_docs(folder: Path, worlds: int) -> list[Document]:
    """BBC News and ``worlds - 1`` copies whose rare words and uncommon names carry a per-world
    suffix (module docstring)."""
    base = _bbc_docs(folder)
    df: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for d in base:
        words = _WORD.findall(d.text)
        df.update({w.lower() for w in words})
        names.update({w for w in words if w[:1].isupper()})
    common = {w for w, _ in names.most_common(50)}
    out = list(base)
    for k in range(1, worlds):
        suffix = "q" + "".join(chr(ord("a") + int(c)) for c in str(k))

        def swap(m: re.Match[str], suffix: str = suffix) -> str:
            w = m.group(0)
            if df[w.lower()] < 20 or (w[:1].isupper() and w not in common):
                return w + suffix
            return w

        out += [Document(id=f"w{k}/{d.id}", raw=(t := _WORD.sub(swap, d.text)), text=t, language="en") for d in base]
    return out


def bench_collection(name: str, docs: list[Document], method: Method, *, labels: bool = True) -> dict[str, object]:
    t0 = time.perf_counter()
    feats = [document_features(d) for d in docs]
    feature_seconds = time.perf_counter() - t0
    published = [d.published for d in docs]
    t1 = time.perf_counter()
    found = cluster_representatives(feats, published, method=method)
    cluster_seconds = time.perf_counter() - t1
    # Run again under tracemalloc for the peak (tracing slows it, so it is not timed).
    tracemalloc.start()
    cluster_representatives(feats, published, method=method)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(docs)
    computed = n * (n - 1) // 2
    if method == "indexed":
        cfg = DEFAULT_CONFIG
        computed = indexed_similarity(feats, published, neighbours=cfg.neighbours,
                                      keep=cfg.threshold + cfg.floor - 1e-6).computed
    sizes = Counter(Counter(found).values())
    out: dict[str, object] = {
        "bench": name, "method": method, "documents": n, "feature_seconds": round(feature_seconds, 1),
        "cluster_seconds": round(cluster_seconds, 1), "cluster_peak_traced_mb": round(peak / 2**20),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pairs_computed": computed, "pairs_total": n * (n - 1) // 2,
        "stories": len(set(found)), "single": sizes[1], "sizes": dict(sorted(sizes.items()))}
    if labels:
        stories = update_stories(docs, method=method)
        largest = sorted(stories, key=lambda s: (-len(s.documents), s.id))[:10]
        out["largest"] = [[len(s.documents), s.label] for s in largest]
    return out


def bench_bbc_dates(folder: Path, method: Method) -> list[dict[str, object]]:
    """BBC News undated (as it is), every article dated the same day (the worst case for the
    close-date discount, ``StoryConfig.close_discount``: every pair is "close"), and dated
    uniformly over 30 days (seeded): how many stories, single articles and the largest sizes.
    The discount never lowers the floor, so articles that are only loosely alike do not chain
    because they share a day."""
    docs = _bbc_docs(folder)
    feats = [document_features(d) for d in docs]
    rng = random.Random(1)
    out: list[dict[str, object]] = []
    for name, published in (("undated", [None] * len(docs)), ("one_day", ["2005-01-03"] * len(docs)),
                            ("30_days", [f"2005-01-{rng.randint(1, 30):02d}" for _ in docs])):
        found = cluster_representatives(feats, published, method=method)
        sizes = sorted(Counter(found).values(), reverse=True)
        out.append({"bench": "bbc_dates", "dates": name, "stories": len(sizes),
                    "single": sum(1 for x in sizes if x == 1), "largest": sizes[:8]})
    return out


def _labels(stories: list[Story], ids: list[str]) -> list[str]:
    of = {d: s.id for s in stories for d in s.documents}
    return [of[i] for i in ids]


def bench_ecb_batches(folder: Path, seeds: int) -> list[dict[str, object]]:
    rows = load_ecb(folder)
    docs = [r[0] for r in rows]
    ids = [d.id for d in docs]
    gold = [r[2] for r in rows]
    one = _labels(update_stories(docs), ids)
    out: list[dict[str, object]] = []
    for batches in (2, 5):
        for seed in range(seeds):
            order = list(docs)
            random.Random(seed).shuffle(order)
            stored: list[Story] = []
            seen = lost = moved = 0
            for b in range(batches):
                now = update_stories(order[: len(order) * (b + 1) // batches], existing=stored)
                held = {s.id: set(s.documents) for s in now}
                for s in stored:
                    seen += 1
                    if s.id not in held:
                        lost += 1
                    elif not set(s.documents) <= held[s.id]:
                        moved += 1
                stored = now
            batched = _labels(stored, ids)
            out.append({"bench": "ecb_batches", "batches": batches, "seed": seed,
                        "agreement_ari": round(adjusted_rand_index(batched, one), 4),
                        "event_ari_batched": round(adjusted_rand_index(batched, gold), 4),
                        "event_ari_one_scan": round(adjusted_rand_index(one, gold), 4),
                        "stored_stories_seen": seen, "ids_lost": lost, "kept_id_lost_member": moved})
    return out


def _features(docs: list[Document]) -> tuple[dict[str, StoryFeatures], dict[str, str | None]]:
    return {d.id: document_features(d) for d in docs}, {d.id: d.published for d in docs}


def bench_ecb_extend(folder: Path, seeds: int) -> list[dict[str, object]]:
    """ECB+ with later batches added as a large index adds them (``extend_stories``: only the
    stories a batch reaches are clustered again), against one scan and the gold events: with
    the usual similarities kept from each clustering (``known_usual``, as ``organise`` keeps
    them) and without (every pair of similarity ``threshold + floor`` reaches its story), and
    with each representative's neighbourhood kept too (``known_neighbourhood``, as ``organise``
    keeps it since stop 32: a reached story's representatives scored against the part)."""
    rows = load_ecb(folder)
    gold = {r[0].id: r[2] for r in rows}
    feats, published = _features([r[0] for r in rows])
    ids = sorted(gold)

    def cluster(part: list[str], stored: list[Story], extend: bool, held: dict[str, float] | None,
                around: dict[str, Neighbourhood] | None = None, order: Sequence[str] = ()
                ) -> tuple[list[Story], dict[str, int]]:
        """Cluster ``part`` (the first of ``order``, whose positions from 1 are the arrival numbers)."""
        arrived = len(part)
        part = sorted(part)
        args = (part, [published[i] for i in part], [feats[i] for i in part])
        out: dict[str, float] = {}
        near: dict[str, Neighbourhood] = {}
        if extend:
            made = extend_stories(*args, [], stored, known_usual=held, usual_out=out, known_neighbourhood=around,
                                  neighbourhood_out=near, arrived_after=lambda mark: order[mark:])
        else:
            made = (stories_of_features(*args, [], stored, usual_out=out, neighbourhood_out=near), {})
        if held is not None:
            held.update(out)
        if around is not None:
            # stamped with the last arrival, as organise stamps them (save_neighbourhoods)
            around.update({d: replace(v, arrival=arrived) for d, v in near.items()})
        return made

    one = _labels(cluster(ids, [], False, None)[0], ids)
    truth = [gold[i] for i in ids]
    out: list[dict[str, object]] = []
    for seed in range(seeds):
        for first, batch in ((0.5, 50), (0.2, 25), (0.8, 100)):
            order = ids[:]
            random.Random(seed).shuffle(order)
            line: dict[str, object] = {"bench": "ecb_extend", "seed": seed, "first": first, "batch": batch,
                                       "event_ari_one_scan": round(adjusted_rand_index(one, truth), 4)}
            for mode in ("floor", "kept_usual", "kept_neighbourhood"):
                k = int(first * len(order))
                held: dict[str, float] | None = None if mode == "floor" else {}
                around: dict[str, Neighbourhood] | None = {} if mode == "kept_neighbourhood" else None
                stored, _ = cluster(order[:k], [], False, held, around, order)
                kept, clustered, scored_in_part, unseen = [], [], [], []
                while k < len(order):
                    stored, counts = cluster(order[:k + batch], stored, True, held, around, order)
                    kept.append(counts["kept"])
                    clustered.append(counts["clustered"])
                    scored_in_part.append(counts["neighbourhoods_kept"])
                    unseen.append(counts["neighbourhoods_unseen"])
                    k += batch
                got = _labels(stored, ids)
                line[mode] = {"event_ari": round(adjusted_rand_index(got, truth), 4),
                              "event_b3_f1": round(b_cubed(got, truth)[2], 4),
                              "agreement_ari": round(adjusted_rand_index(got, one), 4),
                              "kept_per_batch": kept, "clustered_per_batch": clustered,
                              "neighbourhoods_kept_per_batch": scored_in_part,
                              "neighbourhoods_unseen_per_batch": unseen}
            out.append(line)
    return out


def bench_index_extend(db: Path, added: Path) -> dict[str, object]:
    """On an index kept by ``bench_index.py --keep`` (its last add in ``add.json``): the stories
    with that add's articles taken out, then the add clustered as a large index does
    (``extend_stories``, on one thread and on two: ``cluster_threads``) and by clustering
    everything again: seconds and agreement.  The large index's add is run twice: with the
    usual similarities the clustering before the add kept (``known_usual``, as ``organise``
    passes them) and without (``floor_*``: every pair of similarity ``threshold + floor``
    reaches its story); ``drift_*``: how the kept values compare with those the add computes
    for the same representatives (kept less new: positive when the value fell).  ``around_*``:
    the add with the kept neighbourhoods too (``known_neighbourhood``, as ``organise`` passes
    them since stop 32: a reached story's representatives scored against the part alone); the
    two-thread run is that one."""
    new = {i for i, _ in json.loads(added.read_text())}
    with Store(db) as store:
        ids, published, feats = stored_story_inputs(store)
        families = load_families(store.conn)
    old = [k for k, d in enumerate(ids) if d not in new]
    t0 = time.perf_counter()
    held: dict[str, float] = {}
    around: dict[str, Neighbourhood] = {}
    base = stories_of_features([ids[k] for k in old], [published[k] for k in old], [feats[k] for k in old], families,
                               usual_out=held, neighbourhood_out=around)
    t1 = time.perf_counter()
    whole = stories_of_features(ids, published, feats, families, base)
    t2 = time.perf_counter()
    with cluster_threads(1):
        floor, floor_counts = extend_stories(ids, published, feats, families, base)
    t3 = time.perf_counter()
    with cluster_threads(1):
        now: dict[str, float] = {}
        part, counts = extend_stories(ids, published, feats, families, base, known_usual=held, usual_out=now)
    t4 = time.perf_counter()
    with cluster_threads(1):
        near, near_counts = extend_stories(ids, published, feats, families, base, known_usual=held,
                                           known_neighbourhood=around)
    t5 = time.perf_counter()
    with cluster_threads(2):  # as organise runs it on two workers: the same stories
        threaded, _ = extend_stories(ids, published, feats, families, base, known_usual=held,
                                     known_neighbourhood=around)
    t6 = time.perf_counter()
    same_near = {frozenset(s.documents) for s in whole} & {frozenset(s.documents) for s in near}
    drift = sorted(held[d] - v for d, v in now.items() if d in held)
    same = {frozenset(s.documents) for s in whole} & {frozenset(s.documents) for s in part}
    same_floor = {frozenset(s.documents) for s in whole} & {frozenset(s.documents) for s in floor}

    def quantile(q: float) -> float:
        return round(drift[min(len(drift) - 1, int(q * len(drift)))], 4) if drift else 0.0

    return {"bench": "index_extend", "documents": len(ids), "new": len(new), "before_add_s": round(t1 - t0, 1),
            "everything_s": round(t2 - t1, 1), "floor_extend_s": round(t3 - t2, 1), "extend_s": round(t4 - t3, 1),
            "around_extend_s": round(t5 - t4, 1), "around_extend_2_threads_s": round(t6 - t5, 1),
            "threads_same_stories": threaded == near, **counts,
            "around_agreement_ari": round(adjusted_rand_index(_labels(near, ids), _labels(whole, ids)), 5),
            "around_stories": len(near), "around_identical_stories": len(same_near),
            "around_neighbourhoods_kept": near_counts["neighbourhoods_kept"],
            "floor_clustered": floor_counts["clustered"], "floor_reached": floor_counts["reached"],
            "agreement_ari": round(adjusted_rand_index(_labels(part, ids), _labels(whole, ids)), 5),
            "floor_agreement_ari": round(adjusted_rand_index(_labels(floor, ids), _labels(whole, ids)), 5),
            "stories_everything": len(whole), "stories_extend": len(part), "identical_stories": len(same),
            "floor_identical_stories": len(same_floor), "documents_in_identical": sum(len(x) for x in same),
            "drift_n": len(drift), "drift_median": quantile(0.5), "drift_p99": quantile(0.99),
            "drift_p999": quantile(0.999), "drift_max": round(drift[-1], 4) if drift else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bbc", type=Path, default=DATA / "bbc-news")
    ap.add_argument("--ecb", type=Path, default=DATA / "ecbplus-dev")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--only", choices=("bbc", "bbc_dates", "ecb", "ecb_extend", "synthetic", "index_extend"))
    ap.add_argument("--index", type=Path, default=Path("/tmp/newstrace-bench-index/index.db"),
                    help="index_extend: an index kept by bench_index.py --keep (add.json beside it)")
    ap.add_argument("--method", choices=("indexed", "blocks", "dense"), default="indexed",
                    help="how pairs are found: names index (now), every pair in blocks (before), n x n")
    ap.add_argument("--dense", action="store_true", help="the same as --method dense")
    ap.add_argument("--worlds", type=int, default=9, help="synthetic collection: BBC News times this")
    args = ap.parse_args()
    method: Method = "dense" if args.dense else args.method
    if args.only in (None, "ecb"):
        for line in bench_ecb_batches(args.ecb, args.seeds):
            print(json.dumps(line), flush=True)
    if args.only in (None, "ecb_extend"):
        for line in bench_ecb_extend(args.ecb, args.seeds):
            print(json.dumps(line), flush=True)
    if args.only == "index_extend":
        print(json.dumps(bench_index_extend(args.index, args.index.parent / "add.json")), flush=True)
    if args.only in (None, "bbc"):
        print(json.dumps(bench_collection("bbc", _bbc_docs(args.bbc), method)), flush=True)
    if args.only in (None, "bbc_dates"):
        for line in bench_bbc_dates(args.bbc, method):
            print(json.dumps(line), flush=True)
    if args.only == "synthetic":
        docs = synthetic_docs(args.bbc, args.worlds)
        print(json.dumps(bench_collection("synthetic", docs, method, labels=False)), flush=True)


if __name__ == "__main__":
    main()
