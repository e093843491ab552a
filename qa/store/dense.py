"""The dense side of an index: its vectors in FAISS, exact search or, for large corpora, an
HNSW graph."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: From this many chunks on, the dense index is an HNSW graph instead of exact (flat) search:
#: exact search grows with the corpus, the graph does not (docs/benchmarks.md, "Dense search:
#: exact against HNSW").
HNSW_MIN_CHUNKS = 50_000

#: The graph's links per node and its build-time breadth (docs/benchmarks.md, same section).
HNSW_M = 32

HNSW_EF_CONSTRUCTION = 80

#: Candidates visited per search (recall@10 against exact search in docs/benchmarks.md).
HNSW_EF_SEARCH = 256


def make_dense_index(vectors: np.ndarray, min_hnsw: int | None = None) -> tuple[Any, dict]:
    """A FAISS inner-product index over unit vectors, exact or HNSW by corpus size.

    Args:
        vectors: One float32 unit vector per chunk.
        min_hnsw: Chunks from which an HNSW graph is built (default :data:`HNSW_MIN_CHUNKS`).

    Returns:
        ``(index, description)``; the description goes into the manifest.
    """
    import faiss

    n, dim = vectors.shape
    if n < (HNSW_MIN_CHUNKS if min_hnsw is None else min_hnsw):
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat, {"type": "flat"}
    graph = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    graph.hnsw.efSearch = HNSW_EF_SEARCH
    graph.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return graph, {
        "type": "hnsw",
        "m": HNSW_M,
        "ef_construction": HNSW_EF_CONSTRUCTION,
        "ef_search": HNSW_EF_SEARCH,
    }
