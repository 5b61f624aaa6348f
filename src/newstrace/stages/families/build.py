"""Group related documents into families and draw each family's provenance tree.

Method (after textual criticism's stemmatics, Maas 1958; computer-assisted as in Roos &
Heikkilä 2009): a family is a connected component of the relation graph.  Its **root** is the
member the evidence shows to be the original:

1. relation directions that are trustworthy — a publication date, rewrite artefacts, or a real
   containment (the copy lies almost entirely inside the source, ``CONTAINMENT_MIN``); a
   containment between two texts that both carry much of their own is what two rewrites of one
   wire report look like, and says nothing of their order;
2. publication dates: a member published after another is not the original;
3. among the members left, the one with the fewest *minority readings* (word 4-grams most of
   the members that reach that point of its text lack): an original carries the family's
   common text, each copy adds its own site lines and edits.  A member is accepted as root when
   it is alone, or clearly has the fewest (``ROOT_MAX_MINORITY``, ``ROOT_MARGIN``).

When no member qualifies — siblings rewriting one report that is not in the collection, or
identical copies with nothing to order them — the root is a **hypothetical archetype**
(``archetype:<family id>``) with the members as its children, and no direction is drawn
between them.

Each other member's **parent** is its most direct source by the stemmatic principle that shared
innovations show descent: an *innovation* is a 4-gram absent from the root's text (an edit,
added boilerplate, an error); a copy that shares a repost's innovations derives from the
repost, provided the repost's innovations are (mostly) found in the copy and the copy has more
of its own (innovations accumulate along a chain).  Candidate parents are the member's relation
neighbours, so the cost stays linear in the family.

Edges carry the pair relation's type, confidence, direction evidence and passages; the edge from
a member's parent is ``primary``, the other relations between members are secondary.  An edge is
``spun`` only with spinner evidence (a spinning trace in the copy's rewrite signature, or a
word-sense substitution among the passage changes): an editor's rewrite is not a spinner's work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import count

import numpy as np
import xxhash

from newstrace.stages.components import union_find_roots
from newstrace.stages.text import find_words
from newstrace.types import Document, Family, FamilyEdge, Passage, Relation

__all__ = ["CONTAINMENT_MIN", "FAMILIES_TAG", "ROOT_MAX_MINORITY", "FamilyGroup", "build_families", "build_family",
           "family_digest", "family_groups", "family_id", "unaligned_parents", "with_passages"]

#: Bumped by hand when a code change (not one of the settings below) alters the families built
#: from the same documents and relations: a stored family is reused only while the digest of
#: its inputs (:func:`family_digest`, which starts from this tag and those settings) is unchanged.
FAMILIES_TAG = "families.v1"

#: A containment decides direction only when the copy is at least this much covered by the
#: source.  relate's own rule (a coverage gap of 0.25) also fires between two rewrites of one
#: wire report (ECB+ odd topics: coverages 0.3 against 0.6); a truncated or edited copy of an
#: article is covered 0.9 or more (wire benchmark: all first-generation copies above 0.9).
CONTAINMENT_MIN = 0.8
#: The most an original's text may be lacking from the members that reach it
#: (``_minority_share``).  An original's text is in nearly every copy (wire benchmark:
#: 0.00–0.01); a first-generation copy's own site lines and edits come to 0.02–0.10; rewrites of
#: an unseen report keep 40–90 % of their wording to themselves.
ROOT_MAX_MINORITY = 0.15
#: How much less the original must be lacking than the next candidate: identical copies tie
#: exactly and get an unseen common source rather than an arbitrary original, while one site
#: line of a repost (8 of 500 4-grams, half the members lacking it) already weighs 0.008.
ROOT_MARGIN = 0.002
#: Candidates scored (most often a trusted source, then the longest), and members sampled to score each: bounds the root choice
#: at 20 × 200 text scans whatever the family's size.
ROOT_SHORTLIST = 20
ROOT_SAMPLE = 200
ROOT_PRESCREEN_SAMPLE = 40
#: Shared innovations needed to prefer a member over the root as parent.  One light edit makes
#: up to four new 4-grams, and among hundreds of copies two sites sometimes make the same edit
#: (parallel innovation); a real parent passes on its site lines and all its edits.  Wire
#: benchmark, 400 copies: first-generation parents right 0.98 with 2, 1.00 with 5; second
#: generation 1.00 with 5, 0.945 with 8.
MIN_SHARED_INNOVATIONS = 5
#: Share of a candidate parent's innovations the child must carry (the rest may have been
#: cut by the child's truncation or overwritten by its own edits).
PARENT_CONTAINED = 0.5
#: A candidate parent's innovations inside the child's kept text that the child may lack (its
#: own edits overwrite a few): each light edit destroys up to four 4-grams.
UNEXPLAINED_SHARE = 0.25
#: Share of the non-root members above which a shared reading is the copies' common template.
COMMON_READING_SHARE = 0.5
UNEXPLAINED_SLACK = 4


def family_id(members: Iterable[str]) -> str:
    """A family's id: stable while its earliest-sorting member stays in it."""
    return "F" + xxhash.xxh64_hexdigest(min(members))[:10]


#: A word 4-gram, lower-cased.
Gram = tuple[str, str, str, str]


def _gram_seq(text: str) -> list[Gram]:
    """The text's word 4-grams in order (tuples: words hold no space, so two are equal exactly
    when their joined strings are, and zipping the word list makes them without joining)."""
    words = [w.lower() for w in find_words(text)]
    return list(zip(words, words[1:], words[2:], words[3:], strict=False))


def _unexplained(p_seq: list[Gram], p_innov: set[Gram], m_grams: set[Gram],
                 template: set[Gram] | frozenset[Gram] = frozenset()) -> tuple[int, int]:
    """Innovations of ``p`` that ``m`` lacks although they stand inside the part of ``p`` that
    ``m`` kept (before the last 4-gram they share): a sibling's own edits, not a truncation.
    Returns ``(unexplained, innovations of p inside m's extent)``."""
    last = -1
    for i, g in enumerate(p_seq):
        if g in m_grams and g not in template:
            last = i
    inside = {g for g in p_seq[: last + 1] if g in p_innov}
    return len(inside - m_grams), len(inside)


def _stemmatic_parents(members: list[str], root: str, docs: Mapping[str, Document],
                       seqs: dict[str, list[Gram]], grams: dict[str, set[Gram]]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each member's most direct parent: the earlier member whose innovations it carries most of.

    Candidates come from an inverted index over innovations (4-grams absent from the root), so
    a member is only compared with members that share one of its innovations: rare by nature,
    which keeps the cost near-linear.  A candidate ``p`` qualifies for member ``m`` when they
    share at least ``MIN_SHARED_INNOVATIONS``, ``p`` was not published after ``m``, and few of
    ``p``'s innovations inside the part ``m`` kept are missing from ``m`` (``_unexplained``);
    among those, the one sharing the most innovations net of its unexplained ones is the most
    direct (a sibling shares what the parent passed on, plus its own edits the child lacks).
    """
    base = grams[root]
    innov = {m: grams[m] - base for m in members}
    posting: dict[Gram, list[str]] = defaultdict(list)
    for m in members:
        if m != root:
            for g in innov[m]:
                posting[g].append(m)
    # A reading most copies share is the copies' common template (every scraper's "Home | World"
    # bar), not one branch's innovation: parallel innovation is no evidence of descent.
    common = max(2, COMMON_READING_SHARE * (len(members) - 1))
    template = {g for g, plist in posting.items() if len(plist) > common}
    for g in template:
        del posting[g]
        for m in members:
            innov[m].discard(g)
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for m in members:
        if m == root:
            continue
        counts: dict[str, int] = defaultdict(int)
        for g in innov[m]:
            plist = posting[g]
            if len(plist) > 1:
                for p in plist:
                    if p != m:
                        counts[p] += 1
        best: tuple[tuple[int, int, str], str] | None = None
        why = ""
        m_pub = docs[m].published if m in docs else None
        for p, shared in counts.items():
            if shared < MIN_SHARED_INNOVATIONS:
                continue
            p_pub = docs[p].published if p in docs else None
            if p_pub and m_pub and p_pub > m_pub:
                continue
            if (p_pub == m_pub or not (p_pub and m_pub)) and len(innov[p]) >= len(innov[m]):
                continue  # no date to order them: innovations accumulate down a chain
            lost, inside = _unexplained(seqs[p], innov[p], grams[m], template)
            if lost > UNEXPLAINED_SHARE * inside + UNEXPLAINED_SLACK:
                continue
            # Most shared innovations, least unexplained: a sibling shares the parent's
            # innovations as the parent does, but brings its own that the child lacks.
            key = (shared - lost, -len(innov[p]), p)
            if best is None or key > best[0]:
                best = (key, p)
                why = (f"stemmatics: shares {shared} innovations of {p} absent from {root} "
                       f"({len(innov[p])} of {p}'s, {len(innov[m])} of its own); "
                       f"{lost} of {p}'s innovations inside the kept text missing")
        if best is None:
            out[m] = (root, (f"shares no innovations with an earlier member ({len(innov[m])} of its own)",))
        else:
            out[m] = (best[1], (why,))
    return out


def _trusted(r: Relation) -> bool:
    d = r.direction.decided_by
    if d in ("published-date", "rewrite-artefacts"):
        return True
    if d == "containment":
        return r.type == "summary" or r.target_coverage >= CONTAINMENT_MIN
    return False


def _spinner_evidence(r: Relation, docs: Mapping[str, Document]) -> bool:
    target = docs.get(r.target)
    if target is not None and any(x.get("kind") == "spinning" for x in target.signature):
        return True
    return any(c.kind == "word-sense" for p in r.passages for c in p.changes)


def _edge_type(r: Relation, docs: Mapping[str, Document]) -> tuple[str, tuple[str, ...]]:
    if r.type == "spun" and not _spinner_evidence(r, docs):
        return "paraphrase", ("no spinner evidence (no spinning traces, no word-sense substitutions): "
                              "shown as a paraphrase, not as spun",)
    return r.type, ()


def _flip(p: Passage) -> Passage:
    # Changes describe source→target; reversed, they would mislead, so they are left out.
    return Passage(p.target_span, p.source_span, p.target_text, p.source_text, p.similarity)


def _edge(r: Relation, source: str, target: str, primary: bool, docs: Mapping[str, Document],
          extra: tuple[str, ...] = ()) -> FamilyEdge:
    kind, note = _edge_type(r, docs)
    same = r.source == source
    passages = r.passages if same else tuple(_flip(p) for p in r.passages)
    direction = r.direction.decided_by if same and _trusted(r) else ("stemmatics" if extra else "undetermined")
    evidence = (*extra, f"{r.direction.decided_by}: {r.direction.note}", *r.evidence, *note)
    return FamilyEdge(source, target, kind, primary, r.confidence, direction, evidence, passages)


#: Lookups (members × 4-grams of the candidate) :func:`_minority_share` makes at a time.
_MINORITY_BLOCK = 1 << 20


class _GramCodes:
    """A family's 4-grams numbered once, and each member's distinct ones as a sorted array of
    their numbers, made when first asked: the root choice compares each of its candidates with
    the same sample of members (up to ``ROOT_SHORTLIST`` × ``ROOT_SAMPLE`` pairs a family)."""

    def __init__(self, grams: Mapping[str, set[Gram]]) -> None:
        self._grams = grams
        self._number: dict[Gram, int] = {}
        self._members: dict[str, np.ndarray] = {}
        self._fresh: Iterator[int] = count()  # one counter: a number is never given twice

    def numbers(self, seq: Iterable[Gram]) -> np.ndarray:
        """The numbers of ``seq``'s 4-grams (a new one gets the next free number: numbers are
        distinct, not consecutive)."""
        return np.fromiter(map(self._number.setdefault, seq, self._fresh), dtype=np.int64)

    def member(self, m: str) -> np.ndarray:
        got = self._members.get(m)
        if got is None:
            got = self._members[m] = np.sort(self.numbers(self._grams[m]))  # a set's: distinct
        return got


def _minority_share(x: str, others: list[str], seqs: dict[str, list[Gram]], grams: dict[str, set[Gram]],
                    template: set[Gram], codes: _GramCodes | None = None) -> float:
    """How much of ``x``'s text the other members lack: the mean, over ``x``'s 4-grams, of the
    share of the members reaching that point of ``x`` that do not carry it.

    A member "reaches" a position of ``x`` when it shares a later 4-gram with ``x``: a truncated
    copy does not vote on the text it cut.  An original's readings are each carried by most of
    the copies that reach them (≈ 0); a copy's own site lines and edits are carried only by its
    descendants; a rewrite of an unseen report keeps much of its wording to itself.

    Which of ``x``'s positions each member carries is looked up in numpy, the 4-grams numbered
    by ``codes`` (shared by the calls of one family): gram by gram in Python it was most of an
    add's family building at 41,000 documents (0.1 ms a member and candidate).
    """
    seq = [g for g in seqs[x] if g not in template]
    if not seq or not others:
        return 1.0
    length = len(seq)
    codes = codes if codes is not None else _GramCodes(grams)
    mine = codes.numbers(seq)
    theirs = [codes.member(m) for m in others]
    shift = max([int(mine.max()), *(int(t[-1]) for t in theirs if len(t))]) + 1
    carried = np.zeros((len(others), length), dtype=bool)
    # members a block at a time (memory: a block's lookups, whatever the text's length): each
    # block's numbers in one sorted array, each member's shifted past the one before
    block = max(1, _MINORITY_BLOCK // length)
    for b in range(0, len(others), block):
        part = theirs[b : b + block]
        offsets = np.arange(len(part), dtype=np.int64) * shift
        pooled = np.concatenate([t + o for t, o in zip(part, offsets.tolist(), strict=True)])
        if not len(pooled):
            continue
        wanted = (offsets[:, None] + mine[None, :]).ravel()
        at = np.minimum(np.searchsorted(pooled, wanted), len(pooled) - 1)
        carried[b : b + len(part)] = (pooled[at] == wanted).reshape(len(part), length)
    carried = carried[carried.any(axis=1)]
    if not len(carried):
        return 1.0  # no member shares any of it
    # m reaches every position up to the end of its last run of three shared 4-grams, else its
    # last shared one (a lone stock phrase further on is no evidence that m kept the text up to there).
    run = np.zeros_like(carried)
    run[:, 2:] = carried[:, 2:] & carried[:, 1:-1] & carried[:, :-2]
    last = length - 1 - np.argmax(carried[:, ::-1], axis=1)
    last_run = length - 1 - np.argmax(run[:, ::-1], axis=1)
    end = np.where(run.any(axis=1), last_run, last)
    # from the last position back: the members reaching it, and the share of them lacking it
    # (summed in that order, one addition at a time, as a loop would)
    running = np.cumsum(np.bincount(end, minlength=length)[::-1])
    support = carried.sum(axis=0)[::-1]
    reached = running > 0
    counted = int(reached.sum())
    if not counted:
        return 1.0
    lacking = np.cumsum(1.0 - np.minimum(1.0, support[reached] / running[reached]))[-1]
    return float(lacking) / counted


def _choose_root(members: list[str], rels: list[Relation], docs: Mapping[str, Document],
                 seqs: dict[str, list[Gram]], grams: dict[str, set[Gram]],
                 template: set[Gram]) -> tuple[str | None, tuple[str, ...]]:
    has_in = {r.target for r in rels if _trusted(r)}
    dates: dict[str, str] = {m: str(docs[m].published) for m in members if m in docs and docs[m].published}
    first = min(dates.values(), default=None)
    # A member published after another member is not the original, aligned with it or not.
    cands = [m for m in members if m not in has_in and (m not in dates or dates[m] == first)]
    if not cands:  # a cycle of trusted directions: contradictory evidence
        return None, ("the members' order evidence contradicts itself",)
    # Score the candidates most often a trusted source (an original contains its truncated
    # copies), then the longest: bounded work whatever the family's size.
    outdegree: dict[str, int] = defaultdict(int)
    for r in rels:
        if _trusted(r):
            outdegree[r.source] += 1
    shortlist = sorted(cands, key=lambda m: (-outdegree[m], -len(seqs[m]), m))
    codes = _GramCodes(grams)
    if len(shortlist) > ROOT_SHORTLIST:
        # Many candidates (copies with no date, nothing trusted between them): a cheap first
        # pass against a small sample of members keeps the ROOT_SHORTLIST most common texts.
        probe = members[:: max(1, len(members) // ROOT_PRESCREEN_SAMPLE)]
        rough = {m: _minority_share(m, [o for o in probe if o != m], seqs, grams, template, codes) for m in shortlist}
        shortlist = sorted(shortlist, key=lambda m: (rough[m], m))[:ROOT_SHORTLIST]
    others = {m: [o for o in members if o != m] for m in shortlist}
    step = {m: max(1, len(o) // ROOT_SAMPLE) for m, o in others.items()}
    minority = {m: _minority_share(m, others[m][:: step[m]], seqs, grams, template, codes) for m in shortlist}
    ranked = sorted(shortlist, key=lambda m: (minority[m], m))
    best = ranked[0]
    outgoing = sorted({f"{r.direction.decided_by} → {r.target}" for r in rels if r.source == best and _trusted(r)})
    evidence = [f"{len(members)} members"]
    if len(cands) > 1:
        evidence.append(f"the other members lack {minority[best]:.0%} of {best}'s text where they reach it")
    if best in dates:
        evidence.append(f"published {dates[best]}" + (" (earliest)" if len(set(dates.values())) > 1 else ""))
    evidence += outgoing[:5]
    sig = docs[best].signature if best in docs else []
    evidence.append("no rewrite traces" if not sig else f"{len(sig)} rewrite traces")
    if len(cands) == 1:
        return best, ("only member that no date or trusted direction puts after another", *evidence)
    second = ranked[1] if len(ranked) > 1 else None
    if minority[best] <= ROOT_MAX_MINORITY and (second is None or minority[second] - minority[best] >= ROOT_MARGIN):
        return best, (f"carries the family's common text: the others lack {minority[best]:.0%} of it "
                      f"(next {second}: {minority[second]:.0%})" if second else
                      f"carries the family's common text (the others lack {minority[best]:.0%} of it)", *evidence)
    runner = f", {second}: {minority[second]:.0%}" if second else ""
    return None, (f"{len(cands)} members could be the original and none carries the common text "
                  f"(the others lack {best}'s: {minority[best]:.0%}{runner}): an unseen common source",)


def _family(members: list[str], rels: list[Relation], docs: Mapping[str, Document]) -> Family:
    fid = family_id(members)
    # The text as ingested: the site lines cleaning removes (a repost's boilerplate) are
    # innovations its copies inherit, and cleaning may drop lines a wire story's copies share.
    seqs = {m: _gram_seq(docs[m].raw or docs[m].text) if m in docs else [] for m in members}
    grams = {m: set(seqs[m]) for m in members}
    # Readings most members share but some lack entirely are the copies' template only when
    # the root lacks them too; computed against the root in _stemmatic_parents.  For the root
    # choice, readings in every member but one are the common text, never a template.
    root, root_evidence = _choose_root(members, rels, docs, seqs, grams, set())
    by_pair: dict[frozenset[str], Relation] = {frozenset((r.source, r.target)): r for r in rels}
    neighbours: dict[str, set[str]] = defaultdict(set)
    for r in rels:
        neighbours[r.source].add(r.target)
        neighbours[r.target].add(r.source)
    parent: dict[str, tuple[str, tuple[str, ...]]] = {}
    if root is None:
        archetype = f"archetype:{fid}"
        for m in members:
            into = [r for r in rels if r.target == m and _trusted(r)]
            if into:
                best = max(into, key=lambda r: r.confidence)
                parent[m] = (best.source, (f"trusted direction from {best.source}",))
            else:
                parent[m] = (archetype, ("child of the unseen common source",))
        # A trusted chain may still close a loop through the archetype-free members: break it.
        for m in members:
            seen = {m}
            x = parent[m][0]
            while x in parent and x not in seen:
                seen.add(x)
                x = parent[x][0]
            if x in seen:
                parent[m] = (archetype, ("child of the unseen common source",))
        root_id = archetype
    else:
        root_id = root
        parent = _stemmatic_parents(members, root, docs, seqs, grams)
    edges: list[FamilyEdge] = []
    used: set[frozenset[str]] = set()
    for m in members:
        if m not in parent:
            continue
        p, why = parent[m]
        found = by_pair.get(frozenset((p, m)))
        if found is not None:
            used.add(frozenset((p, m)))
            edges.append(_edge(found, p, m, True, docs, why))
        else:
            known = [x for x in rels if m in (x.source, x.target)]
            kind = _edge_type(max(known, key=lambda x: x.confidence), docs)[0] if known else "near-duplicate"
            note = ("no member is the original: the members rewrote a common source that is not in the collection"
                    if p.startswith("archetype:") else "not aligned directly; placed by the family's structure")
            edges.append(FamilyEdge(p, m, kind, True, 0.0, "stemmatics" if not p.startswith("archetype:")
                                    else "undetermined", (*why, note)))
    for r in rels:
        if frozenset((r.source, r.target)) not in used:
            edges.append(_edge(r, r.source, r.target, False, docs))
    return Family(fid, root_id, tuple(sorted(members)), tuple(edges), archetype=root is None,
                  root_evidence=root_evidence)


@dataclass(frozen=True, slots=True)
class FamilyGroup:
    """One family's inputs: a connected group of two or more related documents (sorted ids)
    and the relations among them, in the order given."""

    members: tuple[str, ...]
    relations: tuple[Relation, ...]

    @property
    def id(self) -> str:
        return family_id(self.members)


def family_groups(relations: Sequence[Relation]) -> list[FamilyGroup]:
    """The connected groups of the relation graph (each a family's inputs), sorted by family id."""
    root_of: dict[str, str] = dict(union_find_roots((r.source, r.target) for r in relations))

    def find(x: str) -> str:
        return root_of.get(x, x)

    groups: dict[str, list[str]] = defaultdict(list)
    for x in {d for r in relations for d in (r.source, r.target)}:
        groups[find(x)].append(x)
    rels_of: dict[str, list[Relation]] = defaultdict(list)
    for r in relations:
        rels_of[find(r.source)].append(r)
    out = [FamilyGroup(tuple(sorted(m)), tuple(rels_of[k])) for k, m in groups.items() if len(m) > 1]
    return sorted(out, key=lambda g: g.id)


_SETTINGS = repr((FAMILIES_TAG, CONTAINMENT_MIN, ROOT_MAX_MINORITY, ROOT_MARGIN, ROOT_SHORTLIST, ROOT_SAMPLE,
                  ROOT_PRESCREEN_SAMPLE, MIN_SHARED_INNOVATIONS, PARENT_CONTAINED, UNEXPLAINED_SHARE,
                  COMMON_READING_SHARE, UNEXPLAINED_SLACK)).encode()


def family_digest(group: FamilyGroup, hashes: Mapping[str, str]) -> str:
    """A digest of everything :func:`build_family` reads: the members with their content hashes
    (``hashes``, by id: a member's text, date and rewrite signature all come from the text it
    was ingested with), every relation among them in full, and the family settings.  A stored
    family whose digest is unchanged is the family a rebuild would give (``pipeline.organise``
    reuses it instead of reading its members' texts again)."""
    h = xxhash.xxh64(_SETTINGS)
    for m in group.members:
        h.update(f"{m}\x00{hashes.get(m, '')}\x00".encode())
    for r in sorted(group.relations, key=lambda r: (r.source, r.target)):
        h.update(repr(r).encode())
    return h.hexdigest()


def build_family(group: FamilyGroup, docs: Mapping[str, Document]) -> Family:
    """The family of one group (:func:`family_groups`): its root, provenance tree and edges.
    ``docs`` holds (at least) the members' documents."""
    return _family(list(group.members), list(group.relations), docs)


def with_passages(family: Family, group: FamilyGroup) -> Family:
    """A stored ``family`` of ``group`` (its inputs' digest unchanged) as :func:`build_family`
    gives it: the store keeps each edge's passage spans, not their texts and changes, and these
    come back from the relation each edge was made from."""
    by_pair = {frozenset((r.source, r.target)): r for r in group.relations}
    edges = []
    for e in family.edges:
        r = by_pair.get(frozenset((e.source, e.target)))
        if r is not None and e.passages:
            e = replace(e, passages=r.passages if r.source == e.source else tuple(_flip(p) for p in r.passages))
        edges.append(e)
    return replace(family, edges=tuple(edges))


def build_families(documents: Sequence[Document], relations: Sequence[Relation]) -> list[Family]:
    """The families of a collection: one per connected group of two or more related documents.

    Args:
        documents: the collection's cleaned documents (texts give the innovations).
        relations: the pair relations found among them.

    Returns:
        Families sorted by id; each with its root (a member, or ``archetype:<id>``), members and
        edges (one primary edge into every member, secondary edges for the other relations).
    """
    docs = {d.id: d for d in documents}
    return [build_family(g, docs) for g in family_groups(relations)]


def unaligned_parents(families: Iterable[Family], ids: Container[str]) -> set[tuple[str, str]]:
    """The member-parent pairs (ids sorted) whose primary edge has no passages: the candidate
    plan pairs near neighbours, not parents, so these are aligned after the families are built
    (``pipeline.organise``), once per member.  Only pairs of documents in ``ids``."""
    return {(min(e.source, e.target), max(e.source, e.target)) for f in families for e in f.edges
            if e.primary and not e.passages and e.source in ids and e.target in ids}
