"""The Milvus store: the passages' vectors in a Milvus collection (Milvus Lite in a file, or a
server), written by builds that never stop serving, read by one dense search per question.

A collection holds one row per dense vector (a sentence window of a passage, see
:func:`qa.store.build.dense_texts`) with its passage's text, document id, title, date, source and
position, and a BM25 sparse field that Milvus computes from the text with the jieba tokenizer.
The app reads the collection through an alias (``QA_MILVUS_COLLECTION``). A full build writes a
new collection and switches the alias to it when complete, then drops the old one; an
incremental build (only seeds changed) upserts the rows of new documents and deletes those of
documents gone, by document hash. A build that fails leaves the alias where it was.

Rows are tied to the local index folder's chunks by ``chunk_key`` (the document hash and the
chunk's place in its document), not by position, so that an index folder of one build still
reads the rows of its documents from the collection of the next (docs/scale.md).

Every Milvus fault reaches the user as one :class:`qa.errors.StoreError` line, in Chinese and
English, without the token; pymilvus's own error logging (with tracebacks) is silenced.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from qa.errors import StoreError
from qa.ingest.chunk import Chunk
from qa.ingest.corpus import Document
from qa.settings import Settings
from qa.store.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, HNSW_MIN_CHUNKS
from qa.store.embed import Embedder
from qa.store.vectors import CANDIDATES, floor_scores

logger = logging.getLogger(__name__)

#: Rows sent per insert: about 3 MB at 512 dimensions, well under gRPC's 64 MB message limit.
INSERT_BATCH = 1000

#: Longest passage text a row holds (VARCHAR bytes; a passage is ~350 characters).
_MAX_TEXT = 16384


def resolve_uri(settings: Settings) -> str:
    """The Milvus URI in use: ``QA_MILVUS_URI``, or ``milvus.db`` in the index folder."""
    return settings.milvus_uri or str(settings.index_dir / "milvus.db")


def is_server(uri: str) -> bool:
    """Whether a URI names a Milvus server (else it is a Milvus Lite file)."""
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def safe_uri(uri: str) -> str:
    """The URI without credentials (user, password, query), fit to be shown and logged."""
    if not is_server(uri):
        return uri
    parts = urlsplit(uri)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def doc_key(doc: Document) -> str:
    """The document hash rows are inserted and deleted by: of its id and its file's bytes."""
    return hashlib.sha1(f"{doc.doc_id}\0{doc.sha256}".encode()).hexdigest()[:24]


def chunk_keys(documents: Iterable[Document], chunks: Sequence[Chunk]) -> list[str]:
    """Each chunk's key in the collection: its document's hash and its place in the document."""
    keys = {d.doc_id: doc_key(d) for d in documents}
    seen: dict[str, int] = {}
    out = []
    for c in chunks:
        n = seen.get(c.doc_id, 0)
        seen[c.doc_id] = n + 1
        out.append(f"{keys[c.doc_id]}:{n}")
    return out


def _quiet_pymilvus(lite: bool) -> None:
    # pymilvus logs every failed call at ERROR with a traceback; the user gets one line instead.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    if lite:
        # Milvus Lite is a gRPC server in this process: it logs a traceback for each call it
        # does not implement (AllocTimestamp, asked by upserts, which then work without it).
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        # It also logs a traceback when its file is locked by another process (said in one
        # line by store_error).
        logging.getLogger("milvus_lite").setLevel(logging.CRITICAL)


def store_error(exc: BaseException, settings: Settings, *, seconds: float = 0.0) -> StoreError:
    """One bilingual line for a Milvus fault (the token never appears in it).

    Args:
        exc: What pymilvus (or grpc) raised.
        settings: The settings in use (URI, collection, time-out).
        seconds: How long the failed call took (a refused connection is immediate; one that
            waited the whole time-out is a time-out).
    """
    uri = safe_uri(resolve_uri(settings))
    message = str(getattr(exc, "message", "") or exc)
    text = message.lower()
    code = getattr(exc, "code", None)
    timeout = settings.milvus_timeout
    if settings.milvus_token:
        message = message.replace(settings.milvus_token, "***")
    if any(w in text for w in ("auth", "credential", "unauthenticated", "permission denied")) or (
        code in (1800, 1801)
    ):
        return StoreError(
            f"Milvus 拒绝了凭据 / Milvus at {uri} refused the credentials; check QA_MILVUS_TOKEN"
        )
    if "deadline" in text or "timeout" in text or "timed out" in text or (
        "fail connecting" in text and seconds >= 0.9 * timeout
    ):
        return StoreError(
            f"Milvus 在 {timeout:g} 秒内没有应答 / Milvus at {uri} did not answer within "
            f"{timeout:g} s; check the server, or raise QA_MILVUS_TIMEOUT"
        )
    if "fail connecting" in text or "unavailable" in text or "connection refused" in text:
        return StoreError(
            f"无法连接 Milvus / cannot reach Milvus at {uri}; check QA_MILVUS_URI and that the "
            "server is running"
        )
    if "open local milvus failed" in text:
        return StoreError(
            f"Milvus Lite 文件正被另一个进程使用 / the Milvus Lite file {uri} is in use by "
            "another process (a page or a build): Milvus Lite serves one process; stop it, or "
            "use a Milvus server"
        )
    if ("collection" in text or "alias" in text) and (
        "not exist" in text or "not found" in text
    ):
        return StoreError(
            f"Milvus 中没有集合 {settings.milvus_collection} / no collection "
            f"{settings.milvus_collection!r} in Milvus at {uri}; build it with `qa build`"
        )
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    return StoreError(f"Milvus 出错 / Milvus at {uri} failed: {first[:300]}")


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def client(settings: Settings) -> Any:
    """A connected MilvusClient for the settings' URI and token (one per process and pair).

    Raises:
        StoreError: pymilvus is not installed, or Milvus cannot be reached.
    """
    uri = resolve_uri(settings)
    key = (uri, settings.milvus_token)
    with _clients_lock:
        found = _clients.get(key)
        if found is not None:
            return found
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise StoreError(
                "未安装 pymilvus / QA_STORE=milvus needs pymilvus: pip install -e '.[milvus]'"
            ) from exc
        _quiet_pymilvus(lite=not is_server(uri))
        if not is_server(uri):
            Path(uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        try:
            made = MilvusClient(
                uri=uri, token=settings.milvus_token, timeout=settings.milvus_timeout
            )
        except _faults() as exc:
            raise store_error(exc, settings, seconds=time.monotonic() - t0) from exc
        _clients[key] = made
        logger.info("connected to Milvus at %s", safe_uri(uri))
        return made


def forget_clients() -> None:
    """Close and drop the cached clients (tests; a Milvus Lite file is then free again)."""
    with _clients_lock:
        for c in _clients.values():
            # Closing a broken client: nothing is left to do.
            with contextlib.suppress(Exception):
                c.close()
        _clients.clear()


def _faults() -> tuple[type[BaseException], ...]:
    """What Milvus's faults are raised as (anything else is a bug, and raised as it is)."""
    import grpc
    from pymilvus.exceptions import MilvusException

    return (MilvusException, grpc.RpcError, OSError)


def call(
    settings: Settings, fn: Callable[..., Any], *args: Any, timeout: bool = True, **kwargs: Any
) -> Any:
    """Call one client method, with the settings' time-out unless ``timeout`` is False (the
    method takes none), its faults as :class:`StoreError`."""
    if timeout:
        kwargs["timeout"] = settings.milvus_timeout
    t0 = time.monotonic()
    try:
        return fn(*args, **kwargs)
    except _faults() as exc:
        raise store_error(exc, settings, seconds=time.monotonic() - t0) from exc


def alias_target(settings: Settings) -> str | None:
    """The collection the alias names, or None when there is no such alias."""
    c = client(settings)
    aliases = call(settings, c.list_aliases).get("aliases", [])
    if settings.milvus_collection not in aliases:
        return None
    return str(call(settings, c.describe_alias, settings.milvus_collection)["collection_name"])


def loaded_target(settings: Settings) -> str | None:
    """The collection the alias names, loaded for search (None when there is no alias).

    A collection is searchable only once loaded: Milvus Lite loads none when a process opens
    its file, and a server may have released it.
    """
    target = alias_target(settings)
    if target is None:
        return None
    c = client(settings)
    state = call(settings, c.get_load_state, target).get("state")
    if "Loaded" not in str(state):
        logger.info("loading Milvus collection %s", target)
        call(settings, c.load_collection, target)
    return target


def row_count(settings: Settings, collection: str | None = None) -> int:
    """Rows in a collection (the alias's by default).

    Raises:
        StoreError: Milvus cannot be used, or there is no such collection.
    """
    c = client(settings)
    name = collection or settings.milvus_collection
    rows = call(settings, c.query, name, filter="", output_fields=["count(*)"])
    return int(rows[0]["count(*)"])


def _index_kind(settings: Settings, rows: int) -> dict[str, Any]:
    """Exact search for small corpora, HNSW as the local store uses from HNSW_MIN_CHUNKS on."""
    if rows < HNSW_MIN_CHUNKS:
        return {"index_type": "FLAT"}
    return {
        "index_type": "HNSW",
        "params": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
    }


def _create(settings: Settings, name: str, dim: int, rows: int) -> dict[str, Any]:
    """Create an empty collection with the passages' schema; its dense index description."""
    from pymilvus import DataType, Function, FunctionType

    c = client(settings)
    schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("chunk_key", DataType.VARCHAR, max_length=40)
    schema.add_field("doc_key", DataType.VARCHAR, max_length=32)
    schema.add_field("unit_key", DataType.VARCHAR, max_length=40)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("title", DataType.VARCHAR, max_length=2048)
    schema.add_field("date", DataType.VARCHAR, max_length=64)
    schema.add_field("source", DataType.VARCHAR, max_length=512)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field(
        "text",
        DataType.VARCHAR,
        max_length=_MAX_TEXT,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "jieba"},
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(
        Function(
            name="text_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=["sparse"],
        )
    )
    kind = _index_kind(settings, rows)
    params = c.prepare_index_params()
    params.add_index("vector", metric_type="IP", **kind)
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    call(settings, c.create_collection, name, schema=schema, index_params=params)
    return {"index": kind["index_type"]}


@dataclass(frozen=True)
class Passage:
    """What a build writes of one chunk: its document, key, BM25 text and dense texts."""

    doc: Document
    chunk: Chunk
    key: str
    text: str
    windows: list[str]
    #: SHA-1 of each window's text: a full build copies the old collection's vector of a text.
    unit_keys: list[str]

    @property
    def doc_key(self) -> str:
        """The hash of the passage's document (:func:`doc_key`)."""
        return self.key.split(":")[0]


def _row(p: Passage, w: int, vector: np.ndarray) -> dict[str, Any]:
    """The collection's row of window ``w`` of a passage."""
    return {
        "pk": f"{p.key}:{w}",
        "chunk_key": p.key,
        "doc_key": p.doc_key,
        "unit_key": p.unit_keys[w],
        "doc_id": p.doc.doc_id[:1024],
        "title": p.doc.title[:600],
        "date": p.doc.date[:64],
        "source": p.doc.source[:160],
        "start": p.chunk.start,
        "end": p.chunk.end,
        "text": p.text[: _MAX_TEXT // 4],  # VARCHAR counts bytes: 4 per character at most
        "vector": vector.tolist(),
    }


@dataclass
class MilvusBuild:
    """One build's writes to Milvus, in the steps that keep serving: :meth:`write` before the
    index folder is written, :meth:`switch` just before it is switched in, :meth:`finish` after,
    :meth:`rollback` when anything failed (the alias is then where it was).

    Args:
        settings: URI, token, alias.
        incremental_from: The document hashes the collection behind the alias holds, when only
            seeds changed; None for a full build into a new collection.
    """

    settings: Settings
    incremental_from: set[str] | None = None
    collection: str = ""
    old: str | None = None
    inserted: set[str] = field(default_factory=set)
    info: dict[str, Any] = field(default_factory=dict)
    switched: bool = False
    committed: bool = False

    def start(self) -> None:
        """Connect, drop what builds that died left, and decide full or incremental.

        Raises:
            StoreError: Milvus cannot be used.
        """
        c = client(self.settings)
        alias = self.settings.milvus_collection
        self.old = alias_target(self.settings)
        prefix = f"{alias}__"
        for name in call(self.settings, c.list_collections):
            if name.startswith(prefix) and name != self.old:
                logger.info("dropping collection %s left by a build that died", name)
                call(self.settings, c.drop_collection, name)
        if self.old is None:
            self.incremental_from = None
        if self.incremental_from is None:
            self.collection = f"{prefix}{_stamp()}"
        else:
            assert self.old is not None
            self.collection = self.old

    def write(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        *,
        batch_size: int,
        progress: Callable[[str, int, int], None],
        reuse: bool = False,
    ) -> tuple[int, int]:
        """Encode and write the rows this build needs: all of them into a new collection, or
        those of new documents into the live one.

        Args:
            passages: Every passage of the build.
            embedder: The model to encode with.
            batch_size: Its batch size.
            progress: Called as the encoding and the writes advance.
            reuse: The old collection's vectors are of this model: a full build copies those
                of texts it still has instead of encoding them again.

        Returns:
            ``(encoded, reused)`` dense vectors.
        """
        total = sum(len(p.windows) for p in passages)
        c = client(self.settings)
        if self.incremental_from is not None:
            kind = _index_kind(self.settings, total)["index_type"]
            now = call(self.settings, c.describe_index, self.collection, "vector")
            self.info = {"index": str(now.get("index_type", ""))}
            if self.info["index"] != kind:
                # Grown past (or shrunk below) HNSW_MIN_CHUNKS: the index type changes, which a
                # collection cannot do in place.
                logger.info("Milvus index type changes to %s: building a new collection", kind)
                self.incremental_from = None
                self.collection = f"{self.settings.milvus_collection}__{_stamp()}"
        if self.incremental_from is None:
            todo = list(passages)
            self.info = _create(self.settings, self.collection, embedder.dim, total)
        else:
            todo = [p for p in passages if p.doc_key not in self.incremental_from]
        self.inserted = {p.doc_key for p in todo}
        # Upserts: a row written by an incremental build that died is replaced, not doubled.
        method = c.insert if self.incremental_from is None else c.upsert
        wanted = [(p, w) for p in todo for w in range(len(p.windows))]
        reused = 0
        if reuse and self.incremental_from is None and self.old is not None:
            wanted, reused = self._copy_vectors(wanted, method)
        units = [p.windows[w] for p, w in wanted]
        vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        if units:
            vectors = embedder.encode_passages(
                units,
                batch_size=batch_size,
                progress=lambda done, total: progress("embed", done, total),
            )
        progress("embed", len(units), len(units))
        for lo in range(0, len(wanted), INSERT_BATCH):
            part = wanted[lo : lo + INSERT_BATCH]
            rows = [_row(p, w, vectors[lo + i]) for i, (p, w) in enumerate(part)]
            call(self.settings, method, self.collection, rows)
            progress("index", lo + len(part), len(wanted))
        return len(units), total - len(units)

    def _copy_vectors(
        self, wanted: list[tuple[Passage, int]], method: Callable[..., Any]
    ) -> tuple[list[tuple[Passage, int]], int]:
        """Write the rows whose window text the old collection holds, with its vector, read a
        batch at a time (memory stays one batch); the rows still to encode, and how many were
        copied. A failure while reading only means encoding more."""
        by_key: dict[str, list[tuple[Passage, int]]] = {}
        for p, w in wanted:
            by_key.setdefault(p.unit_keys[w], []).append((p, w))
        c = client(self.settings)
        copied = 0
        try:
            # Read only once loaded: a build's process may not have searched it yet.
            call(self.settings, c.load_collection, self.old)
            it = call(
                self.settings,
                c.query_iterator,
                self.old,
                batch_size=INSERT_BATCH,
                filter="",
                output_fields=["unit_key", "vector"],
            )
            while batch := call(self.settings, it.next, timeout=False):
                rows = [
                    _row(p, w, np.asarray(r["vector"], dtype=np.float32))
                    for r in batch
                    for p, w in by_key.pop(r["unit_key"], [])
                ]
                if rows:
                    call(self.settings, method, self.collection, rows)
                    copied += len(rows)
            it.close()
        except StoreError as exc:
            logger.warning("not reusing the old collection's vectors: %s", exc)
        left = [pw for pws in by_key.values() for pw in pws]
        logger.info("vectors copied from %s: %d; to encode: %d", self.old, copied, len(left))
        return left, copied

    def manifest_part(self) -> dict[str, Any]:
        """What the manifest records of the store (never the token)."""
        return {
            "type": "milvus",
            "uri": safe_uri(resolve_uri(self.settings)),
            "alias": self.settings.milvus_collection,
            "collection": self.collection,
            **self.info,
        }

    def switch(self) -> None:
        """Point the alias at the new collection (a full build); queries see it from now."""
        if self.incremental_from is not None:
            return
        c = client(self.settings)
        alias = self.settings.milvus_collection
        if self.old is None:
            call(self.settings, c.create_alias, self.collection, alias)
        else:
            call(self.settings, c.alter_alias, self.collection, alias)
        self.switched = True
        logger.info("alias %s now names %s", alias, self.collection)

    def finish(self, keys: set[str]) -> None:
        """After the switch: drop the old collection, or the rows of documents gone.

        A failure here is logged, not raised: the new index is in use, and the next build
        removes what is left.
        """
        self.committed = True
        c = client(self.settings)
        try:
            if self.incremental_from is None:
                if self.old is not None:
                    call(self.settings, c.drop_collection, self.old)
            elif gone := self.incremental_from - keys:
                call(self.settings, c.delete, self.collection, filter=_key_filter(gone))
        except StoreError as exc:
            logger.warning("after the build: %s", exc)

    def rollback(self) -> None:
        """Undo what :meth:`write` did; the alias is left where it was."""
        if self.committed:
            return
        try:
            c = client(self.settings)
            if self.incremental_from is None:
                if self.switched and self.old is not None:
                    call(self.settings, c.alter_alias, self.old, self.settings.milvus_collection)
                elif self.switched:
                    call(self.settings, c.drop_alias, self.settings.milvus_collection)
                if self.collection:
                    call(self.settings, c.drop_collection, self.collection)
            elif self.inserted:
                call(self.settings, c.delete, self.collection, filter=_key_filter(self.inserted))
        except StoreError as exc:
            logger.warning("could not undo the failed build in Milvus: %s", exc)


def _stamp() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"


def _key_filter(keys: Iterable[str]) -> str:
    # Document hashes are hex digits: nothing in them needs quoting.
    return "doc_key in [" + ", ".join(f'"{k}"' for k in sorted(keys)) + "]"


@dataclass(eq=False)
class MilvusVectors:
    """The dense side of an index whose vectors are in Milvus: one search per question,
    through the alias, the best window of each of the :data:`CANDIDATES` nearest chunks."""

    settings: Settings
    #: Each chunk's position in the index by its key (:func:`chunk_keys`).
    positions: dict[str, int]
    #: From the manifest: the index type ("FLAT", "HNSW").
    index_type: str = "FLAT"
    kind: str = "milvus"

    def chunk_scores(self, qvec: np.ndarray, n_chunks: int) -> np.ndarray:
        """See :meth:`qa.store.vectors.VectorStore.chunk_scores`.

        Raises:
            StoreError: Milvus cannot be used.
        """
        params: dict[str, Any] = {"metric_type": "IP"}
        if self.index_type == "HNSW":
            params["params"] = {"ef": max(HNSW_EF_SEARCH, CANDIDATES)}
        c = client(self.settings)
        found = call(
            self.settings,
            c.search,
            self.settings.milvus_collection,
            data=[np.asarray(qvec, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=min(CANDIDATES, n_chunks),
            group_by_field="chunk_key",
            output_fields=["chunk_key"],
            search_params=params,
        )
        ids, sims = [], []
        for hit in found[0]:
            # Rows of another build's documents (a build is switching in meanwhile) are skipped.
            pos = self.positions.get(hit["entity"]["chunk_key"])
            if pos is not None:
                ids.append(pos)
                sims.append(hit["distance"])
        return floor_scores(
            n_chunks, np.asarray(ids, dtype=np.int64), np.asarray(sims, dtype=np.float32)
        )

