"""Lists in a document, each as an :class:`Enumeration` of :class:`Item` spans.

Recognised:

* numbered markers at the start of a clause: 一是…二是…, 一要…二要…, （一）…（二）…,
  第一…第二…, 其一…其二…, ①②③, 1. 2. 3., (1)(2)(3), 首先…其次…再次…最后…, and line-start
  section headings 一、二、三、;
* quoted markers: “一看”就是…“二查”就是…;
* parallel paragraphs: three or more consecutive short paragraphs whose first sentences end
  alike (“担当进取、勇争一流”的精神。 …);
* sentences that open alike: three or more consecutive sentences of a paragraph beginning
  with the same word (要注重解决问题,…。要注重活动实效,…。要力戒形式主义,…。), and three or
  more comma clauses of a sentence beginning with the same two characters (带头制定整改方案,
  带头落实整改措施,带头执行规章制度); the items are their first clauses;
* clause lists: ;-separated clauses after a colon (突出问题:遇到难题不敢碰…;工作标准不高…;…),
  and a comma series closed by 等等 (像学风不够实,境界不够高…等等);
* inline series: items before a count label (…政治意识、赶超意识…“六种意识”, …等八种作风),
  a quoted 、-series (“大讨论、大走访、大转变、实干为民”), and a plain 、-series of three or more
  short items.

:mod:`qa.answer.compose` picks the one that answers a list question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.ingest.chunk import heading_of, split_sentences
from qa.ingest.corpus import Document
from qa.ingest.textnorm import clip, normalize
from qa.query.question import cn_number
from qa.text import CN_NUMERALS, HAN_BASIC

#: Item text is cut to about this many characters.
MAX_ITEM_CHARS = 100
#: A quoted sentence is cut to about this many characters.
MAX_SENTENCE_CHARS = 300
#: Two consecutive items of a numbered list are at most this far apart.
MAX_ITEM_GAP = 1500

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
    #: "parallel", "anaphora" (sentences or clauses opening alike), "points" (孙耀灿强调,要…
    #: 孙耀灿指出,要…), "colon", "etc" (…等等),
    #: "label" (…“六种意识”), "counted" (…和软环境建设三方面), "quoted_series", "series".
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
_N = rf"[{CN_NUMERALS}]{{1,3}}"
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
        return clip(sentence, MAX_SENTENCE_CHARS), s
    if len(sentence) > MAX_LEAD_CHARS:
        return "", -1
    if same_paragraph or _INTRO_RE.search(key[s:e]) or heading_of(sentence):
        return clip(sentence, MAX_SENTENCE_CHARS), s
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
            items.append(Item(clip(item_text, MAX_ITEM_CHARS), start, end))
        lead, lead_start = _lead_for(text, key, items[0].start, max(lo, items[0].start - 400))
        found.append(Enumeration(doc_id, chain[0].style, tuple(items), lead, lead_start))
    return found


def _parallel_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    """Consecutive short paragraphs whose first sentences end alike (“…”的精神。)."""
    paragraphs = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        if line.strip():
            sentence = split_sentences(line)[0]
            paragraphs.append((pos + sentence[0], pos + sentence[1]))
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


#: Sentences opening alike are items when at least this many follow one another.
MIN_ANAPHORA_ITEMS = 3
_FULL_STOP = re.compile(r"[。!?](?![”」])")
_CLAUSE_STOP = re.compile(r"[,;:]")


def _anaphora_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    """Sentences (and comma clauses) that open with the same word: each one's first clause."""
    found = []
    pos = lo
    for line in key[lo:hi].split("\n"):
        starts = [pos] + [pos + m.end() for m in _FULL_STOP.finditer(line)]
        ends = [*starts[1:], pos + len(line)]
        sentences = [(a, b) for a, b in zip(starts, ends, strict=True) if b - a > 2]
        found += _runs(doc_id, text, key, lo, sentences, 1, whole=True)
        for a, b in sentences:
            clauses, start = [], a
            for m in _CLAUSE_STOP.finditer(key, a, b):
                clauses.append((start, m.start()))
                start = m.end()
            clauses.append((start, b))
            clauses = [c for c in clauses if c[1] > c[0]]
            found += _runs(doc_id, text, key, lo, clauses, 2, context=text[a:b])
        pos += len(line) + 1
    return found


def _runs(
    doc_id: str,
    text: str,
    key: str,
    lo: int,
    spans: Sequence[tuple[int, int]],
    width: int,
    whole: bool = False,
    context: str = "",
) -> list[Enumeration]:
    """Runs of spans whose first ``width`` characters are the same Chinese characters; a run
    of clauses has the sentence they stand in as its context."""
    found = []
    i = 0
    while i < len(spans):
        opener = key[spans[i][0] : spans[i][0] + width]
        j = i
        while (
            j + 1 < len(spans)
            and re.fullmatch(f"[{HAN_BASIC}]{{{width}}}", opener)
            and key[spans[j + 1][0] : spans[j + 1][0] + width] == opener
        ):
            j += 1
        if j - i + 1 >= MIN_ANAPHORA_ITEMS:
            items = []
            for a, b in spans[i : j + 1]:
                stop = _CLAUSE_STOP.search(key, a, b) if whole else None
                end = stop.start() if stop else b
                items.append(Item(clip(text[a:end].rstrip("。!? "), MAX_ITEM_CHARS), a, end))
            lead, lead_start = ("", -1)
            if whole:
                first = items[0].start
                lead, lead_start = _lead_for(text, key, first, max(lo, first - 400))
            found.append(
                Enumeration(doc_id, "anaphora", tuple(items), lead, lead_start, context=context)
            )
        i = j + 1
    return found


# "孙耀灿强调,要坚持高点定位,…": a sentence opening with a speaker, a verb of saying and 要.
_POINT_RE = re.compile(
    rf"(?:^|(?<=[。!?\n])\s*)([{HAN_BASIC}]{{2,4}}?)(?:强调|指出|要求|表示|提出)[,:]"
    rf"(要[^,;。!?]+)"
)


def _speaker_points(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    """A report's points, sentences that each open with the same speaker saying what must be
    done (孙耀灿强调,要坚持高点定位… 孙耀灿指出,要突出问题导向… 孙耀灿强调,要强化组织保障…), however
    far apart: each one's first clause, the sentences' speaker and verbs as context."""
    by_speaker: dict[str, list[re.Match[str]]] = {}
    for m in _POINT_RE.finditer(key, lo, hi):
        by_speaker.setdefault(m[1], []).append(m)
    found = []
    for points in by_speaker.values():
        if len(points) < MIN_ANAPHORA_ITEMS:
            continue
        items = tuple(
            Item(clip(text[m.start(2) : m.end(2)], MAX_ITEM_CHARS), m.start(2), m.end(2))
            for m in points
        )
        context = " ".join(text[m.start(1) : m.end(2)] for m in points)
        found.append(Enumeration(doc_id, "points", items, context=context))
    return found


# A number and its measure word or noun: 六种, 三方面, 四大.
_COUNTED = rf"(?:[{CN_NUMERALS}]+|\d+)(?:个|种|项|条|类|点|步|件|方面|大)"
_COUNTED_RE = re.compile(_COUNTED)
_LABEL_RE = re.compile(rf"(等|这)?([“「]?)({_COUNTED}[^“”「」,。;:、\s]{{0,8}})([”」]?)")
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
        items = tuple(Item(clip(text[a:b].strip(), MAX_ITEM_CHARS), a, b) for a, b in parts)
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


def _counted_series(
    doc_id: str, text: str, key: str, sentence: tuple[int, int], label: re.Match[str], n: int
) -> Enumeration | None:
    """The series an unquoted count closes, when its items, 和 before the last, are as many
    (重点实施简政放权、项目建设和软环境建设三方面的攻坚行动), or None.

    ``label`` is the :data:`_LABEL_RE` match of the count in the sentence (``key[s:e]``).
    """
    s, e = sentence
    clause = key[s : s + label.start()]
    start = s + max(clause.rfind(c) for c in ",;:") + 1
    end = s + label.start()
    if not re.search(r"(?:和|及|与)[^、]{2,20}$", key[start:end]):
        return None
    items = _series_items(text, key, start, end, n, "")
    if not items or not _alike(key, [(it.start, it.end) for it in items], "、"):
        return None
    # Its name is the count and its noun alone (三方面): what follows (的攻坚行动) is what
    # the items are aspects of.
    named = _COUNTED_RE.match(label[3])
    assert named is not None  # _LABEL_RE's third group opens with a count
    name = text[s + label.start(3) : s + label.start(3) + named.end()]
    return Enumeration(doc_id, "counted", items, "", -1, name, text[s:e])


def _series_lists(doc_id: str, text: str, key: str, lo: int, hi: int) -> list[Enumeration]:
    found = []
    sentences = [(lo + s, lo + e) for s, e in split_sentences(text[lo:hi])]
    for s, e in sentences:
        sentence = key[s:e]
        # Items before a count label: …政治意识、赶超意识…“六种意识” / …作风等八种不良作风.
        for m in _LABEL_RE.finditer(sentence):
            number = re.match(rf"[{CN_NUMERALS}]+|\d+", m[3])
            assert number is not None  # _LABEL_RE's third group starts with a number
            n = cn_number(number[0])
            # A label names the series before it only when quoted (“六种意识”) or after 等,
            # and when it closes the clause: “三个年”行动 / (以下简称“三个年”) name no series.
            labelled = (m[2] and m[4]) or m[1] == "等"
            closes = m.end() == len(sentence) or sentence[m.end()] in ",;:。!?"
            if not n or n < 2 or not closes:
                continue
            end = s + m.start()
            if not labelled:
                counted = _counted_series(doc_id, text, key, (s, e), m, n)
                found += [counted] if counted else []
                continue
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
    found += _anaphora_lists(document.doc_id, text, key, lo, hi)
    found += _speaker_points(document.doc_id, text, key, lo, hi)
    found += _colon_lists(document.doc_id, text, key, lo, hi)
    found += _series_lists(document.doc_id, text, key, lo, hi)
    return found


# "X、Y、Z(以下简称“S”)", "X、Y、Z“S”": the series a short name stands for, just before it.
_SHORT_BEFORE = r"(?:[(（](?:以下)?(?:简称|统称|合称|称)[“「\"]?|[“「\"])"
# "“S”，即X、Y、Z", "“S”就是X、Y和Z": the series just after it.
_SHORT_AFTER = r"[”」\"]?[，,]?(?:即|就是|是指|指的是|分别是)[:：]?"
_CLAUSE_END = "，。；：,;:\n!?！？()（）"
# What leads into a series, not part of its first item: "在…", "对全市…", "会议对全市…".
_LEADING_WORDS = re.compile(
    r"^(?:(?:在|对|把|将|为|开展|关于|推进)(?:全市|全区|全省|全县|全镇)?"
    r"|[^、]{0,8}?(?:在|对|把|将|为|开展|关于|推进)(?:全市|全区|全省|全县|全镇))"
)


def find_definition(
    document: Document, short: str, count: int | None = None
) -> Enumeration | None:
    """The series that a short name stands for, where the document defines it.

    "解放思想对标对表提升年、干部作风强化年、东融先行示范区建设攻坚年(以下简称“三个年”)"
    defines 三个年 as its three items; so do "…“S”" right after a series and "“S”，即…" right
    before one. Only a series of ``count`` items is taken, each beginning or ending with what
    the name counts (三个年: 提升年, 强化年, 攻坚年; 两个坚持: 坚持…, 坚持…).

    Args:
        document: The cleaned document.
        short: The short name, Simplified (三个年).
        count: The number of items the name promises (三 → 3); without it, nothing is
            looked for.

    Returns:
        The first definition found (one marked 简称 / 即 first), or None.
    """
    if not count:
        return None  # a name that promises no number of items is not looked for
    text, key = document.text, document.key
    # What the items are: the name less its number and measure word (三个年 → 年).
    noun = re.sub(rf"^(?:[{CN_NUMERALS}]+|\d+)(?:个|种|项|条|大|类|点)?", "", short)
    found: list[tuple[int, Enumeration]] = []
    for m in re.finditer(_SHORT_BEFORE + re.escape(short), key):
        end = m.start()
        start = max(key.rfind(c, 0, end) for c in _CLAUSE_END) + 1
        items = _series_items(text, key, start, end, count, noun)
        if items:
            marked = 0 if "称" in m[0] else 1
            found.append((marked, Enumeration(document.doc_id, "definition", items)))
    for m in re.finditer(re.escape(short) + _SHORT_AFTER, key):
        start = m.end()
        stops = [p for p in (key.find(c, start) for c in "。；;\n") if p >= 0]
        end = min(stops, default=len(key))
        items = _series_items(text, key, start, end, count, noun)
        if items:
            found.append((0, Enumeration(document.doc_id, "definition", items)))
    return min(found, key=lambda f: (f[0], f[1].start))[1] if found else None


def _series_items(
    text: str, key: str, start: int, end: int, count: int | None, noun: str
) -> tuple[Item, ...]:
    """A 、-series (和 / 及 / 与 before the last item) between two positions, or ()."""
    clause = key[start:end]
    lead = _LEADING_WORDS.match(clause)
    offset = start + (lead.end() if lead else 0)
    parts, pos = [], offset
    for piece in re.split(r"(、|和|及|与)", key[offset:end]):
        if piece in ("、", "和", "及", "与"):
            pos += len(piece)
            continue
        if piece.strip("*“”「」 "):
            parts.append((pos, pos + len(piece)))
        pos += len(piece)
    if len(parts) < 2 or (count is not None and len(parts) != count):
        return ()
    if noun and not all(
        key[a:b].strip("*“”「」").endswith(noun) or key[a:b].strip("*“”「」").startswith(noun)
        for a, b in parts
    ):
        return ()
    if any(b - a < 2 or b - a > 30 for a, b in parts):
        return ()
    # Redaction marks (**) are not part of a name.
    return tuple(Item(text[a:b].strip("“”「」 *"), a, b) for a, b in parts)
