"""Files written whole or not at all, read up to a size limit, their SHA-256, and a lock held
across processes."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, tmp: Path | None = None, fsync: bool = False) -> None:
    """Write ``data`` beside ``path``, then rename it over ``path``.

    A reader (or a process running at the same time) sees the whole old file or the whole new
    one, never a part. When the write fails, the file aside is removed and the error raised.

    Args:
        path: The file to write.
        data: Its new content.
        tmp: Where to write first, in the same folder (default: ``<name>.<random>.tmp``).
        fsync: Flush the new content to the disk before the rename, so that a crash cannot
            leave ``path`` naming an empty file.
    """
    tmp = tmp or path.with_name(f"{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's content (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_mapped(path: Path) -> str:
    """The SHA-256 of a whole file, hashed in one call so that the GIL is released throughout.

    :func:`sha256_file` feeds 1 MiB blocks and takes the GIL back after each; while another
    thread runs Python (the model's imports at start-up) every hand-back waits up to a switch
    interval (5 ms), which made hashing the 550 MB of a 100k-chunk index several times
    slower. One call over a memory map runs beside the other thread.
    """
    import mmap

    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return hashlib.sha256(b"").hexdigest()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            return hashlib.sha256(view).hexdigest()


class Busy(Exception):
    """Another holder has the lock."""


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if need be), or fail at once.

    The lock is the operating system's (``flock`` on Unix), so it is released when its
    holder dies; two holders in one process exclude each other too.

    Raises:
        Busy: The lock is held elsewhere.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), blocking=False, thread_local=False)
    try:
        lock.acquire()
    except Timeout as exc:
        raise Busy(str(path)) from exc
    try:
        yield
    finally:
        lock.release()


class TooLarge(Exception):
    """A file is over a size limit: ``size`` is its size, or None when it grew past the
    limit while it was read."""

    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size

    def describe(self, name: object, cap: int) -> str:
        """The message naming the file: "<name>: too large (…)"."""
        if self.size is None:
            return f"{name}: too large (over {cap:,} bytes, the limit)"
        return f"{name}: too large ({self.size:,} bytes; the limit is {cap:,})"


def read_capped(path: Path, cap: int) -> bytes:
    """A file's bytes, refused without being read whole when there are more than ``cap``.

    Raises:
        TooLarge: The file is over ``cap`` bytes.
        OSError: It cannot be read.
    """
    size = path.stat().st_size
    if size > cap:
        raise TooLarge(size)
    with path.open("rb") as handle:
        # One byte more than allowed tells a file that grew since stat() apart.
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise TooLarge(None)
    return data
