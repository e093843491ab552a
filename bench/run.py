"""Benchmarks of embedders, the build, keyword and dense search, answers, memory and cold start.

Run ``python -m bench.run`` (what ``make bench`` does) for the figures in docs/benchmarks.md,
or ``python -m bench.run --quick`` for a smoke run (small sizes, the hash stand-in embedder
everywhere, results written to a temporary folder unless ``--out`` is given).

``--model NAME`` benchmarks one embedder (default: the settings' default model);
``--compare A,B`` puts several side by side in one report, each entry a model name (measured
in this run) or the ``.json`` (or ``.md``) a previous run wrote next to its report. Per model:
embedding throughput, ``qa build`` time, ``service.ask`` p50/p95, cold start and serving RSS,
at the seeds and at every ``--sizes`` corpus.

Each measurement is a ratio taken in the same run (one model against another, ours against
a reference) or a figure against a target; the tables say which. Corpora are made by
:mod:`bench.synth` from the seeds' sentences with a fixed random seed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
DEFAULT_SIZES = (10_000, 100_000)
QUICK_SIZES = (300, 1_000)
#: A corpus is encoded with the real model when its passages take at most this long at the
#: model's measured rate; larger ones get stand-in passage vectors (``--encode-budget``).
ENCODE_BUDGET_S = 240.0
#: rank-bm25 needs the token lists again (jieba over the whole corpus), and scores in Python.
RANK_BM25_MAX = 10_000
#: Dimensions of the known models, for quick mode (which never loads a model).
KNOWN_DIMS = {"use-multilingual": 512, "e5-small": 384}
#: The embedder the default replaced, for ``--compare`` lists: ``minilm`` is accepted too.
MINILM = "st:sentence-transformers/all-MiniLM-L6-v2"

#: Targets from the issues.
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

Table = tuple[str, list[str], list[list[str]], str]


@dataclass
class Report:
    """Tables, per-model results and notes collected during a run."""

    quick: bool
    command: str
    #: Tables that do not depend on the embedder (keyword and dense search), by title.
    fixed: dict[str, Table] = field(default_factory=dict)
    #: Per-model results (see :func:`bench_model`), in the order of the report's columns.
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    series: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M %Z"))
    seconds: float = 0.0

    @property
    def tables(self) -> list[Table]:
        """Every table of the report, the models' first."""
        return [*model_tables(self), *self.fixed.values()]

    def table(self, title: str, header: list[str], rows: list[list[str]], note: str = "") -> None:
        """Add a model-independent table and print it at once (a long run shows progress)."""
        self.fixed[title] = (title, header, rows, note)
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


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None or x != x:  # x != x: nan
        return "n/a"
    return f"{x:,.{digits}f}"


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


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **extra}


def _worker(*args: str, timeout: int = 3600) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-m", "bench.worker", *args],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(f"bench.worker {args[0]} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- models


def canonical(model: str) -> str:
    """The canonical name of a model setting; ``minilm`` is the packaged MiniLM."""
    from qa.store.embed import model_name

    return model_name(model)


def short_name(model: str) -> str:
    """A column label: ``all-MiniLM-L6-v2`` for ``st:sentence-transformers/all-MiniLM-L6-v2``."""
    name = canonical(model)
    return name.split(":", 1)[1].rstrip("/").rsplit("/", 1)[-1] if name.startswith("st:") else name


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", canonical(model)).strip("-").lower()


def _build_threads(model: str, cores: int) -> int:
    """Threads the index build encodes passages on with this model (see qa.store.embed)."""
    from qa.store.embed import USE_THREADS, model_spec

    return USE_THREADS if model_spec(model).kind == "use" else cores


def qa_build(seeds: Path, index: Path, model: str) -> dict[str, Any]:
    """``python -m qa build --force`` into a fresh index folder, timed from start to exit."""
    from qa.store.folder import current_build, read_manifest

    shutil.rmtree(index, ignore_errors=True)
    env = _env(QA_SEEDS_DIR=str(seeds), QA_INDEX_DIR=str(index), QA_EMBED_MODEL=model)
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "qa", "build", "--force"], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=3600)
    seconds = time.perf_counter() - t
    if res.returncode != 0:
        raise RuntimeError(f"qa build ({model}, {seeds}) failed:\n{res.stderr[-3000:]}")
    manifest = read_manifest(index)
    build = current_build(index)
    from bench.worker import dir_mb

    return {
        "how": "real",
        "chunks": manifest.counts.chunks if manifest else 0,
        "seconds": seconds,
        "inner_seconds": manifest.build_seconds if manifest else float("nan"),
        "disk_mb": dir_mb(build) if build else float("nan"),
        "dense": manifest.dense.get("type", "flat") if manifest else "flat",
    }


def bench_model(
    work: Path,
    model: str,
    sizes: Sequence[int],
    quick: bool,
    budget: float,
    phases: set[str],
    qfiles: dict[str, Path],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every per-model measurement, each in its own process; the results as JSON-able data.

    Args:
        work: Scratch folder: the corpora ``seeds-N`` are shared, indexes go under a folder
            named after the model.
        model: Model setting.
        sizes: Corpus sizes (chunks) beside the seeds.
        quick: The stand-in embedder for everything, questions included.
        budget: Largest real encoding time of one corpus, in seconds at the measured rate.
        phases: Which of throughput, build, serving, cold to measure.
        qfiles: Question files by corpus label.
        previous: An earlier run's results for this model (``--only``), kept where not
            re-measured.
    """
    name = canonical(model)
    res: dict[str, Any] = dict(previous or {})
    res.update(model=name, label=short_name(model))
    mdir = work / _slug(model)
    mdir.mkdir(parents=True, exist_ok=True)
    labels = {"seeds": (synth.SEEDS, mdir / "index-seeds")}
    labels |= {str(n): (work / f"seeds-{n}", mdir / f"index-{n}") for n in sizes}
    quick_dim = KNOWN_DIMS.get(name, 384)
    if "throughput" in phases or "throughput" not in res:
        print(f"# {name}: embedding throughput", flush=True)
        if quick:
            res["throughput"] = _worker("throughput", "--model", model, "--stand-in",
                                        str(quick_dim), "--seconds", "0.2")
        else:
            res["throughput"] = _worker("throughput", "--model", model)
    tp = res["throughput"]
    dim, cores = int(tp["dim"]), int(tp["cores"])
    threads = _build_threads(model, cores)
    rate = tp["rates"].get(str(threads)) or max(r for r in tp["rates"].values() if r)
    res["build_threads"], res["build_rate"] = threads, rate
    stand_in = ["--stand-in", str(dim)]
    if "build" in phases:
        res["builds"] = {}
        for label, (seeds, index) in labels.items():
            chunks_guess = 66 if label == "seeds" else int(label)
            real = not quick and chunks_guess / rate <= budget
            print(f"# {name}: build {label} ({'real model' if real else 'stand-in'})",
                  flush=True)
            if real:
                r = qa_build(seeds, index, model)
            else:
                r = _worker("build", str(seeds), str(index), "--model", model, *stand_in)
                r["how"] = "stand-in"
                r["overhead_seconds"] = r["seconds"] - r["encode_seconds"]
            r["encode_estimate_s"] = r["chunks"] / rate
            res["builds"][label] = r
    flag = stand_in if quick else []
    if "serving" in phases:
        res["serve"] = {}
        for label, (seeds, index) in labels.items():
            print(f"# {name}: serve {label}", flush=True)
            r = _worker("serve", str(seeds), str(index), "--model", model, *flag,
                        "--questions", str(qfiles[label]))
            lat = r.pop("latencies_ms")
            r.update(p50=percentile(lat, 50), p95=percentile(lat, 95), max=max(lat),
                     questions=len(lat))
            res["serve"][label] = r
    if "cold" in phases:
        res["cold"] = {}
        for label, (seeds, index) in labels.items():
            print(f"# {name}: cold start {label}", flush=True)
            how = res.get("builds", {}).get(label, {}).get("how", "stand-in")
            res["cold"][label] = cold_start(seeds, index, model, quick, dim, how == "real")
    return res


def cold_start(
    seeds: Path, index: Path, model: str, quick: bool, dim: int, real_vectors: bool,
    runs: int = 3,
) -> dict[str, Any]:
    """Wall time from process start to the first answer printed, index on disk."""
    from qa.store.folder import current_build

    refreshed = _refresh_index(seeds, index, model, quick, dim, real_vectors)
    if quick:
        cmd = [sys.executable, "-m", "bench.worker", "serve", str(seeds), str(index),
               "--model", model, "--stand-in", str(dim)]
    else:
        cmd = [sys.executable, "-m", "qa", "--seeds", str(seeds), "--index", str(index),
               "--model", model, "ask", SEED_QUESTIONS[0]]
    build = current_build(index)
    answers, exits, loads = [], [], []
    for _ in range(1 if quick else runs):
        loads.append(load_average())
        first, total = _timed_run(cmd, _env())
        answers.append(first)
        exits.append(total)
        if current_build(index) != build:
            raise RuntimeError(f"the cold run of {index} rebuilt its index instead of loading "
                               "it (did the indexing code change meanwhile?)")
    return {"runs": answers, "median": statistics.median(answers),
            "exit_median": statistics.median(exits), "loads": loads, "refreshed": refreshed}


def _refresh_index(
    seeds: Path, index: Path, model: str, quick: bool, dim: int, real_vectors: bool
) -> bool:
    """Rebuild an index an earlier run left, if the current code finds it stale.

    The manifest records a hash of the indexing code, so any change to it makes an old index
    stale, and a cold run would then time a rebuild instead of a load. The index is rebuilt
    here, untimed, the way the benchmark built it.

    Returns:
        True if it was rebuilt.
    """
    from qa.settings import load_settings
    from qa.store.folder import read_manifest, seed_hashes, stale_reasons

    settings = load_settings(env={}, seeds_dir=seeds, index_dir=index, embed_model=model)
    reasons = stale_reasons(read_manifest(index), settings, seed_hashes(seeds))
    if not reasons:
        return False
    print(f"# cold start, {index}: rebuilding the stale index first ({'; '.join(reasons)})",
          flush=True)
    if real_vectors and not quick:
        qa_build(seeds, index, model)
    else:
        _worker("build", str(seeds), str(index), "--model", model, "--stand-in", str(dim))
    return True


# ----------------------------------------------------------------------------- model tables


def _corpora(rep: Report) -> list[str]:
    """Corpus labels measured for any model: the seeds first, then by size."""
    seen = {k for r in rep.models.values() for part in ("builds", "serve", "cold")
            for k in r.get(part, {})}
    return sorted(seen, key=lambda k: -1 if k == "seeds" else int(k))


def _chunks(rep: Report, label: str) -> str:
    for r in rep.models.values():
        for part in ("builds", "serve"):
            if label in r.get(part, {}):
                n = r[part][label]["chunks"]
                return f"{n:,}" + (" (seeds)" if label == "seeds" else "")
    return label


def _ratios(values: list[float | None], digits: int = 2) -> list[str]:
    """Each value after the first against the first, as ``0.12×``."""
    first = values[0]
    out = []
    for v in values[1:]:
        ok = first and v is not None and v == v and first == first
        out.append(f"{v / first:,.{digits}f}×" if ok else "n/a")  # type: ignore[operator]
    return out


def model_tables(rep: Report) -> list[Table]:
    """The per-model tables: one column per model, then each model against the first."""
    if not rep.models:
        return []
    runs = list(rep.models.values())
    names = [r["label"] for r in runs]
    vs = [f"{n} / {names[0]}" for n in names[1:]]
    corpora = _corpora(rep)
    stand = "quick mode: the hash stand-in" if rep.quick else None
    tables: list[Table] = []

    # Throughput.
    cores = sorted({int(r["throughput"]["cores"]) for r in runs})
    rows = []
    for threads in sorted({1, *cores}):
        vals = [r["throughput"]["rates"].get(str(threads)) for r in runs]
        rows.append([f"{threads} thread{'s' if threads > 1 else ''}",
                     *[_fmt(v) for v in vals], *_ratios(vals)])
    rows.append(["the build encodes on",
                 *[f"{r['build_threads']} thread{'s' if r['build_threads'] > 1 else ''}"
                   for r in runs], *["" for _ in vs]])
    loads = [r["throughput"]["load_seconds"] for r in runs]
    rows.append(["model load s", *[_fmt(v, 2) for v in loads], *_ratios(loads)])
    rows.append(["dimension", *[str(r["throughput"]["dim"]) for r in runs], *["" for _ in vs]])
    peaks = [r["throughput"]["peak_rss_mb"] for r in runs]
    rows.append(["that process's VmHWM MiB", *[_fmt(v, 0) for v in peaks], *_ratios(peaks)])
    tp0 = runs[0]["throughput"]
    tables.append((
        "Embedding throughput: passages/s through `encode_passages`",
        ["", *names, *vs],
        rows,
        f"The seeds' {tp0['passages']} chunks as the index encodes them (title, heading and "
        f"text, {tp0['mean_chars']:.0f} characters on average), pass after pass for at least "
        "3 s after a warm-up batch, in a fresh process per model (`bench.worker throughput`): "
        "torch's thread count for sentence-transformers models, the numpy backend's BLAS "
        "limit for USE. The build uses the rate on the threads it encodes on (`qa/store/embed.py`: "
        "USE_THREADS for USE, torch's default for sentence-transformers). Model load is the "
        "embedder's constructor (imports included) in that process; its VmHWM (model, "
        "seeds' chunks, encoding) is about what the model adds to a process."
        + (" Quick mode: the hash stand-in, not a model." if stand else ""),
    ))

    # qa build.
    rows = []
    for label in corpora:
        cells, how, vals = [], [], []
        for r in runs:
            b = r.get("builds", {}).get(label)
            if b is None:
                cells.append("n/a")
                how.append("")
                vals.append(None)
            elif b["how"] == "real":
                cells.append(_fmt(b["seconds"]))
                how.append(f"real (encoding ≈ {b['encode_estimate_s']:,.0f} s)")
                vals.append(b["seconds"])
            else:
                est = b["overhead_seconds"] + b["encode_estimate_s"]
                cells.append(f"≈ {est:,.0f}")
                how.append(f"est.: {b['overhead_seconds']:.1f} s without the model + "
                           f"{b['encode_estimate_s']:,.0f} s encoding")
                vals.append(est)
        rows.append([_chunks(rep, label), *cells, *how, *_ratios(vals)])
    tables.append((
        "`qa build` time, s",
        ["chunks", *[f"{n} s" for n in names], *[f"{n}: how" for n in names], *vs],
        rows,
        "**real**: `python -m qa build --force` with `QA_EMBED_MODEL`, `QA_SEEDS_DIR` and a "
        "fresh `QA_INDEX_DIR`, timed from process start to exit (imports, model load, "
        "reading, cleaning, chunking, encoding, jieba, BM25, FAISS, writing, checksums). "
        "A corpus is encoded with the real model only where its passages take at most "
        f"{ENCODE_BUDGET_S:.0f} s at the rate measured above (`--encode-budget`). "
        "**est.**: everywhere else the build ran with the hash stand-in embedder "
        "(`bench/synth.py`, ~20 µs a passage) in place of the model, so what was timed is the "
        "pipeline without the model; the estimate adds the encoding time at the measured "
        "rate (chunks / passages per second on the build's threads). Such an estimate leaves "
        "out process start and model load (seconds, see above)."
        + (" Quick mode: nothing is real." if rep.quick else ""),
    ))

    # Stand-in builds: the pipeline without the model, memory, disk.
    rows = []
    for label in corpora:
        for r in runs:
            b = r.get("builds", {}).get(label)
            if b is None:
                continue
            if b["how"] == "real":
                rows.append([_chunks(rep, label), r["label"], "real", _fmt(b["seconds"]),
                             "", "", "n/a", _fmt(b["disk_mb"])])
                continue
            rows.append([_chunks(rep, label), r["label"], "stand-in", _fmt(b["seconds"]),
                         _fmt(b["overhead_seconds"]),
                         _fmt(b["chunks"] / b["overhead_seconds"], 0),
                         _fmt(b["peak_rss_mb"], 0), _fmt(b["disk_mb"])])
    tables.append((
        "Build overhead without the model, memory and index size",
        ["chunks", "model", "passage vectors", "build s", "non-embedding s",
         "non-embedding chunks/s", "build peak RSS MiB", "index on disk MiB"],
        rows,
        "The builds of the table above. A stand-in build runs in its own process "
        "(`bench.worker build`), so its peak RSS is its own (Linux's VmHWM: `getrusage`'s "
        "ru_maxrss carries the parent's peak across fork+exec); it holds no model. The index "
        "on disk is the same size whichever vectors fill it (float32, the model's dimension).",
    ))

    # Query latency.
    rows = []
    for label in corpora:
        p50 = [r.get("serve", {}).get(label, {}).get("p50") for r in runs]
        p95 = [r.get("serve", {}).get(label, {}).get("p95") for r in runs]
        vec = [r.get("builds", {}).get(label, {}).get("how", "?") for r in runs]
        target = TARGET_P95_SEEDS_MS if label == "seeds" else TARGET_P95_LARGE_MS
        cells = [x for a, b in zip(p50, p95, strict=True) for x in (_fmt(a), _fmt(b))]
        rows.append([_chunks(rep, label), " / ".join(vec), *cells, *_ratios(p95),
                     f"≤ {target:.0f}", " / ".join(_verdict(x or float("nan"), target)
                                                    for x in p95)])
    nq = {r.get("serve", {}).get(k, {}).get("questions") for r in runs for k in corpora}
    tables.append((
        "End to end: `service.ask` (question to answer with citations), ms",
        ["chunks", "passage vectors", *[f"{n} {p}" for n in names for p in ("p50", "p95")],
         *[f"p95 {v}" for v in vs], "target p95", "verdict"],
        rows,
        "Hybrid mode, each question encoded by the model named in the column"
        + (f" ({stand})" if stand else "")
        + ", in one process per model and corpus (`bench.worker serve`), after 3 warm-up "
        f"questions; {', '.join(str(n) for n in sorted(x for x in nq if x))} questions a "
        "corpus (the seeds: 10 seed questions, Chinese and English, 5 times; the synthetic "
        "corpora: fragments of seed sentences). Passage vectors: `real` where the model "
        "encoded the passages (the build above), `stand-in` where the hash embedder did, "
        "under the model's name and dimension: only the questions meet the model there, "
        "and search costs the same (same size and dimension), but the dense side ranks "
        "noise.",
    ))

    # Serving memory.
    rows = []
    for label in corpora:
        ss = [r.get("serve", {}).get(label, {}) for r in runs]
        hwm = [s.get("peak_rss_mb") for s in ss]
        cells = [x for s in ss for x in (_fmt(s.get("load_seconds"), 1),
                                         _fmt(s.get("rss_mb"), 0),
                                         _fmt(s.get("peak_rss_mb"), 0))]
        rows.append([_chunks(rep, label), ss[0].get("dense", "?"), *cells, *_ratios(hwm),
                     " / ".join(_verdict(x or float("nan"), TARGET_RSS_MB) for x in hwm)])
    tables.append((
        "Serving memory: RSS of a process that loads the model and the index and answers",
        ["chunks", "dense index",
         *[f"{n} {p}" for n in names for p in ("load s", "VmRSS MiB", "VmHWM MiB")],
         *[f"VmHWM {v}" for v in vs], "target ≤ 1536 MiB"],
        rows,
        "The processes of the table above: the model, the index loaded with checksums, and "
        "the questions; VmRSS (resident now) and VmHWM (peak) from /proc/self/status after "
        "the last answer. Load s is constructing the service and loading the model and the "
        "index.",
    ))

    # Cold start.
    rows = []
    for label in corpora:
        cs = [r.get("cold", {}).get(label) for r in runs]
        med = [c["median"] if c else None for c in cs]
        cells = [x for c in cs for x in (
            (" / ".join(_fmt(v, 2) for v in c["runs"]), _fmt(c["median"], 2),
             _fmt(c["exit_median"], 2)) if c else ("n/a", "n/a", "n/a"))]
        rows.append([_chunks(rep, label), *cells, *_ratios(med),
                     " / ".join(_verdict(x or float("nan"), TARGET_COLD_S) for x in med)])
    refreshed = sorted({f"{r['label']} {k}" for r in runs
                        for k, c in r.get("cold", {}).items() if c.get("refreshed")})
    all_loads = [float(x) for r in runs for c in r.get("cold", {}).values()
                 for x in c["loads"] if x != "?"]
    tables.append((
        "Cold start: process start to first answer, s",
        ["chunks",
         *[f"{n} {p}" for n in names for p in ("runs", "median", "exit median")],
         *[f"median {v}" for v in vs], "target ≤ 10 s"],
        rows,
        (
            "`python -m qa --seeds … --index … --model … ask QUESTION` in a fresh process, run "
            "after run (imports, model load, index load with checksum verification, one "
            "answer), timed to the first line it prints (the answer) and to its exit; the "
            "verdict is on the median first answer. The index is loaded, never rebuilt: one "
            "the current code finds stale is rebuilt untimed first"
            + (f" (rebuilt this time: {', '.join(refreshed)})" if refreshed else "")
            + ", and a run that changed the active build fails the benchmark. 1-minute load "
            f"averages at the runs' starts: {min(all_loads, default=0):.2f}–"
            f"{max(all_loads, default=0):.2f} (2 cores: above 1, other work competed)."
        )
        if not rep.quick
        else "Quick mode: `bench.worker serve` with the stand-in embedder, no question (the "
        "time to its first line is the time to its result).",
    ))
    return tables


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
    """qa.search.lexical.keyword_scores against bm25s ``get_scores`` and rank-bm25, same queries."""
    from qa.ingest.textnorm import normalize
    from qa.query.prepare import prepare_query
    from qa.search.lexical import keyword_scores
    from qa.store.build import index_text
    from qa.store.index import load_index

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
        "scoring is a Python loop over the documents. The indexes are the synthetic corpora's "
        "(keyword search does not depend on the embedder).",
    )


# ----------------------------------------------------------------------------- dense


def bench_dense(
    rep: Report, built: dict[int, Path], questions: list[str], model: str
) -> None:
    """Exact search (matmul, FAISS flat) against HNSW: latency and recall@10."""
    import faiss

    from qa.store.dense import HNSW_EF_CONSTRUCTION, HNSW_M
    from qa.store.folder import current_build

    rows = []
    for _n, path in built.items():
        build = current_build(path)
        assert build is not None
        emb = np.load(build / "embeddings.npy")
        queries = synth.HashEmbedder(dim=emb.shape[1]).encode_queries(questions)
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
                    str(emb.shape[1]),
                ]
            )
            if ef == 256:
                for name, value in (("exact matmul", mm), ("HNSW ef=256", lat)):
                    s = rep.series.setdefault(f"dense {name} (ms)", {"x": [], "y": []})
                    s["x"].append(emb.shape[0])
                    s["y"].append(value)
    dims = ", ".join(sorted({r[-1] for r in rows}))
    rows = [r[:-1] for r in rows]
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
        f"The passage vectors of {model}'s indexes above ({dims} dimensions; the model's own "
        "where it encoded the passages, the hash stand-in's elsewhere), questions encoded by "
        "the hash stand-in; recall@10 is the share of the exact top 10 that HNSW returns.",
    )


# ----------------------------------------------------------------------------- cold start helper


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



# ----------------------------------------------------------------------------- output


def model_series(rep: Report) -> dict[str, dict[str, list[float]]]:
    """Per-model plot series from the results: ask p95, serving peak RSS, build time."""
    out: dict[str, dict[str, list[float]]] = {}
    for r in rep.models.values():
        for label in _corpora(rep):
            s, b = r.get("serve", {}).get(label), r.get("builds", {}).get(label)
            if s:
                for key, value in ((f"ask p95 (ms) {r['label']}", s["p95"]),
                                   (f"serving VmHWM (MiB) {r['label']}", s["peak_rss_mb"])):
                    out.setdefault(key, {"x": [], "y": []})["x"].append(s["chunks"])
                    out[key]["y"].append(value)
            if b:
                est = b["seconds"] if b["how"] == "real" else (
                    b["overhead_seconds"] + b["encode_estimate_s"])
                key = f"qa build (s) {r['label']}"
                out.setdefault(key, {"x": [], "y": []})["x"].append(b["chunks"])
                out[key]["y"].append(est)
    return out


def plot(rep: Report, path: Path) -> None:
    """One panel per measured series against corpus size (log x; log y over a decade or more)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    series = rep.series | model_series(rep)
    groups = {
        "service.ask p95, ms (hybrid, real model for the question)": "ask p95",
        "serving peak RSS (VmHWM), MiB": "serving VmHWM",
        "qa build, s (real, or est. from stand-in + rate)": "qa build",
        "keyword search, ms/question": "keyword",
    }
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, (title, prefix) in zip(axes.flat, groups.items(), strict=True):
        for key, s in series.items():
            if not key.startswith(prefix):
                continue
            pts = [(x, y) for x, y in zip(s["x"], s["y"], strict=True) if y == y and y > 0]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, marker="o", label=key)
        ax.set_xscale("log")
        lo, hi = ax.dataLim.y0, ax.dataLim.y1
        if np.isfinite([lo, hi]).all() and lo > 0 and hi / lo >= 10:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ScalarFormatter())  # 10.00, not 10^1
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:  # less than a decade: a log axis would show no labelled tick
            ax.set_ylim(bottom=0)
        ax.set_xlabel("chunks")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(f"qa benchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_markdown(rep: Report, path: Path, plot_name: str) -> None:
    """docs/benchmarks.md: how the figures were made, then every table."""
    head = [
        "# Benchmarks",
        "",
        f"- date: {rep.date}",
        f"- machine: {machine()}",
        f"- command: `{rep.command}` (took {rep.seconds / 60:.1f} min)",
        "- models: " + "; ".join(
            f"{r['label']}: {r['throughput'].get('description', r['model'])}"
            for r in rep.models.values()
        ),
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


def _state(rep: Report) -> dict[str, Any]:
    return {"quick": rep.quick, "command": rep.command, "machine": machine(),
            "date": rep.date, "seconds": rep.seconds, "models": rep.models,
            "fixed": rep.fixed, "series": rep.series, "notes": rep.notes}


def _load_state(path: Path) -> dict[str, Any]:
    """A previous run's results: its ``.json``, or the ``.json`` beside its ``.md``."""
    path = path.with_suffix(".json")
    if not path.exists():
        raise SystemExit(f"bench.run: no results file {path} (a run writes one beside its .md)")
    return json.loads(path.read_text(encoding="utf-8"))


def _is_file(entry: str) -> bool:
    # Only by suffix: an ``st:`` model may be a local folder.
    return entry.endswith((".json", ".md"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and write the tables, the plot and the results as JSON."""
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, no real model")
    parser.add_argument("--model", default=None,
                        help="embedding model to benchmark (default: the settings' default)")
    parser.add_argument(
        "--compare", default=None,
        help="comma-separated models side by side, first the reference: model names "
        "(measured now; 'minilm' is the packaged MiniLM, 'default' the settings' default) or a "
        "previous run's .json/.md",
    )
    parser.add_argument("--sizes", default=None, help="comma-separated chunk counts")
    parser.add_argument("--out", type=Path, default=None, help="markdown file to write")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (kept)")
    parser.add_argument("--questions", type=int, default=None, help="questions per size")
    parser.add_argument(
        "--only",
        default=None,
        help="re-measure some phases (throughput,build,serving,cold,keyword,dense) on the "
        "corpora and indexes a previous run left in --work, keeping its other figures",
    )
    parser.add_argument(
        "--encode-budget", type=float, default=ENCODE_BUDGET_S,
        help="seconds of real encoding allowed per corpus, at the model's measured rate; "
        "larger corpora get stand-in passage vectors",
    )
    args = parser.parse_args(argv)
    from qa.settings import DEFAULT_MODEL

    if args.only and not args.work:
        parser.error("--only needs the --work folder of a previous run")
    if args.model and args.compare:
        parser.error("--model and --compare: give the model in the --compare list")
    entries = ([e.strip() for e in args.compare.split(",") if e.strip()] if args.compare
               else [args.model or DEFAULT_MODEL])
    aliases = {"minilm": MINILM, "default": DEFAULT_MODEL}
    entries = [aliases.get(e.lower(), e) for e in entries]
    sizes = (
        [int(s) for s in args.sizes.split(",") if s.strip()]
        if args.sizes
        else list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    )
    n_questions = args.questions or (20 if args.quick else 50)
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = args.out or (work / "benchmarks.md" if args.quick else ROOT / "docs" / "benchmarks.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = (
        "python -m bench.run"
        + (" --quick" if args.quick else "")
        + (f" --model {args.model}" if args.model else "")
        + (f" --compare {args.compare}" if args.compare else "")
        + (f" --sizes {args.sizes}" if args.sizes else "")
        + (f" --encode-budget {args.encode_budget:g}"
           if args.encode_budget != ENCODE_BUDGET_S else "")
        + (f" --only {args.only} --work {work}" if args.only else "")
    )
    rep = Report(quick=args.quick, command=command)
    state_file = work / "results.json"
    previous = json.loads(state_file.read_text(encoding="utf-8")) if (
        args.only and state_file.exists()) else {}
    rep.fixed = {k: tuple(v) for k, v in previous.get("fixed", {}).items()}  # type: ignore[misc]
    rep.series = previous.get("series", {})
    print(f"# {command}\n# {machine()}\n# work folder: {work}\n", flush=True)
    t0 = time.perf_counter()
    load_start = load_average()
    questions = synth.questions(n_questions)
    phases = set(args.only.split(",")) if args.only else {
        "throughput", "build", "keyword", "dense", "serving", "cold"
    }
    qfiles = {"seeds": work / "seed-questions.json"}
    qfiles["seeds"].write_text(json.dumps(list(SEED_QUESTIONS) * 5, ensure_ascii=False),
                               encoding="utf-8")
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    qfiles |= {str(n): qfile for n in sizes}
    measured: list[str] = []
    try:
        if "build" in phases and any(not _is_file(e) for e in entries):
            for n in sizes:
                synth.write_corpus(work / f"seeds-{n}", n)
        for entry in entries:
            if _is_file(entry):
                state = _load_state(Path(entry))
                rep.models |= state["models"]
                # Its keyword and dense tables stand unless this run measures them again.
                rep.fixed |= {k: tuple(v) for k, v in state.get("fixed", {}).items()}
                rep.series |= state.get("series", {})
                rep.notes.append(f"{', '.join(r['label'] for r in state['models'].values())}: "
                                 f"from `{entry}` ({state['date']}, `{state['command']}`)")
                continue
            name = canonical(entry)
            rep.models[name] = bench_model(
                work, entry, sizes, args.quick, args.encode_budget, phases, qfiles,
                previous.get("models", {}).get(name),
            )
            measured.append(entry)
            print(_markdown_table(*model_tables(rep)[3]), flush=True)
        if measured:
            # Model-independent tables, on the indexes of the last model measured.
            last = work / _slug(measured[-1])
            built = {n: last / f"index-{n}" for n in sizes}
            if "keyword" in phases:
                bench_keyword(rep, built, questions)
            if "dense" in phases:
                bench_dense(rep, built, questions, short_name(measured[-1]))
    finally:
        if args.work is None and not args.quick:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - t0
    if previous:
        # A partial run: the report stays the earlier run's, with a line for what changed.
        rep.command, rep.date = previous["command"], previous["date"]
        rep.seconds, rep.notes = previous.get("seconds", 0.0), previous["notes"]
        rep.notes.append(
            f"re-measured {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.only}, with `{command}` "
            f"({seconds / 60:.1f} min, load average {load_start} / {load_average()})"
        )
    else:
        rep.seconds = seconds
        rep.notes.append(
            f"1-minute load average at start / end: {load_start} / {load_average()} (other "
            "jobs shared the machine; absolute times are noisy, ratios taken in the same run "
            "less so)"
        )
    if args.work is not None or args.quick:
        state_file.write_text(json.dumps(_state(rep), ensure_ascii=False), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(_state(rep), ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    png = out.with_suffix(".png")
    plot(rep, png)
    write_markdown(rep, out, png.name)
    print(f"wrote {out}, {png} and {out.with_suffix('.json')} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
