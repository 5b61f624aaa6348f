"""The static first stage of the semantic layer: token-table sentence vectors, the pair score,
the preselection, and a scan that embeds only the documents its pairs need."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
from fixtures.articles import ARTICLE, OTHER, write_corpus

from newstrace.stages.static import (
    PreselectConfig,
    StaticEmbedder,
    get_static_embedder,
    pair_score,
    pair_scores,
    screen_meaning_candidates,
    semantic_preselect,
)
from newstrace.types import Document


def _embedder() -> StaticEmbedder:
    missing = [m for m in ("onnx", "tokenizers", "scipy") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the static stage needs {', '.join(missing)}: pip install the pinned dependencies")
    try:
        return get_static_embedder()
    except ImportError as exc:
        pytest.skip(f"the static stage is unavailable: {exc}")


def _unit(*rows: list[float]) -> np.ndarray:
    a = np.asarray(rows, dtype=np.float32)
    out: np.ndarray = a / np.linalg.norm(a, axis=1, keepdims=True)
    return out


def test_sentence_vectors_are_unit_rows_from_the_model_table() -> None:
    e = _embedder()
    v = e.sentence_vectors(["The Harbour authority approved it.", "the harbour AUTHORITY approved it",
                            "", "!!!"])
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:2], axis=1), 1.0, atol=1e-5)
    assert np.allclose(v[0], v[1], atol=1e-6)  # uncased, punctuation ignored
    assert not v[2].any() and not v[3].any()  # nothing to embed: zeros, not NaN


def test_a_reworded_sentence_is_closer_than_an_unrelated_one() -> None:
    e = _embedder()
    a, b, c = e.sentence_vectors([
        "The harbour authority approved a new ferry terminal on Monday.",
        "On Monday the port authority gave its approval to a new ferry terminal.",
        "The city orchestra appointed a young violinist as its principal conductor.",
    ])
    assert float(a @ b) > float(a @ c) + 0.1


def test_embedder_pickles_without_its_table() -> None:
    e = _embedder()
    e.sentence_vectors(["warm the word cache"])
    copy = pickle.loads(pickle.dumps(e))
    assert copy.version == e.version and copy._table is None
    assert np.allclose(copy.sentence_vectors(["warm the word cache"]), e.sentence_vectors(["warm the word cache"]))


def test_pair_score_needs_two_matched_sentences_on_both_sides() -> None:
    x, y, z = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]
    two = _unit(x, y)
    assert pair_score(two, _unit(x, y, z)) == pytest.approx(1.0)
    assert pair_score(two, _unit(x, z)) == pytest.approx(0.0)  # only one sentence matches
    assert pair_score(two, _unit(x, x)) == pytest.approx(0.0)  # both match the same one
    assert pair_score(_unit(x), _unit(x, y)) == pytest.approx(1.0)  # a one-sentence document
    assert pair_score(np.zeros((0, 3), np.float32), two) == 0.0


def test_config_rejects_values_out_of_range() -> None:
    with pytest.raises(ValueError, match="pair_min"):
        PreselectConfig(pair_min=1.5)
    with pytest.raises(ValueError, match="neighbours"):
        PreselectConfig(neighbours=0)


def _doc(doc_id: str, text: str) -> Document:
    return Document(id=doc_id, raw=text, text=text, language="en")


def test_preselect_keeps_the_reworded_copy_and_embeds_only_its_documents() -> None:
    _embedder()
    reworded = (ARTICLE.replace("approved", "gave the go-ahead for").replace("Fishing crews", "Trawler crews")
                .replace("Construction is due to begin", "Work should start"))
    docs = {"a": _doc("a", ARTICLE), "b": _doc("b", reworded), "c": _doc("c", OTHER),
            "d": _doc("d", OTHER.replace("orchestra", "choir"))}
    by_score = PreselectConfig(short=0)
    chosen = semantic_preselect(docs, [("a", "b"), ("a", "c")], config=by_score)
    assert chosen.pairs == {("a", "b")}
    assert ("c", "d") in chosen.semantic  # found by static neighbours, not by the lexical pairs
    assert chosen.embed == {"a", "b", "c", "d"}
    assert chosen.stats["preselect_scored"] == 2
    unrelated = {k: docs[k] for k in "ac"}
    strict = semantic_preselect(unrelated, [("a", "c")], config=PreselectConfig(short=0, pair_min=0.999, semantic_min=0.999))
    assert strict.pairs == set() and strict.semantic == set() and strict.embed == set()


def test_preselect_gives_vectors_to_every_pair_with_a_short_document() -> None:
    _embedder()
    docs = {"a": _doc("a", ARTICLE), "c": _doc("c", OTHER)}  # 7 and 5 sentences, unrelated
    config = PreselectConfig(pair_min=0.999, semantic_min=0.999)
    assert semantic_preselect(docs, [("a", "c")], config=PreselectConfig(short=4, pair_min=0.999)).pairs == set()
    assert semantic_preselect(docs, [("a", "c")], config=config).pairs == {("a", "c")}


def test_scan_embeds_only_the_documents_of_chosen_pairs(tmp_path: Path) -> None:
    _embedder()
    from newstrace.pipeline import index_add, link, scan
    from newstrace.store import Store

    corpus = write_corpus(tmp_path / "articles", repost="Local news\n\n" + ARTICLE + "\nShare this article\n")
    result = scan([corpus], workers=1, changes=False)  # a scratch store: preselected
    [rel] = result.relations
    assert {rel.source, rel.target} == {"original.txt", "repost.txt"}
    assert result.stats["plan_preselect_embed"] == 2
    for preselect, pending in ((True, ["other.txt"]), (False, [])):
        with Store(tmp_path / f"index-{preselect}.db") as store:
            index_add(store, [corpus], workers=1, forensics=False)
            [kept] = link(store, workers=1, changes=False, preselect=preselect)
            assert (kept.source, kept.target, kept.type) == (rel.source, rel.target, rel.type)
            assert store.pending_vectors() == pending  # left for a later call that needs it


def test_pair_scores_match_pair_score_pair_by_pair() -> None:
    rng = np.random.default_rng(3)
    static = {k: _unit(*rng.normal(size=(n, 8)).tolist()) for k, n in zip("abcde", (1, 2, 3, 5, 4), strict=True)}
    pairs = [("b", "c"), ("b", "d"), ("c", "d"), ("a", "e"), ("d", "e"), ("c", "e")]
    scores = pair_scores(static, pairs)
    assert set(scores) == set(pairs)
    for a, b in pairs:
        assert scores[(a, b)] == pytest.approx(pair_score(static[a], static[b]), abs=1e-6)


def test_screen_keeps_candidates_by_meaning_that_pass_the_preselection_floor() -> None:
    _embedder()
    reworded = (ARTICLE.replace("approved", "gave the go-ahead for").replace("Fishing crews", "Trawler crews")
                .replace("Construction is due to begin", "Work should start"))
    docs = {"a": _doc("a", ARTICLE), "b": _doc("b", reworded), "c": _doc("c", OTHER)}
    # as given, oriented either way; "x" is in another language (not among the English docs)
    given = {("b", "a"), ("a", "c"), ("c", "x")}
    assert screen_meaning_candidates(docs, given) == {("b", "a"), ("c", "x")}
    # the floor is the preselection's own: what the scratch scan's static candidates must reach
    static = dict(zip("ac", get_static_embedder().documents([docs["a"], docs["c"]]), strict=True))
    score = pair_score(static["a"], static["c"])
    assert score < PreselectConfig().semantic_min
    below = PreselectConfig(semantic_min=score - 1e-3)
    assert screen_meaning_candidates(docs, given, config=below) == given


def test_screen_over_a_store_gives_the_same_pairs_read_a_few_documents_at_a_time(tmp_path: Path) -> None:
    """``vectors.screened_meaning_pairs`` reads the pairs' documents in chunks (its memory, not
    its answer, depends on the chunk): every chunk size keeps the same pairs, and a chunk never
    touches more documents than asked (a single pair still makes one)."""
    _embedder()
    from newstrace.pipeline import add_documents
    from newstrace.stages.vectors import _pair_chunks, screened_meaning_pairs
    from newstrace.store import Store

    reworded = (ARTICLE.replace("approved", "gave the go-ahead for").replace("Fishing crews", "Trawler crews")
                .replace("Construction is due to begin", "Work should start"))
    texts = {"a": ARTICLE, "b": reworded, "c": OTHER, "d": OTHER.replace("orchestra", "choir"),
             "e": ARTICLE.replace("ferry", "cargo")}
    given = {(x, y) for x in texts for y in texts if x < y}
    with Store(tmp_path / "index.db") as store:
        add_documents(store, [Document(id=k, raw=v) for k, v in texts.items()], workers=1, forensics=False)
        whole: dict[str, int] = {}
        kept = screened_meaning_pairs(store, given, stats=whole)
        assert ("a", "b") in kept and ("a", "c") not in kept and whole["meaning_screened_out"] == len(given - kept)
        for at_once in (1, 2, 3):
            stats: dict[str, int] = {}
            assert screened_meaning_pairs(store, given, stats=stats, documents_at_once=at_once) == kept
            assert stats == whole
    chunks = list(_pair_chunks(sorted(given), 3))
    assert [p for c in chunks for p in c] == sorted(given)
    assert all(len({x for p in c for x in p}) <= 3 for c in chunks) and len(chunks) > 1
    assert list(_pair_chunks([("a", "b"), ("c", "d")], 1)) == [[("a", "b")], [("c", "d")]]


def test_threads_sharing_the_embedder_get_each_text_s_own_vectors() -> None:
    """The word memo is shared by a service's threads: words numbered and rows written by one
    thread at a time, so each text gets the vectors it gets alone."""
    import threading

    _embedder()  # skips without the static stage's dependencies
    words = sorted({w.strip(".,").lower() for w in (ARTICLE + " " + OTHER).split() if w.strip(".,").isalpha()})
    rng = np.random.default_rng(7)
    texts = [[" ".join(rng.choice(words, 12)) + f" word{t}x{k}" for k in range(60)] for t in range(6)]
    alone = [StaticEmbedder().sentence_vectors(batch) for batch in texts]
    for _ in range(5):
        shared = StaticEmbedder()
        got: list[np.ndarray | None] = [None] * len(texts)

        def run(t: int, shared: StaticEmbedder = shared, got: list[np.ndarray | None] = got) -> None:
            got[t] = np.concatenate([shared.sentence_vectors([x]) for x in texts[t]])

        threads = [threading.Thread(target=run, args=(t,)) for t in range(len(texts))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert all(g is not None and np.array_equal(g, a) for g, a in zip(got, alone, strict=True))
