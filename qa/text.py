"""Character classes and number words: what counts as a Chinese character, and the numerals.

The classes are strings for use inside ``[...]`` in a regular expression. They are not all
alike, on purpose: each reader keeps the range it was written and measured with.

- :data:`HAN_BASIC`: the CJK Unified Ideographs block alone (U+4E00..U+9FFF), where every
  character of modern text and of the question patterns lies;
- :data:`HAN_A_TO_BASIC`: Extension A through the basic block in one run (U+3400..U+9FFF;
  the Yijing hexagram symbols U+4DC0..U+4DFF between them come along);
- :data:`HAN_BMP`: Extension A, the basic block and the compatibility ideographs
  (U+F900..U+FAFF), every ideograph of the Basic Multilingual Plane;
- :data:`HAN_ALL`: :data:`HAN_BMP` and the supplementary planes' Extensions B to H
  (U+20000..U+3134F), as :func:`is_han` tests one character.

This module imports nothing of ``qa``: every other module may import it.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- Chinese characters

#: CJK Unified Ideographs (U+4E00..U+9FFF).
HAN_BASIC = "\u4e00-\u9fff"
#: Extension A through the basic block (U+3400..U+9FFF), as one range.
HAN_A_TO_BASIC = "\u3400-\u9fff"
#: Every ideograph of the Basic Multilingual Plane: Extension A, the basic block, and the
#: compatibility ideographs.
HAN_BMP = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: :data:`HAN_BMP` and Extensions B to H of the supplementary planes.
HAN_ALL = HAN_BMP + "\U00020000-\U0003134f"

#: One character of :data:`HAN_BMP`.
HAN_BMP_CHAR = re.compile(f"[{HAN_BMP}]")
#: One Latin letter (ASCII).
LATIN_CHAR = re.compile(r"[A-Za-z]")


def is_han(char: str) -> bool:
    """Whether one character is a Chinese character of :data:`HAN_ALL`."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def has_latin_words(text: str) -> bool:
    """Whether text has a word of three or more Latin letters, Chinese in it or not ("What are
    the five criteria of a "Five Goods" (五个好) …")."""
    return _LATIN_WORD.search(text) is not None


def is_english(text: str, han: re.Pattern[str] = HAN_BMP_CHAR) -> bool:
    """Whether text is written in Latin letters with no Chinese character (an English, or
    pinyin-only, question).

    Args:
        text: The text.
        han: What counts as a Chinese character (one character, found anywhere).
    """
    return not han.search(text) and bool(LATIN_CHAR.search(text))


# --------------------------------------------------------------------------- Chinese numerals

#: The digits 一 to 九, in order: ``CN_DIGITS[i]`` is ``i + 1``.
CN_DIGITS = "一二三四五六七八九"
#: The value of each digit, and of 两 (two, before a measure word).
CN_DIGIT_VALUES = {c: i for i, c in enumerate(CN_DIGITS, start=1)} | {"两": 2}
#: The Chinese numerals of small numbers (一 to 十, and 两).
CN_NUMERALS = "一二两三四五六七八九十"
#: The numerals of larger numbers, beside :data:`CN_NUMERALS` in a character class.
CN_LARGE = "百千万"

# --------------------------------------------------------------------------- English numbers

EN_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20,
}  # fmt: skip
EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}  # fmt: skip
