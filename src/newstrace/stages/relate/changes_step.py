"""The changes step of relate: what the rewrite changed in every aligned passage.

For now it diffs same-language passages with ``newstrace.stages.changes.diff_passage``
(exactly what ``report/annotate.py`` did for the reports); the meaning-change stage will
provide ``annotate_relation(a, b, relation)`` for every relation type, and this step then
calls it.  The stage is optional: without it, passages keep no changes.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from newstrace.types import Document, Passage, Relation

__all__ = ["add_changes", "load_diff_passage"]

log = logging.getLogger(__name__)

_MODULE = "newstrace.stages.changes"


def load_diff_passage() -> Callable[..., Any] | None:
    """``diff_passage`` from the meaning-change stage, or ``None`` when that stage is absent."""
    try:
        changes = importlib.import_module(_MODULE)
    except ImportError as exc:
        # Absent: say nothing.  Present but broken (a dependency missing): say why.
        if not (isinstance(exc, ModuleNotFoundError) and exc.name == _MODULE):
            log.warning("meaning-change stage unavailable (%s): passages are shown without changes", exc)
        return None
    fn = getattr(changes, "diff_passage", None)
    return fn if callable(fn) else None


def add_changes(source: Document, target: Document, relation: Relation) -> Relation:
    """``relation`` with the changes of each passage filled in (same-language pairs only).

    Passages that already carry changes, and verbatim copies, are kept as they are; a passage
    the stage fails on keeps no changes (logged).

    Args:
        source: the relation's source document.
        target: its target document.
        relation: the relation; it is not modified.
    """
    if source.language != target.language:
        return relation  # cross-language passages: not diffed word by word
    diff_passage = load_diff_passage()
    if diff_passage is None:
        return relation
    lang = source.language or target.language or "en"
    passages: list[Passage] = []
    for p in relation.passages:
        if p.changes or p.source_text == p.target_text:
            passages.append(p)
            continue
        try:
            found = diff_passage(p.source_text, p.target_text, source_offset=p.source_span[0],
                                 target_offset=p.target_span[0], language=lang)
        except Exception as exc:  # one passage never stops a run; logged
            log.warning("could not diff a passage of %s -> %s: %s", relation.source, relation.target, exc)
            found = ()
        passages.append(replace(p, changes=tuple(found)))
    return replace(relation, passages=tuple(passages))
