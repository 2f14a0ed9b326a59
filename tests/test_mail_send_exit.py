"""``clerk mail send`` tells the truth in its exit status: 0 when everything due was sent (or
refused for good, which is final and reported), 75 (EX_TEMPFAIL) when a server failure or a
temporary refusal left mail queued, with the reason on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clerk.outbox.delivery import outbox_counts
from tests.servers import SmtpSink
from tests.service_helpers import config_for, open_on, queue_notes

CLERK = [sys.executable, "-m", "clerk"]


def send(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("CLERK_TELEGRAM_TOKEN", None)
    return subprocess.run([*CLERK, "mail", "send", "--config", "config.toml", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def queued(tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[Path]:
    """A working folder whose configuration sends through the sink, with 3 notes queued."""
    app = open_on(config_for(tmp_path, smtp_sink))
    queue_notes(app, 3)
    app.store.close()
    yield tmp_path


def counts(directory: Path) -> dict[str, int]:
    app = open_on(directory / "config.toml")
    try:
        return outbox_counts(app)
    finally:
        app.store.close()


def test_everything_sent_exits_0(queued: Path, smtp_sink: SmtpSink) -> None:
    done = send(queued)
    assert done.returncode == 0, done.stderr
    assert "Outbox by SMTP: 3 sent, 0 to try again later, 0 failed." in done.stdout
    assert done.stderr == ""
    assert len(smtp_sink.received) == 3


def test_a_server_that_is_down_exits_75_says_why_and_keeps_the_mail(
        queued: Path, smtp_sink: SmtpSink) -> None:
    smtp_sink.stop()
    done = send(queued)
    assert done.returncode == 75
    assert (f"Cannot connect to the SMTP server 127.0.0.1:{smtp_sink.port}: it refused the "
            "connection (is it running?). 3 messages stay queued and will be sent by clerk "
            "run.") in done.stderr
    assert "Traceback" not in done.stderr
    assert counts(queued)["queued"] == 3
    as_json = send(queued, "--json")  # the same status for scripts reading JSON
    assert as_json.returncode == 75
    assert json.loads(as_json.stdout)["outbox"]["queued"] == 3


def test_a_refused_login_exits_75(tmp_path: Path, smtp_sink_tls: SmtpSink,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_for(tmp_path, smtp_sink_tls)
    with config.open("a", encoding="utf-8") as out:
        out.write('username = "clerk"\npassword_env = "CLERK_TEST_SMTP_PASSWORD"\n')
    app = open_on(config)
    queue_notes(app, 2)
    app.store.close()
    monkeypatch.setenv("CLERK_TEST_SMTP_PASSWORD", "wrong")
    done = send(tmp_path)  # no STARTTLS configured: the server will not take a login in clear
    assert done.returncode == 75, done.stdout + done.stderr
    assert "2 messages stay queued and will be sent by clerk run." in done.stderr
    assert ".." not in done.stderr
    assert smtp_sink_tls.received == []


def test_a_temporary_refusal_of_one_message_exits_75(queued: Path, smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(1, 451)
    done = send(queued)
    assert done.returncode == 75
    assert "2 sent, 1 to try again later, 0 failed" in done.stdout
    assert ("The server refused 1 message for now: 1 message stays queued and will be sent by "
            "clerk run.") in done.stderr
    assert len(smtp_sink.received) == 2


def test_an_address_refused_for_good_is_reported_and_exits_0(queued: Path,
                                                            smtp_sink: SmtpSink) -> None:
    smtp_sink.reject_recipient("member1@example.org")
    done = send(queued)
    assert done.returncode == 0, done.stderr
    assert "2 sent, 0 to try again later, 1 failed" in done.stdout
    assert "See `clerk mail outbox --status failed` for the reasons." in done.stdout
    assert counts(queued)["failed"] == 1
