"""The build's on-disk cache: what it reads from CC-CEDICT and pypinyin, kept between builds
(marshal files keyed by the source's size and time, and memos of per-word results)."""

from __future__ import annotations

import logging
import marshal
import sys
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

from qa.files import write_atomic

logger = logging.getLogger(__name__)

#: 200k parsed senses are some 14 MB, and a vocabulary of 150k words reads about 90k.
_MEMO_LIMIT = 200_000


def _default_cache_dir() -> Path | None:
    from qa.settings import default_cache_dir

    try:
        return default_cache_dir()
    except RuntimeError:  # no home folder: no cache, CC-CEDICT is read every time
        return None


def _cache_file(cache_dir: Path, kind: str, source: str) -> Path:
    import hashlib  # build time only: the query path stays light

    # One file per source: a stale one is replaced, not kept beside the new one.
    return cache_dir / f"{kind}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:16]}.marshal"


def _cache_key(source: str) -> tuple:
    """What a cached result depends on: its source file, the package's code and marshal's
    format."""
    # The package's files stand for the rules that made the result (STOPWORDS, _lemma, the
    # digest, ...): a changed rule must not be answered from an old cache.
    stats = []
    for path in (source, *sorted(str(p) for p in Path(__file__).parent.glob("*.py"))):
        try:
            stat = Path(path).stat()
        except OSError:
            return ()  # matches no cached key
        stats.append((stat.st_size, stat.st_mtime_ns))
    return (source, *stats, marshal.version, sys.version)


#: What a cache file holds: marshal's containers (their items, of marshal's types too, are not
#: checked here).
_Payload = tuple[Any, ...] | dict[Any, Any]

#: A cache file starts with this, then the SHA-256 of the marshal data that follows.
_CACHE_MAGIC = b"qa-cache-1\n"


def _read_cached(path: Path, key: tuple) -> object | None:
    """What :func:`_write_cached` wrote with ``key``, or None.

    The data is used only when its checksum matches: marshal reads a flipped byte inside a
    string as another string, and the lexicon built from it would be wrong without a sign.
    """
    import hashlib  # build time only: the query path stays light

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.info("Ignoring the cache file %s: %s", path, exc)
        return None
    start = len(_CACHE_MAGIC) + 32
    digest, body = raw[len(_CACHE_MAGIC) : start], raw[start:]
    if not raw.startswith(_CACHE_MAGIC) or hashlib.sha256(body).digest() != digest:
        logger.warning("Ignoring the cache file %s: checksum mismatch; making it again", path)
        return None
    try:
        data = marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        logger.warning("Ignoring the cache file %s: %s", path, exc)
        return None
    if not key or not isinstance(data, tuple) or len(data) != 2 or data[0] != key:
        return None
    return data[1]


def _write_cached(path: Path, key: tuple, payload: _Payload) -> None:
    """Save ``payload`` (of marshal's types) under ``key``; failing only costs the next build."""
    # Written aside and renamed: a build running at the same time reads a whole file or none.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import hashlib  # build time only, as above

        body = marshal.dumps((key, payload))
        write_atomic(path, _CACHE_MAGIC + hashlib.sha256(body).digest() + body)
    except (OSError, ValueError) as exc:
        logger.warning("Could not write the cache file %s (%s): set QA_CACHE_DIR", path, exc)


# A list of one-line strings as one string: marshal loads a few long strings many times
# faster than the ~120k short ones of a list.
def _pack(lines: Iterable[str]) -> str:
    return "\n".join([*lines, ""])  # each line ends in a newline, so [""] comes back too


def _unpack(text: str) -> list[str]:
    return text.split("\n")[:-1]


_R = TypeVar("_R")


class _Memo(Generic[_R]):
    """A pure function's results, kept in the cache folder from one build to the next.

    Args:
        function: The function; its results must be of marshal's types, and not changed by
            those who get them.
        cache_dir: The cache folder; None keeps nothing.
        kind: Names the file.
        source: The file whose content the results depend on (this module's own always
            counts too): when it changes, the memo starts afresh.
    """

    def __init__(
        self, function: Callable[..., _R], cache_dir: Path | None, kind: str, source: str
    ) -> None:
        self._function = function
        self._path = None if cache_dir is None else _cache_file(cache_dir, kind, source)
        self._key = _cache_key(source)
        known = None if self._path is None else _read_cached(self._path, self._key)
        self._known: dict[tuple[Hashable, ...], _R] = known if isinstance(known, dict) else {}
        self._used: set[tuple[Hashable, ...]] = set()
        self._grown = False

    def __call__(self, *args: Hashable) -> _R:
        self._used.add(args)
        try:
            return self._known[args]
        except KeyError:
            result = self._known[args] = self._function(*args)
            self._grown = True
            return result

    def save(self) -> None:
        """Keep what this build added; past :data:`_MEMO_LIMIT`, only what it used."""
        if self._path is None or not self._grown:
            return
        known = self._known
        if len(known) > _MEMO_LIMIT:
            known = {args: known[args] for args in self._used}
        _write_cached(self._path, self._key, known)
