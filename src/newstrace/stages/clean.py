"""Cleaning: normalise the text and remove site boilerplate, keeping a map back to the original.

Web copies of news carry their site's chrome: ad shortcodes (``[ad_1]``), date bars,
taglines, category crumbs, share widgets, comment prompts, legal disclaimers of automatic
aggregators, mangled HTML entities (``& nbsp,``).  Left in, they create false reuse between
unrelated articles of one site and hide true reuse.  Two kinds of evidence remove them:

* general rules on a line's form and place (header and footer zones, a line that is only a
  date, a shortcode, a widget label or a legal disclaimer), never a list of known lines;
* across a collection, lines that recur in several documents which otherwise differ
  (the same tagline on every page of a site) — while lines shared by near-identical
  documents (a verbatim repost) are content, and are kept.

Every kept character keeps its position in the original (``Document.offsets``) and every
removed piece is listed with its reason (``Document.removed``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import xxhash

from newstrace.stages.literals import ScreenedPattern
from newstrace.types import Document, Removed

__all__ = ["CleanConfig", "clean", "clean_collection", "count_unrelated", "document_lines", "line_key",
           "recurring_lines", "sampled_carriers"]


@dataclass(frozen=True, slots=True)
class CleanConfig:
    """Cleaning settings.

    ``recurring_min_docs``: a line seen in at least this many otherwise different documents
    is boilerplate.  Two documents are "otherwise different" when their text besides the line
    shares less than ``copy_containment`` of the smaller one's word 4-grams.  Calibrated on
    the wire benchmark (n=1,000, 3,000 random pairs each): copies of one article, truncated,
    edited and under their own site lines, share 0.64-1.0 of it (1st percentile 0.75, median
    0.89); two different BBC articles at most 0.04.  0.5 sits in the middle of that gap.  ``recurring_sample`` carriers of a line are
    examined, evenly spread over them.  ``body_min_words``: a line this long starts the
    article body; shorter lines before it are the header zone.
    """

    recurring_min_docs: int = 3
    recurring_max_words: int = 60
    copy_containment: float = 0.5
    recurring_sample: int = 32
    body_min_words: int = 15
    header_max_words: int = 12
    footer_max_words: int = 10

    def __post_init__(self) -> None:
        if self.recurring_min_docs < 2:
            raise ValueError(f"recurring_min_docs must be >= 2, got {self.recurring_min_docs!r}")
        if not 0.0 < self.copy_containment <= 1.0:
            raise ValueError(f"copy_containment must be in (0, 1], got {self.copy_containment!r}")
        if self.recurring_sample < self.recurring_min_docs:
            raise ValueError(f"recurring_sample must be >= recurring_min_docs, got {self.recurring_sample!r}")


DEFAULT_CONFIG = CleanConfig()

# -- character-level normalisation ------------------------------------------------------

_CHAR_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u00a0": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "",
    "\t": " ", "\r": "",
}
# Entities, proper (``&nbsp;``) and mangled by careless scrapers (``& nbsp,``, ``&nbsp``).
_ENTITY_RE = re.compile(r"&\s?(#\d{2,5}|#x[0-9a-fA-F]{2,4}|[a-zA-Z]{2,8})\s?[;,]?(?=\W|$)")
_KNOWN_ENTITIES = frozenset({"nbsp", "amp", "quot", "apos", "lt", "gt", "mdash", "ndash", "hellip",
                             "rsquo", "lsquo", "rdquo", "ldquo", "copy", "reg", "trade", "laquo", "raquo"})


_SPECIAL_RE = re.compile(r"&|[^\x20-\x7e]| {2,}")


def _normalise_char(ch: str) -> str:
    mapped = _CHAR_MAP.get(ch)
    if mapped is None:
        mapped = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
        mapped = "".join(_CHAR_MAP.get(c, c) for c in mapped)
    return mapped


def _plain(line: str) -> bool:
    """Whether ``_SPECIAL_RE`` finds nothing in ``line`` (printable ASCII, no ``&``, no two
    spaces in a row), by string methods that run in C instead of the pattern's scan."""
    return line.isascii() and line.isprintable() and "&" not in line and "  " not in line


def _normalise_line(raw: str, base: int) -> tuple[str, list[int]]:
    """Normalise one line; return the text and, per output character, its original offset.

    Plain ASCII runs are copied as they are; only entities, non-ASCII characters and runs of
    spaces are looked at one by one.  A line with none of them (most lines) is only stripped
    of its edge spaces, without going character by character.
    """
    if _plain(raw):
        text = raw.strip(" ")
        lead = len(raw) - len(raw.lstrip(" "))
        return text, list(range(base + lead, base + lead + len(text)))
    out: list[str] = []
    pos: list[int] = []

    def put(text: str, at: int) -> None:
        for ch in text:
            if ch == " " and (not out or out[-1] == " "):
                continue
            out.append(ch)
            pos.append(at)

    i = 0
    for m in _SPECIAL_RE.finditer(raw):
        if m.start() < i:
            continue
        if m.start() > i:
            segment = raw[i : m.start()]
            if segment[0] == " " and out and out[-1] == " ":
                segment, i = segment[1:], i + 1
            out.extend(segment)
            pos.extend(range(base + i, base + m.start()))
        i = m.start()
        if raw[i] == "&":
            e = _ENTITY_RE.match(raw, i)
            if e and (e.group(1).startswith("#") or e.group(1).lower() in _KNOWN_ENTITIES):
                put("".join(_normalise_char(c) for c in html.unescape("&" + e.group(1) + ";")), base + i)
                i = e.end()
                continue
            put("&", base + i)
            i += 1
        elif raw[i] == " ":
            put(" ", base + i)
            i = m.end()
        else:
            put(_normalise_char(raw[i]), base + i)
            i += 1
    if i < len(raw):
        segment = raw[i:]
        if segment[0] == " " and out and out[-1] == " ":
            segment, i = segment[1:], i + 1
        out.extend(segment)
        pos.extend(range(base + i, base + len(raw)))
    while out and out[-1] == " ":
        out.pop()
        pos.pop()
    while out and out[0] == " ":
        out.pop(0)
        pos.pop(0)
    return "".join(out), pos


# -- line classification ------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_DATE_LINE_RE = re.compile(
    rf"^(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})(?:,?\s+\d{{1,2}}:\d{{2}}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{{2,4}})?)?$",
    re.IGNORECASE,
)
# Each rule matches a whole line, except the disclaimer, found anywhere in one: a search over
# every position of every line, so screened by the literals of its branches (one for each, in
# order: ``tests/unit/test_literals.py``).
_RULES: tuple[tuple[str, re.Pattern[str] | ScreenedPattern], ...] = (
    ("ad shortcode", re.compile(r"^\[(?:ad|ads|advert|advertisement|banner|sponsored)[_ -]?\w*\]$", re.I)),
    ("ad label", re.compile(r"^(?:advertisement|sponsored(?: content)?|ad|ads by \w+|story continues below(?: advertisement)?)$", re.I)),
    ("share widget", re.compile(
        r"^(?:(?:share|tweet|pin(?: it)?|email|print|whatsapp|facebook|twitter|linkedin|telegram|reddit|copy link"
        r"|share (?:this|on) \w+|share this (?:article|story|post)|click to share[^.]*)[\s|,/•·-]*){1,8}$", re.I)),
    ("comment prompt", re.compile(
        r"^(?:leave a (?:comment|reply)|post a comment|add (?:a )?comment|\d+\s+comments?|comments?|"
        r"join the (?:discussion|conversation)|be the first to comment|you must be logged in to post a comment\.?)$", re.I)),
    ("category crumbs", re.compile(r"^(?:categor(?:y|ies)|tags?|filed under|posted in|topics?|sections?)\s*:.*$", re.I)),
    ("breadcrumb", re.compile(r"^(?:home|news)\s*(?:[>»/|›]\s*[\w .'-]+){1,6}$", re.I)),
    ("date line", _DATE_LINE_RE),
    ("disclaimer", ScreenedPattern(re.compile(
        r"(?:denial of responsibility|disclaimer\s*[:!-]|all trademarks belong|all rights reserved|"
        r"automatic aggregator|we will take necessary action|for any complaint|dmca|"
        r"this (?:article|story|content) (?:was|is|has been) (?:automatically )?(?:generated|published) from (?:a|an) "
        r"(?:syndicated|agency) feed|copyright\s*(?:©|\(c\))|©\s*\d{4})", re.I),
        ("denial of responsibility", "disclaimer", "all trademarks belong", "all rights reserved", "automatic aggregator",
         "we will take necessary action", "for any complaint", "dmca", " feed", "copyright", "©"))),
    ("newsletter prompt", re.compile(
        r"^(?:subscribe|sign up)(?: (?:to|for) (?:our|the) [\w ]+)?[.!]?$|^(?:read more|related|more articles?|see also|"
        r"also read|recommended|continue reading)\s*:?.{0,80}$", re.I)),
)
_SENTENCE_END_RE = re.compile(r"[.!?…\"')]$")
_CREDIT_RE = re.compile(r"\b(?:reporting by|editing by|written by|by [A-Z][a-z]+ [A-Z][a-z]+|according to|said)\b")


def line_key(line: str) -> int:
    """A hash of a line's words, case-folded: how recurring lines are counted."""
    words = _WORD_RE.findall(line.casefold())
    return xxhash.xxh64_intdigest(" ".join(words)) if words else 0


def _rule_reason(line: str, *, screened: bool = True) -> str | None:
    """The rule a line is removed by, if any; with ``screened`` false, the screened patterns'
    literals are known to be absent from the line (see ``clean``), so they are not run."""
    for reason, pattern in _RULES:
        if isinstance(pattern, ScreenedPattern):
            if screened and pattern.search(line):
                return reason
        elif pattern.match(line):
            return reason
    return None


def _split_lines(raw: str) -> list[tuple[int, int]]:
    """Non-blank lines of ``raw`` as spans (line breaks inside a paragraph are kept as lines)."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", raw) if m.group().strip()]


_OPEN_END_RE = re.compile(r"(?:[^\W\d_]|[,;-])$", re.UNICODE)


def _continues(raw: str, prev: tuple[int, int], cur: tuple[int, int], prev_text: str, text: str) -> bool:
    """Whether a line continues the previous line's sentence (hard-wrapped text): a single line
    break, the previous line breaks off after a word, comma, semicolon or hyphen, and this line
    starts with a lower-case letter."""
    text = text.lstrip()
    return (raw.count("\n", prev[1], cur[0]) == 1 and bool(_OPEN_END_RE.search(prev_text.rstrip()))
            and bool(text) and text[0].islower())


# -- collection-level evidence ---------------------------------------------------------------


_SHINGLE_WORDS = 4
# Keep one shingle hash in 4 (by value, so every document keeps the same ones): containment
# between two documents is estimated on a quarter of their shingles, a 400-word article still
# gives ~100, and ``recurring_lines`` on the 5,501 documents of the 5,000-copy wire benchmark
# peaks at 43 MB (tracemalloc).
_SHINGLE_MOD = 4


def _line_shingles(words: Sequence[str]) -> frozenset[int]:
    """The sampled word 4-gram hashes of one line (a shorter line is one shingle)."""
    if len(words) < _SHINGLE_WORDS:
        grams: Iterable[str] = [" ".join(words)] if words else []
    else:
        grams = map(" ".join, zip(*(words[k:] for k in range(_SHINGLE_WORDS)), strict=False))  # the 4-grams
    return frozenset(h for h in map(xxhash.xxh64_intdigest, grams) if h % _SHINGLE_MOD == 0)


def _containment_besides(a: frozenset[int], b: frozenset[int], line: frozenset[int]) -> float:
    """Share of the smaller of sketches ``a - line`` and ``b - line`` found in the other, where
    both ``a`` and ``b`` hold all of ``line`` (so no set is copied).  1.0 when either is empty:
    a document with no other text cannot show that it differs."""
    small = min(len(a), len(b)) - len(line)
    return 1.0 if small <= 0 else (len(a & b) - len(line)) / small


_Cache = dict[int, tuple[frozenset[int], int]]


def document_lines(raw: str) -> list[tuple[int, frozenset[int], int]]:
    """Each distinct line of ``raw`` as ``(line key, sampled shingle sketch, word count)``, in
    order: what :func:`recurring_lines` learns from one document (a pure function, so a Spark
    engine can run it per partition and count line keys with a ``reduceByKey``)."""
    out: list[tuple[int, frozenset[int], int]] = []
    seen: set[int] = set()
    for s, e in _split_lines(raw):
        words = _WORD_RE.findall(raw[s:e].casefold())
        if not words:
            continue
        k = xxhash.xxh64_intdigest(" ".join(words))
        if k in seen:
            continue
        seen.add(k)
        out.append((k, _line_shingles(words), len(words)))
    return out


def count_unrelated(line: frozenset[int], line_words: int, carriers: Iterable[tuple[frozenset[int], int]],
                    config: CleanConfig = DEFAULT_CONFIG) -> int:
    """How many mutually unrelated documents among ``carriers`` (each its whole-text sketch and
    word count, in collection order, already sampled) carry the line with sketch ``line``,
    counted up to ``recurring_min_docs`` (the greedy grouping of :func:`_unrelated_carriers`).
    ``carriers`` is read lazily: it stops at ``recurring_min_docs`` groups."""
    reps: list[frozenset[int]] = []
    for sketch, n_words in carriers:
        if n_words - line_words < line_words:
            continue
        if not any(_containment_besides(sketch, r, line) >= config.copy_containment for r in reps):
            reps.append(sketch)
            if len(reps) >= config.recurring_min_docs:
                break
    return len(reps)


def sampled_carriers(n: int, config: CleanConfig = DEFAULT_CONFIG) -> list[int]:
    """Positions (in collection order) of the carriers of a line carried by ``n`` documents
    that are compared: ``recurring_sample`` of them, evenly spread."""
    m = min(n, config.recurring_sample)
    return [i * n // m for i in range(m)]


class _LineIndex:
    """Each document's line keys, each line's shingle sketch (stored once per distinct line)
    and, for the short lines, the documents carrying them: one pass, linear in the collection."""

    def __init__(self, documents: Iterable[Document], config: CleanConfig) -> None:
        self.doc_keys: list[tuple[int, ...]] = []
        self.shingles: dict[int, frozenset[int]] = {}
        self.words: dict[int, int] = {}
        self.carriers: dict[int, list[int]] = defaultdict(list)
        for d_idx, doc in enumerate(documents):
            keys: list[int] = []
            for k, shingles, n_words in document_lines(doc.raw):
                keys.append(k)
                if k not in self.shingles:
                    self.shingles[k] = shingles
                    self.words[k] = n_words
                if n_words <= config.recurring_max_words:
                    self.carriers[k].append(d_idx)
            self.doc_keys.append(tuple(keys))

    def text_of(self, d_idx: int, cache: _Cache) -> tuple[frozenset[int], int]:
        """The sketch and word count of document ``d_idx`` (cached: a document carries many lines)."""
        got = cache.get(d_idx)
        if got is None:
            keys = self.doc_keys[d_idx]
            got = frozenset().union(*(self.shingles[k] for k in keys)), sum(self.words[k] for k in keys)
            cache[d_idx] = got
        return got


def _unrelated_carriers(index: _LineIndex, key: int, cache: _Cache, config: CleanConfig) -> int:
    """How many mutually unrelated documents carry line ``key`` (counted up to ``recurring_min_docs``).

    Carriers are sampled evenly (``recurring_sample``) and grouped greedily: a carrier joins the
    first group whose representative shares ``copy_containment`` of its other text (the text
    besides this line), else it opens a group.  Copies of one article, truncated or lightly
    edited, fall into one group however many there are.  A carrier whose other text is shorter
    than the line itself is no witness: the line is most of what it says, so it is that
    document's content, and what is left (its own site lines, a headline) cannot show whether
    it differs from the others.
    """
    docs = index.carriers[key]
    sampled = (index.text_of(docs[i], cache) for i in sampled_carriers(len(docs), config))
    return count_unrelated(index.shingles[key], index.words[key], sampled, config)


def recurring_lines(documents: Iterable[Document], config: CleanConfig = DEFAULT_CONFIG) -> frozenset[int]:
    """Keys of lines that recur across otherwise different documents of the collection.

    Boilerplate is text a site repeats across *different* articles; a paragraph that recurs
    because the documents are copies of one another (a wire story reposted a thousand times)
    is content.  So a short line (``recurring_max_words``) is boilerplate only when it is
    carried by ``recurring_min_docs`` documents that are otherwise unrelated: their text
    besides this line shares less than ``copy_containment`` of the smaller one's shingles
    (:func:`_unrelated_carriers`).  Counting unrelated carriers rather than carriers makes the
    verdict the same for every copy, whatever the number of copies.

    Documents are compared on their whole text, long lines included, so a site's menu of
    short lines does not make its different articles look alike (a set-of-lines comparison
    would); chrome longer than the articles it frames still can, and is then left to the
    header and footer zone rules.  Cost: one pass over the lines, then per recurring line at
    most ``recurring_sample`` sketch comparisons against at most ``recurring_min_docs``
    representatives, never all pairs.
    """
    index = _LineIndex(documents, config)
    candidates = [k for k, docs in index.carriers.items() if len(docs) >= config.recurring_min_docs]
    cache: _Cache = {}
    return frozenset(k for k in candidates
                     if _unrelated_carriers(index, k, cache, config) >= config.recurring_min_docs)


# -- per-document cleaning ---------------------------------------------------------------------


def clean(doc: Document, recurring: frozenset[int] = frozenset(), config: CleanConfig = DEFAULT_CONFIG) -> Document:
    """Fill ``doc.text``, ``doc.offsets`` and ``doc.removed`` from ``doc.raw``.

    Paragraphs are joined with a blank line.  Returns the same document, for chaining.
    """
    raw = doc.raw
    lines = _split_lines(raw)
    reasons: list[str | None] = []
    seen_in_doc: Counter[int] = Counter()
    norm: list[tuple[str, list[int]]] = [_normalise_line(raw[s:e], s) for s, e in lines]
    # Screened once for the whole document: a line holding one of the literals puts it in the
    # lines joined, so when they hold none, no line can match and none is searched.
    joined = "\n".join(text for text, _ in norm)
    screened = any(p.possible(joined) for _, p in _RULES if isinstance(p, ScreenedPattern))
    for text, _ in norm:
        reason = None
        if not _WORD_RE.search(text):
            reason = "no words" if text.strip() else "blank"
        else:
            reason = _rule_reason(text.strip(), screened=screened)
        key = line_key(text)
        if reason is None and key in recurring:
            reason = "recurring across documents"
        if reason is None and seen_in_doc[key] and len(_WORD_RE.findall(text)) >= 3:
            reason = "repeated within document"
        seen_in_doc[key] += 1
        reasons.append(reason)

    # The zone rules judge units: a line, or a hard-wrapped paragraph's lines together (a line
    # that continues the sentence of the line before it, see _continues), so that the short
    # first or last line of a wrapped paragraph is not taken for a header or footer.
    units: list[list[int]] = []
    for i, (text, _) in enumerate(norm):
        if (units and reasons[i] is None and reasons[units[-1][-1]] is None
                and _continues(raw, lines[units[-1][-1]], lines[i], norm[units[-1][-1]][0], text)):
            units[-1].append(i)
        else:
            units.append([i])
    n_words = [sum(len(_WORD_RE.findall(norm[i][0])) for i in u) for u in units]
    live = [reasons[u[0]] is None for u in units]
    body = [k for k, u in enumerate(units) if live[k] and n_words[k] >= config.body_min_words]

    def mark(k: int, reason: str) -> None:
        for i in units[k]:
            reasons[i] = reason

    if body:
        first, last = body[0], body[-1]
        # Header zone: keep the headline (the longest short unit), drop the rest of the chrome.
        header = [k for k in range(first) if live[k]]
        if header:
            headline = max(header, key=lambda k: (n_words[k], -k))
            for k in header:
                if k != headline and n_words[k] <= config.header_max_words:
                    mark(k, "site header (masthead, tagline or byline chrome)")
        # Footer zone: short trailing units that are not sentences or credits.
        for k in range(last + 1, len(units)):
            text = " ".join(norm[i][0].strip() for i in units[k])
            if live[k] and n_words[k] <= config.footer_max_words and not (
                _SENTENCE_END_RE.search(text) and n_words[k] >= 4) and not _CREDIT_RE.search(text):
                mark(k, "site footer")

    chars: list[str] = []
    offsets: list[int] = []
    removed: list[Removed] = []
    prev_end: int | None = None
    for (s, e), (text, pos), reason in zip(lines, norm, reasons, strict=True):
        if reason is not None:
            removed.append(Removed(s, e, raw[s:e], reason))
            prev_end = None
            continue
        if chars:
            # Keep a wrapped paragraph's single line breaks; anything else is a paragraph break.
            sep = "\n" if prev_end is not None and raw.count("\n", prev_end, s) == 1 else "\n\n"
            chars.extend(sep)
            offsets.extend([s] * len(sep))
        chars.extend(text)
        offsets.extend(pos)
        prev_end = e
    offsets.append(len(raw))
    doc.text = "".join(chars)
    doc.offsets = offsets
    doc.removed = removed
    if doc.title:
        doc.title = _normalise_line(doc.title, 0)[0] or None
    if not doc.title or line_key(doc.title) in {line_key(r.text) for r in removed}:
        first_line = doc.text.split("\n", 1)[0].strip()
        doc.title = first_line if 0 < len(first_line) <= 200 else doc.title
    return doc


def clean_collection(documents: Sequence[Document], config: CleanConfig = DEFAULT_CONFIG) -> list[Document]:
    """Clean every document, using the lines that recur across the collection as evidence."""
    recurring = recurring_lines(documents, config)
    return [clean(d, recurring, config) for d in documents]
