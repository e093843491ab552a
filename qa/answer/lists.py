"""Answering with a list: the enumeration a question asks for, its items' explanations, one
item and what elaborates it, and the enumeration a short name stands for.

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
:attr:`Answer.lead` (:mod:`qa.answer.enumerations` recognises the lists; the question is read
by :mod:`qa.query.question`).

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
import re
from collections.abc import Iterator, Mapping, Sequence

from qa.answer.cite import Span
from qa.answer.enumerations import (
    MAX_ITEM_CHARS,
    MAX_SENTENCE_CHARS,
    Enumeration,
    Item,
    find_definition,
    find_enumerations,
)
from qa.answer.score import rank_factor, term_match, term_weights
from qa.answer.spans import carries
from qa.ingest.chunk import split_sentences
from qa.ingest.corpus import Document
from qa.ingest.textnorm import clip, normalize
from qa.query.question import ListRequest, count_of
from qa.search.search import Hit
from qa.text import CN_NUMERALS, HAN_BASIC, has_latin_words
from qa.tuning import LISTS

logger = logging.getLogger(__name__)

#: Sentences quoted besides a list (the list is the answer).
LIST_SENTENCES = 2

#: An item asked for by its ordinal is quoted with at most this many sentences in all (4 until
#: 2026-12-05: docs/retrieval.md, "What elaborates one item").
ITEM_SENTENCES = 5

#: Characters of the document looked at around the passages when following a list.
LIST_WINDOW = 3000

#: Lists whose items are names within one sentence, explained elsewhere if at all.
_INLINE_KINDS = frozenset({"series", "quoted_series", "label", "counted"})

#: What follows a name that the sentence goes on to explain (…活动要…, …机制，就是…).
_EXPLAINS = re.compile(r"^[”」]?(?:活动|行动|机制|工作)?[”」]?(?:要|就是|即|是指|[，,:：])")


def _explanation(doc: Document, item: Item, enum: Enumeration) -> Span | None:
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
                return Span(clip(sentence, MAX_SENTENCE_CHARS), doc.doc_id, lo + a, lo + b)
    return None


#: Items this short are names, not statements: 六访, 三清, 四帮助.
MAX_LABEL_CHARS = 4

# "…“六访、三清、四帮助”，即走访…；摸清…；切实做到帮助…。": the names, then what each means.
_EXPLAINED_AS = re.compile(r"^[”」\"]?\s*[，,]?\s*(?:即|就是|分别是|是指)[:：]?")


def label_explanations(doc: Document, enum: Enumeration) -> list[Span] | None:
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
        Span(clip(text[a:b], MAX_SENTENCE_CHARS), doc.doc_id, a, b, label=it.text)
        for it, (a, b) in zip(enum.items, clauses, strict=True)
    ]


def explained_label(
    passages: Sequence[Hit], documents: Mapping[str, Document], label: str
) -> Span | None:
    """What one short name of a named series stands for ("“三清”指的是什么?" → 摸清富民思路、…,
    from "要做到“六访、三清、四帮助”,即…;摸清…;帮助…"), near the passages, or None.

    Args:
        passages: The hits, best first.
        documents: Documents by id.
        label: The short name, Simplified and without quotes.
    """
    for doc, _, enum in _lists_near(passages, documents):
        for span in label_explanations(doc, enum) or ():
            if normalize(span.label).strip("“”「」\"") == label:
                return span
    return None


_CLAUSE = re.compile(r"[^,;:。!?\n]+")


def marked_clauses(
    passages: Sequence[Hit], documents: Mapping[str, Document], word: str
) -> Enumeration | None:
    """The clauses that open with a word a list question quotes (:attr:`ListRequest.mark`), as
    its items: "常州的大走访活动提了哪几个“更要”?" → 更要心到情到, 更要精准聚焦, … (走到访到,更要
    心到情到;…), in the paragraph of the best passage that has two or more of them.
    """
    if not word:
        return None
    for hit in passages:
        doc = documents.get(hit.chunk.doc_id)
        if doc is None:
            continue
        lo = doc.text.rfind("\n", 0, hit.chunk.start) + 1
        hi = doc.text.find("\n", hit.chunk.end)
        hi = len(doc.text) if hi < 0 else hi
        key = normalize(doc.text[lo:hi])
        clauses = list(_CLAUSE.finditer(key))
        items = tuple(
            Item(clip(doc.text[lo + m.start() : lo + m.end()], MAX_ITEM_CHARS),
                 lo + m.start(), lo + m.end())
            for i, m in enumerate(clauses)
            if m[0].strip().startswith(word) and len(m[0].strip()) > len(word)
            # "既到群众家中…,更要与群众交心交友": the second half of a 既…更要 pair.
            and not (i and clauses[i - 1][0].strip().startswith("既"))
        )  # fmt: skip
        if len(items) >= 2:
            return Enumeration(doc.doc_id, "marked", items)
    return None


_COMMA_CLAUSE = re.compile(r"[^,;]+")


def person_clauses(passages: Sequence[Hit]) -> Enumeration | None:
    """The comma clauses of one sentence that each name a person ("市委常委、经济开发区党工委书记
    孙群,副市长、…钱军,市发改委主任焦国庆,…分别作交流发言"), three or more in a row, from the
    best passage that has such a sentence: the people a list question asks for."""
    for hit in passages:
        chunk = hit.chunk
        for s, e in split_sentences(chunk.text):
            run: list[tuple[int, int]] = []
            for m in _COMMA_CLAUSE.finditer(normalize(chunk.text[s:e])):
                if carries("person", m[0]):
                    run.append(m.span())
                elif len(run) >= 3:
                    break
                else:
                    run = []
            if len(run) >= 3:
                items = tuple(
                    Item(clip(chunk.text[s + a : s + b], MAX_ITEM_CHARS),
                         chunk.start + s + a, chunk.start + s + b)
                    for a, b in run
                )  # fmt: skip
                return Enumeration(chunk.doc_id, "people", items)
    return None


def item_details(doc: Document, enum: Enumeration, ordinal: int) -> list[Span]:
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
            return [Span(item.text, doc.doc_id, item.start, item.end), said]
    if ordinal < len(enum.items):
        stop = enum.items[ordinal].start
    else:
        stop = text.find("\n", item.end)
        stop = len(text) if stop < 0 else stop
    spans = [Span(item.text, doc.doc_id, item.start, item.end)]
    for a, b in split_sentences(text[item.end : stop]):
        if len(spans) >= ITEM_SENTENCES:
            break
        sentence = text[item.end + a : item.end + b].strip()
        if len(sentence) > 1:
            start = item.end + a + text[item.end + a : item.end + b].find(sentence)
            spans.append(
                Span(clip(sentence, MAX_SENTENCE_CHARS), doc.doc_id, start, start + len(sentence))
            )
    return spans


def _leads_with(enum: Enumeration, noun: str) -> bool:
    """Whether a list's lead or label names ``noun`` (二要明确主要任务。 for 主要任务)."""
    return noun in normalize(enum.label + enum.lead)


def _counts_its_items(enum: Enumeration, count: int | None) -> bool:
    """Whether a list's name or its colon-ended lead announces as many things as it has, the
    number asked for (重点聚焦四个层面…,即: before four items, for "What four levels …")."""
    if not count or len(enum.items) != count:
        return False
    # The list's own name (“三个要求”), or a lead that opens it with a colon.
    lead = normalize(enum.lead).rstrip()
    said = enum.label if enum.label else (lead if lead.endswith((":", "：")) else "")
    return count_of(normalize(said)) == count


def _items_say(enum: Enumeration, noun: str) -> bool:
    """Whether at least half of a list's items name ``noun``."""
    return 2 * sum(noun in normalize(it.text) for it in enum.items) >= len(enum.items)


def _opens_with_asked(enum: Enumeration, question: str) -> bool:
    """Whether every item of a list of sentences that open alike begins with a word the
    question says ("要带头做哪些事?" and 带头制定…,带头落实…,带头执行…)."""
    if enum.kind != "anaphora" or not question:
        return False
    texts = [normalize(it.text) for it in enum.items]
    opener = texts[0][:2]
    return len(opener) == 2 and all(t.startswith(opener) for t in texts) and opener in question


_KIND_PRIOR = {"series": LISTS.series_prior, "quoted_series": LISTS.quoted_series_prior}


def _lists_near(
    passages: Sequence[Hit], documents: Mapping[str, Document]
) -> Iterator[tuple[Document, list[Hit], Enumeration]]:
    """The enumerations around the passages, document by document in rank order, each with
    its document and that document's passages."""
    by_doc: dict[str, list[Hit]] = {}
    for hit in passages:
        by_doc.setdefault(hit.chunk.doc_id, []).append(hit)
    for doc_id, hits in by_doc.items():
        doc = documents.get(doc_id)
        if doc is None:
            continue
        for lo, hi in _windows(hits):
            for enum in find_enumerations(doc, lo, hi):
                yield doc, hits, enum


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
    none of them counts for less. In the best passage's document, a list whose lead or label
    names what the question counts (二要明确主要任务。 for 主要任务有哪几项) outranks every list
    that does not (docs/retrieval.md, "A list introduced as what the question counts"); asked
    for one item ("the second one"), a list of that document outranks every other
    (docs/retrieval.md, "Follow-ups: an item of the best passage's list").

    Args:
        passages: The hits, best first.
        documents: Documents by id.
        terms: Simplified query terms.
        request: The count and ordinal asked for.
        question: The question, whose quoted words weigh more.

    Returns:
        The best enumeration, or None when no list near the passages matches.
    """
    candidates: list[tuple[Enumeration, int, bool]] = []
    for _, hits, enum in _lists_near(passages, documents):
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
    weights = term_weights(terms, keys, question)
    asked_key = normalize(question)
    english = has_latin_words(question)
    # What the passages could match at best: a list must match a fair share of it.
    reachable = term_match(normalize(" ".join(h.chunk.text for h in passages)), weights)
    best: tuple[int, float, int, Enumeration] | None = None
    for (enum, rank, overlaps), key in zip(candidates, keys, strict=True):
        relevance = term_match(key, weights)
        leads = bool(request.noun) and _leads_with(enum, request.noun)
        if english and overlaps and _counts_its_items(enum, request.count):
            # "What four levels …": the English noun is no corpus word, but a lead that
            # announces four things (重点聚焦四个层面…,即:) introduces the list asked for.
            leads = True
        named = (
            leads
            or (bool(request.noun) and _items_say(enum, request.noun))
            # 一要明确…二要明确… for "哪几个“明确”": the items say the word quoted.
            or (len(request.mark) >= 2 and _items_say(enum, request.mark))
            or _opens_with_asked(enum, asked_key)
        )
        # A list with the count asked for or naming what is counted is plainly the one asked
        # for; any other must match a fair share of the query and lie in a passage.
        plain = named or len(enum.items) == request.count
        if relevance <= 0 or not (plain or (overlaps and relevance >= LISTS.min_share * reachable)):
            continue
        size = len(enum.items)
        if enum.kind == "counted" and size != request.count:
            # An unquoted count (…和软环境建设三方面的攻坚行动) names a list only for a
            # question that asks for that many things.
            continue
        if request.count:
            fit = 3.0 if size == request.count else (0.3 if size < request.count else 0.6)
        else:
            fit = 1.0
        if request.ordinal and size < request.ordinal:
            continue
        score = relevance * rank_factor(rank) * fit * _KIND_PRIOR.get(enum.kind, 1.0)
        if named:
            score *= LISTS.noun_boost
        if not overlaps:
            score *= LISTS.outside_factor
        # A list introduced as what is counted outranks the rest, but only in the best
        # passage's document: a common noun (活动) introduces lists in every speech.
        top_doc = enum.doc_id == passages[0].chunk.doc_id
        if not top_doc:
            # The best passage says which document is asked about: another's list must match
            # the question twice as well ("What five things are officials forbidden …" took
            # 诸城's five phases over the 不准 series of the development-zone speech).
            score *= LISTS.other_document_factor
        tier = int(leads and (len(request.noun) >= 2 or english) and top_doc)
        if request.ordinal:
            # An item of a list the conversation is about: the best passage's document's list.
            tier = 2 * top_doc + tier
        if best is None or (tier, score, -enum.start) > (best[0], best[1], -best[2]):
            best = (tier, score, enum.start, enum)
    return best[3] if best else None


# A short name that promises a number of things: “三个年”, 「六种意识」, or 哪三个年.
_SHORT_NAME_RE = re.compile(
    rf"[“「\"']((?:[{CN_NUMERALS}]+|\d+)[^“”「」\"']{{1,8}})[”」\"']"
    rf"|哪((?:[{CN_NUMERALS}]+|\d+)(?:个|种|项|大)[{HAN_BASIC}])(?![{HAN_BASIC}])"
)


def short_names(question: str) -> list[str]:
    """The short names of sets a question quotes (“三个年”, 「六种意识」, (五个好)), Simplified."""
    key = normalize(question)
    names = [m[1] for m in _SHORT_NAME_RE.finditer(key) if m[1]]
    # An English question may give the Chinese name in brackets: "Five Goods" (五个好).
    names += _BRACKETED_NAME.findall(key) if has_latin_words(key) else []
    return list(dict.fromkeys(names))


_BRACKETED_NAME = re.compile(
    rf"[(（]((?:[{CN_NUMERALS}]+|\d+)(?:个|种|项|条|大|类|点)?[{HAN_BASIC}]{{1,6}})[)）]"
)


def names_the_set(doc: Document, enum: Enumeration, short: str) -> bool:
    """Whether a list is said to be the set a short name stands for: the name is in the list,
    in the few sentences before it (“四种精神”…“担当进取、勇争一流”的精神。) or right after its
    last item (交通联通…文旅融合“六大攻坚行动”)."""
    if short in normalize(doc.text[max(0, enum.start - _NAME_BEFORE) : enum.end]):
        return True
    after = normalize(doc.text[enum.end : enum.end + len(short) + 2])
    return after.lstrip("“「\"").startswith(short)


#: How far before a list its set's short name may stand, in characters.
_NAME_BEFORE = 300


def defined_set(
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
