"""Keyword scores: BM25 over the passages' jieba tokens, term by term, and the character
index for words jieba cut differently."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import numpy as np

from qa.query.prepare import Query
from qa.store.index import Index
from qa.tuning import Fusion

logger = logging.getLogger(__name__)


class TermScores:
    """Each query term's BM25 score in every chunk, kept as the term's postings.

    A term's scores are the chunks that contain it, in increasing order, and its score in
    each; every other chunk scores 0 for it. Only a few facts about a term are ever needed
    (how many chunks have it, its best score, its score in a few top chunks), so a full-length
    array per term is never built: at 100k chunks building them cost more than the scoring.
    """

    __slots__ = ("n_chunks", "_ids", "_scores", "_spans")

    def __init__(
        self,
        n_chunks: int,
        ids: np.ndarray,
        scores: np.ndarray,
        spans: dict[str, tuple[int, int]],
    ) -> None:
        """Wrap postings.

        Args:
            n_chunks: How many chunks the index has.
            ids: Chunk ids of all postings; each term's slice is increasing.
            scores: The float32 score of each posting, aligned with ``ids``.
            spans: Each query term's ``(start, end)`` slice of ``ids`` and ``scores``, in
                query order; an empty slice for a term the index does not have.
        """
        self.n_chunks = n_chunks
        self._ids = ids
        self._scores = scores
        self._spans = spans

    def __contains__(self, term: object) -> bool:
        return term in self._spans

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The chunk ids that have ``term`` (increasing) and its score in each (views)."""
        lo, hi = self._spans[term]
        return self._ids[lo:hi], self._scores[lo:hi]

    def df(self, term: str) -> int:
        """How many chunks ``term`` scores above zero in (its document frequency)."""
        lo, hi = self._spans[term]
        return int(np.count_nonzero(self._scores[lo:hi]))

    def max(self, term: str) -> float:
        """The best score of ``term`` in any chunk, 0 when no chunk has it."""
        lo, hi = self._spans[term]
        return float(np.max(self._scores[lo:hi], initial=0.0))

    def score(self, term: str, chunk: int) -> float:
        """The score of ``term`` in one chunk."""
        lo, hi = self._spans[term]
        # Postings are sorted by chunk id, so a lookup is a binary search, not a scan.
        at = lo + int(np.searchsorted(self._ids[lo:hi], chunk))
        return float(self._scores[at]) if at < hi and self._ids[at] == chunk else 0.0

    def dense(self, term: str) -> np.ndarray:
        """The score of ``term`` in every chunk, as one float32 array (for checks and tools)."""
        out = np.zeros(self.n_chunks, dtype=np.float32)
        ids, scores = self.postings(term)
        out[ids] = scores
        return out


def idf(n_chunks: int, df: int) -> float:
    """BM25's inverse document frequency of a term in ``df`` of ``n_chunks`` passages."""
    return math.log(1 + (n_chunks - df + 0.5) / (df + 0.5))


def _term_scores(index: Index, query: Query) -> tuple[np.ndarray, TermScores]:
    """The straightforward computation: ``get_scores`` once per term, each a full array.

    Used where bm25s's score matrix alone is not a term's scores: BM25L and BM25+ give a
    chunk without the term a nonzero score (bm25s keeps it apart, as a "nonoccurrence"
    array), and a matrix that is not float32 would round differently.
    """
    n = len(index.chunks)
    total = np.zeros(n, dtype=np.float32)
    cols: list[np.ndarray] = []
    spans: dict[str, tuple[int, int]] = {}
    for term, weight in query.terms:
        col = np.asarray(index.bm25.get_scores([term]), dtype=np.float32)
        total += weight * col
        spans[term] = (len(cols) * n, (len(cols) + 1) * n)
        cols.append(col)
    ids = np.tile(np.arange(n, dtype=np.int64), len(cols))
    scores = np.concatenate(cols) if cols else np.zeros(0, dtype=np.float32)
    return total, TermScores(n, ids, scores, spans)


#: Postings of rare terms are gathered up to about this many and added in one ``np.add.at``:
#: a call costs microseconds of its own, which at a thousand chunks is most of the work.
#: A term with more postings is added by itself, its slice of the matrix uncopied.
_SCATTER_BATCH = 8192


def _scatter_add(total: np.ndarray, ids: list[np.ndarray], scores: list[np.ndarray]) -> None:
    """Add gathered postings to ``total`` in the order gathered, then forget them."""
    # np.add.at is about an eighth faster on native-size indices than on bm25s's int32 ones,
    # more than the conversion costs: that pays for the weights' products.
    if len(ids) == 1:
        np.add.at(total, ids[0].astype(np.intp, copy=False), scores[0])
    elif ids:
        np.add.at(total, np.concatenate(ids, dtype=np.intp), np.concatenate(scores))
    ids.clear()
    scores.clear()


def keyword_scores(index: Index, query: Query) -> tuple[np.ndarray, TermScores]:
    """Weighted BM25 score of every chunk, and each term's own scores.

    The total is exactly ``sum(weight * get_scores([term]))`` in float32, term by term in
    query order, but read from bm25s's score matrix (compressed sparse columns: one column of
    postings per vocabulary term) with scatter-adds over the terms' postings, the work one
    ``get_scores`` call for the whole query does.

    Args:
        index: The loaded index.
        query: The prepared query; its terms' weights multiply their scores.

    Returns:
        The weighted total per chunk (float32), and each term's scores as postings.
    """
    bm25 = index.bm25
    matrix = bm25.scores
    data = matrix["data"]
    if getattr(bm25, "nonoccurrence_array", None) is not None or data.dtype != np.float32:
        return _term_scores(index, query)
    indices, indptr, vocab = matrix["indices"], matrix["indptr"], bm25.vocab_dict
    n = len(index.chunks)
    total = np.zeros(n, dtype=np.float32)
    spans = {}
    # np.add.at adds strictly in array order, so postings added in query order, a batch at a
    # time, round every chunk's float32 sum exactly as the dense term-by-term sum does (a
    # float64 np.bincount would not); a chunk appears at most once per term.
    gathered_ids: list[np.ndarray] = []
    gathered: list[np.ndarray] = []
    size = 0
    for term, weight in query.terms:
        tid = vocab.get(term)
        if tid is None:
            spans[term] = (0, 0)
            continue
        lo, hi = indptr[tid : tid + 2].tolist()
        spans[term] = (lo, hi)
        # The same product as `weight * get_scores([term])` on the term's postings (numpy 2
        # casts a Python float to float32 first); 1.0 * x is x, so full-weight terms skip it.
        scores = data[lo:hi] if weight == 1.0 else weight * data[lo:hi]
        if hi - lo >= _SCATTER_BATCH:
            _scatter_add(total, gathered_ids, gathered)  # the terms before it go first
            size = 0
            _scatter_add(total, [indices[lo:hi]], [scores])
            continue
        gathered_ids.append(indices[lo:hi])
        gathered.append(scores)
        size += hi - lo
        if size >= _SCATTER_BATCH:
            _scatter_add(total, gathered_ids, gathered)
            size = 0
    _scatter_add(total, gathered_ids, gathered)
    return total, TermScores(n, indices, data, spans)


def char_scores(index: Index, query: Query) -> np.ndarray | None:
    """BM25 of the question's characters for every chunk (None when there is no char index)."""
    model = index.chars if query.chars else None
    if model is None:
        return None
    chars = [c for c in query.chars if c in model.vocab_dict]
    if not chars:
        return np.zeros(len(index.chunks), dtype=np.float32)
    return np.asarray(model.get_scores(chars), dtype=np.float32)


def lexical_scores(index: Index, query: Query, fusion: Fusion) -> tuple[np.ndarray, TermScores]:
    """Word BM25 plus ``fusion.char_weight`` of character BM25, on the word scores' scale."""
    kw, per_term = keyword_scores(index, query)
    chars = char_scores(index, query) if fusion.char_weight > 0 else None
    if chars is not None:
        top, ctop = float(np.max(kw, initial=0.0)), float(np.max(chars, initial=0.0))
        if ctop > 0:
            kw = kw + (fusion.char_weight * (top if top > 0 else 1.0) / ctop) * chars
    return kw.astype(np.float32), per_term
