"""Relations: from aligned passages to "target derives from source, how, and which way".

The type comes from how the aligned wording compares:

* ``verbatim``: the aligned passages are copies (nearly every target word lies in a word
  5-gram the source shares);
* ``near-duplicate``: copied with edits: at least 30% of the aligned words still sit in shared
  5-grams (an updated version of a story, a lightly edited repost);
* ``summary``: one side condenses the other (the aligner's summary strategy, or aligned
  source text several times longer than the aligned target text);
* ``spun``: the sentence structure survives word for word while so many words are swapped
  that under 30% of the words keep a shared 5-gram — the signature of synonym-substitution
  spinners (a spinner replacing a quarter of the words leaves about a quarter of 5-grams
  intact), with word-sequence similarity still at least 0.3;
* ``paraphrase``: the passages correspond but are reworded throughout.

Direction is decided by the strongest evidence available, in this order: publication dates;
rewrite artefacts present on one side only (mangled HTML entities, misplaced quotation marks
left by spinners, ad shortcodes and aggregator disclaimers of scraper sites); containment
(a truncated or partial copy is fully covered by a longer text).  The evidence is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from newstrace.stages.align import AlignConfig, _cached_tokens, align
from newstrace.stages.text import WORD_RE, content_terms, split_sentences
from newstrace.types import Alignment, Direction, Document, Passage, Relation, Sentence

__all__ = ["SEMANTIC_TYPES", "RelateConfig", "relate", "relate_semantic", "rewrite_artefacts"]


@dataclass(frozen=True, slots=True)
class RelateConfig:
    """Relation thresholds (calibrated on the sample articles and BBC News; docs/calibration.md)."""

    min_target_chars: int = 150
    min_similarity: float = 0.3
    verbatim_copy: float = 0.95
    near_duplicate_copy: float = 0.3
    spun_sequence: float = 0.3
    summary_ratio: float = 2.5
    containment_gap: float = 0.25
    sentence_dice: float = 0.5
    min_sentence_share: float = 0.42
    sentence_min_terms: int = 4
    summary_min_source_coverage: float = 0.3

    def __post_init__(self) -> None:
        if not 0 <= self.near_duplicate_copy <= self.verbatim_copy <= 1:
            raise ValueError("need 0 <= near_duplicate_copy <= verbatim_copy <= 1")


DEFAULT_CONFIG = RelateConfig()

_ARTEFACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mangled HTML entities", re.compile(r"&\s+(?:nbsp|amp|quot|rsquo|ldquo|rdquo)\b|&(?:nbsp|amp|quot)(?![;\w])", re.I)),
    ("ad shortcodes", re.compile(r"\[ad_\d+\]")),
    ("aggregator disclaimer", re.compile(r"automatic aggregator|denial of responsibility", re.I)),
)


def _misplaced_quotes(text: str) -> int:
    """Closing quotation marks that open a quote: two ” with no “ between them in a paragraph.

    Spinners and careless converters replace every double quote with the closing glyph.
    """
    count = 0
    for para in text.split("\n"):
        last = ""
        for ch in para:
            if ch in "\u201c\u201d":
                if ch == "\u201d" and last == "\u201d":
                    count += 1
                last = ch
    return count


def _artefact_counts(doc: Document) -> dict[str, int]:
    counts = {name: len(pattern.findall(doc.raw)) for name, pattern in _ARTEFACTS}
    counts["misplaced quotation marks"] = _misplaced_quotes(doc.raw)
    return {k: v for k, v in counts.items() if v}


def rewrite_artefacts(doc: Document) -> list[str]:
    """Traces a rewriting or scraping tool leaves in a text, each with its count."""
    return [f"{name} ({n})" for name, n in _artefact_counts(doc).items()]


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(text)]


def _copy_fraction(src: list[str], tgt: list[str], n: int = 5) -> float:
    """Share of target words inside a word n-gram the source also has."""
    if len(tgt) < n:
        return 1.0 if tgt and tgt == src else 0.0
    grams = {tuple(src[i : i + n]) for i in range(len(src) - n + 1)}
    covered = [False] * len(tgt)
    for i in range(len(tgt) - n + 1):
        if tuple(tgt[i : i + n]) in grams:
            for j in range(i, i + n):
                covered[j] = True
    return sum(covered) / len(tgt)


def _coverage(spans: list[tuple[int, int]], length: int) -> float:
    if length <= 0:
        return 0.0
    total, end = 0, -1
    for s, e in sorted(spans):
        s = max(s, end)
        if e > s:
            total += e - s
            end = e
    return min(1.0, total / length)


def _sentence_share(long_doc: Document, short_doc: Document, passages: list[Passage],
                    config: RelateConfig) -> tuple[int, float]:
    """Target sentences inside passages that closely match a source-passage sentence, and
    their share of the shorter document's sentences.

    This is what separates a copy (spun or not) from two reports of the same event: reports
    share names and a quote or two, a copy keeps sentence after sentence.  On BBC News the
    share is at most 0.38 for pairs sharing under a tenth of their 5-grams and at least 0.48
    for pairs where one contains half of the other (docs/calibration.md).
    """
    def terms(text: str, lang: str | None) -> list[set[str]]:
        return [t for t in (set(content_terms(x.text, lang or "en")) for x in split_sentences(text))
                if len(t) >= config.sentence_min_terms]

    strong = 0
    for p in passages:
        src_sents = terms(p.source_text, long_doc.language)
        for t in terms(p.target_text, short_doc.language):
            if any(2 * len(t & s) >= config.sentence_dice * (len(t) + len(s)) for s in src_sents):
                strong += 1
    smaller = min(len(terms(long_doc.text, long_doc.language)), len(terms(short_doc.text, short_doc.language)))
    return strong, strong / max(1, smaller)


def _classify(alignments: list[Alignment], passages: list[Passage], config: RelateConfig) -> tuple[str, list[str]]:
    src_words = [_words(p.source_text) for p in passages]
    tgt_words = [_words(p.target_text) for p in passages]
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


def _direction(a: Document, b: Document, cov_a: float, cov_b: float, kind: str,
               config: RelateConfig) -> tuple[Document, Document, Direction]:
    """Return (source, target, why)."""
    if a.published and b.published and a.published != b.published:
        src, tgt = (a, b) if a.published < b.published else (b, a)
        return src, tgt, Direction("published-date", f"{src.id} published {src.published}, {tgt.id} {tgt.published}")
    art_a, art_b = _artefact_counts(a), _artefact_counts(b)
    if set(art_a) != set(art_b) and (set(art_a) > set(art_b) or set(art_b) > set(art_a)):
        # One side shows every kind of trace the other shows, and more.
        src, tgt = (b, a) if len(art_a) > len(art_b) else (a, b)
        shown = ", ".join(rewrite_artefacts(tgt))
        other = ", ".join(rewrite_artefacts(src)) or "none"
        return src, tgt, Direction("rewrite-artefacts", f"{tgt.id} shows {shown}; {src.id} {other}")
    if kind == "summary":
        src, tgt = (a, b) if len(a.text) >= len(b.text) else (b, a)
        return src, tgt, Direction("containment", f"{tgt.id} condenses {src.id}")
    if abs(cov_a - cov_b) >= config.containment_gap:
        src, tgt = (b, a) if cov_a > cov_b else (a, b)
        return src, tgt, Direction(
            "containment", f"{tgt.id} is {max(cov_a, cov_b):.0%} covered by {src.id}, "
            f"which is only {min(cov_a, cov_b):.0%} covered: a partial copy")
    src, tgt = (a, b) if len(a.text) >= len(b.text) else (b, a)
    return src, tgt, Direction("undetermined", "no dates, artefacts or containment tell the order; longer text shown as source")


def relate(a: Document, b: Document, config: RelateConfig = DEFAULT_CONFIG,
           align_config: AlignConfig | None = None) -> Relation | None:
    """The reuse relation between two cleaned documents, or ``None`` if there is none."""
    # The longer text is aligned as the source so that the summary strategy can apply.
    long_doc, short_doc = (a, b) if len(a.text) >= len(b.text) else (b, a)
    alignments = align(long_doc.text, short_doc.text, align_config,
                       source_language=long_doc.language or "en", target_language=short_doc.language or "en")
    alignments = [x for x in alignments if x.similarity >= config.min_similarity]
    if not alignments or sum(x.target_span[1] - x.target_span[0] for x in alignments) < config.min_target_chars:
        return None
    passages = [
        Passage(x.source_span, x.target_span, long_doc.text[x.source_span[0]:x.source_span[1]],
                short_doc.text[x.target_span[0]:x.target_span[1]], x.similarity)
        for x in alignments
    ]
    strong, share = _sentence_share(long_doc, short_doc, passages, config)
    if share < config.min_sentence_share:
        return None
    cov_long = _coverage([x.source_span for x in alignments], len(long_doc.text))
    cov_short = _coverage([x.target_span for x in alignments], len(short_doc.text))
    kind, evidence = _classify(alignments, passages, config)
    evidence.append(f"{strong} sentences closely matched ({share:.0%} of the shorter text's sentences)")
    src, tgt, direction = _direction(long_doc, short_doc, cov_long, cov_short, kind, config)
    if src is not long_doc:  # flip the passages' sides
        passages = [Passage(p.target_span, p.source_span, p.target_text, p.source_text, p.similarity) for p in passages]
        cov_src, cov_tgt = cov_short, cov_long
    else:
        cov_src, cov_tgt = cov_long, cov_short
    passages.sort(key=lambda p: p.target_span)
    mean_sim = sum(p.similarity * (p.target_span[1] - p.target_span[0]) for p in passages) / max(
        1, sum(p.target_span[1] - p.target_span[0] for p in passages))
    amount = min(1.0, sum(p.target_span[1] - p.target_span[0] for p in passages) / 1000)
    confidence = round(min(1.0, 0.6 * mean_sim + 0.4 * amount + (0.1 if kind == "verbatim" else 0.0)), 3)
    return Relation(src.id, tgt.id, kind, confidence, direction, round(cov_src, 4), round(cov_tgt, 4),
                    tuple(passages), tuple(evidence))


#: Relation type for each method of the semantic aligner.
SEMANTIC_TYPES = {"semantic": "paraphrase", "summary": "summary", "translation": "translation"}


def _mt_traces(doc: Document) -> int:
    """How many machine-translation traces the rewrite signature finds in ``doc``."""
    from newstrace.stages.signature import rewrite_signature

    found = rewrite_signature(doc.text, doc.raw, doc.removed, language=doc.language or "en")
    return sum(1 for item in found if item.get("kind") == "machine-translation")


def relate_semantic(a: Document, b: Document, vecs_a, vecs_b, config: RelateConfig = DEFAULT_CONFIG,  # type: ignore[no-untyped-def]
                    backgrounds=None) -> Relation | None:
    """The reuse relation found by meaning (paraphrase, summary, translation), or ``None``.

    ``vecs_a``/``vecs_b`` are the documents' sentence vectors, one per sentence of
    ``split_sentences(doc.text)``, from the same embedder (the multilingual one when the
    languages differ).  The semantic aligner (``newstrace.stages.semantic``) decides which
    passages correspond; this function only orients, types and scores the relation.
    ``backgrounds``, for documents in different languages, are the two documents' sentence
    backgrounds in the collection (``pipeline.translation_backgrounds``): a translation is
    then judged by its margin over them.
    """
    from newstrace.stages.semantic import align_semantic

    back_a, back_b = backgrounds if backgrounds is not None else (None, None)
    long_doc, short_doc, v_long, v_short, b_long, b_short = (
        (a, b, vecs_a, vecs_b, back_a, back_b) if len(a.text) >= len(b.text) else (b, a, vecs_b, vecs_a, back_b, back_a))
    # The sentences of split_sentences(text), as the lexical aligner just cached them for this
    # pair (a document recurs across a scan's candidate pairs).
    alignments = align_semantic(_sentences(long_doc), _sentences(short_doc), v_long, v_short,
                                src_text=long_doc.text, tgt_text=short_doc.text,
                                src_language=long_doc.language, tgt_language=short_doc.language,
                                src_background=b_long, tgt_background=b_short)
    if not alignments:
        return None
    passages = [
        Passage(x.source_span, x.target_span, long_doc.text[x.source_span[0]:x.source_span[1]],
                short_doc.text[x.target_span[0]:x.target_span[1]], x.similarity)
        for x in alignments
    ]
    methods = {x.method for x in alignments}
    method = "translation" if "translation" in methods else "summary" if "summary" in methods else "semantic"
    kind = SEMANTIC_TYPES.get(method, "paraphrase")
    cov_long = _coverage([x.source_span for x in alignments], len(long_doc.text))
    cov_short = _coverage([x.target_span for x in alignments], len(short_doc.text))
    if kind == "summary" and cov_long < config.summary_min_source_coverage:
        # A summary condenses much of its source; a headline and lead that echo another
        # story's opening do not (BBC News: the one such false summary covered 13%).
        return None
    evidence = [f"{len(alignments)} passages matched by meaning ({method})",
                f"mean sentence-embedding similarity {sum(x.similarity for x in alignments) / len(alignments):.2f}"]
    if kind == "translation":
        evidence.append(f"languages: {long_doc.id} {long_doc.language or '?'}, {short_doc.id} {short_doc.language or '?'}")
        src, tgt, direction = _translation_direction(long_doc, short_doc)
    else:
        src, tgt, direction = _direction(long_doc, short_doc, cov_long, cov_short, kind, config)
    if src is not long_doc:
        passages = [Passage(p.target_span, p.source_span, p.target_text, p.source_text, p.similarity) for p in passages]
        cov_src, cov_tgt = cov_short, cov_long
    else:
        cov_src, cov_tgt = cov_long, cov_short
    passages.sort(key=lambda p: p.target_span)
    mean_sim = sum(p.similarity for p in passages) / len(passages)
    amount = min(1.0, sum(p.target_span[1] - p.target_span[0] for p in passages) / 1000)
    confidence = round(min(1.0, 0.6 * mean_sim + 0.4 * amount), 3)
    return Relation(src.id, tgt.id, kind, confidence, direction, round(cov_src, 4), round(cov_tgt, 4),
                    tuple(passages), tuple(evidence))


def _sentences(doc: Document) -> tuple[Sentence, ...]:
    return _cached_tokens(doc.text, doc.language or "en").sentences


def _translation_direction(a: Document, b: Document) -> tuple[Document, Document, Direction]:
    """Dates first; then the side with machine-translation traces is the translation."""
    if a.published and b.published and a.published != b.published:
        src, tgt = (a, b) if a.published < b.published else (b, a)
        return src, tgt, Direction("published-date", f"{src.id} published {src.published}, {tgt.id} {tgt.published}")
    ta, tb = _mt_traces(a), _mt_traces(b)
    if ta != tb:
        src, tgt = (b, a) if ta > tb else (a, b)
        return src, tgt, Direction("rewrite-artefacts", f"{tgt.id} shows machine-translation traces, {src.id} fewer")
    return a, b, Direction("undetermined", f"translation between {a.language or '?'} and {b.language or '?'}; "
                                           "no dates or translation traces tell which is the original")
