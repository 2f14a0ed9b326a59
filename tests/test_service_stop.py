"""Stopping ``clerk run`` as systemd does (SIGTERM): it finishes the message in hand and exits
within 5 seconds whatever is queued; what was not sent goes out after the restart, once."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.composition.run import serve
from clerk.outbox.delivery import outbox_counts
from tests.servers import SmtpSink
from tests.service_helpers import config_for, env, open_on, queue_notes, wait_for

CLERK = [sys.executable, "-m", "clerk"]
QUEUED = 300


@pytest.fixture
def slow_sink() -> Iterator[SmtpSink]:
    """An SMTP server that takes 0.2 s to answer each message."""
    with SmtpSink() as sink:
        sink.data_delay = 0.2
        yield sink


def test_sigterm_stops_within_5_s_after_the_message_in_hand_and_the_rest_go_out_once_later(
        tmp_path: Path, slow_sink: SmtpSink) -> None:
    config = config_for(tmp_path, slow_sink)
    app = open_on(config)
    queue_notes(app, QUEUED)
    app.store.close()

    proc = subprocess.Popen([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(proc, "clerk is running")
        slow_sink.wait_for(5, timeout=30)
    finally:
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    took = time.monotonic() - asked
    assert proc.returncode == 0, rest
    assert took < 5, f"took {took:.1f} s to stop:\n{rest}"
    assert "SIGTERM received" in rest
    stopped = re.search(r"stopped: (\d+) emails still queued; they go out when clerk runs again",
                        rest)
    assert stopped, rest
    sent_before = len(slow_sink.received)
    assert 5 <= sent_before < QUEUED - 50  # it did not drain the outbox before stopping
    assert int(stopped.group(1)) == QUEUED - sent_before
    app = open_on(config)
    counts = outbox_counts(app)
    app.store.close()
    assert counts["sending"] == 0  # nothing left claimed
    assert counts["queued"] == QUEUED - sent_before
    assert counts["sent"] == sent_before

    slow_sink.data_delay = 0
    again = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                           env=env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    received = slow_sink.received
    assert len(received) == QUEUED
    ids = Counter(m.parsed()["Message-ID"] for m in received)
    assert len(ids) == QUEUED and set(ids.values()) == {1}  # every message once, none twice
    to = Counter(r for m in received for r in m.rcpt_tos)
    assert to == Counter(f"member{i}@example.org" for i in range(QUEUED))


def test_a_send_that_hangs_is_cancelled_and_its_message_put_back_in_the_queue(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with SmtpSink() as sink:
        sink.data_delay = 30  # the server takes the data and never answers
        app = open_on(config_for(tmp_path, sink))
        queue_notes(app, 3)
        caplog.set_level(logging.INFO)

        async def scenario() -> float:
            stop = asyncio.Event()
            task = asyncio.create_task(serve(app, stop, grace=0.5, cancel_grace=0.5))
            for _ in range(200):
                if outbox_counts(app)["sending"]:
                    break
                await asyncio.sleep(0.02)
            assert outbox_counts(app)["sending"] == 1
            asked = time.monotonic()
            stop.set()
            await asyncio.wait_for(task, 5)
            return time.monotonic() - asked

        took = asyncio.run(scenario())
        assert took < 2
        counts = outbox_counts(app)
        assert counts["sending"] == 0
        assert counts["queued"] == 3
        row = app.store.one("SELECT last_error, next_attempt_at, attempts FROM outbox "
                            "WHERE attempts > 0")
        assert row is not None
        assert row["last_error"].startswith("clerk stopped while sending this message")
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("outbox sender (smtp) did not finish within 0.5 s; cancelled")
                   for m in messages), messages
        assert "stopped: 3 emails still queued; they go out when clerk runs again" in messages
        app.store.close()


def test_stopping_mid_send_finishes_the_message_in_hand_and_claims_no_other(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with SmtpSink() as sink:
        sink.data_delay = 1.0  # a slow answer, but well within the grace
        app = open_on(config_for(tmp_path, sink))
        queue_notes(app, 3)
        caplog.set_level(logging.INFO)

        async def scenario() -> float:
            stop = asyncio.Event()
            task = asyncio.create_task(serve(app, stop))
            for _ in range(200):
                if outbox_counts(app)["sending"]:
                    break
                await asyncio.sleep(0.02)
            asked = time.monotonic()
            stop.set()
            await asyncio.wait_for(task, 5)
            return time.monotonic() - asked

        took = asyncio.run(scenario())
        assert 0.5 < took < 2  # it waited for the answer, and no longer
        assert len(sink.received) == 1
        counts = outbox_counts(app)
        assert (counts["sent"], counts["queued"], counts["sending"]) == (1, 2, 0)
        messages = [r.getMessage() for r in caplog.records]
        assert not any("cancelled" in m for m in messages), messages
        assert "stopped: 2 emails still queued; they go out when clerk runs again" in messages
        app.store.close()


def test_sigterm_while_the_imap_server_hangs_still_stops_within_5_s(
        tmp_path: Path, smtp_sink: SmtpSink) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # takes connections, never says a word
    try:
        config = config_for(tmp_path, smtp_sink)
        with config.open("a", encoding="utf-8") as out:
            out.write(f'\n[mail.imap]\nhost = "127.0.0.1"\nport = {silent.getsockname()[1]}\n'
                      "ssl = false\ntimeout_seconds = 60\n")
        proc = subprocess.Popen([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path,
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            wait_for(proc, "clerk is running")
            time.sleep(0.5)  # the reader is waiting for the server's greeting
        finally:
            asked = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=90)
        took = time.monotonic() - asked
    finally:
        silent.close()
    assert proc.returncode == 0, rest
    assert took < 5, f"took {took:.1f} s to stop:\n{rest}"
    assert "stopped: nothing is waiting in the outbox" in rest


def test_sigterm_cuts_a_once_round_short_after_the_message_in_hand(
        tmp_path: Path, slow_sink: SmtpSink) -> None:
    config = config_for(tmp_path, slow_sink)
    app = open_on(config)
    queue_notes(app, QUEUED)
    app.store.close()
    proc = subprocess.Popen([*CLERK, "run", "--once", "--config", "config.toml"], cwd=tmp_path,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        slow_sink.wait_for(3, timeout=30)
    finally:
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    took = time.monotonic() - asked
    assert proc.returncode == 0, rest
    assert took < 1.5, f"took {took:.1f} s to stop:\n{rest}"  # no waiting for a grace
    assert "cancelled" not in rest
    left = QUEUED - len(slow_sink.received)
    assert f"stopped: {left} emails still queued; they go out when clerk runs again" in rest
    app = open_on(config)
    counts = outbox_counts(app)
    app.store.close()
    assert (counts["queued"], counts["sending"]) == (left, 0)


def test_the_last_line_counts_chat_cards_left_in_the_queue_as_well_as_emails(clerk_app: Clerk) -> None:
    from clerk.attendance.invitations import invite
    from clerk.composition.run import _left_over
    from clerk.meetings.schedule import AddMeeting, add_meeting
    from clerk.times import parse_local
    from tests.test_bot_lanes import MEMBERS, link_members

    assert _left_over(clerk_app) == "nothing is waiting in the outbox"
    link_members(clerk_app)
    m = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                          venue="County Hall"))
    invite(clerk_app, m.ref)
    emails = outbox_counts(clerk_app)["queued"]  # the members linked in chat, and the carers' own
    assert emails >= MEMBERS
    assert _left_over(clerk_app) == (f"{emails} emails and {MEMBERS} chat messages still queued; "
                                     "they go out when clerk runs again")
