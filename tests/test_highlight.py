"""Term spans in original-script text, and escaped highlighted HTML."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from qa.search.highlight import highlight_html, merge_spans, term_spans


def _unmark(fragment: str) -> str:
    import html

    return html.unescape(re.sub(r"</?mark[^>]*>", "", fragment))


def test_merge_spans_merges_overlapping_and_touching() -> None:
    assert merge_spans([(5, 7), (0, 2), (1, 3), (3, 4), (9, 9)]) == [(0, 4), (5, 7)]


def test_term_spans_finds_simplified_terms_in_traditional_text() -> None:
    text = "泰興市委書記孫耀燦強調，要堅持高點定位。"
    spans = term_spans(text, ["孙耀灿", "强调", "市委书记"])
    assert [text[s:e] for s, e in spans] == ["市委書記孫耀燦強調"]


def test_term_spans_folds_width_and_ascii_case() -> None:
    text = "ＧＤＰ增长与gdp统计"
    assert [text[s:e] for s, e in term_spans(text, ["GDP"])] == ["ＧＤＰ", "gdp"]


def test_term_spans_matches_latin_words_and_numbers_whole() -> None:
    text = "2018年12月,第2阶段;GDPs不算,GDP算"
    assert [text[s:e] for s, e in term_spans(text, ["2", "gdp"])] == ["2", "GDP"]
    assert [text[s:e] for s, e in term_spans(text, ["2018"])] == ["2018"]


def test_term_spans_ignores_blank_terms_and_finds_repeats() -> None:
    assert term_spans("阶段一阶段二", ["阶段", "", "  "]) == [(0, 2), (3, 5)]
    assert term_spans("", ["阶段"]) == []


def test_highlight_html_escapes_markup() -> None:
    text = "<script>alert(1)</script> & <b>bold</b> 阶段"
    out = highlight_html(text, term_spans(text, ["阶段"]))
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out
    assert out.endswith('<mark class="qa-term">阶段</mark>')


def test_highlight_html_nests_terms_inside_passage() -> None:
    text = "前言。五个阶段分别是宣传发动阶段。结尾"
    spans = term_spans(text, ["阶段"])
    out = highlight_html(text, spans, passage=(3, 17), passage_id="p1")
    assert out.count('<mark class="qa-passage" id="p1">') == 1
    assert out.count("</mark>") == out.count("<mark")
    inner = out.split('id="p1">', 1)[1]
    assert inner.count('class="qa-term"') == 2
    assert _unmark(out) == text


def test_highlight_html_splits_a_term_crossing_the_passage_edge() -> None:
    text = "abcdef"
    out = highlight_html(text, [(1, 4)], passage=(2, 6))
    assert out == (
        'a<mark class="qa-term">b</mark><mark class="qa-passage" id="qa-passage">'
        '<mark class="qa-term">cd</mark>ef</mark>'
    )


def test_highlight_html_clips_spans_and_empty_passage() -> None:
    assert highlight_html("abc", [(-3, 1), (2, 99)], passage=(5, 9)) == (
        '<mark class="qa-term">a</mark>b<mark class="qa-term">c</mark>'
    )
    assert highlight_html("", [(0, 1)]) == ""


@given(
    st.text(alphabet="阶段<>&\"'ab發展", max_size=30),
    st.lists(st.tuples(st.integers(-2, 32), st.integers(-2, 32)), max_size=5),
    st.one_of(st.none(), st.tuples(st.integers(-2, 32), st.integers(-2, 32))),
)
def test_highlight_html_keeps_the_text_and_balances_marks(
    text: str, spans: list[tuple[int, int]], passage: tuple[int, int] | None
) -> None:
    out = highlight_html(text, spans, passage)
    assert _unmark(out) == text
    assert out.count("<mark") == out.count("</mark>")
    assert "<" not in re.sub(r"</?mark[^>]*>", "", out)


def test_word_notes_become_escaped_titles_inside_the_marks() -> None:
    out = highlight_html("阶段甲", [(0, 2)], notes=[(0, 2, 'jiē duàn — "stage"<b>')])
    assert out == (
        '<mark class="qa-term"><span class="qa-w" title="jiē duàn — &quot;stage&quot;&lt;b&gt;">'
        "阶段</span></mark>甲"
    )
