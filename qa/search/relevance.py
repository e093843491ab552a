"""The weak-answer check: how much of the question the best passages cover, and whether
the quantity asked for is there."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable

from qa.ingest.chunk import Chunk
from qa.ingest.textnorm import normalize
from qa.query.prepare import Query
from qa.query.question import asked_unit, counts_in
from qa.search.lexical import TermScores, idf
from qa.store.index import Index
from qa.text import HAN_BMP
from qa.tuning import RELEVANCE

logger = logging.getLogger(__name__)

_CJK_WORD = re.compile(f"[{HAN_BMP}]{{2,4}}")


def coverage(index: Index, query: Query, per_term: TermScores, chunks: Iterable[int]) -> float:
    """How much of what the question asks about the best of some passages has, from 0 to 1.

    Each concept of the question (a Chinese word with its parts and nearest words, an English word
    with its translations, or a Latin word nothing translates) counts with the idf of its main
    term, capped at the idf of a term found in a single passage: the rarer, the more a question
    is about it, and a word the corpus lacks altogether ("护照", "GDP", "Shanghai") counts as
    much as the rarest it has; numbers count half, and a lone character the corpus lacks not
    at all. The passage gets each concept's weight times the best share among the terms it
    contains (1 for the word itself, less for a part, a translation or a nearest word).

    On the evaluation set a passage that answers the question mostly has a third or more of it
    by this measure, while for a question about something the corpus does not contain the best
    passage matches only incidental words ("2023年北京的GDP是多少": 2023 and 年, not 北京 or
    GDP, which no passage has); :attr:`Fusion.min_coverage` is the threshold between the two.
    """
    n = len(index.chunks)
    cap = math.log(1 + (n - 0.5) / 1.5)  # idf of a term in one passage
    weights = []
    for concept in query.concepts:
        head = max(concept.terms, key=lambda ts: ts[1])[0] if concept.terms else None
        if head is None or head not in per_term:
            # Nothing translates it; a capitalised one is a name (Shanghai, FIFA, GDP) the
            # corpus does not mention, the surest sign that it is about something else.
            named = _capitalised(concept.label, query.question)
            weights.append(cap * (RELEVANCE.untranslated_name_weight if named else 1.0))
        elif (df := per_term.df(head)) == 0 and len(head) == 1:
            weights.append(0.0)  # a lone character the corpus lacks (里, 跟) says little
        elif head.isdigit():
            # A number (a year, a count) narrows a question down rather than saying what it
            # is about: "2023" alone matching does not make a passage about Beijing's GDP.
            weights.append(0.5 * min(idf(n, df), cap))
        elif df == 0 and _CJK_WORD.fullmatch(head) and not _is_noun(head):
            # A verb or adjective the corpus lacks (延伸, 看待, 犯错) is mostly how a paraphrase
            # says something the corpus words differently; a noun it lacks (护照, 地铁, 北京)
            # is mostly something it does not contain.
            weights.append(RELEVANCE.missing_non_noun_weight * cap)
        else:
            weights.append(min(idf(n, df), cap))
    total = sum(weights)
    if total <= 0:
        return 0.0
    best = 0.0
    for chunk in chunks:
        got = 0.0
        for concept, weight in zip(query.concepts, weights, strict=True):
            share = max(
                (s for t, s in concept.terms if t in per_term and per_term.score(t, chunk) > 0),
                default=0.0,
            )
            # The best translation of an English word counts as the word itself.
            top_share = max((s for _, s in concept.terms), default=1.0)
            got += weight * min(share / top_share if top_share > 0 else share, 1.0)
        best = max(best, got / total)
    return best


def _quantity_missing(question: str, chunks: list[Chunk]) -> bool:
    """Whether a question asks how many of a unit and no passage shown has such a number.

    "常州“三大一实干”活动期间共走访了多少户群众家庭" shares every word with the passages about
    the visits, so its coverage is high, but none says how many households (no "…户"): the
    corpus does not answer it. A passage that has "38个问题" keeps "提出了多少个问题" answered.
    """
    unit = asked_unit(question)
    if not unit or not chunks:
        return False
    return not any(counts_in(normalize(c.text), unit) for c in chunks)


def _capitalised(word: str, question: str) -> bool:
    found = re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", question, re.IGNORECASE)
    return found is not None and found.group()[0].isupper()


def _is_noun(word: str) -> bool:
    """Whether jieba's dictionary tags a word as a noun (common, place, person, organisation).

    A word it does not know counts as a noun: new words are mostly names.
    """
    from jieba import posseg  # loads the tag table once (a fraction of a second)

    tag = posseg.dt.word_tag_tab.get(word)
    return tag is None or tag.startswith("n")
