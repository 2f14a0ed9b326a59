"""What ``clerk run`` writes to its log: one line per event in words and counts, a server that
stays down logged once (then a reminder every few minutes, then once when back), and
``--log-format json`` for log collectors."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.replies import RecordReply, record_reply
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.log_format import LogFormat
from clerk.log_setup import JsonFormatter, configure_logging
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.outage import Outage, duration_in_words
from clerk.people.bodies import sync_bodies
from clerk.people.membership import list_members
from clerk.store import open_store
from clerk.times import parse_local
from mail.imap_reader import ImapReader
from mail.maildir_reader import MaildirReader
from mail.sender import OutboxSender
from scheduler.keeper import DeadlineKeeper
from tests.app_fixtures import EXAMPLE_CONFIG, ROOT
from tests.servers import Dovecot, SmtpSink
from tests.service_helpers import queue_notes

# ----------------------------------------------------------------------------- the formats


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    rec = logging.LogRecord("clerk.mail", logging.WARNING, __file__, 1, message, args, exc_info)
    rec.created = datetime(2026, 11, 23, 9, 30, 5, 250000, tzinfo=UTC).timestamp()
    return rec


def test_json_lines_carry_time_level_logger_message_and_the_traceback() -> None:
    try:
        raise ValueError("the folder\nhas gone")
    except ValueError as exc:
        line = JsonFormatter().format(record("cannot read %s: %d tries", "INBOX", 3, exc=exc))
    assert "\n" not in line  # one object per line, whatever the text holds
    entry = json.loads(line)
    assert entry["time"] == "2026-11-23T09:30:05.250Z"
    assert datetime.fromisoformat(entry["time"]) == datetime(2026, 11, 23, 9, 30, 5, 250000,
                                                            tzinfo=UTC)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "clerk.mail"
    assert entry["message"] == "cannot read INBOX: 3 tries"
    assert entry["exception"].startswith("Traceback (most recent call last)")
    assert "ValueError: the folder\nhas gone" in entry["exception"]
    plain = json.loads(JsonFormatter().format(record("all well")))
    assert set(plain) == {"time", "level", "logger", "message"}


def test_configure_logging_writes_text_or_json_and_quietens_chatty_libraries() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        out = io.StringIO()
        configure_logging(log_format=LogFormat.JSON, stream=out)
        logging.getLogger("clerk.test").info("3 sent, 0 failed")
        logging.getLogger("aiosmtplib").info("a line per request")
        [line] = out.getvalue().splitlines()
        assert json.loads(line)["message"] == "3 sent, 0 failed"
        out = io.StringIO()
        configure_logging(log_format=LogFormat.TEXT, stream=out)
        logging.getLogger("clerk.test").warning("the server is down")
        assert out.getvalue().rstrip().endswith(" WARNING the server is down")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def test_clerk_run_once_with_json_logs_writes_only_json_lines(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    env = {**os.environ}
    env.pop("CLERK_TELEGRAM_TOKEN", None)
    done = subprocess.run([sys.executable, "-m", "clerk", "run", "--once", "--log-format", "json",
                           "-c", "config.toml"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines
    entries = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["message"] == "outbox: nothing to send" for e in entries)
    bad = subprocess.run([sys.executable, "-m", "clerk", "run", "--log-format", "xml",
                          "-c", "config.toml"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


# ----------------------------------------------------------------------------- the outage book


def test_duration_in_words() -> None:
    assert duration_in_words(timedelta(seconds=45)) == "45 s"
    assert duration_in_words(timedelta(minutes=7, seconds=20)) == "7 min"
    assert duration_in_words(timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert duration_in_words(timedelta(hours=2)) == "2 h"
    assert duration_in_words(timedelta(days=3, hours=4)) == "3 days 4 h"


def test_an_outage_is_logged_once_then_every_five_minutes_then_once_when_back(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 10, 2, tzinfo=UTC))
    outage = Outage("SMTP server smtp.example:587", logging.getLogger("clerk.test.outage"), clock,
                    consequence="mail stays queued")
    caplog.set_level(logging.INFO, logger="clerk.test.outage")
    for _ in range(12 * 12):  # twelve minutes of a try every 5 s
        outage.failed("connection refused")
        clock.advance(timedelta(seconds=5))
    outage.succeeded("12 queued messages")
    outage.succeeded("nothing new")  # up and staying up: nothing more to say
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("WARNING", "SMTP server smtp.example:587 is down: connection refused; mail stays queued"),
        ("WARNING", "SMTP server smtp.example:587 still down since 10:02 (61 attempts): "
                    "connection refused"),
        ("WARNING", "SMTP server smtp.example:587 still down since 10:02 (121 attempts): "
                    "connection refused"),
        ("INFO", "SMTP server smtp.example:587 is back after 12 min; 12 queued messages"),
    ]
    assert outage.down is None


# ----------------------------------------------------------------------------- deadlines


def test_a_deadline_run_is_logged_in_counts_not_lists_of_addresses(
        clerk_app: Clerk, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                            venue="County Hall")).ref
    chair = next(m for m in list_members(clerk_app, "carers") if m["office"] == "chair")
    record_reply(clerk_app, RecordReply(ref, chair["email"], "attend"))
    clock.set(datetime(2027, 1, 11, 12, 0, tzinfo=UTC))  # every deadline before it is missed
    caplog.set_level(logging.INFO, logger="clerk.scheduler")
    ran = DeadlineKeeper(clerk_app).start()
    assert len(ran) >= 7
    lines = [r.getMessage() for r in caplog.records if r.name == "clerk.scheduler"]
    assert len(lines) == len(ran)  # one line per deadline run
    assert f"send the invitations for {ref}: invitations: 20 queued" in lines
    assert (f"ask the chair to agree the agenda for {ref}: asked the chair to agree the agenda; "
            "the draft agenda was sent to 1 person") in lines
    for line in lines:
        assert not any(c in line for c in "[]{}@"), line


# ----------------------------------------------------------------------------- servers down


def app_on(clock: FakeClock, tmp_path: Path, *, smtp: SmtpSink | None = None,
           dovecot: Dovecot | None = None) -> Clerk:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["clerk"]["database"] = str(tmp_path / "clerk.db")
    data["mail"]["maildir"] = str(tmp_path / "mail")
    if smtp is not None:
        data["mail"]["smtp"] = {"host": smtp.host, "port": smtp.port, "starttls": False,
                                "timeout_seconds": 5}
    if dovecot is not None:
        data["mail"]["imap"] = {"host": dovecot.host, "port": dovecot.imap_port, "ssl": False,
                                "username": "clerk", "password_env": "CLERK_TEST_IMAP_PASSWORD",
                                "timeout_seconds": 5}
    config = parse_config(data, EXAMPLE_CONFIG)
    app = Clerk(config=config, store=open_store(config.database_path), clock=clock)
    sync_bodies(app)
    return app


@pytest.fixture
def smtp_app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[Clerk]:
    app = app_on(clock, tmp_path, smtp=smtp_sink)
    yield app
    app.store.close()


def test_an_smtp_server_down_for_eleven_minutes_is_three_warnings_and_one_back_line(
        smtp_app: Clerk, smtp_sink: SmtpSink, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    clock.set(datetime(2026, 11, 23, 10, 2, tzinfo=UTC))  # 10:02 in London
    queue_notes(smtp_app, 5)
    smtp_sink.stop()
    caplog.set_level(logging.INFO, logger="mail.sender")
    where = f"SMTP server 127.0.0.1:{smtp_sink.port}"

    async def scenario() -> None:
        sender = OutboxSender(smtp_app, interval=5)
        try:
            for _ in range(11 * 12):  # a pass every 5 s for eleven minutes
                await sender.drain_once()
                clock.advance(timedelta(seconds=5))
            smtp_sink.start()
            clock.advance(timedelta(hours=1))  # every message due again
            report = await sender.drain_once()
            assert report.sent == 5
            assert (await sender.drain_once()).sent == 0
        finally:
            await sender.transport.close()

    asyncio.run(scenario())
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "mail.sender"]
    warnings = [text for level, text in lines if level == "WARNING"]
    # Attempts thin out as each message waits longer between tries (1, 2, 4 ... min), so the
    # reminders come at most every 5 min: two or three in eleven minutes, never one per pass.
    assert 2 <= len(warnings) <= 3, lines
    assert warnings[0] == (f"{where} is down: the connection was refused (is it running?); "
                           "mail stays queued and is sent when it is back")
    for reminder in warnings[1:]:
        assert reminder.startswith(f"{where} still down since 10:02 (")
        assert reminder.endswith(" attempts): the connection was refused (is it running?)")
    infos = [text for level, text in lines if level == "INFO"]
    assert infos == [f"{where} is back after 1 h 11 min; 4 queued messages",
                     "outbox: 5 sent, 0 to try again later, 0 failed"]
    assert len(smtp_sink.received) == 5


def test_an_imap_server_down_is_one_warning_a_reminder_and_one_back_line(
        clock: FakeClock, tmp_path: Path, dovecot: Dovecot, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERK_TEST_IMAP_PASSWORD", dovecot.user_password("clerk"))
    dovecot.clear("clerk")
    clock.set(datetime(2026, 11, 23, 10, 2, tzinfo=UTC))
    app = app_on(clock, tmp_path, dovecot=dovecot)
    caplog.set_level(logging.INFO, logger="mail.imap_reader")
    where = f"IMAP server {dovecot.host}:{dovecot.imap_port}/INBOX"
    dovecot.stop()
    try:
        async def scenario() -> None:
            reader = ImapReader(app, use_idle=False, poll_seconds=0.02, backoff_first=0.02,
                                backoff_max=0.02)
            stop = asyncio.Event()
            task = asyncio.create_task(reader.run(stop))
            await asyncio.sleep(0.5)  # many failed attempts
            clock.advance(timedelta(minutes=6))
            await asyncio.sleep(0.3)
            dovecot.start()  # from this thread: Dovecot dies with the thread that started it
            clock.advance(timedelta(minutes=1))
            for _ in range(100):
                if reader.outage.down is None:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, 5)

        asyncio.run(scenario())
    finally:
        dovecot.start()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records
             if r.name == "mail.imap_reader" and "IMAP server" in r.getMessage()]
    assert [level for level, _ in lines] == ["WARNING", "WARNING", "INFO"], lines
    assert lines[0][1].startswith(f"{where} is down: the server refused the connection")
    assert lines[1][1].startswith(f"{where} still down since 10:02 (")
    assert lines[2][1] == f"{where} is back after 7 min"
    app.store.close()


def test_a_mail_folder_that_cannot_be_read_is_one_warning_then_one_back_line(
        clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = app_on(clock, tmp_path)
    root = tmp_path / "mail"
    root.mkdir()
    (root / "inbox").write_text("not a folder")  # what a mistaken restore might leave
    reader = MaildirReader(app, root, poll_seconds=0.01)
    caplog.set_level(logging.INFO, logger="mail.maildir_reader")

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        await asyncio.sleep(0.3)  # many failed passes
        (root / "inbox").unlink()
        clock.advance(timedelta(minutes=2))
        for _ in range(100):
            if reader.outage.down is None:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    lines = [(r.levelname, r.getMessage()) for r in caplog.records
             if r.name == "mail.maildir_reader"]
    where = f"mail folder {root / 'inbox'}"
    assert [level for level, _ in lines] == ["INFO", "WARNING", "INFO"], lines
    assert lines[1][1].startswith(f"{where} is not usable: Not a directory")
    assert lines[1][1].endswith("; replies wait until it can be read")
    assert lines[2][1] == f"{where} is back after 2 min"
    app.store.close()
