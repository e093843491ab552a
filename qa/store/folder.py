"""The index folder: builds side by side, the pointer to the active one, switching a new
build in, leftovers, and whether the active build matches the seeds and settings.

Layout of the index folder (``index/`` by default)::

    index/CURRENT                  name of the active build folder
    index/build-<time>-<id>/       one complete build:
        manifest.json              format version, model, settings, seed and artifact hashes
        documents.jsonl            cleaned documents
        chunks.jsonl               chunks with their spans
        embeddings.npy             unit vectors, one row per chunk
        dense.faiss                FAISS inner-product index over those vectors
        bm25/                      bm25s keyword index over jieba tokens
        chars/                     bm25s index over single characters (not above 20k
                                   chunks): see :mod:`qa.store.chars`
        userdict.txt               words added to jieba's dictionary
        lexicon.json               tables made from this corpus's vocabulary by the query
                                   stage (English / pinyin to Chinese terms): see
                                   :data:`VocabularyTables`

A build is written to ``index/.tmp-*`` and becomes active only when complete, by replacing
``CURRENT`` atomically; a build that dies half way leaves the old one in use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import QAError, SeedsError
from qa.files import Busy, exclusive_lock, sha256_file, write_atomic
from qa.ingest.corpus import boundary_reason
from qa.ingest.readers import extensions
from qa.settings import Settings
from qa.store.embed import model_name
from qa.store.manifest import DamagedManifest, Manifest
from qa.versions import pipeline_version

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2

CURRENT = "CURRENT"


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
    reasons += _store_reasons(manifest.dense, settings)
    old = manifest.seeds
    added = sorted(set(hashes) - set(old))
    removed = sorted(set(old) - set(hashes))
    changed = sorted(k for k in set(old) & set(hashes) if old[k] != hashes[k])
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
            reasons.append(f"seeds {label}: {shown}")
    return reasons


def _store_reasons(dense: dict, settings: Settings) -> list[str]:
    """Why the vectors are not in the store the settings name (empty when they are)."""
    built = "milvus" if dense.get("type") == "milvus" else "local"
    if built != settings.store:
        return [f"store changed: {built} -> {settings.store}"]
    if built == "local":
        return []
    from qa.store.milvus import resolve_uri, safe_uri

    reasons = []
    uri, alias = safe_uri(resolve_uri(settings)), settings.milvus_collection
    if dense.get("uri") != uri:
        reasons.append(f"Milvus URI changed: {dense.get('uri')} -> {uri}")
    if dense.get("alias") != alias:
        reasons.append(f"Milvus collection changed: {dense.get('alias')} -> {alias}")
    return reasons


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
