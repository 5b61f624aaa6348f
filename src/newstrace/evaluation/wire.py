"""A wire story copied n times, hidden among BBC News: the collection ``benchmarks/bench_wire.py``
and the integration tests scan, and how its families are scored.

The original is one BBC article.  Half the copies are first-generation: the original with the
copying site's header and footer, truncated at a random sentence (keeping 50–100 %) and a few
light edits (a word replaced, dropped or doubled).  The other half are second-generation: a copy
of a random first-generation copy — the parent's whole text, its site lines included — with its
own truncation, edits and site lines.  Every copy is published one to three days after its
parent.  The truth records each copy's parent.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from newstrace.types import Family

__all__ = ["WireTruth", "build_wire_collection", "score_wire"]

ORIGINAL_ID = "wire-original"
_SITES = ("Daily", "Herald", "Gazette", "Post", "Courier", "Observer", "Tribune", "Express", "Monitor", "Ledger")
_FILLERS = ("also", "reportedly", "indeed", "now", "still", "further", "recently", "officially")


@dataclass(slots=True)
class WireTruth:
    """Who copied whom: ``parent[copy] = its source``; ``generation[copy]`` is 1 or 2."""

    original: str = ORIGINAL_ID
    parent: dict[str, str] = field(default_factory=dict)
    generation: dict[str, int] = field(default_factory=dict)
    background: list[str] = field(default_factory=list)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _edit(text: str, rng: random.Random, k: int) -> str:
    words = text.split(" ")
    for _ in range(k):
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.4:
            words[i] = rng.choice(_FILLERS) + " " + words[i]
        elif op < 0.7 and len(words) > 20:
            del words[i]
        else:
            words[i] = words[i] + " " + words[i].strip(".,;:\"'")
    return " ".join(words)


def _copy(text: str, site: str, rng: random.Random, title: str | None) -> str:
    if title:
        text = f"{title}\n\n{text}"
    paras = [p for p in text.split("\n") if p.strip()]
    sents = [(pi, s) for pi, p in enumerate(paras) for s in _sentences(p)]
    keep = max(3, round(len(sents) * rng.uniform(0.5, 1.0)))
    kept: dict[int, list[str]] = {}
    for pi, s in sents[:keep]:
        kept.setdefault(pi, []).append(s)
    body = "\n\n".join(" ".join(v) for _, v in sorted(kept.items()))
    body = _edit(body, rng, 3)
    return (f"{site} News | Home | World | Business | Contact {site}\n\n{body}\n\n"
            f"This story was republished by {site}. Follow {site} for more.")


def build_wire_collection(out: str | Path, n: int, bbc: str | Path, *, background: int = 500,
                          seed: int = 0, dated: bool = True, original: str = "business/001.txt") -> WireTruth:
    """Write ``collection.jsonl`` under ``out``: ``background`` BBC articles, the original and ``n`` copies.

    Args:
        out: a directory (created).
        n: number of copies (half first-, half second-generation).
        bbc: the BBC News folder.
        background: BBC articles added besides the original (sorted paths, every k-th).
        seed: the random seed of truncations, edits and parents.
        dated: give every article a published date (copies after their parents).
        original: the BBC file copied.
    """
    rng = random.Random(seed)
    root = Path(bbc)
    files = sorted(p for p in root.rglob("*.txt") if p.relative_to(root).as_posix() != original)
    step = max(1, len(files) // max(1, background))
    truth = WireTruth()
    rows: list[dict[str, Any]] = []
    day0 = date(2024, 3, 1)
    for k, p in enumerate(files[::step][:background]):
        text = p.read_bytes().decode("utf-8", errors="replace")
        doc_id = "bbc-" + p.relative_to(root).as_posix().replace("/", "-")
        truth.background.append(doc_id)
        rows.append({"id": doc_id, "text": text,
                     **({"published": (day0 - timedelta(days=30 + k % 300)).isoformat()} if dated else {})})
    orig_text = (root / original).read_text(encoding="utf-8", errors="replace")
    title, _, body = orig_text.partition("\n")
    rows.append({"id": ORIGINAL_ID, "title": title.strip(), "text": orig_text,
                 **({"published": day0.isoformat()} if dated else {})})
    texts = {ORIGINAL_ID: body.strip()}
    days = {ORIGINAL_ID: day0}
    first = (n + 1) // 2
    for i in range(n):
        cid = f"wire-copy-{i:05d}"
        if i < first:
            parent, gen = ORIGINAL_ID, 1
        else:
            parent, gen = f"wire-copy-{rng.randrange(first):05d}", 2
        site = f"{rng.choice(_SITES)}{i}"
        texts[cid] = _copy(texts[parent], site, rng, title.strip() if parent == ORIGINAL_ID else None)
        days[cid] = days[parent] + timedelta(days=rng.randint(1, 3))
        truth.parent[cid] = parent
        truth.generation[cid] = gen
        rows.append({"id": cid, "title": title.strip(), "text": texts[cid],
                     **({"published": days[cid].isoformat()} if dated else {})})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "collection.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return truth


def score_wire(families: Sequence[Family], truth: WireTruth) -> dict[str, Any]:
    """How the families recovered the wire story: one family, its root, each copy's parent."""
    copies = set(truth.parent)
    holding = [f for f in families if copies & set(f.members)]
    fam = max(holding, key=lambda f: len(copies & set(f.members)), default=None)
    if fam is None:
        return {"families_holding_copies": 0, "copies_in_family": 0, "root_is_original": False,
                "parent_accuracy_gen1": 0.0, "parent_accuracy_gen2": 0.0}
    parent = {e.target: e.source for e in fam.edges if e.primary}
    by_gen: dict[int, list[bool]] = {1: [], 2: []}
    for c, p in truth.parent.items():
        by_gen[truth.generation[c]].append(parent.get(c) == p)
    return {
        "families_holding_copies": len(holding),
        "copies_in_family": len(copies & set(fam.members)),
        "copies": len(copies),
        "family_size": len(fam.members),
        "background_in_family": len(set(truth.background) & set(fam.members)),
        "root": fam.root,
        "root_is_original": fam.root == truth.original,
        "parent_accuracy_gen1": round(sum(by_gen[1]) / max(1, len(by_gen[1])), 4),
        "parent_accuracy_gen2": round(sum(by_gen[2]) / max(1, len(by_gen[2])), 4),
    }
