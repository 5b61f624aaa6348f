"""Language identification (py3langid), loaded once per process on first use."""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["detect_language", "load_language_model", "preload_language_model"]

# probability below the floor (uniform over ~100 labels is 0.01) is no answer either.
# Calibrated on one-line samples: "Hello there" scores 0.34 for Sesotho, a single
# English or Spanish sentence scores above 0.9.
_LANG_MIN_LETTERS = 20
_LANG_MIN_CONFIDENCE = 0.25
_LANG_MAX_CHARS = 20_000


#: The most bytes py3langid 0.4.0's automaton needs from its start state to reach any of its
#: states (a breadth-first walk over the model: ``tests/unit/test_ingest.py``).  Its states are
#: those of an Aho-Corasick automaton over the model's byte n-grams: the state after a byte is
#: the longest n-gram prefix ending there, so it is the state reached from the start over the
#: last ``_DFA_DEPTH`` bytes alone.
_DFA_DEPTH = 6


_MODEL: list[Any] = []  # the identifier, once loaded
_MODEL_LOCK = threading.Lock()
_PRELOAD: list[threading.Thread] = []


def _identifier() -> Any:
    """py3langid's model, loaded once per process on first use (about a second), never at import."""
    if _MODEL:
        return _MODEL[0]
    with _MODEL_LOCK:
        if not _MODEL:
            _MODEL.append(_load_identifier())
    return _MODEL[0]


def _load_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    class VectorisedIdentifier(LanguageIdentifier):  # type: ignore[misc]
        """py3langid's identifier with its automaton walked in numpy, every position at once.

        py3langid walks the automaton byte after byte in Python (``visit_counts``: 0.5 µs a
        byte, most of the identification).  As the state after each byte is the state the
        last ``_DFA_DEPTH`` bytes lead to from the start (:data:`_DFA_DEPTH`), the states of
        all positions are found together in ``_DFA_DEPTH`` vectorised steps.  The feature
        counts, in the order of their first occurrence (the order py3langid sums them in), and
        so the scores, are py3langid's to the bit (``tests/unit/test_ingest.py``).
        """

        __slots__ = ("_np_next", "_np_out", "_np_rowbase")

        def _raw_score(self, text: bytes) -> Any:
            import numpy as np

            data = np.frombuffer(text, dtype=np.uint8).astype(np.int64)
            n = len(data)
            if n == 0:
                return super()._raw_score(text)
            state = np.zeros(n, dtype=np.int64)
            for back in range(_DFA_DEPTH - 1, -1, -1):  # the byte `back` places before each position
                if back >= n:
                    continue
                moved = self._np_next[self._np_rowbase[state[back:]] + data[: n - back]]
                state[back:] = moved
            features = self._np_out[state]
            features = features[features >= 0]
            if len(features) == 0:
                return super()._raw_score(b"")
            ids, where, counts = np.unique(features, return_inverse=True, return_counts=True)
            first = np.full(len(ids), len(features), dtype=np.int64)
            np.minimum.at(first, where, np.arange(len(features), dtype=np.int64))
            order = np.argsort(first)
            # py3langid's _sparse_score on the counts, in the same order, without the dict
            return np.log1p(counts[order].astype(np.float32)) @ self.nb_ptc[ids[order]] + self.nb_pc

    import numpy as np

    ptc, pc, classes, nextmove, row, output = _model_tables(MODEL_FILE)
    # what py3langid's from_model_file does with the tables
    identifier = VectorisedIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output,
                                      norm_probs=True, tk_row=row)
    # made here, before a process pool forks, so that its workers share them
    identifier._np_next = np.frombuffer(identifier.tk_nextmove, dtype=np.dtype(identifier.tk_nextmove.typecode))
    identifier._np_rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
    identifier._np_out = np.asarray(identifier.tk_output, dtype=np.int64)
    # The model's feature table is float16, and numpy's product of float32 counts with it casts
    # the gathered rows first (0.6 ms a document, more than all the rest); cast once here (57 MB
    # shared by the forked workers), the same float32 product follows, to the bit.
    ptc, pc, classes = identifier._full_model
    identifier._full_model = (ptc.astype(np.float32), pc, classes)
    identifier.set_languages(None)
    return identifier


def _model_tables(model_file: str) -> tuple[Any, ...]:
    """py3langid's model tables, as its ``load_model`` returns them, read from an uncompressed
    copy of its model kept in the cache directory (``newstrace.stages.embed.cache_dir``).

    Decompressing the LZMA model file was most of the load: 0.5 s of CPU in every process
    that identifies a language, which is every command on an article (a ``trace`` from the
    command line took 1.4-2.3 s, of which 0.1 s tracing).  The copy is the same bytes
    py3langid decompresses (a 68 MB ``.npz``), named after the package's version and the
    compressed file's size, and written once (atomically, by whichever process first needs
    it); an unreadable copy is written again, and an unwritable cache directory only means
    decompressing each time.
    """
    import lzma
    import shutil
    import zipfile
    from pathlib import Path

    from py3langid import modelio
    from py3langid.langid import MODEL_DIR

    from newstrace.stages.embed import _dist_version, cache_dir, write_atomically

    source = Path(model_file) if Path(model_file).is_absolute() else Path(MODEL_DIR) / model_file
    try:
        target = cache_dir() / "models" / f"py3langid-{_dist_version('py3langid')}-{source.stat().st_size}.npz"
    except RuntimeError:  # no home directory to find a cache in
        return tuple(modelio.load_model(source))
    if target.is_file():
        try:
            return _read_tables(target, modelio)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a damaged copy: made again below

    def decompress(out: Path) -> None:
        with open(out, "wb") as fh, lzma.open(source) as compressed:
            shutil.copyfileobj(compressed, fh, length=1 << 20)

    if write_atomically(target, decompress):
        return _read_tables(target, modelio)
    return tuple(modelio.load_model(source))  # an unwritable cache: decompress in memory


def _read_tables(path: Any, modelio: Any) -> tuple[Any, ...]:
    """``modelio.load_model`` on an uncompressed model (py3langid 0.4.0's steps after it
    decompresses the file)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return (data["ptc"], data["pc"], data["classes"].tolist(), modelio._to_array(data["nextmove"]),
                modelio._to_array(data["nextmove_row"]), data["out_feat"].tolist())


def load_language_model() -> None:
    """Load the model now, if not yet loaded in this process (waiting for a preload).

    A process pool started afterwards by fork (the local executor's, on Linux) shares this
    copy instead of each worker reading and decompressing its own (about 1 CPU second each).
    """
    _identifier()


def preload_language_model() -> None:
    """Start loading the model in a background thread, if not loaded or loading.

    Most of the load is LZMA decompression, which runs without the GIL: the scan starts it
    before reading its inputs, and the second core decompresses while the first reads (0.9 s
    of serial time on BBC News).  Call :func:`load_language_model` before forking a pool, so
    that no worker starts with the load half done.
    """
    if _MODEL or _PRELOAD:
        return
    thread = threading.Thread(target=_identifier, name="newstrace-langid-preload", daemon=True)
    _PRELOAD.append(thread)
    # A process forked while the thread holds the model's lock would wait for it forever:
    # every fork waits for the load to end first.
    os.register_at_fork(before=_finish_preload)
    thread.start()


def _finish_preload() -> None:
    for thread in _PRELOAD:
        if thread is not threading.current_thread():
            thread.join()


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language of ``text``, or None when it cannot be told.

    Very short text (fewer than 20 letters), a low-confidence guess, or a label that is
    not a two-letter language code (py3langid also has ``zxx``, no linguistic content)
    give None, so callers fall back knowingly instead of trusting a guess.

    >>> detect_language("The council voted on Tuesday to extend the tram line.")
    'en'
    """
    sample = text[:_LANG_MAX_CHARS]
    letters = 0
    for ch in sample:  # stops at the 20th letter: counting every one cost a third of the call
        if ch.isalpha():
            letters += 1
            if letters >= _LANG_MIN_LETTERS:
                break
    else:
        return None
    lang, confidence = _identifier().classify(sample)
    if confidence < _LANG_MIN_CONFIDENCE or len(lang) != 2 or not lang.isalpha():
        return None
    return str(lang)

