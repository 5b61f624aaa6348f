"""``relate(a, b, context)``: the whole decision for one pair, in one fallback order.

1. ``lexical_relation``: the aligner on words, with the meaning channels when the context has
   English sentence vectors or an encoder (verbatim, near-duplicate, spun, summary, paraphrase);
2. ``semantic_relation``: the semantic aligner within one language (paraphrase, summary);
3. ``translation_relation``: the semantic aligner across languages (translation).

The first step that finds a relation decides.  Then, with ``context.changes``, the changes
step annotates the passages, and ``spun`` is kept only with spinner evidence.  ``scan``,
``index add``/``link``, ``trace``, ``compare`` and the service all call this function.
"""

from __future__ import annotations

from collections.abc import Callable

from newstrace.limits import TimeLimitExceeded, time_limit
from newstrace.stages.relate.changes_step import add_changes
from newstrace.stages.relate.context import RelateContext
from newstrace.stages.relate.lexical import lexical_relation
from newstrace.stages.relate.meaning import semantic_relation, translation_relation
from newstrace.stages.relate.spinner import settle_spun
from newstrace.types import Document, InputError, Relation

__all__ = ["RELATE_STEPS", "LimitedRelateTask", "RelateStep", "RelateTask", "relate", "relate_task",
           "relate_task_limited"]

RelateStep = Callable[[Document, Document, RelateContext], "Relation | None"]

#: The fallback order: each step gets ``(longer, shorter, context)``.
RELATE_STEPS: tuple[RelateStep, ...] = (lexical_relation, semantic_relation, translation_relation)


def relate(a: Document, b: Document, context: RelateContext | None = None) -> Relation | None:
    """The reuse relation between two cleaned documents, or ``None`` if there is none.

    Args:
        a: one document (cleaned; its ``signature`` is the direction evidence).
        b: the other.
        context: what the pair needs beyond the documents (vectors for ``(a, b)``, backgrounds,
            settings, whether to compute changes); words alone when ``None``.
    """
    context = context or RelateContext()
    if len(a.text) >= len(b.text):
        long_doc, short_doc, ctx = a, b, context
    else:
        long_doc, short_doc, ctx = b, a, context.swapped()
    relation = None
    for step in RELATE_STEPS:
        relation = step(long_doc, short_doc, ctx)
        if relation is not None:
            break
    if relation is None:
        return None
    docs = {a.id: a, b.id: b}
    source, target = docs[relation.source], docs[relation.target]
    if context.changes:
        relation = add_changes(source, target, relation)
    return settle_spun(target, relation)


RelateTask = tuple[Document, Document, RelateContext]


def relate_task(task: RelateTask) -> Relation | None:
    """:func:`relate` on one picklable task ``(a, b, context)`` (for executors)."""
    a, b, context = task
    return relate(a, b, context)


LimitedRelateTask = tuple[Document, Document, RelateContext, float]


def relate_task_limited(task: LimitedRelateTask) -> Relation | InputError | None:
    """:func:`relate` on ``(a, b, context, seconds)`` under a wall-time limit (``Limits.pair_seconds``).

    A pathological pair (two megabyte near-copies) is set aside with a reason instead of
    stalling the run: it comes back as an ``InputError`` naming the pair.
    """
    a, b, context, seconds = task
    try:
        with time_limit(seconds):
            return relate(a, b, context)
    except TimeLimitExceeded:
        return InputError(f"{a.id} <-> {b.id}", f"pair not compared: it took over {seconds:g} s (Limits.pair_seconds)")
