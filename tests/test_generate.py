"""Written answers against a scripted OpenAI-compatible server: prompt, streaming, checking,
fallbacks, and what the command line shows for each case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from qa.settings import load_settings
from tests import llm_server
from tests.conftest import FIVE_PHASES, ROOT

pytest.importorskip("openai")


def ask_cli(gen_svc: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any, *argv: str) -> str:
    """What ``qa ask --llm`` prints, run in-process over the module's service."""
    from qa.app import cli

    monkeypatch.setattr(cli, "_service", lambda settings: gen_svc)
    s = gen_svc.settings
    code = cli.main(
        ["ask", "--llm", "--llm-url", s.llm_url, "--seeds", str(s.seeds_dir),
         "--index", str(s.index_dir), *argv]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    return str(out.out)


# --------------------------------------------------------------------------- settings


def test_llm_settings_from_environment_and_the_key_never_shown() -> None:
    env = {
        "QA_LLM_URL": "http://127.0.0.1:11434/v1",
        "QA_LLM_MODEL": "qwen2.5:7b",
        "QA_LLM_API_KEY": "sk-secret-123",
        "QA_LLM_TIMEOUT": "12.5",
        "QA_LLM_MAX_CONTEXT": "8192",
    }
    s = load_settings(env=env)
    assert (s.llm_url, s.llm_model, s.llm_timeout, s.llm_max_context) == (
        "http://127.0.0.1:11434/v1", "qwen2.5:7b", 12.5, 8192,
    )  # fmt: skip
    assert s.llm_api_key == "sk-secret-123"
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s)
    assert load_settings(env={}).llm_url == ""
    with pytest.raises(ValueError, match="QA_LLM_TIMEOUT"):
        load_settings(env={"QA_LLM_TIMEOUT": "0"})


def test_the_reply_length_is_a_quarter_of_the_context_unless_set(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    from qa.answer.generate import WrittenRun, build_messages, estimate_tokens

    assert load_settings(env={"QA_LLM_MAX_REPLY": "3000"}).llm_max_reply == 3000
    with pytest.raises(ValueError, match="QA_LLM_MAX_REPLY"):
        load_settings(env={"QA_LLM_MAX_CONTEXT": "1024", "QA_LLM_MAX_REPLY": "1000"})
    answer = gen_svc.ask(FIVE_PHASES, k=10)
    sent = []
    for context, reply in ((4096, 0), (1024, 0), (4096, 3000)):
        settings = gen_svc.settings.replace(llm_max_context=context, llm_max_reply=reply)
        WrittenRun(settings, answer).run()
        sent.append(llm.requests[-1]["max_tokens"])
        messages = build_messages(
            FIVE_PHASES, answer.passages, answer.documents,
            max_context=context, max_reply=reply,
        )  # fmt: skip
        # The prompt leaves the reply its room.
        assert sum(estimate_tokens(m["content"]) for m in messages) + sent[-1] <= context
    assert sent == [768, 256, 3000]


def test_the_key_is_not_logged_when_the_model_fails(
    gen_svc: Any, llm: llm_server.ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    from qa.answer.generate import WrittenRun

    llm.script.status = 500
    settings = gen_svc.settings.replace(llm_api_key="sk-do-not-log-me")
    answer = gen_svc.ask(FIVE_PHASES)
    with caplog.at_level("DEBUG"):
        result = WrittenRun(settings, answer).run()
    assert result.notice and "sk-do-not-log-me" not in caplog.text + result.notice


# --------------------------------------------------------------------------- prompt


def test_prompt_numbers_passages_with_title_and_date_and_asks_for_the_language(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    from qa.answer.generate import Turn

    run = gen_svc.written_run(
        FIVE_PHASES, turns=[Turn("诸城作风建设年是什么", "是一项活动[1]。")]
    )
    run.run()
    messages = llm.requests[-1]["messages"]
    assert llm.requests[-1]["stream"] is True
    assert llm.requests[-1]["model"] == llm_server.MODEL  # from GET /v1/models
    assert "ONLY from the numbered passages" in messages[0]["content"]
    assert "简体中文" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "诸城作风建设年是什么"}
    assert messages[2]["role"] == "assistant"
    last = messages[-1]["content"]
    answer = run.answer
    doc = answer.documents[answer.passages[0].chunk.doc_id]
    assert f"[1] {doc.title} ({doc.date})" in last
    assert f"[{len(answer.passages)}] " in last
    assert last.rstrip().endswith("请用简体中文回答。 (Write the answer in Simplified Chinese.)")


def test_prompt_language_follows_the_question() -> None:
    from qa.answer.generate import build_messages

    assert "English" in build_messages("what are the five phases", [], {})[0]["content"]
    assert "繁體中文" in build_messages("泰興市委書記強調了什麼", [], {})[0]["content"]


def test_passages_are_cut_to_the_context_budget(gen_svc: Any) -> None:
    from qa.answer.generate import build_messages, estimate_tokens

    answer = gen_svc.ask(FIVE_PHASES, k=10)
    roomy = build_messages(FIVE_PHASES, answer.passages, answer.documents, max_context=32000)
    tight = build_messages(FIVE_PHASES, answer.passages, answer.documents, max_context=600)
    assert " ".join(answer.passages[0].chunk.text.split()) in roomy[-1]["content"]
    assert f"[{len(answer.passages)}]" in roomy[-1]["content"]
    total = sum(estimate_tokens(m["content"]) for m in tight)
    assert total <= 600 - 150  # room is left for the reply
    assert "[1] " in tight[-1]["content"]
    assert len(tight[-1]["content"]) < len(roomy[-1]["content"]) / 2


# --------------------------------------------------------------------------- scripted cases


def test_good_cited_answer_streams_and_is_checked(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    run = gen_svc.written_run(FIVE_PHASES)
    assert run.answer.passages  # the cards are there before the model is asked
    pieces = list(run)
    assert len(pieces) > 3 and "".join(pieces) == llm_server.GOOD
    result = run.result
    assert result.engine == llm_server.MODEL and result.written and not result.notice
    assert result.checked.cited == (1,) and not result.checked.flags
    assert not result.checked.warning and result.first_token_s is not None
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert f"engine: {llm_server.MODEL}" in out
    assert llm_server.GOOD in out
    assert "!" not in out.split("\n\n")[0]
    assert "searched for:" not in out  # no extractive answer needed


def test_out_of_range_citation_is_removed_and_flagged(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.text = llm_server.OUT_OF_RANGE
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert result.checked.removed == (9,)
    assert "[9]" not in result.checked.text and "另有一个阶段。" in result.checked.text
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "! 已删除不存在的引用 [9] / removed citation [9]: there is no passage 9" in out
    assert "另有一个阶段[9]" not in out


def test_sentence_its_passage_does_not_support_is_marked(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.text = llm_server.UNSUPPORTED
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert [(t.strip(), n) for t, n in result.checked.unsupported] == [("火星上有水[2]。", 2)]
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "! 段落 [2] 不支持这句话 / not supported by [2]: 火星上有水[2]。" in out


def test_no_citations_warns_and_shows_the_extractive_answer(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.text = llm_server.NO_CITATIONS
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert result.checked.warning and result.checked.cited == ()
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "This answer cites none of the passages" in out
    assert "searched for:" in out and "- " in out  # the extractive answer, under the warning


def test_slow_reply_times_out_and_falls_back(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.delay = 4.0  # the service waits 1.5 s, one retry
    t0 = time.perf_counter()
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert time.perf_counter() - t0 < 8
    assert result.engine == "extractive" and not result.written
    assert "no reply within 1.5 s" in result.notice and "秒内无回复" in result.notice
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "engine: extractive" in out and "no reply within 1.5 s" in out
    assert "searched for:" in out


def test_http_500_falls_back_with_its_code(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.status = 500
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert result.engine == "extractive" and "HTTP error 500" in result.notice
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "(语言模型未能回答（HTTP 500 错误）" in out and "searched for:" in out


def test_malformed_stream_falls_back(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.malformed = True
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert result.engine == "extractive" and "unreadable reply" in result.notice
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "engine: extractive" in out and "unreadable reply" in out


def test_answer_in_the_wrong_language_is_flagged(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    llm.script.text = llm_server.WRONG_LANGUAGE
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert "the answer is in English, the question in Simplified Chinese" in (
        result.checked.language_warning
    )
    # English sentence checked through the English→Chinese terms: phases→阶段, Zhucheng→诸城.
    assert result.checked.unsupported == []
    out = ask_cli(gen_svc, monkeypatch, capsys, FIVE_PHASES)
    assert "! 回答用的是英文，问题用的是简体中文" in out


def test_empty_reply_and_unreachable_endpoint_fall_back(
    gen_svc: Any, llm: llm_server.ScriptedServer
) -> None:
    from qa.answer.generate import WrittenRun

    llm.script.text = ""
    result = gen_svc.written_run(FIVE_PHASES).run()
    assert result.engine == "extractive" and "empty reply" in result.notice
    answer = gen_svc.ask(FIVE_PHASES)
    dead = gen_svc.settings.replace(llm_url="http://127.0.0.1:9/v1", llm_model="m")
    result = WrittenRun(dead, answer).run()
    assert "cannot reach http://127.0.0.1:9/v1" in result.notice


def test_plain_non_streamed_reply_is_read_by_the_scripted_server(
    llm: llm_server.ScriptedServer,
) -> None:
    import openai

    client = openai.OpenAI(base_url=llm.url, api_key="x")
    reply = client.chat.completions.create(
        model=llm_server.MODEL, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == llm_server.GOOD


def test_stop_keeps_the_text_so_far(gen_svc: Any, llm: llm_server.ScriptedServer) -> None:
    llm.script.chunk_delay = 0.2
    run = gen_svc.written_run(FIVE_PHASES)
    got = []
    for piece in run:
        got.append(piece)
        if len(got) == 2:
            run.stop()
    assert run.result.stopped and run.result.raw == "".join(got)
    assert len(run.result.raw) < len(llm_server.GOOD)


def test_jsonl_with_llm_carries_the_written_answer(
    gen_svc: Any, llm: llm_server.ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import io

    llm.script.text = llm_server.OUT_OF_RANGE
    monkeypatch.setattr(sys, "stdin", io.StringIO(FIVE_PHASES + "\n"))
    out = ask_cli(gen_svc, monkeypatch, capsys, "--jsonl")
    row = json.loads(out.splitlines()[0])
    assert row["written"]["engine"] == llm_server.MODEL
    assert row["written"]["removed_citations"] == [9]
    assert row["written"]["sentences"][0]["citations"] == [1]


def test_llm_flag_without_a_url_is_a_one_line_error(capsys: Any) -> None:
    from qa.app import cli

    os.environ.pop("QA_LLM_URL", None)
    assert cli.main(["ask", "--llm", "x"]) == 2
    assert "set QA_LLM_URL" in capsys.readouterr().err


# --------------------------------------------------------------------------- extractive path


@pytest.mark.slow
def test_the_extractive_path_never_imports_openai(real_service: Any, real_settings: Any) -> None:
    code = (
        "import sys\n"
        "from qa.app.cli import main\n"
        f"main(['ask', '--seeds', {str(real_settings.seeds_dir)!r}, "
        f"'--index', {str(real_settings.index_dir)!r}, {FIVE_PHASES!r}])\n"
        "print('OPENAI' if 'openai' in sys.modules else 'NO-OPENAI')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_LLM")}
    env["PYTHONPATH"] = str(ROOT)
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    assert "[1]" in res.stdout and res.stdout.rstrip().endswith("NO-OPENAI")
