"""The sentence-vector steps of the semantic layer, over a store.

* :func:`embed_documents` (per shard): the sentence vectors each document needs, computed once
  per sentence and cached in the store under the model's name and version;
* :func:`semantic_pairs` (whole collection): candidate pairs by meaning, nearest neighbours of
  document vectors (usearch HNSW), and :func:`query_pairs` for documents outside the store;
* :func:`translation_backgrounds` (whole collection): the background of each cross-language
  pair's sentences in the collection, for the margin criterion;
* :func:`pair_context`: the ``RelateContext`` of one pair from all of the above.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from newstrace.progress import progress_bar
from newstrace.stages.relate.context import ENGLISH_MODEL, MULTILINGUAL_MODEL, RelateContext
from newstrace.stages.semantic import (
    CANDIDATE_MIN_COSINE,
    DEFAULT_CONFIG,
    document_vector,
    semantic_candidates,
)
from newstrace.stages.semantic.similarity import sentence_backgrounds
from newstrace.stages.text import split_sentences
from newstrace.store import Store, text_hash
from newstrace.types import Document

__all__ = [
    "CANDIDATES",
    "EMBED_DOCUMENTS",
    "ENGLISH_MODEL",
    "MULTILINGUAL_MODEL",
    "SEMANTIC_CANDIDATE_COSINE",
    "MeaningCandidatesConfig",
    "Vectors",
    "embed_documents",
    "embed_texts",
    "load_vectors",
    "models_for",
    "pair_context",
    "query_pairs",
    "semantic_pairs",
    "translation_backgrounds",
]

# Documents per embedding call, transaction and progress step: a kill loses at most this many
# documents' vectors, and a call still batches a few thousand sentences by token count.
EMBED_DOCUMENTS = 100


@dataclass(frozen=True, slots=True)
class MeaningCandidatesConfig:
    """Candidate pairs by meaning.

    Attributes:
        english_min_cosine: document-vector cosine (English model) for an English candidate;
            the aligner decides.  95% of the 110 document pairs the semantic aligner aligned in
            its calibration sample (PAN 2013 pairs, ECB+ same-event pairs) are at 0.5 or more
            (``newstrace.stages.semantic.CANDIDATE_MIN_COSINE``, docs/calibration.md).
        neighbours: nearest neighbours asked of the ANN index per document: among 300 BBC
            articles the median 10th-nearest neighbour is at 0.51, so 10 bounds the candidates.
    """

    english_min_cosine: float = CANDIDATE_MIN_COSINE[ENGLISH_MODEL]
    neighbours: int = 10


CANDIDATES = MeaningCandidatesConfig()
SEMANTIC_CANDIDATE_COSINE = CANDIDATES.english_min_cosine
NEIGHBOURS = CANDIDATES.neighbours

#: model name -> document id -> sentence vectors (one row per ``split_sentences`` sentence).
Vectors = dict[str, dict[str, np.ndarray]]


def models_for(languages: Mapping[str, str | None]) -> list[str]:
    """The embedders a collection needs: the English model, and the multilingual one as soon as
    the collection holds more than one language (for translations)."""
    return [ENGLISH_MODEL] + ([MULTILINGUAL_MODEL] if len({x for x in languages.values() if x}) > 1 else [])


def embed_texts(name: str, docs: Sequence[Document], *, threads: int | None = None) -> list[np.ndarray]:
    """The sentence vectors of each document under embedder ``name`` (one call for them all)."""
    from newstrace.stages.embed import get_embedder

    embedder = get_embedder(name, threads=threads)
    spans = [[(x.start, x.end) for x in split_sentences(d.text)] for d in docs]
    texts = [d.text[s:e] for d, sp in zip(docs, spans, strict=True) for s, e in sp]
    vecs = embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    out, at = [], 0
    for sp in spans:
        out.append(vecs[at : at + len(sp)])
        at += len(sp)
    return out


def embed_documents(store: Store, *, threads: int | None = None, progress: bool = False) -> dict[str, int]:
    """Compute and cache the sentence vectors the semantic layer needs; return how many were added.

    English documents get the English paraphrase model; when the store holds more than one
    language, every document also gets the multilingual model (for translations).
    """
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    cache = EmbeddingCache(store.conn)
    langs = store.languages()
    added: dict[str, int] = {}
    for name in models_for(langs):
        ids = [i for i, lang in langs.items() if lang == "en"] if name == ENGLISH_MODEL else sorted(langs)
        version = get_embedder(name, threads=threads).version
        have = cache.doc_ids(version)
        todo = [i for i in ids if i not in have]
        # A chunk's sentences are embedded in one call and stored in one transaction, keyed by
        # the hash of the text they were split from (a changed article never reuses them).
        with progress_bar(f"embedding ({name})", len(todo), enabled=progress) as bar:
            for k in range(0, len(todo), EMBED_DOCUMENTS):
                docs = store.get_documents(todo[k : k + EMBED_DOCUMENTS])
                vecs = embed_texts(name, docs, threads=threads)
                rows = [(d.id, [(x.start, x.end) for x in split_sentences(d.text)], v)
                        for d, v in zip(docs, vecs, strict=True) if len(v)]
                cache.put_many(version, rows, text_hashes={d.id: text_hash(d.text) for d in docs})
                bar.advance(len(docs))
        added[name] = len(todo)
    return added


def load_vectors(store: Store, *, threads: int | None = None) -> Vectors:
    """Every cached sentence vector of the models the store's collection needs."""
    from newstrace.stages.embed import get_embedder
    from newstrace.stages.embed_cache import EmbeddingCache

    cache = EmbeddingCache(store.conn)
    out: Vectors = {}
    for name in models_for(store.languages()):
        version = get_embedder(name, threads=threads).version
        found: dict[str, np.ndarray] = {}
        for doc_id in cache.doc_ids(version):
            v = cache.get(doc_id, version)
            if v is not None:
                found[doc_id] = v
        out[name] = found
    return out


def _stack(vectors: Mapping[str, np.ndarray], ids: Sequence[str]) -> np.ndarray:
    return np.stack([document_vector(vectors[i]) for i in ids])


def semantic_pairs(languages: Mapping[str, str | None], vectors: Vectors, *,
                   queries: Sequence[str] | None = None) -> set[tuple[str, str]]:
    """Candidate pairs by meaning: nearest neighbours of document vectors (usearch HNSW).

    English documents are matched with the English model; documents in different languages
    with the multilingual one, querying each language's documents against the others' (a plain
    threshold would pair every two texts in one language).  With ``queries``, only those
    documents are looked up (against all others); otherwise every document is.
    """
    pairs: set[tuple[str, str]] = set()
    en = vectors.get(ENGLISH_MODEL, {})
    en_queries = [q for q in queries if q in en and languages.get(q) == "en"] if queries is not None else None
    pool = sorted(i for i in en if queries is None or i not in set(queries))
    if queries is None and len(en) > 1:
        pairs.update(semantic_candidates(pool, _stack(en, pool), k=NEIGHBOURS, min_cosine=SEMANTIC_CANDIDATE_COSINE))
    elif en_queries and pool:
        pairs.update(semantic_candidates(pool, _stack(en, pool), k=NEIGHBOURS, min_cosine=SEMANTIC_CANDIDATE_COSINE,
                                         query_ids=en_queries, query_vecs=_stack(en, en_queries)))
    multi = vectors.get(MULTILINGUAL_MODEL, {})
    if multi:
        groups: dict[str | None, list[str]] = {}
        for i in sorted(multi):
            if queries is None or i in queries:
                groups.setdefault(languages.get(i), []).append(i)
        for lang, asked in groups.items():
            others = [i for i in sorted(multi) if languages.get(i) != lang and (queries is None or i not in queries)]
            if not others:
                continue
            pairs.update(semantic_candidates(
                others, _stack(multi, others), k=NEIGHBOURS, min_cosine=CANDIDATE_MIN_COSINE[MULTILINGUAL_MODEL],
                query_ids=asked, query_vecs=_stack(multi, asked)))
    return pairs


def query_pairs(languages: Mapping[str, str | None], vectors: Vectors, queries: Sequence[Document], *,
                threads: int | None = None) -> set[tuple[str, str]]:
    """Candidate pairs by meaning between documents outside the store and the stored ones.

    The queries' sentence vectors are computed and added to ``vectors`` (under each model the
    stored collection uses) so that their pairs can be related with them.
    """
    for name in list(vectors):
        wanted = [q for q in queries if name == MULTILINGUAL_MODEL or q.language == "en"]
        for q, v in zip(wanted, embed_texts(name, wanted, threads=threads), strict=True):
            if len(v):
                vectors[name][q.id] = v
    return semantic_pairs(languages, vectors, queries=[q.id for q in queries])


def translation_backgrounds(pairs: Iterable[tuple[str, str]], languages: Mapping[str, str | None],
                            multi: Mapping[str, np.ndarray]) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """The collection backgrounds of the sentences of each cross-language pair (for the margin
    criterion of ``newstrace.stages.semantic.SemanticConfig.crosslang_collection_ratio``).

    A document's sentences get their background against all the collection's documents in the
    other document's language (``sentence_backgrounds``).  A pair gets backgrounds only when,
    on both sides, that language holds at least ``crosslang_k`` sentences outside the pair:
    otherwise the background would be the pair itself, and the pair's own criterion applies.
    """
    k = DEFAULT_CONFIG.crosslang_k
    cross = [(a, b) for a, b in pairs if a in multi and b in multi and languages.get(a) and languages.get(b)
             and languages[a] != languages[b]]
    size: dict[str | None, int] = {}
    for i, v in multi.items():
        size[languages.get(i)] = size.get(languages.get(i), 0) + len(v)
    usable = [(a, b) for a, b in cross
              if size[languages[b]] - len(multi[b]) >= k and size[languages[a]] - len(multi[a]) >= k]
    wanted: dict[str, set[str]] = {}
    for a, b in usable:
        wanted.setdefault(str(languages[b]), set()).add(a)
        wanted.setdefault(str(languages[a]), set()).add(b)
    back: dict[tuple[str, str], np.ndarray] = {}
    for lang, ids in wanted.items():
        pool = {i: v for i, v in multi.items() if languages.get(i) == lang}
        for i, v in sentence_backgrounds({i: multi[i] for i in ids}, pool, k=k).items():
            back[(i, lang)] = v
    return {(a, b): (back[(a, str(languages[b]))], back[(b, str(languages[a]))]) for a, b in usable}


def pair_context(a: Document, b: Document, vectors: Vectors,
                 backgrounds: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray]], *,
                 changes: bool) -> RelateContext:
    """The context of pair ``(a, b)``: the vectors of the model that fits it (English for an
    English pair, multilingual across languages), its backgrounds, and ``changes``."""
    model: str | None = None
    if a.language and b.language and a.language != b.language:
        model = MULTILINGUAL_MODEL
    elif a.language == b.language == "en":
        model = ENGLISH_MODEL
    pair = None
    if model is not None:
        have = vectors.get(model, {})
        if a.id in have and b.id in have:
            pair = (have[a.id], have[b.id])
    back = backgrounds.get((a.id, b.id))
    if back is None and (b.id, a.id) in backgrounds:
        back_b, back_a = backgrounds[(b.id, a.id)]
        back = (back_a, back_b)
    return RelateContext(vectors=pair, model=model if pair is not None else None, backgrounds=back, changes=changes)
