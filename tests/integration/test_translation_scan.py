"""PAN-PC-11 Spanish→English fragments written out as 70 opaque documents and scanned together.

Every English fragment must be traced to its Spanish source as a ``translation`` (all 34
groups: two lines of the file translate overlapping text of one source, so relations between
their members are true, not false); no false relation may appear.  ``trace`` of the shortest
English fragments against the index finds their sources too.  The same scan with 200 BBC
articles as distractors: ``test_translation_distractors.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.translations import traced_and_false

from newstrace.evaluation.crosslang import write_scan_collection
from newstrace.pipeline import scan, trace
from newstrace.stages.text import split_sentences
from newstrace.stages.vectors import (
    ENGLISH_MODEL,
    MULTILINGUAL_MODEL,
    SKETCH_SENTENCES,
    indexed_query_pairs,
    query_sketches,
)
from newstrace.store import Store
from newstrace.types import Document

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_translations_traced_without_false_relations(data_dir: Path, tmp_path: Path) -> None:
    path = data_dir / "pan11-crosslang" / "pairs.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    docs = tmp_path / "docs"
    docs.mkdir()
    group, _ = write_scan_collection(path, docs)
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    db = tmp_path / "index.db"
    result = scan([docs], db=db, workers=2, changes=False)
    langs = {d.id: d.language for d in result.documents}
    assert list(langs.values()).count("es") == len(rows) == list(langs.values()).count("en")
    traced, false = traced_and_false(result.relations, group, langs)
    assert not false
    groups = set(group.values())
    assert len(traced) == len(groups), f"only {len(traced)} of {len(groups)} translations traced"

    # trace: the shortest English fragments, as new articles, against the index of all 70
    # (which also holds their own copies): the Spanish source comes back as a translation.
    texts = {d.id: d.text for d in result.documents}
    shortest = sorted((i for i in langs if langs[i] == "en"), key=lambda i: len(texts[i]))[:3]
    with Store(db) as store:
        for name in shortest:
            found = trace(store, docs / name, workers=1, changes=False).relations
            other = [(r.type, r.target if r.source.startswith("query:") else r.source) for r in found]
            assert all(group[o] == group[name] for _, o in other), found
            assert any(t == "translation" and langs[o] == "es" for t, o in other), found

    # The longest English fragments are traced on their sketch first (vectors.sketch_indices):
    # the sketch finds its Spanish source, the whole fragment is embedded, and the source comes
    # back as a translation; an English news article (no translation stored) stops at its sketch.
    longest = sorted((i for i in langs if langs[i] == "en"), key=lambda i: -len(texts[i]))[1:3]
    article = sorted((data_dir / "bbc-news").glob("*/*.txt"))[:1]
    with Store(db) as store:
        for name in longest:
            assert len(split_sentences(texts[name])) > SKETCH_SENTENCES
            found = trace(store, docs / name, workers=1, changes=False).relations
            other = [(r.type, r.target if r.source.startswith("query:") else r.source) for r in found]
            assert any(t == "translation" and langs[o] == "es" and group[o] == group[name] for t, o in other), found
        # Taken apart as trace takes them (the English model first, then the multilingual one
        # on sketches embedded ahead in a thread): the same pairs and vectors as in one call.
        queries = []
        for name in longest:
            q = Document(id=f"query:{name}", raw=texts[name], language="en")
            q.text = q.raw
            queries.append(q)
        pairs, vectors = indexed_query_pairs(store, queries, threads=1)
        english, english_vectors = indexed_query_pairs(store, queries, threads=1, models=[ENGLISH_MODEL])
        crossing, crossing_vectors = indexed_query_pairs(store, queries, threads=1, models=[MULTILINGUAL_MODEL],
                                                         sketches=query_sketches(queries, threads=1))
        assert english | crossing == pairs and any(langs.get(a) == "es" for a, _ in crossing)
        apart = {**english_vectors, **crossing_vectors}
        assert apart.keys() == vectors.keys() and all(apart[m].keys() == vectors[m].keys() for m in vectors)
        assert all(np.array_equal(apart[m][i], vectors[m][i]) for m in vectors for i in vectors[m])
        assert all(q.id in vectors[MULTILINGUAL_MODEL] for q in queries)
        for path in article:
            query = Document(id="query:article", raw=path.read_text(encoding="utf-8"), language="en")
            query.text = query.raw
            pairs, vectors = indexed_query_pairs(store, [query], threads=1)
            assert query.id not in vectors[MULTILINGUAL_MODEL]
            assert not any(langs.get(a) == "es" for a, _ in pairs)
