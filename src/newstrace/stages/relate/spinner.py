"""``spun`` means a spinner: the type is kept only with spinner evidence.

A copy that keeps the sentence structure while most 5-grams are broken is what a
synonym-substitution spinner produces, but also what a careful human rewrite or an edited
update produces.  So the lexical step's ``spun`` is confirmed only when the derived document
shows it: spinning traces in its rewrite signature (mangled entities, misplaced quotation
marks, words forced into a part of speech they lack), or word-sense substitutions (a synonym
of another sense of the source word) among the passages' changes.  Otherwise the relation is
a ``near-duplicate``: copied with edits, structure kept.
"""

from __future__ import annotations

from dataclasses import replace

from newstrace.types import Document, Relation

__all__ = ["settle_spun", "spinner_evidence"]


def spinner_evidence(target: Document, relation: Relation) -> list[str]:
    """What shows that ``target`` went through a spinner (empty when nothing does)."""
    out: list[str] = []
    traces = [item for item in target.signature if item.get("kind") == "spinning"]
    if traces:
        out.append(f"{len(traces)} spinning traces in {target.id}'s rewrite signature")
    senses = sum(1 for p in relation.passages for c in p.changes if c.kind == "word-sense")
    if senses:
        out.append(f"{senses} word-sense substitutions in the aligned passages")
    return out


def settle_spun(target: Document, relation: Relation) -> Relation:
    """``relation`` with a ``spun`` type kept only when ``target`` shows spinner evidence."""
    if relation.type != "spun":
        return relation
    evidence = spinner_evidence(target, relation)
    if evidence:
        return replace(relation, evidence=(*relation.evidence, *evidence))
    return replace(relation, type="near-duplicate",
                   evidence=(*relation.evidence, "structure kept with words swapped, but no spinner traces: "
                                                 "typed near-duplicate"))
