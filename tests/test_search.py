"""Search: query preparation, modes, and retrieval on the real seeds with the real model."""

from __future__ import annotations

import pytest

from qa.errors import QuestionError
from qa.search import STRATEGIES

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
    assert "all-MiniLM-L6-v2" in real_service.embedder.description
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
    from qa.service import QAService
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
