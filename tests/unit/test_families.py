"""Families: root choice, stemmatic parents, archetypes, edge types (invented documents)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from newstrace.stages.families import build_families
from newstrace.stages.families.store import family_from_dict, family_to_dict
from newstrace.types import Change, Direction, Document, Passage, Relation

BODY = " ".join(f"Sentence number {i} tells the reader about event {i * 7} in the town of Placeville." for i in range(40))


def _doc(doc_id: str, text: str, published: str | None = None, signature: list[dict[str, object]] | None = None) -> Document:
    return Document(id=doc_id, raw=text, text=text, published=published, signature=signature or [])


def _rel(src: str, tgt: str, kind: str = "near-duplicate", decided: str = "containment", cov: float = 0.95,
         changes: tuple[Change, ...] = ()) -> Relation:
    return Relation(src, tgt, kind, 0.9, Direction(decided, "test"), 0.5, cov,  # type: ignore[arg-type]
                    (Passage((0, 10), (0, 10), "a", "a", 0.9, changes),), ("evidence",))


def test_chain_copy_of_a_repost_derives_from_the_repost() -> None:
    repost = "Repost Site header line with its own words. " + BODY[: len(BODY) * 3 // 4] + " Reposted by Repostsite."
    copy = "Copier Site banner with other words entirely. " + repost[: len(repost) * 4 // 5] + " Copied by Copier."
    docs = [_doc("orig", BODY, "2024-01-01"), _doc("repost", repost, "2024-01-02"), _doc("copy", copy, "2024-01-03")]
    rels = [_rel("orig", "repost", decided="published-date"), _rel("orig", "copy", decided="published-date"),
            _rel("repost", "copy", decided="published-date")]
    [fam] = build_families(docs, rels)
    assert fam.root == "orig" and not fam.archetype
    parent = {e.target: e.source for e in fam.edges if e.primary}
    assert parent == {"repost": "orig", "copy": "repost"}
    [edge] = [e for e in fam.edges if e.primary and e.target == "copy"]
    assert "innovations of repost" in edge.evidence[0]
    assert sum(1 for e in fam.edges if not e.primary) == 1  # orig -> copy kept as secondary


def test_chain_without_dates_is_ordered_by_innovations() -> None:
    repost = "Repost Site header line with its own words. " + BODY + " Reposted by Repostsite."
    copy = "Copier Site banner with other words entirely. " + repost + " Copied by Copier."
    docs = [_doc("orig", BODY), _doc("repost", repost), _doc("copy", copy)]
    rels = [_rel("orig", "repost", decided="undetermined"), _rel("repost", "copy", decided="undetermined"),
            _rel("orig", "copy", decided="undetermined")]
    [fam] = build_families(docs, rels)
    parent = {e.target: e.source for e in fam.edges if e.primary}
    assert fam.root == "orig"
    assert parent["copy"] == "repost"


def test_siblings_of_an_unseen_report_get_an_archetype_and_no_direction() -> None:
    shared = BODY[:600]
    a = "Outlet A rewrote the wire in its own long words, adding plenty of local colour here. " * 8 + shared
    b = "Outlet B told the same news differently, with quotes from other residents entirely. " * 8 + shared
    c = "Outlet C summarised it with a third wording and its own analysis of the regional impact. " * 8 + shared
    docs = [_doc("a", a), _doc("b", b), _doc("c", c)]
    rels = [_rel("a", "b", "paraphrase", cov=0.4), _rel("b", "c", "paraphrase", cov=0.45),
            _rel("a", "c", "paraphrase", cov=0.5)]
    [fam] = build_families(docs, rels)
    assert fam.archetype and fam.root.startswith("archetype:")
    primary = [e for e in fam.edges if e.primary]
    assert {e.source for e in primary} == {fam.root}
    assert {e.target for e in primary} == {"a", "b", "c"}
    assert all(not e.primary and e.direction == "undetermined" for e in fam.edges if e.source != fam.root)


def test_identical_copies_have_no_arbitrary_original() -> None:
    docs = [_doc("x1", BODY), _doc("x2", BODY), _doc("x3", BODY)]
    rels = [_rel("x1", "x2", "verbatim", "undetermined", 1.0), _rel("x2", "x3", "verbatim", "undetermined", 1.0)]
    [fam] = build_families(docs, rels)
    assert fam.archetype


def test_spun_needs_spinner_evidence() -> None:
    docs = [_doc("src", BODY, "2024-01-01"), _doc("editor", BODY[:500] + " rewritten", "2024-01-02"),
            _doc("spinner", BODY[:400], "2024-01-03", [{"kind": "spinning", "evidence": "x"}])]
    sense = Change("word-sense", "meaning", (0, 1), (0, 1), "a", "b", "other sense")
    rels = [_rel("src", "editor", "spun", "published-date"), _rel("src", "spinner", "spun", "published-date"),
            _rel("editor", "spinner", "spun", "published-date", changes=(sense,))]
    [fam] = build_families(docs, rels)
    types = {(e.source, e.target): e.type for e in fam.edges}
    assert types[("src", "editor")] == "paraphrase"
    assert types[("src", "spinner")] == "spun"
    assert types[("editor", "spinner")] == "spun"


def test_family_json_round_trip() -> None:
    docs = [_doc("orig", BODY, "2024-01-01"), _doc("copy", BODY[:900], "2024-01-02")]
    [fam] = build_families(docs, [_rel("orig", "copy", decided="published-date")])
    again = family_from_dict(family_to_dict(fam))
    assert (again.id, again.root, again.members) == (fam.id, fam.root, fam.members)
    assert [(e.source, e.target, e.primary) for e in again.edges] == [(e.source, e.target, e.primary) for e in fam.edges]


def test_unrelated_documents_form_no_family() -> None:
    assert build_families([_doc("a", BODY), _doc("b", BODY)], []) == []


def _minority_by_gram(x: str, others: list[str], seqs: dict[str, list[Any]], grams: dict[str, set[Any]],
                      template: set[Any]) -> float:
    """The minority share as its definition reads, 4-gram by 4-gram (what build._minority_share
    computed before it went to numpy)."""
    seq = [g for g in seqs[x] if g not in template]
    if not seq or not others:
        return 1.0
    reach, support = [0] * (len(seq) + 1), [0] * len(seq)
    for m in others:
        hits = [i for i, g in enumerate(seq) if g in grams[m]]
        if not hits:
            continue
        hit = set(hits)
        reach[next((i for i in reversed(hits) if i - 1 in hit and i - 2 in hit), hits[-1])] += 1
        for i in hits:
            support[i] += 1
    lacking, counted, running = 0.0, 0, 0
    for i in range(len(seq) - 1, -1, -1):
        running += reach[i]
        if running:
            counted += 1
            lacking += 1.0 - min(1.0, support[i] / running)
    return lacking / counted if counted else 1.0


_WORDS = [f"w{i}" for i in range(30)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_WORDS), min_size=4, max_size=80), st.data())
def test_the_minority_share_is_its_definition_to_the_bit(base: list[str], data: st.DataObject) -> None:
    """``_minority_share`` (numpy, the 4-grams numbered once a family) gives the float of
    reading it gram by gram: copies of one text truncated and edited, an unrelated or empty
    member, templates."""
    from newstrace.stages.families import build
    from newstrace.stages.families.build import _gram_seq, _GramCodes, _minority_share

    texts = []
    for _ in range(data.draw(st.integers(2, 8))):
        kind = data.draw(st.sampled_from(["copy", "copy", "fragments", "other", "empty"]))
        if kind == "fragments":  # short runs of the text among other words: a member's hits scattered
            starts = data.draw(st.lists(st.integers(0, len(base) - 1), min_size=1, max_size=4))
            texts.append([w for a in sorted(starts) for w in [*base[a : a + data.draw(st.integers(4, 6))], "x1"]])
        elif kind == "copy":
            words = base[: data.draw(st.integers(1, len(base)))]
            edits = data.draw(st.lists(st.integers(0, len(words) - 1), max_size=4))
            texts.append([w if i not in edits else "edit" for i, w in enumerate(words)])
        else:
            texts.append(data.draw(st.lists(st.sampled_from(_WORDS), max_size=30)) if kind == "other" else [])
    members = {f"m{k}": " ".join(t) for k, t in enumerate(texts)}
    seqs = {m: _gram_seq(t) for m, t in members.items()}
    grams = {m: set(v) for m, v in seqs.items()}
    every = sorted(set().union(*grams.values()))
    template = set(data.draw(st.lists(st.sampled_from(every), max_size=3))) if every else set()
    codes = _GramCodes(grams)  # shared by the calls of one family, as the root choice shares it
    for x in members:
        others = data.draw(st.lists(st.sampled_from([o for o in members if o != x]), unique=True))
        want = _minority_by_gram(x, others, seqs, grams, template)
        assert _minority_share(x, others, seqs, grams, template, codes) == want
        assert _minority_share(x, others, seqs, grams, template) == want
        block, build._MINORITY_BLOCK = build._MINORITY_BLOCK, 5  # members a few at a time
        try:
            assert _minority_share(x, others, seqs, grams, template, codes) == want
        finally:
            build._MINORITY_BLOCK = block


def test_an_edge_no_alignment_made_shows_no_confidence() -> None:
    from newstrace.report.output import family_tree_lines

    shared = BODY[:600]
    docs = [_doc(k, f"Outlet {k} rewrote the wire in words of its own, with local colour. " * 8 + shared)
            for k in ("a", "b", "c")]
    rels = [_rel("a", "b", "paraphrase", cov=0.4), _rel("b", "c", "paraphrase", cov=0.45)]
    [fam] = build_families(docs, rels)
    lines = family_tree_lines(fam)
    assert fam.archetype and len(lines) == 4
    assert all("0.00" not in line and "the source is unseen" in line for line in lines[1:])
