"""Compose an answer from the passages found, offline and without a language model.

The answer is made of sentences taken from the passages, each carrying citation numbers that
match the passages' positions (1-based); nothing is paraphrased, so every sentence stays in
its document's original script.

Sentences are scored by the query terms they contain (compared on the normalised sentence:
the terms are Simplified), each term weighted by its length (one-character terms count
little) and by how rare it is among the candidate sentences, a term inside a longer matched
term not counted twice, terms the question quotes (“不准”) weighing three times as much, and a
sentence that defines a term (“一看”就是…) getting that term's weight again; then by the rank of
the passage. A sentence that is itself a question (an interviewer's "问:…?") is never quoted;
a headline or section title counts for less. Sentences below a share of the best score are
dropped, the rest deduplicated by their span in the document (passages overlap) and cited
with every passage holding them, and shown in reading order: documents in the order of their
best passage, sentences in document order.

When the question asks for a list ("哪五个阶段", "有哪些", "四种精神是什么", "what are the five
phases"), the documents' enumerations near the passages are recognised and their items
returned in :attr:`Answer.items`, with the sentence that introduces them in
:attr:`Answer.lead`. Enumerations recognised:

* numbered markers at the start of a clause: 一是…二是…, 一要…二要…, （一）…（二）…,
  第一…第二…, 其一…其二…, ①②③, 1. 2. 3., (1)(2)(3), 首先…其次…再次…最后…, and line-start
  section headings 一、二、三、;
* quoted markers: “一看”就是…“二查”就是…;
* parallel paragraphs: three or more consecutive short paragraphs whose first sentences end
  alike (“担当进取、勇争一流”的精神。 …);
* clause lists: ;-separated clauses after a colon (突出问题:遇到难题不敢碰…;工作标准不高…;…),
  and a comma series closed by 等等 (像学风不够实,境界不够高…等等);
* inline series: items before a count label (…政治意识、赶超意识…“六种意识”, …等八种作风),
  a quoted 、-series (“大讨论、大走访、大转变、实干为民”), and a plain 、-series of three or more
  short items.

An enumeration is followed through the whole document text, not just the retrieved chunk,
so one that runs past the chunk's end is returned whole. Each item cites every passage that
overlaps it, or the nearest passage of its document when none does. Among the lists near
the passages the one chosen best matches the query terms (lead, label, items), lies in a
high-ranked passage, has the number of items asked for ("五个") and names what the question
counts ("阶段" in the lead or the items). With a list, at most :data:`LIST_SENTENCES`
sentences are quoted, from the passages the list lies in. An ordinal ("第三个阶段") puts that
item first among the sentences.

Not covered: nested enumerations are returned one level at a time (the best-matching level
wins); enumerations spelled with Latin letters (a. b. c.) or bullets; series separated by
commas without a count label; a count fused into a word (“六访” = six 走访 targets spread
over two 、-series); series whose items are longer than 20 characters unless numbered.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from qa.chunk import heading_of, split_sentences
from qa.corpus import Document
from qa.search import Hit, SearchResult
from qa.textnorm import normalize

logger = logging.getLogger(__name__)

#: Sentences of the answer at most.
MAX_SENTENCES = 3
#: A sentence scoring less than this share of the best one is left out.
RELATIVE_FLOOR = 0.45
#: Sentences quoted besides a list (the list is the answer).
LIST_SENTENCES = 2
#: Item text is cut to about this many characters.
MAX_ITEM_CHARS = 100
#: A quoted sentence is cut to about this many characters.
MAX_SENTENCE_CHARS = 300
#: Characters of the document looked at around the passages when following a list.
LIST_WINDOW = 3000
#: Two consecutive items of a numbered list are at most this far apart.
MAX_ITEM_GAP = 1500

NOTICE_TRUNCATED = "The question was too long and was cut."


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence of the answer and the passages it comes from."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Answer:
    """An answer with its cited passages."""

    question: str
    sentences: list[AnswerSentence]
    items: list[AnswerSentence]
    passages: list[Hit]
    terms: tuple[str, ...]
    found: bool
    notice: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    #: The text actually searched (the question, or a follow-up rewritten with its topic).
    query: str = ""
    #: The sentence introducing :attr:`items` ("今年活动主要分五个阶段。"), or "".
    lead: str = ""
    #: The documents of :attr:`passages`, by id, from the index the passages came from: a
    #: rebuild that swaps the index afterwards cannot pair a passage with another text.
    documents: Mapping[str, Document] = field(default_factory=dict)


# --------------------------------------------------------------------------- numbers

_CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)} | {"两": 2}
_CN_NUM = "一二两三四五六七八九十"
_EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}


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
    if not text or any(c not in _CN_NUM for c in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    value = (_CN_DIGITS[tens] if tens else 1) * 10
    return value + (_CN_DIGITS[ones] if ones else 0)


# --------------------------------------------------------------------------- list questions

# Measure words that count the things a list is made of ("五个阶段", "六种意识", "七项机制").
_CL = "个|种|项|条|类|点|步|件|方面|阶段|环节|字"
# Not after 第: "第三个阶段" names one phase, it does not count three.
_COUNT_RE = re.compile(rf"(?<![第{_CN_NUM}\d])([{_CN_NUM}]+|\d+)(?:{_CL}|大(?![{_CN_NUM}]))")
_WHICH_RE = re.compile(rf"哪(?:些|几|[{_CN_NUM}]+|\d+)")
_WHICH_COUNT_RE = re.compile(rf"哪([{_CN_NUM}]+|\d+)")
_LIST_ASK_RE = re.compile(
    r"是什么|有什么|包括什么|包含什么|指什么|分别|都有|都是|有哪|内容|分为|分成"
)
_ORDINAL_CN_RE = re.compile(rf"第([{_CN_NUM}]+|\d+)(?:{_CL}|是|要)?(?![{_CN_NUM}\d次届年期号])")
_ORDINAL_EN_RE = re.compile(
    r"\b(" + "|".join(_EN_ORDINALS) + r"|(\d+)(?:st|nd|rd|th))\b", re.IGNORECASE
)
_EN_NUMBER_RE = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r"|\d+)\s+(?:\w+\s+)?\w+s\b", re.I)
_EN_NOT_LIST_RE = re.compile(
    r"\s*(?:who|whom|whose|when|where|why|how(?!\s+many)|does|did|do|is|was|can)\b", re.I
)
_EN_LIST_RE = re.compile(
    r"\b(?:what|which)\s+(?:are|were)\b|\b(?:list|name|enumerate)\b|\bwhat\s+\w+s\s+(?:are|were)\b"
    r"|\bwhich\s+\w+s\b|\bwhich\s+\w+\s+kinds?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ListRequest:
    """What a list question asks for."""

    count: int | None = None  # "哪五个阶段" → 5
    ordinal: int | None = None  # "第三个阶段" → 3: the one item wanted from the list
    noun: str = ""  # what the list is made of: "哪五个阶段" → "阶段" (Simplified)


_NOUN_STOP = r"(?=是|有|包括|包含|分别|呢|吗|都|的|[?!,.。:;“”「」\s]|$)"
_NOUN_RES = (
    re.compile(
        rf"[哪几](?:些|几|[{_CN_NUM}]+|\d+)?(?:{_CL})?([\u4e00-\u9fff]{{1,6}}?){_NOUN_STOP}"
    ),
    re.compile(
        rf"(?:[{_CN_NUM}]+|\d+)(?:{_CL})([\u4e00-\u9fff]{{1,6}}?){_NOUN_STOP}"
    ),  # 第三个阶段
)


def noun_of(question: str) -> str:
    """What a list question counts: "哪五个阶段" → "阶段", "几种不良作风" → "不良作风", else ""."""
    norm = normalize(question or "")
    for pattern in _NOUN_RES:
        for m in pattern.finditer(norm):
            # Backtracking can leave the measure word itself ("哪六种" → "种"): no noun then.
            if not (len(m[1]) == 1 and m[1] in _CL) and m[1][0] not in f"些几{_CN_NUM}":
                return m[1]
    return ""


def ordinal_of(question: str) -> int | None:
    """The ordinal a question names: 第三个/第四种 → 3/4, "the third one" → 3, else None."""
    norm = normalize(question or "")
    m = _ORDINAL_CN_RE.search(norm)
    if m and (n := cn_number(m[1])):
        return n
    m = _ORDINAL_EN_RE.search(norm)
    if m:
        return int(m[2]) if m[2] else _EN_ORDINALS[m[1].lower()]
    return None


def count_of(question: str) -> int | None:
    """The number of things a question mentions: 哪五个 / 四种精神 / "six kinds" → 5 / 4 / 6."""
    norm = normalize(question or "")
    for pattern in (_WHICH_COUNT_RE, _COUNT_RE):
        for m in pattern.finditer(norm):
            n = cn_number(m[1])
            if n and n > 1:
                return n
    m = _EN_NUMBER_RE.search(norm)
    if m:
        word = m[1].lower()
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
    if ordinal is not None:
        return ListRequest(count=count, ordinal=ordinal, noun=noun_of(norm))
    return ListRequest(count=count, noun=noun_of(norm)) if asks else None


# --------------------------------------------------------------------------- enumerations


@dataclass(frozen=True)
class Item:
    """One item of an enumeration: its text (original script) and span in the document."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Enumeration:
    """A list found in a document."""

    doc_id: str
    #: How it is marked: "cn_是" / "cn_要" (一是), "paren_cn" ((一)), "paren_num", "dun_cn" (一、),
    #: "num_dot" (1.), "circled" (①), "di" (第一), "qi" (其一), "seq" (首先), "quoted" (“一看”),
    #: "parallel", "colon", "etc" (…等等), "label" (…“六种意识”), "quoted_series", "series".
    kind: str
    items: tuple[Item, ...]
    lead: str = ""  # the introducing sentence, original script
    lead_start: int = -1
    label: str = ""  # a count label that names the list (“六种意识”), original script
    context: str = ""  # the sentence an inline series stands in, for matching the question

    @property
    def start(self) -> int:
        """Where the list (with its lead) starts in the document."""
        first = self.items[0].start
        return min(first, self.lead_start) if self.lead_start >= 0 else first

    @property
    def end(self) -> int:
        """Where its last item ends."""
        return self.items[-1].end


@dataclass(frozen=True)
class _Marker:
    style: str
    n: int
    pos: int  # where the item starts (the marker's first character)
    body: int  # where the item's text after the marker starts


# A marker must open a clause: at the start of the text or a line, or after punctuation.
_B = r"(?<![^\n。;!?:,\s])"
_N = rf"[{_CN_NUM}]{{1,3}}"
_MARKER_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cn_verb", re.compile(rf"{_B}({_N})(是|要)(?=[^,;。])")),
    ("paren_cn", re.compile(rf"{_B}\(({_N})\)")),
    ("paren_num", re.compile(rf"{_B}\((\d{{1,2}})\)")),
    ("dun_cn", re.compile(rf"(?:^|(?<=\n))\s*({_N})、")),
    ("num_dot", re.compile(r"(?<![^\n。;!?:\s])(\d{1,2})[.、](?![\d.])")),
    ("circled", re.compile(r"([\u2460-\u2473])")),
    ("di", re.compile(rf"{_B}第({_N})(?:个|种|项|条|点|步|方面|阶段)?(?=[,、:]|是)")),
    ("qi", re.compile(rf"{_B}其({_N})(?=[,、:是])")),
    ("quoted", re.compile(rf"{_B}[“「]({_N})[^“”「」\s,。]{{1,3}}[”」](?=就是|是|即|指|:|,)")),
    ("seq", re.compile(rf"{_B}(首先|其次|再次|再者|然后|最后)(?=[,:])")),
)
_SEQ_ORDER = {"首先": 1, "其次": 2, "再次": 3, "再者": 3, "然后": 0, "最后": 0}


def _markers(key: str) -> list[_Marker]:
    found = []
    for style, pattern in _MARKER_RES:
        for m in pattern.finditer(key):
            if style == "circled":
                n = ord(m[1]) - 0x245F
            elif style == "seq":
                n = _SEQ_ORDER[m[1]]
            else:
                n = cn_number(m[1]) or 0
            # One style per marker word: 一是 and 一要 are separate lists.
            name = f"cn_{m[2]}" if style == "cn_verb" else style
            pos = m.start(1) if style in ("dun_cn", "num_dot") else m.start()
            if style == "quoted":
                pos = m.start()
            found.append(_Marker(name, n, pos, m.end()))
    return sorted(found, key=lambda mk: mk.pos)


def _chains(markers: list[_Marker]) -> list[list[_Marker]]:
    """Runs of markers of one style numbered 1, 2, 3, … close enough together."""
    breaks = [mk.pos for mk in markers if mk.style == "dun_cn"]
    chains: list[list[_Marker]] = []
    open_: dict[str, list[_Marker]] = {}
    for mk in markers:
        chain = open_.get(mk.style)
        follows = False
        if chain:
            last = chain[-1]
            broken = mk.style != "dun_cn" and any(last.pos < b < mk.pos for b in breaks)
            near = mk.pos - last.pos <= MAX_ITEM_GAP
            step = mk.n == last.n + 1 or (mk.style == "seq" and mk.n == 0 and last.n >= 1)
            follows = step and near and not broken and not (last.style == "seq" and last.n == 0)
        if follows and chain is not None:
            chain.append(mk if mk.n else _Marker(mk.style, chain[-1].n + 1, mk.pos, mk.body))
            continue
        if chain and len(chain) >= 2:
            chains.append(chain)
        open_[mk.style] = [mk] if mk.n == 1 else []
    chains.extend(chain for chain in open_.values() if len(chain) >= 2)
    return sorted(chains, key=lambda c: c[0].pos)


def _first_sentence_end(text: str, start: int, limit: int) -> int:
    spans = split_sentences(text[start:limit])
    return start + spans[0][1] if spans else limit


def _cut(text: str, limit: int) -> str:
    """Cut text to about ``limit`` characters, at a comma if one is late enough."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    for mark in ("，", ",", "、", "；", ";"):
        pos = window.rfind(mark)
        if pos >= limit // 2:
            return window[:pos] + "…"
    return window + "…"


def _sentence_before(text: str, pos: int, floor: int) -> tuple[int, int] | None:
    spans = split_sentences(text[floor:pos])
    if not spans:
        return None
    s, e = spans[-1]
    return floor + s, floor + e


_INTRO_RE = re.compile(
    r"[:]\s*$|如下|以下|分为|分成|包括|主要有|主要是"
    r"|(?:[二两三四五六七八九十几]+|\d+)(?:个|种|项|条|类|点|步|件|方面|阶段|环节|大)"
)
#: A longer sentence before a list introduces it only if it ends with a colon.
MAX_LEAD_CHARS = 80


def _lead_for(text: str, key: str, first: int, floor: int) -> tuple[str, int]:
    """The sentence introducing a list that starts at ``first``, or ("", -1)."""
    span = _sentence_before(text, first, floor)
    if span is None:
        return "", -1
    s, e = span
    sentence = text[s:e]
    same_paragraph = "\n" not in text[e:first]
    if key[s:e].rstrip().endswith(":"):
        return _cut(sentence, MAX_SENTENCE_CHARS), s
    if len(sentence) > MAX_LEAD_CHARS:
        return "", -1
    if same_paragraph or _INTRO_RE.search(key[s:e]) or heading_of(sentence):
        return _cut(sentence, MAX_SENTENCE_CHARS), s
    return "", -1


def _marker_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    found = []
    for chain in _chains(_markers(key[lo:hi])):
        items = []
        for i, mk in enumerate(chain):
            start = lo + mk.pos
            limit = lo + chain[i + 1].pos if i + 1 < len(chain) else hi
            end = _first_sentence_end(text, start, limit)
            # The marker word alone ("第一,") is not an item: take its first sentence on.
            if end - (lo + mk.body) < 2:
                end = _first_sentence_end(text, end, limit)
            item_text = text[start:end].rstrip(",，、;； \n")
            items.append(Item(_cut(item_text, MAX_ITEM_CHARS), start, end))
        lead, lead_start = _lead_for(text, key, items[0].start, max(lo, items[0].start - 400))
        found.append(Enumeration(doc_id, chain[0].style, tuple(items), lead, lead_start))
    return found


def _parallel_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    """Consecutive short paragraphs whose first sentences end alike (“…”的精神。)."""
    paragraphs = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        if line.strip():
            first = split_sentences(line)[0]
            paragraphs.append((pos + first[0], pos + first[1]))
        pos += len(line) + 1

    def tail(span: tuple[int, int]) -> str:
        return key[span[0] : span[1]].rstrip("。.!?;:)”」 ")[-3:]

    found = []
    i = 0
    while i < len(paragraphs):
        j = i
        while (
            j + 1 < len(paragraphs)
            and paragraphs[j + 1][1] - paragraphs[j + 1][0] <= 40
            and paragraphs[i][1] - paragraphs[i][0] <= 40
            and len(tail(paragraphs[i])) == 3
            and tail(paragraphs[j + 1]) == tail(paragraphs[i])
        ):
            j += 1
        if j - i + 1 >= 3:
            items = tuple(Item(text[s:e], s, e) for s, e in paragraphs[i : j + 1])
            first = items[0].start
            lead, lead_start = _lead_for(text, key, first, max(lo, first - 400))
            found.append(Enumeration(doc_id, "parallel", items, lead, lead_start))
        i = j + 1
    return found


_LABEL_RE = re.compile(
    rf"(等|这)?([“「]?)((?:[{_CN_NUM}]+|\d+)(?:个|种|项|条|类|点|步|件|方面|大)[^“”「」,。;:、\s]{{0,8}})([”」]?)"
)
_QUOTE_RE = re.compile(r"[“「]([^“”「」\n]{3,80})[”」]")
_PREFIX_RE = re.compile(r"^(?:具体来说|就是要|就是|即|主要是|包括|分别是|比如|例如|像|要)")


def _split_series(text: str, key: str, s: int, e: int, sep: str) -> list[tuple[int, int]]:
    parts = []
    start = s
    for i in range(s, e):
        if key[i] == sep:
            parts.append((start, i))
            start = i + 1
    parts.append((start, e))
    return [(a, b) for a, b in parts if b > a]


def _strip_prefix(key: str, span: tuple[int, int]) -> tuple[int, int]:
    m = _PREFIX_RE.match(key[span[0] : span[1]])
    return (span[0] + m.end(), span[1]) if m and span[1] - span[0] - m.end() >= 2 else span


def _alike(key: str, parts: Sequence[tuple[int, int]], sep: str) -> bool:
    """Whether spans look like the items of one series: short, of similar length, or pairs.

    Comma-separated items are usually pairs of 、-joined phrases (崇尚法治、规范理性,改革创新、…);
    anything else of very unequal lengths is a sentence's clauses, not a list.
    """
    lengths = [b - a for a, b in parts]
    if min(lengths) < 1 or max(lengths) > 40:
        return False
    if sep == "," and all("、" in key[a:b] for a, b in parts):
        return True
    return max(lengths) <= 2.5 * max(2, min(lengths))


def _balanced(key: str, a: int, b: int) -> bool:
    part = key[a:b]
    return part.count("“") == part.count("”") and part.count("「") == part.count("」")


#: Items of a colon list or an 等等 series are at most this long.
MAX_CLAUSE_ITEM_CHARS = 60


def _colon_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    """Clause lists: "突出问题:A,…;B;C等等。" (;-separated after a colon) and "像A,B,C等等。"."""
    found = []
    sentence_start = lo
    for i in range(lo, hi):
        ch = key[i]
        if ch in "。\n!?":
            sentence_start = i + 1
            continue
        if ch != ":":
            continue
        end = i + 1
        while end < hi and key[end] not in "。\n!?":
            end += 1
        body = (i + 1, end)
        parts = _split_series(text, key, body[0], body[1], ";")
        if len(parts) < 3 or not all(2 <= b - a <= MAX_CLAUSE_ITEM_CHARS for a, b in parts):
            continue
        items = tuple(Item(_cut(text[a:b].strip(), MAX_ITEM_CHARS), a, b) for a, b in parts)
        lead = text[sentence_start : i + 1].strip()
        if len(lead) <= MAX_SENTENCE_CHARS:
            found.append(Enumeration(doc_id, "colon", items, lead, sentence_start))
    # "像学风不够实,境界不够高…,工作不实、基础不牢等等。": a comma series closed by 等等.
    for m in re.finditer(r"等等[。;]", key[lo:hi]):
        end = lo + m.start()
        start = max(key.rfind(c, lo, end) for c in "。;:\n") + 1
        parts = _split_series(text, key, start, end, ",")
        if len(parts) >= 3:
            parts[0] = _strip_prefix(key, parts[0])
            if all(2 <= b - a <= 20 for a, b in parts):
                items = tuple(Item(text[a:b], a, b) for a, b in parts)
                found.append(Enumeration(doc_id, "etc", items, context=text[start : end + 2]))
    return found


def _series_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    found = []
    sentences = [(lo + s, lo + e) for s, e in split_sentences(text[lo:hi])]
    for s, e in sentences:
        sentence = key[s:e]
        # Items before a count label: …政治意识、赶超意识…“六种意识” / …作风等八种不良作风.
        for m in _LABEL_RE.finditer(sentence):
            n = cn_number(re.match(rf"[{_CN_NUM}]+|\d+", m[3])[0])  # type: ignore[index]
            # A label names the series before it only when quoted (“六种意识”) or after 等,
            # and when it closes the clause: “三个年”行动 / (以下简称“三个年”) name no series.
            labelled = (m[2] and m[4]) or m[1] == "等"
            closes = m.end() == len(sentence) or sentence[m.end()] in ",;:。!?"
            if not n or n < 2 or not labelled or not closes:
                continue
            end = s + m.start()
            clause_start = s + max(sentence.rfind(c, 0, m.start()) for c in ";:") + 1
            prev_label = sentence.rfind("”", 0, m.start() - 1)
            if m[1] is None and prev_label >= 0 and s + prev_label + 1 > clause_start:
                # “三个要求”;弘扬…“四种精神”: a series starts after the previous label.
                clause_start = max(clause_start, s + prev_label + 1)
            if end - clause_start < 4:
                continue
            for sep in (",", "、"):
                region_start = clause_start
                if sep == "、":
                    region_start = max(clause_start, s + sentence.rfind(",", 0, m.start()) + 1)
                parts = _split_series(text, key, region_start, end, sep)
                if len(parts) >= n:
                    parts = parts[-n:]
                    parts[0] = _strip_prefix(key, parts[0])
                    if _alike(key, parts, sep):
                        label = (
                            text[s + m.start(2) : s + m.end(4)]
                            if m[2]
                            else text[s + m.start(3) : s + m.end(3)]
                        )
                        items = tuple(Item(text[a:b], a, b) for a, b in parts)
                        found.append(Enumeration(doc_id, "label", items, "", -1, label, text[s:e]))
                        break
        # A quoted 、-series: “大讨论、大走访、大转变、实干为民”.
        for m in _QUOTE_RE.finditer(sentence):
            a, b = s + m.start(1), s + m.end(1)
            parts = _split_series(text, key, a, b, "、")
            if len(parts) >= 3 and all(b2 - a2 <= 12 for a2, b2 in parts):
                items = tuple(Item(text[a2:b2], a2, b2) for a2, b2 in parts)
                found.append(Enumeration(doc_id, "quoted_series", items, context=text[s:e]))
        # A plain 、-series of short items inside one clause.
        clause_start = s
        for i in range(s, e + 1):
            if i == e or key[i] in ",;:。!?":
                parts = _split_series(text, key, clause_start, i, "、")
                if len(parts) >= 3 and all(
                    2 <= b2 - a2 <= 20 and _balanced(key, a2, b2) for a2, b2 in parts
                ):
                    parts[0] = _strip_prefix(key, parts[0])
                    a2, b2 = parts[-1]
                    opening = max(key.rfind("“", a2, b2), key.rfind("「", a2, b2))
                    if opening > a2 and key[b2 - 1] in "”」":
                        parts[-1] = (a2, opening)  # …纪律意识“六种意识”: the label is no item
                    items = tuple(Item(text[a2:b2], a2, b2) for a2, b2 in parts)
                    found.append(Enumeration(doc_id, "series", items, context=text[s:e]))
                clause_start = i + 1
    return found


def find_enumerations(
    document: Document, start: int = 0, end: int | None = None
) -> list[Enumeration]:
    """Recognise the lists in a document, or in the part of it between ``start`` and ``end``.

    Args:
        document: The cleaned document.
        start: Where to begin looking (snapped back to the start of its line).
        end: Where to stop looking (snapped forward to the end of its line); the whole text
            by default.

    Returns:
        The enumerations in order of position; numbered and parallel lists first, then inline
        series. Items keep the document's script; their spans index ``document.text``.
    """
    text = document.text
    end = len(text) if end is None else min(end, len(text))
    lo = text.rfind("\n", 0, max(0, start)) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    # Only the window is normalised (documents can be large); the padding keeps positions.
    key = "\0" * lo + normalize(text[lo:hi])
    found = _marker_lists(document.doc_id, text, key, lo, hi)
    found += _parallel_lists(document.doc_id, text, key, lo, hi)
    found += _colon_lists(document.doc_id, text, key, lo, hi)
    found += _series_lists(document.doc_id, text, key, lo, hi)
    return found


# --------------------------------------------------------------------------- composing


# A one-character term (上, 来, 四) matches inside unrelated words; longer terms are words.
_LENGTH_WEIGHT = (0.0, 0.3, 1.0, 1.3, 1.6)
_QUOTED_RE = re.compile(r"[“「《\"']([^“”「」《》\"']{1,30})[”」》\"']")
#: Terms the question puts in quotes (“不准”, 「七项机制」) name what it is about.
QUOTED_BOOST = 3.0


def _term_weights(
    terms: Sequence[str], keys: Sequence[str], question: str = ""
) -> dict[str, float]:
    """Longer terms, terms found in fewer candidates and terms quoted in the question weigh more."""
    n = max(1, len(keys))
    quoted = [m[1] for m in _QUOTED_RE.finditer(normalize(question))]
    weights = {}
    for term in dict.fromkeys(terms):
        df = sum(term in key for key in keys)
        # A term in most candidates is the topic of them all, not what tells them apart.
        weight = _LENGTH_WEIGHT[min(len(term), 4)] * math.log((n + 1.0) / (df + 0.5))
        if any(term in q for q in quoted):
            weight *= QUOTED_BOOST
        weights[term] = weight
    return weights


def _match(key: str, weights: Mapping[str, float]) -> float:
    """Weight of the terms a text holds; a term inside a longer one found (作风 in 作风建设年)
    is not counted again."""
    found = [t for t in weights if t in key]
    return sum(
        max(0.0, weights[t])
        for t in found
        if not any(t != longer and t in longer for longer in found)
    )


def _defines(key: str, weights: Mapping[str, float]) -> float:
    """Extra weight for a sentence that defines a query term (“一看”就是…, X是指…)."""
    return sum(
        w
        for t, w in weights.items()
        if len(t) > 1 and re.search(re.escape(t) + r"[”」]?(?:就是|即|是指|指的是)", key)
    )


def _rank_factor(rank: int) -> float:
    return 1.0 / (1.0 + 0.15 * (rank - 1))


def _citations(passages: Sequence[Hit], doc_id: str, start: int, end: int) -> tuple[int, ...]:
    """Every passage overlapping the span; else the nearest passage of the same document."""
    inside = tuple(
        n
        for n, hit in enumerate(passages, start=1)
        if hit.chunk.doc_id == doc_id and hit.chunk.start < end and start < hit.chunk.end
    )
    if inside:
        return inside
    same = [
        (min(abs(hit.chunk.start - end), abs(start - hit.chunk.end)), n)
        for n, hit in enumerate(passages, start=1)
        if hit.chunk.doc_id == doc_id
    ]
    return (min(same)[1],) if same else ()


@dataclass(frozen=True)
class _Candidate:
    doc_id: str
    start: int
    end: int
    text: str
    key: str
    rank: int  # best rank of a passage holding it


def _candidates(passages: Sequence[Hit]) -> list[_Candidate]:
    """The sentences of the passages, each once (overlapping passages share sentences)."""
    seen: dict[tuple[str, int, int], _Candidate] = {}
    for hit in passages:
        chunk = hit.chunk
        for s, e in split_sentences(chunk.text):
            span = (chunk.doc_id, chunk.start + s, chunk.start + e)
            if span not in seen:
                text = chunk.text[s:e]
                seen[span] = _Candidate(*span, text, normalize(text), hit.rank)
    return list(seen.values())


def _is_question(key: str) -> bool:
    return key.rstrip("”」) ").endswith(("?", "吗")) or key.startswith(("问:", "问 "))


def _bare(key: str) -> str:
    return key.strip(_TRIM)


_TRIM = "。;.,， "


def pick_sentences(
    passages: Sequence[Hit],
    terms: Sequence[str],
    *,
    max_sentences: int = MAX_SENTENCES,
    exclude: Sequence[str] = (),
    question: str = "",
    within: Collection[int] | None = None,
) -> list[AnswerSentence]:
    """The sentences of the passages that best match the query terms, in reading order.

    Args:
        passages: The hits, best first (their positions are the citation numbers).
        terms: Simplified query terms.
        max_sentences: How many sentences at most.
        exclude: Normalised texts not to repeat (list items already shown).
        question: The question, whose quoted words weigh more.
        within: Chunk ids of the passages to quote from (all by default); citations still
            count every passage.

    Returns:
        Sentences with the numbers of every passage containing them.
    """
    candidates = _candidates([h for h in passages if within is None or h.chunk.chunk_id in within])
    weights = _term_weights(terms, [c.key for c in candidates], question)
    skip = {_bare(x) for x in exclude}
    scored = []
    for c in candidates:
        if _bare(c.key) in skip:
            continue
        score = (_match(c.key, weights) + _defines(c.key, weights)) * _rank_factor(c.rank)
        if _is_question(c.key):
            continue  # the interviewer's question repeats the terms but answers nothing
        elif c.start == 0 or heading_of(c.text):
            score *= 0.4  # a headline or section title names the topic but says little
        if score > 0:
            scored.append((score, c))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    chosen = sorted(
        (sc for sc in scored if sc[0] >= RELATIVE_FLOOR * best),
        key=lambda sc: (-sc[0], sc[1].rank, sc[1].start),
    )[:max_sentences]
    doc_order: dict[str, int] = {}
    for hit in passages:
        doc_order.setdefault(hit.chunk.doc_id, len(doc_order))
    chosen.sort(key=lambda sc: (doc_order.get(sc[1].doc_id, 0), sc[1].start))
    return [
        AnswerSentence(
            _cut(c.text, MAX_SENTENCE_CHARS), _citations(passages, c.doc_id, c.start, c.end)
        )
        for _, c in chosen
    ]


#: A list whose label, lead or items name what the question counts ("阶段") weighs this much more.
NOUN_BOOST = 2.0
#: A list must match at least this share of the query weight the passages match.
LIST_MIN_SHARE = 0.25
#: A list near the passages but in none of them weighs this much less.
OUTSIDE_FACTOR = 0.4


def _names(enum: Enumeration, noun: str) -> bool:
    if noun in normalize(enum.label + enum.lead):
        return True
    return 2 * sum(noun in normalize(it.text) for it in enum.items) >= len(enum.items)


# A plain 、-series is everywhere in this prose; a numbered list is meant as a list.
_KIND_PRIOR = {"series": 0.7, "quoted_series": 0.8}


def _windows(hits: Sequence[Hit]) -> list[tuple[int, int]]:
    """Spans of a document around its passages, merged where they meet (a large document
    with passages far apart is not scanned whole)."""
    spans = sorted((max(0, h.chunk.start - LIST_WINDOW), h.chunk.end + LIST_WINDOW) for h in hits)
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def pick_list(
    passages: Sequence[Hit],
    documents: Mapping[str, Document],
    terms: Sequence[str],
    request: ListRequest,
    question: str = "",
) -> Enumeration | None:
    """The enumeration near the passages that best answers a list question.

    Every document with a passage is searched around its passages (so a list running past a
    chunk is followed to its end). A list scores by the query terms in its lead, label and
    items, by the rank of the best passage it overlaps, by whether it has the number of items
    asked for and names what the question counts; a list near the passages but overlapping
    none of them counts for less.

    Args:
        passages: The hits, best first.
        documents: Documents by id.
        terms: Simplified query terms.
        request: The count and ordinal asked for.
        question: The question, whose quoted words weigh more.

    Returns:
        The best enumeration, or None when no list near the passages matches.
    """
    spans: dict[str, list[Hit]] = {}
    for hit in passages:
        spans.setdefault(hit.chunk.doc_id, []).append(hit)
    candidates: list[tuple[Enumeration, int]] = []
    for doc_id, hits in spans.items():
        doc = documents.get(doc_id)
        if doc is None:
            continue
        found = [e for lo, hi in _windows(hits) for e in find_enumerations(doc, lo, hi)]
        for enum in found:
            ranks = [h.rank for h in hits if h.chunk.start < enum.end and enum.start < h.chunk.end]
            if ranks:
                candidates.append((enum, min(ranks), True))
            else:
                # Near a passage but not in one: possible, but it must earn its place.
                candidates.append((enum, min(h.rank for h in hits), False))
    if not candidates:
        return None
    keys = [
        normalize(enum.lead + enum.label + enum.context + "".join(i.text for i in enum.items))
        for enum, _, _ in candidates
    ]
    weights = _term_weights(terms, keys, question)
    # What the passages could match at best: a list must match a fair share of it.
    reachable = _match(normalize(" ".join(h.chunk.text for h in passages)), weights)
    best: tuple[float, int, Enumeration] | None = None
    for (enum, rank, overlaps), key in zip(candidates, keys, strict=True):
        relevance = _match(key, weights)
        named = bool(request.noun) and _names(enum, request.noun)
        # A list with the count asked for or naming what is counted is plainly the one asked
        # for; any other must match a fair share of the query and lie in a passage.
        plain = named or len(enum.items) == request.count
        if relevance <= 0 or not (plain or (overlaps and relevance >= LIST_MIN_SHARE * reachable)):
            continue
        size = len(enum.items)
        if request.count:
            fit = 3.0 if size == request.count else (0.3 if size < request.count else 0.6)
        else:
            fit = 1.0
        if request.ordinal and size < request.ordinal:
            continue
        score = relevance * _rank_factor(rank) * fit * _KIND_PRIOR.get(enum.kind, 1.0)
        if named:
            score *= NOUN_BOOST
        if not overlaps:
            score *= OUTSIDE_FACTOR
        if best is None or (score, -enum.start) > (best[0], -best[1]):
            best = (score, enum.start, enum)
    return best[2] if best else None


def compose_answer(
    result: SearchResult,
    documents: Mapping[str, Document],
    *,
    max_sentences: int = MAX_SENTENCES,
    truncated: bool = False,
    question: str | None = None,
    request: ListRequest | None = None,
    detect_list: bool = True,
) -> Answer:
    """Compose the answer: sentences that match the question, and list items when asked.

    Args:
        result: The search result (its ``question`` is the text searched).
        documents: Indexed documents by id.
        max_sentences: How many sentences to quote at most.
        truncated: The question was cut to the length limit.
        question: The question as the user typed it, when the text searched differs (a
            rewritten follow-up); by default ``result.question``.
        request: The list asked for, when the caller knows (a follow-up's topic was a list
            question); by default it is read from the question.
        detect_list: Read a list request from the question when ``request`` is None.

    Returns:
        The answer; ``found`` is False (and no sentences) when the search found nothing
        relevant, the passages are still returned.
    """
    asked = result.question if question is None else question
    notice = NOTICE_TRUNCATED if truncated else ""
    cited = {
        h.chunk.doc_id: documents[h.chunk.doc_id]
        for h in result.hits
        if h.chunk.doc_id in documents
    }
    base = {"question": asked, "query": result.question, "notice": notice, "documents": cited}
    if result.weak or not result.hits:
        return Answer(
            sentences=[], items=[], passages=result.hits, terms=result.terms, found=False, **base
        )
    if request is None and detect_list:
        request = list_request(asked)
    enum = pick_list(result.hits, documents, result.terms, request, asked) if request else None
    items: list[AnswerSentence] = []
    lead = ""
    if enum is not None:
        items = [
            AnswerSentence(it.text, _citations(result.hits, enum.doc_id, it.start, it.end))
            for it in enum.items
        ]
        lead = enum.lead
        logger.debug("list of %d items (%s) in %s", len(items), enum.kind, enum.doc_id)
    shown = [normalize(x.text) for x in items] + ([normalize(lead)] if lead else [])
    within = None
    if enum is not None:
        # The list is the answer; sentences only add what its own passages say around it.
        within = {
            h.chunk.chunk_id
            for h in result.hits
            if h.chunk.doc_id == enum.doc_id
            and h.chunk.start < enum.end
            and enum.start < h.chunk.end
        }
        max_sentences = min(max_sentences, LIST_SENTENCES)
    sentences = pick_sentences(
        result.hits,
        result.terms,
        max_sentences=max_sentences,
        exclude=shown,
        question=asked,
        within=within,
    )
    if request and request.ordinal and enum is not None and request.ordinal <= len(items):
        wanted = items[request.ordinal - 1]
        sentences = [wanted, *(s for s in sentences if s.text != wanted.text)][:max_sentences]
    return Answer(
        sentences=sentences,
        items=items,
        passages=result.hits,
        terms=result.terms,
        found=True,
        lead=lead,
        **base,
    )
