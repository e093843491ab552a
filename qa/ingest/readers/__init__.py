"""One interface for reading a document file of any supported format into raw text.

A reader turns a file's bytes into :class:`Extracted`: the text as a page of the seeds would
hold it (headline first, one paragraph a line) and, for formats with pages, where each page
starts in it. :mod:`qa.ingest.corpus` then cleans that text exactly as it cleans a ``.txt`` seed.
Readers are found by file extension (:func:`reader_for`); each lives in its own module, imported
only when a file of its format is read, so the PDF, Word and HTML libraries are loaded only
when needed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

#: File extensions read, and the module of ``qa.ingest.readers`` that reads each.
READERS: dict[str, str] = {
    ".txt": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
}

#: The optional extra that installs the libraries of the non-text readers.
EXTRA_HINT = "pip install -e '.[docs]'"


@dataclass(frozen=True)
class Options:
    """What a reader may need besides the bytes.

    Attributes:
        max_bytes: The size cap of one file; readers of archives (``.docx``) also refuse
            more than a multiple of it once unpacked.
        ocr: Read pages that have no text layer by OCR, where an OCR package is installed.
    """

    max_bytes: int = 20_000_000
    ocr: bool = True


@dataclass(frozen=True)
class Extracted:
    """A document's text before cleaning.

    Attributes:
        text: Headline first, then one paragraph per line (lines broken only where the
            document breaks them).
        encoding: How the text was stored: the character encoding of a text file
            (``"utf-8"``, ``"gb18030"`` ...), or the format (``"pdf"``, ``"docx"`` ...).
        pages: The offset in :attr:`text` where each page starts (first ``0``); empty for
            formats without pages.
        notes: What the reader could not read but did not refuse the file for (pages
            without a text layer, for instance), one bilingual line each, for the log.
    """

    text: str
    encoding: str
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


class Reader(Protocol):
    """A format's reader: a module with this function."""

    def read(self, data: bytes, name: str, options: Options) -> Extracted:
        """Turn a file's bytes into text.

        Args:
            data: The whole file.
            name: Its name, for messages.
            options: Limits and switches.

        Raises:
            qa.errors.SeedsError: Naming the file and, in Chinese and English, why it
                cannot be read.
        """
        ...


def extensions() -> tuple[str, ...]:
    """The extensions read, lower case, with their dot."""
    return tuple(READERS)


def reader_for(path: Path | str) -> Reader | None:
    """The reader of a file's format by its extension (case ignored), or None."""
    module = READERS.get(Path(path).suffix.lower())
    if module is None:
        return None
    return cast(Reader, importlib.import_module(f"{__name__}.{module}"))
