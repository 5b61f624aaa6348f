"""Calibrate the static preselection of the semantic layer (``newstrace.stages.static``).

    python benchmarks/calibrate_preselect.py [--bbc ../shared/data/bbc-news] [--ecb ...] [--pan-pairs 12]

For each corpus, every candidate pair is related twice, with the transformer's sentence vectors
(what the scan did before the preselection) and on words alone (what a pair left out of the
preselection gets), and its static :func:`pair_score` is printed beside the outcome.  The
preselection is safe at a floor when every pair whose relation the vectors changed scores at
least that much; the counts say what each floor costs in pairs and documents embedded.

* BBC News and ECB+ dev: the lexical candidate pairs of the whole collection (``plan_pairs``);
  every document embedded by the transformer (several minutes on two cores each).
* PAN 2013 training: ``--pan-pairs`` random pairs (seed 7) of each of the classes 01, 03, 04
  and 05, each pair related on its own.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _outcome(rel: object) -> object:
    from newstrace.types import Relation

    if not isinstance(rel, Relation):
        return None
    return rel.source, rel.target, rel.type, tuple((p.source_span, p.target_span) for p in rel.passages)


Row = tuple[float, bool, bool, int]


def collection(corpus: Path) -> list[Row]:
    """(pair score, related with vectors, outcome changed by the vectors, sentences of the
    shorter document) of a collection's lexical pairs."""
    from newstrace.pipeline import index_add
    from newstrace.stages.candidates import plan_pairs
    from newstrace.stages.relate.pair import relate
    from newstrace.stages.static import get_static_embedder, pair_score
    from newstrace.stages.vectors import embed_documents, load_vectors, pair_context
    from newstrace.store import Store

    rows = []
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "calibrate.db") as store:
        index_add(store, [corpus], workers=2, forensics=False)
        planned, _ = plan_pairs(store.get_fingerprints())
        embed_documents(store, threads=2, progress=True)
        vectors = load_vectors(store)
        docs = {d.id: d for d in store.get_documents(relate_only=True)}
        ids = sorted(docs)
        static = dict(zip(ids, get_static_embedder().documents([docs[i] for i in ids]), strict=True))
        for a, b in sorted(planned):
            with_vectors = _outcome(relate(docs[a], docs[b], pair_context(docs[a], docs[b], vectors, {}, changes=False)))
            words = _outcome(relate(docs[a], docs[b], pair_context(docs[a], docs[b], {}, {}, changes=False)))
            rows.append((pair_score(static[a], static[b]), with_vectors is not None, with_vectors != words,
                         min(len(static[a]), len(static[b]))))
    return rows


def pan(root: Path, per_class: int) -> list[Row]:
    """The same figures for a sample of PAN 2013 training pairs, each related on its own."""
    from newstrace.pipeline import _read
    from newstrace.stages.prepare import prepare_document
    from newstrace.stages.relate.context import ENGLISH_MODEL, RelateContext
    from newstrace.stages.relate.pair import relate
    from newstrace.stages.static import get_static_embedder, pair_score
    from newstrace.stages.vectors import embed_texts
    from newstrace.types import InputError

    rng = random.Random(7)
    rows = []
    for cls in ("01-no-plagiarism", "03-random-obfuscation", "04-translation-obfuscation", "05-summary-obfuscation"):
        lines = [x.split() for x in (root / cls / "pairs").read_text().splitlines() if x.strip()]
        for susp, src in rng.sample(lines, min(per_class, len(lines))):
            errors: list[InputError] = []
            docs = _read([root / "susp" / susp, root / "src" / src], errors)
            if len(docs) != 2 or any(d.language not in (None, "en") for d in docs):
                print(f"skipped {cls} {susp} {src}: {errors or 'not two English documents'}")
                continue
            for d in docs:
                prepare_document(d, frozenset(), forensics=False)
            a, b = docs
            if a.language != "en" or b.language != "en":
                continue
            va, vb = embed_texts(ENGLISH_MODEL, [a, b], threads=2)
            sa, sb = get_static_embedder().documents([a, b])
            with_vectors = _outcome(relate(a, b, RelateContext(vectors=(va, vb), model=ENGLISH_MODEL)))
            words = _outcome(relate(a, b, RelateContext()))
            rows.append((pair_score(sa, sb), with_vectors is not None, with_vectors != words, min(len(sa), len(sb))))
            print(f"{cls} {susp} {src}: score {rows[-1][0]:.3f}, related {rows[-1][1]}, vectors changed it {rows[-1][2]}")
    return rows


def report(name: str, rows: list[Row]) -> None:
    from newstrace.stages.static import PRESELECT, PreselectConfig, needs_vectors

    changed = [s for s, _, c, _ in rows if c]
    related = [s for s, r, _, _ in rows if r]
    print(f"{name}: {len(rows)} pairs, {len(related)} related with vectors, {len(changed)} changed by the vectors")
    if changed:
        print(f"  least score of a pair the vectors changed: {min(changed):.3f}")
    if related:
        print(f"  least score of a related pair: {min(related):.3f}")
    for floor in (0.80, 0.85, 0.88, 0.90):
        kept = sum(s >= floor for s, _, _, _ in rows)
        lost = sum(s < floor for s, _, c, _ in rows if c)
        print(f"  floor {floor:.2f}: {kept} pairs get vectors, {lost} changed pairs left to words")
    for short in (0, PRESELECT.short):
        config = PreselectConfig(short=short)
        kept = sum(needs_vectors(s, n, config) for s, _, _, n in rows)
        lost = sum(not needs_vectors(s, n, config) for s, _, c, n in rows if c)
        print(f"  needs_vectors (pair_min {config.pair_min}, short {short}): {kept} pairs get vectors, "
              f"{lost} changed pairs left to words")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", default=str(SHARED / "bbc-news"))
    ap.add_argument("--ecb", default=str(SHARED / "ecbplus-dev" / "ecbplus_dev.jsonl"))
    ap.add_argument("--pan", default=str(SHARED / "pan13-train"))
    ap.add_argument("--pan-pairs", type=int, default=12, help="pairs per PAN class (0: skip PAN)")
    ap.add_argument("--skip-bbc", action="store_true")
    ap.add_argument("--skip-ecb", action="store_true")
    args = ap.parse_args()
    for name, path, skip in (("BBC News", args.bbc, args.skip_bbc), ("ECB+ dev", args.ecb, args.skip_ecb)):
        if skip:
            continue
        if Path(path).exists():
            report(f"{name} lexical pairs", collection(Path(path)))
        else:
            print(f"skipped {name}: not found at {path}")
    if args.pan_pairs:
        if Path(args.pan).is_dir():
            report("PAN 2013 sample", pan(Path(args.pan), args.pan_pairs))
        else:
            print(f"skipped PAN: not found at {args.pan}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
