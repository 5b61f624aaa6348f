"""End to end on the five sample articles in ../shared/seeds, through the CLI's JSON output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newstrace.cli.app import main
from newstrace.stages.text import content_terms, split_sentences

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> dict:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("scan") / "seeds.json"
    assert main(["scan", str(seeds_dir), "--format", "json", "-o", str(out), "--workers", "1"]) == 0
    return json.loads(out.read_text())


def by_prefix(result: dict, prefix: str) -> dict:  # type: ignore[type-arg]
    [doc] = [d for d in result["documents"] if d["id"].startswith(prefix)]
    return doc


def test_all_five_read_with_ids_and_language(result: dict) -> None:  # type: ignore[type-arg]
    assert len(result["documents"]) == 5
    assert result["errors"] == []
    assert all(re.fullmatch(r"00\d_[0-9a-f]{16}\.txt", d["id"]) for d in result["documents"])
    assert all(d["language"] == "en" for d in result["documents"])


def test_only_relation_is_spun_001_to_000(result: dict) -> None:  # type: ignore[type-arg]
    [rel] = result["relations"]
    assert rel["source"].startswith("001_")
    assert rel["target"].startswith("000_")
    assert rel["type"] == "spun"
    assert rel["direction"]["decided_by"] != "undetermined"
    assert rel["source_coverage"] >= 0.9  # 001 is a truncated copy: nearly all of it is aligned


def test_passages_cover_001_sentences_and_claim_nothing_unrelated(result: dict) -> None:  # type: ignore[type-arg]
    [rel] = result["relations"]
    src = by_prefix(result, "001_")["text"]
    tgt = by_prefix(result, "000_")["text"]
    sentences = split_sentences(src)
    covered = [s for s in sentences if any(p["source_span"][0] <= s.start and s.end <= p["source_span"][1]
                                           for p in rel["passages"])]
    assert len(covered) >= 0.85 * len(sentences)
    # every target sentence inside a passage shares content words with the aligned source passage
    for p in rel["passages"]:
        assert src[p["source_span"][0]:p["source_span"][1]] == p["source_text"]
        assert tgt[p["target_span"][0]:p["target_span"][1]] == p["target_text"]
        source_terms = set(content_terms(p["source_text"]))
        for s in split_sentences(p["target_text"]):
            terms = set(content_terms(s.text))
            assert len(terms & source_terms) >= 0.3 * len(terms), s.text
    # the spun copy goes on well past what 001 kept: the passages must stop long before its end
    assert max(p["target_span"][1] for p in rel["passages"]) < 0.5 * len(tgt)


def test_site_boilerplate_is_gone(result: dict) -> None:  # type: ignore[type-arg]
    texts = {d["id"][:3]: d["text"] for d in result["documents"]}
    assert "[ad_" not in texts["003"]
    assert "aggregator" not in texts["004"].lower()
    assert "Leave a Comment" not in texts["004"]
    assert "Categories:" not in texts["001"]
    assert "nbsp" not in texts["000"]
    for d in result["documents"]:
        if d["id"][:3] != "000":
            assert d["removed"], f"{d['id']}: expected boilerplate removed"
        assert not re.search(r"^\s*(?:\w+day, )?\w+ \d{1,2},? \d{4}\s*$", d["text"], re.M), "date bar left"


def test_rewrite_signatures_name_their_evidence(result: dict) -> None:  # type: ignore[type-arg]
    sig = {d["id"][:3]: d["rewrite_signature"] for d in result["documents"]}
    assert {x["kind"] for x in sig["000"]} >= {"spinning"}
    assert "machine-translation" in {x["kind"] for x in sig["003"]}
    assert "aggregator" in {x["kind"] for x in sig["004"]}
    assert sig["001"] == []  # the original wording shows no rewriting traces
    assert all(x["evidence"] for s in sig.values() for x in s)
