from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import SeedsError
from qa.ingest.clean import Cleaned, clean
from qa.ingest.corpus import Corpus, Document, load_corpus, read_document
from qa.ingest.decode import decode
from qa.ingest.meta import extract_meta

SEEDS = Path(__file__).parent.parent / "seeds"
PREFIXES = ["000", "001", "002", "003", "004"]
PINYIN_NOTE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06"


def _path(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def _raw(prefix: str) -> str:
    return _path(prefix).read_text(encoding="utf-8")


_CLEANED: dict[str, Cleaned] = {}


def _cleaned(prefix: str) -> Cleaned:
    if prefix not in _CLEANED:
        _CLEANED[prefix] = clean(_raw(prefix))
    return _CLEANED[prefix]


def _text(prefix: str) -> str:
    return _cleaned(prefix).text


# ---------------------------------------------------------------- cleaning the seeds


@pytest.mark.parametrize("prefix", PREFIXES)
def test_no_pinyin_annotations_left(prefix: str) -> None:
    assert not PINYIN_NOTE.search(_text(prefix))
    assert "?yún)" not in _text(prefix)


def test_pinyin_annotations_removed_from_words() -> None:
    text = _text("004")
    assert "示范區建設攻堅年" in text
    assert "區(qū)" not in text
    assert "網(wǎng)" not in text
    assert "新文秘網" in _raw("004")


@pytest.mark.parametrize(
    ("prefix", "kept"),
    [
        ("000", "镇(街道)、村(社区)"),
        ("001", "(一)开展“三加一工程”"),
        ("003", "(記者 張倫)在全市教育實踐活動"),
        ("003", "各鄉鎮(街道、園區)"),
        ("004", "(一)堅持領導帶頭"),
        ("004", "(以下簡稱“三個年”)"),
        ("004", "鄉鎮(街道)二級站所"),
    ],
)
def test_chinese_parentheses_kept(prefix: str, kept: str) -> None:
    assert kept in _text(prefix)


CHROME = [
    "当前位置",
    "您的位置",
    "點擊",
    "点击:",
    "备案号",
    "ICP",
    "版权所有",
    "正式會員",
    "全文共",
    "客服",
    "新闻排行",
    "精彩热图",
    "娱乐新闻",
    "不代表本站观点",
    "导语:",
    "条记录",
    "(完)",
    "编辑:",
    "关于我们",
    "文章来自网络",
    "文章搜索",
    "相關文章",
    "不存在或已刪除",
    "注冊",
    "目錄",
    "發表時間",
    "......",
    "来源:",
    "作者:",
    "- ",
    "10383",
]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("chrome", CHROME)
def test_page_chrome_removed(prefix: str, chrome: str) -> None:
    assert chrome not in _text(prefix)


@pytest.mark.parametrize(
    ("prefix", "sentence"),
    [
        ("000", "凝聚更强合力 建设美好常州 “三大一实干”活动启动3月1日上午"),
        ("000", "推动常州发展迈上新台阶。"),
        ("001", "同志们:"),
        ("001", "加快建设“幸福”作出新的更大的贡献!"),
        ("002", "一是宣传发动、统一思想阶段"),
        ("002", "五是总结考核、深化提高阶段"),
        ("002", "目前,诸城市开展“作风建设年”活动已经正式启动。"),
        ("002", "每阶段组织一次集中研讨。本报记者"),
        ("003", "泰州市委督導組全體成員,市四套班子全體負責人"),
        ("004", "(一)堅持領導帶頭"),
        ("004", "“要堅持真抓實\n對“逆水行舟"),
        ("004", "(二)堅持刀刃向內。"),
    ],
)
def test_key_body_text_kept(prefix: str, sentence: str) -> None:
    assert sentence in _text(prefix)


def test_table_of_contents_removed_but_headings_kept_in_body() -> None:
    text = _text("004")
    assert text.count("一、深刻認識開展“三個年”行動的現實意義") == 1
    # Listed only in the table of contents: the body is cut before this heading.
    assert "(三)堅持問題導向" not in text


def test_truncation_notice_cuts_to_end_of_line() -> None:
    text = _text("004")
    assert text.endswith("每一位領導、每一位干")
    assert "省略" not in text
    assert "收藏《" not in text


@pytest.mark.parametrize(
    ("prefix", "title"),
    [
        ("000", "党员2017年4月自主学习材料:常州 “三大一实干”活动启动"),
        ("001", "书记在三同四民主题实践会讲话"),
        ("002", "解读:诸城“作风建设年”活动,看完这个你就全明白了!"),
        ("003", "全市教育實踐活動整改推進會召開"),
        (
            "004",
            "在解放思想對標對表提升年、干部作風強化年、東融先行示范區建設攻堅年“三個年”"
            "行動動員部署會上的講話",
        ),
    ],
)
def test_headline_is_the_first_line_and_not_repeated(prefix: str, title: str) -> None:
    lines = _text(prefix).split("\n")
    assert lines[0] == title
    assert lines.count(title) == 1


@pytest.mark.parametrize(
    ("prefix", "title", "date", "source"),
    [
        ("000", "党员2017年4月自主学习材料:常州 “三大一实干”活动启动", "2017-04-02", ""),
        ("001", "书记在三同四民主题实践会讲话", "2022-04-09", ""),
        ("002", "解读:诸城“作风建设年”活动,看完这个你就全明白了!", "2017-05-10", "诸城新闻网"),
        ("003", "全市教育實踐活動整改推進會召開", "", ""),
        (
            "004",
            "在解放思想對標對表提升年、干部作風強化年、東融先行示范區建設攻堅年“三個年”"
            "行動動員部署會上的講話",
            "2024-05-28",
            "新文秘網",
        ),
    ],
)
def test_extract_meta_on_seeds(prefix: str, title: str, date: str, source: str) -> None:
    assert extract_meta(_raw(prefix), _text(prefix)) == (title, date, source)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_offsets_map_back_to_raw(prefix: str) -> None:
    raw, cleaned = _raw(prefix), _cleaned(prefix)
    assert len(cleaned.offsets) == len(cleaned.text)
    for i, char in enumerate(cleaned.text):
        if not char.isspace():
            assert raw[cleaned.offsets[i]] == char, i
    assert list(cleaned.offsets) == sorted(set(cleaned.offsets))


@pytest.mark.parametrize("prefix", PREFIXES)
def test_whitespace_normalised(prefix: str) -> None:
    text = _text(prefix)
    assert "\n\n" not in text
    assert "  " not in text
    assert not re.search("[\u3000\u00a0\t\r]", text)
    for line in text.split("\n"):
        assert line == line.strip()
        assert line


def test_single_space_between_sentences_kept() -> None:
    text = _text("003")
    # The page separates its paragraphs by a space; that space is kept, and only it.
    assert "確保教育實踐活動取得實效。 泰州市委督導組組長劉寧出席會議并講話" in text
    assert not text.endswith("|")
    assert text.endswith("出席會議。")


# ---------------------------------------------------------------- cleaning in general


@pytest.mark.parametrize(
    "chrome_line",
    [
        "当前位置：首页 > 要闻 > 正文",
        "你现在的位置: 某某日报 » 评论",
        "首页 > 新闻中心 > 通知公告",
        "Copyright © 2020 某某网 版权所有",
        "京ICP备12345678号-2 京公网安备 11010502000001号",
        "作者：李四　来源：新华网　浏览次数：123",
        "发布时间：2021年3月5日 08:00",
        "2020/01/02 来源:人民网 作者:王五",
        "- 1234",
        "- ",
        "……",
        "共 3 页 上一页 1 2 3 下一页",
        "上一篇:关于某事的通知",
        "热门文章",
        "推荐阅读",
        "首页 | 新闻 | 图片 | 视频 | 专题",
        "登录 | 注册",
        "联系电话: 0536-1234567",
        "本文来源于网络，不代表本站观点，如有侵权请联系删除。",
        "该信息不存在或已被删除",
    ],
)
def test_clean_drops_chrome_of_any_site(chrome_line: str) -> None:
    raw = f"标题一行\n{chrome_line}\n正文第一句话说明情况。"
    assert clean(raw).text == "标题一行\n正文第一句话说明情况。"


@pytest.mark.parametrize(
    "body_line",
    [
        "时间:4月下旬至5月上旬,召开动员大会。",
        "会议要求联系我们的群众,关于我们的工作要多提意见。",
        "2017年4月2日,全市召开动员大会,部署全年工作任务和重点项目。",
        "(1)总体要求",
        "第三部分 主要任务",
        "使用(app)和(ppt)两种形式。",
    ],
)
def test_clean_keeps_body_lines_that_look_a_little_like_chrome(body_line: str) -> None:
    raw = f"标题一行\n{body_line}"
    assert clean(raw).text == raw


def test_clean_removes_any_paywall_notice() -> None:
    raw = "标题\n前半句话\n……(某某网省略200字,正式会员可完整阅读)……\n后半句话。"
    assert clean(raw).text == "标题\n前半句话\n后半句话。"


def test_clean_cuts_truncation_notice_to_end_of_line() -> None:
    raw = "标题\n正文到这里 ……(未完,全文共5000字,当前仅显示2000字,请阅读下面提示信息。收藏《x》\n"
    assert clean(raw).text == "标题\n正文到这里"


def test_clean_removes_converter_notes_in_both_bracket_widths() -> None:
    raw = "標題\n經濟(jì)發展（fā zhǎn）與思想?huì)報"
    # "(fā zhǎn)" holds a space, which no single-character note does: it stays.
    assert clean(raw).text == "標題\n經濟發展（fā zhǎn）與思想報"
    assert clean("經濟（jì）").text == "經濟"


def test_clean_drops_table_of_contents_without_closing_dots() -> None:
    raw = "標題\n目錄:\n一、總體要求\n二、主要任務\n一、總體要求\n正文內容。\n二、主要任務\n正文。"
    assert clean(raw).text == "標題\n一、總體要求\n正文內容。\n二、主要任務\n正文。"


def test_clean_handles_crlf_and_maps_the_line_break() -> None:
    raw = "标题\r\n\r\n\u3000\u3000第一段。\r\n第二段。  \r\n"
    cleaned = clean(raw)
    assert cleaned.text == "标题\n第一段。\n第二段。"
    newline = cleaned.text.index("\n")
    assert raw[cleaned.offsets[newline]] == "\n"


def test_clean_of_nothing_is_empty() -> None:
    assert clean("") == Cleaned(text="", offsets=())
    assert clean("当前位置:首页 > 新闻\n- 点击:12\n").text == ""


@given(
    st.text(
        alphabet=st.sampled_from(
            list("标题正文網(wǎng)一二()…: -\n\r\t\u3000\u00a0|?点击来源完12")
        ),
        max_size=80,
    )
)
@settings(max_examples=300, deadline=None)
def test_clean_offsets_round_trip_on_any_text(raw: str) -> None:
    cleaned = clean(raw)
    assert len(cleaned.offsets) == len(cleaned.text)
    for i, char in enumerate(cleaned.text):
        if not char.isspace():
            assert raw[cleaned.offsets[i]] == char
    assert list(cleaned.offsets) == sorted(set(cleaned.offsets))


# ---------------------------------------------------------------- metadata in general


def test_extract_meta_title_skips_breadcrumb_and_date_formats() -> None:
    raw = (
        "当前位置：首页 > 通知 > 关于开展活动的通知\n关于开展活动的通知\n日期：2019年3月5日\n正文。"
    )
    assert extract_meta(raw, clean(raw).text) == ("关于开展活动的通知", "2019-03-05", "")


def test_extract_meta_ignores_impossible_dates_and_body_dates() -> None:
    raw = "标题\n时间:2019-13-45\n2018年5月1日,全市召开大会,部署了全年的各项工作任务。"
    assert extract_meta(raw, clean(raw).text)[1] == ""


def test_extract_meta_without_headline_uses_first_sentence() -> None:
    body = "这是一个没有标题的文档它直接从正文开始" * 3 + "。后面还有更多内容" * 10
    title, _, _ = extract_meta(body, clean(body).text)
    assert title.endswith("…")
    assert len(title) <= 41
    assert body.startswith(title[:-1])


# ---------------------------------------------------------------- decoding


def test_decode_gb18030_of_simplified_seed() -> None:
    text = _raw("000")
    assert decode(text.encode("gb18030"), "a.txt") == (text, "gb18030")


def test_decode_gb18030_of_traditional_seed() -> None:
    text = _raw("003")
    assert decode(text.encode("gb18030"), "a.txt") == (text, "gb18030")


@pytest.mark.parametrize("prefix", ["003", "004"])
def test_decode_big5_of_traditional_seed(prefix: str) -> None:
    data = _raw(prefix).encode("big5", errors="ignore")
    text, encoding = decode(data, "b.txt")
    assert encoding == "big5"
    assert text == data.decode("big5")
    assert "全市教育實踐活動" in text or "解放思想對標對表" in text


def test_decode_utf8_with_and_without_bom() -> None:
    text = _raw("002")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "c.txt") == (text, "utf-8-sig")
    assert decode(text.encode("utf-8"), "c.txt") == (text, "utf-8")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b" \n\t \r\n", "empty"),
        ("\u3000\u3000\n".encode("gb18030"), "empty"),
        (PNG_HEADER, "not text"),
        (b"\x89PNG\r\n\x1a\n", "not text"),
        (b"abc\x00def", "not text"),
        (b"\x01\x02\x03\x04 some text \x05\x06\x07\x08", "not text"),
        ("café crème brûlée à la française".encode("latin-1"), "could not be decoded"),
    ],
)
def test_decode_rejects_with_file_name_and_reason(data: bytes, why: str) -> None:
    with pytest.raises(SeedsError, match=f"^bad.txt: .*{why}"):
        decode(data, "bad.txt")


def test_decode_rejects_random_bytes() -> None:
    for _ in range(5):
        with pytest.raises(SeedsError, match="bad.txt: not text"):
            decode(os.urandom(4096), "bad.txt")


def test_decode_explains_utf16() -> None:
    with pytest.raises(SeedsError, match="u.txt: could not be decoded .*UTF-16"):
        decode("标题\n正文".encode("utf-16"), "u.txt")


def test_undecodable_message_names_the_encodings() -> None:
    with pytest.raises(SeedsError, match="could not be decoded as UTF-8, GB18030 or Big5"):
        decode(bytes(range(0x80, 0x100)) * 4, "x.txt")


# ---------------------------------------------------------------- reading files


def test_read_document_on_seed() -> None:
    path = _path("002")
    document = read_document(path)
    assert isinstance(document, Document)
    assert document.doc_id == path.name
    assert document.title.startswith("解读:诸城")
    assert document.date == "2017-05-10"
    assert document.source == "诸城新闻网"
    assert document.text == _text("002")
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert document.encoding == "utf-8"
    assert document.script == "simplified"


def test_read_document_of_big5_file_keeps_traditional_script(tmp_path: Path) -> None:
    path = tmp_path / "big5.txt"
    path.write_bytes(_raw("003").encode("big5", errors="ignore"))
    document = read_document(path)
    assert document.encoding == "big5"
    assert document.script == "traditional"
    assert document.title == "全市教育實踐活動整改推進會召開"


def test_read_document_refuses_oversize_file_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    path.write_text("标题\n" + "正文。" * 100, encoding="utf-8")

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversize file must not be opened")

    monkeypatch.setattr(Path, "open", no_open)
    with pytest.raises(SeedsError) as info:
        read_document(path, max_bytes=100)
    message = str(info.value)
    assert "big.txt" in message
    assert "too large" in message
    assert f"{path.stat().st_size:,}" in message
    assert "100" in message


def test_read_document_refuses_page_with_only_chrome(tmp_path: Path) -> None:
    path = tmp_path / "chrome.txt"
    path.write_text("当前位置:首页 > 新闻\n- 点击:12\n版权所有 某某网\n", encoding="utf-8")
    with pytest.raises(SeedsError, match="chrome.txt: nothing left after cleaning"):
        read_document(path)


# ---------------------------------------------------------------- loading a folder


def test_load_corpus_reads_all_seeds() -> None:
    corpus = load_corpus(SEEDS)
    assert isinstance(corpus, Corpus)
    assert corpus.skipped == []
    assert [d.doc_id for d in corpus.documents] == sorted(p.name for p in SEEDS.glob("*.txt"))
    scripts = {d.doc_id[:3]: d.script for d in corpus.documents}
    assert scripts == {
        "000": "simplified",
        "001": "simplified",
        "002": "simplified",
        "003": "traditional",
        "004": "traditional",
    }


def test_load_corpus_skips_bad_files_and_names_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "b_good.txt").write_text(_raw("001"), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a_gb.txt").write_bytes(_raw("000").encode("gb18030"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\u3000\n", encoding="utf-8")
    (tmp_path / "noise.txt").write_bytes(os.urandom(2048))
    (tmp_path / "image.txt").write_bytes(PNG_HEADER)
    (tmp_path / "copy.txt").write_text(_raw("001"), encoding="utf-8")
    (tmp_path / "notes.rtf").write_text("not a seed", encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="qa.ingest.corpus"):
        corpus = load_corpus(tmp_path)

    assert [d.doc_id for d in corpus.documents] == ["b_good.txt", "sub/a_gb.txt"]
    assert corpus.documents[1].encoding == "gb18030"
    reasons = {s.name: s.reason for s in corpus.skipped}
    assert set(reasons) == {"blank.txt", "copy.txt", "empty.txt", "image.txt", "noise.txt"}
    for name, reason in reasons.items():
        assert name in reason
        assert name in caplog.text
    assert "empty" in reasons["empty.txt"]
    assert "empty" in reasons["blank.txt"]
    assert "not text" in reasons["noise.txt"]
    assert "not text" in reasons["image.txt"]
    assert "b_good.txt" in reasons["copy.txt"]


def test_load_corpus_skips_oversize_file(tmp_path: Path) -> None:
    (tmp_path / "small.txt").write_text("标题\n正文。", encoding="utf-8")
    (tmp_path / "large.txt").write_text("标题\n" + "正文。" * 200, encoding="utf-8")
    corpus = load_corpus(tmp_path, max_bytes=200)
    assert [d.doc_id for d in corpus.documents] == ["small.txt"]
    assert corpus.skipped[0].name == "large.txt"
    assert "too large" in corpus.skipped[0].reason


def test_load_corpus_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(SeedsError, match="does not exist; set QA_SEEDS_DIR or --seeds") as info:
        load_corpus(missing)
    assert str(missing) in str(info.value)


def test_load_corpus_folder_without_txt(tmp_path: Path) -> None:
    (tmp_path / "readme.rtf").write_text("x", encoding="utf-8")
    with pytest.raises(SeedsError, match="holds no \\*.txt, \\*.pdf, .* files"):
        load_corpus(tmp_path)


def test_load_corpus_folder_with_only_bad_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(PNG_HEADER)
    with pytest.raises(SeedsError, match="none of the 2 document files") as info:
        load_corpus(tmp_path)
    assert "empty.txt" in str(info.value)


# --------------------------------------------------------------------------- the folder's boundary

SECRET = "机密文件标题\n这份文件在种子文件夹之外，它的口令是青蛙博物馆的萤火虫。\n"


def _linked_seeds(tmp_path: Path) -> Path:
    """A seeds folder with a good file, links out of it, a loop, a dangling and an inner link."""
    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    (seeds / "good.txt").write_text(_raw("001"), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (seeds / "passwd.txt").symlink_to("/etc/passwd")
    (seeds / "sub" / "secret.txt").symlink_to(outside / "secret.txt")
    (seeds / "relative.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (seeds / "loop.txt").symlink_to("loop.txt")
    (seeds / "dangling.txt").symlink_to("nowhere.txt")
    (seeds / "inner.txt").symlink_to("good.txt")  # inside: read (and found a repeat)
    (seeds / "linked-folder").symlink_to(outside, target_is_directory=True)  # never entered
    return seeds


def test_files_leading_out_of_the_seeds_folder_are_skipped_and_named(tmp_path, monkeypatch):
    seeds = _linked_seeds(tmp_path)
    opened: list[str] = []
    real_open = Path.open
    monkeypatch.setattr(
        Path, "open", lambda self, *a, **k: opened.append(str(self)) or real_open(self, *a, **k)
    )
    corpus = load_corpus(seeds)
    assert [d.doc_id for d in corpus.documents] == ["good.txt"]
    reasons = {s.name: s.reason for s in corpus.skipped}
    assert reasons == {
        "passwd.txt": "symlink out of the folder",
        "sub/secret.txt": "symlink out of the folder",
        "relative.txt": "symlink out of the folder",
        "loop.txt": "symlink loop",
        "dangling.txt": "symlink to nothing",
        "inner.txt": f"{seeds / 'inner.txt'}: same content as good.txt",
    }
    assert not [p for p in opened if "secret" in p or "passwd" in p]
    assert all("萤火虫" not in d.text for d in corpus.documents)


def test_follow_symlinks_reads_files_outside_the_folder(tmp_path):
    seeds = _linked_seeds(tmp_path)
    (seeds / "passwd.txt").unlink()
    corpus = load_corpus(seeds, follow_symlinks=True)
    assert [d.doc_id for d in corpus.documents] == ["good.txt", "relative.txt"]
    reasons = {s.name: s.reason for s in corpus.skipped}
    assert reasons["loop.txt"] == "symlink loop" and reasons["dangling.txt"] == "symlink to nothing"
    assert "same content as relative.txt" in reasons["sub/secret.txt"]


def test_a_seeds_folder_reached_through_a_symlink_is_inside_itself(tmp_path):
    seeds = _linked_seeds(tmp_path)
    alias = tmp_path / "alias"
    alias.symlink_to(seeds, target_is_directory=True)
    corpus = load_corpus(alias)
    assert [d.doc_id for d in corpus.documents] == ["good.txt"]
    assert {s.name for s in corpus.skipped if s.reason == "symlink out of the folder"} == {
        "passwd.txt",
        "relative.txt",
        "sub/secret.txt",
    }


def test_a_folder_of_links_out_only_is_named_as_unreadable(tmp_path):
    (tmp_path / "passwd.txt").symlink_to("/etc/passwd")
    with pytest.raises(SeedsError, match="none of the 1 .*symlink out of the folder"):
        load_corpus(tmp_path)
