"""Dictionary glosses for English readers: CC-CEDICT word by word, offline."""

from __future__ import annotations

from typing import Any

import pytest

from qa.answer.gloss import gloss_text, lookup, tone_marks, word_gloss, word_notes
from qa.answer.result import answer_json
from tests.conftest import FIVE_PHASES


def test_words_are_glossed_by_their_first_plain_sense() -> None:
    assert word_gloss("阶段") == "stage"
    assert word_gloss("統一") == word_gloss("统一") == "unify"  # either script
    assert word_gloss("不存在的词") == ""


def test_a_gloss_reads_word_by_word_and_leaves_particles_out() -> None:
    gloss = gloss_text("一是宣传发动、统一思想阶段。")
    words = gloss.split(" · ")
    assert "unify" in words and "stage" in words and "thought" in words
    assert "be" not in words  # 是
    # A word the dictionary lacks is read through the longest words it has.
    assert gloss_text("解放思想").split(" · ")[:2] == ["liberate", "thought"]
    assert gloss_text("no Chinese here") == ""


def test_lookup_gives_pinyin_and_senses() -> None:
    entries = lookup("阶段")
    assert entries and entries[0][0] == "jie1 duan4" and "stage" in entries[0][1]


@pytest.mark.slow
def test_an_english_question_gets_glosses_a_chinese_one_does_not(real_service: Any) -> None:
    english = real_service.ask("what are the five phases in Zhucheng")
    assert english.items and all(english.glosses.get(i.text) for i in english.items)
    data = answer_json(english, english.documents)
    assert all("stage" in i["gloss"] for i in data["answer"]["items"])
    chinese = real_service.ask(FIVE_PHASES)
    assert chinese.items and not chinese.glosses
    assert all("gloss" not in i for i in answer_json(chinese, chinese.documents)["answer"]["items"])


@pytest.mark.parametrize(
    ("numbered", "marked"),
    [
        ("jie1 duan4", "jiē duàn"),
        ("lu:4", "lǜ"),
        ("gui4", "guì"),
        ("Zhu1 cheng2", "Zhū chéng"),
        ("de5", "de"),
        ("dou1", "dōu"),
    ],
)
def test_tone_marks(numbered: str, marked: str) -> None:
    assert tone_marks(numbered) == marked


def test_word_notes_span_the_words_of_the_text_as_written() -> None:
    text = "統一思想阶段"
    notes = word_notes(text)
    assert [(text[a:b], note.split(" — ")[0]) for a, b, note in notes] == [
        ("統一", "tǒng yī"),
        ("思想", "sī xiǎng"),
        ("阶段", "jiē duàn"),
    ]
