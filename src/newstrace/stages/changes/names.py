"""Names: normalisation, the places and peoples WordNet ties a name to (demonyms), and
acronyms spelled out on the other side ("United States" / "U.S.").
"""

from __future__ import annotations

import re
from functools import lru_cache

from newstrace.stages.changes.records import _Tok
from newstrace.stages.changes.resources import wordnet


def _name_norm(text: str) -> str:
    w = text.lower().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    return w.strip("-").replace(".", "")  # initials: "U.S." = "US", "W." = "W"


_PLACE_GLOSS = re.compile(r"\b(?:native|inhabitant|citizen|people|ethnic group|language|resident)s?\b"
                          r".*?\b(?:of|in)\s+"
                          r"(?:the\s+)?([A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)")


#: "a member of political party in Great Britain that has been known as the Conservative Party"
#: (Tory), "a member of a Conservative Party": a party's member named for the party.
_PARTY_GLOSS = re.compile(r"\b(?:member|supporter)s? of\b.*?\b([A-Z][\w-]+) Party\b")


_NAME_CLASSES = frozenset({"noun.person", "noun.group", "noun.location", "noun.communication"})


@lru_cache(maxsize=8192)
def _name_forms(name: str) -> frozenset[str]:
    """A name and the places/peoples WordNet ties it to ("armenians" → armenian, armenia)."""
    forms = {name}
    wn = wordnet()
    if wn is None or not name or not re.match(r"^[\w-]+$", name):
        return frozenset(forms)
    for s in wn.synsets(name.replace("-", "_")):
        lex = s.lexname()
        if not (lex.startswith("adj") or lex in _NAME_CLASSES):
            continue
        for lemma in s.lemmas():
            if lemma.name().lower() not in (name.replace("-", "_"), wn.morphy(name, "n")):
                continue
            for p in lemma.pertainyms():
                forms.add(p.name().lower().replace("_", " "))
            for d in lemma.derivationally_related_forms():
                if d.synset().lexname() == "noun.location":
                    forms.add(d.name().lower().replace("_", " "))
        if lex in ("noun.person", "noun.group"):
            for h in s.member_holonyms() + s.part_holonyms():
                forms.update(x.lower().replace("_", " ") for x in h.lemma_names()[:1])
            m = _PLACE_GLOSS.search(s.definition())
            if m:
                forms.add(m.group(1).lower())
            party = _PARTY_GLOSS.search(s.definition())
            if party:
                forms.add(f"{party.group(1).lower()} party")
    return frozenset(forms)


def _name_stem(name: str) -> str:
    for suffix in ("ians", "ian", "eans", "ean", "ans", "an", "ese", "ish", "is", "ia", "i", "s", "a", "e"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 4:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=32768)
def _same_name(a: str, b: str) -> bool:
    """Whether two normalised names denote the same entity (case, plural, demonym)."""
    if a == b:
        return True
    fa, fb = _name_forms(a), _name_forms(b)
    if fa & fb:
        return True
    if len(fa) > 1 and len(fb) > 1:
        return False  # WordNet knows both, and ties them to different places
    sa, sb = _name_stem(a), _name_stem(b)
    short, long_ = sorted((sa, sb), key=len)
    return len(short) >= 4 and long_.startswith(short)


def _acronyms(toks: list[_Tok]) -> dict[str, list[str]]:
    """Initials of runs of capitalised words ("University of California at Los Angeles" → UCLA)."""
    out: dict[str, list[str]] = {}
    run: list[_Tok] = []
    for t in [*toks, None]:
        if t is not None and (t.text[:1].isupper() or (run and t.lower in ("of", "at", "for", "and", "the"))):
            run.append(t)
            continue
        while run and not run[-1].text[:1].isupper():
            run.pop()
        caps = [x for x in run if x.text[:1].isupper()]
        if len(caps) >= 2:
            for k in range(len(caps) - 1):
                for m in range(k + 2, len(caps) + 1):
                    letters = "".join(x.text[0] for x in caps[k:m]).upper()
                    out.setdefault(letters, []).extend(x.key for x in caps[k:m])
        run = []
    return out


def _acronym_matches(S: list[_Tok], T: list[_Tok]) -> frozenset[str]:
    """Name keys on one side spelled out, on the other, as an acronym ("United States" / "U.S.")."""
    keys: set[str] = set()
    for side, other in ((S, T), (T, S)):
        spelled = _acronyms(side)
        for t in other:
            letters = re.sub(r"[^A-Za-z]", "", t.text)
            # ("deputy PM": an acronym that is no name of its own is still the name spelled out)
            if 2 <= len(letters) <= 6 and letters.isupper() and letters in spelled:
                keys.add(t.key)
                keys.update(spelled[letters])
    return frozenset(keys)
