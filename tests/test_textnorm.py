from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest import textnorm
from qa.ingest.textnorm import (
    fold_width,
    is_traditional,
    normalize,
    to_simplified,
    traditional_share,
)

SEEDS = Path(__file__).parent.parent / "seeds"


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# Text mixing CJK (both scripts), full-width forms, ASCII and whitespace.
_mixed_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.sampled_from("發表時間網絡乾隆頭髮於是藉口瞭解著作后後里裡干乾幹 \u3000\n,。“”"),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    ),
    max_size=60,
)


def test_to_simplified_converts_traditional() -> None:
    assert to_simplified("全市教育實踐活動整改推進會召開") == "全市教育实践活动整改推进会召开"
    assert to_simplified("在解放思想對標對表提升年") == "在解放思想对标对表提升年"


def test_to_simplified_leaves_simplified_and_ascii_alone() -> None:
    text = "解读:诸城“作风建设年”活动,看完这个你就全明白了! abc 123"
    assert to_simplified(text) == text


@pytest.mark.parametrize("prefix", ["003", "004"])
def test_to_simplified_keeps_positions_on_traditional_seeds(prefix: str) -> None:
    text = _seed(prefix)
    simplified = to_simplified(text)
    assert len(simplified) == len(text)
    # Characters t2s leaves alone stay where they were: no shift anywhere.
    for original, converted in zip(text, simplified, strict=True):
        if not ("\u4e00" <= original <= "\u9fff"):
            assert converted == original
    assert "实践" in to_simplified(_seed("003"))


@given(_mixed_text)
@settings(max_examples=200, deadline=None)
def test_to_simplified_is_length_preserving(text: str) -> None:
    assert len(to_simplified(text)) == len(text)


class _ShrinkingConverter:
    """Stands in for OpenCC: phrase conversion drops a character, single characters map."""

    def convert(self, text: str) -> str:
        if len(text) > 1:
            return text[1:]
        return {"網": "网", "絡": "络"}.get(text, text)


@pytest.fixture
def shrinking_converter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    textnorm._char_to_simplified.cache_clear()
    monkeypatch.setattr(textnorm, "_converter", _ShrinkingConverter())
    yield
    textnorm._char_to_simplified.cache_clear()


@pytest.mark.usefixtures("shrinking_converter")
def test_to_simplified_falls_back_to_char_by_char_when_length_changes() -> None:
    assert to_simplified("網絡\n電網絡") == "网络\n電网络"


def test_fold_width_folds_full_width_ascii_and_ideographic_space() -> None:
    assert fold_width("ＡＢｃ１２３！？，：；（）") == "ABc123!?,:;()"
    assert fold_width("甲\u3000乙") == "甲 乙"


def test_fold_width_keeps_other_chinese_punctuation() -> None:
    text = "、。“”‘’《》【】…—·"
    assert fold_width(text) == text


@given(_mixed_text)
def test_fold_width_is_length_preserving(text: str) -> None:
    assert len(fold_width(text)) == len(text)


def test_normalize_folds_then_simplifies() -> None:
    assert normalize("（一）堅持領導帶頭：") == "(一)坚持领导带头:"


@given(_mixed_text)
@settings(max_examples=100, deadline=None)
def test_normalize_is_length_preserving(text: str) -> None:
    assert len(normalize(text)) == len(text)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("000", False), ("001", False), ("002", False), ("003", True), ("004", True)],
)
def test_is_traditional_on_seeds(prefix: str, expected: bool) -> None:
    assert is_traditional(_seed(prefix)) is expected


def test_is_traditional_needs_a_noticeable_share() -> None:
    # One Traditional name in a long Simplified text does not make it Traditional.
    text = "这是一段很长的简体中文文本用于测试繁体检测的阈值是否合理" * 3 + "臺"
    assert 0 < traditional_share(text) < textnorm.TRADITIONAL_THRESHOLD
    assert not is_traditional(text)


@pytest.mark.parametrize("text", ["", "plain ASCII only", "12345 !?"])
def test_is_traditional_without_chinese(text: str) -> None:
    assert traditional_share(text) == 0.0
    assert not is_traditional(text)
