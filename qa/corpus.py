"""Read the seeds folder: decode, clean and describe each document.

The seeds are web pages saved as text: besides the article they carry site chrome
(breadcrumbs, counters, footers, ICP numbers), paywall notices and, for some pages, the
pinyin annotations of a Traditional-Chinese converter (``網(wǎng)``). :func:`clean` strips
those and keeps a map from every kept character back to the raw text. The rules are
written as patterns over a normalised key (Simplified, half-width: see
:func:`qa.textnorm.normalize`) so one rule covers both scripts and any site.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import errno
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from qa.errors import SeedsError
from qa.ingest.readers import Extracted, Options, extensions, reader_for
from qa.text import HAN_ALL
from qa.textnorm import is_traditional, normalize

logger = logging.getLogger(__name__)

#: Files larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 20_000_000


@dataclass(frozen=True)
class Document:
    """One cleaned seed document."""

    doc_id: str  # path relative to the seeds folder, e.g. "002_74fc92c28c1dd03c.txt"
    title: str  # headline, original script
    date: str  # "2017-05-10" or "" when the page gives none
    source: str  # e.g. "诸城新闻网", or ""
    text: str  # cleaned text, original script (what chunks' spans refer to)
    sha256: str  # of the raw file bytes
    encoding: str  # "utf-8", "utf-8-sig", "gb18030", "big5"; or the format: "pdf", "docx" ...
    script: str  # "traditional" | "simplified"
    #: Where each page starts in :attr:`text` (first 0), for formats with pages; else empty.
    pages: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Read back from JSON, the pages are a list.
        object.__setattr__(self, "pages", tuple(self.pages))

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that the character at ``offset`` of :attr:`text` is on, or None
        for a document without pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))

    @cached_property
    def key(self) -> str:
        """The text in Simplified script, width-folded (:func:`normalize`): same length, so a
        match in it is a span of :attr:`text`. Made once per document, when first asked for."""
        return normalize(self.text)


@dataclass(frozen=True)
class Skipped:
    """A file that was left out of the corpus, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    """The documents read from a seeds folder and the files that were skipped."""

    documents: list[Document]
    skipped: list[Skipped]


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text plus, for each of its characters, the index it came from in the raw text."""

    text: str
    offsets: tuple[int, ...]


# --------------------------------------------------------------------------- decoding

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Formats that sometimes get saved with a .txt name; their headers are unmistakable.
_BINARY_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc, .xls
)

# C0 controls other than tab, newline, form feed and carriage return, plus DEL. None of the
# supported encodings uses these bytes inside a multi-byte character.
_CONTROL_BYTES = bytes(sorted((set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}) | {0x7F}))
_MAX_CONTROL_SHARE = 0.02

# A legacy decoding is accepted only when at least this share of its non-ASCII characters
# looks like ordinary Chinese text.
_MIN_PLAUSIBILITY = 0.6

_LEGACY_ENCODINGS = ("gb18030", "big5")

_UNDECODABLE = "could not be decoded as UTF-8, GB18030 or Big5"


def _binary_reason(data: bytes) -> str | None:
    if data.startswith(_BINARY_MAGIC):
        return "not text (it starts like an image, archive or document file)"
    if b"\x00" in data:
        return "not text (it contains NUL bytes)"
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(data):
        return f"not text ({controls} control bytes in {len(data)})"
    return None


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """Characters that make up nearly all real Chinese text, in either script.

    GB2312 (6,763 Simplified characters) and Big5's frequently-used block (5,401
    Traditional characters). Text decoded with the wrong legacy codec lands mostly outside
    this set: in rare characters, kana, box drawing or the private-use area.
    """
    chars: set[str] = set()
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    for lead in range(0xA4, 0xC7):
        for trail in trails:
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


# Punctuation and symbols ordinary Chinese text uses: general punctuation (“”…—),
# number forms (Ⅰ), arrows, circled numbers (①), shapes (■○), stars (★), CJK punctuation
# (、。《》「」), full-width forms (，：！), no-break space, middle dot, multiplication sign.
_PLAUSIBLE_SYMBOL_RANGES = (
    (0x2010, 0x206F),
    (0x2150, 0x21FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x26FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
    (0x00A0, 0x00A0),
    (0x00B7, 0x00B7),
    (0x00D7, 0x00D7),
)


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that look like ordinary Chinese text."""
    common = _common_hanzi()
    total = 0
    good = 0
    for char in text:
        code = ord(char)
        if code < 0x80:
            continue
        total += 1
        if char in common or any(lo <= code <= hi for lo, hi in _PLAUSIBLE_SYMBOL_RANGES):
            good += 1
    return good / total if total else 1.0


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode the bytes of a text file whose encoding is not declared.

    UTF-8 (with or without BOM) is trusted first: legacy Chinese text is almost never valid
    UTF-8. Otherwise GB18030 and Big5 are both tried and the decoding whose characters
    look more like real Chinese wins, because GB18030 also "decodes" most Big5 files into
    nonsense.

    Args:
        data: The raw file content.
        name: The file name, used in error messages.

    Returns:
        ``(text, encoding)`` with encoding one of ``"utf-8-sig"``, ``"utf-8"``,
        ``"gb18030"``, ``"big5"``. A BOM is not part of the text.

    Raises:
        SeedsError: If the data is binary, empty or whitespace only, or not decodable.
    """
    if not data.removeprefix(_UTF8_BOM):
        raise SeedsError(f"{name}: empty file")
    if data.startswith(_UTF16_BOMS):
        # Checked before the binary test, which its many NUL bytes would fail with a
        # misleading "not text".
        raise SeedsError(f"{name}: {_UNDECODABLE} (it looks like UTF-16; save it as UTF-8)")
    reason = _binary_reason(data)
    if reason:
        raise SeedsError(f"{name}: {reason}")

    text: str | None = None
    encoding = ""
    utf8_variants = ("utf-8-sig", "utf-8") if data.startswith(_UTF8_BOM) else ("utf-8",)
    for candidate in utf8_variants:
        try:
            text, encoding = data.decode(candidate), candidate
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        scored: list[tuple[float, int, str, str]] = []
        for rank, candidate in enumerate(_LEGACY_ENCODINGS):
            try:
                decoded = data.decode(candidate)
            except UnicodeDecodeError:
                continue
            # Ties go to the earlier (more trusted) encoding via the negated rank.
            scored.append((_plausibility(decoded), -rank, decoded, candidate))
        if scored:
            score, _, decoded, candidate = max(scored)
            logger.debug("%s: best legacy decoding %s (plausibility %.2f)", name, candidate, score)
            if score >= _MIN_PLAUSIBILITY:
                text, encoding = decoded, candidate
    if text is None:
        raise SeedsError(f"{name}: {_UNDECODABLE}")
    if not text.strip():
        raise SeedsError(f"{name}: empty file (whitespace only)")
    return text, encoding


# --------------------------------------------------------------------------- cleaning


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
_DATE = r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
_DATE_PARTS = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_PLAIN_LABELS = (
    "作者|来源|出处|稿源|供稿|点击|点击数|点击量|点击率|浏览|浏览次数|浏览量|阅读量|阅读数"
    "|阅读次数|人气|编辑|责任编辑|责编|编审|审核|审稿|校对|字号|字体|发布者|发布人"
)
_DATE_LABELS = "(?:发布|发表|更新|上传|录入)?(?:时间|日期)"
_FIELD = (
    f"(?:(?:{_PLAIN_LABELS})\\s*:\\s*[^\\s:]*|{_DATE_LABELS}\\s*:\\s*(?:{_DATE}(?:\\s*{_TIME})?)?)"
)
# A line made only of metadata fields: "- 作者:", "点击:10383", "发表时间:2024/5/28 17:55:53".
# A date label only counts with a bare date after it, so "时间:4月下旬召开" stays.
_META_LINE = re.compile(f"^{_BULLET}{_FIELD}(?:\\s*{_FIELD})*$")
# A date, optionally a time, then only fields: "2017-05-10 10:29:50 来源:诸城新闻网".
_DATED_META_LINE = re.compile(f"^{_BULLET}{_DATE}(?:\\s*{_TIME})?(?:\\s*{_FIELD})*$")

_LOCATION_LABEL = "(?:(?:您|你)(?:现在|当前|目前)?的?位置|(?:当前|现在|所在|目前)位置)"
_BREADCRUMB = re.compile(f"^{_LOCATION_LABEL}\\s*:\\s*")
_CRUMB_SEP = re.compile(r"\s*(?:>>?|»|›|→|/|\|)\s*")
# An unlabelled breadcrumb: short items joined by at least two ">"-like separators.
_BARE_BREADCRUMB = re.compile(r"^[^。!?;>»›]{1,40}(?:\s*(?:>>?|»|›)\s*[^。!?;>»›]{1,40}){2,}$")
_HOME_WORDS = frozenset({"首页", "主页", "网站首页", "home", "Home", "HOME"})

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

_TITLE_MAX_CHARS = 100
_DUPLICATE_TITLE_WINDOW = 3


def _strip_annotations(raw: str) -> tuple[str, tuple[int, ...]]:
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
    return bool(_BREADCRUMB.match(key) or _BARE_BREADCRUMB.match(key))


def _is_meta_line(key: str) -> bool:
    return bool(_META_LINE.match(key) or _DATED_META_LINE.match(key))


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
        for line in _split_lines(*_strip_annotations(raw))
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


# --------------------------------------------------------------------------- metadata

_HEADER_LINES = 30
_LABELLED_MAX_CHARS = 120
_LABELLED_DATE = re.compile(f"{_DATE_LABELS}\\s*:\\s*({_DATE})")
_SOURCE_LABEL = re.compile(r"(?:来源|出处|稿源)\s*:\s*([^\s|,;、]+)")
_TITLE_CUT = re.compile("[。!?;]")
_TITLE_FALLBACK_CHARS = 40


def _iso_date(text: str) -> str:
    """``"2024/5/28"``, ``"2017年4月2日"`` → ``"2024-05-28"``; ``""`` for impossible dates."""
    m = _DATE_PARTS.search(text)
    if not m:
        return ""
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""


def _header_lines(raw: str) -> list[tuple[str, str]]:
    """The first lines of ``raw`` as (text, key), converter annotations removed."""
    text, _ = _strip_annotations(raw)
    result: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            result.append((line, normalize(line)))
        if len(result) >= _HEADER_LINES:
            break
    return result


def _date_in(key: str) -> str:
    """The date a metadata line gives ("时间:2017-04-02", "2017-05-10 10:29:50 来源:…")."""
    if len(key) <= _LABELLED_MAX_CHARS and (m := _LABELLED_DATE.search(key)):
        return _iso_date(m[1])
    # A date that merely starts a sentence belongs to the body, not to the page.
    if _DATED_META_LINE.match(key):
        return _iso_date(key)
    return ""


def _find_date(header: list[tuple[str, str]]) -> str:
    return next((found for _, key in header if (found := _date_in(key))), "")


def _find_source(header: list[tuple[str, str]]) -> str:
    for text, key in header:
        if len(key) <= _LABELLED_MAX_CHARS and (m := _SOURCE_LABEL.search(key)):
            return text[m.start(1) : m.end(1)]
    # The first item of a breadcrumb names the site: "您的位置:新文秘網>>解放思想/…".
    for text, key in header:
        if m := _BREADCRUMB.match(key):
            sep = _CRUMB_SEP.search(key, m.end())
            end = sep.start() if sep else len(key)
            site = text[m.end() : end].strip()
            if site and normalize(site) not in _HOME_WORDS:
                return site
            return ""
    return ""


def _title_from(cleaned: str) -> str:
    first = cleaned.split("\n", 1)[0].strip()
    if len(first) <= _TITLE_MAX_CHARS:
        return first
    # No headline: the text starts with the body. Its first sentence, shortened, stands in.
    m = _TITLE_CUT.search(first)
    sentence = first[: m.start()] if m else first
    return sentence[:_TITLE_FALLBACK_CHARS] + ("…" if len(sentence) > _TITLE_FALLBACK_CHARS else "")


def extract_meta(raw: str, cleaned: str) -> tuple[str, str, str]:
    """Find a page's headline, publication date and source.

    Args:
        raw: The decoded file content (metadata lines live only here).
        cleaned: The text :func:`clean` made of it; its first line is the headline.

    Returns:
        ``(title, date, source)``: the title and source in the original script, the date
        as ``"YYYY-MM-DD"``; ``""`` for what the page does not give.
    """
    header = _header_lines(raw)
    return _title_from(cleaned), _find_date(header), _find_source(header)


# --------------------------------------------------------------------------- reading


def _cleaned_pages(pages: tuple[int, ...], offsets: tuple[int, ...]) -> tuple[int, ...]:
    """Page starts in the raw text carried over to the cleaned text (whose characters came
    from ``offsets`` of the raw text, in order)."""
    return tuple(bisect.bisect_left(offsets, start) for start in pages)


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, *, ocr: bool = True) -> Document:
    """Read, decode and clean one seed file, of any format :mod:`qa.ingest.readers` reads.

    Args:
        path: The file.
        max_bytes: Larger files are refused without being read.
        ocr: Read PDF pages without a text layer by OCR, where OCR is installed.

    Returns:
        The document; its ``doc_id`` is the file name.

    Raises:
        SeedsError: Naming the file, when it is too large, unreadable, not text, empty,
            not decodable, or holds nothing but page chrome.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SeedsError(f"{path}: too large ({size:,} bytes; the limit is {max_bytes:,})")
        with path.open("rb") as handle:
            # One byte more than allowed tells a file that grew since stat() apart.
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SeedsError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise SeedsError(f"{path}: too large (over {max_bytes:,} bytes, the limit)")

    reader = reader_for(path)
    if reader is None or path.suffix.lower() == ".txt":
        text, encoding = decode(data, str(path))
        extracted = Extracted(text, encoding)
    elif not data:
        raise SeedsError(f"{path}: empty file (0 bytes) / 空文件")
    else:
        extracted = reader.read(data, str(path), Options(max_bytes=max_bytes, ocr=ocr))
        text, encoding = extracted.text, extracted.encoding
        for note in extracted.notes:
            logger.warning("%s: %s", path, note)
    cleaned = clean(text)
    if not cleaned.text.strip():
        raise SeedsError(f"{path}: nothing left after cleaning (only page furniture)")
    title, date, source = extract_meta(text, cleaned.text)
    return Document(
        doc_id=path.name,
        title=title,
        date=date,
        source=source,
        text=cleaned.text,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        script="traditional" if is_traditional(cleaned.text) else "simplified",
        pages=_cleaned_pages(extracted.pages, cleaned.offsets),
    )


#: What a seeds folder holds, for messages: "*.txt, *.pdf, ... files".
DOCUMENT_FILES = ", ".join(f"*{ext}" for ext in extensions()) + " files"

#: Why a file under the seeds folder is not read although its name is that of a seed.
OUTSIDE = "symlink out of the folder"
LOOP = "symlink loop"
DANGLING = "symlink to nothing"


def boundary_reason(path: Path, root: Path, *, follow_symlinks: bool = False) -> str | None:
    """Why a file under the seeds folder must not be opened, or None when it may be.

    The seeds folder is a boundary: a file whose real path (symlinks resolved) lies outside
    it is not read, or a link ``passwd.txt -> /etc/passwd`` would be indexed and served.

    Args:
        path: A path found under the seeds folder.
        root: The seeds folder, resolved (:meth:`Path.resolve`).
        follow_symlinks: Allow real paths outside the folder (``QA_FOLLOW_SYMLINKS=1``).

    Returns:
        :data:`OUTSIDE`, :data:`LOOP`, :data:`DANGLING`, or None.
    """
    try:
        real = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11-3.12 report a loop so, later versions as ELOOP
        return LOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LOOP
        return DANGLING if path.is_symlink() else None  # else vanished: its read will say so
    if not follow_symlinks and not real.is_relative_to(root):
        return OUTSIDE
    return None


def _seed_files(
    seeds_dir: Path, *, follow_symlinks: bool = False
) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """``(relative posix path, path)`` of every document file (``*.txt`` and the other formats
    :func:`qa.ingest.readers.extensions` names), sorted; hidden paths skipped.

    Also returns the files that are not read because of where they lead (see
    :func:`boundary_reason`); folders that are symlinks are never entered.
    """
    found: list[tuple[str, Path]] = []
    refused: list[Skipped] = []
    root = seeds_dir.resolve()
    known = extensions()
    for path in seeds_dir.rglob("*"):
        relative = path.relative_to(seeds_dir)
        if path.suffix.lower() not in known or any(part.startswith(".") for part in relative.parts):
            continue
        reason = boundary_reason(path, root, follow_symlinks=follow_symlinks)
        if reason is not None:
            refused.append(Skipped(name=relative.as_posix(), reason=reason))
        elif path.is_file():
            found.append((relative.as_posix(), path))
    return sorted(found), sorted(refused, key=lambda item: item.name)


def load_corpus(
    seeds_dir: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    follow_symlinks: bool = False,
    ocr: bool = True,
) -> Corpus:
    """Read every document file under a folder (recursively) into a corpus: ``*.txt``, and
    PDF, Word, HTML and Markdown files (:mod:`qa.ingest.readers`).

    A file that cannot be used is skipped with a logged warning and recorded in
    :attr:`Corpus.skipped`; it never stops the others. So is a file whose bytes repeat an
    earlier one, and a symlink that leads out of the folder or in a loop (never opened).

    Args:
        seeds_dir: The seeds folder.
        max_bytes: Per-file size limit.
        follow_symlinks: Read files whose real path lies outside the folder too.
        ocr: Read PDF pages without a text layer by OCR, where OCR is installed.

    Returns:
        The documents, sorted by path relative to ``seeds_dir`` (their ``doc_id``), and
        the skipped files.

    Raises:
        SeedsError: If the folder does not exist, holds no document file, or none of them
            could be read.
    """
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.exists():
        raise SeedsError(f"seeds folder {seeds_dir} does not exist; set QA_SEEDS_DIR or --seeds")
    if not seeds_dir.is_dir():
        raise SeedsError(f"seeds folder {seeds_dir} is not a folder; set QA_SEEDS_DIR or --seeds")
    files, refused = _seed_files(seeds_dir, follow_symlinks=follow_symlinks)
    for item in refused:
        logger.warning("skipping %s: %s", item.name, item.reason)
    if not files and not refused:
        raise SeedsError(f"seeds folder {seeds_dir} holds no {DOCUMENT_FILES}")

    documents: list[Document] = []
    skipped: list[Skipped] = list(refused)
    first_with_hash: dict[str, str] = {}
    for doc_id, path in files:
        try:
            document = read_document(path, max_bytes, ocr=ocr)
        except SeedsError as exc:
            reason = str(exc)
        else:
            earlier = first_with_hash.setdefault(document.sha256, doc_id)
            if earlier == doc_id:
                documents.append(dataclasses.replace(document, doc_id=doc_id))
                continue
            reason = f"{path}: same content as {earlier}"
        logger.warning("skipping %s: %s", doc_id, reason)
        skipped.append(Skipped(name=doc_id, reason=reason))

    if not documents:
        reasons = "; ".join(item.reason for item in skipped[:3])
        raise SeedsError(
            f"none of the {len(files) + len(refused)} document files in {seeds_dir} is readable: "
            f"{reasons}"
        )
    logger.info("read %d documents from %s (%d skipped)", len(documents), seeds_dir, len(skipped))
    return Corpus(documents=documents, skipped=skipped)
