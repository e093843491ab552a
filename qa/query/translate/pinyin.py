"""Pinyin in a question: splitting a run of Latin letters into corpus words' spellings, and
the spellings of corpus words (CC-CEDICT's readings, pypinyin for the rest)."""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Container, Mapping
from dataclasses import dataclass
from pathlib import Path

from qa.query.translate.cache import _Memo

logger = logging.getLogger(__name__)

# --- Pinyin segmentation ------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    """A Latin token of the question, in the coordinates of the question text."""

    start: int
    end: int
    text: str  # folded, lowercase, tone digits removed
    upper: bool  # capitalised anywhere: may be a name, so "Beijing" is not read as 背景
    seg: int  # tokens in different segments never form one phrase or name


def _segment_pinyin(
    toks: list[_Tok],
    keys: Mapping[str, object],
    syllables: Mapping[str, int],
    max_len: int,
    foreign: frozenset[str],
    optional: frozenset[int] = frozenset(),
) -> list[tuple[int, int, str]]:
    """Split a run of pinyin tokens into keys of the pinyin map by dynamic programming.

    Scores favour long keys (a two-syllable word is far more reliable than two syllables),
    let a token be skipped at a cost, and make a lone syllable inside a longer token cost
    more than skipping it: "Obama" must not come out as o+ba+ma.

    Args:
        toks: Consecutive tokens that may be pinyin.
        keys: Pinyin map (only membership is used).
        syllables: Syllable count per key.
        max_len: Length of the longest key.
        foreign: Names of places/people outside the corpus ("beijing"); a capitalised run
            spelling one is consumed without output so it is not read as a homophone.
        optional: Indices of tokens that are English words and may be skipped for free.

    Returns:
        ``(start, end, key)`` pieces in positions of the concatenated token text.
    """
    text = "".join(t.text for t in toks)
    n = len(text)
    bounds: list[tuple[int, int]] = []
    pos = 0
    for t in toks:
        bounds.append((pos, pos + len(t.text)))
        pos += len(t.text)
    token_at = {s: k for k, (s, _) in enumerate(bounds)}
    edges = {s for s, _ in bounds} | {e for _, e in bounds}
    optional_char = [k in optional for k, t in enumerate(toks) for _ in t.text]
    best = [-math.inf] * (n + 1)
    back: list[tuple[int, str | None]] = [(-1, None)] * (n + 1)
    best[0] = 0.0

    def relax(i: int, j: int, score: float, key: str | None) -> None:
        if score > best[j]:
            best[j] = score
            back[j] = (i, key)

    for i in range(n):
        if best[i] == -math.inf:
            continue
        k = token_at.get(i)
        if k is not None:
            relax(i, bounds[k][1], best[i] - (0.0 if k in optional else 1.0), None)
            if toks[k].upper:
                for last in range(k, min(k + 4, len(toks))):
                    joined = text[i : bounds[last][1]]
                    if joined in foreign:
                        relax(i, bounds[last][1], best[i] + len(joined) ** 2 + 1.0, None)
        for j in range(i + 1, min(i + max_len, n) + 1):
            key = text[i:j]
            if key not in keys:
                continue
            if any(optional_char[i:j]) and (
                all(optional_char[i:j]) or i not in edges or j not in edges
            ):
                # An English word is read as pinyin only whole and together with real pinyin:
                # "dang yuan" is 党员, but "women" alone stays English.
                continue
            if syllables.get(key, 1) >= 2:
                score = float(len(key) ** 2)
            elif k is not None and bounds[k][1] == j:
                score = 1.0  # a syllable typed as its own word was meant as one
            else:
                score = -2.0
            relax(i, j, best[i] + score, key)

    pieces: list[tuple[int, int, str]] = []
    j = n
    if best[n] == -math.inf:
        return pieces
    while j > 0:
        i, piece = back[j]
        if piece is not None:
            pieces.append((i, j, piece))
        j = i
    pieces.reverse()
    return pieces


def _pypinyin_spellings(words: list[str], cache_dir: Path | None) -> dict[str, str]:
    """pypinyin's toneless spelling of each word ("作风" → "zuofeng"); {} without pypinyin.

    pypinyin takes a third of a second to import and tens of microseconds a word, so what it
    said is kept (see :class:`_Memo`), and it is not even imported when that covers them all.
    """
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        logger.warning("pypinyin not installed: pinyin only from CC-CEDICT readings")
        return {}
    spell = _Memo(_pypinyin_spelling, cache_dir, "pypinyin", spec.origin)
    try:
        spelled = {word: spell(word) for word in words}
    except ImportError:  # pragma: no cover - found but broken
        logger.warning("pypinyin cannot be imported: pinyin only from CC-CEDICT readings")
        return {}
    spell.save()
    return spelled


def _pypinyin_spelling(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word)).lower()


def _segmentable(text: str, keys: Container[str], starts: Container[str]) -> bool:
    """Tell whether ``text`` splits wholly into ``keys``; ``starts`` has all their prefixes."""
    todo, seen = [0], {0}  # where a key may start
    while todo:
        i = todo.pop()
        j = i + 1
        while j <= len(text) and text[i:j] in starts:
            if text[i:j] in keys:
                if j == len(text):
                    return True
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
            j += 1
    return False




