"""The dense side of an index: its vectors in FAISS, exact search or, for large corpora, an
HNSW graph."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


#: From this many chunks on, the dense index is an HNSW graph instead of exact (flat) search.
#: Measured on 2 cores (docs/benchmarks.md): exact search over 10k chunks (15 MB of vectors,
#: in cache) costs ~0.15 ms a question, over 100k (150 MB, memory-bound) 12-24 ms, where HNSW
#: takes ~1 ms; the graph costs about a minute more per 100k chunks to build (next to hours
#: of encoding) and misses a few of the exact top 10, which the keyword side of the hybrid
#: ranking mostly makes up for.
HNSW_MIN_CHUNKS = 50_000


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
