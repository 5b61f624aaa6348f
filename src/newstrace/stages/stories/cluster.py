"""Event clustering: which documents report the same event.

Two views of a document are compared (as in Miranda, Znotiņš, Cohen & Barzdins, *Multilingual
Clustering of Streaming News*, EMNLP 2018, which keeps separate TF-IDF sub-vectors for tokens
and entities):

* **content**: TF-IDF (sublinear tf, smoothed idf) over stemmed content words;
* **names**: TF-IDF over capitalised words that do not open a sentence — a cheap, deterministic
  stand-in for named entities (on ECB+ it does better than spaCy's NER, event ARI 0.940 against
  0.921 at best, measured before the geometric mean below, and costs nothing next to 100 s of
  tagging for ECB+'s 1 MB).

The headline and lead (the first two sentences) count twice in both views: news states its main
event — who, where, when — up front, and its background paragraphs (an earlier title fight, a
previous arrest) name the *other* events of the kind.

Two documents report one event when they share both its vocabulary and its participants, so the
raw similarity is the *geometric mean* of the two cosines: one earthquake and another share the
vocabulary but not the places; two stories about one politician share the names but not the
event.

**Similarity against the neighbourhood.** How similar two reports of one event are depends on
the kind of event: two reports of one Microsoft patch share most of their words, two reports of
one court case far fewer — and two *different* patches still share more than two reports of
one trial.  No single threshold separates both, so each pair is scored against what is usual
around its documents (the hubness correction of Conneau et al.'s CSLS, 2018, and of local
scaling): ``contrast = sim − max(floor, √(r_a · r_b))``, where ``r_d`` is the mean of ``d``'s
``StoryConfig.neighbours`` highest similarities (a missing neighbour counting as 0).  A document among many like documents (a
topic) must be closer to a neighbour than to the topic at large to share its event; the
``floor`` keeps documents with no close neighbours (most of a general news collection) to an
absolute bar, about the old fixed threshold.  Documents are grouped by average-link agglomerative
clustering on the contrast, stopped at ``StoryConfig.threshold``.  Families nest inside
stories: a family's members always share a story.

**No n × n matrix, and not every pair** (:func:`cluster_representatives`): a pair of
similarity at least ``threshold + floor`` (the least a pair past the threshold can have) has a
name cosine of at least its square, since both cosines are at most 1; the name product (an
inverted index over names) finds those pairs, and only they get a content cosine
(:func:`indexed_similarity`; exact, not a heuristic).  Each representative's usual similarity is
bounded by the pairs scored and made exact where the bounds differ above the floor.  The pairs
past the threshold form components, each clustered on its own — by a sparse average link
(groups compared only across an edge) when it is large.  Average link never merges groups with
no pair past the threshold, so these are the stories of the whole matrix (tests pin it against
the n × n path).

**Time.** Two documents both dated within ``StoryConfig.close_days`` are held to a usual
similarity lowered by ``StoryConfig.close_discount``, never below the floor: reports of one
event cluster in time, and in a dense topic two same-week reports that tell one event from
different sides otherwise fall just under the bar (on ECB+ the largest loss of recall: 21
reports of one court-ordered rehab check-in, dated within two days, split 12 / 9).  The floor
stays, so loosely related articles of one day do not chain, and the names index's bound (every
pair past the threshold has a similarity of at least ``threshold + floor``) still holds.

Incremental (``update_stories``): after each add the whole collection is clustered again (the
similarity matrix is over families and lone documents, so this costs seconds on thousands of
articles), and stories carry their ids over from the stored stories they share most documents
with.  Stories after several adds are therefore exactly those of one scan, and a story keeps its
id as it grows.  That costs the name product of the whole collection (about N^1.5: 12 s at
10,000 documents, 84 s at 41,000), so from :data:`WHOLE_BELOW` documents an add clusters again
only the stored stories its new documents reach, with the whole collection's idf and usual
similarities (:func:`extend_stories`); the stories no new document reaches stay as stored.  On
ECB+ in batches of 50 after a first half this gives event ARI 0.958–0.963 (one scan: 0.963),
and at 41,000 documents the stories of clustering everything to ARI 0.9998.  A reached story's
stored representatives are scored against the part and their kept neighbours
(:class:`Neighbourhood`) rather than every document: the same stories on ECB+ in batches and at
41,000 documents, where it halves the add's stories (14.3 → 7.9 s on one thread).  Assigning each new document to a frozen story once (the streaming assignment
of Miranda et al.) was measured and dropped: on ECB+ in 2–5 random batches it lost 0.10–0.15
event ARI against one scan, because a first batch holding a few reports of two like events
cannot yet tell them apart, and a frozen merge is never undone.
"""

from __future__ import annotations

import heapq
import math
import os
import re
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain
from typing import Any, Literal, TypeVar

import numpy as np
import xxhash

from newstrace.stages.stories.naming import member_texts, name_stories
from newstrace.stages.text import (
    STOPWORDS,
    WORD_RE,
    split_sentences,
    term_table,
    word_count_before,
    word_spans,
)
from newstrace.types import Document, Family, Story

__all__ = ["WHOLE_BELOW", "CountedTerms", "IndexedPairs", "Method", "Neighbourhood", "ScoredPart", "StoryCollection", "StoryConfig", "StoryFeatures", "StoryVector",
           "cluster_documents", "cluster_representatives", "cluster_threads", "contrast_matrix", "counted_views", "document_features", "extend_stories",
           "indexed_similarity", "known_features", "representative_ids", "similarity_matrix", "sparse_similarity",
           "stories_of_features", "story_similarity", "story_vector", "update_stories", "usual_similarity"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """Story clustering settings.

    ``threshold`` is the least average *contrast* (raw similarity minus the usual similarity
    around the two documents, module docstring) at which two groups merge; ``neighbours`` is how
    many of a document's nearest documents set its usual similarity (``r_d``), and ``floor`` the
    least usual similarity assumed.  Calibrated on ECB+ dev (odd topics, 496 documents, 21
    topics of two like events each), ``newstrace eval ecb``, docs/calibration.md: event ARI
    0.963 (B³ F1 0.966) with these defaults (0.943 and 0.955 without the close-date discount;
    without it, 0.897 and 0.911 at thresholds −0.06 and −0.04, a narrow optimum, and 15 and 25
    neighbours give at best 0.918 and 0.902).  Choosing threshold *and* neighbours on two
    thirds of the topics and scoring the rest, over 10 assignments of topics to folds: event
    ARI 0.945 on average (min 0.914), B³ F1 0.958 (min 0.944).  The floor costs 0.008 ARI on ECB+ (0.951 without) and
    makes two documents with no close neighbours need a raw similarity of 0.20, about the
    fixed threshold (0.22) that was best on ECB+ before the contrast; it keeps a general
    collection (BBC News) from chaining loosely related articles.

    ``max_gap_days``: two documents both dated further apart than this report different events
    (a cannot-link: their similarity counts as 0).  News of one event runs for days or weeks;
    ECB+ pairs each event with a like event years apart.

    ``close_days`` and ``close_discount``: two documents both dated at most ``close_days`` apart
    are held to a usual similarity lowered by ``close_discount``, never below the floor
    (``sim − max(floor, √(r_a · r_b) − close_discount)``).  Reports of one event cluster in time
    (the time features of Miranda et al. 2018); in a dense topic two same-week reports of one
    event that tell it from different sides (the arrest and the court hearing) otherwise fall
    just under the bar.  The floor is kept, so a collection of loosely related articles (the
    floor's regime) does not chain more because its articles share a day, and every pair past
    the threshold still has a similarity of at least ``threshold + floor`` (the names index
    stays exact).  Held out on ECB+ (10 fold draws, docs/calibration.md): event ARI 0.945 (min
    0.914), B³ F1 0.958 (min 0.944) against 0.925 (0.881) and 0.946 (0.924) without; the same
    for discounts 0.1 to 0.3 and windows of 1, 3 or 7 days.
    """

    threshold: float = -0.05
    neighbours: int = 20
    floor: float = 0.25
    label_terms: int = 4
    max_gap_days: int = 365
    close_days: int = 3
    close_discount: float = 0.1

    def __post_init__(self) -> None:
        if not -1.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (-1, 1), got {self.threshold!r}")
        if self.neighbours < 1:
            raise ValueError(f"neighbours must be at least 1, got {self.neighbours!r}")
        if not 0.0 <= self.floor < 1.0:
            raise ValueError(f"floor must be in [0, 1), got {self.floor!r}")
        if self.close_days < 0:
            raise ValueError(f"close_days must be at least 0, got {self.close_days!r}")
        if not 0.0 <= self.close_discount < 1.0:
            raise ValueError(f"close_discount must be in [0, 1), got {self.close_discount!r}")


DEFAULT_CONFIG = StoryConfig()
DEFAULT_MAX_GAP = 365


#: Capitalised words that are not names.
_NOT_NAMES = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december""".split())
#: Documents assumed besides the collection in every idf, none holding the term:
#: ``idf = ln((1 + N + 200) / (1 + df))``.  Without it, a term in every document of a small
#: collection weighs nothing (five articles on one war all name its two countries), and the
#: similarity of two documents swings with the size of the index — so adding articles in
#: batches would not give the stories of one scan.  With 200, similarities barely move as a
#: collection grows from 2 to 500 documents (the seeds give the same stories in every batch
#: order tried), and ECB+ event ARI is 0.853 at the best threshold against 0.840 with plain idf.
IDF_PRIOR_DOCS = 200
IDF_FLOOR = 0.0


def _names(sentence: str) -> list[str]:
    """Capitalised words of a sentence that do not open it (or one of its lines)."""
    out = []
    for line in sentence.split("\n"):
        for w in WORD_RE.findall(line)[1:]:
            if w.endswith(("'s", "’s")):
                w = w[:-2]
            low = w.lower()
            if w[:1].isupper() and len(w) > 1 and not w.isdigit() and low not in STOPWORDS and low not in _NOT_NAMES:
                out.append(w)
    return out


#: Sentences of the lead (after the headline, when it is a field) that count twice.
LEAD_SENTENCES = 2


StoryFeatures = tuple[list[str], list[str]]
#: Features computed before, where the documents were prepared (``known_features``), by
#: ``(id, title, language, text)``: a document found here as it is now need not be read again.
_KNOWN: dict[tuple[str, str | None, str | None, str], StoryFeatures] = {}


@contextmanager
def known_features(documents: Iterable[Document], features: Mapping[str, StoryFeatures]) -> Iterator[None]:
    """While inside, :func:`document_features` of each of ``documents`` is ``features[doc.id]``
    (made by :func:`document_features` on the document as it is now, elsewhere: the scan's
    prepare workers compute them in parallel, while the words of the text they have just split
    are at hand, instead of this process reading every text again).  A document changed since
    (its title, language or text) is read again."""
    for d in documents:
        if d.id in features:
            _KNOWN[d.id, d.title, d.language, d.text] = features[d.id]
    try:
        yield
    finally:
        _KNOWN.clear()


def document_features(doc: Document) -> tuple[list[str], list[str]]:
    """A document's content stems and its name tokens (surface forms), the headline and lead
    counted twice (module docstring).  On ECB+ (default settings) event ARI is 0.943 with the
    first 2 sentences counted twice and 0.922 without; 1, 3 and 5 sentences give 0.943, 0.947
    and 0.927.

    The terms are those of ``content_terms`` on the text and on its lead, and the names those
    of :func:`_names` on each sentence, read from the words of the text found once
    (``newstrace.stages.text.word_spans``): no word crosses a sentence or a line, so the words
    of the lead are the first words of the text, and a word opens a line of its sentence when
    it opens the sentence or a line break lies between it and the word before.  A form's
    term and name are its own (``term_table``, :func:`_name_table`), looked up, not
    recomputed.  (On BBC News: 0.9 ms a document instead of 2.0.)
    """
    if _KNOWN:
        known = _KNOWN.get((doc.id, doc.title, doc.language, doc.text))
        if known is not None:
            return known
    head = bool(doc.title) and not doc.text.startswith(doc.title or "")
    text = f"{doc.title}\n{doc.text}" if head else doc.text
    lang = doc.language or "en"
    sents = split_sentences(text)
    words, starts, _ = word_spans(text)
    table = term_table(lang, words)
    names_of = _name_table(words)
    n_lead = LEAD_SENTENCES + head
    lead_end = word_count_before(text, sents[min(n_lead, len(sents)) - 1].end) if sents else 0
    # the words opening a sentence, and those opening a line (the first after each line break)
    opening = {word_count_before(text, s.start) for s in sents}
    opening.update(bisect_left(starts, m.start()) for m in _NEWLINE_RE.finditer(text))
    names = list(map(names_of.__getitem__, words))
    for i in opening:
        if i < len(names):
            names[i] = ""
    terms = list(map(table.__getitem__, words))
    return ([t for t in terms if t] + [t for t in terms[:lead_end] if t],
            [w for w in names if w] + [w for w in names[:lead_end] if w])


_NEWLINE_RE = re.compile("\n")
#: Each word form seen -> the name :func:`_names` keeps of it ("" for none): a form's verdict
#: does not depend on its context.  Bounded like the term tables (about 100 bytes a form).
_NAMES: dict[str, str] = {}
_NAMES_MAX = 200_000


def _name_table(words: Sequence[str]) -> dict[str, str]:
    """:data:`_NAMES`, knowing every form of ``words``."""
    if len(_NAMES) > _NAMES_MAX:
        _NAMES.clear()
    for w in words:
        if w not in _NAMES:
            found = _names(f"x {w}")  # the form, not opening its line
            _NAMES[w] = found[0] if found else ""
    return _NAMES


@dataclass(frozen=True, slots=True)
class StoryCollection:
    """The collection-wide counts a part of the collection needs to be clustered as in one
    whole-collection run: the number of story representatives (families and lone documents)
    and the document frequencies of content stems and (lower-cased) names among them.  A
    Spark engine counts them with a ``reduceByKey`` and clusters each connected part apart
    (``update_stories(..., collection=...)``); only the terms of the part need be given."""

    size: int
    content_df: Mapping[str, int]
    names_df: Mapping[str, int]


def _weight(count: int, df: int, n: int, *, prior: int = IDF_PRIOR_DOCS, floor: float = IDF_FLOOR,
            sublinear: bool = True) -> float:
    tf = (1 + math.log(count)) if sublinear else float(count)
    return tf * (math.log((1 + n + prior) / (1 + df)) + floor)


def _tfidf(bags: Sequence[Sequence[str]], *, prior: int = IDF_PRIOR_DOCS, floor: float = IDF_FLOOR,
           sublinear: bool = True, df_n: tuple[Mapping[str, int], int] | None = None) -> np.ndarray:
    """Row-normalised TF-IDF rows of ``bags`` (csr), weighted as :func:`_weight` weighs them.

    The idf of each term and the tf of each count are computed once, not once per entry (the
    same products, to the bit: ``tf * idf`` with :func:`_weight`'s two factors).  The last
    :data:`_TFIDF_KEEP` results over the collection's own counts are remembered with a copy
    of their bags: the clustering asks for the same two views twice (its pair search and its
    components), and gets the rows already made when its bags are equal.
    """
    settings = (prior, floor, sublinear)
    if df_n is None:
        for kept_settings, kept_bags, kept in _TFIDF_LAST:
            if kept_settings == settings and len(kept_bags) == len(bags) and all(
                    a == b for a, b in zip(kept_bags, bags, strict=True)):
                return kept
    out, _ = _tfidf_rows(bags, prior=prior, floor=floor, sublinear=sublinear, df_n=df_n)
    if df_n is None:
        _TFIDF_LAST.insert(0, (settings, [list(b) for b in bags], out))
        del _TFIDF_LAST[_TFIDF_KEEP:]
    return out


#: Results :func:`_tfidf` remembers (the content and the names views of one clustering).
_TFIDF_KEEP = 2
_TFIDF_LAST: list[tuple[tuple[int, float, bool], list[list[str]], np.ndarray]] = []


def _tfidf_rows(bags: Sequence[Sequence[str]], *, prior: int, floor: float, sublinear: bool,
                df_n: tuple[Mapping[str, int], int] | None) -> tuple[np.ndarray, dict[str, int]]:
    """:func:`_tfidf`'s rows, and the document frequency of each term among ``bags`` (empty
    with ``df_n``: the frequencies given are used instead), counted for the idf anyway."""
    bag_counts = [Counter(bag) for bag in bags]
    terms = list(chain.from_iterable(bag_counts))  # each bag's distinct terms, in its counter's order
    counts = np.fromiter(chain.from_iterable(c.values() for c in bag_counts), dtype=np.int64, count=len(terms))
    words = sorted(set(terms))
    vocab = {w: i for i, w in enumerate(words)}
    cols = np.fromiter(map(vocab.__getitem__, terms), dtype=np.int64, count=len(terms))
    rows = np.repeat(np.arange(len(bags), dtype=np.int64), [len(c) for c in bag_counts])
    return _weighted_rows(rows, cols, counts, len(bags), words, prior=prior, floor=floor, sublinear=sublinear,
                          df_n=df_n)


def _weighted_rows(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n_bags: int, words: Sequence[str], *,
                   prior: int, floor: float, sublinear: bool,
                   df_n: tuple[Mapping[str, int], int] | None) -> tuple[np.ndarray, dict[str, int]]:
    """The TF-IDF rows of counted bags: entry ``k`` is term ``words[cols[k]]`` (``words``
    sorted) counted ``counts[k]`` times in bag ``rows[k]``, each bag's entries in the order its
    counter met them.  :func:`_tfidf_rows` counts strings into these; :func:`counted_views`
    reads them from a store's counted terms: the same arrays give the same floats."""
    own: dict[str, int] = {}
    if df_n is None:
        n = n_bags
        df = np.bincount(cols, minlength=len(words)).tolist()
        own = dict(zip(words, df, strict=True))
    else:
        n = df_n[1]
        df = [df_n[0][w] for w in words]
    from scipy.sparse import csr_matrix

    # Each factor by math.log, once per term and once per distinct count, then their products
    # elementwise: the same floats as ``_weight``'s ``tf * idf`` entry by entry.
    idf = np.asarray([math.log((1 + n + prior) / (1 + d)) + floor for d in df], dtype=np.float64)
    top = int(counts.max()) if len(counts) else 0
    tf = np.asarray([0.0] + [(1 + math.log(c)) if sublinear else float(c) for c in range(1, top + 1)],
                    dtype=np.float64)
    vals = tf[counts] * idf[cols]
    mat = csr_matrix((vals, (rows, cols)), shape=(n_bags, max(1, len(words))), dtype=np.float64)
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    from scipy.sparse import diags

    out: np.ndarray = diags(1.0 / norms) @ mat
    return out, own


def _day(published: str | None) -> int | None:
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def _views(features: Sequence[tuple[list[str], list[str]]],
           collection: StoryCollection | None) -> tuple[Any, Any]:
    """Row-normalised TF-IDF matrices (content, names) of ``features``, sparse (csr)."""
    cdf = None if collection is None else (collection.content_df, collection.size)
    ndf = None if collection is None else (collection.names_df, collection.size)
    return (_sorted_csr(_tfidf([f[0] for f in features], df_n=cdf)),
            _sorted_csr(_tfidf([[w.lower() for w in f[1]] for f in features], df_n=ndf)))


def _collection_views(features: Sequence[tuple[list[str], list[str]]]) -> tuple[Any, Any, StoryCollection]:
    """:func:`_views` of a whole collection (its own counts), and those counts as a
    :class:`StoryCollection`: the idf counted them already (at 41,000 documents, counting
    them again took a second of each ``index add``).  Not remembered by :func:`_tfidf`: its copy
    of a large collection's bags cost more than it saved."""
    content, content_df = _tfidf_rows([f[0] for f in features], prior=IDF_PRIOR_DOCS, floor=IDF_FLOOR,
                                      sublinear=True, df_n=None)
    names, names_df = _tfidf_rows([[w.lower() for w in f[1]] for f in features], prior=IDF_PRIOR_DOCS,
                                  floor=IDF_FLOOR, sublinear=True, df_n=None)
    return _sorted_csr(content), _sorted_csr(names), StoryCollection(len(features), content_df, names_df)


@dataclass(frozen=True, slots=True)
class CountedTerms:
    """A collection's story features counted, as arrays (a store keeps them:
    ``newstrace.stages.stories.store``), for the views of many documents without a Python
    string a token (:func:`counted_views`).

    For each view (``content``: stems; ``names``: lower-cased names), document ``d``'s distinct
    terms are ``*_ids[*_offsets[d]:*_offsets[d + 1]]``, in the order ``Counter`` meets them in
    its features, with their counts beside them; ``vocabulary[i]`` is the term of id ``i``.
    """

    content_offsets: np.ndarray
    content_ids: np.ndarray
    content_counts: np.ndarray
    names_offsets: np.ndarray
    names_ids: np.ndarray
    names_counts: np.ndarray
    vocabulary: Sequence[str | None]


def counted_views(counted: CountedTerms, rows: Sequence[int]) -> tuple[Any, Any, StoryCollection]:
    """:func:`_collection_views` of the documents ``rows`` from their counted terms: the same
    matrices and counts, to the bit (the same entries, weighed by one function:
    :func:`_weighted_rows`).  At 41,000 documents 1.2 CPU s instead of 6 (counting 15 million tokens
    in Python), and the features need not be decoded at all."""
    take = np.asarray(rows, dtype=np.int64)

    def view(offsets: np.ndarray, ids: np.ndarray, counts: np.ndarray) -> tuple[Any, dict[str, int]]:
        starts, lengths = offsets[take], offsets[take + 1] - offsets[take]
        total = int(lengths.sum())
        bag = np.repeat(np.arange(len(take), dtype=np.int64), lengths)
        # each entry's position: its document's start plus its rank within the document
        first = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        where = np.repeat(starts - first, lengths) + np.arange(total, dtype=np.int64)
        present, inverse = _distinct_ids(ids[where], len(counted.vocabulary))
        words = [counted.vocabulary[i] or "" for i in present.tolist()]
        order = sorted(range(len(words)), key=words.__getitem__)
        rank = np.empty(len(words), dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(words), dtype=np.int64)
        return _weighted_rows(bag, rank[inverse.ravel()], counts[where], len(take),
                              [words[i] for i in order], prior=IDF_PRIOR_DOCS, floor=IDF_FLOOR, sublinear=True,
                              df_n=None)

    content, content_df = view(counted.content_offsets, counted.content_ids, counted.content_counts)
    names, names_df = view(counted.names_offsets, counted.names_ids, counted.names_counts)
    return _sorted_csr(content), _sorted_csr(names), StoryCollection(len(take), content_df, names_df)


def _distinct_ids(found: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.unique(found, return_inverse=True)`` for ids in ``range(size)``, by counting
    instead of sorting: the distinct ids ascending, and each entry's place among them.  On the
    101,000-document index of the benchmark (some 30M entries) the sort was half of
    :func:`counted_views`, which every ``index add`` runs (docs/benchmarks.md, stop 46)."""
    counts = np.bincount(found, minlength=size)  # longer than ``size`` if an id is not below it
    present = np.flatnonzero(counts)
    place = np.zeros(max(len(counts), 1), dtype=np.int64)
    place[present] = np.arange(len(present), dtype=np.int64)
    return present, place[found]


def _sorted_csr(rows: Any) -> Any:
    """``rows`` as csr with sorted column indices: a sparse product then sums each entry's
    terms in column order, as the pairwise products of :func:`indexed_similarity` do, so both
    give the same floats."""
    from scipy.sparse import csr_matrix

    out = csr_matrix(rows)
    out.sort_indices()
    return out


def _days(published: Sequence[str | None]) -> np.ndarray:
    return np.asarray([np.nan if (x := _day(p)) is None else x for p in published], dtype=np.float64)


def _bar(r_a: np.ndarray, r_b: np.ndarray, days_a: np.ndarray | None, days_b: np.ndarray | None,
         config: StoryConfig) -> np.ndarray:
    """The usual similarity each pair is held to (elementwise, broadcast: pass a column and a
    row for a block): ``max(floor, √(r_a · r_b))``, less ``close_discount`` (never below the
    floor) for two documents both dated at most ``close_days`` apart (:class:`StoryConfig`).
    One definition for every path (the dense matrix, the components' blocks, the edges), so
    all give the same floats."""
    usual = np.sqrt(r_a * r_b)
    if days_a is not None and days_b is not None and config.close_discount > 0.0:
        with np.errstate(invalid="ignore"):
            close = np.abs(days_a - days_b) <= config.close_days
        usual = np.where(close, usual - config.close_discount, usual)
    out: np.ndarray = np.maximum(config.floor, usual)
    return out


def _dense_block(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int,
                 idx: Sequence[int] | None = None) -> np.ndarray:
    """The similarity matrix of the rows ``idx`` (all rows when None).  The entries are those of
    the whole matrix to the bit: a sparse product computes each entry from its two rows alone."""
    c = content if idx is None else content[list(idx)]
    e = names if idx is None else names[list(idx)]
    d = None if days is None else days if idx is None else days[list(idx)]
    return _similarity_rows(c, e, c.T, e.T, d, d, max_gap_days)


def _similarity_rows(content_rows: Any, names_rows: Any, content_t: Any, names_t: Any,
                     days_rows: np.ndarray | None, days_cols: np.ndarray | None, max_gap_days: int) -> np.ndarray:
    """The similarities of some rows against the columns of the transposed views (the geometric
    mean of the content and name cosines, zero past ``max_gap_days``): one definition for the
    dense matrix, its row blocks and the components' blocks, so all give the same floats."""
    sc = np.clip((content_rows @ content_t).toarray(), 0.0, 1.0)
    se = np.clip((names_rows @ names_t).toarray(), 0.0, 1.0)
    sim: np.ndarray = np.sqrt(sc * se).astype(np.float32)
    del sc, se
    if days_rows is not None and days_cols is not None:
        gap = np.abs(days_rows[:, None] - days_cols[None, :])
        sim[np.nan_to_num(gap, nan=0.0) > max_gap_days] = 0.0
    return sim


def similarity_matrix(features: Sequence[tuple[list[str], list[str]]],
                      published: Sequence[str | None] | None = None,
                      max_gap_days: int = DEFAULT_MAX_GAP, *,
                      collection: StoryCollection | None = None) -> np.ndarray:
    """Pairwise story similarity: geometric mean of the content and name TF-IDF cosines.

    With ``published``, documents both dated more than ``max_gap_days`` apart get 0.  With
    ``collection``, the idf comes from the whole collection's counts, not from ``features``.
    Dense (n²): for evaluation; clustering goes through :func:`sparse_similarity`.
    """
    content, names = _views(features, collection)
    return _dense_block(content, names, None if published is None else _days(published), max_gap_days)


#: Similarity entries computed at once by :func:`sparse_similarity` (rows per block × n): about
#: 25 MB of transient arrays whatever the size of the collection.  On BBC News (2,225 articles)
#: the clustering's peak memory above its features went from 193 MB (n × n) to 39 MB, the time
#: unchanged (docs/calibration.md).
BLOCK_ENTRIES = 500_000


def sparse_similarity(features: Sequence[tuple[list[str], list[str]]],
                      published: Sequence[str | None] | None = None,
                      max_gap_days: int = DEFAULT_MAX_GAP, *, collection: StoryCollection | None = None,
                      neighbours: int = DEFAULT_CONFIG.neighbours,
                      keep: float = DEFAULT_CONFIG.threshold + DEFAULT_CONFIG.floor) -> tuple[Any, np.ndarray]:
    """What the clustering needs of :func:`similarity_matrix`, in memory linear in n.

    The matrix is computed a block of rows at a time (:data:`BLOCK_ENTRIES`) and only two
    things are kept: each row's usual similarity ``r_d`` (the mean of its ``neighbours``
    highest, :func:`contrast_matrix`) and the entries of at least ``keep``.  A pair's contrast
    is its similarity minus at least the floor, so with ``keep = threshold + floor`` every
    pair that can reach the threshold is kept.  Each entry of a block is computed from its two
    rows alone, as in the whole product, so both are those of the dense path to the bit.

    Returns:
        ``(kept, r)``: a symmetric ``scipy.sparse.csr_matrix`` (float32, no diagonal) and the
        usual similarities (float64).
    """
    from scipy.sparse import coo_matrix

    n = len(features)
    content, names = _views(features, collection)
    days = None if published is None else _days(published)
    ct, nt = content.T.tocsr(), names.T.tocsr()
    step = max(1, BLOCK_ENTRIES // max(1, n))
    r = np.zeros(n, dtype=np.float64)
    k = min(neighbours, n - 1)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for s in range(0, n, step):
        e = min(n, s + step)
        sim = _similarity_rows(content[s:e], names[s:e], ct, nt, None if days is None else days[s:e], days,
                               max_gap_days)
        local = np.arange(e - s)
        off = sim.astype(np.float64)
        off[local, local + s] = -np.inf
        if k > 0:
            r[s:e] = _usual_rows(off, neighbours)
        i, j = np.nonzero(off >= keep)
        rows.append(i + s)
        cols.append(j)
        vals.append(sim[i, j])
    a, b, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    kept = coo_matrix((v, (a, b)), shape=(n, n), dtype=np.float32).tocsr()
    return kept, r


def _usual_rows(top: np.ndarray, neighbours: int) -> np.ndarray:
    """``r_d`` of each row of ``top`` (a row's highest similarities, any order, at most
    ``neighbours`` of them; those left out count as 0).

    Every path (the n × n matrix, its blocks, the indexed pairs) sums the same ``neighbours``
    values in the same order (descending, zero-padded), so each gets the same floats.
    """
    m = top.shape[0]
    full = np.zeros((m, neighbours), dtype=np.float64)
    k = min(neighbours, top.shape[1])
    if k:
        part = top if top.shape[1] <= k else -np.partition(-top, k - 1, axis=1)[:, :k]
        full[:, :k] = np.maximum(part, 0.0)
    full = -np.sort(-full, axis=1)
    out: np.ndarray = full.sum(axis=1) / neighbours
    return out


#: The name cosine from which :func:`indexed_similarity` computes a pair's similarity; below it
#: the pair's similarity is only bounded (by the square root of its name cosine) in the usual
#: similarity's upper bound.  Any value up to ``keep²`` is exact; a lower one computes more
#: pairs and leaves fewer usual similarities uncertain.  On BBC News (2,225 articles) 0.02
#: computes 302,536 of 2.47 M pairs (12 %) and leaves 91 documents whose usual similarity has to
#: be computed over the whole collection (0.04: 128,326 pairs, 336 documents).
PAIR_NAME_COSINE = 0.02


@dataclass(frozen=True, slots=True)
class IndexedPairs:
    """What :func:`indexed_similarity` finds: the pairs that can join a story and bounds on each
    representative's usual similarity.

    ``kept``: symmetric csr (float32, no diagonal) of every pair of similarity at least
    ``keep``, each the :func:`similarity_matrix` entry to the bit.  ``low`` and ``high``:
    bounds on each row's usual similarity ``r_d`` (equal where it is exact).  ``computed``:
    the number of pairs whose similarity was computed (each pair once).  ``top`` and
    ``bound_top``: each row's ``neighbours`` highest similarities computed, and highest bounds
    of the pairs not computed (rows × neighbours, descending, zero-padded): ``low`` and
    ``high`` are :func:`_usual_rows` of the first and of both.  ``top_ids``: the row (of the
    views) each of ``top`` is with, -1 where padded.
    """

    kept: Any
    low: np.ndarray
    high: np.ndarray
    computed: int
    top: np.ndarray | None = None
    bound_top: np.ndarray | None = None
    top_ids: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class ScoredPart:
    """A part of a collection scored within the whole (:func:`extend_stories`), for
    :func:`cluster_representatives` to cluster without scoring it again: the part's rows of the
    collection's views (``content``, ``names``) and its pairs that can join a story among
    themselves (``kept``: symmetric csr, as :attr:`IndexedPairs.kept`)."""

    content: Any
    names: Any
    kept: Any


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """What a clustering keeps of one representative's neighbourhood for the next add
    (:func:`extend_stories`' ``known_neighbourhood``): its ``neighbours`` highest similarities
    computed (``top``, float32, descending, zero-padded), an upper bound on its usual similarity
    (``high``: the mean of ``top`` where that is exact), the number of representatives of the
    collection they were computed in (``size``) and the representatives they are with
    (``documents``, by id, in the order of ``top``; the padding has none), and the ``arrival``
    it was complete to."""

    top: np.ndarray
    high: float
    size: int
    documents: tuple[str, ...] = ()
    #: The last arrival (``Store.last_arrival``) of the collection it was made in: every document
    #: that had arrived by then was scored against it or bounded.  Those arrived since are scored
    #: against it when it is used (``extend_stories(arrived_after=)``); 0 where unknown.
    arrival: int = 0


def _neighbourhood(top: np.ndarray, high: float, size: int, rows: np.ndarray, ids: Sequence[str],
                   reps: Sequence[int]) -> Neighbourhood:
    """The :class:`Neighbourhood` a clustering keeps of one representative: ``top`` and the
    ``rows`` (among ``reps``, -1 where padded) they are with, named by document id."""
    return Neighbourhood(top.astype(np.float32), float(high), size, tuple(ids[reps[j]] for j in rows.tolist() if j >= 0))


def indexed_similarity(features: Sequence[tuple[list[str], list[str]]],
                       published: Sequence[str | None] | None = None,
                       max_gap_days: int = DEFAULT_MAX_GAP, *, collection: StoryCollection | None = None,
                       neighbours: int = DEFAULT_CONFIG.neighbours,
                       keep: float = DEFAULT_CONFIG.threshold + DEFAULT_CONFIG.floor,
                       name_cosine: float = PAIR_NAME_COSINE) -> IndexedPairs:
    """The pairs that can join a story, without scoring every pair (an inverted index over names).

    The similarity is the geometric mean of the content and name cosines, both at most 1, so a
    pair of similarity at least ``keep`` has a name cosine of at least ``keep²`` (0.04 at the
    defaults).  The name cosines come from the sparse product of the name vectors, which visits
    only the pairs sharing a name (the product is the inverted index over names: each name's
    postings paired); the content cosine, the costly part (every two news articles share some
    word), is computed only for the pairs whose name cosine reaches ``min(keep², name_cosine)``.
    Every pair at ``keep`` or more is therefore found: the bound is exact, not a heuristic.

    The usual similarity (the mean of a document's ``neighbours`` highest) is bounded: from
    below by the computed pairs alone (a pair not computed counting as 0), from above by
    counting each pair not computed at its bound ``√(name cosine)`` (a pair sharing no name has
    similarity 0 exactly).  :func:`cluster_representatives` joins components on the lower
    bound (every contrast over-estimated: a superset of the real edges) and computes the usual
    similarity exactly for the few documents of a component where the bounds differ and the
    difference can matter (above the floor).

    Raises:
        ValueError: when ``keep`` is not positive (every pair can then pass).

    Cost: the name product (pairs sharing a name: 43 % of BBC News's pairs, but a name vector
    holds a few dozen terms, against hundreds of content stems) and the content cosine of the
    computed pairs, each entry computed from its two rows as the whole product does.
    """
    if keep <= 0.0:
        raise ValueError(f"keep must be positive for the names index, got {keep!r} (score every pair: "
                         "sparse_similarity)")
    content, names = _views(features, collection)
    days = None if published is None else _days(published)
    return _indexed(content, names, days, max_gap_days, neighbours, keep, name_cosine)


def _indexed(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int, neighbours: int,
             keep: float, name_cosine: float, rows: Sequence[int] | None = None,
             top_columns: np.ndarray | None = None) -> IndexedPairs:
    """:func:`indexed_similarity` over the views; with ``rows`` (sorted), only the pairs of those
    rows with any row are scored, and ``low`` and ``high`` are those of ``rows`` (in order):
    the same floats as the whole run's for those rows and pairs.  With ``top_columns`` (a mask
    over the rows of the views), a row's usual similarity bounds (``low``, ``high``, ``top``,
    ``bound_top``) count only its pairs with those documents; ``kept`` still holds all."""
    from scipy.sparse import coo_matrix

    n = content.shape[0]
    order = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    m = len(order)
    if n < 2:
        z = np.zeros(m, dtype=np.float64)
        tops = np.zeros((m, neighbours), dtype=np.float64)
        return IndexedPairs(coo_matrix((n, n), dtype=np.float32).tocsr(), z, z.copy(), 0, tops, tops.copy(),
                            np.full((m, neighbours), -1, dtype=np.int64))
    # Position of each row among ``rows`` (-1 outside): a pair of two such rows is scored once.
    pos = np.full(n, -1, dtype=np.int64)
    pos[order] = np.arange(m)
    c0 = min(keep * keep, name_cosine) - 1e-9
    nt = names.T.tocsr()
    step = max(1, BLOCK_ENTRIES // max(1, n))
    # Per row, the highest similarities scored and the highest bounds of the pairs not scored
    # (``neighbours`` of each, zero-padded): memory linear in n, whatever the pairs scored.
    known_top = np.zeros((m, neighbours), dtype=np.float64)
    known_ids = np.full((m, neighbours), -1, dtype=np.int64)  # the row each of those is with
    bound_top = np.zeros((m, neighbours), dtype=np.float64)
    ki: list[np.ndarray] = []
    kj: list[np.ndarray] = []
    kv: list[np.ndarray] = []
    computed = 0

    def block(s: int) -> tuple[int, int, np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Block ``s``'s unscored bounds (its rows' ``bound_top``), and its scored pairs: their
        rows, columns, similarities and which are kept."""
        e = min(m, s + step)
        block_rows = slice(s, e) if rows is None else order[s:e]
        c_rows = content[block_rows]
        product = (names[block_rows] @ nt).tocoo()
        local = product.row.astype(np.int64)
        i = order[s:e][local]
        j = product.col.astype(np.int64)
        cn = np.clip(product.data, 0.0, 1.0)
        off = i != j
        local, i, j, cn = local[off], i[off], j[off], cn[off]
        hit = cn >= c0
        miss = ~hit if top_columns is None else ~hit & top_columns[j]
        bounds = None
        if miss.any():
            # Each pair not scored counts at its row's largest bound (cheaper than sorting).
            count = np.minimum(np.bincount(local[miss], minlength=e - s), neighbours)
            largest = np.zeros(e - s, dtype=np.float64)
            np.maximum.at(largest, local[miss], np.sqrt(cn[miss]) + 1e-6)
            bounds = np.where(np.arange(neighbours)[None, :] < count[:, None], largest[:, None], 0.0)
        # Pairs scored, each once (i < j when both are rows, in the block of i): the content
        # product of these rows with only the columns (documents) they are paired with.  Each
        # entry is summed over the two rows' shared stems in column order, as in the whole
        # product (``_views``).
        once = hit & ((i < j) | (pos[j] < 0))
        local, i, j, cn = local[once], i[once], j[once], cn[once]
        sim = np.zeros(0, dtype=np.float32)
        if len(i):
            cols, inverse = np.unique(j, return_inverse=True)
            # The paired documents' rows times this block's few rows transposed: only the block
            # is converted for the product (not the paired rows: a third of the time at 40,000
            # documents), and each entry sums the same shared stems in the same (column) order
            # as ``c_rows @ content[cols].T``, so the same floats.
            cc = np.asarray((content[cols] @ c_rows.T).toarray())[inverse, local]
            sim = np.sqrt(np.clip(cc, 0.0, 1.0) * cn).astype(np.float32)
            if days is not None:
                gap = np.abs(days[i] - days[j])
                sim[np.nan_to_num(gap, nan=0.0) > max_gap_days] = 0.0
        return s, e, bounds, i, j, sim, sim >= keep

    # The blocks' products release the GIL (scipy's sparse kernels, numpy): ``cluster_threads``
    # threads compute blocks ahead while this one folds them in, in block order, so the
    # result is the one-thread result to the bit.
    for s, e, bounds, i, j, sim, big in _in_threads(block, range(0, m, step)):
        if bounds is not None:
            bound_top[s:e] = bounds
        if not len(i):
            continue
        computed += len(i)
        both = np.concatenate([pos[i], pos[j]])
        inside = both >= 0
        if top_columns is not None:  # each row's pair counts when its other end is one of them
            inside &= np.concatenate([top_columns[j], top_columns[i]])
        _merge_top(known_top, both[inside], np.concatenate([sim, sim]).astype(np.float64)[inside],
                   known_ids, np.concatenate([j, i])[inside])
        ki += [i[big], j[big]]
        kj += [j[big], i[big]]
        kv += [sim[big], sim[big]]
    low = _usual_rows(known_top, neighbours)
    high = _usual_rows(np.concatenate([known_top, bound_top], axis=1), neighbours)
    pair_rows = np.concatenate(ki) if ki else np.zeros(0, dtype=np.int64)
    pair_cols = np.concatenate(kj) if kj else np.zeros(0, dtype=np.int64)
    vals = np.concatenate(kv) if kv else np.zeros(0, dtype=np.float32)
    kept = coo_matrix((vals, (pair_rows, pair_cols)), shape=(n, n), dtype=np.float32).tocsr()
    return IndexedPairs(kept, low, high, computed, known_top, bound_top, known_ids)


def _merge_top(top: np.ndarray, rows: np.ndarray, values: np.ndarray, top_ids: np.ndarray | None = None,
               ids: np.ndarray | None = None) -> None:
    """Fold ``values`` (of ``rows``) into each row's ``k`` highest, ``top`` (n × k, each row
    in descending order, as :func:`_top_per_row` leaves it), in place; with ``top_ids`` (n × k)
    and ``ids`` (one a value), the ids of the values kept follow them.

    A value no higher than its row's ``k``-th cannot change the row's ``k`` highest (as a
    multiset: an equal value only replaces its equal), so only the higher ones are merged, and
    only their rows sorted again.  Without that filter every block of the names index sorted
    again the rows of nearly every document it paired with: at 41,000 documents 6 of the 22
    seconds of ``extend_stories``, on one thread."""
    higher = values > top[rows, -1]
    rows, values = rows[higher], values[higher]
    if not len(rows):
        return
    touched, local = np.unique(rows, return_inverse=True)
    k = top.shape[1]
    merged_rows = np.concatenate([np.repeat(np.arange(len(touched)), k), local])
    merged = np.concatenate([top[touched].ravel(), values])
    if top_ids is None or ids is None:
        top[touched] = _top_per_row(merged_rows, merged, len(touched), k)
        return
    merged_ids = np.concatenate([top_ids[touched].ravel(), ids[higher]])
    top[touched], top_ids[touched] = _top_ids_per_row(merged_rows, merged, merged_ids, len(touched), k)


def _top_per_row(rows: np.ndarray, values: np.ndarray, n: int, k: int) -> np.ndarray:
    """An ``n × k`` array holding each row's ``k`` highest ``values`` (zero-padded)."""
    return _top_ids_per_row(rows, values, None, n, k)[0]


def _top_ids_per_row(rows: np.ndarray, values: np.ndarray, ids: np.ndarray | None, n: int, k: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_top_per_row`, and the ``ids`` of the values kept (n × k, -1 where padded; all -1
    without ``ids``)."""
    out = np.zeros((n, k), dtype=np.float64)
    out_ids = np.full((n, k), -1, dtype=np.int64)
    if len(rows) == 0:
        return out, out_ids
    # One float key (row, then descending value: values lie in [0, 1 + 1e-6]) sorts faster
    # than a lexsort; float64 keeps every float32 similarity apart up to millions of rows.
    order = np.argsort(rows + (2.0 - values) / 4.0, kind="stable")
    r, v = rows[order], values[order]
    starts = np.searchsorted(r, np.arange(n))
    rank = np.arange(len(r)) - starts[r]
    take = rank < k
    out[r[take], rank[take]] = v[take]
    if ids is not None:
        out_ids[r[take], rank[take]] = ids[order][take]
    return out, out_ids


def _exact_usual(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int,
                 idx: Sequence[int], neighbours: int) -> np.ndarray:
    """The usual similarity of the rows ``idx`` over the whole collection (blocks of rows)."""
    return _usual_rows(_exact_top(content, names, days, max_gap_days, idx, neighbours)[0], neighbours)


def _exact_top(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int,
               idx: Sequence[int], neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``neighbours`` highest similarities of each of the rows ``idx`` over the whole
    collection (len(idx) × neighbours, descending, zero-padded: :func:`_usual_rows` of it is
    the row's usual similarity, the same floats as of the whole row), and the row each is with
    (-1 where padded)."""
    n = content.shape[0]
    ct, nt = content.T.tocsr(), names.T.tocsr()
    step = max(1, BLOCK_ENTRIES // max(1, n))
    out = np.zeros((len(idx), neighbours), dtype=np.float64)
    out_ids = np.full((len(idx), neighbours), -1, dtype=np.int64)
    k = min(neighbours, n)

    def block(s: int) -> tuple[int, np.ndarray, np.ndarray]:
        rows = list(idx[s:s + step])
        sim = _similarity_rows(content[rows], names[rows], ct, nt, None if days is None else days[rows], days,
                               max_gap_days)
        off = sim.astype(np.float64)
        off[np.arange(len(rows)), rows] = -np.inf
        where = (np.broadcast_to(np.arange(off.shape[1]), off.shape) if off.shape[1] <= k
                 else np.argpartition(-off, k - 1, axis=1)[:, :k])
        values = np.take_along_axis(off, where, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        values, where = np.take_along_axis(values, order, axis=1), np.take_along_axis(where, order, axis=1)
        return s, np.maximum(values, 0.0), np.where(values > 0.0, where, -1)

    for s, top, top_ids in _in_threads(block, range(0, len(idx), step)):
        out[s:s + len(top), : top.shape[1]] = top
        out_ids[s:s + len(top), : top.shape[1]] = top_ids
    return out, out_ids


#: How far a kept usual similarity (``extend_stories(known_usual=)``) is assumed to have fallen
#: since it was computed: the idf, and so every similarity, moves as the collection grows, and a
#: kept value may be exact where the one the add computes is a lower bound.  On the 41,000-document
#: benchmark index (1,000 added; ``benchmarks/bench_stories.py --only index_extend``) the values
#: the add computed for the same representatives were 0.0018 higher at the median, at most 0.034
#: lower; with 0.05 the stories agree with clustering everything as well as without kept values
#: (ARI 0.99978 against 0.99979; 0.02: 0.99968, 0.1 and 0.2: 0.99978) and the add clusters again
#: 4,604 representatives instead of 11,789.
USUAL_DRIFT = 0.05


#: Threads the story clustering's block products use (:func:`cluster_threads`); one unless set.
_THREADS: ContextVar[int] = ContextVar("newstrace_story_threads", default=1)


@contextmanager
def cluster_threads(threads: int | None) -> Iterator[None]:
    """Run the story clustering in the block with ``threads`` threads (``None``: all cores).

    Its names index (:func:`indexed_similarity`) and exact usual similarities are products of
    blocks of rows, whose sparse kernels release the GIL: at 41,000 documents they are most
    of ``organise``.  ``organise`` sets it from its ``workers``; elsewhere (a Spark task, which
    has one core) it stays at one.  The results are the same whatever the count."""
    token = _THREADS.set(max(1, threads if threads is not None else (os.cpu_count() or 1)))
    try:
        yield
    finally:
        _THREADS.reset(token)


def _in_threads(work: Callable[[int], T], starts: Iterable[int]) -> Iterator[T]:
    """``work`` of each block start, in order, computed by :func:`cluster_threads` threads (at
    most two blocks ahead of the consumer per thread, so memory stays that of a few blocks)."""
    threads = _THREADS.get()
    todo = list(starts)
    if threads <= 1 or len(todo) <= 1:
        yield from map(work, todo)
        return
    from concurrent.futures import Future, ThreadPoolExecutor

    ahead = 2 * threads
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="newstrace-stories") as pool:
        pending: deque[Future[T]] = deque()
        try:
            for start in todo:
                pending.append(pool.submit(work, start))
                if len(pending) >= ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def contrast_matrix(sim: np.ndarray, neighbours: int = DEFAULT_CONFIG.neighbours,
                    floor: float = DEFAULT_CONFIG.floor, usual: np.ndarray | None = None, *,
                    published: Sequence[str | None] | None = None,
                    close_days: int = DEFAULT_CONFIG.close_days,
                    close_discount: float = DEFAULT_CONFIG.close_discount) -> np.ndarray:
    """Each pair's similarity minus the usual similarity around its two documents.

    ``r_d`` is the mean of ``d``'s ``neighbours`` highest similarities to other documents, a
    missing neighbour (a collection of fewer documents) counting as 0; the contrast is
    ``sim − max(floor, √(r_a · r_b))``, with 1 on the diagonal.  See the module docstring for
    why.  Counting missing neighbours as 0 lets a small collection fall back on the floor: among
    three articles, two near-copies would otherwise make the third, a report of the same event,
    look unusually far from them.  The geometric mean of the two usual
    similarities was chosen over the arithmetic mean and the larger one on ECB+ (event ARI 0.943,
    0.940, 0.888 at the best threshold; held out, docs/calibration.md).  ``usual`` gives the
    ``r_d`` of each row when ``sim`` is one part of a larger collection (the Spark engine
    computes them over the whole collection: :func:`usual_similarity`).  With ``published``
    (one date or None a row), two documents both dated at most ``close_days`` apart are held
    to a usual similarity lowered by ``close_discount``, never below the floor
    (:class:`StoryConfig`).
    """
    n = sim.shape[0]
    s = sim.astype(np.float64)
    if n < 2:
        return np.ones_like(s)
    if usual is None:
        off = s.copy()
        np.fill_diagonal(off, -np.inf)
        r = _usual_rows(off, neighbours)
    else:
        r = np.asarray(usual, dtype=np.float64)
    days = None if published is None else _days(published)
    config = StoryConfig(floor=floor, close_days=close_days, close_discount=close_discount)
    out: np.ndarray = s - _bar(r[:, None], r[None, :], None if days is None else days[:, None],
                               None if days is None else days[None, :], config)
    np.fill_diagonal(out, 1.0)
    return out


def usual_similarity(similarities: Sequence[float], neighbours: int = DEFAULT_CONFIG.neighbours) -> float:
    """``r_d`` of :func:`contrast_matrix` from a document's similarities to the others (any
    order; those left out are 0)."""
    # rounded to float32 as :func:`similarity_matrix` stores them, so both paths agree
    top = np.asarray([float(np.float32(x)) for x in similarities], dtype=np.float64).reshape(1, -1)
    return float(_usual_rows(top, neighbours)[0])


def _unit(bag: Sequence[str], df: Mapping[str, int], n: int) -> dict[str, float]:
    weights = {w: _weight(c, df[w], n) for w, c in sorted(Counter(bag).items())}
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    return {w: v / norm for w, v in weights.items()}


StoryVector = tuple[dict[str, float], dict[str, float], int | None]


def story_vector(features: tuple[list[str], list[str]], published: str | None,
                 collection: StoryCollection) -> StoryVector:
    """One representative's unit TF-IDF vectors (content, names) and day, as
    :func:`similarity_matrix` weighs them with ``collection``: for finding the pairs that can
    join one story without the whole matrix (:func:`story_similarity`)."""
    return (_unit(features[0], collection.content_df, collection.size),
            _unit([w.lower() for w in features[1]], collection.names_df, collection.size), _day(published))


def story_similarity(a: StoryVector, b: StoryVector, max_gap_days: int = DEFAULT_MAX_GAP) -> float:
    """The :func:`similarity_matrix` entry of two representatives (to float rounding)."""
    if a[2] is not None and b[2] is not None and abs(a[2] - b[2]) > max_gap_days:
        return 0.0

    def cos(x: dict[str, float], y: dict[str, float]) -> float:
        if len(x) > len(y):
            x, y = y, x
        return min(1.0, max(0.0, sum(v * y.get(w, 0.0) for w, v in x.items())))

    return math.sqrt(cos(a[0], b[0]) * cos(a[1], b[1]))


def _average_link(sim: np.ndarray, threshold: float) -> list[int]:
    """Cluster labels by average-link agglomeration stopped at ``threshold`` similarity (a
    similarity in [0, 1] or a contrast in [-1, 1])."""
    n = sim.shape[0]
    if n == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    dist = np.clip(1.0 - sim.astype(np.float64), 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    z = linkage(squareform(dist, checks=False), method="average")
    return [int(x) for x in fcluster(z, t=1.0 - threshold, criterion="distance")]


#: How :func:`cluster_representatives` finds the pairs that can join a story: ``"indexed"``
#: (the default: pairs sharing names, :func:`indexed_similarity`), ``"blocks"`` (every pair,
#: a block of rows at a time, :func:`sparse_similarity`) or ``"dense"`` (the n × n matrix).
#: All three give the same stories.
Method = Literal["indexed", "blocks", "dense"]


def cluster_representatives(features: Sequence[tuple[list[str], list[str]]],
                            published: Sequence[str | None], config: StoryConfig = DEFAULT_CONFIG, *,
                            collection: StoryCollection | None = None, usual: np.ndarray | None = None,
                            dense: bool = False, method: Method = "indexed",
                            scored: ScoredPart | None = None, views: tuple[Any, Any] | None = None) -> list[int]:
    """Story labels of representatives: average link on the contrast, stopped at the threshold.

    Default (``method="indexed"``): :func:`indexed_similarity` finds every pair of similarity
    at least ``threshold + floor`` (the least a pair past the threshold can have) through the
    names the two documents share, and bounds each representative's usual similarity.  Pairs
    whose contrast can reach the threshold (on the lower bound of the usual similarity, so a
    superset of the real ones) join representatives into components; in each component the
    usual similarity is made exact where its bounds differ above the floor, and the component
    is clustered on its own full similarity matrix.  Average link never merges two groups
    without one pair past the threshold, so no story crosses a component, and each
    component's stories are those of the whole matrix: the same stories as ``method="dense"``
    (the n × n matrix and its linkage, memory O(n²)) and ``"blocks"`` (every pair scored a
    block of rows at a time, memory linear), pinned on ECB+ and BBC News by tests.  ``dense``
    is the old spelling of ``method="dense"``.  ``usual`` gives each row's usual similarity over
    a larger collection (the Spark engine's parts).  ``scored`` (with ``usual``): the part's
    views and pairs, scored already within the larger collection (:func:`extend_stories`).
    ``views``: the features' views (content, names), made already (:func:`counted_views`).
    """
    return _labels_and_usual(features, published, config, collection=collection, usual=usual, dense=dense,
                             method=method, scored=scored, views=views)[0]


def _labels_and_usual(features: Sequence[tuple[list[str], list[str]]], published: Sequence[str | None],
                      config: StoryConfig, *, collection: StoryCollection | None, usual: np.ndarray | None,
                      dense: bool, method: Method, scored: ScoredPart | None,
                      views: tuple[Any, Any] | None
                      ) -> tuple[list[int], np.ndarray | None, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """:func:`cluster_representatives`' labels, and the usual similarity each representative was
    held to: exact where it was computed over the whole collection, a lower bound elsewhere
    (:func:`_unsure`: only where the bounds differ and it cannot matter); ``None`` for
    ``method="dense"``.  :func:`extend_stories` keeps it to tell which stored stories a later
    add can reach.  Third, with the names index over the whole collection (else ``None``): each
    representative's neighbourhood as :func:`extend_stories` keeps it (``known_neighbourhood``),
    its highest similarities computed (rows × neighbours, descending), an upper bound on its
    usual similarity (the mean of those where it is exact) and the rows those are with."""
    n = len(features)
    if n == 0:
        return [], np.zeros(0, dtype=np.float64), None
    if dense:
        method = "dense"
    if method == "dense":
        rows = similarity_matrix(features, published, config.max_gap_days, collection=collection)
        return _average_link(contrast_matrix(rows, config.neighbours, config.floor, usual=usual, published=published,
                                             close_days=config.close_days, close_discount=config.close_discount),
                             config.threshold), None, None
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    # Every pair past the threshold has a similarity of at least threshold + floor.
    keep = config.threshold + config.floor - 1e-6
    days = _days(published)
    found: IndexedPairs | None = None
    if scored is not None:
        if usual is None or scored.kept.shape[0] != n:
            raise ValueError("cluster_representatives: scored needs usual, and one row a representative")
        content, names, kept = scored.content, scored.names, scored.kept
        low = high = usual  # as for any part with usual (below)
    elif method == "blocks" or keep <= 0.0:
        # A pair sharing no name (similarity 0) can pass only when the threshold is below
        # −floor: then no index helps, and every pair is scored.
        content, names = _views(features, collection)
        kept, r_own = sparse_similarity(features, published, config.max_gap_days, collection=collection,
                                        neighbours=config.neighbours, keep=keep)
        low = high = r_own
    else:
        content, names = views if views is not None else _views(features, collection)
        found = _indexed(content, names, days, config.max_gap_days, config.neighbours, keep, PAIR_NAME_COSINE)
        kept, low, high = found.kept, found.low, found.high
    neighbourhood = None
    if usual is not None:
        low = high = np.asarray(usual, dtype=np.float64)
    elif found is not None and found.top is not None:
        assert found.top is not None and found.top_ids is not None
        neighbourhood = (found.top.copy(), high.copy(), found.top_ids.copy())
    r = low.copy()
    pairs = kept.tocoo()
    # On the lower bound of the usual similarity every contrast is at least the real one.
    # (Two documents dated close together are held to a lower usual similarity: ``_bar``.)
    contrast = pairs.data.astype(np.float64) - _bar(low[pairs.row], low[pairs.col], days[pairs.row],
                                                    days[pairs.col], config)
    # A hair below the threshold: a component too large costs nothing.
    edge = contrast >= config.threshold - 1e-6
    graph = coo_matrix((np.ones(int(edge.sum())), (pairs.row[edge], pairs.col[edge])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    members: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(comp):
        members[int(c)].append(i)
    unsure = []
    for idx in members.values():
        if len(idx) > 1:
            unsure += _unsure(idx, low, high, max(high[i] for i in idx), config.floor)
    if unsure:
        unsure.sort()
        exact, exact_ids = _exact_top(content, names, days, config.max_gap_days, unsure, config.neighbours)
        r[unsure] = _usual_rows(exact, config.neighbours)
        if neighbourhood is not None:
            neighbourhood[0][unsure] = exact
            neighbourhood[1][unsure] = r[unsure]
            neighbourhood[2][unsure] = exact_ids
    labels = [0] * n
    next_label = 0
    edge_rows, edge_cols, edge_sims = pairs.row[edge], pairs.col[edge], pairs.data[edge]
    for c in sorted(members, key=lambda c: members[c][0]):
        idx = members[c]
        if len(idx) == 1:
            local = [0]
        elif len(idx) > SPARSE_LINK_MIN:
            inside = comp[edge_rows] == c
            local = _sparse_average_link(content, names, days, config.max_gap_days, idx, r[idx], config,
                                         (edge_rows[inside], edge_cols[inside], edge_sims[inside]))
        else:
            local = _component_labels(content, names, days, config.max_gap_days, idx, r[idx], config)
        base = next_label
        for i, lab in zip(idx, local, strict=True):
            labels[i] = base + lab
            next_label = max(next_label, base + lab + 1)
    return labels, r, neighbourhood


def _unsure(idx: Iterable[int], low: np.ndarray, high: np.ndarray, top: float, floor: float) -> list[int]:
    """The rows of ``idx`` whose usual similarity is not exact and can matter, among rows whose
    highest upper bound is ``top``: a pair's contrast takes max(floor, √(r_a · r_b)), which is
    the floor whatever r_a is once √(high_a · top) is."""
    return [i for i in idx if high[i] > low[i] and math.sqrt(high[i] * top) > floor]


#: Components with more representatives than this are clustered by :func:`_sparse_average_link`
#: instead of a linkage over every pair of the component (m² pairs scored, about m² × 8 bytes:
#: 72 MB at 3,000).  The sparse link scores far fewer pairs but merges in Python: on a component
#: of 2,156 (three times BBC News, ``benchmarks/bench_stories.py --worlds 3``) it took 11.6 s
#: where the full linkage of the component takes a few seconds, so it is kept for components
#: whose square would not fit comfortably.  BBC News's largest component holds 846 articles.
SPARSE_LINK_MIN = 3000


def _sparse_average_link(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int,
                         idx: Sequence[int], r: np.ndarray, config: StoryConfig,
                         edges: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[int]:
    """Average link over one component without scoring every pair of it: the same flat clusters.

    Two groups can merge only when the mean contrast between them reaches the threshold, which
    needs one pair that does (an edge).  So only groups joined by an edge are compared, and the
    sum of the contrasts between two of them is kept exact: when a merge makes a group
    adjacent to one it had no edge to, the missing block of pairs is scored then (stories are
    small, so these blocks are).  Groups merge greedily, the highest mean contrast first, until
    none reaches the threshold: average link is reducible, so this greedy order gives the
    dendrogram of the full linkage and the same cut (up to float rounding: the full linkage
    updates means by Lance-Williams, this keeps sums).
    """

    pos = {g: k for k, g in enumerate(idx)}
    c_rows, n_rows = content[list(idx)], names[list(idx)]
    d = None if days is None else days[list(idx)]

    def block_sums(a: list[int], others: list[int]) -> dict[int, float]:
        # The contrast sums of group ``a`` with each of ``others``, from one product.
        if not others:
            return {}
        cols = [i for o in others for i in group[o]]
        sim = _similarity_rows(c_rows[a], n_rows[a], c_rows[cols].T, n_rows[cols].T,
                               None if d is None else d[a], None if d is None else d[cols], max_gap_days)
        con = (sim.astype(np.float64) - _bar(r[a][:, None], r[cols][None, :], None if d is None else d[a][:, None],
                                              None if d is None else d[cols][None, :], config)).sum(axis=0)
        bounds = np.cumsum([0] + [len(group[o]) for o in others])[:-1]
        return {o: float(v) for o, v in zip(others, np.add.reduceat(con, bounds), strict=True)}

    group: dict[int, list[int]] = {k: [k] for k in range(len(idx))}
    sums: dict[int, dict[int, float]] = {k: {} for k in range(len(idx))}
    heap: list[tuple[float, int, int]] = []
    ea = np.asarray([pos[int(g)] for g in edges[0]], dtype=np.int64)
    eb = np.asarray([pos[int(g)] for g in edges[1]], dtype=np.int64)
    bars = _bar(r[ea], r[eb], None if d is None else d[ea], None if d is None else d[eb], config)
    for a, b, sv, bar in zip(ea.tolist(), eb.tolist(), edges[2], bars, strict=True):
        if a < b:
            v = float(np.float64(sv) - bar)
            sums[a][b] = sums[b][a] = v
            heap.append((-v, a, b))
    heapq.heapify(heap)
    next_id = len(idx)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if a not in group or b not in group or b not in sums[a]:
            continue
        mean = sums[a][b] / (len(group[a]) * len(group[b]))
        if mean != -neg:
            continue
        if mean < config.threshold:
            break
        new = next_id
        next_id += 1
        in_a, in_b = group.pop(a), group.pop(b)
        group[new] = in_a + in_b
        sums[new] = {}
        around = sorted((set(sums[a]) | set(sums[b])) - {a, b})
        fill_a = block_sums(in_a, [o for o in around if o not in sums[a]])
        fill_b = block_sums(in_b, [o for o in around if o not in sums[b]])
        for other in around:
            total = sums[a].get(other, fill_a.get(other, 0.0)) + sums[b].get(other, fill_b.get(other, 0.0))
            sums[new][other] = sums[other][new] = total
            sums[other].pop(a, None)
            sums[other].pop(b, None)
            heapq.heappush(heap, (-total / (len(group[new]) * len(group[other])), min(new, other), max(new, other)))
        del sums[a], sums[b]
    labels = [0] * len(idx)
    for k, (_, rows) in enumerate(sorted(group.items(), key=lambda x: min(x[1]))):
        for i in rows:
            labels[i] = k + 1
    return labels


def _component_labels(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int,
                      idx: Sequence[int], r: np.ndarray, config: StoryConfig) -> list[int]:
    """Average link over one component, its distances written a block of rows at a time into
    the condensed vector the linkage takes: memory about m² × 8 bytes for m representatives
    (the linkage's copy and the vector), not the several m × m matrices of
    ``_average_link(contrast_matrix(_dense_block(...), usual=r))``, whose floats these are to the bit
    (each entry computed from its two rows and ``r`` by the same operations)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    m = len(idx)
    c, e = content[list(idx)], names[list(idx)]
    ct, et = c.T.tocsr(), e.T.tocsr()
    d = None if days is None else days[list(idx)]
    cond = np.empty(m * (m - 1) // 2, dtype=np.float64)
    step = max(1, BLOCK_ENTRIES // m)
    for a in range(0, m, step):
        b = min(m, a + step)
        sim = _similarity_rows(c[a:b], e[a:b], ct, et, None if d is None else d[a:b], d, max_gap_days)
        dist = np.clip(1.0 - (sim.astype(np.float64) - _bar(r[a:b, None], r[None, :],
                                                             None if d is None else d[a:b, None],
                                                             None if d is None else d[None, :], config)),
                       0.0, 2.0)
        for i in range(a, b):
            start = m * i - i * (i + 1) // 2
            cond[start:start + m - i - 1] = dist[i - a, i + 1:]
    z = linkage(cond, method="average")
    return [int(x) for x in fcluster(z, t=1.0 - config.threshold, criterion="distance")]


def story_id(documents: Sequence[str]) -> str:
    """A story's id, fixed when it is opened (from its earliest-sorting first document)."""
    return "S" + xxhash.xxh64_hexdigest(min(documents))[:10]


def _label(members: Sequence[int], feats: Sequence[tuple[list[str], list[str]]], df: Counter[str],
           n: int, k: int) -> str:
    """The story's most characteristic names, most weighty first (headline-like): names found in
    many of the story's documents and few others (story document frequency squared × idf)."""
    # Counted by Counter over the members' names together (in C), then summed by lower case;
    # the surface shown for a name is its most frequent, the first seen among equals (as
    # ``Counter.most_common(1)`` over the forms in the order they first appear).
    forms = Counter(chain.from_iterable(feats[i][1] for i in members))
    total: Counter[str] = Counter()
    for w, c in forms.items():
        total[w.lower()] += c
    in_story = Counter(chain.from_iterable({w.lower() for w in feats[i][1]} for i in members))

    def weight(w: str) -> float:
        idf = math.log((1 + n + IDF_PRIOR_DOCS) / (1 + df[w])) + IDF_FLOOR
        return in_story[w] ** 2 * idf + 0.01 * total[w]
    scored = heapq.nsmallest(k, in_story, key=lambda w: (-weight(w), w))  # sorted(...)[:k]
    best: dict[str, tuple[str, int]] = {}
    for w, c in forms.items():
        low = w.lower()
        if low in scored and (low not in best or c > best[low][1]):
            best[low] = (w, c)
    picked = [best[w][0] for w in scored]
    return " · ".join(picked) if picked else "(no names)"


def _span(published: Iterable[str | None]) -> tuple[str | None, str | None]:
    dates = sorted(p for p in published if p)
    return (dates[0], dates[-1]) if dates else (None, None)


def _assign_ids(clusters: Sequence[Sequence[str]], existing: Sequence[Story]) -> list[str]:
    """Each cluster's story id: the stored story it shares the most documents with keeps its id.

    Pairs (cluster, stored story) are taken greedily by the number of documents they share
    (ties: the older-sorting id, then the cluster's first document), each id and each cluster
    at most once.  A cluster matching no stored story opens a new one; its id comes from its
    earliest-sorting document, salted if a stored id already holds that value.
    """
    holder = {d: s.id for s in existing for d in s.documents}
    overlap: Counter[tuple[int, str]] = Counter()
    for c, members in enumerate(clusters):
        for d in members:
            if d in holder:
                overlap[c, holder[d]] += 1
    ids: dict[int, str] = {}
    taken: set[str] = set()
    for (c, sid), _ in sorted(overlap.items(), key=lambda x: (-x[1], x[0][1], min(clusters[x[0][0]]))):
        if c not in ids and sid not in taken:
            ids[c] = sid
            taken.add(sid)
    known = {s.id for s in existing} | taken
    out = []
    for c, members in enumerate(clusters):
        if c not in ids:
            sid, salt = story_id(members), 0
            while sid in known:
                salt += 1
                sid = story_id([f"{min(members)}#{salt}"])
            ids[c] = sid
            known.add(sid)
        out.append(ids[c])
    return out


def update_stories(documents: Sequence[Document], families: Sequence[Family] = (),
                   existing: Sequence[Story] = (), config: StoryConfig = DEFAULT_CONFIG, *,
                   collection: StoryCollection | None = None,
                   usual: Mapping[str, float] | None = None, dense: bool = False,
                   method: Method = "indexed") -> list[Story]:
    """The stories of ``documents``, keeping the ids of ``existing`` stories that go on.

    The whole collection is clustered each time, so stories after several adds are the stories
    of one scan of the same documents (the usual similarity around a document, and the idf,
    depend on everything indexed: a first batch holding a few reports of two like events cannot
    tell them apart yet).  Ids are then carried over: each story takes the id of the stored
    story it shares the most documents with (``_assign_ids``).  A story that grows or shrinks
    keeps its id; when two stored stories turn out to be one, the merged story keeps the id of
    the one it shares more documents with; when one splits, its larger part keeps the id.

    Args:
        documents: every document of the collection (old and new).
        families: the collection's families; a family's members always share one story.
        existing: stories stored before this batch (empty for a one-shot scan).
        config: clustering settings and label length.
        collection: the whole collection's counts when ``documents`` is one part of it closed
            under story contrast (no representative of the part has a contrast past the
            threshold with one outside it): average-link never merges groups with no pair past
            the threshold, so the part's stories are exactly its stories in the whole run.
        usual: with ``collection``, each representative's usual similarity over the whole
            collection (:func:`usual_similarity`), by document id.
        dense: cluster on the whole n × n similarity matrix (``method="dense"``).
        method: how the pairs that can join a story are found (:func:`cluster_representatives`):
            ``"indexed"`` (pairs sharing names), ``"blocks"`` (every pair, in blocks) or
            ``"dense"``; the same stories, at different costs (for comparison).

    Returns:
        Stories sorted by id, each with its label (its names, put together into phrases),
        documents, families, time span and headline (``newstrace.stages.stories.naming``).
    """
    docs = sorted(documents, key=lambda d: d.id)
    stories = stories_of_features([d.id for d in docs], [d.published for d in docs],
                                  [document_features(d) for d in docs], families, existing, config,
                                  collection=collection, usual=usual, dense=dense, method=method)
    return name_stories(stories, member_texts(docs))


def stories_of_features(ids: Sequence[str], published: Sequence[str | None], features: Sequence[StoryFeatures],
                        families: Sequence[Family] = (), existing: Sequence[Story] = (),
                        config: StoryConfig = DEFAULT_CONFIG, *, collection: StoryCollection | None = None,
                        usual: Mapping[str, float] | None = None, dense: bool = False,
                        method: Method = "indexed", scored: ScoredPart | None = None,
                        usual_out: dict[str, float] | None = None,
                        neighbourhood_out: dict[str, Neighbourhood] | None = None) -> list[Story]:
    """:func:`update_stories` of the documents ``ids`` (sorted, unique), given their dates and
    story features (:func:`document_features`) instead of the documents themselves: a store
    keeps each document's features (``newstrace.stages.stories.store``), so ``index add``
    clusters the whole collection without reading every text again.  ``scored``: the
    representatives' views and pairs, scored already (:func:`extend_stories`).  ``usual_out``
    (a dict) receives the usual similarity each representative was held to, by its id (exact
    where it mattered, else a lower bound: :func:`_labels_and_usual`), for a later
    :func:`extend_stories` (``known_usual``); nothing with ``dense``.  ``neighbourhood_out``
    likewise receives each representative's :class:`Neighbourhood` (``known_neighbourhood``),
    with the names index over the whole collection only."""
    if not ids:
        return []
    if list(ids) != sorted(set(ids)):
        raise ValueError("stories_of_features: ids must be sorted and unique")
    feats = list(features)
    fam_of, rep_of, reps = _representatives(ids, families)
    row = {r: k for k, r in enumerate(reps)}
    r_of = None if usual is None else np.asarray([usual.get(ids[r], 0.0) for r in reps])
    counted = getattr(features, "counted", None)  # a store's counted terms: no token counted again
    made = (counted_views(counted, reps) if isinstance(counted, CountedTerms) and collection is None
            and scored is None and method == "indexed" and not dense else None)
    labels, held_to, around = _labels_and_usual([feats[r] for r in reps], [published[r] for r in reps], config,
                                                collection=collection, usual=r_of, dense=dense, method=method,
                                                scored=scored, views=None if made is None else made[:2])
    if usual_out is not None and held_to is not None:
        usual_out.update(zip((ids[r] for r in reps), held_to.tolist(), strict=True))
    if neighbourhood_out is not None and around is not None:
        size = len(reps) if collection is None else collection.size
        for k, r in enumerate(reps):
            neighbourhood_out[ids[r]] = _neighbourhood(around[0][k], around[1][k], size, around[2][k], ids, reps)
    grouped: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ids)):
        grouped[labels[row[rep_of[i]]]].append(i)
    clusters = [grouped[k] for k in sorted(grouped, key=lambda k: grouped[k][0])]
    sids = _assign_ids([[ids[i] for i in idx] for idx in clusters], existing)
    # the labels' name counts: the collection's, or those the counted views made, or counted here
    counts = collection if collection is not None else None if made is None else made[2]
    df: Counter[str] = Counter() if counts is None else Counter(counts.names_df)
    if counts is None:
        for r in reps:
            df.update({w.lower() for w in feats[r][1]})
    n_reps = len(reps) if collection is None else collection.size
    out = []
    for sid, idx in zip(sids, clusters, strict=True):
        members = tuple(ids[i] for i in idx)
        first, last = _span(published[i] for i in idx)
        fams = tuple(sorted({fam_of[d] for d in members if d in fam_of}))
        out.append(Story(sid, _label(sorted({rep_of[i] for i in idx}), feats, df, n_reps, config.label_terms),
                         members, fams, first, last))
    return sorted(out, key=lambda s: s.id)


def representative_ids(ids: Sequence[str], families: Sequence[Family]) -> list[str]:
    """The documents of ``ids`` (sorted) that stand for their family, or for themselves, in the
    clustering (:func:`_representatives`), in order."""
    return [ids[r] for r in _representatives(ids, families)[2]]


def _representatives(ids: Sequence[str], families: Sequence[Family]) -> tuple[dict[str, str], dict[int, int], list[int]]:
    """``(family of each member, representative of each position, representatives sorted)``.

    A family enters the clustering as one representative (its earliest-sorting member): its
    members are copies of one text, so they weigh as one, and the similarity matrix is over
    families and lone documents — 500 × 500 for a wire story copied 5,000 times among 500.
    """
    fam_of = {m: f.id for f in families for m in f.members}
    rep_of: dict[int, int] = {}
    first_member: dict[str, int] = {}
    for i, doc_id in enumerate(ids):
        fid = fam_of.get(doc_id)
        rep_of[i] = i if fid is None else first_member.setdefault(fid, i)
    return fam_of, rep_of, sorted(set(rep_of.values()))


#: From this many documents, an index that has stories clusters again after an add only the
#: stories the new documents reach (:func:`extend_stories`); below it, everything, so batches
#: give exactly the stories of one scan.  Adding 1,000 articles to a 40,000-document index,
#: clustering everything took 84 s and the reached part 31 s, agreeing with it at ARI 0.9998
#: (6,009 of 6,019 stories the same); at 10,000 clustering everything takes about 12 s.
WHOLE_BELOW = 20_000


def extend_stories(ids: Sequence[str], published: Sequence[str | None], features: Sequence[StoryFeatures],
                   families: Sequence[Family], existing: Sequence[Story], config: StoryConfig = DEFAULT_CONFIG,
                   *, changed: Collection[str] = (), known_usual: Mapping[str, float] | None = None,
                   usual_out: dict[str, float] | None = None,
                   known_neighbourhood: Mapping[str, Neighbourhood] | None = None,
                   neighbourhood_out: dict[str, Neighbourhood] | None = None,
                   arrived_after: Callable[[int], Collection[str]] | None = None,
                   ) -> tuple[list[Story], dict[str, int]]:
    """The stories after an add, clustering again only the stored stories the new documents reach.

    ``ids`` (sorted, unique) are the whole collection's documents; those in no ``existing``
    story are the new ones, and so are those of ``changed`` (a new version of a stored
    document: its story is reached).  A stored story is *reached* when one of its documents can form a
    pair past the threshold with a new document (a similarity of at least ``threshold +
    floor``, found through the names they share as :func:`indexed_similarity` does), or shares
    a family with one.  The reached stories and the new documents are clustered together, with
    the whole collection's idf and each representative's usual similarity over the whole
    collection (``stories_of_features(..., collection=, usual=)``, so every similarity and
    contrast is the whole run's; its pairs are those scored to find the part, not scored
    again: :class:`ScoredPart`); the other stories are kept as stored (their families
    refreshed).  Their ids carry over as in :func:`update_stories`.

    ``known_usual``: the usual similarity each stored representative was held to when last
    clustered, by id (``stories_of_features(..., usual_out=)``, kept by the store).  A pair
    then reaches a stored story only when its contrast can pass the threshold: its similarity
    less the usual similarity the pair is held to, on the lower bound of the new document's
    (the pairs scored to find it) and the kept value less :data:`USUAL_DRIFT` (the idf moves
    as the collection grows).  Without it, every pair of similarity ``threshold + floor`` or
    more reaches (the floor is the least usual similarity).  ``usual_out`` receives the usual
    similarity of each representative clustered again (the part).

    ``known_neighbourhood``: each stored representative's :class:`Neighbourhood` as last kept
    (``stories_of_features(..., neighbourhood_out=)``, kept by the store).  A stored
    representative of the part with one, made in a collection at most
    :data:`NEIGHBOURHOOD_GROWTH` smaller, is scored against the part alone: its pairs that can
    join a story are within the part, and its usual similarity is its kept highest similarities
    merged with those to the new documents (the others did not change but for the idf's drift),
    made exact over the whole collection only where its bounds differ and it can matter
    (:func:`_unsure`).  Without one it is scored against every document, as the new ones are.
    ``neighbourhood_out`` receives the part's neighbourhoods.  ``arrived_after`` (the documents
    that arrived after an arrival number: ``Store.arrived_after``) gives the documents each kept
    neighbourhood has not seen (:attr:`Neighbourhood.arrival`): those of adds whose new documents
    did not reach its story, so that it was not made again then, and those that became
    representatives since (a family split: ``pipeline.organise`` counts them as arriving then).
    They are scored against it with the new ones.  Without ``arrived_after`` every kept neighbourhood is taken to be made by
    the clustering just before, which saw every document but the new ones.

    What it gives up against clustering everything again (:func:`stories_of_features`): a story
    no new document reaches keeps its members even where the new documents moved the idf or the
    usual similarities around it enough to merge or split it.  What it saves: the name product
    of every pair of the collection (quadratic), since only the reached part is scored.

    Returns:
        ``(stories sorted by id, counts)``: counts of ``new`` documents, ``reached`` stories,
        ``kept`` stories and ``clustered`` representatives.
    """
    if list(ids) != sorted(set(ids)):
        raise ValueError("extend_stories: ids must be sorted and unique")
    feats = features  # read where needed: a store's features are decoded as they are read
    index = {d: i for i, d in enumerate(ids)}
    fam_of, rep_of, reps = _representatives(ids, families)
    row = {r: k for k, r in enumerate(reps)}
    docs_of_row: list[list[int]] = [[] for _ in reps]
    for i in range(len(ids)):
        docs_of_row[row[rep_of[i]]].append(i)
    story_of: dict[int, int] = {}
    reached: set[int] = set()
    for k, story in enumerate(existing):
        for d in story.documents:
            if d in index:
                story_of[index[d]] = k
            else:
                reached.add(k)  # a document gone: the story is made again from what is left
    for d in changed:
        if d in index and index[d] in story_of:
            reached.add(story_of.pop(index[d]))
    new_rows = sorted({row[rep_of[i]] for i in range(len(ids)) if i not in story_of})
    keep = config.threshold + config.floor - 1e-6
    if keep <= 0.0:  # no names index bounds the pairs: cluster everything again
        stories = stories_of_features(ids, published, feats, families, existing, config, usual_out=usual_out)
        return stories, {"new": len(ids) - len(story_of), "reached": len(existing), "kept": 0, "clustered": len(reps)}
    counted = getattr(features, "counted", None)  # a store's counted terms: no token counted again
    content, names, collection = (counted_views(counted, reps) if isinstance(counted, CountedTerms)
                                  else _collection_views([feats[r] for r in reps]))
    days = _days([published[r] for r in reps])
    near: IndexedPairs | None = None
    if new_rows:
        near = _indexed(content, names, days, config.max_gap_days, config.neighbours, keep, PAIR_NAME_COSINE,
                        rows=new_rows)
        found = near.kept.tocoo()
        pair_rows, pair_cols = found.row, found.col
        if known_usual is not None and len(pair_rows):
            # 0 (held to the floor) for a representative with no kept value
            low = np.maximum(np.fromiter((known_usual.get(ids[r], 0.0) for r in reps), dtype=np.float64,
                                         count=len(reps)) - USUAL_DRIFT, 0.0)
            low[new_rows] = near.low
            contrast = found.data.astype(np.float64) - _bar(low[pair_rows], low[pair_cols], days[pair_rows],
                                                            days[pair_cols], config)
            passing = contrast >= config.threshold - 1e-6
            pair_rows, pair_cols = pair_rows[passing], pair_cols[passing]
        partners = set(pair_rows.tolist()) | set(pair_cols.tolist()) | set(new_rows)
        reached |= {story_of[i] for p in partners for i in docs_of_row[p] if i in story_of}
    # The part: the new representatives and every representative of a reached story, closed
    # over families (a family's members share one story, so a family reaching into a story
    # that is not reached yet reaches it).
    part: set[int] = set(new_rows)
    while True:
        part |= {row[rep_of[index[d]]] for k in reached for d in existing[k].documents if d in index}
        more = {story_of[i] for p in part for i in docs_of_row[p] if i in story_of} - reached
        if not more:
            break
        reached |= more
    part_rows = sorted(part)
    counts = {"new": len(ids) - len(story_of), "reached": len(reached), "kept": len(existing) - len(reached),
              "clustered": len(part_rows), "neighbourhoods_kept": 0, "neighbourhoods_unseen": 0}
    kept = [replace(s, families=tuple(sorted({fam_of[d] for d in s.documents if d in fam_of})))
            for k, s in enumerate(existing) if k not in reached]
    if not part_rows:
        return sorted(kept, key=lambda s: s.id), counts
    fresh_rows = set(new_rows)
    known: dict[int, Neighbourhood] = {}
    if known_neighbourhood is not None:
        for p in part_rows:
            got = None if p in fresh_rows else known_neighbourhood.get(ids[reps[p]])
            if (got is not None and len(got.top) == config.neighbours
                    and len(reps) <= got.size * (1.0 + NEIGHBOURHOOD_GROWTH)):
                known[p] = got
    counts["neighbourhoods_kept"] = len(known)
    kept_rows = {p: [row[rep_of[index[d]]] for d in known[p].documents if d in index] for p in known}
    # The representatives of the documents a kept neighbourhood has not seen (arrived since it
    # was made; the new ones among them are scored against it anyway).
    since_rows: set[int] = set()
    if known and arrived_after is not None:
        # those the oldest kept neighbourhood has not seen: every other one has seen a part of
        # them, which it then counts exactly instead of from its kept values
        since_rows = {row[rep_of[index[d]]] for d in arrived_after(min(known[p].arrival for p in known))
                      if d in index} - fresh_rows
    counts["neighbourhoods_unseen"] = len(since_rows)
    bounds = _part_pairs(content, names, days, config, keep, part_rows, new_rows, near, known, kept_rows,
                         sorted(since_rows))
    r = bounds.low.copy()
    assert bounds.top is not None and bounds.top_ids is not None
    top, top_ids, high = bounds.top, bounds.top_ids, bounds.high.copy()
    unsure = _unsure(range(len(part_rows)), bounds.low, bounds.high, float(bounds.high.max()), config.floor)
    if unsure:
        exact, exact_ids = _exact_top(content, names, days, config.max_gap_days, [part_rows[k] for k in unsure],
                                      config.neighbours)
        r[unsure] = high[unsure] = _usual_rows(exact, config.neighbours)
        top[unsure], top_ids[unsure] = exact, exact_ids
    if neighbourhood_out is not None:
        exact_rows = {part_rows[k] for k in unsure}
        for k, p in enumerate(part_rows):
            # A row scored against its kept neighbours keeps the age of their choice: they were
            # the highest against every document when it was last scored so.
            size = known[p].size if p in known and p not in exact_rows else len(reps)
            neighbourhood_out[ids[reps[p]]] = _neighbourhood(top[k], high[k], size, top_ids[k], ids, reps)
    usual = {ids[reps[p]]: float(r[k]) for k, p in enumerate(part_rows)}
    members = sorted(i for p in part_rows for i in docs_of_row[p])
    # The part's representatives are ``part_rows`` in order (families are whole in the part, so
    # each keeps its earliest member), and their views and pairs are those scored above: rows
    # of the collection's views weigh and sum as the part's own views would (the idf is the
    # collection's either way, and the part's terms keep their order among the columns).
    take = np.asarray(part_rows, dtype=np.int64)
    scored = ScoredPart(_sorted_csr(content[take]), _sorted_csr(names[take]), bounds.kept[take][:, take])
    made = stories_of_features([ids[i] for i in members], [published[i] for i in members],
                               [feats[i] for i in members], families, existing, config,
                               collection=collection, usual=usual, scored=scored, usual_out=usual_out)
    return sorted(kept + made, key=lambda s: s.id), counts


def _part_pairs(content: Any, names: Any, days: np.ndarray, config: StoryConfig, keep: float,
                part_rows: Sequence[int], new_rows: Sequence[int], near: IndexedPairs | None,
                known: Mapping[int, Neighbourhood] | None = None,
                neighbour_rows: Mapping[int, Sequence[int]] | None = None,
                since_rows: Sequence[int] = ()) -> IndexedPairs:
    """``_indexed(rows=part_rows)``, its new rows' part taken from ``near`` (``_indexed`` of
    ``new_rows``, sorted, all in ``part_rows``) instead of scored again: a row's pairs and
    bounds do not depend on the other rows scored with it, and a pair of a new and an old row,
    scored from both sides, has the same similarity either way (each entry sums the two rows'
    shared terms in column order), so the largest of the two is that value.

    A row of ``known`` (an old row with its kept :class:`Neighbourhood`; ``neighbour_rows``: the
    rows its kept neighbours are now) is scored against the part alone (its pairs past ``keep``
    outside the part are not used), and its bounds come from its similarities to its kept
    neighbours, computed again, and to the new rows and ``since_rows`` (sorted: the rows a kept
    neighbourhood has not seen, in the part or not) (:func:`_merged_bounds`).  ``top`` and
    ``top_ids`` of the result: each part row's highest similarities computed and their rows.
    """
    part = np.asarray(part_rows, dtype=np.int64)
    known = known or {}
    args = (config.max_gap_days, config.neighbours, keep, PAIR_NAME_COSINE)
    if (near is None or not len(new_rows)) and not known:
        return _indexed(content, names, days, *args, rows=part_rows)
    k = config.neighbours
    low = np.zeros(len(part), dtype=np.float64)
    high = np.zeros(len(part), dtype=np.float64)
    top = np.zeros((len(part), k), dtype=np.float64)
    top_ids = np.full((len(part), k), -1, dtype=np.int64)
    new = np.asarray(new_rows, dtype=np.int64)
    fresh = np.isin(part, new) if near is not None else np.zeros(len(part), dtype=bool)
    kept = near.kept if near is not None and fresh.any() else None
    computed = near.computed if near is not None and kept is not None else 0
    if fresh.any() and near is not None:
        where = np.searchsorted(new, part[fresh])
        low[fresh], high[fresh] = near.low[where], near.high[where]
        if near.top is not None and near.top_ids is not None:
            top[fresh], top_ids[fresh] = near.top[where], near.top_ids[where]
    is_known = np.asarray([p in known for p in part_rows], dtype=bool) & ~fresh
    rest = ~fresh & ~is_known
    if rest.any():
        old = _indexed(content, names, days, *args, rows=part[rest].tolist())
        low[rest], high[rest] = old.low, old.high
        if old.top is not None and old.top_ids is not None:
            top[rest], top_ids[rest] = old.top, old.top_ids
        kept = old.kept if kept is None else kept.maximum(old.kept)
        computed += old.computed
    if is_known.any():
        from scipy.sparse import coo_matrix

        # Scored within the part and the rows it has not seen, each row's bounds from its pairs
        # with the new rows and those only.
        unseen = np.asarray(since_rows, dtype=np.int64)
        scope = np.union1d(part, unseen)
        at = np.searchsorted(scope, part)
        columns = np.isin(scope, unseen)
        columns[at[fresh]] = True
        sub = _indexed(_sorted_csr(content[scope]), _sorted_csr(names[scope]), days[scope], *args,
                       rows=at[is_known].tolist(), top_columns=columns)
        pairs = sub.kept.tocoo()
        n = content.shape[0]
        a, b = scope[pairs.row], scope[pairs.col]
        inside = np.isin(a, part) & np.isin(b, part)  # a pair with an unseen row outside the part is not the part's
        inner = coo_matrix((pairs.data[inside], (a[inside], b[inside])), shape=(n, n), dtype=np.float32).tocsr()
        kept = inner if kept is None else kept.maximum(inner)
        computed += sub.computed
        assert sub.top is not None and sub.bound_top is not None and sub.top_ids is not None
        rows = part[is_known].tolist()
        # each row's kept neighbours (their rows now: a family's representative may have
        # changed), but the new and unseen rows, whose similarities the names index gave
        skip = set(new_rows) | set(unseen.tolist())
        present = [{q for q in (neighbour_rows or {}).get(p, ()) if q != p} for p in rows]
        wanted = [sorted(q for q in mine if q not in skip)[:k] for mine in present]
        again, again_ids = _neighbour_similarities(content, names, days, config.max_gap_days, rows, wanted, k)
        computed += sum(len(w) for w in wanted)
        sub_ids = np.where(sub.top_ids >= 0, scope[np.maximum(sub.top_ids, 0)], -1)
        kept_top = np.stack([known[p].top for p in rows]).astype(np.float64)
        kept_high = np.asarray([known[p].high for p in rows], dtype=np.float64)
        # kept neighbours that are gone, or now one row with another or with the row itself
        lost = np.maximum(np.count_nonzero(kept_top > 0.0, axis=1) - np.asarray([len(m) for m in present]), 0)
        low[is_known], high[is_known], top[is_known], top_ids[is_known] = _merged_bounds(
            again, again_ids, sub.top, sub_ids, sub.bound_top, kept_top, kept_high, k, lost)
    assert kept is not None
    return IndexedPairs(kept.tocsr(), low, high, computed, top, None, top_ids)


def _neighbour_similarities(content: Any, names: Any, days: np.ndarray | None, max_gap_days: int,
                            rows: Sequence[int], wanted: Sequence[Sequence[int]], k: int
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The similarity of each row of ``rows`` with each of its ``wanted`` rows (at most ``k``),
    as ``len(rows) × k`` arrays of values and rows (0 and -1 where padded), each pair computed
    on its own: the two rows' shared terms summed in column order, as the block products do."""
    out = np.zeros((len(rows), k), dtype=np.float64)
    out_ids = np.full((len(rows), k), -1, dtype=np.int64)
    at = np.concatenate([np.full(len(w), i, dtype=np.int64) for i, w in enumerate(wanted)] or [np.zeros(0, np.int64)])
    slot = np.concatenate([np.arange(len(w), dtype=np.int64) for w in wanted] or [np.zeros(0, np.int64)])
    other = np.concatenate([np.asarray(w, dtype=np.int64) for w in wanted] or [np.zeros(0, np.int64)])
    mine = np.asarray(rows, dtype=np.int64)[at]
    for s in range(0, len(at), NEIGHBOUR_CHUNK):
        a, b = mine[s:s + NEIGHBOUR_CHUNK], other[s:s + NEIGHBOUR_CHUNK]
        cc = np.asarray(content[a].multiply(content[b]).sum(axis=1), dtype=np.float64).ravel()
        cn = np.asarray(names[a].multiply(names[b]).sum(axis=1), dtype=np.float64).ravel()
        sim = np.sqrt(np.clip(cc, 0.0, 1.0) * np.clip(cn, 0.0, 1.0)).astype(np.float32).astype(np.float64)
        if days is not None:
            gap = np.abs(days[a] - days[b])
            sim[np.nan_to_num(gap, nan=0.0) > max_gap_days] = 0.0
        out[at[s:s + NEIGHBOUR_CHUNK], slot[s:s + NEIGHBOUR_CHUNK]] = sim
        out_ids[at[s:s + NEIGHBOUR_CHUNK], slot[s:s + NEIGHBOUR_CHUNK]] = b
    return out, out_ids


#: Pairs :func:`_neighbour_similarities` gathers the rows of at a time (two sparse matrices of
#: that many rows, a few hundred terms each).
NEIGHBOUR_CHUNK = 20_000


def _merged_bounds(again: np.ndarray, again_ids: np.ndarray, new_top: np.ndarray, new_ids: np.ndarray,
                   new_bounds: np.ndarray, kept_top: np.ndarray, kept_high: np.ndarray, k: int,
                   lost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bounds on the usual similarity of rows whose kept neighbours' similarities were computed
    again (``again``, with their rows ``again_ids``) and that meet new rows (``new_top``: the
    similarities computed to them, with their rows; ``new_bounds``: bounds of those not
    computed).  ``kept_top`` and ``kept_high``: the kept values and upper bound; ``lost``: how
    many of each row's kept neighbours are not in ``again`` nor among the new rows (gone, or
    now one row with another).

    Low: the mean of the ``k`` highest of the kept neighbours' and the new rows' (every one a
    similarity now).  High: the same with the new bounds and, for each lost neighbour, the
    lowest kept value (a document that was not among the kept neighbours may take its place, and
    it was at most that), plus what the kept values may have lacked (``kept_high`` less their
    mean: a kept value is the highest *computed*).  A document
    outside the kept neighbours that the moving idf lifted above them is not counted: the
    kept neighbourhood is made again against every document once the collection has grown by
    :data:`NEIGHBOURHOOD_GROWTH`.  Returns ``(low, high, top, top_ids)``."""
    both = np.concatenate([again, new_top], axis=1)
    both_ids = np.concatenate([again_ids, new_ids], axis=1)
    low = _usual_rows(both, k)
    order = np.argsort(-both, axis=1, kind="stable")[:, :k]
    top = np.maximum(np.take_along_axis(both, order, axis=1), 0.0)
    top_ids = np.where(top > 0.0, np.take_along_axis(both_ids, order, axis=1), -1)
    slack = np.maximum(kept_high - _usual_rows(kept_top, k), 0.0)
    bounds = [both, new_bounds]
    if lost is not None and lost.any():
        bounds.append(np.where(np.arange(k)[None, :] < lost[:, None], kept_top[:, k - 1 : k], 0.0))
    high = np.maximum(_usual_rows(np.concatenate(bounds, axis=1), k) + slack, low)
    return low, high, top, top_ids


#: How much larger (in representatives) a collection may have grown since a representative's
#: neighbours were chosen against every document for :func:`extend_stories` to score it against
#: them alone: past that, it is scored against every document again (the idf moves as the
#: collection grows, and a document outside the kept neighbours may rise above them).  On ECB+
#: dev in batches (``benchmarks/bench_stories.py --only ecb_extend``, three orders, first parts
#: of 20%, 50% and 80%) the stories were the same with 0.1, 1.0 and 10.0 (the last reuses
#: neighbourhoods through a fivefold growth) as without kept neighbourhoods; on the 41,000-document
#: index (one add, 2.5% growth) the same agreement with clustering everything (ARI 0.99978).
NEIGHBOURHOOD_GROWTH = 1.0


def cluster_documents(documents: Sequence[Document], config: StoryConfig = DEFAULT_CONFIG) -> list[Story]:
    """One-shot stories of ``documents`` (no families, nothing stored): ``update_stories`` from scratch."""
    return update_stories(documents, (), (), config)
