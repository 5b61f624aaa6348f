"""Calibrate the sentence screen before the aligner (``RelateConfig.screen_sentence_share``).

    python benchmarks/calibrate_sentence_screen.py [--bbc ../shared/data/bbc-news] [--ecb ...]
                                                   [--pan ../shared/data/pan13-train] [--pan-documents 200]

For each corpus, every candidate pair of the whole collection (``plan_pairs``, what a lexical
scan aligns) is related on words with the screen off, and the screen
(``lexical.passes_sentence_screen``) is asked at several shares.  A share is safe when no pair
that gives a relation fails it; what it saves is the pairs without one that fail it (each an
aligner run of 1-8 ms).  Also printed: the lowest ratio, over the relations, of the screen's
share (whole sentences, containment) to the copy test's (passage sentences, Dice), which says
how much margin the chosen share leaves.

* BBC News and ECB+ dev: whole.
* PAN 2013 training: the first ``--pan-documents`` suspicious documents of its pair lists (in
  name order) and every source document they are listed with, as one collection.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SHARES = (0.1, 0.15, 0.21, 0.25, 0.3, 0.42)


def pan_sample(pan: Path, documents: int, into: Path) -> Path:
    """A folder of links to the first ``documents`` suspicious documents and their sources."""
    listed: dict[str, set[str]] = {}
    for pairs in sorted(pan.glob("*/pairs")):
        for line in pairs.read_text().split("\n"):
            if line.strip():
                susp, src = line.split()
                listed.setdefault(susp, set()).add(src)
    chosen = sorted(listed)[:documents]
    names = {(pan / "susp" / s) for s in chosen} | {(pan / "src" / x) for s in chosen for x in listed[s]}
    for path in names:
        (into / path.name).symlink_to(path)
    return into


def collection(corpus: Path) -> dict[str, object]:
    from newstrace.pipeline import _read
    from newstrace.stages.candidates import plan_pairs
    from newstrace.stages.prepare import learn_boilerplate, prepare_document
    from newstrace.stages.relate import relate
    from newstrace.stages.relate.config import DEFAULT_CONFIG
    from newstrace.stages.relate.context import RelateContext, RelateSettings
    from newstrace.stages.relate.lexical import _sentence_sets, passes_sentence_screen, sentence_screen_share
    from newstrace.types import Document, InputError

    def counted(doc: Document) -> int:  # as sentence_share counts a text's sentences
        return len(_sentence_sets(doc.text, doc.language or "en", DEFAULT_CONFIG.sentence_min_terms))

    errors: list[InputError] = []
    docs = list(_read([corpus], errors))
    recurring = learn_boilerplate(docs)
    prepared = [prepare_document(d, recurring, forensics=False) for d in docs]
    by_id = {d.id: d for d, _ in prepared}
    pairs, _ = plan_pairs([fp for _, fp in prepared])
    off = RelateContext(settings=RelateSettings(relate=replace(DEFAULT_CONFIG, screen_sentence_share=0)))
    configs = {s: replace(DEFAULT_CONFIG, screen_sentence_share=s) for s in SHARES}
    kept = dict.fromkeys(SHARES, 0)
    lost = dict.fromkeys(SHARES, 0)
    related = 0
    lowest_ratio = 1.0
    for a_id, b_id in sorted(pairs):
        a, b = by_id[a_id], by_id[b_id]
        long_doc, short_doc = (a, b) if len(a.text) >= len(b.text) else (b, a)
        relation = relate(a, b, off)
        related += relation is not None
        for share, config in configs.items():
            passes = passes_sentence_screen(long_doc, short_doc, config)
            if relation is None:
                kept[share] += passes
            else:
                lost[share] += not passes
        if relation is not None:
            # the screen's share against the copy test's: its strong sentences (the evidence
            # line) over the smaller count of sentences of four terms, as sentence_share counts
            line = next((m for e in relation.evidence if (m := re.match(r"(\d+) sentences closely matched", e))), None)
            strong = int(line.group(1)) if line else 0
            smaller = min(counted(long_doc), counted(short_doc))
            screen = sentence_screen_share(long_doc, short_doc, DEFAULT_CONFIG)
            if screen is not None and strong:
                lowest_ratio = min(lowest_ratio, screen / (strong / max(1, smaller)))
    return {"documents": len(docs), "errors": len(errors), "pairs": len(pairs), "relations": related,
            "kept": kept, "lost": lost, "lowest_ratio": lowest_ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bbc", type=Path, default=SHARED / "bbc-news")
    parser.add_argument("--ecb", type=Path, default=SHARED / "ecbplus-dev")
    parser.add_argument("--pan", type=Path, default=SHARED / "pan13-train")
    parser.add_argument("--pan-documents", type=int, default=200)
    args = parser.parse_args()
    print("share of the pairs without a relation that still go to the aligner / relations lost, at each screen share")
    print(f"{'corpus':>8} | {'docs':>5} | {'pairs':>5} | {'rel':>4} | "
          + " | ".join(f"{s:>11}" for s in SHARES) + " | lowest ratio")
    with tempfile.TemporaryDirectory() as tmp:
        corpora = {"BBC": args.bbc, "ECB+": args.ecb}
        if args.pan.is_dir():
            corpora["PAN"] = pan_sample(args.pan, args.pan_documents, Path(tmp))
        for name, path in corpora.items():
            if not path.exists():
                print(f"{name:>8} | not found at {path}: skipped")
                continue
            r = collection(path)
            negatives = max(1, int(r["pairs"]) - int(r["relations"]))  # type: ignore[call-overload]
            kept, lost = r["kept"], r["lost"]
            cells = [f"{kept[s] / negatives:>6.0%} / {lost[s]:<2}" for s in SHARES]  # type: ignore[index]
            print(f"{name:>8} | {r['documents']:>5} | {r['pairs']:>5} | {r['relations']:>4} | "
                  + " | ".join(cells) + f" | {r['lowest_ratio']:.2f}")


if __name__ == "__main__":
    main()
