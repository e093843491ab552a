"""The command line: JSON contract of `qa search`, info, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qa.app.cli import build_parser

from .conftest import FIVE_PHASES


def run_qa(*args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: int = 300):
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def test_parser_knows_the_commands():
    parser = build_parser()
    args = parser.parse_args(["--seeds", "/s", "search", "-k", "3", "--jsonl", "a", "b"])
    assert args.command == "search" and args.k == 3 and args.jsonl and args.question == ["a", "b"]
    assert str(args.seeds) == "/s"
    args = parser.parse_args(["build", "--force", "--index", "/i"])
    assert args.force and str(args.index) == "/i"


def test_missing_seeds_is_one_line_error(tmp_path):
    res = run_qa(
        "build", env={"QA_SEEDS_DIR": str(tmp_path / "nope"), "QA_INDEX_DIR": str(tmp_path / "ix")}
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().startswith("error: seeds folder") and "does not exist" in res.stderr


def test_unknown_model_is_one_line_error(tmp_path):
    res = run_qa(
        "--model",
        "no-such-org/no-such-model",
        "search",
        "x",
        env={"QA_INDEX_DIR": str(tmp_path / "ix")},
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "no-such-org/no-such-model" in res.stderr and "could not be loaded" in res.stderr


def test_bad_setting_is_one_line_error():
    res = run_qa("info", env={"QA_PORT": "eighty"})
    assert res.returncode == 2 and "QA_PORT" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.slow
def test_search_jsonl_contract(real_service, real_settings):
    env = {
        "QA_SEEDS_DIR": str(real_settings.seeds_dir),
        "QA_INDEX_DIR": str(real_settings.index_dir),
    }
    res = run_qa(
        "search",
        "--jsonl",
        "-k",
        "4",
        env=env,
        stdin=f"{FIVE_PHASES}\n\nwhat are the five phases in Zhucheng\n",
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "诸城" in res.stdout  # UTF-8, not \u escapes
    docs = real_service.index.documents
    for line, question in zip(
        lines, [FIVE_PHASES, "what are the five phases in Zhucheng"], strict=True
    ):
        row = json.loads(line)
        assert row["question"] == question
        assert len(row["passages"]) == 4
        scores = [p["score"] for p in row["passages"]]
        assert scores == sorted(scores, reverse=True)
        for p in row["passages"]:
            assert set(p) == {"doc", "title", "text", "start", "end", "page", "score"}
            assert p["page"] is None  # .txt seeds have no pages
            assert docs[p["doc"]].text[p["start"] : p["end"]] == p["text"]
            assert p["title"] == docs[p["doc"]].title
        assert "宣传发动" in row["passages"][0]["text"]


@pytest.mark.slow
def test_info_and_ask(real_service, real_settings):
    env = {
        "QA_SEEDS_DIR": str(real_settings.seeds_dir),
        "QA_INDEX_DIR": str(real_settings.index_dir),
    }
    res = run_qa("info", env=env)
    assert res.returncode == 0, res.stderr
    assert "use-multilingual" in res.stdout and "stale:      no" in res.stdout
    assert "documents:  5" in res.stdout
    res = run_qa("ask", FIVE_PHASES, env=env)
    assert res.returncode == 0, res.stderr
    assert "[1]" in res.stdout and "searched for:" in res.stdout


def test_noisy_library_logs_stay_quiet_after_the_library_resets_its_level(caplog):
    import logging

    from qa.app.cli import NOISY_LOGGERS, configure_logging

    configure_logging(logging.INFO)
    configure_logging(logging.INFO)  # twice, as in-process callers do: one filter each
    caplog.set_level(logging.DEBUG)
    bm25s = logging.getLogger("bm25s")
    bm25s.setLevel(logging.DEBUG)  # what `import bm25s` does, after the CLI set things up
    bm25s.debug("Building index from tokens")
    logging.getLogger("faiss.loader").info("Could not load library with AVX512 support")
    bm25s.warning("a real problem")
    logging.getLogger("qa.store.build").info("index built")
    messages = [r.getMessage() for r in caplog.records]
    assert "Building index from tokens" not in messages
    assert not any("AVX512" in m for m in messages)
    assert "a real problem" in messages and "index built" in messages
    assert all(len(logging.getLogger(n).filters) == 1 for n in NOISY_LOGGERS)
    configure_logging(logging.WARNING, libraries=logging.DEBUG)  # leave the loggers open again


@pytest.mark.slow
def test_ask_jsonl_answers_each_line_with_one_index_load(real_service, real_settings):
    env = {
        "QA_SEEDS_DIR": str(real_settings.seeds_dir),
        "QA_INDEX_DIR": str(real_settings.index_dir),
    }
    followup = json.dumps(
        {"question": "那第三个阶段具体做什么?", "history": [FIVE_PHASES]}, ensure_ascii=False
    )
    stdin = f"{FIVE_PHASES}\n\n{followup}\n{{not json\n"
    res = run_qa("ask", "--jsonl", "-k", "3", env=env, stdin=stdin)
    assert res.returncode == 1, res.stderr  # the bad line is reported, the others answered
    rows = [json.loads(line) for line in res.stdout.strip().splitlines()]
    assert len(rows) == 3 and "error" in rows[2] and "Traceback" not in res.stderr
    first, second = rows[0], rows[1]
    assert first["question"] == FIVE_PHASES and first["found"]
    assert first["answer"]["lead"] == "今年活动主要分五个阶段。"
    assert [i["text"] for i in first["answer"]["items"]][0] == "一是宣传发动、统一思想阶段。"
    assert len(first["passages"]) >= 3
    # The follow-up is answered with its history: the third phase and its details.
    texts = [s["text"] for s in second["answer"]["sentences"]]
    assert texts[0] == "三是督查整改、推动落实阶段。" and not second["answer"]["items"]
    assert any("5月下旬-12月底" in t for t in texts)
    for row in (first, second):
        shown = {p["n"]: p["text"] for p in row["passages"]}
        for part in row["answer"]["items"] + row["answer"]["sentences"]:
            assert all(part["text"] in shown[n] for n in part["citations"])
