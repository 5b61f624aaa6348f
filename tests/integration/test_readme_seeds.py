"""The README's sample output (between the ``seeds-output`` markers) is what a live run prints.

The tables are compared cell by cell after joining each cell's wrapped lines, so terminal width
does not matter; the timing at the end of the summary line is left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def parse_tables(text: str) -> list[list[str]]:
    """Rich box tables of a text: per table, its header cells then each column's text.

    A wrapped cell cannot always be told from a new row (the first column wraps too), so each
    column's lines are joined top to bottom: the result does not depend on the terminal width.
    """
    tables: list[list[str]] = []
    header: list[str] = []
    columns: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("┏"):
            header, columns = [], None
            continue
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if line.startswith("┃"):
            header = [f"{a} {b}".strip() for a, b in zip(header, cells, strict=True)] if header else cells
        elif line.startswith("┡"):
            columns = [[] for _ in header]
        elif line.startswith("│") and columns is not None:
            for col, cell in zip(columns, cells, strict=True):
                col.append(cell)
        elif line.startswith("└") and columns is not None:
            tables.append(header + [" ".join(" ".join(col).split()) for col in columns])
            columns = None
    return tables


def by_header(tables: list[list[str]], first: str) -> list[str]:
    """The table whose first header cell is ``first`` (the live run prints more tables)."""
    return next(t for t in tables if t and t[0] == first)


def summary(text: str) -> str:
    line = next(x for x in text.splitlines() if re.search(r"\d+ inputs? skipped", x))
    return re.sub(r",\s*[\d.]+ s$", "", line.strip())


def readme_block() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- seeds-output:start.*?-->(.*?)<!-- seeds-output:end -->", text, re.S)
    assert m, "README.md lost its seeds-output markers"
    return m.group(1)


def test_parser_joins_wrapped_cells() -> None:
    tables = parse_tables(readme_block())
    relations, documents = by_header(tables, "source → target"), by_header(tables, "id")
    assert [len(relations), len(documents)] == [16, 12]  # header and column texts
    assert re.fullmatch(r"([a-z-]+ ×\d+, )*[a-z-]+ ×\d+ \(\+\d+ harmless\)", relations[-1]), relations[-1]
    assert documents[6].startswith("000_4ff27bd1307cfe42.txt 001_04761c79afc5b4bc.txt"), documents[6]


def test_readme_sample_output_matches_a_live_run(seeds_dir: Path) -> None:
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    run = subprocess.run([sys.executable, "-m", "newstrace", "scan", str(seeds_dir), "--no-progress"],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-500:]
    live, doc = parse_tables(run.stdout), parse_tables(readme_block())
    for header, what in (("source → target", "relations"), ("id", "documents"), ("story", "stories")):
        assert by_header(live, header) == by_header(doc, header), (
            f"the {what} table differs from the README: update its seeds-output block")
    assert summary(run.stdout) == summary(readme_block())
