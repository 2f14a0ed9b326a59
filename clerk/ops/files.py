"""Files that hold personal data (the database, the mail folders) are readable by clerk's user only.

clerk sets its process umask to 0o077 when it opens its store, so everything it creates afterwards
(the database and its -wal/-shm files, Maildir folders and message files, backups) is 0600 for
files and 0700 for folders. :func:`wide_modes` finds what is wider, for ``clerk doctor``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700
GROUP_OTHER = 0o077


def private_umask() -> None:
    """From now on this process creates files 0600 and folders 0700."""
    os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) 0700; a folder that already exists is left as it is."""
    if path.is_dir():
        return
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask; this is not


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (SQLite gives -wal/-shm the same mode)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


@dataclass(frozen=True)
class WideMode:
    """A file or folder that others than clerk's user may read (or enter)."""

    path: Path
    mode: int
    is_dir: bool

    @property
    def fix(self) -> str:
        return f"chmod {'700' if self.is_dir else '600'} {self.path}"

    def describe(self) -> str:
        return f"{self.path} is {stat.filemode(self.mode)} ({self.mode & 0o777:o})"


def wide_mode(path: Path) -> WideMode | None:
    """``path`` if it exists and group or other have any permission on it."""
    try:
        st = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & GROUP_OTHER:
        return None
    return WideMode(path, st.st_mode, stat.S_ISDIR(st.st_mode))


def wide_modes(paths: Iterable[Path]) -> list[WideMode]:
    return [w for w in (wide_mode(p) for p in paths) if w is not None]


def database_files(db: Path) -> list[Path]:
    """The database, its -wal and -shm files, and its folder."""
    return [db.parent, db, Path(f"{db}-wal"), Path(f"{db}-shm")]


def walk_tree(root: Path, limit: int = 20_000) -> Iterator[Path]:
    """``root`` and everything under it (at most ``limit`` entries: a Maildir can be large)."""
    if not root.exists():
        return
    yield root
    seen = 1
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            if seen >= limit:
                return
            seen += 1
            yield Path(folder) / name
