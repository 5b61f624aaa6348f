"""MSRP: fit and cross-validate the sentence-level paraphrase decision.

The Microsoft Research Paraphrase Corpus (Dolan & Brockett 2005) pairs news sentences, each
judged a paraphrase or not.  The file is tab-separated with a BOM and a header line
(``Quality  #1 ID  #2 ID  #1 String  #2 String``); split on tabs, no CSV quoting (the strings
contain quotation marks, written ``<QUOTE>`` in some releases).

Usage::

    python -m newstrace.evaluation.msrp ../shared/data/msrp-train/msr_paraphrase_train.txt \\
        --model minilm-l3 [--sample 1000] [--coefficients]

prints 10-fold cross-validated accuracy and F1 of the cosine alone (threshold tuned on the
training folds) and of the logistic regression over all :data:`FEATURES`, and with
``--coefficients`` the coefficients fitted on all pairs (as stored in
``newstrace.stages.semantic.PARAPHRASE_MODELS``).  Published MSRP *test* figures for
comparison: majority baseline accuracy 0.665, simple cosine about 0.70-0.73, strong models 0.80+.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newstrace.stages.semantic.paraphrase import FEATURES, SentenceInfo, feature_values

__all__ = ["CVResult", "MsrpPair", "cross_validate", "fit_logistic", "load_msrp", "main", "pair_features"]


@dataclass(frozen=True, slots=True)
class MsrpPair:
    label: int  # 1: paraphrase
    id1: str
    id2: str
    text1: str
    text2: str


def load_msrp(path: str | Path) -> list[MsrpPair]:
    """Read an MSRP file (train or test format).

    Raises:
        ValueError: a line without the five tab-separated fields.
    """
    pairs = []
    with open(path, encoding="utf-8-sig") as fh:
        header = fh.readline()
        if not header.lower().startswith("quality"):
            raise ValueError(f"{path}: not an MSRP file (first line {header[:40]!r})")
        for n, line in enumerate(fh, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                raise ValueError(f"{path}:{n}: expected 5 tab-separated fields, got {len(fields)}")
            text1, text2 = (f.replace("<QUOTE>", '"') for f in fields[3:5])
            pairs.append(MsrpPair(int(fields[0]), fields[1], fields[2], text1, text2))
    return pairs


def pair_features(pairs: Sequence[MsrpPair], cosines: np.ndarray, language: str = "en") -> np.ndarray:
    """The :data:`FEATURES` matrix of the pairs, given their embedding cosines."""
    return np.array([feature_values(SentenceInfo(p.text1, language), SentenceInfo(p.text2, language), float(c))
                     for p, c in zip(pairs, cosines, strict=True)], dtype=np.float64)


def fit_logistic(X: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, iterations: int = 30) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression by Newton's method (deterministic).

    Features are standardised for the fit and the coefficients mapped back, so the result
    applies to raw features: ``p = sigmoid(intercept + X @ coef)``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mu = X.mean(axis=0)
    sd = X.std(axis=0) + 1e-9
    Z = np.c_[np.ones(len(X)), (X - mu) / sd]
    w = np.zeros(Z.shape[1])
    penalty = l2 * len(y) * np.r_[0.0, np.ones(Z.shape[1] - 1)]
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -60, 60)))
        grad = Z.T @ (p - y) + penalty * w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    coef = w[1:] / sd
    intercept = float(w[0] - (w[1:] * mu / sd).sum())
    return intercept, coef


def _scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    y = y.astype(bool)
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    return float((pred == y).mean()), 2 * tp / max(1, 2 * tp + fp + fn)


def _best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    cands = np.unique(np.round(scores, 4))
    accuracy = [((scores >= t) == y).mean() for t in cands]
    return float(cands[int(np.argmax(accuracy))])


@dataclass(frozen=True, slots=True)
class CVResult:
    model: str
    pairs: int
    majority: float  # accuracy of always answering "paraphrase"
    cosine_accuracy: float
    cosine_f1: float
    accuracy: float
    f1: float
    intercept: float  # fitted on all pairs
    coef: tuple[float, ...]


def cross_validate(pairs: Sequence[MsrpPair], cosines: np.ndarray, *, model: str = "", folds: int = 10,
                   seed: int = 0) -> CVResult:
    """k-fold cross-validation of the cosine threshold and of the full logistic regression.

    The folds come from a fixed permutation (``numpy.random.default_rng(seed)``); the cosine
    threshold is tuned for accuracy on the training folds; the regression decides at 0.5.
    """
    y = np.array([p.label for p in pairs], dtype=np.float64)
    X = pair_features(pairs, cosines)
    perm = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(perm, folds)
    pred_cos = np.zeros(len(y), dtype=bool)
    pred_all = np.zeros(len(y), dtype=bool)
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[j] for j in range(folds) if j != k])
        threshold = _best_threshold(X[train, 0], y[train])
        pred_cos[test] = X[test, 0] >= threshold
        b, c = fit_logistic(X[train], y[train])
        pred_all[test] = X[test] @ c + b >= 0.0
    acc_c, f1_c = _scores(pred_cos, y)
    acc, f1 = _scores(pred_all, y)
    b, c = fit_logistic(X, y)
    return CVResult(model, len(pairs), float(max(y.mean(), 1 - y.mean())), acc_c, f1_c, acc, f1, b,
                    tuple(float(v) for v in c))


def embed_cosines(pairs: Sequence[MsrpPair], model: str, *, threads: int | None = None) -> np.ndarray:
    """The embedding cosine of each pair under the named embedder."""
    from newstrace.stages.embed import get_embedder

    emb = get_embedder(model, threads=threads)
    a = emb.encode([p.text1 for p in pairs])
    b = emb.encode([p.text2 for p in pairs])
    cosines: np.ndarray = (a * b).sum(axis=1)
    return cosines


def sample_pairs(pairs: Sequence[MsrpPair], n: int | None, seed: int = 0) -> list[MsrpPair]:
    """A fixed random sample of ``n`` pairs (all of them when ``n`` is None or too large)."""
    if n is None or n >= len(pairs):
        return list(pairs)
    idx = np.sort(np.random.default_rng(seed).permutation(len(pairs))[:n])
    return [pairs[int(i)] for i in idx]


def main(argv: list[str] | None = None) -> int:
    default = Path(__file__).resolve().parents[4] / "shared" / "data" / "msrp-train" / "msr_paraphrase_train.txt"
    parser = argparse.ArgumentParser(description="Cross-validate newstrace's paraphrase decision on MSRP.")
    parser.add_argument("path", nargs="?", default=str(default), help=f"MSRP file (default: {default})")
    parser.add_argument("--model", action="append", choices=["minilm-l3", "minilm-l6", "e5-small"],
                        help="embedder(s) to evaluate (default: minilm-l3)")
    parser.add_argument("--sample", type=int, default=None, help="a fixed random sample of N pairs")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--coefficients", action="store_true", help="print the coefficients fitted on all pairs")
    args = parser.parse_args(argv)
    path = Path(args.path)
    if not path.is_file():
        print(f"SKIP: MSRP not found at {path}")
        return 0
    pairs = sample_pairs(load_msrp(path), args.sample)
    for model in args.model or ["minilm-l3"]:
        cos = embed_cosines(pairs, model, threads=args.threads)
        r = cross_validate(pairs, cos, model=model, folds=args.folds)
        print(f"{model}: {r.pairs} pairs, majority {r.majority:.4f}; {args.folds}-fold CV: "
              f"cosine only acc {r.cosine_accuracy:.4f} F1 {r.cosine_f1:.4f}; "
              f"cosine + lexical acc {r.accuracy:.4f} F1 {r.f1:.4f}")
        if args.coefficients:
            print(f'    "{model}": ({r.intercept:.4f}, (')
            print("        " + ", ".join(f"{v:.4f}" for v in r.coef) + ")),")
            print("    # " + ", ".join(FEATURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
