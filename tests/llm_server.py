"""A scripted OpenAI-compatible server on 127.0.0.1, for the written-answer tests.

It implements ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed as server-sent
events, or plain JSON) and answers with whatever :class:`Script` the test set. Requests are
recorded, so a test can read the prompt it sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qa.settings import load_settings

MODEL = "scripted-model"

#: Replies of the scripted cases, for the seeds' five-phases question.
GOOD = "诸城作风建设年活动分为五个阶段[1]。第一阶段是宣传发动[1]。"
OUT_OF_RANGE = "诸城作风建设年活动分为五个阶段[1]。另有一个阶段[9]。"
NO_CITATIONS = "诸城作风建设年活动分为五个阶段。"
WRONG_LANGUAGE = "The campaign in Zhucheng has five phases [1]."
UNSUPPORTED = "诸城作风建设年活动分为五个阶段[1]。火星上有水[2]。"


@dataclass
class Script:
    """What the server answers next.

    Attributes:
        text: The reply.
        status: HTTP status (200, or an error such as 500).
        delay: Seconds before the first byte of the reply.
        chunk_delay: Seconds between streamed pieces.
        malformed: Send a stream whose events are not JSON.
        pieces: Characters per streamed piece.
    """

    text: str = GOOD
    status: int = 200
    delay: float = 0.0
    chunk_delay: float = 0.0
    malformed: bool = False
    pieces: int = 2


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = Script()
        self.requests: list[dict[str, Any]] = []
        self.closed_early = threading.Event()

    def client_left(self) -> bool:
        """True once a client closed a stream before its end (the page's Stop)."""
        return self.closed_early.is_set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "tests"}
            ]})  # fmt: skip
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(body)
        script = self.server.script
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
            return
        time.sleep(script.delay)
        if script.status != 200:
            self._json(script.status, {"error": {"message": "scripted failure", "type": "x"}})
            return
        if not body.get("stream"):
            self._json(200, {
                "id": "c1", "object": "chat.completion", "created": 0, "model": MODEL,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": script.text}}],
            })  # fmt: skip
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            if script.malformed:
                self.wfile.write(b'data: {"choices": [{"delta": {"content": "\xe8\xaf\xb8\n\n')
                self.wfile.write(b"data: this is not json\n\n")
                self.wfile.flush()
                return
            text = script.text
            for i in range(0, len(text), script.pieces):
                event = {
                    "id": "c1", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
                    "choices": [{"index": 0, "delta": {"content": text[i : i + script.pieces]},
                                 "finish_reason": None}],
                }  # fmt: skip
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
                if script.chunk_delay:
                    time.sleep(script.chunk_delay)
            done = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}  # fmt: skip
            self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.server.closed_early.set()
        self.close_connection = True


def start() -> ScriptedServer:
    """Start a scripted server in a daemon thread; call ``shutdown()`` when done."""
    server = ScriptedServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    srv = start()
    yield srv
    srv.shutdown()


@pytest.fixture
def llm(server: ScriptedServer) -> ScriptedServer:
    """The scripted server, its script reset to the good cited answer."""
    server.script = Script()
    server.requests.clear()
    server.closed_early.clear()
    return server


@pytest.fixture(scope="module")
def gen_svc(tmp_path_factory: pytest.TempPathFactory, server: ScriptedServer) -> Any:
    """Real seeds, fake embedder, the scripted model configured (time-out 1.5 s)."""
    from qa.app.service import QAService
    from tests.conftest import SEEDS, FakeEmbedder

    settings = load_settings(
        env={},
        seeds_dir=SEEDS,
        index_dir=tmp_path_factory.mktemp("gen") / "index",
        embed_model=FakeEmbedder.name,
        llm_url=server.url,
        llm_timeout=1.5,
    )
    service = QAService(settings, embedder=FakeEmbedder())
    service.ensure_index()
    return service


if __name__ == "__main__":  # for trying the page by hand: python -m tests.llm_server
    import sys

    srv = start()
    if len(sys.argv) > 1:
        srv.script.chunk_delay = float(sys.argv[1])
    print(srv.url, flush=True)
    threading.Event().wait()
