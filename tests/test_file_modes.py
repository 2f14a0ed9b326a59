"""The database and the mail folders hold personal data: clerk creates them for its own user only
(files 0600, folders 0700) whatever the umask it was started with, and ``clerk doctor`` warns,
with the chmod that fixes it, when they are wider."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clerk.ops.doctor import run_doctor
from clerk.ops.verdicts import Part, Verdict
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS

CLERK = [sys.executable, "-m", "clerk"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def clerk(folder: Path, *args: str) -> str:
    """Run a clerk command as a service manager would, with the usual umask 022."""
    out = subprocess.run([*CLERK, *args, "-c", "config.toml"], cwd=folder, capture_output=True,
                         text=True, preexec_fn=lambda: os.umask(0o022), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example configuration, initialised, with an invitation sent to the Maildir outbox."""
    monkeypatch.delenv("CLERK_TELEGRAM_TOKEN", raising=False)
    (tmp_path / "config.toml").write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "config.toml").chmod(0o644)  # as an administrator would leave it
    shutil.copy(EXAMPLE_MEMBERS, tmp_path / "members.csv")
    clerk(tmp_path, "init")
    clerk(tmp_path, "members", "import", "members.csv")
    clerk(tmp_path, "meetings", "add", "carers", "--at", "2030-01-17 10:00", "--venue", "County Hall")
    clerk(tmp_path, "invite", "carers-2030-01-17")
    assert "sent" in clerk(tmp_path, "mail", "send")
    return tmp_path


def test_the_database_and_mail_folders_are_private(installed: Path) -> None:
    var = installed / "var"
    assert mode(var) == 0o700
    assert mode(var / "clerk.db") == 0o600
    outbox = var / "mail" / "outbox"
    for folder in (var / "mail", outbox, outbox / "new", outbox / "cur", outbox / "tmp"):
        assert mode(folder) == 0o700, folder
    messages = list((outbox / "new").iterdir())
    assert messages
    assert {mode(m) for m in messages} == {0o600}
    assert mode(installed / "config.toml") == 0o644  # clerk leaves files it did not create alone


def test_the_write_ahead_log_is_private_while_clerk_runs(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    script = textwrap.dedent("""
        import os, stat
        os.umask(0o022)
        from clerk.app import open_clerk
        from clerk.people.bodies import sync_bodies
        app = open_clerk("config.toml")
        sync_bodies(app)
        for name in ("clerk.db", "clerk.db-wal", "clerk.db-shm"):
            print(name, oct(stat.S_IMODE(os.stat("var/" + name).st_mode)))
        app.store.close()
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["clerk.db", "0o600", "clerk.db-wal", "0o600", "clerk.db-shm", "0o600"]


def test_doctor_is_quiet_about_private_files(installed: Path) -> None:
    report = run_doctor(installed / "config.toml")
    assert report.ok
    modes = [c for c in report.checks if c.name == "file modes"]
    assert [c.verdict for c in modes] == [Verdict.OK, Verdict.OK]


def test_doctor_warns_about_wider_modes_with_the_fix(installed: Path) -> None:
    db = installed / "var" / "clerk.db"
    db.chmod(0o644)
    (installed / "var").chmod(0o755)
    outbox = installed / "var" / "mail" / "outbox"
    outbox.chmod(0o755)
    next((outbox / "new").iterdir()).chmod(0o644)
    report = run_doctor(installed / "config.toml")
    assert report.ok  # a warning, not a failure: clerk still works
    database = {c.where: c for c in report.checks if c.part is Part.DATABASE and c.name == "file modes"}
    assert database[str(db)].verdict is Verdict.WARN
    assert database[str(db)].fix == f"chmod 600 {db}"
    assert "-rw-r--r-- (644)" in database[str(db)].detail
    assert database[str(db.parent)].fix == f"chmod 700 {db.parent}"
    [maildir] = [c for c in report.checks if c.part is Part.MAILDIR and c.name == "file modes"]
    assert maildir.verdict is Verdict.WARN
    assert maildir.detail.startswith(f"2 file(s) or folder(s) under {installed / 'var' / 'mail'}")
    assert maildir.fix == f"chmod -R go-rwx {installed / 'var' / 'mail'}"
    out = subprocess.run([*CLERK, "doctor", "-c", "config.toml"], cwd=installed, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    assert "fix: chmod 600 var/clerk.db" in out.stdout
    assert "Usable, with warnings." in out.stdout
