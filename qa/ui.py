"""The web page (the only module that imports gradio).

Callbacks call :class:`qa.service.QAService` and format its results as escaped HTML.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from qa.errors import QAError
from qa.service import QAService
from qa.settings import Settings, load_settings

logger = logging.getLogger(__name__)

FONT_STACK = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'


def render_answer(service: QAService, question: str) -> str:
    """HTML for an answer and its passages; errors become a message."""
    try:
        answer = service.ask(question)
    except QAError as exc:
        return f'<p class="qa-error">{html.escape(str(exc))}</p>'
    docs = service.index.documents
    out = [f"<p>searched for: {html.escape(' '.join(answer.terms))}</p>"]
    if not answer.found:
        out.append("<p><b>No relevant passage found / 未找到相关段落</b></p>")
    for s in answer.items or answer.sentences:
        cites = "".join(f"[{n}]" for n in s.citations)
        out.append(f"<p>{html.escape(s.text)} {cites}</p>")
    for n, hit in enumerate(answer.passages, start=1):
        doc = docs[hit.chunk.doc_id]
        out.append(
            f'<div class="qa-card"><b>[{n}] {html.escape(doc.title)}</b> '
            f"<small>{html.escape(hit.chunk.doc_id)} · {hit.score:.3f}</small>"
            f"<p>{html.escape(hit.chunk.text)}</p></div>"
        )
    return "\n".join(out)


def build_app(service: QAService) -> Any:
    """The Gradio Blocks app for a service."""
    import gradio as gr

    with gr.Blocks(title="文档问答 Document QA") as demo:
        gr.Markdown(f"# 文档问答 · Document QA\nmodel: {service.status().model_description}")
        question = gr.Textbox(label="问题 / Question", elem_id="question")
        ask = gr.Button("提问 / Ask", elem_id="ask")
        output = gr.HTML(elem_id="answer")
        ask.click(lambda q: render_answer(service, q), question, output, api_name="ask")
        question.submit(lambda q: render_answer(service, q), question, output)
    return demo


def launch(settings: Settings | None = None) -> None:
    """Build the index if needed and serve the page (blocks)."""
    settings = settings or load_settings()
    service = QAService(settings)
    service.ensure_index()
    logger.info("model in use: %s", service.embedder.description)
    demo = build_app(service)
    demo.queue().launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=tuple(settings.auth.split(":", 1)) if settings.auth else None,
        css=f"body, .gradio-container {{ font-family: {FONT_STACK}; }}",
    )
