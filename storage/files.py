"""Owner-only permissions for the data directory and the database files.

The database holds NemoVideo tokens, so nobody but the bot's user may read it. Modes are set
explicitly (``chmod``) after creation because ``mkdir``/``open`` modes are filtered through the
process umask, and the umask is process-wide state this library must not change.

SQLite creates ``-wal``/``-shm`` with the database file's own mode (see ``robust_open`` in its
``os_unix.c``), so a 0600 database yields 0600 side files; :func:`restrict_side_files` checks this
once more after the first write in case an older file or another tool left them looser.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def _restrict(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it is ours; a directory or file owned by someone else
    (a shared parent, a file another admin prepared) is not ours to change."""
    info = path.stat()
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as 0700, or tighten it to 0700 if it exists and is ours."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        if not path.is_dir():
            raise NotADirectoryError(f"data directory {path} exists and is not a directory") from None
        _restrict(path, DIR_MODE)
    else:
        os.chmod(path, DIR_MODE)  # the umask may have removed bits mkdir asked for


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 before SQLite opens it (SQLite would create 0644)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        info = os.fstat(fd)
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def restrict_side_files(path: Path) -> None:
    """Set SQLite's ``-wal``/``-shm``/``-journal`` files next to ``path`` to 0600 where present."""
    for suffix in SIDE_SUFFIXES:
        try:
            _restrict(path.with_name(path.name + suffix), FILE_MODE)
        except FileNotFoundError:
            continue


def prepare(path: Path) -> None:
    """Everything :meth:`SqliteStore.open` does to the file system before SQLite sees ``path``."""
    ensure_private_dir(path.parent)
    create_private_file(path)
