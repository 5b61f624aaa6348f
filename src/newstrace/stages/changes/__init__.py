"""Meaning changes: what a rewrite changed inside an aligned passage pair, and whether it matters.

``diff_passage`` compares an aligned source passage with its target passage in two steps:

1. **Sentences** are aligned monotonically by content-word overlap (a word counts as shared
   when its lemma, or a WordNet synonym of it, is on the other side), with 1:2 and 2:1 merges;
   a sentence left on one side only is an ``omission`` or ``addition``.
2. **Tokens** inside each aligned sentence group are aligned on lemma keys (names normalised:
   case, possessive, demonyms; numbers parsed, words included), words moved within the
   sentence are recognised, and the remaining content words of each gap are paired by WordNet
   relatedness.  Every remaining difference becomes a :class:`~newstrace.types.Change`.

Each change is classified ``harmless`` (same-sense synonym, function words, reordering,
inflection) or ``meaning``, with a kind:

* ``entity`` a person, place, organisation or nationality swapped, added or dropped;
* ``number`` a number, date, quantity or percentage changed;
* ``quote`` words inside quotation marks altered, quotation marks dropped or added (quoted
  and reported speech swapped), or a quotation given another speaker;
* ``attribution`` a source ("according to", "X said") dropped or added, a claim turned into
  a fact or a fact into a claim ("say" → "claim");
* ``polarity`` negation added or removed, an antonym;
* ``hedge`` a qualifier added, dropped or changed in strength ("may" → "will");
* ``word-sense`` a substitute related in WordNet only to *another* sense of the source word
  than the one its context uses, or to another part of speech than the one the sentence needs
  (the spinner's error: "nominal allies" → "minimum allies", "the offensive" → "the insulting");
* ``omission`` / ``addition`` content on one side only;
* ``synonym`` (harmless) a same-sense substitute; ``rewording`` (harmless) anything else.

The context sense of a word is chosen Lesk-style: a synonym of the sense a few words away
("weapons, arms and ammunition"), words of its gloss and examples in the sentence, and, for
adjectives, a modified noun of the same kind (persons, groups) as the nouns the sense's
examples qualify, plus a small sense-frequency prior.  A substitute is only called a
word-sense error when its link to the source word goes through a sense that strong context
evidence rules out (a synonym nearby or a matching noun class; gloss overlap alone is too
weak), or when it has no sense at all in the part of speech its slot needs.  Substitutes
WordNet does not relate to the source word in any sense are reported as harmless rewording:
WordNet cannot tell a paraphrase from an error there.

Resources: spaCy 3.8 with ``en_core_web_sm`` (tokens, POS, lemmas and NER; only those
components are loaded) and WordNet 3.0 from Debian's ``wordnet-base`` read with NLTK's
reader, offline.  Both are loaded lazily once per process; without them the stage still
aligns and reports differences, with cruder lemmas and no sense checks.
"""

from __future__ import annotations

from newstrace.stages.changes.config import CONFIG, ChangesConfig
from newstrace.stages.changes.diff import diff_passage
from newstrace.stages.changes.facts import FactConfig, fact_changes
from newstrace.stages.changes.lexicon import _FUNCTION
from newstrace.stages.changes.records import HARMLESS_KINDS, MEANING_KINDS
from newstrace.stages.changes.relation import annotate_relation
from newstrace.stages.changes.resources import (
    SPACY_MODELS,
    WORDNET_DIRS,
    _known,
    checks_off,
    nlp,
    wordnet,
    wordnet_available,
)

__all__ = [
    "CONFIG",
    "HARMLESS_KINDS",
    "MEANING_KINDS",
    "SPACY_MODELS",
    "WORDNET_DIRS",
    "_FUNCTION",
    "ChangesConfig",
    "FactConfig",
    "_known",
    "annotate_relation",
    "checks_off",
    "diff_passage",
    "fact_changes",
    "nlp",
    "wordnet",
    "wordnet_available",
]
