"""Word files (``.docx``) through python-docx: paragraphs and tables in order, headings and
numbered lists kept as text.

Word stores a list's numbers ("1.", "（一）", "一、") as numbering definitions, not as text; they
are put back in front of each item, so that "第三个阶段" can still be found by its number. The
archive is checked before it is opened: a ``.docx`` that unpacks to more than ten times the size
cap, or at a ratio no document has (a zip bomb), is refused unread.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from qa.errors import SeedsError
from qa.ingest.readers import EXTRA_HINT, Extracted, Options

#: A .docx unpacks to at most this many times the size cap.
UNPACKED_FACTOR = 10
#: Or at most this ratio of unpacked to packed bytes for any member (text XML packs ~10:1).
MAX_RATIO = 200

_CHINESE_DIGITS = "零一二三四五六七八九"
_CHINESE_FORMATS = frozenset(
    {
        "chineseCounting", "chineseCountingThousand", "chineseLegalSimplified",
        "ideographTraditional", "taiwaneseCounting", "taiwaneseCountingThousand",
    }
)  # fmt: skip


def _chinese(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (up to 99; beyond, Arabic digits)."""
    if n < 10:
        return _CHINESE_DIGITS[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return (
            ("" if tens == 1 else _CHINESE_DIGITS[tens])
            + "十"
            + (_CHINESE_DIGITS[units] if units else "")
        )
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out += numeral
            n -= value
    return out


def _format(n: int, fmt: str) -> str:
    """A list number in one of Word's formats (``w:numFmt``)."""
    if fmt in _CHINESE_FORMATS:
        return _chinese(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    return str(n)


def _check_archive(data: bytes, name: str, options: Options) -> None:
    """Refuse a damaged archive or a zip bomb before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SeedsError(
            f"{name}: damaged or not a Word file ({exc}) / Word 文件损坏，无法读取"
        ) from exc
    total = sum(m.file_size for m in members)
    limit = options.max_bytes * UNPACKED_FACTOR
    if total > limit:
        raise SeedsError(
            f"{name}: unpacks to {total:,} bytes, over the limit of {limit:,} (a zip bomb?) / "
            "解压后过大，已跳过"
        )
    for m in members:
        if m.compress_size and m.file_size / m.compress_size > MAX_RATIO and m.file_size > 1 << 20:
            raise SeedsError(
                f"{name}: {m.filename} unpacks {m.file_size / m.compress_size:.0f} times its size "
                "(a zip bomb?) / 压缩比异常，已跳过"
            )


class _Numbering:
    """The numbers Word would show in front of list paragraphs."""

    def __init__(self, doc: Any) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self._levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self._counters: dict[str, list[int]] = {}
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for a in root.findall(qn("w:abstractNum")):
            abstract[a.get(qn("w:abstractNumId"))] = a
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is None or ref.get(qn("w:val")) not in abstract:
                continue
            for lvl in abstract[ref.get(qn("w:val"))].findall(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                text = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                self._levels[(num.get(qn("w:numId")), int(lvl.get(qn("w:ilvl"), "0")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "%1.",
                    int(start.get(qn("w:val"))) if start is not None else 1,
                )

    def _num_pr(self, paragraph: Any) -> tuple[str, int] | None:
        qn = self._qn
        ppr = paragraph._p.pPr
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        if num_pr is None and paragraph.style is not None:
            style_ppr = paragraph.style.element.pPr
            num_pr = style_ppr.find(qn("w:numPr")) if style_ppr is not None else None
        if num_pr is None:
            return None
        num_id = num_pr.find(qn("w:numId"))
        ilvl = num_pr.find(qn("w:ilvl"))
        if num_id is None or num_id.get(qn("w:val")) == "0":
            return None
        return num_id.get(qn("w:val")), int(ilvl.get(qn("w:val"))) if ilvl is not None else 0

    def label(self, paragraph: Any) -> str:
        """The number of a list paragraph ("1.", "（三）", "•"), or "" for other paragraphs."""
        found = self._num_pr(paragraph)
        if found is None or found not in self._levels:
            return ""
        num_id, level = found
        fmt, pattern, start = self._levels[found]
        counters = self._counters.setdefault(num_id, [])
        while len(counters) <= level:
            counters.append(self._levels.get((num_id, len(counters)), ("", "", 1))[2] - 1)
        counters[level] += 1
        del counters[level + 1 :]
        if fmt == "bullet":
            return "•"
        if fmt == "none":
            return ""

        def number(m: re.Match[str]) -> str:
            k = int(m[1]) - 1
            if k >= len(counters):
                return ""
            lvl_fmt = self._levels.get((num_id, k), (fmt, "", 1))[0]
            return _format(counters[k], lvl_fmt)

        return re.sub(r"%(\d)", number, pattern)


def _blocks(doc: Any) -> Iterator[Any]:
    """The body's paragraphs and tables, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, doc)
        elif tag == "tbl":
            yield Table(child, doc)


def read(data: bytes, name: str, options: Options) -> Extracted:
    """Read a Word document's text: one line per paragraph, one per table row.

    Raises:
        SeedsError: The file is damaged, not a .docx, or a zip bomb.
    """
    _check_archive(data, name, options)
    try:
        import docx
    except ImportError as exc:
        raise SeedsError(f"{name}: reading .docx needs python-docx ({EXTRA_HINT})") from exc
    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors ...
        raise SeedsError(
            f"{name}: damaged or not a Word file ({type(exc).__name__}) / Word 文件损坏，无法读取"
        ) from exc
    numbering = _Numbering(doc)
    lines: list[str] = []
    for block in _blocks(doc):
        if hasattr(block, "rows"):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    lines.append(" | ".join(cells))
            continue
        text = block.text.strip()
        if not text:
            continue
        label = numbering.label(block)
        lines.append(f"{label} {text}" if label and label[-1].isalnum() else label + text)
    return Extracted(text="\n".join(lines), encoding="docx")
