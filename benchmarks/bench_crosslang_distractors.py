"""Translations among unrelated news: the 70 PAN-PC-11 fragments scanned with BBC News distractors.

    python benchmarks/bench_crosslang_distractors.py [--every 11] [--workers 2]

The 35 Spanish source fragments and their English translations
(``../shared/data/pan11-crosslang/pairs.jsonl``) are written out as 70 documents with opaque
names, as in ``tests/integration/test_translation_scan.py``, next to every ``--every``-th BBC
News article (path order, exact duplicates dropped: 200 articles at the default), and the
whole folder is scanned once with the ordinary pipeline (``newstrace.pipeline.scan``).

Reported: fragment groups traced as ``translation`` (two lines of the file translate
overlapping text of one source and form one group, so 34 groups), false relations (any
relation between documents of different groups, fragments or articles; a relation between
two articles counts as false unless they share at least a tenth of their word 5-grams, the
BBC reference of ``tests/integration/test_bbc.py``), and the time taken.  Exit status 1 if a
group is not traced or a false relation appears.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default=str(DATA / "pan11-crosslang" / "pairs.jsonl"))
    parser.add_argument("--bbc", default=str(DATA / "bbc-news"))
    parser.add_argument("--every", type=int, default=11, help="take every N-th BBC article (default 11: 200)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    pairs, bbc = Path(args.pairs), Path(args.bbc)
    if not pairs.is_file() or not bbc.is_dir():
        print(f"SKIP: {pairs} or {bbc} not found")
        return 0

    from newstrace.evaluation.crosslang import write_scan_collection
    from newstrace.evaluation.overlap import overlaps
    from newstrace.pipeline import scan

    with tempfile.TemporaryDirectory(prefix="newstrace-crosslang-bbc-") as tmp:
        group, distractors = write_scan_collection(pairs, tmp, distractors=bbc, every=args.every)
        t = time.perf_counter()
        result = scan([tmp], workers=args.workers, changes=False)
        seconds = time.perf_counter() - t
    langs = {d.id: d.language for d in result.documents}
    texts = {d.id: d.text for d in result.documents}
    copies = overlaps({i: texts[i] for i in distractors if i in texts})
    groups = set(group.values())
    traced: set[int] = set()
    false = []
    by_type: dict[str, int] = {}
    for r in result.relations:
        by_type[r.type] = by_type.get(r.type, 0) + 1
        gs, gt = group.get(r.source), group.get(r.target)
        if gs is None and gt is None:
            overlap = copies.get(tuple(sorted((r.source, r.target))))  # type: ignore[arg-type]
            if overlap is None or overlap.containment < 0.1:
                false.append(r)
        elif gs != gt:
            false.append(r)
        elif r.type == "translation" and {langs[r.source], langs[r.target]} == {"es", "en"} \
                and any("languages" in e for e in r.evidence):
            traced.add(gt)  # type: ignore[arg-type]
    print(f"{len(result.documents)} documents ({len(group)} fragments, {len(distractors)} BBC articles; "
          f"languages {sorted({str(x) for x in langs.values()})}), scanned in {seconds:.0f} s "
          f"(ingest {result.stats.get('seconds_ingest')} s, relate {result.stats.get('seconds_relate')} s), "
          f"workers {args.workers}")
    print(f"relations: {len(result.relations)} {by_type}")
    print(f"traced as translation: {len(traced)}/{len(groups)} fragment groups")
    print(f"false relations: {len(false)}")
    for r in false[:10]:
        print(f"  {r.source} -> {r.target} {r.type} {r.evidence}")
    return 0 if len(traced) == len(groups) and not false else 1


if __name__ == "__main__":
    sys.exit(main())
