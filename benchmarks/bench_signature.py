"""The rewrite signature against an older version of it: identical items, and what each costs.

    python benchmarks/bench_signature.py [--against REF] [--bbc 60] [--pan 50]

The older code is taken from git (``git archive REF src``, default ``ffab639``: the last
commit before the deep checks were screened) into a temporary folder; each tree runs in its
own subprocess on the same fixed sample (the first ``--bbc`` files of each BBC category, the
seeds, the first ``--pan`` PAN-13 suspicious documents and the first ``--pan`` of its
random-obfuscation class, where spinner-like noun-slot traces are, all sorted by name), with the language
``detect_language`` gives.  Both compute ``rewrite_signature(text, language=..., deep=True)``
twice per document; the second pass is timed (CPU time, so the shared machine's load weighs
less), split into the pattern checks (``deep=False``), the noun-slot check and the
foreign-sentence check.  The items must be identical document by document: the script lists
every difference and exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"

RUN = r"""
import json, sys, time
from newstrace.stages.ingest import detect_language
from newstrace.stages import signature as sg
paths = json.loads(sys.stdin.read())
texts = [open(p, encoding="utf-8", errors="replace").read() for p in paths]
langs = [detect_language(t) or "en" for t in texts]
items = [sg.rewrite_signature(t, language=lang) for t, lang in zip(texts, langs)]  # warm-up pass
def cpu(fn):
    t = time.process_time()
    for text, lang in zip(texts, langs):
        fn(text, lang)
    return time.process_time() - t
out = {
    "items": items,
    "deep": cpu(lambda t, lang: sg.rewrite_signature(t, language=lang)),
    "shallow": cpu(lambda t, lang: sg.rewrite_signature(t, language=lang, deep=False)),
    "noun_slot": cpu(lambda t, lang: sg._noun_slot_misfits(t) if lang == "en" else None),
    "foreign": cpu(lambda t, lang: sg._foreign_sentences(t, lang)),
}
print(json.dumps(out))
"""


def _sample(bbc: int, pan: int) -> list[Path]:
    corpus = DATA / "bbc-news"
    files = [f for cat in sorted(p for p in corpus.iterdir() if p.is_dir()) for f in sorted(cat.glob("*.txt"))[:bbc]]
    files += sorted(SEEDS.glob("*.txt"))
    susp = DATA / "pan13-train" / "susp"
    first = sorted(susp.glob("*.txt"))[:pan]
    pairs = (DATA / "pan13-train" / "03-random-obfuscation" / "pairs").read_text().split("\n")
    spun = sorted({susp / line.split()[0] for line in pairs if line.strip()})[:pan]
    files += sorted(set(first) | set(spun))
    return files


def _run(src: Path, paths: list[Path]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", RUN], input=json.dumps([str(p) for p in paths]),
                         capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", default="ffab639", help="git ref of the older code (default ffab639)")
    ap.add_argument("--bbc", type=int, default=60, help="files per BBC category (default 60: 300 articles)")
    ap.add_argument("--pan", type=int, default=50,
                    help="PAN-13 suspicious documents, of all and of random obfuscation (default 50 each)")
    args = ap.parse_args()
    if not (DATA / "bbc-news").is_dir():
        print(f"bench_signature: {DATA / 'bbc-news'} is missing: nothing to measure", file=sys.stderr)
        return 2
    paths = _sample(args.bbc, args.pan)
    with tempfile.TemporaryDirectory(prefix="newstrace-bench-signature-") as tmp:
        archive = Path(tmp) / "src.tar"
        subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), args.against, "src"], check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        runs = {"before": _run(Path(tmp) / "src", paths), "after": _run(ROOT / "src", paths)}
    n = len(paths)
    print(f"{n} documents ({args.bbc} per BBC category, {len(list(SEEDS.glob('*.txt')))} seeds, "
          f"PAN-13 suspicious: the first {args.pan} and the first {args.pan} of random obfuscation); "
          "CPU ms per document, second pass")
    for tree, r in runs.items():
        print(f"  {tree:6} whole signature {1000 * float(r['deep']) / n:7.2f}  pattern checks "  # type: ignore[arg-type]
              f"{1000 * float(r['shallow']) / n:6.2f}  noun-slot {1000 * float(r['noun_slot']) / n:7.2f}  "  # type: ignore[arg-type]
              f"foreign sentences {1000 * float(r['foreign']) / n:6.2f}")  # type: ignore[arg-type]
    before, after = runs["before"]["items"], runs["after"]["items"]
    assert isinstance(before, list) and isinstance(after, list)
    diffs = [(p, b, a) for p, b, a in zip(paths, before, after, strict=True) if b != a]
    deep_items = sum(1 for items in before for i in items if i["trace"] in (
        "words forced into a noun slot", "sentences in another language"))
    print(f"items: {sum(map(len, before))} before, {sum(map(len, after))} after "
          f"({deep_items} from the deep checks before); documents that differ: {len(diffs)}")
    for p, b, a in diffs:
        print(f"  {p}:\n    before {json.dumps(b)[:400]}\n    after  {json.dumps(a)[:400]}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
