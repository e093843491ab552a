"""The page with a model configured, in headless Chromium: against the scripted server, the
cards first, the answer streaming into the chat, Stop, the engine named, the switch; against
llama.cpp's server (a random model written at test time, slow enough to stop), streaming,
Stop and the model's name."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests import llm_server
from tests.browser import SCREENSHOTS, free_port
from tests.conftest import FIVE_PHASES, ROOT

pytest.importorskip("openai")
pytestmark = [pytest.mark.browser]


#: The slower random model the llama.cpp test serves: 512 wide, 4 layers (about 43 MB).
SLOW_MODEL = "tiny-slow.gguf"


def _serve_page(service: Any) -> Iterator[str]:
    """Serve the page over ``service`` in-process; yield its URL."""
    import sys

    from qa.app.ui import CSS, build_app, configure_serving, make_theme

    before = sys.getswitchinterval()
    demo = configure_serving(build_app(service), service.settings)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        ssr_mode=False, css=CSS, theme=make_theme(),
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
        sys.setswitchinterval(before)


@pytest.fixture(scope="module")
def llm_page_url(gen_svc: Any) -> Iterator[str]:
    """The page over the module's service (scripted model configured), served in-process."""
    yield from _serve_page(gen_svc)


@pytest.fixture(scope="module")
def slow_llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's server (xllamacpp) with a random model slow enough to press Stop: its URL.

    The suite's 0.5 MB model writes a 256-token reply in about 50 ms; this one, 512 wide and 4
    layers deep, asked for 3000 tokens, writes for 10 to 30 s on the server's one thread.
    """
    pytest.importorskip("xllamacpp")
    pytest.importorskip("gguf")
    from tests.tiny_llama import running, write_tiny_gguf

    model = write_tiny_gguf(
        tmp_path_factory.mktemp("llama") / SLOW_MODEL, n_embd=512, n_layer=4
    )
    # A byte-level vocabulary: a Han character is 3 tokens, so the real prompt is about 3
    # times the estimate; 8192 holds it (1.1k estimated) and the 3000-token reply.
    with running(model, free_port(), 8192, ROOT) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def llama_page_url(gen_svc: Any, slow_llama: str) -> Iterator[str]:
    """The page over the module's index with llama.cpp's server as the model (named by it)."""
    from qa.app.service import QAService

    # A long reply (3000 tokens, the prompt cut to the 1.1k left): time to press Stop.
    settings = gen_svc.settings.replace(
        llm_url=slow_llama, llm_model="", llm_max_context=4096, llm_max_reply=3000,
        llm_timeout=60.0,
    )  # fmt: skip
    service = QAService(settings, embedder=gen_svc.embedder)
    service.ensure_index()
    yield from _serve_page(service)


@pytest.fixture
def llama_pg(llama_page_url: str, browser: Any) -> Iterator[Any]:
    yield from _open(browser, llama_page_url)


@pytest.fixture
def pg(llm_page_url: str, browser: Any) -> Iterator[Any]:
    yield from _open(browser, llm_page_url)


def _open(chromium: Any, url: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    page.locator("#qa-question textarea").wait_for()
    try:
        yield page
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _ask(page: Any, question: str) -> None:
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")


def test_answer_streams_in_and_stop_keeps_what_came(
    pg: Any, llm: llm_server.ScriptedServer
) -> None:
    full = llm_server.GOOD * 8
    llm.script.text, llm.script.chunk_delay = full, 0.12
    _ask(pg, FIVE_PHASES)
    streaming = pg.locator("#qa-chat .qa-streaming").last
    streaming.wait_for()
    pg.locator("#qa-side .qa-card").first.wait_for()  # the cards while the text streams
    first = streaming.inner_text()
    time.sleep(0.8)
    later = streaming.inner_text()
    assert len(later) > len(first), (first, later)
    assert "engine: " in pg.locator("#qa-chat .qa-written").last.inner_text()
    pg.locator("#qa-stop").click()
    done = pg.locator("#qa-chat .qa-written-text").last
    done.wait_for(timeout=10_000)
    text = done.inner_text()
    assert "stopped" in text and len(text) < len(full)
    shot(pg, "written-answer-stopped")
    assert pg.locator("#qa-chat .qa-streaming").count() == 0
    bubble = pg.locator("#qa-chat .qa-written").last.inner_text()
    assert f"engine: {llm_server.MODEL}" in bubble
    deadline = time.monotonic() + 10
    while not llm.client_left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert llm.client_left(), "the model kept streaming after Stop"


def test_finished_answer_has_checked_citations_and_the_switch_picks_the_engine(
    pg: Any, llm: llm_server.ScriptedServer
) -> None:
    llm.script.text = llm_server.OUT_OF_RANGE
    _ask(pg, FIVE_PHASES)
    done = pg.locator("#qa-chat .qa-written-text").last
    done.wait_for()
    bubble = pg.locator("#qa-chat .qa-written").last
    assert bubble.locator(".qa-cite").count() >= 1
    assert "removed citation [9]" in bubble.inner_text()
    assert "[9]" not in done.inner_text()
    shot(pg, "written-answer")
    asked = len(llm.requests)
    pg.locator("#qa-use-model input").uncheck()
    _ask(pg, "诸城作风建设年活动的第三个阶段是什么")
    pg.locator("#qa-chat .qa-answer").nth(1).wait_for()
    last = pg.locator("#qa-chat .qa-answer").last.inner_text()
    assert "engine: extractive" in last and len(llm.requests) == asked


def _generating(llama_url: str) -> bool:
    """Whether llama.cpp's server is still writing a reply (its ``/slots``)."""
    base = llama_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{base}/slots", timeout=5) as r:
        return any(slot.get("is_processing") for slot in json.load(r))


def test_llama_cpp_answer_streams_in_and_stop_stops_it(llama_pg: Any, slow_llama: str) -> None:
    pg = llama_pg
    _ask(pg, FIVE_PHASES)
    pg.locator("#qa-side .qa-card").first.wait_for()
    streaming = pg.locator("#qa-chat .qa-streaming").last
    streaming.wait_for()  # at once, with only the cursor
    # The first words, once the server has read the prompt (some 3k byte tokens).
    deadline = time.monotonic() + 60
    while len(streaming.inner_text()) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    sizes = [len(streaming.inner_text())]
    for _ in range(3):
        time.sleep(0.4)
        sizes.append(len(streaming.inner_text()))
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0], sizes  # it grows while streaming
    assert _generating(slow_llama), "the reply ended before Stop could be pressed"
    # Streaming, the page names the model the server lists (read as the run starts).
    assert f"engine: {SLOW_MODEL}" in pg.locator("#qa-chat .qa-written").last.inner_text()
    pg.locator("#qa-stop").click()
    done = pg.locator("#qa-chat .qa-written-text").last
    done.wait_for(timeout=15_000)
    assert pg.locator("#qa-chat .qa-streaming").count() == 0
    text = done.inner_text()
    assert "stopped" in text and len(text) >= sizes[-1] - 2, (text, sizes)
    time.sleep(1.0)
    assert done.inner_text() == text  # it stopped growing
    bubble = pg.locator("#qa-chat .qa-written").last.inner_text()
    assert f"engine: {SLOW_MODEL}" in bubble  # the name the server lists
    deadline = time.monotonic() + 10
    while _generating(slow_llama) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _generating(slow_llama), "llama.cpp kept writing after Stop"
    shot(pg, "written-answer-llamacpp-stopped")
