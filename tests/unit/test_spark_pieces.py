"""The pure pieces the Spark engine combines (no Spark needed): they give what the
whole-collection steps give."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from fixtures.graphs import smallest_in_component

from newstrace.stages.candidates import SentenceMember, sentence_bucket_pairs
from newstrace.stages.clean import count_unrelated, document_lines, recurring_lines, sampled_carriers
from newstrace.stages.stories.cluster import (
    StoryCollection,
    document_features,
    similarity_matrix,
    story_similarity,
    story_vector,
    update_stories,
)
from newstrace.types import Document

QUAKE = ("An earthquake of magnitude {m} struck near Lisbon on {d}, Portugal's civil protection agency said. "
         "Buildings in Lisbon and Setubal were damaged and rescuers from Porto searched the rubble.")
VOTE = ("Voters in Denmark rejected the Copenhagen bridge toll in a referendum on {d}, Danish officials said. "
        "Mette Frederiksen conceded that Copenhagen commuters had spoken, and Aarhus voted the same way.")


def _docs() -> list[Document]:
    out = []
    for i in range(3):
        out.append(Document(id=f"quake{i}", raw="", text=QUAKE.format(m=6 + i / 10, d=f"Monday {i}"),
                            published=f"2024-02-0{i + 1}"))
        out.append(Document(id=f"vote{i}", raw="", text=VOTE.format(d=f"Sunday {i}"), published=f"2024-05-0{i + 1}"))
    return out


def _collection(docs: list[Document]) -> StoryCollection:
    content: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for d in docs:
        c, n = document_features(d)
        content.update(set(c))
        names.update({w.lower() for w in n})
    return StoryCollection(len(docs), content, names)


def test_pair_similarity_is_the_matrix_entry() -> None:
    docs = _docs()
    coll = _collection(docs)
    feats = [document_features(d) for d in docs]
    sim = similarity_matrix(feats, [d.published for d in docs])
    vecs = [story_vector(f, d.published, coll) for f, d in zip(feats, docs, strict=True)]
    pairwise = np.array([[story_similarity(a, b) for b in vecs] for a in vecs])
    np.fill_diagonal(pairwise, np.diag(sim))
    assert np.allclose(pairwise, sim, atol=1e-6)
    assert pairwise[0, 2] > 0.22 > pairwise[0, 1]  # one event, then two events


def test_stories_of_each_part_with_collection_counts_are_the_whole_runs() -> None:
    docs = _docs()
    coll = _collection(docs)
    whole = update_stories(docs)
    parts = [update_stories([d for d in docs if d.id.startswith(k)], collection=coll) for k in ("quake", "vote")]
    assert sorted(parts[0] + parts[1], key=lambda s: s.id) == whole
    assert len(whole) == 2


def test_block_scoring_gives_every_pairs_score_once() -> None:
    """The stories step scores the pairs sharing a name in the task of their block pair
    (``_score_block``): whatever the number of blocks, each representative's merged highest
    scores give the usual similarity of all its scores, and every pair that can be an edge comes
    once, with the score ``story_similarity`` gives it (lower id first)."""
    from collections import defaultdict
    from functools import reduce

    from newstrace.engines.spark.organise import STORY, _score_block, _top_scores, _vector_copies
    from newstrace.stages.stories.cluster import usual_similarity

    docs = _docs()
    coll = _collection(docs)
    vecs = {d.id: story_vector(document_features(d), d.published, coll) for d in docs}
    pairs = [(a, b) for a in sorted(vecs) for b in sorted(vecs) if a < b]
    direct = {(a, b): story_similarity(vecs[a], vecs[b]) for a, b in pairs}
    usual = {i: usual_similarity([v for p, v in direct.items() if i in p and v > 0]) for i in vecs}
    least = STORY.threshold + STORY.floor - 1e-6
    for blocks in (1, 2, 3, 5, 8):
        tasks: dict[tuple[int, int], list[Any]] = defaultdict(list)
        for item in vecs.items():
            for key, row in _vector_copies(item, blocks):
                tasks[key].append(row)
        assert all(0 <= x <= y < blocks for x, y in tasks)
        out = [row for task in tasks.items() for row in _score_block(task)]
        edges = [(row[1], row[2]) for row in out if row[0] == "pair"]
        assert sorted(edges) == sorted((p, v) for p, v in direct.items() if v >= least), blocks
        tops: dict[str, list[list[float]]] = defaultdict(list)
        for row in out:
            if row[0] == "top":
                tops[row[1]].append(row[2])
        assert {i: usual_similarity(reduce(_top_scores, t)) for i, t in tops.items()} == \
            {i: u for i, u in usual.items() if u > 0}, blocks
    assert 0 < len(edges) < len(pairs)  # the two events' pairs score 0 (dated months apart)


def test_sentence_bucket_verdicts() -> None:
    terms = frozenset("police arrested three men after robbery downtown".split())
    near = frozenset("police arrested three suspects after robbery downtown".split())
    far = frozenset("weather sunny warm weekend forecast coast beaches".split())
    bucket = [SentenceMember("a", 0, "a", False, terms), SentenceMember("b", 2, "b", False, near),
              SentenceMember("c", 1, "c", False, far)]
    pairs, verdict = sentence_bucket_pairs(bucket)
    assert pairs == [("a", "b")] and verdict is None
    # Inside one large component the family plan pairs members: the bucket adds nothing.
    large = [SentenceMember("a", 0, "x", True, terms), SentenceMember("b", 0, "x", True, near)]
    assert sentence_bucket_pairs(large) == ([], None)
    crowd = [SentenceMember(f"d{i}", 0, f"d{i}", False, terms) for i in range(51)]
    assert sentence_bucket_pairs(crowd)[1] == "skipped"
    assert sentence_bucket_pairs([SentenceMember(m.doc, 0, "x", True, terms) for m in crowd])[1] == "absorbed"


def test_line_pieces_give_the_recurring_lines() -> None:
    tagline = "Subscribe to our newsletter for more news"
    bodies = [
        "The council approved a new budget for the city's schools on Tuesday after a long debate.",
        "A storm knocked out power to thousands of homes along the coast overnight, the utility said.",
        "The football club signed a young striker from a rival team for an undisclosed fee this week.",
        "Researchers found that the river's fish population has doubled since the dam was removed.",
    ]
    docs = [Document(id=str(i), raw=f"{body}\n{tagline}\n") for i, body in enumerate(bodies)]
    lines = [document_lines(d.raw) for d in docs]
    key = lines[0][1][0]
    sketches = [(frozenset().union(*(sh for _, sh, _ in ls)), sum(n for _, _, n in ls)) for ls in lines]
    line, words = lines[0][1][1], lines[0][1][2]
    sampled = [sketches[i] for i in sampled_carriers(len(docs))]
    assert count_unrelated(line, words, sampled) >= 3
    assert key in recurring_lines(docs)


def _clustered_vectors(n: int, topics: int, seed: int) -> dict[str, np.ndarray]:
    """Two-sentence documents around ``topics`` centres (synthetic vectors, no model): about
    half of a topic's pairs above the English candidate floor of 0.5."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, 64))
    return {f"d{i:03d}": (centres[i % topics] + rng.normal(scale=0.9, size=64)
                          + rng.normal(scale=0.5, size=(2, 64))).astype(np.float32) for i in range(n)}


def _cell_pairs(vectors: dict[str, np.ndarray], cell_docs: int, probes: int) -> set[tuple[str, str]]:
    """The Spark candidate cells' steps, composed in Python as the Spark job composes them."""
    from newstrace.engines.spark.semantic import KMEANS_SAMPLE, _cell, _nearest_of, _probes, spherical_kmeans
    from newstrace.stages.semantic import document_vector
    from newstrace.stages.vectors import ENGLISH_MODEL

    rows = [(i, "en", document_vector(v)[None, :]) for i, v in vectors.items()]
    cells = -(-len(rows) // cell_docs)
    pick = np.random.default_rng(17).choice(len(rows), min(len(rows), cells * KMEANS_SAMPLE), replace=False)
    centroids = spherical_kmeans(np.concatenate([rows[j][2] for j in pick]), cells)
    groups: dict[int, list[Any]] = {}
    for r in rows:
        for c, x in _probes(r, centroids, min(probes, cells)):
            groups.setdefault(c, []).append(x)
    found: dict[str, list[tuple[str, float]]] = {}
    for members in groups.values():
        for doc, hit in _cell(members, ENGLISH_MODEL):
            found.setdefault(doc, []).append(hit)
    return {p for item in found.items() for p in _nearest_of(item)}


def test_candidate_cells_give_the_nearest_neighbour_pairs() -> None:
    """Cells of 50 of 400 documents, 4 probed: the pairs of the local whole-collection search.

    Measured: recall 0.999 with 4 probes of 8 cells (0.969 with 2; 0.999 on 742 BBC articles in
    8 cells, with real sentence vectors).
    """
    from newstrace.stages.vectors import ENGLISH_MODEL, semantic_pairs

    vectors = _clustered_vectors(400, 40, seed=7)
    local = semantic_pairs(dict.fromkeys(vectors, "en"), {ENGLISH_MODEL: vectors})
    found = _cell_pairs(vectors, 50, 4)
    assert len(local) > 1000
    assert len(found & local) >= 0.99 * len(local) and len(found & local) >= 0.99 * len(found | local)
    # Fewer probes, fewer pairs: the probes are what finds neighbours across cell borders.
    assert len(_cell_pairs(vectors, 50, 1) & local) < 0.97 * len(local)


def test_background_candidates_hold_each_sentences_best() -> None:
    """The background of a query document from its candidates in each pool block equals its
    background against the whole pool (``sentence_backgrounds``)."""
    from newstrace.engines.spark.semantic import _block, _block_candidates
    from newstrace.stages.semantic.similarity import sentence_backgrounds

    rng = np.random.default_rng(3)
    pool = {f"p{i:02d}": rng.normal(size=(int(rng.integers(1, 6)), 32)).astype(np.float32) for i in range(40)}
    query = rng.normal(size=(5, 32)).astype(np.float32)
    whole = sentence_backgrounds({"q": query}, pool, k=4)["q"]
    picked: dict[str, np.ndarray] = {}
    for b in range(3):
        rows = [("p", i, v) for i, v in pool.items() if _block(i, 3) == b] + [("q", "q", query)]
        for key, found in _block_candidates((("es", b), rows), 4):
            assert key == ("q", "es")
            picked.update(found)
    assert sum(len(v) for v in picked.values()) < sum(len(v) for v in pool.values())
    assert np.allclose(sentence_backgrounds({"q": query}, picked, k=4)["q"], whole, atol=1e-6)


def test_background_requests_are_translation_backgrounds_pairs() -> None:
    """Per pair (as Spark asks, with the collection's per-language sizes) or for all pairs at once,
    ``background_requests`` picks the pairs ``translation_backgrounds`` gives backgrounds to."""
    from newstrace.stages.vectors import background_requests, translation_backgrounds

    rng = np.random.default_rng(5)
    languages: dict[str, str | None] = {"es1": "es", "es2": "es", "es3": "es", "en1": "en", "en2": "en", "en3": "en",
                                        "de1": "de", "x": None}
    counts = {"es1": 3, "es2": 2, "es3": 4, "en1": 4, "en2": 3, "en3": 3, "de1": 2, "x": 2}
    multi = {i: rng.normal(size=(n, 16)).astype(np.float32) for i, n in counts.items()}
    pairs = [("en1", "es1"), ("en2", "es2"), ("de1", "en1"), ("en1", "en2"), ("x", "en1"), ("de1", "es1")]
    sizes: dict[str | None, int] = {}
    for i, n in counts.items():
        sizes[languages[i]] = sizes.get(languages[i], 0) + n
    whole, _ = background_requests(pairs, languages, counts, sizes)
    one_by_one = [p for a, b in pairs
                  for p in background_requests([(a, b)], {a: languages[a], b: languages[b]},
                                               {a: counts[a], b: counts[b]}, sizes)[0]]
    assert whole == one_by_one == sorted(translation_backgrounds(pairs, languages, multi), key=pairs.index)
    # Same-language and language-less pairs never; German has too few sentences outside a pair.
    assert whole == [("en1", "es1"), ("en2", "es2")]


def test_union_find_roots_name_every_component_by_its_smallest_vertex() -> None:
    """The contraction step of the Spark components: chains (copies of copies), stars, duplicate
    and reversed edges and self-loops, in any order; each vertex but a component's smallest
    comes back once, with that smallest vertex."""
    from newstrace.stages.components import union_find_roots

    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(1, 40))
        edges = [(int(a), int(b)) for a, b in rng.integers(0, n, size=(int(rng.integers(0, 2 * n)), 2))]
        edges += [(i + 1, i) for i in range(0, n - 1, 3)]  # chains written child to parent
        vertices = {v for e in edges for v in e if e[0] != e[1]}
        expected = {v: root for v, root in smallest_in_component(vertices, [e for e in edges if e[0] != e[1]]).items()
                    if v != root}
        found = list(union_find_roots(edges))
        assert dict(found) == expected, trial
        assert len(found) == len(expected)
