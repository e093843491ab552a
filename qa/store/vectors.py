"""The store interface: the dense side of a loaded index, whichever store holds its vectors.

Two stores implement :class:`VectorStore`: :class:`LocalVectors` (FAISS in the index folder,
loaded into memory; the default) and :class:`qa.store.milvus.MilvusVectors` (a Milvus
collection, ``QA_STORE=milvus``). The query side asks either for the same thing, each chunk's
cosine similarity to a question, and does not know which one it reads. The keyword side (bm25s)
and the small tables the query side needs (chunks, documents, lexicon) stay in the index folder
for both: docs/scale.md, "What lives where".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

#: Nearest chunks a search that does not score every chunk (HNSW, Milvus) asks for; the rest get
#: the lowest of their scores.
CANDIDATES = 200


class VectorStore(Protocol):
    """Each chunk's similarity to a question vector: what the query side reads of a store."""

    #: "local" or "milvus" (the names of ``QA_STORE``).
    kind: str

    def chunk_scores(self, qvec: np.ndarray, n_chunks: int) -> np.ndarray:
        """Cosine similarity of every chunk to ``qvec``: that of its nearest sentence window.

        Args:
            qvec: The question's unit vector (float32, the index's dimension).
            n_chunks: How many chunks the index has.

        Returns:
            One float32 score per chunk.
        """
        ...


def floor_scores(n_chunks: int, chunk_ids: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """Chunk scores from a search's nearest candidates: each candidate chunk its best score,
    every other chunk the lowest candidate score, which bounds its own from above, so that the
    top of the ranking is kept.

    Args:
        n_chunks: How many chunks the index has.
        chunk_ids: The chunk of each candidate row.
        sims: The similarity of each candidate row.
    """
    floor = float(sims.min()) if len(sims) else 0.0
    out = np.full(n_chunks, floor, dtype=np.float32)
    np.maximum.at(out, chunk_ids, sims.astype(np.float32))
    return out


@dataclass(eq=False)
class LocalVectors:
    """The vectors in memory: exact products below HNSW_MIN_CHUNKS, else a FAISS HNSW graph."""

    #: One unit vector per dense row (memory-mapped and unused by the search with HNSW).
    embeddings: np.ndarray
    #: The first dense row of each chunk, for ``np.maximum.reduceat``.
    dense_starts: np.ndarray
    #: The chunk of each dense row.
    dense_chunk: np.ndarray
    dense: Any  # faiss.Index
    hnsw: bool
    kind: str = "local"

    def chunk_scores(self, qvec: np.ndarray, n_chunks: int) -> np.ndarray:
        """See :meth:`VectorStore.chunk_scores`: exact for a flat index, the nearest
        :data:`CANDIDATES` rows and a floor for HNSW."""
        if self.hnsw:
            k = min(CANDIDATES, self.dense.ntotal)
            query = np.ascontiguousarray(qvec.reshape(1, -1), dtype=np.float32)
            sims, ids = self.dense.search(query, k)
            found = ids[0] >= 0
            return floor_scores(n_chunks, self.dense_chunk[ids[0][found]], sims[0][found])
        rows = (self.embeddings @ qvec).astype(np.float32)
        return np.maximum.reduceat(rows, self.dense_starts)
