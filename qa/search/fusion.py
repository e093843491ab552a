"""Fusing keyword and dense scores into one ranking (the strategies, by mode), and keeping
the top passages diverse."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from qa.errors import QuestionError
from qa.ingest.chunk import Chunk
from qa.tuning import FUSION_BY_MODEL, MULTILINGUAL_FUSION, Fusion

logger = logging.getLogger(__name__)

_RRF_K = 60

_MULTILINGUAL_HINTS = ("bge-m3", "multilingual", "-zh", "chinese", "labse", "m3e", "text2vec")


def fusion_for(model: str) -> Fusion:
    """The fusion weights for an embedding model."""
    if model in FUSION_BY_MODEL:
        return FUSION_BY_MODEL[model]
    if any(h in model.lower() for h in _MULTILINGUAL_HINTS):
        return MULTILINGUAL_FUSION
    return Fusion()


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


def _top(scores: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` highest scores, best first, ties by position.

    A partial selection first: a full sort of every chunk's score costs milliseconds at 100k
    chunks, for the few dozen that are looked at.
    """
    m = min(m, len(scores))
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    if m < len(scores):
        cand = np.argpartition(-scores, m - 1)[:m]
        # Scores equal to the m-th may lie outside cand; take all of them for stable ties.
        cut = scores[cand].min()
        cand = np.flatnonzero(scores >= cut)
    else:
        cand = np.arange(len(scores))
    order = cand[np.lexsort((cand, -scores[cand]))]
    return order[:m]


def _diversify(chunks: list[Chunk], final: np.ndarray, k: int, penalty: float) -> np.ndarray:
    """The k best passages, each passage that overlaps or adjoins a better one demoted.

    Greedy, as in maximal marginal relevance: the best remaining passage is taken; one whose
    span touches a taken passage of the same document (overlapping sentence or adjacent)
    competes with ``(1 - penalty)`` of its score.
    """
    order = _top(final, 4 * k + 10)
    if penalty <= 0 or k <= 1:
        return order[:k]
    pool = [int(i) for i in order]
    taken: list[int] = []
    while pool and len(taken) < k:

        def eff(i: int) -> float:
            c = chunks[i]
            near = any(
                chunks[j].doc_id == c.doc_id
                and c.start <= chunks[j].end + 1
                and chunks[j].start <= c.end + 1
                for j in taken
            )
            return float(final[i]) * (1 - penalty) if near else float(final[i])

        best = max(pool, key=eff)
        taken.append(best)
        pool.remove(best)
    return np.asarray(taken, dtype=np.int64)


STRATEGIES: dict[str, Strategy] = {
    "hybrid": hybrid_strategy,
    "keyword": keyword_strategy,
    "semantic": semantic_strategy,
}
