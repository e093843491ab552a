"""The written answer: a language model the user runs writes it from the numbered passages.

Optional and off by default (``QA_LLM_URL`` empty). Any OpenAI-compatible chat-completions
server will do (Ollama, vLLM, llama.cpp's server, LM Studio, a hosted Qwen or DeepSeek); the
client is the ``openai`` package (the ``llm`` extra), imported here only when a model is asked,
so the extractive path never loads it.

The prompt (:func:`build_messages`) tells the model to answer only from the numbered passages,
in the question's language and script, with [n] after each claim, and to say so when the
passages don't answer. Each passage goes in with its number, title and date; the last turns of
the conversation go in for follow-ups; passages are cut so that the prompt and the reply fit the
model's context (``QA_LLM_MAX_CONTEXT``).

The reply is streamed (:class:`WrittenRun`). Whatever goes wrong (an unreachable endpoint, a
time-out, an HTTP error, an unreadable stream, an empty reply) ends the run with a one-line
bilingual notice naming the cause; the caller then shows the extractive answer. The written
text is checked by :mod:`qa.answer.citations`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.answer.citations import CheckedAnswer, check_citations, text_language
from qa.answer.result import Answer
from qa.ingest.corpus import Document
from qa.search.search import Hit
from qa.settings import Settings
from qa.text import HAN_BMP_CHAR

logger = logging.getLogger(__name__)

#: The engine name of the answer composed from the passages, without a model.
EXTRACTIVE = "extractive"
#: Earlier turns (question and answer) of the conversation sent with a question.
HISTORY_TURNS = 3
#: Characters of an earlier answer sent back to the model.
HISTORY_ANSWER_CHARS = 400
#: Tokens kept free for the reply, at most (a quarter of a small context).
REPLY_TOKENS = 768
#: Tokens a passage gets at least when passages are cut to fit the context.
MIN_PASSAGE_TOKENS = 80


def reply_tokens(max_context: int, max_reply: int = 0) -> int:
    """Tokens the reply may take: ``max_reply`` if set, else a quarter of the context, at
    most :data:`REPLY_TOKENS`."""
    return max_reply or min(REPLY_TOKENS, max_context // 4)


SYSTEM_PROMPT = (
    "You answer questions about a collection of documents. Answer ONLY from the numbered "
    "passages given with the question; never use outside knowledge. Put the passage number "
    "in square brackets, like [1] or [2][3], after each sentence or claim it supports. If the "
    "passages do not answer the question, say so plainly in one sentence, without citations. "
    "Be brief: a few sentences, or a short list."
)

LANGUAGE_RULES = {
    "en": "Write the answer in English.",
    "zh-Hant": "請用繁體中文回答。 (Write the answer in Traditional Chinese.)",
    "zh-Hans": "请用简体中文回答。 (Write the answer in Simplified Chinese.)",
}


def question_language(question: str) -> str:
    """The language and script an answer to ``question`` is written in.

    Returns:
        ``"en"`` for an English question, ``"zh-Hant"`` for a Traditional one, else
        ``"zh-Hans"``.
    """
    return text_language(question)


def estimate_tokens(text: str) -> int:
    """A cautious token count: one per Han character, one per three other characters."""
    han = sum(1 for ch in text if HAN_BMP_CHAR.fullmatch(ch))
    return han + (len(text) - han + 2) // 3


@dataclass(frozen=True)
class Turn:
    """An earlier question of the conversation and the answer it got."""

    question: str
    answer: str = ""


def passage_block(n: int, hit: Hit, doc: Document | None, limit: int | None = None) -> str:
    """One numbered passage as the prompt gives it: number, title, date, text (cut to
    ``limit`` characters)."""
    title = doc.title if doc else hit.chunk.doc_id
    date = f" ({doc.date})" if doc and doc.date else ""
    text = " ".join(hit.chunk.text.split())
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit)] + "…"
    return f"[{n}] {title}{date}\n{text}"


def build_messages(
    question: str,
    passages: Sequence[Hit],
    documents: Mapping[str, Document],
    *,
    turns: Sequence[Turn] = (),
    max_context: int = 4096,
    max_reply: int = 0,
) -> list[dict[str, str]]:
    """The chat messages for one question.

    Args:
        question: The question as typed.
        passages: The passages, numbered from 1 in this order (the cards' numbers).
        documents: Their documents by id (titles and dates).
        turns: Earlier turns of the conversation, oldest first; the last
            :data:`HISTORY_TURNS` go in.
        max_context: The model's context in tokens; passages are cut (each to an equal share,
            the later ones dropped when no room is left) so that prompt and reply fit.
        max_reply: Tokens kept for the reply (0: see :func:`reply_tokens`).

    Returns:
        OpenAI-style messages: system, earlier turns, then the passages and the question.
    """
    language = LANGUAGE_RULES[question_language(question)]
    messages = [{"role": "system", "content": f"{SYSTEM_PROMPT} {language}"}]
    for turn in list(turns)[-HISTORY_TURNS:]:
        messages.append({"role": "user", "content": turn.question})
        if turn.answer:
            messages.append({"role": "assistant", "content": turn.answer[:HISTORY_ANSWER_CHARS]})
    tail = f"\n\nQuestion: {question}\n{language}"
    used = sum(estimate_tokens(m["content"]) + 4 for m in messages) + estimate_tokens(tail) + 16
    budget = max_context - reply_tokens(max_context, max_reply) - used
    blocks: list[str] = []
    if passages and budget > 0:
        # An equal share each, but never so little that a passage says nothing: with a small
        # context the later (lower-ranked) passages are dropped instead.
        share = max(budget // len(passages), MIN_PASSAGE_TOKENS)
        for n, hit in enumerate(passages, start=1):
            room = min(share, budget)
            if room < MIN_PASSAGE_TOKENS // 2:
                break
            doc = documents.get(hit.chunk.doc_id)
            block = passage_block(n, hit, doc)
            if estimate_tokens(block) > room:
                # Cut the text to its room (Han text: about one character a token).
                head = estimate_tokens(passage_block(n, hit, doc, 0))
                block = passage_block(n, hit, doc, max(0, room - head - 1))
            blocks.append(block)
            budget -= estimate_tokens(block)
    body = "Passages:\n\n" + "\n\n".join(blocks) if blocks else "Passages: (none)"
    messages.append({"role": "user", "content": body + tail})
    return messages


# --------------------------------------------------------------------------- the call


class GenerationFailed(Exception):
    """The model gave no usable answer; ``str(exc)`` is the one-line bilingual notice."""


def _notice(zh: str, en: str) -> str:
    return (
        f"语言模型未能回答（{zh}），以下为摘录答案 / The language model did not answer ({en}); "
        "the extractive answer follows."
    )


def failure_notice(exc: BaseException, settings: Settings, mid_reply: bool = False) -> str:
    """The one-line bilingual notice naming why the model gave no answer.

    Args:
        exc: What the client raised.
        settings: The settings (the URL and time-out are named; never the key).
        mid_reply: Some of the reply had come already.
    """
    if isinstance(exc, GenerationFailed):
        return str(exc)
    import httpx  # the openai client's transport, loaded with it
    import openai

    url = settings.llm_url
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        s = f"{settings.llm_timeout:g}"
        return _notice(f"{s} 秒内无回复", f"no reply within {s} s")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        if mid_reply:
            return _notice("回复中途连接中断", f"the connection to {url} broke mid-reply")
        return _notice(f"无法连接 {url}", f"cannot reach {url}")
    if isinstance(exc, openai.APIStatusError):
        return _notice(f"HTTP {exc.status_code} 错误", f"HTTP error {exc.status_code}")
    return _notice("回复无法读取", f"unreadable reply: {type(exc).__name__}")


EMPTY_REPLY = _notice("回复为空", "empty reply")
NO_CLIENT = _notice(
    "未安装 openai 包", "the openai package is not installed: pip install 'qa[llm]'"
)


_clients: dict[tuple[str, str, float], Any] = {}
_clients_lock = threading.Lock()


def make_client(settings: Settings) -> Any:
    """The ``openai.OpenAI`` client for the configured server (one per URL, key and time-out).

    Raises:
        GenerationFailed: The ``openai`` package is not installed.
    """
    key = (settings.llm_url, settings.llm_api_key, settings.llm_timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            try:
                import openai
            except ImportError as exc:
                raise GenerationFailed(NO_CLIENT) from exc
            # One per server, kept: making one (its connection pool, TLS context) costs tens
            # of ms, which every answer's first token would wait for.
            client = _clients[key] = openai.OpenAI(
                base_url=settings.llm_url,
                # Local servers take any key; the client refuses to start without one.
                api_key=settings.llm_api_key or "no-key",
                timeout=settings.llm_timeout,
                max_retries=1,
            )
        return client


_models: dict[str, str] = {}
_models_lock = threading.Lock()


def model_name(settings: Settings, client: Any | None = None) -> str:
    """The model asked: ``QA_LLM_MODEL``, else the first model the server lists (cached).

    Raises:
        GenerationFailed: The server lists no model.
        openai.OpenAIError: The server cannot be asked.
    """
    if settings.llm_model:
        return settings.llm_model
    with _models_lock:
        if settings.llm_url not in _models:
            client = client or make_client(settings)
            ids = [m.id for m in client.models.list()]
            if not ids:
                raise GenerationFailed(_notice("服务器未列出模型", "the server lists no model"))
            _models[settings.llm_url] = ids[0]
        return _models[settings.llm_url]


def model_label(settings: Settings) -> str:
    """The model's name if known without asking the server (set, or listed before), else
    "language model": for the page while the first reply streams."""
    return settings.llm_model or _models.get(settings.llm_url, "language model")


@dataclass
class WrittenAnswer:
    """What a question got when a model was asked: the text, checked, or the fallback."""

    #: The extractive answer: its passages are the cards, and it is the fallback.
    answer: Answer
    #: Who answered: the model's name, or :data:`EXTRACTIVE` after a fallback.
    engine: str
    #: The written text as the model gave it ("" after a fallback).
    raw: str = ""
    #: The checked text (markers out of range removed, sentences flagged); None on fallback.
    checked: CheckedAnswer | None = None
    #: Why the extractive answer is shown instead (one bilingual line), or "".
    notice: str = ""
    #: True when the user stopped the reply (the text so far is kept and checked).
    stopped: bool = False
    #: Seconds from the request to the first piece of text, and to the end.
    first_token_s: float | None = None
    total_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def written(self) -> bool:
        """True when the model's text is the answer."""
        return self.checked is not None


class WrittenRun:
    """One question put to the model, streamed.

    Iterate over the run for the pieces of text as they arrive; :meth:`stop` (from any
    thread) ends it early; :attr:`result` is the checked answer once iteration is over.

    Args:
        settings: Settings in force (URL, model, key, time-out, context).
        answer: The extractive answer whose passages the model is given.
        turns: Earlier turns of the conversation, oldest first.
        tokens: Words of a text for the citation check (the index's tokenizer).
        english_terms: Chinese terms of an English text (the index's lexicon).
        client: An ``openai.OpenAI`` client (default: :func:`make_client`).
    """

    def __init__(
        self,
        settings: Settings,
        answer: Answer,
        *,
        turns: Sequence[Turn] = (),
        tokens: Callable[[str], Sequence[str]] | None = None,
        english_terms: Callable[[str], Sequence[str]] | None = None,
        client: Any | None = None,
    ) -> None:
        self.settings = settings
        self.answer = answer
        self.turns = list(turns)
        self._tokens = tokens
        self._english_terms = english_terms
        self._client = client
        self._stop = threading.Event()
        self._stream: Any = None
        self.result: WrittenAnswer | None = None

    def stop(self) -> None:
        """End the reply now; the text so far is kept."""
        self._stop.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # closing from another thread may race the reader
                logger.debug("closing the stream failed", exc_info=True)

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def __iter__(self) -> Iterator[str]:
        t0 = time.perf_counter()
        pieces: list[str] = []
        first: float | None = None
        timings: dict[str, float] = {}
        if not self.answer.found or not self.answer.passages:
            # Nothing was found to answer from: the extractive "not found" stands, unwritten.
            self.result = WrittenAnswer(self.answer, EXTRACTIVE)
            return
        try:
            client = self._client or make_client(self.settings)
            model = model_name(self.settings, client)
            tp = time.perf_counter()
            messages = build_messages(
                self.answer.question,
                self.answer.passages,
                self.answer.documents,
                turns=self.turns,
                max_context=self.settings.llm_max_context,
                max_reply=self.settings.llm_max_reply,
            )
            timings["prompt_s"] = time.perf_counter() - tp
            self._stream = client.chat.completions.create(
                model=model,
                messages=messages,
                stream=True,
                temperature=0.2,
                max_tokens=reply_tokens(
                    self.settings.llm_max_context, self.settings.llm_max_reply
                ),
            )
            for chunk in self._stream:
                if self._stop.is_set():
                    break
                choices = getattr(chunk, "choices", None) or []
                delta = getattr(choices[0].delta, "content", None) if choices else None
                if delta:
                    if first is None:
                        first = time.perf_counter() - t0
                    pieces.append(delta)
                    yield delta
        except Exception as exc:
            if not self._stop.is_set():
                notice = failure_notice(exc, self.settings, mid_reply=bool(pieces))
                logger.warning("language model failed: %s (%s)", type(exc).__name__, notice)
                self.result = WrittenAnswer(
                    self.answer, EXTRACTIVE, "".join(pieces), notice=notice,
                    first_token_s=first, total_s=time.perf_counter() - t0,
                )  # fmt: skip
                return
            model = self.settings.llm_model or _models.get(self.settings.llm_url, "model")
        finally:
            if self._stream is not None:
                try:
                    self._stream.close()
                except Exception:
                    logger.debug("closing the stream failed", exc_info=True)
        raw = "".join(pieces)
        stopped = self._stop.is_set()
        if not raw.strip():
            notice = EMPTY_REPLY if not stopped else _notice("已停止", "stopped")
            self.result = WrittenAnswer(
                self.answer, EXTRACTIVE, raw, notice=notice, stopped=stopped,
                first_token_s=first, total_s=time.perf_counter() - t0,
            )  # fmt: skip
            return
        tc = time.perf_counter()
        checked = check_citations(
            raw,
            [h.chunk.text for h in self.answer.passages],
            tokens=self._tokens,
            english_terms=self._english_terms,
            question=self.answer.question,
        )
        timings["check_s"] = time.perf_counter() - tc
        self.result = WrittenAnswer(
            self.answer, model, raw, checked, stopped=stopped, first_token_s=first,
            total_s=time.perf_counter() - t0, timings=timings,
        )  # fmt: skip

    def run(self) -> WrittenAnswer:
        """Read the whole reply and return the result."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result


def written_json(written: WrittenAnswer) -> dict[str, Any]:
    """The written part of an ``/ask`` result (``engine``, ``text``, checked citations)."""
    checked = written.checked
    return {
        "engine": written.engine,
        "notice": written.notice,
        "stopped": written.stopped,
        "text": checked.text if checked else "",
        "sentences": [
            {
                "text": s.text,
                "citations": list(s.citations),
                "unsupported": list(s.unsupported),
            }
            for s in (checked.sentences if checked else [])
        ],
        "removed_citations": list(checked.removed) if checked else [],
        "warning": checked.warning if checked else "",
    }
