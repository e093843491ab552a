"""The page's HTML: the answer, a written answer, the cards, a document and the status, every
piece of document text escaped (document text is untrusted). No gradio here."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from qa.answer.gloss import word_notes
from qa.answer.result import Answer, AnswerSentence
from qa.answer.spans import kind_spans
from qa.app.page import (
    bilingual,
    open_class,
    short,
    terms_html,
)
from qa.app.service import Status
from qa.ingest.corpus import Document
from qa.search.highlight import highlight_html, term_spans
from qa.search.search import Hit

if TYPE_CHECKING:  # qa.answer.generate is imported only when a model is configured
    from qa.answer.generate import WrittenAnswer


logger = logging.getLogger(__name__)


NOT_FOUND = "未找到相关段落 / No relevant passage found"


def esc(text: object) -> str:
    """HTML-escape any value's text (quotes too, so it is safe in attributes)."""
    return html.escape(str(text), quote=True)


#: Characters of the cited passage shown when the pointer rests on a citation marker.
CITE_TIP_CHARS = 100


def _cite_tip(answer: Answer, n: int) -> str:
    """What citation ``n`` points at: the passage's document title and its opening words."""
    if not 0 < n <= len(answer.passages):
        return ""
    chunk = answer.passages[n - 1].chunk
    doc = answer.documents.get(chunk.doc_id)
    title = doc.title if doc is not None and doc.title else chunk.doc_id
    text = " ".join(chunk.text.split())
    if len(text) > CITE_TIP_CHARS:
        text = text[:CITE_TIP_CHARS] + "…"
    return f"[{n}] {title}: {text}"


def _cites(sentence: AnswerSentence, answer: Answer) -> str:
    # The tip is baked into each bubble, so an earlier answer's markers keep naming their own
    # passages after the cards beside the chat have moved on to a later question.
    out = []
    for n in sentence.citations:
        tip = _cite_tip(answer, int(n))
        title = f' title="{esc(tip)}"' if tip else ""
        cls, opens = "qa-cite", ""
        if 0 < int(n) <= len(answer.passages):  # a click opens the passage beside the chat
            hit = answer.passages[int(n) - 1]
            chunk = hit.chunk
            target = open_class(chunk.doc_id, chunk.start, chunk.end, hit.terms or answer.terms)
            cls, opens = f"qa-cite {target}", ' role="button" tabindex="0"'
        out.append(f' <span{title} class="{cls}"{opens}>[{int(n)}]</span>')
    return "".join(out)


def answer_html(answer: Answer) -> str:
    """The chat bubble for an answer: items or sentences with citation markers, and terms.

    Args:
        answer: What :meth:`QAService.ask` returned.

    Returns:
        Escaped HTML.
    """
    out = ['<div class="qa-answer">']
    query = getattr(answer, "query", "") or ""
    if query and query.strip() != (answer.question or "").strip():
        out.append(f'<p class="qa-query">理解为 / understood as: {esc(short(query))}</p>')
    if answer.notice:
        out.append(f'<p class="qa-notice">{esc(bilingual(answer.notice))}</p>')
    if not answer.found:
        out.append(f'<p class="qa-notfound">{NOT_FOUND}</p>')
        if answer.passages:
            out.append(
                '<p class="qa-meta">最接近的段落见右侧（已折叠） / '
                "the nearest weak passages are folded away beside the chat</p>"
            )
    elif answer.items:
        lead = getattr(answer, "lead", "") or ""
        if lead:
            out.append(f'<p class="qa-lead">{esc(lead)}</p>')
        lis = "".join(
            f"<li>{_label(s)}{_marked(s.text, answer)}{_cites(s, answer)}{_gloss(s, answer)}</li>"
            for s in answer.items
        )
        out.append(f'<ol class="qa-items">{lis}</ol>')
    elif answer.sentences:
        out.extend(
            f"<p>{_marked(s.text, answer)}{_cites(s, answer)}{_gloss(s, answer)}</p>"
            for s in answer.sentences
        )
    else:
        out.append('<p class="qa-meta">见右侧段落 / see the passages beside the chat</p>')
    out.append(terms_html(answer.terms, getattr(answer, "widened", ())))
    out.append("</div>")
    return "".join(out)


def _label(item: AnswerSentence) -> str:
    """The short name an item explains (六访), before the explanation."""
    return f'<span class="qa-label">{esc(item.label)}</span>：' if item.label else ""


def _marked(text: str, answer: Answer) -> str:
    """A sentence of the answer, escaped, with the time, number or person asked for marked."""
    return highlight_html(
        text, kind_spans(answer.kind, text), mark_class="qa-span", notes=word_notes(text)
    )


def _gloss(part: AnswerSentence, answer: Answer) -> str:
    """An English question's word-by-word dictionary gloss under an item or sentence."""
    gloss = answer.glosses.get(part.text, "") if answer.glosses else ""
    if not gloss:
        return ""
    return (
        '<span class="qa-gloss" lang="en"><span class="qa-gloss-label">词典释义 / '
        f"dictionary gloss, not a translation:</span> {esc(gloss)}</span>"
    )


def error_html(exc: BaseException | str) -> str:
    """An error, or a message saying what went wrong, as escaped HTML."""
    return f'<p class="qa-error">出错 / Error: {esc(bilingual(str(exc), fallback=""))}</p>'


_MARKER_RE = re.compile(r"\[(\d{1,3})\]")


def engine_html(engine: str) -> str:
    """The line that says which engine answered: "extractive" or the model's name."""
    return f'<p class="qa-meta qa-engine">回答引擎 / engine: {esc(engine)}</p>'


def streaming_html(text: str, engine: str) -> str:
    """The chat bubble while a model's answer streams in (escaped, markers as written)."""
    body = esc(text).replace("\n", "<br>")
    return (
        f'<div class="qa-answer qa-written">{engine_html(engine)}'
        f'<p class="qa-streaming">{body}▍</p></div>'
    )


def written_html(written: WrittenAnswer) -> str:
    """The chat bubble for a question put to a model, once its reply is over.

    The checked text with its citation markers (each naming its passage on hover), a note
    after each sentence its passage does not support, the removed markers and the other
    flags; after a fallback, or when nothing valid is cited, the extractive answer under it.
    """
    answer = written.answer
    out = ['<div class="qa-answer qa-written">', engine_html(written.engine)]
    if written.notice:
        out.append(f'<p class="qa-notice qa-fallback">{esc(written.notice)}</p>')
    checked = written.checked
    if checked is not None:
        if checked.warning:
            out.append(f'<p class="qa-flag qa-warning">{esc(checked.warning)}</p>')
        parts = []
        for sentence in checked.sentences:

            def cite(m: re.Match[str]) -> str:
                tip = _cite_tip(answer, int(m[1]))
                return f'<span title="{esc(tip)}" class="qa-cite">[{int(m[1])}]</span>'

            text = _MARKER_RE.sub(cite, esc(sentence.text)).replace("\n", "<br>")
            notes = "".join(
                f'<span class="qa-unsupported">（段落 [{n}] 不支持这句话 / '
                f"not supported by [{n}]）</span>"
                for n in sentence.unsupported
            )
            parts.append(text + notes)
        stopped = ' <span class="qa-meta">（已停止 / stopped）</span>' if written.stopped else ""
        out.append(f'<p class="qa-written-text">{"".join(parts)}{stopped}</p>')
        out.extend(
            f'<p class="qa-flag">{esc(flag)}</p>'
            for flag in checked.flags
            if "not supported by" not in flag
        )
    if checked is None or checked.warning:
        out.append(f'<div class="qa-extractive">{answer_html(answer)}</div>')
    out.append("</div>")
    return "".join(out)


def page_label(page: int | None) -> str:
    """The label "第 3 页 / p. 3" for a passage of a paged document (PDF), "" otherwise."""
    return f"第 {page} 页 / p. {page}" if page else ""


def _meta_line(doc: Document | None, hit: Hit | None = None) -> str:
    parts = []
    if doc is not None:
        parts += [doc.date, doc.source, doc.doc_id]
        if hit is not None:
            parts.append(page_label(doc.page_at(hit.chunk.start)))
    if hit is not None:
        parts.append(f"得分 / score {hit.score:.3f}")
    return " · ".join(esc(p) for p in parts if p)


def card_html(n: int, hit: Hit, doc: Document | None, terms: Sequence[str] = ()) -> str:
    """A passage card: number, title, date, source file, score, highlighted passage.

    Args:
        n: The citation number (1-based).
        hit: The passage.
        doc: Its document (None if it vanished from the index).
        terms: Terms to highlight when the hit carries none of its own.

    Returns:
        Escaped HTML.
    """
    title = doc.title if doc is not None and doc.title else hit.chunk.doc_id
    text = hit.chunk.text
    body = highlight_html(text, term_spans(text, hit.terms or terms), notes=word_notes(text))
    return (
        f'<div class="qa-card" id="qa-card-{n}">'
        f'<div class="qa-card-title"><span class="qa-num">[{n}]</span>{esc(title)}</div>'
        f'<div class="qa-meta">{_meta_line(doc, hit)}</div>'
        f'<div class="qa-passage-text">{body}</div></div>'
    )


def weak_html(answer: Answer, documents: Mapping[str, Document]) -> str:
    """The nearest passages of an answer that found nothing, folded in a ``<details>``."""
    cards = "".join(
        card_html(n, hit, documents.get(hit.chunk.doc_id), answer.terms)
        for n, hit in enumerate(answer.passages, start=1)
    )
    return (
        f'<p class="qa-notfound">{NOT_FOUND}</p>'
        '<details class="qa-weak"><summary>最接近但不相关的段落 / nearest weak passages '
        f"({len(answer.passages)})</summary>{cards}</details>"
    )


def document_html(doc: Document, start: int, end: int, terms: Sequence[str] = ()) -> str:
    """A whole cleaned document with one passage marked (and the terms inside it).

    Args:
        doc: The document.
        start: Passage start offset in ``doc.text``.
        end: Passage end offset.
        terms: Query terms, highlighted within the passage only.

    Returns:
        Escaped HTML whose ``<mark class="qa-passage">`` the page scrolls to.
    """
    spans = [(s, e) for s, e in term_spans(doc.text[start:end], terms)]
    spans = [(s + start, e + start) for s, e in spans]
    body = highlight_html(doc.text, spans, passage=(start, end), passage_id="qa-doc-passage")
    page = page_label(doc.page_at(start))
    return (
        '<div class="qa-doc">'
        f'<div class="qa-card-title">{esc(doc.title or doc.doc_id)}</div>'
        f'<div class="qa-meta">{_meta_line(doc)}{" · " + esc(page) if page else ""}</div>'
        f'<div class="qa-doc-body">{body}</div></div>'
    )


def status_html(status: Status, rebuilding: bool = False) -> str:
    """The index and model status as a small table."""
    if rebuilding:
        state = "重建中… / rebuilding…"
    elif status.stale:
        state = "已过期 / stale: " + "; ".join(status.reasons)
    else:
        state = "最新 / up to date"
    rows = [
        ("模型 / model", status.model_description),
        ("文档 / documents", status.documents),
        ("段落 / chunks", status.chunks),
        ("构建于 / built at", status.built_at or "—"),
        ("状态 / state", state),
    ]
    if status.leftovers:
        rows.append(
            ("遗留 / leftovers", f"{status.leftovers} (下次构建时删除 / removed by the next build)")
        )
    if status.skipped:
        rows.append(
            ("跳过 / skipped", "; ".join(f"{s['name']}: {s['reason']}" for s in status.skipped))
        )
    cells = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="qa-status" id="qa-status-table">{cells}</table>'
