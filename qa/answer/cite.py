"""Citations: which shown passages hold a span of a document whole, and bringing in the
passage that holds it when none of them does."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer.result import AnswerSentence
from qa.ingest.chunk import Chunk
from qa.search.search import Hit

logger = logging.getLogger(__name__)


def citations(passages: Sequence[Hit], doc_id: str, start: int, end: int) -> tuple[int, ...]:
    """Every passage that holds the whole span (none: see :func:`cite_all`)."""
    return tuple(
        n
        for n, hit in enumerate(passages, start=1)
        if hit.chunk.doc_id == doc_id and hit.chunk.start <= start and end <= hit.chunk.end
    )


@dataclass(frozen=True)
class Span:
    """A stretch of a document the answer quotes: an item or a sentence."""

    text: str
    doc_id: str
    start: int
    end: int
    label: str = ""


def cite_all(
    spans: Sequence[Span], passages: list[Hit], chunks: Sequence[Chunk]
) -> list[AnswerSentence]:
    """Cite each span with the passages that hold it; a span that none holds brings the
    indexed chunk that does in as a new passage (appended to ``passages``), so that every
    [n] marks a card whose text contains what it marks."""
    out = []
    for span in spans:
        cites = citations(passages, span.doc_id, span.start, span.end)
        if not cites:
            holder = next(
                (
                    c
                    for c in chunks
                    if c.doc_id == span.doc_id and c.start <= span.start and span.end <= c.end
                ),
                None,
            )
            if holder is not None:
                passages.append(Hit(holder, 0.0, len(passages) + 1, 0.0, 0.0, ()))
                cites = (len(passages),)
        out.append(AnswerSentence(span.text, cites, span.label))
    return out
