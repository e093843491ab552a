"""The web page (the only module that imports gradio).

Callbacks call :class:`qa.app.service.QAService` and format its results; there is no retrieval
logic here. Everything that comes from a document or from the user goes through
:func:`html.escape` (directly or via :mod:`qa.search.highlight`) before it becomes HTML, and the
chat is configured to render that HTML sanitised, without markdown or LaTeX.

The formatting functions are plain functions of the service's types, so they are tested
without a browser; :func:`build_app` wires them to components.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answer.gloss import word_notes
from qa.answer.result import Answer, AnswerSentence, answer_json
from qa.answer.spans import kind_spans
from qa.app.conversation import add_turn, append_feedback, export_file, turn_at
from qa.app.examples import page_examples
from qa.app.page import (
    COPY_JS,
    HEAD,
    OPEN_REQUEST_JS,
    SCROLL_JS,
    answer_markdown,
    bilingual,
    copy_source_html,
    documents_html,
    open_class,
    short,
    terms_html,
)
from qa.app.page import CSS as PAGE_CSS
from qa.app.service import QAService, Status
from qa.errors import QAError, RequestError
from qa.ingest.corpus import Document
from qa.query.prepare import clean_question
from qa.search.highlight import highlight_html, term_spans
from qa.search.search import Hit

if TYPE_CHECKING:  # qa.answer.generate is imported only when a model is configured
    from qa.answer.generate import WrittenAnswer, WrittenRun
from qa.settings import SEARCH_MODES, Settings, load_settings

logger = logging.getLogger(__name__)

FONT_NAMES = ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei")
FONT_STACK = ", ".join(f'"{name}"' for name in FONT_NAMES) + ", system-ui, sans-serif"

NOT_FOUND = "未找到相关段落 / No relevant passage found"

#: The passages a question may ask for: the page's slider, and the bounds of ``/ask``'s k.
K_MIN, K_MAX = 1, 10

#: The interpreter's thread switch interval while the page serves, in seconds (CPython's
#: default is 5 ms). Encoding a question calls torch op by op, and each op gives the GIL back;
#: beside a busy Python thread (a rebuild, another question's keyword search) every op then
#: waits up to one interval to get it again (docs/benchmarks.md, load test, has the figures).
SWITCH_INTERVAL_S = 0.0005

#: Rebuild stages in the order the index builder reports them, for one overall progress bar.
_STAGES = ("read", "embed", "index", "write")
_STAGE_LABELS = {
    "read": "读取文档 / reading documents",
    "embed": "计算向量 / embedding passages",
    "index": "建立索引 / indexing",
    "write": "写入 / writing",
}

CSS = f"""
body, .gradio-container, .qa-answer, .qa-card, .qa-doc {{ font-family: {FONT_STACK}; }}
.qa-cite {{ font-weight: 600; white-space: nowrap; cursor: help; }}
.qa-terms, .qa-meta, .qa-query {{ font-size: 0.9em; }}
.qa-gloss {{ display: block; font-size: 0.9em; font-style: italic; }}
.qa-w {{ cursor: help; }}
.qa-label {{ font-weight: 600; }}
.qa-gloss-label {{ font-style: normal; font-weight: 600; }}
.qa-notfound {{ font-weight: 600; }}
.qa-answer ol.qa-items {{ padding-left: 1.8em; margin: 4px 0; list-style: decimal outside; }}
.qa-answer p {{ margin: 4px 0; }}
.qa-error {{ font-weight: 600; }}
.qa-card {{ border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; }}
.qa-card-title {{ font-weight: 600; }}
.qa-num {{ font-weight: 700; margin-right: 4px; }}
.qa-passage-text {{ margin-top: 6px; line-height: 1.6; white-space: pre-wrap; }}
mark.qa-term, mark.qa-span {{ padding: 0 1px; }}
mark.qa-span {{ font-weight: 600; }}
mark.qa-passage {{ border-radius: 2px; }}
.qa-doc-body {{ max-height: 60vh; overflow-y: auto; white-space: pre-wrap; line-height: 1.7;
  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px; }}
.qa-status td {{ padding: 2px 10px 2px 0; vertical-align: top; }}
.qa-flag {{ border-left: 3px solid #d97706; padding-left: 6px; }}
.qa-unsupported {{ font-size: 0.9em; font-style: italic; }}
.qa-extractive {{ border-top: 1px solid var(--border-color-primary); margin-top: 6px; }}
"""
CSS += PAGE_CSS  # colours (both schemes), the document panel and phones: qa/app/page.py


# --------------------------------------------------------------------------- formatting


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


# --------------------------------------------------------------------------- written answers

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


# --------------------------------------------------------------------------- requests


def check_ask(question: object, k: object, mode: object, max_chars: int) -> tuple[str, int, str]:
    """The ``/ask`` endpoint's arguments, checked before any work is done for them.

    Args:
        question: At most ``max_chars`` characters of text; lone surrogates and control
            characters are dropped.
        k: An integer from :data:`K_MIN` to :data:`K_MAX` (the page's slider).
        mode: One of :data:`qa.settings.SEARCH_MODES`.
        max_chars: The page's question length (``Settings.max_question_chars``).

    Returns:
        The cleaned question, ``k`` and ``mode``.

    Raises:
        RequestError: With a one-line bilingual message naming what is wrong.
    """
    if not isinstance(question, str):
        raise RequestError("问题必须是文本 / the question must be a string")
    if len(question) > max_chars:
        raise RequestError(
            f"问题过长，最多 {max_chars} 个字符 / "
            f"the question is longer than {max_chars} characters"
        )
    if isinstance(k, bool) or not isinstance(k, int) or not K_MIN <= k <= K_MAX:
        raise RequestError(
            f"段落数必须是 {K_MIN} 到 {K_MAX} 的整数 / k must be an integer from {K_MIN} to {K_MAX}"
        )
    if not isinstance(mode, str) or mode not in SEARCH_MODES:
        names = ", ".join(SEARCH_MODES)
        raise RequestError(f"检索方式必须是 {names} 之一 / mode must be one of {names}")
    return clean_question(question), k, mode


def refusal(exc: QAError) -> str:
    """The one-line bilingual message a refused request gets back."""
    if isinstance(exc, RequestError):
        return str(exc)
    # The service's own messages are English; the Chinese half says what happened.
    return f"无法回答 / cannot answer: {' '.join(str(exc).split())}"


# --------------------------------------------------------------------------- callbacks


class Page:
    """The page's callbacks over one service; they format, the service does the work.

    Args:
        service: A loaded service (model and index ready).
    """

    def __init__(self, service: QAService) -> None:
        self.service = service
        #: The model's reply streaming for each browser session, for its Stop button.
        self._runs: dict[str, WrittenRun] = {}
        self._runs_lock = threading.Lock()

    def respond(
        self,
        question: str,
        chat: list[dict[str, Any]] | None,
        history: list[str] | None,
        k: float,
        mode: str,
    ) -> tuple[list[dict[str, Any]], list[str], dict[str, Any], str, str]:
        """Answer a question in the chat.

        Args:
            question: What the user typed.
            chat: The chat so far (messages).
            history: Earlier questions of this conversation, oldest first.
            k: Number of passages.
            mode: Search mode.

        Returns:
            The chat, the questions so far, the cards' state, the emptied question box and
            the emptied document view.
        """
        chat = list(chat or [])
        history = list(history or [])
        # No lone surrogate may reach the chat: gradio could not send it back as JSON.
        question = clean_question(question if isinstance(question, str) else "").strip()
        # The service cuts an over-long question and says so; the chat and the history (sent
        # back with every later question) keep the cut text too, not 100,000 characters.
        limit = self.service.settings.max_question_chars
        shown = question if len(question) <= limit else question[:limit] + "…"
        chat.append({"role": "user", "content": esc(shown)})
        t0 = time.perf_counter()
        try:
            answer = self.service.ask(question, k=int(k), mode=mode, history=tuple(history))
        except QAError as exc:
            logger.info("question refused: %s", exc)
            chat.append({"role": "assistant", "content": error_html(exc)})
            return chat, history, {"found": False, "cards": [], "weak": ""}, "", ""
        logger.info("answered in %.3f s: %r", time.perf_counter() - t0, question[:80])
        chat.append({"role": "assistant", "content": answer_html(answer)})
        history.append(shown)
        return chat, history, self.cards_state(answer, answer.documents), "", ""

    def respond_stream(
        self,
        question: str,
        chat: list[dict[str, Any]] | None,
        history: list[str] | None,
        k: float,
        mode: str,
        use_model: bool,
        turns: list[dict[str, str]] | None,
        session: str = "",
    ) -> Iterator[tuple[Any, ...]]:
        """Answer a question in the chat, the model writing it when ``use_model`` is on.

        The cards appear at once (the extractive answer's passages); the model's reply then
        streams into the chat, and its checked version replaces it when it ends (or when the
        session's Stop button calls :meth:`stop`). Without the model, or after a fallback,
        the extractive answer is shown, with a line saying which engine answered.

        Args:
            question, chat, history, k, mode: As for :meth:`respond`.
            use_model: The page's switch: have the model write the answer.
            turns: Earlier questions and the answers they got (for the model).
            session: The browser session, so that its Stop button stops this reply.

        Yields:
            The chat, the questions so far, the cards' state, the question box, the
            document view and the turns (unchanged outputs as ``gradio.skip()``).
        """
        import gradio as gr

        from qa.answer.generate import EXTRACTIVE, Turn, model_label

        turns = list(turns or [])
        if not use_model:
            out = self.respond(question, chat, history, k, mode)
            if len(out[1]) > len(history or []):  # answered: say by whom
                bubble = out[0][-1]["content"]
                if bubble.endswith("</div>"):  # inside the answer's box, as its last line
                    bubble = bubble[: -len("</div>")] + engine_html(EXTRACTIVE) + "</div>"
                out[0][-1]["content"] = bubble
                turns.append({"q": out[1][-1], "a": ""})
            yield (*out, turns)
            return
        chat = list(chat or [])
        history = list(history or [])
        question = clean_question(question if isinstance(question, str) else "").strip()
        limit = self.service.settings.max_question_chars
        shown = question if len(question) <= limit else question[:limit] + "…"
        chat.append({"role": "user", "content": esc(shown)})
        try:
            run = self.service.written_run(
                question,
                k=int(k),
                mode=mode,
                history=tuple(history),
                turns=[Turn(t.get("q", ""), t.get("a", "")) for t in turns],
            )
        except QAError as exc:
            logger.info("question refused: %s", exc)
            chat.append({"role": "assistant", "content": error_html(exc)})
            yield chat, history, {"found": False, "cards": [], "weak": ""}, "", "", turns
            return
        name = model_label(self.service.settings)
        chat.append({"role": "assistant", "content": streaming_html("", name)})
        yield chat, history, self.cards_state(run.answer, run.answer.documents), "", "", turns
        with self._runs_lock:
            self._runs[session] = run
        try:
            text, last = "", 0.0
            for piece in run:
                text += piece
                if time.perf_counter() - last > 0.05:
                    last = time.perf_counter()
                    chat[-1] = {"role": "assistant", "content": streaming_html(text, name)}
                    yield chat, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        finally:
            run.stop()  # a no-op once the reply is over; closes it if the page went away
            with self._runs_lock:
                if self._runs.get(session) is run:
                    del self._runs[session]
        written = run.result
        assert written is not None
        chat[-1] = {"role": "assistant", "content": written_html(written)}
        history.append(shown)
        said = written.checked.text if written.checked else ""
        turns.append({"q": shown, "a": said})
        yield chat, history, gr.skip(), gr.skip(), gr.skip(), turns

    def stop(self, session: str = "") -> None:
        """Stop the model's reply streaming for ``session`` (the Stop button); its text so far
        is kept and checked."""
        with self._runs_lock:
            run = self._runs.get(session)
        if run is not None:
            logger.info("reply stopped by the user")
            run.stop()

    @staticmethod
    def cards_state(answer: Answer, documents: Mapping[str, Document]) -> dict[str, Any]:
        """What the passage panel renders: one entry per card, or the folded weak passages."""
        if not answer.found:
            weak = weak_html(answer, documents) if answer.passages else f"<p>{NOT_FOUND}</p>"
            return {"found": False, "cards": [], "weak": weak, **Page._kept(answer, documents)}
        cards = []
        for n, hit in enumerate(answer.passages, start=1):
            cards.append(
                {
                    "n": n,
                    "doc_id": hit.chunk.doc_id,
                    "start": hit.chunk.start,
                    "end": hit.chunk.end,
                    "terms": list(hit.terms or answer.terms),
                    "html": card_html(n, hit, documents.get(hit.chunk.doc_id), answer.terms),
                }
            )
        return {"found": True, "cards": cards, "weak": "", **Page._kept(answer, documents)}

    @staticmethod
    def _kept(answer: Answer, documents: Mapping[str, Document]) -> dict[str, Any]:
        """What the conversation keeps of an answer: its Markdown and its /ask JSON."""
        return {"md": answer_markdown(answer), "record": answer_json(answer, documents)}

    def open_request(self, request: str) -> str:
        """The document the page's script asked for (a citation marker or a title clicked).

        Args:
            request: JSON ``{"doc", "start", "end", "terms"}`` from the clicked element.
        """
        try:
            data = json.loads(request or "")
            doc_id, start, end = str(data["doc"]), int(data["start"]), int(data["end"])
            terms = [str(t) for t in data.get("terms", [])][:100]
        except (ValueError, KeyError, TypeError):
            logger.info("document request refused: %r", str(request)[:80])
            return error_html("无法打开这篇文档 / cannot open that document")
        return self.open_document(doc_id, start, end, terms)

    def documents(self) -> str:
        """The documents panel: each document's title, date, source, script and passages."""
        try:
            index = self.service.index
        except QAError as exc:
            return error_html(exc)
        counts = Counter(chunk.doc_id for chunk in index.chunks)
        return documents_html(list(index.documents.values()), counts)

    def examples(self) -> list[str]:
        """The example questions: from the examples file, else from the documents."""
        index = self.service.index
        return page_examples(self.service.settings, index.documents, index.chunks)

    def keep(
        self,
        chat: list[dict[str, Any]] | None,
        history: list[str] | None,
        cards: dict[str, Any] | None,
        turns: list[dict[str, Any]] | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any], str, str | None]:
        """Keep the turn just answered: the turns, what local storage keeps, the Markdown the
        copy button copies and the exported conversation's file."""
        cards = dict(cards or {})
        turns = add_turn(turns, len(chat or []), cards)
        shown = {k: v for k, v in cards.items() if k not in ("md", "record")}
        saved = {"chat": chat or [], "history": history or [], "turns": turns, "cards": shown}
        latest = turns[-1]["md"] if turns else ""
        return turns, saved, copy_source_html(latest), str(export_file(turns)) if turns else None

    @staticmethod
    def restore(saved: Any) -> tuple[Any, ...]:
        """The conversation local storage kept: chat, history, cards, turns, copy, export."""
        saved = saved if isinstance(saved, dict) else {}

        def kept(name: str, kind: type) -> list[Any]:  # what the browser sent may be anything
            value = saved.get(name)
            return [v for v in value if isinstance(v, kind)] if isinstance(value, list) else []

        chat, history, turns = kept("chat", dict), kept("history", str), kept("turns", dict)
        cards = saved.get("cards") if isinstance(saved.get("cards"), dict) else None
        latest = turns[-1].get("md", "") if turns else ""
        return (
            chat,
            history,
            cards or {"found": True, "cards": [], "weak": ""},
            turns,
            copy_source_html(str(latest)),
            str(export_file(turns)) if turns else None,
        )

    def vote(self, turns: list[dict[str, Any]] | None, index: Any, liked: Any) -> str:
        """Record a 👍/👎 on the answer at chat position ``index``; a line saying so."""
        position = index[0] if isinstance(index, list | tuple) else index
        turn = turn_at(turns or [], int(position)) if isinstance(position, int) else None
        if turn is None:
            return error_html("这条消息不是回答 / that message is not an answer")
        vote = "up" if liked is True else "down" if liked is False else str(liked)
        try:
            append_feedback(self.service.settings.feedback_file, turn, vote)
        except OSError as exc:
            logger.warning("feedback not recorded: %s", exc)
            return error_html(f"反馈未能保存 / feedback not saved: {exc}")
        return '<p class="qa-meta">已记录反馈，谢谢 / feedback recorded, thank you</p>'

    def open_document(self, doc_id: str, start: int, end: int, terms: Sequence[str]) -> str:
        """The whole document with the passage marked, or an error message."""
        try:
            return document_html(self.service.document(doc_id), start, end, terms)
        except QAError as exc:
            return error_html(exc)

    def status(self) -> str:
        """The current status table (or the error that prevents reading it)."""
        try:
            return status_html(self.service.status(), self.service.rebuilding)
        except QAError as exc:
            return error_html(exc)

    def may_rebuild(self, username: str | None) -> bool:
        """Whether a visitor may rebuild: anyone without ``QA_AUTH``, else its user only."""
        auth = self.service.settings.auth
        return not auth or (bool(username) and username == auth.split(":", 1)[0])

    def rebuild(
        self, report: Callable[[float, str], None] | None = None, username: str | None = None
    ) -> tuple[str, str]:
        """Force a rebuild; questions keep using the old index until the swap.

        Args:
            report: Called with the overall fraction done and a label as the build advances.
            username: Who asked (gradio's ``request.username``; None when not logged in).

        Returns:
            The status table and a message (success, or the error, escaped).
        """
        if not self.may_rebuild(username):
            logger.warning("rebuild refused: %s is not logged in as QA_AUTH's user", username)
            return self.status(), error_html("请先登录再重建 / log in to rebuild the index")

        def progress(stage: str, done: int, total: int) -> None:
            if report is None:
                return
            idx = _STAGES.index(stage) if stage in _STAGES else len(_STAGES) - 1
            frac = (idx + (done / total if total else 1.0)) / len(_STAGES)
            report(min(frac, 1.0), _STAGE_LABELS.get(stage, stage))

        t0 = time.perf_counter()
        try:
            report_ = self.service.rebuild(force=True, progress=progress)
        except QAError as exc:
            logger.warning("rebuild failed: %s", exc)
            return self.status(), error_html(exc)
        took = time.perf_counter() - t0
        logger.info("index rebuilt in %.1f s: %s", took, getattr(report_, "path", ""))
        msg = f'<p class="qa-rebuilt">重建完成 / rebuild finished ({took:.1f} s)</p>'
        return self.status(), msg

    def api_ask(
        self, question: object, k: object, mode: object, engine: object = "extractive"
    ) -> dict[str, Any]:
        """The ``/ask`` endpoint: answer and passages as JSON data.

        ``engine`` is ``"extractive"`` (the default) or ``"llm"``: the configured model writes
        the answer, returned under ``"written"`` with its checked citations (see
        :func:`qa.generate.written_json`; after a fallback its ``engine`` is "extractive" and
        its ``notice`` says why).

        The arguments are checked first (:func:`check_ask`). A refusal is one log line and
        one bilingual line back to the client, never a traceback or Python's own message.

        Raises:
            gradio.Error: The request is malformed, or the question cannot be searched.
        """
        import gradio as gr

        try:
            question, k, mode = check_ask(
                question, k, mode, self.service.settings.max_question_chars
            )
            if engine not in ("extractive", "llm"):
                raise RequestError(
                    "engine 必须是 extractive 或 llm / engine must be extractive or llm"
                )
            if engine == "llm":
                if not self.service.settings.llm_url:
                    raise RequestError(
                        "未配置语言模型（QA_LLM_URL） / "
                        "no language model is configured (QA_LLM_URL)"
                    )
                from qa.answer.generate import written_json

                written = self.service.written_run(question, k=k, mode=mode).run()
                result = answer_json(written.answer, written.answer.documents)
                result["written"] = written_json(written)
                return result
            answer = self.service.ask(question, k=k, mode=mode)
        except QAError as exc:
            message = refusal(exc)
            logger.info("/ask refused: %s", message)
            raise gr.Error(message, print_exception=False) from None
        except Exception:  # a bug: its traceback belongs in the log, not in the reply
            logger.exception("/ask failed")
            raise gr.Error(
                "内部错误，详见服务器日志 / internal error, see the server's log",
                print_exception=False,
            ) from None
        return answer_json(answer, answer.documents)


def document_controls(page: Page, status: Any, message: Any) -> None:
    """Upload and removal of documents, for ``QA_ALLOW_UPLOAD=1`` only (call inside the Blocks).

    Dropped files go through :meth:`QAService.add_documents` (extension, size cap, cleaned
    name, duplicate by hash, a trial read, an atomic write into the seeds folder) and a rebuild
    with progress; 移除 / Remove moves the chosen document to the trash folder beside the seeds
    (:meth:`QAService.remove_document`) and rebuilds. Behind ``QA_AUTH``'s user when set.

    Args:
        page: The page's callbacks.
        status: The status table to refresh (and show the progress on).
        message: Where the outcome is written.
    """
    import gradio as gr

    from qa.ingest.readers import extensions

    service = page.service

    def names() -> list[str]:
        try:
            return sorted(service.index.documents)
        except QAError:
            return []

    def progress_of(bar: Any) -> Callable[[str, int, int], None]:
        def progress(stage: str, done: int, total: int) -> None:
            idx = _STAGES.index(stage) if stage in _STAGES else len(_STAGES) - 1
            frac = (idx + (done / total if total else 1.0)) / len(_STAGES)
            bar(min(frac, 1.0), desc=_STAGE_LABELS.get(stage, stage))

        return progress

    def add(
        files: list[str] | None,
        request: gr.Request,
        bar: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, str, Any, None]:
        if not page.may_rebuild(getattr(request, "username", None)):
            logger.warning("upload refused: not logged in as QA_AUTH's user")
            refused = error_html("请先登录再添加 / log in to add documents")
            return page.status(), refused, gr.update(), None
        pairs = [(Path(f), Path(f).name) for f in files or []]
        try:
            added, refused_lines, _ = service.add_documents(pairs, progress=progress_of(bar))
        except QAError as exc:
            return page.status(), error_html(exc), gr.update(choices=names()), None
        out = [f'<p class="qa-added">已添加 / added: {esc(n)}</p>' for n in added]
        out += [error_html(line) for line in refused_lines]
        return page.status(), "".join(out), gr.update(choices=names()), None

    def remove(
        doc_id: str | None,
        request: gr.Request,
        bar: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, str, Any]:
        if not page.may_rebuild(getattr(request, "username", None)):
            logger.warning("removal refused: not logged in as QA_AUTH's user")
            refused = error_html("请先登录再移除 / log in to remove documents")
            return page.status(), refused, gr.update()
        if not doc_id:
            return page.status(), error_html("请选择文档 / choose a document"), gr.update()
        try:
            service.remove_document(doc_id, progress=progress_of(bar))
        except QAError as exc:
            return page.status(), error_html(exc), gr.update(choices=names())
        done = f'<p class="qa-removed">已移到回收站 / moved to the trash: {esc(doc_id)}</p>'
        return page.status(), done, gr.update(choices=names(), value=None)

    # See _rebuild in build_app: gradio needs the types themselves, not strings.
    add.__annotations__ = {"files": list, "request": gr.Request, "bar": gr.Progress}
    remove.__annotations__ = {"doc_id": str, "request": gr.Request, "bar": gr.Progress}

    with gr.Accordion("添加或移除文档 / Add or remove documents", open=True):
        files = gr.File(
            label="拖放文件到这里 / drop files here (" + " ".join(extensions()) + ")",
            file_count="multiple",
            file_types=list(extensions()),
            type="filepath",
            elem_id="qa-upload",
        )
        with gr.Row():
            choice = gr.Dropdown(
                choices=names(), value=None, label="文档 / Document", elem_id="qa-remove-doc",
                scale=4,
            )  # fmt: skip
            drop = gr.Button("移除 / Remove", elem_id="qa-remove", variant="stop", scale=1)
    # Uploads and removals take the rebuild's slots: one build at a time, questions go on.
    files.upload(
        add,
        [files],
        [status, message, choice, files],
        show_progress_on=status,
        api_visibility="private",
        concurrency_id="rebuild",
        concurrency_limit=2,
    )
    drop.click(
        remove,
        [choice],
        [status, message, choice],
        show_progress_on=status,
        api_visibility="private",
        concurrency_id="rebuild",
        concurrency_limit=2,
    )


# --------------------------------------------------------------------------- layout


def make_theme() -> Any:
    """A theme that uses local CJK fonts only (the default one loads fonts from Google)."""
    import gradio as gr

    fonts = [gr.themes.Font(name) for name in FONT_NAMES]
    return gr.themes.Default(
        font=[*fonts, "system-ui", "sans-serif"],
        font_mono=[gr.themes.Font("Noto Sans Mono CJK SC"), "ui-monospace", "monospace"],
    )


def build_app(service: QAService) -> Any:
    """The Gradio Blocks app for a loaded service.

    Args:
        service: The service, with model and index loaded.

    Returns:
        The ``gr.Blocks`` (call ``.queue().launch(...)`` on it, see :func:`launch`).
    """
    import gradio as gr

    page = Page(service)
    settings = service.settings
    model = getattr(service.embedder, "description", settings.embed_model)

    # Analytics off here too, for launches that did not go through app.py's environment.
    with gr.Blocks(title="文档问答 Document QA", analytics_enabled=False) as demo:
        gr.HTML(
            "<h1>文档问答 · Document QA</h1>"
            f'<p class="qa-meta" id="qa-model">模型 / model: {esc(model)} · '
            "可问的文档见「文档」/ what can be asked about: see Documents</p>"
        )
        history = gr.State([])
        cards = gr.State({"found": True, "cards": [], "weak": ""})
        turns = gr.State([])
        # The conversation, kept in this browser's local storage across reloads (the key only
        # scrambles it there; it never leaves the browser).
        saved = gr.BrowserState(
            {"chat": [], "history": [], "turns": [], "cards": {}},
            storage_key="qa-conversation",
            secret="qa-conversation",
        )
        examples = page.examples()
        with gr.Row(elem_id="qa-examples"):
            gr.HTML('<span class="qa-meta">示例 / Examples:</span>', elem_id="qa-examples-label")
            example_buttons = [gr.Button(q, size="sm", elem_classes="qa-example") for q in examples]
        with gr.Row(equal_height=False, elem_id="qa-main"):
            with gr.Column(scale=3, min_width=380, elem_id="qa-left"):
                chat = gr.Chatbot(
                    label="对话 / Conversation",
                    elem_id="qa-chat",
                    height=480,
                    # Our HTML is escaped already; no markdown or LaTeX on top of it, and
                    # sanitising stays on as a second guard.
                    render_markdown=False,
                    sanitize_html=True,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    buttons=["copy"],
                )
                with gr.Row(elem_id="qa-question-row"):
                    question = gr.Textbox(
                        label="问题 / Question",
                        placeholder="用中文或英文提问，回车发送 / Ask in Chinese or English, Enter",
                        elem_id="qa-question",
                        scale=5,
                        max_lines=4,
                    )
                    ask = gr.Button("提问 / Ask", variant="primary", elem_id="qa-ask", scale=1)
                with gr.Row(elem_id="qa-actions"):
                    clear = gr.Button("清除 / Clear", elem_id="qa-clear", size="sm")
                    copy = gr.Button(
                        "复制答案及出处 / Copy answer with sources", elem_id="qa-copy", size="sm"
                    )
                    export = gr.DownloadButton(
                        "导出对话 / Export (Markdown)", value=None, elem_id="qa-export", size="sm"
                    )
                llm = _model_controls(settings) if settings.llm_url else None
                notes = gr.HTML(
                    '<span id="qa-copy-note" class="qa-meta"></span>', elem_id="qa-notes"
                )
                copy_src = gr.HTML("", elem_id="qa-copy-src")
            with (
                gr.Column(scale=2, min_width=380, elem_id="qa-side"),
                gr.Tabs(elem_id="qa-side-tabs"),
            ):
                with gr.Tab("引用段落 / Cited passages", elem_id="qa-tab-cards"):

                    @gr.render(inputs=cards)
                    def _cards(state: dict[str, Any]) -> None:
                        if not state.get("found", True):
                            gr.HTML(state.get("weak", ""), elem_id="qa-weak")
                            return
                        if not state.get("cards"):
                            gr.HTML('<p class="qa-meta">提问后在此显示 / passages appear here</p>')
                            return
                        for card in state["cards"]:
                            with gr.Group():
                                gr.HTML(card["html"], elem_classes="qa-card-box")
                                button = gr.Button(
                                    "在文档中打开 / Open in document",
                                    size="sm",
                                    elem_classes="qa-open",
                                    key=f"open-{card['n']}",
                                )
                            button.click(
                                lambda c=card: page.open_document(
                                    c["doc_id"], c["start"], c["end"], c["terms"]
                                ),
                                None,
                                doc_view,
                                api_visibility="private",
                            ).then(None, None, None, js=SCROLL_JS)

                with gr.Tab("文档 / Documents", elem_id="qa-tab-docs"):
                    docs = gr.HTML(page.documents(), elem_id="qa-docs")

        # The document, beside the chat (a dialog on phones): shown while it holds one.
        with gr.Column(elem_id="qa-doc-panel"):
            close = gr.Button("关闭 / Close", elem_id="qa-doc-close", size="sm")
            doc_view = gr.HTML("", elem_id="qa-doc")
        open_req = gr.Textbox("", elem_id="qa-open-req")  # hidden by the CSS
        open_go = gr.Button("open", elem_id="qa-open-go")

        with gr.Accordion("设置 / Settings", open=True), gr.Row():
            k = gr.Slider(
                K_MIN, K_MAX, value=settings.top_k, step=1,
                label="段落数 / Passages", elem_id="qa-k",
            )  # fmt: skip
            mode = gr.Radio(
                list(SEARCH_MODES), value=settings.mode,
                label="检索方式 / Search mode", elem_id="qa-mode",
            )  # fmt: skip

        with gr.Accordion("索引与模型 / Index and model", open=True):
            status = gr.HTML(page.status(), elem_id="qa-status")
            with gr.Row():
                rebuild = gr.Button("重建索引 / Rebuild index", elem_id="qa-rebuild", scale=0)
                rebuild_msg = gr.HTML("", elem_id="qa-rebuild-msg")
            if settings.allow_upload:
                document_controls(page, status, rebuild_msg)

        ask_inputs = [question, chat, history, k, mode]
        ask_outputs = [chat, history, cards, question, doc_view]
        if llm is not None:
            ask_fn: Callable[..., Any] = _streaming_respond(page)
            ask_inputs, ask_outputs = [*ask_inputs, *llm[:2]], [*ask_outputs, llm[1]]
        kept = [turns, saved, copy_src, export]
        gr.on(
            triggers=[question.submit, ask.click],
            fn=page.respond if llm is None else ask_fn,
            inputs=ask_inputs,
            outputs=ask_outputs,
            api_visibility="private",
            # Own queue slot pool, shared with the /ask API: questions run while a rebuild
            # holds the "rebuild" one. Gradio gives a shared pool the smallest limit of its
            # events, so the API below names the same limit.
            concurrency_id="ask",
            concurrency_limit=settings.ask_concurrency,
        ).then(page.keep, [chat, history, cards, turns], kept, api_visibility="private")
        # An example is asked as if typed: into the box, then whatever Ask does.
        for button, text in zip(example_buttons, examples, strict=True):
            button.click(lambda q=text: q, None, question, api_visibility="private").then(
                None, None, None, js="() => document.querySelector('#qa-ask').click()"
            )
        open_go.click(
            page.open_request, open_req, doc_view, js=OPEN_REQUEST_JS, api_visibility="private"
        ).then(None, None, None, js=SCROLL_JS)
        close.click(lambda: "", None, doc_view, api_visibility="private")
        copy.click(None, None, None, js=COPY_JS)
        empty: dict[str, Any] = {"chat": [], "history": [], "turns": [], "cards": {}}
        clear.click(
            lambda: ([], [], {"found": True, "cards": [], "weak": ""}, "", "", [])[
                : len(ask_outputs)
            ],
            None,
            ask_outputs,
            api_visibility="private",
        ).then(lambda: ([], empty, "", None), None, kept, api_visibility="private")
        if llm is not None:
            llm[2].click(_stop(page), None, None, queue=False, api_visibility="private")
        # The chat's own trash icon empties only the chat; forget the conversation too, or
        # the next question would be read as a follow-up of questions no longer shown.
        chat.clear(
            lambda: ([], {"found": True, "cards": [], "weak": ""}, "", [], empty, "", None),
            None,
            [history, cards, doc_view, *kept],
            api_visibility="private",
        )

        def _vote(turns_: list[dict[str, Any]], data: gr.LikeData) -> str:
            return page.vote(turns_, data.index, data.liked)

        _vote.__annotations__ = {"turns_": list, "data": gr.LikeData, "return": str}
        chat.like(_vote, [turns], notes, api_visibility="private")

        def _rebuild(
            request: gr.Request,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> tuple[str, str]:
            return page.rebuild(
                lambda frac, desc: progress(frac, desc=desc), getattr(request, "username", None)
            )

        # Gradio finds the request parameter by its type hint; this module's annotations are
        # strings (the future import) naming a local import, which it cannot resolve, so the
        # function is given the types themselves.
        _rebuild.__annotations__ = {"request": gr.Request, "progress": gr.Progress, "return": tuple}

        rebuild.click(
            _rebuild,
            None,
            [status, rebuild_msg],
            show_progress_on=status,  # one bar, over the table it will refresh
            api_visibility="private",
            # Two slots, so a second click reaches the service and gets its "already running"
            # error instead of silently queueing a second rebuild.
            concurrency_id="rebuild",
            concurrency_limit=2,
        ).then(page.documents, None, docs, api_visibility="private")
        demo.load(page.status, None, status, show_progress="hidden", api_visibility="private")
        demo.load(
            page.restore,
            saved,
            [chat, history, cards, turns, copy_src, export],
            api_visibility="private",
        )
        # Every open page follows a rebuild started anywhere (its start and its end).
        gr.Timer(settings.status_refresh_ms / 1000).tick(
            page.status, None, status, show_progress="hidden", api_visibility="private"
        )

        def ask_api(question: str, k: int = 5, mode: str = "hybrid") -> dict:
            """Answer a question: the answer sentences/items with citations and passages."""
            return page.api_ask(question, k, mode)

        def ask_with_engine(
            question: str, k: int = 5, mode: str = "hybrid", engine: str = "extractive"
        ) -> dict:
            """Answer a question: the answer sentences/items with citations and passages;
            engine "llm" has the configured language model write it (under "written")."""
            return page.api_ask(question, k, mode, engine)

        # The fourth input only with a model: without one, /ask takes exactly what it took.
        ask_with_engine.__name__ = "ask_api"
        gr.api(
            ask_api if llm is None else ask_with_engine,
            api_name="ask",
            concurrency_id="ask",
            concurrency_limit=settings.ask_concurrency,
        )
    return demo


def _model_controls(settings: Settings) -> tuple[Any, Any, Any]:
    """The switch that chooses the engine per question, the turns given to the model, and the
    Stop button (only when a model is configured)."""
    import gradio as gr

    name = settings.llm_model or "language model"
    with gr.Row():
        use_model = gr.Checkbox(
            value=True, label=f"由语言模型撰写 / Written by the model ({name})",
            elem_id="qa-use-model", scale=3,
        )  # fmt: skip
        stop = gr.Button("停止 / Stop", elem_id="qa-stop", size="sm", scale=1)
    return use_model, gr.State([]), stop


def _streaming_respond(page: Page) -> Callable[..., Any]:
    import gradio as gr

    def respond(
        question: str,
        chat: list[dict[str, Any]] | None,
        history: list[str] | None,
        k: float,
        mode: str,
        use_model: bool,
        turns: list[dict[str, str]] | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        session = getattr(request, "session_hash", "") or ""
        yield from page.respond_stream(question, chat, history, k, mode, use_model, turns, session)

    # See _rebuild in build_app: gradio finds the request parameter by its real type.
    respond.__annotations__ = {"request": gr.Request}
    return respond


def _stop(page: Page) -> Callable[..., None]:
    import gradio as gr

    def stop(request: gr.Request) -> None:
        page.stop(getattr(request, "session_hash", "") or "")

    stop.__annotations__ = {"request": gr.Request}
    return stop


def configure_serving(demo: Any, settings: Settings) -> Any:
    """The queue and interpreter settings the page is served with (:func:`launch`, and
    ``bench.load``, which measures them).

    Questions share one pool of ``ask_concurrency`` slots (see :func:`build_app`); events
    without a limit of their own (status, document view, clearing) get the same limit, so that
    a slow one (the status hashes every seed file) does not hold up the others of its kind;
    the rebuild keeps its own pool.

    The interpreter switches threads every :data:`SWITCH_INTERVAL_S` instead of CPython's
    5 ms (a process-wide setting, which is why only the serving process makes it).

    Args:
        demo: The app from :func:`build_app`.
        settings: Settings in force (``ask_concurrency``).

    Returns:
        The same app, for chaining ``.launch(...)``.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return demo.queue(default_concurrency_limit=settings.ask_concurrency)


def launch(settings: Settings | None = None) -> None:
    """Load the model and index once, then serve the page (blocks until stopped).

    Args:
        settings: Settings in force; by default read from the environment.
    """
    settings = settings or load_settings()
    service = QAService(settings)
    service.ensure_index()
    logger.info("model in use: %s", service.embedder.description)
    demo = build_app(service)
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    if auth is not None and len(auth) != 2:
        raise ValueError("QA_AUTH must look like user:password")
    configure_serving(demo, settings).launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        theme=make_theme(),
        css=CSS,
        head=HEAD,
        footer_links=["api", "settings"],
        max_file_size=settings.max_file_bytes if settings.allow_upload else None,
        ssr_mode=False,
        show_error=True,
    )
