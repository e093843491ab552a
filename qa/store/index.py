"""A loaded index: reading a build back, its checksums verified first, into :class:`Index`.

The vectors are read from the build folder (the local store) or reached in Milvus, as the
build's manifest says (:mod:`qa.store.vectors`); everything else is read from the folder.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexUnavailable
from qa.files import sha256_mapped
from qa.ingest.chunk import Chunk
from qa.ingest.corpus import Document
from qa.settings import Settings, load_settings
from qa.store.chars import CHARS_DIR
from qa.store.dense import HNSW_EF_SEARCH
from qa.store.folder import FORMAT_VERSION, current_build
from qa.store.manifest import DamagedManifest, Manifest
from qa.store.tokenize import Tokenizer
from qa.store.vectors import LocalVectors, VectorStore

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Index:
    """A loaded index, held in memory."""

    path: Path
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    #: One unit vector per dense row: each chunk's sentence windows, chunk by chunk (no rows
    #: when the vectors are in Milvus).
    embeddings: np.ndarray
    #: The first dense row of each chunk (:func:`dense_texts`), for ``np.maximum.reduceat``.
    dense_starts: np.ndarray
    #: The chunk of each dense row.
    dense_chunk: np.ndarray
    dense: Any  # faiss.Index; None when the vectors are in Milvus
    bm25: Any  # bm25s.BM25
    tokenizer: Tokenizer
    #: What :data:`VocabularyTables` made at build time (JSON data; None when the build was given
    #: none). The store keeps them and does not read them.
    lexicon_tables: dict | None
    #: Each chunk's similarity to a question: the store the vectors are in.
    vectors: VectorStore
    #: BM25 over each chunk's characters (:mod:`qa.store.chars`; bm25s.BM25), None when the
    #: build has none (a large corpus).
    chars: Any = None

    @property
    def model(self) -> str:
        """Name of the embedding model the passages were encoded with."""
        return str(self.manifest.model.name)

    @cached_property
    def chunk_document(self) -> np.ndarray:
        """For each chunk, the position of its document in :attr:`documents` (ints), so that a
        query can select a document's chunks with numpy rather than a loop over 100k chunks."""
        position = {doc_id: n for n, doc_id in enumerate(self.documents)}
        docs = (position.get(c.doc_id, -1) for c in self.chunks)
        return np.fromiter(docs, np.int64, len(self.chunks))


def _check_present(build: Path, artifacts: Mapping[str, str]) -> None:
    """Raise for the first artifact of the manifest's that is missing (a cheap check)."""
    for name in artifacts:
        path = build / name
        if not path.is_file():
            raise IndexUnavailable(f"index file {path} is missing; run `qa build --force`")


def verify(build: Path, artifacts: Mapping[str, str]) -> None:
    """Check every artifact against its checksum in the manifest (:attr:`Manifest.artifacts`).

    Raises:
        IndexUnavailable: A file is missing or its content changed.
    """
    _check_present(build, artifacts)
    for name, digest in artifacts.items():
        path = build / name
        try:
            actual = sha256_mapped(path)
        except OSError as exc:  # vanished or unreadable since the check above
            raise IndexUnavailable(
                f"index file {path} cannot be read ({exc}); run `qa build --force`"
            ) from exc
        if actual != digest:
            raise IndexUnavailable(
                f"index file {path} is corrupt (checksum mismatch); run `qa build --force`"
            )


def _json_lines(path: Path) -> list[Any]:
    """The rows of a JSON-lines file.

    Lines are split as bytes (``str.splitlines`` would also split at U+2028 and friends,
    which JSON leaves unescaped) and parsed with orjson, which gradio installs: at 100k chunks
    that reads the chunks and documents in ~0.55 s instead of ~1.3 s (decoding the whole file,
    then ``json.loads`` per line). The standard library is the fallback, with the same rows.
    """
    data = path.read_bytes()
    loads: Callable[[bytes], Any]
    try:
        import orjson

        loads = orjson.loads
    except ImportError:  # gradio depends on orjson; tests cover the fallback
        loads = json.loads
    return [loads(line) for line in data.splitlines() if line.strip()]


def _unreadable(build: Path, exc: BaseException) -> IndexUnavailable:
    return IndexUnavailable(
        f"index in {build} cannot be read ({type(exc).__name__}: {exc}); run `qa build --force`"
    )


class PendingIndex:
    """An index being loaded: see :func:`open_index`; :meth:`result` finishes the load."""

    def __init__(
        self, build: Path, manifest: Manifest, check: bool, settings: Settings | None = None
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.build = build
        self.manifest = manifest
        self._milvus = manifest.dense.get("type") == "milvus"
        self._settings = settings
        self._hnsw = manifest.hnsw
        self._check = check
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-load-index")
        self._binary = self._pool.submit(self._read_binary)
        self._pool.shutdown(wait=False)  # the thread ends with its one task

    def _read_chars(self) -> Any:
        """The character index, when the build has one."""
        import bm25s

        if not any(name.startswith(CHARS_DIR + "/") for name in self.manifest.artifacts):
            return None
        return bm25s.BM25.load(str(self.build / CHARS_DIR), show_progress=False)

    def _read_binary(self) -> tuple[np.ndarray, Any, Any, Any]:
        """Checksums, then the embeddings, FAISS and BM25 indexes (in the background thread).

        All of it runs in C with the GIL released, so it costs the caller's thread nothing.
        The binary readers only ever see files whose checksums matched.
        """
        if self._check:
            verify(self.build, self.manifest.artifacts)
        if self._milvus:
            return self._read_milvus()
        try:
            import bm25s
            import faiss

            # With HNSW the search reads the graph's own copy of the vectors; the array is
            # only needed by the next build, so it stays on disk instead of doubling the memory.
            embeddings = np.load(
                self.build / "embeddings.npy", mmap_mode="r" if self._hnsw else None
            )
            dense = faiss.read_index(str(self.build / "dense.faiss"))
            bm25 = bm25s.BM25.load(str(self.build / "bm25"), show_progress=False)
            chars = self._read_chars()
        except Exception as exc:  # any unreadable artifact means the same thing to the user
            raise _unreadable(self.build, exc) from exc
        return embeddings, dense, bm25, chars

    def _read_milvus(self) -> tuple[np.ndarray, Any, Any, Any]:
        """The keyword index from the folder, and a connection to Milvus, checked, meanwhile."""
        from qa.store.milvus import loaded_target, store_error

        try:
            import bm25s

            bm25 = bm25s.BM25.load(str(self.build / "bm25"), show_progress=False)
            chars = self._read_chars()
        except Exception as exc:  # any unreadable artifact means the same thing to the user
            raise _unreadable(self.build, exc) from exc
        settings = self._settings or load_settings()
        if loaded_target(settings) is None:
            raise store_error(Exception("collection not exist"), settings)
        dim = int(self.manifest.model.dim or 0)
        return np.zeros((0, dim), dtype=np.float32), None, bm25, chars

    def discard(self) -> None:
        """Wait for the background reads and drop them (the caller gave up on this load)."""
        self._binary.exception()
        # The worker thread outlives its task by a moment: join it, so nothing is left running.
        self._pool.shutdown(wait=True)

    def result(self) -> Index:
        """Parse the text artifacts in this thread, wait for the rest, and return the index.

        Nothing is returned before the checksums were verified, and a checksum mismatch is
        the error raised even when a damaged file also failed to parse.

        Raises:
            IndexUnavailable: An artifact is corrupt, unreadable or inconsistent.
        """
        build = self.build
        parse_error: Exception | None = None
        try:
            documents = {}
            for row in _json_lines(build / "documents.jsonl"):
                documents[row["doc_id"]] = Document(**row)
            chunks = []
            rows_per_chunk = []
            for row in _json_lines(build / "chunks.jsonl"):
                row.pop("key", None)
                rows_per_chunk.append(len(row.pop("dense_keys")))
                chunks.append(Chunk(**row))
            words = (build / "userdict.txt").read_text(encoding="utf-8").split()
            lexicon = json.loads((build / "lexicon.json").read_text(encoding="utf-8"))
            if lexicon is not None and not isinstance(lexicon, dict):
                raise ValueError("lexicon.json holds no table")
            tokenizer = Tokenizer(words)
        except Exception as exc:  # any unreadable artifact means the same thing to the user
            parse_error = exc
        # The checksums' verdict first: a damaged file is named as such, whatever broke.
        embeddings, dense, bm25, chars = self._binary.result()
        if parse_error is not None:
            raise _unreadable(build, parse_error) from parse_error
        counts = np.asarray(rows_per_chunk, dtype=np.int64)
        n_rows = int(counts.sum())
        if (counts < 1).any() or (
            not self._milvus and (len(embeddings) != n_rows or dense.ntotal != n_rows)
        ):
            raise IndexUnavailable(f"index in {build} is inconsistent; run `qa build --force`")
        if self._hnsw and hasattr(dense, "hnsw"):
            dense.hnsw.efSearch = int(self.manifest.dense.get("ef_search", HNSW_EF_SEARCH))
        dense_starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        dense_chunk = np.repeat(np.arange(len(chunks)), counts)
        vectors: VectorStore
        if self._milvus:
            from qa.store.milvus import MilvusVectors, chunk_keys

            keys = chunk_keys(documents.values(), chunks)
            vectors = MilvusVectors(
                self._settings or load_settings(),
                positions={k: i for i, k in enumerate(keys)},
                index_type=str(self.manifest.dense.get("index", "FLAT")),
            )
        else:
            vectors = LocalVectors(embeddings, dense_starts, dense_chunk, dense, self._hnsw)
        return Index(
            path=build,
            manifest=self.manifest,
            documents=documents,
            chunks=chunks,
            embeddings=embeddings,
            dense_starts=dense_starts,
            dense_chunk=dense_chunk,
            dense=dense,
            bm25=bm25,
            tokenizer=tokenizer,
            lexicon_tables=lexicon,
            vectors=vectors,
            chars=chars,
        )


def open_index(
    index_dir: Path, *, check: bool = True, settings: Settings | None = None
) -> PendingIndex:
    """Start loading the active build: the part that needs no Python runs in the background.

    Verifying the checksums (SHA-256 of every artifact, 550 MB at 100k chunks) and reading
    FAISS, BM25 and the embeddings start in a thread, where they run with the GIL released;
    the caller's thread is free meanwhile, e.g. for the embedding model's imports (~5 s of a
    cold start). :meth:`PendingIndex.result` then parses the text artifacts in the caller's
    thread: that part needs the GIL, so running it beside other Python work would gain
    nothing (docs/benchmarks.md, cold start).

    Args:
        index_dir: The index folder.
        check: Verify artifact checksums.
        settings: Where Milvus is and its token, for a build whose vectors are there (by
            default the ``QA_*`` environment's).

    Returns:
        The pending load; call :meth:`PendingIndex.result` (or :meth:`PendingIndex.discard`).

    Raises:
        IndexUnavailable: There is no index, its manifest is unreadable or of another format,
            or an artifact is missing.
    """
    build = current_build(index_dir)
    if build is None:
        raise IndexUnavailable(f"no index in {index_dir}; build it with `qa build`")
    try:
        manifest = Manifest.read(build)
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"index manifest in {build} is unreadable ({exc}); run `qa build --force`"
        ) from exc
    except DamagedManifest as exc:
        raise IndexUnavailable(
            f"index manifest in {build} is damaged; run `qa build --force`"
        ) from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnavailable(
            f"index in {build} has format {manifest.format_version}, this version reads "
            f"{FORMAT_VERSION}; run `qa build --force`"
        )
    if check:
        _check_present(build, manifest.artifacts)
    return PendingIndex(build, manifest, check, settings)


def load_index(
    index_dir: Path, *, check: bool = True, settings: Settings | None = None
) -> Index:
    """Load the active build into memory (:func:`open_index`, then its result).

    Args:
        index_dir: The index folder.
        check: Verify artifact checksums first.
        settings: As for :func:`open_index`.

    Returns:
        The loaded index.

    Raises:
        IndexUnavailable: There is no index, or it cannot be read; the message says what to do.
    """
    return open_index(index_dir, check=check, settings=settings).result()
