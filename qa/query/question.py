"""What a question asks for, read once: a list, one item of a list, how many, which noun.

Small numbers in Chinese and English words (:func:`cn_number`), counts and ordinals, and
:func:`list_request`, which the search's follow-up handling and the answer composer both read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qa.ingest.textnorm import normalize
from qa.text import (
    CN_DIGIT_VALUES,
    CN_LARGE,
    CN_NUMERALS,
    EN_CARDINALS,
    EN_ORDINALS,
    HAN_BASIC,
)

# --------------------------------------------------------------------------- numbers

# The question patterns know numbers up to twelve, in words.
_EN_NUMBERS = {word: n for word, n in EN_CARDINALS.items() if n <= 12}
_EN_ORDINALS = {word: n for word, n in EN_ORDINALS.items() if n <= 12}


def cn_number(text: str) -> int | None:
    """The value of a small Chinese or Arabic number ("三" → 3, "十二" → 12, "二十" → 20).

    Args:
        text: Digits, or Chinese numerals up to 九十九 (Simplified or Traditional 兩).

    Returns:
        The number, or None when ``text`` is not one.
    """
    text = normalize(text.strip())
    if text.isdigit():
        return int(text)
    if not text or any(c not in CN_NUMERALS for c in text):
        return None
    if "十" not in text:
        return CN_DIGIT_VALUES[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    value = (CN_DIGIT_VALUES[tens] if tens else 1) * 10
    return value + (CN_DIGIT_VALUES[ones] if ones else 0)


# --------------------------------------------------------------------------- list questions

# Measure words that count the things a list is made of ("五个阶段", "六种意识", "七项机制").
_CL = "个|种|项|条|类|点|步|件|方面|阶段|环节|字"
# Not after 第: "第三个阶段" names one phase, it does not count three.
_COUNT_RE = re.compile(
    rf"(?<![第{CN_NUMERALS}\d])([{CN_NUMERALS}]+|\d+)(?:{_CL}|大(?![{CN_NUMERALS}]))"
)
# 哪一年 / 哪一位 / 哪一个 ask for one thing (a time, a person), not a list.
_WHICH_RE = re.compile(rf"哪(?:些|几|[二两三四五六七八九十][{CN_NUMERALS}]*|\d+)")
_WHICH_COUNT_RE = re.compile(rf"哪([{CN_NUMERALS}]+|\d+)")
_LIST_ASK_RE = re.compile(
    r"是什么|有什么|包括什么|包含什么|指什么|分别|都有|都是|有哪|内容|分为|分成"
)
_ORDINAL_CN_RE = re.compile(
    rf"第([{CN_NUMERALS}]+|\d+)(?:{_CL}|是|要)?(?![{CN_NUMERALS}\d次届年期号])"
)
_ORDINAL_EN_RE = re.compile(
    r"\b(" + "|".join(_EN_ORDINALS) + r"|(\d+)(?:st|nd|rd|th))\b", re.IGNORECASE
)
_EN_NUMBER_RE = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r"|\d+)\s+(?:\w+\s+)?\w+s\b", re.I)
_EN_QUOTED_RE = re.compile(r'"[^"]*"')
_EN_NOT_LIST_RE = re.compile(
    r"\s*(?:who|whom|whose|when|where|why|how(?!\s+many)|does|did|do|is|was|can"
    # "On what date did … approve the three … plans?" asks a time.
    r"|(?:on|in|at)?\s*(?:what|which)\s+(?:date|day|year|month|time)"
    r"|(?:in|at)\s+(?:what|which)\s+(?:place|city|venue)"
    r"|what\s+is\s+the\s+name|what's\s+the\s+name)\b",
    re.I,
)
_EN_LIST_RE = re.compile(
    # "Name the five phases" (not "what is the name of …").
    r"\b(?:what|which)\s+(?:are|were)\b|\b(?:list|enumerate)\b|^\s*(?:please\s+)?name\b"
    r"|\bwhat\s+\w+s\s+(?:are|were)\b"
    r"|\bwhich\s+\w+s\b|\bwhich\s+\w+\s+kinds?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ListRequest:
    """What a list question asks for."""

    count: int | None = None  # "哪五个阶段" → 5
    ordinal: int | None = None  # "第三个阶段" → 3: the one item wanted from the list
    noun: str = ""  # what the list is made of: "哪五个阶段" → "阶段" (Simplified)
    #: A word the question quotes as what each item says: "提了哪几个“更要”" → "更要".
    mark: str = ""
    #: The items are people: "有哪几位作了交流发言", "哪些人".
    people: bool = False


_NOUN_STOP = r"(?=是|有|包括|包含|分别|呢|吗|都|的|[?!,.。:;“”「」\s]|$)"
_NOUN_RES = (
    re.compile(
        rf"[哪几](?:些|几|[{CN_NUMERALS}]+|\d+)?(?:{_CL})?([{HAN_BASIC}]{{1,6}}?){_NOUN_STOP}"
    ),
    re.compile(
        rf"(?:[{CN_NUMERALS}]+|\d+)(?:{_CL})([{HAN_BASIC}]{{1,6}}?){_NOUN_STOP}"
    ),  # 第三个阶段
    # "在具体要求上强调了哪几点": the points are 具体要求.
    re.compile(rf"在([{HAN_BASIC}]{{2,6}}?)(?:上|方面)[^?？。]*?[哪几]"),
    # "活动的主要任务有哪几项": the items are 主要任务.
    re.compile(rf"的([{HAN_BASIC}]{{2,6}}?)(?:有|是|包括|分为)(?:哪|几)"),
)


def noun_of(question: str) -> str:
    """What a list question counts: "哪五个阶段" → "阶段", "几种不良作风" → "不良作风", else ""."""
    norm = normalize(question or "")
    for pattern in _NOUN_RES:
        for m in pattern.finditer(norm):
            # Backtracking can leave the measure word itself ("哪六种" → "种"): no noun then.
            if not (len(m[1]) == 1 and m[1] in _CL) and m[1][0] not in f"些几{CN_NUMERALS}":
                return m[1]
    return ""


#: The ordinal of "the last one" (最后一个): the list's length, once the list is known.
LAST = -1
_LAST_RE = re.compile(r"最后一(?:个|种|项|条|类|点|步|件)?|\bthe\s+last\b", re.I)


def ordinal_of(question: str) -> int | None:
    """The ordinal a question names: 第三个/第四种 → 3/4, "the third one" → 3, 最后一个 /
    "the last one" → :data:`LAST`, else None."""
    norm = normalize(question or "")
    if _LAST_RE.search(norm):
        return LAST
    m = _ORDINAL_CN_RE.search(norm)
    if m and (n := cn_number(m[1])):
        return n
    for m in _ORDINAL_EN_RE.finditer(norm):
        if not _in_a_name(norm, m):
            return int(m[2]) if m[2] else _EN_ORDINALS[m[1].lower()]
    return None


def _in_a_name(text: str, ordinal: re.Match[str]) -> bool:
    """Whether an English ordinal counts occurrences ("the fifth plenary session", like
    第五届) or opens a name ("the Third Party Congress"), rather than asking for an item."""
    if _EN_ORDINAL_NAME_RE.match(text, ordinal.end()):
        return True
    title_case = ordinal[0][0].isupper() and ordinal.start() > 0
    return title_case and _EN_CAPITALISED_RE.match(text, ordinal.end()) is not None


_EN_ORDINAL_NAME_RE = re.compile(
    r"\s+(?:(?:plenary\s+)?sessions?|plenums?|plenary|congress(?:es)?|meetings?|terms?|times?"
    r"|rounds?|years?|anniversar(?:y|ies)|issues?|centur(?:y|ies)|editions?)\b",
    re.IGNORECASE,
)
_EN_CAPITALISED_RE = re.compile(r"\s+[A-Z]")


def count_of(question: str) -> int | None:
    """The number of things a question mentions: 哪五个 / 四种精神 / "six kinds" → 5 / 4 / 6."""
    norm = normalize(question or "")
    # "「三個年」…提出了哪幾個堅持?": asked how many of its own noun, a number inside a quoted
    # name is the name's ("“四种精神”是哪几种?" asks no noun of its own: 4 is its count).
    quoted = (
        [m.span() for m in _CN_QUOTED_RE.finditer(norm)] if _ASKS_HOW_MANY_OF.search(norm) else []
    )
    for pattern in (_WHICH_COUNT_RE, _COUNT_RE):
        for m in pattern.finditer(norm):
            if any(a <= m.start() < b for a, b in quoted):
                continue
            n = cn_number(m[1])
            if n and n > 1:
                return n
    # 'In the "six visits, three clears, four helps" method, what …': numbers in a quoted
    # name are the name's, not the count asked for.
    en = _EN_NUMBER_RE.search(_EN_QUOTED_RE.sub(" ", norm))
    if en:
        word = en[1].lower()
        n = int(word) if word.isdigit() else _EN_NUMBERS[word]
        if n > 1:
            return n
    return None


def list_request(question: str) -> ListRequest | None:
    """Whether a question asks for a list (or one item of a list), and how many items.

    A list question uses 哪些 / 哪几 / 哪 + number, or names a number of things and asks what
    they are ("四种精神是什么", "分为几个阶段"), or in English "what are", "which …s",
    "list", a number with a plural noun. A question naming an ordinal ("第三个阶段是什么",
    "the third phase") asks for one item.

    Args:
        question: The question as typed (any script, or English).

    Returns:
        The request, or None for a question that does not ask for a list.
    """
    norm = normalize(question or "")
    count = count_of(norm)
    ordinal = ordinal_of(norm)
    asks = bool(_WHICH_RE.search(norm))
    asks = asks or (count is not None and bool(_LIST_ASK_RE.search(norm)))
    asks = asks or bool(re.search(rf"几(?:{_CL})", norm))
    if _EN_NOT_LIST_RE.match(norm):
        # "Who gave the speech when … the three bigs …": a number in the topic, not a list.
        asks = asks or bool(_EN_LIST_RE.search(norm))
    else:
        asks = asks or bool(_EN_LIST_RE.search(norm)) or bool(count and _EN_NUMBER_RE.search(norm))
    people = bool(_ASKS_PEOPLE.search(norm))
    noun, mark = noun_of(norm), mark_of(norm)
    if ordinal is not None and asks and _SECTION_ORDINAL.search(norm):
        # "讲话的第二部分提出了哪几个“明确”?": the list of that part, every item of it.
        ordinal = None
    if ordinal is not None:
        return ListRequest(count, ordinal, noun, mark, people)
    return ListRequest(count, None, noun, mark, people) if asks else None


_CN_QUOTED_RE = re.compile(r"“[^”]*”|「[^」]*」")
#: "哪几个坚持", "几条要求": the question asks how many of a noun it names.
_ASKS_HOW_MANY_OF = re.compile(rf"几(?:{_CL})[{HAN_BASIC}]")
#: "第二部分", "第三章": an ordinal of a part of the document, not of the list's items.
_SECTION_ORDINAL = re.compile(rf"第(?:[{CN_NUMERALS}]+|\d+)(?:部分|章|节|段|篇)")


#: A list question that asks for people: "有哪几位作了交流发言", "哪些人", "哪几名".
_ASKS_PEOPLE = re.compile(r"哪(?:几|些)(?:位|名|个人|人)")


_QUOTED_WORD = re.compile(rf"[“「\"]([{HAN_BASIC}]{{1,8}})[”」\"]")


def quoted_words(question: str) -> list[str]:
    """The Chinese words a question quotes, Simplified, in order: “三大一实干”, “更要”, 「三清」."""
    return _QUOTED_WORD.findall(normalize(question or ""))


def mark_of(question: str) -> str:
    """The word a list question quotes as what each item says ("哪几个“更要”" → 更要), or "": a
    short one with no number in it (a set's name has one: “三个年”)."""
    for word in quoted_words(question):
        if len(word) <= 4 and not re.search(f"[{CN_NUMERALS}\\d]", word):
            return word
    return ""


# --------------------------------------------------------------------------- answer kinds

#: What a question asks for besides a list: the kinds an answer sentence must carry.
ANSWER_KINDS = ("list", "item", "quantity", "time", "person", "place", "other")
_ASKS_QUANTITY = re.compile(
    r"多少|(?<![哪第])几(?:个|户|人|名|次|家|项|条|元|万|亿|岁|天|倍|所|座|件|吨)"
    r"|^(?:and\s+)?(?:how\s+(?:many|much|large|big|long|tall|high|far)|what\s+(?:number|percentage))\b",
    re.I,
)
_ASKS_TIME = re.compile(
    r"哪天|哪一天|何时|什么时候|什么时间|哪年|哪一年|几月|几号|哪个月|多久"
    r"|^(?:and\s+)?(?:(?:on|in|at)\s+)?(?:when|(?:what|which)\s+(?:date|day|year|month|time)"
    r"|how\s+often)\b",
    re.I,
)
# English asks at the start: "who" or "when" further in opens a clause ("… officials who …").
#: Posts a person question asks about, and that name a person in a sentence (市委书记费高云).
POSTS = "书记|市长|县长|区长|主任|组长|部长|局长|主席|常委|委员|同志|镇长|厂长|经理|董事长|记者"

# English posts a "which / what … <post>" question asks a person by.
_EN_POSTS = (
    "(?:secretary|secretaries|mayor|governor|chief|head|director|leader|chairman|chairwoman"
    "|minister|official|officer|reporter|journalist|commissioner|president|deputy)"
)
_ASKS_PERSON = re.compile(
    r"谁|哪位|什么人|^(?:and\s+)?(?:who|whom|whose|which\s+person)\b"
    # "副组长叫什么名字": a post's name (not "这个活动叫什么名字", a thing's).
    rf"|(?:{POSTS})的?(?:叫什么名字|叫什么|的?名字是什么|姓名|姓什么)"
    # "Which Zhucheng party secretary gave…": which/what, a few words (no auxiliary: "what did
    # the secretary say" asks what was said), then a post.
    r"|^(?:and\s+)?(?:which|what)\s+"
    r"(?:(?!(?:is|are|was|were|do|does|did|has|have|had|can|could|should|must|will|would)\b)"
    rf"[\w'-]+\s+){{0,3}}?{_EN_POSTS}\b"
    # "What is the name of the city party secretary who…".
    r"|^(?:what\s+is|what's)\s+the\s+(?:full\s+)?name\s+of\s+(?:the\s+)?(?:[\w'-]+\s+){0,3}?"
    rf"{_EN_POSTS}\b",
    re.I,
)
_ASKS_PLACE = re.compile(
    # "在哪次会议上" asks which meeting, not where.
    r"哪里|在哪(?![次届场])|什么地方|哪个地方|^(?:and\s+)?(?:where|(?:in|at)\s+(?:what|which)\s+"
    r"(?:place|city|town|county|venue|building))\b",
    re.I,
)


def answer_kind(question: str) -> str:
    """What a question asks for: one of :data:`ANSWER_KINDS`.

    A list or one item of a list (:func:`list_request`) first; then a quantity ("多少户",
    "how many"), a time ("哪天", "when"), a person ("谁", "who") or a place ("在哪", "where");
    anything else (a requirement, a reason, a way) is "other".
    """
    norm = normalize(question or "").strip()
    request = list_request(norm)
    if request is not None:
        return "item" if request.ordinal else "list"
    for kind, pattern in (
        ("quantity", _ASKS_QUANTITY),
        ("time", _ASKS_TIME),
        ("person", _ASKS_PERSON),
        ("place", _ASKS_PLACE),
    ):
        if pattern.search(norm):
            return kind
    return "other"


# "诸城作风建设年活动的主题是什么": the thing asked is the 主题, the rest says whose.
_ASKS_ATTRIBUTE = re.compile(
    f"的([{HAN_BASIC}]{{2,4}}?)(?:是什么样的?|是什么|是啥|是哪个|是哪一个|是哪项|是怎样的)[?？。!]*$"
)


def asked_attribute(question: str) -> str:
    """The noun a "…的N是什么" question asks for (主题, 口号, 目标), or "".

    The words before it say whose N it is; an answer that does not name N answers something
    else.
    """
    m = _ASKS_ATTRIBUTE.search(normalize(question or "").strip())
    return m[1] if m else ""


# The interrogative of a person or time question, after which its verb comes (谁主持, 何时召开).
_WHO_WHEN = re.compile(r"谁|什么时候|何时|哪天|哪一天|哪年|哪一年|几月几日|几月几号|几号")


def _first_word(
    tokens: Iterable[Any], skip: Collection[str], word_class: Callable[[str], bool]
) -> str:
    """The first token not in ``skip``, if its jieba tag passes ``word_class`` and it has two
    or more characters, else ""."""
    for token in tokens:
        if token.word in skip:
            continue
        return token.word if word_class(token.flag) and len(token.word) >= 2 else ""
    return ""


def _is_verb(flag: str) -> bool:
    return flag.startswith("v")


def asked_verb(question: str) -> str:
    """The verb a "who", "when" or "how many" question asks about: 主持 in "推进会是谁主持的?",
    召开 in "动员大会是什么时候召开的", 增长 in "比上年增长了多少亿元", or "" (Chinese only).

    A sentence naming a person or a date answers such a question only with that verb: the
    reporter named in the opening line did not chair the meeting.
    """
    from jieba import posseg

    key = normalize(question or "")
    m = _WHO_WHEN.search(key)
    if m is not None:
        return _first_word(posseg.cut(key[m.end() :]), ("是", "由", "被"), _is_verb)
    # "比上年增长了多少亿元": the verb before the quantity asked.
    q = _ASKS_QUANTITY.search(key)
    if q is None:
        return ""
    before = reversed(list(posseg.cut(key[: q.start()])))
    return _first_word(before, ("了", "共", "一共", "总共", "共计", "累计", "已经", "已"), _is_verb)


_ASKS_WHEN = re.compile(
    r"什么时候|什么时间|何时|哪一?天|哪一?年|几月几[日号]|几号|几日|哪个月"
)
_BEFORE_WHEN = frozenset({"是", "在", "于", "安排", "定", "的", "将", "要", "会"})


def asked_subject(question: str) -> str:
    """The event a Chinese "when" question dates: the noun just before its interrogative
    (党代会 in "第三次党代会是什么时候召开的?", 阶段 in "…提高阶段安排在什么时间?"), or "".
    """
    from jieba import posseg

    key = normalize(question or "")
    m = _ASKS_WHEN.search(key)
    if m is None:
        return ""
    before = reversed(list(posseg.cut(key[: m.start()])))
    return _first_word(before, _BEFORE_WHEN, lambda flag: flag.startswith("n") or flag == "vn")


# "主会场设在哪里", "在哪个会场召开", "地址在哪": the kind of place asked for.
_PLACE_NOUN = re.compile(
    rf"([{HAN_BASIC}]{{0,2}}(?:会场|场地|地点|地址|场所|会议室|礼堂|驻地))"
    r"(?:设在|位于|在)?(?:哪里|哪儿|何处|什么地方)"
    rf"|(?:在|于)哪个([{HAN_BASIC}]{{0,2}}(?:会场|场地|地点|场所|会议室|礼堂))"
)


def asked_place_noun(question: str) -> str:
    """The kind of place a Chinese "where" question asks for (会场 in "主会场设在哪里", "在哪个
    会场召开"), or "": a sentence that never names one does not answer it."""
    m = _PLACE_NOUN.search(normalize(question or ""))
    if m is None:
        return ""
    noun = m[1] or m[2]
    return noun[-2:]


# "在哪次会议上提出来的": which one of a kind of thing, and what was done there.
_WHICH_ONE = re.compile(
    rf"哪(?:一)?(?:次|个|场|届)([{HAN_BASIC}]{{1,3}}?)(?:上|中|里)?([{HAN_BASIC}]{{2}})?(?:来|出来)?的?[?？。]?$"
)


def asked_which(question: str) -> tuple[str, str]:
    """The kind of thing a "which one" question asks for, and its verb: ("会议", "提出") for
    "“三个年”行动是在哪次会议上提出来的?", or ("", "")."""
    m = _WHICH_ONE.search(normalize(question or "").strip())
    if m is None:
        return "", ""
    return m[1], m[2] or ""


#: Units a question may count in: "多少户", "几名", "多少亿元", "多少平方公里".
_UNITS = "平方公里|公里|万元|亿元|个|户|名|人|元|万|亿|项|家|次|位|条|岁|天|倍|所|座|件|吨"
#: A question for a quantity in a unit (not "哪几个", which asks which ones, nor "第几名").
_ASKS_UNIT = re.compile(f"(?:多少|(?<![哪第])几)({_UNITS})")
_NUMERAL = f"[0-9{CN_NUMERALS}{CN_LARGE}]"


def asked_unit(question: str) -> str:
    """The unit a Chinese question counts in ("多少户" → 户), or ""."""
    m = _ASKS_UNIT.search(normalize(question or ""))
    return m[1] if m else ""


def counts_in(text: str, unit: str) -> bool:
    """Whether a Simplified text has a number in ``unit`` (38个, 五户, 1.5亿元)."""
    return re.search(f"{_NUMERAL}+(?:\\.[0-9]+)?{re.escape(unit)}", text) is not None


_ASKS_YEAR = re.compile(r"哪一?年|什么年份|哪个年份|\b(?:what|which)\s+year\b", re.I)
_ASKS_DAY = re.compile(
    r"哪一?天|几月几[日号]|几号|几日|什么日子|\b(?:what|which)\s+(?:date|day)\b", re.I
)


def asked_time_grain(question: str) -> str:
    """How precise a time question asks to be: "year" (哪一年, what year), "day" (哪天, 几月几日,
    on what date) or "" (什么时候, when: any time will do)."""
    key = normalize(question or "")
    if _ASKS_YEAR.search(key):
        return "year"
    return "day" if _ASKS_DAY.search(key) else ""


def proper_names(question: str, terms: Sequence[str] = ()) -> list[str]:
    """The proper names (places, people) a question asks about: 诸城, 常州, 孙耀灿.

    Args:
        question: The question as typed.
        terms: Its search terms (an English question's translations), also looked at.
    """
    from jieba import posseg

    tags = posseg.dt.word_tag_tab
    # Less a follow-up's leading 那 (jieba reads 那大转变 as the place 那大).
    typed = re.sub(r"^\s*(?:那么|那|还有|另外)", "", normalize(question))
    words = {t.word for t in posseg.cut(typed) if t.flag in ("ns", "nr")}
    # "In which three areas …" translates to 三区, a count and its noun, not a place (while
    # "Jiujiang" gives 九江, whose 九 the question does not count).
    count = count_of(question)
    words |= {
        t
        for t in terms
        if tags.get(t, "") in ("ns", "nr") and not (count and cn_number(t[:1]) == count)
    }
    from qa.query.translate import dictionary

    entries = dictionary()
    # A proper name: CC-CEDICT has no ordinary (lower-case pinyin) entry for it (东西, 城市
    # and 上台 are tagged as places or names by jieba, but are ordinary words).
    names = {
        w for w in words if 2 <= len(w) <= 3 and all(p[:1].isupper() for p, _ in entries.get(w, []))
    }
    # 泰兴 and 泰兴市 are one place: a document that says 泰兴 names it.
    return sorted(w for w in names if not any(v != w and v in w for v in names))
