"""Story clustering measured on ECB+ (Cybulska & Vossen 2014): ARI and B³ at event and topic level.

The documents are clustered with their labels hidden; the labels only score the result.  Two
systems run on the same documents:

* **stories**: ``newstrace.stages.stories`` with its default settings (threshold, neighbours,
  floor), fixed in advance;
* **baseline**: TF-IDF over lower-cased words (scikit-learn's ``TfidfVectorizer`` defaults),
  cosine, average-link agglomerative clustering,
  its threshold tuned *on the same data* for the best event ARI (an optimistic baseline).

Because ECB+ dev is also where the stories settings were calibrated, the run adds a
leave-topics-out estimate: topics are split into ``folds``; for each, the threshold *and* the
number of neighbours (15, 20 or 25) that give the best event ARI on the other topics cluster the
held-out topics, and the held-out labels are pooled over folds — the figure to expect on topics
never seen.  ``shuffles`` repeats it over that many other random assignments of topics to
folds (seeded), and the report gives each draw's event ARI and B³ F1 and their mean and minimum
over all draws (the sorted assignment and the shuffled ones): the spread is part of the
estimate.  The same draws are run again with the neighbours fixed at the default and only the
threshold chosen on the other topics (``..._fixed_neighbours``): most of the spread comes from
folds that pick 15 or 25 neighbours.  And once more without the close-date discount
(``..._no_close_dates``: ``StoryConfig.close_discount`` 0), for what it brings held out.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

from newstrace.stages.stories.cluster import (
    DEFAULT_CONFIG,
    _average_link,
    _tfidf,
    contrast_matrix,
    document_features,
    similarity_matrix,
)
from newstrace.stages.text import WORD_RE
from newstrace.types import Document

__all__ = ["adjusted_rand_index", "b_cubed", "evaluate_ecb", "load_ecb"]

_THRESHOLDS = tuple(round(0.05 + 0.01 * i, 2) for i in range(50))
#: Contrast thresholds and neighbourhood sizes tried for the stories in the leave-topics-out runs.
_CONTRASTS = tuple(round(-0.15 + 0.01 * i, 2) for i in range(21))
_NEIGHBOURS = (15, 20, 25)


def adjusted_rand_index(pred: Sequence[object], gold: Sequence[object]) -> float:
    """Hubert & Arabie's adjusted Rand index of two labelings of the same items."""
    n = len(gold)
    if n < 2:
        return 1.0
    pairs = sum(comb(v, 2) for v in Counter(zip(pred, gold, strict=True)).values())
    sp = sum(comb(v, 2) for v in Counter(pred).values())
    sg = sum(comb(v, 2) for v in Counter(gold).values())
    expected = sp * sg / comb(n, 2)
    maximum = (sp + sg) / 2
    return 1.0 if maximum == expected else (pairs - expected) / (maximum - expected)


def b_cubed(pred: Sequence[object], gold: Sequence[object]) -> tuple[float, float, float]:
    """B³ precision, recall and F1 (Bagga & Baldwin 1998), averaged over items."""
    by_p: dict[object, set[int]] = defaultdict(set)
    by_g: dict[object, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        by_p[p].add(i)
        by_g[g].add(i)
    n = len(gold)
    prec = sum(len(by_p[p] & by_g[g]) / len(by_p[p]) for p, g in zip(pred, gold, strict=True)) / n
    rec = sum(len(by_p[p] & by_g[g]) / len(by_g[g]) for p, g in zip(pred, gold, strict=True)) / n
    return prec, rec, (2 * prec * rec / (prec + rec)) if prec + rec else 0.0


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_M = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_RES = (
    (re.compile(_M + r"\s+(\d{1,2})\s*,\s*((?:19|20)\d\d)\b", re.IGNORECASE), (3, 1, 2)),
    (re.compile(r"\b(\d{1,2})\s+" + _M + r"\s*,?\s*((?:19|20)\d\d)\b", re.IGNORECASE), (3, 2, 1)),
)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)/(\d\d)/(\d\d)/")


def _header_date(url: str | None, text: str) -> str | None:
    """The publication date a crawler would keep as metadata: from the URL's /yyyy/mm/dd/ path
    or a date line among the first three lines (ECB+ texts keep their page's date line)."""
    if url and (m := _URL_DATE.search(url)):
        y, mo, d = (int(x) for x in m.groups())
    else:
        head = "\n".join(text.split("\n")[:3])
        for rx, (yi, mi, di) in _DATE_RES:
            if m := rx.search(head):
                y, d = int(m.group(yi)), int(m.group(di))
                mo = _MONTHS.index(m.group(mi).lower()[:3]) + 1
                break
        else:
            return None
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def load_ecb(path: str | Path, *, dates: bool = True) -> list[tuple[Document, str, str]]:
    """ECB+ documents with their topic and event (subtopic) labels.

    A first line that is a (tokenised) URL is metadata, as in a crawled article: it becomes the
    document's ``url`` and leaves the text.  With ``dates``, a date in the URL or in a date line
    at the top becomes ``published`` (ECB+ has no date field; most ECB+ texts keep their date
    line, the older ECB texts none).

    Raises:
        ValueError: naming the file and line when the input is not ECB+ JSON lines.
    """
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{path}: not found (expected the ecbplus-dev folder or its .jsonl)")
    files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    if not files:
        raise ValueError(f"{path}: no .jsonl file")
    out = []
    for f in files:
        for k, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, topic, event, doc = row["text"], str(row["topic"]), str(row["subtopic"]), str(row["doc"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{f}:{k}: not an ECB+ record ({exc})") from None
            url = None
            first, _, rest = text.partition("\n")
            if first.startswith("http"):
                url, text = first.replace(" ", ""), rest
            published = _header_date(url, text) if dates else None
            out.append((Document(id=doc, raw=text, text=text, url=url, published=published, language="en"),
                        topic, event))
    return out


def _baseline_sim(docs: Sequence[Document]) -> np.ndarray:
    # scikit-learn's TfidfVectorizer defaults: raw counts, smooth idf + 1, l2 norm.
    x = _tfidf([[w.lower() for w in WORD_RE.findall(d.text)] for d in docs], prior=0, floor=1.0, sublinear=False)
    sim: np.ndarray = np.clip((x @ x.T).toarray(), 0.0, 1.0)
    return sim


def _scores(pred: Sequence[int], events: Sequence[str], topics: Sequence[str]) -> dict[str, float]:
    ep, er, ef = b_cubed(pred, events)
    tp, tr, tf = b_cubed(pred, topics)
    return {"event_ari": round(adjusted_rand_index(pred, events), 4), "event_b3_precision": round(ep, 4),
            "event_b3_recall": round(er, 4), "event_b3_f1": round(ef, 4),
            "topic_ari": round(adjusted_rand_index(pred, topics), 4), "topic_b3_precision": round(tp, 4),
            "topic_b3_recall": round(tr, 4), "topic_b3_f1": round(tf, 4), "clusters": len(set(pred))}


def _best_threshold(sim: np.ndarray, rows: Sequence[int], events: Sequence[str],
                    thresholds: Sequence[float] = _THRESHOLDS) -> float:
    sub = sim[np.ix_(rows, rows)]
    gold = [events[i] for i in rows]
    return max(thresholds, key=lambda t: (adjusted_rand_index(_average_link(sub, t), gold), -t))


def _leave_topics_out(sim: np.ndarray, topics: Sequence[str], events: Sequence[str], folds: int,
                      order: Sequence[str], neighbours: Sequence[int] = _NEIGHBOURS,
                      published: Sequence[str | None] | None = None,
                      close_discount: float = DEFAULT_CONFIG.close_discount) -> tuple[list[int], list[str]]:
    """Held-out labels pooled over ``folds`` of ``order`` (topics), and each fold's choice.
    ``published`` (a date or None a document) lowers the bar of pairs dated close together by
    ``close_discount`` (``StoryConfig``)."""
    every = range(len(topics))
    pooled = [0] * len(topics)
    chosen = []

    def contrast(rows: Sequence[int] | None, k: int) -> np.ndarray:
        part = sim if rows is None else sim[np.ix_(rows, rows)]
        dates = None if published is None else list(published) if rows is None else [published[i] for i in rows]
        return contrast_matrix(part, k, DEFAULT_CONFIG.floor, published=dates, close_discount=close_discount)

    contrasts = {k: contrast(None, k) for k in neighbours}
    for f in range(folds):
        held = set(order[f::folds])
        train = [i for i in every if topics[i] not in held]
        test = [i for i in every if topics[i] in held]
        if not train or not test:
            continue
        gold = [events[i] for i in train]
        # Ties go to the default neighbourhood, then to the higher threshold.
        _, _, k, t = max((adjusted_rand_index(_average_link(contrasts[k][np.ix_(train, train)], t), gold),
                          -abs(k - DEFAULT_CONFIG.neighbours), k, t) for k in neighbours for t in _CONTRASTS)
        chosen.append(f"k{k}@{t:+.2f}")
        # The held-out topics are clustered on their own: their contrasts come from their own
        # neighbourhoods, as on a collection the settings were never fitted to.
        held_sim = contrast(test, k)
        for i, lab in zip(test, _average_link(held_sim, t), strict=True):
            pooled[i] = f * 100_000 + lab
    return pooled, chosen


def evaluate_ecb(path: str | Path, *, folds: int = 3, limit: int | None = None, shuffles: int = 9) -> dict[str, Any]:
    """Cluster ECB+ documents with the labels hidden and score stories and the baseline.

    Args:
        path: the ``ecbplus-dev`` folder (or its ``.jsonl``).
        folds: topic folds of the leave-topics-out estimate.
        limit: only the first ``limit`` topics (sorted), for quick runs and tests.
        shuffles: further leave-topics-out runs over seeded random fold assignments (the
            report's mean and minimum are over these and the sorted assignment).
    """
    import random

    t0 = time.perf_counter()
    rows = load_ecb(path)
    if limit is not None:
        keep = sorted({t for _, t, _ in rows}, key=int)[:limit]
        rows = [r for r in rows if r[1] in keep]
    docs = [r[0] for r in rows]
    topics = [r[1] for r in rows]
    events = [r[2] for r in rows]
    cfg = DEFAULT_CONFIG
    sim = similarity_matrix([document_features(d) for d in docs], [d.published for d in docs], cfg.max_gap_days)
    published = [d.published for d in docs]
    ours = _average_link(contrast_matrix(sim, cfg.neighbours, cfg.floor, published=published), cfg.threshold)
    base_sim = _baseline_sim(docs)
    every = list(range(len(docs)))
    base_t = _best_threshold(base_sim, every, events)
    base = _average_link(base_sim, base_t)
    topic_list = sorted(set(topics), key=int)
    pooled, chosen = _leave_topics_out(sim, topics, events, folds, topic_list, published=published)
    orders = [topic_list]
    for seed in range(1, shuffles + 1):
        order = list(topic_list)
        random.Random(seed).shuffle(order)
        orders.append(order)
    spread: dict[str, dict[str, Any]] = {}
    for key, ks, discount in (("", _NEIGHBOURS, cfg.close_discount),
                              ("_fixed_neighbours", (cfg.neighbours,), cfg.close_discount),
                              ("_no_close_dates", _NEIGHBOURS, 0.0)):
        aris, f1s, precs, recs = [], [], [], []
        for order in orders:
            labels, _ = _leave_topics_out(sim, topics, events, folds, order, ks, published, discount)
            aris.append(round(adjusted_rand_index(labels, events), 4))
            p, r, f = b_cubed(labels, events)
            f1s.append(round(f, 4))
            precs.append(p)
            recs.append(r)
        spread[key] = {"draws": len(orders), "event_ari_draws": aris, "event_b3_f1_draws": f1s,
                       "event_ari_mean": round(float(np.mean(aris)), 4), "event_ari_min": min(aris),
                       "event_b3_f1_mean": round(float(np.mean(f1s)), 4), "event_b3_f1_min": min(f1s),
                       "event_b3_precision_mean": round(float(np.mean(precs)), 4),
                       "event_b3_recall_mean": round(float(np.mean(recs)), 4)}
    return {
        "corpus": str(path), "documents": len(docs), "topics": len(topic_list), "events": len(set(events)),
        "stories": {"threshold": cfg.threshold, "neighbours": cfg.neighbours, "floor": cfg.floor,
                    "close_days": cfg.close_days, "close_discount": cfg.close_discount,
                    **_scores(ours, events, topics)},
        "stories_leave_topics_out": {"folds": folds, "thresholds": chosen, **_scores(pooled, events, topics),
                                     "event_ari_other_fold_draws": spread[""]["event_ari_draws"][1:],
                                     **spread[""]},
        "stories_leave_topics_out_fixed_neighbours": spread["_fixed_neighbours"],
        "stories_leave_topics_out_no_close_dates": spread["_no_close_dates"],
        "baseline_tfidf_average_link": {"threshold": base_t, **_scores(base, events, topics)},
        "dated_documents": sum(1 for d in docs if d.published),
        "seconds": round(time.perf_counter() - t0, 2),
    }
