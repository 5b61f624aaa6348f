"""Shared fixtures: where the shared data lives, and skips with a clear message when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# ../shared beside the repository; NEWSTRACE_SHARED points elsewhere (a git worktree's checkout).
SHARED = Path(os.environ.get("NEWSTRACE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path}: place ../shared beside the repository to run this test")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return require(SEEDS)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return require(DATA)
