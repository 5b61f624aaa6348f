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
    identifier._np_next = np.asarray(identifier.tk_nextmove)
    identifier._np_rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
    identifier._np_out = np.asarray(identifier.tk_output, dtype=np.int64)
    # The model's feature table is float16, and numpy's product of float32 counts with it casts
    # the gathered rows first (0.6 ms a document, more than all the rest): _model_tables gives
    # it cast once, as float32 (57 MB, mapped from the cache and shared by every process), and
    # the same float32 product follows, to the bit.
    identifier.set_languages(None)
    return identifier


def _model_tables(model_file: str) -> tuple[Any, ...]:
    """py3langid's model tables, as its ``load_model`` returns them but for two: the feature
    table as float32 (the form the identifier computes with) and the automaton's moves as a
    numpy array, both memory-mapped from uncompressed copies kept in the cache directory
    (``newstrace.stages.embed.cache_dir``).

    Decompressing the LZMA model file was most of the load: 0.5 s of CPU in every process
    that identifies a language, which is every command on an article (a ``trace`` from the
    command line took 1.4-2.3 s, of which 0.1 s tracing).  Reading an uncompressed ``.npz``
    copy then still cost about 0.35 s a process (its CRC checks, and casting the float16 feature
    table to float32); the two large tables are now ``.npy`` files mapped into memory, read by
    the page cache on first touch and shared by every process that maps them.  The copies are
    named after the package's version and the compressed file's size and written once
    (atomically, by whichever process first needs them); a damaged copy is written again, and an
    unwritable cache directory only means decompressing each time.
    """
    import zipfile
    from pathlib import Path

    import numpy as np
    from py3langid import modelio
    from py3langid.langid import MODEL_DIR

    from newstrace.stages.embed import _dist_version, cache_dir, write_atomically

    source = Path(model_file) if Path(model_file).is_absolute() else Path(MODEL_DIR) / model_file
    try:
        stem = cache_dir() / "models" / f"py3langid-{_dist_version('py3langid')}-{source.stat().st_size}"
    except RuntimeError:  # no home directory to find a cache in
        return _in_memory(modelio.load_model(source))
    files = {"ptc": stem.with_name(stem.name + "-ptc-float32.npy"),
             "nextmove": stem.with_name(stem.name + "-nextmove.npy"),
             "tables": stem.with_name(stem.name + "-tables.npz")}
    try:
        return _read_tables(files)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # not made yet, or damaged: made again below
    tables = _in_memory(modelio.load_model(source))
    ptc, pc, classes, nextmove, row, output = tables
    small = {"pc": np.asarray(pc), "classes": np.asarray(classes),
             "nextmove_row": np.frombuffer(row, dtype=np.dtype(row.typecode)), "out_feat": np.asarray(output)}
    writers = {"ptc": lambda fh: np.save(fh, ptc, allow_pickle=False),
               "nextmove": lambda fh: np.save(fh, nextmove, allow_pickle=False),
               "tables": lambda fh: np.savez(fh, **small)}  # type: ignore[arg-type]

    def saver(name: str) -> Any:
        def write(out: Path) -> None:
            with open(out, "wb") as fh:
                writers[name](fh)
        return write

    if all(write_atomically(files[name], saver(name)) for name in writers):
        try:
            return _read_tables(files)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # replaced meanwhile by a damaged copy: use what was decompressed
    return tables


def _in_memory(tables: Any) -> tuple[Any, ...]:
    """``modelio.load_model``'s tables in :func:`_model_tables`' form, without a cache."""
    import numpy as np

    ptc, pc, classes, nextmove, row, output = tables
    return (np.asarray(ptc, dtype=np.float32), pc, classes, np.frombuffer(nextmove, dtype=np.dtype(nextmove.typecode)),
            row, output)


def _read_tables(files: dict[str, Any]) -> tuple[Any, ...]:
    """The tables of :func:`_model_tables` from its cached copies (the large two mapped)."""
    import numpy as np
    from py3langid import modelio

    ptc = np.load(files["ptc"], mmap_mode="r", allow_pickle=False)
    nextmove = np.load(files["nextmove"], mmap_mode="r", allow_pickle=False)
    with np.load(files["tables"], allow_pickle=False) as data:
        pc, classes, row, output = data["pc"], data["classes"].tolist(), data["nextmove_row"], data["out_feat"].tolist()
    if ptc.dtype != np.float32 or ptc.ndim != 2 or ptc.shape[1] != len(pc) or nextmove.ndim != 1:
        raise ValueError(f"{files['ptc']}: not the tables of this model")
    return (ptc, pc, classes, nextmove, modelio._to_array(row), output)


def load_language_model() -> None:
    """Load the model now, if not yet loaded in this process (waiting for a preload).

    A process pool started afterwards by fork (the local executor's, on Linux) shares this
    copy instead of each worker reading and decompressing its own (about 1 CPU second each).
    """
    _identifier()


def preload_language_model() -> None:
    """Start loading the model in a background thread, if not loaded or loading.

    The first load on a machine decompresses the model (LZMA, which runs without the GIL) into
    the cache: the scan starts it before reading its inputs, and the second core decompresses
    while the first reads.  Later loads map the cached tables (about 0.1 s).  Call
    :func:`load_language_model` before forking a pool, so that no worker starts with the load
    half done.
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

