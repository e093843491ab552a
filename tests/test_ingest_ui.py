"""The page with QA_ALLOW_UPLOAD=1: a PDF dropped on it becomes answerable, with its page on the
card, and removing it takes it out again (headless Debian Chromium, the real model)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import docgen
from tests.browser import SCREENSHOTS, AppServer, launch_chromium, spawn_app, wait_ready

pytest.importorskip("pypdfium2")
pytest.importorskip("fpdf")

NEEDLE = (
    "青蛙博物馆开放说明",
    "紫藤镇的青蛙博物馆位于北街十八号，每周三闭馆，其余日子上午九点开门。",
    "馆内收藏了一百二十种青蛙的标本。",
)
QUESTION = "青蛙博物馆每周几闭馆"


@pytest.fixture(scope="module")
def upload_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The real page with uploads allowed, seeds and index in a temporary folder."""
    if not Path("/usr/bin/chromium").exists() or not docgen.NOTO_CJK.exists():
        pytest.skip("Debian's chromium and fonts-noto-cjk are needed (make test installs them)")
    os.environ["QA_ALLOW_UPLOAD"] = "1"
    try:
        server = spawn_app(tmp_path_factory.mktemp("upload-page"))
    finally:
        del os.environ["QA_ALLOW_UPLOAD"]
    try:
        yield wait_ready(server)
    finally:
        server.stop()


def _ask(pg: Any, question: str) -> Any:
    before = pg.locator("#qa-chat .qa-answer").count()
    box = pg.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    answer = pg.locator("#qa-chat .qa-answer").nth(before)
    answer.wait_for()
    return answer


@pytest.mark.browser
@pytest.mark.slow
def test_upload_then_remove_in_the_browser(upload_app: AppServer, tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    font = docgen.cjk_font("".join(NEEDLE), tmp_path / "fonts")
    pdf = tmp_path / "青蛙博物馆.pdf"
    docgen.write_pdf(list(NEEDLE), pdf, font)
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1200})  # type: ignore[attr-defined]
            pg.set_default_timeout(120_000)
            pg.goto(upload_app.url)
            pg.locator("#qa-question textarea").wait_for()
            pg.locator("#qa-upload input[type=file]").set_input_files(str(pdf))
            pg.locator("#qa-rebuild-msg .qa-added").wait_for()
            assert "青蛙博物馆.pdf" in pg.locator("#qa-rebuild-msg").inner_text()
            # Five seeds, the markup seed the page tests add, and the PDF.
            playwright_api.expect(pg.locator("#qa-status-table")).to_contain_text(
                re.compile(r"文档 / documents\s*7")
            )

            assert "每周三闭馆" in _ask(pg, QUESTION).inner_text()
            card = pg.locator("#qa-side .qa-card").first
            playwright_api.expect(card).to_contain_text("青蛙博物馆.pdf")
            assert "青蛙博物馆.pdf" in card.inner_text()
            assert "第 1 页 / p. 1" in card.inner_text()
            assert "每周三闭馆" in card.inner_text()
            SCREENSHOTS.mkdir(exist_ok=True)
            pg.screenshot(path=str(SCREENSHOTS / "upload.png"), full_page=True)

            pg.locator("#qa-remove-doc input").click()
            pg.locator("#qa-remove-doc input").fill("青蛙博物馆")
            pg.get_by_role("option", name="青蛙博物馆.pdf").click()
            pg.locator("#qa-remove").click()
            pg.locator("#qa-rebuild-msg .qa-removed").wait_for()

            answer = _ask(pg, QUESTION)
            assert "每周三闭馆" not in answer.inner_text()
            # The cards beside the chat are drawn after the answer.
            playwright_api.expect(pg.locator("#qa-side")).not_to_contain_text("青蛙博物馆.pdf")
            assert "青蛙博物馆.pdf" not in pg.locator("#qa-status-table").inner_text()
        finally:
            browser.close()  # type: ignore[attr-defined]
    seeds = Path(upload_app.log).parent / "seeds"
    assert not (seeds / "青蛙博物馆.pdf").exists()
    assert any(p.name.endswith("青蛙博物馆.pdf") for p in (seeds.parent / "seeds.trash").iterdir())
