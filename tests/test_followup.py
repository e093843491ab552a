"""Follow-up questions: which are elliptical, and what is searched for them."""

from __future__ import annotations

import pytest

from qa.query.followup import analyze_followup, content_words, is_elliptical
from tests.conftest import FIVE_PHASES

SPIRITS = "四种精神是什么"
CAMPAIGN = "“三大一实干”活动是什么"
EN_PHASES = "what are the five phases in Zhucheng"
EN_SPIRITS = "what are the four spirits"


@pytest.mark.parametrize(
    "question",
    [
        "那第三个阶段呢?",
        "第四种精神呢",
        "第三个阶段",
        "它是什么时候开始的",
        "这个活动由谁负责？",
        "那么具体怎么做",
        "还有呢",
        "and the fourth spirit?",
        "what about the third one?",
        "How about Changzhou?",
        "when did it start?",
        "the third one",
    ],
)
def test_elliptical(question: str) -> None:
    assert is_elliptical(question)


@pytest.mark.parametrize(
    "question",
    [
        FIVE_PHASES,
        SPIRITS,
        "泰州市委督导组组长是谁？",
        "诸城第十四次党代会之后要深入推进什么建设？",
        "其他地方也开展作风建设年活动吗",  # 其他 is not the pronoun 其
        "what are the five phases in Zhucheng",
        "who is the head of the Taizhou inspection team",
        "",
    ],
)
def test_self_contained(question: str) -> None:
    assert not is_elliptical(question)


def test_content_words_drop_traditional_fillers_too() -> None:
    words = content_words("第三位是什麼職務?")
    assert "什" not in words and "职务" in words


def test_content_words() -> None:
    assert content_words(FIVE_PHASES).replace(" ", "") == "诸城作风建设年活动分为五个阶段"
    assert content_words("请问“四种精神”是什么？") == "四种精神"
    assert content_words(EN_PHASES) == "five phases in Zhucheng"


def test_ordinal_followup_keeps_the_topic() -> None:
    query = analyze_followup("那第三个阶段呢?", [FIVE_PHASES]).query
    assert query.startswith("诸城作风建设年活动")
    assert query.count("阶段") == 1 and "哪" not in query and "呢" not in query
    info = analyze_followup("那第三个阶段呢?", [FIVE_PHASES])
    assert info.is_followup and info.topic == FIVE_PHASES
    assert info.ordinal == 3
    assert info.request is not None and info.request.count == 5 and info.request.ordinal == 3


def test_an_ordinal_that_counts_the_topic_s_things_continues_it() -> None:
    # Long enough to be searched alone, but which 四种精神, which 几点, only the topic says.
    info = analyze_followup("第二种精神具体是什么意思?", ["诸城要弘扬的“四种精神”是哪几种?"])
    assert info.is_followup and info.ordinal == 2 and "四种精神" in info.query
    info = analyze_followup("第二点要汇聚什么正能量?", ["孙耀灿就思想再解放强调了哪几点?"])
    assert info.is_followup and "孙耀灿" in info.query
    # The ordinal counts something the topic did not ask for: a question of its own.
    info = analyze_followup("第二个阶段的时间是什么时候", ["常州的大走访活动要做到哪三点"])
    assert not info.is_followup and info.query == "第二个阶段的时间是什么时候"


def test_an_ordinal_follow_up_is_no_topic_for_the_next() -> None:
    spirits = "诸城要弘扬的“四种精神”是哪几种?"
    info = analyze_followup("那第三种呢?", [spirits, "第二种精神具体是什么意思?"])
    assert info.topic == spirits and info.ordinal == 3 and "四种精神" in info.query


def test_an_ordinal_follow_up_keeps_the_topic_s_quoted_mark() -> None:
    info = analyze_followup("第三条具体要求怎么做?", ["常州的大走访活动提了哪几个“更要”?"])
    assert info.request is not None and info.request.ordinal == 3 and info.request.mark == "更要"


def test_a_follow_up_naming_a_thing_of_its_own_leaves_the_topic_s_list() -> None:
    topic = "泰兴要求“一把手”坚持带头示范,要带头做哪些事?"
    info = analyze_followup("那扎紧制度笼子呢?", [topic])
    assert info.is_followup and info.request is None and info.kind == "other"
    # A place only: the same list, elsewhere.
    info = analyze_followup("那常州呢?", ["诸城作风建设年活动分为哪五个阶段"])
    assert info.request is not None and info.request.count == 5 and info.kind == "list"


def test_chinese_followups() -> None:
    assert analyze_followup("第四种精神呢", [SPIRITS]).query.startswith("四种精神")
    assert analyze_followup("它是什么时候开始的", [CAMPAIGN]).query.startswith("三大一实干 活动")
    assert analyze_followup("它是什么时候开始的", [CAMPAIGN]).query == "三大一实干 活动 开始的"


def test_english_followups() -> None:
    query = analyze_followup("and the fourth spirit?", [EN_SPIRITS]).query
    assert query == "four spirits"  # "spirit" again would only look like an unmatched word
    info = analyze_followup("what about the third one?", [EN_PHASES])
    assert info.query.startswith("five phases in Zhucheng")
    assert info.ordinal == 3 and info.request is not None and info.request.count == 5


def test_topic_is_the_last_self_contained_question() -> None:
    history = [FIVE_PHASES, SPIRITS, "第二种呢"]
    info = analyze_followup("第三种呢", history)
    assert info.topic == SPIRITS
    assert info.ordinal == 3
    assert "四种精神" in info.query and "第二" not in info.query


@pytest.mark.parametrize(
    ("question", "history"),
    [
        ("泰州市委督导组组长是谁？", [FIVE_PHASES]),  # self-contained
        ("那第三个阶段呢?", []),  # nothing to continue
        ("那第三个阶段呢?", ["第二个呢"]),  # no self-contained question in the history
        ("who leads the inspection team in Taizhou", [EN_PHASES]),
    ],
)
def test_left_alone(question: str, history: list[str]) -> None:
    assert analyze_followup(question, history).query == question
    assert not analyze_followup(question, history).is_followup


def test_non_list_followup_has_no_request() -> None:
    info = analyze_followup("它是什么时候开始的", [CAMPAIGN])
    assert info.is_followup and info.ordinal is None and info.request is None
    after_list = analyze_followup("它是什么时候提出的", [SPIRITS])
    assert after_list.is_followup and after_list.request is None


def test_followup_inherits_or_asks_its_own_list() -> None:
    same = analyze_followup("那常州呢?", [FIVE_PHASES])
    assert same.request is not None and same.request.count == 5
    own = analyze_followup("那它有哪些要求呢", [CAMPAIGN])
    assert own.request is not None and own.request.count is None


@pytest.mark.parametrize(
    "question",
    ["那第三个呢?", "and the second one?", "那個階段具體做什麼?"],
)
def test_a_bare_followup_with_no_conversation_needs_context(question: str) -> None:
    assert analyze_followup(question, []).needs_context


@pytest.mark.parametrize(
    "question",
    [
        "那篇讲话要求这次行动别搞哪些花架子？",
        "诸城作风建设年活动分为哪五个阶段",
        "What are the five phases?",
    ],
)
def test_a_question_with_its_own_topic_does_not(question: str) -> None:
    assert not analyze_followup(question, []).needs_context


def test_a_followup_naming_another_place_drops_the_topic_s_place() -> None:
    f = analyze_followup("那常州的呢?", ["泰兴的市委书记是谁?"])
    assert f.is_followup and "常州" in f.query and "泰兴" not in f.query and "市委书记" in f.query
    same = analyze_followup("那第三个阶段呢?", [FIVE_PHASES])
    assert "诸城" in same.query


def test_the_last_one_is_the_last_item() -> None:
    from qa.query.question import LAST

    f = analyze_followup("最后一种呢?", ["诸城要强化的“六种意识”是哪些?"])
    assert f.ordinal == LAST and f.request is not None and f.request.ordinal == LAST
    assert "最后" not in f.query


def test_the_last_one_of_the_topic_s_classifier_asks_for_its_last_item() -> None:
    from qa.query.question import LAST

    # "最后一个又是什么意思?" says enough to stand alone, but its 个 counts the topic's 几个.
    topic = "讲话的第二部分提出了哪几个“明确”?"
    f = analyze_followup("最后一个又是什么意思?", [topic, "第二个明确具体包括哪些内容?"])
    assert f.is_followup and f.topic == topic and f.ordinal == LAST
    assert f.request is not None and f.request.mark == "明确"
    # A topic that counts nothing in 个 leaves it a question of its own.
    assert not analyze_followup("最后一个又是什么意思?", ["诸城的市委书记是谁?"]).is_followup


def test_a_followup_that_asks_nothing_of_its_own_asks_for_what_its_topic_asked() -> None:
    assert analyze_followup("诸城的呢?", ["泰兴的市委书记是谁?"]).kind == "person"
    assert analyze_followup("那诸城的动员大会呢?", ["常州的动员会是哪天召开的?"]).kind == "time"
    # Its own question decides: a way, not the person of the topic.
    own = analyze_followup("那大转变活动要建立什么样的工作机制?", ["常州的活动是谁作讲话?"])
    assert own.kind == "other"
    assert analyze_followup("泰兴的市委书记是谁?").kind == ""


def test_the_inherited_kind_picks_the_sentence_with_the_time(real_service) -> None:
    answer = real_service.ask(
        "那诸城的作风建设年动员大会呢?", history=["常州“三大一实干”活动动员会是哪天召开的?"]
    )
    assert answer.found and answer.kind == "time"
    assert any("4月24日" in s.text for s in answer.sentences)


def test_an_ordinal_that_names_no_list_continues_the_conversation() -> None:
    topic = "常州“三大一实干”活动包括哪几项?"
    history = [topic, "第一项要做到什么?"]
    assert is_elliptical("第一项要做到什么?")
    # Its topic is the list question, not the ordinal question before it.
    info = analyze_followup("那第三项呢?", history)
    assert info.topic == topic and info.ordinal == 3
    # With nothing before it, it asks for a full question.
    assert analyze_followup("第四个阶段具体做什么?").needs_context
    # One that names its list stands alone.
    assert not is_elliptical("诸城作风建设年活动的第三个阶段是什么")


def test_a_pronoun_after_an_ordinal_follow_up_means_that_item() -> None:
    history = ["What are the five phases in Zhucheng?", "and the third one?"]
    got = analyze_followup("When does it run?", history)
    assert got.ordinal == 3 and got.request is not None and got.request.ordinal == 3
    assert got.kind == "time"
    cn = analyze_followup("它什么时候开始?", ["诸城作风建设年活动分为哪五个阶段", "那第二个呢?"])
    assert cn.ordinal == 2
    # Straight after the list question, "it" is the campaign, not an item.
    assert analyze_followup("When does it run?", history[:1]).ordinal is None
    # A self-contained question in between ends the item's reference.
    later = [*history, "Who chairs the leading group in Zhucheng?"]
    assert analyze_followup("When does it run?", later).ordinal is None
