"""One ``clerk run`` per database: a second one would run every deadline twice."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from clerk.errors import Refused


class RunLock:
    """An exclusive, non-blocking lock on ``DATABASE.lock``, released when the process ends."""

    def __init__(self, database: Path):
        self.path = Path(str(database) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise Refused(f"clerk is already running on {self.path.with_suffix('')} "
                          f"(pid {holder}); stop it first, since two would run every "
                          "deadline twice") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
