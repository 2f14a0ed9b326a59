"""``clerk run`` as a person starts it: on the example config, alone, stopped cleanly, and wired:
a reply in the inbox is read, counted and answered, and the deadlines due are kept."""

from __future__ import annotations

import contextlib
import json
import mailbox
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from clerk.rules.workdays import add_working_days
from tests.app_fixtures import EXAMPLE_MEMBERS, ROOT
from tests.reply_mail import gmail_reply_to
from tests.service_helpers import env, wait_for

CLERK = [sys.executable, "-m", "clerk"]
CAROL = "carol.chowdhury@example.org"


def start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLERK, "run", "--config", "config.toml", *args], cwd=cwd, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_run_starts_on_the_example_config_refuses_a_second_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    shutil.copy(EXAMPLE_MEMBERS, tmp_path / "members.csv")
    subprocess.run([*CLERK, "members", "import", "members.csv", "-c", "config.toml"], cwd=tmp_path,
                   check=True, capture_output=True)
    subprocess.run([*CLERK, "meetings", "add", "carers", "--at", "2030-01-17 10:00", "--venue",
                    "County Hall", "-c", "config.toml"], cwd=tmp_path, check=True,
                   capture_output=True)
    first = start(tmp_path)
    try:
        out = wait_for(first, "clerk is running")
        assert "7 bodies" in out
        second = subprocess.run([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 2
        assert "clerk is already running on" in second.stderr
        assert "two would run every deadline twice" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        rest, _ = first.communicate(timeout=20)
    assert first.returncode == 0
    assert "stopped" in rest


def test_schedule_lists_what_is_due_next(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    subprocess.run([*CLERK, "meetings", "add", "cypsp-board", "--at", "2030-01-17 10:00",
                    "-c", "config.toml"], cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run([*CLERK, "schedule", "-c", "config.toml", "--json"], cwd=tmp_path,
                         check=True, capture_output=True, text=True).stdout
    assert '"what": "circulate the papers"' in out
    assert '"for": "cypsp-board-2030-01-17"' in out
    assert '"when": "Thursday 10 January 2030 at 09:00"' in out


def _sql(database: Path, query: str, *params: object) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(query, params).fetchall()


def _collect(proc: subprocess.Popen[str], into: list[str]) -> threading.Thread:
    """Read the service's log as it is written (a full pipe would stall it)."""

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            into.append(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_clerk_run_reads_counts_and_answers_a_reply_and_keeps_the_deadlines(tmp_path: Path) -> None:
    """The real wiring of ``clerk run`` (the command line, the composition root, the deadline
    keeper, the Maildir inbox reader and the outbox sender): a member's "yes", waiting in the
    inbox when clerk starts, is read before the reminders that are due are sent (so she is not
    reminded), counted, and answered; the deadlines missed while clerk was down run once."""
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    shutil.copy(EXAMPLE_MEMBERS, tmp_path / "members.csv")
    zone = ZoneInfo("Europe/London")
    meeting_day = add_working_days(datetime.now(zone).date(), 2)  # reminders are overdue by now
    ref = f"carers-{meeting_day.isoformat()}"

    def clerk(*args: str) -> str:
        return subprocess.run([*CLERK, *args, "-c", "config.toml"], cwd=tmp_path, check=True,
                              capture_output=True, text=True, env=env()).stdout

    clerk("members", "import", "members.csv")
    clerk("meetings", "add", "carers", "--at", f"{meeting_day.isoformat()} 10:00",
          "--venue", "County Hall")
    clerk("invite", ref)
    clerk("mail", "send")
    maildir = tmp_path / "var" / "mail"
    sent = mailbox.Maildir(maildir / "outbox", factory=None, create=False)
    invitation = next(message_from_bytes(sent.get_bytes(key), policy=policy.default)
                      for key in sent.iterkeys()
                      if CAROL in str(message_from_bytes(sent.get_bytes(key))["To"]))
    assert isinstance(invitation, EmailMessage)
    inbox = mailbox.Maildir(maildir / "inbox", create=True)
    inbox.add(gmail_reply_to(invitation, CAROL, "Carol Chowdhury", "Yes, I'll be there"))
    database = tmp_path / "var" / "clerk.db"
    invited = {r["to_addr"] for r in _sql(database, "SELECT to_addr FROM outbox")}

    service = start(tmp_path)
    log: list[str] = []
    reader = _collect(service, log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = _sql(database, "SELECT kind, status FROM outbox WHERE to_addr = ? AND "
                                      "kind NOT IN ('invitation', 'reminder')", CAROL)
            queued = _sql(database, "SELECT id FROM outbox WHERE status IN ('queued', 'sending')")
            if answered and all(r["status"] == "sent" for r in answered) and not queued \
                    and any("clerk is running" in line for line in log):
                break
            time.sleep(0.2)
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=20)
        reader.join(timeout=5)
    out = "".join(log)
    assert service.returncode == 0, out
    assert "deadline(s) caught up" in out and ", 0 deadline(s) caught up" not in out, out
    assert f"reply from {CAROL} recorded: attending" in out, out
    assert "stopped: nothing is waiting in the outbox" in out, out

    # read: the message left the inbox's new/ folder; counted: Carol is attending
    assert not list((maildir / "inbox" / "new").iterdir())
    shown = json.loads(clerk("meetings", "show", ref, "--json"))
    assert shown["counts"]["attend"] == 1
    assert next(r["reply"] for r in shown["replies"] if r["email"] == CAROL) == "attend"
    # answered: her confirmation went out, into the Maildir outbox
    answers = _sql(database, "SELECT kind, status FROM outbox WHERE to_addr = ? AND kind NOT IN "
                             "('invitation', 'reminder')", CAROL)
    assert answers and all(r["status"] == "sent" for r in answers)
    # the deadlines: each due one ran once, the reminders after the inbox was read to the end
    ran = {r["kind"] for r in _sql(database, "SELECT kind FROM job_runs WHERE subject_ref = ?",
                                   ref)}
    assert {"invite", "reminder-10", "reminder-3", "quorum-forecast"} <= ran, ran
    reminded = {r["to_addr"] for r in _sql(database, "SELECT to_addr FROM outbox WHERE kind = "
                                                      "'reminder'")}
    assert reminded and CAROL not in reminded
    assert reminded <= invited
