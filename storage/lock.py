"""One process per data directory: an OS file lock on ``data/nemobot.lock``.

Two bots on one SQLite file would both resume the same open jobs (two renders, two deliveries) and
answer the same chats twice. ``fcntl.flock`` is held by the open file, so the kernel drops it when
the process dies in any way (SIGKILL included): a crashed bot never blocks its own restart, and
no stale-PID guessing is needed. The PID written into the file only makes the message helpful.

A PostgreSQL store is shared by design and takes no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from core.settings import SettingsError
from storage.files import FILE_MODE

LOCK_FILENAME = "nemobot.lock"


class DataDirInUse(SettingsError):
    """Another nemobot process is running on this data directory."""


class DataDirLock:
    """An exclusive, non-blocking lock on ``data_dir/nemobot.lock``; :meth:`release` (or process
    exit) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """Take the lock at once or raise :class:`DataDirInUse` naming the directory (and the PID)."""
        path = data_dir / LOCK_FILENAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f" (process {holder})" if holder else ""
            raise DataDirInUse(
                f"Another nemobot is already running on the data directory {data_dir}{by}. "
                "Stop it first, or give this one its own NEMOBOT_DATA_DIR: two bots on one database "
                "would run the same jobs twice."
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor of the open file drops the flock


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return str(int(os.pread(fd, 32, 0).decode().strip()))
    return ""
