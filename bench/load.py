"""Load test of the page's ``/ask`` API: many clients at once, then again during rebuilds.

``python -m bench.load [--clients 50] [--questions 20] [--concurrency 1,4] [--rounds N]
[--no-rebuilds] [--out FILE]`` starts the app in this process (the real model over the seeds, on
a free localhost port), and has each of ``--clients`` threads of a second process ask
``--questions`` questions through ``gradio_client``. The queue is the page's own
(:func:`qa.app.ui.configure_serving`), answering ``--concurrency`` questions at once (default: the
``ask_concurrency`` setting, ``QA_ASK_CONCURRENCY``); several limits are measured in turn, on a
fresh page each (the model is loaded once). The second phase repeats this while the service
rebuilds its index over and over (``rebuild(force=True)``, the page's "rebuild" button), so
answers must keep coming from the old index until the swap.
The figures replace the load section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.run import ROOT, SEED_QUESTIONS, _markdown_table, load_average, machine, percentile

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


def _cpu_seconds() -> float:
    """CPU time of this process so far (all its threads), user and system."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_phase_apart(url: str, clients: int, per_client: int) -> dict[str, Any]:
    """:func:`run_phase` in a process of its own.

    The clients' threads (HTTP, JSON, gradio_client's own event handling) would otherwise
    share the app's interpreter lock, and the figures would measure them as much as the page.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_phase, url, clients, per_client).result()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the phases for every limit asked for and write their table."""
    parser = argparse.ArgumentParser(prog="bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="questions per client")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: tmp)")
    parser.add_argument(
        "--concurrency", default=None,
        help="questions answered at once, or several limits to compare, e.g. 1,4 "
        "(default: the QA_ASK_CONCURRENCY setting)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="repeat the phases, the limits taking turns (a shared machine drifts)",
    )
    parser.add_argument("--no-rebuilds", action="store_true", help="skip the rebuild phase")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)

    import tempfile

    from qa.app.service import QAService
    from qa.app.ui import build_app, configure_serving
    from qa.settings import load_settings

    index_dir = args.index or Path(tempfile.mkdtemp(prefix="qa-load-")) / "index"
    settings = load_settings(
        # Only the concurrency comes from the environment: the seeds and index are the bench's.
        env={"QA_ASK_CONCURRENCY": os.environ.get("QA_ASK_CONCURRENCY", "")},
        seeds_dir=ROOT / "seeds",
        index_dir=index_dir,
    )
    limits = (
        [int(x) for x in args.concurrency.split(",") if x.strip()]
        if args.concurrency else [settings.ask_concurrency]
    )
    base = QAService(settings)
    base.ensure_index()

    def measure(limit: int, rebuild: bool) -> tuple[dict[str, Any], list[float]]:
        """One phase on a fresh page with this limit (the model is shared, not reloaded)."""
        service = QAService(settings.replace(ask_concurrency=limit), embedder=base.embedder)
        service.ensure_index()
        port = free_port()
        # The page's own queue settings (qa.app.ui.launch uses the same function).
        demo = configure_serving(build_app(service), service.settings)
        demo.launch(
            server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
            ssr_mode=False,
        )
        stop = threading.Event()
        rebuilds: list[float] = []

        def rebuild_loop() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                service.rebuild(force=True)
                rebuilds.append(time.perf_counter() - t)

        rb = threading.Thread(target=rebuild_loop, daemon=True)
        try:
            if rebuild:
                rb.start()
                time.sleep(0.5)  # the first rebuild is under way before the first question
            cpu = _cpu_seconds()
            result = run_phase_apart(f"http://127.0.0.1:{port}/", args.clients, args.questions)
            # The app's CPU per answer (rebuilds included in that phase): on 2 cores with the
            # clients beside it, this bounds the throughput whatever the limit.
            result["cpu_ms"] = (_cpu_seconds() - cpu) * 1000 / max(result["ok"], 1)
        finally:
            stop.set()
            if rebuild:
                rb.join()
            demo.close()
        return result, rebuilds

    rows = []
    rebuild_times: list[float] = []
    phases = [False] if args.no_rebuilds else [False, True]
    for round_ in range(1, args.rounds + 1):
        for rebuild in phases:
            for limit in limits:
                r, rebuilds = measure(limit, rebuild)
                rebuild_times += rebuilds
                label = f"during {len(rebuilds)} forced rebuilds" if rebuild else "no rebuild"
                print(f"# round {round_}, {label}, {limit} at a time: p50 {r['p50']:.0f} ms, "
                      f"p95 {r['p95']:.0f} ms, {r['throughput']:.1f}/s, {r['errors']} errors, "
                      f"app CPU {r['cpu_ms']:.0f} ms/answer "
                      f"(load average {load_average()})", file=sys.stderr, flush=True)
                rows.append(
                    [
                        label,
                        str(limit),
                        f"{args.clients} × {args.questions}",
                        str(r["requests"]),
                        str(r["errors"]),
                        f"{r['p50']:.0f}",
                        f"{r['p95']:.0f}",
                        f"{r['max']:.0f}",
                        f"{r['throughput']:.1f}",
                        f"{r['cpu_ms']:.0f}",
                    ]
                )
                if r["first_errors"]:
                    print(f"{label}: errors such as {r['first_errors']}", file=sys.stderr)
    table = _markdown_table(
        "Load: 50 concurrent clients through the page's `/ask` API",
        ["phase", "answered at once", "clients × questions", "requests", "errors", "p50 ms",
         "p95 ms", "max ms", "answers/s", "app CPU ms/answer"],
        rows,
        f"`python -m bench.load` on {time.strftime('%Y-%m-%d %H:%M %Z')}, {machine()}. The app "
        "(real model, seeds index) runs in the benchmark's process on a free localhost port "
        "with the page's queue settings (`qa.app.ui.configure_serving`; the limit is "
        "`QA_ASK_CONCURRENCY`), and each client is a `gradio_client.Client` in its own thread "
        "of a second process (not the app's: they would share its interpreter lock); latency "
        "is the client's, queueing included. "
        + (f"{args.rounds} rounds, the limits taking turns. " if args.rounds > 1 else "")
        + (
            f"Rebuilds: {len(rebuild_times)}, {statistics.median(rebuild_times):.1f} s each "
            "(median), back to back."
            if rebuild_times else ""
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
