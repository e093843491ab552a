"""Build, save, load and check the index.

Layout of the index folder (``index/`` by default)::

    index/CURRENT                  name of the active build folder
    index/build-<time>-<id>/       one complete build:
        manifest.json              format version, model, settings, seed and artifact hashes
        documents.jsonl            cleaned documents
        chunks.jsonl               chunks with their spans
        embeddings.npy             unit vectors, one row per chunk
        dense.faiss                FAISS inner-product index over those vectors
        bm25/                      bm25s keyword index over jieba tokens
        userdict.txt               words added to jieba's dictionary
        lexicon.json               English / pinyin to Chinese terms of this corpus

A build is written to ``index/.tmp-*`` and becomes active only when complete, by replacing
``CURRENT`` atomically; a build that dies half way leaves the old one in use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import stat
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunk import Chunk, chunk_documents, sentence_windows
from qa.corpus import Document, Skipped, boundary_reason, load_corpus
from qa.embed import Embedder, model_name
from qa.errors import IndexUnavailable, QAError, SeedsError
from qa.files import Busy, exclusive_lock, sha256_file, sha256_mapped, write_atomic
from qa.ingest.readers import extensions
from qa.manifest import Counts, DamagedManifest, Manifest, ModelInfo
from qa.settings import Settings
from qa.textnorm import normalize
from qa.tokenize import Tokenizer, quoted_terms

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2

# The modules whose code decides what goes into an index: when any of them changes, an index
# built by the old code is stale (chunks, tokens or lexicon may differ) and is rebuilt.
_PIPELINE_MODULES = (
    "text", "corpus", "textnorm", "chunk", "tokenize", "translate", "index",
    *(f"ingest/readers/{name}" for name in ("__init__", "text", "pdf", "docx", "html", "markdown")),
)  # fmt: skip


def pipeline_version() -> str:
    """A short hash of the indexing code, recorded in the manifest."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _PIPELINE_MODULES:
        h.update((here / f"{name}.py").read_bytes())
    return h.hexdigest()[:16]


CURRENT = "CURRENT"

#: ``progress(stage, done, total)``: stages are "read", "embed", "index", "write".
Progress = Callable[[str, int, int], None]

#: From this many chunks on, the dense index is an HNSW graph instead of exact (flat) search.
#: Measured on 2 cores (docs/benchmarks.md): exact search over 10k chunks (15 MB of vectors,
#: in cache) costs ~0.15 ms a question, over 100k (150 MB, memory-bound) 12-24 ms, where HNSW
#: takes ~1 ms; the graph costs about a minute more per 100k chunks to build (next to hours
#: of encoding) and misses a few of the exact top 10, which the keyword side of the hybrid
#: ranking mostly makes up for.
HNSW_MIN_CHUNKS = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
#: Candidates visited per search (recall@10 against exact search in docs/benchmarks.md).
HNSW_EF_SEARCH = 256


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


@dataclass
class Index:
    """A loaded index, held in memory."""

    path: Path
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    #: One unit vector per dense row: each chunk's sentence windows, chunk by chunk.
    embeddings: np.ndarray
    #: The first dense row of each chunk (:func:`dense_texts`), for ``np.maximum.reduceat``.
    dense_starts: np.ndarray
    #: The chunk of each dense row.
    dense_chunk: np.ndarray
    dense: Any  # faiss.Index
    bm25: Any  # bm25s.BM25
    tokenizer: Tokenizer
    lexicon: Any  # qa.translate.Lexicon
    #: Character-level BM25, derived from the chunks on first use by qa.search (not saved).
    char_bm25: Any = None
    #: Nearest corpus words by word vectors (qa.wordvec.Neighbours), attached by the service or
    #: made on first use by qa.search; False when the vectors are not installed (not saved).
    neighbours: Any = None

    @property
    def model(self) -> str:
        """Name of the embedding model the passages were encoded with."""
        return str(self.manifest.model.name)


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
    in Simplified script (:func:`qa.chunk.sentence_windows`); with ``window`` 0, the chunk
    whole, as BM25 reads it (:func:`index_text`).

    The chunk scores as its best window (docs/retrieval.md, "Passages embedded by sentence
    windows"). Questions are embedded in Simplified script too, so that one in either script
    meets a passage in the other as in its own.
    """
    if window <= 0:
        return [normalize(index_text(doc, chunk))]
    return [normalize(f"{doc.title}\n{w}") for w in sentence_windows(chunk.text, window)]


def seed_hashes(
    seeds_dir: Path, *, remember: bool = False, follow_symlinks: bool = False
) -> dict[str, str]:
    """SHA-256 of every document file (``*.txt``, ``*.pdf`` ...) under the seeds folder, keyed
    by relative path.

    A symlink that leads out of the folder (unless followed) or in a loop is not read: its
    entry is the hash of where it points, prefixed ``link:``, so that changing it still makes
    the index stale.

    Args:
        seeds_dir: The seeds folder.
        remember: Reuse the hash of a file whose size, times and inode are those it had when
            it was last hashed by this process. For checks that run often (the page's status
            hashed ~0.35 s of seeds at 100k chunks on every load); a build hashes afresh.
        follow_symlinks: Hash files whose real path lies outside the folder too.

    Raises:
        SeedsError: The folder does not exist.
    """
    if not seeds_dir.is_dir():
        raise SeedsError(f"seeds folder {seeds_dir} does not exist; set QA_SEEDS_DIR or --seeds")
    out = {}
    root = seeds_dir.resolve()
    known = extensions()
    for p in sorted(q for q in seeds_dir.rglob("*") if q.suffix.lower() in known):
        if boundary_reason(p, root, follow_symlinks=follow_symlinks) is not None:
            try:
                target = os.readlink(p)
            except OSError:  # removed meanwhile, or a real folder on the way is a link
                continue
            digest = hashlib.sha256(os.fsencode(target)).hexdigest()
            out[p.relative_to(seeds_dir).as_posix()] = f"link:{digest}"
            continue
        try:
            st = p.stat()
        except OSError:  # removed meanwhile, or a dangling link
            continue
        if stat.S_ISREG(st.st_mode):
            rel = p.relative_to(seeds_dir).as_posix()
            out[rel] = _remembered_hash(p, st) if remember else sha256_file(p)
    return out


_seed_hash_memo: dict[Path, tuple[tuple[int, ...], str]] = {}
_seed_hash_lock = threading.Lock()
#: A file changed this recently may change again within the clock's granularity without its
#: times moving, so its hash is not remembered yet (git's "racily clean" entries).
_RACY_SECONDS = 2.0


def _remembered_hash(path: Path, st: os.stat_result) -> str:
    key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    with _seed_hash_lock:
        known = _seed_hash_memo.get(path)
    if known is not None and known[0] == key:
        return known[1]
    digest = sha256_file(path)
    if time.time() - max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 > _RACY_SECONDS:
        with _seed_hash_lock:
            _seed_hash_memo[path] = (key, digest)
    return digest


def _chunk_settings(settings: Settings) -> dict[str, int]:
    return {
        "min_chars": settings.chunk_min_chars,
        "max_chars": settings.chunk_max_chars,
        "overlap": settings.chunk_overlap_sentences,
    }


def current_build(index_dir: Path) -> Path | None:
    """The active build folder, or None when there is none."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):  # a damaged pointer means "no index", never a crash
        return None
    # Only a build folder next to the pointer counts: a damaged or edited pointer must not lead
    # the loader (or the clean-up of old builds) anywhere else on disk.
    if not name.startswith("build-") or Path(name).name != name:
        return None
    path = index_dir / name
    return path if path.is_dir() else None


def read_manifest(index_dir: Path) -> Manifest | None:
    """The active build's manifest, or None when there is no readable one."""
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        return Manifest.read(build)
    except (OSError, ValueError, DamagedManifest):
        return None


def stale_reasons(
    manifest: Manifest | None, settings: Settings, hashes: dict[str, str]
) -> list[str]:
    """Why the index on disk does not match the seeds and settings (empty when it does).

    Args:
        manifest: The active build's manifest, or None.
        settings: Current settings.
        hashes: Current seed hashes (:func:`seed_hashes`).
    """
    if manifest is None:
        return ["no index has been built yet"]
    reasons = []
    if manifest.format_version != FORMAT_VERSION:
        reasons.append(f"index format {manifest.format_version} != {FORMAT_VERSION}")
    if manifest.pipeline != pipeline_version():
        reasons.append("indexing code changed since the build")
    model, wanted = manifest.model.name, model_name(settings.embed_model)
    if model != wanted:
        reasons.append(f"embedding model changed: {model} -> {wanted}")
    if manifest.chunking != _chunk_settings(settings):
        reasons.append("chunking settings changed")
    if manifest.dense_window_sentences != settings.dense_window_sentences:
        reasons.append("dense window setting changed")
    old = manifest.seeds
    added = sorted(set(hashes) - set(old))
    removed = sorted(set(old) - set(hashes))
    changed = sorted(k for k in set(old) & set(hashes) if old[k] != hashes[k])
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
            reasons.append(f"seeds {label}: {shown}")
    return reasons


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


def _noop(stage: str, done: int, total: int) -> None:
    return None


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock, across processes where the OS offers one.

    Two builds of one folder at once (``qa build`` while the page rebuilds) would delete each
    other's temporary folder; the second one is refused instead.

    Raises:
        QAError: Another process is building this index.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive_lock(index_dir / ".build.lock"):
            yield
    except Busy as exc:
        raise QAError(
            f"another build of {index_dir} is running; try again when it has finished"
        ) from exc


def unchanged_report(settings: Settings, hashes: dict[str, str]) -> BuildReport | None:
    """The report of a build that is not needed, or None when the index is stale.

    Args:
        settings: Where the index is, and how it should have been built.
        hashes: The seeds' current hashes (:func:`seed_hashes`).
    """
    if stale_reasons(read_manifest(settings.index_dir), settings, hashes):
        return None
    return BuildReport(rebuilt=False, reasons=[], path=current_build(settings.index_dir))


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
    hashes: dict[str, str] | None = None,
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
        return _build(settings, embedder, hashes, reasons, progress or _noop)


def _build(
    settings: Settings,
    embedder: Embedder,
    hashes: dict[str, str],
    reasons: list[str],
    progress: Progress,
) -> BuildReport:
    """The build itself, under the build lock (see :func:`build_index`)."""
    import bm25s
    import faiss

    from qa.translate import Lexicon

    t0 = time.perf_counter()
    index_dir = settings.index_dir
    logger.info("building index: %s", "; ".join(reasons) or "forced")
    # First, under the lock: no other build can be writing them, and their space comes back
    # before the encoding (build folders no pointer names go when this one is switched in).
    _remove_leftovers(index_dir)

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
    old = _old_vectors(index_dir, embedder.name, embedder.dim)
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

    norm_docs = [normalize(d.text) for d in docs]
    tokenizer = Tokenizer(quoted_terms(norm_docs))
    # One str object per distinct token: jieba returns a new one for every occurrence, which
    # at 100k chunks (~15M tokens) held about a gigabyte until the BM25 index was built.
    pool: dict[str, str] = {}
    tokens = [[pool.setdefault(w, w) for w in tokenizer.tokens(t)] for t in texts]
    del pool
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    dense, dense_info = make_dense_index(vectors)
    df: Counter[str] = Counter()
    by_doc: dict[str, set[str]] = {}
    for c, toks in zip(chunks, tokens, strict=True):
        by_doc.setdefault(c.doc_id, set()).update(toks)
    for words in by_doc.values():
        df.update(words)
    lexicon = Lexicon.build(dict(df), cache_dir=settings.cache_dir)
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
        np.save(tmp / "embeddings.npy", vectors)
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "userdict.txt").write_text("\n".join(tokenizer.user_words) + "\n", encoding="utf-8")
        (tmp / "lexicon.json").write_text(
            json.dumps(lexicon.to_dict(), ensure_ascii=False), encoding="utf-8"
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
        final = _activate(index_dir, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress("write", 1, 1)
    logger.info("index built in %.1f s: %d documents, %d chunks", seconds, len(docs), len(chunks))
    return BuildReport(
        rebuilt=True,
        reasons=reasons or ["forced"],
        documents=len(docs),
        chunks=len(chunks),
        encoded=len(todo),
        reused=len(units) - len(todo),
        skipped=list(corpus.skipped),
        seconds=time.perf_counter() - t0,
        path=final,
    )


def make_dense_index(vectors: np.ndarray, min_hnsw: int | None = None) -> tuple[Any, dict]:
    """A FAISS inner-product index over unit vectors, exact or HNSW by corpus size.

    Args:
        vectors: One float32 unit vector per chunk.
        min_hnsw: Chunks from which an HNSW graph is built (default :data:`HNSW_MIN_CHUNKS`).

    Returns:
        ``(index, description)``; the description goes into the manifest.
    """
    import faiss

    n, dim = vectors.shape
    if n < (HNSW_MIN_CHUNKS if min_hnsw is None else min_hnsw):
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat, {"type": "flat"}
    graph = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    graph.hnsw.efSearch = HNSW_EF_SEARCH
    graph.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return graph, {
        "type": "hnsw",
        "m": HNSW_M,
        "ef_construction": HNSW_EF_CONSTRUCTION,
        "ef_search": HNSW_EF_SEARCH,
    }


def _activate(index_dir: Path, tmp: Path) -> Path:
    """Make a complete build the active one, atomically, and drop the builds before it."""
    final = index_dir / f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp.rename(final)
    _fault_point("after-rename")
    pointer = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:6]}"
    write_atomic(index_dir / CURRENT, (final.name + "\n").encode("utf-8"), tmp=pointer, fsync=True)
    for old in index_dir.glob("build-*"):
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final


#: Test hook: the fault-injection point named by this variable kills the process there.
FAULT_INJECT_ENV = "QA_FAULT_INJECT"


def _fault_point(name: str) -> None:
    """Die here, as by ``kill -9``, when ``QA_FAULT_INJECT`` names this point (a test hook).

    Only the robustness tests set the variable: a kill at an exact step, such as between the
    build folder's rename and the ``CURRENT`` switch, cannot be timed from outside.
    """
    if os.environ.get(FAULT_INJECT_ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def leftovers(index_dir: Path) -> list[Path]:
    """What builds that died left in the index folder; the next build removes it.

    Temporary folders and pointer files, and build folders that ``CURRENT`` does not name
    (a build killed between its rename and the switch of ``CURRENT``).
    """
    if not index_dir.is_dir():
        return []
    current = current_build(index_dir)
    found = [*index_dir.glob(".tmp-*"), *index_dir.glob(f".{CURRENT}.*")]
    found += [p for p in index_dir.glob("build-*") if p != current]
    return sorted(found)


def _remove_leftovers(index_dir: Path) -> None:
    """Delete temporary folders and pointer files left by builds that died."""
    for tmp in index_dir.glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for pointer in index_dir.glob(f".{CURRENT}.*"):
        pointer.unlink(missing_ok=True)


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

    def __init__(self, build: Path, manifest: Manifest, check: bool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.build = build
        self.manifest = manifest
        self._hnsw = manifest.hnsw
        self._check = check
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-load-index")
        self._binary = self._pool.submit(self._read_binary)
        self._pool.shutdown(wait=False)  # the thread ends with its one task

    def _read_binary(self) -> tuple[np.ndarray, Any, Any]:
        """Checksums, then the embeddings, FAISS and BM25 indexes (in the background thread).

        All of it runs in C with the GIL released, so it costs the caller's thread nothing.
        The binary readers only ever see files whose checksums matched.
        """
        if self._check:
            verify(self.build, self.manifest.artifacts)
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
        except Exception as exc:  # any unreadable artifact means the same thing to the user
            raise _unreadable(self.build, exc) from exc
        return embeddings, dense, bm25

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
        from qa.translate import Lexicon

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
            lexicon = Lexicon.from_dict(
                json.loads((build / "lexicon.json").read_text(encoding="utf-8"))
            )
            tokenizer = Tokenizer(words)
        except Exception as exc:  # any unreadable artifact means the same thing to the user
            parse_error = exc
        # The checksums' verdict first: a damaged file is named as such, whatever broke.
        embeddings, dense, bm25 = self._binary.result()
        if parse_error is not None:
            raise _unreadable(build, parse_error) from parse_error
        counts = np.asarray(rows_per_chunk, dtype=np.int64)
        n_rows = int(counts.sum())
        if len(embeddings) != n_rows or dense.ntotal != n_rows or (counts < 1).any():
            raise IndexUnavailable(f"index in {build} is inconsistent; run `qa build --force`")
        if self._hnsw and hasattr(dense, "hnsw"):
            dense.hnsw.efSearch = int(self.manifest.dense.get("ef_search", HNSW_EF_SEARCH))
        return Index(
            path=build,
            manifest=self.manifest,
            documents=documents,
            chunks=chunks,
            embeddings=embeddings,
            dense_starts=np.concatenate(([0], np.cumsum(counts)[:-1])),
            dense_chunk=np.repeat(np.arange(len(chunks)), counts),
            dense=dense,
            bm25=bm25,
            tokenizer=tokenizer,
            lexicon=lexicon,
        )


def open_index(index_dir: Path, *, check: bool = True) -> PendingIndex:
    """Start loading the active build: the part that needs no Python runs in the background.

    Verifying the checksums (SHA-256 of every artifact, 550 MB at 100k chunks) and reading
    FAISS, BM25 and the embeddings start in a thread, where they run with the GIL released;
    the caller's thread is free meanwhile, e.g. for the embedding model's imports (~5 s of a
    cold start). :meth:`PendingIndex.result` then parses the text artifacts in the caller's
    thread: that part needs the GIL, so running it beside other Python work would gain
    nothing (measured: two GIL-bound loads in two threads take as long as one after the other).

    Args:
        index_dir: The index folder.
        check: Verify artifact checksums.

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
    return PendingIndex(build, manifest, check)


def load_index(index_dir: Path, *, check: bool = True) -> Index:
    """Load the active build into memory (:func:`open_index`, then its result).

    Args:
        index_dir: The index folder.
        check: Verify artifact checksums first.

    Returns:
        The loaded index.

    Raises:
        IndexUnavailable: There is no index, or it cannot be read; the message says what to do.
    """
    return open_index(index_dir, check=check).result()
