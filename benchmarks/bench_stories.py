"""Stories benchmark: cost and shape on BBC News, and adds in batches against one scan on ECB+.

    python benchmarks/bench_stories.py [--bbc DIR] [--ecb DIR] [--seeds 3] [--only bbc|ecb] [--dense]

Time and peak memory of the BBC run, before/after the sparse clustering (run each alone, so
the peak is the clustering's)::

    /usr/bin/time -v python benchmarks/bench_stories.py --only bbc --dense
    /usr/bin/time -v python benchmarks/bench_stories.py --only bbc

Prints JSON lines:

* ``bbc``: ``update_stories`` over every BBC News article (no families, so every article is
  its own unit: the worst case for the similarity matrix), sparse or, with ``--dense``, on the
  whole n × n matrix: seconds, peak RSS of the process, stories, single articles, the size
  histogram and the ten largest stories' labels.
* ``ecb_batches``: ECB+ dev added in 2 and 5 random batches (``--seeds`` orders each) with
  ``update_stories``, the stories after the last add against one scan (ARI between the two
  partitions, event ARI of each), and how ids fared across the adds: stored stories whose id
  disappeared (merged into another) and stored stories that kept their id but gave up a member.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from collections import Counter
from pathlib import Path

from newstrace.evaluation.ecb import adjusted_rand_index, load_ecb
from newstrace.stages.stories import update_stories
from newstrace.types import Document, Story

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # sport/199.txt is Latin-1
        return raw.decode("latin-1")


def bench_bbc(folder: Path, *, dense: bool = False) -> dict[str, object]:
    docs = [Document(id=f"{p.parent.name}/{p.name}", raw=(t := _read(p)), text=t, language="en")
            for p in sorted(folder.rglob("*.txt"))]
    t0 = time.perf_counter()
    stories = update_stories(docs, dense=dense)
    seconds = time.perf_counter() - t0
    sizes = Counter(len(s.documents) for s in stories)
    largest = sorted(stories, key=lambda s: (-len(s.documents), s.id))[:10]
    return {"bench": "bbc", "dense": dense, "documents": len(docs), "seconds": round(seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "stories": len(stories), "single": sizes[1], "sizes": dict(sorted(sizes.items())),
            "largest": [[len(s.documents), s.label] for s in largest]}


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bbc", type=Path, default=DATA / "bbc-news")
    ap.add_argument("--ecb", type=Path, default=DATA / "ecbplus-dev")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--only", choices=("bbc", "ecb"))
    ap.add_argument("--dense", action="store_true", help="cluster on the whole n x n matrix (the code before)")
    args = ap.parse_args()
    if args.only != "bbc":
        for line in bench_ecb_batches(args.ecb, args.seeds):
            print(json.dumps(line), flush=True)
    if args.only != "ecb":
        print(json.dumps(bench_bbc(args.bbc, dense=args.dense)), flush=True)


if __name__ == "__main__":
    main()
