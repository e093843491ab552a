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
:attr:`Answer.lead` (:mod:`qa.enumerations` recognises the lists; the question is read
by :mod:`qa.question`).

An enumeration is followed through the whole document text, not just the retrieved chunk,
so one that runs past the chunk's end is returned whole. Each item cites every passage that
holds it whole; an item no passage holds brings the indexed chunk that does in as one more
passage, so that every [n] marks a card containing what it marks. Among the lists near
the passages the one chosen best matches the query terms (lead, label, items), lies in a
high-ranked passage, has the number of items asked for ("五个") and names what the question
counts ("阶段" in the lead or the items). With a list, at most :data:`LIST_SENTENCES`
sentences are quoted, from the passages the list lies in. An ordinal ("第三个阶段") asks for
one item: the answer is that item and the sentences after it up to the next item, not the
list.

Not covered: nested enumerations are returned one level at a time (the best-matching level
wins); enumerations spelled with Latin letters (a. b. c.) or bullets; series separated by
commas without a count label; a count fused into a word (“六访” = six 走访 targets spread
over two 、-series); series whose items are longer than 20 characters unless numbered.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.chunk import Chunk, heading_of, split_sentences
from qa.corpus import Document
from qa.enumerations import (
    MAX_SENTENCE_CHARS,
    Enumeration,
    Item,
    find_definition,
    find_enumerations,
)
from qa.question import LAST, ListRequest, answer_kind, count_of, list_request, proper_names
from qa.search import Hit, SearchResult
from qa.text import CN_LARGE, CN_NUMERALS, HAN_BASIC
from qa.textnorm import clip, normalize
from qa.tuning import COMPOSING, LISTS

logger = logging.getLogger(__name__)

#: Sentences of the answer at most.
MAX_SENTENCES = 3
#: Sentences quoted besides a list (the list is the answer).
LIST_SENTENCES = 2
#: An item asked for by its ordinal is quoted with at most this many sentences in all.
ITEM_SENTENCES = 4
#: Characters of the document looked at around the passages when following a list.
LIST_WINDOW = 3000

NOTICE_TRUNCATED = "The question was too long and was cut."
#: Why an answer is withheld and only the closest passages are shown.
NOTICE_NO_SPAN = {
    "time": "最接近的段落：没有句子给出所问的时间。 / "
    "Closest passages: no sentence gives the time asked for.",
    "quantity": "最接近的段落：没有句子给出所问的数量。 / "
    "Closest passages: no sentence gives the number asked for.",
    "person": "最接近的段落：没有句子给出所问的人。 / "
    "Closest passages: no sentence names the person asked for.",
}
NOTICE_OTHER_PLACE = (
    "最接近的段落：这些段落说的不是{names}。 / Closest passages: they are not about {names}."
)
#: The kinds of question whose answer must carry a span of that kind (a time, a number...).
_SPAN_KINDS = frozenset(NOTICE_NO_SPAN)
NOTICE_NEEDS_CONTEXT = (
    "这像是追问，但前面没有对话：请问完整的问题。 / This looks like a follow-up, but there is "
    "no conversation before it: please ask the full question."
)


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence of the answer and the passages it comes from."""

    text: str
    citations: tuple[int, ...]
    #: The short name the text explains (六访 for "走访老干部、老党员…"), shown before it.
    label: str = ""


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
    #: The text actually searched (the question, or a follow-up rewritten with its topic).
    query: str = ""
    #: The sentence introducing :attr:`items` ("今年活动主要分五个阶段。"), or "".
    lead: str = ""
    #: The documents of :attr:`passages`, by id, from the index the passages came from: a
    #: rebuild that swaps the index afterwards cannot pair a passage with another text.
    documents: Mapping[str, Document] = field(default_factory=dict)
    #: What the question asks for (:data:`qa.question.ANSWER_KINDS`); for a time, number or
    #: person the page marks that span in the sentences (:func:`kind_spans`).
    kind: str = ""
    #: An English question's answer: each item's and sentence's text → its word-by-word
    #: dictionary gloss (:func:`qa.gloss.gloss_text`).
    glosses: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- composing


_QUOTED_RE = re.compile(r"[“「《\"']([^“”「」《》\"']{1,30})[”」》\"']")


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
        weight = COMPOSING.length_weight[min(len(term), 4)] * math.log((n + 1.0) / (df + 0.5))
        if any(term in q for q in quoted):
            weight *= COMPOSING.quoted_boost
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
    """Every passage that holds the whole span (none: see :func:`_cite_all`)."""
    return tuple(
        n
        for n, hit in enumerate(passages, start=1)
        if hit.chunk.doc_id == doc_id and hit.chunk.start <= start and end <= hit.chunk.end
    )


@dataclass(frozen=True)
class _Span:
    """A stretch of a document the answer quotes: an item or a sentence."""

    text: str
    doc_id: str
    start: int
    end: int
    label: str = ""


def _cite_all(
    spans: Sequence[_Span], passages: list[Hit], chunks: Sequence[Chunk]
) -> list[AnswerSentence]:
    """Cite each span with the passages that hold it; a span that none holds brings the
    indexed chunk that does in as a new passage (appended to ``passages``), so that every
    [n] marks a card whose text contains what it marks."""
    out = []
    for span in spans:
        cites = _citations(passages, span.doc_id, span.start, span.end)
        if not cites:
            holder = next(
                (
                    c
                    for c in chunks
                    if c.doc_id == span.doc_id and c.start <= span.start and span.end <= c.end
                ),
                None,
            )
            if holder is not None:
                passages.append(Hit(holder, 0.0, len(passages) + 1, 0.0, 0.0, ()))
                cites = (len(passages),)
        out.append(AnswerSentence(span.text, cites, span.label))
    return out


#: Lists whose items are names within one sentence, explained elsewhere if at all.
_INLINE_KINDS = frozenset({"series", "quoted_series", "label"})
#: What follows a name that the sentence goes on to explain (…活动要…, …机制，就是…).
_EXPLAINS = re.compile(r"^[”」]?(?:活动|行动|机制|工作)?[”」]?(?:要|就是|即|是指|[，,:：])")


def _explanation(doc: Document, item: Item, enum: Enumeration) -> _Span | None:
    """The first sentence after the list (else before it) that takes up an item's name and
    goes on about it, not one that only lists it again."""
    text, name = doc.text, item.text.strip('“”「」"')
    if len(name) < 2:
        return None
    found = [m.start() for m in re.finditer(re.escape(name), text)]
    later = [p for p in found if p >= enum.end] + [p for p in found if p < enum.start]
    for pos in later:
        after = text[pos + len(name) : pos + len(name) + 8]
        if text[pos - 1 : pos] == "、" or after.startswith("、") or not _EXPLAINS.match(after):
            continue
        lo = text.rfind("\n", 0, pos) + 1
        hi = text.find("\n", pos)
        hi = len(text) if hi < 0 else hi
        for a, b in split_sentences(text[lo:hi]):
            if lo + a <= pos < lo + b:
                sentence = text[lo + a : lo + b]
                return _Span(clip(sentence, MAX_SENTENCE_CHARS), doc.doc_id, lo + a, lo + b)
    return None


#: Items this short are names, not statements: 六访, 三清, 四帮助.
MAX_LABEL_CHARS = 4
# "…“六访、三清、四帮助”，即走访…；摸清…；切实做到帮助…。": the names, then what each means.
_EXPLAINED_AS = re.compile(r"^[”」\"]?\s*[，,]?\s*(?:即|就是|分别是|是指)[:：]?")


def _label_explanations(doc: Document, enum: Enumeration) -> list[_Span] | None:
    """A list of short names followed by what each stands for, one ;-separated clause per
    name: the clauses as the items, each labelled with its name. None when the list is not
    such (its items are statements, or the clauses don't match them one for one)."""
    if enum.kind not in _INLINE_KINDS or any(
        len(it.text.strip("“”「」")) > MAX_LABEL_CHARS for it in enum.items
    ):
        return None
    text = doc.text
    m = _EXPLAINED_AS.match(text[enum.end : enum.end + 12])
    if m is None:
        return None
    start = enum.end + m.end()
    stops = [p for p in (text.find(c, start) for c in "。\n") if p >= 0]
    end = min(stops, default=len(text))
    clauses, pos = [], start
    for piece in re.split(r"([；;])", text[start:end]):
        if piece in ("；", ";"):
            pos += 1
            continue
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            clauses.append((pos + lead, pos + len(piece.rstrip())))
        pos += len(piece)
    if len(clauses) != len(enum.items):
        return None
    return [
        _Span(clip(text[a:b], MAX_SENTENCE_CHARS), doc.doc_id, a, b, label=it.text)
        for it, (a, b) in zip(enum.items, clauses, strict=True)
    ]


def _item_details(doc: Document, enum: Enumeration, ordinal: int) -> list[_Span]:
    """Item ``ordinal`` (1-based) of a list and the sentences that elaborate it, up to the
    next item (the last item: up to the end of its paragraph), at most
    :data:`ITEM_SENTENCES` sentences in all."""
    item = enum.items[ordinal - 1]
    text = doc.text
    if enum.kind in _INLINE_KINDS:
        # A name in a series (大讨论、大走访、…): what it means is said where the text
        # takes it up again (通过大讨论活动，明优势、找短板、思举措).
        said = _explanation(doc, item, enum)
        if said is not None:
            return [_Span(item.text, doc.doc_id, item.start, item.end), said]
    if ordinal < len(enum.items):
        stop = enum.items[ordinal].start
    else:
        stop = text.find("\n", item.end)
        stop = len(text) if stop < 0 else stop
    spans = [_Span(item.text, doc.doc_id, item.start, item.end)]
    for a, b in split_sentences(text[item.end : stop]):
        if len(spans) >= ITEM_SENTENCES:
            break
        sentence = text[item.end + a : item.end + b].strip()
        if len(sentence) > 1:
            start = item.end + a + text[item.end + a : item.end + b].find(sentence)
            spans.append(
                _Span(clip(sentence, MAX_SENTENCE_CHARS), doc.doc_id, start, start + len(sentence))
            )
    return spans


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
    require: Callable[[str], bool] | None = None,
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
        require: A test each sentence must pass (it names a time, a person ...).

    Returns:
        Sentences with the numbers of every passage containing them.
    """
    candidates = _candidates([h for h in passages if within is None or h.chunk.chunk_id in within])
    if require is not None:
        candidates = [c for c in candidates if require(c.text)]
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
        (sc for sc in scored if sc[0] >= COMPOSING.relative_floor * best),
        key=lambda sc: (-sc[0], sc[1].rank, sc[1].start),
    )[:max_sentences]
    doc_order: dict[str, int] = {}
    for hit in passages:
        doc_order.setdefault(hit.chunk.doc_id, len(doc_order))
    chosen.sort(key=lambda sc: (doc_order.get(sc[1].doc_id, 0), sc[1].start))
    return [
        AnswerSentence(
            clip(c.text, MAX_SENTENCE_CHARS), _citations(passages, c.doc_id, c.start, c.end)
        )
        for _, c in chosen
    ]


def _names(enum: Enumeration, noun: str) -> bool:
    if noun in normalize(enum.label + enum.lead):
        return True
    return 2 * sum(noun in normalize(it.text) for it in enum.items) >= len(enum.items)


_KIND_PRIOR = {"series": LISTS.series_prior, "quoted_series": LISTS.quoted_series_prior}


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
    candidates: list[tuple[Enumeration, int, bool]] = []
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
        if relevance <= 0 or not (plain or (overlaps and relevance >= LISTS.min_share * reachable)):
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
            score *= LISTS.noun_boost
        if not overlaps:
            score *= LISTS.outside_factor
        if best is None or (score, -enum.start) > (best[0], -best[1]):
            best = (score, enum.start, enum)
    return best[2] if best else None


# A short name that promises a number of things: “三个年”, 「六种意识」, or 哪三个年.
_SHORT_NAME_RE = re.compile(
    rf"[“「\"']((?:[{CN_NUMERALS}]+|\d+)[^“”「」\"']{{1,8}})[”」\"']"
    rf"|哪((?:[{CN_NUMERALS}]+|\d+)(?:个|种|项|大)[{HAN_BASIC}])(?![{HAN_BASIC}])"
)


def _defined_set(
    passages: Sequence[Hit],
    documents: Mapping[str, Document],
    question: str,
    request: ListRequest,
) -> Enumeration | None:
    """The items a short name in the question stands for ("“三个年”行动是哪三个年" → the three
    years the speech names in its opening, with 以下简称“三个年”), from the documents of the
    passages in rank order; headings that only repeat the short name are not its items."""
    for m in _SHORT_NAME_RE.finditer(normalize(question)):
        short = m[1] or m[2]
        count = count_of(short) or request.count
        for doc_id in dict.fromkeys(h.chunk.doc_id for h in passages):
            doc = documents.get(doc_id)
            enum = find_definition(doc, short, count) if doc is not None else None
            if enum is not None:
                return enum
    return None


_TIME_SPAN = re.compile(
    r"\d{1,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[上下]午|[上中下]旬|月份|年底|年初|季度"
    rf"|[{CN_NUMERALS}]{{1,3}}月|每(?:月|季度|周|年|天)|(?:今|去|明|前)年"
)
_QUANTITY_SPAN = re.compile(
    rf"(?:\d+(?:\.\d+)?|[{CN_NUMERALS}{CN_LARGE}]+)\s*(?:%|％|多|余)?"
    r"(?:平方公里|公里|万元|亿元|个|户|名|人|元|万|亿|项|家|次|位|条|岁|天|倍|所|座|件|吨|级)"
)
_POSTS = "书记|市长|县长|区长|主任|组长|部长|局长|主席|常委|委员|同志|镇长|厂长|经理|董事长"
# A name after its post (市委书记费高云), or a surname alone before one (桑书记).
_PERSON_SPAN = re.compile(
    rf"(?<!副)(?:{_POSTS})[{HAN_BASIC}]{{2,3}}|(?<![{HAN_BASIC}])(?!副)[{HAN_BASIC}](?:{_POSTS})"
)


_CJK_ONE = f"[{HAN_BASIC}]"


def _named_after(key: str, post: str) -> bool:
    """Whether a post in the text comes with a person's name."""
    from jieba import posseg

    if re.search(rf"(?<![{HAN_BASIC}])(?!副){_CJK_ONE}{re.escape(post)}", key):
        return True
    for m in re.finditer(rf"(?<!副){re.escape(post)}", key):
        tokens = list(posseg.cut(key[m.end() : m.end() + 6]))[:2]
        # jieba reads some names as a surname and a given name apart (费 高云).
        if tokens and tokens[0].flag.startswith("nr") and 2 <= len(tokens[0].word) <= 3:
            return True
        if len(tokens) == 2 and len(tokens[0].word) == 1 and tokens[1].flag.startswith("nr"):
            return len(tokens[1].word) <= 2
    return False


def _carries(kind: str, text: str, posts: Sequence[str] = ()) -> bool:
    """Whether a sentence has a span of the kind a question asks for: a date or time, a
    number in a unit, a person (a name after the post the question asks about, or, asking
    about no post, any name with a post or that jieba knows)."""
    key = normalize(text)
    if kind == "time":
        return bool(_TIME_SPAN.search(key))
    if kind == "quantity":
        return bool(_QUANTITY_SPAN.search(key))
    if kind == "person":
        if posts:
            # 市长 is not 副市长's post: the post as asked, then a name (市委书记费高云), or a
            # surname alone before it (桑书记). "总书记作出…" names nobody after the post.
            return any(_named_after(key, p) for p in posts)
        if _PERSON_SPAN.search(key):
            return True
        from jieba import posseg

        return any(t.flag.startswith("nr") and len(t.word) in (2, 3) for t in posseg.cut(key))
    return True


def _docs_of(part: AnswerSentence, passages: Sequence[Hit]) -> set[str]:
    return {passages[n - 1].chunk.doc_id for n in part.citations if 0 < n <= len(passages)}


def _unnamed_places(
    names: Sequence[str], used: Collection[str], documents: Mapping[str, Document]
) -> list[str]:
    """The names that none of the documents the answer comes from mentions: the answer is
    about somewhere (someone) else."""
    texts = [normalize(documents[d].title) + documents[d].key for d in used if d in documents]
    if not texts:
        return []
    return [n for n in names if not any(n in t for t in texts)]


def kind_spans(kind: str, text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` of the kind a question asks for: dates and times, numbers in a
    unit, names after a post (empty for other kinds)."""
    pattern = {"time": _TIME_SPAN, "quantity": _QUANTITY_SPAN, "person": _PERSON_SPAN}.get(kind)
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(normalize(text))]


def compose_answer(
    result: SearchResult,
    documents: Mapping[str, Document],
    *,
    max_sentences: int = MAX_SENTENCES,
    truncated: bool = False,
    question: str | None = None,
    request: ListRequest | None = None,
    detect_list: bool = True,
    chunks: Sequence[Chunk] = (),
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
        chunks: The index's chunks: an item or sentence that no passage holds brings in the
            one that does, as an extra passage (without them it is cited by nothing).

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
    passages = list(result.hits)

    def answer(
        sentences: list[AnswerSentence],
        items: list[AnswerSentence],
        found: bool,
        *,
        lead: str = "",
        why: str = "",
    ) -> Answer:
        return Answer(
            question=asked,
            sentences=sentences,
            items=items,
            passages=passages,
            terms=result.terms,
            found=found,
            notice=why or notice,
            query=result.question,
            lead=lead,
            documents=cited,
            kind=kind,
        )

    kind = answer_kind(asked)
    if result.weak or not result.hits:
        return answer([], [], False)
    if request is None and detect_list:
        request = list_request(asked)
    enum = _defined_set(result.hits, documents, asked, request) if request else None
    if enum is None and request is not None:
        enum = pick_list(result.hits, documents, result.terms, request, asked)
    items: list[AnswerSentence] = []
    lead = ""
    ordinal = request.ordinal if request is not None else None
    if enum is not None and ordinal == LAST:
        ordinal = len(enum.items)
    if enum is not None and ordinal and 0 < ordinal <= len(enum.items):
        # One item asked for: that item and what the document says of it, not the list.
        details = _item_details(documents[enum.doc_id], enum, ordinal)
        return answer(_cite_all(details, passages, chunks), [], True)
    if enum is not None:
        spans = (
            _label_explanations(documents[enum.doc_id], enum) if enum.doc_id in documents else None
        )
        items = _cite_all(
            spans or [_Span(it.text, enum.doc_id, it.start, it.end) for it in enum.items],
            passages,
            chunks,
        )
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
    kind = kind if enum is None else "list"
    need: Callable[[str], bool] | None = None
    if kind in _SPAN_KINDS:
        posts = [p for p in _POSTS.split("|") if p in normalize(asked) or p in result.terms]
        need = lambda text: _carries(kind, text, posts)  # noqa: E731
    # A follow-up's search carries its topic's words; only the question as typed counts.
    own_terms = result.terms if asked.strip() == result.question.strip() else ()
    names = proper_names(asked, own_terms)

    def pick(among: Collection[int] | None) -> list[AnswerSentence]:
        return pick_sentences(
            result.hits,
            result.terms,
            require=need,
            max_sentences=max_sentences,
            exclude=shown,
            question=asked,
            within=among,
        )

    sentences = pick(within)
    if need is not None and not sentences:
        # "潍坊市长是谁": passages about 市长 and 潍坊, none naming one. Closest passages only.
        logger.debug("no sentence carries the %s asked for", kind)
        return answer([], [], False, why=NOTICE_NO_SPAN[kind])
    source = {enum.doc_id} if enum is not None else set()
    used = source or {d for s in sentences for d in _docs_of(s, passages)}
    missing = _unnamed_places(names, used, documents)
    if missing and enum is None:
        # The sentences came from another place's document, but a passage of one that names
        # the place may say it: quote from those (泰兴's 要求 from 泰兴's report).
        naming = {
            h.chunk.chunk_id
            for h in result.hits
            if h.chunk.doc_id in documents
            and not _unnamed_places(names, {h.chunk.doc_id}, documents)
        }
        if naming:
            sentences = pick(naming)
            used = {d for s in sentences for d in _docs_of(s, passages)}
            missing = _unnamed_places(names, used, documents) if sentences else missing
    if missing:
        # "常州…分为哪五个阶段" answered from 诸城's document: not an answer about 常州.
        logger.debug("answer from documents that do not name %s", missing)
        places = "、".join(sorted(missing))
        return answer([], [], False, why=NOTICE_OTHER_PLACE.format(names=places))
    return answer(sentences, items, True, lead=lead)


def answer_json(answer: Answer, documents: Mapping[str, Document]) -> dict[str, Any]:
    """The answer and its passages as plain JSON data: the page's ``/ask`` result, and
    ``qa ask --jsonl``'s lines.

    Args:
        answer: The composed answer.
        documents: Documents by id (titles, dates and sources of the passages).
    """

    def sentences(items: list[AnswerSentence]) -> list[dict[str, Any]]:
        out = []
        for s in items:
            row: dict[str, Any] = {"text": s.text, "citations": list(s.citations)}
            if s.label:
                row["label"] = s.label
            if s.text in answer.glosses:
                row["gloss"] = answer.glosses[s.text]
            out.append(row)
        return out

    passages = []
    for n, hit in enumerate(answer.passages, start=1):
        doc = documents.get(hit.chunk.doc_id)
        passages.append(
            {
                "n": n,
                "doc": hit.chunk.doc_id,
                "title": doc.title if doc else "",
                "date": doc.date if doc else "",
                "source": doc.source if doc else "",
                "text": hit.chunk.text,
                "start": hit.chunk.start,
                "end": hit.chunk.end,
                # The page the passage starts on, for documents with pages (PDF); else None.
                "page": doc.page_at(hit.chunk.start) if doc else None,
                "score": round(float(hit.score), 6),
                "terms": list(hit.terms),
            }
        )
    return {
        "question": answer.question,
        "query": getattr(answer, "query", "") or answer.question,
        "found": answer.found,
        "terms": list(answer.terms),
        "notice": answer.notice,
        "answer": {
            "lead": answer.lead,
            "items": sentences(answer.items),
            "sentences": sentences(answer.sentences),
        },
        "passages": passages,
    }
