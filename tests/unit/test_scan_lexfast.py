"""The lexical scan's third speed round (issue 12, part 3) moves work, never changes results:
line profiles and fingerprint encodings made in the workers, tokens handed to the pair
workers, the prepared documents kept instead of read back, the sentence channel planned in
numpy, the collector kept out of the way."""

from __future__ import annotations

import gc
import random
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.articles import ARTICLE, OTHER

from newstrace.executors.local import map_items
from newstrace.pipeline import add_documents, scan
from newstrace.stages.candidates import (
    DEFAULT_CONFIG,
    PLAN_SMALL_COMPONENT,
    Fingerprint,
    SentenceMember,
    _colliding_sentences,
    _sentence_channel,
    _shingle_components,
    sentence_bucket_pairs,
)
from newstrace.stages.prepare import (
    IndexRows,
    document_columns,
    learn_boilerplate,
    learn_boilerplate_profiled,
    line_facts,
    line_profile,
)
from newstrace.stages.text import (
    _KNOWN,
    _KNOWN_SPLITS,
    known_tokens,
    pack_tokens,
    split_sentences,
    tokenize,
    unpack_tokens,
)
from newstrace.store import Store, encode_fingerprint
from newstrace.types import Document


def _square(x: int) -> int:
    return x * x


def _corpus(root: Path) -> Path:
    """Six articles: two reposts of ``ARTICLE`` under a shared site line and footer, a trimmed
    copy, ``OTHER`` and an unrelated one with the same chrome, so boilerplate is learned."""
    root.mkdir()
    chrome, footer = "Harbour Gazette | Local news", "Follow us for updates. All rights reserved."
    (root / "a.txt").write_text(ARTICLE)
    (root / "b.txt").write_text(f"{chrome}\n\n{ARTICLE}\n\n{footer}")
    (root / "c.txt").write_text(f"{chrome}\n\n{ARTICLE.rsplit(chr(10), 3)[0]}\n\n{footer}")
    (root / "d.txt").write_text(f"{chrome}\n\n{OTHER}\n\n{footer}")
    (root / "e.txt").write_text(OTHER)
    (root / "f.txt").write_text(f"{chrome}\n\nA lighthouse keeper retired after forty years on the rock. "
                                f"He kept a diary of every storm and will give it to the museum.\n\n{footer}")
    return root


def test_a_scratch_scan_returns_the_documents_its_store_reads_back(tmp_path: Path) -> None:
    """Kept from the prepare step (offsets packed meanwhile), they equal what a kept store
    reads back, field for field, offsets a list again."""
    corpus = _corpus(tmp_path / "c")
    kept = scan([corpus], db=tmp_path / "kept.db", workers=1, changes=False, semantic=False)
    scratch = scan([corpus], workers=1, changes=False, semantic=False)
    assert [d.id for d in scratch.documents] == sorted(d.id for d in scratch.documents)
    assert scratch.documents == kept.documents and len(scratch.documents) == 6
    assert all(type(d.offsets) is list and len(d.offsets) == len(d.text) + 1 for d in scratch.documents)
    assert [(r.source, r.target, r.type, r.passages) for r in kept.relations] == \
        [(r.source, r.target, r.type, r.passages) for r in scratch.relations]
    assert scratch.relations and scratch.families == kept.families
    assert not _KNOWN  # the tokens handed to the pair step are forgotten


def test_a_store_without_offsets_holds_the_rest_of_each_document(tmp_path: Path) -> None:
    docs = [Document(id=p.name, raw=p.read_text()) for p in sorted(_corpus(tmp_path / "c").iterdir())]
    for name, keep in (("with", True), ("without", False)):
        with Store(tmp_path / f"{name}.db") as store:
            add_documents(store, [Document(id=d.id, raw=d.raw) for d in docs], workers=1, forensics=False,
                          candidate_index=False, store_offsets=keep)
    with Store(tmp_path / "with.db") as full, Store(tmp_path / "without.db") as bare:
        stored, without = full.get_documents(), bare.get_documents()
    assert [d.offsets for d in without] == [[]] * 6 and all(d.offsets for d in stored)
    assert [replace(d, offsets=[]) for d in stored] == without


def test_line_facts_made_elsewhere_give_the_same_boilerplate(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c")
    docs = [Document(id=p.name, raw=p.read_text()) for p in sorted(corpus.iterdir())]
    with Store(tmp_path / "s.db") as store:
        here = learn_boilerplate_profiled(store, docs)
        made = learn_boilerplate_profiled(store, docs, facts=[line_facts(d.raw) for d in docs])
        with pytest.raises(ValueError, match="line facts of 1 documents for 6"):
            learn_boilerplate_profiled(store, docs, facts=[line_facts(docs[0].raw)])
    assert made == here and here[0] == learn_boilerplate(docs)
    assert [line_facts(d.raw)[0] for d in docs] == [line_profile(d.raw) for d in docs] == here[1]
    assert len(here[0]) >= 2  # the site line and the footer recur across unrelated articles


def test_known_tokens_are_returned_inside_the_block_only() -> None:
    text = ARTICLE
    tokens = tokenize(text, "en")
    assert unpack_tokens(text, pack_tokens(tokens)) == tokens
    fake = pack_tokens(tokenize(OTHER[: len(text)], "en"))
    with known_tokens([(text, "en", fake)]):
        assert tokenize(text, "en") == unpack_tokens(text, fake) != tokens  # the given value, not made again
        assert tokenize(text, "de") != unpack_tokens(text, fake)  # another language is another text
    assert tokenize(text, "en") == tokens and not _KNOWN


def test_known_tokens_give_their_sentences_to_split_sentences() -> None:
    """Within the block a known text's split is its tokens' sentences (the static stage and the
    embedder of a scan then split nothing again); the offsets are the same as a fresh split."""
    text = ARTICLE
    tokens = tokenize(text, "en")
    assert list(tokens.sentences) == split_sentences(text)
    other_bounds = split_sentences(text, max_words=20)
    fake = pack_tokens(tokenize(OTHER[: len(text)], "en"))
    with known_tokens([(text, "en", fake)]):
        assert split_sentences(text) == list(unpack_tokens(text, fake).sentences) != list(tokens.sentences)
        assert split_sentences(text, max_words=20) == other_bounds  # other bounds: split afresh
        assert split_sentences(OTHER) == split_sentences(OTHER, min_words=3, max_words=60)
    assert split_sentences(text) == list(tokens.sentences) and not _KNOWN_SPLITS


def _reference_sentence_channel(fps: list[Fingerprint], comp_of: list[int], large: set[int],
                                ) -> tuple[int, int, list[tuple[int, int]]]:
    """The sentence channel as planned before, bucket by bucket (``sentence_bucket_pairs``)."""
    sentences = [(d, s) for d, fp in enumerate(fps) for s in range(len(fp.sentences))]

    def member(g: int) -> SentenceMember:
        d, s = sentences[g]
        return SentenceMember(d, s, comp_of[d], comp_of[d] in large, fps[d].sentence_terms[s])

    checked: set[tuple[int, int, int, int]] = set()
    verdicts: dict[tuple[int, ...], str | None] = {}
    skipped = absorbed = 0
    out: list[tuple[int, int]] = []
    for bucket in _colliding_sentences([d for fp in fps for d in fp.sentences], DEFAULT_CONFIG.sentence_bands):
        same = tuple(bucket)
        if same not in verdicts:
            found, verdicts[same] = sentence_bucket_pairs([member(g) for g in bucket], DEFAULT_CONFIG, checked)
            out.extend(found)
        absorbed += verdicts[same] == "absorbed"
        skipped += verdicts[same] == "skipped"
    return skipped, absorbed, out


def test_the_sentence_channel_plans_what_each_bucket_proposed() -> None:
    """Shared, partly shared and stock sentences; a large shingle component (its members'
    sentence pairs are left to the family plan); term sets either side of the Jaccard bar."""
    rng = random.Random(12)
    words = [f"w{i}" for i in range(60)]
    pool = [([rng.randrange(1 << 32) for _ in range(60)], frozenset(rng.sample(words, 8))) for _ in range(80)]
    stock = ([rng.randrange(1 << 32) for _ in range(60)], frozenset(words[:6]))
    family = [rng.randrange(1 << 32) for _ in range(128)]
    fps = []
    for i in range(160):
        fp = Fingerprint(f"d{i:03d}", family if i < PLAN_SMALL_COMPONENT + 4 else
                         [rng.randrange(1 << 32) for _ in range(128)])
        chosen = [rng.choice(pool) for _ in range(rng.randrange(1, 7))] + ([stock] if i % 2 == 0 else [])
        for digest, terms in chosen:
            digest = list(digest)
            for k in rng.sample(range(60), 0 if terms is stock[1] else rng.randrange(0, 45)):
                digest[k] = rng.randrange(1 << 32)  # a partial copy collides in fewer bands
            kept = set(terms)
            for w in rng.sample(sorted(terms), rng.randrange(0, 6)):  # reworded: Jaccard above or below 0.3
                kept.discard(w)
                kept.add(rng.choice(words))
            fp.sentences.append(digest)
            fp.sentence_terms.append(frozenset(kept))
        fps.append(fp)
    _, comps, comp_of = _shingle_components(fps, DEFAULT_CONFIG)
    large = {root for root, m in comps.items() if len(m) > PLAN_SMALL_COMPONENT}
    expected = _reference_sentence_channel(fps, comp_of, large)
    assert _sentence_channel(fps, comp_of, large, DEFAULT_CONFIG) == expected
    skipped, _, pairs = expected
    assert large and skipped >= 1 and len(set(pairs)) > 50
    assert any(comp_of[a] == comp_of[b] and comp_of[a] in large for a in range(16) for b in range(16) if a != b)
    assert not any(comp_of[a] == comp_of[b] and comp_of[a] in large for a, b in pairs)
    assert _sentence_channel([Fingerprint("x")], [0], set(), DEFAULT_CONFIG) == (0, 0, [])


def test_pools_fork_with_the_collector_frozen_and_thaw_it() -> None:
    assert list(map_items(_square, range(60), workers=2)) == [x * x for x in range(60)]
    assert gc.get_freeze_count() == 0


def test_a_scan_restores_the_collector_threshold(tmp_path: Path) -> None:
    before = gc.get_threshold()
    scan([_corpus(tmp_path / "c")], workers=1, changes=False, semantic=False)
    assert gc.get_threshold() == before


def test_a_fingerprint_may_come_as_its_encoding_alone(tmp_path: Path) -> None:
    from newstrace.stages.prepare import prepare_document

    doc, fp = prepare_document(Document(id="a", raw=ARTICLE), forensics=False)
    with Store(tmp_path / "one.db") as one, Store(tmp_path / "two.db") as two:
        one.put_documents([(doc, fp)], candidate_index=False)
        two.put_documents([(doc, None, IndexRows((), (), columns=document_columns(doc),
                                                 fingerprint=encode_fingerprint(fp)))], candidate_index=False)
        assert one.get_fingerprints() == two.get_fingerprints() == [fp]
        with pytest.raises(ValueError, match="neither a fingerprint nor its encoding"):
            two.put_documents([(doc, None, IndexRows((), (), columns=document_columns(doc)))])
