"""Building an index from the seeds: chunks, their vectors (reused when unchanged), the
keyword index and the vocabulary's tables, written to a new build folder and switched in."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import IndexUnavailable, SeedsError
from qa.files import sha256_file
from qa.ingest.chunk import Chunk, chunk_documents, sentence_windows
from qa.ingest.corpus import Document, Skipped, load_corpus
from qa.ingest.textnorm import normalize
from qa.settings import Settings
from qa.store.chars import CHARS_DIR, build_char_index
from qa.store.dense import make_dense_index
from qa.store.embed import Embedder
from qa.store.folder import (
    FORMAT_VERSION,
    _activate,
    _build_lock,
    _chunk_settings,
    _remove_leftovers,
    current_build,
    read_manifest,
    seed_hashes,
    stale_reasons,
)
from qa.store.index import verify
from qa.store.manifest import Counts, Manifest, ModelInfo
from qa.store.tokenize import Tokenizer, quoted_terms
from qa.versions import pipeline_version

if TYPE_CHECKING:  # pymilvus is imported only with QA_STORE=milvus
    from qa.store.milvus import MilvusBuild

logger = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: stages are "read", "embed", "index", "write".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    rebuilt: bool
    reasons: list[str]
    documents: int = 0
    chunks: int = 0
    #: Dense vectors (sentence windows, several per chunk) encoded and reused from the last build.
    encoded: int = 0
    reused: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    path: Path | None = None


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def index_text(doc: Document, chunk: Chunk) -> str:
    """The text a chunk is indexed under: its document's title and its heading, then itself.

    A passage such as "一是宣传发动…二是…" names neither the city nor the campaign; its
    document and section do, so a question that names them still finds it.
    """
    parts = [doc.title]
    if chunk.heading and not chunk.text.startswith(chunk.heading):
        parts.append(chunk.heading)
    parts.append(chunk.text)
    return "\n".join(parts)


def dense_texts(doc: Document, chunk: Chunk, window: int) -> list[str]:
    """The texts a chunk is embedded as: its sentence windows, each under its document's title,
    in Simplified script (:func:`qa.ingest.chunk.sentence_windows`); with ``window`` 0, the chunk
    whole, as BM25 reads it (:func:`index_text`).

    The chunk scores as its best window (docs/retrieval.md, "Passages embedded by sentence
    windows"). Questions are embedded in Simplified script too, so that one in either script
    meets a passage in the other as in its own.
    """
    if window <= 0:
        return [normalize(index_text(doc, chunk))]
    return [normalize(f"{doc.title}\n{w}") for w in sentence_windows(chunk.text, window)]


#: The artifacts a rebuild reads its old vectors from: read whole, once, and checked against
#: the manifest's checksums before they are parsed (so what is parsed is what was checked).
_REUSED = ("embeddings.npy", "chunks.jsonl")


class _NotReusable(Exception):
    """Why the old build's vectors are not reused (one line, for the log)."""


def _verified_bytes(build: Path, manifest: Manifest, name: str) -> bytes:
    """The content of one artifact, read once, whose SHA-256 matches the manifest's."""
    digest = manifest.artifacts[name]
    try:
        data = (build / name).read_bytes()
    except OSError as exc:
        raise _NotReusable(f"{name} cannot be read ({exc.strerror or exc})") from exc
    if hashlib.sha256(data).hexdigest() != digest:
        raise _NotReusable(f"{name} is corrupt (checksum mismatch)")
    return data


def _read_old_vectors(
    build: Path, manifest: Manifest, model: str, dim: int
) -> dict[str, np.ndarray]:
    """The checked vectors of a build, keyed by the text they encode.

    Raises:
        _NotReusable: Anything at all is wrong with the build or its vectors.
    """
    if manifest.model.name != model:
        raise _NotReusable("the old index was built with another model")
    if manifest.model.dim != dim:
        raise _NotReusable("the old index's vectors have another dimension")
    artifacts = manifest.artifacts
    if not set(_REUSED) <= set(artifacts):
        raise _NotReusable("the manifest lists no checksums for the vectors")
    # Every other artifact too: a build with any damaged file is not trusted for anything.
    try:
        others = {k: v for k, v in artifacts.items() if k not in _REUSED}
        verify(build, others)
    except IndexUnavailable as exc:
        raise _NotReusable(str(exc).split(";")[0]) from exc
    raw_vectors = _verified_bytes(build, manifest, "embeddings.npy")
    raw_chunks = _verified_bytes(build, manifest, "chunks.jsonl")
    try:
        emb = np.load(io.BytesIO(raw_vectors), allow_pickle=False)
        keys = [
            key
            for line in raw_chunks.splitlines()
            if line.strip()
            for key in json.loads(line)["dense_keys"]
        ]
    except Exception as exc:  # EOFError, ValueError, KeyError, ...: all mean "not reusable"
        raise _NotReusable(f"cannot be parsed ({type(exc).__name__}: {exc})") from exc
    # A checksum only says the files are those the build wrote; these say they are usable.
    if emb.dtype != np.float32 or emb.ndim != 2 or emb.shape[1] != dim:
        raise _NotReusable(f"embeddings.npy holds {emb.dtype} {emb.shape}, not float32 (n, {dim})")
    if emb.shape[0] != len(keys) or not all(isinstance(k, str) for k in keys):
        raise _NotReusable(f"{emb.shape[0]} vectors for {len(keys)} dense rows")
    if not np.isfinite(emb).all():
        raise _NotReusable("embeddings.npy holds NaN or infinite values")
    return {k: emb[i] for i, k in enumerate(keys)}


def _old_vectors(index_dir: Path, model: str, dim: int) -> dict[str, np.ndarray]:
    """Vectors of the active build keyed by the text embedded, if they can be trusted.

    They are reused only from a build whose checksums all pass, with the same model, and
    whose vectors parse into finite float32 rows, one per dense row. Anything else means encoding
    from scratch, said in one log line: reusing damaged vectors would write fresh checksums
    over them, and every later load would trust them.
    """
    build = current_build(index_dir)
    manifest = read_manifest(index_dir)
    if build is None or manifest is None:
        return {}
    try:
        return _read_old_vectors(build, manifest, model, dim)
    except _NotReusable as exc:
        logger.warning("not reusing the old index's vectors: %s; encoding everything", exc)
        return {}


@dataclass(frozen=True)
class _Vectors:
    """The dense rows of a local build, and which of them were encoded afresh."""

    rows: np.ndarray
    fresh: np.ndarray


def _local_vectors(
    settings: Settings,
    embedder: Embedder,
    units: list[str],
    unit_keys: list[str],
    progress: Progress,
) -> _Vectors:
    """Every dense row's vector: the old build's where the text is the same, else encoded."""
    old = _old_vectors(settings.index_dir, embedder.name, embedder.dim)
    todo = [i for i, k in enumerate(unit_keys) if k not in old]
    vectors = np.zeros((len(units), embedder.dim), dtype=np.float32)
    for i, k in enumerate(unit_keys):
        if k in old:
            vectors[i] = old[k]
    if todo:
        fresh = embedder.encode_passages(
            [units[i] for i in todo],
            batch_size=settings.batch_size,
            progress=lambda done, total: progress("embed", done, total),
        )
        vectors[todo] = fresh
    progress("embed", len(todo), len(todo))
    mask = np.zeros(len(units), dtype=bool)
    mask[todo] = True
    return _Vectors(vectors, mask)


def _noop(stage: str, done: int, total: int) -> None:
    return None


def unchanged_report(settings: Settings, hashes: dict[str, str]) -> BuildReport | None:
    """The report of a build that is not needed, or None when the index is stale.

    Args:
        settings: Where the index is, and how it should have been built.
        hashes: The seeds' current hashes (:func:`seed_hashes`).
    """
    if stale_reasons(read_manifest(settings.index_dir), settings, hashes):
        return None
    return BuildReport(rebuilt=False, reasons=[], path=current_build(settings.index_dir))


#: ``tables(vocabulary, cache_dir)``: tables made from the corpus's words (word → number of
#: documents holding it) and saved with the index as ``lexicon.json``. The query stage passes
#: its translation tables (``qa.query.translate.vocabulary_tables``); the store only keeps them.
VocabularyTables = Callable[[dict[str, int], Path | None], dict]


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
    hashes: dict[str, str] | None = None,
    tables: VocabularyTables | None,
) -> BuildReport:
    """Build the index from the seeds, unless it is up to date.

    Chunks whose text was already encoded with the same model are not encoded again.

    Args:
        settings: Where the seeds and the index are, and how to chunk.
        embedder: The model to encode passages with (its name must match the settings').
        force: Build even when the index is up to date.
        progress: Called as work advances.
        hashes: The seeds' hashes when the caller has just taken them (:func:`seed_hashes`);
            otherwise they are taken here.
        tables: What to make of the corpus's vocabulary and keep with the index (the query
            stage's translation tables, ``qa.query.translate.vocabulary_tables``). Required, so
            that no caller leaves them out by accident; None builds an index that translates
            nothing.

    Returns:
        What was done.

    Raises:
        SeedsError: The seeds folder is missing or holds no readable document.
        QAError: Another process is building the same index.
    """
    if hashes is None:
        hashes = seed_hashes(settings.seeds_dir, follow_symlinks=settings.follow_symlinks)
    if not force and (unchanged := unchanged_report(settings, hashes)) is not None:
        return unchanged
    reasons = stale_reasons(read_manifest(settings.index_dir), settings, hashes)
    with _build_lock(settings.index_dir):
        return _build(settings, embedder, hashes, reasons, progress or _noop, tables)


def _build(
    settings: Settings,
    embedder: Embedder,
    hashes: dict[str, str],
    reasons: list[str],
    progress: Progress,
    tables: VocabularyTables | None,
) -> BuildReport:
    """The build itself, under the build lock (see :func:`build_index`)."""
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    logger.info("building index: %s", "; ".join(reasons) or "forced")
    # First, under the lock: no other build can be writing them, and their space comes back
    # before the encoding (build folders no pointer names go when this one is switched in).
    _remove_leftovers(index_dir)
    store = None
    if settings.store == "milvus":
        from qa.store.milvus import MilvusBuild

        # Connected before anything is read or encoded: a Milvus fault costs no work.
        store = MilvusBuild(settings, _incremental_from(settings, reasons))
        store.start()
    try:
        return _build_into(settings, embedder, hashes, reasons, progress, tables, store, t0)
    except BaseException:
        if store is not None:
            store.rollback()
        raise


def _incremental_from(settings: Settings, reasons: list[str]) -> set[str] | None:
    """The document hashes of the Milvus collection in use, when this build may update it in
    place: only seeds changed, and the active build's vectors are in this alias of this Milvus.
    None for a full build into a new collection."""
    from qa.store.milvus import doc_key, resolve_uri, safe_uri

    if not reasons or not all(r.startswith("seeds ") for r in reasons):
        return None
    manifest = read_manifest(settings.index_dir)
    build = current_build(settings.index_dir)
    if manifest is None or build is None:
        return None
    dense = manifest.dense
    if (
        dense.get("type") != "milvus"
        or dense.get("alias") != settings.milvus_collection
        or dense.get("uri") != safe_uri(resolve_uri(settings))
    ):
        return None
    try:
        rows = (build / "documents.jsonl").read_text(encoding="utf-8").splitlines()
        return {doc_key(Document(**json.loads(r))) for r in rows if r.strip()}
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("cannot read the old build's documents (%s); building afresh", exc)
        return None


def _build_into(
    settings: Settings,
    embedder: Embedder,
    hashes: dict[str, str],
    reasons: list[str],
    progress: Progress,
    tables: VocabularyTables | None,
    store: MilvusBuild | None,
    t0: float,
) -> BuildReport:
    """The build after the lock and the store's start (see :func:`_build`)."""
    import bm25s

    index_dir = settings.index_dir

    corpus = load_corpus(
        settings.seeds_dir,
        settings.max_file_bytes,
        follow_symlinks=settings.follow_symlinks,
        ocr=settings.ocr,
    )
    docs = corpus.documents
    progress("read", len(docs), len(docs))
    chunks = chunk_documents(docs, **_chunk_settings(settings))
    if not chunks:
        raise SeedsError(f"no text to index in {settings.seeds_dir}")

    by_id = {d.doc_id: d for d in docs}
    # BM25 reads each chunk whole, in Simplified script like the questions.
    texts = [normalize(index_text(by_id[c.doc_id], c)) for c in chunks]
    keys = [_text_key(t) for t in texts]
    windows = [dense_texts(by_id[c.doc_id], c, settings.dense_window_sentences) for c in chunks]
    units = [w for ws in windows for w in ws]
    # Keyed by the text embedded, so that vectors of another text are never reused.
    unit_keys = [_text_key(u) for u in units]
    if store is None:
        vectors = _local_vectors(settings, embedder, units, unit_keys, progress)
        encoded = int(np.count_nonzero(vectors.fresh))
        dense, dense_info = make_dense_index(vectors.rows)
    else:
        from qa.store.milvus import Passage, chunk_keys, doc_key

        per_chunk = iter(unit_keys)
        rows = zip(chunks, chunk_keys(docs, chunks), texts, windows, strict=True)
        passages = [
            Passage(by_id[c.doc_id], c, key, text, ws, [next(per_chunk) for _ in ws])
            for c, key, text, ws in rows
        ]
        old = read_manifest(index_dir)
        encoded, _ = store.write(
            passages,
            embedder,
            batch_size=settings.batch_size,
            progress=progress,
            # Vectors of the same model only (the old manifest names it).
            reuse=old is not None
            and old.model.name == embedder.name
            and old.model.dim == embedder.dim,
        )
        dense_info = store.manifest_part()

    norm_docs = [normalize(d.text) for d in docs]
    tokenizer = Tokenizer(quoted_terms(norm_docs))
    # One str object per distinct token: jieba returns a new one for every occurrence, which
    # at 100k chunks (~15M tokens) held about a gigabyte until the BM25 index was built.
    pool: dict[str, str] = {}
    tokens = [[pool.setdefault(w, w) for w in tokenizer.tokens(t)] for t in texts]
    del pool
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    chars = build_char_index(texts)
    df: Counter[str] = Counter()
    by_doc: dict[str, set[str]] = {}
    for c, toks in zip(chunks, tokens, strict=True):
        by_doc.setdefault(c.doc_id, set()).update(toks)
    for words in by_doc.values():
        df.update(words)
    lexicon = None if tables is None else tables(dict(df), settings.cache_dir)
    progress("index", 1, 1)

    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        with (tmp / "documents.jsonl").open("w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps(dataclasses.asdict(d), ensure_ascii=False) + "\n")
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            row_keys = iter(unit_keys)
            for c, k, ws in zip(chunks, keys, windows, strict=True):
                dense_keys = [next(row_keys) for _ in ws]
                row = dataclasses.asdict(c) | {"key": k, "dense_keys": dense_keys}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        if store is None:
            import faiss

            np.save(tmp / "embeddings.npy", vectors.rows)
            faiss.write_index(dense, str(tmp / "dense.faiss"))
        bm25.save(str(tmp / "bm25"), show_progress=False)
        if chars is not None:
            chars.save(str(tmp / CHARS_DIR), show_progress=False)
        (tmp / "userdict.txt").write_text("\n".join(tokenizer.user_words) + "\n", encoding="utf-8")
        (tmp / "lexicon.json").write_text(
            json.dumps(lexicon, ensure_ascii=False), encoding="utf-8"
        )
        seconds = time.perf_counter() - t0
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            pipeline=pipeline_version(),
            model=ModelInfo(name=embedder.name, dim=embedder.dim),
            chunking=_chunk_settings(settings),
            dense_window_sentences=settings.dense_window_sentences,
            seeds=hashes,
            skipped=[dataclasses.asdict(s) for s in corpus.skipped],
            counts=Counts(documents=len(docs), chunks=len(chunks), dense_rows=len(units)),
            dense=dense_info,
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            build_seconds=round(seconds, 3),
            artifacts={
                p.relative_to(tmp).as_posix(): sha256_file(p)
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            },
        )
        manifest.write(tmp)
        if store is not None:
            store.switch()
        final = _activate(index_dir, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if store is not None:
        store.finish({doc_key(d) for d in docs})
    progress("write", 1, 1)
    logger.info("index built in %.1f s: %d documents, %d chunks", seconds, len(docs), len(chunks))
    return BuildReport(
        rebuilt=True,
        reasons=reasons or ["forced"],
        documents=len(docs),
        chunks=len(chunks),
        encoded=encoded,
        reused=len(units) - encoded,
        skipped=list(corpus.skipped),
        seconds=time.perf_counter() - t0,
        path=final,
    )
