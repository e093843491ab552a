"""Load test of the page's ``/ask`` API: many clients at once, then again during rebuilds.

``python -m bench.load [--clients 50] [--questions 20] [--out docs/benchmarks.md]`` starts the
app in this process (the real model over the seeds, on a free localhost port), and has each
of ``--clients`` threads ask ``--questions`` questions through ``gradio_client``. The second
phase repeats this while the service rebuilds its index over and over (``rebuild(force=True)``,
the page's "rebuild" button), so answers must keep coming from the old index until the swap.
The figures replace the load section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.run import ROOT, SEED_QUESTIONS, _markdown_table, machine, percentile

BEGIN, END = "<!-- load test -->", "<!-- /load test -->"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client_run(url: str, questions: Sequence[str], out: list[tuple[float, str]]) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
        out.extend((float("nan"), f"connect: {type(exc).__name__}") for _ in questions)
        return
    for q in questions:
        t = time.perf_counter()
        try:
            reply = client.predict(q, 5, "hybrid", api_name="/ask")
            ok = isinstance(reply, dict) and bool(reply)
            out.append((time.perf_counter() - t, "" if ok else "empty reply"))
        except Exception as exc:  # noqa: BLE001
            out.append((time.perf_counter() - t, f"{type(exc).__name__}: {exc}"[:120]))


def run_phase(url: str, clients: int, per_client: int) -> dict[str, Any]:
    """All clients at once; latency percentiles in ms and the errors."""
    results: list[list[tuple[float, str]]] = [[] for _ in range(clients)]
    threads = []
    t0 = time.perf_counter()
    for i in range(clients):
        qs = [SEED_QUESTIONS[(i + j) % len(SEED_QUESTIONS)] for j in range(per_client)]
        th = threading.Thread(target=_client_run, args=(url, qs, results[i]), daemon=True)
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    flat = [r for rs in results for r in rs]
    lat = [s * 1000 for s, err in flat if not err and s == s]
    errors = [err for _, err in flat if err]
    return {
        "requests": len(flat),
        "ok": len(lat),
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:3],
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "max": max(lat) if lat else float("nan"),
        "wall": wall,
        "throughput": len(lat) / wall if wall else float("nan"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run both phases and write their table."""
    parser = argparse.ArgumentParser(prog="bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="questions per client")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: tmp)")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)

    import tempfile

    from qa.service import QAService
    from qa.settings import load_settings
    from qa.ui import build_app

    index_dir = args.index or Path(tempfile.mkdtemp(prefix="qa-load-")) / "index"
    settings = load_settings(env={}, seeds_dir=ROOT / "seeds", index_dir=index_dir)
    service = QAService(settings)
    service.ensure_index()
    port = free_port()
    demo = build_app(service)
    # Same queue settings as qa.ui.launch: one answer at a time per endpoint.
    demo.queue(default_concurrency_limit=1).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        ssr_mode=False,
    )
    url = f"http://127.0.0.1:{port}/"
    rows = []
    try:
        plain = run_phase(url, args.clients, args.questions)
        stop = threading.Event()
        rebuilds: list[float] = []

        def rebuild_loop() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                service.rebuild(force=True)
                rebuilds.append(time.perf_counter() - t)

        rb = threading.Thread(target=rebuild_loop, daemon=True)
        rb.start()
        time.sleep(0.5)  # the first rebuild is under way before the first question
        during = run_phase(url, args.clients, args.questions)
        stop.set()
        rb.join()
    finally:
        demo.close()
    for label, r in (("no rebuild", plain), (f"during {len(rebuilds)} forced rebuilds", during)):
        rows.append(
            [
                label,
                f"{args.clients} × {args.questions}",
                str(r["requests"]),
                str(r["errors"]),
                f"{r['p50']:.0f}",
                f"{r['p95']:.0f}",
                f"{r['max']:.0f}",
                f"{r['throughput']:.1f}",
            ]
        )
        if r["first_errors"]:
            print(f"{label}: errors such as {r['first_errors']}", file=sys.stderr)
    table = _markdown_table(
        "Load: 50 concurrent clients through the page's `/ask` API",
        ["phase", "clients × questions", "requests", "errors", "p50 ms", "p95 ms", "max ms",
         "answers/s"],
        rows,
        f"`python -m bench.load` on {time.strftime('%Y-%m-%d %H:%M %Z')}, {machine()}. The app "
        "(real model, seeds index) runs in the benchmark's process on a free localhost port "
        "with the page's queue settings (one answer at a time), and each client is a "
        "`gradio_client.Client` in its own thread; latency is the client's, queueing included. "
        "Rebuilds: " + (
            f"{len(rebuilds)} in the second phase, {sum(rebuilds) / len(rebuilds):.1f} s each."
            if rebuilds else "none finished."
        ),
    )
    print(table)
    section = f"{BEGIN}\n{table}{END}\n"
    text = args.out.read_text(encoding="utf-8") if args.out.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
