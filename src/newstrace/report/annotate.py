"""Fill the ``changes`` of aligned passages, for reports, when the meaning-change stage is installed.

The stage (``newstrace.stages.changes.diff_passage``) is optional: without it the relations are
returned as they are, and reports show the passages without highlights.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from newstrace.types import Document, Relation

__all__ = ["annotate_changes", "load_diff_passage"]

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


def annotate_changes(documents: Sequence[Document], relations: Sequence[Relation]) -> list[Relation]:
    """The relations, with the changes of every passage that has none filled in.

    Passages that already carry changes are kept as they are.  Without the meaning-change
    stage, or when it fails on a passage (logged), the passage keeps no changes.

    Args:
        documents: the documents of the relations (for the language of each text).
        relations: the relations to annotate; they are not modified.

    Returns:
        New relations (``dataclasses.replace``) whose passages carry their changes.
    """
    diff_passage = load_diff_passage()
    if diff_passage is None:
        return list(relations)
    language = {d.id: d.language for d in documents}
    out: list[Relation] = []
    failed = 0
    for r in relations:
        lang = language.get(r.source) or language.get(r.target) or "en"
        passages = []
        for p in r.passages:
            if p.changes or p.source_text == p.target_text:
                passages.append(p)  # already annotated, or a verbatim copy: nothing changed
                continue
            try:
                found = diff_passage(
                    p.source_text,
                    p.target_text,
                    source_offset=p.source_span[0],
                    target_offset=p.target_span[0],
                    language=lang,
                )
            except Exception as exc:
                failed += 1
                log.warning("could not diff a passage of %s -> %s: %s", r.source, r.target, exc)
                found = ()
            passages.append(replace(p, changes=tuple(found)))
        out.append(replace(r, passages=tuple(passages)))
    if failed:
        log.warning("%d passages shown without changes", failed)
    return out
