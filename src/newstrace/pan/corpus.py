"""Reading and writing the PAN text-alignment corpus format.

A PAN text-alignment corpus has a ``pairs`` file (one ``suspicious-documentNNNNN.txt
source-documentMMMMM.txt`` pair a line), the documents, and one XML per pair::

    <document reference="suspicious-documentNNNNN.txt">
      <feature name="plagiarism" this_offset="…" this_length="…"
               source_reference="source-documentMMMMM.txt" source_offset="…" source_length="…"/>
    </document>

Detections use the same format with ``name="detected-plagiarism"``, one file per pair named
``suspicious-documentNNNNN-source-documentMMMMM.xml``.

Offsets are Python string (code point) indices into the documents read as UTF-8.  Documents are
read with ``newline=""`` so that no newline translation can shift an offset.  This was checked
on the PAN 2013 training corpus: no document contains a carriage return (both reading modes give
the same string), and every case of the first 40 pairs of ``02-no-obfuscation`` (48 cases) gives
the same text on both sides after whitespace normalisation.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CASE_TAG",
    "DETECTION_TAG",
    "PanCase",
    "PanPair",
    "detection_filename",
    "read_annotations",
    "read_detections",
    "read_pairs",
    "read_text",
    "read_truth",
    "write_detections",
]

CASE_TAG = "plagiarism"
DETECTION_TAG = "detected-plagiarism"


@dataclass(frozen=True, slots=True)
class PanCase:
    """One annotated passage pair: a ground-truth case or a detection.

    ``susp``/``src`` are the document file names (``suspicious-document00005.txt``,
    ``source-document01090.txt``); offsets and lengths are in characters.
    """

    susp: str
    src: str
    this_offset: int
    this_length: int
    src_offset: int
    src_length: int

    @property
    def this_end(self) -> int:
        return self.this_offset + self.this_length

    @property
    def src_end(self) -> int:
        return self.src_offset + self.src_length


@dataclass(frozen=True, slots=True)
class PanPair:
    """One line of a ``pairs`` file."""

    susp: str
    src: str

    @property
    def name(self) -> str:
        """The PAN file name for this pair's ground truth or detections."""
        return detection_filename(self.susp, self.src)


def detection_filename(susp: str, src: str) -> str:
    """``suspicious-documentNNNNN-source-documentMMMMM.xml`` for a pair of document names."""
    return f"{_stem(susp)}-{_stem(src)}.xml"


def _stem(name: str) -> str:
    return name[:-4] if name.endswith(".txt") else name


def read_text(path: str | os.PathLike[str]) -> str:
    """A corpus document as the offsets assume it: UTF-8, newlines kept as they are."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def read_pairs(path: str | os.PathLike[str]) -> list[PanPair]:
    """The pairs of a ``pairs`` file, in file order.

    Blank lines are skipped; a line without exactly two names raises ``ValueError`` naming it.
    """
    pairs: list[PanPair] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2:
                raise ValueError(f"{path}:{number}: expected 'SUSPICIOUS SOURCE', got {line.strip()!r}")
            pairs.append(PanPair(fields[0], fields[1]))
    return pairs


def read_annotations(path: str | os.PathLike[str], tag: str) -> list[PanCase]:
    """The ``<feature name=TAG …>`` passages of one PAN XML file, in file order.

    As in the official evaluator, a feature needs ``this_offset`` and ``this_length``; features
    without the three ``source_*`` attributes (intrinsic annotations) are not used in text
    alignment and are skipped.
    """
    root = ET.parse(path).getroot()
    susp = root.get("reference")
    if not susp:
        return []
    out: list[PanCase] = []
    for node in root:
        if node.tag != "feature" or node.get("name") != tag:
            continue
        values = [node.get(k) for k in ("this_offset", "this_length", "source_offset", "source_length")]
        src = node.get("source_reference")
        if src is None or any(v is None for v in values):
            continue
        t_off, t_len, s_off, s_len = (int(v) for v in values)  # type: ignore[arg-type]
        out.append(PanCase(susp, src, t_off, t_len, s_off, s_len))
    return out


def read_truth(path: str | os.PathLike[str]) -> list[PanCase]:
    """The ground-truth cases (``name="plagiarism"``) of one pair's XML."""
    return read_annotations(path, CASE_TAG)


def read_detections(path: str | os.PathLike[str]) -> list[PanCase]:
    """The detections (``name="detected-plagiarism"``) of one pair's XML."""
    return read_annotations(path, DETECTION_TAG)


def write_detections(out_dir: str | os.PathLike[str], susp: str, src: str,
                     detections: Iterable[PanCase]) -> Path:
    """Write one pair's detection XML into ``out_dir`` and return its path.

    The file is written to a temporary name and renamed, so a reader never sees half a file.
    Detections are written in order of their suspicious-side offset; every feature names ``src``
    as its source (the detections of a pair are all against that pair's source).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = ET.Element("document", reference=susp)
    for d in sorted(detections, key=lambda c: (c.this_offset, c.src_offset, c.this_length, c.src_length)):
        ET.SubElement(root, "feature", {
            "name": DETECTION_TAG,
            "this_offset": str(d.this_offset),
            "this_length": str(d.this_length),
            "source_reference": src,
            "source_offset": str(d.src_offset),
            "source_length": str(d.src_length),
        })
    ET.indent(root)
    target = out_dir / detection_filename(susp, src)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".tmp-", suffix=".xml")
    try:
        with os.fdopen(fd, "wb") as fh:
            ET.ElementTree(root).write(fh, encoding="utf-8", xml_declaration=False)
            fh.write(b"\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
