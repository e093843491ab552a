"""Read the seeds folder: each file within its boundary, decoded, cleaned and described as a
:class:`Document`; files that cannot be read are named with their reason.
"""

from __future__ import annotations

import bisect
import dataclasses
import errno
import hashlib
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from qa.errors import SeedsError
from qa.files import TooLarge, read_capped
from qa.ingest.clean import clean
from qa.ingest.decode import decode
from qa.ingest.meta import extract_meta
from qa.ingest.readers import Extracted, Options, extensions, reader_for
from qa.ingest.textnorm import is_traditional, normalize

logger = logging.getLogger(__name__)

#: Files larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 20_000_000


@dataclass(frozen=True)
class Document:
    """One cleaned seed document."""

    doc_id: str  # path relative to the seeds folder, e.g. "002_74fc92c28c1dd03c.txt"
    title: str  # headline, original script
    date: str  # "2017-05-10" or "" when the page gives none
    source: str  # e.g. "诸城新闻网", or ""
    text: str  # cleaned text, original script (what chunks' spans refer to)
    sha256: str  # of the raw file bytes
    encoding: str  # "utf-8", "utf-8-sig", "gb18030", "big5"; or the format: "pdf", "docx" ...
    script: str  # "traditional" | "simplified"
    #: Where each page starts in :attr:`text` (first 0), for formats with pages; else empty.
    pages: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Read back from JSON, the pages are a list.
        object.__setattr__(self, "pages", tuple(self.pages))

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that the character at ``offset`` of :attr:`text` is on, or None
        for a document without pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))

    @cached_property
    def key(self) -> str:
        """The text in Simplified script, width-folded (:func:`normalize`): same length, so a
        match in it is a span of :attr:`text`. Made once per document, when first asked for."""
        return normalize(self.text)


@dataclass(frozen=True)
class Skipped:
    """A file that was left out of the corpus, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    """The documents read from a seeds folder and the files that were skipped."""

    documents: list[Document]
    skipped: list[Skipped]


def _cleaned_pages(pages: tuple[int, ...], offsets: tuple[int, ...]) -> tuple[int, ...]:
    """Page starts in the raw text carried over to the cleaned text (whose characters came
    from ``offsets`` of the raw text, in order)."""
    return tuple(bisect.bisect_left(offsets, start) for start in pages)


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, *, ocr: bool = True) -> Document:
    """Read, decode and clean one seed file, of any format :mod:`qa.ingest.readers` reads.

    Args:
        path: The file.
        max_bytes: Larger files are refused without being read.
        ocr: Read PDF pages without a text layer by OCR, where OCR is installed.

    Returns:
        The document; its ``doc_id`` is the file name.

    Raises:
        SeedsError: Naming the file, when it is too large, unreadable, not text, empty,
            not decodable, or holds nothing but page chrome.
    """
    path = Path(path)
    try:
        data = read_capped(path, max_bytes)
    except TooLarge as exc:
        raise SeedsError(exc.describe(path, max_bytes)) from None
    except OSError as exc:
        raise SeedsError(f"{path}: cannot be read ({exc.strerror or exc})") from exc

    reader = reader_for(path)
    if reader is None or path.suffix.lower() == ".txt":
        text, encoding = decode(data, str(path))
        extracted = Extracted(text, encoding)
    elif not data:
        raise SeedsError(f"{path}: empty file (0 bytes) / 空文件")
    else:
        extracted = reader.read(data, str(path), Options(max_bytes=max_bytes, ocr=ocr))
        text, encoding = extracted.text, extracted.encoding
        for note in extracted.notes:
            logger.warning("%s: %s", path, note)
    cleaned = clean(text)
    if not cleaned.text.strip():
        raise SeedsError(f"{path}: nothing left after cleaning (only page furniture)")
    title, date, source = extract_meta(text, cleaned.text)
    return Document(
        doc_id=path.name,
        title=title,
        date=date,
        source=source,
        text=cleaned.text,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        script="traditional" if is_traditional(cleaned.text) else "simplified",
        pages=_cleaned_pages(extracted.pages, cleaned.offsets),
    )


#: What a seeds folder holds, for messages: "*.txt, *.pdf, ... files".
DOCUMENT_FILES = ", ".join(f"*{ext}" for ext in extensions()) + " files"

#: Why a file under the seeds folder is not read although its name is that of a seed.
OUTSIDE = "symlink out of the folder"

LOOP = "symlink loop"

DANGLING = "symlink to nothing"


def boundary_reason(path: Path, root: Path, *, follow_symlinks: bool = False) -> str | None:
    """Why a file under the seeds folder must not be opened, or None when it may be.

    The seeds folder is a boundary: a file whose real path (symlinks resolved) lies outside
    it is not read, or a link ``passwd.txt -> /etc/passwd`` would be indexed and served.

    Args:
        path: A path found under the seeds folder.
        root: The seeds folder, resolved (:meth:`Path.resolve`).
        follow_symlinks: Allow real paths outside the folder (``QA_FOLLOW_SYMLINKS=1``).

    Returns:
        :data:`OUTSIDE`, :data:`LOOP`, :data:`DANGLING`, or None.
    """
    try:
        real = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11-3.12 report a loop so, later versions as ELOOP
        return LOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LOOP
        return DANGLING if path.is_symlink() else None  # else vanished: its read will say so
    if not follow_symlinks and not real.is_relative_to(root):
        return OUTSIDE
    return None


def _seed_files(
    seeds_dir: Path, *, follow_symlinks: bool = False
) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """``(relative posix path, path)`` of every document file (``*.txt`` and the other formats
    :func:`qa.ingest.readers.extensions` names), sorted; hidden paths skipped.

    Also returns the files that are not read because of where they lead (see
    :func:`boundary_reason`); folders that are symlinks are never entered.
    """
    found: list[tuple[str, Path]] = []
    refused: list[Skipped] = []
    root = seeds_dir.resolve()
    known = extensions()
    for path in seeds_dir.rglob("*"):
        relative = path.relative_to(seeds_dir)
        if path.suffix.lower() not in known or any(part.startswith(".") for part in relative.parts):
            continue
        reason = boundary_reason(path, root, follow_symlinks=follow_symlinks)
        if reason is not None:
            refused.append(Skipped(name=relative.as_posix(), reason=reason))
        elif path.is_file():
            found.append((relative.as_posix(), path))
    return sorted(found), sorted(refused, key=lambda item: item.name)


def load_corpus(
    seeds_dir: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    follow_symlinks: bool = False,
    ocr: bool = True,
) -> Corpus:
    """Read every document file under a folder (recursively) into a corpus: ``*.txt``, and
    PDF, Word, HTML and Markdown files (:mod:`qa.ingest.readers`).

    A file that cannot be used is skipped with a logged warning and recorded in
    :attr:`Corpus.skipped`; it never stops the others. So is a file whose bytes repeat an
    earlier one, and a symlink that leads out of the folder or in a loop (never opened).

    Args:
        seeds_dir: The seeds folder.
        max_bytes: Per-file size limit.
        follow_symlinks: Read files whose real path lies outside the folder too.
        ocr: Read PDF pages without a text layer by OCR, where OCR is installed.

    Returns:
        The documents, sorted by path relative to ``seeds_dir`` (their ``doc_id``), and
        the skipped files.

    Raises:
        SeedsError: If the folder does not exist, holds no document file, or none of them
            could be read.
    """
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.exists():
        raise SeedsError(f"seeds folder {seeds_dir} does not exist; set QA_SEEDS_DIR or --seeds")
    if not seeds_dir.is_dir():
        raise SeedsError(f"seeds folder {seeds_dir} is not a folder; set QA_SEEDS_DIR or --seeds")
    files, refused = _seed_files(seeds_dir, follow_symlinks=follow_symlinks)
    for item in refused:
        logger.warning("skipping %s: %s", item.name, item.reason)
    if not files and not refused:
        raise SeedsError(f"seeds folder {seeds_dir} holds no {DOCUMENT_FILES}")

    documents: list[Document] = []
    skipped: list[Skipped] = list(refused)
    first_with_hash: dict[str, str] = {}
    for doc_id, path in files:
        try:
            document = read_document(path, max_bytes, ocr=ocr)
        except SeedsError as exc:
            reason = str(exc)
        else:
            earlier = first_with_hash.setdefault(document.sha256, doc_id)
            if earlier == doc_id:
                documents.append(dataclasses.replace(document, doc_id=doc_id))
                continue
            reason = f"{path}: same content as {earlier}"
        logger.warning("skipping %s: %s", doc_id, reason)
        skipped.append(Skipped(name=doc_id, reason=reason))

    if not documents:
        reasons = "; ".join(item.reason for item in skipped[:3])
        raise SeedsError(
            f"none of the {len(files) + len(refused)} document files in {seeds_dir} is readable: "
            f"{reasons}"
        )
    logger.info("read %d documents from %s (%d skipped)", len(documents), seeds_dir, len(skipped))
    return Corpus(documents=documents, skipped=skipped)
