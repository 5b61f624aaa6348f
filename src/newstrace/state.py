"""The settings that made a store's state, as short versioned digests.

A store keeps what earlier runs computed: cleaned texts and fingerprints (made by the
ingest, cleaning, sentence-splitting and sketching settings), the pairs already compared
and the relations found (made by the aligner and relation settings) and sentence vectors
(made by an embedding model, whose own version string keys them in the cache).  Reusing
any of these under other settings silently mixes two incomparable states, so the store
records the digests below and checks them when it is opened (``newstrace.store.Store``):

* ``index``: documents and fingerprints.  A store indexed under another ``index`` digest is
  refused with one message (its sketches cannot be compared with new ones).
* ``relate``: checked pairs and relations.  Pairs compared under another ``relate`` digest
  are compared again, never skipped.

A digest is a hash of the frozen config dataclasses' fields plus a hand-bumped version tag
for behaviour a config does not show (a code change in the splitter or the aligner):
``INDEX_TAG``/``RELATE_TAG`` get a new ``.vN`` whenever such a change alters the output.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["INDEX_TAG", "RELATE_TAG", "StoreSettings", "current_settings", "digest"]

# Bumped by hand when code (not a config field) changes what is stored.
# index.v2: the sentence splitter ends sentences at CJK and other scripts' full stops.
INDEX_TAG = "index.v3"
RELATE_TAG = "relate.v1"


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The digests of the settings that made (or will make) a store's state.

    Attributes:
        index: digest of the ingest, cleaning, splitting and fingerprint settings.
        relate: digest of the aligner and relation settings.
        described: the readable form of both, shown when a store is refused.
    """

    index: str
    relate: str
    described: str = ""


def _fields(config: Any) -> dict[str, Any]:
    return {"type": type(config).__qualname__, **dataclasses.asdict(config)}


def digest(tag: str, *configs: Any) -> str:
    """``tag`` plus a 12-hex hash of the configs' fields: ``"index.v2:1a2b3c4d5e6f"``."""
    blob = json.dumps([_fields(c) for c in configs], sort_keys=True, default=str)
    return f"{tag}:{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def current_settings() -> StoreSettings:
    """The digests of this newstrace's default settings (imports the stage configs lazily)."""
    from newstrace.stages.align import DEFAULT_CONFIG as ALIGN
    from newstrace.stages.candidates import DEFAULT_CONFIG as CANDIDATES
    from newstrace.stages.clean import DEFAULT_CONFIG as CLEAN
    from newstrace.stages.relate import DEFAULT_CONFIG as RELATE
    from newstrace.stages.semantic import DEFAULT_CONFIG as SEMANTIC

    index = digest(INDEX_TAG, CLEAN, CANDIDATES)
    relate = digest(RELATE_TAG, ALIGN, RELATE, SEMANTIC)
    return StoreSettings(index, relate, f"index {index}, relate {relate}")
