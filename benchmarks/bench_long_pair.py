"""Peak memory and time of aligning one very long pair: N BBC articles concatenated, and a copy.

The issue-10 reproduction: 622 different BBC articles in one file (about 1.2M characters)
and its copy.  The aligner used to build dense sentence x sentence matrices (5 GB for this
pair); it now keeps only the sentence pairs that pass a threshold, computed in bounded
blocks of rows.  Run it against any checkout to compare (one process per measure, so the
peak is the pair's own)::

    PYTHONPATH=/work/main/src .venv/bin/python benchmarks/bench_long_pair.py ../shared/data/bbc-news  # before
    PYTHONPATH=src .venv/bin/python benchmarks/bench_long_pair.py ../shared/data/bbc-news              # after

Measured (2 shared cores, load ~17): 1,206,351 characters, 10,193 sentences, 1 passage;
peak 4,832 MB in 101 s before, 277 MB in 121 s after.  ``newstrace scan`` of the pair with
``--lexical-only --no-changes --max-article-chars 2000000``: 497 MB peak (the issue measured
5.0 GB); relate's own sentence checks then run past ``--pair-seconds`` (120), and the pair is
reported in ``errors``.

Prints the characters, sentences, passages found, seconds and peak RSS (MB) of ``align``
with the default settings (lexical; ``--relate`` also runs ``relate`` on the two cleaned
documents, as ``scan --lexical-only --no-changes`` does when the article limit is raised).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def build(root: Path, n: int) -> str:
    files = sorted(p for p in root.rglob("*.txt"))[:n]
    return "\n\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def measure(root: Path, n: int, what: str) -> dict[str, object]:
    text = build(root, n)
    copy = text
    t0 = time.perf_counter()
    if what == "align":
        from newstrace.stages.align import align
        from newstrace.stages.text import split_sentences

        found = align(text, copy)
        out: dict[str, object] = {"passages": len(found), "sentences": len(split_sentences(text))}
    else:
        from newstrace.stages.clean import clean
        from newstrace.stages.ingest import document_from_text
        from newstrace.stages.relate import relate

        a = document_from_text("a", text)
        b = document_from_text("b", copy)
        clean(a)
        clean(b)
        r = relate(a, b)
        out = {"relation": None if r is None else r.type, "passages": 0 if r is None else len(r.passages)}
    out.update(what=what, chars=len(text), seconds=round(time.perf_counter() - t0, 1),
               peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bbc", type=Path, help="the BBC News folder (../shared/data/bbc-news)")
    ap.add_argument("--articles", type=int, default=622, help="articles concatenated (622: ~1.2M chars)")
    ap.add_argument("--relate", action="store_true", help="also measure relate() on the cleaned pair")
    ap.add_argument("--child", choices=("align", "relate"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.bbc, args.articles, args.child)))
        return
    for what in ("align", "relate") if args.relate else ("align",):
        res = subprocess.run([sys.executable, __file__, str(args.bbc), "--articles", str(args.articles),
                              "--child", what], capture_output=True, text=True, check=False)
        print(res.stdout.strip() or f"{what}: failed ({res.returncode}): {res.stderr.strip()[-400:]}")


if __name__ == "__main__":
    main()
