"""Compose an answer from the passages found, offline and without a language model.

The answer is made of sentences taken from the passages, each carrying citation numbers that
match the passages' positions (1-based); nothing is paraphrased, so every sentence stays in
its document's original script.

Lists, one item of a list and named sets are answered by :mod:`qa.answer.lists`; spans of
the kind asked for (a time, a number, a person) are found by :mod:`qa.answer.spans`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from qa.answer.cite import Span, citations, cite_all
from qa.answer.enumerations import MAX_SENTENCE_CHARS, Enumeration
from qa.answer.lists import (
    LIST_SENTENCES,
    defined_set,
    explained_label,
    item_details,
    label_explanations,
    marked_clauses,
    names_the_set,
    person_clauses,
    pick_list,
    short_names,
)
from qa.answer.result import (
    NOTICE_NO_ITEM,
    NOTICE_NO_LIST,
    NOTICE_NO_PLACE,
    NOTICE_NO_SET,
    NOTICE_NO_SPAN,
    NOTICE_OTHER_PLACE,
    NOTICE_OTHER_YEAR,
    NOTICE_TRUNCATED,
    SPAN_KINDS,
    Answer,
    AnswerSentence,
)
from qa.answer.score import defines, names_in_quotes, rank_factor, term_match, term_weights
from qa.answer.spans import asked_posts, carries
from qa.ingest.chunk import Chunk, heading_of, split_sentences
from qa.ingest.corpus import Document
from qa.ingest.textnorm import clip, normalize
from qa.query.question import (
    LAST,
    ListRequest,
    answer_kind,
    asked_attribute,
    asked_place_noun,
    asked_subject,
    asked_time_grain,
    asked_unit,
    asked_verb,
    asked_which,
    list_request,
    proper_names,
    quoted_words,
)
from qa.search.search import Hit, SearchResult
from qa.text import HAN_BASIC
from qa.tuning import COMPOSING

logger = logging.getLogger(__name__)

#: Sentences of the answer at most.
MAX_SENTENCES = 3


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
    focus: str = "",
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
        focus: A follow-up as typed: its terms weigh as quoted ones.

    Returns:
        Sentences with the numbers of every passage containing them.
    """
    candidates = _candidates([h for h in passages if within is None or h.chunk.chunk_id in within])
    if require is not None:
        candidates = [c for c in candidates if require(c.text)]
    weights = term_weights(terms, [c.key for c in candidates], question, focus)
    skip = {_bare(x) for x in exclude}
    scored = []
    for c in candidates:
        if _bare(c.key) in skip:
            continue
        score = (term_match(c.key, weights) + defines(c.key, weights)) * rank_factor(c.rank)
        if _is_question(c.key):
            # The interviewer's question repeats the terms but answers nothing, except where
            # its preamble states the time or person asked for ("问:4月24日,诸城市委以视频
            # 形式召开了…动员大会…?"): only then, and below a sentence that answers.
            if require is None:
                continue
            score *= COMPOSING.interviewer_question
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
            clip(c.text, MAX_SENTENCE_CHARS), citations(passages, c.doc_id, c.start, c.end)
        )
        for _, c in chosen
    ]


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


def _no_such_item(
    asked: str,
    request: ListRequest | None,
    enum: Enumeration | None,
    ordinal: int,
    *,
    followup: bool,
) -> bool:
    """Whether a question asks for an item beyond its list: "第四项" of the three or more it names
    ("要求“摸实情、寻实策、办实事”,第四项要求是什么?"), or the sixth of "六项行动" where no list of
    six is near the passages."""
    named = max((len(m[0].split("、")) for m in _SERIES_IN_QUESTION.finditer(asked)), default=0)
    if named >= 3 and ordinal > named:
        return True
    count = request.count if request is not None else None
    if followup or not count or ordinal > count:
        return False
    return enum is None or len(enum.items) != count


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?=年)")

# Verbs that only say an event took place ("动员会是哪天召开的"): documents date the event
# without them ("3月1日上午,…以电视电话会议的形式…进行动员部署").
_HOLDING_VERBS = frozenset({"召开", "举行", "举办", "开展", "进行", "发生", "开始", "成立"})

# A 、-series the question itself names (摸实情、寻实策、办实事).
_SERIES_IN_QUESTION = re.compile(rf"[{HAN_BASIC}]{{2,8}}(?:、[{HAN_BASIC}]{{2,8}})+")


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
    kind: str = "",
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
        kind: What the answer must hold, when the caller knows (a follow-up's, which may be
            its topic's); by default it is read from the question.

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
            widened=result.widened,
        )

    kind = kind or answer_kind(asked)
    if result.weak or not result.hits:
        return answer([], [], False)
    if request is None and detect_list:
        request = list_request(asked)
    if request is None and kind == "other":
        # "“三清”指的是什么?": one name of a named series, and what the document says it is.
        for label in (w for w in quoted_words(asked) if len(w) >= 2):
            meaning = explained_label(result.hits, documents, label)
            if meaning is not None:
                return answer([], cite_all([meaning], passages, chunks), True)
    enum = defined_set(result.hits, documents, asked, request) if request else None
    if enum is None and request is not None:
        enum = marked_clauses(result.hits, documents, request.mark)
    if enum is None and request is not None and request.people:
        enum = person_clauses(result.hits)
    if enum is None and request is not None:
        enum = pick_list(result.hits, documents, result.terms, request, asked)
    items: list[AnswerSentence] = []
    lead = ""
    ordinal = request.ordinal if request is not None else None
    # A follow-up's search carries its topic's words; only the question as typed counts.
    followup = asked.strip() != result.question.strip()
    own_terms = () if followup else result.terms
    names = proper_names(asked, own_terms)
    unnamed = [
        short
        for short in short_names(asked)
        if enum is not None
        and enum.doc_id in documents
        # A list of another place's document gets the place's notice below.
        and not _unnamed_places(names, {enum.doc_id}, documents)
        and not names_the_set(documents[enum.doc_id], enum, short)
    ]
    if unnamed and not followup:
        # "“五个好”先进基层党组织的五条标准": a list of five that is not the 五个好 is no answer.
        logger.debug("the list found is not %s", unnamed)
        return answer([], [], False, why=NOTICE_NO_SET.format(name=unnamed[0]))
    if enum is not None and ordinal == LAST:
        ordinal = len(enum.items)
    if ordinal and _no_such_item(asked, request, enum, ordinal, followup=followup):
        logger.debug("the list asked about has no item %d", ordinal)
        return answer([], [], False, why=NOTICE_NO_ITEM)
    count = request.count if request is not None else None
    if (
        not ordinal
        and count
        and not followup
        and (enum is None or len(enum.items) != count)
    ):
        # "“十戒”具体是哪十条?" where the speech only names them: no list of ten to show.
        logger.debug("no list of %d near the passages", count)
        return answer([], [], False, why=NOTICE_NO_LIST.format(count=count))
    if enum is not None and ordinal and 0 < ordinal <= len(enum.items):
        # One item asked for: that item and what the document says of it, not the list.
        details = item_details(documents[enum.doc_id], enum, ordinal)
        return answer(cite_all(details, passages, chunks), [], True)
    if enum is not None:
        spans = (
            label_explanations(documents[enum.doc_id], enum) if enum.doc_id in documents else None
        )
        items = cite_all(
            spans or [Span(it.text, enum.doc_id, it.start, it.end) for it in enum.items],
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
    if kind in SPAN_KINDS:
        posts = asked_posts(normalize(asked), result.terms)
        grain = asked_time_grain(asked) if kind == "time" else ""
        unit = asked_unit(asked) if kind == "quantity" else ""
        given = normalize(asked)
        need = lambda text: carries(kind, text, posts, grain, unit, given)  # noqa: E731
    attribute = asked_attribute(asked) if kind == "other" else ""
    if not followup and kind in SPAN_KINDS:
        # The campaign a who / when / how-many question names in quotes (“三同四民”) is one
        # its answer's document names too: another document's person or date is no answer.
        quoted = [q for q in quoted_words(asked) if len(q) >= 2 and q not in names]
        names = [*names, *quoted]
    # A follow-up's own words say what it moves to ("那宣传引导机制呢?" after a question about
    # 干部激励关爱机制): they weigh as quoted words.
    focus = asked if followup else ""

    def pick(
        among: Collection[int] | None, require: Callable[[str], bool] | None = need
    ) -> list[AnswerSentence]:
        return pick_sentences(
            result.hits,
            result.terms,
            require=require,
            max_sentences=max_sentences,
            exclude=shown,
            question=asked,
            within=among,
            focus=focus,
        )

    def with_word(word: str) -> Callable[[str], bool]:
        """The span asked for (when one is) and ``word`` in the same sentence."""
        return lambda text: (need is None or need(text)) and word in normalize(text)

    def said(word: str) -> bool:
        """Whether any sentence of the passages has ``word`` (Simplified)."""
        return any(word in c.key for c in _candidates(result.hits))

    sentences = []
    verb = asked_verb(asked) if need is not None else ""
    if verb:
        # "推进会是谁主持的?": the name next to 主持, not the reporter's in the opening line.
        sentences = pick(within, with_word(verb))
        if not sentences and verb not in _HOLDING_VERBS and not said(verb):
            # "常州“三大一实干”活动什么时候结束?": no passage says anything ended.
            logger.debug("no passage says %s", verb)
            return answer([], [], False, why=NOTICE_NO_SPAN[kind])
    subject = asked_subject(asked) if kind == "time" and need is not None else ""
    if subject and said(subject) and not pick(within, with_word(subject)):
        # "第三次党代会是什么时候召开的?": the passages speak of 党代会 without a date; another
        # event's date is no answer.
        logger.debug("the passages name %s but date it nowhere", subject)
        return answer([], [], False, why=NOTICE_NO_SPAN[kind])
    place_noun = asked_place_noun(asked) if kind == "place" else ""
    if place_noun and not said(place_noun):
        # "主会场设在哪里": no passage names a 会场 ("以视频形式召开,一直开到社区").
        logger.debug("no passage names a %s", place_noun)
        return answer([], [], False, why=NOTICE_NO_PLACE)
    which, done = asked_which(asked) if kind == "other" and enum is None else ("", "")
    if which:
        # "“三个年”行动是在哪次会议上提出来的?": a sentence naming a 会议, with 提出 if one does.
        sentences = pick(within, lambda text: which in normalize(text) and done in normalize(text))
        if not sentences and done:
            sentences = pick(within, with_word(which))
    if attribute:
        # The sentences that give the thing asked for its name in quotes, when any do.
        sentences = pick(within, lambda text: names_in_quotes(normalize(text), attribute))
    sentences = sentences or pick(within)
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
    years = _YEAR.findall(normalize(asked))
    if years and sentences and not items:
        # "诸城2018年的…动员大会是哪天召开的?": the passage quoted dates 2017's meeting.
        texts = [normalize(passages[n - 1].chunk.text) for s in sentences for n in s.citations]
        unsaid = [y for y in years if not any(y in t for t in texts)]
        if unsaid:
            logger.debug("the passages quoted do not say %s", unsaid)
            return answer([], [], False, why=NOTICE_OTHER_YEAR.format(years="、".join(unsaid)))
    return answer(sentences, items, True, lead=lead)
