"""Helpers for the browser tests: run the page in a subprocess and drive Debian's Chromium.

The app runs as ``python app.py`` (what ``make run`` does) on a free port, with its seeds and
index in a temporary folder, so the tests see exactly what a user sees.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = ROOT / "test-output"

#: An extra seed whose text holds markup that must show as text, and a sentence to find it by.
MARKUP_SEED_NAME = "900_markup.txt"
MARKUP_SEED = (
    "测试标记文档\n"
    "2024-01-01 来源:测试网\n"
    "这是一篇用于检验转义的测试文档，页面必须把<script>alert(1)</script>原样显示为文字。\n"
    "还有<b>bold</b>标签也必须原样显示。\n"
    "青蛙王子每天傍晚在紫藤池塘边唱歌，歌声传遍了整个村庄。\n"
)
MARKUP_QUESTION = "青蛙王子在紫藤池塘边做什么"

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AppServer:
    """A running page: its URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def feedback(self) -> Path:
        """The JSONL file the page's votes go to."""
        return self.log.parent / "feedback.jsonl"

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server process (and only it)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def make_seeds(dest: Path) -> Path:
    """Copy the real seeds to ``dest`` and add the markup seed."""
    shutil.copytree(ROOT / "seeds", dest)
    (dest / MARKUP_SEED_NAME).write_text(MARKUP_SEED, encoding="utf-8")
    return dest


def spawn_app(workdir: Path, examples: Sequence[str] = (), **env_extra: str) -> AppServer:
    """Start ``app.py`` on a free port with seeds and index under ``workdir``; don't wait.

    Votes go to ``workdir/feedback.jsonl`` (:attr:`AppServer.feedback`).

    Args:
        workdir: A private temporary folder.
        examples: Questions for an ``examples.txt`` beside the seeds (none: no such file, the
            page draws its examples from the documents).
        **env_extra: More environment variables for the app (``QA_STATUS_REFRESH_MS``...).

    Returns:
        The server, possibly still loading (see :func:`wait_ready`).
    """
    port = free_port()
    seeds = make_seeds(workdir / "seeds")
    if examples:
        (workdir / "examples.txt").write_text("\n".join(examples) + "\n", encoding="utf-8")
    env = dict(os.environ)
    env.update(
        QA_SEEDS_DIR=str(seeds),
        QA_INDEX_DIR=str(workdir / "index"),
        QA_PORT=str(port),
        QA_HOST="127.0.0.1",
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        QA_FEEDBACK_FILE=str(workdir / "feedback.jsonl"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    )
    env.update(env_extra)
    env.pop("QA_AUTH", None)
    env.pop("GRADIO_SERVER_PORT", None)
    log = workdir / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return AppServer(f"http://127.0.0.1:{port}", process, log)


def wait_ready(server: AppServer, timeout: float = 180.0) -> AppServer:
    """Wait until the page answers (the model load and index build take a while).

    Args:
        server: A spawned server.
        timeout: Seconds to wait.

    Returns:
        The same server, now serving.

    Raises:
        RuntimeError: The server exited or did not answer in time (with its log); it is
            stopped.
    """
    process = server.process
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def start_app(workdir: Path, timeout: float = 180.0) -> AppServer:
    """:func:`spawn_app` then :func:`wait_ready`."""
    return wait_ready(spawn_app(workdir), timeout)


def launch_chromium(playwright: object) -> object:
    """Debian's Chromium, headless, with nothing that phones home."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )


#: Measures, in the page, the WCAG contrast of every visible element that holds text of its
#: own under the given selectors: its computed colour against the background it is drawn on
#: (its own and its ancestors' background colours composited from the page's base up, each
#: scaled by its ancestors' opacity). Returns ``[{kind, text, color, background, ratio}]``.
CONTRAST_JS = """
(groups) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) { return null; }
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) =>
    [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const lum = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) { chain.push(e); }
    let bg = [255, 255, 255, 1];
    for (const e of chain.reverse()) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { bg = over(c, bg); }
    }
    return bg;
  };
  const out = [];
  for (const [kind, selector] of groups) {
    for (const root of document.querySelectorAll(selector)) {
      for (const el of [root, ...root.querySelectorAll('*')]) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        // gradio's own progress overlay (fading in and out) is not the page's text
        if (!own || el.closest('[data-testid="status-tracker"]')) { continue; }
        const r = el.getBoundingClientRect();
        const st = getComputedStyle(el);
        if (!r.width || !r.height || st.visibility === 'hidden') { continue; }
        let alpha = 1;
        for (let e = el; e; e = e.parentElement) { alpha *= Number(getComputedStyle(e).opacity); }
        const bg = background(el);
        const c = parse(st.color);
        const fg = over([c[0], c[1], c[2], c[3] * alpha], bg);
        out.push({kind, text: el.textContent.trim().slice(0, 40),
                  cls: String(el.className || el.tagName).split(' ')[0], color: st.color,
                  background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')',
                  ratio: Math.round(ratio(fg, bg) * 100) / 100});
      }
    }
  }
  return out;
}
"""
