"""Sending limits against aiosmtpd on loopback: ``[mail.smtp] max_per_minute`` paces the outbox
(the sink's arrival times never beat it), a server that says "too many" for a while makes the
sender slow down by itself and then recover with every message arriving once, SIGTERM and
Ctrl-C stop a paced send at once leaving the rest queued, and the facilitator sees the progress
(``clerk mail outbox``, ``clerk mail send``)."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.errors import ConfigError
from clerk.outbox.delivery import outbox_counts
from clerk.people.bodies import sync_bodies
from clerk.rules.messages.send_pace import SendPace
from clerk.store import open_store
from clerk.times import to_iso
from mail.sender import OutboxSender, send_outbox
from tests.servers import SmtpSink
from tests.service_helpers import config_for, env, open_on, queue_notes, run_on_a_terminal, wait_for

CLERK = [sys.executable, "-m", "clerk"]


def paced_config(directory: Path, sink: SmtpSink, per_minute: int | None) -> Path:
    path = config_for(directory, sink)
    if per_minute is not None:
        with path.open("a", encoding="utf-8") as out:
            out.write(f"max_per_minute = {per_minute}\n")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


def app_on(path: Path, clock: FakeClock) -> Clerk:
    config = load_config(path)
    app = Clerk(config=config, store=open_store(config.database_path), clock=clock)
    sync_bodies(app)
    return app


@pytest.fixture
def paced_app(tmp_path: Path, smtp_sink: SmtpSink, clock: FakeClock) -> Iterator[Clerk]:
    app = app_on(paced_config(tmp_path, smtp_sink, 600), clock)  # one every 0.1 s
    yield app
    app.store.close()


def arrivals(sink: SmtpSink) -> list[float]:
    return [m.received_at for m in sink.received]


def once_each(sink: SmtpSink, n: int) -> None:
    ids = Counter(m.parsed()["Message-ID"] for m in sink.received)
    assert len(ids) == n and set(ids.values()) == {1}, ids
    assert Counter(r for m in sink.received for r in m.rcpt_tos) == Counter(
        f"member{i}@example.org" for i in range(n))


def test_the_sink_never_receives_faster_than_max_per_minute(paced_app: Clerk,
                                                            smtp_sink: SmtpSink) -> None:
    queue_notes(paced_app, 25)
    started = time.monotonic()
    report = send_outbox(paced_app)
    took = time.monotonic() - started
    assert report.sent == 25 and report.per_minute == 600
    times = arrivals(smtp_sink)
    # any 11 arrivals in a row span at least a second (a little slack for loopback jitter)
    assert min(b - a for a, b in zip(times, times[10:], strict=False)) >= 0.95
    assert min(b - a for a, b in pairwise(times)) >= 0.07  # evenly, no bursts
    assert 2.3 < took < 6  # 24 gaps of 0.1 s, and not much more
    once_each(smtp_sink, 25)


def test_without_a_limit_the_outbox_goes_as_fast_as_the_server_takes_it(
        tmp_path: Path, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    app = app_on(paced_config(tmp_path, smtp_sink, None), clock)
    queue_notes(app, 40)
    started = time.monotonic()
    assert send_outbox(app).sent == 40
    assert time.monotonic() - started < 2.5  # far quicker than any pace would allow
    app.store.close()


def test_too_many_for_a_while_slows_the_sender_then_it_recovers_and_every_message_arrives_once(
        paced_app: Clerk, smtp_sink: SmtpSink, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mail.sender")
    queue_notes(paced_app, 40)
    smtp_sink.throttle_for(0.35)  # "451 4.7.500 Server busy" for a third of a second
    pace = SendPace(600, clock=time.monotonic, recover_every=0.5)
    report = send_outbox(paced_app, pace=pace)

    refused = len(smtp_sink.throttled)
    assert refused >= 2  # halved at the first (0.2 s gap), again at the second (0.4 s)
    assert (report.sent, report.retrying, report.failed) == (40 - refused, refused, 0)
    times = arrivals(smtp_sink)
    first_after = next(i for i, t in enumerate(times) if t > smtp_sink.throttled[-1])
    assert times[first_after] - smtp_sink.throttled[-1] >= 0.35  # slowed: 150 a minute
    assert times[-1] - times[-2] < 0.2  # and back at 600 a minute by the end
    lines = [r.getMessage() for r in caplog.records if r.name == "mail.sender"]
    where = f"SMTP server 127.0.0.1:{smtp_sink.port}"
    slower = [m for m in lines if m.startswith(f"{where} asks clerk to slow down (451 4.7.500")]
    assert len(slower) == refused  # one line per change of pace, none per message
    assert slower[0].endswith("now at most 300 messages a minute; the rest stay queued and go "
                              "out at that pace")
    assert f"{where}: back to the configured pace, at most 600 messages a minute" in lines
    assert any("sending faster again" in m for m in lines)
    assert len(lines) <= refused + 4, lines

    clock.advance(timedelta(minutes=2))  # the refused ones are due again
    assert send_outbox(paced_app).sent == refused
    once_each(smtp_sink, 40)
    assert outbox_counts(paced_app)["queued"] == 0


def test_with_no_limit_set_a_421_too_many_still_slows_the_service_down(
        tmp_path: Path, smtp_sink: SmtpSink, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    app = app_on(paced_config(tmp_path, smtp_sink, None), clock)
    caplog.set_level(logging.INFO, logger="mail.sender")
    queue_notes(app, 30)
    smtp_sink.throttle_for(0.2, 421, "4.7.0 Too many messages, slow down")
    sender = OutboxSender(app, pace=SendPace(None, clock=time.monotonic, recover_every=0.3))

    async def scenario() -> None:
        try:
            await sender.drain_once()
            clock.advance(timedelta(minutes=2))
            await sender.drain_once()
        finally:
            await sender.transport.close()

    asyncio.run(scenario())
    once_each(smtp_sink, 30)
    lines = [r.getMessage() for r in caplog.records if r.name == "mail.sender"]
    assert any("asks clerk to slow down (421 4.7.0 Too many messages, slow down): now at most"
               in m for m in lines), lines
    assert any(m.endswith("back to full speed (no limit)") for m in lines), lines
    assert sender.pace.per_minute is None
    app.store.close()


def test_sigterm_during_a_paced_send_stops_within_5_s_and_leaves_the_rest_queued(
        tmp_path: Path, smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, 30)  # one every 2 s
    app = open_on(config)
    queue_notes(app, 50)
    app.store.close()
    proc = subprocess.Popen([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(proc, "clerk is running")
        smtp_sink.wait_for(2, timeout=30)
        time.sleep(0.3)  # waiting for the pace now
    finally:
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    took = time.monotonic() - asked
    assert proc.returncode == 0, rest
    assert took < 5, f"took {took:.1f} s to stop:\n{rest}"
    sent = len(smtp_sink.received)
    assert sent in (2, 3)
    assert f"stopped: {50 - sent} emails still queued; they go out when clerk runs again" in rest
    times = arrivals(smtp_sink)
    assert times[1] - times[0] >= 1.9
    app = open_on(config)
    counts = outbox_counts(app)
    app.store.close()
    assert (counts["queued"], counts["sending"], counts["sent"]) == (50 - sent, 0, sent)


def test_ctrl_c_stops_clerk_mail_send_and_leaves_the_rest_queued(tmp_path: Path,
                                                                smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, 60)  # one a second
    app = open_on(config)
    queue_notes(app, 20)
    app.store.close()
    proc = subprocess.Popen([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        smtp_sink.wait_for(2, timeout=30)
        time.sleep(0.2)
    finally:
        asked = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert time.monotonic() - asked < 2
    assert proc.returncode == 130, out + err
    sent = len(smtp_sink.received)
    assert f"Stopped: {sent} sent; {20 - sent} messages stay queued and will be sent by clerk run " \
           "or the next clerk mail send." in err
    assert "Traceback" not in err
    app = open_on(config)
    counts = outbox_counts(app)
    app.store.close()
    assert (counts["queued"], counts["sending"], counts["sent"]) == (20 - sent, 0, sent)


def test_clerk_mail_outbox_says_when_a_paced_outbox_will_be_done(tmp_path: Path,
                                                                smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, 30)
    app = open_on(config)
    queue_notes(app, 142)
    app.store.close()
    before = datetime.now(UTC)
    done = subprocess.run([*CLERK, "mail", "outbox", "--limit", "3", "--config", "config.toml"],
                          cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^142 queued; at 30 a minute, done by about (\d\d):(\d\d)\.$", done.stdout,
                      re.MULTILINE)
    assert found, done.stdout
    expected = (before + timedelta(seconds=142 * 2)).astimezone(ZoneInfo("Europe/London"))
    shown = expected.replace(hour=int(found.group(1)), minute=int(found.group(2)))
    assert abs((shown - expected).total_seconds()) <= 120
    assert "142 queued" in done.stdout.splitlines()[-2]  # the counts line above it


def test_clerk_mail_outbox_without_a_limit_shows_no_time(tmp_path: Path,
                                                        smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, None)
    app = open_on(config)
    queue_notes(app, 5)
    app.store.close()
    done = subprocess.run([*CLERK, "mail", "outbox", "--config", "config.toml"], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "5 queued" in done.stdout and "done by" not in done.stdout


def test_clerk_mail_send_prints_plain_progress_lines_when_not_on_a_terminal(
        tmp_path: Path, smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, 600)
    app = open_on(config)
    queue_notes(app, 30)
    app.store.close()
    done = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"30 to send; at 600 a minute, done by about \d\d:\d\d\.", lines[0]), lines
    assert [line.split(";")[0] for line in lines if line.startswith("Sent ")] == [
        "Sent 10 of 30", "Sent 20 of 30"]
    assert "Outbox by SMTP: 30 sent, 0 to try again later, 0 failed." in done.stdout
    assert "\x1b[" not in done.stdout  # no bar, no colours in a file or a pipe


def test_clerk_mail_send_shows_a_progress_bar_on_a_terminal(tmp_path: Path,
                                                           smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, 600)
    app = open_on(config)
    queue_notes(app, 12)
    app.store.close()
    text = run_on_a_terminal([*CLERK, "mail", "send", "--config", "config.toml"], tmp_path, env(),
                             120)
    assert "Sending" in text and "12/12" in text, text
    assert re.search(r"at 600 a minute, done by about \d\d:\d\d", text), text
    assert "Outbox by SMTP: 12 sent" in text
    assert len(smtp_sink.received) == 12


@pytest.mark.parametrize("value", ["0", "-5"])
def test_max_per_minute_must_be_one_or_more(tmp_path: Path, smtp_sink: SmtpSink,
                                            value: str) -> None:
    path = config_for(tmp_path, smtp_sink)
    with path.open("a", encoding="utf-8") as out:
        out.write(f"max_per_minute = {value}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        "mail.smtp.max_per_minute must be 1 or more messages a minute (leave it out for no "
        f"limit), got {value}"]
    done = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "mail.smtp.max_per_minute must be 1 or more messages a minute" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_mailbox_at_its_daily_cap_keeps_the_mail_queued_and_sends_it_later(
        tmp_path: Path, smtp_sink: SmtpSink) -> None:
    config = paced_config(tmp_path, smtp_sink, None)
    app = open_on(config)
    queue_notes(app, 3)
    app.store.close()
    smtp_sink.fail_next(1, 554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException;"
                        " Failed to process message due to a permanent exception", stage="rcpt")
    done = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 75, done.stdout + done.stderr
    assert (f"The SMTP server 127.0.0.1:{smtp_sink.port} says clerk's mailbox has reached its "
            "sending limit (554 5.2.0 STOREDRV") in done.stderr
    assert "3 messages stay queued and will be sent by clerk run." in done.stderr
    app = open_on(config)
    assert outbox_counts(app)["failed"] == 0  # neither the message nor the address is failed
    assert app.store.one("SELECT COUNT(*) AS n FROM people WHERE undeliverable IS NOT NULL") \
        == {"n": 0}
    with app.store.write() as db:  # a day later: the cap has reset
        db.execute("UPDATE outbox SET next_attempt_at = ?",
                   [to_iso(datetime(2000, 1, 1, tzinfo=UTC))])
    app.store.close()
    again = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                           env=env(), capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    once_each(smtp_sink, 3)


def test_the_loop_goes_on_serving_while_the_sender_waits_for_the_pace(
        tmp_path: Path, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    app = app_on(paced_config(tmp_path, smtp_sink, 120), clock)  # one every 0.5 s
    queue_notes(app, 5)
    sender = OutboxSender(app)
    lags: list[float] = []

    async def other_work(done: asyncio.Event) -> None:  # as the bot and the inbox reader do
        while not done.is_set():
            asked = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - asked - 0.01)

    async def scenario() -> None:
        done = asyncio.Event()
        ticker = asyncio.create_task(other_work(done))
        try:
            await sender.drain_once()
        finally:
            done.set()
            await ticker
            await sender.transport.close()

    asyncio.run(scenario())
    assert len(smtp_sink.received) == 5
    assert len(lags) > 100  # about 2 s of waiting, all of it given to the other work
    assert max(lags) < 0.1, max(lags)
    app.store.close()
