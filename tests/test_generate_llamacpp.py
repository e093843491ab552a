"""Written answers against a real llama.cpp server (xllamacpp) serving a tiny random model
written at test time: the real path, not the content (the model's text is gibberish)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import free_port
from tests.conftest import FIVE_PHASES, ROOT

pytest.importorskip("openai")
pytest.importorskip("xllamacpp")
pytest.importorskip("gguf")

N_CTX = 4096
MODEL_FILE = "tiny.gguf"


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The tiny model served by llama.cpp's server in a subprocess on 127.0.0.1."""
    from tests.tiny_llama import running, write_tiny_gguf

    folder = tmp_path_factory.mktemp("llama")
    t0 = time.perf_counter()
    model = write_tiny_gguf(folder / MODEL_FILE)
    written = time.perf_counter() - t0
    port = free_port()
    with running(model, port, N_CTX, ROOT) as (url, load_s, proc):
        yield {
            "url": url, "port": port, "proc": proc, "size": model.stat().st_size,
            "written_s": written, "load_s": load_s,
        }  # fmt: skip


@pytest.fixture(scope="module")
def llama_svc(gen_svc: Any, llama: dict[str, Any]) -> Any:
    """The module's index, with the real server as the model (its name read from /v1/models)."""
    from qa.app.service import QAService

    settings = gen_svc.settings.replace(
        llm_url=llama["url"], llm_model="", llm_max_context=1024, llm_timeout=20.0
    )
    service = QAService(settings, embedder=gen_svc.embedder)
    service.ensure_index()
    return service


def test_the_tiny_model_is_small_and_loads_fast(llama: dict[str, Any]) -> None:
    assert 300_000 < llama["size"] < 700_000
    assert llama["load_s"] < 1.0 and llama["written_s"] < 5.0


def test_real_server_streams_an_answer_named_after_its_model(
    llama_svc: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    run = llama_svc.written_run(FIVE_PHASES)
    pieces = list(run)
    result = run.result
    assert result.engine == MODEL_FILE  # from the server's /v1/models
    assert len(pieces) > 10 and result.raw == "".join(pieces)
    assert result.first_token_s is not None and result.first_token_s < 5.0
    assert result.first_token_s < result.total_s
    checked = result.checked
    assert checked is not None
    # Gibberish cites nothing real: either it cites nothing (warning) or what it cites is checked.
    assert bool(checked.warning) == (checked.cited == ())

    from tests.test_generate import ask_cli

    out = ask_cli(llama_svc, monkeypatch, capsys, FIVE_PHASES)
    assert f"engine: {MODEL_FILE}" in out


def test_prompt_over_the_context_is_an_http_400_and_falls_back(
    llama_svc: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from qa.answer.generate import WrittenRun

    # Told the context is 32k, the prompt is cut for that; the server has 4k: HTTP 400.
    big = llama_svc.settings.replace(llm_max_context=32000)
    answer = llama_svc.ask(FIVE_PHASES, k=10)
    result = WrittenRun(big, answer).run()
    assert result.engine == "extractive" and "HTTP error 400" in result.notice


def test_server_gone_mid_stream_falls_back_and_says_so(
    llama_svc: Any, llama: dict[str, Any]
) -> None:
    from qa.answer.generate import WrittenRun
    from tests.tiny_llama import CutProxy

    proxy = CutProxy(llama["port"], limit=2500)
    try:
        settings = llama_svc.settings.replace(llm_url=proxy.url, llm_model=MODEL_FILE)
        run = WrittenRun(settings, llama_svc.ask(FIVE_PHASES))
        pieces = list(run)
    finally:
        proxy.close()
    assert proxy.cut.is_set() and pieces  # some text came, then the connection broke
    assert run.result.engine == "extractive"
    assert "broke mid-reply" in run.result.notice and "中途连接中断" in run.result.notice


def test_server_killed_is_unreachable(llama_svc: Any, llama: dict[str, Any]) -> None:
    llama["proc"].kill()
    llama["proc"].wait(timeout=10)
    result = llama_svc.written_run(FIVE_PHASES).run()
    assert result.engine == "extractive"
    assert f"cannot reach {llama['url']}" in result.notice
