"""Find the passages for a question: keyword (BM25), semantic (dense) or hybrid, by name.

The question is normalised (Traditional to Simplified, full-width to half-width), tokenised
like the passages, and its Latin-script words (English, pinyin) are turned into Chinese
corpus terms by the index's lexicon. The terms searched for come back with the hits.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.chunk import Chunk
from qa.errors import QuestionError
from qa.index import Index
from qa.textnorm import normalize

logger = logging.getLogger(__name__)

_RRF_K = 60


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
class Query:
    """A question made ready for search."""

    question: str
    normalized: str
    terms: tuple[tuple[str, float], ...]  # (Simplified term, weight), question order
    translated: tuple[str, ...]  # the terms that came from English or pinyin words


@dataclass(frozen=True)
class SearchResult:
    """Hits for one question, best first."""

    question: str
    hits: list[Hit]
    terms: tuple[str, ...]
    mode: str
    weak: bool
    coverage: float


@dataclass(frozen=True)
class Fusion:
    """How keyword and dense rankings are combined in hybrid mode."""

    keyword_weight: float = 1.0
    dense_weight: float = 0.2
    #: "score": weighted sum of min-max normalised scores, which keeps how far apart the
    #: keyword scores are; "rrf": weighted reciprocal-rank fusion, which keeps only the order.
    method: str = "score"
    #: Below this share of the query's weight matched by the best passage, nothing matched.
    min_coverage: float = 0.5


#: Fusion weights per embedding model, chosen by measurement with ``qa eval``. A model that
#: does not know Chinese is trusted little; a multilingual one more.
FUSION_BY_MODEL: dict[str, Fusion] = {
    "sentence-transformers/all-MiniLM-L6-v2": Fusion(1.0, 0.1),
}
MULTILINGUAL_FUSION = Fusion(1.0, 1.0)
_MULTILINGUAL_HINTS = ("bge-m3", "multilingual", "-zh", "chinese", "labse", "m3e", "text2vec")


def fusion_for(model: str) -> Fusion:
    """The fusion weights for an embedding model."""
    if model in FUSION_BY_MODEL:
        return FUSION_BY_MODEL[model]
    if any(h in model.lower() for h in _MULTILINGUAL_HINTS):
        return MULTILINGUAL_FUSION
    return Fusion()


def prepare_query(
    question: str, index: Index, max_chars: int = 2000, translate: bool = True
) -> Query:
    """Normalise, tokenise and translate a question.

    Args:
        question: What the user typed.
        index: The loaded index (tokenizer and lexicon).
        max_chars: Longer questions are cut to this many characters.
        translate: Turn English and pinyin words into Chinese terms.

    Returns:
        The query, with weighted terms.

    Raises:
        QuestionError: The question is empty or has nothing searchable in it.
    """
    question = (question or "").strip()[:max_chars]
    if not question:
        raise QuestionError("the question is empty")
    normalized = normalize(question)
    weights: dict[str, float] = {}
    latin = False
    for tok in index.tokenizer.tokens(normalized):
        if re.fullmatch(r"[a-z]+", tok):
            latin = True
            # An English word is searched as itself only where the corpus has it ("GDP");
            # otherwise the lexicon below turns it into Chinese terms.
            if not index.bm25.get_tokens_ids([tok]):
                continue
        weights.setdefault(tok, 1.0)
    translated = []
    if translate and index.lexicon is not None:
        for qt in index.lexicon.translate(normalized):
            if qt.term not in weights:
                translated.append(qt.term)
            weights[qt.term] = max(weights.get(qt.term, 0.0), qt.weight)
    if not weights and not latin:
        raise QuestionError(f"nothing to search for in {question!r}")
    return Query(question, normalized, tuple(weights.items()), tuple(translated))


def _term_scores(index: Index, terms: tuple[tuple[str, float], ...]) -> dict[str, np.ndarray]:
    """Each term's BM25 score for every chunk, read from bm25s's precomputed score matrix.

    bm25s keeps a (term x chunk) CSC matrix of scores; one term's scores are one column slice
    (each chunk at most once), so they are scattered into a zero vector directly. Calling
    ``get_scores`` once per term did the same through ``np.add.at``, several times slower
    (see docs/benchmarks.md). Indexes without that matrix layout take the slow path.
    """
    bm25 = index.bm25
    matrix = getattr(bm25, "scores", None)
    vocab = getattr(bm25, "vocab_dict", None)
    if (
        not isinstance(matrix, dict)
        or not {"data", "indices", "indptr"} <= matrix.keys()
        or not isinstance(vocab, dict)
        or getattr(bm25, "nonoccurrence_array", None) is not None
    ):
        return {t: np.asarray(bm25.get_scores([t]), dtype=np.float32) for t, _ in terms}
    data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
    n = len(index.chunks)
    out: dict[str, np.ndarray] = {}
    for term, _ in terms:
        col = np.zeros(n, dtype=np.float32)
        tid = vocab.get(term)
        if tid is not None and tid + 1 < len(indptr):
            lo, hi = int(indptr[tid]), int(indptr[tid + 1])
            col[indices[lo:hi]] = data[lo:hi]
        out[term] = col
    return out


def _idf(scores: np.ndarray) -> float:
    n = len(scores)
    df = int(np.count_nonzero(scores))
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def keyword_scores(index: Index, query: Query) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Weighted BM25 score of every chunk, and each term's own scores."""
    per_term = _term_scores(index, query.terms)
    total = np.zeros(len(index.chunks), dtype=np.float32)
    for term, weight in query.terms:
        total += weight * per_term[term]
    return total, per_term


#: Nearest chunks an HNSW index is asked for; the rest get the lowest of their scores.
_HNSW_CANDIDATES = 200


def dense_scores(index: Index, embedder: object, query: Query) -> np.ndarray:
    """Cosine similarity of every chunk to the question.

    Small indexes multiply all the embeddings (exact, and cheap below HNSW_MIN_CHUNKS). An
    HNSW index (large corpora) scores only its nearest candidates; every other chunk gets the
    lowest candidate score, which bounds its own from above, so the top of the ranking is kept.
    """
    qvec = embedder.encode_queries([query.question])  # type: ignore[attr-defined]
    if (index.manifest.get("dense") or {}).get("type") == "hnsw":
        k = min(_HNSW_CANDIDATES, len(index.chunks))
        sims, ids = index.dense.search(np.ascontiguousarray(qvec[:1], dtype=np.float32), k)
        found = ids[0] >= 0
        floor = float(sims[0][found].min()) if found.any() else 0.0
        out = np.full(len(index.chunks), floor, dtype=np.float32)
        out[ids[0][found]] = sims[0][found]
        return out
    return (index.embeddings @ qvec[0]).astype(np.float32)


def _ranks(scores: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each item by descending score; items not present get rank inf."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    if present is not None:
        ranks[~present] = np.inf
    return ranks


def _rrf(ranks: np.ndarray) -> np.ndarray:
    return 1.0 / (_RRF_K + ranks)


Strategy = Callable[[np.ndarray, np.ndarray | None, Fusion], np.ndarray]


def keyword_strategy(kw: np.ndarray, dense: np.ndarray | None, fusion: Fusion) -> np.ndarray:
    """Rank by BM25 alone (dense only breaks ties when present)."""
    if dense is None:
        return kw.astype(np.float64)
    return kw + 1e-6 * dense


def semantic_strategy(kw: np.ndarray, dense: np.ndarray | None, fusion: Fusion) -> np.ndarray:
    """Rank by embedding similarity alone."""
    if dense is None:
        raise QuestionError("semantic search needs the embedding model, which is not loaded")
    return dense.astype(np.float64)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x, dtype=np.float64)


def hybrid_strategy(kw: np.ndarray, dense: np.ndarray | None, fusion: Fusion) -> np.ndarray:
    """Fuse the keyword and dense results, by normalised scores or by ranks."""
    if fusion.method == "rrf":
        fused = fusion.keyword_weight * _rrf(_ranks(kw, kw > 0))
        if dense is not None:
            fused = fused + fusion.dense_weight * _rrf(_ranks(dense))
        return fused
    top = float(np.max(kw)) if len(kw) else 0.0
    fused = fusion.keyword_weight * (kw / top if top > 0 else np.zeros_like(kw))
    if dense is not None:
        fused = fused + fusion.dense_weight * _minmax(dense)
    return fused.astype(np.float64)


STRATEGIES: dict[str, Strategy] = {
    "hybrid": hybrid_strategy,
    "keyword": keyword_strategy,
    "semantic": semantic_strategy,
}


def search(
    index: Index,
    question: str,
    *,
    embedder: object | None = None,
    k: int = 5,
    mode: str = "hybrid",
    fusion: Fusion | None = None,
    max_chars: int = 2000,
    translate: bool = True,
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

    Returns:
        The hits, best first, with the terms searched for and whether the match is weak.

    Raises:
        QuestionError: Empty question, unknown mode, or nothing to search for.
    """
    if mode not in STRATEGIES:
        raise QuestionError(f"unknown search mode {mode!r}; choose one of {sorted(STRATEGIES)}")
    query = prepare_query(question, index, max_chars, translate)
    fusion = fusion or fusion_for(index.model)
    kw, per_term = keyword_scores(index, query)
    dense = (
        dense_scores(index, embedder, query) if embedder is not None and mode != "keyword" else None
    )
    final = STRATEGIES[mode](kw, dense, fusion)
    k = max(1, min(k, len(index.chunks)))
    top = np.argsort(-final, kind="stable")[:k]
    if dense is None:
        top = top[kw[top] > 0]  # without a dense ranking, a passage no term matched is no hit

    idf = {t: _idf(s) for t, s in per_term.items()}
    total = sum(w * idf[t] for t, w in query.terms) or 1.0  # no terms: coverage 0, weak
    hits = []
    for rank, i in enumerate(top, start=1):
        matched = tuple(t for t, _ in query.terms if per_term[t][i] > 0)
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
    best_kw = int(np.argmax(kw)) if len(kw) else 0
    coverage = sum(w * idf[t] for t, w in query.terms if per_term[t][best_kw] > 0) / total
    weak = coverage < fusion.min_coverage or float(kw[best_kw]) <= 0
    return SearchResult(
        question=query.question,
        hits=hits,
        terms=tuple(t for t, _ in query.terms),
        mode=mode,
        weak=weak,
        coverage=round(coverage, 3),
    )
