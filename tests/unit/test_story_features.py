"""Story features, TF-IDF rows, story labels and family 4-grams: the fast paths give what the
plain definitions give.

``document_features`` reads the words of a text once (``text.word_spans``) and looks each form's
term and name up; ``_tfidf`` computes each idf and tf once.  The references below are the plain
definitions (the pattern and the term filter run over each sentence and line, one weight per
entry); both must agree to the bit, as the story clustering compares similarities with a
threshold.  ``known_features`` hands over features made elsewhere only for unchanged documents.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newstrace.stages.families.build import _gram_seq
from newstrace.stages.stories.cluster import (
    IDF_FLOOR,
    IDF_PRIOR_DOCS,
    LEAD_SENTENCES,
    _distinct_ids,
    _label,
    _names,
    _tfidf,
    document_features,
    known_features,
)
from newstrace.stages.stories.store import decode_features, encode_features
from newstrace.stages.text import WORD_RE, content_terms, split_sentences
from newstrace.types import Document


def _reference_features(doc: Document) -> tuple[list[str], list[str]]:
    head = bool(doc.title) and not doc.text.startswith(doc.title or "")
    text = f"{doc.title}\n{doc.text}" if head else doc.text
    lang = doc.language or "en"
    sents = [x.text for x in split_sentences(text)]
    names = [_names(x) for x in sents]
    n_lead = LEAD_SENTENCES + head
    lead_names = [w for ws in names[:n_lead] for w in ws]
    return (content_terms(text, lang) + content_terms("\n".join(sents[:n_lead]), lang),
            [w for ws in names for w in ws] + lead_names)


BODY = ("Prime Minister Antonio Costa visited Lisbon on Monday. Rescuers from Porto searched the rubble in "
        "Setubal,\nwhere Maria's house fell.\nThe U.S. Embassy said Mr. Smith's team would help.\n\n"
        "In January the European Union's aid arrived. It was 2024. NATO and the UN met in Geneva.")
DOCS = [
    Document(id="a", raw="", text=BODY),
    Document(id="b", raw="", text=BODY, title="Earthquake Hits Lisbon"),
    Document(id="c", raw="", text="Earthquake Hits Lisbon\n\n" + BODY, title="Earthquake Hits Lisbon"),
    Document(id="d", raw="", text="Kurz.", title=None),
    Document(id="e", raw="", text="", title="Only A Title"),
    Document(id="f", raw="", text="Der Bundestag in Berlin stimmte am Dienstag zu. Olaf Scholz sprach.", language="de"),
    Document(id="g", raw="", text="東京で会議が開かれた。 Tokyo Mayor Koike spoke. 大阪でも。", language="ja"),
    Document(id="h", raw="", text="word " * 200 + "\nA Long Unpunctuated Line With Names Like Paris And Rome"),
]


@pytest.mark.parametrize("doc", DOCS, ids=[d.id for d in DOCS])
def test_features_match_the_plain_definition(doc: Document) -> None:
    assert document_features(doc) == _reference_features(doc)


def _reference_tfidf(bags: list[list[str]], *, prior: int, floor: float, sublinear: bool) -> tuple[list[float], list[int], list[int]]:
    local: Counter[str] = Counter()
    for bag in bags:
        local.update(set(bag))
    vocab = {w: i for i, w in enumerate(sorted(local))}
    from scipy.sparse import csr_matrix, diags

    rows, cols, vals = [], [], []
    for d, bag in enumerate(bags):
        for w, c in Counter(bag).items():
            tf = (1 + math.log(c)) if sublinear else float(c)
            rows.append(d)
            cols.append(vocab[w])
            vals.append(tf * (math.log((1 + len(bags) + prior) / (1 + local[w])) + floor))
    mat = csr_matrix((vals, (rows, cols)), shape=(len(bags), max(1, len(vocab))), dtype=np.float64)
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    out = diags(1.0 / norms) @ mat
    return out.data.tolist(), out.indices.tolist(), out.indptr.tolist()


@pytest.mark.parametrize(("prior", "floor", "sublinear"), [(200, 0.0, True), (0, 1.0, False)])
def test_tfidf_matches_the_per_entry_weights(prior: int, floor: float, sublinear: bool) -> None:
    bags = [document_features(d)[0] for d in DOCS] + [[], ["lisbon", "lisbon", "porto"]]
    got: Any = _tfidf(bags, prior=prior, floor=floor, sublinear=sublinear)  # scipy csr
    assert (got.data.tolist(), got.indices.tolist(), got.indptr.tolist()) == _reference_tfidf(
        bags, prior=prior, floor=floor, sublinear=sublinear)


def test_known_features_serve_only_unchanged_documents() -> None:
    doc = Document(id="a", raw="", text=BODY)
    made = (["made", "elsewhere"], ["Elsewhere"])
    changed = Document(id="a", raw="", text=BODY + " Another sentence about Madrid.")
    with known_features([doc], {"a": made}):
        assert document_features(Document(id="a", raw="", text=BODY)) == made  # equal, not the same object
        assert document_features(changed) == _reference_features(changed)
        assert document_features(Document(id="a", raw="", text=BODY, language="pt")) == _reference_features(
            Document(id="a", raw="", text=BODY, language="pt"))
    assert document_features(doc) == _reference_features(doc)  # forgotten on leaving


def test_tfidf_remembers_rows_only_for_equal_bags() -> None:
    bags = [["lisbon", "porto", "lisbon"], ["porto", "quake"], ["vote"]]
    first: Any = _tfidf(bags)
    assert _tfidf([list(b) for b in bags]) is first  # equal bags: the rows already made
    bags[1].append("rescue")  # changed in place after the call
    again: Any = _tfidf(bags)
    assert again is not first
    assert (again.data.tolist(), again.indices.tolist(), again.indptr.tolist()) == _reference_tfidf(
        bags, prior=200, floor=0.0, sublinear=True)
    assert _tfidf(bags, prior=0, floor=1.0, sublinear=False) is not again  # other settings: made anew


def _reference_label(members: list[int], feats: list[tuple[list[str], list[str]]], df: Counter[str],
                     n: int, k: int) -> str:
    # The plain definition: every name of every member counted one by one.
    in_story: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for i in members:
        for w in feats[i][1]:
            surface.setdefault(w.lower(), Counter())[w] += 1
        in_story.update({w.lower() for w in feats[i][1]})

    def weight(w: str) -> float:
        idf = math.log((1 + n + IDF_PRIOR_DOCS) / (1 + df[w])) + IDF_FLOOR
        return in_story[w] ** 2 * idf + 0.01 * sum(surface[w].values())
    picked = [surface[w].most_common(1)[0][0] for w in sorted(in_story, key=lambda w: (-weight(w), w))[:k]]
    return " · ".join(picked) if picked else "(no names)"


def test_label_matches_the_name_by_name_count() -> None:
    # Case variants in either order of first appearance, ties in count and weight, members
    # without names: the surface shown is the commonest, the first seen among equals.
    rng = np.random.default_rng(3)
    forms = ["Lisbon", "LISBON", "lisbon", "Porto", "PORTO", "Costa", "Setubal", "EU", "Eu", "Nato", "NATO"]
    feats = [([], [str(w) for w in rng.choice(forms, size=int(rng.integers(0, 12)))]) for _ in range(40)]
    df: Counter[str] = Counter(w.lower() for f in feats for w in set(f[1]))
    for trial in range(200):
        members = sorted(rng.choice(len(feats), size=int(rng.integers(1, 8)), replace=False).tolist())
        for k in (1, 3, 5):
            assert _label(members, feats, df, 40 + trial, k) == _reference_label(members, feats, df, 40 + trial, k)


def _reference_grams(text: str) -> list[str]:
    words = [w.lower() for w in WORD_RE.findall(text)]
    return [" ".join(words[i : i + 4]) for i in range(max(0, len(words) - 3))]


@pytest.mark.parametrize("text", [BODY, "İstanbul'da İSTANBUL Straße STRASSE büyük", "東京で会議が開かれた。 Tokyo Mayor",
                                  "one two three", "", "a b c d", "O'Brien’s can't-stop   rock 'n' roll"])
def test_family_grams_match_the_joined_words(text: str) -> None:
    assert [" ".join(g) for g in _gram_seq(text)] == _reference_grams(text)


@given(st.lists(st.text(alphabet="abcéß'’-0123456789ABÇ", max_size=12), max_size=30),
       st.lists(st.text(alphabet="abcéß'’-0123456789ABÇ", min_size=1, max_size=12), max_size=30))
def test_kept_story_features_decode_to_what_was_encoded(content: list[str], names: list[str]) -> None:
    # The store keeps them compressed and joined; order and repeats matter (the weights are
    # summed over the lists as made).  Empty strings never occur among names (``_names``).
    content = [w for w in content if w]
    assert decode_features(encode_features((content, names))) == (content, names)


def test_kept_story_features_share_one_string_a_word() -> None:
    # Decoded features hold one string object per word across documents (interned): a
    # collection's features fit in a quarter of the memory, the same values.
    words = ["".join(["harbour", "-", "strike"]), "Bergen"]  # made at run time, not literals
    a = decode_features(encode_features(([words[0], "ship"], [words[1]])))
    b = decode_features(encode_features((["ship", words[0]], [words[1]])))
    assert a[0][0] is b[0][1] and a[0][1] is b[0][0] and a[1][0] is b[1][0]


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=200), st.integers(min_value=0, max_value=20))
def test_distinct_ids_by_counting_equal_numpy_unique(ids: list[int], spare: int) -> None:
    # counted_views finds each view's distinct term ids by counting (ids below the vocabulary's
    # size), not by sorting: the same ids in the same order, and each entry's place among them.
    found = np.asarray(ids, dtype=np.int64)
    present, inverse = _distinct_ids(found, 30 + spare)  # ids up to 40: also past the size given
    want_present, want_inverse = np.unique(found, return_inverse=True)
    assert present.tolist() == want_present.tolist() and inverse.tolist() == want_inverse.ravel().tolist()
