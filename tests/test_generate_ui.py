"""The page's written answers, without a browser: the streaming callback, the bubble's HTML,
the ``/ask`` API's ``engine``, and the controls shown only when a model is configured."""

from __future__ import annotations

from typing import Any

import pytest

from tests import llm_server
from tests.conftest import FIVE_PHASES

pytest.importorskip("openai")


def _stream(gen_svc: Any, use_model: bool = True) -> list[tuple[Any, ...]]:
    import copy

    from qa.app.ui.callbacks import Page

    # Each step as gradio would send it then (the callback updates one chat list in place).
    steps = Page(gen_svc).respond_stream(FIVE_PHASES, [], [], 5, "hybrid", use_model, [])
    return [copy.deepcopy(step) for step in steps]


def test_cards_come_first_then_the_reply_streams_then_the_checked_answer(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    llm.script.chunk_delay = 0.06
    steps = _stream(gen_svc)
    chat, history, cards, *_rest, turns = steps[0]
    assert cards["found"] and cards["cards"]  # the cards at once, before any text
    assert "qa-streaming" in chat[-1]["content"] and history == []
    streamed = [s[0][-1]["content"] for s in steps[1:-1]]
    assert len(streamed) >= 3 and all("qa-streaming" in c for c in streamed)
    chat, history, _cards, *_rest, turns = steps[-1]
    final = chat[-1]["content"]
    assert "qa-streaming" not in final
    assert f"engine: {llm_server.MODEL}" in final
    assert '<span title="[1] ' in final and 'class="qa-cite">[1]</span>' in final
    assert "searched for" not in final  # no extractive answer under a well-cited one
    assert history == [FIVE_PHASES] and turns[-1]["q"] == FIVE_PHASES
    assert turns[-1]["a"].startswith("诸城作风建设年活动分为五个阶段[1]")


def test_follow_up_sends_the_earlier_turn_to_the_model(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    from qa.app.ui.callbacks import Page

    page = Page(gen_svc)
    *_, last = page.respond_stream(FIVE_PHASES, [], [], 5, "hybrid", True, [])
    chat, history, _c, _q, _d, turns = last
    list(page.respond_stream("第三个阶段呢", chat, history, 5, "hybrid", True, turns))
    messages = llm.requests[-1]["messages"]
    assert messages[1] == {"role": "user", "content": FIVE_PHASES}
    assert messages[2]["content"].startswith("诸城作风建设年活动分为五个阶段[1]")


@pytest.mark.parametrize(
    ("script", "shown"),
    [
        ({"text": llm_server.OUT_OF_RANGE}, "removed citation [9]: there is no passage 9"),
        ({"text": llm_server.UNSUPPORTED}, "not supported by [2]"),
        ({"text": llm_server.NO_CITATIONS}, "This answer cites none of the passages"),
        ({"text": llm_server.WRONG_LANGUAGE}, "the answer is in English"),
        ({"status": 500}, "HTTP error 500"),
        ({"malformed": True}, "unreadable reply"),
        ({"delay": 4.0}, "no reply within 1.5 s"),
    ],
)
def test_each_scripted_case_shows_in_the_chat(
    gen_svc: Any, llm: llm_server.ScriptedServer, script: dict[str, Any], shown: str
) -> None:
    for key, value in script.items():
        setattr(llm.script, key, value)
    chat = _stream(gen_svc)[-1][0]
    final = chat[-1]["content"]
    assert shown in final
    fallback = "status" in script or "malformed" in script or "delay" in script
    if fallback or script.get("text") == llm_server.NO_CITATIONS:
        assert "engine: extractive" in final or "cites none" in final
        assert 'class="qa-extractive"' in final and "searched for" in final
    if "[9]" in str(script.get("text")):
        assert "另有一个阶段[9]" not in final


def test_switch_off_gives_the_extractive_answer_and_says_so(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    steps = _stream(gen_svc, use_model=False)
    assert len(steps) == 1 and not llm.requests
    final = steps[0][0][-1]["content"]
    assert "engine: extractive" in final and "searched for" in final


def test_document_text_from_the_model_is_escaped(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    llm.script.text = "诸城作风建设年<script>alert(1)</script>分为五个阶段[1]。"
    final = _stream(gen_svc)[-1][0][-1]["content"]
    assert "<script>" not in final and "&lt;script&gt;" in final


def test_api_engine_llm_returns_the_checked_written_answer(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    import gradio as gr

    from qa.app.ui.callbacks import Page

    llm.script.text = llm_server.OUT_OF_RANGE
    page = Page(gen_svc)
    result = page.api_ask(FIVE_PHASES, 5, "hybrid", "llm")
    written = result["written"]
    assert written["engine"] == llm_server.MODEL
    assert written["removed_citations"] == [9] and "[9]" not in written["text"]
    assert written["sentences"][0]["citations"] == [1]
    assert result["passages"] and result["answer"]["items"] or result["answer"]["sentences"]
    plain = page.api_ask(FIVE_PHASES, 5, "hybrid")
    assert "written" not in plain  # the default stays extractive and unchanged
    with pytest.raises(gr.Error, match="engine must be extractive or llm"):
        page.api_ask(FIVE_PHASES, 5, "hybrid", "gpt")


def test_api_engine_llm_without_a_model_is_refused(svc: Any) -> None:
    import gradio as gr

    from qa.app.ui.callbacks import Page

    with pytest.raises(gr.Error, match="no language model is configured"):
        Page(svc).api_ask(FIVE_PHASES, 5, "hybrid", "llm")


def test_model_controls_only_when_a_model_is_configured(svc: Any, gen_svc: Any) -> None:
    from qa.app.ui import build_app

    def ids(demo: Any) -> set[str]:
        return {getattr(b, "elem_id", None) for b in demo.blocks.values()} - {None}

    assert not {"qa-stop", "qa-use-model"} & ids(build_app(svc))
    assert {"qa-stop", "qa-use-model"} <= ids(build_app(gen_svc))


def test_served_api_takes_the_engine_when_a_model_is_configured(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    import sys

    from gradio_client import Client

    from qa.app.ui import build_app, configure_serving
    from tests.browser import free_port

    before = sys.getswitchinterval()
    demo = configure_serving(build_app(gen_svc), gen_svc.settings)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        written = client.predict(FIVE_PHASES, 5, "hybrid", "llm", api_name="/ask")
        plain = client.predict(FIVE_PHASES, 5, "hybrid", api_name="/ask")  # engine's default
    finally:
        demo.close()
        sys.setswitchinterval(before)
    assert written["written"]["engine"] == llm_server.MODEL
    assert written["written"]["text"] == llm_server.GOOD
    assert "written" not in plain and plain["passages"]
