"""The page's layout: its components and how they are wired to :class:`~qa.app.ui.callbacks.Page`,
its theme and CSS, and the serving settings (queue, thread switch interval, 127.0.0.1).

Everything that comes from a document or from the user goes through :func:`html.escape`
(:mod:`qa.app.render`, :mod:`qa.search.highlight`) before it becomes HTML, and the chat is
configured to render that HTML sanitised, without markdown or LaTeX.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.app.page import (
    COPY_JS,
    HEAD,
    OPEN_REQUEST_JS,
    SCROLL_JS,
)
from qa.app.page import CSS as PAGE_CSS
from qa.app.service import QAService
from qa.errors import QAError

if TYPE_CHECKING:  # qa.answer.generate is imported only when a model is configured
    pass
from qa.app.render import error_html, esc
from qa.app.requests import K_MAX, K_MIN
from qa.app.ui.callbacks import STAGE_LABELS, STAGES, Page
from qa.settings import SEARCH_MODES, Settings, load_settings

logger = logging.getLogger(__name__)


FONT_NAMES = ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei")


FONT_STACK = ", ".join(f'"{name}"' for name in FONT_NAMES) + ", system-ui, sans-serif"


#: The interpreter's thread switch interval while the page serves, in seconds (CPython's
#: default is 5 ms). Encoding a question calls torch op by op, and each op gives the GIL back;
#: beside a busy Python thread (a rebuild, another question's keyword search) every op then
#: waits up to one interval to get it again (docs/benchmarks.md, load test, has the figures).
SWITCH_INTERVAL_S = 0.0005


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
            idx = STAGES.index(stage) if stage in STAGES else len(STAGES) - 1
            frac = (idx + (done / total if total else 1.0)) / len(STAGES)
            bar(min(frac, 1.0), desc=STAGE_LABELS.get(stage, stage))

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
