"""The page with a model configured, in headless Chromium, against the scripted server: the
cards first, the answer streaming into the chat, Stop, the engine named, the switch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import llm_server
from tests.browser import SCREENSHOTS, free_port, launch_chromium
from tests.conftest import FIVE_PHASES

pytest.importorskip("openai")
pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def llm_page_url(gen_svc: Any) -> Iterator[str]:
    """The page over the module's service (scripted model configured), served in-process."""
    import sys

    from qa.app.ui import CSS, build_app, configure_serving, make_theme

    before = sys.getswitchinterval()
    demo = configure_serving(build_app(gen_svc), gen_svc.settings)
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
def chromium() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()  # type: ignore[attr-defined]


@pytest.fixture
def pg(llm_page_url: str, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(llm_page_url)
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
