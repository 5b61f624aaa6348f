"""How the sentence channel's LSH bands trade recall for chance collisions (``CandidateConfig``).

    python benchmarks/calibrate_sentence_bands.py [--pan ../shared/data/pan13-train]
                                                  [--bbc ../shared/data/bbc-news] [--workers 2]

Every document of PAN 2013 training (sources and suspicious documents) and of BBC News is read,
cleaned (``clean_collection``) and fingerprinted (``candidates.fingerprint``: a 60-permutation
MinHash of each sentence's content terms).  The same digests are then cut into bands in several
ways (20 bands of 3 rows, the default, then 15 x 4, 12 x 5, 10 x 6).  For each cut:

* *colliding document pairs*: pairs of documents with a sentence each in one bucket of at most
  ``max_bucket_docs`` documents (what ``indexed_candidates`` reads a stored fingerprint for, in
  ``trace`` and ``index add``);
* *proposed*: those with a colliding sentence pair whose true Jaccard reaches
  ``sentence_jaccard`` (the sentence channel's pairs);
* the share of each PAN class's listed pairs the sentence channel proposes (its recall; class 01
  lists pairs without reuse).

Why: a stored index reads the fingerprint of every document in a colliding bucket to verify
the collision, and most collisions are chance (a stricter cut has fewer, and loses spun pairs).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CUTS = (20, 15, 12, 10)
PAN_CLASSES = ("02-no-obfuscation", "03-random-obfuscation", "04-translation-obfuscation",
               "05-summary-obfuscation", "01-no-plagiarism")


def _sketch(doc: object) -> tuple[np.ndarray, list[frozenset[str]]]:
    from newstrace.stages.candidates import DEFAULT_CONFIG, fingerprint

    fp = fingerprint(doc)  # type: ignore[arg-type]
    return np.asarray(fp.sentences, dtype=np.uint32).reshape(-1, DEFAULT_CONFIG.sentence_perm), fp.sentence_terms


def read_collection(pan: Path, bbc: Path, workers: int) -> tuple[list[str], list[tuple[np.ndarray, list[frozenset[str]]]]]:
    """The ids and sentence sketches of PAN's documents (``src/NAME``, ``susp/NAME``) and BBC's."""
    from newstrace.stages.clean import clean_collection
    from newstrace.stages.ingest import read_file
    from newstrace.types import Document

    paths = [(f"src/{p.name}", p) for p in sorted((pan / "src").iterdir())]
    paths += [(f"susp/{p.name}", p) for p in sorted((pan / "susp").iterdir())]
    paths += [(f"bbc/{p.relative_to(bbc)}", p) for p in sorted(bbc.rglob("*.txt"))]
    docs = []
    for doc_id, path in paths:
        for doc in read_file(path, path.parent):
            if isinstance(doc, Document):
                doc.id = doc_id
                docs.append(doc)
            else:
                print(f"skipped {doc}")
    docs = clean_collection(docs)
    with Pool(workers) as pool:
        sketches = pool.map(_sketch, docs, chunksize=20)
    return [d.id for d in docs], sketches


def cut(sketches: Sequence[tuple[np.ndarray, list[frozenset[str]]]], bands: int, *, max_bucket_docs: int,
        jaccard: float) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The colliding and the proposed document pairs when the digests are cut into ``bands``
    (the buckets as the whole-collection plan finds them: ``candidates._colliding_arrays``)."""
    from newstrace.stages.candidates import _colliding_arrays

    doc_of = np.concatenate([np.full(len(s), i) for i, (s, _) in enumerate(sketches)])
    sent_of = np.concatenate([np.arange(len(s)) for s, _ in sketches])
    members, sizes = _colliding_arrays(np.concatenate([s for s, _ in sketches]), bands)
    colliding: set[tuple[int, int]] = set()
    proposed: set[tuple[int, int]] = set()
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for lo, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        bucket = members[lo : lo + size].tolist()
        if not 2 <= len({int(doc_of[m]) for m in bucket}) <= max_bucket_docs:
            continue
        for i, a in enumerate(bucket):
            for c in bucket[i + 1 :]:
                da, dc = int(doc_of[a]), int(doc_of[c])
                if da == dc:
                    continue
                pair = (min(da, dc), max(da, dc))
                colliding.add(pair)
                if pair in proposed:
                    continue
                ta, tc = sketches[da][1][int(sent_of[a])], sketches[dc][1][int(sent_of[c])]
                if len(ta & tc) >= jaccard * len(ta | tc):
                    proposed.add(pair)
    return colliding, proposed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pan", type=Path, default=SHARED / "pan13-train")
    ap.add_argument("--bbc", type=Path, default=SHARED / "bbc-news")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not (args.pan / "src").is_dir() or not args.bbc.is_dir():
        print(f"skipped: PAN 2013 ({args.pan}) or BBC News ({args.bbc}) is missing")
        return 0
    from newstrace.stages.candidates import DEFAULT_CONFIG

    t = time.perf_counter()
    ids, sketches = read_collection(args.pan, args.bbc, args.workers)
    print(f"{len(ids):,} documents, {sum(len(s) for s, _ in sketches):,} sentences sketched "
          f"in {time.perf_counter() - t:.1f} s")
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    listed = {}
    for cls in PAN_CLASSES:
        pairs = [line.split() for line in (args.pan / cls / "pairs").read_text().split("\n") if line.strip()]
        listed[cls] = [tuple(sorted((index[f"susp/{s}"], index[f"src/{r}"]))) for s, r in pairs
                       if f"susp/{s}" in index and f"src/{r}" in index]
        if len(listed[cls]) < len(pairs):
            print(f"{cls}: {len(pairs) - len(listed[cls])} of {len(pairs)} pairs name a document not read")
    print("bands x rows | colliding document pairs | proposed | chance share | a document collides with | "
          + " | ".join(f"{c[3:]} recall" for c in PAN_CLASSES))
    for bands in CUTS:
        colliding, proposed = cut(sketches, bands, max_bucket_docs=DEFAULT_CONFIG.max_bucket_docs,
                                  jaccard=DEFAULT_CONFIG.sentence_jaccard)
        recall = [sum(p in proposed for p in listed[c]) / len(listed[c]) for c in PAN_CLASSES]
        print(f"{bands} x {DEFAULT_CONFIG.sentence_perm // bands} | {len(colliding):,} | {len(proposed):,} | "
              f"{1 - len(proposed) / max(1, len(colliding)):.3f} | {2 * len(colliding) / len(ids):.1f} | "
              + " | ".join(f"{r:.3f}" for r in recall))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
