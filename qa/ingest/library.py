"""Adding documents to the seeds folder and removing them (``qa add``, ``qa remove``, the page).

A file is added only when it would be read: its extension is one the readers know, it is within
the size cap, it is not empty, its content is not already in the folder (by SHA-256), and it
reads into a document (so a bad file is refused with its reason instead of becoming a skipped
seed). Its name is cleaned (no folders, no hidden or control characters) and it is written
atomically, so the index build never sees half a file. Removing moves a document to a trash
folder beside the seeds (``seeds.trash/`` next to ``seeds/``), never deletes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from qa.errors import DocumentError, SeedsError
from qa.files import TooLarge, read_capped, sha256_file, write_atomic
from qa.ingest.readers import extensions
from qa.settings import Settings

logger = logging.getLogger(__name__)

_NAME_MAX_CHARS = 120
# Letters and digits of any script, and a few safe marks; anything else becomes "_".
_UNSAFE = re.compile(r"[^\w\-.()（）【】 ]", re.UNICODE)


@dataclass(frozen=True)
class Added:
    """A file added to the seeds folder."""

    name: str  # its path relative to the seeds folder: the document's id
    source: str  # what it was called where it came from


def trash_dir(settings: Settings) -> Path:
    """The folder removed documents go to: ``<seeds>.trash`` beside the seeds folder."""
    seeds = settings.seeds_dir.resolve()
    return seeds.with_name(f"{seeds.name}.trash")


def clean_name(name: str) -> str:
    """A safe file name for the seeds folder, or an error.

    Raises:
        DocumentError: The name is a path (it names a folder), or nothing is left of it.
    """
    if "/" in name or "\\" in name or name in (".", ".."):
        raise DocumentError(f"{name!r}: a file name, not a path, please / 请给文件名，不要路径")
    text = unicodedata.normalize("NFC", name)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    stem = _UNSAFE.sub("_", stem).strip(" ._")
    if not stem:
        raise DocumentError(f"{name!r}: no usable file name / 文件名无效")
    stem = stem[: _NAME_MAX_CHARS - len(ext) - 1]
    return f"{stem}.{ext.lower()}" if ext else stem


def _existing_hashes(seeds: Path) -> dict[str, str]:
    """SHA-256 of the document files already in the folder, to their names."""
    known = extensions()
    found: dict[str, str] = {}
    for path in sorted(seeds.rglob("*")):
        rel = path.relative_to(seeds)
        hidden = any(part.startswith(".") for part in rel.parts)
        if path.suffix.lower() in known and path.is_file() and not path.is_symlink() and not hidden:
            found.setdefault(sha256_file(path), rel.as_posix())
    return found


def _free_name(seeds: Path, name: str) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext`` ... when it is taken."""
    if not (seeds / name).exists():
        return name
    stem, ext = os.path.splitext(name)
    n = 2
    while (seeds / f"{stem}-{n}{ext}").exists():
        n += 1
    return f"{stem}-{n}{ext}"


def add_file(settings: Settings, source: Path, name: str | None = None) -> Added:
    """Check one file and copy it into the seeds folder.

    Args:
        settings: Where the seeds are, the size cap, OCR.
        source: The file to add.
        name: The name it should have (an upload's original name); by default its own.

    Returns:
        What was added.

    Raises:
        DocumentError: Naming the file and why it is refused, in Chinese and English.
    """
    from qa.ingest.corpus import read_document

    wanted = name if name is not None else source.name
    target = clean_name(wanted)
    ext = os.path.splitext(target)[1].lower()
    if ext not in extensions():
        raise DocumentError(
            f"{wanted}: {ext or 'no extension'} files are not read (allowed: "
            f"{', '.join(extensions())}) / 不支持的文件类型"
        )
    cap = settings.max_file_bytes
    try:
        data = read_capped(source, cap)
    except TooLarge as exc:
        raise DocumentError(exc.describe(wanted, cap) + " / 文件过大") from None
    except OSError as exc:
        raise DocumentError(f"{wanted}: cannot be read ({exc.strerror or exc}) / 无法读取") from exc
    if not data:
        raise DocumentError(f"{wanted}: empty file (0 bytes) / 空文件")
    seeds = settings.seeds_dir
    seeds.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    earlier = _existing_hashes(seeds).get(digest)
    if earlier is not None:
        raise DocumentError(f"{wanted}: same content as {earlier}, not added / 与已有文档相同")
    with tempfile.TemporaryDirectory(prefix="qa-add-") as tmp:
        trial = Path(tmp) / target
        trial.write_bytes(data)
        try:
            read_document(trial, cap, ocr=settings.ocr)
        except SeedsError as exc:
            reason = str(exc).replace(str(trial), wanted)
            raise DocumentError(f"not added / 未添加: {reason}") from exc
    final = _free_name(seeds, target)
    write_atomic(
        seeds / final, data, tmp=seeds / f".{final}.{os.urandom(4).hex()}.part", fsync=True
    )
    logger.info("added %s as %s", wanted, final)
    return Added(name=final, source=wanted)


def remove_file(settings: Settings, doc_id: str) -> Path:
    """Move a document out of the seeds folder into :func:`trash_dir`.

    Args:
        settings: Where the seeds are.
        doc_id: The document's path relative to the seeds folder (its id).

    Returns:
        Where it went.

    Raises:
        DocumentError: No such document in the folder, or the id leads out of it.
    """
    seeds = settings.seeds_dir.resolve()
    rel = Path(doc_id)
    if rel.is_absolute() or ".." in rel.parts or not doc_id.strip():
        raise DocumentError(
            f"{doc_id!r}: not a document of the seeds folder / 不是种子文件夹中的文档"
        )
    path = seeds / rel
    if (
        path.suffix.lower() not in extensions()
        or path.is_symlink()
        or not path.is_file()
        or not path.resolve().is_relative_to(seeds)
    ):
        raise DocumentError(f"{doc_id}: no such document in {seeds} / 没有这个文档")
    trash = trash_dir(settings)
    trash.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    dest = trash / f"{stamp}-{rel.as_posix().replace('/', '_')}"
    n = 2
    while dest.exists():
        dest = trash / f"{stamp}-{n}-{rel.as_posix().replace('/', '_')}"
        n += 1
    os.replace(path, dest)
    logger.info("removed %s to %s", doc_id, dest)
    return dest
