"""Translation backgrounds from a store's sampled pools, and the query sketch of a trace.

The store holds English and Spanish documents of three sentences each with stand-in sentence
vectors (seeded random unit vectors, written to the embedding cache, so no model runs); a
"translation" is a Spanish document whose vectors are its English original's plus a little noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import newstrace.stages.vectors as vectors_module
from newstrace.pipeline import add_documents
from newstrace.stages.embed import get_embedder
from newstrace.stages.embed_cache import EmbeddingCache
from newstrace.stages.text import split_sentences
from newstrace.stages.vectors import (
    ENGLISH_MODEL,
    MULTILINGUAL_MODEL,
    background_pool,
    embed_documents,
    load_vectors,
    load_vectors_of,
    sampled_translation_backgrounds,
    sketch_indices,
    translation_backgrounds,
    translation_evidence,
)
from newstrace.store import Store
from newstrace.types import Document

WORDS = "alpha beta gamma delta epsilon zeta theta iota kappa lambda omicron sigma".split()


def _text(n: int) -> str:
    return " ".join(f"{WORDS[(n + i) % 12].capitalize()} {WORDS[(3 * n + i) % 12]} number {n} said {i}." for i in range(3))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    rng = np.random.default_rng(5)
    docs = [Document(id=f"en{n:02d}", raw=_text(n), language="en") for n in range(12)]
    docs += [Document(id=f"es{n:02d}", raw=_text(100 + n), language="es") for n in range(8)]
    s = Store(tmp_path / "index.db")
    add_documents(s, docs, workers=1, forensics=False)
    cache = EmbeddingCache(s.conn)
    by_id = {d.id: d for d in s.get_documents()}
    base: dict[str, np.ndarray] = {}
    for name in (ENGLISH_MODEL, MULTILINGUAL_MODEL):
        rows = []
        for doc_id, d in sorted(by_id.items()):
            spans = [(x.start, x.end) for x in split_sentences(d.text)]
            v = rng.standard_normal((len(spans), 384)).astype(np.float32)
            if name == MULTILINGUAL_MODEL and doc_id == "es00":  # es00 translates en03
                v = base["en03"][: len(spans)] + 0.05 * v / np.linalg.norm(v, axis=1, keepdims=True)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            base[doc_id] = v
            rows.append((doc_id, spans, v))
        cache.put_many(get_embedder(name).version, rows)
    embed_documents(s, threads=1)  # document vectors and vector files from the cached vectors
    vectors_module._POOLS.clear()
    return s


def test_sampled_backgrounds_equal_the_whole_pool_when_it_fits_the_sample(store: Store) -> None:
    languages = store.languages()
    pairs = [("en03", "es00"), ("en01", "es02"), ("en05", "en06")]
    whole = translation_backgrounds(pairs, languages, load_vectors(store, threads=1)[MULTILINGUAL_MODEL])
    few = load_vectors_of(store, {x for p in pairs for x in p}, threads=1)[MULTILINGUAL_MODEL]
    sampled = sampled_translation_backgrounds(store, pairs, languages, few)
    assert sorted(sampled) == sorted(whole) == [("en01", "es02"), ("en03", "es00")]
    for pair, (a, b) in whole.items():
        np.testing.assert_allclose(sampled[pair][0], a, rtol=1e-5)
        np.testing.assert_allclose(sampled[pair][1], b, rtol=1e-5)


def test_the_pool_is_a_fixed_size_seeded_sample(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "BACKGROUND_DOCUMENTS", 5)
    mat, owner, ids = background_pool(store, "en", threads=1)
    assert len(ids) == 5 and set(ids) < {f"en{n:02d}" for n in range(12)}
    assert len(mat) == len(owner) == 15  # three sentences a document: the pool does not grow past the sample
    vectors_module._POOLS.clear()
    assert background_pool(store, "en", threads=1)[2] == ids  # the same sample again
    # the partner of a pair always counts, as in the whole pool; the backgrounds stay finite
    few = load_vectors_of(store, ["en03", "es00"], threads=1)[MULTILINGUAL_MODEL]
    back = sampled_translation_backgrounds(store, [("en03", "es00")], store.languages(), few)
    assert np.isfinite(back[("en03", "es00")][0]).all() and np.isfinite(back[("en03", "es00")][1]).all()


def test_translation_evidence_needs_a_link_that_stands_out_from_the_pool(store: Store) -> None:
    multi = load_vectors_of(store, ["en03", "es00", "es05"], threads=1)[MULTILINGUAL_MODEL]
    assert translation_evidence(store, ("query:x", multi["en03"][:2]), "en", ("es00", multi["es00"]), "es")
    assert not translation_evidence(store, ("query:x", multi["en03"][:2]), "en", ("es05", multi["es05"]), "es")


def test_sketch_is_the_lead_and_spaced_sentences() -> None:
    assert sketch_indices(3) == [0, 1, 2]
    assert sketch_indices(4) == [0, 1, 2, 3]
    picked = sketch_indices(40)
    assert len(picked) == vectors_module.SKETCH_SENTENCES
    assert picked[: vectors_module.SKETCH_LEAD] == list(range(vectors_module.SKETCH_LEAD))
    assert picked == sorted(set(picked)) and picked[-1] >= 30  # reaches the end of a long query
