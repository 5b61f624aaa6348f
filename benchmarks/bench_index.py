"""The persistent index as it grows: build time, disk, trace latency, memory, and index add.

    python benchmarks/bench_index.py [--sizes 10000 100000 1000000] [--queries 25] [--add 1000]
                                     [--real 10000] [--workdir /tmp/newstrace-bench-index]
                                     [--against OLD/src]

With ``--against`` (a source tree, e.g. ``git archive REV src | tar -x -C /tmp/old``), the
traces of that code are measured too, on the same index in the same run, just before this
code's (the ``before`` line of each size), and its ``index add`` of the same articles into a
copy of the same index (``add before``).

Documents: BBC News and the PAN 2013 source documents (``../shared/data``), plus perturbed
variants of them (sentences shuffled, capitalised names replaced by others, truncated at a
random sentence, or two of these), so the index is not n copies of 5k texts.  Held out of the
index: the articles later traced and added.

``--variants`` says what the variants beyond the originals are:

* ``copies`` (the default, every run before stop 49): the perturbed variants themselves.  Each
  original then has about ``size / 5,000`` copies in the index (20 at 100k, 200 at 1M), so an
  article traced or added has more real relatives the larger the index: its candidates and
  relations grow with the size (4.8 candidates a trace at 10k, 30 at 100k), and so does the
  work of aligning them, which no index can avoid.
* ``distinct``: each variant is also *disguised* (:func:`disguise`): each of its words is
  replaced by a random word of the originals, drawn as often as the originals use it, in the
  same capitalisation: a word of the collection's commonest (in at least 30% of the
  originals: function words, "said") by another of them at each occurrence, any other word
  by the same replacement throughout the document; each digit by a random digit.  A variant
  then keeps an article's length, sentences, paragraphs and word frequencies, but shares no
  content with its original or any other document, and not the order of its function words
  either (keeping them let the variants of one original collide in the sentence channel: 2.7
  false candidates a trace at 100k in a first run): a collection of distinct articles, as a
  crawl mostly is.  Its sentence vectors are stand-ins made from its own words.  An article
  traced or added meets the same relatives at every size (those among the originals), so the
  curve measures the index alone.

Build paths:

* **real** (up to ``--real`` documents, 10k by default): every document goes through
  ``pipeline.add_documents`` (cleaning with the store's recurring lines, language, signature
  pattern checks, fingerprint, band and line tables).  Sentence vectors: the originals get
  stand-in vectors (``stand_in_vectors``; with ``--model-vectors``, the model's); a variant's sentences reuse the vectors of the original's sentences
  they come from (a sentence with a replaced name: the original sentence's vector plus noise
  of norm 0.05), written to the embedding cache, from which ``embed_documents`` makes the
  document vectors as for any document.
* **fast** (beyond ``--real``): a variant is made from its original's *cleaned* text and
  fingerprinted directly (``candidates.fingerprint``) in a process pool, then stored with
  ``Store.put_documents`` (band and line tables included, and the static sentence vectors a
  semantic ``index add`` keeps with each English document); vectors as above.  Cleaning and
  signatures are skipped: they cost the same per document at every size and do not touch the
  index.

Measured at each size, each in a fresh process (so its peak RSS is its own):

Peak memory is the measuring process's high-water mark (``VmHWM``: ``ru_maxrss`` would carry
the parent's over ``fork``/``exec``).

* ``trace`` of each held-out query (``pipeline.trace_documents``, one article, one worker,
  no meaning changes), lexical and semantic, after one untimed warm-up trace: p50 and p95
  over the ``--queries`` queries (at least 20), and the process's peak RSS.  ``embed``: the
  query embedding on the trace's own thread (``sem-emb``: the rest); ``ahead``: the
  multilingual sketch embedded in a thread meanwhile (overlapping the rest, not added to it);
* ``index add`` of ``--add`` new articles (held-out originals and variants, real path):
  ``add_documents`` then ``link(only=new ids)`` with the semantic layer, seconds (with stand-in
  vectors, their sentence vectors are written to the cache first, untimed: the model's cost
  per article does not depend on the index), the pairs it aligned and the relations it found.  The added articles stay in the index; the next size grows from there.
  Then ``organise`` (the families and stories of the whole index, which ``newstrace index
  add`` runs after its link), timed and with its peak memory apart: the ``add 1k`` ratio is
  the add and link alone, as measured before stop 27, and ``with organise`` what the command costs.
  The built index has its families and stories stored first (untimed), as an index grown by
  ``index add`` has: from ``stories.cluster.WHOLE_BELOW`` documents the add's organise then
  clusters again only the stories the new articles reach.

Sizes that do not fit the machine in reasonable time are projected from the measured ones
(a least-squares line in log size) and printed as projections.  Targets (issue 12): lexical
trace p50 < 150 ms, semantic p50 < 500 ms, the largest size within 2x of 10k, add-1,000 within
1.5x of 10k.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSTRACE_SHARED") or ROOT.parent / "shared")
SRC = str(ROOT / "src")
sys.path.insert(0, SRC)

_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_NAME_RE = re.compile(r"\b[A-Z][a-z]{2,}\b")


def corpus() -> list[tuple[str, str]]:
    """(id, text) of every BBC article and PAN 2013 source document, in a fixed order."""
    out: list[tuple[str, str]] = []
    for p in sorted((SHARED / "data" / "bbc-news").glob("*/*.txt")):
        out.append((f"bbc/{p.parent.name}/{p.stem}", p.read_text(encoding="utf-8", errors="replace")))
    for p in sorted((SHARED / "data" / "pan13-train" / "src").glob("*.txt")):
        out.append((f"pan/{p.stem}", p.read_text(encoding="utf-8", errors="replace")))
    return out


def perturb(text: str, rng: random.Random, names: list[str]) -> str:
    """A variant of ``text``: sentences shuffled, names replaced, truncated, or two of these."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    kinds = rng.sample(["shuffle", "names", "truncate"], rng.choice([1, 1, 2]))
    if "names" in kinds:
        swap = {n: rng.choice(names) for n in sorted(set(_NAME_RE.findall(text))) if rng.random() < 0.5}
        paragraphs = [_NAME_RE.sub(lambda m: swap.get(m.group(), m.group()), p) for p in paragraphs]
    if "shuffle" in kinds:
        head, rest = paragraphs[:1], paragraphs[1:]
        sents = [s for p in rest for s in _SENT_RE.split(p)]
        rng.shuffle(sents)
        paragraphs = head + [" ".join(sents[i : i + 3]) for i in range(0, len(sents), 3)]
    if "truncate" in kinds and len(paragraphs) > 2:
        paragraphs = paragraphs[: rng.randint(2, len(paragraphs) - 1)]
    return "\n\n".join(paragraphs) + "\n"


#: A word of the originals' text (what :func:`disguise` replaces), and a digit.
_WORD_RE = re.compile(r"[A-Za-z]+|[0-9]")

#: Words in at least this share of the originals are :func:`disguise`'s common words.
COMMON_SHARE = 0.3

#: :func:`disguise_words`: the common words and their cumulative frequencies, then the others'.
Words = tuple[list[str], list[int], list[str], list[int]]


def disguise_words(texts: list[str]) -> Words:
    """What :func:`disguise` draws replacements from, out of the originals ``texts``: the
    common words (lower case, in at least :data:`COMMON_SHARE` of them) and the others, each
    sorted, with their cumulative document frequencies (a replacement is drawn as often as its
    word is used, so a disguised text has common and rare words in the originals' proportions)."""
    from collections import Counter
    from itertools import accumulate

    df: Counter[str] = Counter()
    for t in texts:
        df.update({w.lower() for w in _WORD_RE.findall(t) if not w.isdigit()})
    common = sorted(w for w, n in df.items() if n >= COMMON_SHARE * len(texts))
    rare = sorted(set(df) - set(common))
    return common, list(accumulate(df[w] for w in common)), rare, list(accumulate(df[w] for w in rare))


def disguise(text: str, rng: random.Random, common: list[str], common_cumulative: list[int],
             vocabulary: list[str], cumulative: list[int]) -> str:
    """``text`` with each word replaced by one drawn by frequency, in the same capitalisation:
    a ``common`` word by another common word at each occurrence, any other by a word of
    ``vocabulary``, the same one throughout the text; and each digit by a random digit
    (``--variants distinct``)."""
    commons = frozenset(common)
    swap: dict[str, str] = {}

    def one(m: re.Match[str]) -> str:
        word = m.group()
        if word.isdigit():
            return str(rng.randrange(10))
        low = word.lower()
        if low in commons:
            new = rng.choices(common, cum_weights=common_cumulative)[0]
        else:
            new = swap.get(low) or swap.setdefault(low, rng.choices(vocabulary, cum_weights=cumulative)[0])
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new.capitalize() if word[0].isupper() else new

    return _WORD_RE.sub(one, text)


#: What :func:`disguise` needs, in each process of the fast path's pool (``None``: copies).
_DISGUISE: Words | None = None


def _set_disguise(words: Words | None) -> None:
    global _DISGUISE
    _DISGUISE = words


def variant(text: str, rng: random.Random, names: list[str], words: Words | None) -> str:
    """A variant for the index: :func:`perturb`, then :func:`disguise` with ``words``
    (``--variants distinct``), if given."""
    out = perturb(text, rng, names)
    return out if words is None else disguise(out, rng, *words)


# -- building ------------------------------------------------------------------------------------


def stand_in_vectors(store: object, ids: list[str], *, missing_only: bool = False) -> None:
    """Write stand-in sentence vectors of ``ids`` to the embedding cache, under the version of
    every model the store needs, so ``embed_documents`` finds them there and runs no model.

    A sentence's stand-in is a fixed random projection of its hashed words (384 dimensions,
    normalised): sentences sharing words are close, unrelated ones nearly orthogonal, so the
    HNSW files have the shape of real ones.  Used (unless ``--model-vectors``) because the
    model's embedding of thousands of originals does not fit a shared 2-core machine in a
    session; its cost per article does not depend on the index size.
    """
    import numpy as np
    import xxhash

    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache
    from newstrace.stages.text import split_sentences
    from newstrace.stages.vectors import ENGLISH_MODEL, models_of
    from newstrace.store import text_hash

    table = np.random.default_rng(7).standard_normal((1 << 14, 384)).astype(np.float32)
    cache = EmbeddingCache(store.conn)  # type: ignore[attr-defined]
    docs = store.get_documents(ids)  # type: ignore[attr-defined]
    for name in models_of(store):  # type: ignore[arg-type]
        version = get_embedder(name).version
        rows = []
        for d in docs:
            if name == ENGLISH_MODEL and d.language != "en":
                continue
            spans = [(x.start, x.end) for x in split_sentences(d.text)]
            if not spans or (missing_only and cache.get(d.id, version, spans=spans) is not None):
                continue
            vecs = np.stack([table[[xxhash.xxh32_intdigest(w) % (1 << 14) for w in re.findall(r"\w+", d.text[a:b].lower())] or [0]].sum(0)
                             for a, b in spans])
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            rows.append((d.id, spans, vecs))
        cache.put_many(version, rows, text_hashes={d.id: text_hash(d.text) for d in docs})


def _derived_vectors(store: object, pairs: list[tuple[str, str]], seed: int) -> None:
    """Sentence vectors of variants from their originals' (see the module docstring), under
    every model the store needs (the multilingual one too once the store holds two languages)."""
    import numpy as np

    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache
    from newstrace.stages.text import split_sentences
    from newstrace.stages.vectors import ENGLISH_MODEL, models_of
    from newstrace.store import text_hash

    rng = np.random.default_rng(seed)
    cache = EmbeddingCache(store.conn)  # type: ignore[attr-defined]
    by_id = {d.id: d for d in store.get_documents(sorted({x for p in pairs for x in p}))}  # type: ignore[attr-defined]
    for name in models_of(store):  # type: ignore[arg-type]
        version = get_embedder(name).version
        rows = []
        hashes = {}
        for variant_id, base_id in pairs:
            base, var = by_id.get(base_id), by_id.get(variant_id)
            if base is None or var is None or (name == ENGLISH_MODEL and var.language != "en"):
                continue
            base_vecs = cache.get(base_id, version)
            if base_vecs is None:
                continue
            base_sents = {base.text[s.start : s.end]: base_vecs[i] for i, s in enumerate(split_sentences(base.text))
                          if i < len(base_vecs)}
            spans = [(s.start, s.end) for s in split_sentences(var.text)]
            vecs = []
            for i, (s, e) in enumerate(spans):
                v = base_sents.get(var.text[s:e])
                if v is None:
                    noise = np.asarray(rng.standard_normal(base_vecs.shape[1]), dtype=np.float32)
                    v = base_vecs[min(i, len(base_vecs) - 1)] + 0.05 * noise / np.linalg.norm(noise)
                vecs.append(v)
            if vecs:
                rows.append((variant_id, spans, np.stack(vecs)))
                hashes[variant_id] = text_hash(var.text)
        for i in range(0, len(rows), 500):
            cache.put_many(version, rows[i : i + 500], text_hashes=hashes)
    # what is still without vectors (a variant of an original with none): stand-ins, never the model
    stand_in_vectors(store, [v for v, _ in pairs if v in by_id], missing_only=True)


def _variant_vectors(store: object, pairs: list[tuple[str, str]], seed: int, words: Words | None) -> None:
    """Sentence vectors of the variants ``(variant id, original id)``: derived from their
    originals' (copies), or stand-ins of their own (``words``: a disguised variant shares no
    sentence with its original)."""
    if words is None:
        _derived_vectors(store, pairs, seed)
    else:
        stand_in_vectors(store, [v for v, _ in pairs])


def _fast_variant(task: tuple[str, str, str | None, int, list[str]]) -> tuple[object, object, object]:
    from newstrace.stages.candidates import fingerprint
    from newstrace.stages.prepare import IndexRows, band_rows
    from newstrace.stages.static import kept_static_vectors
    from newstrace.types import Document

    doc_id, text, language, seed, names = task
    var = variant(text, random.Random(seed), names, _DISGUISE)
    doc = Document(id=doc_id, raw=var, text=var, offsets=list(range(len(var))), language=language)
    fp = fingerprint(doc)
    # the static sentence vectors a semantic `index add` keeps with each English document
    # (add_documents(static_vectors=True)), and the story features every `index add` keeps, as
    # the real path's documents get them (code before either: none)
    rows = IndexRows(*band_rows(fp), static_vectors=kept_static_vectors(doc))
    if "story_features" in IndexRows.__dataclass_fields__:
        from newstrace.stages.stories.cluster import document_features
        from newstrace.stages.stories.store import encode_features, features_key
        from newstrace.store import text_hash

        rows = replace(rows, story_features=(features_key(doc.title, doc.language, text_hash(doc.text)),
                                             encode_features(document_features(doc))))
    return doc, fp, rows


def build(db: Path, size: int, *, real: int, seed: int, base: list[tuple[str, str]], names: list[str],
          log: list[str], model_vectors: bool,
          words: Words | None = None) -> dict[str, float]:
    """Grow the index at ``db`` to ``size`` documents; return the seconds each path took.
    ``words``: the variants are disguised (``--variants distinct``: :func:`disguise_words`)."""
    from concurrent.futures import ProcessPoolExecutor

    from newstrace.pipeline import add_documents
    from newstrace.stages.vectors import embed_documents, vector_files
    from newstrace.store import Store
    from newstrace.types import Document

    rng = random.Random(seed)
    out = {"real_s": 0.0, "fast_s": 0.0, "vectors_s": 0.0}
    with Store(db) as store:
        have = len(store.document_ids())
        stored = set(store.document_ids())
        pending = store.pending_vectors()  # left by an interrupted run: never embedded by the model here
        _variant_vectors(store, [(i, i.split("~")[0]) for i in pending if "~" in i], seed, words)
        if not model_vectors:
            stand_in_vectors(store, [i for i in pending if "~" not in i])
        originals = [(i, t) for i, t in base if i not in stored]
        t0 = time.perf_counter()
        if originals and have < size:
            todo = originals[: size - have]
            for k in range(0, len(todo), 2000):
                add_documents(store, [Document(id=i, raw=t) for i, t in todo[k : k + 2000]], workers=2, forensics=False,
                              static_vectors=True)
            t1 = time.perf_counter()
            if not model_vectors:
                stand_in_vectors(store, [i for i, _ in todo])
            embed_documents(store, threads=2)  # the originals: embedded by the model, or stand-ins
            out["vectors_s"] += time.perf_counter() - t1
            have += len(todo)
        out["real_s"] += time.perf_counter() - t0 - out["vectors_s"]
        originals_ids = [i for i, _ in base if i in set(store.document_ids())]
        n = 0
        while have < size:
            step = min(size - have, 5000)
            pairs = [(f"{rng.choice(originals_ids)}~v{seed}-{have + j}", "") for j in range(step)]
            pairs = [(v, v.split("~")[0]) for v, _ in pairs]
            t0 = time.perf_counter()
            if have < real:
                bases = {d.id: d for d in store.get_documents(sorted({b for _, b in pairs}))}
                add_documents(store, [Document(id=v, raw=variant(bases[b].raw, rng, names, words)) for v, b in pairs],
                              workers=2, forensics=False, static_vectors=True)
                out["real_s"] += time.perf_counter() - t0
            else:
                bases = {d.id: d for d in store.get_documents(sorted({b for _, b in pairs}))}
                tasks = [(v, bases[b].text, bases[b].language, rng.randrange(1 << 30), names) for v, b in pairs]
                with ProcessPoolExecutor(2, initializer=_set_disguise, initargs=(words,)) as pool:
                    made = list(pool.map(_fast_variant, tasks, chunksize=64))
                for k in range(0, len(made), 500):
                    store.put_documents(made[k : k + 500])  # type: ignore[arg-type]
                out["fast_s"] += time.perf_counter() - t0
            t1 = time.perf_counter()
            _variant_vectors(store, pairs, rng.randrange(1 << 30), words)
            embed_documents(store, threads=2)
            out["vectors_s"] += time.perf_counter() - t1
            have += step
            n += step
            log.append(f"  {have} documents ({time.strftime('%H:%M:%S')})")
            print(log[-1], file=sys.stderr, flush=True)
        t1 = time.perf_counter()
        vector_files(store, "minilm-l3")  # the vector file beside the store, up to date
        out["vectors_s"] += time.perf_counter() - t1
    return out


# -- measuring (each in a fresh process) ---------------------------------------------------------

TRACE = r"""
import json, statistics, sys, threading, time
import newstrace.stages.vectors as vectors_module
from newstrace.pipeline import trace_documents
from newstrace.stages.candidates import indexed_candidates
from newstrace.stages.prepare import learn_boilerplate_indexed, prepare_document
from newstrace.stages.vectors import indexed_query_pairs
from newstrace.store import Store
from newstrace.types import Document
db, semantic, queries = sys.argv[1], sys.argv[2] == "semantic", json.loads(open(sys.argv[3]).read())
# the time each trace spends embedding its query (the models stay loaded across traces, as in
# the service; the one-time load falls in the untimed warm-up trace)
# (wall time, and CPU time: on a loaded shared machine the wall time is mostly waiting for a core).
# Only the trace's own thread counts as its embedding: the multilingual sketch embedded in a
# thread meanwhile (pipeline.trace_documents) is timed apart ("ahead"), as it overlaps the rest.
spent, spent_cpu, ahead = [0.0], [0.0], [0.0]
def timed(embed):
    def wrapper(*args, **kwargs):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return embed(*args, **kwargs)
        finally:
            if threading.current_thread() is threading.main_thread():
                spent[0] += time.perf_counter() - t
                spent_cpu[0] += time.thread_time() - c
            else:
                ahead[0] += time.perf_counter() - t
    return wrapper
vectors_module.embed_texts = timed(vectors_module.embed_texts)
if hasattr(vectors_module, "embed_sentences"):  # the query sketch of the multilingual model
    vectors_module.embed_sentences = timed(vectors_module.embed_sentences)
with Store(db) as store:
    trace_documents(store, [Document(id="warm", raw=queries[0][1])], workers=1, changes=False, semantic=semantic)
    times, embeds, embeds_cpu, aheads, lookups, found, candidates = [], [], [], [], [], 0, 0
    for qid, text in queries:
        spent[0] = spent_cpu[0] = ahead[0] = 0.0
        t = time.perf_counter()
        r = trace_documents(store, [Document(id=qid, raw=text)], workers=1, changes=False, semantic=semantic)
        times.append(time.perf_counter() - t)
        embeds.append(spent[0])
        embeds_cpu.append(spent_cpu[0])
        aheads.append(ahead[0])
        found += len(r.relations)
        # the index part alone: boilerplate, preparation, candidate lookups (no alignment)
        t = time.perf_counter()
        q = Document(id="query:" + qid, raw=text)
        fp = prepare_document(q, learn_boilerplate_indexed(store, [q]), forensics=False)[1]
        hits = set(indexed_candidates(store, fp))
        if semantic:
            hits |= {a for a, _ in indexed_query_pairs(store, [q], threads=1)[0]}
        lookups.append(time.perf_counter() - t)
        candidates += len(hits)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
rest = sorted(a - b for a, b in zip(times, embeds))
times.sort()
print(json.dumps({"p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
                  "embed_p50_ms": 1000 * statistics.median(embeds),
                  "embed_cpu_p50_ms": 1000 * statistics.median(embeds_cpu),
                  "ahead_p50_ms": 1000 * statistics.median(aheads),
                  "p50_without_embed_ms": 1000 * statistics.median(rest),
                  "lookup_p50_ms": 1000 * statistics.median(lookups), "candidates": candidates / len(queries),
                  "peak_mb": peak, "relations": found, "n": len(times)}))
"""

ADD = r"""
import inspect, json, os, sys, time
# newstrace first, from the tree on PYTHONPATH: bench_index puts this checkout's src first on
# sys.path when imported, and the package, once imported, loads every module from its own tree.
import newstrace
from newstrace.pipeline import add_documents, link, organise
from newstrace.store import Store
from newstrace.types import Document
sys.path.insert(0, sys.argv[4])
from bench_index import stand_in_vectors
db, docs, model_vectors = sys.argv[1], json.loads(open(sys.argv[2]).read()), sys.argv[3] == "model"
with Store(db) as store:
    t = time.perf_counter()
    # a semantic `index add` keeps the documents' static vectors (code before stop 25: no such option)
    keep = {"static_vectors": True} if "static_vectors" in inspect.signature(add_documents).parameters else {}
    stats = add_documents(store, [Document(id=i, raw=x) for i, x in docs], workers=2, forensics=False, **keep)
    t1 = time.perf_counter()
    if not model_vectors:
        stand_in_vectors(store, stats.added_ids)  # untimed: the model's embedding is not an index cost
    t2 = time.perf_counter()
    plan = {}
    found = link(store, only=set(stats.added_ids), workers=2, changes=False, semantic=True, stats=plan)
    t3 = time.perf_counter()
    peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
    # what `newstrace index add` does next: the families and stories of the whole index, timed
    # and its peak measured apart (writing 5 to clear_refs resets the high-water mark)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    # as the link above, without the analysis of changes (older trees' organise had no choice)
    no_changes = {"changes": False} if "changes" in inspect.signature(organise).parameters else {}
    families, stories = organise(store, workers=2, **no_changes)
    t4 = time.perf_counter()
    organise_peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"add_s": t1 - t, "link_s": t3 - t2, "total_s": (t1 - t) + (t3 - t2), "peak_mb": peak,
                  "organise_s": t4 - t3, "organise_peak_mb": organise_peak, "stories": len(stories),
                  "added": stats.added, "alignments": plan.get("alignments", 0), "relations": len(found),
                  "sentence_nearest": plan.get("plan_sentence_nearest", 0),
                  "src": os.path.dirname(os.path.dirname(newstrace.__file__))}))
"""


ORGANISE = r"""
import inspect, json, sys, time
from newstrace.pipeline import organise
from newstrace.store import Store
no_changes = {"changes": False} if "changes" in inspect.signature(organise).parameters else {}
with Store(sys.argv[1]) as store:
    t = time.perf_counter()
    families, stories = organise(store, workers=2, **no_changes)
print(json.dumps({"organise_s": time.perf_counter() - t, "stories": len(stories), "families": len(families)}))
"""


def run(code: str, *args: str, src: str = SRC) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, env=env)
    if out.returncode:
        raise SystemExit(f"measurement failed:\n{out.stderr[-3000:]}")
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[type-arg]
    return result


def disk_mb(db: Path) -> float:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20


def project(xs: list[float], ys: list[float], x: float) -> float:
    """Least squares of y on log x (a single point: flat)."""
    if len(xs) < 2:
        return ys[0]
    lx = [math.log(v) for v in xs]
    mx, my = statistics.fmean(lx), statistics.fmean(ys)
    var = sum((a - mx) ** 2 for a in lx)
    slope = sum((a - mx) * (b - my) for a, b in zip(lx, ys, strict=True)) / var if var else 0.0
    return my + slope * (math.log(x) - mx)


def traces_only(db: Path, queries: Path, against: Path | None) -> int:
    """The traces of the kept index as it is (``--traces-only``), this code's and, with
    ``against``, the other tree's, alternating mode by mode; the queries of the run that built it."""
    if not db.exists() or not queries.exists():
        raise SystemExit(f"no kept index and queries in {db.parent} (build one with --keep)")
    from newstrace.store import Store

    with Store(db) as store:
        size = store.document_count()
    print(f"traces on the kept index {db} ({size:,} documents)")
    for mode in ("lexical", "semantic"):
        trees = [("this code", SRC)] + ([("against", str(against))] if against else [])
        for name, src in trees:
            r = run(TRACE, str(db), mode, str(queries), src=src)
            print(f"{mode:>9} {name:>10}: p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, embed {r['embed_p50_ms']:.0f} ms, "
                  f"without it {r['p50_without_embed_ms']:.0f} ms, ahead {r.get('ahead_p50_ms', 0):.0f} ms, "
                  f"candidates {r['candidates']:.1f}, relations {r['relations']}, peak {r['peak_mb']:.0f} MB")
    return 0


def report(rows: list[dict], sizes: list[int]) -> None:  # type: ignore[type-arg]
    """Print the measured rows, the projections of the sizes not measured, and the ratios the
    issue's targets are stated in (largest / 10k latency, add-1,000 cost)."""
    print(f"\n{'size':>9} | {'build s':>8} | {'disk MB':>8} | {'lex p50':>8} | {'lex p95':>8} | {'lookup':>8} | "
          f"{'cands':>5} | {'lex MB':>7} | {'sem p50':>8} | {'sem p95':>8} | {'embed':>8} | {'sem-emb':>8} | {'ahead':>8} | "
          f"{'cands':>5} | {'sem MB':>7} | {'add 1k s':>8} | {'(link s)':>8} | {'add MB':>7} | {'organise':>8} | {'org MB':>7}")
    for r in rows:
        lx, sm = r["lexical"], r["semantic"]
        print(f"{r['size']:>9,} | {r['build_s']:>8.0f} | {r['disk_mb']:>8.0f} | {lx['p50_ms']:>6.0f}ms | "
              f"{lx['p95_ms']:>6.0f}ms | {lx['lookup_p50_ms']:>6.0f}ms | {lx['candidates']:>5.1f} | {lx['peak_mb']:>7.0f} | "
              f"{sm['p50_ms']:>6.0f}ms | {sm['p95_ms']:>6.0f}ms | {sm.get('embed_p50_ms', 0):>6.0f}ms | "
              f"{sm.get('p50_without_embed_ms', 0):>6.0f}ms | {sm.get('ahead_p50_ms', 0):>6.0f}ms | {sm['candidates']:>5.1f} | "
              f"{sm['peak_mb']:>7.0f} | {r['add']['total_s']:>8.1f} | {r['add']['link_s']:>8.1f} | {r['add']['peak_mb']:>7.0f} | "
              f"{r['add'].get('organise_s', 0):>7.1f}s | {r['add'].get('organise_peak_mb', 0):>7.0f}")
        if "semantic_before" in r:
            lb, sb = r["lexical_before"], r["semantic_before"]
            print(f"{'  before':>9} | {'':>8} | {'':>8} | {lb['p50_ms']:>6.0f}ms | {lb['p95_ms']:>6.0f}ms | "
                  f"{lb['lookup_p50_ms']:>6.0f}ms | {lb['candidates']:>5.1f} | {lb['peak_mb']:>7.0f} | "
                  f"{sb['p50_ms']:>6.0f}ms | {sb['p95_ms']:>6.0f}ms | {sb.get('embed_p50_ms', 0):>6.0f}ms | "
                  f"{sb.get('p50_without_embed_ms', 0):>6.0f}ms | {sb.get('ahead_p50_ms', 0):>6.0f}ms | "
                  f"{sb['candidates']:>5.1f} | {sb['peak_mb']:>7.0f} | "
                  f"(relations {lb['relations']} / {sb['relations']} before, {lx['relations']} / {sm['relations']} after)")
        for name, add in (("add", r["add"]), ("add before", r.get("add_before"))):
            if add and "alignments" in add:
                print(f"{'':>9} | {name}: {add['total_s']:.1f} s (link {add['link_s']:.1f} s), "
                      f"{add['alignments']:,} pairs aligned ({add['alignments'] / max(add['added'], 1):.1f} an article, "
                      f"{1000 * add['link_s'] / max(add['alignments'], 1):.0f} ms a pair), "
                      f"{add['relations']:,} relations, peak {add['peak_mb']:.0f} MB, "
                      f"{add.get('sentence_nearest', '-')} aligned with their nearest earlier partners only; "
                      f"then families and stories of the whole index (organise, as `newstrace index add` runs it) "
                      f"{add.get('organise_s', 0):.1f} s, peak {add.get('organise_peak_mb', 0):.0f} MB, "
                      f"{add.get('stories', 0):,} stories")
    xs = [float(r["size"]) for r in rows]
    curves = {"lexical p50 ms": [float(r["lexical"]["p50_ms"]) for r in rows],
              "semantic p50 ms": [float(r["semantic"]["p50_ms"]) for r in rows],
              "semantic p50 without the query embedding ms": [float(r["semantic"].get("p50_without_embed_ms", 0))
                                                                for r in rows],
              "add 1k s": [float(r["add"]["total_s"]) for r in rows],
              "add 1k with organise s": [float(r["add"]["total_s"] + r["add"].get("organise_s", 0)) for r in rows]}
    first = rows[0]
    for size in sizes:
        if size in xs:
            continue
        print(f"{size:>9,} | PROJECTED, not measured: least squares of each figure on log(size) over the measured "
              f"sizes {', '.join(f'{int(x):,}' for x in xs)}; disk linear in size")
        for name, ys in curves.items():
            y = project(xs, ys, size)
            print(f"{'':>9} |   {name}: {y:,.0f} ({y / ys[0]:.2f}x the {int(xs[0]):,} figure)")
        print(f"{'':>9} |   disk: {rows[-1]['disk_mb'] * size / xs[-1]:,.0f} MB")
    last = rows[-1]
    print(f"\nmeasured {int(xs[-1]):,} / {int(xs[0]):,}: lexical p50 {last['lexical']['p50_ms'] / first['lexical']['p50_ms']:.2f}x, "
          f"semantic p50 {last['semantic']['p50_ms'] / first['semantic']['p50_ms']:.2f}x, "
          f"add 1k {last['add']['total_s'] / first['add']['total_s']:.2f}x, with organise "
          f"{(last['add']['total_s'] + last['add'].get('organise_s', 0)) / (first['add']['total_s'] + first['add'].get('organise_s', 0)):.2f}x")
    if "add_before" in first and "add_before" in last:
        print(f"the code before, same indexes and articles: add 1k "
              f"{last['add_before']['total_s'] / first['add_before']['total_s']:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--measure-up-to", type=int, default=100_000,
                    help="sizes above this are projected from the measured ones, not built")
    ap.add_argument("--real", type=int, default=10_000, help="documents built by the real path")
    ap.add_argument("--queries", type=int, default=25)
    ap.add_argument("--add", type=int, default=1000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newstrace-bench-index"))
    ap.add_argument("--keep", action="store_true", help="keep the index files")
    ap.add_argument("--model-vectors", action="store_true",
                    help="embed the originals (and the added articles) with the model instead of stand-in vectors")
    ap.add_argument("--resume", action="store_true", help="grow the index left in --workdir by an interrupted run")
    ap.add_argument("--against", type=Path, default=None,
                    help="a src directory of the code before (e.g. `git archive COMMIT src`): its trace is measured "
                         "on the same index in the same run")
    ap.add_argument("--traces-only", action="store_true",
                    help="only measure the traces on the index left in --workdir (by --keep), as it is")
    ap.add_argument("--corpus-limit", type=int, default=0, help="use only this many source documents (a dry run)")
    ap.add_argument("--variants", choices=["copies", "distinct"], default="copies",
                    help="copies: the index grows by perturbed copies of the originals (an article's relatives grow "
                         "with it); distinct: by disguised ones, each a text of its own (see the module docstring)")
    args = ap.parse_args()
    if args.queries < 20:
        ap.error("--queries must be at least 20 (p95 of fewer means nothing)")

    from newstrace.stages.embed import get_embedder

    get_embedder("minilm-l3").encode(["Warm-up."])  # the int8 model is made on first use
    rng = random.Random(2026)
    base = corpus()
    if not base:
        print(f"bench_index: no BBC News or PAN 2013 source documents under {SHARED / 'data'} "
              "(set NEWSTRACE_SHARED to the folder holding data/): skipped", file=sys.stderr)
        return 2
    if args.corpus_limit:
        base = base[:: max(1, len(base) // args.corpus_limit)][: args.corpus_limit]
    names = sorted({n for _, t in base[:3000] for n in _NAME_RE.findall(t)})
    words = disguise_words([t for _, t in base]) if args.variants == "distinct" else None
    rng.shuffle(base)
    sizes = sorted(args.sizes)
    measured = [s for s in sizes if s <= args.measure_up_to]
    held = base[: args.queries // 2 + args.add * len(measured) // 2]
    indexed = base[len(held):]
    queries = [(f"q{i}", text) for i, (_, text) in enumerate(held[: args.queries // 2])]
    queries += [(f"qv{i}", perturb(text, rng, names)) for i, (_, text) in enumerate(indexed[: args.queries - len(queries)])]
    adds = held[args.queries // 2 :]

    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / "index.db"
    if args.traces_only:
        return traces_only(db, args.workdir / "queries.json", args.against)
    if not args.resume:
        for p in args.workdir.glob("index.db*"):
            p.unlink()
    (args.workdir / "queries.json").write_text(json.dumps(queries))
    rows = []
    log: list[str] = []
    t_build = 0.0
    for k, size in enumerate(measured):
        t0 = time.perf_counter()
        parts = build(db, size, real=args.real, seed=k, base=indexed, names=names, log=log,
                      model_vectors=args.model_vectors, words=words)
        t_build += time.perf_counter() - t0
        # An index grown by `index add` has its families and stories stored; so does this one
        # before the add is measured (untimed, this code: the copy for --against gets them too).
        built_stories = run(ORGANISE, str(db))
        log.append(f"{size:,}: families and stories of the built index {built_stories['organise_s']:.1f} s, "
                   f"{built_stories['stories']:,} stories")
        print(log[-1], file=sys.stderr, flush=True)
        before = {}
        if args.against:  # the code before, on the same index in the same run (trace only: it writes nothing)
            before = {"lexical_before": run(TRACE, str(db), "lexical", str(args.workdir / "queries.json"),
                                            src=str(args.against)),
                      "semantic_before": run(TRACE, str(db), "semantic", str(args.workdir / "queries.json"),
                                             src=str(args.against))}
        lexical = run(TRACE, str(db), "lexical", str(args.workdir / "queries.json"))
        semantic = run(TRACE, str(db), "semantic", str(args.workdir / "queries.json"))
        half = adds[k * args.add // 2 : (k + 1) * args.add // 2]
        new = [(f"new{k}/{i}", t) for i, t in half] + [(f"new{k}/{i}~v", perturb(t, rng, names)) for i, t in half]
        (args.workdir / "add.json").write_text(json.dumps(new[: args.add]))
        disk = disk_mb(db)
        vectors_kind = "model" if args.model_vectors else "stand-in"
        if args.against:  # the code before adds the same articles to a copy of the same index
            copy_dir = args.workdir / "before"
            copy_dir.mkdir(exist_ok=True)
            for p in db.parent.glob(db.name + "*"):
                shutil.copyfile(p, copy_dir / p.name)
            before["add_before"] = run(ADD, str(copy_dir / db.name), str(args.workdir / "add.json"), vectors_kind,
                                       str(Path(__file__).resolve().parent), src=str(args.against))
            shutil.rmtree(copy_dir)
            # which tree each add ran (until stop 22 both ran this checkout's: see ADD)
            if Path(before["add_before"]["src"]).resolve() != args.against.resolve():
                raise SystemExit(f"add before ran {before['add_before']['src']}, not {args.against}")
        if args.against:
            # This code's add also runs on a fresh copy, which then replaces the index: the add
            # into the index itself, right after a 7 GB copy at 40k had pushed it out of the page
            # cache, ran its link 25% slower than the same link code on the copy (stops 28, 29).
            copy_dir = args.workdir / "after"
            copy_dir.mkdir(exist_ok=True)
            for p in db.parent.glob(db.name + "*"):
                shutil.copyfile(p, copy_dir / p.name)
            add = run(ADD, str(copy_dir / db.name), str(args.workdir / "add.json"), vectors_kind,
                      str(Path(__file__).resolve().parent))
            for p in db.parent.glob(db.name + "*"):
                p.unlink()
            for p in copy_dir.glob(db.name + "*"):
                os.replace(p, db.parent / p.name)
            shutil.rmtree(copy_dir)
        else:
            add = run(ADD, str(db), str(args.workdir / "add.json"), vectors_kind, str(Path(__file__).resolve().parent))
        if Path(add["src"]).resolve() != Path(SRC).resolve():
            raise SystemExit(f"add ran {add['src']}, not {SRC}")
        rows.append({"size": size, "vectors": "model" if args.model_vectors else "stand-in", "variants": args.variants,
                     "build_s": t_build, **{f"build_{a}": b for a, b in parts.items()}, "disk_mb": disk,
                     "built_organise": built_stories, "lexical": lexical, "semantic": semantic, "add": add, **before})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    report(rows, sizes)
    (args.workdir / "results.json").write_text(json.dumps(rows, indent=1))
    if not args.keep:
        for p in args.workdir.glob("index.db*"):
            p.unlink()
    shutil.rmtree(args.workdir / "tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
