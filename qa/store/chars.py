"""The character index: BM25 over the single Chinese characters of every chunk.

Word BM25 misses a question whose words jieba cuts differently from the passage's (东融 and
融入 share a character, not a word); the character index gives such passages a small share
of the keyword score (:attr:`qa.tuning.Fusion.char_weight`). It is made at build time from the
same Simplified texts as the word index and saved beside it (``chars/``), so the first
question does not wait for it (docs/benchmarks.md, "The character index made by the build").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.text import HAN_BMP_CHAR

#: Above this many chunks no character index is made: at 100k chunks it would cost the
#: serving memory what the vectors already take (docs/benchmarks.md), and the word index
#: carries the search alone.
CHAR_INDEX_MAX_CHUNKS = 20_000

#: The artifact folder of the character index in a build.
CHARS_DIR = "chars"


def char_tokens(text: str) -> list[str]:
    """The Chinese characters of a Simplified text, in order (the character index's tokens)."""
    return HAN_BMP_CHAR.findall(text)


def build_char_index(texts: Sequence[str]) -> Any | None:
    """A bm25s index over the characters of each text (the chunks' Simplified index texts).

    Returns:
        The index, or None above :data:`CHAR_INDEX_MAX_CHUNKS` texts.
    """
    if len(texts) > CHAR_INDEX_MAX_CHUNKS:
        return None
    import bm25s

    model = bm25s.BM25()
    model.index([char_tokens(t) for t in texts], show_progress=False)
    return model
