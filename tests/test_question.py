"""Question analysis (qa.query.question): what a question counts and which item it asks for."""

from __future__ import annotations

from qa.query.question import count_of, list_request, ordinal_of


def test_a_number_in_a_quoted_name_is_not_the_count_asked_for() -> None:
    # Asked how many of its own noun (哪幾個堅持), the 三 of 「三個年」 names the campaign.
    asked = "「三個年」行動動員部署會講話中,「必須組織有力」部分提出了哪幾個堅持?"
    assert count_of(asked) is None
    request = list_request(asked)
    assert request is not None and request.count is None and request.noun == "坚持"
    # Asked for the quoted set itself, its number is the count.
    assert count_of("“四种精神”是哪几种?") == 4
    assert count_of("“三个年”行动是哪三个年") == 3


def test_an_ordinal_of_a_part_of_the_document_asks_for_the_whole_list() -> None:
    asked = "三同四民主题实践会讲话的第二部分提出了哪几个“明确”?"
    request = list_request(asked)
    assert request is not None and request.ordinal is None and request.mark == "明确"
    # Without a list asked for, the part's ordinal stays (讲了什么: that part).
    part = list_request("讲话第二部分讲了什么")
    assert part is not None and part.ordinal == 2
    item = list_request("第三个阶段具体做什么")
    assert item is not None and item.ordinal == 3


def test_an_english_ordinal_in_a_name_asks_for_no_item() -> None:
    # Like 第三次党代会: "the Third Party Congress" and "the fifth plenary session" are names.
    assert ordinal_of("Which secretary's report to the Third Party Congress is quoted?") is None
    assert ordinal_of("What did the fifth plenary session decide?") is None
    assert ordinal_of("What does the third step cover?") == 3
    assert ordinal_of("Third, what?") == 3
    assert ordinal_of("and the third one?") == 3


def test_a_translated_count_is_no_place_name() -> None:
    from qa.query.question import proper_names

    # "three areas" → 三区, which jieba tags as a place; "Jiujiang" → 九江 is one.
    asked = "In which three areas will Taixing focus its reform push?"
    assert proper_names(asked, ["泰兴", "三区"]) == ["泰兴"]
    assert proper_names("What happened in Jiujiang?", ["九江"]) == ["九江"]
