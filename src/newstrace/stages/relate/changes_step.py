"""The changes step of relate: what the rewrite changed in every aligned passage.

The analysis itself lives in the meaning-change stage
(``newstrace.stages.changes.annotate_relation``), which handles every relation type: a full
word-level diff for near-copies, fact checks (entities, numbers, dates, quotes, attributions)
for paraphrases and summaries, and language-independent fact checks for translations.  This
step only calls it, so every command gets the same changes.  The stage is optional: when it
cannot be imported (a dependency missing), passages keep no changes and the reason is logged.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from newstrace.types import Document, Relation

__all__ = ["add_changes", "load_annotator", "load_changes_resources"]

log = logging.getLogger(__name__)

_MODULE = "newstrace.stages.changes"

Annotator = Callable[[Document, Document, Relation], Relation]


def load_annotator() -> Annotator | None:
    """``annotate_relation`` from the meaning-change stage, or ``None`` when it is absent."""
    try:
        changes = importlib.import_module(_MODULE)
    except ImportError as exc:
        # Absent: say nothing.  Present but broken (a dependency missing): say why.
        if not (isinstance(exc, ModuleNotFoundError) and exc.name == _MODULE):
            log.warning("meaning-change stage unavailable (%s): passages are shown without changes", exc)
        return None
    fn = getattr(changes, "annotate_relation", None)
    return fn if callable(fn) else None


def add_changes(source: Document, target: Document, relation: Relation) -> Relation:
    """``relation`` with the changes of each passage filled in, whatever its type.

    Args:
        source: the relation's source document.
        target: its target document.
        relation: the relation; it is not modified.
    """
    annotate = load_annotator()
    if annotate is None:
        return relation
    return annotate(source, target, relation)


def load_changes_resources() -> None:
    """Load the meaning-change stage and its language resources in this process now
    (``newstrace.stages.changes.resources.load_resources``), so that a process pool forked
    afterwards shares them; nothing when the stage is absent (:func:`load_annotator`)."""
    if load_annotator() is None:
        return
    resources = importlib.import_module(_MODULE + ".resources")
    resources.load_resources()
