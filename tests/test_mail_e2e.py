"""Attendance by email, the whole way round, against real servers on loopback: invitations go
out over SMTP (aiosmtpd), members' replies are APPENDed to a real Dovecot inbox as Gmail and
Outlook write them, clerk reads them over IMAP, records them, files them, and the confirmations
arrive back at the SMTP server. Then the failures: clerk killed between the commit and the MOVE,
the same message delivered twice, the SMTP server down for a while, forged and stale replies,
automatic mail, a message that cannot be handled, a server restart."""

from __future__ import annotations

import asyncio
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from clerk.times import parse_local
from mail.imap_reader import ImapReader, ReadReport
from mail.sender import send_outbox
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS, reply_of
from tests.reply_mail import bounce, gmail_reply_to, out_of_office, outlook_reply_to, reply
from tests.servers import Dovecot, SmtpSink

pytestmark = pytest.mark.servers

USER = "clerk"
PASSWORD_ENV = "CLERK_TEST_IMAP_PASSWORD"
CAROL, DEV, ELEANOR, JANE = ("carol.chowdhury@example.org", "dev.davies@example.org",
                             "eleanor.evans@example.org", "jane.smith@example.org")


# ----------------------------------------------------------------------------- set-up


def make_app(clock: FakeClock, tmp_path: Path, dovecot: Dovecot, sink: SmtpSink, *,
             folder: str = "INBOX") -> Clerk:
    """clerk on the example configuration with a database file, reading the Dovecot inbox and
    sending through the SMTP sink."""
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["clerk"]["database"] = str(tmp_path / "clerk.db")
    data["mail"]["maildir"] = str(tmp_path / "mail")
    data["mail"]["smtp"] = {"host": sink.host, "port": sink.port, "starttls": False,
                            "timeout_seconds": 5}
    data["mail"]["imap"] = {"host": dovecot.host, "port": dovecot.imap_port, "ssl": False,
                            "username": USER, "password_env": PASSWORD_ENV, "folder": folder,
                            "timeout_seconds": 10}
    config = parse_config(data, EXAMPLE_CONFIG)
    app = Clerk(config=config, store=open_store(config.database_path), clock=clock)
    sync_bodies(app)
    return app


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Clerk]:
    dovecot.clear(USER)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.user_password(USER))
    clerk = make_app(clock, tmp_path, dovecot, smtp_sink)
    assert import_members(clerk, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    yield clerk
    clerk.store.close()


def invited(app: Clerk, sink: SmtpSink, when: str = "2027-01-14 10:00") -> tuple[
        Meeting, dict[str, EmailMessage]]:
    """A Carers Partnership meeting with every member's invitation sent and received."""
    meeting = add_meeting(app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                          starts_at=parse_local(when, app.tz)))
    invite(app, meeting.ref)
    report = send_outbox(app)
    assert report.sent == 20 and report.failed == 0
    invitations = {}
    for received in sink.received:
        [to] = received.rcpt_tos
        invitations[to.lower()] = received.parsed()
    sink.clear()
    return meeting, invitations


def deliver(dovecot: Dovecot, raw: bytes, folder: str = "INBOX") -> int:
    """APPEND a message; its INTERNALDATE is the server's own time (Dovecot will not take one in
    the future, and the fake clock runs ahead of the real one)."""
    uid = dovecot.append(USER, raw, folder=folder)
    assert uid is not None
    return uid


def read_inbox(app: Clerk, **kwargs: Any) -> ReadReport:
    """One pass of the IMAP reader, as ``clerk mail read`` does it."""
    reader = ImapReader(app, **kwargs)

    async def once() -> ReadReport:
        try:
            return await reader.drain_once()
        finally:
            await reader.close()

    return asyncio.run(once())



def kinds_to(sink: SmtpSink, email: str) -> list[str]:
    return [str(m["X-Clerk-Kind"]) for m in sink.messages_to(email)]


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def count_events(app: Clerk, action: str) -> int:
    row = app.store.one("SELECT COUNT(*) AS n FROM audit WHERE action = ?", [action])
    return int(row["n"]) if row else 0


# ----------------------------------------------------------------------------- the whole path


def test_replies_are_read_recorded_filed_and_confirmed(app: Clerk, dovecot: Dovecot,
                                                       smtp_sink: SmtpSink,
                                                       clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    yes = gmail_reply_to(invitations[CAROL], CAROL, "Carol Chowdhury", "Yes, I'll be there.")
    no = outlook_reply_to(invitations[DEV], DEV, "Dev Davies",
                          "Sorry, I can't make it - I'm on leave that week.")
    sub = gmail_reply_to(invitations[ELEANOR], ELEANOR, "Eleanor Evans",
                         f"I'm away that day. Jane Smith <{JANE}> will come in my place.")
    for raw in (yes, no, sub):
        deliver(dovecot, raw)

    report = read_inbox(app)

    assert [r.status for r in report.results] == ["processed"] * 3
    assert reply_of(app, meeting, CAROL) == "attend"
    assert reply_of(app, meeting, DEV) == "apologies"
    assert reply_of(app, meeting, ELEANOR) == "substitute"
    assert dovecot.messages(USER) == []
    assert sorted(dovecot.messages(USER, "Processed")) == sorted([yes, no, sub])
    rows = app.store.all("SELECT uidvalidity, uid, status FROM inbound ORDER BY uid")
    assert all(r["uidvalidity"] and r["uid"] for r in rows)

    assert send_outbox(app).sent == 4
    for email, raw in ((CAROL, yes), (DEV, no), (ELEANOR, sub)):
        [confirmation] = smtp_sink.messages_to(email)
        answered = message_from_bytes(raw, policy=policy.default)
        assert confirmation["In-Reply-To"] == answered["Message-ID"]
        assert confirmation["Auto-Submitted"] == "auto-replied"
        assert confirmation["X-Clerk-Kind"] == "reply_confirmation"
    assert "we have you down as attending" in text_of(smtp_sink.messages_to(CAROL)[0])
    assert "Jane Smith (jane.smith@example.org) will attend in your place" in text_of(
        smtp_sink.messages_to(ELEANOR)[0])

    [jane_invitation] = smtp_sink.messages_to(JANE)
    assert jane_invitation["X-Clerk-Kind"] == "substitute_invitation"
    deliver(dovecot, outlook_reply_to(jane_invitation, JANE, "Jane Smith", "Yes, I will "
                                             "attend."))
    assert [r.status for r in read_inbox(app).results] == ["processed"]
    assert reply_of(app, meeting, JANE) == "attend"
    send_outbox(app)
    assert kinds_to(smtp_sink, JANE) == ["substitute_invitation", "reply_confirmation"]
    assert "in place of Eleanor Evans" in text_of(smtp_sink.messages_to(JANE)[1])


def test_a_reply_sent_to_the_from_address_is_found_by_its_thread(app: Clerk, dovecot: Dovecot,
                                                                 smtp_sink: SmtpSink,
                                                                 clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    raw = reply(CAROL, None, "Yes I'll come", to="Partnership clerk <clerk@clerk.example.org>",
                in_reply_to=str(invitations[CAROL]["Message-ID"]))
    deliver(dovecot, raw)
    assert [r.status for r in read_inbox(app).results] == ["processed"]
    assert reply_of(app, meeting, CAROL) == "attend"


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_the_running_reader_picks_up_replies_as_they_arrive(app: Clerk, dovecot: Dovecot,
                                                            smtp_sink: SmtpSink, clock: FakeClock,
                                                            idle: bool) -> None:
    meeting, invitations = invited(app, smtp_sink)
    seen: list[str] = []

    async def scenario() -> ImapReader:
        reader = ImapReader(app, use_idle=idle, poll_seconds=0.3, idle_tick=0.2,
                            on_result=lambda r: seen.append(r.status))
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        for _ in range(50):  # connected and waiting
            if reader.connections:
                break
            await asyncio.sleep(0.1)
        await asyncio.to_thread(deliver, dovecot,
                                gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes"))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 10)
        return reader

    reader = asyncio.run(scenario())
    assert seen == ["processed"]
    assert reader._idle is idle and reader.connections == 1
    assert reply_of(app, meeting, CAROL) == "attend"
    assert dovecot.messages(USER) == []


def test_idle_is_renewed_and_still_sees_new_mail(app: Clerk, dovecot: Dovecot,
                                                smtp_sink: SmtpSink) -> None:
    meeting, invitations = invited(app, smtp_sink)
    seen: list[str] = []

    async def scenario() -> ImapReader:
        reader = ImapReader(app, idle_renew_seconds=0.4, idle_tick=0.1,
                            on_result=lambda r: seen.append(r.status))
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        while reader.idles < 4:  # three renewals
            await asyncio.sleep(0.05)
        await asyncio.to_thread(deliver, dovecot,
                                gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes"))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 10)
        return reader

    reader = asyncio.run(scenario())
    assert seen == ["processed"] and reader.connections == 1
    assert reply_of(app, meeting, CAROL) == "attend"


def test_the_reader_reconnects_after_the_server_restarts(app: Clerk, dovecot: Dovecot,
                                                         smtp_sink: SmtpSink,
                                                         clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    seen: list[str] = []

    async def scenario() -> ImapReader:
        reader = ImapReader(app, idle_tick=0.2, backoff_first=0.2, backoff_max=1,
                            on_result=lambda r: seen.append(r.status))
        stop = asyncio.Event()
        task = asyncio.create_task(reader.run(stop))
        while not reader.connections:
            await asyncio.sleep(0.05)
        dovecot.restart()  # from this thread: Dovecot dies with the thread that started it
        await asyncio.to_thread(deliver, dovecot,
                                gmail_reply_to(invitations[DEV], DEV, "Dev", "No, sorry"))
        for _ in range(150):
            if seen:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 10)
        return reader

    reader = asyncio.run(scenario())
    assert seen == ["processed"] and reader.connections >= 2
    assert reply_of(app, meeting, DEV) == "apologies"


# ----------------------------------------------------------------------------- once, and only once


class Killed(BaseException):
    """clerk stopping dead (kill -9): nothing after this point runs."""


def test_killed_between_the_commit_and_the_move_counts_and_answers_once(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    meeting, invitations = invited(app, smtp_sink)
    raw = gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes please")
    deliver(dovecot, raw)

    def killed(self: ImapReader, uids: list[int], folder: str) -> None:
        self._client = None  # the process is gone: no logout either
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(ImapReader, "_move", killed)
        with pytest.raises(Killed):
            read_inbox(app)
    assert reply_of(app, meeting, CAROL) == "attend", "the commit happened"
    assert dovecot.messages(USER) == [raw], "the MOVE did not"
    app.store.close()

    restarted = make_app(clock, tmp_path, dovecot, smtp_sink)
    try:
        report = read_inbox(restarted)
        assert report.results == [] and report.moved_again == 1, "filed, not read again"
        assert dovecot.messages(USER) == [] and dovecot.messages(USER, "Processed") == [raw]
        assert count_events(restarted, "reply.recorded") == 1
        assert send_outbox(restarted).sent == 1
        assert send_outbox(restarted).sent == 0
    finally:
        restarted.store.close()
    assert kinds_to(smtp_sink, CAROL) == ["reply_confirmation"]


def test_the_same_message_delivered_twice_is_counted_and_answered_once(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    raw = outlook_reply_to(invitations[DEV], DEV, "Dev Davies", "Yes, I'll be there.")
    deliver(dovecot, raw)
    deliver(dovecot, raw)

    first = read_inbox(app)
    deliver(dovecot, raw)  # and once more, later
    second = read_inbox(app)

    assert [r.status for r in first.results] == ["processed", "duplicate"]
    assert [r.status for r in second.results] == ["duplicate"]
    assert len(dovecot.messages(USER, "Processed")) == 3 and dovecot.messages(USER) == []
    assert count_events(app, "reply.recorded") == 1
    assert app.store.one("SELECT COUNT(*) AS n FROM inbound") == {"n": 1}
    send_outbox(app)
    assert kinds_to(smtp_sink, DEV) == ["reply_confirmation"]
    assert reply_of(app, meeting, DEV) == "attend"


def test_an_smtp_server_down_for_a_while_sends_every_answer_once_when_back(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    _meeting, invitations = invited(app, smtp_sink)
    smtp_sink.stop()
    for email in (CAROL, DEV, ELEANOR):
        deliver(dovecot, gmail_reply_to(invitations[email], email, "Member", "Yes"))
    assert [r.status for r in read_inbox(app).results] == ["processed"] * 3

    down = send_outbox(app)
    assert down.sent == 0 and down.stopped
    clock.advance(timedelta(minutes=3))
    assert send_outbox(app).sent == 0
    deliver(dovecot, gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes"))
    assert [r.status for r in read_inbox(app).results] == ["processed"]  # a second "yes"

    smtp_sink.start()
    clock.advance(timedelta(hours=1))
    back = send_outbox(app)
    assert back.sent == 4 and back.failed == 0
    assert send_outbox(app).sent == 0
    counts = Counter(r.lower() for m in smtp_sink.received for r in m.rcpt_tos)
    assert counts == {CAROL: 2, DEV: 1, ELEANOR: 1}, "one per reply, none twice"
    assert count_events(app, "reply.recorded") == 4


# ----------------------------------------------------------------------------- who may reply


def test_a_valid_key_from_a_spoofed_sender_is_refused_and_answered_once_a_day(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    for body in ("Yes, I'll be there", "Yes! Please record it."):
        deliver(dovecot, gmail_reply_to(invitations[CAROL], DEV, "Carol Chowdhury", body))

    report = read_inbox(app)

    assert [r.status for r in report.results] == ["refused", "refused"]
    assert reply_of(app, meeting, CAROL) == "no_reply" and reply_of(app, meeting, DEV) == "no_reply"
    assert len(dovecot.messages(USER, "Processed")) == 2, "refused mail is filed, not kept"
    assert count_events(app, "inbound.refused") == 2
    send_outbox(app)
    [refusal] = smtp_sink.messages_to(DEV)
    assert refusal["X-Clerk-Kind"] == "reply_refused" and refusal["Reply-To"] is None
    assert "sent to a different email address" in text_of(refusal)
    assert CAROL not in refusal.as_string()

    clock.advance(timedelta(hours=25))
    deliver(dovecot, gmail_reply_to(invitations[CAROL], DEV, "Carol", "Yes"))
    read_inbox(app)
    send_outbox(app)
    assert kinds_to(smtp_sink, DEV) == ["reply_refused", "reply_refused"]


def test_an_expired_key_and_an_unknown_sender_are_refused(app: Clerk, dovecot: Dovecot,
                                                          smtp_sink: SmtpSink,
                                                          clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink, when="2027-04-08 10:00")
    clock.advance(timedelta(days=61))  # reply keys last 60 days
    deliver(dovecot, gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes"))
    deliver(dovecot, reply("stranger@elsewhere.example", None, "Hello, can I come?"))

    report = read_inbox(app)

    assert [(r.status, r.reason) for r in report.results] == [
        ("refused", "the reply key has expired"),
        ("refused", "no reply key: it does not answer one of clerk's emails")]
    assert reply_of(app, meeting, CAROL) == "no_reply"
    send_outbox(app)
    [refusal] = smtp_sink.messages_to(CAROL)
    assert "its reply link has expired" in text_of(refusal)
    assert smtp_sink.messages_to("stranger@elsewhere.example") == [], "no backscatter"


def test_automatic_mail_gets_no_answer_and_a_bounce_stops_mail_to_the_address(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    carol_key = str(invitations[CAROL]["Reply-To"]).split("+")[1].split("@")[0]
    deliver(dovecot, out_of_office(CAROL, carol_key))
    deliver(dovecot, bounce(DEV, original_id=str(invitations[DEV]["Message-ID"])))
    deliver(dovecot, bounce(ELEANOR, permanent=False))

    report = read_inbox(app)

    assert [r.status for r in report.results] == ["ignored", "processed", "ignored"]
    assert reply_of(app, meeting, CAROL) == "no_reply"
    assert send_outbox(app).sent == 0 and smtp_sink.received == []
    assert app.store.one("SELECT undeliverable FROM people WHERE email = ?", [DEV])[
        "undeliverable"].startswith("mail bounced (5.1.1)")
    result = invite(app, meeting.ref)
    assert [email for email, _ in result.undeliverable] == [DEV] and result.queued == []


# ----------------------------------------------------------------------------- failures in hand


def test_a_message_that_cannot_be_handled_is_quarantined_and_the_loop_carries_on(
        app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    meeting, invitations = invited(app, smtp_sink)
    poison = reply(CAROL, None, "yes", subject="Re: poison")
    deliver(dovecot, poison)
    deliver(dovecot, gmail_reply_to(invitations[DEV], DEV, "Dev", "Yes"))
    from mail import ingest as ingest_module

    real = ingest_module.handle_inbound

    def fragile(app: Clerk, mail: Any, **kwargs: Any) -> Any:
        if mail.subject == "Re: poison":
            raise RuntimeError("something clerk did not expect")
        return real(app, mail, **kwargs)

    monkeypatch.setattr(ingest_module, "handle_inbound", fragile)
    report = read_inbox(app)

    assert [r.status for r in report.results] == ["quarantined", "processed"]
    assert dovecot.messages(USER, "Quarantine") == [poison]
    row = app.store.one("SELECT status, reason, raw FROM inbound WHERE status = 'quarantined'")
    assert row is not None and "something clerk did not expect" in row["reason"]
    assert bytes(row["raw"]) == poison
    assert reply_of(app, meeting, DEV) == "attend"


def test_without_move_the_reader_copies_and_deletes(app: Clerk, dovecot: Dovecot,
                                                    smtp_sink: SmtpSink,
                                                    clock: FakeClock) -> None:
    _meeting, invitations = invited(app, smtp_sink)
    raw = gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes")
    deliver(dovecot, raw)
    assert [r.status for r in read_inbox(app, use_move=False).results] == ["processed"]
    assert dovecot.messages(USER) == [] and dovecot.messages(USER, "Processed") == [raw]


def test_a_renumbered_folder_is_recognised_by_message_id(clock: FakeClock, tmp_path: Path,
                                                          dovecot: Dovecot, smtp_sink: SmtpSink,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot.clear(USER)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.user_password(USER))
    with dovecot.client(USER) as imap:
        imap.create_folder("Replies")
    app = make_app(clock, tmp_path, dovecot, smtp_sink, folder="Replies")
    try:
        assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
        _meeting, invitations = invited(app, smtp_sink)
        raw = gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes")
        deliver(dovecot, raw, folder="Replies")
        with monkeypatch.context() as patch:  # read, but killed before the move
            patch.setattr(ImapReader, "_move", lambda *a: (_ for _ in ()).throw(Killed()))
            with pytest.raises(Killed):
                read_inbox(app)
        with dovecot.client(USER) as imap:  # the folder is recreated: new UIDVALIDITY
            imap.delete_folder("Replies")
            imap.create_folder("Replies")
        deliver(dovecot, raw, folder="Replies")
        report = read_inbox(app)
        assert [r.status for r in report.results] == ["duplicate"]
        assert dovecot.messages(USER, "Replies") == []
        assert count_events(app, "reply.recorded") == 1
    finally:
        app.store.close()


def test_clerk_run_once_reads_then_sends(app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink,
                                         clock: FakeClock) -> None:
    from mail.worker import workers

    meeting, invitations = invited(app, smtp_sink)
    deliver(dovecot, gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Count me in"))
    reader, sender = workers(app)
    assert reader.name.startswith("inbox reader (IMAP") and sender.name == "outbox sender (smtp)"

    async def once() -> None:
        assert reader.once is not None and sender.once is not None
        await reader.once()
        await sender.once()

    asyncio.run(once())
    assert reply_of(app, meeting, CAROL) == "attend"
    assert kinds_to(smtp_sink, CAROL) == ["reply_confirmation"]


def test_received_time_is_the_servers_arrival_time(app: Clerk, dovecot: Dovecot,
                                                   smtp_sink: SmtpSink, clock: FakeClock) -> None:
    meeting, invitations = invited(app, smtp_sink)
    later = gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Sorry, I can't come after all.")
    earlier = gmail_reply_to(invitations[CAROL], CAROL, "Carol", "Yes, I'll be there.")
    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    dovecot.append(USER, later, internaldate=arrived + timedelta(minutes=30))
    dovecot.append(USER, earlier, internaldate=arrived)  # delivered late, after the change
    read_inbox(app)
    assert reply_of(app, meeting, CAROL) == "apologies"
    row = app.store.one("SELECT received_at FROM inbound WHERE status = 'processed' "
                        "ORDER BY received_at LIMIT 1")
    assert row is not None and datetime.fromisoformat(row["received_at"]) == arrived
