"""Keyword scores read from bm25s's score matrix equal the straightforward computation.

The straightforward computation is one ``bm25s.get_scores([term])`` per query term, each a
full array, summed with the terms' weights: the totals, each term's document frequency and
best score, the terms each hit matched and the coverage behind the weak flag must all come
out the same, bit for bit.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import qa.search.lexical
from bench import synth
from qa.query.prepare import prepare_query
from qa.search.lexical import TermScores, _term_scores, keyword_scores
from qa.search.relevance import coverage
from qa.search.search import search
from tests.conftest import FIVE_PHASES, ROOT

#: Chinese, Traditional, English (translated terms have weights below 1), pinyin, a number, a
#: name the corpus lacks and lone characters.
QUESTIONS = (
    FIVE_PHASES,
    "泰興市委書記孫耀燦強調了什麼",
    "what are the five phases in Zhucheng",
    "party secretary of Taixing",
    "2023年北京的GDP是多少",
    "那个开发区一年的营收做到了多大规模？",
    "五 阶段 zhucheng",
    "里跟",
)


def _questions() -> list[str]:
    lines = (ROOT / "tests" / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [*QUESTIONS, *synth.questions(20), *(json.loads(x)["question"] for x in lines[::4])]


def _reference(index, query) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    per_term = {t: np.asarray(index.bm25.get_scores([t]), dtype=np.float32) for t, _ in query.terms}
    total = np.zeros(len(index.chunks), dtype=np.float32)
    for term, weight in query.terms:
        total += weight * per_term[term]
    return total, per_term


def _assert_same_terms(got: TermScores, ref: dict[str, np.ndarray], chunks: list[int]) -> None:
    assert list(got) == list(ref)
    for term, scores in ref.items():
        np.testing.assert_array_equal(got.dense(term), scores)
        assert got.df(term) == np.count_nonzero(scores)
        assert got.max(term) == float(np.max(scores, initial=0.0))
        assert [got.score(term, c) for c in chunks] == [float(scores[c]) for c in chunks]


def _reweighted(query, weights: tuple[float, ...]):
    """The query with other term weights (and an unknown term), as translations give."""
    terms = tuple((t, w) for (t, _), w in zip(query.terms, weights * 9, strict=False))
    return dataclasses.replace(query, terms=(*terms, ("不存在的词语xyz", 0.7)))


@pytest.mark.parametrize("batch", [1, 20, 8192])
def test_keyword_scores_equal_per_term_get_scores(svc, monkeypatch, batch):
    """Exact for every way the postings are batched: term by term, a few terms, all at once."""
    monkeypatch.setattr(qa.search.lexical, "_SCATTER_BATCH", batch)
    index = svc.index
    rng = np.random.default_rng(3)
    n = len(index.chunks)
    for question in _questions():
        query = prepare_query(question, index)
        for q in (query, _reweighted(query, (0.333, 1.0, 0.5, 1.25))):
            total, per_term = keyword_scores(index, q)
            ref_total, ref = _reference(index, q)
            assert total.dtype == np.float32 and total.shape == (n,)
            np.testing.assert_array_equal(total, ref_total)
            chunks = [0, n - 1, int(np.argmax(total)), *rng.integers(0, n, 30).tolist()]
            _assert_same_terms(per_term, ref, chunks)


def test_matched_terms_and_coverage_equal_the_dense_computation(svc):
    index = svc.index
    for question in _questions():
        query = prepare_query(question, index)
        total, per_term = keyword_scores(index, query)
        dense_total, dense = _term_scores(index, query)  # get_scores per term, full arrays
        np.testing.assert_array_equal(total, dense_total)
        top = [int(i) for i in np.argsort(-total, kind="stable")[:8]]
        for chunks in ({top[0]}, set(top[:4]), {0, len(index.chunks) - 1}):
            assert coverage(index, query, per_term, chunks) == coverage(index, query, dense, chunks)
        _, ref = _reference(index, query)
        result = search(index, question, mode="keyword", k=8)
        for hit in result.hits:
            i = hit.chunk.chunk_id
            assert hit.terms == tuple(t for t, _ in query.terms if ref[t][i] > 0)
        if not any(s.any() for s in ref.values()):
            assert result.weak


def test_postings_are_sorted_so_lookups_can_bisect(svc):
    """TermScores.score binary-searches a term's postings: bm25s must keep them in order."""
    matrix = svc.index.bm25.scores
    indices, indptr = np.asarray(matrix["indices"]), np.asarray(matrix["indptr"])
    rising = np.diff(indices) > 0
    starts = np.zeros(len(indices), dtype=bool)
    starts[indptr[1:-1][indptr[1:-1] < len(indices)]] = True  # a column starts: may fall
    assert (rising | starts[1:]).all()


@pytest.mark.parametrize("method", ["bm25l", "bm25+"])
def test_methods_that_score_absent_terms_fall_back_to_get_scores(svc, method):
    """BM25L and BM25+ give chunks without a term a score too; those are not in the matrix."""
    import bm25s

    from qa.ingest.textnorm import normalize
    from qa.store.build import index_text

    index = svc.index
    tokens = [
        index.tokenizer.tokens(normalize(index_text(index.documents[c.doc_id], c)))
        for c in index.chunks
    ]
    model = bm25s.BM25(method=method)
    model.index(tokens, show_progress=False)
    assert model.nonoccurrence_array is not None
    other = dataclasses.replace(index, bm25=model)
    query = _reweighted(prepare_query(FIVE_PHASES, other), (1.0, 0.5))
    total, per_term = keyword_scores(other, query)
    ref_total, ref = _reference(other, query)
    np.testing.assert_array_equal(total, ref_total)
    _assert_same_terms(per_term, ref, [0, 5, int(np.argmax(total))])
