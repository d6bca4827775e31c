"""Files at rest: the data folder and what is in it are readable by its owner only.

The data folder holds the database (personal data, encrypted or not), its
write-ahead log, the task queue (task arguments), the uploaded import files and
the keys. Folders are created 0700 and files 0600: the entry points set the
umask early (:func:`private_umask`), and the files Guanxi knows by name are
created, or tightened, with explicit modes (:func:`private_folder`,
:func:`private_file`), so that a file made before this rule, or by a process
with another umask, is covered too. SQLite gives a database's ``-wal`` and
``-shm`` files the mode of the database file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "private_file", "private_folder", "private_umask"]

PRIVATE_UMASK = 0o077


def private_umask() -> int:
    """Files and folders this process creates from now on are its owner's only;
    returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(mode)


def private_folder(path: Path) -> Path:
    """Create ``path`` (and its missing parents) 0700, or tighten it to 0700."""
    missing = []
    folder = path
    while not folder.exists():  # mkdir(parents=True) ignores the mode for parents
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    _tighten(path, 0o700)
    return path


def private_file(path: Path, *, create: bool = True) -> Path:
    """Create ``path`` empty with mode 0600 (``create``), or tighten it to 0600,
    and the same for its SQLite companions (``-wal``, ``-shm``, ``-journal``)
    where they exist."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for candidate in (
        path,
        *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal")),
    ):
        _tighten(candidate, 0o600)
    return path
