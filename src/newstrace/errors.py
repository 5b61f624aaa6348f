"""newstrace's exceptions: one base class, specific subclasses that say what to do."""

from __future__ import annotations

__all__ = ["NewstraceError", "StoreError"]


class NewstraceError(Exception):
    """Base class of every error newstrace raises on purpose."""


class StoreError(NewstraceError):
    """The store file cannot be opened, is not a newstrace store, or has another schema version."""
