"""How well translations that alter a figure, a name or a date are caught.

The PAN-PC-11 Spanish→English pairs (``pairs.jsonl``: a Spanish source fragment and its English
translation) are turned into two sets:

* **unaltered**: each pair as it is: any ``meaning`` change found there is a false flag;
* **altered**: each pair with exactly one number, month name or personal/place name of the
  English side replaced (a generator with a fixed seed picks the kind and the occurrence among
  those the pair has: a number gets another value, a month another month, a name that also
  appears in the Spanish side another name, from a fixed list).

Each pair is aligned with the production cross-language aligner
(:func:`~newstrace.stages.semantic.align_semantic` over ``e5-small`` sentence vectors), made a
``translation`` relation and given to :func:`~newstrace.stages.changes.annotate_relation`.
An alteration is caught when a ``meaning`` change's target span covers the replaced text.

Usage: ``python -m newstrace.evaluation.crosslang_alter PAIRS.jsonl [--limit N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from newstrace.evaluation.crosslang import load_pairs
from newstrace.stages.changes import annotate_relation
from newstrace.stages.changes.facts import _fold
from newstrace.types import Direction, Document, Passage, Relation

__all__ = ["AlterResult", "Alteration", "alter", "evaluate", "main"]

_MONTHS = ("January February March April May June July August September October November "
           "December").split()
# Replacement names: unlikely in 19th-century Spanish prose, so never already in a pair.
_NAMES = ("Okonkwo", "Lindqvist", "Tanaka", "Kowalczyk", "Haraldsen", "Nakamura", "Adeyemi", "Virtanen")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?![\w.,]\d)")
_WORD = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b")


@dataclass(frozen=True, slots=True)
class Alteration:
    kind: str  # "number", "date" or "name"
    start: int  # span of the new text in the altered target
    end: int
    old: str
    new: str


def _candidates(source: str, target: str) -> list[tuple[str, int, int, str]]:
    out = [("number", m.start(), m.end(), m.group()) for m in _NUMBER.finditer(target)]
    out += [("date", m.start(), m.end(), m.group()) for m in re.finditer(r"\b(?:" + "|".join(_MONTHS) + r")\b", target)]
    folded = _fold(source)
    out += [("name", m.start(), m.end(), m.group()) for m in _WORD.finditer(target)
            if m.group() not in _MONTHS and _fold(m.group()) in folded]
    return out


def alter(source: str, target: str, rng: random.Random) -> tuple[str, Alteration] | None:
    """The target with one figure, date or name replaced, or ``None`` when it has none."""
    cands = _candidates(source, target)
    if not cands:
        return None
    kinds = sorted({c[0] for c in cands})
    kind = rng.choice(kinds)
    _, s, e, old = rng.choice([c for c in cands if c[0] == kind])
    if kind == "number":
        new = str(int(old) + rng.choice((1, 2, 3, 7, 10)))
    elif kind == "date":
        new = rng.choice([m for m in _MONTHS if m != old])
    else:
        new = rng.choice([n for n in _NAMES if n not in target])
    return target[:s] + new + target[e:], Alteration(kind, s, s + len(new), old, new)


def _relation(src: str, tgt: str, embedder: object) -> tuple[Document, Document, Relation, bool]:
    from newstrace.stages.semantic import align_semantic
    from newstrace.stages.text import split_sentences

    a_sents, b_sents = split_sentences(src), split_sentences(tgt)
    enc = embedder.encode  # type: ignore[attr-defined]
    alignments = align_semantic(a_sents, b_sents, enc([s.text for s in a_sents]), enc([s.text for s in b_sents]),
                                src_text=src, tgt_text=tgt, src_language="es", tgt_language="en",
                                cross_language=True)
    aligned = bool(alignments)
    spans = [(a.source_span, a.target_span, a.similarity) for a in alignments] or [((0, len(src)), (0, len(tgt)), 0.0)]
    passages = tuple(Passage(s, t, src[s[0]:s[1]], tgt[t[0]:t[1]], sim) for s, t, sim in spans)
    a = Document(id="es", raw=src, language="es", text=src)
    b = Document(id="en", raw=tgt, language="en", text=tgt)
    rel = Relation("es", "en", "translation", 1.0, Direction("undetermined", ""), 1.0, 1.0, passages)
    return a, b, rel, aligned


@dataclass(frozen=True, slots=True)
class AlterResult:
    pairs: int
    altered: int  # pairs with an alteration (those with a number, date or name)
    caught: int  # ... whose alteration a meaning change covers
    by_kind: dict[str, tuple[int, int]]  # kind -> (caught, altered)
    unaltered_flagged: int  # unaltered pairs with at least one meaning change (false flags)
    false_changes: int  # meaning changes on the unaltered pairs
    aligned: int  # pairs the cross-language aligner aligned (the rest: one whole-text passage)

    @property
    def recall(self) -> float:
        return self.caught / self.altered if self.altered else 0.0


def evaluate(pairs_path: str, *, limit: int | None = None, seed: int = 0, embedder: str = "e5-small") -> AlterResult:
    """Recall of the alterations and false flags on the unaltered pairs (see the module doc)."""
    from newstrace.stages.embed import get_embedder

    emb = get_embedder(embedder)
    rng = random.Random(seed)
    pairs = load_pairs(pairs_path, limit)
    altered = caught = flagged = false_changes = aligned_n = 0
    by_kind: dict[str, list[int]] = {}
    for pair in pairs:
        a, b, rel, aligned = _relation(pair.source, pair.target, emb)
        aligned_n += aligned
        found = [c for p in annotate_relation(a, b, rel).passages for c in p.changes if c.severity == "meaning"]
        false_changes += len(found)
        flagged += bool(found)
        made = alter(pair.source, pair.target, rng)
        if made is None:
            continue
        text, alt = made
        a, b, rel, _ = _relation(pair.source, text, emb)
        hits = [c for p in annotate_relation(a, b, rel).passages for c in p.changes
                if c.severity == "meaning" and c.target_span[0] < alt.end and alt.start < c.target_span[1]]
        altered += 1
        caught += bool(hits)
        k = by_kind.setdefault(alt.kind, [0, 0])
        k[0] += bool(hits)
        k[1] += 1
    return AlterResult(len(pairs), altered, caught, {k: (v[0], v[1]) for k, v in sorted(by_kind.items())},
                       flagged, false_changes, aligned_n)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m newstrace.evaluation.crosslang_alter", description=__doc__)
    ap.add_argument("pairs")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    r = evaluate(args.pairs, limit=args.limit, seed=args.seed)
    out = {"pairs": r.pairs, "altered": r.altered, "caught": r.caught, "recall": round(r.recall, 3),
           "by_kind": r.by_kind, "unaltered_flagged": r.unaltered_flagged, "false_changes": r.false_changes,
           "aligned": r.aligned}
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
