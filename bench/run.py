"""Benchmarks of the build, keyword and dense search, answers, memory and cold start.

Run ``python -m bench.run`` (what ``make bench`` does) for the figures in docs/benchmarks.md,
or ``python -m bench.run --quick`` for a smoke run (small sizes, the hash stand-in embedder
everywhere, results written to a temporary folder unless ``--out`` is given).

Each measurement is a ratio taken in the same run (ours against a reference) or a figure
against a target; the tables say which. Corpora are made by :mod:`bench.synth` from the seeds'
sentences with a fixed random seed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import synth

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (300, 1_000)
#: Sizes at which the real model encodes every passage (slow: ~20 passages/s on 2 cores).
REAL_BUILD_MAX = 1_000
#: rank-bm25 needs the token lists again (jieba over the whole corpus), and scores in Python.
RANK_BM25_MAX = 10_000

#: Targets from the issue.
TARGET_BUILD_RATIO = 1.2
TARGET_KEYWORD_RATIO = 1.2
TARGET_P95_SEEDS_MS = 50.0
TARGET_P95_LARGE_MS = 150.0
TARGET_RSS_MB = 1536.0
TARGET_COLD_S = 10.0

SEED_QUESTIONS = (
    "诸城作风建设年活动分为哪五个阶段",
    "what are the five phases in Zhucheng",
    "泰興市委書記孫耀燦強調了什麼",
    "“三个年”行动是哪三个年",
    "常州党员自主学习材料",
    "三同四民主题实践",
    "教育实践活动整改",
    "解放思想对标对表提升年",
    "干部作风强化年",
    "作风建设",
)


@dataclass
class Report:
    """Tables and notes collected during a run."""

    quick: bool
    command: str
    tables: list[tuple[str, list[str], list[list[str]], str]] = field(default_factory=list)
    series: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, title: str, header: list[str], rows: list[list[str]], note: str = "") -> None:
        """Add a table and print it at once (a long run shows progress)."""
        self.tables.append((title, header, rows, note))
        print(_markdown_table(title, header, rows, note), flush=True)


def _markdown_table(title: str, header: list[str], rows: list[list[str]], note: str) -> str:
    lines = [f"### {title}", ""]
    if note:
        lines += [note, ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; nan for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def _fmt(x: float, digits: int = 1) -> str:
    return "n/a" if x != x else f"{x:,.{digits}f}"  # x != x: nan


def _verdict(value: float, target: float) -> str:
    if value != value:
        return "n/a"
    return "meets" if value <= target else "misses"


def median_ms(fn: Callable[[Any], Any], items: Sequence[Any], repeat: int = 3) -> float:
    """Median over items of the median time of ``fn(item)`` over ``repeat`` calls, in ms."""
    per_item = []
    for item in items:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - t)
        per_item.append(statistics.median(times))
    return statistics.median(per_item) * 1000


def machine() -> str:
    """nproc, CPU model and memory of this machine, one line."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs (nproc), {model}{mem}, Python {platform.python_version()}"


def load_average() -> str:
    """The 1-minute load average: other work on the machine slows every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"


def _worker(*args: str, timeout: int = 3600) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    res = subprocess.run(
        [sys.executable, "-m", "bench.worker", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(f"bench.worker {args[0]} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- build


def bench_build(
    rep: Report, work: Path, sizes: Sequence[int], real: bool, real_max: int = REAL_BUILD_MAX
) -> dict[int, Path]:
    """Build every size with the stand-in embedder (overhead, RSS, disk), and the real model
    where feasible (pipeline against raw ``SentenceTransformer.encode`` on the same texts)."""
    built: dict[int, Path] = {}
    rows, mem_rows = [], []
    real_rate = float("nan")
    real_rows = []
    if real:
        for n in [0, *[s for s in sizes if s <= real_max]]:
            real_rows.append(_real_build_ratio(work, n))
            real_rate = real_rows[-1]["raw_rate"]
    for n in sizes:
        seeds = work / f"seeds-{n}"
        synth.write_corpus(seeds, n)
        index = work / f"index-{n}"
        r = _worker("build", str(seeds), str(index))
        built[n] = index
        overhead = r["seconds"] - r["encode_seconds"]
        est = float("nan")
        if real_rate == real_rate:
            encode = r["chunks"] / real_rate
            est = (overhead + encode) / encode
        rows.append(
            [
                f"{r['chunks']:,}",
                _fmt(r["seconds"]),
                _fmt(overhead),
                _fmt(r["chunks"] / overhead, 0),
                _fmt(est, 3),
                _verdict(est, TARGET_BUILD_RATIO),
            ]
        )
        mem_rows.append([f"{r['chunks']:,}", _fmt(r["peak_rss_mb"], 0), _fmt(r["disk_mb"], 1)])
        rep.series.setdefault("build overhead (s)", {}).setdefault("x", []).append(r["chunks"])
        rep.series["build overhead (s)"].setdefault("y", []).append(overhead)
    if real_rows:
        rep.table(
            "Build with the real model: pipeline against raw encoding (same texts, same run)",
            [
                "chunks",
                "pipeline s",
                "raw encode s",
                "pipeline chunks/s",
                "raw chunks/s",
                "ratio",
                "target ≤ 1.2",
            ],
            [
                [
                    f"{x['chunks']:,}" + (" (seeds)" if x["n"] == 0 else ""),
                    _fmt(x["pipeline_s"]),
                    _fmt(x["raw_s"]),
                    _fmt(x["chunks"] / x["pipeline_s"]),
                    _fmt(x["raw_rate"]),
                    _fmt(x["ratio"], 3),
                    _verdict(x["ratio"], TARGET_BUILD_RATIO),
                ]
                for x in real_rows
            ],
            "`build_index` (read, clean, chunk, encode, tokenise, BM25, FAISS, write, checksums) "
            "against `SentenceTransformer.encode(texts, batch_size=32)` on the texts the "
            "pipeline encodes (mean of one run before and one after the pipeline's). The real "
            "model is used up to "
            f"{real_max:,} chunks only (`--real-max`): it encodes ~20 passages/s on 2 cores, "
            "so 10k chunks take ~7 minutes for each of the two encodings, and 100k well over "
            "an hour.",
        )
    rep.table(
        "Build overhead without the model, at every size",
        [
            "chunks",
            "build s",
            "non-embedding s",
            "non-embedding chunks/s",
            "est. ratio vs encoding",
            "target ≤ 1.2",
        ],
        rows,
        "The hash stand-in embedder (bench/synth.py, ~20 µs a passage) replaces the model, so "
        "the time is the pipeline's own: reading, cleaning, chunking, jieba, BM25, FAISS, "
        "writing and checksums. The estimated ratio adds the raw encoding time the real model "
        "would need at the rate measured above: (overhead + N / rate) / (N / rate)"
        + (" — n/a in quick mode (no real model)." if not real else "."),
    )
    rep.table(
        "Build memory and index size",
        ["chunks", "build peak RSS MiB", "index on disk MiB"],
        mem_rows,
        "Each build runs in its own process; peak RSS is Linux's VmHWM (/proc/self/status): "
        "`getrusage`'s ru_maxrss carries the parent's peak across fork+exec, which made a "
        "worker started by the (model-holding) benchmark report the benchmark's own size.",
    )
    return built


def _real_build_ratio(work: Path, n: int) -> dict[str, Any]:
    from qa.chunk import chunk_documents
    from qa.corpus import load_corpus
    from qa.embed import load_embedder
    from qa.index import build_index, index_text
    from qa.settings import DEFAULT_MODEL, load_settings

    if n == 0:
        seeds = synth.SEEDS
    else:
        seeds = work / f"seeds-{n}"
        synth.write_corpus(seeds, n)
    embedder = load_embedder(DEFAULT_MODEL)
    texts: list[str] = []
    inner = embedder.encode_passages

    def recording(batch, batch_size=32, progress=None):  # type: ignore[no-untyped-def]
        texts.extend(batch)
        return inner(batch, batch_size=batch_size, progress=progress)

    embedder.encode_passages = recording  # type: ignore[method-assign]
    embedder.encode_queries(["预热 warm-up"])  # first call pays for lazy initialisation
    settings = load_settings(
        env={}, seeds_dir=seeds, index_dir=work / f"index-real-{n}", embed_model=DEFAULT_MODEL
    )
    # The texts the pipeline will encode, made the way build_index makes them.
    docs = load_corpus(seeds).documents
    by_id = {d.doc_id: d for d in docs}
    chunks = chunk_documents(
        docs,
        min_chars=settings.chunk_min_chars,
        max_chars=settings.chunk_max_chars,
        overlap=settings.chunk_overlap_sentences,
    )
    expected = [index_text(by_id[c.doc_id], c) for c in chunks]
    model = embedder._model  # type: ignore[attr-defined]

    def raw_encode(batch: list[str]) -> float:
        t = time.perf_counter()
        model.encode(batch, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return time.perf_counter() - t

    # Raw, pipeline, raw: the load of a shared machine drifts, so the pipeline is compared
    # with the mean of the raw encodings before and after it.
    raw1 = raw_encode(expected)
    t = time.perf_counter()
    report = build_index(settings, embedder, force=True)
    pipeline = time.perf_counter() - t
    raw2 = raw_encode(texts if sorted(texts) != sorted(expected) else expected)
    raw = (raw1 + raw2) / 2
    return {
        "n": n,
        "chunks": report.chunks,
        "pipeline_s": pipeline,
        "raw_s": raw,
        "raw_rate": len(texts) / raw,
        "ratio": pipeline / raw,
    }


# ----------------------------------------------------------------------------- keyword


def _keyword_reference(index: Any, query: Any) -> np.ndarray:
    """Weighted BM25 total through bm25s's public API: one ``get_scores`` call per term.

    What keyword_scores computed before it read bm25s's score matrix itself, and the result it
    must still give bit for bit.
    """
    total = np.zeros(len(index.chunks), dtype=np.float32)
    for term, weight in query.terms:
        total += weight * np.asarray(index.bm25.get_scores([term]), dtype=np.float32)
    return total


def bench_keyword(rep: Report, built: dict[int, Path], questions: list[str]) -> None:
    """qa.search.keyword_scores against bm25s ``get_scores`` and rank-bm25, same queries."""
    from qa.index import index_text, load_index
    from qa.search import keyword_scores, prepare_query
    from qa.textnorm import normalize

    rows = []
    for path in built.values():
        index = load_index(path, check=False)
        queries = []
        for q in questions:
            try:
                queries.append(prepare_query(q, index))
            except Exception:  # noqa: BLE001 - a question with nothing searchable is skipped
                continue
        token_lists = [[t for t, _ in q.terms] for q in queries]
        ours = median_ms(lambda q, ix=index: keyword_scores(ix, q), queries)
        per_term = median_ms(lambda q, ix=index: _keyword_reference(ix, q), queries)
        direct = median_ms(lambda toks, ix=index: ix.bm25.get_scores(toks), token_lists)
        rank = float("nan")
        if len(index.chunks) <= RANK_BM25_MAX:
            from rank_bm25 import BM25Okapi

            corpus = [
                index.tokenizer.tokens(normalize(index_text(index.documents[c.doc_id], c)))
                for c in index.chunks
            ]
            okapi = BM25Okapi(corpus)
            rank = median_ms(okapi.get_scores, token_lists[:20])
        ratio = ours / direct
        rows.append(
            [
                f"{len(index.chunks):,}",
                _fmt(ours, 3),
                _fmt(per_term, 3),
                _fmt(direct, 3),
                _fmt(rank, 2),
                _fmt(ratio, 2),
                _verdict(ratio, TARGET_KEYWORD_RATIO),
            ]
        )
        for name, value in (("ours", ours), ("bm25s", direct), ("rank-bm25", rank)):
            s = rep.series.setdefault(f"keyword {name} (ms)", {"x": [], "y": []})
            s["x"].append(len(index.chunks))
            s["y"].append(value)
    rep.table(
        "Keyword search: median ms per question",
        [
            "chunks",
            "ours (keyword_scores)",
            "get_scores per term (the old path)",
            "bm25s get_scores",
            "rank-bm25 get_scores",
            "ours / bm25s",
            "target ≤ 1.2",
        ],
        rows,
        f"{len(questions)} questions made of seed fragments; tokenising the question is left "
        "out (the same for all). `ours` is what search() calls: it returns the weighted total "
        "and every term's own scores (search() needs them for coverage, idf and the matched "
        "terms of each hit), adding the terms' postings from bm25s's score matrix with "
        "`np.add.at` (rare terms' postings in batches) and keeping each term's scores as its "
        "postings, not as a full array. "
        "bm25s gets the unweighted term list and returns one array. The old path, one "
        "`get_scores` call per term and a weighted sum of full arrays, gives the same totals "
        "bit for bit (`tests/test_bench.py`). "
        f"rank-bm25 is measured up to {RANK_BM25_MAX:,} chunks (first 20 questions): its "
        "scoring is a Python loop over the documents.",
    )


# ----------------------------------------------------------------------------- dense


def bench_dense(rep: Report, built: dict[int, Path], questions: list[str]) -> None:
    """Exact search (matmul, FAISS flat) against HNSW: latency and recall@10."""
    import faiss

    from qa.index import HNSW_EF_CONSTRUCTION, HNSW_M

    rows = []
    queries = synth.HashEmbedder(dim=384).encode_queries(questions)
    for _n, path in built.items():
        from qa.index import current_build

        build = current_build(path)
        assert build is not None
        emb = np.load(build / "embeddings.npy")
        flat = faiss.IndexFlatIP(emb.shape[1])
        flat.add(emb)
        _, truth = flat.search(queries, 10)
        mm = median_ms(emb.__matmul__, queries)
        fl = median_ms(lambda q, ix=flat: ix.search(q[None], 10), queries)
        hnsw = faiss.IndexHNSWFlat(emb.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        t = time.perf_counter()
        hnsw.add(emb)
        build_s = time.perf_counter() - t
        for ef in (64, 128, 256, 512):
            hnsw.hnsw.efSearch = ef
            lat = median_ms(lambda q, ix=hnsw: ix.search(q[None], 10), queries)
            _, got = hnsw.search(queries, 10)
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, got,
                                                                            strict=True)]))
            rows.append(
                [
                    f"{emb.shape[0]:,}",
                    _fmt(mm, 2),
                    _fmt(fl, 2),
                    f"M={HNSW_M}, efSearch={ef}",
                    _fmt(build_s, 1),
                    _fmt(lat, 3),
                    _fmt(recall, 3),
                ]
            )
            if ef == 256:
                for name, value in (("exact matmul", mm), ("HNSW ef=256", lat)):
                    s = rep.series.setdefault(f"dense {name} (ms)", {"x": [], "y": []})
                    s["x"].append(emb.shape[0])
                    s["y"].append(value)
    rep.table(
        "Dense search: exact against HNSW, median ms per question",
        [
            "chunks",
            "numpy matmul (dense_scores)",
            "FAISS flat top-10",
            "HNSW",
            "HNSW build s",
            "HNSW top-10 ms",
            "recall@10 vs flat",
        ],
        rows,
        "Vectors are the hash stand-in's (384 dimensions, like MiniLM), questions encoded the "
        "same way; recall@10 is the share of the exact top 10 that HNSW returns.",
    )


# ----------------------------------------------------------------------------- serving


def bench_serving(
    rep: Report, work: Path, built: dict[int, Path], questions: list[str], real: bool
) -> None:
    """service.ask latency, peak RSS and load time per size, each in its own process."""
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    seeds_q = work / "seed-questions.json"
    seeds_q.write_text(
        json.dumps(list(SEED_QUESTIONS) * 5, ensure_ascii=False), encoding="utf-8"
    )
    targets: list[tuple[str, Path, Path, Path]] = []
    seeds_index = work / "index-seeds"
    flag = ["--real"] if real else []
    _worker("build", str(synth.SEEDS), str(seeds_index), *flag)
    targets.append(("seeds", synth.SEEDS, seeds_index, seeds_q))
    for n, path in built.items():
        targets.append((str(n), work / f"seeds-{n}", path, qfile))
    rows, mem_rows = [], []
    for label, seeds, index, qs in targets:
        r = _worker("serve", str(seeds), str(index), *flag, "--questions", str(qs))
        lat = r["latencies_ms"]
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        target = TARGET_P95_SEEDS_MS if label == "seeds" else TARGET_P95_LARGE_MS
        name = f"{r['chunks']:,}" + (" (seeds)" if label == "seeds" else "")
        rows.append(
            [name, str(len(lat)), _fmt(p50), _fmt(p95), _fmt(max(lat)), f"≤ {target:.0f}",
             _verdict(p95, target)]
        )
        mem_rows.append(
            [name, r["dense"], _fmt(r["load_seconds"], 1), _fmt(r["peak_rss_mb"], 0),
             _verdict(r["peak_rss_mb"], TARGET_RSS_MB)]
        )
        s = rep.series.setdefault("ask p95 (ms)", {"x": [], "y": []})
        s["x"].append(r["chunks"])
        s["y"].append(p95)
    model = "the default model (all-MiniLM-L6-v2)" if real else "the hash stand-in (quick)"
    rep.table(
        "End to end: `service.ask` (question to answer with citations), ms",
        ["chunks", "questions", "p50", "p95", "max", "target p95", "verdict"],
        rows,
        f"Hybrid mode, questions encoded with {model}, after 3 warm-up questions. The seeds "
        "index is built with the same model; the synthetic indexes hold stand-in passage "
        "vectors under the model's name and dimension, so only the questions meet the model "
        "(search cost is the same: same sizes and dimension).",
    )
    rep.table(
        "Serving memory: peak RSS of a process that loads the model and the index and answers",
        ["chunks", "dense index", "load s", "peak RSS MiB", "target ≤ 1536 MiB"],
        mem_rows,
        "One process per size (bench/worker.py serve): the model, the index loaded with "
        "checksums, and the questions above; peak RSS is VmHWM, as for the builds.",
    )


def _refresh_index(label: str, seeds: Path, index: Path, real: bool) -> bool:
    """Rebuild an index an earlier run left, if the current code finds it stale.

    The manifest records a hash of the indexing code, so any change to it makes an old index
    stale, and a cold run would then time a rebuild instead of a load. The index is rebuilt
    here, untimed, the way the benchmark built it (the seeds with the real model, the
    synthetic corpora with the stand-in).

    Returns:
        True if it was rebuilt.
    """
    from qa.index import read_manifest, seed_hashes, stale_reasons
    from qa.settings import load_settings

    settings = load_settings(env={}, seeds_dir=seeds, index_dir=index)
    reasons = stale_reasons(read_manifest(index), settings, seed_hashes(seeds))
    if not reasons:
        return False
    print(f"# cold start, {label}: rebuilding the stale index first ({'; '.join(reasons)})",
          flush=True)
    _worker("build", str(seeds), str(index), *(["--real"] if real and label == "seeds" else []))
    return True


def _timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command; seconds until its first line of output, and until it exited.

    The child writes unbuffered, so its first line (``qa ask`` prints "searched for: …" with
    the answer) arrives when it is printed. Exiting takes another second or so after a 100k
    index: the interpreter's final garbage collections and module teardown (torch and
    transformers included), which no user waits for on the page.
    """
    # stderr to a file: a full pipe nobody reads until the end would stall the child.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        t = time.perf_counter()
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True,
                              env={**env, "PYTHONUNBUFFERED": "1"}, cwd=ROOT) as proc:
            assert proc.stdout is not None
            proc.stdout.readline()
            first = time.perf_counter() - t
            try:
                proc.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        total = time.perf_counter() - t
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"cold start failed: {err.read()[-2000:]}")
    return first, total


def bench_cold_start(
    rep: Report, work: Path, built: dict[int, Path], real: bool, runs: int = 3
) -> None:
    """Wall time from process start to the first answer printed, index on disk."""
    from qa.index import current_build

    rows = []
    targets = [("seeds", synth.SEEDS, work / "index-seeds")]
    if built:
        n = max(built)
        targets.append((f"{n:,}", work / f"seeds-{n}", built[n]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    refreshed = []
    for label, seeds, index in targets:
        if _refresh_index(label, seeds, index, real):
            refreshed.append(label)
        if real:
            cmd = [sys.executable, "-m", "qa", "--seeds", str(seeds), "--index", str(index),
                   "ask", SEED_QUESTIONS[0]]
        else:
            cmd = [sys.executable, "-m", "bench.worker", "serve", str(seeds), str(index)]
        build = current_build(index)
        answers, exits, loads = [], [], []
        for _ in range(runs if real else 1):
            loads.append(load_average())
            first, total = _timed_run(cmd, env)
            answers.append(first)
            exits.append(total)
            if current_build(index) != build:
                raise RuntimeError(f"the cold run of {label} rebuilt its index instead of "
                                   "loading it (did the indexing code change meanwhile?)")
        med = statistics.median(answers)
        rows.append([label, " ".join(Path(c).name if "/" in c else c for c in cmd[1:4]) + " …",
                     " / ".join(_fmt(x, 2) for x in answers), _fmt(med, 2),
                     _fmt(statistics.median(exits), 2), " / ".join(loads),
                     _verdict(med, TARGET_COLD_S)])
    rep.table(
        "Cold start: process start to first answer, s",
        ["index", "command", "first answer, runs s", "median s", "process exit, median s",
         "load average", "target ≤ 10 s"],
        rows,
        "`python -m qa ask` in a fresh process, run after run (imports, model load, index load "
        "with checksum verification, one answer), timed to the first line it prints (the "
        "answer) and to its exit (interpreter teardown); the verdict is on the median "
        "first answer. The index is loaded, never rebuilt: one the current code finds stale is "
        "rebuilt untimed first"
        + (f" (rebuilt this time: {', '.join(refreshed)})" if refreshed else "")
        + ", and a run that changed the active build fails the benchmark. The first run may "
        "read files from disk; the others find them in the page cache. The load average is "
        "the 1-minute one at the start of each run (2 cores: above 1, other work competed)."
        if real else
        "Quick mode: `bench.worker serve` with the stand-in embedder, no question (the time "
        "to its first line is the time to its result).",
    )


# ----------------------------------------------------------------------------- output


def plot(rep: Report, path: Path) -> None:
    """One panel per measured series against corpus size (log x; log y over a decade or more)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    groups = {
        "keyword search, ms/question": [k for k in rep.series if k.startswith("keyword")],
        "dense search, ms/question": [k for k in rep.series if k.startswith("dense")],
        "service.ask p95, ms": ["ask p95 (ms)"],
        "build without model, s": ["build overhead (s)"],
    }
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for ax, (title, keys) in zip(axes.flat, groups.items(), strict=True):
        for key in keys:
            s = rep.series.get(key)
            if not s:
                continue
            pts = [(x, y) for x, y in zip(s["x"], s["y"], strict=True) if y == y and y > 0]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, marker="o", label=key)
        ax.set_xscale("log")
        lo, hi = ax.dataLim.y0, ax.dataLim.y1
        if lo > 0 and hi / lo >= 10:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ScalarFormatter())  # 10.00, not 10^1
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:  # less than a decade: a log axis would show no labelled tick
            ax.set_ylim(bottom=0)
        ax.set_xlabel("chunks")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"qa benchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_markdown(rep: Report, path: Path, plot_name: str, seconds: float) -> None:
    """docs/benchmarks.md: how the figures were made, then every table."""
    head = [
        "# Benchmarks",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {machine()}",
        f"- command: `{rep.command}` (took {seconds / 60:.1f} min)",
        *[f"- {note}" for note in rep.notes],
        "- corpora: `bench/synth.py` writes seed files made of the seeds' own sentences, "
        "shuffled and recombined with a fixed random seed; sizes are chunks after chunking.",
        "- every ratio is taken in the same run; no test asserts a time "
        "(`tests/test_bench.py` runs `--quick` and checks the tables are produced).",
    ]
    if rep.quick:
        head.append("- **quick mode**: the hash stand-in embedder is used everywhere.")
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    # Hand-written findings and the load test's figures (bench/load.py) live in marked
    # sections of the same file; a new run keeps them.
    kept = {}
    for name in ("analysis", "load test"):
        begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        if begin in old and end in old:
            kept[name] = old[old.index(begin) : old.index(end) + len(end)] + "\n\n"
    body = [_markdown_table(*t) for t in rep.tables]
    text = (
        "\n".join(head)
        + "\n\n"
        + kept.get("analysis", "")
        + f"![benchmarks]({plot_name})\n\n"
        + "\n".join(body)
        + ("\n" + kept["load test"] if "load test" in kept else "")
    )
    path.write_text(text, encoding="utf-8")


def replace_tables(rep: Report, path: Path, seconds: float, load_start: str) -> None:
    """Put a partial run's tables in place of the same tables of an earlier full run."""
    text = path.read_text(encoding="utf-8")
    for title, header, rows, note in rep.tables:
        mark = f"### {title}\n"
        start = text.index(mark)
        ends = [i for i in (text.find("\n### ", start + 1), text.find("\n<!--", start + 1))
                if i >= 0]
        end = min(ends) + 1 if ends else len(text)
        text = text[:start] + _markdown_table(title, header, rows, note) + text[end:]
    line = (
        f"- re-measured {time.strftime('%Y-%m-%d %H:%M %Z')} with `{rep.command}` "
        f"({seconds / 60:.1f} min, load average {load_start} / {load_average()}): "
        + ", ".join(f"“{t[0].split(':')[0]}”" for t in rep.tables)
    )
    # After the list of facts at the top: before the findings or the plot, whichever is first.
    at = min(i for i in (text.find("\n\n<!-- analysis"), text.find("\n\n![")) if i >= 0)
    path.write_text(text[:at] + "\n" + line + text[at:], encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and write the tables and the plot."""
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, no real model")
    parser.add_argument("--sizes", default=None, help="comma-separated chunk counts")
    parser.add_argument("--out", type=Path, default=None, help="markdown file to write")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (kept)")
    parser.add_argument("--questions", type=int, default=None, help="questions per size")
    parser.add_argument(
        "--only",
        default=None,
        help="re-measure some phases (build,keyword,dense,serving,cold) on the corpora and "
        "indexes a previous run left in --work, and replace just their tables in --out",
    )
    parser.add_argument(
        "--real-max",
        type=int,
        default=REAL_BUILD_MAX,
        help="largest size built with the real model too (pipeline against raw encoding)",
    )
    args = parser.parse_args(argv)
    if args.only and not args.work:
        parser.error("--only needs the --work folder of a previous run")
    sizes = (
        [int(s) for s in args.sizes.split(",") if s.strip()]
        if args.sizes
        else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    )
    real = not args.quick
    n_questions = args.questions or (20 if args.quick else 50)
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = args.out or (work / "benchmarks.md" if args.quick else ROOT / "docs" / "benchmarks.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = (
        "python -m bench.run"
        + (" --quick" if args.quick else "")
        + (f" --sizes {args.sizes}" if args.sizes else "")
        + (f" --real-max {args.real_max}" if args.real_max != REAL_BUILD_MAX else "")
        + (f" --only {args.only} --work {work}" if args.only else "")
    )
    rep = Report(quick=args.quick, command=command)
    print(f"# {command}\n# {machine()}\n# work folder: {work}\n", flush=True)
    t0 = time.perf_counter()
    load_start = load_average()
    questions = synth.questions(n_questions)
    phases = set(args.only.split(",")) if args.only else {
        "build", "keyword", "dense", "serving", "cold"
    }
    try:
        if "build" in phases:
            built = bench_build(rep, work, sizes, real, args.real_max)
        else:
            built = {n: work / f"index-{n}" for n in sizes}
        if "keyword" in phases:
            bench_keyword(rep, built, questions)
        if "dense" in phases:
            bench_dense(rep, built, questions)
        if "serving" in phases:
            bench_serving(rep, work, built, questions, real)
        if "cold" in phases:
            bench_cold_start(rep, work, built, real)
    finally:
        if args.work is None and not args.quick:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - t0
    png = out.with_suffix(".png")
    # The plot's series are kept in the work folder, so a partial run re-plots them all.
    series_file = work / "series.json"
    if args.only and series_file.exists():
        rep.series = json.loads(series_file.read_text(encoding="utf-8")) | rep.series
    series_file.write_text(json.dumps(rep.series), encoding="utf-8")
    if args.only:
        replace_tables(rep, out, seconds, load_start)
        plot(rep, png)
        return 0
    rep.notes.append(
        f"1-minute load average at start / end: {load_start} / {load_average()} (other jobs "
        "shared the machine; absolute times are noisy, ratios taken in the same run less so)"
    )
    plot(rep, png)
    write_markdown(rep, out, png.name, seconds)
    print(f"wrote {out} and {png} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
