"""Decoding a seed file's bytes: UTF-8 (with or without a BOM), GB18030 or Big5, judged by
how plausible the text is as Chinese; binary files are refused."""

from __future__ import annotations

import logging
from functools import lru_cache

from qa.errors import SeedsError

logger = logging.getLogger(__name__)

_UTF8_BOM = b"\xef\xbb\xbf"

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Formats that sometimes get saved with a .txt name; their headers are unmistakable.
_BINARY_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc, .xls
)


# C0 controls other than tab, newline, form feed and carriage return, plus DEL. None of the
# supported encodings uses these bytes inside a multi-byte character.
_CONTROL_BYTES = bytes(sorted((set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}) | {0x7F}))

_MAX_CONTROL_SHARE = 0.02

# A legacy decoding is accepted only when at least this share of its non-ASCII characters
# looks like ordinary Chinese text.
_MIN_PLAUSIBILITY = 0.6

_LEGACY_ENCODINGS = ("gb18030", "big5")

_UNDECODABLE = "could not be decoded as UTF-8, GB18030 or Big5"


def _binary_reason(data: bytes) -> str | None:
    if data.startswith(_BINARY_MAGIC):
        return "not text (it starts like an image, archive or document file)"
    if b"\x00" in data:
        return "not text (it contains NUL bytes)"
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(data):
        return f"not text ({controls} control bytes in {len(data)})"
    return None


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """Characters that make up nearly all real Chinese text, in either script.

    GB2312 (6,763 Simplified characters) and Big5's frequently-used block (5,401
    Traditional characters). Text decoded with the wrong legacy codec lands mostly outside
    this set: in rare characters, kana, box drawing or the private-use area.
    """
    chars: set[str] = set()
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    for lead in range(0xA4, 0xC7):
        for trail in trails:
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


# Punctuation and symbols ordinary Chinese text uses: general punctuation (“”…—),
# number forms (Ⅰ), arrows, circled numbers (①), shapes (■○), stars (★), CJK punctuation
# (、。《》「」), full-width forms (，：！), no-break space, middle dot, multiplication sign.
_PLAUSIBLE_SYMBOL_RANGES = (
    (0x2010, 0x206F),
    (0x2150, 0x21FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x26FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
    (0x00A0, 0x00A0),
    (0x00B7, 0x00B7),
    (0x00D7, 0x00D7),
)


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that look like ordinary Chinese text."""
    common = _common_hanzi()
    total = 0
    good = 0
    for char in text:
        code = ord(char)
        if code < 0x80:
            continue
        total += 1
        if char in common or any(lo <= code <= hi for lo, hi in _PLAUSIBLE_SYMBOL_RANGES):
            good += 1
    return good / total if total else 1.0


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode the bytes of a text file whose encoding is not declared.

    UTF-8 (with or without BOM) is trusted first: legacy Chinese text is almost never valid
    UTF-8. Otherwise GB18030 and Big5 are both tried and the decoding whose characters
    look more like real Chinese wins, because GB18030 also "decodes" most Big5 files into
    nonsense.

    Args:
        data: The raw file content.
        name: The file name, used in error messages.

    Returns:
        ``(text, encoding)`` with encoding one of ``"utf-8-sig"``, ``"utf-8"``,
        ``"gb18030"``, ``"big5"``. A BOM is not part of the text.

    Raises:
        SeedsError: If the data is binary, empty or whitespace only, or not decodable.
    """
    if not data.removeprefix(_UTF8_BOM):
        raise SeedsError(f"{name}: empty file")
    if data.startswith(_UTF16_BOMS):
        # Checked before the binary test, which its many NUL bytes would fail with a
        # misleading "not text".
        raise SeedsError(f"{name}: {_UNDECODABLE} (it looks like UTF-16; save it as UTF-8)")
    reason = _binary_reason(data)
    if reason:
        raise SeedsError(f"{name}: {reason}")

    text: str | None = None
    encoding = ""
    utf8_variants = ("utf-8-sig", "utf-8") if data.startswith(_UTF8_BOM) else ("utf-8",)
    for candidate in utf8_variants:
        try:
            text, encoding = data.decode(candidate), candidate
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        scored: list[tuple[float, int, str, str]] = []
        for rank, candidate in enumerate(_LEGACY_ENCODINGS):
            try:
                decoded = data.decode(candidate)
            except UnicodeDecodeError:
                continue
            # Ties go to the earlier (more trusted) encoding via the negated rank.
            scored.append((_plausibility(decoded), -rank, decoded, candidate))
        if scored:
            score, _, decoded, candidate = max(scored)
            logger.debug("%s: best legacy decoding %s (plausibility %.2f)", name, candidate, score)
            if score >= _MIN_PLAUSIBILITY:
                text, encoding = decoded, candidate
    if text is None:
        raise SeedsError(f"{name}: {_UNDECODABLE}")
    if not text.strip():
        raise SeedsError(f"{name}: empty file (whitespace only)")
    return text, encoding
