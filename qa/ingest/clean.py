"""Cleaning a saved web page down to its article.

The seeds are web pages saved as text: besides the article they carry site chrome
(breadcrumbs, counters, footers, ICP numbers), paywall notices and, for some pages, the
pinyin annotations of a Traditional-Chinese converter (``網(wǎng)``). :func:`clean` strips
those and keeps a map from every kept character back to the raw text. The rules are
written as patterns over a normalised key (Simplified, half-width: see
:func:`qa.ingest.textnorm.normalize`) so one rule covers both scripts and any site.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qa.ingest.textnorm import normalize
from qa.text import HAN_ALL

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text plus, for each of its characters, the index it came from in the raw text."""

    text: str
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class _Line:
    """A line under construction: its characters, where each came from, and its break."""

    text: str
    offsets: tuple[int, ...]
    brk: int  # index in the raw text of the line break that ended it; -1 for the last line

    def without(self, spans: Iterable[tuple[int, int]]) -> _Line:
        """This line with the characters in ``spans`` deleted (offsets follow them)."""
        spans = list(spans)
        if not spans:
            return self
        keep = [True] * len(self.text)
        for start, end in spans:
            keep[start:end] = [False] * (end - start)
        return _Line(
            "".join(c for c, k in zip(self.text, keep, strict=True) if k),
            tuple(o for o, k in zip(self.offsets, keep, strict=True) if k),
            self.brk,
        )


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"

_PINYIN = f"[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*"

_HAN = HAN_ALL

# A converter's reading after a character: 網(wǎng). Requiring a tone mark keeps "(一)",
# "(街道)" and Latin words in brackets such as "(app)".
_PINYIN_NOTE = re.compile(f"(?<=[{_HAN}])[(\uff08]{_PINYIN}[)\uff09]")

# The same when the character itself was lost on the way: 思想?yún)R報.
_LOST_CHAR_NOTE = re.compile(f"[?\uff1f][(\uff08]?{_PINYIN}[)\uff09]")

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")

_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

_SPACE_RUN = re.compile(r"\s+")

# The patterns below run on the normalised key of a line (Simplified, half-width ASCII,
# whitespace runs collapsed), so a rule written as "当前位置:" also matches "當前位置：".
_BULLET = r"[-*•·]?\s*"

DATE = r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"

DATE_PARTS = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"

_PLAIN_LABELS = (
    "作者|来源|出处|稿源|供稿|点击|点击数|点击量|点击率|浏览|浏览次数|浏览量|阅读量|阅读数"
    "|阅读次数|人气|编辑|责任编辑|责编|编审|审核|审稿|校对|字号|字体|发布者|发布人"
)


DATE_LABELS = "(?:发布|发表|更新|上传|录入)?(?:时间|日期)"

_FIELD = (
    f"(?:(?:{_PLAIN_LABELS})\\s*:\\s*[^\\s:]*|{DATE_LABELS}\\s*:\\s*(?:{DATE}(?:\\s*{_TIME})?)?)"
)


# A line made only of metadata fields: "- 作者:", "点击:10383", "发表时间:2024/5/28 17:55:53".
# A date label only counts with a bare date after it, so "时间:4月下旬召开" stays.
_META_LINE = re.compile(f"^{_BULLET}{_FIELD}(?:\\s*{_FIELD})*$")

# A date, optionally a time, then only fields: "2017-05-10 10:29:50 来源:诸城新闻网".
DATED_META_LINE = re.compile(f"^{_BULLET}{DATE}(?:\\s*{_TIME})?(?:\\s*{_FIELD})*$")

_LOCATION_LABEL = "(?:(?:您|你)(?:现在|当前|目前)?的?位置|(?:当前|现在|所在|目前)位置)"

BREADCRUMB = re.compile(f"^{_LOCATION_LABEL}\\s*:\\s*")

CRUMB_SEP = re.compile(r"\s*(?:>>?|»|›|→|/|\|)\s*")

# An unlabelled breadcrumb: short items joined by at least two ">"-like separators.
_BARE_BREADCRUMB = re.compile(r"^[^。!?;>»›]{1,40}(?:\s*(?:>>?|»|›)\s*[^。!?;>»›]{1,40}){2,}$")

HOME_WORDS = frozenset({"首页", "主页", "网站首页", "home", "Home", "HOME"})

_DISCLAIMER = re.compile(
    r"不代表本(?:站|网|平台|号|刊)的?(?:观点|立场)|侵权.{0,8}删除|转载请注明|版权归原作者"
)


_SITE_FOOTER = re.compile(
    r"ICP\s*(?:备|证)|备案号|公网安备|版权所有|\bcopyright\b|©|增值电信业务|新闻信息服务许可",
    re.IGNORECASE,
)


_FOOTER_MAX_CHARS = 200

# Portal widgets' headings: "新闻排行", "精彩热图", "相关文章", "文章搜索", ...
_WIDGET_HEADING = re.compile(
    "^(?:相关|热门|热点|精彩|最新|推荐|娱乐|图片|文章|新闻|友情|站内|本站|延伸|猜你|今日|一周)"
    "(?:文章|新闻|阅读|推荐|排行|排行榜|热图|图片|搜索|链接|专题|喜欢|热点)$"
)


_PAGINATION = re.compile(
    r"^(?:\d+\s*条记录\s*\d+\s*/\s*\d+\s*页|共\s*\d+\s*页.{0,20}|第\s*\d+\s*页.{0,20}"
    r"|(?:首页|上一页|下一页|尾页|末页|\d+|\s)+|(?:上一篇|下一篇)\s*:.*)$"
)


_GONE_NOTICE = re.compile("不存在或已被?删除|页面不存在|已被删除|已下线")

_GONE_MAX_CHARS = 20

_ACCOUNT_WORDS = frozenset(
    {
        "注册", "登录", "登陆", "登入", "退出", "免费注册", "会员注册", "会员登录",
        "用户登录", "找回密码", "忘记密码", "会员中心", "个人中心", "我的账户",
    }
)  # fmt: skip


_CONTACT = re.compile(
    "^(?:客服|官方|联系|咨询|商务|投稿|合作)?(?:微信|微信号|QQ|电话|热线|邮箱|e-?mail|手机|tel)"
    r"(?:号|号码)?\s*:\s*[A-Za-z0-9@._\-+ ]+$",
    re.IGNORECASE,
)


_DOTS_ONLY = re.compile(r"^[\s.。…·・\-—_=*~#]*$")

_BARE_COUNTER = re.compile(f"^{_BULLET}\\d+$")

_NAV_SPLIT = re.compile(r"\s+[-|·/]\s+|\s*\|\s*")

_NAV_MIN_ITEMS = 4

_NAV_ITEM_MAX_CHARS = 8

# In-line removals. A bracketed paywall notice ("……(xx网省略1091字,正式会员可完整阅读)……")
# goes alone; a truncation notice ("……(未完,全文共6647字,当前仅显示3063字,…") ends the
# visible text, so the rest of its line goes with it.
_PAYWALL = re.compile(
    r"[….]*\([^()]*?(?:省略\s*\d+\s*字|正式会员|会员可|完整阅读|付费阅读)[^()]*\)[….]*"
)


_TRUNCATION = re.compile(
    r"\s*[….]*\s*\(?\s*(?:未完\s*[,。]?\s*(?:全文共|待续)|全文共\s*\d+\s*字\s*,\s*当前仅显示).*$"
)


_FROM_WEB = re.compile(
    r"\((?:文章|本文|内容|图文|资料)?(?:来自|来源于|来源|转自|摘自|选自)于?(?:网络|互联网|网上)\)"
)


_END_MARK = re.compile(r"[(\[【]\s*(?:完|全文完|终|end)\s*[)\]】]\s*$", re.IGNORECASE)

_TRAILING_BAR = re.compile(r"\s*\|\s*$")

_INLINE_JUNK = (_PAYWALL, _TRUNCATION, _FROM_WEB, _END_MARK, _TRAILING_BAR)

# "目录/提纲:……" opens a table of contents that repeats the body's headings.
_TOC_HEADER = re.compile(r"^(?:目录|提纲|大纲)(?:\s*/\s*(?:目录|提纲|大纲))?\s*:?\s*[….]*$")

_TOC_MAX_LINES = 100

_TOC_ENTRY_MAX_CHARS = 80

TITLE_MAX_CHARS = 100

_DUPLICATE_TITLE_WINDOW = 3


def strip_annotations(raw: str) -> tuple[str, tuple[int, ...]]:
    """Remove converter pinyin notes and invisible characters, keeping the offset map."""
    line = _Line(raw, tuple(range(len(raw))), -1)
    for pattern in (_PINYIN_NOTE, _LOST_CHAR_NOTE, _INVISIBLE):
        line = line.without(m.span() for m in pattern.finditer(line.text))
    return line.text, line.offsets


def _split_lines(text: str, offsets: tuple[int, ...]) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    for m in _LINE_BREAK.finditer(text):
        # For "\r\n" the break is represented by its "\n".
        end = m.start()
        lines.append(_Line(text[start:end], offsets[start:end], offsets[m.end() - 1]))
        start = m.end()
    lines.append(_Line(text[start:], offsets[start:], -1))
    return lines


def _collapse_spaces(line: _Line) -> _Line:
    """Whitespace runs become one space (mapped to the run's first character); ends trimmed."""
    chars: list[str] = []
    offsets: list[int] = []
    last = 0
    for m in _SPACE_RUN.finditer(line.text):
        chars.append(line.text[last : m.start()])
        offsets.extend(line.offsets[last : m.start()])
        if m.start() > 0 and m.end() < len(line.text):
            chars.append(" ")
            offsets.append(line.offsets[m.start()])
        last = m.end()
    chars.append(line.text[last:])
    offsets.extend(line.offsets[last:])
    return _Line("".join(chars), tuple(offsets), line.brk)


def _remove_inline_junk(line: _Line) -> _Line:
    key = normalize(line.text)
    for pattern in _INLINE_JUNK:
        spans = [m.span() for m in pattern.finditer(key)]
        if spans:
            line = line.without(spans)
            key = normalize(line.text)
    return line


def _is_breadcrumb(key: str) -> bool:
    return bool(BREADCRUMB.match(key) or _BARE_BREADCRUMB.match(key))


def _is_meta_line(key: str) -> bool:
    return bool(_META_LINE.match(key) or DATED_META_LINE.match(key))


def _is_site_footer(key: str) -> bool:
    return len(key) <= _FOOTER_MAX_CHARS and bool(_SITE_FOOTER.search(key))


def _is_gone_notice(key: str) -> bool:
    return len(key) <= _GONE_MAX_CHARS and bool(_GONE_NOTICE.search(key))


def _is_nav_row(key: str) -> bool:
    """A row of short links: "关于我们 - 诸城新闻 - 网站公告 - 设为首页 - 加入收藏"."""
    items = [item for item in _NAV_SPLIT.split(key) if item]
    return len(items) >= _NAV_MIN_ITEMS and all(
        len(item) <= _NAV_ITEM_MAX_CHARS and not re.search("[。,!?;]", item) for item in items
    )


def _is_account_row(key: str) -> bool:
    words = [word for word in re.split(r"[\s|/]+", key) if word]
    return bool(words) and all(word in _ACCOUNT_WORDS for word in words)


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda key: bool(pattern.search(key))


_CHROME_TESTS: tuple[Callable[[str], bool], ...] = (
    _is_breadcrumb,
    _is_meta_line,
    _matches(_DISCLAIMER),
    _is_site_footer,
    _matches(_WIDGET_HEADING),
    _matches(_PAGINATION),
    _is_gone_notice,
    _is_account_row,
    _matches(_CONTACT),
    _matches(_DOTS_ONLY),
    _matches(_BARE_COUNTER),
    _is_nav_row,
)


def _is_chrome(key: str) -> bool:
    """Whether a line, given as its normalised key, is page furniture rather than content."""
    return any(test(key) for test in _CHROME_TESTS)


def _toc_end(keys: list[str], header: int) -> int:
    """Index one past the table of contents whose header is line ``header``.

    A table of contents normally closes with a line of dots. Without one, its entries are
    the short lines that reappear later in the text; the first that does not ends it.
    """
    for i in range(header + 1, min(len(keys), header + 1 + _TOC_MAX_LINES)):
        if keys[i] and _DOTS_ONLY.match(keys[i]):
            return i + 1
    joined = "\n".join(keys)
    position = sum(len(key) + 1 for key in keys[: header + 1])
    end = header + 1
    while end < min(len(keys), header + 1 + _TOC_MAX_LINES):
        entry = keys[end]
        position += len(entry) + 1
        if entry and (len(entry) > _TOC_ENTRY_MAX_CHARS or joined.find(entry, position) < 0):
            break
        end += 1
    return end


def _content_lines(lines: list[_Line], keys: list[str]) -> list[int]:
    """Indices of the lines that are neither empty, chrome nor part of a table of contents."""
    kept: list[int] = []
    i = 0
    while i < len(lines):
        if _TOC_HEADER.match(keys[i]):
            i = _toc_end(keys, i)
            continue
        if keys[i] and not _is_chrome(keys[i]):
            kept.append(i)
        i += 1
    return kept


def _without_title_repeats(indices: list[int], keys: list[str]) -> list[int]:
    """Drop copies of the headline among the lines right after it."""
    if not indices:
        return indices
    title = _SPACE_RUN.sub("", keys[indices[0]])
    return [indices[0]] + [
        index
        for n, index in enumerate(indices[1:], start=1)
        if n > _DUPLICATE_TITLE_WINDOW or _SPACE_RUN.sub("", keys[index]) != title
    ]


def clean(raw: str) -> Cleaned:
    """Strip page chrome, paywall notices and converter annotations from a page's text.

    The headline stays as the first line (an immediate repeat of it is dropped); the body
    is kept character for character in its original script. Whitespace runs become one
    space, lines are trimmed and empty lines dropped, so paragraphs are separated by one
    ``\\n``.

    Args:
        raw: The decoded file content.

    Returns:
        The cleaned text and, for each of its characters, its index in ``raw``
        (``raw[offsets[i]] == text[i]`` for every non-whitespace character).
    """
    lines = [
        _collapse_spaces(_remove_inline_junk(line))
        for line in _split_lines(*strip_annotations(raw))
    ]
    keys = [normalize(line.text) for line in lines]
    kept = [lines[i] for i in _without_title_repeats(_content_lines(lines, keys), keys)]

    parts: list[str] = []
    offsets: list[int] = []
    for n, line in enumerate(kept):
        if n:
            # Only the last raw line lacks a break, and it can never be followed by another.
            parts.append("\n")
            offsets.append(kept[n - 1].brk)
        parts.append(line.text)
        offsets.extend(line.offsets)
    return Cleaned(text="".join(parts), offsets=tuple(offsets))
