"""Cross-language reuse on PAN-PC-11 fragments: does each translation find its own source?

``pairs.jsonl`` holds 35 Spanish source fragments (literary texts) and their English
translations (machine-translated, some manually obfuscated).  They are written out as 70
separate documents under opaque names (nothing in a name or an order tells which belong
together), read back and cleaned by the ordinary ingest and clean stages, split into
sentences, language-identified per sentence, and embedded with the multilingual model.
Optionally, unrelated documents (``--distractors``, e.g. BBC News) join the collection.
Then, for every pair of documents:

* **retrieval**: for each English document, the Spanish document with the closest
  document vector (:func:`~newstrace.stages.semantic.document_vector`) should be its source;
* **translation relations**: :func:`~newstrace.stages.semantic.align_semantic` in
  cross-language mode (forced, even for same-language pairs, so that English-English and
  Spanish-Spanish pairs are tested against the translation threshold too) should align the
  35 true pairs and nothing else.  As in a scan, each sentence's background is measured in the
  collection (:func:`~newstrace.stages.semantic.sentence_backgrounds`, against the documents
  in the other side's language, its own document left out), and a pair is judged by its
  passage margin (``SemanticConfig.crosslang_collection_ratio``) when both sides' languages
  hold at least ``crosslang_k`` sentences outside the pair; otherwise by the pair's own
  background (``crosslang_ratio``).
* **margins**: each pair's passage margin (the highest ``crosslang_collection_ratio`` at
  which it still aligns): the weakest true pair against the strongest false one;
* **no partner**: the same over collections holding the Spanish fragments of some pairs and
  the English fragments of *other* pairs (plus the distractors), where every relation is
  false: the margins false pairs reach when the true translation is absent.

Two pairs of the file translate overlapping text of one source document (one fragment lies
inside another); pairs rendering overlapping text count as neither true nor false.

Usage::

    python -m newstrace.evaluation.crosslang [../shared/data/pan11-crosslang/pairs.jsonl]
        [--distractors DIR --distractor-every N] [--limit N]

How the defaults were chosen: docs/calibration.md ("Cross-language margin").
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newstrace.stages.semantic import SemanticConfig, align_semantic, document_vector, sentence_backgrounds

__all__ = ["CrossLangData", "CrossLangResult", "evaluate", "load_pairs", "main", "no_partner", "prepare",
           "write_scan_collection"]


@dataclass(frozen=True, slots=True)
class CrossLangPair:
    source: str  # Spanish fragment
    target: str  # its English translation
    source_doc: str  # PAN-PC-11 source document id, and the fragment's place in it
    source_offset: int
    source_length: int


def load_pairs(path: str | Path, limit: int | None = None) -> list[CrossLangPair]:
    """The pairs of ``pairs.jsonl`` (Spanish source fragment, English translation)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append(CrossLangPair(d["source_text"], d["target_text"], str(d.get("source_doc_id", "")),
                                         int(d.get("source_offset", 0)), int(d.get("source_length", 0))))
    return out[:limit] if limit else out


def _overlapping(a: CrossLangPair, b: CrossLangPair) -> bool:
    """Whether two fragments come from overlapping text of one source document (PAN-PC-11 has
    a fragment that lies inside another: each translation then renders both)."""
    return bool(a.source_doc) and a.source_doc == b.source_doc and (
        a.source_offset < b.source_offset + b.source_length and b.source_offset < a.source_offset + a.source_length)


@dataclass(slots=True)
class CrossLangData:
    """The 70 documents, embedded: ids, truth and per-document sentences, texts and vectors."""

    ids: list[str]
    truth: set[tuple[str, str]]  # (spanish id, english id): a fragment and its translation
    related: set[tuple[str, str]]  # other pairs rendering overlapping source text (either language)
    texts: dict[str, str]
    spans: dict[str, list[tuple[int, int]]]
    vectors: dict[str, np.ndarray]
    languages: dict[str, str | None]
    embedder: str
    distractors: list[str] = dataclasses.field(default_factory=list)  # ids of the unrelated documents


def prepare(pairs: Sequence[CrossLangPair], *, embedder: str = "e5-small", threads: int | None = None,
            seed: int = 0, distractors: Sequence[str] = ()) -> CrossLangData:
    """Write the fragments as separate documents with opaque names, and run the production
    steps on them (read, recurring-line boilerplate, ``prepare_document``, the sentence vectors
    of ``newstrace.stages.vectors.embed_texts``), with the ``distractors``' texts, unrelated
    to any of them, in the same collection: the thresholds are calibrated on the path ``scan``
    takes."""
    from newstrace.stages.ingest import read_inputs
    from newstrace.stages.prepare import learn_boilerplate, prepare_document
    from newstrace.stages.text import split_sentences
    from newstrace.stages.vectors import embed_texts
    from newstrace.types import Document

    items: list[tuple[int, str, str]] = []
    for k, pair in enumerate(pairs):
        items += [(k, "es", pair.source), (k, "en", pair.target)]
    items += [(-1 - n, "?", text) for n, text in enumerate(distractors)]
    random.Random(seed).shuffle(items)
    name_of: dict[tuple[int, str], str] = {}
    with tempfile.TemporaryDirectory(prefix="newstrace-crosslang-") as tmp:
        for pos, (k, lang, text) in enumerate(items):
            name = f"{hashlib.sha1(f'{seed}:{pos}'.encode()).hexdigest()[:16]}.txt"
            name_of[(k, lang)] = name
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        docs = [d for d in read_inputs([tmp]) if isinstance(d, Document)]
    recurring = learn_boilerplate([], docs)
    docs = [prepare_document(d, recurring, forensics=False)[0] for d in docs]
    by_name = {Path(d.path or d.id).name: d for d in docs}
    doc_id = {key: by_name[name].id for key, name in name_of.items() if name in by_name}
    truth = {(doc_id[(k, "es")], doc_id[(k, "en")]) for k in range(len(pairs))
             if (k, "es") in doc_id and (k, "en") in doc_id}
    related: set[tuple[str, str]] = set()
    for k, a in enumerate(pairs):
        for m, b in enumerate(pairs):
            if k != m and _overlapping(a, b):
                for la in ("es", "en"):
                    for lb in ("es", "en"):
                        if (k, la) in doc_id and (m, lb) in doc_id:
                            related.add((doc_id[(k, la)], doc_id[(m, lb)]))
    from newstrace.stages.embed import get_embedder

    version = get_embedder(embedder, threads=threads).version
    texts, spans, vectors, languages = {}, {}, {}, {}
    for d, v in zip(docs, embed_texts(embedder, docs, threads=threads), strict=True):
        texts[d.id] = d.text
        spans[d.id] = [(s.start, s.end) for s in split_sentences(d.text)]
        vectors[d.id] = v
        languages[d.id] = d.language
    fragments = {i for key, i in doc_id.items() if key[0] >= 0}
    return CrossLangData(sorted(texts), truth, related, texts, spans, vectors, languages, version,
                         sorted(set(texts) - fragments))


@dataclass(frozen=True, slots=True)
class CrossLangResult:
    pairs: int
    retrieval_correct: int  # English documents whose closest Spanish document is their source
    found: int  # true pairs with a translation alignment
    false_relations: int  # other pairs with a translation alignment
    false_same_language: int  # ... of which English-English or Spanish-Spanish
    doc_cosine_true_min: float
    doc_cosine_false_max: float
    threshold: float  # SemanticConfig.crosslang_cosine
    ratio: float  # SemanticConfig.crosslang_collection_ratio (crosslang_ratio when no collection)
    compared: int = 0  # document pairs judged
    by_pair_background: int = 0  # ... of which by the pair's own background (too few other sentences)
    margin_true_min: float = math.nan  # the weakest true pair's passage margin
    margin_false_max: float = math.nan  # the strongest false pair's (cross-language pairs)
    margin_false_same_max: float = math.nan  # the strongest same-language pair's (forced cross-language)
    strongest_false: tuple[str, str] | None = None  # the pairs of the two figures above
    strongest_false_same: tuple[str, str] | None = None


def _backgrounds(data: CrossLangData, members: Sequence[str], k: int) -> dict[tuple[str, str], np.ndarray]:
    """Each member's sentence backgrounds against each language's members (own document left out)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for lang in sorted({str(data.languages[i]) for i in members}):
        pool = {i: data.vectors[i] for i in members if str(data.languages[i]) == lang}
        for i, v in sentence_backgrounds({i: data.vectors[i] for i in members}, pool, k=k).items():
            out[(i, lang)] = v
    return out


def _align(data: CrossLangData, a: str, b: str, config: SemanticConfig, back) -> bool:  # type: ignore[no-untyped-def]
    return bool(align_semantic(data.spans[a], data.spans[b], data.vectors[a], data.vectors[b],
                               src_text=data.texts[a], tgt_text=data.texts[b], config=config,
                               src_language=data.languages[a], tgt_language=data.languages[b],
                               cross_language=True, src_background=back[0], tgt_background=back[1]))


def _margin(data: CrossLangData, a: str, b: str, config: SemanticConfig, back) -> float:  # type: ignore[no-untyped-def]
    """The highest crosslang_collection_ratio at which the pair still aligns (nan if it never does)."""
    def ok(ratio: float) -> bool:
        return _align(data, a, b, dataclasses.replace(config, crosslang_collection_ratio=ratio), back)

    lo, hi = 0.0, 2.0
    if not ok(lo):
        return math.nan
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def evaluate(data: CrossLangData, config: SemanticConfig | None = None, *, members: Sequence[str] | None = None,
             collection: bool = True, margins: bool = True, cross_only: bool = False) -> CrossLangResult:
    """Retrieval, translation relations and margins over all pairs of ``members`` (all
    documents by default); see the module docstring.  Without ``collection``, every pair is
    judged by its own background (the criterion before collection backgrounds); with
    ``cross_only``, only pairs in different languages (those a scan judges) are."""
    config = config or SemanticConfig()
    ids = sorted(members) if members is not None else data.ids
    dv = np.stack([document_vector(data.vectors[i]) for i in ids])
    cos = dv @ dv.T
    pos = {i: n for n, i in enumerate(ids)}
    present = set(ids)
    truth = {(s, e) for s, e in data.truth if s in present and e in present}
    es_ids = [i for i in ids if data.languages[i] == "es"]
    source_of = {e: s for s, e in truth}
    correct = 0
    for en, es in source_of.items():
        best = max(es_ids, key=lambda s: cos[pos[en], pos[s]])
        # Its own source, or a fragment of the same text overlapping it (it renders that too).
        correct += best == es or (best, en) in data.related
    k = config.crosslang_k
    back = _backgrounds(data, ids, k) if collection else {}
    size: dict[str, int] = {}
    for i in ids:
        size[str(data.languages[i])] = size.get(str(data.languages[i]), 0) + len(data.vectors[i])

    def outside(a: str, b: str) -> int:  # sentences in b's language outside the pair
        lang = str(data.languages[b])
        return size[lang] - len(data.vectors[b]) - (len(data.vectors[a]) if str(data.languages[a]) == lang else 0)

    found = false = false_same = compared = by_pair = 0
    true_cos: list[float] = []
    false_cos: list[float] = []
    true_margin: dict[tuple[str, str], float] = {}
    false_margin: list[tuple[float, tuple[str, str]]] = []
    false_same_margin: list[tuple[float, tuple[str, str]]] = []
    for a_n, a in enumerate(ids):
        for b in ids[a_n + 1 :]:
            if cross_only and data.languages[a] == data.languages[b]:
                continue
            is_true = (a, b) in truth or (b, a) in truth
            if not is_true and (a, b) in data.related:
                continue  # overlapping source text: neither a true translation pair nor a false one
            compared += 1
            (true_cos if is_true else false_cos).append(float(cos[pos[a], pos[b]]))
            pair_back: tuple[np.ndarray, np.ndarray] | tuple[None, None] = (None, None)
            if collection and outside(a, b) >= k and outside(b, a) >= k:
                pair_back = (back[(a, str(data.languages[b]))], back[(b, str(data.languages[a]))])
            else:
                by_pair += 1
            if pair_back[0] is not None and margins:
                m = _margin(data, a, b, config, pair_back)
                if not math.isnan(m):
                    if is_true:
                        true_margin[(a, b)] = m
                    elif data.languages[a] == data.languages[b]:
                        false_same_margin.append((m, (a, b)))
                    else:
                        false_margin.append((m, (a, b)))
            if not _align(data, a, b, config, pair_back):
                continue
            if is_true:
                found += 1
            else:
                false += 1
                false_same += data.languages[a] == data.languages[b]
    t_min = min((true_margin.get((s, e), true_margin.get((e, s), 0.0)) for s, e in truth), default=math.nan)
    f_max, f_pair = max(false_margin, default=(math.nan, None))
    s_max, s_pair = max(false_same_margin, default=(math.nan, None))
    return CrossLangResult(len(truth), correct, found, false, false_same,
                           min(true_cos, default=0.0), max(false_cos, default=0.0), config.crosslang_cosine,
                           config.crosslang_collection_ratio if collection else config.crosslang_ratio,
                           compared, by_pair, t_min if margins and collection else math.nan,
                           f_max, s_max, f_pair, s_pair)


NO_PARTNER_SIZES = ((17, 17), (8, 8), (3, 3), (3, 1), (1, 3))


def no_partner(data: CrossLangData, config: SemanticConfig | None = None, *,
               sizes: Sequence[tuple[int, int]] = NO_PARTNER_SIZES, repeats: int = 5,
               seed: int = 0) -> list[tuple[int, int, CrossLangResult]]:
    """Collections without a single true pair: the Spanish fragments of ``n_es`` pairs, the English
    fragments of ``n_en`` other pairs, and every distractor; ``repeats`` random draws of each
    size.  Every relation found there is false, and the margins are the false pairs' margins.
    Only pairs in different languages are judged, as in a scan."""
    config = config or SemanticConfig()
    rng = random.Random(seed)
    source_of = {e: s for s, e in data.truth}
    groups = sorted(source_of.items())
    # Fragments overlapping one source text are one group: never split across the halves.
    out = []
    for n_es, n_en in sizes:
        for _ in range(repeats):
            order = groups[:]
            rng.shuffle(order)
            chosen_es = [s for _, s in order[:n_es]]
            chosen_en = [e for e, _ in order[n_es : n_es + n_en]
                         if not any((s, e) in data.related or (e, s) in data.related for s in chosen_es)]
            members = chosen_es + chosen_en + list(data.distractors)
            out.append((n_es, n_en, evaluate(data, config, members=members, cross_only=True)))
    return out


def _same_text(a: str, b: str) -> bool:
    a, b = " ".join(a.split()), " ".join(b.split())
    return a in b or b in a


def write_scan_collection(pairs: str | Path, out: str | Path, *, distractors: str | Path | None = None,
                          every: int = 11) -> tuple[dict[str, int], list[str]]:
    """Write the fragments of ``pairs.jsonl`` to ``out`` as documents with opaque names, and
    every ``every``-th ``*.txt`` under ``distractors`` (path order, exact duplicates dropped)
    as ``bbc-<folder>-<name>`` beside them: a folder to scan.

    Returns each fragment file's group (a line's number, or that of an earlier line whose source
    text overlaps it: their translations render one text) and the distractor file names.
    """
    out = Path(out)
    rows = [json.loads(line) for line in Path(pairs).read_text(encoding="utf-8").splitlines() if line.strip()]
    group: dict[str, int] = {}
    for i, row in enumerate(rows):
        g = next((group[n] for n in group if _same_text(rows[group[n]]["source_text"], row["source_text"])), i)
        for side, text in (("s", row["source_text"]), ("t", row["target_text"])):
            name = hashlib.sha1(f"{side}{i}".encode()).hexdigest()[:12] + ".txt"
            (out / name).write_text(text, encoding="utf-8")
            group[name] = g
    names: list[str] = []
    if distractors is not None:
        seen: set[str] = set()
        for f in sorted(Path(distractors).rglob("*.txt"))[::every]:
            raw = f.read_bytes()
            key = hashlib.sha1(" ".join(raw.decode("utf-8", "replace").split()).encode()).hexdigest()
            if key not in seen:
                seen.add(key)
                names.append(f"bbc-{f.parent.name}-{f.name}")
                (out / names[-1]).write_bytes(raw)
    return group, names


def _read_distractors(root: Path, every: int) -> list[str]:
    """The texts of the ``*.txt`` files under ``root``, every ``every``-th in path order, exact
    duplicates dropped (they would be true relations among the distractors)."""
    texts, seen = [], set()
    for f in sorted(root.rglob("*.txt"))[::every]:
        text = f.read_bytes().decode("utf-8", errors="replace")
        key = " ".join(text.split())
        if key not in seen:
            seen.add(key)
            texts.append(text)
    return texts


def main(argv: list[str] | None = None) -> int:
    default = Path(__file__).resolve().parents[4] / "shared" / "data" / "pan11-crosslang" / "pairs.jsonl"
    parser = argparse.ArgumentParser(description="Cross-language (Spanish→English) reuse on PAN-PC-11 fragments.")
    parser.add_argument("path", nargs="?", default=str(default), help=f"pairs.jsonl (default: {default})")
    parser.add_argument("--limit", type=int, default=None, help="first N pairs only")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--distractors", default=None, help="a folder of unrelated *.txt documents to add")
    parser.add_argument("--distractor-every", type=int, default=11, help="take every N-th distractor file")
    parser.add_argument("--repeats", type=int, default=5, help="random draws per no-partner collection size")
    parser.add_argument("--sizes", default=",".join(f"{a}x{b}" for a, b in NO_PARTNER_SIZES),
                        help="no-partner collection sizes, Spanish x English fragments")
    parser.add_argument("--seed", type=int, default=0, help="seed of the no-partner draws")
    parser.add_argument("--ratios", default="1.0,1.01,1.02,1.025,1.03,1.035,1.04",
                        help="crosslang_collection_ratio values to try")
    args = parser.parse_args(argv)
    path = Path(args.path)
    if not path.is_file():
        print(f"SKIP: PAN-PC-11 cross-language pairs not found at {path}")
        return 0
    distractors = _read_distractors(Path(args.distractors), args.distractor_every) if args.distractors else []
    data = prepare(load_pairs(path, args.limit), threads=args.threads, distractors=distractors)
    print(f"{len(data.ids)} documents ({len(data.distractors)} distractors), {len(data.truth)} translation pairs, "
          f"{data.embedder}; languages: "
          + ", ".join(f"{lang}={sum(1 for v in data.languages.values() if v == lang)}"
                      for lang in sorted({str(v) for v in data.languages.values()})))
    config = SemanticConfig()
    r = evaluate(data, config)
    print(f"retrieval: {r.retrieval_correct}/{r.pairs} English fragments have their source as the closest Spanish "
          f"document; document cosine: true pairs >= {r.doc_cosine_true_min:.3f}, other pairs <= "
          f"{r.doc_cosine_false_max:.3f}")
    print(f"collection margin (crosslang_collection_ratio {config.crosslang_collection_ratio}): {r.found}/{r.pairs} "
          f"translation pairs aligned, {r.false_relations} false translation relations ({r.false_same_language} "
          f"between documents in one language); {r.compared} pairs, {r.by_pair_background} judged by their own "
          f"background")
    print(f"  passage margins: weakest true pair {r.margin_true_min:.4f}, strongest false cross-language pair "
          f"{r.margin_false_max:.4f}, strongest same-language pair (forced) {r.margin_false_same_max:.4f}")
    for pair in (r.strongest_false, r.strongest_false_same):
        if pair:
            print("  " + " | ".join(("distractor " if i in data.distractors else "fragment ")
                                    + " ".join(data.texts[i].split())[:60] for i in pair))
    old = evaluate(data, config, collection=False, margins=False)
    print(f"pair's own background only (crosslang_ratio {config.crosslang_ratio}): {old.found}/{old.pairs} aligned, "
          f"{old.false_relations} false ({old.false_same_language} in one language)")
    worst = math.nan
    strongest: tuple[str, str] | None = None
    sizes = [tuple(int(x) for x in v.split("x")) for v in args.sizes.split(",") if v.strip()]
    for n_es, n_en, res in no_partner(data, config, sizes=sizes, repeats=args.repeats, seed=args.seed):  # type: ignore[arg-type]
        worst = res.margin_false_max if math.isnan(worst) else max(worst, res.margin_false_max)
        print(f"no partner: {n_es} Spanish + {n_en} English fragments of other pairs + {len(data.distractors)} "
              f"distractors: {res.false_relations} false relations, strongest false margin {res.margin_false_max:.4f}, "
              f"{res.by_pair_background}/{res.compared} pairs by their own background")
        if res.strongest_false and res.margin_false_max == worst:
            strongest = res.strongest_false
    print(f"strongest false margin without a partner: {worst:.4f}"
          + (f" ({', '.join(str(len(data.spans[i])) for i in strongest)} sentences)" if strongest else ""))
    print("crosslang_collection_ratio  found  false relations (same language)")
    for ratio in (float(v) for v in args.ratios.split(",") if v.strip()):
        res = evaluate(data, dataclasses.replace(config, crosslang_collection_ratio=ratio), margins=False)
        print(f"{ratio:26.3f}  {res.found:2d}/{res.pairs}  {res.false_relations:4d} ({res.false_same_language})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
