"""The semantic layer: paraphrases, summaries and translations, found by meaning.

Three pieces, each usable on its own:

* :func:`paraphrase_score` / :func:`is_paraphrase`: the sentence-level paraphrase decision,
  a logistic regression over the embedding cosine and lexical evidence (content-word Dice,
  word and character overlap, word-order similarity, length ratio, number, name and negation
  agreement), fitted on the MSRP training set (coefficients below, with how they were fitted).
* :func:`align_semantic`: passages of a target that derive from a source by meaning.  Sentence
  links (a target sentence and the source sentences closest to it) are chained monotonically
  across small gaps, like the lexical aligner's seed → extend scheme (Sanchez-Perez et al.
  2014), but on embeddings: a passage needs several consecutive correspondences, so two
  reports of the same event (which share a topic and a quote, not sentence after sentence)
  do not align.  A target sentence linked to several source sentences condenses them (a
  summary); across languages the links come from the multilingual model (a translation),
  judged by their margin over the sentences' background in the collection when it is known
  (:func:`sentence_backgrounds`; bitext mining's margin criterion, Artetxe & Schwenk 2019).
* :func:`semantic_candidates`: candidate document pairs by approximate nearest neighbours
  (usearch HNSW) over document vectors, in sub-quadratic time.

All spans are character offsets into the texts given.
"""

from newstrace.stages.semantic.align import align_semantic
from newstrace.stages.semantic.candidates import CANDIDATE_MIN_COSINE, semantic_candidates
from newstrace.stages.semantic.config import DEFAULT_CONFIG, SemanticConfig
from newstrace.stages.semantic.paraphrase import (
    DEFAULT_MODEL,
    FEATURES,
    PARAPHRASE_MODELS,
    is_paraphrase,
    paraphrase_features,
    paraphrase_score,
)
from newstrace.stages.semantic.similarity import document_vector, sentence_backgrounds, sentence_similarity

__all__ = [
    "CANDIDATE_MIN_COSINE",
    "DEFAULT_CONFIG",
    "DEFAULT_MODEL",
    "FEATURES",
    "PARAPHRASE_MODELS",
    "SemanticConfig",
    "align_semantic",
    "document_vector",
    "is_paraphrase",
    "paraphrase_features",
    "paraphrase_score",
    "semantic_candidates",
    "sentence_backgrounds",
    "sentence_similarity",
]
