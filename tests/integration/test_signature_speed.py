"""The fast paths of the rewrite signature and of WordNet's index give what the slow ones gave.

``_noun_slot_misfits`` runs the tagger without NER or the lemmatizer (lemmas computed for
candidates only) and reads WordNet's index without NLTK; the NLTK reader fills its lemma map
from the same parse.  These tests pin both against the original computations on fixed real
texts: the seeds, the first BBC tech articles and PAN-13 sources that hold noun-slot traces.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from fixtures.shared import DATA, SEEDS, require

from newstrace.stages.changes import _FUNCTION, _known, nlp, wordnet
from newstrace.stages.signature import _noun_slot_misfits, known_slot_tags

PAN = ("00030", "00042", "00058", "00066", "00001", "00002", "00003", "00004")


def _texts() -> list[str]:
    seeds = sorted(require(SEEDS).glob("*.txt"))
    bbc = sorted((require(DATA / "bbc-news") / "tech").glob("*.txt"))[:12]
    pan = [require(DATA / "pan13-train" / "src") / f"source-document{n}.txt" for n in PAN]
    return [p.read_text(encoding="utf-8", errors="replace")[:20000] for p in [*seeds, *bbc, *pan] if p.exists()]


def _reference(text: str) -> list[tuple[int, int, str]]:
    """The check as it was: the whole pipeline (NER and lemmatizer included) over the text."""
    doc = nlp()(text)
    found = []
    for k in range(1, len(doc) - 1):
        t, prev, nxt = doc[k], doc[k - 1], doc[k + 1]
        word = t.lower_
        if not word.isalpha() or len(word) < 4 or t.text[0].isupper() or word in _FUNCTION:
            continue
        possessive = prev.tag_ in ("PRP$", "POS")
        if t.pos_ == "NOUN" and t.tag_ == "NN":
            if not (possessive or prev.tag_ in ("DT", "JJ") or prev.pos_ == "PROPN"):
                continue
        elif t.pos_ != "ADJ" or not possessive:
            continue
        if not (nxt.is_punct and nxt.text in ",.;:") and nxt.pos_ != "AUX":
            continue
        lemma = t.lemma_.lower()
        if _known(word, "n") or _known(lemma, "n") or not (_known(word, "a") or _known(lemma, "a")):
            continue
        found.append((t.idx, t.idx + len(t.text), text[prev.idx : nxt.idx].strip()))
    return found


def test_noun_slot_check_finds_what_the_full_pipeline_found() -> None:
    if nlp() is None or wordnet() is None:
        pytest.skip("spaCy en_core_web_sm or WordNet 3.0 not installed")
    texts = _texts()
    assert len(texts) >= 20
    reference = [_reference(t) for t in texts]
    assert sum(map(len, reference)) >= 5  # the sample holds traces: the comparison means something
    assert [_noun_slot_misfits(t) for t in texts] == reference
    with known_slot_tags(texts):  # tagged all together, as the scan's prepare shards do
        assert [_noun_slot_misfits(t) for t in texts] == reference


def test_wordnet_lemma_map_is_nltks() -> None:
    wn = wordnet()
    if wn is None:
        pytest.skip("WordNet 3.0 not installed")
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    fast_satellites = wn.satellite_offsets  # read from data.adj on first use
    WordNetCorpusReader._scan_satellites(wn)  # NLTK's own scan of data.adj
    assert len(wn.satellite_offsets) > 10000
    assert set(fast_satellites) == wn.satellite_offsets
    wn.satellite_offsets = fast_satellites
    fast: Any = wn._lemma_pos_offset_map  # filled lemma by lemma on first use
    wn._lemma_pos_offset_map = defaultdict(dict)
    try:
        WordNetCorpusReader._load_lemma_pos_offset_map(wn)  # NLTK's own loader, on the same files
        slow: Any = wn._lemma_pos_offset_map
    finally:
        wn._lemma_pos_offset_map = fast
    assert len(slow) > 140000
    assert list(fast) == list(slow)  # every lemma, in NLTK's order (all_lemma_names)
    assert all(k in fast for k in slow)
    assert "no-such-lemma-xyz" not in fast
    assert all(fast[k] == slow[k] and list(fast[k]) == list(slow[k]) for k in slow)  # same entries, same order


def test_wordnet_synsets_are_nltks() -> None:
    """Synsets read by our plain binary reader with stdlib regexes equal NLTK's own reading."""
    wn = wordnet()
    if wn is None:
        pytest.skip("WordNet 3.0 not installed")
    import nltk.corpus.reader.wordnet as reader
    from nltk import redos
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    from newstrace.stages.changes.resources import _index

    offsets = sorted({(p, o) for lemma in list(_index())[::40] for p, offs in (_index().get(lemma) or {}).items()
                      for o in offs})
    assert len(offsets) > 3000
    fast = [wn.synset_from_pos_and_offset(p, o) for p, o in offsets]
    cache, patched = wn._synset_offset_cache, reader.redos
    wn._synset_offset_cache = defaultdict(dict)
    reader.redos = redos
    try:
        slow = [WordNetCorpusReader.synset_from_pos_and_offset(wn, p, o) for p, o in offsets]
    finally:
        wn._synset_offset_cache, reader.redos = cache, patched

    def view(s: Any) -> tuple[Any, ...]:
        return (s.name(), s.pos(), s.offset(), s.definition(), tuple(s.examples()), s.lexname(),
                tuple(lem.name() for lem in s.lemmas()), dict(s._pointers), dict(s._lemma_pointers))

    assert [view(s) for s in fast] == [view(s) for s in slow]


def test_noun_slot_contexts_tag_as_the_whole_text() -> None:
    """Every candidate and its two neighbours get, in their small context, the whole text's tag and POS."""
    from newstrace.stages.signature import _slot_candidates, _slot_docs

    model = nlp()
    if model is None or wordnet() is None:
        pytest.skip("spaCy en_core_web_sm or WordNet 3.0 not installed")
    texts = _texts()
    compared = 0
    for text in texts:
        spans = _slot_candidates(text)
        if not spans:
            continue
        whole = model(text, disable=["ner", "lemmatizer"])
        at = {t.idx: t.i for t in whole}
        contexts = _slot_docs(model, text, spans)
        docs = list(model.pipe([d for _, d in contexts], disable=["ner", "lemmatizer"]))
        for (offset, _), doc in zip(contexts, docs, strict=True):
            for t in doc:
                if offset + t.idx not in {s for s, _ in spans} or not 0 < t.i < len(doc) - 1:
                    continue
                k = at[offset + t.idx]
                for d in (-1, 0, 1):
                    mine, theirs = doc[t.i + d], whole[k + d]
                    assert (mine.text, mine.tag_, mine.pos_) == (theirs.text, theirs.tag_, theirs.pos_)
                compared += 1
    assert compared >= 50


def _reference_foreign(text: str, language: str) -> list[tuple[int, int, str, str]]:
    """The check as it was: every sentence of six words or more classified."""
    import re

    from newstrace.stages.ingest import _identifier
    from newstrace.stages.text import split_sentences

    out = []
    for s in split_sentences(text):
        if len(re.findall(r"[^\W\d_]{2,}", s.text)) < 6:
            continue
        lang, confidence = _identifier().classify(s.text)
        if lang != language and len(lang) == 2 and confidence >= 0.95:
            out.append((s.start, s.end, s.text, lang))
    return out


def test_foreign_sentence_screen_keeps_every_foreign_sentence() -> None:
    """English sentences are screened out before py3langid; the sentences found stay the same.

    The sample: the seeds, BBC articles, PAN-13 suspicious documents that hold Dutch and
    Javanese sentences, and BBC articles with Spanish sentences of PAN-PC-11 put between
    their paragraphs (built here from the shared data).
    """
    import json

    from newstrace.stages.signature import _foreign_sentences

    texts = _texts()
    susp = require(DATA / "pan13-train" / "susp")
    texts += [(susp / f"suspicious-document{n}.txt").read_text(encoding="utf-8") for n in ("00035", "00109")]
    pairs = [json.loads(line) for line in
             require(DATA / "pan11-crosslang" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    bbc = sorted((DATA / "bbc-news" / "business").glob("*.txt"))[:10]
    for path, pair in zip(bbc, pairs, strict=False):
        paragraphs = path.read_text(encoding="utf-8", errors="replace").split("\n\n")
        spanish = pair["source_text"].strip()
        texts.append("\n\n".join([*paragraphs[:2], spanish, *paragraphs[2:]]))
    reference = [_reference_foreign(t, "en") for t in texts]
    assert sum(map(len, reference)) >= 15  # the sample holds foreign sentences: the comparison means something
    assert [_foreign_sentences(t, "en") for t in texts] == reference
