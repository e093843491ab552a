"""Find the passages for a question: keyword (BM25), semantic (dense) or hybrid, by name.

The question is normalised (Traditional to Simplified, full-width to half-width), tokenised
like the passages, and its Latin-script words (English, pinyin) are turned into Chinese
corpus terms by the index's lexicon. The terms searched for come back with the hits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from qa.errors import QuestionError
from qa.ingest.chunk import Chunk
from qa.query.prepare import Query, prepare_query
from qa.query.question import proper_names, quoted_words
from qa.search.fusion import STRATEGIES, _diversify, fusion_for
from qa.search.lexical import TermScores, lexical_scores
from qa.search.relevance import _quantity_missing, coverage
from qa.settings import WIDENING_STAGES
from qa.store.embed import Embedder
from qa.store.index import Index
from qa.tuning import Fusion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A passage found for a question."""

    chunk: Chunk
    score: float
    rank: int
    keyword_score: float
    dense_score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    """Hits for one question, best first."""

    question: str
    hits: list[Hit]
    terms: tuple[str, ...]
    mode: str
    weak: bool
    coverage: float
    #: The terms of :attr:`terms` that widening added (word-vector near-synonyms of the
    #: question's words), which the page folds behind "more".
    widened: tuple[str, ...] = ()


def dense_scores(
    index: Index, embedder: Embedder, query: Query, *, rendered: bool = False
) -> np.ndarray:
    """Cosine similarity of every chunk to the question: of its nearest sentence window.

    With ``rendered``, a chunk scores as the nearer of the question and its rendering in
    corpus words (:attr:`Query.rendered`), when there is one.
    """
    return _dense_rows(index, embedder, _dense_texts(query, rendered)).max(axis=0)


def _dense_texts(query: Query, rendered: bool) -> list[str]:
    # In Simplified script, as the passages were embedded (qa.store.build.build_index).
    return [query.normalized, query.rendered] if rendered and query.rendered else [query.normalized]


def _dense_rows(index: Index, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Each chunk's similarity to each text (one row per text), of its nearest window.

    The index's store computes them (:class:`qa.store.vectors.VectorStore`): exact products
    for small local indexes, the nearest candidates of an HNSW graph or of Milvus otherwise.
    """
    qvecs = np.ascontiguousarray(embedder.encode_queries(texts), dtype=np.float32)
    return np.stack([index.vectors.chunk_scores(v, len(index.chunks)) for v in qvecs])


def _names_document(index: Index, query: Query, per_term: TermScores) -> np.ndarray:
    """1.0 for each chunk of a document that has a proper name or quoted word the question
    names, else 0.

    All zeros when the question names none, or when every document has it (it then tells
    no document from another). A document has a name when one of its chunks has a query term
    that is the name or holds it (泰兴市 for 泰兴).
    """
    out = np.zeros(len(index.chunks))
    # A quoted name (“三个年”) names a campaign as a place name names a city.
    names = proper_names(query.question, [t for t, _ in query.terms])
    names += [w for w in quoted_words(query.question) if w not in names]
    if not names:
        return out
    chunk_ids = [
        per_term.postings(t)[0] for t in per_term for n in names if n in t and per_term.df(t)
    ]
    if not chunk_ids:
        return out
    docs = np.unique(index.chunk_document[np.concatenate(chunk_ids).astype(np.int64)])
    if len(docs) == len(index.documents):
        return out
    out[np.isin(index.chunk_document, docs)] = 1.0
    return out


def search(
    index: Index,
    question: str,
    *,
    embedder: Embedder | None = None,
    k: int = 5,
    mode: str = "hybrid",
    fusion: Fusion | None = None,
    max_chars: int = 2000,
    translate: bool = True,
    without: frozenset[str] = frozenset(),
) -> SearchResult:
    """Find the best passages for a question.

    Args:
        index: The loaded index.
        question: The question, in any script or English.
        embedder: The model the index was built with; needed for semantic and hybrid modes.
        k: How many passages to return.
        mode: "hybrid", "keyword" or "semantic".
        fusion: Fusion weights; by default those chosen for the index's model.
        max_chars: Longer questions are cut.
        translate: Turn English and pinyin words into Chinese terms (the lexicon step).
        without: Names of :data:`WIDENING_STAGES` to leave out (for measurement).

    Returns:
        The hits, best first, with the terms searched for and whether the match is weak.

    Raises:
        QuestionError: Empty question, unknown mode, or nothing to search for.
    """
    if mode not in STRATEGIES:
        raise QuestionError(f"unknown search mode {mode!r}; choose one of {sorted(STRATEGIES)}")
    unknown = set(without) - set(WIDENING_STAGES)
    if unknown:
        raise QuestionError(f"unknown widening stage(s) {sorted(unknown)}")
    query = prepare_query(question, index, max_chars, translate, without=frozenset(without))
    fusion = fusion or fusion_for(index.model)
    kw, per_term = lexical_scores(index, query, fusion)
    # The rendering ranks in semantic mode only; in hybrid mode the keyword side searches the
    # translations already, and the rendering there cost a held-out question at rank 5
    # (docs/retrieval.md, "The question in corpus words"). Its similarity still counts in the
    # weak flag below.
    per_text = (
        _dense_rows(index, embedder, _dense_texts(query, rendered=True))
        if embedder is not None and mode != "keyword"
        else None
    )
    dense = None
    if per_text is not None:
        dense = per_text.max(axis=0) if mode == "semantic" else per_text[0]
    final = STRATEGIES[mode](kw, dense, fusion)
    k = max(1, min(k, len(index.chunks)))
    top = _diversify(index.chunks, final, k, fusion.diversity)
    # The weak flag reads this ranking, before the semantic mode's own diversity and document
    # prior below: read after them, one more answerable question was flagged on the tuning
    # set and on the blind set (the prior), and on the held-out set (the diversity).
    judged = top
    diversity = fusion.diversity
    if mode == "semantic" and fusion.semantic_diversity is not None:
        diversity = fusion.semantic_diversity
        top = _diversify(index.chunks, final, k, diversity)
    if dense is not None and mode == "semantic" and fusion.named_document > 0:
        named = _names_document(index, query, per_term)
        if named.any():
            # A ranking prior: the hits still show each passage's own cosine.
            final = STRATEGIES[mode](kw, dense + fusion.named_document * named, fusion)
            top = _diversify(index.chunks, final, k, diversity)
    if dense is None:
        top = top[kw[top] > 0]  # without a dense ranking, a passage no term matched is no hit

    hits = []
    for rank, i in enumerate(top, start=1):
        matched = tuple(t for t, _ in query.terms if per_term.score(t, int(i)) > 0)
        hits.append(
            Hit(
                chunk=index.chunks[int(i)],
                score=float(final[i]),
                rank=rank,
                keyword_score=float(kw[i]),
                dense_score=float(dense[i]) if dense is not None else 0.0,
                terms=matched,
            )
        )
    # Weak: the best passages (the top three shown and the best by keywords) cover too little
    # of the question, or no query word occurs anywhere.
    best_kw = int(np.argmax(kw)) if len(kw) else 0
    covered = coverage(index, query, per_term, {best_kw, *(int(i) for i in judged[:3])})
    matched_any = any(per_term.max(t) > 0 for t in per_term)
    # ... unless a passage is near it by meaning (the question or its rendering).
    near = (
        per_text is not None
        and fusion.near_similarity is not None
        and float(per_text.max()) >= fusion.near_similarity
    )
    weak = (
        (covered < fusion.min_coverage and not near)
        or not matched_any
        or _quantity_missing(query.normalized, [index.chunks[int(i)] for i in judged[:3]])
    )
    return SearchResult(
        question=query.question,
        hits=hits,
        terms=tuple(t for t, _ in query.terms),
        mode=mode,
        weak=weak,
        coverage=round(covered, 3),
        widened=query.widened,
    )
