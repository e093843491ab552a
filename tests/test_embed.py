"""Query and passage prompts per embedding-model family, and the model's own prompts."""

from __future__ import annotations

import pytest

from qa.embed import Prompts, prompts_for

BGE_EN = "Represent this sentence for searching relevant passages: "
BGE_ZH = "为这个句子生成表示以用于检索相关文章："


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("intfloat/multilingual-e5-small", Prompts("query: ", "passage: ")),
        ("intfloat/e5-base-v2", Prompts("query: ", "passage: ")),
        ("BAAI/bge-small-en-v1.5", Prompts(BGE_EN, "")),
        ("BAAI/bge-large-zh-v1.5", Prompts(BGE_ZH, "")),
        ("BAAI/bge-m3", Prompts()),
        ("sentence-transformers/all-MiniLM-L6-v2", Prompts()),
        ("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", Prompts()),
        ("thenlper/gte-base", Prompts()),
        ("some/unknown-model", Prompts()),
        # local folders and Hugging Face cache snapshots are recognised by their folder names
        ("/models/multilingual-e5-base/", Prompts("query: ", "passage: ")),
        (
            "/root/.cache/huggingface/hub/models--BAAI--bge-base-zh-v1.5/snapshots/0123abcd",
            Prompts(BGE_ZH, ""),
        ),
        ("C:\\models\\bge-small-en-v1.5", Prompts(BGE_EN, "")),
    ],
)
def test_family_prompts(name, expected):
    assert prompts_for(name) == expected


def test_the_models_own_prompts_win_over_the_family_table():
    own = {"query": "Instruct: find the passage\nQuery: ", "document": "Passage: "}
    assert prompts_for("intfloat/multilingual-e5-small", own) == Prompts(own["query"], "Passage: ")
    # sentence-transformers looks passages up as "document", then "passage", then "corpus"
    assert prompts_for("x/y", {"passage": "p: "}) == Prompts("", "p: ")
    assert prompts_for("x/y", {"corpus": "c: ", "document": "d: "}) == Prompts("", "d: ")


def test_a_configured_query_prompt_keeps_the_familys_passage_prompt():
    assert prompts_for("intfloat/e5-large-v2", {"query": "q: "}) == Prompts("q: ", "passage: ")
    assert prompts_for("intfloat/e5-large-v2", {}) == Prompts("query: ", "passage: ")
    # what sentence-transformers reports for a model that configures none
    unset = {"query": None, "document": ""}
    assert prompts_for("intfloat/e5-large-v2", unset) == Prompts("query: ", "passage: ")
    assert prompts_for("intfloat/e5-large-v2", None) == Prompts("query: ", "passage: ")
