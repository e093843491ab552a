"""Start-up time of the page: process start to ``GET /`` answering 200, per source tree.

``python -m bench.startup --tree NAME=SRC:INDEX [--tree ...] [--runs 5] [--seeds DIR]`` starts
``python -m qa serve`` from each tree (``PYTHONPATH=SRC``, ``QA_INDEX_DIR=INDEX``, an index
already built there) on a free port, with ``QA_LLM_URL`` unset, polls ``GET /`` every 20 ms
and stops the server once it answers. The trees take turns (run 1 of each, then run 2, ...),
so that the load of a shared machine falls on all of them alike. Prints each run, then the
median and the spread (min to max) per tree.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_once(src: Path, index: Path, seeds: Path, timeout: float = 180.0) -> float:
    """Seconds from starting ``qa serve`` in ``src`` to its page answering 200."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        PYTHONPATH=str(src), QA_INDEX_DIR=str(index), QA_SEEDS_DIR=str(seeds),
        GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
    )  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=src, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"qa serve in {src} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.02)
        raise TimeoutError(f"qa serve in {src} did not answer in {timeout:g} s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", required=True, help="NAME=SRC:INDEX")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seeds", type=Path, default=Path(__file__).resolve().parents[1] / "seeds")
    args = ap.parse_args()
    trees: dict[str, tuple[Path, Path]] = {}
    for spec in args.tree:
        name, _, rest = spec.partition("=")
        src, _, index = rest.partition(":")
        trees[name] = (Path(src).resolve(), Path(index).resolve())
    times: dict[str, list[float]] = {name: [] for name in trees}
    for run in range(1, args.runs + 1):
        for name, (src, index) in trees.items():
            s = start_once(src, index, args.seeds.resolve())
            times[name].append(s)
            print(f"run {run} {name}: {s:.2f} s", flush=True)
    print(f"load average now: {os.getloadavg()[0]:.2f}")
    print("| tree | runs | median s | min s | max s |\n|---|---|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {len(ts)} | {med:.2f} | {min(ts):.2f} | {max(ts):.2f} |")


if __name__ == "__main__":
    main()
