"""A story rewritten by n sites that share sentences but no shingle bands: O(n) alignments.

    python benchmarks/bench_spun_family.py [--n 100 300] [--background 500] [--bbc DIR]

One BBC article (the first, in path order, with at least 16 sentences) is rewritten n times:
each rewrite keeps a random half of its sentences in a random order and swaps about a fifth of
its words for a WordNet synonym, as an article spinner does.  The rewrites fall out of each
other's shingle buckets (few 5-grams survive) but share sentences, so only the sentence channel
pairs them.  With ``--background`` other BBC articles, the collection is scanned twice in the
same run, each in a fresh process (``--lexical-only --no-changes``, 2 workers):

* ``nearest``: the candidate plan as shipped: a document the sentence channel pairs with more
  than 12 documents read before it is aligned with the 3 nearest of them
  (``candidates.nearest_earlier``);
* ``all``: every sentence-channel pair aligned (``plan_pairs(sentence_small=huge)``), the plan
  before that rule.

One JSON line per n and plan: alignments, relations between rewrites (and the original),
the families holding rewrites and the share of rewrites in the largest, wall time, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BBC = ROOT.parent / "shared" / "data" / "bbc-news"
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")

RUN = r"""
import functools, json, resource, sys, time
import newstrace.pipeline as pipeline
from newstrace.stages.candidates import plan_pairs
if sys.argv[2] == "all":
    pipeline.plan_pairs = functools.partial(plan_pairs, sentence_small=10**9)
t = time.perf_counter()
r = pipeline.scan([sys.argv[1]], workers=2, semantic=False, changes=False)
dt = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
story = lambda d: d.startswith(("rewrite-", "original"))
rewrites = {d.id for d in r.documents if d.id.startswith("rewrite-")}
holding = sorted((len(rewrites & set(f.members)) for f in r.families if rewrites & set(f.members)), reverse=True)
s = r.stats
print(json.dumps({"plan": sys.argv[2], "documents": len(r.documents), "seconds": round(dt, 1),
                  "peak_mb": round(peak / 1024), "alignments": s.get("alignments", 0) + s.get("alignments_parents", 0),
                  "sentence_nearest": s.get("plan_sentence_nearest"), "relations": len(r.relations),
                  "relations_in_story": sum(story(x.source) and story(x.target) for x in r.relations),
                  "families_holding_rewrites": len(holding),
                  "rewrites_in_largest": round(holding[0] / len(rewrites), 3) if holding else 0.0}))
"""


def spin(text: str, rng: random.Random, wn: object) -> str:
    """About a fifth of the words swapped for a WordNet synonym, where WordNet has one."""
    out = []
    for word in text.split(" "):
        core = word.strip(".,;:!?\"'()")
        if core.isalpha() and core.islower() and len(core) > 3 and rng.random() < 0.2:
            names = sorted({lemma.name() for syn in wn.synsets(core) for lemma in syn.lemmas()}  # type: ignore[attr-defined]
                           - {core})
            names = [n for n in names if "_" not in n]
            if names:
                word = word.replace(core, rng.choice(names))
        out.append(word)
    return " ".join(out)


def build(folder: Path, n: int, bbc: Path, background: int, seed: int) -> None:
    from newstrace.stages.changes.resources import wordnet

    wn = wordnet()
    rng = random.Random(seed)
    files = sorted(bbc.glob("*/*.txt"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    pick = next(i for i, t in enumerate(texts) if len(_SENT_RE.split(t)) >= 16)
    title, _, body = texts[pick].partition("\n")
    sentences = [s for s in _SENT_RE.split(body.strip()) if s.strip()]
    (folder / "original.txt").write_text(texts[pick], encoding="utf-8")
    for k in range(n):
        kept = rng.sample(sentences, len(sentences) // 2)
        (folder / f"rewrite-{k:04d}.txt").write_text(
            spin(title, rng, wn) + "\n\n" + " ".join(spin(s, rng, wn) for s in kept), encoding="utf-8")
    others = [i for i in range(len(texts)) if i != pick]
    for i in rng.sample(others, min(background, len(others))):
        (folder / f"bbc-{files[i].parent.name}-{files[i].stem}.txt").write_text(texts[i], encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--background", type=int, default=500)
    ap.add_argument("--bbc", default=str(DEFAULT_BBC))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not Path(args.bbc).is_dir():
        print(f"bench_spun_family: {args.bbc}: BBC News folder not found", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp), n, Path(args.bbc), args.background, args.seed)
            for plan in ("nearest", "all"):
                out = subprocess.run([sys.executable, "-c", RUN, tmp, plan], capture_output=True, text=True,
                                     env=env, check=False)
                if out.returncode:
                    print(json.dumps({"n": n, "plan": plan, "error": out.stderr.strip().splitlines()[-1:]}))
                    continue
                print(json.dumps({"n": n, **json.loads(out.stdout.strip().splitlines()[-1])}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
