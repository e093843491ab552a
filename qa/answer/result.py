"""The answer: its sentences and list items with their citations, the passages they cite,
the notices shown with it, and its JSON form (the page's ``/ask`` and ``qa ask --jsonl``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qa.ingest.corpus import Document
from qa.search.search import Hit

logger = logging.getLogger(__name__)

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


NOTICE_OTHER_YEAR = (
    "最接近的段落：这些段落没有说到{years}年。 / "
    "Closest passages: they do not speak of {years}."
)


NOTICE_NO_PLACE = (
    "最接近的段落：没有句子给出所问的地点。 / Closest passages: no sentence names the place "
    "asked for."
)


NOTICE_NO_SET = (
    "最接近的段落：其中没有列出“{name}”是哪些。 / Closest passages: they do not list what "
    "“{name}” stands for."
)


NOTICE_NO_ITEM = (
    "最接近的段落：文中的列表没有所问的那一项。 / "
    "Closest passages: no list in them has the item asked for."
)


NOTICE_NO_LIST = (
    "最接近的段落：其中没有{count}项的列表。 / Closest passages: no list of {count} in them."
)


#: The kinds of question whose answer must carry a span of that kind (a time, a number...).
SPAN_KINDS = frozenset(NOTICE_NO_SPAN)

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
    #: What the question asks for (:data:`qa.query.question.ANSWER_KINDS`); for a time, number or
    #: person the page marks that span in the sentences (:func:`kind_spans`).
    kind: str = ""
    #: An English question's answer: each item's and sentence's text → its word-by-word
    #: dictionary gloss (:func:`qa.answer.gloss.gloss_text`).
    glosses: Mapping[str, str] = field(default_factory=dict)
    #: The terms of :attr:`terms` that widening added
    #: (:attr:`qa.search.search.SearchResult.widened`), folded behind "more" on the page.
    widened: tuple[str, ...] = ()


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
