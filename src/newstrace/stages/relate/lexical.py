"""The lexical relate step: passages found by words (and, given English sentence vectors or an
encoder, by the aligner's meaning channels), typed by how the aligned wording compares.

* ``verbatim``: nearly every aligned target word lies in a word 5-gram the source shares;
* ``near-duplicate``: at least 30% of the aligned words still sit in shared 5-grams (an
  updated version of a story, a lightly edited repost);
* ``summary``: one side condenses the other (the aligner's summary strategy, or aligned
  source text several times longer than the aligned target text);
* ``spun``: the sentence structure survives while so many words are swapped that under 30%
  keep a shared 5-gram, with word-sequence similarity still at least 0.3.  This is only a
  *candidate* ``spun``: ``newstrace.stages.relate.spinner`` keeps it only with spinner evidence;
* ``paraphrase``: the passages correspond but are reworded throughout.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from itertools import chain, repeat
from operator import attrgetter

from newstrace.stages.align import DEFAULT_CONFIG as ALIGN_DEFAULTS
from newstrace.stages.align import _cached_tokens, align
from newstrace.stages.matching import SequenceMatcher
from newstrace.stages.relate.config import RelateConfig
from newstrace.stages.relate.context import RelateContext
from newstrace.stages.relate.orient import build_relation, passages_of
from newstrace.stages.text import natural_edges, tokenize, words_between
from newstrace.types import Alignment, Document, Passage, Relation

__all__ = ["align_documents", "classify", "lexical_relation", "passage_terms", "passes_sentence_screen",
           "sentence_screen_share", "sentence_share"]

log = logging.getLogger(__name__)


def align_documents(source: Document, target: Document, context: RelateContext) -> list[Alignment]:
    """The aligner on two documents, with the meaning channels the context allows.

    This is the one call to the lexical aligner: ``relate`` makes it with the longer document
    as source, the PAN runner with PAN's source document.  ``context.vectors`` are for
    ``(source, target)``.
    """
    config = context.settings.align
    src_lang, tgt_lang = source.language or "en", target.language or "en"
    vecs = context.lexical_vectors
    if vecs is not None:
        src_tok, tgt_tok = _cached_tokens(source.text, src_lang), _cached_tokens(target.text, tgt_lang)
        if len(vecs[0]) == len(src_tok.sentences) and len(vecs[1]) == len(tgt_tok.sentences):
            return align(source.text, target.text, config or ALIGN_DEFAULTS, source_language=src_lang,
                         target_language=tgt_lang, source_vectors=vecs[0], target_vectors=vecs[1])
        log.warning("sentence vectors of %s / %s do not match their sentences: aligned on words alone",
                    source.id, target.id)
    return align(source.text, target.text, config, source_language=src_lang, target_language=tgt_lang,
                 encoder=context.encoder)


def _words(text: str, span: tuple[int, int]) -> list[str]:
    return [w.lower() for w in words_between(text, *span)]


def _copy_fraction(src: list[str], tgt: list[str], n: int = 5) -> float:
    """Share of target words inside a word n-gram the source also has."""
    if len(tgt) < n:
        return 1.0 if tgt and tgt == src else 0.0
    grams = set(zip(*(src[k:] for k in range(n)), strict=False))
    covered = [False] * len(tgt)
    for i, gram in enumerate(zip(*(tgt[k:] for k in range(n)), strict=False)):
        if gram in grams:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(tgt)


def passage_terms(doc: Document, span: tuple[int, int]) -> tuple[tuple[str, ...], ...]:
    """The content terms of each sentence of ``doc.text[span[0]:span[1]]``, split on its own.

    A passage from one of the document's sentence starts to a sentence end, both natural edges
    (``stages.text.natural_edges``), splits into those very sentences, so their terms are read
    from the document's tokens, which the aligner made for this pair; any other passage is
    tokenised.  On copies most passages are whole sentences, and tokenising them again was a
    tenth of a pair's time.
    """
    lang = doc.language or "en"
    if natural_edges(doc.text, *span):
        tokens = _cached_tokens(doc.text, lang)
        sentences = tokens.sentences
        lo = bisect_left(sentences, span[0], key=attrgetter("start"))
        hi = bisect_right(sentences, span[1], key=attrgetter("end"))
        if lo < hi and sentences[lo].start == span[0] and sentences[hi - 1].end == span[1]:
            return tokens.terms[lo:hi]
    return tokenize(doc.text[span[0] : span[1]], lang).terms


def sentence_share(long_doc: Document, short_doc: Document, passages: list[Passage],
                   config: RelateConfig) -> tuple[int, float]:
    """Target sentences inside passages that closely match a source-passage sentence, and
    their share of the shorter document's sentences.

    This is what separates a copy (spun or not) from two reports of the same event: reports
    share names and a quote or two, a copy keeps sentence after sentence.
    """
    def terms(doc: Document, span: tuple[int, int]) -> list[set[str]]:
        # A passage's own sentences (its edges need not be the document's sentence edges).
        made = passage_terms(doc, span)
        return [t for t in (set(x) for x in made) if len(t) >= config.sentence_min_terms]

    def counted(doc: Document) -> int:
        # The document's sentences, as the screen (passes_sentence_screen) already counted them.
        return len(_sentence_sets(doc.text, doc.language or "en", config.sentence_min_terms))

    strong = 0
    for p in passages:
        src_sents = terms(long_doc, p.source_span)
        for t in terms(short_doc, p.target_span):
            if any(2 * len(t & s) >= config.sentence_dice * (len(t) + len(s)) for s in src_sents):
                strong += 1
    smaller = min(counted(long_doc), counted(short_doc))
    return strong, strong / max(1, smaller)


@lru_cache(maxsize=256)
def _sentence_sets(text: str, language: str, min_terms: int) -> tuple[frozenset[str], ...]:
    """A text's sentences of at least ``min_terms`` distinct terms, as ``sentence_share``
    counts them.  Cached, like the tokens: a scan's pairs come sorted, so a worker meets a
    document in many pairs one after another."""
    return tuple(t for t in map(frozenset, _cached_tokens(text, language).terms) if len(t) >= min_terms)


@lru_cache(maxsize=256)
def _term_holders(text: str, language: str, min_terms: int) -> Mapping[str, list[int]]:
    """For each term of :func:`_sentence_sets`, the sentences holding it (read only)."""
    holding: dict[str, list[int]] = {}
    for k, terms in enumerate(_sentence_sets(text, language, min_terms)):
        for term in terms:
            holding.setdefault(term, []).append(k)
    return holding


def passes_sentence_screen(long_doc: Document, short_doc: Document, config: RelateConfig) -> bool:
    """Whether the pair can pass the copy test (:func:`sentence_share`), judged before the aligner.

    The copy test asks that ``min_sentence_share`` of the shorter text's sentences closely
    match (Dice at least ``sentence_dice``) a sentence of the other text's passages.  The
    screen counts the shorter text's sentences that hold, or are held by, half of a sentence
    of the other text: term *containment* (shared terms over the smaller set) of at least
    ``sentence_dice``, which every pair of sentences with that Dice also has.  It asks for only
    ``screen_sentence_share`` of the sentences (half the copy test's share), because the copy
    test reads the sentences of passages, and a passage edge inside a sentence can leave a
    piece that matches where its whole sentence does not (on ECB+'s short reports a copy's
    share of whole matching sentences was as low as half its share of matching pieces by
    Dice; by containment it was never under 0.96 of it on BBC News, ECB+ or PAN).

    Candidates that share one stock sentence (the sentence channel's chance meetings) fail it
    at the cost of a few set intersections instead of the aligner's: on BBC News 69% of the
    pairs that give no relation, on ECB+ 25%, on a PAN sample 60%, and no pair that gives one
    (docs/calibration.md).  ``screen_sentence_share = 0`` turns it off.
    """
    if config.screen_sentence_share <= 0:
        return True
    smaller, left, matches = _screen_matches(long_doc, short_doc, config)
    if smaller == 0:
        return True  # the copy test's share is then a count of pieces: leave it to the aligner
    needed = config.screen_sentence_share * smaller
    strong = 0
    for matched in matches:
        left -= 1
        if matched:
            strong += 1
            if strong >= needed:
                return True
        elif strong + left < needed:
            return False
    return strong >= needed


def sentence_screen_share(long_doc: Document, short_doc: Document, config: RelateConfig) -> float | None:
    """The share :func:`passes_sentence_screen` compares with ``screen_sentence_share``, counted
    in full (for calibration): ``None`` when a text has no sentence of ``sentence_min_terms``."""
    smaller, _, matches = _screen_matches(long_doc, short_doc, config)
    return sum(matches) / smaller if smaller else None


def _screen_matches(long_doc: Document, short_doc: Document, config: RelateConfig) -> tuple[int, int, Iterator[bool]]:
    """The smaller of the two texts' counts of sentences (``sentence_share``'s), the shorter
    text's count, and for each of its sentences, judged as the iterator reaches it, whether it
    holds or is held by ``sentence_dice`` of a sentence of the longer.

    The sentences the longer text has word for word (the same terms) come first, found by one
    set lookup each: a copy passes on them alone, before the longer text's term index is made
    (on traces of copies that index was the screen's cost)."""
    lang_long, lang_short = long_doc.language or "en", short_doc.language or "en"
    long_sets = _sentence_sets(long_doc.text, lang_long, config.sentence_min_terms)
    short_sets = _sentence_sets(short_doc.text, lang_short, config.sentence_min_terms)
    same = set(long_sets)
    floor = config.sentence_dice

    def matched(terms: frozenset[str]) -> bool:
        holding = _term_holders(long_doc.text, lang_long, config.sentence_min_terms)
        # the terms shared with each sentence of the longer text, counted in C
        shared = Counter(chain.from_iterable(map(holding.get, terms, repeat(()))))
        size = len(terms)
        return any(n >= floor * min(size, len(long_sets[k])) for k, n in shared.items())

    verdicts = chain((True for t in short_sets if t in same), map(matched, (t for t in short_sets if t not in same)))
    return min(len(long_sets), len(short_sets)), len(short_sets), verdicts


def classify(alignments: list[Alignment], passages: list[Passage], config: RelateConfig,
             long_doc: Document, short_doc: Document) -> tuple[str, list[str]]:
    """The relation type of lexically aligned passages (``long_doc``'s on the source side), and
    the evidence for it."""
    src_words = [_words(long_doc.text, p.source_span) for p in passages]
    tgt_words = [_words(short_doc.text, p.target_span) for p in passages]
    n_tgt = sum(len(w) for w in tgt_words) or 1
    copy = sum(_copy_fraction(s, t) * len(t) for s, t in zip(src_words, tgt_words, strict=True)) / n_tgt
    seq = sum(SequenceMatcher(None, s, t, autojunk=False).ratio() * len(t)
              for s, t in zip(src_words, tgt_words, strict=True)) / n_tgt
    src_len = sum(p.source_span[1] - p.source_span[0] for p in passages)
    tgt_len = sum(p.target_span[1] - p.target_span[0] for p in passages)
    evidence = [f"{copy:.0%} of aligned target words in shared 5-grams",
                f"word-sequence similarity {seq:.2f}"]
    if any(a.method == "summary" for a in alignments) or src_len >= config.summary_ratio * max(1, tgt_len):
        evidence.append(f"aligned source text {src_len / max(1, tgt_len):.1f}x the target's")
        return "summary", evidence
    if copy >= config.verbatim_copy:
        return "verbatim", evidence
    if copy >= config.near_duplicate_copy:
        return "near-duplicate", evidence
    if seq >= config.spun_sequence:
        return "spun", evidence
    return "paraphrase", evidence


def lexical_relation(long_doc: Document, short_doc: Document, context: RelateContext) -> Relation | None:
    """The relation found by the aligner between ``long_doc`` (source side) and ``short_doc``.

    A pair that cannot pass the copy test is turned away before the aligner runs
    (:func:`passes_sentence_screen`)."""
    config = context.settings.relate
    if not passes_sentence_screen(long_doc, short_doc, config):
        return None
    alignments = [x for x in align_documents(long_doc, short_doc, context) if x.similarity >= config.min_similarity]
    if not alignments or sum(x.target_span[1] - x.target_span[0] for x in alignments) < config.min_target_chars:
        return None
    passages = passages_of(long_doc, short_doc, alignments)
    strong, share = sentence_share(long_doc, short_doc, passages, config)
    if share < config.min_sentence_share:
        return None
    kind, evidence = classify(alignments, passages, config, long_doc, short_doc)
    evidence.append(f"{strong} sentences closely matched ({share:.0%} of the shorter text's sentences)")
    return build_relation(long_doc, short_doc, alignments, kind, evidence, config)
