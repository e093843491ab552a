"""Compose an answer from the passages found, offline and without a language model.

The answer is made of sentences taken from the passages, each carrying citation numbers that
match the passages' positions (1-based).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qa.chunk import split_sentences
from qa.corpus import Document
from qa.search import Hit, SearchResult
from qa.textnorm import normalize


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence of the answer and the passages it comes from."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Answer:
    """An answer with its cited passages."""

    question: str
    sentences: list[AnswerSentence]
    items: list[AnswerSentence]
    passages: list[Hit]
    terms: tuple[str, ...]
    found: bool
    notice: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _sentence_score(sentence: str, terms: tuple[str, ...]) -> float:
    norm = normalize(sentence)
    return sum(len(t) for t in terms if t in norm)


def compose_answer(
    result: SearchResult,
    documents: Mapping[str, Document],
    *,
    max_sentences: int = 3,
    truncated: bool = False,
) -> Answer:
    """Pick the sentences of the passages that best match the question.

    Args:
        result: The search result.
        documents: Indexed documents by id.
        max_sentences: How many sentences to quote at most.
        truncated: The question was cut to the length limit.

    Returns:
        The answer; ``found`` is False when the search found nothing relevant.
    """
    notice = "The question was too long and was cut." if truncated else ""
    if result.weak or not result.hits:
        return Answer(result.question, [], [], result.hits, result.terms, False, notice)
    scored = []
    for n, hit in enumerate(result.hits, start=1):
        text = hit.chunk.text
        for s, e in split_sentences(text):
            sentence = text[s:e]
            score = _sentence_score(sentence, result.terms) / (1 + 0.15 * (n - 1))
            if score > 0:
                scored.append((score, n, sentence))
    scored.sort(key=lambda x: -x[0])
    seen: set[str] = set()
    sentences = []
    for _, n, sentence in scored:
        if sentence in seen:
            continue
        seen.add(sentence)
        sentences.append(AnswerSentence(sentence, (n,)))
        if len(sentences) >= max_sentences:
            break
    return Answer(result.question, sentences, [], result.hits, result.terms, True, notice)
