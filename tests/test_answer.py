"""Answer composition: sentences with citations, lists followed through the documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer.compose import compose_answer, pick_sentences
from qa.answer.enumerations import Enumeration, find_definition, find_enumerations
from qa.answer.result import Answer
from qa.answer.spans import _named_after, carries, kind_spans
from qa.ingest.chunk import Chunk
from qa.ingest.corpus import Document, load_corpus
from qa.ingest.textnorm import normalize
from qa.query.question import (
    LAST,
    ListRequest,
    answer_kind,
    asked_time_grain,
    asked_verb,
    cn_number,
    count_of,
    list_request,
    ordinal_of,
)
from qa.search.search import Hit, SearchResult
from tests.conftest import FIVE_PHASES, SEEDS

PHASES = [
    "一是宣传发动、统一思想阶段。",
    "二是寻标对标、公开承诺阶段。",
    "三是督查整改、推动落实阶段。",
    "四是集中观摩、领导点评阶段。",
    "五是总结考核、深化提高阶段。",
]


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    """The real seeds, by the three-digit prefix of their file names."""
    return {d.doc_id[:3]: d for d in load_corpus(SEEDS).documents}


def _lists(doc: Document, size: int, first: str, kind: str | None = None) -> list[Enumeration]:
    """Enumerations of ``size`` items whose first item contains ``first``."""
    return [
        e
        for e in find_enumerations(doc)
        if len(e.items) == size
        and first in normalize(e.items[0].text)
        and (kind is None or e.kind == kind)
    ]


def _texts(enum: Enumeration) -> list[str]:
    return [it.text for it in enum.items]


def _check_spans(doc: Document, enum: Enumeration) -> None:
    """Every item's text is the document's own text at its span (cut items end with …)."""
    for it in enum.items:
        assert doc.text[it.start : it.end].startswith(it.text.rstrip("…"))


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("兩", 2), ("7", 7)],
)
def test_cn_number(text: str, value: int) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize("text", ["", "三十十", "abc", "第三"])
def test_cn_number_rejects(text: str) -> None:
    assert cn_number(text) is None


@pytest.mark.parametrize(
    ("question", "count"),
    [
        ("诸城作风建设年活动分为哪五个阶段", 5),
        ("諸城作風建設年活動分為哪五個階段", 5),
        ("四种精神是什么", 4),
        ("诸城强调的“六种意识”是哪六种？", 6),
        ("what are the five phases in Zhucheng", 5),
        ("which six kinds of awareness", 6),
        ("what are the four spirits", 4),
        ("name the 7 mechanisms", 7),
        ("“三大一实干”具体包括哪几项活动？", None),
        ("帮助基层群众发展经济要送哪些东西？", None),
        # The numbers of a quoted name are the name's, not the count asked for.
        ('In the "six visits, three clears" method, what are they to get clear about?', None),
        ('What are the three phases of the "four helps" work?', 3),
    ],
)
def test_list_questions(question: str, count: int | None) -> None:
    request = list_request(question)
    assert request is not None
    assert request.count == count
    assert request.ordinal is None


@pytest.mark.parametrize(
    "question",
    [
        "泰州市委督导组组长是谁？",
        "常州“三大一实干”活动是哪天启动的？",
        "who leads the inspection team",
        'Who gave the speech when Changzhou launched the "three bigs" campaign?',
    ],
)
def test_not_list_questions(question: str) -> None:
    """Questions about one thing, including English ones that merely contain a number."""
    assert list_request(question) is None


@pytest.mark.parametrize(
    ("question", "ordinal"),
    [
        ("第三个阶段是什么", 3),
        ("第四种精神呢", 4),
        ("and the fourth spirit?", 4),
        ("what about the 2nd one", 2),
        ("第十四次党代会提出了什么", None),
        ("市第三次党代会", None),
    ],
)
def test_ordinals(question: str, ordinal: int | None) -> None:
    assert ordinal_of(question) == ordinal


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("诸城作风建设年活动分为哪五个阶段", "阶段"),
        ("诸城强调的“六种意识”是哪六种？", "意识"),
        ("四种精神是什么", "精神"),
        ("要纠治几种不良作风", "不良作风"),
        ("諸城要健全的「七項機制」包括哪些？", "机制"),
        ("开展活动时有哪些“不准”的纪律要求？", ""),
    ],
)
def test_list_noun(question: str, noun: str) -> None:
    request = list_request(question)
    assert request is not None and request.noun == noun


def test_count_ignores_single_things_and_ordinals() -> None:
    assert count_of("一项重要任务是什么") is None
    request = list_request("诸城作风建设年活动的第三个阶段是什么")
    assert request == ListRequest(count=None, ordinal=3, noun="阶段")


def test_self_contained_ordinal_question(svc: Any) -> None:
    answer = svc.ask("诸城作风建设年活动的第三个阶段是什么")
    assert answer.sentences[0].text == PHASES[2]


# --------------------------------------------------------------------------- enumerations


def test_002_five_phases_whole_and_in_order(docs: dict[str, Document]) -> None:
    (enum,) = _lists(docs["002"], 5, "宣传发动")
    assert _texts(enum) == PHASES
    assert enum.lead == "今年活动主要分五个阶段。"
    _check_spans(docs["002"], enum)


def test_002_four_spirits_as_paragraphs_and_inline(docs: dict[str, Document]) -> None:
    doc = docs["002"]
    (paragraphs,) = _lists(doc, 4, "担当进取", kind="parallel")
    assert _texts(paragraphs) == [
        "“担当进取、勇争一流”的精神。",
        "“改革创新、敢为人先”的精神。",
        "“开放包容、海纳百川”的精神。",
        "“崇尚法治、规范理性”的精神。",
    ]
    assert "四种精神" in paragraphs.lead
    (inline,) = _lists(doc, 4, "崇尚法治", kind="label")
    assert inline.label == "“四种精神”"
    assert _texts(inline)[1:] == ["改革创新、敢为人先", "开放包容、海纳百川", "担当进取、勇争一流"]
    _check_spans(doc, paragraphs)
    _check_spans(doc, inline)


def test_002_six_kinds_of_awareness_both_ways(docs: dict[str, Document]) -> None:
    doc = docs["002"]
    (numbered,) = _lists(doc, 6, "强化政治意识", kind="cn_是")
    assert [t[:6] for t in _texts(numbered)] == [
        "一是强化政治",
        "二是强化赶超",
        "三是强化发展",
        "四是强化宗旨",
        "五是强化执行",
        "六是强化纪律",
    ]
    assert "六种意识" in numbered.lead
    (inline,) = _lists(doc, 6, "政治意识", kind="label")
    assert _texts(inline) == [
        "强化政治意识",
        "赶超意识",
        "发展意识",
        "宗旨意识",
        "执行意识",
        "纪律意识",
    ]
    _check_spans(doc, numbered)


def test_002_seven_mechanisms_and_three_reasons(docs: dict[str, Document]) -> None:
    doc = docs["002"]
    (mechanisms,) = _lists(doc, 7, "组织领导机制", kind="label")
    assert _texts(mechanisms)[-1] == "宣传引导机制"
    assert mechanisms.label == "“七项机制”"
    (reasons,) = _lists(doc, 3, "第一", kind="di")
    assert [t[:2] for t in _texts(reasons)] == ["第一", "第二", "第三"]
    assert reasons.lead.endswith("主要基于三方面的考虑:")


def test_001_nested_lists(docs: dict[str, Document]) -> None:
    doc = docs["001"]
    (paren,) = _lists(doc, 4, "(一)开展", kind="paren_cn")
    assert [t[:3] for t in _texts(paren)] == ["(一)", "(二)", "(三)", "(四)"]
    (yao,) = _lists(doc, 3, "一要", kind="cn_要")
    assert _texts(yao) == ["一要明确具体要求。", "二要明确主要任务。", "三要明确基本方法。"]
    assert yao.lead.startswith("二、突出重点环节")
    (shi,) = _lists(doc, 4, "一是", kind="cn_是")
    assert _texts(shi)[-1] == "四是要加强督查考核。"
    for enum in (paren, yao, shi):
        _check_spans(doc, enum)


def test_004_traditional_lists(docs: dict[str, Document]) -> None:
    doc = docs["004"]
    (paren,) = _lists(doc, 3, "解放思想对标对表提升年", kind="paren_cn")
    assert paren.items[0].text.startswith("(一)“解放思想對標對表提升年”行動")
    assert paren.items[2].text.startswith("(三)")
    (shi,) = _lists(doc, 2, "一是", kind="cn_是")
    assert shi.items[1].text == "二是要以身作則、率先垂范。"
    (six,) = _lists(doc, 6, "交通联通", kind="label")
    assert _texts(six)[-1] == "文旅融合"
    (eight,) = _lists(doc, 8, "两面派", kind="label")
    assert _texts(eight)[-1] == "“貪奢型”作風"
    (seq,) = _lists(doc, 2, "首先", kind="seq")
    assert seq.items[1].text.startswith("其次")


def test_clause_lists(docs: dict[str, Document]) -> None:
    doc = docs["004"]
    (problems,) = _lists(doc, 6, "遇到难题不敢碰", kind="colon")
    assert problems.lead.endswith("等突出問題:")
    assert problems.items[1].text == "工作標準不高,只求過得去,不求過得硬"
    (levels,) = _lists(doc, 4, "对标对表党中央", kind="colon")
    assert levels.items[3].text.endswith("是否敢比敢超")
    (faults,) = _lists(docs["002"], 5, "学风不够实", kind="etc")
    assert _texts(faults)[2] == "纪律观念淡薄、有令不行、有禁不止"
    _check_spans(doc, problems)


def test_003_quoted_markers(docs: dict[str, Document]) -> None:
    doc = docs["003"]
    (enum,) = _lists(doc, 3, "一看", kind="quoted")
    texts = _texts(enum)
    assert texts[0].startswith("“一看”就是看泰興各級領導干部的思想解放問題")
    assert texts[1].startswith("“二查”就是查整改實際成效")
    assert texts[2].startswith("“三訪”就是對一些鄉鎮")
    assert "一看二查三訪" in enum.lead  # the lead keeps the document's script
    _check_spans(doc, enum)


def test_000_quoted_series(docs: dict[str, Document]) -> None:
    doc = docs["000"]
    (enum,) = _lists(doc, 4, "大讨论", kind="quoted_series")
    assert _texts(enum) == ["大讨论", "大走访", "大转变", "实干为民"]
    (change,) = _lists(doc, 4, "有激情", kind="quoted_series")
    assert _texts(change) == ["有激情", "重责任", "敢担当", "守规矩"]


def test_no_false_labels(docs: dict[str, Document]) -> None:
    """“三个年”行动 names the campaign, not the list before it."""
    labels = [e.label for e in find_enumerations(docs["004"]) if e.kind == "label"]
    assert all("三個年" not in label for label in labels)


def test_enumeration_window_keeps_document_positions(docs: dict[str, Document]) -> None:
    doc = docs["002"]
    start = doc.text.index("一是宣传发动")
    windowed = _lists(Document(**{**doc.__dict__}), 5, "宣传发动")
    near = [e for e in find_enumerations(doc, start - 10, start + 50) if len(e.items) == 5]
    assert [it.start for it in near[0].items] == [it.start for it in windowed[0].items]


def test_numbered_styles_in_a_made_up_document() -> None:
    text = (
        "标题\n工作分三步:\n1.摸清底数。细化。\n2.制定方案。\n3.抓好落实。\n"
        "另有三点:①先易后难;②先急后缓;③统筹兼顾。\n其一,要快。其二,要准。"
    )
    doc = Document("x.txt", "标题", "", "", text, "0", "utf-8", "simplified")
    by_kind = {e.kind: _texts(e) for e in find_enumerations(doc)}
    assert by_kind["num_dot"] == ["1.摸清底数。", "2.制定方案。", "3.抓好落实。"]
    assert by_kind["circled"] == ["①先易后难", "②先急后缓", "③统筹兼顾。"]
    assert by_kind["qi"] == ["其一,要快。", "其二,要准。"]


def test_sentences_and_clauses_that_open_alike_are_a_list() -> None:
    text = (
        "标题\n一要明确具体要求。要注重解决问题,为群众办实事。要注重活动实效,要直接走进一线;"
        "要认真梳理意见。要力戒形式主义,确保不走过场。\n"
        "要坚持带头示范,带头制定方案,带头落实措施,带头执行制度,做出表率。\n"
        "要快。要准。\n"
    )
    doc = Document("x.txt", "标题", "", "", text, "0", "utf-8", "simplified")
    found = [e for e in find_enumerations(doc) if e.kind == "anaphora"]
    # Sentences by full stops only (the ;-clause 要认真梳理意见 belongs to the second item),
    # each item its first clause, the short sentence before them the lead.
    assert _texts(found[0]) == ["要注重解决问题", "要注重活动实效", "要力戒形式主义"]
    assert found[0].lead == "一要明确具体要求。"
    assert _texts(found[1]) == ["带头制定方案", "带头落实措施", "带头执行制度"]
    assert len(found) == 2  # two sentences opening alike are not yet a list
    for enum in found:
        _check_spans(doc, enum)


# --------------------------------------------------------------------------- composing


def _cited_texts(answer: Answer, sentence: Any) -> list[str]:
    return [answer.passages[n - 1].chunk.text for n in sentence.citations]


def _assert_citations_hold(answer: Answer) -> None:
    """Sentences are inside every passage they cite; items overlap theirs or are near."""
    for sentence in answer.sentences:
        assert sentence.citations
        for passage in _cited_texts(answer, sentence):
            assert sentence.text.rstrip("…") in passage
    for item in answer.items:
        assert item.citations
        assert all(1 <= n <= len(answer.passages) for n in item.citations)


def test_five_phases_answer(svc: Any) -> None:
    answer = svc.ask(FIVE_PHASES)
    assert answer.found
    assert [it.text for it in answer.items] == PHASES
    assert answer.lead == "今年活动主要分五个阶段。"
    assert answer.query == FIVE_PHASES
    _assert_citations_hold(answer)
    # The list runs over two chunks: each item cites the passage(s) that hold it.
    for item in answer.items:
        for n in item.citations:
            assert normalize(item.text) in normalize(answer.passages[n - 1].chunk.text)


def test_list_followed_past_the_only_passage(svc: Any) -> None:
    answer = svc.ask(FIVE_PHASES, k=1, mode="keyword")
    assert [it.text for it in answer.items] == PHASES
    chunk = answer.passages[0].chunk
    outside = [it for it in answer.items if it.text not in chunk.text]
    assert outside, "the fifth phase lies beyond the first chunk"
    # Items the one passage lacks bring in the passage that holds them, as card [2]; every
    # [n] marks a card whose text holds the item.
    assert len(answer.passages) == 2 and all(it.citations == (2,) for it in outside)
    _assert_citations_hold(answer)
    for item in answer.items:
        assert item.citations
        assert all(
            normalize(item.text) in normalize(answer.passages[n - 1].chunk.text)
            for n in item.citations
        )


@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("常州“三大一实干”活动是哪天启动的？", "3月1日上午"),
        ("泰州市委督导组组长是谁？", "泰州市委督導組組長劉寧"),
        ("督導組說的「一看」是看什麼？", "“一看”就是看泰興各級領導干部的思想解放問題"),
        ("“三个年”行动的工作方案是由哪个会议审议通过的？", "市委常委會會議審議通過"),
    ],
)
def test_answer_sentences_per_seed(svc: Any, question: str, expect: str) -> None:
    answer = svc.ask(question)
    assert answer.found
    assert any(expect in s.text for s in answer.sentences), answer.sentences
    _assert_citations_hold(answer)


@pytest.mark.parametrize(
    ("question", "first", "last", "size"),
    [
        ("开展活动时有哪些“不准”的纪律要求？", "不准无故请假", "不准干扰基层正常工作", 5),
        ("三個年行動中的「六大攻堅行動」是哪六個？", "交通聯通", "文旅融合", 6),
        ("诸城强调的“六种意识”是哪六种？", "政治意识", "纪律意识", 6),
        ("四种精神是什么", "担当进取", "崇尚法治", 4),
        ("諸城要健全的「七項機制」包括哪些？", "组织领导机制", "宣传引导机制", 7),
        ("“三加一工程”主题实践活动有哪些重要意义", "(一)", "(四)", 4),
        ("講話中指出幹部隊伍存在哪些突出問題？", "遇到難題不敢碰", "提前退休", 6),
    ],
)
def test_list_answers_per_seed(svc: Any, question: str, first: str, last: str, size: int) -> None:
    answer = svc.ask(question)
    assert len(answer.items) == size, [it.text for it in answer.items]
    assert first in answer.items[0].text
    assert last in answer.items[-1].text
    _assert_citations_hold(answer)


def test_sentences_are_deduplicated_and_cite_every_holder(svc: Any) -> None:
    answer = svc.ask("作风建设年活动一年一主题", k=5, mode="keyword")
    texts = [s.text for s in answer.sentences]
    assert len(texts) == len(set(texts))
    for sentence in answer.sentences:
        holders = tuple(
            n for n, hit in enumerate(answer.passages, 1) if sentence.text in hit.chunk.text
        )
        assert sentence.citations == holders


def test_weak_result_is_not_found() -> None:
    chunk = Chunk(0, "a.txt", 0, 6, "今天天气很好。")
    hit = Hit(chunk, 0.1, 1, 0.1, 0.0, ("天气",))
    result = SearchResult("2023年北京的GDP是多少", [hit], ("北京",), "hybrid", True, 0.1)
    answer = compose_answer(result, {})
    assert not answer.found
    assert answer.sentences == [] and answer.items == []
    assert answer.passages == [hit]


def test_no_match_question_follows_the_search(svc: Any) -> None:
    """Whether nothing matched is the search's call (its threshold); the answer follows it."""
    question = "2023年北京的GDP是多少"
    answer = svc.ask(question)
    assert answer.found == (not svc.search(question).weak)
    if not answer.found:
        assert answer.sentences == [] and answer.items == []


def test_truncated_notice(svc: Any) -> None:
    long = FIVE_PHASES * 200
    answer = svc.ask(long)
    assert answer.notice


def test_ordinal_picks_the_item(svc: Any) -> None:
    result = svc.search(FIVE_PHASES)
    docs = svc.index.documents
    answer = compose_answer(result, docs, request=ListRequest(count=5, ordinal=3))
    # The third phase and what the document says of it, up to the fourth; not the list.
    assert answer.sentences[0].text == PHASES[2] and answer.items == []
    said = " ".join(s.text for s in answer.sentences[1:])
    assert "5月下旬-12月底" in said and "深入调研" in said and "集中观摩" not in said
    last = compose_answer(result, docs, request=ListRequest(count=5, ordinal=LAST))
    assert last.sentences[0].text == PHASES[4]


def test_followup_in_service(svc: Any) -> None:
    answer = svc.ask("那第三个阶段呢?", history=[FIVE_PHASES])
    assert answer.question == "那第三个阶段呢?"
    assert "作风建设年" in answer.query and "阶段" in answer.query
    assert answer.sentences[0].text == PHASES[2]
    assert answer.found
    spirit = svc.ask("第四种精神呢", history=["四种精神是什么"])
    assert spirit.sentences[0].text == "“崇尚法治、规范理性”的精神。"


def test_self_contained_question_ignores_history(svc: Any) -> None:
    answer = svc.ask("泰州市委督导组组长是谁？", history=[FIVE_PHASES])
    assert answer.query == "泰州市委督导组组长是谁？"
    assert any("劉寧" in s.text for s in answer.sentences)


NEEDLE = (
    "星澜镇推进“蓝鲸计划”\n"
    "星澜镇党委近日部署“蓝鲸计划”。镇党委书记介绍,蓝鲸计划分为三个步骤:\n"
    "①勘测珊瑚礁带,建立海床档案;②建设潮汐电站,保障海岛用电;③开放海洋课堂,"
    "面向中小学生。各村要结合实际抓好落实。\n"
    + "其他工作照常推进,各部门要加强协调配合。" * 40
    + "\n此外,蓝鲸计划还要做到“观潮、护礁、育苗”三件事。"
)


def test_needle_enumeration(settings: Any, seeds_dir: Path, fake_embedder: Any) -> None:
    from qa.app.service import QAService

    (seeds_dir / "005_needle.txt").write_text(NEEDLE, encoding="utf-8")
    service = QAService(settings, embedder=fake_embedder)
    service.ensure_index()
    answer = service.ask("星澜镇蓝鲸计划分为哪三个步骤？")
    assert [it.text for it in answer.items] == [
        "①勘测珊瑚礁带,建立海床档案",
        "②建设潮汐电站,保障海岛用电",
        "③开放海洋课堂,面向中小学生。",
    ]
    assert answer.lead.endswith("蓝鲸计划分为三个步骤:")
    _assert_citations_hold(answer)
    third = service.ask("那第三个步骤呢", history=["星澜镇蓝鲸计划分为哪三个步骤？"])
    assert third.sentences[0].text.startswith("③开放海洋课堂")


@pytest.mark.slow
def test_five_phases_real_model_chinese_and_english(real_service: Any) -> None:
    for question in (FIVE_PHASES, "what are the five phases in Zhucheng"):
        answer = real_service.ask(question)
        assert answer.found, question
        assert [it.text for it in answer.items] == PHASES, question
        assert answer.lead == "今年活动主要分五个阶段。"
        _assert_citations_hold(answer)


@pytest.mark.slow
def test_followup_real_model_english(real_service: Any) -> None:
    answer = real_service.ask(
        "what about the third one?", history=["what are the five phases in Zhucheng"]
    )
    assert answer.sentences[0].text == PHASES[2]
    spirit = real_service.ask("and the fourth spirit?", history=["what are the four spirits"])
    assert spirit.sentences[0].text == "“崇尚法治、规范理性”的精神。" and not spirit.items


_PIECES = st.sampled_from(
    [
        "一是",
        "二是",
        "三是",
        "(一)",
        "(二)",
        "第一,",
        "第二,",
        "①",
        "②",
        "1.",
        "2.",
        "首先,",
        "其次,",
        "“一看”就是",
        "、",
        ",",
        "。",
        ";",
        ":",
        "\n",
        "阶段",
        "“",
        "”",
        "五个",
        "“六种意识”",
        "等八种",
        "作风",
        "甲",
        "乙丙",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=60))
def test_find_enumerations_never_fails(pieces: list[str]) -> None:
    text = "".join(pieces)
    doc = Document("h.txt", "", "", "", text, "0", "utf-8", "simplified")
    for enum in find_enumerations(doc):
        assert len(enum.items) >= 2
        for item in enum.items:
            assert 0 <= item.start < item.end <= len(text)
            assert text[item.start : item.end].startswith(item.text.rstrip("…"))


def test_compose_without_documents_or_hits() -> None:
    empty = SearchResult("哪五个阶段", [], ("阶段",), "hybrid", False, 0.0)
    assert not compose_answer(empty, {}).found
    chunk = Chunk(0, "gone.txt", 0, 18, "一是甲阶段。二是乙阶段。三是丙阶段。")
    hit = Hit(chunk, 1.0, 1, 1.0, 0.0, ("阶段",))
    result = SearchResult("有哪些阶段", [hit], ("阶段",), "hybrid", False, 1.0)
    answer = compose_answer(result, {})  # the document is not indexed: no list, no failure
    assert answer.found and answer.items == []
    assert answer.sentences and all(s.citations == (1,) for s in answer.sentences)
    # Asked for three, with no list to show: the closest passages.
    counted = SearchResult("哪三个阶段", [hit], ("阶段",), "hybrid", False, 1.0)
    answer = compose_answer(counted, {})
    assert not answer.found and answer.passages and "3" in answer.notice


@pytest.mark.slow
def test_an_item_named_in_a_series_is_explained_where_the_text_takes_it_up(
    real_service: Any,
) -> None:
    # 大讨论 is one name in “大讨论、大走访、大转变、实干为民”; the speech says what it is later.
    answer = real_service.ask("第一项要做到什么?", history=["常州“三大一实干”活动包括哪几项?"])
    assert answer.found and not answer.items
    assert answer.sentences[0].text == "大讨论"
    assert "明优势、找短板、思举措" in answer.sentences[1].text
    _assert_citations_hold(answer)


def test_a_bare_followup_asks_for_the_full_question(svc: Any) -> None:
    answer = svc.ask("那第三个呢?")
    assert not answer.found and not answer.sentences and not answer.items
    assert "full question" in answer.notice and "完整的问题" in answer.notice


def _doc(text: str) -> Document:
    return Document("d.txt", "标题", "", "", text, "0" * 64, "utf-8", "simplified")


def _one_passage(text: str, doc_id: str, title: str = "") -> tuple[dict[str, Document], Hit]:
    """A document of one passage, and that passage found first."""
    doc = Document(doc_id, title, "", "", text, "0", "utf-8", "simplified")
    return {doc_id: doc}, Hit(Chunk(0, doc_id, 0, len(text), text), 1.0, 1, 1.0, 0.5, ())


def _two_documents(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> tuple[dict[str, Document], list[Hit]]:
    """Two one-passage documents, each given as (doc_id, title, text), found in that order."""
    docs: dict[str, Document] = {}
    hits: list[Hit] = []
    for n, (doc_id, title, text) in enumerate((first, second)):
        docs[doc_id] = Document(doc_id, title, "", "", text, "0", "utf-8", "simplified")
        score = 1.0 - 0.1 * n
        hits.append(Hit(Chunk(n, doc_id, 0, len(text), text), score, n + 1, score, 0.5, ()))
    return docs, hits


def test_a_short_name_is_the_series_it_abbreviates() -> None:
    doc = _doc(
        "会议对全市甲提升年、乙强化年、丙攻坚年(以下简称“三个年”)行动进行部署。\n一、开展“三个年”行动的意义"
    )
    enum = find_definition(doc, "三个年", 3)
    assert enum is not None and [i.text for i in enum.items] == ["甲提升年", "乙强化年", "丙攻坚年"]
    assert all(doc.text[i.start : i.end] == i.text for i in enum.items)
    # The wrong count, or no count at all, finds nothing.
    assert find_definition(doc, "三个年", 4) is None and find_definition(doc, "三个年") is None
    after = _doc("要做到“两个坚持”，即坚持问题导向和坚持目标导向。")
    got = find_definition(after, "两个坚持", 2)
    assert got is not None and [i.text for i in got.items] == ["坚持问题导向", "坚持目标导向"]


def test_the_three_years_are_named_not_the_headings(svc: Any) -> None:
    answer = svc.ask("“三个年”行动是哪三个年")
    assert [normalize(i.text) for i in answer.items] == [
        "解放思想对标对表提升年",
        "干部作风强化年",
        "东融先行示范区建设攻坚年",
    ]
    _assert_citations_hold(answer)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("诸城作风建设年活动分为哪五个阶段", "list"),
        ("那第三个阶段呢", "item"),
        ("常州一共走访了多少户群众家庭?", "quantity"),
        ("How many problems did the group raise?", "quantity"),
        ("动员大会是哪天召开的?", "time"),
        ("When was the meeting held?", "time"),
        # A number in the topic of a time or place question asks for no list.
        ('On what date did the committee approve the three "Three Years" work plans?', "time"),
        ('In which city was the "Three Years" meeting held?', "place"),
        ("泰興市市長是誰?", "person"),
        ("Who chaired the meeting?", "person"),
        ("Which Zhucheng party secretary gave the speech?", "person"),
        ("督导组的副组长叫什么名字?", "person"),  # a post's name
        ("这个活动叫什么名字?", "other"),  # a thing's
        ("What is the name of the city party secretary who gave the speech?", "person"),
        ("What is the name of the campaign?", "other"),
        ("Name the five phases", "list"),
        ("What did the party secretary say about work style?", "other"),  # what was said
        ("会场设在哪里?", "place"),
        ("“三个年”行动是在哪次会议上提出来的?", "other"),  # which meeting, not where
        ("开展活动有什么要求?", "other"),
        # "who" or "when" inside a sentence opens a clause; it does not ask.
        ("Does Zhucheng protect officials who make honest mistakes?", "other"),
    ],
)
def test_answer_kind(question: str, kind: str) -> None:
    assert answer_kind(question) == kind


def test_a_sentence_carries_the_span_asked_for() -> None:
    assert carries("time", "时间为5月下旬-12月底。") and not carries("time", "要抓好落实。")
    assert carries("quantity", "提出的38个问题") and not carries("quantity", "提出了问题")
    assert carries("person", "市委书记费高云作重要讲话", ["书记"])
    # The post asked for, with a name: 副市长 is not 市长, and 书记 names no 市长.
    assert not carries("person", "副市长钱军作交流发言", ["市长"])
    assert not carries("person", "市委书记孙耀灿强调", ["市长"])
    # A surname after its committee (市委谢书记) is a person, but not another committee's.
    assert carries("person", "市委谢书记在第三次党代会报告中强调指出", ["书记"])
    assert carries("person", "市委谢书记强调", ["书记"], given="市委书记是谁")
    assert not carries("person", "市委谢书记强调", ["书记"], given="开发区党工委书记叫什么名字")
    assert not carries("person", "党委副书记讲话", ["书记"])


def test_near_misses_get_the_closest_passages_not_an_answer(svc: Any) -> None:
    # The documents name 泰兴's party secretary and a vice mayor, never its mayor.
    mayor = svc.ask("泰興市市長是誰?")
    assert not mayor.found and mayor.passages and "closest passages" in mayor.notice.lower()
    # 诸城's five phases are not 常州's.
    other = svc.ask("常州“三大一实干”活动分为哪五个阶段?")
    assert not other.found and "常州" in other.notice
    # ... while the same kinds of question the documents answer still get their answer.
    assert svc.ask(FIVE_PHASES).found
    speaker = svc.ask("常州“三大一实干”活动动员会上谁作了重要讲话?")
    assert speaker.found and any("费高云" in s.text for s in speaker.sentences)


def test_kind_spans_find_what_was_asked() -> None:
    text = "时间为5月下旬-12月底，市委书记费高云讲话，共38个问题。"
    assert [text[a:b] for a, b in kind_spans("time", text)][:2] == ["5月", "下旬"]
    assert [text[a:b] for a, b in kind_spans("person", text)] == ["书记费高云"]
    assert [text[a:b] for a, b in kind_spans("quantity", text)] == ["38个"]
    assert kind_spans("other", text) == []


def test_items_that_are_only_names_come_with_what_each_stands_for(svc: Any) -> None:
    # “六访、三清、四帮助”，即走访…；摸清…；切实做到帮助…: the labels alone say nothing.
    answer = svc.ask("干部下基层要做到“六访、三清、四帮助”，是哪些?")
    assert [i.label for i in answer.items] == ["六访", "三清", "四帮助"]
    assert answer.items[0].text.startswith("走访老干部")
    assert answer.items[1].text == "摸清富民思路、摸清群众关注热点、摸清和谐稳定动态"
    _assert_citations_hold(answer)


def test_label_explanations_need_one_clause_per_name() -> None:
    from qa.answer.enumerations import Item
    from qa.answer.lists import label_explanations

    doc = _doc("要做到“一看、二查”，即看思想；查成效。另有“三访、四帮”，即回访群众。")
    first = Enumeration("d.txt", "quoted_series", (Item("一看", 4, 6), Item("二查", 7, 9)))
    assert doc.text[4:6] == "一看" and doc.text[9] == "”"
    spans = label_explanations(doc, first)
    assert spans is not None and [(s.label, s.text) for s in spans] == [
        ("一看", "看思想"),
        ("二查", "查成效"),
    ]
    second = Enumeration("d.txt", "quoted_series", (Item("三访", 23, 25), Item("四帮", 26, 28)))
    assert doc.text[23:25] == "三访" and label_explanations(doc, second) is None  # one clause


@pytest.mark.parametrize(
    ("text", "post", "named"),
    [
        ("市委书记费高云作重要讲话", "书记", True),  # jieba reads 费 高云 apart
        ("桑书记在动员大会上强调", "书记", True),
        ("泰州市委督导组组长刘宁出席", "组长", True),
        ("习近平总书记作出重要批示", "书记", False),  # no name after the post
        ("副市长钱军作交流发言", "市长", False),  # a vice mayor is not the mayor
    ],
)
def test_a_post_comes_with_a_name(text: str, post: str, named: bool) -> None:
    assert _named_after(text, post) is named


@pytest.mark.slow
def test_a_place_s_requirement_comes_from_that_place_s_document(real_service: Any) -> None:
    answer = real_service.ask("泰興市開展黨的群眾路線教育實踐活動有什麼要求")
    assert answer.found and answer.sentences
    docs = {answer.passages[n - 1].chunk.doc_id for s in answer.sentences for n in s.citations}
    assert docs == {"003_c0f4a98959c315b4.txt"}  # 泰兴's report, not 诸城's interview


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("诸城作风建设年活动的主题是什么？", "主题"),
        ("泰興思想再解放要弘揚的主旋律是什麼？", "主旋律"),
        ("整改的衡量标准是什么", "衡量标准"),
        ("泰兴开展教育实践活动有什么要求", ""),
        ("诸城作风建设年活动分为哪五个阶段", ""),
    ],
)
def test_the_thing_a_what_is_question_asks_for(question: str, noun: str) -> None:
    from qa.query.question import asked_attribute

    assert asked_attribute(question) == noun


def test_a_name_in_quotes_is_told_from_a_mention() -> None:
    from qa.answer.score import names_in_quotes

    assert names_in_quotes("突出“实干担当、激情创业”这一主题,引导广大党员干部", "主题")
    assert names_in_quotes("进一步弘扬“全面领先苏中、加快融入苏南”主旋律。", "主旋律")
    assert names_in_quotes("活动的主题是“实干担当”。", "主题")
    assert not names_in_quotes("一定要紧扣这个主题来谋划和部署。", "主题")
    assert not names_in_quotes("开展“作风建设年”活动,一定要紧扣这个主题。", "主题")


def test_what_is_the_theme_answers_with_the_quoted_theme(real_service) -> None:
    # Three sentences of the passages speak of the campaign's 主题; one names it.
    answer = real_service.ask("诸城作风建设年活动的主题是什么？")
    assert answer.found
    text = "".join(s.text for s in answer.sentences)
    assert "实干担当、激情创业" in text
    for s in answer.sentences:
        assert all(s.text in answer.passages[n - 1].chunk.text for n in s.citations)


def test_an_interviewers_question_answers_only_a_span_question_it_carries() -> None:
    question = "问:4月24日,市委以视频形式召开了动员大会,反响如何?"
    text = f"{question}答:大家都很振奋。动员大会开得很成功。"
    chunk = Chunk(0, "i.txt", 0, len(text), text)
    hit = Hit(chunk=chunk, score=1.0, rank=1, keyword_score=1.0, dense_score=0.5, terms=())
    terms = ("动员大会", "召开", "形式")
    when = pick_sentences([hit], terms, require=lambda s: carries("time", s))
    assert [s.text for s in when] == [question]
    # A question about no span: the interview's question is never the answer.
    what = pick_sentences([hit], terms)
    assert what and all(not s.text.startswith("问") for s in what)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("从桑福岭书记动员讲话和活动实施方案来看", True),  # the whole name before the post
        ("市委书记费高云作重要讲话", True),
        ("桑书记强调", True),
        ("要求各级书记带头", False),
        ("党委书记要负总责", False),
    ],
)
def test_a_person_is_named_before_or_after_the_post(text: str, named: bool) -> None:
    assert carries("person", text, ["书记"]) is named


def test_a_followups_own_words_weigh_as_quoted_ones() -> None:
    text = (
        "比如健全干部激励关爱机制,就是加强干部激励关爱,落实容错纠错尽职免责办法。"
        "比如健全宣传引导机制,就是坚持典型引路,及时总结交流经验做法。"
    )
    chunk = Chunk(0, "m.txt", 0, len(text), text)
    hit = Hit(chunk=chunk, score=1.0, rank=1, keyword_score=1.0, dense_score=0.5, terms=())
    # The topic's words ("诸城的干部激励关爱机制是怎么做的?" and its search) and the follow-up's.
    terms = ("诸城", "干部激励关爱机制", "容错纠错", "尽职免责", "宣传引导机制")
    plain = pick_sentences([hit], terms, max_sentences=1)
    assert "干部激励关爱" in plain[0].text  # the topic's subject wins on its many words
    moved = pick_sentences([hit], terms, max_sentences=1, focus="那宣传引导机制呢?")
    assert "坚持典型引路" in moved[0].text


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("泰兴教育实践活动整改推进会是谁主持的?", "主持"),
        ("泰兴的推进会由谁主持", "主持"),
        ("诸城动员大会是什么时候召开的", "召开"),
        ("常州活动何时启动", "启动"),
        ("诸城的市委书记是谁", ""),  # a post, no verb
        ("谁在推进会上作了交流发言", ""),  # a place before the verb: not guessed
        ("诸城作风建设年活动分为哪五个阶段", ""),
        ("开发区主营业务收入比上年增长了多少亿元?", "增长"),
        ("常州一共走访了多少户群众家庭?", "走访"),
        ("诸城有多少个镇街", ""),
    ],
)
def test_asked_verb(question: str, verb: str) -> None:
    assert asked_verb(question) == verb


def test_a_who_question_is_answered_by_the_sentence_with_its_verb() -> None:
    text = (
        "全市整改推进会召开。(记者 张伦)市委于9月10日召开全市教育实践活动整改推进会,"
        "市委书记孙耀灿强调,要把整改推进到底。市委副书记孙云主持大会。"
    )
    docs, hit = _one_passage(text, "t.txt", "推进会")
    result = SearchResult(
        "整改推进会是谁主持的?", [hit], ("整改", "推进", "主持"), "hybrid", False, 0.5
    )
    answer = compose_answer(result, docs)
    assert answer.found and [s.text for s in answer.sentences] == ["市委副书记孙云主持大会。"]


@pytest.mark.parametrize(
    ("question", "grain"),
    [
        ("推进会是哪一年召开的?", "year"),
        ("In what year will the zone be built?", "year"),
        ("动员大会是哪天召开的?", "day"),
        ("推进会是几月几日召开的?", "day"),
        ("On what date were the plans approved?", "day"),
        ("常州活动什么时候结束?", ""),
        ("When was the meeting held?", ""),
    ],
)
def test_asked_time_grain(question: str, grain: str) -> None:
    assert asked_time_grain(question) == grain


def test_a_year_or_a_day_is_asked_for_exactly() -> None:
    assert carries("time", "市委于9月10日召开推进会。")
    assert not carries("time", "市委于9月10日召开推进会。", grain="year")
    assert carries("time", "2017年4月24日召开动员大会。", grain="year")
    assert carries("time", "市委于9月10日召开推进会。", grain="day")
    assert not carries("time", "昨天下午市委常委会审议通过。", grain="day")
    assert not carries("time", "去年底召开的全会。", grain="day")


def test_which_one_asks_for_one_thing_not_a_list() -> None:
    assert list_request("推进会是哪一年召开的?") is None
    assert answer_kind("推进会是哪一年召开的?") == "time"
    assert list_request("由哪一位领导主持?") is None
    assert list_request("分为哪五个阶段")


def test_an_item_beyond_the_list_is_not_answered() -> None:
    from qa.answer.compose import _no_such_item
    from qa.answer.enumerations import Item

    three = "常州大走访活动要求“摸实情、寻实策、办实事”,第四项要求是什么?"
    assert _no_such_item(three, list_request(three), None, 4, followup=False)
    assert not _no_such_item(three, list_request(three), None, 3, followup=False)
    six = "泰兴六项行动中的第六项行动是什么?"
    five = Enumeration("t.txt", "series", tuple(Item(f"行动{i}", i, i + 1) for i in range(5)))
    assert _no_such_item(six, list_request(six), five, 6, followup=False)
    # A list of the count asked for answers; a follow-up's count is its topic's, not checked.
    phases = "诸城五个阶段中的第三个阶段是什么?"
    assert not _no_such_item(phases, list_request(phases), five, 3, followup=False)
    assert not _no_such_item(six, list_request(six), five, 6, followup=True)


def test_the_fourth_of_three_gets_closest_passages(svc: Any) -> None:
    from qa.answer.result import NOTICE_NO_ITEM

    answer = svc.ask("常州大走访活动要求“摸实情、寻实策、办实事”,第四项要求是什么?")
    assert not answer.found and not answer.items and not answer.sentences
    assert answer.notice == NOTICE_NO_ITEM and answer.passages


def test_a_count_no_list_near_the_passages_has_gets_closest_passages(svc: Any) -> None:
    from qa.answer.result import NOTICE_NO_LIST

    answer = svc.ask("开发区讲话中干部“十要十戒”的“十戒”具体是哪十条?")
    assert not answer.found and not answer.items and answer.passages
    assert answer.notice == NOTICE_NO_LIST.format(count=10)
    five = svc.ask(FIVE_PHASES)  # a list of the count asked for is the answer
    assert five.found and len(five.items) == 5


def test_a_deputy_post_is_asked_for_with_its_deputy() -> None:
    from qa.answer.spans import asked_posts

    assert asked_posts("泰州市委督导组的副组长叫什么名字?") == ["副组长"]
    assert asked_posts("诸城市委书记是谁") == ["书记"]
    # An English question's posts come from its translations, a Chinese one's from itself.
    assert asked_posts("who is the city party secretary?", ("市委书记", "城市")) == ["书记"]
    assert asked_posts("诸城的干部是谁", ("同志", "干部")) == []
    # 组长刘宁 is not the deputy asked for; 副书记孙云 is one.
    assert not carries("person", "泰州市委督导组组长刘宁出席会议。", ["副组长"])
    assert carries("person", "市委副书记孙云主持大会。", ["副书记"])


def test_a_quantity_is_counted_in_the_unit_asked() -> None:
    from qa.query.question import asked_unit, counts_in

    assert asked_unit("六和电子黄总一共招募了多少名下岗职工?") == "名"
    assert asked_unit("哪几个阶段") == ""  # which ones, not how many
    assert counts_in("共走访1.5万户", "户") and counts_in("提出38个问题", "个")
    # "40、50人员" counts people by age, not 名.
    assert not counts_in("优先考虑下岗职工中的40、50人员", "名")


def test_a_reporter_is_a_post() -> None:
    # "哪位记者写的": the byline "(记者 张伦)" names one; "记者就有关问题采访了…" names nobody.
    assert carries("person", "(记者 张伦)在全市教育实践活动进入整改落实的关键时期", ["记者"])
    assert not carries("person", "记者就有关问题采访了市活动领导小组办公室有关负责人。", ["记者"])


def test_a_when_question_whose_verb_no_passage_says_gets_closest_passages() -> None:
    text = "3月1日上午,常州市以电视电话会议的形式,对开展活动进行动员部署,活动正式启动。"
    docs, hit = _one_passage(text, "c.txt", "常州")
    terms = ("常州", "活动")
    ended = SearchResult("常州活动什么时候结束?", [hit], terms, "hybrid", False, 0.5)
    assert not compose_answer(ended, docs).found  # nothing says it ended
    # 召开 only says that it took place: the date of the meeting answers it.
    held = SearchResult("常州动员会是哪天召开的?", [hit], terms, "hybrid", False, 0.5)
    assert compose_answer(held, docs).found
    started = SearchResult("常州活动何时启动?", [hit], terms, "hybrid", False, 0.5)
    assert compose_answer(started, docs).found


def test_an_event_the_passages_never_date_gets_closest_passages() -> None:
    from qa.query.question import asked_subject

    assert asked_subject("开发区讲话中提到的市第三次党代会是什么时候召开的?") == "党代会"
    assert asked_subject("诸城作风建设年活动的总结考核、深化提高阶段安排在什么时间?") == "阶段"
    text = "市委谢书记在第三次党代会报告中强调指出,人民幸福是根本。9月10日市委召开推进会。"
    docs, hit = _one_passage(text, "k.txt", "开发区")
    terms = ("党代会", "召开")
    result = SearchResult("第三次党代会是什么时候召开的?", [hit], terms, "hybrid", False, 0.5)
    assert not compose_answer(result, docs).found  # the 推进会's date is no answer
    dated = SearchResult("推进会是什么时候召开的?", [hit], ("推进会",), "hybrid", False, 0.5)
    assert compose_answer(dated, docs).found


def test_a_year_the_quoted_passages_do_not_say_gets_closest_passages() -> None:
    from qa.answer.result import NOTICE_OTHER_YEAR

    text = "问:4月24日,诸城市委以视频形式召开了全市开展活动动员大会。答:活动分五个阶段。"
    docs, hit = _one_passage(text, "z.txt", "诸城")
    terms = ("诸城", "动员大会", "召开")
    asked = SearchResult("诸城2018年的动员大会是哪天召开的?", [hit], terms, "hybrid", False, 0.5)
    answer = compose_answer(asked, docs)
    assert not answer.found and answer.notice == NOTICE_OTHER_YEAR.format(years="2018")
    plain = SearchResult("诸城的动员大会是哪天召开的?", [hit], terms, "hybrid", False, 0.5)
    assert compose_answer(plain, docs).found


def test_a_venue_no_passage_names_gets_closest_passages() -> None:
    from qa.answer.result import NOTICE_NO_PLACE
    from qa.query.question import asked_place_noun

    assert asked_place_noun("诸城动员大会的主会场设在哪里?") == "会场"
    assert asked_place_noun("泰興動員會是在哪個會場召開的?") == "会场"
    assert asked_place_noun("会议在哪里召开") == ""  # any place will do
    text = "动员会采取视频形式,一直开到社区。主会场设在市委礼堂。"
    doc = Document("v.txt", "诸城", "", "", text, "0", "utf-8", "simplified")
    hit = Hit(Chunk(0, "v.txt", 0, 16, text[:16]), 1.0, 1, 1.0, 0.5, ())
    terms = ("动员会", "会场")
    result = SearchResult("动员会的主会场设在哪里?", [hit], terms, "hybrid", False, 0.5)
    answer = compose_answer(result, {"v.txt": doc})
    assert not answer.found and answer.notice == NOTICE_NO_PLACE
    named = Hit(Chunk(0, "v.txt", 0, len(text), text), 1.0, 1, 1.0, 0.5, ())
    result = SearchResult("动员会的主会场设在哪里?", [named], terms, "hybrid", False, 0.5)
    assert compose_answer(result, {"v.txt": doc}).found


def test_a_number_the_question_gives_is_no_answer() -> None:
    from qa.answer.spans import tells_a_new_number

    asked = "泰州督导组提出的38个问题中,已经整改完成了多少个?"
    assert not tells_a_new_number("重点围绕前期督导组提出的38个问题进行督导。", asked)
    assert tells_a_new_number("已整改完成25个问题。", asked)


def test_a_who_question_about_a_quoted_campaign_is_answered_from_its_document() -> None:
    other = "市委常委、经济开发区党工委书记孙群作交流发言。"
    own = "开展“三同四民”主题实践活动是市委的重要部署。"
    docs, hits = _two_documents(("t.txt", "泰兴", other), ("k.txt", "开发区", own))
    asked = "在“三同四民”主题实践会上讲话的开发区党工委书记叫什么名字?"
    result = SearchResult(asked, hits, ("三同四民", "党工委", "书记"), "hybrid", False, 0.5)
    answer = compose_answer(result, docs)
    assert not answer.found and "三同四民" in answer.notice  # 孙群 is 泰兴's, not its speaker


def test_a_quoted_set_is_answered_only_by_a_list_said_to_be_it() -> None:
    from qa.answer.lists import names_the_set, short_names

    assert short_names("三個年行動中的「六大攻堅行動」是哪六個？") == ["六大攻坚行动"]
    assert short_names('What are the five criteria of a "Five Goods" (五个好) organization?') == [
        "五个好"
    ]
    text = (
        "开展交通联通、产业振兴、营商环境“六大攻坚行动”。二要明确主要任务。要改善环境,筹措资金。"
        "要发展经济,增加收入。要加强基层党组织建设,激发党支部创建“五个好”先进基层党组织。"
    )
    doc = Document("s.txt", "", "", "", text, "0", "utf-8", "simplified")
    found = {e.kind: e for e in find_enumerations(doc)}
    assert names_the_set(doc, found["series"], "六大攻坚行动")  # the label right after it
    # Named a clause later, not as what the list is.
    assert not names_the_set(doc, found["anaphora"], "五个好")


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("诸城作风建设年活动分为哪五个阶段", "阶段"),
        ("“三加一工程”促“美好和谐”活动在具体要求上强调了哪几点?", "具体要求"),
        ("在思想上有哪些要求", "要求"),  # what 哪些 counts comes first
        ("开发区“美好和谐”活动的主要任务有哪几项?", "主要任务"),
    ],
)
def test_what_a_list_question_counts(question: str, noun: str) -> None:
    request = list_request(question)
    assert request is not None and request.noun == noun


def test_one_name_of_a_named_series_is_explained(svc: Any) -> None:
    answer = svc.ask("开发区干部要做到的“三清”指的是什么?")
    assert answer.found and len(answer.items) == 1
    item = answer.items[0]
    assert item.label == "三清" and "摸清富民思路" in item.text and "摸清和谐稳定动态" in item.text
    _assert_citations_hold(answer)


def test_clauses_that_open_with_the_asked_word_are_the_list_asked_for() -> None:
    from qa.answer.lists import _opens_with_asked

    text = "要坚持带头示范,严格要求自己,带头制定整改方案,带头落实整改措施,带头执行规章制度。"
    doc = Document("d.txt", "", "", "", text, "0", "utf-8", "simplified")
    run = next(e for e in find_enumerations(doc) if e.kind == "anaphora")
    assert run.context == text  # the sentence they stand in, for matching the question
    assert _opens_with_asked(run, "泰兴要求一把手坚持带头示范,要带头做哪些事?")
    assert not _opens_with_asked(run, "泰兴要求一把手做哪些事?")


def test_clauses_opening_with_the_quoted_word_are_the_items(svc: Any) -> None:
    answer = svc.ask("常州的大走访活动提了哪几个“更要”?")
    assert [normalize(i.text) for i in answer.items] == [
        "更要心到情到",
        "更要精准聚焦",
        "更要解决问题",
        "更要常态长效",
    ]  # not "既到群众家中…,更要与群众交心交友", the second half of a 既…更要 pair
    _assert_citations_hold(answer)


def test_a_which_one_question_is_answered_by_a_sentence_naming_one() -> None:
    from qa.query.question import asked_which

    assert asked_which("“三个年”行动是在哪次会议上提出来的?") == ("会议", "提出")
    text = (
        "这次会议主要任务是对“三个年”行动进行动员部署。"
        "去年底,市委五届六次全会暨经济工作会议明确提出,今年要开展“三个年”行动。"
    )
    docs, hit = _one_passage(text, "y.txt")
    terms = ("三个年", "行动", "会议", "提出")
    result = SearchResult("“三个年”行动是在哪次会议上提出来的?", [hit], terms, "hybrid", False, 0.5)
    answer = compose_answer(result, docs)
    assert answer.found and "五届六次全会" in answer.sentences[0].text


def test_a_which_people_question_lists_the_named_clauses() -> None:
    from qa.answer.lists import person_clauses

    assert list_request("泰興推進會上有哪幾位作了交流發言?").people
    text = (
        "市委常委、经济开发区党工委书记孙群,副市长、虹桥工业园区党工委书记钱军,"
        "市发改委主任焦国庆,古溪镇党委书记洪飞分别作交流发言。"
    )
    _, hit = _one_passage(text, "p.txt")
    people = person_clauses([hit])
    assert people is not None and len(people.items) == 4
    assert normalize(people.items[2].text) == "市发改委主任焦国庆"


def test_a_list_introduced_as_what_is_counted_outranks_one_sharing_words() -> None:
    from qa.answer.lists import pick_list

    # The passage holds a numbered list full of the question's words; the list its speaker
    # introduces as the 主要任务 lies further on, outside the passage.
    reasons = "".join(
        f"({n})开展“甲乙工程”促“美好和谐”活动,是{r}。"
        for n, r in zip("一二三四", ["必然要求", "迫切需要", "主要途径", "重要举措"], strict=True)
    )
    tasks = (
        "二要明确主要任务。要改善生活环境,筹措资金。要帮助发展经济,送政策。"
        "要化解社会矛盾,逐一化解。"
    )
    text = reasons + "\n" + "据了解,企业也捐了款。" * 8 + "\n" + tasks
    doc = Document("k.txt", "讲话", "", "", text, "0", "utf-8", "simplified")
    passage = Hit(Chunk(0, "k.txt", 0, len(reasons), reasons), 1.0, 1, 1.0, 0.5, ())
    question = "开发区“美好和谐”活动的主要任务有哪几项?"
    request = list_request(question)
    assert request is not None
    terms = ("美好和谐", "活动", "主要", "任务")
    enum = pick_list([passage], {"k.txt": doc}, terms, request, question)
    assert enum is not None and enum.lead.startswith("二要明确主要任务")
    assert [normalize(i.text)[:5] for i in enum.items] == ["要改善生活", "要帮助发展", "要化解社会"]
    # Below another document's passage the rule does not apply (a common noun, 活动, introduces
    # lists in every speech): the words shared decide, as before.
    other = Document("o.txt", "新闻", "", "", "会议召开。", "0", "utf-8", "simplified")
    top = Hit(Chunk(0, "o.txt", 0, 5, "会议召开。"), 1.0, 1, 1.0, 0.5, ())
    second = Hit(Chunk(0, "k.txt", 0, len(reasons), reasons), 0.9, 2, 0.9, 0.5, ())
    docs = {"k.txt": doc, "o.txt": other}
    enum = pick_list([top, second], docs, terms, request, question)
    assert enum is not None and enum.items[0].text.startswith("(一)")


def test_a_reports_points_are_the_speakers_sentences_that_say_what_must_be_done() -> None:
    text = (
        "会议召开。孙耀灿说,活动是一项任务。"
        " 孙耀灿强调,要坚持高点定位,对标找差增动力。思想再解放,要围绕主旋律。"
        " 孙耀灿指出,要突出问题导向,改革创新添活力。要在思想解放中认清形势。"
        " 孙耀灿强调,要强化组织保障,转变作风强能力。市委书记王五强调,要抓好落实。"
    )
    doc = _doc(text)
    points = [e for e in find_enumerations(doc) if e.kind == "points"]
    assert len(points) == 1  # 孙耀灿说 says no 要, and 王五 makes one point, not a list
    assert _texts(points[0]) == ["要坚持高点定位", "要突出问题导向", "要强化组织保障"]
    _check_spans(doc, points[0])
    # Two such sentences are not yet a list.
    two = _doc("张三强调,要甲。乙。张三指出,要丙。")
    assert not [e for e in find_enumerations(two) if e.kind == "points"]


def test_the_points_a_speaker_stressed_and_the_third_of_them(svc: Any) -> None:
    answer = svc.ask("孙耀灿在推进会上就思想再解放强调了哪几点?")
    assert [normalize(i.text) for i in answer.items] == [
        "要坚持高点定位",
        "要突出问题导向",
        "要强化组织保障",
    ]
    _assert_citations_hold(answer)
    third = svc.ask("第三点呢?", history=("孙耀灿在推进会上就思想再解放强调了哪几点?",))
    shown = normalize(" ".join(s.text for s in [*third.items, *third.sentences]))
    assert "强化组织保障" in shown and "激情干事、务实创业" in shown


def test_one_item_is_quoted_with_what_elaborates_it_up_to_five_sentences() -> None:
    from qa.answer.lists import ITEM_SENTENCES, item_details

    text = (
        "第一,这是甲。说一。\n第二,这是乙。说二。\n"
        "第三,这是丙。一句。二句。三句。以此解决。多余。"
    )
    doc = _doc(text)
    enum = next(e for e in find_enumerations(doc) if e.kind == "di")
    second = [s.text for s in item_details(doc, enum, 2)]
    assert second[-1] == "说二。"  # up to the next item
    third = [s.text for s in item_details(doc, enum, 3)]
    assert len(third) == ITEM_SENTENCES == 5 and third[-1] == "以此解决。"


def test_who_did_the_post_act_on_asks_for_someone_else() -> None:
    from qa.answer.spans import asked_posts, kind_spans

    # The reporter interviewed the person asked for: 记者 is not the post of the answer.
    assert asked_posts("Who did the reporter interview about the campaign?", ("记者",)) == []
    assert asked_posts("Who is the reporter?", ("记者",)) == ["记者"]
    text = "记者就有关问题采访了市活动领导小组办公室有关负责人。"
    assert carries("person", text)
    # An office's unnamed official is the person the sentence names, and is highlighted.
    assert any(text[s:e].endswith("有关负责人") for s, e in kind_spans("person", text))


def test_an_item_asked_for_comes_from_the_best_passages_list() -> None:
    from qa.answer.lists import pick_list
    from qa.query.question import ListRequest

    mine = "活动要带头做到大讨论、大走访、大转变。"
    other = "活动要求做到:一是要带头示范。二是要以身作则、做到活动带头。三是要活动落实。"
    docs, hits = _two_documents(("a.txt", "甲", mine), ("b.txt", "乙", other))
    terms = ("活动", "做到", "带头")
    asked = ListRequest(ordinal=2)
    enum = pick_list(hits, docs, terms, asked, "What is the second one supposed to achieve?")
    assert enum is not None and enum.doc_id == "a.txt"
    assert normalize(enum.items[1].text) == "大走访"
    # Without an ordinal, the other document's list wins only by matching twice as well
    # (Lists.other_document_factor): the best passage's list is kept, and found first, the
    # other is taken.
    enum = pick_list(hits, docs, terms, ListRequest(), "活动要做到哪些?")
    assert enum is not None and enum.doc_id == "a.txt"
    enum = pick_list(hits[::-1], docs, terms, ListRequest(), "活动要做到哪些?")
    assert enum is not None and enum.doc_id == "b.txt"


def test_an_english_count_takes_the_list_announced_with_it() -> None:
    from qa.answer.lists import pick_list

    text = (
        "要在思想解放中统一思想。要在思想解放中提高站位。要在思想解放中高点定位。"
        "要在思想解放中狠抓落实。\n"
        "重点聚焦四个层面查找问题,即:对标中央的要求,是否敢想;对标省里的要求,是否敢干;"
        "对标湾区的理念,是否敢学;对标先进的做法,是否敢比。"
    )
    docs, hit = _one_passage(text, "f.txt")
    question = "What four levels does the emancipate-the-mind year compare against?"
    request = list_request(question)
    assert request is not None and request.count == 4
    enum = pick_list([hit], docs, ("思想", "解放", "对标"), request, question)
    assert enum is not None and enum.lead.startswith("重点聚焦四个层面")
    # Asked in Chinese, the noun decides as before (层次 names neither list).
    cn = "解放思想要对照哪四个层次?"
    cn_request = list_request(cn)
    assert cn_request is not None
    enum = pick_list([hit], docs, ("思想", "解放", "对标"), cn_request, cn)
    assert enum is not None and not enum.lead.startswith("重点聚焦四个层面")


def test_an_item_is_taken_from_the_list_whose_items_say_the_quoted_word() -> None:
    from qa.answer.lists import pick_list
    from qa.query.question import ListRequest

    text = (
        "要统筹兼顾、科学安排时间、细化活动内容。\n"
        "一要明确具体要求。要注重解决问题。\n二要明确主要任务。要改善生活环境。\n"
        "三要明确基本方法。要深入基层。"
    )
    docs, hit = _one_passage(text, "m.txt")
    terms, asked = ("明确", "内容", "安排"), "第二个具体包括哪些内容?"
    enum = pick_list([hit], docs, terms, ListRequest(ordinal=2, mark="明确"), asked)
    assert enum is not None and normalize(enum.items[1].text).startswith("二要明确主要任务")
    # A one-character mark (“再”) is in too many lists' items to choose one.
    enum = pick_list([hit], docs, terms, ListRequest(ordinal=2, mark="要"), asked)
    assert enum is None or not normalize(enum.items[1].text).startswith("二要明确")


def test_a_list_of_the_best_passage_s_document_outweighs_another_s() -> None:
    from qa.answer.lists import pick_list

    mine = "要严格遵守纪律,不准请假、不准溜岗、不准吃喝、不准收礼、不准扰民。"
    other = "活动分五个阶段。一是宣传阶段。二是对标阶段。三是整改阶段。四是观摩阶段。五是考核阶段。"
    docs, hits = _two_documents(("a.txt", "甲", mine), ("b.txt", "乙", other))
    question = "What five things are officials forbidden to do?"
    request = list_request(question)
    assert request is not None and request.count == 5
    terms = ("不准", "五个")
    enum = pick_list(hits, docs, terms, request, question)
    assert enum is not None and enum.doc_id == "a.txt"
    # Found first, the other document's list is the answer.
    enum = pick_list(hits[::-1], docs, terms, request, question)
    assert enum is not None and enum.doc_id == "b.txt"


def test_an_unquoted_count_names_the_series_before_it_for_that_count_only() -> None:
    from qa.answer.lists import pick_list
    from qa.query.question import ListRequest

    text = "要突出改革创新，重点实施简政放权、项目建设和软环境建设三方面的攻坚行动，努力破解难题。"
    docs, hits = _two_documents(("a.txt", "甲", text), ("b.txt", "乙", "别的事。"))
    counted = [e for e in find_enumerations(docs["a.txt"]) if e.kind == "counted"]
    assert len(counted) == 1 and counted[0].label == "三方面"
    assert [i.text for i in counted[0].items] == ["重点实施简政放权", "项目建设", "软环境建设"]
    terms = ("改革", "重点", "方面")
    enum = pick_list(hits, docs, terms, ListRequest(count=3), "改革重点在哪三个方面?")
    assert enum is not None and enum.kind == "counted"
    # Asked for the third of something else, or for two things, it is no list.
    assert pick_list(hits, docs, terms, ListRequest(ordinal=3), "第三个行动是什么?") is None
    assert pick_list(hits, docs, terms, ListRequest(count=2), "改革重点在哪两个方面?") is None
    # Without 和 before its last item, a 、-run before a count is a sentence's, not named.
    plain = _doc("抓好甲乙、丙丁、戊己三个方面。")
    assert not [e for e in find_enumerations(plain) if e.kind == "counted"]
