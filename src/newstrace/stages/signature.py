"""Rewrite signature: traces, inside a single document, of the kind of rewriting it went through.

Without its source a document can still show how it was made.  ``rewrite_signature`` lists
the evidence, item by item, never a score:

* ``spinning`` (synonym-substitution tools): HTML entities mangled into words (``& nbsp,``),
  closing quotation marks used to open a quote, and words forced into a part of speech they
  do not have ("the army's insulting," — a word WordNet knows only as an adjective or verb,
  heading a noun phrase: the typical trace of a substitute picked for another sense);
* ``machine-translation``: a space before punctuation ("forces ."), a sentence that starts in
  lower case after a full stop, a capitalised pronoun or article in mid-sentence after a comma,
  and sentences identified (py3langid, per sentence) as another language than the document's;
* ``aggregator``: automatic-aggregator disclaimers (in the text or among the boilerplate the
  cleaner removed), ad shortcodes left by scraper plugins, and a generic concluding paragraph
  ("Overall, ...", "In conclusion, ...") closing the article;
* ``ai-rewrite``: stock phrases of language-model paraphrases ("In the year 2020",
  "further exacerbated", "it is important to note"), reported only when several different
  ones occur in the same document.

Each item is ``{"kind", "evidence", "span", "text"}``; ``span`` is ``[start, end]`` in
``doc_text`` or ``None`` when the trace is only in the ingested ``raw_text`` (cleaning removed
it) or among the ``removed`` boilerplate; then ``evidence`` says where it was found.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from newstrace.stages.literals import ScreenedPattern, fold
from newstrace.stages.text import STOPWORDS, split_sentences

__all__ = ["DEEP_TRACES", "SIGNATURE_KINDS", "TRACES", "common_checks", "known_slot_tags", "rewrite_signature",
           "trace_counts"]

#: A text's noun-slot candidates' starts, their contexts (offset, untagged doc) and the tagged docs.
_Tagged = tuple[set[int], list[tuple[int, Any]], list[Any]]

SIGNATURE_KINDS = ("spinning", "machine-translation", "aggregator", "ai-rewrite")

_ENTITY_RE = re.compile(
    r"&\s+(?:nbsp|amp|quot|rsquo|lsquo|ldquo|rdquo|mdash|ndash|hellip)\b[,;]?"
    r"|&(?:nbsp|amp|quot|rsquo|ldquo|rdquo)(?![;\w])",
    re.I,
)
# Each of these starts with the character its match starts with, the look-behind after it: the
# same matches as the look-behind first, but ``re`` finds that character by a fast scan instead
# of trying the look-behind at every position (3-15x faster on news text;
# ``tests/robustness/test_properties.py`` compares both forms).
_SPACE_BEFORE_PUNCT_RE = re.compile(r" (?<=[^\W\d_] )[.,;:!?](?=\s|$)")
_LOWER_START_RE = re.compile(r" (?<=[a-z]{3}\. )([a-z][a-z]+)\b")
_MIDSENTENCE_CAPITAL_RE = re.compile(
    r",(?<=[a-z],) (He|She|It|They|We|The|This|These|Those|His|Her|Its|Their) (?=[a-z])"
)
_DISCLAIMER_RE = ScreenedPattern(re.compile(
    r"automatic aggregator|denial of responsibility|all (?:trademarks|materials) belong to"
    r"|this (?:article|story|post) (?:was|is|has been) (?:automatically )?(?:generated|aggregated)"
    r"|aggregated from (?:the )?(?:source|original)",
    re.I,
), ("automatic aggregator", "denial of responsibility", "belong to", "generated", "aggregated"))
_AD_SHORTCODE_RE = re.compile(r"\[ad_\d+\]")
_CONCLUSION_RE = re.compile(
    r"^(?:Overall|In conclusion|In summary|To sum up|All in all|Ultimately|In short),\s", re.M
)
_AI_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.I))
    for label, pattern in (
        ("'in the year' before a year", r"\bin the year \d{4}\b"),
        ("'it is important/worth noting'", r"\bit is (?:important|worth|crucial) (?:to note|noting)\b"),
        (
            "'further' + intensifying verb",
            r"\bfurther (?:exacerbat|intensif|deepen|fuel|underscor|highlight)\w*",
        ),
        ("'significant(ly)' as filler", r"\bsignificant(?:ly)? (?:shift|impact|role|declin\w*|increas\w*)"),
        ("sentence-initial 'Additionally,'", r"(?:^|(?<=[.!?]\s))Additionally,"),
        ("sentence-initial 'Furthermore,'/'Moreover,'", r"(?:^|(?<=[.!?]\s))(?:Furthermore|Moreover),"),
        ("'serves/served as'", r"\bserv(?:es|ed) as (?:a|an|the) "),
        ("'resulting in'", r", resulting in\b"),
        ("'plays a crucial/pivotal role'", r"\bplay(?:s|ed|ing)? an? (?:crucial|pivotal|key|vital) role\b"),
        ("'a testament to'", r"\ba testament to\b"),
        ("'delve(s) into'", r"\bdelv(?:e|es|ed|ing) into\b"),
        ("'shed light on'", r"\bsh(?:ed|eds|edding) light on\b"),
        ("'underscore(s/d)'", r"\bunderscor(?:e|es|ed|ing)\b"),
        ("'highlighting'", r", highlighting\b"),
        ("'will likely be felt for years to come'", r"\bfor years to come\b"),
    )
)
#: Literals of which every match of the pattern of the same rank in ``_AI_PHRASES`` contains one
#: (lower case): a pattern none of whose literals is in the text cannot match, so it is not run (most
#: documents hold none of these phrases; 15 case-insensitive scans of every document were a
#: fifth of the per-document preparation time).  ``test_signature_literals`` checks each
#: literal against its pattern.
_AI_LITERALS: tuple[tuple[str, ...], ...] = (
    ("in the year ",),
    ("it is important ", "it is worth ", "it is crucial "),
    ("further exacerbat", "further intensif", "further deepen", "further fuel", "further underscor", "further highlight"),
    tuple(f"significant{ly} {word}" for ly in ("", "ly") for word in ("shift", "impact", "role", "declin", "increas")),
    ("additionally,",),
    ("furthermore,", "moreover,"),
    ("serves as ", "served as "),
    (", resulting in",),
    ("crucial role", "pivotal role", "key role", "vital role"),
    ("a testament to",),
    ("delve into", "delves into", "delved into", "delving into"),
    (" light on",),
    ("underscor",),
    (", highlighting",),
    ("for years to come",),
)
_MIN_AI_PHRASES = 3
_MIN_FOREIGN_WORDS = 6
_MIN_FOREIGN_CONFIDENCE = 0.95
_LETTERS_RE = re.compile(r"[^\W\d_]{2,}")
#: Share of English function words (``STOPWORDS``) from which a sentence of an English document
#: is taken as English without asking py3langid.  Calibrated on 56,400 sentences of six words
#: or more (all of BBC News, 250 PAN-13 documents, the seeds): of those py3langid gave another
#: language at 0.95 or more, none had more than 0.11; 609 Spanish sentences (PAN-PC-11 sources)
#: at most 0.25, and the example sentences spaCy ships for 50 other languages at most 0.22;
#: 86% of the English sentences have 0.3 or more.
_ENGLISH_SCREEN = 0.3


#: The trace each check finds, by the label direction evidence and reports show (item ``trace``).
TRACES: dict[str, str] = {
    "entity": "mangled HTML entities",
    "quote": "misplaced quotation marks",
    "noun-slot": "words forced into a noun slot",
    "space-punct": "space before punctuation",
    "lower-start": "sentences starting in lower case",
    "mid-capital": "capitalised words in mid-sentence",
    "foreign": "sentences in another language",
    "disclaimer": "aggregator disclaimer",
    "shortcode": "ad shortcodes",
    "conclusion": "generic concluding paragraph",
    "ai-phrase": "stock phrases of language-model paraphrase",
}


def _item(kind: str, evidence: str, span: tuple[int, int] | None, text: str, trace: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "trace": TRACES[trace],
        "evidence": evidence,
        "span": list(span) if span is not None else None,
        "text": text,
    }


#: The traces only the deep checks find (``rewrite_signature(deep=True)``: WordNet's noun
#: senses, each sentence's language), by label.
DEEP_TRACES = frozenset({TRACES["noun-slot"], TRACES["foreign"]})


def common_checks(signature: Sequence[dict[str, Any]], deep: bool, other_deep: bool) -> list[dict[str, Any]]:
    """The items of ``signature`` found by checks the other signature had too: without the deep
    traces unless both were made deep.  A document signed without them (``--no-changes``) does
    not lack a noun-slot misfit its copy shows: nobody looked."""
    if deep and other_deep:
        return list(signature)
    return [item for item in signature if str(item.get("trace") or "") not in DEEP_TRACES]


def trace_counts(signature: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many items of each trace a signature holds (its ``trace`` label, else its ``kind``).

    This is what direction is decided on (``newstrace.stages.relate.orient``): the evidence
    the user sees in the signature, never a second detector.
    """
    counts: dict[str, int] = {}
    for item in signature:
        label = str(item.get("trace") or item.get("kind") or "")
        if label:
            counts[label] = counts.get(label, 0) + 1
    return counts


_QUOTE_MARK_RE = re.compile('["“”]')


def _misplaced_quotes(text: str) -> list[tuple[int, int, str]]:
    """Quotations opened with a closing mark.

    Each quotation mark is read as opening or closing from its glyph (“ ”) or, for a straight
    quote, from its surroundings (space before: opening; space or punctuation after: closing).
    Two closing marks in a row within a paragraph mean the first one opened a quote: the trace
    of a tool that rewrote the quotation marks (",” Armenia has…", "said," The plan…").
    """
    found: list[tuple[int, int, str]] = []
    pos = 0
    for para in text.split("\n"):
        last_close: int | None = None
        # Only the quotation marks are looked at (a paragraph's other characters never change
        # the state): found by the pattern, not a Python loop over every character.
        for m in _QUOTE_MARK_RE.finditer(para):
            i, ch = m.start(), m.group()
            before = para[i - 1] if i > 0 else " "
            after = para[i + 1] if i + 1 < len(para) else " "
            if ch == "“" or (ch == '"' and (before.isspace() or before in "([—–")):
                role = "open"
            elif ch == "”" or (ch == '"' and (after.isspace() or after in ".,;:!?)")):
                role = "close"
            else:
                role = ""
            if role == "close" and last_close is not None:
                j = last_close
                found.append((pos + j, pos + j + 1, para[max(0, j - 20) : j + 40]))
                last_close = None
                continue
            last_close = i if role == "close" else None
        pos += len(para) + 1
    return found


#: Words that can be the token after a noun-slot misfit when it is not ",.;:": every word
#: en_core_web_sm's attribute ruler can mark AUX (forms of be/have/do, "'s", "'re", "'m",
#: "'ve", "'d", read from its patterns) and every word its tagger tagged MD (modal, hence AUX)
#: in all 2,225 BBC articles and 50 PAN-13 suspicious documents (950,000 tokens, see
#: ``benchmarks/calibrate_signature_screen.py``), with the other modals of English grammar.
#: "ca", "wo", "sha" are the tokens of "can't", "won't", "shan't".  Without the parser
#: (``nlp()`` excludes it) no other rule gives AUX.
_AUX_WORDS = (
    "be", "been", "being", "is", "are", "am", "was", "were", "do", "does", "did", "have", "has", "had", "of",
    "will", "would", "shall", "should", "can", "could", "may", "might", "must", "ought", "need", "dare",
    "ca", "wo", "sha",
)
#: A run of at least four letters, whole, followed by what could be the token a misfit needs
#: after it: one of ",.;:", an apostrophe (the contractions "'s", "'re", "'ll", "'d", ...), or a
#: word that can be AUX, whole or before "n't"/"not" ("isn't", "cannot", "won't").  Every misfit the tagger would find starts such a run (a test pins the
#: tokenizer's exceptions, the only way an alphabetic token is part of a longer letter run).
_SLOT_CANDIDATE_RE = re.compile(
    r"(?<![^\W\d_])[^\W\d_]{4,}(?![^\W\d_])"
    r"(?=\s*[,.;:'’]|\s+(?i:" + "|".join(_AUX_WORDS) + r")(?:(?![^\W\d_])|(?=[nN])))"
)
#: Boundaries where a text can be cut without changing spaCy's tokens on either side: a single
#: space between two non-space characters (the tokenizer splits on whitespace first, and such a
#: space only becomes the trailing space of the token before it).
_CUT_RE = re.compile(r" (?<=\S )(?=\S)")  # a space between two non-spaces (the space first: see above)
#: Tokens kept on each side of a candidate when it is tagged.  en_core_web_sm's tok2vec is four
#: layers of window-1 convolutions over per-token features (its config: ``depth = 4``,
#: ``window_size = 1``), so a token's vector, hence its tag, depends on the four tokens either
#: side of it, and those of the candidate and its two neighbours on five: with them, the
#: vectors are bit for bit the whole text's (checked on BBC articles, alone and batched).  The
#: attribute ruler's two-token patterns only set lemmas of words shorter than a candidate.
_CONTEXT_TOKENS = 5
#: Chunks (text between two cuts, at least one token each) tokenized on each side of a
#: candidate, so that :data:`_CONTEXT_TOKENS` whole-text tokens lie on each side of it.
_WINDOW_CHUNKS = _CONTEXT_TOKENS + 1


def _slot_candidates(text: str) -> list[tuple[int, int]]:
    """Spans of the words that can be noun-slot misfits, from the text and WordNet alone.

    A misfit is a lower-case word of four letters or more, not a function word, with no noun
    sense in WordNet, followed by ",.;:" or an auxiliary, and with an adjective sense
    (itself or its lemma; a lemma differs from the word only for a comparative or superlative
    adjective, by the lemmatizer's suffix rules or exceptions).  Everything the tagger decides
    is left to it.
    """
    from newstrace.stages.changes import _FUNCTION, _known

    out = []
    for m in _SLOT_CANDIDATE_RE.finditer(text):
        run = m.group()
        word = run.lower()
        if run[0].isupper() or word in _FUNCTION or _known(word, "n"):
            continue
        if not (_known(word, "a") or _may_lemmatize_otherwise(word)):
            continue
        out.append((m.start(), m.end()))
    return out


def _may_lemmatize_otherwise(word: str) -> bool:
    """Whether spaCy can give ``word`` as an adjective or noun a lemma other than itself."""
    suffixes, exceptions, ruled = _lemma_tables()
    return word.endswith(suffixes) or word in exceptions or word in ruled


@lru_cache(maxsize=1)
def _lemma_tables() -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """The lemmatizer's adjective suffix rules and exceptions, and the words the attribute ruler lemmatizes.

    A singular noun (NN) or a positive adjective (JJ) is its own lemma (spaCy's
    ``is_base_form``); other adjective tags go through the ``adj`` rules and exceptions, and
    the attribute ruler sets the lemmas of a closed list of words.
    """
    from newstrace.stages.changes import nlp

    model = nlp()
    lemmatizer = model.get_pipe("lemmatizer")
    rules = lemmatizer.lookups.get_table("lemma_rules", {}).get("adj", [])
    exceptions = lemmatizer.lookups.get_table("lemma_exc", {}).get("adj", {})
    ruled: set[str] = set()
    for pattern in model.get_pipe("attribute_ruler").patterns:
        if "LEMMA" in pattern.get("attrs", {}):
            for tokens in pattern.get("patterns", []):
                for token in tokens:
                    lower = token.get("LOWER")
                    values = lower.get("IN", []) if isinstance(lower, dict) else [lower]
                    ruled.update(str(v) for v in values if isinstance(v, str))
    return tuple(str(old) for old, _ in rules), frozenset(exceptions), frozenset(ruled)


def _slot_windows(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pieces of ``text`` holding every candidate with :data:`_WINDOW_CHUNKS` chunks either side.

    spaCy tokenizes each piece as it tokenizes the same characters in the whole text (the
    piece starts and ends at cuts, except at the text's own ends).  Overlapping pieces are
    merged.
    """
    cuts = [m.start() for m in _CUT_RE.finditer(text)]
    windows: list[tuple[int, int]] = []
    for s, e in spans:
        i = bisect_left(cuts, s) - 1 - _WINDOW_CHUNKS  # the cut _WINDOW_CHUNKS chunks before s's chunk
        j = bisect_left(cuts, e) + _WINDOW_CHUNKS
        a = cuts[i] + 1 if i >= 0 else 0
        b = cuts[j] if j < len(cuts) else len(text)
        if windows and a <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(b, windows[-1][1]))
        else:
            windows.append((a, b))
    return windows


def _slot_docs(model: Any, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, Any]]:
    """The candidates' contexts as spaCy docs, each with its offset in ``text``, untagged.

    Each is a slice of a tokenized piece (:func:`_slot_windows`) reaching
    :data:`_CONTEXT_TOKENS` tokens beyond the candidates it holds (or the text's end), copied
    with its tokens' attributes and trailing spaces, so that the tagger sees exactly the
    features the whole text gives it there.
    """
    starts = {s for s, _ in spans}
    out: list[tuple[int, Any]] = []
    for a, b in _slot_windows(text, spans):
        piece = model.make_doc(text[a:b])
        ranges: list[tuple[int, int]] = []
        for k, t in enumerate(piece):
            if a + t.idx in starts:
                x, y = max(0, k - _CONTEXT_TOKENS), min(len(piece), k + _CONTEXT_TOKENS + 1)
                if ranges and x <= ranges[-1][1]:
                    ranges[-1] = (ranges[-1][0], y)
                else:
                    ranges.append((x, y))
        out.extend((a + piece[x].idx, piece[x:y].as_doc()) for x, y in ranges)
    return out


#: Tagged candidate contexts of texts tagged together before they were asked for, by text
#: (:func:`known_slot_tags`).
_KNOWN_SLOTS: dict[str, _Tagged | None] = {}
_UNKNOWN: Any = object()


def _skipped_pipes(model: Any) -> list[str]:
    return [p for p in ("ner", "lemmatizer") if p in model.pipe_names]


def _tagged_slots(texts: Sequence[str]) -> list[_Tagged | None]:
    """For each text, the starts of its candidates (:func:`_slot_candidates`), their contexts
    (:func:`_slot_docs`) and those contexts tagged; ``None`` for a text with no candidate, or
    when WordNet or spaCy is missing.

    All the texts' contexts go through the pipeline together: spaCy pads each doc of a batch
    on its own, so a context gets the tags it gets alone, and the per-call cost of the tagger's
    layers (most of it for contexts of 21 tokens) is paid once for the batch."""
    from newstrace.stages.changes import nlp, wordnet_available

    if not wordnet_available():
        return [None] * len(texts)
    found = [_slot_candidates(t) for t in texts]
    model = nlp() if any(found) else None
    if model is None:
        return [None] * len(texts)
    contexts = [_slot_docs(model, t, spans) if spans else [] for t, spans in zip(texts, found, strict=True)]
    docs = [doc for per_text in contexts for _, doc in per_text]
    skip = _skipped_pipes(model)
    for name, proc in model.pipeline:  # what ``model.pipe(docs, disable=skip)`` does, without its set-up
        if name not in skip:
            docs = list(proc.pipe(docs))
    out: list[_Tagged | None] = []
    at = 0
    for spans, per_text in zip(found, contexts, strict=True):
        if not spans:
            out.append(None)
            continue
        out.append(({s for s, _ in spans}, per_text, docs[at : at + len(per_text)]))
        at += len(per_text)
    return out


@contextmanager
def known_slot_tags(texts: Iterable[str]) -> Iterator[None]:
    """Within the block, the noun-slot check of each text given (the deep signature's
    :func:`_noun_slot_misfits`) reads its candidates' contexts tagged here, all texts together,
    instead of tagging them alone: the same findings (a context's tags do not depend on the
    other docs of its batch), for half the tagger's time on BBC News.  Forgotten after it."""
    todo = [t for t in dict.fromkeys(texts) if t not in _KNOWN_SLOTS]
    _KNOWN_SLOTS.update(zip(todo, _tagged_slots(todo), strict=True))
    try:
        yield
    finally:
        for t in todo:
            _KNOWN_SLOTS.pop(t, None)


def _noun_slot_misfits(text: str) -> list[tuple[int, int, str]]:
    """Words with no noun sense in WordNet heading a noun phrase: "The X insulting, ..."

    The tagger runs only on the words that could be misfits (:func:`_slot_candidates`: 1.9 an
    article in BBC News, of 428 tokens; none in a quarter of the articles), each with
    :data:`_CONTEXT_TOKENS` tokens either side (:func:`_slot_docs`): 21 tokens an article.  The
    tags it gives there are the ones it gives in the whole text, since spaCy's tokens do not
    depend on what lies beyond a single space and its tagger looks only so far.  Pinned by
    ``tests/integration/test_signature_speed.py`` (tags of every candidate and neighbour, and the
    findings, against the whole pipeline) and ``benchmarks/bench_signature.py`` (items against
    the previous code on 399 documents: identical; 57.6 → 5.8 ms of CPU a document).

    Only tags, coarse parts of speech and the lemmas of the few words that pass every other
    test are needed, so the tagger runs without NER or the lemmatizer, and a candidate's
    lemma is computed by the lemmatizer itself, exactly as the full pipeline would (a lemma
    the attribute ruler set is kept, as the lemmatizer keeps it).  WordNet is read from its
    index files (``wordnet_available``, ``_known``), not through NLTK, whose import alone costs
    seconds.
    """
    from newstrace.stages.changes import _FUNCTION, _known, nlp

    known = _KNOWN_SLOTS.get(text, _UNKNOWN)  # one lookup: another thread's block may end meanwhile
    tagged = _tagged_slots([text])[0] if known is _UNKNOWN else known
    if tagged is None:
        return []
    model = nlp()
    starts, contexts, docs = tagged
    lemmatizer = model.get_pipe("lemmatizer") if "lemmatizer" in _skipped_pipes(model) else None
    found: list[tuple[int, int, str]] = []

    for (offset, _), doc in zip(contexts, docs, strict=True):
        for k in range(1, len(doc) - 1):
            t = doc[k]
            if offset + t.idx not in starts:
                continue
            prev, nxt = doc[k - 1], doc[k + 1]
            word = t.lower_
            if not word.isalpha() or len(word) < 4 or t.text[0].isupper() or word in _FUNCTION:
                continue
            possessive = prev.tag_ in ("PRP$", "POS")
            if t.pos_ == "NOUN" and t.tag_ == "NN":
                # tagged a singular noun from its position: after a determiner, possessive or name
                if not (possessive or prev.tag_ in ("DT", "JJ") or prev.pos_ == "PROPN"):
                    continue
            elif t.pos_ == "ADJ":
                if not possessive:  # "its unpleasant," — an adjective left where the noun was
                    continue
            else:
                continue
            if not (nxt.is_punct and nxt.text in ",.;:") and nxt.pos_ != "AUX":
                continue
            if _known(word, "n"):
                continue
            if lemmatizer is not None and (lemmatizer.overwrite or t.lemma == 0):
                lemma = str(lemmatizer.lemmatize(t)[0]).lower()
            else:
                lemma = t.lemma_.lower()
            if _known(lemma, "n"):
                continue
            if not (_known(word, "a") or _known(lemma, "a")):
                continue  # a word WordNet does not know at all (a recent coinage) proves nothing
            start, end = offset + prev.idx, offset + nxt.idx
            found.append((offset + t.idx, offset + t.idx + len(t.text), text[start:end].strip()))
    return found


def _foreign_sentences(text: str, language: str) -> list[tuple[int, int, str, str]]:
    """Sentences py3langid gives, with confidence, another language than the document's.

    In an English document a sentence at least :data:`_ENGLISH_SCREEN` of whose words are
    English function words is English and is not classified (four in five BBC sentences;
    classifying them was three quarters of the check's time).
    """
    try:
        from newstrace.stages.ingest import _identifier
    except ImportError:  # pragma: no cover - py3langid is a dependency
        return []
    ident = _identifier()
    out = []
    for s in split_sentences(text):
        words = _LETTERS_RE.findall(s.text)
        if len(words) < _MIN_FOREIGN_WORDS:
            continue
        if language == "en" and sum(w.lower() in STOPWORDS for w in words) >= _ENGLISH_SCREEN * len(words):
            continue
        lang, confidence = ident.classify(s.text)
        if lang != language and len(lang) == 2 and confidence >= _MIN_FOREIGN_CONFIDENCE:
            out.append((s.start, s.end, s.text, lang))
    return out


def _removed_texts(removed: Iterable[Any] | None) -> list[tuple[str, str]]:
    out = []
    for r in removed or ():
        if isinstance(r, dict):
            out.append((str(r.get("text", "")), str(r.get("reason", ""))))
        else:
            out.append((str(getattr(r, "text", "")), str(getattr(r, "reason", ""))))
    return out


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last_of_three_paragraphs(text: str, min_words: int = 15) -> tuple[int, int] | None:
    """The span of the last line of at least ``min_words`` words, when the text has three or
    more such lines (else None): found from the end, so a news text's last three paragraphs
    are read, not all of them."""
    found: list[tuple[int, int]] = []
    end = len(text)
    while end > 0 and len(found) < 3:
        start = text.rfind("\n", 0, end) + 1
        if start < end and len(text[start:end].split()) >= min_words:
            found.append((start, end))
        end = start - 1
    return found[0] if len(found) == 3 else None


def rewrite_signature(
    doc_text: str,
    raw_text: str | None = None,
    removed: list[Any] | None = None,
    *,
    language: str = "en",
    deep: bool = True,
) -> list[dict[str, Any]]:
    """Evidence of how a document was rewritten (spinning, machine translation, aggregation, AI).

    Args:
        doc_text: the cleaned text; spans refer to it.
        raw_text: the text as ingested, where traces that cleaning removed may remain.
        removed: the boilerplate cleaning removed (``Removed`` records or dicts with ``text``
            and ``reason``), where aggregator disclaimers usually end up.
        language: the document's language (sentences in another language are reported).
        deep: also run the checks that need models (WordNet noun-slot misfits, per-sentence
            language identification): 8 ms of CPU a document against 63 ms before they were
            screened (the tagger on the candidates' contexts only, py3langid on the sentences
            that are not plainly English), against 1 ms for the pattern checks, with identical
            items (``python benchmarks/bench_signature.py``: 399 BBC, seed and PAN-13
            documents, load average 12-15).

    Whether ``deep`` belongs to "changes" or to "forensics": to forensics.  These are traces of
    one document, found without its source; they feed direction (``relate/orient.py``) and the
    spinner verdict, and they are stored with the document.  The meaning-change analysis
    (``stages/changes``) is per passage pair and never reads them.  The callers pass their
    ``forensics`` flag, which every entry point (``scan``, ``index add``, ``trace``,
    ``compare``, the service) ties to ``--no-changes``: so ``--no-changes`` still also drops
    these traces, and a document indexed with ``--no-changes`` keeps a shallow signature.
    ``benchmarks/bench_changes.py`` measures both couplings (its ``no-changes+forensics`` mode).
    """
    items: list[dict[str, Any]] = []

    # --- spinning
    entity_hits = [(m.start(), m.end(), m.group()) for m in _ENTITY_RE.finditer(doc_text)]
    for s, e, t in entity_hits:
        items.append(
            _item(
                "spinning",
                f"mangled HTML entity '{t.strip()}': a spinner split '&{t.strip('& ,;')};' into words",
                (s, e),
                t,
                "entity",
            )
        )
    if not entity_hits and raw_text:
        raw_hits = list(_ENTITY_RE.finditer(raw_text))
        for m in raw_hits:
            items.append(
                _item(
                    "spinning",
                    f"mangled HTML entity '{m.group().strip()}' in the ingested text at "
                    f"offset {m.start()} (removed by cleaning)",
                    None,
                    m.group(),
                    "entity",
                )
            )
    quote_hits = _misplaced_quotes(doc_text)
    for s, e, ctx in quote_hits:
        items.append(
            _item(
                "spinning",
                f"quotation opened with a misplaced mark: '{_clip(ctx, 60)}'",
                (s, e),
                doc_text[s:e],
                "quote",
            )
        )
    if not quote_hits and raw_text:
        for s, _, ctx in _misplaced_quotes(raw_text):
            items.append(
                _item(
                    "spinning",
                    f"quotation opened with a closing mark in the ingested text at offset {s}: "
                    f"'{_clip(ctx, 60)}'",
                    None,
                    raw_text[s : s + 1],
                    "quote",
                )
            )
    if deep and language == "en":
        for s, e, ctx in _noun_slot_misfits(doc_text):
            word = doc_text[s:e]
            items.append(
                _item(
                    "spinning",
                    f"'{word}' heads a noun phrase ('{_clip(ctx, 50)}') but has no noun sense in "
                    "WordNet: a substitute chosen for another part of speech",
                    (s, e),
                    word,
                    "noun-slot",
                )
            )

    # --- machine translation (typographic traces count only when there are at least two)
    before_mt = len(items)
    for m in _SPACE_BEFORE_PUNCT_RE.finditer(doc_text):
        s = max(0, m.start() - 20)
        items.append(
            _item(
                "machine-translation",
                f"space before punctuation: '{_clip(doc_text[s : m.end()], 40)}'",
                (m.start(), m.end()),
                m.group(),
                "space-punct",
            )
        )
    for m in _LOWER_START_RE.finditer(doc_text):
        s = max(0, m.start() - 15)
        items.append(
            _item(
                "machine-translation",
                f"sentence starts in lower case after a full stop: '{_clip(doc_text[s : m.end() + 15], 50)}'",
                (m.start(1), m.end(1)),
                m.group(1),
                "lower-start",
            )
        )
    for m in _MIDSENTENCE_CAPITAL_RE.finditer(doc_text):
        s = max(0, m.start() - 15)
        items.append(
            _item(
                "machine-translation",
                f"capitalised '{m.group(1)}' in mid-sentence after a comma: "
                f"'{_clip(doc_text[s : m.end() + 15], 50)}'",
                (m.start(1), m.end(1)),
                m.group(1),
                "mid-capital",
            )
        )
    if len(items) - before_mt < 2:
        del items[before_mt:]
    for s, e, sentence, lang in (_foreign_sentences(doc_text, language) if deep else ()):
        items.append(
            _item(
                "machine-translation",
                f"sentence in another language ({lang}) inside a {language} text: "
                "untranslated or mixed-language",
                (s, e),
                sentence,
                "foreign",
            )
        )

    # --- aggregator
    folded = fold(doc_text)  # the literal screens' form of the text (disclaimers, AI phrases)
    for m in _DISCLAIMER_RE.finditer(doc_text, folded):
        items.append(
            _item(
                "aggregator",
                f"aggregator disclaimer in the text: '{m.group()}'",
                (m.start(), m.end()),
                m.group(),
                "disclaimer",
            )
        )
    seen: set[str] = set()
    for text, reason in _removed_texts(removed):
        hit = _DISCLAIMER_RE.search(text)
        if hit and text not in seen:
            seen.add(text)
            items.append(
                _item(
                    "aggregator",
                    f"automatic-aggregator disclaimer among the removed boilerplate "
                    f"({reason or 'removed'}): '{_clip(text, 70)}'",
                    None,
                    text,
                    "disclaimer",
                )
            )
    shortcodes = [(m.start(), m.end()) for m in _AD_SHORTCODE_RE.finditer(doc_text)]
    for s, e in shortcodes:
        items.append(
            _item("aggregator", "ad shortcode of a scraping plugin left in the text", (s, e), doc_text[s:e], "shortcode")
        )
    if not shortcodes:
        for text, reason in _removed_texts(removed):
            if _AD_SHORTCODE_RE.search(text):
                items.append(
                    _item(
                        "aggregator",
                        f"ad shortcode of a scraping plugin among the removed boilerplate "
                        f"({reason or 'removed'})",
                        None,
                        text,
                        "shortcode",
                    )
                )
    closing = _last_of_three_paragraphs(doc_text)
    if closing is not None:
        s, e = closing
        last = doc_text[s:e]
        concl = _CONCLUSION_RE.match(last)
        if concl:
            items.append(
                _item(
                    "aggregator",
                    f"generic concluding paragraph opening with '{concl.group().strip()}' "
                    "(a summary added by a rewriting tool)",
                    (s, e),
                    last,
                    "conclusion",
                )
            )

    # --- AI rewrite
    ai_hits = [(label, m) for (label, rx), needs in zip(_AI_PHRASES, _AI_LITERALS, strict=True)
               if any(need in folded for need in needs) for m in rx.finditer(doc_text)]
    if len({label for label, _ in ai_hits}) >= _MIN_AI_PHRASES:
        for label, m in sorted(ai_hits, key=lambda x: x[1].start()):
            items.append(
                _item(
                    "ai-rewrite",
                    f"stock phrase of language-model paraphrase: {label}",
                    (m.start(), m.end()),
                    m.group(),
                    "ai-phrase",
                )
            )
    return items
