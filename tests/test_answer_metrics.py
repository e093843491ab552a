"""Answer measures of ``qa eval``: accuracy, list item recall, citation precision, follow-ups."""

from __future__ import annotations

import json
from pathlib import Path

from qa.answer.result import Answer, AnswerSentence
from qa.app.evaluate import (
    _answer_fields,
    answer_text,
    evaluate,
    evaluate_followups,
    format_table,
    score_answer,
)
from qa.ingest.chunk import Chunk
from qa.search.search import Hit


def _hit(text: str, rank: int) -> Hit:
    chunk = Chunk(rank, "d.txt", 0, len(text), text)
    return Hit(chunk=chunk, score=1.0, rank=rank, keyword_score=1.0, dense_score=0.5, terms=())


def _answer(items, sentences, passages, found=True, lead="") -> Answer:
    return Answer(
        question="q",
        sentences=[AnswerSentence(t, c) for t, c in sentences],
        items=[AnswerSentence(t, c) for t, c in items],
        passages=passages,
        terms=(),
        found=found,
        lead=lead,
    )


def test_an_answer_is_right_when_it_shows_every_gold_string_in_either_script() -> None:
    passages = [_hit("活動分為五個階段。一是宣傳發動。二是查擺問題。", 1)]
    answer = _answer(
        [("一是宣傳發動", (1,)), ("二是查擺問題", (1,))], [], passages, lead="分為五個階段"
    )
    assert "分為五個階段" in answer_text(answer).splitlines()[0]
    right = score_answer(answer, ["宣传发动", "查摆问题"])
    assert right.correct and right.found == 2 and right.citations_right == right.citations == 2
    missing = score_answer(answer, ["宣传发动", "整改落实"])
    assert not missing.correct and missing.found == 1


def test_a_citation_is_wrong_when_its_passage_lacks_the_text() -> None:
    passages = [_hit("一是宣传发动。二是查摆问题。三是整改。", 1), _hit("四是总结提高。", 2)]
    # Items 4 cites [1], but card [1] ends at item 3; [3] is out of range.
    answer = _answer(
        [("三是整改", (1,)), ("四是总结提高", (1,))], [("四是总结提高。", (2, 3))], passages
    )
    score = score_answer(answer, ["总结提高"])
    assert (score.citations_right, score.citations) == (2, 4)
    fields = _answer_fields([("list", score)])
    assert fields["citation_precision"] == 0.5 and fields["item_recall"] == 1.0


def test_an_answer_not_claimed_shows_nothing() -> None:
    passages = [_hit("一是宣传发动。", 1)]
    answer = _answer([], [("一是宣传发动。", (1,))], passages, found=False)
    assert not score_answer(answer, ["宣传发动"]).correct
    # With no gold (a follow-up with nothing before it), not claiming an answer is right.
    assert score_answer(answer, []).correct
    assert not score_answer(_answer([], [("x", (1,))], passages), []).correct


def test_item_recall_averages_list_questions_only() -> None:
    passages = [_hit("一是甲乙。二是丙丁。", 1)]
    a = score_answer(_answer([("一是甲乙", (1,))], [], passages), ["甲乙", "丙丁"])
    b = score_answer(_answer([], [("一是甲乙。", (1,))], passages), ["甲乙"])
    fields = _answer_fields([("list", a), ("other", b)])
    assert fields["item_recall"] == 0.5 and fields["answer_accuracy"] == 0.5
    assert fields["answered"] == 2


def test_eval_rows_carry_answer_columns(fake_service, tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "group": "simplified",
            "question": "诸城作风建设年活动分为哪五个阶段",
            "doc": "002_74fc92c28c1dd03c.txt",
            "expect": "宣传发动、统一思想阶段",
            "answer": ["宣传发动、统一思想阶段"],
            "kind": "list",
        },
        {"id": "b", "group": "none", "question": "潍坊市的GDP是多少", "doc": None, "expect": None},
    ]
    result = evaluate(fake_service, rows, [("hybrid+translate", "hybrid", True)])
    by_group = {r.group: r for r in result}
    # A "none" question is scored too: right when no answer is claimed.
    assert by_group["all"].answered == 1 and by_group["none"].answered == 1
    # Nothing about 潍坊's GDP is in the seeds: the search flags it and no answer is claimed.
    assert by_group["none"].weak == 1 and by_group["none"].answer_accuracy == 1.0
    # The five phases are listed whole, each item in the card it cites.
    assert by_group["all"].answer_accuracy == 1.0 and by_group["all"].item_recall == 1.0
    assert by_group["all"].citation_precision == 1.0
    assert "ans" in format_table(result)


def test_followups_are_asked_with_the_questions_before_them(fake_service, tmp_path: Path) -> None:
    asked: list[tuple[str, tuple[str, ...]]] = []
    real = fake_service.ask

    def ask(question, **kw):
        asked.append((question, kw.get("history", ())))
        return real(question, **kw)

    fake_service.ask = ask
    convs = [
        {
            "id": "f1",
            "group": "ordinal",
            "turns": [
                {"question": "诸城作风建设年活动分为哪五个阶段", "answer": ["宣传发动"]},
                {"question": "那第三个阶段呢", "answer": ["整改"]},
            ],
        },
        {"id": "f2", "group": "no-context", "turns": [{"question": "那第三个呢", "answer": []}]},
    ]
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in convs), encoding="utf-8")
    rows = {r.group: r for r in evaluate_followups(fake_service, convs)}
    assert asked[1] == ("那第三个阶段呢", ("诸城作风建设年活动分为哪五个阶段",))
    assert asked[2] == ("那第三个呢", ())
    assert rows["all"].n == 3 and rows["ordinal"].n == 2 and rows["all"].answered == 3
