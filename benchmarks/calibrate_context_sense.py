"""Calibrate CONTEXT_COSINE (stages/changes/context_sense.py) on the iSTS train split.

    python benchmarks/calibrate_context_sense.py ../shared/data/ists2016-train [--limit N]

For every single-word substitution that ``diff_passage`` calls a same-sense ``synonym`` (or, with ``--kind rewording``, an unrelated harmless rewording), the gold
chunk pair it falls in gives the label (EQUI: the meaning is kept; any other type: changed) and
the encoder gives the cosine of the sentence with and without the substitute.  Prints, per
threshold, how many substitutions fall below it and the precision of calling them changes.
Two halves (odd/even pairs) are reported apart, so the threshold is checked on held-out pairs.
"""

from __future__ import annotations

import argparse
import sys

from newstrace.evaluation.ists import _chunk_span, _overlaps, _spans, find_domains, load_domain
from newstrace.stages.changes import diff_passage
from newstrace.stages.changes.context_sense import substitution_similarity


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--kind", default="synonym", help="harmless kind to calibrate on: synonym or rewording")
    args = ap.parse_args()
    rows: list[tuple[int, float, bool, str]] = []
    for domain, (s1, s2, wa) in sorted(find_domains(args.folder).items()):
        pairs = load_domain(s1, s2, wa)[: args.limit]
        for k, p in enumerate(pairs):
            sp1, sp2 = _spans(p.tokens1), _spans(p.tokens2)
            for c in diff_passage(p.text1, p.text2):
                if c.kind != args.kind or " " in c.source_text or " " in c.target_text or not c.source_text \
                        or not c.target_text:
                    continue
                gold = [t for ids1, ids2, t, _ in p.gold if ids1 and ids2
                        and _overlaps(_chunk_span(ids1, sp1), c.source_span)
                        and _overlaps(_chunk_span(ids2, sp2), c.target_span)]
                if not gold:
                    continue
                sim = substitution_similarity(p.text1, c.source_span[0], c.source_span[1], c.target_text)
                if sim is None:
                    sys.stderr.write("encoder unavailable\n")
                    return 1
                rows.append((k % 2, sim, not gold[0].startswith("EQUI"), f"{domain}: {c.source_text}->{c.target_text}"))
    for half in (0, 1):
        part = [r for r in rows if r[0] == half]
        pos = sum(r[2] for r in part)
        print(f"half {half}: {len(part)} synonym substitutions, {pos} in non-EQUI chunks")
        for th in (0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.96):
            below = [r for r in part if r[1] < th]
            tp = sum(r[2] for r in below)
            print(f"  cos < {th:.2f}: {len(below):4d} flagged, precision {tp / len(below) if below else 0:.2f}, "
                  f"recall {tp / pos if pos else 0:.2f}")
    for r in sorted(rows, key=lambda r: r[1])[:15]:
        print(f"  {r[1]:.3f} {'CHANGE' if r[2] else 'equi  '} {r[3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
