"""Run the aligner over a PAN text-alignment corpus and score it with the PAN measures.

``detect_pairs`` is the PAN software-submission interface (``pairs SRC_DIR SUSP_DIR OUT_DIR``):
one detection XML per pair.  ``evaluate_corpus`` runs it over the class folders of a corpus
such as PAN 2013 training (or reads detections already made) and scores each class and the
entire corpus as the official evaluator does (see ``newstrace.pan.measures``).

The aligner is called as ``aligner(source_text, suspicious_text)``; each ``Alignment`` it
returns has ``source_span`` in the source document and ``target_span`` in the suspicious one.
Pairs run through ``newstrace.executors.local.map_items`` with the module-level
``detect_pair``; nothing is cached across pairs or processes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newstrace.executors.local import map_items
from newstrace.pan.corpus import (
    PanCase,
    PanPair,
    detection_filename,
    read_detections,
    read_pairs,
    read_text,
    read_truth,
    write_detections,
)
from newstrace.pan.measures import evaluate
from newstrace.types import Alignment, Document, InputError

if TYPE_CHECKING:
    from newstrace.stages.relate.context import Encoder

__all__ = [
    "CLASS_FOLDERS",
    "Aligner",
    "DetectSummary",
    "PairTask",
    "alignments_to_detections",
    "detect_pair",
    "detect_pairs",
    "evaluate_corpus",
]

Aligner = Callable[[str, str], list[Alignment]]

CLASS_FOLDERS = (
    "01-no-plagiarism",
    "02-no-obfuscation",
    "03-random-obfuscation",
    "04-translation-obfuscation",
    "05-summary-obfuscation",
)


@dataclass(frozen=True, slots=True)
class PairTask:
    """One pair to align: the document names, where they are, and the aligner (``None`` = default)."""

    susp: str
    src: str
    src_dir: str
    susp_dir: str
    aligner: Aligner | None = None

    @property
    def name(self) -> str:
        return detection_filename(self.susp, self.src)


@dataclass(slots=True)
class DetectSummary:
    """What ``detect_pairs`` did: files written, passages found, pairs skipped and why."""

    pairs: int = 0
    written: int = 0
    passages: int = 0
    errors: list[InputError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds if self.seconds > 0 else 0.0


def _default_aligner() -> Aligner:
    return semantic_align


_ENCODER: Encoder | None = None


def _encoder() -> Encoder:
    """This process's English sentence encoder (one inference thread: pairs run one per core)."""
    global _ENCODER
    if _ENCODER is None:
        from newstrace.stages.embed import get_embedder
        from newstrace.stages.encoder_memo import MemoizedEncoder
        from newstrace.stages.relate.context import ENGLISH_MODEL

        _ENCODER = MemoizedEncoder(get_embedder(ENGLISH_MODEL, threads=1).encode)
    return _ENCODER


def _pan_document(name: str, text: str) -> Document:
    # PAN offsets are into the files as given: no cleaning; PAN 2013 is English.
    return Document(id=name, raw=text, text=text, language="en")


def semantic_align(source_text: str, suspicious_text: str) -> list[Alignment]:
    """The relate step's aligner with sentence embeddings (``newstrace.stages.relate.align_documents``,
    the call ``scan`` makes): passages also grow and extend by meaning."""
    from newstrace.stages.relate import RelateContext, align_documents

    return align_documents(_pan_document("source", source_text), _pan_document("suspicious", suspicious_text),
                           RelateContext(encoder=_encoder()))


def lexical_align(source_text: str, suspicious_text: str) -> list[Alignment]:
    """The relate step's aligner on words alone (no model loaded)."""
    from newstrace.stages.relate import RelateContext, align_documents

    return align_documents(_pan_document("source", source_text), _pan_document("suspicious", suspicious_text),
                           RelateContext())


def detect_pair(task: PairTask) -> tuple[str, list[Alignment] | InputError]:
    """Align one pair: ``(detection file name, alignments)``, or the error that stopped it.

    A missing or unreadable document, or an aligner failure, is returned as an ``InputError``
    naming the file (or pair) and the reason; it is never raised, so a batch goes on.
    """
    texts: list[str] = []
    for path in (os.path.join(task.src_dir, task.src), os.path.join(task.susp_dir, task.susp)):
        try:
            texts.append(read_text(path))
        except FileNotFoundError:
            return task.name, InputError(path, "file not found")
        except UnicodeDecodeError as exc:
            return task.name, InputError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})")
        except OSError as exc:
            return task.name, InputError(path, f"unreadable ({exc.strerror or exc})")
    source_text, susp_text = texts
    aligner = task.aligner or _default_aligner()
    try:
        alignments = list(aligner(source_text, susp_text))
    except Exception as exc:
        return task.name, InputError(f"{task.susp} {task.src}", f"aligner failed: {type(exc).__name__}: {exc}")
    for a in alignments:
        (s0, s1), (t0, t1) = a.source_span, a.target_span
        if not (0 <= s0 <= s1 <= len(source_text) and 0 <= t0 <= t1 <= len(susp_text)):
            return task.name, InputError(
                f"{task.susp} {task.src}",
                f"aligner returned a span outside the texts: source {a.source_span} of {len(source_text)}, "
                f"suspicious {a.target_span} of {len(susp_text)}")
    return task.name, alignments


def alignments_to_detections(susp: str, src: str, alignments: Sequence[Alignment]) -> list[PanCase]:
    """PAN detections for one pair; passages empty on either side are dropped (they cannot score)."""
    out: list[PanCase] = []
    for a in alignments:
        (s0, s1), (t0, t1) = a.source_span, a.target_span
        if s1 > s0 and t1 > t0:
            out.append(PanCase(susp, src, t0, t1 - t0, s0, s1 - s0))
    return out


def _report(error: InputError) -> None:
    sys.stderr.write(f"newstrace: skipped {error}\n")


def _run(pairs: Sequence[PanPair], src_dir: str | os.PathLike[str], susp_dir: str | os.PathLike[str],
         out_dir: str | os.PathLike[str], *, aligner: Aligner | None, workers: int | None,
         progress: bool) -> DetectSummary:
    start = time.perf_counter()
    tasks = [PairTask(p.susp, p.src, str(src_dir), str(susp_dir), aligner) for p in pairs]
    summary = DetectSummary(pairs=len(tasks))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    label = "aligning PAN pairs" if progress else None
    for task, (_, result) in zip(tasks, map_items(detect_pair, tasks, workers=workers, progress=label), strict=True):
        if isinstance(result, InputError):
            summary.errors.append(result)
            _report(result)
            (Path(out_dir) / task.name).unlink(missing_ok=True)  # no stale result from an earlier run
            continue
        detections = alignments_to_detections(task.susp, task.src, result)
        write_detections(out_dir, task.susp, task.src, detections)
        summary.written += 1
        summary.passages += len(detections)
    summary.seconds = time.perf_counter() - start
    return summary


def detect_pairs(pairs_file: str | os.PathLike[str], src_dir: str | os.PathLike[str],
                 susp_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 aligner: Aligner | None = None, workers: int | None = None,
                 progress: bool = True) -> DetectSummary:
    """Align every pair of ``pairs_file`` and write one detection XML per pair into ``out_dir``.

    Args:
        pairs_file: the PAN ``pairs`` file (``suspicious-….txt source-….txt`` per line).
        src_dir: the folder of the source documents.
        susp_dir: the folder of the suspicious documents.
        out_dir: where the detection XMLs go (created if needed).
        aligner: ``aligner(source_text, suspicious_text) -> list[Alignment]``; defaults to
            ``newstrace.stages.align.align``.  Must be picklable (module-level) when ``workers != 1``.
        workers: processes; ``None`` = all cores, ``1`` = this process.
        progress: show a progress bar on stderr.

    Returns:
        A ``DetectSummary``; each skipped pair (missing or unreadable file, aligner failure) is
        in ``errors`` and was reported as one line on stderr.
    """
    return _run(read_pairs(pairs_file), src_dir, susp_dir, out_dir,
                aligner=aligner, workers=workers, progress=progress)


def _select_classes(corpus: Path, classes: Sequence[str] | None) -> list[str]:
    present = [c for c in CLASS_FOLDERS if (corpus / c / "pairs").is_file()]
    if not present:
        raise FileNotFoundError(f"{corpus}: no PAN class folder with a 'pairs' file ({', '.join(CLASS_FOLDERS)})")
    if not classes:
        return present
    chosen: list[str] = []
    for want in classes:
        match = [c for c in present if c == want or c.startswith(f"{want}-") or c.split("-", 1)[0] == want]
        if not match:
            raise ValueError(f"unknown PAN class {want!r}; present: {', '.join(present)}")
        chosen.extend(m for m in match if m not in chosen)
    return [c for c in present if c in chosen]


def _load(pairs: Sequence[PanPair], folder: Path, errors: list[InputError], *, truth: bool) -> list[PanCase]:
    out: list[PanCase] = []
    for p in pairs:
        path = folder / p.name
        if not path.is_file():
            if truth:
                errors.append(InputError(str(path), "ground truth missing"))
            continue  # no detection file: nothing detected for this pair
        try:
            out.extend(read_truth(path) if truth else read_detections(path))
        except Exception as exc:
            errors.append(InputError(str(path), f"unreadable XML ({exc})"))
    return out


def evaluate_corpus(corpus_dir: str | os.PathLike[str], detections_dir: str | os.PathLike[str] | None = None, *,
                    workers: int | None = None, out_dir: str | os.PathLike[str] | None = None,
                    classes: Sequence[str] | None = None, limit: int | None = None,
                    aligner: Aligner | None = None, progress: bool = True) -> dict[str, Any]:
    """Score the aligner (or given detections) on a PAN corpus, per class folder and pooled.

    Args:
        corpus_dir: a PAN text-alignment corpus: ``src/``, ``susp/`` and class folders, each
            with its own ``pairs`` file and one ground-truth XML per pair.
        detections_dir: detection XMLs made already; when ``None`` the aligner is run first.
        workers: processes for the aligner; ``None`` = all cores.
        out_dir: keep the detections here instead of in a temporary folder.
        classes: class folders to use, by name or number prefix (``"02"``); all when ``None``.
        limit: use only the first ``limit`` pairs of each class (quick runs).
        aligner: see ``detect_pairs``.
        progress: show a progress bar on stderr.

    Returns:
        A JSON-ready dict: ``classes`` (one row per class: class, pairs, cases, detections,
        plagdet, precision, recall, granularity), ``entire`` (all selected pairs pooled),
        ``seconds`` (wall time), ``pairs_per_second``, ``detect_seconds``, ``detections_dir``
        (``None`` when a temporary folder was used) and ``errors``.
    """
    start = time.perf_counter()
    corpus = Path(corpus_dir)
    chosen = _select_classes(corpus, classes)
    per_class: dict[str, list[PanPair]] = {}
    for name in chosen:
        pairs = read_pairs(corpus / name / "pairs")
        per_class[name] = pairs[:limit] if limit is not None and limit >= 0 else pairs
    all_pairs = [p for pairs in per_class.values() for p in pairs]
    errors: list[InputError] = []

    tmp: tempfile.TemporaryDirectory[str] | None = None
    detect_seconds = 0.0
    if detections_dir is None:
        if out_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="newstrace-pan-")
            det_dir = Path(tmp.name)
        else:
            det_dir = Path(out_dir)
        summary = _run(all_pairs, corpus / "src", corpus / "susp", det_dir,
                       aligner=aligner, workers=workers, progress=progress)
        errors.extend(summary.errors)
        detect_seconds = summary.seconds
    else:
        det_dir = Path(detections_dir)
        if not det_dir.is_dir():
            raise FileNotFoundError(f"{det_dir}: detections folder not found")
    try:
        rows = []
        pooled_cases: list[PanCase] = []
        pooled_dets: list[PanCase] = []
        for name, pairs in per_class.items():
            cases = _load(pairs, corpus / name, errors, truth=True)
            dets = _load(pairs, det_dir, errors, truth=False)
            pooled_cases.extend(cases)
            pooled_dets.extend(dets)
            rows.append({"class": name, "pairs": len(pairs), **evaluate(cases, dets).as_dict()})
        entire = {"class": "entire", "pairs": len(all_pairs), **evaluate(pooled_cases, pooled_dets).as_dict()}
    finally:
        if tmp is not None:
            tmp.cleanup()
    seconds = time.perf_counter() - start
    return {
        "corpus": str(corpus),
        "classes": rows,
        "entire": entire,
        "pairs": len(all_pairs),
        "seconds": seconds,
        "pairs_per_second": len(all_pairs) / seconds if seconds > 0 else 0.0,
        "detect_seconds": detect_seconds,
        "detections_dir": None if tmp is not None else str(det_dir),
        "errors": [{"path": e.path, "reason": e.reason} for e in errors],
    }
