"""Candidate pairs without comparing all pairs: two MinHash-LSH channels.

* ``shingles``: document MinHash over word 5-gram shingles (Broder 1997; LSH banding as in
  Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3) finds verbatim and
  near-duplicate copies.
* ``sentences``: MinHash over each sentence's set of stemmed content words finds copies that
  share few exact 5-grams: a spinner swaps common words but keeps names, numbers and rare
  words, so a spun sentence still shares about half its content stems with the original.
  Colliding sentence pairs are verified by their true Jaccard, and a sentence that collides
  with sentences of too many documents (a stock phrase) is ignored.

Both channels are rensa ``RMinHashLSH`` indexes: inserting and querying are linear in the
collection, so the whole stage is sub-quadratic.  Signatures are plain ``uint32`` digests, so
they can be computed per shard (one process, one Spark partition) and stored.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
import xxhash

from newstrace.stages.text import tokenize, word_spans
from newstrace.types import Document

__all__ = [
    "PLAN_NEIGHBOURS",
    "PLAN_SMALL_COMPONENT",
    "SENTENCE_CHANNEL",
    "SENTENCE_KEY_BITS",
    "SENTENCE_SMALL_EARLIER",
    "SHINGLE_CHANNEL",
    "TERM_SEP",
    "BandLookup",
    "CandidateConfig",
    "Fingerprint",
    "SentenceBuckets",
    "SentenceKeys",
    "SentenceMember",
    "StoredSketch",
    "arrival_key",
    "arrived_at",
    "band_hashes",
    "band_keys",
    "find_candidates",
    "fingerprint",
    "indexed_candidates",
    "large_components",
    "nearest_earlier",
    "nearest_pairs",
    "neighbourhood",
    "outside_families",
    "plan_pairs",
    "sentence_bucket_pairs",
    "sentence_buckets",
    "sentence_keys_of",
    "shingle_bucket_pairs",
]


@dataclass(frozen=True, slots=True)
class CandidateConfig:
    """LSH settings.  ``seed`` is part of the fingerprint format: same seed, comparable sketches.

    Sentence banding 20×3 gives a collision probability of 0.93 at Jaccard 0.5, 0.73 at 0.4
    and 0.02 at 0.1 per sentence pair; a spun article has many such sentences, so at least one
    collides, while the true-Jaccard check removes chance collisions.  Those are most of them:
    on PAN 2013 and BBC News 97% of the document pairs sharing a sentence bucket share it by
    chance, and a stored index reads each one's fingerprint to check.  Stricter cuts lose spun
    pairs first: the sentence channel proposes 0.884 of PAN's random-obfuscation pairs at 20 x 3,
    0.774 at 15 x 4 (``benchmarks/calibrate_sentence_bands.py``, docs/benchmarks.md).
    """

    seed: int = 1
    shingle: int = 5
    doc_perm: int = 128
    doc_bands: int = 32
    sentence_perm: int = 60
    sentence_bands: int = 20
    sentence_min_terms: int = 5
    sentence_jaccard: float = 0.3
    max_bucket_docs: int = 50

    def __post_init__(self) -> None:
        if self.doc_perm % self.doc_bands or self.sentence_perm % self.sentence_bands:
            raise ValueError("num_perm must be a multiple of the number of bands")


DEFAULT_CONFIG = CandidateConfig()


@dataclass(slots=True)
class Fingerprint:
    """A document's sketches: one shingle MinHash and one MinHash (and term set) per sentence."""

    doc_id: str
    shingles: list[int] = field(default_factory=list)
    sentences: list[list[int]] = field(default_factory=list)
    sentence_terms: list[frozenset[str]] = field(default_factory=list)


def _minhash(tokens: Iterable[str], num_perm: int, seed: int):  # type: ignore[no-untyped-def]
    from rensa import RMinHash

    m = RMinHash(num_perm=num_perm, seed=seed)
    m.update(list(tokens))
    return m


def fingerprint(doc: Document, config: CandidateConfig = DEFAULT_CONFIG) -> Fingerprint:
    """Sketch one cleaned document (a pure function: runs anywhere, in any order).

    The words, the sentences and each sentence's content terms (``content_terms`` of its
    text) come from one pass over the text (``tokenize``), which the signature step and the
    aligner in this process then find made.
    """
    words = [w.lower() for w in word_spans(doc.text)[0]]
    n = config.shingle
    if len(words) > n:  # every word n-gram, joined by spaces
        shingles = set(map(" ".join, zip(*(words[k:] for k in range(n)), strict=False)))
    else:
        shingles = {" ".join(words)} if words else set()
    fp = Fingerprint(doc.id)
    if shingles:
        # unsorted: a MinHash is a minimum over its tokens, the same in any order
        fp.shingles = list(_minhash(shingles, config.doc_perm, config.seed).digest())
    lang = doc.language or "en"
    for sentence_terms in tokenize(doc.text, lang).terms:
        terms = frozenset(sentence_terms)
        if len(terms) < config.sentence_min_terms:
            continue
        fp.sentences.append(list(_minhash(terms, config.sentence_perm, config.seed).digest()))
        fp.sentence_terms.append(terms)
    return fp


def _band_keys(digest: Sequence[int], bands: int) -> list[tuple[int, ...]]:
    rows = len(digest) // bands
    return [(b, *digest[b * rows : (b + 1) * rows]) for b in range(bands)]


#: Seeds of the band-key hashes of the two channels (``band_hashes``): one band table each.
SHINGLE_CHANNEL = 1
SENTENCE_CHANNEL = 2


def band_hashes(digest: Sequence[int], bands: int, channel: int) -> list[int]:
    """The LSH band keys of ``digest`` (as :func:`_band_keys` cuts them) as signed 64-bit hashes,
    the form the store's band tables index (``newstrace.store``).

    A band's hash is xxh64 of its rows (little-endian ``uint32``) seeded by channel and band
    number, so equal bands of one channel hash equal and bands of different numbers never
    meet.  Two different bands share a hash with probability 2^-64 per pair: at a million
    documents (32 million shingle bands) about 3e-5 expected collisions in the whole index, and
    a collision only makes a lookup return one document more, which the exact band comparison
    of the loaded fingerprints then drops (:func:`indexed_candidates`), or, in the sentence
    channel, the Jaccard check of the colliding sentences' terms, which a proposed pair passes either way.
    """
    step = len(digest) // bands * 4
    # One pack of the whole digest, sliced per band: the same bytes as packing each band's rows
    # (4.5x faster than an int.to_bytes per row; struct refuses a value outside uint32 as that did).
    data = struct.pack(f"<{len(digest)}I", *digest)
    seed = channel * 4096
    out: list[int] = []
    for b in range(bands):
        h = xxhash.xxh64_intdigest(data[b * step : (b + 1) * step], seed=seed + b)
        out.append(h - (1 << 64) if h >= 1 << 63 else h)
    return out


def find_candidates(
    fingerprints: Sequence[Fingerprint], config: CandidateConfig = DEFAULT_CONFIG,
    *, queries: Sequence[Fingerprint] | None = None,
) -> dict[tuple[str, str], set[str]]:
    """Candidate document pairs and the channels that proposed each.

    With ``queries``, only pairs between a query and the indexed ``fingerprints`` are returned
    (``trace``); otherwise all pairs within ``fingerprints`` (``scan``).  Pairs are returned
    with ids in sorted order.
    """
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add(a: str, b: str, channel: str) -> None:
        if a != b:
            pairs[(a, b) if a < b else (b, a)].add(channel)

    everyone = list(fingerprints) + list(queries or [])
    query_ids = {fp.doc_id for fp in queries} if queries is not None else None

    def allowed(a: str, b: str) -> bool:
        return query_ids is None or ((a in query_ids) != (b in query_ids))

    # Channel 1: document shingles.  Banding over stored digests (the same as an LSH index).
    buckets: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for fp in everyone:
        if fp.shingles:
            for key in _band_keys(fp.shingles, config.doc_bands):
                buckets[key].append(fp.doc_id)
    for members in buckets.values():
        # Against queries a bucket costs one pair per member, so none is skipped; a whole
        # collection goes through plan_pairs, which never skips one either.
        if len(members) > 1 and (query_ids is not None or len(members) <= config.max_bucket_docs * 4):
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if allowed(a, b):
                        add(a, b, "shingles")

    # Channel 2: sentence content-word sets, verified by their true Jaccard.
    sbuckets: dict[tuple[int, ...], list[tuple[int, int]]] = defaultdict(list)
    for d, fp in enumerate(everyone):
        for s, digest in enumerate(fp.sentences):
            for key in _band_keys(digest, config.sentence_bands):
                sbuckets[key].append((d, s))
    checked: set[tuple[int, int, int, int]] = set()
    for smembers in sbuckets.values():
        if len(smembers) < 2:
            continue
        if len({d for d, _ in smembers}) > config.max_bucket_docs:
            continue  # a stock phrase shared by many documents is no evidence of reuse
        for i, (da, sa) in enumerate(smembers):
            for db, sb in smembers[i + 1 :]:
                if da == db or (da, sa, db, sb) in checked:
                    continue
                checked.add((da, sa, db, sb))
                fa, fb = everyone[da], everyone[db]
                if not allowed(fa.doc_id, fb.doc_id):
                    continue
                ta, tb = fa.sentence_terms[sa], fb.sentence_terms[sb]
                if len(ta & tb) >= config.sentence_jaccard * len(ta | tb):
                    add(fa.doc_id, fb.doc_id, "sentences")
    return dict(pairs)


# -- whole-collection planning: near-linear cost for big families --------------------------------

#: A shingle component of at most this many documents is compared pair by pair (as
#: ``find_candidates`` does); a larger one is a family of near-copies, where each member is
#: aligned only with its ``PLAN_NEIGHBOURS`` nearest members.  12 keeps every pair of an
#: ordinary story (the seeds, BBC's updated versions: at most 4 members) while bounding a
#: component's all-pairs cost at 66 alignments.
PLAN_SMALL_COMPONENT = 12
#: Nearest neighbours per member of a large component.  Two suffice for a chain (parent and one
#: child); three let a second-generation copy reach its parent even when a sibling copy of the
#: same parent is as close (wire benchmark: parent accuracy is the same with 3 and 5).
PLAN_NEIGHBOURS = 3


#: A document the sentence channel pairs with more than this many documents that arrived before
#: it (a story spun or rewritten by dozens of sites: the copies fall out of each other's shingle
#: buckets but share sentences) keeps only its ``PLAN_NEIGHBOURS`` nearest of them, so such a
#: family costs O(n) alignments too.  The same bound as a shingle component's, for the same
#: reason: every pair of an ordinary story is still compared.
SENTENCE_SMALL_EARLIER = PLAN_SMALL_COMPONENT


def arrival_key(doc_id: str, arrival: Mapping[str, Any] | None) -> tuple[Any, str]:
    """The order documents arrived in, as a sort key: the arrival (``Store.arrivals``, or a
    Spark reading-order key), then the id.  A document without one (no arrivals given, or
    stored before they were kept) counts as arriving first, in id order."""
    return arrived_at(doc_id, arrival.get(doc_id, 0) if arrival is not None else 0)


def arrived_at(doc_id: str, seq: Any) -> tuple[Any, str]:
    """:func:`arrival_key` of a document whose arrival ``seq`` is known (Spark: its
    reading-order key)."""
    return seq, doc_id


def nearest_earlier(shingles: Sequence[int] | np.ndarray, earlier: Sequence[tuple[str, Any, Sequence[int] | np.ndarray]],
                    *, small: int = SENTENCE_SMALL_EARLIER, neighbours: int = PLAN_NEIGHBOURS) -> list[str]:
    """The documents one document is aligned with, of those the sentence channel pairs it with
    that arrived before it: all of them when there are at most ``small``, else its ``neighbours``
    nearest by shingle MinHash agreement (ties to the earlier arrival).

    Deciding each pair from the later document's side only is what lets ``index add`` plan a
    batch exactly as one scan of everything would: a new document's choice depends on what
    arrived before it, never on what comes after, so no stored document's plan changes.

    Args:
        shingles: the document's shingle digest.
        earlier: ``(id, arrival key, shingle digest)`` of each earlier sentence-channel partner.
    """
    if len(earlier) <= small:
        return [doc_id for doc_id, _, _ in earlier]
    mine = np.asarray(shingles, dtype=np.uint32)

    def agreeing(digest: Sequence[int] | np.ndarray) -> int:
        theirs = np.asarray(digest, dtype=np.uint32)
        return int((theirs == mine).sum()) if len(mine) and len(theirs) == len(mine) else 0

    ranked = sorted(earlier, key=lambda e: (-agreeing(e[2]), e[1], e[0]))
    return [doc_id for doc_id, _, _ in ranked[:neighbours]]


def nearest_candidates(shingles: Sequence[int] | np.ndarray, found: Mapping[str, set[str]],
                       digests: Mapping[str, Sequence[int] | np.ndarray], *, small: int = PLAN_SMALL_COMPONENT,
                       neighbours: int = PLAN_NEIGHBOURS) -> tuple[set[str], set[str]]:
    """The indexed candidates a document from outside the index (``trace``) is aligned with,
    and those left unaligned, by the rule :func:`plan_pairs` plans a collection with.

    A query whose shingle candidates are more than ``small`` documents joins a family of
    near-copies (a wire story the index holds hundreds of copies of): it is aligned with its
    ``neighbours`` nearest of them by MinHash agreement, as each member of a large component
    is, and the others are left (their family, stored with its own alignments, says how they
    descend).  The candidates only the sentence channel proposes are kept by
    :func:`nearest_earlier`, as for a document added last.  So a trace costs at most
    ``2 * small`` alignments however many copies the index holds; a query with at most
    ``small`` candidates in each channel is aligned with all of them, as before.

    Args:
        shingles: the query's shingle digest.
        found: :func:`indexed_candidates` of the query (id → channels).
        digests: each candidate's shingle digest (the sketches ``indexed_candidates`` read).

    Returns:
        ``(kept, left)``.
    """
    by_shingles = sorted(d for d, channels in found.items() if "shingles" in channels)
    sentences_only = sorted(d for d, channels in found.items() if "shingles" not in channels)
    kept: set[str] = set()
    for group in (by_shingles, sentences_only):
        kept.update(nearest_earlier(shingles, [(d, arrived_at(d, 0), digests.get(d, ())) for d in group],
                                    small=small, neighbours=neighbours))
    return kept, set(found) - kept


class _UnionFind:
    """Disjoint sets over 0..n-1 with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def _nearest(ids: list[int], digests: list[list[int]], k: int) -> list[tuple[int, int]]:
    """Each member's ``k`` nearest other members by estimated Jaccard (MinHash agreement).

    Sketch comparisons are quadratic in the component but vectorised and tiny (128 integers a
    pair); the alignments they select are linear.  Ties go to the smaller index, so the plan is
    deterministic.
    """
    import numpy as np

    mat = np.asarray([digests[i] for i in ids], dtype=np.uint32)
    out: list[tuple[int, int]] = []
    indegree = [0] * len(ids)
    block = 64
    for lo in range(0, len(ids), block):
        sims = (mat[lo : lo + block, None, :] == mat[None, :, :]).mean(axis=2)
        for r in range(sims.shape[0]):
            row = sims[r]
            row[lo + r] = -1.0
            # Stable sort on -similarity keeps index order among ties.
            for j in np.argsort(-row, kind="stable")[:k]:
                if row[j] > 0:
                    out.append((lo + r, int(j)))
                    indegree[int(j)] += 1
    # A k-nearest-neighbour graph can fall apart into groups of like copies (copies truncated at
    # about the same point): link each group to the hub (the most chosen member) through its
    # two members nearest to the hub, two alignments per group, so the family stays one.
    uf = _UnionFind(len(ids))
    for a, b in out:
        uf.union(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ids)):
        groups[uf.find(i)].append(i)
    if len(groups) > 1:
        hub = max(range(len(ids)), key=lambda i: (indegree[i], -i))
        to_hub = (mat == mat[hub]).mean(axis=1)
        for root, members in sorted(groups.items()):
            if root != uf.find(hub):
                # Two links: one alignment may find no relation (a copy cut very short).
                for i in sorted(members, key=lambda i: (-to_hub[i], i))[:2]:
                    out.append((i, hub))
    return [(ids[a], ids[b]) for a, b in out]


#: What :func:`plan_pairs` reads of a document: a decoded :class:`Fingerprint` or, straight from a
#: store, a :class:`StoredSketch` (its digests as ``uint32`` arrays, each sentence's terms made
#: only when that sentence is checked).
Sketch = Any  # Fingerprint | StoredSketch (StoredSketch is defined below)


def _shingle_matrix(fps: Sequence[Sketch]) -> tuple[np.ndarray, np.ndarray]:
    """The documents' shingle digests as one ``(n, doc_perm)`` ``uint32`` matrix (a document
    without shingles has a row of zeros) and which rows have them."""
    width = next((len(fp.shingles) for fp in fps if len(fp.shingles)), 0)
    mat = np.zeros((len(fps), width), dtype=np.uint32)
    has = np.zeros(len(fps), dtype=bool)
    for d, fp in enumerate(fps):
        if len(fp.shingles):
            if len(fp.shingles) != width:
                raise ValueError(f"{fp.doc_id}: a shingle digest of {len(fp.shingles)} values among ones of {width}")
            mat[d] = fp.shingles
            has[d] = True
    return mat, has


def _shingle_components(fps: Sequence[Sketch], config: CandidateConfig) -> tuple[
        list[list[int]], dict[int, list[int]], list[int]]:
    """The shingle buckets holding two or more documents (each its members ascending), the
    components their collisions join and each document's component, over ``fps`` by index.

    A component is named by its first member (its smallest index).  The buckets are found in
    numpy (:func:`_colliding_arrays`, as for sentences) and joined by connected components of
    the graph linking each bucket's first member to the others: the same components as a
    union-find over a dict of every band key, without one Python tuple per (document, band).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(fps)
    mat, has = _shingle_matrix(fps)
    rows = np.flatnonzero(has)
    members, sizes = _colliding_arrays(mat[rows], config.doc_bands) if len(rows) else (np.zeros(0, np.int64),) * 2
    members = rows[members]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    heads = np.repeat(members[starts], sizes) if len(sizes) else members
    graph = coo_matrix((np.ones(len(members), dtype=np.int8), (heads, members)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    first_of = np.full(n, n, dtype=np.int64)
    np.minimum.at(first_of, label, np.arange(n, dtype=np.int64))
    comp_of = first_of[label].tolist()
    comps: dict[int, list[int]] = defaultdict(list)
    for d, root in enumerate(comp_of):
        comps[root].append(d)
    flat = members.tolist()
    cuts = [0, *np.cumsum(sizes).tolist()]
    return [flat[a:b] for a, b in pairwise(cuts)], comps, comp_of


def large_components(fingerprints: Sequence[Sketch], config: CandidateConfig = DEFAULT_CONFIG, *,
                     small_component: int = PLAN_SMALL_COMPONENT) -> dict[str, int]:
    """The documents of ``fingerprints`` that lie in a large shingle component (more than
    ``small_component`` members), with a number per component: the components
    :func:`plan_pairs` plans by nearest neighbours."""
    _, comps, _ = _shingle_components(fingerprints, config)
    return _large_members(fingerprints, comps, small_component)


def _large_members(fingerprints: Sequence[Sketch], comps: Mapping[int, list[int]], small_component: int,
                   ) -> dict[str, int]:
    return {fingerprints[d].doc_id: root for root, members in comps.items() if len(members) > small_component
            for d in members}


def outside_families(pairs: Iterable[tuple[str, str]], families: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The ``pairs`` whose two documents do not lie in one large shingle component
    (``families``: :func:`large_components`, or what :func:`plan_pairs` gives its ``families``).

    Such a component is a family of near-copies, and :func:`plan_pairs` aligns it through each
    member's nearest members, so that n copies cost O(n) alignments; the sentence channel
    already leaves its pairs to that plan.  The candidates by meaning do too: each document's
    ten nearest by meaning inside a family of copies are its sibling copies, and aligning them
    all made a semantic scan of one article copied 300 times align 2,778 pairs where the
    lexical scan aligned 789 (``benchmarks/bench_wire.py``, docs/benchmarks.md, stop 48)."""
    return {p for p in pairs if (mine := families.get(p[0])) is None or families.get(p[1]) != mine}


band_keys = _band_keys
nearest_pairs = _nearest


@dataclass(frozen=True, slots=True)
class SentenceMember:
    """One sentence in a sentence-channel LSH bucket: its document (any sortable key), its index
    in the document, the document's shingle component and whether that component is large."""

    doc: Any
    sentence: int
    component: Any
    large: bool
    terms: frozenset[str]


def shingle_bucket_pairs(members: Sequence[Any]) -> list[tuple[Any, Any]]:
    """Every pair of the documents in one shingle LSH bucket of a small component."""
    return [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]


def sentence_bucket_pairs(members: Sequence[SentenceMember], config: CandidateConfig = DEFAULT_CONFIG,
                          checked: set[tuple[Any, int, Any, int]] | None = None,
                          ) -> tuple[list[tuple[Any, Any]], str | None]:
    """The document pairs one sentence-channel bucket proposes (:func:`plan_pairs`).

    Pairs of sentences of different documents whose true Jaccard reaches ``sentence_jaccard``,
    except within a large component (the family plan pairs those).  A bucket over
    ``max_bucket_docs`` documents proposes nothing and is ``"absorbed"`` (all in one component)
    or ``"skipped"`` (a stock phrase).  ``checked`` (shared across buckets) skips sentence
    pairs already verified in another bucket.
    """
    docs = {m.doc for m in members}
    if len(docs) < 2:
        return [], None
    if len(docs) > config.max_bucket_docs:
        return [], "absorbed" if len({m.component for m in members}) == 1 else "skipped"
    out: list[tuple[Any, Any]] = []
    for i, ma in enumerate(members):
        for mb in members[i + 1 :]:
            if ma.doc == mb.doc:
                continue
            key = (ma.doc, ma.sentence, mb.doc, mb.sentence)
            if checked is not None and key in checked:
                continue
            if ma.component == mb.component and ma.large:
                continue  # the family plan already pairs this component's members
            if checked is not None:
                checked.add(key)
            ta, tb = ma.terms, mb.terms
            if len(ta & tb) >= config.sentence_jaccard * len(ta | tb):
                out.append((ma.doc, mb.doc))
    return out, None


def _colliding_sentences(digests: Sequence[Sequence[int]], bands: int) -> list[list[int]]:
    """The sentence LSH buckets (band keys as :func:`_band_keys` cuts them) holding two or
    more sentences, each as the sentences' indexes into ``digests`` in ascending order.

    The same buckets as a dict from every band key to its sentences, without building one
    Python tuple per (sentence, band): BBC's 2,225 articles have 780,000 of them, nearly all
    alone in their bucket.  The keys are grouped with one ``numpy.unique`` over the bands'
    rows; only the colliding buckets come back to Python.  (The order of the buckets does not
    change what :func:`plan_pairs` finds: a sentence pair is verified the same in any bucket.)
    """
    members, sizes = _colliding_arrays(digests, bands)
    if not len(sizes):
        return []
    cuts = [0, *np.cumsum(sizes).tolist()]
    sentence = members.tolist()
    return [sentence[a:b] for a, b in pairwise(cuts)]


def _colliding_arrays(digests: Sequence[Sequence[int]] | np.ndarray, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_colliding_sentences` as arrays: the buckets' sentences one after another, and
    each bucket's size."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(digests):
        return empty, empty
    mat = np.asarray(digests, dtype=np.uint32)
    n, perm = mat.shape
    rows = perm // bands
    keyed = np.empty((n, bands, rows + 1), dtype=np.uint32)
    keyed[:, :, 0] = np.arange(bands, dtype=np.uint32)
    keyed[:, :, 1:] = mat[:, : bands * rows].reshape(n, bands, rows)
    flat = keyed.reshape(n * bands, rows + 1)
    # Two uint32 columns packed per uint64 key (the first the high half): the keys compare as
    # the columns do, in half as many sort passes.
    if (rows + 1) % 2:
        flat = np.concatenate([flat, np.zeros((len(flat), 1), dtype=np.uint32)], axis=1)
    wide = flat.astype(np.uint64)
    packed = [(wide[:, c] << np.uint64(32)) | wide[:, c + 1] for c in range(0, flat.shape[1], 2)]
    # Sorted by key, then by position (lexsort is stable), so each bucket lists its sentences in order.
    order = np.lexsort(packed[::-1])
    differs = np.zeros(len(order) - 1, dtype=bool)
    for key in packed:
        ranked = key[order]
        differs |= ranked[1:] != ranked[:-1]
    starts = np.concatenate(([True], differs))
    bucket = np.cumsum(starts) - 1
    sizes = np.bincount(bucket)
    keep = sizes[bucket] >= 2
    order, bucket = order[keep], bucket[keep]
    if order.size == 0:
        return empty, empty
    _, counts = np.unique(bucket, return_counts=True)  # buckets ascending, as they come
    return (order // bands).astype(np.int64), counts.astype(np.int64)


def _sentence_channel(fps: Sequence[Sketch], comp_of: Sequence[int], large: set[int],
                      config: CandidateConfig) -> tuple[int, int, list[tuple[int, int]]]:
    """The sentence channel of :func:`plan_pairs`: the skipped and absorbed bucket counts and
    the document pairs (by index) of the verified sentence pairs, in the order the buckets
    (:func:`_colliding_sentences`) and, within each, :func:`sentence_bucket_pairs` meet them.

    The same verdicts and pairs as :func:`sentence_bucket_pairs` over every colliding bucket
    (with one ``checked`` set), with the candidate sentence pairs listed, filtered and
    de-duplicated in numpy: only the distinct pairs left have their term sets compared in
    Python.  On BBC the 83,000 buckets took 0.35 s bucket by bucket.
    """
    counts = [0 if fp.sentences is None else len(fp.sentences) for fp in fps]
    parts = [np.asarray(fp.sentences, dtype=np.uint32) for fp, c in zip(fps, counts, strict=True) if c]
    members, sizes = _colliding_arrays(np.concatenate(parts) if parts else [], config.sentence_bands)
    if not len(sizes):
        return 0, 0, []
    doc_of = np.repeat(np.arange(len(fps), dtype=np.int64), counts)
    first = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
    comp = np.asarray(comp_of, dtype=np.int64)
    in_large = np.zeros(len(fps) + 1, dtype=bool)
    if large:
        in_large[np.fromiter(large, dtype=np.int64, count=len(large))] = True
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    # A bucket lists its sentences in ascending order, so its documents come in order too: its
    # distinct documents are those that differ from the member before.
    docs = doc_of[members]
    new_doc = np.ones(len(members), dtype=bool)
    new_doc[1:] = docs[1:] != docs[:-1]
    new_doc[starts] = True
    n_docs = np.add.reduceat(new_doc.astype(np.int64), starts)
    skipped = absorbed = 0
    for b in np.flatnonzero(n_docs > config.max_bucket_docs).tolist():
        lo = int(starts[b])
        if len({int(comp[d]) for d in docs[lo : lo + int(sizes[b])].tolist()}) == 1:
            absorbed += 1
        else:
            skipped += 1
    usable = (n_docs >= 2) & (n_docs <= config.max_bucket_docs)
    # Every sentence pair (i < j) of every usable bucket, tagged with its place in the walk.
    ga_parts: list[np.ndarray] = []
    gb_parts: list[np.ndarray] = []
    seq_parts: list[np.ndarray] = []
    most = int(sizes.max())
    stride = most * (most - 1) // 2 + 1
    for m in np.unique(sizes[usable]).tolist():  # the buckets of each size at once
        chosen = np.flatnonzero(usable & (sizes == m))
        block = members[starts[chosen][:, None] + np.arange(m)]
        iu, ju = np.triu_indices(m, 1)
        ga_parts.append(block[:, iu].ravel())
        gb_parts.append(block[:, ju].ravel())
        seq_parts.append((chosen[:, None] * stride + np.arange(len(iu))).ravel())  # bucket, then pair
    if not ga_parts:
        return skipped, absorbed, []
    ga, gb, seq = np.concatenate(ga_parts), np.concatenate(gb_parts), np.concatenate(seq_parts)
    da, db = doc_of[ga], doc_of[gb]
    ca = comp[da]
    keep = (da != db) & ~((ca == comp[db]) & in_large[ca])
    ga, gb, seq = ga[keep], gb[keep], seq[keep]
    walk = np.argsort(seq, kind="stable")
    ga, gb = ga[walk], gb[walk]
    _, first_seen = np.unique(ga * int(first[-1]) + gb, return_index=True)
    first_seen.sort()
    out: list[tuple[int, int]] = []
    threshold = config.sentence_jaccard
    made: dict[int, frozenset[str]] = {}  # a sentence's terms, made once however many pairs it is in

    def terms(g: int, d: int) -> frozenset[str]:
        found = made.get(g)
        if found is None:
            found = made[g] = _terms(fps[d], g - starts_of[d])
        return found

    starts_of = first.tolist()
    doc_list = doc_of.tolist()
    for a, b in zip(ga[first_seen].tolist(), gb[first_seen].tolist(), strict=True):
        x, y = doc_list[a], doc_list[b]
        ta, tb = terms(a, x), terms(b, y)
        if len(ta & tb) >= threshold * len(ta | tb):
            out.append((x, y))
    return skipped, absorbed, out


def _terms(fp: Sketch, s: int) -> frozenset[str]:
    """The term set of sentence ``s`` of a :class:`Fingerprint` or a :class:`StoredSketch`."""
    return fp.terms(s) if isinstance(fp, StoredSketch) else fp.sentence_terms[s]


def plan_pairs(
    fingerprints: Sequence[Sketch], config: CandidateConfig = DEFAULT_CONFIG, *,
    small_component: int = PLAN_SMALL_COMPONENT, neighbours: int = PLAN_NEIGHBOURS,
    arrival: Mapping[str, Any] | None = None, sentence_small: int = SENTENCE_SMALL_EARLIER,
    shingles_planned: Callable[[list[tuple[str, str]]], None] | None = None,
    families: dict[str, int] | None = None,
) -> tuple[dict[tuple[str, str], set[str]], dict[str, int]]:
    """The pairs to align in a whole collection, at a cost linear in the size of each family.

    Documents whose shingle sketches collide in any LSH band are joined by union-find into
    components (no bucket is ever skipped: a large bucket only makes a large component).  A
    small component is compared pair by pair; in a large one (a wire story copied by hundreds
    of sites) each member is paired with its ``neighbours`` nearest members by MinHash
    agreement, so n copies cost at most ``neighbours * n`` alignments and every copy is still
    compared with its most direct parent (``newstrace.stages.families`` rebuilds the family
    from these edges).  The sentence channel (spun copies) proposes pairs across components as
    ``find_candidates`` does; a sentence bucket shared by more than ``max_bucket_docs``
    documents is skipped only for pairs that share nothing else (a stock phrase), and counted.
    A document the sentence channel pairs with more than ``sentence_small`` documents
    that ``arrival`` (``Store.arrivals``; ``None``: id order) puts before it keeps its
    ``neighbours`` nearest of them (:func:`nearest_earlier`), and is counted.

    ``fingerprints`` may be :class:`Fingerprint` or :class:`StoredSketch` (``Store.all_sketches``:
    the stored digests as arrays, undecoded further).  ``shingles_planned``, when given, is
    called with the shingle and family pairs (ids sorted, in sorted order) as soon as they are
    known, before the sentence channel (most of the plan's time) runs: ``link`` starts aligning
    them meanwhile.  ``families``, when given, receives :func:`large_components` of
    ``fingerprints`` (found on the way: the components planned by nearest members).

    Returns:
        ``(pairs, stats)``: pairs (ids sorted) with the channels that proposed them, and
        counters: ``components``, ``largest_component``, ``large_components``, ``pairs``,
        ``pairs_all_pairs`` (what comparing every pair of each component would cost),
        ``skipped_buckets`` and ``absorbed_buckets`` (large sentence buckets whose documents
        all lie in one component, so the component plan covers them), ``sentence_nearest``
        (documents that kept only their nearest earlier sentence-channel partners).
    """
    fps = list(fingerprints)
    buckets, comps, comp_of = _shingle_components(fps, config)
    large = {root for root, m in comps.items() if len(m) > small_component}
    if families is not None:
        families.update(_large_members(fps, comps, small_component))

    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add(da: int, db: int, channel: str) -> None:
        a, b = fps[da].doc_id, fps[db].doc_id
        if a != b:
            pairs[(a, b) if a < b else (b, a)].add(channel)

    for members in buckets:
        if comp_of[members[0]] not in large:
            for a, b in shingle_bucket_pairs(members):
                add(a, b, "shingles")
    digests = [fp.shingles for fp in fps]
    for root in sorted(large):
        for a, b in _nearest(comps[root], digests, neighbours):
            add(a, b, "family")
    if shingles_planned is not None:
        shingles_planned(sorted(pairs))

    skipped, absorbed, found = _sentence_channel(fps, comp_of, large, config)
    earlier_of: dict[int, set[int]] = defaultdict(set)
    for da, db in found:
        if arrival_key(fps[da].doc_id, arrival) < arrival_key(fps[db].doc_id, arrival):
            da, db = db, da
        earlier_of[da].add(db)
    nearest_only = 0
    for later in sorted(earlier_of):
        partners = sorted(earlier_of[later])
        kept = nearest_earlier(fps[later].shingles, [(fps[d].doc_id, arrival_key(fps[d].doc_id, arrival),
                                                      fps[d].shingles) for d in partners],
                               small=sentence_small, neighbours=neighbours)
        nearest_only += len(kept) < len(partners)
        for doc_id in kept:
            pairs[(doc_id, fps[later].doc_id) if doc_id < fps[later].doc_id else (fps[later].doc_id, doc_id)].add(
                "sentences")
    sizes = [len(m) for m in comps.values()]
    stats = {
        "components": sum(1 for s in sizes if s > 1),
        "largest_component": max(sizes, default=0),
        "large_components": len(large),
        "pairs": len(pairs),
        "pairs_all_pairs": sum(s * (s - 1) // 2 for s in sizes),
        "skipped_buckets": skipped,
        "absorbed_buckets": absorbed,
        "sentence_nearest": nearest_only,
    }
    return dict(pairs), stats


# -- against a stored index: candidates by band-table lookups ------------------------------------


#: Separator of the terms of one sentence in :attr:`StoredSketch.term_text` (and in the store's
#: encoded fingerprints): ASCII unit separator, never in a term (a stemmed ``WORD_RE`` word).
TERM_SEP = "\x1f"


#: A stored sentence's terms key is its document's number shifted by this many bits, plus its
#: index in the document (``newstrace.store``): a new document's keys follow every stored one,
#: so its terms rows are appended to the end of their table instead of landing on a page each.
SENTENCE_KEY_BITS = 20


@dataclass(slots=True)
class StoredSketch:
    """A stored fingerprint as the index lookups read it, decoded no further than they need.

    The lookups of a ``trace`` read the fingerprints of every document sharing a band with the
    query (146 a query against 10k documents in the profile of issue 12, for 3 candidates): the
    digests come as ``uint32`` arrays straight from the stored bytes, and a sentence's term set
    is built only when a band of that sentence collides (:meth:`terms`).

    Attributes:
        doc_id: the document.
        shingles: the shingle MinHash digest, ``(doc_perm,)`` (empty: no shingles).
        sentences: the sentence digests, ``(n, sentence_perm)``; ``None`` when only the
            shingles were read (``BandLookup.sketches(..., sentences=False)``).
        term_text: each sentence's sorted terms joined by :data:`TERM_SEP`.
    """

    doc_id: str
    shingles: np.ndarray
    sentences: np.ndarray | None = None
    term_text: list[str] = field(default_factory=list)

    def terms(self, s: int) -> frozenset[str]:
        """The term set of sentence ``s``."""
        return term_set(self.term_text[s])


def term_set(text: str) -> frozenset[str]:
    """The term set a sentence's term text (:attr:`StoredSketch.term_text` form) names."""
    return frozenset(text.split(TERM_SEP)) if text else frozenset()


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in sorted ``keys``."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))


class SentenceBuckets(Mapping[int, list[tuple[str, int | None]]]):
    """Sentence buckets as a store's lookup returns them (``BandLookup.sentence_members_many``):
    for each band hash found, its members (document id, terms key or ``None``), each bucket's
    list made only when asked for.

    Held as arrays sorted by band hash: a chunk of 100 new articles looks up some 110,000 keys,
    nearly all of them held by the article alone, and making a Python list of tuples for every
    key took 2 of the 2.4 seconds of the lookup (stop 47).

    Args:
        keys: the band hashes found, sorted, with no repeats.
        starts: where each key's members start in ``docs`` and ``terms`` (one more entry: the end).
        docs: the members' document numbers.
        terms: the members' terms keys, ``0`` for none.
        names: document number → id (a member whose number has no id is left out).
    """

    def __init__(self, keys: np.ndarray, starts: np.ndarray, docs: np.ndarray, terms: np.ndarray,
                 names: Mapping[int, str]) -> None:
        self._where = dict(zip(keys.tolist(), range(len(keys)), strict=True))
        self._starts: list[int] = starts.tolist()
        self._docs: list[int] = docs.tolist()
        self._terms: list[int] = terms.tolist()
        self._names = names

    @classmethod
    def of_rows(cls, keys: np.ndarray, docs: np.ndarray, terms: np.ndarray, limit: int,
                names: Callable[[set[int]], Mapping[int, str]]) -> SentenceBuckets:
        """The buckets of member rows ``(keys[i], docs[i], terms[i])`` given in the order they
        count (each key's first ``limit`` are kept); ``names`` maps the numbers kept to ids."""
        order = np.argsort(keys, kind="stable")
        keys, docs, terms = keys[order], docs[order], terms[order]
        firsts = _group_starts(keys)
        rank = np.arange(len(keys), dtype=np.int64) - np.repeat(firsts, np.diff(np.append(firsts, len(keys))))
        keep = rank < limit
        keys, docs, terms = keys[keep], docs[keep], terms[keep]
        firsts = _group_starts(keys)
        return cls(keys[firsts], np.append(firsts, len(keys)), docs, terms, names(set(np.unique(docs).tolist())))

    def __getitem__(self, key: int) -> list[tuple[str, int | None]]:
        i = self._where[key]
        lo, hi = self._starts[i], self._starts[i + 1]
        names = self._names
        return [(names[n], t or None) for n, t in zip(self._docs[lo:hi], self._terms[lo:hi], strict=True)
                if n in names]

    def get(self, key: int, default: Any = None) -> Any:
        """``self[key]`` if the key was found, else ``default`` (without ``Mapping.get``'s
        exception per missing key)."""
        return self[key] if key in self._where else default

    def __iter__(self) -> Iterator[int]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


class BandLookup(Protocol):
    """What :func:`indexed_candidates` and :func:`neighbourhood` ask of an index of band keys
    (``newstrace.store.Store`` implements it with indexed SQLite tables)."""

    def shingle_docs(self, keys: Sequence[int]) -> set[str]:
        """Ids of the indexed documents having any of these shingle band hashes."""
        ...

    def sentence_docs(self, key: int, limit: int) -> list[str]:
        """Up to ``limit`` ids of indexed documents having a sentence with this band hash."""
        ...

    def sentence_docs_many(self, keys: Sequence[int], limit: int) -> dict[int, list[str]]:
        """:meth:`sentence_docs` of each of ``keys`` (keys no document has are left out)."""
        ...

    def sentence_members_many(self, keys: Sequence[int], limit: int) -> Mapping[int, list[tuple[str, int | None]]]:
        """:meth:`sentence_docs_many` with, beside each document, the key of the terms of its
        sentence in the bucket (:data:`SENTENCE_KEY_BITS`), or ``None`` when it has more
        than one such sentence or its row predates the terms keys: its sketch then says."""
        ...

    def sentence_terms(self, keys: Iterable[int]) -> dict[int, str]:
        """The term text (:attr:`StoredSketch.term_text` form) of each of these terms keys that
        the index holds."""
        ...

    def sketches(self, ids: Iterable[str], *, sentences: bool = True) -> dict[str, StoredSketch]:
        """The current fingerprints of these documents as :class:`StoredSketch` (ids not stored
        are left out); with ``sentences`` false, the shingle digests alone."""
        ...


def _sentence_keys(fp: Fingerprint, config: CandidateConfig) -> dict[tuple[int, ...], list[int]]:
    keys: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for s, digest in enumerate(fp.sentences):
        for key in _band_keys(digest, config.sentence_bands):
            keys[key].append(s)
    return keys


def _band_rows(digest: np.ndarray, bands: int) -> np.ndarray:
    """``digest`` cut into its LSH bands, one row each (:func:`_band_keys` without band numbers)."""
    return digest.reshape(bands, -1)


def _bucket_room(config: CandidateConfig, stored: bool) -> int:
    # A bucket holds the query and the indexed documents with the key; the in-memory pass
    # skips it when it counts more than max_bucket_docs documents.
    return config.max_bucket_docs - (0 if stored else 1)


#: A query's sentence band keys (band number and rows), with the sentences having each, and
#: each key's hash (:func:`sentence_keys_of`).
SentenceKeys = tuple[dict[tuple[int, ...], list[int]], dict[tuple[int, ...], int]]


def sentence_keys_of(fp: Fingerprint, config: CandidateConfig = DEFAULT_CONFIG) -> SentenceKeys:
    """``fp``'s sentence band keys, the sentences having each, and each key's band hash (what
    the store's ``sentence_bands`` tables are keyed by)."""
    by_key = _sentence_keys(fp, config)
    return by_key, {key: _sentence_hash(key) for key in by_key}


def sentence_buckets(lookup: BandLookup, queries: Iterable[Fingerprint], config: CandidateConfig = DEFAULT_CONFIG, *,
                     stored: bool = False, keys_of: dict[str, SentenceKeys] | None = None,
                     ) -> Mapping[int, list[tuple[str, int | None]]]:
    """The sentence buckets of all these queries' band keys, looked up at once, for
    :func:`indexed_candidates` (``buckets``): a batch of new articles shares many sentences (an
    original and its reposts), and each distinct key is then read once (1.67 lookups a key in
    chunks of 100 of the 1,000 articles the index benchmark adds).  Each member comes with its
    sentence's terms key (``BandLookup.sentence_members_many``).  ``keys_of`` receives each
    query's :func:`sentence_keys_of` (by id), for ``indexed_candidates(sentence_keys=)``."""
    made = keys_of if keys_of is not None else {}
    keys: set[int] = set()
    for fp in queries:
        made[fp.doc_id] = sentence_keys_of(fp, config)
        keys.update(made[fp.doc_id][1].values())
    return lookup.sentence_members_many(sorted(keys), _bucket_room(config, stored) + 1)


def indexed_candidates(
    lookup: BandLookup, query: Fingerprint, config: CandidateConfig = DEFAULT_CONFIG, *,
    stored: bool = False, shingles: bool = True, skip: Callable[[str], bool] | None = None,
    cache: dict[str, StoredSketch] | None = None,
    buckets: Mapping[int, list[tuple[str, int | None]]] | None = None, both_channels: bool = True,
    terms_cache: dict[int, frozenset[str] | None] | None = None, sentence_keys: SentenceKeys | None = None,
) -> dict[str, set[str]]:
    """The indexed documents that are candidates with ``query``, and the channels proposing each.

    The same pairs as ``find_candidates(every indexed fingerprint, queries=[query])`` (or, with
    ``stored``, as the whole-collection pass gives for a document already in the index), found
    by looking up the query's band keys instead of loading the index.  A sentence bucket counts
    every indexed document in it, as the in-memory pass does, so a stock phrase shared by more
    than ``max_bucket_docs`` documents is skipped the same way.

    A sentence bucket's member is checked by the terms of its colliding sentence: the band row
    names them (a terms key, ``BandLookup.sentence_members_many``), and the colliding sentences'
    terms are read by key, each once (``BandLookup.sentence_terms``).  Most
    collisions are chance ones (97% of the document pairs sharing a sentence bucket on PAN 2013
    and BBC News), and reading each such document's whole sketch to check one sentence was
    the cost of a stored index's sentence channel that grew with the index (docs/benchmarks.md,
    stop 47).  A member without a terms key (a row written before the keys, or two of its
    sentences in one bucket) is checked from its sketch (:class:`StoredSketch`), as before.
    Only the shingle digests of the shingle channel's documents and of the candidates found are
    read from the sketches otherwise.

    Args:
        lookup: the band index (``newstrace.store.Store``).
        query: the fingerprint looked up.
        config: the LSH settings the index was built with.
        stored: the query is itself in the index (it then counts in its buckets once, not twice).
        shingles: also the shingle channel (``link`` plans that channel by components).
        skip: documents not to pair with the query (those ``plan_pairs`` pairs in a family plan).
        cache: sketches already read, by id (filled with those read here; every candidate
            returned has at least its shingle digest there).
        buckets: the sentence buckets of this query's keys, already looked up
            (:func:`sentence_buckets` of a batch holding it, with the same ``stored``).
        both_channels: a document the shingle channel proposed is also checked by the
            sentence channel, so its channels are complete.  ``trace`` passes false: it only
            asks whether the shingle channel proposed a document (:func:`nearest_candidates`).
        terms_cache: the term sets already read, by terms key (``None``: not in the index).
        sentence_keys: the query's :func:`sentence_keys_of`, if made already.

    Returns:
        ``{indexed doc id: {"shingles", "sentences"}}``, without the query.
    """
    out: dict[str, set[str]] = defaultdict(set)
    sketches = cache if cache is not None else {}
    term_sets = terms_cache if terms_cache is not None else {}

    def load(ids: Iterable[str], *, sentences: bool) -> None:
        missing = sorted({i for i in ids if i not in sketches or (sentences and sketches[i].sentences is None)})
        if missing:
            sketches.update(lookup.sketches(missing, sentences=sentences))

    if shingles and query.shingles:
        found = lookup.shingle_docs(band_hashes(query.shingles, config.doc_bands, SHINGLE_CHANNEL)) - {query.doc_id}
        load(found, sentences=False)
        mine = _band_rows(np.asarray(query.shingles, dtype=np.uint32), config.doc_bands)
        for doc_id in sorted(found):
            sk = sketches.get(doc_id)
            # the exact band comparison: a 64-bit band hash collision proposes nothing
            if sk is not None and len(sk.shingles) == len(query.shingles) and not (skip and skip(doc_id)) \
                    and bool((_band_rows(sk.shingles, config.doc_bands) == mine).all(axis=1).any()):
                out[doc_id].add("shingles")

    by_key, hashes = sentence_keys if sentence_keys is not None else sentence_keys_of(query, config)
    if by_key:
        room = _bucket_room(config, stored)
        usable: dict[tuple[int, ...], list[tuple[str, int | None]]] = {}
        found_members = buckets if buckets is not None else \
            lookup.sentence_members_many(sorted(set(hashes.values())), room + 1)
        for key, h in hashes.items():
            members = found_members.get(h, [])
            if len(members) > room:
                continue
            kept = [(d, t) for d, t in members if d != query.doc_id and not (skip and skip(d))
                    and (both_channels or d not in out)]
            if kept:
                usable[key] = kept
        # the term sets of the keyed sentences not read yet, once each
        unread = {t for members in usable.values() for d, t in members
                  if t is not None and t not in term_sets and "sentences" not in out.get(d, ())}
        if unread:
            got = lookup.sentence_terms(unread)
            term_sets.update({t: term_set(got[t]) if got.get(t) else None for t in unread})
        # only documents a sentence could still add (a document is proposed once per channel),
        # and only those whose sentence is not keyed (or whose terms row is missing)
        load((d for members in usable.values() for d, t in members
              if (t is None or term_sets.get(t) is None) and "sentences" not in out.get(d, ())), sentences=True)
        rows = config.sentence_perm // config.sentence_bands
        keyed: set[str] = set()
        for key, members in usable.items():
            lo = key[0] * rows
            want: np.ndarray | None = None
            asked = [query.sentence_terms[sq] for sq in by_key[key]]
            for doc_id, t in members:
                if "sentences" in out.get(doc_id, ()):
                    continue
                td_keyed = term_sets.get(t) if t is not None else None
                if td_keyed is not None:
                    if any(len(td_keyed & tq) >= config.sentence_jaccard * len(td_keyed | tq) for tq in asked):
                        out[doc_id].add("sentences")
                        keyed.add(doc_id)
                    continue
                sk = sketches.get(doc_id)
                if sk is None or sk.sentences is None or not len(sk.sentences):
                    continue
                if want is None:
                    want = np.asarray(key[1:], dtype=np.uint32)
                # the document's sentences in this bucket: their band ``band`` equals the key's
                for sd in np.flatnonzero((sk.sentences[:, lo : lo + rows] == want).all(axis=1)).tolist():
                    td = sk.terms(sd)
                    if any(len(td & tq) >= config.sentence_jaccard * len(td | tq) for tq in asked):
                        out[doc_id].add("sentences")
                        break
        if keyed:
            # a document is a candidate only with a current sketch, as one checked from its sketch
            load(keyed, sentences=False)
            for doc_id in keyed - sketches.keys():
                out[doc_id].discard("sentences")
                if not out[doc_id]:
                    del out[doc_id]
    return dict(out)


def _sentence_hash(key: tuple[int, ...]) -> int:
    """The hash :func:`band_hashes` gives sentence band ``key`` (band number first): the same
    bytes (little-endian ``uint32`` rows), packed in one call."""
    data = struct.pack(f"<{len(key) - 1}I", *key[1:])
    h = xxhash.xxh64_intdigest(data, seed=SENTENCE_CHANNEL * 4096 + key[0])
    return h - (1 << 64) if h >= 1 << 63 else h


def neighbourhood(lookup: BandLookup, ids: Iterable[str], config: CandidateConfig = DEFAULT_CONFIG, *,
                  cache: dict[str, StoredSketch] | None = None) -> list[Fingerprint]:
    """The shingle sketches of the shingle components holding ``ids``: every indexed document
    reachable from them through shared shingle bands, found by band-table lookups (as
    fingerprints holding their shingle digest only: the sentence digests are not read).

    :func:`plan_pairs` over these alone plans the components of ``ids`` exactly as over the
    whole index (a component is closed under band collisions), at a cost in the size of those
    components, not of the index.  Returned in id order (the order ``plan_pairs`` breaks ties by).
    """
    sketches = cache if cache is not None else {}
    seen: set[str] = set()
    frontier = sorted(set(ids))
    while frontier:
        missing = [i for i in frontier if i not in sketches]
        if missing:
            sketches.update(lookup.sketches(missing, sentences=False))
        seen.update(frontier)
        found: set[str] = set()
        for doc_id in frontier:
            sk = sketches.get(doc_id)
            if sk is not None and len(sk.shingles):
                found |= lookup.shingle_docs(band_hashes(sk.shingles.tolist(), config.doc_bands, SHINGLE_CHANNEL))
        frontier = sorted(found - seen)
    return [Fingerprint(i, sketches[i].shingles.tolist()) for i in sorted(seen) if i in sketches]
