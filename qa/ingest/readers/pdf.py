"""PDF files (``.pdf``): the text layer through pypdfium2 (PDFium), OCR for pages without one.

PDFium was chosen over pypdf, pdfplumber and PyMuPDF by measurement (docs/documents.md): it
reads every test set whole and in reading order, is the fastest but one, and is under
permissive licences (PyMuPDF, as fast, is AGPL). A PDF's lines end where the page's width
ends, not where sentences do: a line that runs to the right edge of its column, followed by a
line that is not indented, is joined to it (across a page break too), so a sentence is never
cut in two. Page numbers alone on the first or last line of a page ("- 3 -", "第 3 页") are
dropped. A page with no text layer is read by OCR when ``rapidocr-onnxruntime`` (whose models
ship inside its wheel; nothing is downloaded) is installed and ``Options.ocr`` is on;
otherwise it is left out, and a file with no text at all is refused ("no text layer").
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qa.errors import SeedsError
from qa.ingest.readers import EXTRA_HINT, Extracted, Options

logger = logging.getLogger(__name__)

#: A line that is a page number only: "- 3 -", "3", "第3页", "第 3 页 共 10 页", "3/10", "Page 3".
_PAGE_NUMBER = re.compile(
    r"^[-–—\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:(?:/|共|of)\s*\d{1,4}\s*页?)?[-–—\s]*$"
    r"|^page\s*\d{1,4}(?:\s*of\s*\d{1,4})?$",
    re.IGNORECASE,
)
#: A line that runs to within this many character heights of its column's right edge is full.
_FULL_LINE = 1.5
#: A line that starts more than this many character heights right of its column is indented
#: (two for a Chinese paragraph; an opening quote stands up to half a character right).
_INDENT = 1.0
#: Render scale for OCR (PDF points to pixels: 2 = 144 dpi).
_OCR_SCALE = 2.0
_NO_TEXT = "no text layer, skipped / 无文字层，已跳过"


@dataclass(frozen=True)
class _Line:
    """One line of a page, with where it lies (PDF units, y upwards; any units for OCR)."""

    text: str
    x0: float
    x1: float
    size: float  # the height of its characters; 0 when unknown

    @property
    def placed(self) -> bool:
        return self.size > 0


def _boxes_line(text: str, boxes: Sequence[tuple[float, float, float, float]]) -> _Line | None:
    """A line from its text and the boxes (left, bottom, right, top) of its visible chars."""
    if not text.strip():
        return None
    if not boxes:
        return _Line(text.strip(), 0.0, 0.0, 0.0)
    heights = [top - bottom for _, bottom, _, top in boxes if top > bottom]
    return _Line(
        text.strip(),
        min(b[0] for b in boxes),
        max(b[2] for b in boxes),
        statistics.median(heights) if heights else 0.0,
    )


def _text_lines(textpage: Any) -> list[_Line]:
    """The lines of a page's text layer, each with its horizontal extent."""
    n = textpage.count_chars()
    if n <= 0:
        return []
    text = textpage.get_text_range(0, n)
    lines: list[_Line] = []
    if len(text) != n:  # characters outside the BMP shift the indices: no geometry then
        return [_Line(t.strip(), 0.0, 0.0, 0.0) for t in text.splitlines() if t.strip()]
    start = 0
    for m in re.finditer(r"\r\n|[\r\n]|$", text):
        boxes = [textpage.get_charbox(i) for i in range(start, m.start()) if not text[i].isspace()]
        line = _boxes_line(text[start : m.start()], boxes)
        if line is not None:
            lines.append(line)
        start = m.end()
        if m.end() >= len(text):
            break
    return lines


@lru_cache(maxsize=1)
def _ocr_engine() -> Any | None:
    """The OCR engine, or None when rapidocr-onnxruntime is not installed."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    return RapidOCR()


def _ocr_lines(page: Any) -> list[_Line] | None:
    """The lines OCR reads on a rendered page, top to bottom; None when there is no OCR."""
    engine = _ocr_engine()
    if engine is None:
        return None
    import numpy as np

    image = np.asarray(page.render(scale=_OCR_SCALE).to_pil().convert("RGB"))
    result, _ = engine(image, use_cls=False)
    rows: list[list[tuple[float, float, float, float, str]]] = []
    for box, text, _score in sorted(result or [], key=lambda r: (r[0][0][1], r[0][0][0])):
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        top, bottom = min(ys), max(ys)
        item = (min(xs), max(xs), top, bottom, str(text))
        if (
            rows
            and abs((rows[-1][0][2] + rows[-1][0][3]) / 2 - (top + bottom) / 2) < (bottom - top) / 2
        ):
            rows[-1].append(item)
        else:
            rows.append([item])
    lines = []
    for row in rows:
        row.sort()
        text = ""
        for *_, part in row:
            text = _joined(text, part) if text else part
        heights = [b - t for _, _, t, b, _ in row]
        lines.append(
            _Line(text.strip(), row[0][0], max(r[1] for r in row), statistics.median(heights))
        )
    return [line for line in lines if line.text]


_LATIN_END = re.compile(r"[A-Za-z0-9]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9]")


def _joined(left: str, right: str) -> str:
    """Two pieces of one sentence: a space only between Latin letters or digits."""
    if _LATIN_END.search(left) and _LATIN_START.match(right):
        return f"{left} {right}"
    return left + right


def _strip_page_numbers(lines: list[_Line]) -> list[_Line]:
    """A page's lines without a page number as its first or last line."""
    if lines and _PAGE_NUMBER.match(lines[-1].text):
        lines = lines[:-1]
    if lines and _PAGE_NUMBER.match(lines[0].text):
        lines = lines[1:]
    return lines


def _edges(lines: Sequence[_Line], line: _Line) -> tuple[float, float]:
    """The left and right edges of the column a line stands in (lines overlapping it)."""
    column = [o for o in lines if o.placed and o.x0 < line.x1 and o.x1 > line.x0]
    lefts = sorted(o.x0 for o in column)
    rights = sorted(o.x1 for o in column)
    return lefts[len(lefts) // 10], rights[(len(rights) * 9) // 10]


def _continues(prev: _Line, prev_page: Sequence[_Line], nxt: _Line, page: Sequence[_Line]) -> bool:
    """Whether ``nxt`` goes on with the sentence ``prev`` was cut in (a wrapped line)."""
    if not (prev.placed and nxt.placed):
        return False
    right = _edges(prev_page, prev)[1]
    left = _edges(page, nxt)[0]
    return prev.x1 >= right - _FULL_LINE * prev.size and nxt.x0 <= left + _INDENT * nxt.size


def assemble(pages: Sequence[Sequence[_Line]]) -> tuple[str, tuple[int, ...]]:
    """The text of a document's pages, wrapped lines joined, and where each page starts."""
    paragraphs: list[str] = []
    starts: list[int] = []
    length = 0  # len("\n".join(paragraphs))
    prev: tuple[_Line, Sequence[_Line]] | None = None
    for lines in pages:
        starts.append(length + 1 if paragraphs else 0)
        for n, line in enumerate(lines):
            if prev is not None and _continues(prev[0], prev[1], line, lines):
                old = len(paragraphs[-1])
                paragraphs[-1] = _joined(paragraphs[-1], line.text)
                length += len(paragraphs[-1]) - old
                if n == 0:  # the page begins inside the paragraph the last page ended
                    starts[-1] = length - len(line.text)
            else:
                paragraphs.append(line.text)
                length += len(line.text) + (1 if len(paragraphs) > 1 else 0)
            prev = (line, lines)
    text = "\n".join(paragraphs)
    return text, tuple(min(s, len(text)) for s in starts)


def read(data: bytes, name: str, options: Options) -> Extracted:
    """Read a PDF's text, page by page.

    Raises:
        SeedsError: The PDF is encrypted, damaged, or has no text (no text layer and no OCR).
    """
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise SeedsError(f"{name}: reading PDF needs pypdfium2 ({EXTRA_HINT})") from exc
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise SeedsError(
                f"{name}: encrypted PDF (it needs a password), skipped / "
                "加密的 PDF（需要密码），已跳过"
            ) from exc
        raise SeedsError(f"{name}: damaged or not a PDF ({exc}) / PDF 文件损坏，无法读取") from exc
    pages: list[list[_Line]] = []
    unread: list[int] = []
    try:
        for number in range(len(doc)):
            page = doc[number]
            textpage = page.get_textpage()
            try:
                lines = _text_lines(textpage)
            finally:
                textpage.close()
            if not lines and options.ocr:
                lines = _ocr_lines(page) or []
                if lines:
                    logger.info("%s: page %d read by OCR", name, number + 1)
            if not lines:
                unread.append(number + 1)
            pages.append(_strip_page_numbers(lines))
            page.close()
    finally:
        doc.close()
    text, starts = assemble(pages)
    if not text.strip():
        why = "" if not options.ocr else "" if _ocr_engine() else " (no OCR installed)"
        raise SeedsError(f"{name}: {_NO_TEXT}{why}")
    notes: tuple[str, ...] = ()
    if unread:
        shown = ", ".join(map(str, unread[:10])) + (" …" if len(unread) > 10 else "")
        notes = (f"pages without text left out / 无文字的页已略过: {shown}",)
    return Extracted(text=text, encoding="pdf", pages=starts, notes=notes)
