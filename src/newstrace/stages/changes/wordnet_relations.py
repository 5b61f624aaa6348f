"""WordNet relations between words: synsets, weighted pointers (synonym, hypernym, similar-to,
derived...), the strongest link between two words and the sense it starts from, antonyms,
concept distance, gloss and example words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from newstrace.stages.changes.config import CONFIG
from newstrace.stages.changes.lexicon import _FUNCTION, _LIGHT_VERBS
from newstrace.stages.changes.records import _Link
from newstrace.stages.changes.resources import _known, _sense_ids, wordnet
from newstrace.stages.text import stem_words

_UPOS_WN = {"NOUN": "n", "PROPN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}


def _same_pos(p: str, q: str) -> bool:
    return p == q or {p, q} <= {"a", "s"}


@lru_cache(maxsize=65536)
def _synsets(lemma: str, pos: str | None = None) -> tuple[Any, ...]:
    wn = wordnet()
    if wn is None or not lemma or not re.match(r"^[\w' -]+$", lemma):
        return ()
    word = lemma.replace(" ", "_")
    try:
        found = wn.synsets(word, pos) if pos else wn.synsets(word)
        if not found and "-" in word:
            found = wn.synsets(word.replace("-", "_"), pos) if pos else wn.synsets(word.replace("-", "_"))
    except Exception:
        return ()
    return tuple(found)


def _lemma_objs(synset: Any, word: str) -> list[Any]:
    w = word.replace(" ", "_").replace("-", "_").lower()
    wn = wordnet()
    found = [lem for lem in synset.lemmas() if lem.name().lower().replace("-", "_") == w]
    if not found and wn is not None:
        base = wn.morphy(w, synset.pos() if synset.pos() != "s" else "a")
        found = [lem for lem in synset.lemmas() if lem.name().lower() == base]
    return found


_POINTER_WEIGHTS = {
    "&": (0.85, "similar"), "^": (0.8, "see-also"), "$": (0.85, "similar"), "@": (0.8, "broader"),
    "@i": (0.8, "broader"), "*": (0.6, "related"), ">": (0.6, "related"), "=": (0.6, "related"),
    "%p": (0.5, "part"), "%s": (0.5, "part"), "#p": (0.5, "whole"), "#s": (0.5, "whole"),
}


_LEMMA_POINTER_WEIGHTS = {"+": (0.85, "derived"), "\\": (0.85, "derived")}


def _sid(synset: Any) -> tuple[str, int]:
    pos = synset.pos()
    return ("a" if pos == "s" else pos, synset.offset())


@lru_cache(maxsize=65536)
def _pointer_ids(synset: Any, word: str | None) -> tuple[tuple[tuple[str, int], float, str], ...]:
    """Synsets one relation away (never down to hyponyms) as (part of speech, offset) ids, weighted by
    how close the meaning stays; read from the synset's pointers without loading the neighbours."""
    out: list[tuple[tuple[str, int], float, str]] = []
    pointers = getattr(synset, "_pointers", {})
    for symbol, (w, rel) in _POINTER_WEIGHTS.items():
        for pos, off in pointers.get(symbol, ()):
            out.append((("a" if pos == "s" else pos, off), w, rel))
    lemma_pointers = getattr(synset, "_lemma_pointers", {})
    names = {lem.name() for lem in (_lemma_objs(synset, word) if word else synset.lemmas())}
    for (name, symbol), tups in lemma_pointers.items():
        if name in names and symbol in _LEMMA_POINTER_WEIGHTS:
            w, rel = _LEMMA_POINTER_WEIGHTS[symbol]
            out.extend((("a" if pos == "s" else pos, off), w, rel) for pos, off, _ in tups)
    return tuple(out)


@lru_cache(maxsize=65536)
def _parent_ids(synset: Any) -> frozenset[tuple[str, int]]:
    pointers = getattr(synset, "_pointers", {})
    return frozenset(("a" if p == "s" else p, o) for sym in ("@", "@i") for p, o in pointers.get(sym, ()))


@lru_cache(maxsize=65536)
def _link_from(start: Any, word: str, target: str) -> _Link | None:
    """The closest relation (at most two steps) from one sense of ``word`` to any sense of ``target``."""
    targets = _synsets(target)
    if not targets:
        return None
    by_id = {_sid(y): y for y in targets}
    sid = _sid(start)
    if sid in by_id:
        return _Link(1.0, start, start, None, "synonym")
    # senses of the target just below a synset: start → (relation) → parent of a target sense
    below: dict[tuple[str, int], Any] = {}
    for y in targets:
        for h in sorted(_parent_ids(y)):
            below.setdefault(h, y)
    best: _Link | None = None

    def offer(strength: float, end: Any, via: Any | None, rel: str) -> None:
        nonlocal best
        if best is None or strength > best.strength + 1e-9:
            best = _Link(strength, start, end, via, rel)

    if sid in below:
        offer(0.78, below[sid], None, "narrower")
    wn = wordnet()
    for n1, w1, r1 in _pointer_ids(start, word):
        if n1 in by_id:
            offer(w1, by_id[n1], None, r1)
            continue
        if w1 < 0.75:
            continue
        if n1 in below:
            if r1 != "broader":
                offer(w1 * 0.78, below[n1], None, f"{r1}+narrower")
            else:
                offer(0.64, below[n1], None, "sibling")
        hits = [(n2, w2, r2) for n2, w2, r2 in _second_hop(n1) if n2 in by_id and n2 != sid]
        if hits and wn is not None:
            via = wn.synset_from_pos_and_offset(*n1)
            for n2, w2, r2 in hits:
                offer(w1 * w2, by_id[n2], via, f"{r1}+{r2}")
    if best is None or best.strength < 0.7:
        # a synonym of a synonym: another word of this sense whose other senses include the target
        for lem in start.lemmas():
            other = lem.name().lower()
            if other in (word, target.replace(" ", "_")):
                continue
            shared = sorted(_sense_ids(other) & by_id.keys())
            if shared:
                offer(0.7, by_id[shared[0]], None, f"synonym of '{other.replace('_', ' ')}'")
    return best


@lru_cache(maxsize=65536)
def _second_hop(sid: tuple[str, int]) -> tuple[tuple[tuple[str, int], float, str], ...]:
    """Pointers of a synset given by id (loading that one synset, not its neighbours)."""
    wn = wordnet()
    if wn is None:
        return ()
    try:
        synset = wn.synset_from_pos_and_offset(*sid)
    except Exception:
        return ()
    return _pointer_ids(synset, None)


_MAX_SENSES = CONFIG.max_senses  # the rarest senses of very polysemous words are not explored


def _best_link(word: str, target: str, senses: Sequence[Any]) -> _Link | None:
    best: _Link | None = None
    for s in senses[:_MAX_SENSES]:
        link = _link_from(s, word, target)
        if link is not None and (best is None or link.strength > best.strength):
            best = link
    return best


@lru_cache(maxsize=65536)
def _ancestors(synset: Any, depth: int = 3) -> dict[Any, int]:
    """Synsets reachable upwards (hypernyms, adjective heads, see-also) with their distance."""
    out = {synset: 0}
    frontier = [synset]
    for k in range(1, depth + 1):
        nxt = []
        for x in frontier:
            ups = x.hypernyms() + x.instance_hypernyms() + x.similar_tos() + x.also_sees() + x.verb_groups()
            for h in ups:
                if h not in out:
                    out[h] = k
                    nxt.append(h)
        frontier = nxt
    return out


def _concept_distance(a: Any, targets: Sequence[Any]) -> int | None:
    """Shortest path through a common ancestor between a sense and any target sense."""
    aa = _ancestors(a)
    best: int | None = None
    for y in targets:
        for c, d in _ancestors(y).items():
            if c in aa and (best is None or aa[c] + d < best):
                best = aa[c] + d
    return best


@lru_cache(maxsize=32768)
def _antonyms(word: str) -> frozenset[str]:
    """Antonyms of a word in any sense, including those of the head of its adjective clusters."""
    out: set[str] = set()
    for s in _synsets(word)[:4]:
        for lem in _lemma_objs(s, word):
            out.update(a.name().lower() for a in lem.antonyms())
        if s.pos() == "s":
            for head in s.similar_tos():
                for lem in head.lemmas():
                    out.update(a.name().lower() for a in lem.antonyms())
    return frozenset(out)


@lru_cache(maxsize=32768)
def _word_family(word: str) -> frozenset[str]:
    """The word and the heads of the adjective clusters it belongs to (reluctant → unwilling)."""
    out = {word}
    for s in _synsets(word)[:2]:
        if s.pos() == "s":
            for head in s.similar_tos():
                out.update(x.lower() for x in head.lemma_names())
    return frozenset(out)


def _is_antonym(a: str, b: str) -> bool:
    if not a or not b or a == b:
        return False
    return bool(_antonyms(a) & _word_family(b)) or bool(_antonyms(b) & _word_family(a))


@lru_cache(maxsize=65536)
def _near_ids(lemma: str) -> frozenset[tuple[str, int]]:
    """Ids of a word's senses and of the senses one relation away: a cheap relatedness test."""
    out: set[tuple[str, int]] = set()
    for s in _synsets(lemma)[:_MAX_SENSES]:
        out.add(_sid(s))
        out.update(n for n, w, _ in _pointer_ids(s, lemma) if w >= 0.75)
    return frozenset(out)


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]+")


@lru_cache(maxsize=65536)
def _stems(text: str) -> frozenset[str]:
    words = [w.lower() for w in _WORD_RE.findall(text.replace("_", " "))]
    words = [w for w in words if w not in _FUNCTION and w not in _LIGHT_VERBS and len(w) > 2]
    return frozenset(stem_words(words)) if words else frozenset()


@lru_cache(maxsize=65536)
def _sense_words(synset: Any, word: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of a sense's synonyms, and of its gloss, examples and neighbouring lemmas (minus the word)."""
    own = _stems(word)
    syn = _stems(" ".join(x for x in synset.lemma_names() if "_" not in x)) - own  # phrases: parts mislead
    parts = [synset.definition(), " ".join(synset.examples())]
    for n in synset.hypernyms()[:1]:
        parts.append(" ".join(n.lemma_names()))
    gloss = _stems(" ".join(parts)) - own - syn
    return syn, gloss


@lru_cache(maxsize=65536)
def _noun_classes(word: str, senses: int = 2) -> frozenset[str]:
    """Lexicographer classes of a noun's commonest senses (noun.person, noun.group, ...)."""
    return frozenset(s.lexname() for s in _synsets(word, "n")[:senses])


def _is_noun(w: str) -> str | None:
    """The noun lemma of ``w`` when it can only be a noun (not also an adjective), else None."""
    wn = wordnet()
    if wn is None or w in _FUNCTION or len(w) < 3:
        return None
    base = wn.morphy(w, "n")
    if base and _known(base, "n") and not _known(base, "a") and not _known(w, "a"):
        return str(base)
    return None


@lru_cache(maxsize=65536)
def _example_classes(synset: Any, word: str) -> frozenset[str]:
    """Classes of the nouns an adjective sense's examples apply it to: the noun right after the
    adjective ("the nominal (or titular) head"), or before it when predicative ("the fee was nominal")."""
    classes: set[str] = set()
    for example in synset.examples():
        words = [w.lower() for w in _WORD_RE.findall(example)]
        at = next((k for k, w in enumerate(words)
                   if w == word or (w.startswith(word[:5]) and len(word) > 5)), None)
        if at is None:
            continue
        noun = next((n for w in words[at + 1:at + 5] if (n := _is_noun(w))), None)
        if noun is None:
            noun = next((n for w in reversed(words[max(0, at - 4):at]) if (n := _is_noun(w))), None)
        if noun is not None and noun != word:
            classes.update(_noun_classes(noun, 4))
    return frozenset(classes)
