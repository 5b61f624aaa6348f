"""A cheap first stage for the semantic layer: static sentence vectors from the English
model's own token-embedding table, used to choose which documents the transformer embeds.

The transformer (``newstrace.stages.embed``, MiniLM-L3 int8) costs about 1.9 ms of CPU per
sentence; on BBC News it was 70 s of an 81 s semantic scan, and almost all of it was spent on
documents whose vectors changed nothing: of 16,274 pairs the old scan aligned, the 14,030 that
only the document-vector neighbours proposed gave no relation, and of the 2,244 lexical pairs
the vectors changed the outcome of 53 (44 relations found by the meaning channels alone).

A static sentence vector is the sum of the rows of the model's input embedding table
(``word_embeddings.weight`` in the ONNX file: 30,522 WordPiece tokens x 384) over the
WordPiece tokens of the sentence's words, normalised.  A three-layer transformer stays close to
its input bag of tokens, so the static cosine of two sentences ranks them much as the
transformer does, for a table lookup and a sum (BBC's 43,000 sentences in about 2 s, against
about 80 s of encoder CPU).  Weights: none, every token counts once.  Measured on BBC's lexical
pairs, at the floor that keeps every pair the vectors related: words alone 406 pairs above it,
with punctuation 502, IDF-weighted 535, SIF-weighted 637 (with or without removing the common
component); uniform weights also keep a document's vectors independent of its collection, so
``trace`` and ``index add`` could use them too.

:func:`semantic_preselect` (a whole-collection step, also for the Spark engine) takes the
lexical candidate pairs and returns the pairs worth relating with transformer vectors and the
documents that need them; :func:`pair_score` is its per-pair test.
:func:`screen_meaning_candidates` holds the candidates by meaning that a kept store's neighbour
search proposes (``index add``, ``scan --db``, ``trace``) to the same test, so every command
aligns a pair proposed by meaning under one rule.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from newstrace.stages.text import split_sentences
from newstrace.types import Document

__all__ = [
    "PRESELECT",
    "PreselectConfig",
    "Preselection",
    "StaticEmbedder",
    "get_static_embedder",
    "kept_static_vectors",
    "needs_vectors",
    "pair_score",
    "pair_scores",
    "screen_meaning_candidates",
    "semantic_preselect",
    "static_document_vector",
]

# Words only: punctuation rows (every sentence has a full stop) pulled unrelated sentences
# together; with them the BBC floor of the related pairs fell to 0.891 and 502 pairs, not 406,
# scored above it.
_PIECES = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class PreselectConfig:
    """Which pairs get transformer vectors.

    Attributes:
        pair_min: least :func:`pair_score` (static cosine of the second-best matched sentence
            on the side where it is lower) of a pair related with transformer vectors.  On BBC
            News the 253 lexical pairs the transformer scan related (44 of them only through
            the meaning channels; 53 whose outcome the vectors changed) all score at least
            0.877; of the 1,991 pairs it did not relate, 249 score 0.85 or more.  On a PAN 2013
            training sample (46 pairs: 12 each of classes 01, 03, 04, 05, one unreadable) the
            least score of a pair the vectors changed was 0.870 (a class 03 paraphrase) and
            unrelated class 01 pairs reached 0.836.  So 0.85: a margin under both, at 502 of BBC's 2,244 lexical pairs
            (``benchmarks/calibrate_preselect.py``).
        short: a pair whose shorter document has at most this many sentences gets vectors
            whatever its score.  In a short document one shared sentence and one neighbour
            matched by meaning make a passage large enough to count, and two sentences are
            too few for the second-best statistic.  On ECB+ (496 short news articles, 1,270
            lexical pairs) the vectors changed 52 outcomes, 15 of them in pairs scoring under
            0.85, whose shorter documents had 2 to 12 sentences; with ``short`` 12 none is
            left to words.  It costs BBC 887 pairs instead of 502 (44% of its sentences
            embedded instead of 32%); short documents are cheap to embed.
        neighbours: static nearest neighbours asked per document for semantic candidates
            (the transformer pass asked 10 of its own).
        doc_min: least static document cosine of a semantic candidate, before ``pair_min``.
            Static document vectors of one language are all close (BBC's 10 nearest are
            nearly all above 0.85), so this only drops the hopeless; ``pair_min`` decides.
            The candidates kept are then held to the transformer's own document floor
            (``newstrace.stages.vectors.preselected_pairs``).
    """

    pair_min: float = 0.85
    short: int = 12
    neighbours: int = 10
    doc_min: float = 0.8
    semantic_min: float = 0.85

    def __post_init__(self) -> None:
        for name in ("pair_min", "doc_min", "semantic_min"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"PreselectConfig.{name} must be a cosine in [-1, 1], got {value!r}")
        if self.short < 0:
            raise ValueError(f"PreselectConfig.short must be >= 0, got {self.short!r}")
        if self.neighbours < 1:
            raise ValueError(f"PreselectConfig.neighbours must be >= 1, got {self.neighbours!r}")


PRESELECT = PreselectConfig()


class StaticEmbedder:
    """Static sentence vectors from a MiniLM model's token-embedding table.

    The table is read once from the float32 ONNX file (the ``onnx`` package) and kept as a
    ``.npy`` beside the int8 model in the cache directory, memory-mapped afterwards.  Each
    distinct word is split into WordPiece tokens once (the model's own tokenizer, uncased) and
    its vector (the sum of its tokens' rows) remembered.

    Raises:
        MissingDependencyError: onnx, tokenizers or the model package is missing.
    """

    dim = 384

    def __init__(self, variant: str = "l3") -> None:
        from newstrace.stages.embed import MiniLMEmbedder

        model = MiniLMEmbedder(variant, int8=False)  # type: ignore[arg-type]
        self.model_path: Path = model.model_path
        self.version = f"static:{model.version}"
        self._lock = threading.Lock()
        self._memo_lock = threading.Lock()  # the word memo below, shared by a service's threads
        self._table: np.ndarray | None = None
        self._tokenizer: Any = None
        self._rows: dict[str, int] = {}
        self._matrix: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "version": self.version}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock, self._memo_lock = threading.Lock(), threading.Lock()
        self._table, self._tokenizer, self._rows, self._matrix = None, None, {}, None

    def load(self) -> None:
        """Read the token table and the tokenizer now (they are otherwise read at first use).

        Raises:
            MissingDependencyError: onnx (to make the table the first time) or tokenizers is missing.
        """
        if self._table is None:
            self._load()

    def _load(self) -> None:
        from tokenizers import Tokenizer  # type: ignore[import-untyped]

        from newstrace.stages.embed import TOKENIZER_PATH

        with self._lock:
            if self._table is not None:
                return
            tok = Tokenizer.from_file(str(TOKENIZER_PATH))
            tok.no_padding()
            tok.no_truncation()
            self._tokenizer = tok
            self._table = _token_table(self.model_path)

    def _word_rows(self, words: Sequence[str]) -> np.ndarray:
        """Row numbers of ``words`` in the remembered word matrix, adding the new ones (each the
        sum of its WordPiece tokens' table rows).  The caller holds ``_memo_lock``."""
        assert self._table is not None
        new = [w for w in dict.fromkeys(words) if w not in self._rows]
        if new:
            encoded = self._tokenizer.encode_batch(new, add_special_tokens=False)
            base = len(self._rows)
            # The remembered rows grow by doubling: a document at a time (``index add``'s
            # workers) the matrix would otherwise be copied whole for every document.
            if self._matrix is None or len(self._matrix) < base + len(new):
                grown = np.zeros((max(1024, 2 * (base + len(new))), self.dim), dtype=np.float32)
                if self._matrix is not None:
                    grown[:base] = self._matrix[:base]
                self._matrix = grown
            for k, e in enumerate(encoded):
                if e.ids:
                    self._matrix[base + k] = self._table[e.ids].sum(axis=0)
            self._rows.update((w, base + k) for k, w in enumerate(new))
        rows = self._rows
        return np.fromiter((rows[w] for w in words), dtype=np.intp, count=len(words))

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised static vector per text (zeros for a text without tokens)."""
        from scipy.sparse import csr_matrix

        pieces = [_PIECES.findall(t.lower()) for t in texts]
        flat = [w for p in pieces for w in p]
        if not flat:
            return np.zeros((len(texts), self.dim), dtype=np.float32)
        self.load()
        with self._memo_lock:  # rows numbered and the matrix grown by one thread at a time
            rows = self._word_rows(flat)
            assert self._matrix is not None
            known = self._matrix[: len(self._rows)]  # a later growth makes a new array: this view stays
        # texts x words counts times the word matrix: the sums without a row per token.
        indptr = np.zeros(len(texts) + 1, dtype=np.intp)
        np.cumsum(np.fromiter((len(p) for p in pieces), dtype=np.intp, count=len(pieces)), out=indptr[1:])
        counts = csr_matrix((np.ones(len(rows), dtype=np.float32), rows, indptr), shape=(len(texts), len(known)))
        out = np.asarray(counts @ known, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: np.ndarray = out / np.maximum(norms, 1e-12)
        return normalised

    def documents(self, docs: Sequence[Document]) -> list[np.ndarray]:
        """Each document's static sentence vectors (one row per ``split_sentences`` sentence)."""
        spans = [[(x.start, x.end) for x in split_sentences(d.text)] for d in docs]
        vecs = self.sentence_vectors([d.text[s:e] for d, sp in zip(docs, spans, strict=True) for s, e in sp])
        out, at = [], 0
        for sp in spans:
            out.append(vecs[at : at + len(sp)])
            at += len(sp)
        return out


def _token_table(model_path: Path) -> np.ndarray:
    """The model's ``word_embeddings`` initializer, cached as ``.npy`` and memory-mapped."""
    from newstrace.stages.embed import _import, cache_dir, write_atomically

    target = cache_dir() / "models" / f"{model_path.stem}-{model_path.stat().st_size}-word-embeddings.npy"
    if target.is_file():
        table: np.ndarray = np.load(target, mmap_mode="r")
        return table
    onnx = _import("onnx", "onnx", "the static first stage of the semantic layer")
    numpy_helper = _import("onnx.numpy_helper", "onnx", "the static first stage of the semantic layer")
    model = onnx.load(str(model_path))
    found = [t for t in model.graph.initializer if t.name.endswith("word_embeddings.weight")]
    if len(found) != 1:
        from newstrace.errors import NewstraceError

        raise NewstraceError(f"cannot find the token-embedding table (word_embeddings.weight) in {model_path}")
    table = np.ascontiguousarray(numpy_helper.to_array(found[0]), dtype=np.float32)
    def save(out: Path) -> None:
        with open(out, "wb") as fh:
            np.save(fh, table)

    write_atomically(target, save)  # an unwritable cache: the table stays in memory for this process
    return table


@cache
def get_static_embedder(variant: str = "l3") -> StaticEmbedder:
    """The static embedder of MiniLM ``variant``, built once per process."""
    return StaticEmbedder(variant)


def kept_static_vectors(doc: Document) -> tuple[str, np.ndarray] | None:
    """What a store keeps of ``doc`` for the screen of candidates by meaning
    (``newstrace.stages.prepare.IndexRows.static_vectors``): the static embedder's version and
    the document's static sentence vectors, for an English document with text; else ``None``.
    A document's vectors are the same made alone as among others, to the bit."""
    if doc.language != "en" or not doc.text:
        return None
    embedder = get_static_embedder()
    return embedder.version, embedder.documents([doc])[0]


def static_document_vector(sentence_vecs: np.ndarray) -> np.ndarray:
    """The normalised mean of a document's static sentence vectors (zeros if none)."""
    from newstrace.stages.semantic.similarity import document_vector

    return document_vector(sentence_vecs)


def pair_score(a: np.ndarray, b: np.ndarray) -> float:
    """How strongly two documents' sentences match on static vectors: the cosine of the
    second-best matched sentence, on the side where it is lower.

    The meaning channels of the aligner that find what words miss need two sentence pairs that
    agree (a chain of consecutive pairs, or a passage the words began): a pair whose second-best
    sentence match is weak on either side gains nothing from transformer vectors.
    """
    if len(a) < 2 or len(b) < 2:
        if not len(a) or not len(b):
            return 0.0
        return float((a @ b.T).max())  # one sentence: its best match is all there is
    sims = a @ b.T
    rows = np.sort(sims.max(axis=1))[-2]
    cols = np.sort(sims.max(axis=0))[-2]
    return float(min(rows, cols))


def pair_scores(static: Mapping[str, np.ndarray], pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """:func:`pair_score` of many pairs, one matrix product per first document (a product per
    pair took 6.8 s for BBC's 20,000 static-neighbour pairs on the loaded shared machine)."""
    partners: dict[str, list[str]] = {}
    for a, b in pairs:
        partners.setdefault(a, []).append(b)
    out: dict[tuple[str, str], float] = {}
    for a, others in partners.items():
        va = static[a]
        blocks = [static[b] for b in others]
        if len(va) < 2 or any(len(v) < 2 for v in blocks):
            out.update(((a, b), pair_score(va, static[b])) for b in others)
            continue
        sims = va @ np.concatenate(blocks).T
        bounds = np.cumsum([0] + [len(v) for v in blocks])
        row_max = np.maximum.reduceat(sims, bounds[:-1], axis=1)  # per partner: each row's best
        rows_second = np.sort(row_max, axis=0)[-2]
        col_max = sims.max(axis=0)
        for k, b in enumerate(others):
            cols = col_max[bounds[k] : bounds[k + 1]]
            out[(a, b)] = float(min(rows_second[k], np.partition(cols, -2)[-2]))
    return out


def needs_vectors(score: float, shorter: int, config: PreselectConfig = PRESELECT) -> bool:
    """Whether a lexical pair gets transformer vectors: its :func:`pair_score` reaches
    ``config.pair_min`` or its shorter document has at most ``config.short`` sentences.  (A
    candidate by meaning needs ``score >= config.semantic_min``.)"""
    return score >= config.pair_min or shorter <= config.short


@dataclass(slots=True)
class Preselection:
    """What :func:`semantic_preselect` chose.

    Attributes:
        pairs: the lexical pairs that get transformer vectors (their documents are embedded).
        semantic: candidate pairs by meaning, proposed by static neighbours and pair score; the
            caller keeps those whose transformer document cosine reaches the old floor.
        embed: the documents the transformer must embed: those of ``pairs`` and ``semantic``.
        stats: counters (pairs scored, chosen, documents to embed).
    """

    pairs: set[tuple[str, str]] = field(default_factory=set)
    semantic: set[tuple[str, str]] = field(default_factory=set)
    embed: set[str] = field(default_factory=set)
    stats: dict[str, int] = field(default_factory=dict)


def semantic_preselect(docs: Mapping[str, Document], lexical: Iterable[tuple[str, str]], *,
                       config: PreselectConfig = PRESELECT,
                       static: Mapping[str, np.ndarray] | None = None) -> Preselection:
    """Choose, on static vectors, the pairs worth transformer vectors (a whole-collection step).

    Args:
        docs: the English documents of the collection, by id (others are left to the caller).
        lexical: the lexical candidate pairs (``plan_pairs``).
        config: the floors (:class:`PreselectConfig`).
        static: the documents' static sentence vectors when already made (by id), else made here.

    Returns:
        The lexical pairs kept for vectors, the semantic candidates and the documents to embed.
    """
    from newstrace.stages.semantic import semantic_candidates

    ids = sorted(docs)
    if static is None:
        embedder = get_static_embedder()
        static = dict(zip(ids, embedder.documents([docs[i] for i in ids]), strict=True))
    out = Preselection()
    lexical_pairs = {(a, b) if a < b else (b, a) for a, b in lexical if a in static and b in static}
    scores = pair_scores(static, lexical_pairs)
    out.pairs = {p for p, score in scores.items()
                 if needs_vectors(score, min(len(static[p[0]]), len(static[p[1]])), config)}
    pool = [i for i in ids if i in static and len(static[i])]
    if len(pool) > 1:
        vecs = np.stack([static_document_vector(static[i]) for i in pool])
        near = set(semantic_candidates(pool, vecs, k=config.neighbours, min_cosine=config.doc_min)) - lexical_pairs
        out.semantic = {p for p, score in pair_scores(static, near).items() if score >= config.semantic_min}
    scored = len(lexical_pairs)
    out.embed = {x for p in out.pairs | out.semantic for x in p}
    out.stats = {"preselect_scored": scored, "preselect_pairs": len(out.pairs),
                 "preselect_semantic": len(out.semantic), "preselect_embed": len(out.embed)}
    return out


def screen_meaning_candidates(docs: Mapping[str, Document], pairs: Iterable[tuple[str, str]], *,
                              config: PreselectConfig = PRESELECT,
                              static: Mapping[str, np.ndarray] | None = None) -> set[tuple[str, str]]:
    """The candidate pairs by meaning worth aligning: those whose static :func:`pair_score`
    reaches ``config.semantic_min``, the test :func:`semantic_preselect` holds its own
    candidates to.

    A kept store finds candidates by meaning as the nearest document vectors of the transformer
    (``newstrace.stages.vectors``), ten a document; on BBC News 14,030 of the 16,274 pairs a
    scan aligned came only from those neighbours and gave no relation, and aligning them was
    most of the cost of ``index add`` (96% of its pairs into a 10k index).  A pair needs two
    sentences that match by meaning to make a passage, which a second-best static sentence match
    under the floor rules out; so the neighbours are screened by the same floor as the scan's
    static candidates, and ``scan``, ``scan --db``, ``index add`` and ``trace`` answer a pair
    proposed by meaning under one rule.

    Args:
        docs: the documents of the pairs, by id; pairs with a document outside ``docs`` and
            ``static`` (in another language, or unknown) are kept as given: the multilingual
            floor decides them.
        pairs: candidate pairs by meaning (the lexical candidates are not screened).
        config: the floor (``semantic_min``).
        static: English documents' static sentence vectors already made (stored with them),
            by id; those of ``docs`` not among them are made here.

    Returns:
        The pairs kept, each as given.
    """
    given = set(pairs)
    known = dict(static or {})
    ids = sorted({x for p in given for x in p if x in docs and x not in known})
    if ids:
        known.update(zip(ids, get_static_embedder().documents([docs[i] for i in ids]), strict=True))
    scored = {p for p in given if p[0] in known and p[1] in known}
    kept = {p for p, score in pair_scores(known, scored).items() if score >= config.semantic_min}
    return kept | (given - scored)
