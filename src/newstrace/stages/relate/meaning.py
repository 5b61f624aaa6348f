"""The relate steps by meaning: paraphrase and summary within one language, translation across
languages.  The semantic aligner (``newstrace.stages.semantic.align_semantic``) decides which
passages correspond; these steps type the relation and hand it to the one orientation routine.
"""

from __future__ import annotations

from newstrace.stages.align import _cached_tokens
from newstrace.stages.relate.context import RelateContext
from newstrace.stages.relate.orient import build_relation, coverage
from newstrace.stages.semantic import align_semantic
from newstrace.types import Document, Relation

__all__ = ["SEMANTIC_TYPES", "cross_language", "semantic_relation", "translation_relation"]

#: Relation type for each method of the semantic aligner.
SEMANTIC_TYPES = {"semantic": "paraphrase", "summary": "summary", "translation": "translation"}


def cross_language(a: Document, b: Document) -> bool:
    """Whether two documents are in different (known) languages."""
    return bool(a.language and b.language and a.language != b.language)


def _by_meaning(long_doc: Document, short_doc: Document, context: RelateContext) -> Relation | None:
    if context.vectors is None:
        return None
    v_long, v_short = context.vectors
    b_long, b_short = context.backgrounds if context.backgrounds is not None else (None, None)
    # The sentences of split_sentences(text), as the lexical step just cached them for this pair.
    alignments = align_semantic(
        _cached_tokens(long_doc.text, long_doc.language or "en").sentences,
        _cached_tokens(short_doc.text, short_doc.language or "en").sentences,
        v_long, v_short, src_text=long_doc.text, tgt_text=short_doc.text, config=context.settings.semantic,
        src_language=long_doc.language, tgt_language=short_doc.language,
        src_background=b_long, tgt_background=b_short)
    if not alignments:
        return None
    config = context.settings.relate
    methods = {x.method for x in alignments}
    method = "translation" if "translation" in methods else "summary" if "summary" in methods else "semantic"
    kind = SEMANTIC_TYPES.get(method, "paraphrase")
    if kind == "summary" and coverage([x.source_span for x in alignments], len(long_doc.text)) < \
            config.summary_min_source_coverage:
        # A summary condenses much of its source; a headline and lead that echo another
        # story's opening do not.
        return None
    evidence = [f"{len(alignments)} passages matched by meaning ({method})",
                f"mean sentence-embedding similarity {sum(x.similarity for x in alignments) / len(alignments):.2f}"]
    if kind == "translation":
        evidence.append(f"languages: {long_doc.id} {long_doc.language or '?'}, "
                        f"{short_doc.id} {short_doc.language or '?'}")
    return build_relation(long_doc, short_doc, alignments, kind, evidence, config)


def semantic_relation(long_doc: Document, short_doc: Document, context: RelateContext) -> Relation | None:
    """Paraphrase or summary between two documents of one language, from their sentence vectors."""
    if cross_language(long_doc, short_doc):
        return None
    return _by_meaning(long_doc, short_doc, context)


def translation_relation(long_doc: Document, short_doc: Document, context: RelateContext) -> Relation | None:
    """Translation between documents in different languages, from multilingual sentence vectors
    (judged by their margin over the collection backgrounds when the context has them)."""
    if not cross_language(long_doc, short_doc):
        return None
    return _by_meaning(long_doc, short_doc, context)
