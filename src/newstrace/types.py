"""The typed records that flow between newstrace's stages.

Every stage consumes and produces these records, so the CLI, the Python API and any
executor (local processes now, Spark later) speak the same language.  All spans are
half-open ``(start, end)`` character offsets into a document's *cleaned* ``text``;
``Document.to_original`` maps them back to the text as ingested.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "RELATION_TYPES",
    "Alignment",
    "Change",
    "Direction",
    "Document",
    "Family",
    "FamilyEdge",
    "InputError",
    "Passage",
    "Rejected",
    "Relation",
    "RelationType",
    "Removed",
    "Sentence",
    "Span",
    "Story",
]

Span = tuple[int, int]

RelationType = Literal["verbatim", "near-duplicate", "spun", "paraphrase", "summary", "translation"]
RELATION_TYPES: tuple[str, ...] = ("verbatim", "near-duplicate", "spun", "paraphrase", "summary", "translation")


@dataclass(frozen=True, slots=True)
class InputError:
    """One input that could not be read: named, with the reason, never silently dropped."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Rejected:
    """Returned by a reader instead of raising, so a batch goes on after a bad input."""

    reason: str


@dataclass(frozen=True, slots=True)
class Removed:
    """A piece of the ingested text that cleaning removed, with why.

    ``start``/``end`` are offsets into the ingested (original) text.
    """

    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a cleaned text, as offsets into it."""

    start: int
    end: int
    text: str


@dataclass(slots=True)
class Document:
    """One article.

    ``raw`` is the text as ingested (the main text trafilatura extracted, for HTML);
    ``text`` is the cleaned text every span refers to; ``offsets[i]`` is the position in
    ``raw`` of ``text[i]`` (with one extra entry for the end), so any cleaned span maps
    back to the original.  ``signature`` lists the traces of the rewriting the text went
    through (spinning, machine translation, aggregator or AI rewrite), each with its evidence;
    ``deep_signature`` says whether its checks that need models ran (``--no-changes`` leaves
    them out), so that two signatures are compared on the checks both had.
    """

    id: str
    raw: str
    path: str | None = None
    title: str | None = None
    url: str | None = None
    site: str | None = None
    published: str | None = None
    language: str | None = None
    text: str = ""
    offsets: list[int] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    signature: list[dict[str, object]] = field(default_factory=list)
    deep_signature: bool = True

    def to_original(self, span: Span) -> Span:
        """Map a span of the cleaned ``text`` to the matching span of ``raw``."""
        start, end = span
        if not self.offsets:
            return span
        s = self.offsets[min(start, len(self.offsets) - 1)]
        if end <= start:
            return (s, s)
        e = self.offsets[min(end - 1, len(self.offsets) - 1)] + 1
        return (s, max(s, e))

    def to_cleaned(self, raw_pos: int) -> int:
        """Map a position in ``raw`` to the nearest position in the cleaned ``text``."""
        if not self.offsets:
            return raw_pos
        return max(0, bisect_right(self.offsets, raw_pos) - 1)


@dataclass(frozen=True, slots=True)
class Change:
    """A difference inside an aligned passage pair (filled by the meaning-change stage)."""

    kind: str
    severity: Literal["harmless", "meaning"]
    source_span: Span
    target_span: Span
    source_text: str
    target_text: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Alignment:
    """Two spans, one in each text, that correspond: the aligner's output.

    ``similarity`` is in [0, 1]; ``method`` names the seeding evidence that produced it.
    """

    source_span: Span
    target_span: Span
    similarity: float
    method: str = "lexical"


@dataclass(frozen=True, slots=True)
class Passage:
    """An aligned passage between two documents, with the texts for display."""

    source_span: Span
    target_span: Span
    source_text: str
    target_text: str
    similarity: float
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True, slots=True)
class Direction:
    """Which way the reuse goes, and what decided it."""

    decided_by: Literal["published-date", "containment", "rewrite-artefacts", "undetermined"]
    note: str


@dataclass(frozen=True, slots=True)
class Relation:
    """``target`` derives from ``source``: how, how sure, and the aligned passages."""

    source: str
    target: str
    type: str
    confidence: float
    direction: Direction
    source_coverage: float
    target_coverage: float
    passages: tuple[Passage, ...]
    evidence: tuple[str, ...] = ()


# -- families and stories (newstrace.stages.families, newstrace.stages.stories) -------------------


@dataclass(frozen=True, slots=True)
class FamilyEdge:
    """``target`` derives from ``source`` inside a family.

    ``primary`` marks the edge from a member's most direct parent (the provenance tree); the
    other relations between members stay as secondary edges.  ``source`` may be the family's
    hypothetical archetype (``Family.archetype``), which has no document and no passages.
    """

    source: str
    target: str
    type: str
    primary: bool
    confidence: float
    direction: str
    evidence: tuple[str, ...] = ()
    passages: tuple[Passage, ...] = ()


@dataclass(frozen=True, slots=True)
class Family:
    """Documents linked by reuse: the original (or an unseen common source) and who copied whom."""

    id: str
    root: str
    members: tuple[str, ...]
    edges: tuple[FamilyEdge, ...]
    archetype: bool = False
    root_evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """Documents about the same event, whether or not they share text, with the families inside."""

    id: str
    label: str
    documents: tuple[str, ...]
    families: tuple[str, ...] = ()
    first_published: str | None = None
    last_published: str | None = None
    #: The title of the member article that best says what the story is about
    #: (``newstrace.stages.stories.naming``); None when no member has a title that reads as one.
    headline: str | None = None
