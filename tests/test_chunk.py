"""Chunking: spans round-trip, sizes, sentence boundaries, headings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from qa.ingest.chunk import (
    chunk_documents,
    chunk_text,
    heading_of,
    sentence_windows,
    split_sentences,
)
from qa.ingest.corpus import load_corpus

from .conftest import SEEDS


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(SEEDS)


@pytest.fixture(scope="module")
def chunks(corpus):
    return chunk_documents(corpus.documents)


def test_spans_round_trip(corpus, chunks):
    docs = {d.doc_id: d for d in corpus.documents}
    assert chunks
    for c in chunks:
        assert docs[c.doc_id].text[c.start : c.end] == c.text


def test_ids_are_consecutive(chunks):
    assert [c.chunk_id for c in chunks] == list(range(len(chunks)))


def test_every_document_is_covered(corpus, chunks):
    for doc in corpus.documents:
        covered = set()
        for c in chunks:
            if c.doc_id == doc.doc_id:
                covered.update(range(c.start, c.end))
        body = {i for i, ch in enumerate(doc.text) if not ch.isspace()}
        assert body <= covered, doc.doc_id


def test_sizes(chunks):
    assert max(len(c.text) for c in chunks) <= 350
    lengths = sorted(len(c.text) for c in chunks)
    assert lengths[len(lengths) // 2] >= 150  # the median chunk is in the aimed range


def test_chunks_end_on_sentence_boundaries(corpus, chunks):
    docs = {d.doc_id: d for d in corpus.documents}
    for c in chunks:
        text = docs[c.doc_id].text
        # A chunk ends at a sentence end or a line end, unless one sentence was too long.
        ok = c.end == len(text) or text[c.end - 1] in "。！？；!?;…”’」』）)" or text[c.end] == "\n"
        assert ok or len(c.text) >= 300, (c.doc_id, c.text[-20:])


def test_overlap_of_one_sentence():
    text = "".join(f"第{i}句话写得比较长一些用来测试重叠是否正确。" for i in range(40))
    spans = chunk_text(text, min_chars=100, max_chars=200, overlap=1)
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        assert s2 < e1, "neighbours share a sentence"
        shared = text[s2:e1]
        assert len(split_sentences(shared)) == 1


def test_a_sentence_longer_than_max_is_cut_at_commas():
    text = "，".join(["这是一个很长的分句"] * 60) + "。"
    spans = chunk_text(text, max_chars=120)
    assert all(e - s <= 120 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans[:1]).endswith("，")


def test_split_sentences_keeps_closing_quotes():
    text = "他说：“好。”然后走了！\n第二行"
    sents = [text[s:e] for s, e in split_sentences(text)]
    assert sents == ["他说：“好。”", "然后走了！", "第二行"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("一、提升思想认识,增强群众观念", "一、提升思想认识,增强群众观念"),
        ("(一)堅持領導帶頭。開展行動", "(一)堅持領導帶頭。"),
        ("问:活动提出要健全“七项机制”?", "问:活动提出要健全“七项机制”?"),
        ("同志们:", ""),
        ("一是宣传发动、统一思想阶段。", ""),
    ],
)
def test_heading_of(line, expected):
    assert heading_of(line) == expected


def test_chunks_know_their_heading(chunks):
    phases = [c for c in chunks if "宣传发动、统一思想阶段" in c.text]
    assert phases and phases[0].heading.startswith("问:全市开展“作风建设年”活动时间跨度长")
    leaders = [c for c in chunks if "一是各級領導要當好" in c.text]
    assert leaders and leaders[0].heading.startswith("(一)堅持領導帶頭")


def test_empty_text_gives_no_chunks():
    assert chunk_documents([SimpleNamespace(doc_id="x", text="")]) == []


def test_sentence_windows_overlap_by_all_but_one_sentence() -> None:
    text = "一是宣传发动。二是查摆问题！三是整改落实？四是总结。"
    assert sentence_windows(text, 2) == [
        "一是宣传发动。二是查摆问题！",
        "二是查摆问题！三是整改落实？",
        "三是整改落实？四是总结。",
    ]
    assert sentence_windows(text, 3)[-1] == "二是查摆问题！三是整改落实？四是总结。"


def test_a_short_passage_or_window_zero_is_one_window() -> None:
    text = "只有一句话。第二句。"
    assert sentence_windows(text, 2) == [text]
    assert sentence_windows("一。二。三。", 0) == ["一。二。三。"]
    # Windows are slices of the passage: a line break between sentences is kept.
    windows = sentence_windows("第一句。\n第二句。\n第三句。", 2)
    assert windows == ["第一句。\n第二句。", "第二句。\n第三句。"]
