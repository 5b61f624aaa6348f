"""Link a batch holding cross-language pairs into an index: seconds, pairs, translations, peak memory.

    python benchmarks/bench_crosslang_add.py INDEX.db [--pairs 10]

Adds the first ``--pairs`` Spanish PAN-PC-11 fragments and their English translations
(``../shared/data/pan11-crosslang/pairs.jsonl``) to the store at ``INDEX.db`` (use a copy: the
store keeps them) and links them with ``link(only=...)``, 2 workers, the models embedding the new
documents.  Their pairs cross languages, so their translation backgrounds are computed; the
peak resident memory (``VmHWM``) shows whether that reads the whole index (it did before the
sampled pools of ``vectors.background_pool``).  Run it with ``PYTHONPATH`` on another source tree
to measure that code on another copy of the same index.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

SHARED = Path(os.environ.get("NEWSTRACE_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")


def main() -> int:
    from newstrace.pipeline import add_documents, link
    from newstrace.store import Store
    from newstrace.types import Document

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--pairs", type=int, default=10)
    args = ap.parse_args()
    path = SHARED / "data" / "pan11-crosslang" / "pairs.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][: args.pairs]
    docs = []
    for i, r in enumerate(rows):
        docs.append(Document(id=f"x/{i}-es", raw=r["source_text"], language="es"))
        docs.append(Document(id=f"x/{i}-en", raw=r["target_text"], language="en"))
    with Store(args.db) as store:
        n = store.document_count()
        stats = add_documents(store, docs, workers=2, forensics=False)
        t = time.perf_counter()
        plan: dict[str, int] = {}
        found = link(store, only=set(stats.added_ids), workers=2, changes=False, semantic=True, stats=plan)
        seconds = time.perf_counter() - t
    langs = {d.id: d.language for d in docs}
    cross = sum(1 for r in found if r.source in langs and r.target in langs and langs[r.source] != langs[r.target])
    with open("/proc/self/status", encoding="ascii") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    print(json.dumps({"index_documents": n, "link_s": round(seconds, 1), "alignments": plan.get("alignments"),
                      "relations": len(found), "cross_language_relations": cross, "peak_mb": round(peak)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
