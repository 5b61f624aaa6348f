"""Relations: from two documents to "target derives from source, how, and which way".

One function, :func:`relate`, holds the whole decision (``pair.py``); the steps it runs in
order live in files named for what they do:

* ``lexical.py``: passages by words (and the aligner's meaning channels), typed by wording;
* ``meaning.py``: paraphrase and summary by meaning, translation across languages;
* ``orient.py``: direction (dates, rewrite traces of ``doc.signature``, containment) and
  confidence, shared by every step;
* ``changes_step.py``: what the rewrite changed in each passage;
* ``spinner.py``: ``spun`` only with spinner evidence;
* ``context.py`` / ``config.py``: what a pair needs beyond its documents, and the thresholds.
"""

from newstrace.stages.relate.changes_step import add_changes
from newstrace.stages.relate.config import DEFAULT_CONFIG, RelateConfig
from newstrace.stages.relate.context import ENGLISH_MODEL, MULTILINGUAL_MODEL, RelateContext, RelateSettings
from newstrace.stages.relate.lexical import align_documents
from newstrace.stages.relate.meaning import SEMANTIC_TYPES
from newstrace.stages.relate.orient import rewrite_artefacts
from newstrace.stages.relate.pair import RELATE_STEPS, relate
from newstrace.stages.relate.spinner import spinner_evidence

__all__ = [
    "DEFAULT_CONFIG",
    "ENGLISH_MODEL",
    "MULTILINGUAL_MODEL",
    "RELATE_STEPS",
    "SEMANTIC_TYPES",
    "RelateConfig",
    "RelateContext",
    "RelateSettings",
    "add_changes",
    "align_documents",
    "relate",
    "rewrite_artefacts",
    "spinner_evidence",
]
