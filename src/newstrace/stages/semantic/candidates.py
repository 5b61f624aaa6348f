"""Candidate document pairs by meaning: approximate nearest neighbours over document vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newstrace.stages.semantic.similarity import usearch_index

#: Default ``min_cosine`` of :func:`semantic_candidates` per embedder (document vectors).
#: minilm-l3: 95% of the 110 document pairs align_semantic aligned in the calibration sample
#: (PAN 2013 pairs and ECB+ same-event pairs) have a document cosine of at least 0.5; the rest
#: are short reused passages inside long documents, which the lexical channels find.  Among 300
#: BBC articles the median 10th-nearest neighbour is at 0.51, so ``k`` bounds the candidates.
#: minilm-l6: assumed the same (not measured).  e5-small: document vectors of one language are
#: all close (unrelated Spanish literary fragments up to 0.99, wrong Spanish-English pairs up to
#: 0.96, translations from 0.90), so only the neighbour rank tells: query each language's
#: documents against an index of the other languages' (``query_ids``), 35/35 translations of
#: PAN-PC-11 have their source as nearest neighbour; the floor only drops the hopeless.
CANDIDATE_MIN_COSINE: dict[str, float] = {"minilm-l3": 0.5, "minilm-l6": 0.5, "e5-small": 0.85}


def semantic_candidates(
    doc_ids: Sequence[str], doc_vecs: np.ndarray, *, k: int = 10, min_cosine: float,
    query_ids: Sequence[str] | None = None, query_vecs: np.ndarray | None = None,
    expansion: int = 128, threads: int = 1,
) -> dict[tuple[str, str], float]:
    """Candidate pairs of documents whose vectors are close, by approximate nearest neighbours.

    An HNSW index (usearch) over the documents' vectors (:func:`document_vector`) is queried
    with every document for its ``k`` nearest neighbours: O(n log n), not O(n²).  With one
    thread the index, and so the result, is deterministic.

    Args:
        doc_ids: the ids of the indexed documents.
        doc_vecs: their vectors, one row each (normalised here).
        k: neighbours asked per query document.
        min_cosine: the least cosine of a candidate pair (see :data:`CANDIDATE_MIN_COSINE`).
        query_ids: with ``query_vecs``, only pairs between these queries and the indexed
            documents are returned (``trace``); otherwise all pairs within ``doc_ids``.
        query_vecs: the queries' vectors.
        expansion: HNSW search and construction depth (higher: better recall, slower).
        threads: threads for building and querying the index.

    Returns:
        ``{(a, b): cosine}`` with ``a < b``.

    Raises:
        MissingDependencyError: usearch is not installed.
    """
    Index = usearch_index("semantic candidates")
    ids = list(doc_ids)
    vecs = np.asarray(doc_vecs, dtype=np.float32)
    if len(ids) != len(vecs):
        raise ValueError(f"{len(ids)} ids but {len(vecs)} vectors")
    if not ids:
        return {}
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    index = Index(ndim=vecs.shape[1], metric="ip", dtype="f32", expansion_add=expansion, expansion_search=expansion)
    index.add(np.arange(len(ids), dtype=np.uint64), vecs, threads=threads)
    if query_vecs is not None:
        q_ids = list(query_ids or [])
        q = np.asarray(query_vecs, dtype=np.float32)
        if len(q_ids) != len(q):
            raise ValueError(f"{len(q_ids)} query ids but {len(q)} query vectors")
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        count = min(k, len(ids))
    else:
        q_ids, q = ids, vecs
        count = min(k + 1, len(ids))  # the document itself comes back too
    if not q_ids:
        return {}
    matches = index.search(q, count, threads=threads)
    keys = np.asarray(matches.keys).reshape(len(q_ids), -1)
    dists = np.asarray(matches.distances).reshape(len(q_ids), -1)
    out: dict[tuple[str, str], float] = {}
    for row, a in enumerate(q_ids):
        for key, dist in zip(keys[row], dists[row], strict=True):
            if key >= len(ids):  # usearch pads missing neighbours with a sentinel key
                continue
            b = ids[int(key)]
            cos = round(float(1.0 - dist), 6)
            if b == a or cos < min_cosine:
                continue
            pair = (a, b) if a < b else (b, a)
            out[pair] = max(out.get(pair, -1.0), cos)
    return out
