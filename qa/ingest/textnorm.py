"""Length-preserving text normalisation: Traditional→Simplified and width folding.

Every function here returns a string of the same length as its input, with character ``i``
of the output derived from character ``i`` of the input. Callers rely on that to map
positions found in a normalised search key back to the original text.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

from qa.text import is_han

logger = logging.getLogger(__name__)

#: Share of CJK characters that must change under t2s for a text to count as Traditional.
TRADITIONAL_THRESHOLD = 0.03

_OPENCC_CONFIG = "t2s"

# Full-width ASCII variants U+FF01..U+FF5E sit exactly 0xFEE0 above their ASCII twins.
_WIDTH_TABLE: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20

_converter: Any = None
_converter_lock = threading.Lock()


def _get_converter() -> Any:
    # Built on first use: loading the OpenCC dictionaries costs time that importers of this
    # module (e.g. the CLI printing --help) should not pay.
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC(_OPENCC_CONFIG)
    return _converter


@lru_cache(maxsize=65536)
def _char_to_simplified(char: str) -> str:
    converted = _get_converter().convert(char)
    # A character that OpenCC expands or drops cannot keep positions aligned; leave it be.
    return converted if len(converted) == 1 else char


def _chars_to_simplified(text: str) -> str:
    return "".join(_char_to_simplified(char) for char in text)


def _aligned(source: str, converted: str) -> bool:
    """Whether ``converted`` can be trusted to map position ``i`` to position ``i``.

    Equal length alone is not enough: a phrase that shrinks followed by one that grows
    keeps the length but shifts everything in between. Such a shift shows up as changed
    characters that t2s would never change on their own.
    """
    if len(source) != len(converted):
        return False
    return all(
        a == b or _char_to_simplified(a) != a or not is_han(a)
        for a, b in zip(source, converted, strict=True)
    )


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified, keeping positions.

    Uses OpenCC's ``t2s`` phrase-level conversion where it keeps character ``i`` at
    position ``i``; lines where it would not are converted character by character.

    Args:
        text: Any text; non-Chinese characters pass through unchanged.

    Returns:
        A string with ``len(result) == len(text)``.
    """
    if not text:
        return text
    converted = _get_converter().convert(text)
    if _aligned(text, converted):
        return converted
    parts: list[str] = []
    for line in text.splitlines(keepends=True):
        line_converted = _get_converter().convert(line)
        if not _aligned(line, line_converted):
            logger.debug("t2s changed the length of a line; converting it char by char")
            line_converted = _chars_to_simplified(line)
        parts.append(line_converted)
    return "".join(parts)


def fold_width(text: str) -> str:
    """Fold full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to ASCII.

    Chinese punctuation outside that block (、。“”《》…) is left alone.

    Args:
        text: Any text.

    Returns:
        A string with ``len(result) == len(text)``.
    """
    return text.translate(_WIDTH_TABLE)


def normalize(text: str) -> str:
    """Build a search key: width folding, then Traditional→Simplified.

    Args:
        text: Any text.

    Returns:
        The normalised text, of the same length as ``text``.
    """
    return to_simplified(fold_width(text))


def traditional_share(text: str) -> float:
    """Share of CJK characters that t2s changes (0.0 when there are none).

    Args:
        text: Any text.

    Returns:
        A number between 0.0 and 1.0.
    """
    simplified = to_simplified(text)
    cjk = 0
    changed = 0
    for original, converted in zip(text, simplified, strict=True):
        if is_han(original):
            cjk += 1
            changed += original != converted
    return changed / cjk if cjk else 0.0


def is_traditional(text: str) -> bool:
    """Whether a text is written in Traditional characters.

    Simplified texts still contain a few characters that t2s changes (names, variants),
    so a text counts as Traditional only when more than
    :data:`TRADITIONAL_THRESHOLD` of its CJK characters change.

    Args:
        text: Any text.

    Returns:
        True for Traditional Chinese, False for Simplified or non-Chinese text.
    """
    return traditional_share(text) > TRADITIONAL_THRESHOLD


def clip(text: str, limit: int) -> str:
    """Cut text to about ``limit`` characters, at a comma if one is late enough, marked "…"."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    for mark in ("，", ",", "、", "；", ";"):
        pos = window.rfind(mark)
        if pos >= limit // 2:
            return window[:pos] + "…"
    return window + "…"
