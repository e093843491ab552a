"""What the written-answer path adds outside the model, against the local scripted server.

Per question of the evaluation set (tests/eval/questions.jsonl; the seeds, the hash stand-in
embedder, since the embedder is not on this path): the prompt (:func:`qa.generate.build_messages`)
and the citation check (:func:`qa.citations.check_citations`) in ms, and the time to the first
token and to the end through :class:`qa.generate.WrittenRun` against the same stream read by a
bare ``openai`` client (what the path adds to each).

    python -m bench.llm [--first-token-delay 0.1] [--repeat 3]

No real model is involved: the server (tests/llm_server.py) replays a fixed cited reply.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.synth import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
#: A reply of the size a model gives (about 260 characters, six cited sentences).
REPLY = (
    "诸城作风建设年活动分为五个阶段[1]。第一阶段是宣传发动，统一思想[1]。第二阶段是寻标对标、"
    "公开承诺[1][2]。第三阶段是督查整改、推动落实[2]。第四阶段是观摩评比[2]。第五阶段是总结考核、"
    "巩固提高，对深化作风建设年活动作出安排部署[2][3]。各级党组织每月围绕作风建设进行一次集体学习[2]。"
) * 2


def _questions(limit: int) -> list[str]:
    path = ROOT / "tests" / "eval" / "questions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [str(r["question"]) for r in rows][:limit]


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench and print one table (ms)."""
    parser = argparse.ArgumentParser(prog="bench.llm", description=__doc__.splitlines()[0])
    parser.add_argument("--first-token-delay", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args(argv)

    import openai

    from qa.answer.generate import build_messages
    from qa.app.service import QAService
    from qa.settings import load_settings
    from tests import llm_server

    server = llm_server.start()
    server.script = llm_server.Script(text=REPLY, delay=args.first_token_delay, pieces=3)
    work = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    settings = load_settings(
        env={},
        seeds_dir=ROOT / "seeds",
        index_dir=work / "index",
        embed_model="hash:bench",
        llm_url=server.url,
        llm_model=llm_server.MODEL,
    )
    service = QAService(settings, embedder=HashEmbedder("hash:bench", 64))
    service.ensure_index()
    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0)
    prompt_ms, check_ms, path_ms = [], [], []
    ttft_raw, ttft_run, total_raw, total_run = [], [], [], []
    questions = _questions(args.questions)
    for _ in range(args.repeat):
        for question in questions:
            run = service.written_run(question)
            answer = run.answer
            if not answer.found:
                continue
            t0 = time.perf_counter()
            build_messages(question, answer.passages, answer.documents)
            prompt_ms.append((time.perf_counter() - t0) * 1000)
            result = run.run()
            assert result.checked is not None, result.notice
            check_ms.append(result.timings["check_s"] * 1000)
            path_ms.append((result.timings["prompt_s"] + result.timings["check_s"]) * 1000)
            ttft_run.append((result.first_token_s or 0.0) * 1000)
            total_run.append(result.total_s * 1000)
            # The same request through a bare client: the model's own share.
            messages = build_messages(question, answer.passages, answer.documents)
            t0 = time.perf_counter()
            first = None
            stream = client.chat.completions.create(
                model=llm_server.MODEL, messages=messages, stream=True  # type: ignore[arg-type]
            )
            for chunk in stream:
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter() - t0
            total_raw.append((time.perf_counter() - t0) * 1000)
            ttft_raw.append((first or 0.0) * 1000)
    server.shutdown()
    n = len(path_ms)
    print(f"answers: {n} ({len(questions)} questions x {args.repeat}); reply {len(REPLY)} chars")
    print("| ms per answer | p50 | p95 | max |")
    print("|---|---|---|---|")
    rows = {
        "prompt (build_messages)": prompt_ms,
        "citation check": check_ms,
        "prompt + check (the path's own work)": path_ms,
        "first token, bare client": ttft_raw,
        "first token, through WrittenRun": ttft_run,
        "whole reply, bare client": total_raw,
        "whole reply, through WrittenRun": total_run,
    }
    for name, values in rows.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {_pct(values, 0.95):.2f} "
            f"| {max(values):.2f} |"
        )
    extra_first = [a - b for a, b in zip(ttft_run, ttft_raw, strict=True)]
    extra_total = [a - b for a, b in zip(total_run, total_raw, strict=True)]
    print(
        f"added to the first token: median {statistics.median(extra_first):+.2f} ms; "
        f"added to the whole reply: median {statistics.median(extra_total):+.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
