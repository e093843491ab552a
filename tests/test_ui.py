"""The page: formatting and callbacks (fast, fake model) and the real page in Chromium.

The browser tests start ``app.py`` once for the module (real model, real seeds plus a seed
full of markup) and drive it with Playwright's sync API in Debian's Chromium. Every page
fails its test if a dialog opens (escaping broke) or a request leaves localhost (the page
must work offline). Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from qa.answer.result import Answer, AnswerSentence, answer_json
from qa.app.render import NOT_FOUND, answer_html, card_html, document_html, status_html
from qa.app.ui.callbacks import Page
from qa.app.ui.layout import FONT_NAMES
from qa.errors import QAError
from tests.browser import (
    LOCAL_HOSTS,
    MARKUP_QUESTION,
    MARKUP_SEED_NAME,
    SCREENSHOTS,
    AppServer,
    spawn_app,
    wait_ready,
)
from tests.conftest import FIVE_PHASES, SEEDS, FakeEmbedder

logger = logging.getLogger(__name__)

PHASES = ("宣传发动", "寻标对标", "督查整改", "集中观摩", "总结考核")


@pytest.fixture(scope="module", autouse=True)
def early_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer | None]:
    """Start the real page as soon as the module starts, when browser tests are selected.

    Its model load and index build (tens of seconds) then overlap the fast tests.
    """
    wanted = any(item.get_closest_marker("browser") for item in request.session.items)
    server = spawn_app(tmp_path_factory.mktemp("page")) if wanted else None
    try:
        yield server
    finally:
        if server is not None:
            server.stop()


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A service over a copy of the real seeds with the fake embedder, shared by the module."""
    import shutil

    from qa.app.service import QAService
    from qa.settings import load_settings

    root = tmp_path_factory.mktemp("fake")
    shutil.copytree(SEEDS, root / "seeds")
    settings = load_settings(
        env={}, seeds_dir=root / "seeds", index_dir=root / "index", embed_model=FakeEmbedder.name
    )
    service = QAService(settings, embedder=FakeEmbedder())
    service.ensure_index()
    return service


# --------------------------------------------------------------------------- formatting


def _hit(svc: Any, question: str = FIVE_PHASES) -> Any:
    return svc.search(question, k=3, mode="keyword").hits[0]


def test_answer_html_escapes_and_numbers_items() -> None:
    answer = Answer(
        question="<q>",
        sentences=[AnswerSentence("ignored", (1,))],
        items=[AnswerSentence("<script>alert(1)</script>", (1, 2)), AnswerSentence("二", (3,))],
        passages=[],
        terms=("诸城", "<b>"),
        found=True,
        notice="cut & <i>",
    )
    out = answer_html(answer)
    assert "<script>" not in out and "<b>" not in out and "<i>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert out.count("<li>") == 2 and "ignored" not in out
    assert re.findall(r'class="qa-cite">\[(\d)\]', out) == ["1", "2", "3"]
    assert "检索词 / searched for: 诸城 &lt;b&gt;" in out
    assert "cut &amp; &lt;i&gt;" in out


def test_citation_markers_name_their_passage_escaped(svc: Any) -> None:
    import dataclasses

    answer = svc.ask(FIVE_PHASES, k=3, mode="keyword")
    out = answer_html(answer)
    first = answer.passages[0]
    title = answer.documents[first.chunk.doc_id].title
    tips = re.findall(r'<span title="([^"]*)" class="qa-cite[^"]*"[^>]*>\[(\d)\]', out)
    assert tips and all(tip.startswith(f"[{n}] ") for tip, n in tips)
    assert any(tip.startswith(f"[1] {html.escape(title)}: ") for tip, _ in tips)
    hostile = dataclasses.replace(
        first, chunk=dataclasses.replace(first.chunk, text='"><img src=x onerror=alert(1)>' * 9)
    )
    bad = dataclasses.replace(answer, passages=[hostile, *answer.passages[1:]])
    out = answer_html(bad)
    assert "<img" not in out and "&quot;&gt;&lt;img src=x" in out
    tip = re.findall(r'title="([^"]*)" class="qa-cite', out)[0]
    assert tip.endswith("…") and len(html.unescape(tip)) < 100 + len(title) + 10


def test_answer_html_sentences_query_and_not_found() -> None:
    sentences = [AnswerSentence("三是督查整改。", (2,))]
    answer = Answer("那第三个呢?", sentences, [], [], ("阶段",), True)
    object.__setattr__(answer, "query", "诸城作风建设年活动第三个阶段")
    out = _plain(answer_html(answer))
    assert "<p>三是督查整改。" in out and "[2]" in out
    assert "理解为 / understood as: 诸城作风建设年活动第三个阶段" in out
    missing = Answer("GDP", [], [], [], ("gdp",), False)
    assert NOT_FOUND in answer_html(missing)


def test_card_and_document_html_highlight_and_escape(svc: Any) -> None:
    hit = _hit(svc)
    doc = svc.document(hit.chunk.doc_id)
    card = card_html(2, hit, doc)
    assert '<span class="qa-num">[2]</span>' in card
    assert doc.date in card and doc.doc_id in card and f"{hit.score:.3f}" in card
    assert '<mark class="qa-term">' in card
    view = document_html(doc, hit.chunk.start, hit.chunk.end, hit.terms)
    assert view.count('<mark class="qa-passage" id="qa-doc-passage">') == 1
    plain = re.sub(r"<[^>]+>", "", view.split('class="qa-doc-body">', 1)[1])
    assert hit.chunk.text.replace("&", "&amp;") in plain or hit.chunk.text in plain


def test_status_html_shows_model_counts_and_state(svc: Any) -> None:
    out = status_html(svc.status())
    assert "fake embedder for unit tests" in out and "最新 / up to date" in out
    assert "重建中" in status_html(svc.status(), rebuilding=True)


def test_respond_builds_chat_history_and_cards(svc: Any) -> None:
    page = Page(svc)
    chat, history, cards, box, doc = page.respond(FIVE_PHASES, [], [], 3, "keyword")
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert history == [FIVE_PHASES] and box == "" and doc == ""
    assert cards["found"] and len(cards["cards"]) == 3
    first = cards["cards"][0]
    assert page.open_document(first["doc_id"], first["start"], first["end"], first["terms"])
    chat, history, *_ = page.respond("那第五个阶段呢?", chat, history, 3, "keyword")
    assert len(chat) == 4 and history == [FIVE_PHASES, "那第五个阶段呢?"]


def test_respond_passes_history_to_the_service(svc: Any) -> None:
    seen: list[tuple[str, ...]] = []

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(svc, name)

        def ask(self, question: str, **kwargs: Any) -> Answer:
            seen.append(tuple(kwargs.get("history", ())))
            return svc.ask(question, **kwargs)

    page = Page(Recording())  # type: ignore[arg-type]
    chat, history, *_ = page.respond("第一问 诸城", [], [], 2, "keyword")
    page.respond("第二问", chat, history, 2, "keyword")
    assert seen == [(), ("第一问 诸城",)]


def test_cards_use_the_documents_of_the_index_that_answered(svc: Any) -> None:
    """A rebuild that swaps the index between the answer and the page's rendering must not
    pair a passage with another index's documents (the card would quote the wrong text)."""
    from qa.ingest.corpus import Document

    class SwappedAfterAsk:
        def __getattr__(self, name: str) -> Any:
            return getattr(svc, name)

        @property
        def index(self) -> Any:
            class Other:  # what a rebuild from changed seeds would have made
                documents: dict[str, Document] = {}

            return Other()

    page = Page(SwappedAfterAsk())  # type: ignore[arg-type]
    answer = svc.ask(FIVE_PHASES, k=3, mode="keyword")
    assert answer.documents and {h.chunk.doc_id for h in answer.passages} <= set(answer.documents)
    _, _, cards, *_ = page.respond(FIVE_PHASES, [], [], 3, "keyword")
    doc = answer.documents[answer.passages[0].chunk.doc_id]
    assert doc.title and html.escape(doc.title) in cards["cards"][0]["html"]
    data = page.api_ask(FIVE_PHASES, 3, "keyword")
    assert data["passages"][0]["title"] == doc.title


def test_an_over_long_question_is_cut_in_the_chat_and_history(svc: Any) -> None:
    question = FIVE_PHASES + "作风建设" * 25_000
    limit = svc.settings.max_question_chars
    chat, history, cards, *_ = Page(svc).respond(question, [], [], 3, "keyword")
    assert len(chat[0]["content"]) <= limit + 1 and chat[0]["content"].endswith("…")
    assert history == [chat[0]["content"]]
    assert "cut" in chat[1]["content"] and cards["found"]


def test_respond_shows_errors_in_the_chat(svc: Any) -> None:
    chat, history, cards, *_ = Page(svc).respond("   ", [], [], 3, "hybrid")
    assert "qa-error" in chat[-1]["content"] and history == []
    assert cards == {"found": False, "cards": [], "weak": ""}


def test_rebuild_reports_progress_and_shows_errors(svc: Any) -> None:
    class Stub:
        """Reports the index builder's stages, or fails like a second rebuild does."""

        def __init__(self, busy: bool) -> None:
            self.rebuilding = busy
            self.settings = svc.settings  # no QA_AUTH: anyone may rebuild

        def rebuild(self, *, force: bool, progress: Any) -> None:
            assert force
            if self.rebuilding:
                raise QAError("a rebuild is already running; try again when it has finished")
            for stage, done, total in [("read", 6, 6), ("embed", 0, 0), ("embed", 0, 0),
                                       ("index", 1, 1), ("write", 1, 1)]:  # fmt: skip
                progress(stage, done, total)

        def status(self) -> Any:
            return svc.status()

    seen: list[tuple[float, str]] = []
    status, msg = Page(Stub(False)).rebuild(lambda f, d: seen.append((f, d)))  # type: ignore[arg-type]
    assert "qa-rebuilt" in msg and "qa-status" in status
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert "写入 / writing" in seen[-1][1]

    status, msg = Page(Stub(True)).rebuild()  # type: ignore[arg-type]
    assert "a rebuild is already running" in msg and "qa-error" in msg
    assert "重建中" in status


def test_answer_json_shape(svc: Any) -> None:
    answer = svc.ask(FIVE_PHASES, k=2, mode="keyword")
    data = answer_json(answer, svc.index.documents)
    assert data["question"] == FIVE_PHASES and data["found"] is True
    assert set(data["answer"]) == {"lead", "sentences", "items"}
    assert data["answer"]["lead"] == answer.lead
    passage = data["passages"][0]
    assert {"doc", "title", "text", "start", "end", "score"} <= set(passage)
    doc = svc.document(passage["doc"])
    assert doc.text[passage["start"] : passage["end"]] == passage["text"]


# --------------------------------------------------------------------------- concurrency


@pytest.fixture
def switch_interval() -> Iterator[None]:
    """Put back the interpreter's switch interval that serving the page changes."""
    import sys

    before = sys.getswitchinterval()
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _service_with(svc: Any, **changes: Any) -> Any:
    """Another service over the module's index, with some settings changed."""
    from qa.app.service import QAService

    service = QAService(svc.settings.replace(**changes), embedder=svc.embedder)
    service.ensure_index()  # up to date: a load, no build
    return service


def test_ask_concurrency_setting() -> None:
    from qa.settings import load_settings

    assert load_settings(env={}).ask_concurrency == 4
    assert load_settings(env={"QA_ASK_CONCURRENCY": "7"}).ask_concurrency == 7
    with pytest.raises(ValueError, match="QA_ASK_CONCURRENCY"):
        load_settings(env={"QA_ASK_CONCURRENCY": "0"})


def test_the_chat_and_the_api_share_the_configured_question_limit(
    svc: Any, switch_interval: None
) -> None:
    import sys

    from qa.app.ui import SWITCH_INTERVAL_S, build_app, configure_serving

    service = _service_with(svc, ask_concurrency=3)
    demo = configure_serving(build_app(service), service.settings)
    ask = {fn.name: fn.concurrency_limit for fn in demo.fns.values() if fn.concurrency_id == "ask"}
    # Gradio gives a shared pool the smallest limit of its events: both must carry it.
    assert ask == {"respond": 3, "ask_api": 3}
    assert demo._queue.default_concurrency_limit == 3
    rebuild = [fn for fn in demo.fns.values() if fn.concurrency_id == "rebuild"]
    assert [fn.concurrency_limit for fn in rebuild] == [2]
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)


def test_the_page_answers_two_questions_at_once(svc: Any, switch_interval: None) -> None:
    """Two /ask requests meet inside the service: with one answer at a time they could not."""
    import threading

    from gradio_client import Client

    from qa.app.ui import build_app, configure_serving
    from tests.browser import free_port

    service = _service_with(svc, ask_concurrency=2)
    meet = threading.Barrier(2, timeout=30)
    real_ask = service.ask

    def ask(*args: Any, **kwargs: Any) -> Any:
        meet.wait()  # both questions must be inside at the same time
        return real_ask(*args, **kwargs)

    service.ask = ask
    demo = configure_serving(build_app(service), service.settings)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        ssr_mode=False,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        replies: list[Any] = []

        def client() -> None:
            try:
                replies.append(Client(url, verbose=False).predict(FIVE_PHASES, 3, "keyword",
                                                                  api_name="/ask"))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                replies.append(exc)

        threads = [threading.Thread(target=client) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        demo.close()
    assert len(replies) == 2 and all(isinstance(r, dict) and r["found"] for r in replies), replies


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def app_server(
    early_app: AppServer | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """The real page (real model, seeds + markup seed) in a subprocess, for this module."""
    server = early_app or spawn_app(tmp_path_factory.mktemp("page-late"))
    try:
        yield wait_ready(server)
    finally:
        if early_app is None:
            server.stop()


class Watch:
    """What a page did that it must not: dialogs opened, requests to other hosts."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        self.requests = 0


@pytest.fixture
def page(app_server: AppServer, browser: Any) -> Iterator[tuple[Any, Watch]]:
    """A fresh page on the app; fails the test on any dialog or non-local request."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    watch = Watch()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(request: Any) -> None:
        watch.requests += 1
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            watch.foreign.append(request.url)

    pg.on("dialog", on_dialog)
    pg.on("request", on_request)
    pg.set_default_timeout(90_000)
    pg.goto(app_server.url)
    pg.locator("#qa-question textarea").wait_for()
    try:
        yield pg, watch
    finally:
        context.close()
    assert watch.dialogs == [], f"a dialog opened: {watch.dialogs}"
    assert watch.foreign == [], f"requests left localhost: {watch.foreign}"


ANSWERS = "#qa-chat .qa-answer, #qa-chat .qa-error"


def ask(pg: Any, question: str) -> float:
    """Type a question, press Enter, wait for the new answer; seconds it took."""
    before = pg.locator(ANSWERS).count()
    box = pg.locator("#qa-question textarea")
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    pg.locator(ANSWERS).nth(before).wait_for()
    return time.perf_counter() - t0


def shot(pg: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _answer_area(pg: Any) -> str:
    return pg.locator("#qa-chat").inner_text() + "\n" + pg.locator("#qa-side").inner_text()


@pytest.mark.browser
@pytest.mark.slow
def test_five_phases_answer_with_citations_and_cards(page: tuple[Any, Watch]) -> None:
    pg, _ = page
    took = ask(pg, FIVE_PHASES)
    pg.locator("#qa-side .qa-card").first.wait_for()
    print(f"\nEnter → answer shown: {took:.2f} s")  # noqa: T201 (reported in the run log)
    logger.warning("Enter → answer shown: %.2f s", took)
    answer = pg.locator("#qa-chat .qa-answer").last
    assert answer.locator(".qa-cite").count() >= 1
    # Resting the pointer on a marker names its passage (the chat keeps the attribute).
    assert (answer.locator(".qa-cite").first.get_attribute("title") or "").startswith("[")
    assert "检索词 / searched for:" in answer.inner_text()
    cards = pg.locator("#qa-side .qa-card")
    assert cards.count() == 5  # the default k
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.inner_text())}
    assert cited and cited <= set(range(1, cards.count() + 1))
    assert cards.first.locator("mark.qa-term").count() > 0
    area = _answer_area(pg)
    missing = [p for p in PHASES if p not in area]
    assert not missing, f"phases not on the page: {missing}"
    shot(pg, "five_phases")


@pytest.mark.browser
@pytest.mark.slow
def test_open_citation_in_document_highlights_passage(page: tuple[Any, Watch]) -> None:
    from playwright.sync_api import expect

    pg, _ = page
    ask(pg, "泰興市委書記孫耀燦強調了什麼")
    pg.locator("#qa-side .qa-open").nth(1).click()
    mark = pg.locator("#qa-doc mark.qa-passage")
    mark.wait_for()
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()
    assert "孫耀燦" in pg.locator("#qa-doc").inner_text()  # original (Traditional) script
    pg.screenshot(path=str(SCREENSHOTS / "open_in_document.png"))


@pytest.mark.browser
@pytest.mark.slow
def test_follow_up_question_uses_the_previous_turn(page: tuple[Any, Watch]) -> None:
    pg, _ = page
    ask(pg, FIVE_PHASES)
    ask(pg, "那第五个阶段呢?")
    shot(pg, "follow_up")
    assert "总结考核" in pg.locator("#qa-chat .qa-answer").last.inner_text()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "2023年北京的GDP是多少",  # the example
        "量子引力弦论",  # nothing in the seeds comes near at all
    ],
)
def test_no_match_shows_message_and_folded_passages(page: tuple[Any, Watch], question: str) -> None:
    pg, _ = page
    ask(pg, question)
    assert NOT_FOUND in pg.locator("#qa-chat .qa-answer").last.inner_text()
    details = pg.locator("#qa-side details.qa-weak")
    details.wait_for()
    assert details.get_attribute("open") is None  # folded away
    assert pg.locator("#qa-side .qa-open").count() == 0
    shot(pg, "no_match")


@pytest.mark.browser
@pytest.mark.slow
def test_clear_starts_over(page: tuple[Any, Watch]) -> None:
    pg, _ = page
    ask(pg, FIVE_PHASES)
    pg.locator("#qa-clear").click()
    pg.wait_for_function("document.querySelectorAll('#qa-chat .qa-answer').length === 0")
    pg.wait_for_function("document.querySelectorAll('#qa-side .qa-card').length === 0")


@pytest.mark.browser
@pytest.mark.slow
def test_rebuild_with_progress_while_a_question_is_answered(
    page: tuple[Any, Watch], app_server: AppServer
) -> None:
    pg, _ = page
    table = pg.locator("#qa-status-table")
    assert "use-multilingual" in table.inner_text()  # the model in use is named
    # New text to embed, so that the rebuild lasts long enough to ask during it on any machine
    # (an unchanged corpus rebuilds from its stored vectors in about a second).
    seed = app_server.log.parent / "seeds" / MARKUP_SEED_NAME
    seed.write_text(
        seed.read_text(encoding="utf-8")
        + "".join(f"第{i}段：燕子第{i}次飞过山岗，带回第{i}粒种子。\n" for i in range(600)),
        encoding="utf-8",
    )
    pg.wait_for_function(
        "() => (document.querySelector('#qa-status-table') || {}).innerText.includes('已过期')"
    )
    before = table.inner_text()
    pg.locator("#qa-rebuild").click()
    pg.locator("#qa-status .progress-level, #qa-status .progress-text").first.wait_for()
    ask(pg, "“三个年”行动是哪三个年")
    # The answer came from the old index while the rebuild was still going.
    answered_during_rebuild = pg.locator("#qa-rebuild-msg .qa-rebuilt").count() == 0
    shot(pg, "rebuild_running")
    pg.locator("#qa-rebuild-msg .qa-rebuilt").wait_for(timeout=120_000)
    pg.wait_for_function(
        "b => document.querySelector('#qa-status-table') &&"
        " document.querySelector('#qa-status-table').innerText !== b",
        arg=before,
    )
    assert "最新 / up to date" in table.inner_text()
    assert answered_during_rebuild, "the question waited for the rebuild"
    shot(pg, "rebuild_done")


@pytest.mark.browser
@pytest.mark.slow
def test_markup_in_documents_and_questions_shows_as_text(page: tuple[Any, Watch]) -> None:
    pg, watch = page
    ask(pg, "<img src=x onerror=alert(2)>" + MARKUP_QUESTION)
    user = pg.locator('#qa-chat [data-testid="user"]').last
    assert "<img src=x onerror=alert(2)>" in user.inner_text()
    card = pg.locator("#qa-side .qa-card", has_text="青蛙王子").first
    card.wait_for()
    text = card.inner_text()
    assert "<script>alert(1)</script>" in text and "<b>bold</b>" in text
    assert pg.locator("#qa-side script, #qa-side b, #qa-chat img[src='x']").count() == 0
    index = pg.locator("#qa-side .qa-card").all_inner_texts().index(text)
    pg.locator("#qa-side .qa-open").nth(index).click()
    pg.locator("#qa-doc mark.qa-passage").wait_for()
    assert "<script>alert(1)</script>" in pg.locator("#qa-doc").inner_text()
    pg.wait_for_timeout(300)  # give a (broken) script a chance to run
    assert watch.dialogs == []
    shot(pg, "markup_escaped")


@pytest.mark.browser
@pytest.mark.slow
def test_offline_local_fonts_and_labels(page: tuple[Any, Watch]) -> None:
    pg, watch = page
    ask(pg, "what are the five phases in Zhucheng")
    font = pg.evaluate("getComputedStyle(document.querySelector('.gradio-container')).fontFamily")
    for name in FONT_NAMES:
        assert name in font
    body = pg.locator("body").inner_text()
    for label in ("问题 / Question", "清除 / Clear", "重建索引 / Rebuild index", "检索方式"):
        assert label in body
    assert watch.requests > 0 and watch.foreign == []
    shot(pg, "english_question")


@pytest.mark.browser
@pytest.mark.slow
def test_narrow_screen_puts_cards_below_the_chat(page: tuple[Any, Watch]) -> None:
    pg, _ = page
    pg.set_viewport_size({"width": 560, "height": 900})
    took = ask(pg, "“三个年”行动是哪三个年")
    print(f"\nEnter → answer shown (warm): {took:.2f} s")  # noqa: T201
    pg.locator("#qa-side .qa-card").first.wait_for()
    chat = pg.locator("#qa-chat").bounding_box()
    side = pg.locator("#qa-side").bounding_box()
    assert chat and side and side["y"] >= chat["y"] + chat["height"]
    shot(pg, "narrow")


@pytest.mark.browser
@pytest.mark.slow
def test_api_endpoint_with_gradio_client(app_server: AppServer) -> None:
    from gradio_client import Client

    client = Client(app_server.url, verbose=False)
    data = client.predict(FIVE_PHASES, 3, "keyword", api_name="/ask")
    assert data["question"] == FIVE_PHASES and data["found"] is True
    assert "诸城" in data["terms"]
    assert len(data["passages"]) == 3
    first = data["passages"][0]
    assert first["doc"].endswith(".txt") and first["end"] > first["start"]
    assert isinstance(first["score"], float)
    sentences = data["answer"]["items"] or data["answer"]["sentences"]
    assert sentences and all(s["citations"] for s in sentences)


def test_an_english_question_s_answer_shows_labelled_glosses() -> None:
    answer = Answer(
        question="what are the phases",
        sentences=[],
        items=[AnswerSentence("一是宣传发动阶段。", ())],
        passages=[],
        terms=(),
        found=True,
        glosses={"一是宣传发动阶段。": "disseminate · <start> · stage"},
    )
    html = answer_html(answer)
    assert 'class="qa-gloss"' in html and "dictionary gloss, not a translation" in html
    assert "&lt;start&gt;" in html and "<start>" not in html  # escaped like any text


def test_the_time_asked_for_is_marked_in_the_answer() -> None:
    answer = Answer(
        question="动员大会是哪天召开的?",
        sentences=[AnswerSentence("4月24日，诸城市委以视频形式召开动员大会。", (1,))],
        items=[],
        passages=[],
        terms=(),
        found=True,
        kind="time",
    )
    html = _plain(answer_html(answer))
    marked = "".join(re.findall(r'<mark class="qa-span">([^<]*)</mark>', html))
    assert marked.startswith("4月24日")
    # The marks carry their own text colour: readable on their background in either theme.
    from qa.app.ui import CSS

    assert "mark.qa-term, mark.qa-span {" in CSS and "--qa-term-fg: #111827" in CSS


def _plain(html_text: str) -> str:
    """HTML less the words' dictionary pop-ups (their spans, not their text)."""
    return re.sub(r'<span class="qa-w" title="[^"]*">([^<]*)</span>', r"\1", html_text)


def test_chinese_words_carry_their_pinyin_and_senses_under_the_pointer(svc: Any) -> None:
    answer = svc.ask(FIVE_PHASES, k=2, mode="keyword")
    out = answer_html(answer)
    notes = dict(re.findall(r'<span class="qa-w" title="([^"]*)">([^<]*)</span>', out)[::-1])
    assert any(word == "阶段" and "jiē duàn" in note for note, word in notes.items())
    card = card_html(1, answer.passages[0], svc.index.documents[answer.passages[0].chunk.doc_id])
    assert 'class="qa-w" title="' in card and "stage" in card
    # Term marks and word spans nest: the card still shows the passage's text, whole.
    shown = html.unescape(re.sub(r"<[^>]+>", "", card))
    assert answer.passages[0].chunk.text.replace("\n", " ")[:60] in shown.replace("\n", " ")

