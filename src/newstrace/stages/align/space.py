"""The TF-ISF space of two texts' sentences, and the sentence-pair scores the aligner reads."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
from scipy import sparse

from newstrace.stages.align.similarity import SentenceSimilarity
from newstrace.stages.text import Tokens

# Rows of the sentence-pair score matrix computed at once: a block of rows x all target
# sentences is dense while it is thresholded, so this bounds the transient memory at about
# 5 arrays x 8 bytes x _BLOCK_CELLS = 80 MB whatever the texts' lengths.
_BLOCK_CELLS = 2_000_000


def _transposed(m: sparse.csr_matrix) -> sparse.csr_matrix:
    """``m.T.tocsr()``, the same arrays (each column's entries in row order, as scipy's
    conversion leaves them), made by one stable sort instead of two scipy conversions: a pair
    of texts built a dozen sparse matrices, each about 0.1 ms of scipy's checks."""
    n, v = m.shape
    rows = np.repeat(np.arange(n, dtype=m.indices.dtype), np.diff(m.indptr))
    order = np.argsort(m.indices, kind="stable")
    indptr = np.zeros(v + 1, dtype=m.indptr.dtype)
    np.cumsum(np.bincount(m.indices, minlength=v), out=indptr[1:])
    return sparse.csr_matrix((m.data[order], rows[order], indptr), shape=(v, n))


class _Scores:
    """The TF-ISF cosine and Dice overlap of source x target sentence pairs, kept sparse.

    The aligner reads a pair's scores only where they pass a threshold (seeds, weak seeds for
    the hysteresis) or for pairs it already holds; a dense ``n_src x n_tgt`` matrix made memory
    grow with the square of the texts' length (5 GB for two 1.2M-character texts).  Here the
    matrix is computed in blocks of rows, and only the pairs with cosine >= ``floor_cosine``
    and Dice >= ``floor_dice`` are kept (the lowest thresholds any step compares with); any
    other pair is computed on demand by :meth:`at`, with the same floating-point operations,
    so every value read is the one the dense matrix held.
    """

    def __init__(self, Aw: sparse.csr_matrix, Bw: sparse.csr_matrix, na: np.ndarray, nb: np.ndarray,
                 Ab: sparse.csr_matrix, Bb: sparse.csr_matrix, floor_cosine: float, floor_dice: float) -> None:
        self._Aw, self._BwT, self._na, self._nb = Aw, _transposed(Bw), na, nb
        self._Ab, self._BbT = Ab, _transposed(Bb)
        self._la = np.diff(Ab.indptr).astype(np.float64)
        self._lb = np.diff(Bb.indptr).astype(np.float64)
        self.shape = (Aw.shape[0], Bw.shape[0])
        self.floor_cosine, self.floor_dice = floor_cosine, floor_dice
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        cos: list[np.ndarray] = []
        dice: list[np.ndarray] = []
        step = max(1, _BLOCK_CELLS // max(1, self.shape[1]))
        for r0 in range(0, self.shape[0], step):
            c, d = self.block(r0, min(self.shape[0], r0 + step))
            keep = (c >= floor_cosine) & (d >= floor_dice) & (c > 0)
            i, j = np.nonzero(keep)
            rows.append(i + r0)
            cols.append(j)
            cos.append(c[keep])
            dice.append(d[keep])
        self.rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)  # sorted by (row, col)
        self.cols = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        self.cosine = np.concatenate(cos) if cos else np.zeros(0)
        self.dice = np.concatenate(dice) if dice else np.zeros(0)
        self._index = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(self.rows, self.cols, strict=True))}

    def block(self, r0: int, r1: int, c0: int = 0, c1: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Dense cosines and Dice overlaps of source rows ``r0:r1`` x target columns ``c0:c1``.

        The same operations per cell as the whole matrix: a row of a sparse product adds its
        terms in the order of that row's entries, whatever the other rows and columns.
        """
        c1 = self.shape[1] if c1 is None else c1
        # The whole matrix as it is when asked for whole (scipy's slice would copy it as it is).
        rows_all, cols_all = (r0, r1) == (0, self.shape[0]), (c0, c1) == (0, self.shape[1])
        a = self._Aw if rows_all else self._Aw[r0:r1]
        b = self._BwT if cols_all else self._BwT[:, c0:c1]
        dot = (a @ b).toarray()
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = dot / np.outer(np.maximum(self._na[r0:r1], 1e-12), np.maximum(self._nb[c0:c1], 1e-12))
            a = self._Ab if rows_all else self._Ab[r0:r1]
            b = self._BbT if cols_all else self._BbT[:, c0:c1]
            inter = (a @ b).toarray()
            dice = 2.0 * inter / np.maximum(self._la[r0:r1, None] + self._lb[None, c0:c1], 1.0)
        return cosine, dice

    def at(self, i: int, j: int) -> tuple[float, float]:
        """The cosine and Dice of one pair (stored, or computed)."""
        k = self._index.get((i, j))
        if k is not None:
            return float(self.cosine[k]), float(self.dice[k])
        c, d = self.block(i, i + 1, j, j + 1)
        return float(c[0, 0]), float(d[0, 0])

    def cos(self, i: int, j: int) -> float:
        return self.at(i, j)[0]

    def where(self, min_cosine: float, min_dice: float, *, strict: bool = False,
              rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None) -> list[tuple[int, int]]:
        """The pairs, in row-major order, with cosine and Dice above (``strict``) or at least
        the given thresholds, optionally within row and column ranges (half-open)."""
        if min_cosine < self.floor_cosine or min_dice < self.floor_dice:
            raise ValueError("thresholds below the stored floor: the pairs under it were not kept")
        lo, hi = (0, len(self.rows)) if rows is None else (
            int(np.searchsorted(self.rows, rows[0], "left")), int(np.searchsorted(self.rows, rows[1], "left")))
        c, d = self.cosine[lo:hi], self.dice[lo:hi]
        ok = (c > min_cosine) & (d > min_dice) if strict else (c >= min_cosine) & (d >= min_dice)
        if cols is not None:
            ok &= (self.cols[lo:hi] >= cols[0]) & (self.cols[lo:hi] < cols[1])
        k = np.nonzero(ok)[0] + lo
        return [(int(i), int(j)) for i, j in zip(self.rows[k], self.cols[k], strict=True)]

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole matrices (tests and small texts only: quadratic memory)."""
        return self.block(0, self.shape[0])


@dataclass(slots=True)
class _Space:
    """TF-ISF vectors of both texts' sentences in one vocabulary, and their pair scores."""

    src: sparse.csr_matrix  # weighted, unnormalised
    tgt: sparse.csr_matrix
    scores: _Scores
    semantic: SentenceSimilarity | None = None  # sentence-embedding cosine, when an encoder is given

    @property
    def shape(self) -> tuple[int, int]:
        return self.scores.shape


def _counts(rows: list[list[int]], v: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term counts per sentence as canonical CSR arrays (indptr, column indices ascending
    within each row, counts as float64), from each sentence's term ids."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    row = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    col = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    keys, counts = np.unique(row * v + col, return_counts=True)
    r, c = np.divmod(keys, v)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=len(rows)), out=indptr[1:])
    return indptr, c, counts.astype(np.float64)


def _weighted(indptr: np.ndarray, cols: np.ndarray, counts: np.ndarray, isf: np.ndarray,
              v: int) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The TF-ISF rows and their norms, float for float what ``A @ diags(isf)`` and
    ``sqrt(Aw.multiply(Aw).sum(axis=1))`` give for the count matrix ``A``: the same products,
    zeros dropped, each row's entries stored in descending column order as scipy's sparse
    product leaves them (the order the later sparse products add in), and the squares summed
    in ascending column order by the same ``np.add.reduceat``."""
    n = len(indptr) - 1
    row = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    data = counts * isf[cols]
    keep = data != 0
    row, cols, data = row[keep], cols[keep], data[keep]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=ptr[1:])
    norms = np.zeros(n, dtype=np.float64)
    nonempty = np.flatnonzero(np.diff(ptr))
    if len(nonempty):
        norms[nonempty] = np.add.reduceat(data * data, ptr[nonempty])
    order = np.lexsort((-cols, row))
    index = np.int32 if max(v, len(data)) < np.iinfo(np.int32).max else np.int64
    m = sparse.csr_matrix((data[order], cols[order].astype(index), ptr.astype(index)), shape=(n, v))
    return m, np.sqrt(norms)


def _space(a: Tokens, b: Tokens, floor_cosine: float = 0.0, floor_dice: float = 0.0) -> _Space:
    """TF-ISF cosines and Dice overlaps of the source/target sentence pairs (see ``_Scores``:
    pairs under ``floor_cosine`` or ``floor_dice`` are computed only when read).

    Built from numpy arrays, not a chain of two dozen scipy operations: the floats are those of
    the sparse formulation (``tests/unit/test_align.py`` keeps it as the reference), in half
    the time; the order-sensitive sums (the dot products) are still scipy's sparse product.
    """
    vocab: dict[str, int] = {}
    ids_a = [[vocab.setdefault(t, len(vocab)) for t in terms] for terms in a.terms]
    ids_b = [[vocab.setdefault(t, len(vocab)) for t in terms] for terms in b.terms]
    v = max(1, len(vocab))
    pa, ca, xa = _counts(ids_a, v)
    pb, cb, xb = _counts(ids_b, v)
    n = len(a.terms) + len(b.terms)
    df = (np.bincount(ca, minlength=v) + np.bincount(cb, minlength=v)).astype(np.float64)
    isf = np.log(n / np.maximum(df, 1.0))
    Aw, na = _weighted(pa, ca, xa, isf, v)
    Bw, nb = _weighted(pb, cb, xb, isf, v)
    Ab = sparse.csr_matrix((np.ones(len(ca)), ca.astype(np.int32), pa.astype(np.int32)), shape=(len(a.terms), v))
    Bb = sparse.csr_matrix((np.ones(len(cb)), cb.astype(np.int32), pb.astype(np.int32)), shape=(len(b.terms), v))
    return _Space(Aw, Bw, _Scores(Aw, Bw, na, nb, Ab, Bb, floor_cosine, floor_dice))


def _vec(m: sparse.csr_matrix, rng: tuple[int, int]) -> np.ndarray:
    """The sum of rows ``rng[0]..rng[1]`` of ``m`` as a dense vector.

    Read from the CSR arrays: the same additions in the same order as
    ``m[a : b + 1].sum(axis=0)`` (so the same floats), without building two sparse matrices.
    """
    lo, hi = m.indptr[rng[0]], m.indptr[rng[1] + 1]
    return np.bincount(m.indices[lo:hi], weights=m.data[lo:hi], minlength=m.shape[1])


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na and nb else 0.0


def _passage_cosine(space: _Space, src: tuple[int, int], tgt: tuple[int, int]) -> float:
    a = _vec(space.src, src)
    b = _vec(space.tgt, tgt)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(a @ b / (na * nb))
