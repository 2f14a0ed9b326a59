"""Helpers for the tests of ``clerk run`` and ``clerk mail send`` as a service: a working folder
whose configuration sends through an SMTP sink, and a queue of plain notes."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import time
from pathlib import Path

from clerk.app import Clerk
from clerk.config import load_config
from clerk.outbox.mail import Outgoing, queue
from clerk.people.bodies import sync_bodies
from clerk.store import open_store
from tests.app_fixtures import ROOT
from tests.servers import SmtpSink


def config_for(directory: Path, sink: SmtpSink) -> Path:
    """The example configuration in ``directory``, sending through ``sink``."""
    path = directory / "config.toml"
    shutil.copy(ROOT / "config.example.toml", path)
    with path.open("a", encoding="utf-8") as out:
        out.write(f'\n[mail.smtp]\nhost = "{sink.host}"\nport = {sink.port}\nstarttls = false\n'
                  "timeout_seconds = 10\n")
    return path


def open_on(path: Path) -> Clerk:
    """clerk on the configuration at ``path`` (its database file), bodies mirrored."""
    config = load_config(path)
    app = Clerk(config=config, store=open_store(config.database_path))
    sync_bodies(app)
    return app


def queue_notes(app: Clerk, n: int) -> None:
    """Queue ``n`` notes, one each to member0@example.org ... member{n-1}@example.org."""
    with app.store.write() as db:
        for i in range(n):
            queue(db, app.config.mail, Outgoing(kind="note", to_addr=f"member{i}@example.org",
                                                subject=f"Note {i}", text="A note to member.",
                                                dedupe_key=f"service-test:{i}"), app.clock.now())


def env() -> dict[str, str]:
    """The environment for a ``clerk`` subprocess: unbuffered output, and no Telegram token."""
    found = {**os.environ, "PYTHONUNBUFFERED": "1"}
    found.pop("CLERK_TELEGRAM_TOKEN", None)
    return found


def wait_for(proc: subprocess.Popen[str], text: str, timeout: float = 30) -> str:
    """Read the process's output until a line holds ``text``; everything read so far."""
    seen = ""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not seen; output was:\n{seen}")


def run_on_a_terminal(command: list[str], cwd: Path, environ: dict[str, str], columns: int) -> str:
    """Run ``command`` with its output on a real pseudo-terminal ``columns`` wide and return what
    it wrote there (it must exit 0; its error output is in the failure message)."""
    main_end, terminal = pty.openpty()
    proc = subprocess.Popen(command, cwd=cwd, stdout=terminal, stderr=subprocess.PIPE,
                            env={**environ, "TERM": "xterm-256color", "COLUMNS": str(columns)})
    os.close(terminal)
    seen = b""
    try:
        while True:
            try:
                chunk = os.read(main_end, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        proc.wait(timeout=60)
        os.close(main_end)
    assert proc.stderr is not None
    text = seen.decode(errors="replace")
    assert proc.returncode == 0, proc.stderr.read().decode() + text
    return text
