"""Smoke tests for the loopback mail servers in tests/servers (Dovecot and the SMTP sink)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.policy
import smtplib
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from imapclient import IMAPClient

from tests.servers import Dovecot, SmtpSink, free_port
from tests.servers import dovecot as dovecot_module

pytestmark = pytest.mark.servers

USER = "clerk"


def make_message(subject: str, to: str = "board@example.org", body: str = "Hello.\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = "secretary@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}@example.org>"
    msg.set_content(body)
    return msg.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Iterator[IMAPClient]:
    """An empty mailbox for USER, and an IMAP connection to it (INBOX selected)."""
    dovecot.clear(USER)
    with dovecot.client(USER) as imap:
        imap.select_folder("INBOX")
        yield imap


# ------------------------------------------------------------------------------------ IMAP


def test_default_folders_exist(dovecot: Dovecot) -> None:
    assert set(dovecot.folders(USER)) >= {"INBOX", "Archive", "Processed", "Quarantine"}
    with dovecot.client(USER) as imap:
        archive = [f for f in imap.list_folders() if f[2] == "Archive"]
        assert b"\\Archive" in archive[0][0]


def test_append_then_search_and_fetch(dovecot: Dovecot, mailbox: IMAPClient) -> None:
    raw = make_message("agenda item 1")
    uid = dovecot.append(USER, raw)
    assert uid is not None

    mailbox.noop()
    assert mailbox.search(["UNSEEN"]) == [uid]
    assert mailbox.search(["SUBJECT", "agenda item 1"]) == [uid]
    fetched = mailbox.fetch([uid], ["BODY.PEEK[]", "FLAGS"])
    assert fetched[uid][b"BODY[]"] == raw
    assert b"\\Seen" not in fetched[uid][b"FLAGS"]  # PEEK leaves the message unread
    assert dovecot.messages(USER) == [raw]


def test_append_with_flags_and_internaldate(dovecot: Dovecot, mailbox: IMAPClient) -> None:
    when = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    uid = dovecot.append(USER, make_message("old"), flags=["\\Seen"], internaldate=when)
    mailbox.noop()
    data = mailbox.fetch([uid], ["FLAGS", "INTERNALDATE"])[uid]
    assert b"\\Seen" in data[b"FLAGS"]
    assert data[b"INTERNALDATE"].astimezone(dt.UTC) == when  # imapclient gives local naive time


def test_idle_sees_append_from_other_connection(dovecot: Dovecot, mailbox: IMAPClient) -> None:
    mailbox.idle()
    try:
        dovecot.append(USER, make_message("pushed"))
        deadline = time.monotonic() + 10
        seen: list[tuple[object, ...]] = []
        while time.monotonic() < deadline and not any(r[1:2] == (b"EXISTS",) for r in seen):
            seen += mailbox.idle_check(timeout=1)
    finally:
        mailbox.idle_done()
    assert any(r[1:2] == (b"EXISTS",) for r in seen), seen


def test_move_to_processed(dovecot: Dovecot, mailbox: IMAPClient) -> None:
    raw = make_message("to be filed")
    uid = dovecot.append(USER, raw)
    mailbox.noop()
    mailbox.move([uid], "Processed")
    assert mailbox.search("ALL") == []
    assert dovecot.messages(USER, "Processed") == [raw]


def test_lmtp_delivery(dovecot: Dovecot, mailbox: IMAPClient) -> None:
    dovecot.deliver(USER, make_message("via lmtp"))
    assert b"Subject: via lmtp" in dovecot.messages(USER)[0]
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        dovecot.deliver("nobody", make_message("lost"))
    assert info.value.recipients["nobody"][0] == 550


def test_dovecot_restart_same_ports_keeps_mail() -> None:
    server = Dovecot(imap_port=free_port(), lmtp_port=free_port())
    try:
        server.add_user("alice", "pw-a")
        server.start()
        server.append("alice", make_message("kept"))
        ports = (server.imap_port, server.lmtp_port)
        server.stop()
        assert not server.running
        with pytest.raises(OSError):
            IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=2)
        server.restart()
        assert (server.imap_port, server.lmtp_port) == ports
        assert len(server.messages("alice")) == 1
        server.add_user("bob", "pw-b")  # while running: visible after Dovecot's reload
        assert "Processed" in server.folders("bob")
        assert server.user_password("bob") == "pw-b"
    finally:
        server.close()
    assert not server.dir.exists()


def test_missing_dovecot_skips_locally_and_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dovecot_module, "find_dovecot", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="dovecot binary not found"):
        dovecot_module.require_dovecot()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        dovecot_module.require_dovecot()


# ------------------------------------------------------------------------------------ SMTP


def send(
    sink: SmtpSink, raw: bytes, recipients: list[str], **kwargs: Any
) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
    """Send ``raw`` to the sink with aiosmtplib; returns (refused recipients, final reply)."""
    return asyncio.run(
        aiosmtplib.send(
            raw,
            sender="secretary@example.org",
            recipients=recipients,
            hostname=sink.host,
            port=sink.port,
            timeout=10,
            **kwargs,
        )
    )


def test_smtp_plain_send(smtp_sink: SmtpSink) -> None:
    send(smtp_sink, make_message("minutes", to="a@example.org"), ["a@example.org", "b@example.org"])
    [got] = smtp_sink.received
    assert got.mail_from == "secretary@example.org"
    assert got.rcpt_tos == ("a@example.org", "b@example.org")
    assert not got.tls and got.login is None
    assert abs(got.received_at - time.time()) < 60
    [parsed] = smtp_sink.messages_to("B@example.org")
    assert parsed["Subject"] == "minutes"
    assert smtp_sink.messages_to("c@example.org") == []


def test_smtp_starttls_and_auth(smtp_sink_tls: SmtpSink) -> None:
    sink = smtp_sink_tls
    assert sink.username is not None and sink.password is not None
    send(
        sink,
        make_message("secure"),
        ["a@example.org"],
        start_tls=True,
        tls_context=sink.client_tls_context(),
        username=sink.username,
        password=sink.password,
    )
    [got] = sink.received
    assert got.tls and got.login == sink.username
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        send(
            sink,
            make_message("bad password"),
            ["a@example.org"],
            start_tls=True,
            tls_context=sink.client_tls_context(),
            username=sink.username,
            password="wrong",
        )
    with pytest.raises(aiosmtplib.SMTPResponseException) as info:  # no AUTH: refused
        send(sink, make_message("anon"), ["a@example.org"], start_tls=True,
             tls_context=sink.client_tls_context())  # fmt: skip
    assert info.value.code == 530
    assert len(sink.received) == 1


def test_smtp_temporary_failure_then_success(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(2, 451)
    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPDataError) as info:
            send(smtp_sink, make_message("retry me"), ["a@example.org"])
        assert info.value.code == 451
    smtp_sink.fail_next(1, 421, stage="mail")
    with pytest.raises(aiosmtplib.SMTPResponseException) as info421:
        send(smtp_sink, make_message("retry me"), ["a@example.org"])
    assert info421.value.code == 421
    assert smtp_sink.received == []
    send(smtp_sink, make_message("retry me"), ["a@example.org"])
    assert len(smtp_sink.messages_to("a@example.org")) == 1


def test_smtp_rejected_recipients(smtp_sink: SmtpSink) -> None:
    smtp_sink.reject_recipient("gone@example.org")
    errors, _ = send(smtp_sink, make_message("partly"), ["a@example.org", "Gone@example.org"])
    assert errors["Gone@example.org"].code == 550
    [got] = smtp_sink.received
    assert got.rcpt_tos == ("a@example.org",)
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        send(smtp_sink, make_message("nobody"), ["gone@example.org"])
    assert len(smtp_sink.received) == 1


def test_smtp_down_then_back_on_same_port(smtp_sink: SmtpSink) -> None:
    send(smtp_sink, make_message("before"), ["a@example.org"])
    port = smtp_sink.port
    smtp_sink.stop()
    assert not smtp_sink.running
    with pytest.raises(aiosmtplib.SMTPConnectError):
        send(smtp_sink, make_message("while down"), ["a@example.org"])
    smtp_sink.start()
    assert smtp_sink.port == port
    send(smtp_sink, make_message("after"), ["a@example.org"])
    subjects = [m["Subject"] for m in smtp_sink.messages_to("a@example.org")]
    assert subjects == ["before", "after"]


def test_smtp_wait_for_message_from_background_sender(smtp_sink: SmtpSink) -> None:
    sender = threading.Thread(target=send, args=(smtp_sink, make_message("async"), ["a@example.org"]))
    sender.start()
    try:
        [got] = smtp_sink.wait_for(1, timeout=10)
    finally:
        sender.join()
    assert got.parsed()["Subject"] == "async"
    with pytest.raises(TimeoutError):
        smtp_sink.wait_for(2, timeout=0.2)
