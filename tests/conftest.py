"""Shared fixtures: where the shared data lives, and skips with a clear message when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.shared import DATA, SEEDS, SHARED, require

__all__ = ["DATA", "SEEDS", "SHARED", "require"]


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return require(SEEDS)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return require(DATA)
