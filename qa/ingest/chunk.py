"""Sentence-aware chunking of cleaned documents.

Chunks are runs of whole sentences of about ``min_chars``–``max_chars`` characters; neighbours
share ``overlap`` sentences so that a fact cut by a boundary is still whole in one chunk. Each
chunk keeps its character span in the cleaned document (``doc.text[start:end] == text``) and the
nearest heading or Q&A question before it. Overlap stays within a paragraph, so a chunk that
starts a section starts with its heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.text import CN_DIGITS

_ENDERS = "。！？；!?;…"
# Closing quotes and brackets belong to the sentence they close.
_CLOSERS = "”’」』）)】》\"'"
_SENTENCE_RE = re.compile(rf"[^{_ENDERS}\n]*(?:[{_ENDERS}]+[{_CLOSERS}]*|\n|$)")
# Where an over-long sentence may be cut, best first.
_SOFT_BREAKS = ("，", ",", "、", "：", ":", " ")

_NUM = CN_DIGITS + "十"
_HEADING_RE = re.compile(
    rf"^(?:[{_NUM}]+、"  # 一、
    rf"|[（(][{_NUM}]+[）)]"  # （一） (一)
    rf"|第[{_NUM}]+[章节部分条]"  # 第一章
    r"|[问問][:：]"  # 问：
    r"|[0-9]+[.、．]\s*\S)"  # 1. / 1、
)


# A sentence that introduces an enumeration or what follows it.
_LEAD_IN_RE = re.compile(
    rf"(?:[:：]\s*$|如下|以下|分为?[{_NUM}两几]+[个种项条大类方面点步]"
    rf"|[{_NUM}两几]+[个种项条大类方面点步][^，,。]{{0,8}}[。:：]?\s*$)"
)


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, the unit that is indexed and cited."""

    chunk_id: int
    doc_id: str
    start: int
    end: int
    text: str
    heading: str = ""


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentence spans.

    Sentences end at 。！？；!?;… (with any closing quotes) or at a line break; the line break
    is not part of the sentence, and blank spans are dropped.

    Args:
        text: Cleaned document text.

    Returns:
        ``(start, end)`` spans in order, covering every non-blank sentence.
    """
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE_RE.finditer(text):
        start, end = m.start(), m.end()
        while end > start and text[end - 1] in "\n ":
            end -= 1
        while start < end and text[start] == " ":
            start += 1
        if end > start:
            spans.append((start, end))
    return spans


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most ``max_chars``, at commas if possible."""
    pieces = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = -1
        for mark in _SOFT_BREAKS:
            pos = window.rfind(mark)
            if pos >= max_chars // 2:
                cut = pos + 1
                break
        if cut <= 0:
            cut = max_chars
        pieces.append((start, start + cut))
        start += cut
    pieces.append((start, end))
    return pieces


def heading_of(line: str, limit: int = 60) -> str:
    """Return the heading a line starts with, or "" if it is not a heading.

    A heading is an enumerated section title ("一、…", "（一）…", "第一章…") or a Q&A question
    ("问：…"). Long heading paragraphs are cut to their first sentence and ``limit`` characters.
    """
    line = line.strip()
    if not _HEADING_RE.match(line):
        return ""
    first = split_sentences(line)
    head = line[: first[0][1]] if first else line
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _headings(text: str) -> list[tuple[int, str]]:
    """Positions and texts of the heading lines of a document, in order."""
    found = []
    pos = 0
    for line in text.split("\n"):
        head = heading_of(line)
        if head:
            found.append((pos, head))
        pos += len(line) + 1
    return found


def chunk_text(
    text: str,
    *,
    min_chars: int = 150,
    max_chars: int = 350,
    overlap: int = 1,
) -> list[tuple[int, int]]:
    """Group sentences into chunk spans.

    Args:
        text: Cleaned document text.
        min_chars: A chunk grows past a paragraph break only while shorter than this.
        max_chars: A chunk never grows past this; a longer sentence is cut on its own.
        overlap: Sentences repeated at the start of the next chunk.

    Returns:
        ``(start, end)`` spans into ``text``, in order.
    """
    units: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        units.extend(_cut_long(text, s, e, max_chars))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i + 1  # units[i:j] is the chunk
        while j < len(units) and units[j][1] - units[i][0] <= max_chars:
            new_paragraph = "\n" in text[units[j - 1][1] : units[j][0]]
            if new_paragraph and units[j - 1][1] - units[i][0] >= min_chars:
                break
            # A heading opens the next chunk rather than trailing this one.
            if (
                new_paragraph
                and heading_of(text[units[j][0] : units[j][1]])
                and units[j - 1][1] - units[i][0] >= min_chars // 2
            ):
                break
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        if "\n" in text[units[j - 1][1] : units[j][0]]:
            # A paragraph break cuts no fact: no overlap across it, except a sentence that
            # announces what follows ("今年活动主要分五个阶段。", "…如下:"), which the list needs.
            lead = text[units[j - 1][0] : units[j - 1][1]]
            i = j - 1 if j - 1 > i and _LEAD_IN_RE.search(lead) and len(lead) <= 80 else j
        else:
            i = max(j - overlap, i + 1)  # step back for the overlap, but always move forward
    return spans


class _Doc(Protocol):
    """What chunking needs of a document (``qa.ingest.corpus.Document`` has it)."""

    @property
    def doc_id(self) -> str: ...

    @property
    def text(self) -> str: ...


def chunk_documents(
    docs: Iterable[_Doc],
    *,
    min_chars: int = 150,
    max_chars: int = 350,
    overlap: int = 1,
    first_id: int = 0,
) -> list[Chunk]:
    """Chunk documents and number the chunks consecutively.

    Args:
        docs: Objects with ``doc_id`` and ``text`` (``qa.ingest.corpus.Document``).
        min_chars: See :func:`chunk_text`.
        max_chars: See :func:`chunk_text`.
        overlap: See :func:`chunk_text`.
        first_id: Id of the first chunk.

    Returns:
        The chunks of all documents, in document order.
    """
    chunks: list[Chunk] = []
    next_id = first_id
    for doc in docs:
        text = doc.text
        heads = _headings(text)
        for start, end in chunk_text(
            text, min_chars=min_chars, max_chars=max_chars, overlap=overlap
        ):
            chunks.append(
                Chunk(
                    chunk_id=next_id,
                    doc_id=doc.doc_id,
                    start=start,
                    end=end,
                    text=text[start:end],
                    heading=_heading_at(heads, start),
                )
            )
            next_id += 1
    return chunks


def _heading_at(heads: Sequence[tuple[int, str]], start: int) -> str:
    """The last heading at or before the chunk's start (a chunk may begin with its heading)."""
    best = ""
    for pos, head in heads:
        if pos > start:
            break
        best = head
    return best


def sentence_windows(text: str, size: int) -> list[str]:
    """Overlapping runs of ``size`` consecutive sentences of a passage, each one sentence on.

    A passage of a few hundred characters holds several points; its one vector is the average
    of them, and a question about one point is nearer a vector of that point's sentences.

    Args:
        text: The passage.
        size: Sentences per run; 0 (or a passage of at most ``size`` sentences) gives the
            whole passage as its one run.

    Returns:
        The runs, in order, as slices of ``text``; never empty.
    """
    spans = split_sentences(text)
    if size <= 0 or len(spans) <= size:
        return [text]
    return [text[spans[j][0] : spans[j + size - 1][1]] for j in range(len(spans) - size + 1)]
