"""Stories: event clustering, incremental assignment with stable ids, measures."""

from __future__ import annotations

from newstrace.evaluation.ecb import adjusted_rand_index, b_cubed
from newstrace.stages.stories import update_stories
from newstrace.types import Document, Family

QUAKE = ("An earthquake of magnitude {m} struck near Lisbon on {d}, Portugal's civil protection agency said. "
         "Buildings in Lisbon and Setubal were damaged and rescuers from Porto searched the rubble. "
         "Prime Minister Antonio Costa visited Lisbon and promised aid for Setubal.")
VOTE = ("Voters in Denmark rejected the Copenhagen bridge toll in a referendum on {d}, Danish officials said. "
        "Mette Frederiksen conceded that Copenhagen commuters had spoken, and Aarhus voted the same way. "
        "The Danish parliament in Copenhagen will debate the result.")


def _docs() -> list[Document]:
    out = []
    for i in range(3):
        out.append(Document(id=f"quake{i}", raw="", text=QUAKE.format(m=6 + i / 10, d=f"Monday {i}"),
                            published=f"2024-02-0{i + 1}"))
        out.append(Document(id=f"vote{i}", raw="", text=VOTE.format(d=f"Sunday {i}"), published=f"2024-05-0{i + 1}"))
    return out


def test_documents_about_one_event_form_one_story() -> None:
    stories = update_stories(_docs())
    groups = sorted(sorted(s.documents) for s in stories)
    assert groups == [["quake0", "quake1", "quake2"], ["vote0", "vote1", "vote2"]]
    quake = next(s for s in stories if "quake0" in s.documents)
    assert "Lisbon" in quake.label
    assert (quake.first_published, quake.last_published) == ("2024-02-01", "2024-02-03")


def test_incremental_adds_keep_story_ids_and_join_new_documents() -> None:
    docs = _docs()
    first = update_stories(docs[:4])
    later = update_stories(docs, existing=first)
    assert {s.id for s in first} <= {s.id for s in later}
    for s in first:
        [now] = [x for x in later if x.id == s.id]
        assert set(s.documents) <= set(now.documents)
    assert sorted(sorted(s.documents) for s in later) == sorted(sorted(s.documents) for s in update_stories(docs))


def test_a_family_never_straddles_two_stories() -> None:
    docs = _docs()
    fam = Family("F1", "quake0", ("quake0", "vote0"), ())
    stories = update_stories(docs, [fam])
    [holder] = [s for s in stories if "quake0" in s.documents]
    assert "vote0" in holder.documents and holder.families == ("F1",)


def test_measures() -> None:
    gold = ["a", "a", "b", "b"]
    assert adjusted_rand_index([1, 1, 2, 2], gold) == 1.0
    assert adjusted_rand_index([1, 2, 3, 4], gold) == 0.0
    p, r, f = b_cubed([1, 1, 1, 1], gold)
    assert (p, r) == (0.5, 1.0) and abs(f - 2 / 3) < 1e-9


def test_group_agglomeration_equals_average_link_on_singletons() -> None:
    import numpy as np

    from newstrace.stages.stories.cluster import _average_link, _average_link_groups

    rng = np.random.default_rng(0)
    x = rng.random((40, 6))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = (x @ x.T).astype(np.float32)
    for t in (0.8, 0.9, 0.95):
        ours = _average_link_groups(sim, [[i] for i in range(40)], 0, t)
        ref = _average_link(sim, t)
        pairs = {(i, j) for i in range(40) for j in range(40) if ours[i] == ours[j]}
        assert pairs == {(i, j) for i in range(40) for j in range(40) if ref[i] == ref[j]}
