"""Passage alignment: given two texts, exactly which passages of one derive from the other.

One aligner serves every command (``scan``, ``trace``, ``compare``, ``pan``).  It follows the
seed → extend → filter scheme that won PAN 2014 (Sanchez-Perez, Gelbukh & Sidorov, "A Winning
Approach to Text Alignment for Text Reuse Detection at PAN 2014"), with these changes:

* seeds are sentence pairs whose TF-ISF cosine *and* Dice overlap of stemmed content words
  pass a threshold (spinners keep names, numbers and rare words; they swap the common ones);
* extension clusters seeds that are close on both sides and validates each cluster by the
  cosine of the whole passages, splitting it with smaller gaps when that fails;
* hysteresis: a passage too short, or resting on one weak sentence pair, is kept only if
  weaker sentence pairs next to it (an obfuscated sentence merged, split or rewritten still
  shares a few words) grow it to size; a lone weak pair is usually a shared topic;
* a fragment that is a copy (most of its word 3-grams shared) takes its bounds from the runs
  of identical words, grown past the seeded sentences while the words keep matching: a copy
  often starts or ends mid-sentence, and a neighbouring source sentence that shares a few
  words with it must not be claimed ("verbatim");
* summaries are found at document level, not from sentence seeds: a summary sentence fuses
  several source sentences, so it rarely matches one.  A target region whose words are
  mostly found in the source, spread over it (no local passage holds them) and foreign to
  its own text is a summary of the *whole* source, and is reported so ("summary");
* the remaining passages ("lexical") are snapped to the first and last shared word n-gram of
  their edge sentences, or, for rewrites, lose the edge words of their edge sentences that
  the other side lacks; overlapping passages are resolved by quality;
* with a sentence encoder (``align(..., encoder=...)``), meaning adds what words miss in
  rewritten and translated text: runs of consecutive sentence pairs close in meaning seed
  passages, passages take the next sentence pair when its meaning agrees, weak fragments
  grow by meaning, and a would-be summary whose sentences follow one stretch of the source
  in step is reported as the local rewrite it is.

All spans are character offsets into the texts given.
"""

from newstrace.stages.align.aligner import _cached_tokens as _cached_tokens
from newstrace.stages.align.aligner import align, align_tokens
from newstrace.stages.align.config import DEFAULT_CONFIG, AlignConfig
from newstrace.stages.align.similarity import Encoder, SentenceSimilarity
from newstrace.stages.align.space import _Space as _Space
from newstrace.stages.align.space import _space as _space
from newstrace.stages.align.space import _vec as _vec

__all__ = ["DEFAULT_CONFIG", "AlignConfig", "Encoder", "SentenceSimilarity", "align", "align_tokens"]
