"""``annotate_relation``: the changes of every passage of a relation, whatever its type.

* Same-language near-copies (``verbatim``, ``near-duplicate``, ``spun``): the full word-level
  analysis of :func:`~newstrace.stages.changes.diff.diff_passage`.
* Same-language ``paraphrase`` and ``summary``: the same analysis, keeping only the checks that
  stay meaningful when every sentence is reworded: entities, numbers and dates, quotations and
  attributions (a summary leaves content out by design, so what it drops alone is not a change).
* Different languages, or ``translation``: the language-independent checks of
  :func:`~newstrace.stages.changes.facts.fact_changes` (figures, dates, names).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from newstrace.stages.changes.diff import diff_passage
from newstrace.stages.changes.facts import fact_changes
from newstrace.stages.changes.resources import checks_off
from newstrace.types import Change, Document, Passage, Relation

__all__ = ["FACT_KINDS", "NEAR_COPY_TYPES", "annotate_relation"]

log = logging.getLogger(__name__)

#: Relation types whose passages get the full word-level analysis.
NEAR_COPY_TYPES = frozenset({"verbatim", "near-duplicate", "spun"})
#: Change kinds checked in paraphrases and summaries.
FACT_KINDS = frozenset({"entity", "number", "quote", "attribution"})


def _rewrite_changes(p: Passage, language: str, summary: bool, source_document: str,
                     target_document: str) -> tuple[Change, ...]:
    found = diff_passage(p.source_text, p.target_text, source_offset=p.source_span[0],
                         target_offset=p.target_span[0], language=language,
                         source_document=source_document, target_document=target_document)
    kept = [c for c in found if c.kind in FACT_KINDS and c.severity == "meaning"]
    if summary:  # a summary leaves things out: only what it changes or adds counts
        kept = [c for c in kept if c.target_text]
    return tuple(kept)


def annotate_relation(source: Document, target: Document, relation: Relation) -> Relation:
    """The relation with every passage's ``changes`` filled in for its type.

    Passages that already carry changes are kept as they are, and a verbatim passage
    (identical texts) has none.  A passage the analysis fails on is logged and left without
    changes; the others are still annotated.

    Args:
        source: the source document (its ``language`` picks the analysis).
        target: the target document.
        relation: a relation between them, as found by the relate step.

    Returns:
        A new relation (``dataclasses.replace``) whose passages carry their changes.
    """
    checks_off()  # logs once per process when a resource a check needs is missing
    src_lang = source.language or "en"
    tgt_lang = target.language or src_lang
    cross = src_lang != tgt_lang or relation.type == "translation"
    passages: list[Passage] = []
    for p in relation.passages:
        if p.changes or p.source_text == p.target_text:
            passages.append(p)
            continue
        try:
            if cross:
                found: tuple[Change, ...] = tuple(fact_changes(
                    p.source_text, p.target_text, source_offset=p.source_span[0], target_offset=p.target_span[0]))
            elif relation.type in NEAR_COPY_TYPES:
                found = tuple(diff_passage(p.source_text, p.target_text, source_offset=p.source_span[0],
                                           target_offset=p.target_span[0], language=src_lang,
                                           source_document=source.text, target_document=target.text))
            else:
                found = _rewrite_changes(p, src_lang, relation.type == "summary", source.text, target.text)
        except Exception as exc:  # one passage never stops the run
            log.warning("could not check the changes of a passage of %s -> %s: %s",
                        relation.source, relation.target, exc)
            found = ()
        passages.append(replace(p, changes=found))
    return replace(relation, passages=tuple(passages))
