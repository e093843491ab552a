"""The benchmark runs end to end in quick mode and writes its tables; no time is asserted."""

from __future__ import annotations

import numpy as np

from bench import run, synth
from qa.query.prepare import prepare_query
from qa.query.translate import vocabulary_tables
from qa.search.lexical import keyword_scores
from qa.store.index import load_index


def test_quick_bench_writes_tables_and_plot(tmp_path):
    out = tmp_path / "benchmarks.md"
    # One size keeps the test short; `python -m bench.run --quick` runs 300 and 1000.
    argv = ["--quick", "--sizes", "300", "--work", str(tmp_path / "work"), "--out", str(out)]
    assert run.main(argv) == 0
    text = out.read_text(encoding="utf-8")
    for title in (
        "Embedding throughput",
        "`qa build` time",
        "Build overhead without the model",
        "Keyword search",
        "Dense search",
        "End to end",
        "Serving memory",
        "Cold start",
    ):
        assert f"### {title}" in text
    assert "| 66 (seeds) |" in text and "machine:" in text and "quick mode" in text
    assert out.with_suffix(".png").stat().st_size > 1000
    # The results beside the report: a later run puts them side by side with its own.
    compared = tmp_path / "compared.md"
    assert run.main(["--quick", "--compare", str(out), "--out", str(compared)]) == 0
    text = compared.read_text(encoding="utf-8")
    assert "| 66 (seeds) |" in text and "from `" in text


def test_synthetic_corpus_is_deterministic(tmp_path):
    synth.write_corpus(tmp_path / "a", 100)
    synth.write_corpus(tmp_path / "b", 100)
    a = sorted(p.read_bytes() for p in (tmp_path / "a").glob("*.txt"))
    b = sorted(p.read_bytes() for p in (tmp_path / "b").glob("*.txt"))
    assert a == b and len(a) >= 10


def test_keyword_scores_equal_the_benchmarks_reference(fake_service):
    """What the benchmark times as ours gives exactly its reference: get_scores per term."""
    index = fake_service.index
    questions = [*synth.questions(30), "诸城作风建设年活动分为哪五个阶段", "五 阶段 zhucheng"]
    for question in questions:
        query = prepare_query(question, index)
        total, per_term = keyword_scores(index, query)
        np.testing.assert_array_equal(total, run._keyword_reference(index, query))
        assert list(per_term) == [t for t, _ in query.terms]
        for term in per_term:
            expected = np.asarray(index.bm25.get_scores([term]), dtype=np.float32)
            np.testing.assert_array_equal(per_term.dense(term), expected)


def test_keyword_scores_for_unknown_terms_are_zero(fake_service):
    index = load_index(fake_service.settings.index_dir)
    query = prepare_query("诸城", index)
    query = type(query)(query.question, query.normalized, (("不存在的词语xyz", 1.0),), ())
    total, per_term = keyword_scores(index, query)
    assert not total.any() and per_term.df("不存在的词语xyz") == 0
    assert per_term.max("不存在的词语xyz") == 0.0 and per_term.score("不存在的词语xyz", 0) == 0.0


def test_dense_index_type_follows_corpus_size():
    from qa.store.dense import make_dense_index

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(500, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    flat, info = make_dense_index(vecs, min_hnsw=1000)
    assert info == {"type": "flat"} and flat.ntotal == 500
    hnsw, info = make_dense_index(vecs, min_hnsw=100)
    assert info["type"] == "hnsw" and info["ef_search"] >= 64 and hnsw.ntotal == 500
    _, truth = flat.search(vecs[:50], 10)
    _, got = hnsw.search(vecs[:50], 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, got, strict=True)])
    assert recall > 0.9


def test_hnsw_index_is_recorded_loaded_and_searched(settings, fake_embedder, monkeypatch):
    import qa.store.build
    import qa.store.dense
    from qa.search.search import search

    monkeypatch.setattr(qa.store.dense, "HNSW_MIN_CHUNKS", 10)
    qa.store.build.build_index(settings, fake_embedder, tables=vocabulary_tables)
    index = load_index(settings.index_dir)
    assert index.manifest.dense["type"] == "hnsw"
    assert index.dense.hnsw.efSearch == index.manifest.dense["ef_search"]
    question = "诸城作风建设年活动分为哪五个阶段"
    got = search(index, question, embedder=fake_embedder, mode="semantic", k=5)
    rows = fake_embedder.encode_queries([question])[0] @ np.asarray(index.embeddings).T
    exact = np.maximum.reduceat(rows, index.dense_starts)  # each chunk's best window
    assert [h.chunk.chunk_id for h in got.hits][:3] == list(np.argsort(-exact)[:3])
    hybrid = search(index, question, embedder=fake_embedder, mode="hybrid", k=5)
    assert hybrid.hits and not hybrid.weak
    # Two query vectors (the question and its rendering in corpus words): each chunk scores
    # as the nearer of the two, among the candidates of both.
    english = "what are the five phases in Zhucheng"
    rendered = search(index, english, embedder=fake_embedder, mode="semantic", k=5)
    vecs = fake_embedder.encode_queries([english, prepare_query(english, index).rendered])
    rows = (np.asarray(index.embeddings) @ vecs.T).max(axis=1)
    both = np.maximum.reduceat(rows, index.dense_starts)
    assert [h.chunk.chunk_id for h in rendered.hits][:3] == list(np.argsort(-both)[:3])
