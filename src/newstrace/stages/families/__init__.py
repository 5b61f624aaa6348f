"""Families: documents linked by reuse, their original (or unseen common source) and who copied whom.

See ``newstrace.stages.families.build`` for the method.
"""

from newstrace.stages.families.build import build_families, family_id, unaligned_parents
from newstrace.stages.families.store import load_families, save_families

__all__ = ["build_families", "family_id", "load_families", "save_families", "unaligned_parents"]
