"""Spans of the kind a question asks for: a time, a quantity, a person (by post and place)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from qa.ingest.textnorm import normalize
from qa.query.question import POSTS, counts_in
from qa.text import CN_LARGE, CN_NUMERALS, HAN_BASIC, has_latin_words

logger = logging.getLogger(__name__)

_TIME_SPAN = re.compile(
    r"\d{1,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[上下]午|[上中下]旬|月份|年底|年初|季度"
    rf"|[{CN_NUMERALS}]{{1,3}}月|每(?:月|季度|周|年|天)|(?:今|去|明|前)年"
)


#: A year (2017年, 二〇一七年) and a day of a month (24日, 10号, 二十四日): what 哪一年 and
#: 哪天 ask for.
_YEAR_SPAN = re.compile(r"\d{4}\s*年|[〇零一二三四五六七八九]{4}年")
_DAY_SPAN = re.compile(rf"\d{{1,2}}\s*[日号]|[{CN_NUMERALS}]{{1,3}}[日号]")

_QUANTITY_SPAN = re.compile(
    rf"(?:\d+(?:\.\d+)?|[{CN_NUMERALS}{CN_LARGE}]+)\s*(?:%|％|多|余)?"
    r"(?:平方公里|公里|万元|亿元|个|户|名|人|元|万|亿|项|家|次|位|条|岁|天|倍|所|座|件|吨|级)"
)



#: Committees whose post may follow a surname (市委谢书记: the city committee's secretary 谢).
_COMMITTEES = "市委|县委|区委|省委|党委|工委"
# What may stand before a surname and its post: nothing Chinese (桑书记), or the committee.
_BEFORE_SURNAME = rf"(?:(?<![{HAN_BASIC}])|(?<={_COMMITTEES}))"

# A name after its post (市委书记费高云), a surname alone before one (桑书记, 市委谢书记), or an
# office's unnamed official (领导小组办公室有关负责人), whom a report names so.
_PERSON_SPAN = re.compile(
    rf"(?<!副)(?:{POSTS})[{HAN_BASIC}]{{2,3}}|{_BEFORE_SURNAME}(?!副)[{HAN_BASIC}](?:{POSTS})"
    rf"|[{HAN_BASIC}]{{2}}(?:有关|相关)负责(?:人|同志)"
)


_CJK_ONE = f"[{HAN_BASIC}]"


def _named_after(key: str, post: str, given: str = "") -> bool:
    """Whether a post in the text comes with a person's name (the committee's that the
    question ``given``, Simplified, names, if it names one)."""
    from jieba import posseg

    if re.search(rf"(?<![{HAN_BASIC}])(?!副){_CJK_ONE}{re.escape(post)}", key):
        return True
    # 市委谢书记 answers for a 书记, unless the question asks for another committee's
    # (开发区党工委书记 is not the city's).
    asked = {m[1] for m in re.finditer(rf"({_COMMITTEES}){re.escape(post)}", given)}
    for m in re.finditer(rf"({_COMMITTEES})(?!副){_CJK_ONE}{re.escape(post)}", key):
        if not asked or m[1] in asked:
            return True
    for m in re.finditer(rf"(?<!副){re.escape(post)}", key):
        # The whole name before the post (桑福岭书记).
        before = list(posseg.cut(key[max(0, m.start() - 6) : m.start()]))
        if before and before[-1].flag.startswith("nr") and 2 <= len(before[-1].word) <= 3:
            return True
        tokens = list(posseg.cut(key[m.end() : m.end() + 6]))[:2]
        # jieba reads some names as a surname and a given name apart (费 高云).
        if tokens and tokens[0].flag.startswith("nr") and 2 <= len(tokens[0].word) <= 3:
            return True
        if len(tokens) == 2 and len(tokens[0].word) == 1 and tokens[1].flag.startswith("nr"):
            return len(tokens[1].word) <= 2
    return False


_ASKS_OBJECT = re.compile(r"\bwhom? (?:did|does|do|will|would|has|have|had)\b", re.I)


def asked_posts(question: str, terms: Sequence[str] = ()) -> list[str]:
    """The posts a person question names (书记, 市长), as the question or its terms say them.

    A deputy's post keeps its 副 ("副组长叫什么名字" asks for 副组长, not for 组长刘宁), since
    the holder of the post itself is someone else.

    Args:
        question: The question, Simplified.
        terms: Its search terms: a question with English words takes the posts of its
            translations; a Chinese question's own words are its posts.
    """
    # A question in English words has its posts in its translations (party secretary →
    # 市委书记); a Chinese one's widened terms (同志 near 干部) are not posts it asks about.
    translated = terms if has_latin_words(question) else ()
    if _ASKS_OBJECT.search(question):
        # "Who did the reporter interview?": the post is the one who acts, not the one asked.
        return []
    found = []
    for post in POSTS.split("|"):
        if post in question or any(post in t for t in translated):
            found.append(f"副{post}" if f"副{post}" in question else post)
    return found


def carries(
    kind: str,
    text: str,
    posts: Sequence[str] = (),
    grain: str = "",
    unit: str = "",
    given: str = "",
) -> bool:
    """Whether a sentence has a span of the kind a question asks for: a date or time (a year
    or a day when ``grain`` says so), a number in a unit (in ``unit`` when the question counts
    in one, and not one the question ``given``, Simplified, already states), a person (a name
    after the post the question asks about, or, asking about no post, any name with a post or
    that jieba knows)."""
    key = normalize(text)
    if kind == "time":
        span = {"year": _YEAR_SPAN, "day": _DAY_SPAN}.get(grain, _TIME_SPAN)
        return bool(span.search(key))
    if kind == "quantity":
        return _new_number(key, given) and (not unit or counts_in(key, unit))
    if kind == "person":
        if posts:
            # 市长 is not 副市长's post: the post as asked, then a name (市委书记费高云), or a
            # surname alone before it (桑书记). "总书记作出…" names nobody after the post.
            return any(_named_after(key, p, given) for p in posts)
        if _PERSON_SPAN.search(key):
            return True
        from jieba import posseg

        return any(t.flag.startswith("nr") and len(t.word) in (2, 3) for t in posseg.cut(key))
    return True


def _new_number(key: str, given: str) -> bool:
    return any(m[0] not in given for m in _QUANTITY_SPAN.finditer(key))


def tells_a_new_number(text: str, question: str) -> bool:
    """Whether a sentence has a number in a unit that the question does not already give:
    "38个问题" does not answer "38个问题中,已经整改完成了多少个?"."""
    return _new_number(normalize(text), normalize(question))


def kind_spans(kind: str, text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` of the kind a question asks for: dates and times, numbers in a
    unit, names after a post (empty for other kinds)."""
    pattern = {"time": _TIME_SPAN, "quantity": _QUANTITY_SPAN, "person": _PERSON_SPAN}.get(kind)
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(normalize(text))]
