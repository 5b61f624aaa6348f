"""``newstrace pan`` and ``newstrace eval pan`` on a small subset of PAN 2013 training."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from newstrace.cli.app import main
from newstrace.pan.corpus import read_detections, read_pairs
from newstrace.pan.run import evaluate_corpus
from newstrace.types import Alignment

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pan13-train"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (CORPUS / "02-no-obfuscation" / "pairs").is_file(),
                       reason=f"PAN 2013 training corpus not found at {CORPUS}"),
]


def _trivial_aligner(source_text: str, target_text: str) -> list[Alignment]:
    """Stand-in when the real aligner is absent: the first 500 characters of each side."""
    n_src, n_tgt = min(500, len(source_text)), min(500, len(target_text))
    return [Alignment((0, n_src), (0, n_tgt), 0.5)] if n_src and n_tgt else []


@pytest.fixture
def aligner_in_place(monkeypatch: pytest.MonkeyPatch) -> str:
    """Use the real aligner when ``newstrace.stages.align`` exists, else the trivial one."""
    if importlib.util.find_spec("newstrace.stages.align") is not None:
        return "real"
    monkeypatch.setattr("newstrace.pan.run._default_aligner", lambda: _trivial_aligner)
    return "trivial"


def _subset(tmp_path: Path) -> tuple[Path, list[str]]:
    pairs = (read_pairs(CORPUS / "02-no-obfuscation" / "pairs")[:5]
             + read_pairs(CORPUS / "01-no-plagiarism" / "pairs")[:5])
    lines = [f"{p.susp} {p.src}" for p in pairs]
    pairs_file = tmp_path / "pairs"
    pairs_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pairs_file, [p.name for p in pairs]


def test_pan_command_writes_parsable_detections(tmp_path: Path, aligner_in_place: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    pairs_file, names = _subset(tmp_path)
    out = tmp_path / "out"
    rc = main(["pan", str(pairs_file), str(CORPUS / "src"), str(CORPUS / "susp"), str(out),
               "--workers", "1", "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    written = sorted(p.name for p in out.glob("*.xml"))
    assert written == sorted(names)
    for name in names:
        susp = name.split("-source-")[0] + ".txt"
        for det in read_detections(out / name):
            assert det.susp == susp
            assert det.this_length > 0 and det.src_length > 0

    result = evaluate_corpus(CORPUS, out, classes=["01", "02"], limit=5)
    rows = [*result["classes"], result["entire"]]
    assert [r["class"] for r in rows] == ["01-no-plagiarism", "02-no-obfuscation", "entire"]
    assert rows[1]["cases"] > 0 and rows[2]["pairs"] == 10
    for row in rows:
        for key in ("plagdet", "precision", "recall"):
            assert 0.0 <= row[key] <= 1.0, (row["class"], key, row[key])
        assert row["granularity"] >= 1.0
    if aligner_in_place == "real":
        assert rows[1]["recall"] > 0.5  # verbatim cases: the real aligner must find most of them

    # the same through the CLI, as JSON
    capsys.readouterr()
    rc = main(["eval", "pan", str(CORPUS), "--detections", str(out), "--classes", "01,02",
               "--limit", "5", "--json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["entire"]["pairs"] == 10
    assert data["entire"]["plagdet"] == pytest.approx(result["entire"]["plagdet"])


def test_pan_command_skips_a_missing_file(tmp_path: Path, aligner_in_place: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    first = read_pairs(CORPUS / "02-no-obfuscation" / "pairs")[0]
    pairs_file = tmp_path / "pairs"
    pairs_file.write_text(f"suspicious-document99999.txt {first.src}\n{first.susp} {first.src}\n",
                          encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["pan", str(pairs_file), str(CORPUS / "src"), str(CORPUS / "susp"), str(out),
               "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1
    skipped = [line for line in err.splitlines() if "suspicious-document99999.txt" in line]
    assert len(skipped) == 1 and "not found" in skipped[0]
    assert [p.name for p in out.glob("*.xml")] == [first.name]


def test_eval_pan_table(tmp_path: Path, aligner_in_place: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["eval", "pan", str(CORPUS), "--classes", "02", "--limit", "3", "--workers", "1",
               "--no-progress", "--out", str(tmp_path / "dets")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "02-no-obfuscation" in out and "plagdet" in out and "pairs/s" in out
    assert len(list((tmp_path / "dets").glob("*.xml"))) == 3
