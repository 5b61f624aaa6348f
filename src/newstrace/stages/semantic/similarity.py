"""Sentence and document similarity over embeddings, and sentence backgrounds in a collection."""

from __future__ import annotations

from typing import Any

import numpy as np


def sentence_similarity(src_vecs: np.ndarray, tgt_vecs: np.ndarray) -> np.ndarray:
    """The cosine of every source sentence with every target sentence: ``(n_src, n_tgt)``.

    The vectors need not be normalised (they are normalised here).
    """
    a = np.asarray(src_vecs, dtype=np.float32)
    b = np.asarray(tgt_vecs, dtype=np.float32)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"need 2-D arrays, got shapes {a.shape} and {b.shape}")
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"vectors of different dimensions: {a.shape[1]} and {b.shape[1]}")
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    sims: np.ndarray = np.clip(a @ b.T, -1.0, 1.0)
    return sims


def document_vector(sentence_vecs: np.ndarray) -> np.ndarray:
    """A document's vector: the normalised mean of its sentence vectors (zeros if none)."""
    v = np.asarray(sentence_vecs, dtype=np.float32)
    if v.ndim != 2 or v.shape[0] == 0:
        return np.zeros(v.shape[-1] if v.ndim == 2 else 0, dtype=np.float32)
    mean: np.ndarray = v.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def usearch_index(purpose: str) -> Any:
    """usearch's ``Index`` class.  onnxruntime (the English embedder's engine) is imported first
    when installed: with usearch 2.26 loaded before it, importing onnxruntime crashes the process."""
    from newstrace.stages.embed import MissingDependencyError

    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    try:
        from usearch.index import Index
    except ImportError as exc:
        raise MissingDependencyError("usearch", "usearch", purpose) from exc
    return Index


def sentence_backgrounds(queries: dict[str, np.ndarray], pool: dict[str, np.ndarray], *, k: int = 4,
                         exact_limit: int = 200_000, threads: int = 1) -> dict[str, np.ndarray]:
    """Each query sentence's background in a collection: the mean of its ``k`` highest cosines
    with the sentences of the ``pool`` documents other than its own.

    This is the denominator of margin-based scoring in bitext mining (Artetxe & Schwenk 2019):
    a translation stands out from what the rest of the collection offers a sentence, while
    unrelated text in one language is close to everything in the other.  Pools of up to
    ``exact_limit`` sentences are searched exhaustively, larger ones through an HNSW index
    (usearch), approximately.

    Args:
        queries: sentence vectors per document id.
        pool: sentence vectors per document id (a query document found here is left out of its
            own background).
        k: neighbours averaged.
        exact_limit: the largest pool searched exhaustively.
        threads: threads for the search.

    Returns:
        ``{doc_id: background}``, one value per sentence; ``nan`` where the pool has no sentence
        outside the query's own document.
    """
    ids = [i for i in sorted(pool) if len(pool[i])]
    out: dict[str, np.ndarray] = {}
    if not ids:
        return {q: np.full(len(v), np.nan, dtype=np.float32) for q, v in queries.items()}
    mat = np.concatenate([np.asarray(pool[i], dtype=np.float32) for i in ids])
    mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
    owner = np.repeat(np.arange(len(ids)), [len(pool[i]) for i in ids])
    rank = {i: n for n, i in enumerate(ids)}
    longest = max(len(pool[i]) for i in ids)
    index = None
    if len(mat) > exact_limit:
        Index = usearch_index("sentence backgrounds")
        index = Index(ndim=mat.shape[1], metric="ip", dtype="f32", expansion_add=128, expansion_search=128)
        index.add(np.arange(len(mat), dtype=np.uint64), mat, threads=threads)
    for q in sorted(queries):
        v = np.asarray(queries[q], dtype=np.float32)
        if v.ndim != 2 or not len(v):
            out[q] = np.zeros(0, dtype=np.float32)
            continue
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        own = rank.get(q, -1)
        # Ask for enough neighbours that k remain once the query's own sentences are left out.
        count = min(len(mat), k + (longest if own >= 0 else 0))
        if index is None:
            sims = v @ mat.T
            if own >= 0:
                sims[:, owner == own] = -np.inf
            top = -np.sort(-sims, axis=1)[:, :k]
        else:
            found = index.search(v, count, threads=threads)
            keys = np.asarray(found.keys).reshape(len(v), -1)
            dists = np.asarray(found.distances).reshape(len(v), -1)
            top = np.full((len(v), k), -np.inf, dtype=np.float32)
            for r in range(len(v)):
                keep = [1.0 - d for key, d in zip(keys[r], dists[r], strict=True)
                        if key < len(mat) and owner[int(key)] != own][:k]
                top[r, : len(keep)] = keep
        finite = np.isfinite(top)
        n = finite.sum(axis=1)
        total = np.where(finite, top, 0.0).sum(axis=1)
        out[q] = np.where(n > 0, total / np.maximum(n, 1), np.nan).astype(np.float32)
    return out


