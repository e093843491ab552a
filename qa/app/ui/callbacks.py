"""What the page's events do: :class:`Page` answers, streams, opens documents, keeps
conversations, takes votes and rebuilds, for the layout in :mod:`qa.app.ui.layout`."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qa.answer.result import Answer, answer_json
from qa.app.conversation import add_turn, append_feedback, export_file, turn_at
from qa.app.examples import page_examples
from qa.app.page import (
    answer_markdown,
    copy_source_html,
    documents_html,
)
from qa.app.service import QAService
from qa.errors import QAError, RequestError
from qa.ingest.corpus import Document
from qa.query.prepare import clean_question

if TYPE_CHECKING:  # qa.answer.generate is imported only when a model is configured
    from qa.answer.generate import WrittenRun

from qa.app.render import (
    NOT_FOUND,
    answer_html,
    card_html,
    document_html,
    engine_html,
    error_html,
    esc,
    status_html,
    streaming_html,
    weak_html,
    written_html,
)
from qa.app.requests import check_ask, refusal

logger = logging.getLogger(__name__)


#: Rebuild stages in the order the index builder reports them, for one overall progress bar.
STAGES = ("read", "embed", "index", "write")


STAGE_LABELS = {
    "read": "读取文档 / reading documents",
    "embed": "计算向量 / embedding passages",
    "index": "建立索引 / indexing",
    "write": "写入 / writing",
}


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
        question, shown, chat, history = self._asked(question, chat, history)
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

    def _asked(
        self, question: object, chat: list[dict[str, Any]] | None, history: list[str] | None
    ) -> tuple[str, str, list[dict[str, Any]], list[str]]:
        """The question as asked and as shown, with the chat (the question added) and the
        history, as lists of their own."""
        chat = list(chat or [])
        history = list(history or [])
        # No lone surrogate may reach the chat: gradio could not send it back as JSON.
        asked = clean_question(question if isinstance(question, str) else "").strip()
        # The service cuts an over-long question and says so; the chat and the history (sent
        # back with every later question) keep the cut text too, not 100,000 characters.
        limit = self.service.settings.max_question_chars
        shown = asked if len(asked) <= limit else asked[:limit] + "…"
        chat.append({"role": "user", "content": esc(shown)})
        return asked, shown, chat, history

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
        question, shown, chat, history = self._asked(question, chat, history)
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
                if not text:
                    # The run asks the server for its model's name before the first piece.
                    name = model_label(self.service.settings)
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
            idx = STAGES.index(stage) if stage in STAGES else len(STAGES) - 1
            frac = (idx + (done / total if total else 1.0)) / len(STAGES)
            report(min(frac, 1.0), STAGE_LABELS.get(stage, stage))

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
