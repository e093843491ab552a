"""The two stores measured: where the keyword side runs, and how each store scales.

``python -m bench.store lexical --local DIR --milvus DIR --uri FILE`` compares, on the eval
sets, the hybrid search as it is (bm25s in the index folder) with the same search whose keyword
ranking comes from Milvus's own BM25 (the collection's sparse field, jieba-analysed) queried
with our widened query terms: recall@1/@5 as ``qa eval`` counts them, and the time of a
keyword search in each. Both index folders must be built from the same seeds and model.

``python -m bench.store scale --sizes 10000 100000`` builds synthetic corpora (passages of
the seeds' sentences, random unit vectors) in the local store (FAISS + bm25s) and in Milvus
(Lite unless ``--uri http://...``), each in its own process, and reports build time, memory
(the process's peak RSS), dense query p50/p95 and recall@10 against exact search.

Figures and what they decided: docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DIM = 512


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


# --- where the keyword side runs -------------------------------------------------------------


def lexical(args: argparse.Namespace) -> dict[str, Any]:
    """Hybrid recall with bm25s against Milvus BM25 as the keyword ranking, on the eval sets."""
    import qa.search.search as search_mod
    from qa.app.evaluate import _rank_of, load_questions
    from qa.app.service import QAService
    from qa.search.lexical import lexical_scores
    from qa.settings import load_settings
    from qa.store import milvus

    local = QAService(load_settings(env={}, index_dir=Path(args.local)))
    msettings = load_settings(
        env={}, index_dir=Path(args.milvus), store="milvus", milvus_uri=args.uri
    )
    remote = QAService(msettings, embedder=local.embedder)
    index = local.index
    mindex = remote.index
    assert [c.text for c in index.chunks] == [c.text for c in mindex.chunks]
    client = milvus.client(msettings)
    positions = mindex.vectors.positions  # type: ignore[attr-defined]
    timings: dict[str, list[float]] = {"bm25s": [], "milvus": []}

    def milvus_lexical(ix: Any, query: Any, fusion: Any) -> tuple[np.ndarray, Any]:
        t0 = time.perf_counter()
        kw_local, per_term = lexical_scores(ix, query, fusion)
        timings["bm25s"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        text = " ".join(t for t, _ in query.terms) or query.normalized
        found = client.search(
            msettings.milvus_collection,
            data=[text],
            anns_field="sparse",
            limit=min(len(ix.chunks), 200),
            group_by_field="chunk_key",
            output_fields=["chunk_key"],
            search_params={"metric_type": "BM25"},
        )[0]
        timings["milvus"].append(time.perf_counter() - t0)
        kw = np.zeros(len(ix.chunks), dtype=np.float32)
        for hit in found:
            pos = positions.get(hit["entity"]["chunk_key"])
            if pos is not None:
                # Milvus Lite returns BM25 scores negated (best first); a server positive.
                kw[pos] = abs(float(hit["distance"]))
        # The per-term scores (coverage, the weak-answer check) stay bm25s's: Milvus gives
        # one total per passage, not each term's.
        return kw, per_term

    out: dict[str, Any] = {}
    for name in args.sets:
        rows = [q for q in load_questions(ROOT / "tests/eval" / f"{name}.jsonl") if q.get("doc")]
        figures = {}
        for label in ("bm25s", "milvus"):
            if label == "milvus":
                search_mod.lexical_scores = milvus_lexical  # type: ignore[assignment]
            try:
                ranks = [
                    _rank_of(local.search(q["question"]).hits, q["doc"], q["expect"])
                    for q in rows
                ]
            finally:
                search_mod.lexical_scores = lexical_scores
            figures[label] = {
                "n": len(rows),
                "at_1": sum(r == 1 for r in ranks),
                "at_5": sum(r is not None and r <= 5 for r in ranks),
            }
        out[name] = figures
    out["keyword_ms"] = {
        k: {"p50": round(1000 * _pct(v, 0.5), 1), "p95": round(1000 * _pct(v, 0.95), 1)}
        for k, v in timings.items()
        if v
    }
    return out


# --- scale -------------------------------------------------------------------------------------


def _corpus(n: int, seed: int = 42) -> tuple[list[str], np.ndarray]:
    """``n`` passages of three seed sentences each, and a unit vector per passage.

    The vectors are clustered (a passage is its topic's centre plus noise), as real embeddings
    are; uniform random vectors would be harder for HNSW than any real corpus.
    """
    from bench.synth import seed_sentences

    sentences, _ = seed_sentences()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sentences), size=(n, 3))
    texts = ["".join(sentences[i] for i in row) for row in picks]
    centres = rng.standard_normal((max(1, n // 50), DIM)).astype(np.float32)
    vecs = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal(
        (n, DIM)
    ).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return texts, vecs


def _queries(vecs: np.ndarray, n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = vecs[rng.integers(0, len(vecs), n)] + 0.3 * rng.standard_normal((n, DIM)).astype(
        np.float32
    )
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _local_load_seconds(dense: Any, bm25: Any) -> float:
    """Seconds to read the dense index and the keyword index back from disk (as a cold start
    does, checksums aside)."""
    import bm25s
    import faiss

    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(dense, f"{tmp}/dense.faiss")
        bm25.save(f"{tmp}/bm25", show_progress=False)
        t0 = time.perf_counter()
        faiss.read_index(f"{tmp}/dense.faiss")
        bm25s.BM25.load(f"{tmp}/bm25", show_progress=False)
        return time.perf_counter() - t0


def scale_one(store: str, n: int, queries: int, uri: str) -> dict[str, Any]:
    """One store at one size, in this process (``scale`` runs each in a fresh one)."""
    texts, vecs = _corpus(n)
    qs = _queries(vecs, queries)
    exact = np.argsort(-(qs @ vecs.T), axis=1)[:, :10]
    base = _rss_mb()
    t0 = time.perf_counter()
    if store == "local":
        import bm25s

        from qa.store.dense import make_dense_index
        from qa.store.tokenize import Tokenizer

        tokenizer = Tokenizer([])
        bm25 = bm25s.BM25()
        bm25.index([tokenizer.tokens(t) for t in texts], show_progress=False)
        dense, info = make_dense_index(vecs)
        build = time.perf_counter() - t0
        load = _local_load_seconds(dense, bm25)

        def run(q: np.ndarray) -> np.ndarray:
            return dense.search(q.reshape(1, -1), 10)[1][0]

        kind = info["type"]
    else:
        from qa.settings import load_settings
        from qa.store import milvus

        settings = load_settings(
            env={}, store="milvus", milvus_uri=uri, milvus_collection=f"bench_{n}",
            milvus_timeout=600.0,
        )
        client = milvus.client(settings)
        name = f"bench_{n}__c"
        if client.has_collection(name):
            client.drop_collection(name)
        kind = milvus._create(settings, name, DIM, n)["index"]
        batch = []
        for i, (t, v) in enumerate(zip(texts, vecs, strict=True)):
            batch.append(
                {"pk": str(i), "chunk_key": str(i), "doc_key": str(i // 9), "unit_key": str(i),
                 "doc_id": "d",
                 "title": "", "date": "", "source": "", "start": 0, "end": len(t), "text": t,
                 "vector": v.tolist()}
            )
            if len(batch) >= milvus.INSERT_BATCH:
                client.insert(name, batch)
                batch = []
        if batch:
            client.insert(name, batch)
        client.flush(name)
        build = time.perf_counter() - t0
        load = 0.0  # the app loads nothing of the vectors: they stay in Milvus
        params: dict[str, Any] = {"metric_type": "IP"}
        if kind == "HNSW":
            params["params"] = {"ef": 256}

        def run(q: np.ndarray) -> np.ndarray:
            hits = client.search(name, data=[q.tolist()], limit=10, search_params=params)[0]
            return np.array([int(h["pk"]) for h in hits])

    lat, recall = [], []
    for i, q in enumerate(qs):
        t1 = time.perf_counter()
        got = run(q)
        lat.append(time.perf_counter() - t1)
        recall.append(len(set(got.tolist()) & set(exact[i].tolist())) / 10)
    label = "milvus" if uri.startswith("http") else "milvus-lite"
    return {
        "store": store if store == "local" else label,
        "passages": n,
        "index": kind,
        "build_s": round(build, 1),
        "load_s": round(load, 2),
        "rss_added_mb": round(_rss_mb() - base, 0),
        "peak_rss_mb": round(_peak_rss_mb(), 0),
        "query_p50_ms": round(1000 * statistics.median(lat), 1),
        "query_p95_ms": round(1000 * _pct(lat, 0.95), 1),
        "recall_at_10": round(float(np.mean(recall)), 3),
        "queries": len(qs),
    }


def scale(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every store at every size, each in a process of its own (clean memory figures)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for store in args.stores:
                uri = args.uri or str(Path(tmp) / f"bench-{n}.db")
                queries = args.queries if store == "local" else args.milvus_queries
                cmd = [sys.executable, "-m", "bench.store", "scale-one", store, str(n),
                       str(queries), uri]
                env = dict(os.environ, PYTHONPATH=str(ROOT))
                res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
                if res.returncode != 0:
                    print(res.stderr[-2000:], file=sys.stderr)
                    continue
                row = json.loads(res.stdout.strip().splitlines()[-1])
                print(json.dumps(row), flush=True)
                out.append(row)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    lx = sub.add_parser("lexical")
    lx.add_argument("--local", required=True)
    lx.add_argument("--milvus", required=True)
    lx.add_argument("--uri", required=True)
    lx.add_argument("--sets", nargs="+", default=["questions", "holdout", "nearmiss"])
    sc = sub.add_parser("scale")
    sc.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    sc.add_argument("--stores", nargs="+", default=["local", "milvus"])
    sc.add_argument("--queries", type=int, default=200)
    sc.add_argument("--milvus-queries", type=int, default=20)
    sc.add_argument("--uri", default="", help="a Milvus server (default: Milvus Lite files)")
    one = sub.add_parser("scale-one")
    one.add_argument("store")
    one.add_argument("n", type=int)
    one.add_argument("queries", type=int)
    one.add_argument("uri")
    args = p.parse_args()
    if args.cmd == "lexical":
        print(json.dumps(lexical(args), ensure_ascii=False, indent=1))
    elif args.cmd == "scale":
        scale(args)
    else:
        print(json.dumps(scale_one(args.store, args.n, args.queries, args.uri)))


if __name__ == "__main__":
    main()
