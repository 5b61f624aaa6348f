"""One path through newstrace: ``compare`` gives the relation ``scan`` gives (translations
included), a PAN run and a scan give the same passages, and the HTML report shows exactly the
changes its JSON holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newstrace.compare import compare
from newstrace.evaluation.crosslang import write_scan_collection
from newstrace.pan.run import PairTask, detect_pair, semantic_align
from newstrace.pipeline import ScanResult, scan
from newstrace.report.html import render_html
from newstrace.report.output import render

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# PAN-PC-11 lines used (the first ones of pairs.jsonl): e5 is slow, so few.  Of all 35 pairs,
# compare (= a scan of the pair alone) traces 31 as translations (0 before compare ran the scan
# steps); a scan of all 70 fragments traces all 34 groups, as there each pair is judged against
# the collection's backgrounds.  Of these first 3, the second is one of the 4 missed.
CROSSLANG_ROWS = 3
CROSSLANG_TRACED = 2


def _crosslang(data_dir: Path, tmp_path: Path, rows: int) -> tuple[Path, dict[str, int]]:
    path = data_dir / "pan11-crosslang" / "pairs.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()][:rows]
    sample = tmp_path / "pairs.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    group, _ = write_scan_collection(sample, docs)
    return docs, group


def test_compare_gives_the_relation_scan_gives_on_translations(data_dir: Path, tmp_path: Path) -> None:
    """Each Spanish fragment and its English translation, scanned as a pair and compared: the
    same relation (type, direction, passages, evidence), a translation every time."""
    docs, group = _crosslang(data_dir, tmp_path, CROSSLANG_ROWS)
    names = sorted(group)
    pairs = [(a, b) for a in names for b in names if a < b and group[a] == group[b]]
    assert len(pairs) == CROSSLANG_ROWS
    traced = 0
    for a, b in pairs:
        scanned = scan([docs / a, docs / b], workers=1, changes=False).relations
        compared = compare(docs / a, docs / b, changes=False).relations
        assert compared == scanned, (a, b)
        traced += [r.type for r in compared] == ["translation"]
    assert traced >= CROSSLANG_TRACED


@pytest.fixture(scope="module")
def seed_pair(seeds_dir: Path) -> tuple[Path, Path, ScanResult]:
    """The truncated original (001) and its spun copy (000), scanned with meaning changes."""
    a, b = sorted(seeds_dir.glob("00[01]_*"))
    return a, b, scan([a, b], workers=1)


def test_compare_gives_the_relation_scan_gives_on_the_spun_seed(seed_pair: tuple[Path, Path, ScanResult]) -> None:
    a, b, scanned = seed_pair
    compared = compare(a, b).relations
    assert compared == scanned.relations
    assert [r.type for r in compared] == ["spun"]


def test_pan_run_and_scan_give_the_same_passages(seeds_dir: Path, tmp_path: Path) -> None:
    """The PAN runner and a scan call the same aligner step with the same meaning evidence, so
    on a pair whose cleaning changes nothing they report the same passages."""
    seed = sorted(seeds_dir.glob("002_*"))[0].read_text(encoding="utf-8")
    paragraphs = [line.strip() for line in seed.splitlines() if len(line.split()) > 12]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "source.txt").write_text("\n".join(paragraphs), encoding="utf-8")
    (tmp_path / "in" / "target.txt").write_text("\n".join(paragraphs[: len(paragraphs) // 2]), encoding="utf-8")
    result = scan([tmp_path / "in"], workers=1, changes=False)
    [relation] = result.relations
    texts = {d.id: d.text for d in result.documents}
    assert relation.target_coverage > 0.9
    # The PAN runner gets the scan's cleaned texts, as PAN source and suspicious documents.
    (tmp_path / "src").mkdir()
    (tmp_path / "susp").mkdir()
    (tmp_path / "src" / "source.txt").write_text(texts[relation.source], encoding="utf-8")
    (tmp_path / "susp" / "target.txt").write_text(texts[relation.target], encoding="utf-8")
    _, alignments = detect_pair(PairTask("target.txt", "source.txt", str(tmp_path / "src"),
                                         str(tmp_path / "susp"), semantic_align))
    assert isinstance(alignments, list)
    kept = [(a.source_span, a.target_span) for a in alignments if a.similarity >= 0.3]
    assert [(p.source_span, p.target_span) for p in relation.passages] == kept


def _changes_in_json(text: str) -> int:
    data = json.loads(text)
    return sum(len(p.get("changes", [])) for r in data["relations"] for p in r["passages"])


def test_html_report_shows_the_changes_its_json_holds(data_dir: Path, seed_pair: tuple[Path, Path, ScanResult],
                                                     tmp_path: Path) -> None:
    """None where none were computed (translations: passages are not diffed word by word), the
    same where they were (the spun seed)."""
    docs, _ = _crosslang(data_dir, tmp_path, 2)
    translations = scan([docs], workers=1)
    assert [r.type for r in translations.relations] == ["translation"] * 2
    for result in (translations, seed_pair[2]):
        as_json = render("json", result.documents, result.relations, result.errors, result.stats)
        html = render_html(result.documents, result.relations, result.errors, result.stats)
        assert len(re.findall(r'data-testid="change"', html)) == _changes_in_json(as_json)
    assert _changes_in_json(as_json) > 0  # the seeds: the spun copy's changes are shown
