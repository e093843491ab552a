"""A real llama.cpp server for the tests: a tiny random-weights model, written at test time.

:func:`write_tiny_gguf` writes a llama-architecture GGUF of about 0.5 MB with the ``gguf``
package: two layers, 64 dimensions, a byte-level vocabulary (three control tokens and the 256
bytes), random weights. Its text is gibberish; the tests check the real path (streaming,
``/v1/models``, time to the first token, a prompt over the context, a stream cut short), not
the content. Nothing is downloaded.

``python -m tests.tiny_llama MODEL PORT N_CTX`` serves it with ``xllamacpp`` (llama.cpp's own
OpenAI-compatible server, in a wheel) on 127.0.0.1 and prints ``READY <url>``; the tests run it
in a subprocess so that they can kill it (:func:`running` starts one). A wider, deeper model
(``n_embd=512, n_layer=4``, about 43 MB, still written in under a second) writes some 120
tokens a second on one thread: slow enough for the browser test to press Stop.
:class:`CutProxy` forwards to it and closes the connection after a few bytes of the reply:
the server gone mid-stream.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def write_tiny_gguf(path: Path, *, n_embd: int = 64, n_layer: int = 2, seed: int = 0) -> Path:
    """Write the tiny random model to ``path`` and return it."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(seed)
    n_head, n_ff = 2, 2 * n_embd
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    kinds = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    kinds += [gguf.TokenType.BYTE] * 256
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-random")
    w.add_context_length(4096)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * len(tokens))
    w.add_token_types(kinds)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_chat_template(
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}<|assistant|>"
    )

    def tensor(name: str, *shape: int) -> None:
        w.add_tensor(name, (rng.standard_normal(shape) * 0.5).astype(np.float32))

    vocab = len(tokens)
    tensor("token_embd.weight", vocab, n_embd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    tensor("output.weight", vocab, n_embd)
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            tensor(f"blk.{i}.{name}.weight", n_embd, n_embd)
        tensor(f"blk.{i}.ffn_gate.weight", n_ff, n_embd)
        tensor(f"blk.{i}.ffn_up.weight", n_ff, n_embd)
        tensor(f"blk.{i}.ffn_down.weight", n_embd, n_ff)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


class CutProxy:
    """A TCP proxy to ``port`` that closes each connection after ``limit`` bytes of reply."""

    def __init__(self, port: int, limit: int = 1500) -> None:
        self.target, self.limit = port, limit
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.cut = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target))

        def forward() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=forward, daemon=True).start()
        sent = 0
        try:
            while sent < self.limit and (data := upstream.recv(256)):
                client.sendall(data[: self.limit - sent])
                sent += len(data)
        except OSError:
            pass
        if sent >= self.limit:
            self.cut.set()
        for s in (client, upstream):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def running(model: Path, port: int, n_ctx: int, root: Path) -> Iterator[tuple[str, float, Any]]:
    """Serve ``model`` in a subprocess; yield its base URL (``.../v1``), load time and process.

    The server runs beside the model (it names the model by the path it was given), with
    ``root`` on its ``PYTHONPATH``; it is stopped on leaving.
    """
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.tiny_llama", model.name, str(port), str(n_ctx)],
        cwd=model.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY "), f"the server did not start: {line!r}"
        _, url, load_s = line.split()
        yield url + "/v1", float(load_s), proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def serve(model: str, port: int, n_ctx: int) -> Any:
    """Start xllamacpp's server on 127.0.0.1 (returns the server; it serves while kept)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.sampling.ignore_eos = True  # a random model may pick EOS at once
    params.sampling.seed = 1
    return xllamacpp.Server(params)


if __name__ == "__main__":
    t0 = time.perf_counter()
    server = serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
    print(f"READY {server.listening_address} {time.perf_counter() - t0:.3f}", flush=True)
    threading.Event().wait()
