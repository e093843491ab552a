"""Synthetic Chinese corpora made from the seeds' own sentences, and a fast stand-in embedder.

The sentences of the cleaned seed documents are shuffled and recombined with a fixed random
seed, so every run writes the same files: the text looks like the seeds to jieba, OpenCC and the
chunker (same vocabulary, same sentence lengths), and the corpus can be any size.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.ingest.chunk import split_sentences
from qa.ingest.corpus import load_corpus

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
#: Sentences per synthetic document: about nine chunks each with the default chunking.
SENTENCES_PER_DOC = 40
#: Chunks the default chunker makes of one synthetic document (measured; used to size corpora).
CHUNKS_PER_DOC = 9.3


def seed_sentences(seeds_dir: Path = SEEDS) -> tuple[list[str], list[str]]:
    """The seeds' sentences and titles, cleaned, in file order.

    Returns:
        ``(sentences, titles)``; sentences shorter than 6 characters are left out.
    """
    corpus = load_corpus(seeds_dir)
    sentences = []
    for doc in corpus.documents:
        for s, e in split_sentences(doc.text):
            text = doc.text[s:e].strip()
            if len(text) >= 6:
                sentences.append(text)
    return sentences, [d.title for d in corpus.documents]


def write_corpus(dest: Path, chunks: int, *, seed: int = 42, seeds_dir: Path = SEEDS) -> int:
    """Write a folder of synthetic seed files that chunks into about ``chunks`` chunks.

    Args:
        dest: Folder to create (its ``*.txt`` files are replaced).
        chunks: Target number of chunks.
        seed: Random seed; the same seed writes the same files.
        seeds_dir: Where the sentences come from.

    Returns:
        The number of files written.
    """
    sentences, titles = seed_sentences(seeds_dir)
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.txt"):
        old.unlink()
    n_docs = max(1, round(chunks / CHUNKS_PER_DOC))
    for i in range(n_docs):
        picked = rng.sample(sentences, min(SENTENCES_PER_DOC, len(sentences)))
        # Paragraphs of 3-6 sentences, so the chunker sees line breaks like in the seeds.
        paras, j = [], 0
        while j < len(picked):
            n = rng.randint(3, 6)
            paras.append("".join(picked[j : j + n]))
            j += n
        title = f"{rng.choice(titles)}（{i}）"
        body = "\n\n".join(paras)
        (dest / f"syn_{i:06d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return n_docs


class HashEmbedder:
    """Deterministic unit vectors from hashed character bigrams: fast, no model.

    It stands in for the real model where encoding 10,000s of passages with it would take
    hours on two cores; the vectors have the real model's name and dimension so that an index
    built with them is served by the real model (which then only encodes the questions).
    The unit tests' ``FakeEmbedder`` (tests/conftest.py) is this with another bigram hash.

    Args:
        name: Model name to record in the manifest.
        dim: Vector dimension.
    """

    description = "hashed character bigrams (benchmark stand-in)"

    def __init__(self, name: str = "fake:bench-hash", dim: int = 384) -> None:
        self.name = name
        self.dim = dim
        self.seconds = 0.0

    def buckets(self, text: str) -> np.ndarray:
        """The vector component of each character bigram of ``text``, in order."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        return (codes[:-1] * 1_000_003 + codes[1:] * 7919) % self.dim

    def _vecs(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if len(text) < 2:
                continue
            out[row] = np.bincount(self.buckets(text), minlength=self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None):
        """Unit vectors for passages."""
        import time

        t0 = time.perf_counter()
        out = self._vecs(texts)
        self.seconds += time.perf_counter() - t0
        if progress:
            progress(len(texts), len(texts))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for questions."""
        return self._vecs(texts)


def questions(n: int, *, seed: int = 7, seeds_dir: Path = SEEDS) -> list[str]:
    """Questions made of seed sentence fragments (8-20 characters), deterministic."""
    sentences, _ = seed_sentences(seeds_dir)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = rng.choice(sentences)
        length = rng.randint(8, 20)
        start = rng.randint(0, max(0, len(s) - length))
        out.append(s[start : start + length] + "是什么？")
    return out
