"""Families: documents linked by reuse, their original (or unseen common source) and who copied whom.

See ``newstrace.stages.families.build`` for the method.
"""

from newstrace.stages.families.build import (
    FamilyGroup,
    build_families,
    build_family,
    family_digest,
    family_groups,
    family_id,
    unaligned_parents,
    with_passages,
)
from newstrace.stages.families.store import load_families, load_reusable_families, save_families

__all__ = ["FamilyGroup", "build_families", "build_family", "family_digest", "family_groups", "family_id",
           "load_families", "load_reusable_families", "save_families", "unaligned_parents", "with_passages"]
