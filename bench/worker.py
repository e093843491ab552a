"""One measurement per process, so that peak RSS belongs to that measurement alone.

``python -m bench.worker build|serve SEEDS INDEX [--real] [--questions FILE]`` prints one JSON
object on its last line of stdout. ``--real`` uses the default sentence-transformers model;
without it the :class:`bench.synth.HashEmbedder` stands in, under the default model's name and
dimension, so that an index it built can be served by the real model.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.synth import HashEmbedder
from qa.settings import DEFAULT_MODEL, load_settings


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    Linux's ``VmHWM`` is read first: ``getrusage``'s ``ru_maxrss`` keeps the peak of the
    address space before ``exec``, so a worker started by a big benchmark process would
    report at least that process's size. ``ru_maxrss`` is the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    """Size of the files under a folder, in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _embedder(real: bool) -> Any:
    if real:
        from qa.embed import load_embedder

        return load_embedder(DEFAULT_MODEL)
    return HashEmbedder(DEFAULT_MODEL, 384)


def build(seeds: Path, index: Path, real: bool) -> dict[str, Any]:
    """Build an index from scratch; time it with and without the encoding."""
    from qa.index import build_index

    settings = load_settings(env={}, seeds_dir=seeds, index_dir=index)
    embedder = _embedder(real)
    rss_before = peak_rss_mb()
    encode = {"seconds": 0.0}
    inner = embedder.encode_passages

    def timed(texts, batch_size=32, progress=None):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = inner(texts, batch_size=batch_size, progress=progress)
        encode["seconds"] += time.perf_counter() - t
        return out

    embedder.encode_passages = timed
    t0 = time.perf_counter()
    report = build_index(settings, embedder, force=True)
    seconds = time.perf_counter() - t0
    assert report.path is not None
    manifest = json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))
    return {
        "chunks": report.chunks,
        "documents": report.documents,
        "seconds": seconds,
        "encode_seconds": encode["seconds"],
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_build_mb": rss_before,
        "disk_mb": dir_mb(report.path),
        "dense": manifest.get("dense", {}).get("type", "flat"),
    }


def serve(seeds: Path, index: Path, real: bool, questions: list[str]) -> dict[str, Any]:
    """Load the service over a built index and ask every question once; time each answer."""
    from qa.service import QAService

    settings = load_settings(env={}, seeds_dir=seeds, index_dir=index)
    t0 = time.perf_counter()
    service = QAService(settings, embedder=_embedder(real))
    service.index  # noqa: B018 - loads the model and the index
    load_seconds = time.perf_counter() - t0
    for q in questions[:3]:  # warm-up: first calls pay for lazy imports and allocations
        service.ask(q)
    latencies = []
    found = 0
    for q in questions:
        t = time.perf_counter()
        answer = service.ask(q)
        latencies.append(time.perf_counter() - t)
        found += bool(answer.found and answer.passages)
    return {
        "chunks": len(service.index.chunks),
        "load_seconds": load_seconds,
        "latencies_ms": [round(x * 1000, 3) for x in latencies],
        "found": found,
        "peak_rss_mb": peak_rss_mb(),
        "dense": service.index.manifest.get("dense", {}).get("type", "flat"),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one measurement and print its JSON result."""
    parser = argparse.ArgumentParser(prog="bench.worker")
    parser.add_argument("task", choices=["build", "serve"])
    parser.add_argument("seeds", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--real", action="store_true")
    parser.add_argument("--questions", type=Path)
    args = parser.parse_args(argv)
    if args.task == "build":
        result = build(args.seeds, args.index, args.real)
    else:
        qs = json.loads(args.questions.read_text(encoding="utf-8")) if args.questions else []
        result = serve(args.seeds, args.index, args.real, qs)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
