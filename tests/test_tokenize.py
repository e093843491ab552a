"""Tokens for the keyword index: question words stay out, numerals split off."""

from __future__ import annotations

import pytest

from qa.ingest.textnorm import normalize
from qa.store.tokenize import Tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(["三大一实干"])


def test_question_words_and_punctuation_are_dropped(tokenizer):
    toks = tokenizer.tokens(normalize("那篇讲话叫什么名字？是否提到了哪几项活动？"))
    assert "讲话" in toks and "活动" in toks
    for word in ("那篇", "叫", "什么", "名字", "是否", "哪几项", "几项", "？", "?"):
        assert word not in toks


def test_traditional_and_full_width_fold_before_tokenising(tokenizer):
    toks = tokenizer.tokens(normalize("「三大一實干」ＧＤＰ"))
    assert "三大一实干" in toks and "gdp" in toks


def test_numeral_of_a_measure_word_is_searchable_alone(tokenizer):
    toks = tokenizer.tokens("五个阶段")
    assert "五个" in toks and "五" in toks
