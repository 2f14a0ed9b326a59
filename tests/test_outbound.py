"""Outbound mail as members see it: invitations with calendar entries arrive once each at a real
SMTP server (aiosmtpd on loopback), moves and cancellations reach everyone invited, and a server
that is down, refusing or demanding TLS and a password does not lose or duplicate anything."""

from __future__ import annotations

import asyncio
import json
import mailbox
import re
import shutil
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from clerk.app import Clerk
from clerk.attendance.invitations import cancel_meeting, invite, move_meeting
from clerk.attendance.replies import RecordReply, record_reply
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting, get_meeting
from clerk.outbox import delivery
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from clerk.times import parse_local
from mail.sender import OutboxSender, send_outbox
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS
from tests.servers import SmtpSink

FROM = "clerk@clerk.example.org"
KEY_REPLY_TO = re.compile(r"^clerk\+([0-9a-f]{32})@clerk\.example\.org$")
PASSWORD_ENV = "CLERK_TEST_SMTP_PASSWORD"


# ----------------------------------------------------------------------------- helpers


def carers_emails() -> list[str]:
    lines = EXAMPLE_MEMBERS.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",")[2] for line in lines if line.startswith("carers,")]


def make_app(clock: FakeClock, tmp_path: Path, smtp: dict[str, Any] | None = None) -> Clerk:
    """clerk on the example configuration (mail kept under tmp_path) with the example members;
    ``smtp`` adds a ``[mail.smtp]`` section."""
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["mail"]["maildir"] = str(tmp_path / "mail")
    if smtp is not None:
        data["mail"]["smtp"] = smtp
    app = Clerk(config=parse_config(data, EXAMPLE_CONFIG), store=open_store(memory=True),
                clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return app


@pytest.fixture
def smtp_app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[Clerk]:
    """clerk sending to the plain SMTP sink."""
    app = make_app(clock, tmp_path, {"host": smtp_sink.host, "port": smtp_sink.port,
                                     "starttls": False, "timeout_seconds": 5})
    yield app
    app.store.close()


def carers_meeting(app: Clerk, when: str = "2027-01-14 10:00") -> Meeting:
    return add_meeting(app, AddMeeting(body="carers", starts_at=parse_local(when, app.tz),
                                       venue="County Hall, Worcester",
                                       online_url="https://meet.example.org/carers"))


def calendar_of(msg: EmailMessage) -> tuple[Calendar, Any]:
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "exactly one calendar part"
    raw = parts[0].get_payload(decode=True)
    assert isinstance(raw, bytes)
    cal = Calendar.from_ical(raw)
    return cal, cal.walk("VEVENT")[0]


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(msg: EmailMessage) -> str:
    body = msg.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def per_recipient(sink: SmtpSink) -> Counter[str]:
    return Counter(r.lower() for m in sink.received for r in m.rcpt_tos)


def outbox_status(app: Clerk, email: str) -> list[str]:
    return [r["status"] for r in app.store.all(
        "SELECT status FROM outbox WHERE to_addr = ? ORDER BY id", [email])]


# ----------------------------------------------------------------------------- invitations


def test_invitation_reaches_every_member_with_text_html_calendar_and_reply_key(
        smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(smtp_app)
    result = invite(smtp_app, meeting.ref)
    members = carers_emails()
    assert sorted(result.queued) == sorted(members) and len(members) == 20

    report = send_outbox(smtp_app)

    assert (report.sent, report.failed, report.retrying) == (20, 0, 0)
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(members, 1))
    assert len({m.peer for m in smtp_sink.received}) == 1, "one SMTP connection for all"
    keys = set()
    for email in members:
        [msg] = smtp_sink.messages_to(email)
        assert msg["Subject"] == ("Invitation: Worcestershire Carers Partnership, "
                                  "Thursday 14 January 2027 at 10:00")
        assert msg["Auto-Submitted"] == "auto-generated"
        text, html = text_of(msg), html_of(msg)
        for body in (text, html):
            assert "Thursday 14 January 2027 at 10:00" in body
            assert "County Hall, Worcester" in body
            assert "https://meet.example.org/carers" in body
            assert "YES" in body and "NO" in body and "substitute" in body
        sizes = [int(px) for px in re.findall(r"font-size:\s*(\d+)px", html)]
        assert sizes and min(sizes) >= 18, "large readable type"

        key = KEY_REPLY_TO.match(str(msg["Reply-To"])).group(1)  # type: ignore[union-attr]
        assert key in str(msg["Message-ID"])
        keys.add(key)
        row = smtp_app.store.one("SELECT k.*, p.email FROM reply_keys k JOIN people p "
                                 "ON p.id = k.person_id WHERE k.key = ?", [key])
        assert row is not None
        assert (row["email"], row["purpose"], row["subject_ref"]) == (email, "rsvp", meeting.ref)
        assert row["expires_at"] > row["created_at"]

        cal, event = calendar_of(msg)
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == meeting.uid
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == meeting.starts_at
        assert str(event["ATTENDEE"]).lower() == f"mailto:{email}"
        assert event["ATTENDEE"].params["RSVP"] == "TRUE"
        assert str(event["ORGANIZER"]).lower() == f"mailto:{FROM}"
    assert len(keys) == 20, "a key of their own for each person"
    assert {m.mail_from for m in smtp_sink.received} == {FROM}
    assert all(s == "sent" for e in members for s in outbox_status(smtp_app, e))


def test_moving_a_meeting_updates_everyone_invited(smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    send_outbox(smtp_app)
    smtp_sink.clear()

    new_time = parse_local("2027-01-21 14:30", smtp_app.tz)
    result = move_meeting(smtp_app, meeting.ref, new_time, venue="Civic Centre, Kidderminster")
    assert len(result.queued) == 20
    assert move_meeting(smtp_app, meeting.ref, new_time).changed is False  # same again: nothing
    send_outbox(smtp_app)

    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))
    msg = smtp_sink.messages_to("carol.chowdhury@example.org")[0]
    assert msg["Subject"].startswith("Meeting moved: Worcestershire Carers Partnership")
    text = text_of(msg)
    assert "Thursday 21 January 2027 at 14:30" in text
    assert "It was Thursday 14 January 2027 at 10:00" in text
    assert "Civic Centre, Kidderminster" in text
    cal, event = calendar_of(msg)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == meeting.uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == new_time
    assert KEY_REPLY_TO.match(str(msg["Reply-To"])), "the update can still be answered"
    assert get_meeting(smtp_app, meeting.ref).sequence == 1


def test_cancelling_a_meeting_sends_a_calendar_cancel_to_everyone_invited(
        smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    send_outbox(smtp_app)
    smtp_sink.clear()

    result = cancel_meeting(smtp_app, meeting.ref, reason="The venue is closed for repairs.")
    assert len(result.queued) == 20
    assert cancel_meeting(smtp_app, meeting.ref).changed is False
    send_outbox(smtp_app)

    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))
    for msg in (m.parsed() for m in smtp_sink.received):
        cal, event = calendar_of(msg)
        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == meeting.uid
        assert int(event["SEQUENCE"]) == 1
        assert msg["Subject"].startswith("Meeting cancelled:")
        assert "The venue is closed for repairs." in text_of(msg)
    assert get_meeting(smtp_app, meeting.ref).status == "cancelled"


def test_a_move_before_the_queue_is_sent_replaces_the_unsent_invitation(
        smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    move_meeting(smtp_app, meeting.ref, parse_local("2027-01-21 10:00", smtp_app.tz))
    send_outbox(smtp_app)
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))
    sequences = {int(calendar_of(m.parsed())[1]["SEQUENCE"]) for m in smtp_sink.received}
    assert sequences == {1}


def test_an_accepted_substitute_gets_their_own_invitation_and_key(
        smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    send_outbox(smtp_app)
    smtp_sink.clear()

    record_reply(smtp_app, RecordReply(meeting=meeting.ref, email="carol.chowdhury@example.org",
                                       intent="substitute", substitute_email="zoe.zed@example.org",
                                       substitute_name="Zoe Zed"))
    send_outbox(smtp_app)

    [msg] = smtp_sink.messages_to("zoe.zed@example.org")
    assert len(smtp_sink.received) == 1
    assert msg["Subject"].startswith("Please attend in place of Carol Chowdhury")
    assert "Dear Zoe Zed" in text_of(msg)
    key = KEY_REPLY_TO.match(str(msg["Reply-To"])).group(1)  # type: ignore[union-attr]
    row = smtp_app.store.one("SELECT p.email, k.purpose, k.subject_ref FROM reply_keys k "
                             "JOIN people p ON p.id = k.person_id WHERE k.key = ?", [key])
    assert row == {"email": "zoe.zed@example.org", "purpose": "rsvp", "subject_ref": meeting.ref}
    _, event = calendar_of(msg)
    assert str(event["UID"]) == meeting.uid
    assert str(event["ATTENDEE"]).lower() == "mailto:zoe.zed@example.org"

    # Inviting again sends the substitute nothing new; a move reaches them too.
    assert invite(smtp_app, meeting.ref).queued == []
    move_meeting(smtp_app, meeting.ref, parse_local("2027-01-15 10:00", smtp_app.tz))
    send_outbox(smtp_app)
    moved = smtp_sink.messages_to("zoe.zed@example.org")
    assert len(moved) == 2 and "in place of Carol Chowdhury" in text_of(moved[1])


def test_the_substitute_answer_is_offered_only_to_those_who_may_send_one(
        clock: FakeClock, tmp_path: Path) -> None:
    """The PAB's Chair and Vice-Chair may not send a substitute, so they are not told they can."""
    app = make_app(clock, tmp_path)
    meeting = add_meeting(app, AddMeeting(body="cypsp-pab",
                                          starts_at=parse_local("2027-01-12 14:00", app.tz)))
    invite(app, meeting.ref)
    send_outbox(app)
    bodies = {}
    for raw in mailbox.Maildir(tmp_path / "mail" / "outbox", factory=None, create=False):
        msg = message_from_bytes(raw.as_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        bodies[str(msg["To"]).split("<")[-1].rstrip(">")] = text_of(msg) + html_of(msg)
    assert "substitute" not in bodies["zoe.bailey@example.org"]  # the Chair
    assert "substitute" not in bodies["aaron.carter@example.org"]  # the Vice-Chair
    assert "substitute" in bodies["bella.doyle@example.org"]
    assert "we will tell you the place soon" in bodies["bella.doyle@example.org"]
    app.store.close()


# ----------------------------------------------------------------------------- delivery


def test_server_down_then_back_delivers_every_message_exactly_once(
        smtp_app: Clerk, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    smtp_sink.fail_next(3, 451)  # a few temporary refusals first
    first = send_outbox(smtp_app)
    assert (first.sent, first.retrying) == (17, 3)

    smtp_sink.stop()
    move_meeting(smtp_app, meeting.ref, parse_local("2027-01-21 10:00", smtp_app.tz))
    for _ in range(4):  # the server stays down for a while
        clock.advance(timedelta(minutes=20))
        report = send_outbox(smtp_app)
        assert report.sent == 0 and "cannot connect" in report.stopped
    smtp_sink.start()  # back, on the same port
    clock.advance(timedelta(hours=1))
    send_outbox(smtp_app)
    clock.advance(timedelta(hours=1))
    assert send_outbox(smtp_app).sent == 0, "nothing left over"

    # 17 had the invitation and then the update; the 3 refused at first only need the update
    # (their unsent invitation was replaced by it). Nobody got anything twice.
    counts = per_recipient(smtp_sink)
    assert sorted(counts.values()) == [1] * 3 + [2] * 17
    assert set(counts) == set(carers_emails())
    for email in carers_emails():
        msgs = smtp_sink.messages_to(email)
        assert len({m["Message-ID"] for m in msgs}) == len(msgs)
        assert [int(calendar_of(m)[1]["SEQUENCE"]) for m in msgs] == [0, 1][-len(msgs):]
    assert delivery.outbox_counts(smtp_app)["queued"] == 0


def test_a_refused_address_is_failed_and_marked_while_the_others_are_sent(
        smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    smtp_sink.reject_recipient("dev.davies@example.org")

    report = send_outbox(smtp_app)

    assert (report.sent, report.failed) == (19, 1)
    assert "dev.davies@example.org" not in per_recipient(smtp_sink)
    row = smtp_app.store.one("SELECT status, last_error FROM outbox WHERE to_addr = ?",
                             ["dev.davies@example.org"])
    assert row is not None and row["status"] == "failed" and "550" in row["last_error"]
    person = smtp_app.store.one("SELECT undeliverable FROM people WHERE email = ?",
                                ["dev.davies@example.org"])
    assert person is not None and "550" in person["undeliverable"]
    assert smtp_app.store.one("SELECT 1 AS x FROM audit WHERE action = 'mail.undeliverable' "
                              "AND subject = 'dev.davies@example.org'")
    # Later messages skip the address, and say so.
    result = move_meeting(smtp_app, meeting.ref, parse_local("2027-01-21 10:00", smtp_app.tz))
    assert [e for e, _ in result.undeliverable] == ["dev.davies@example.org"]
    assert "dev.davies@example.org" not in result.queued


def test_an_interrupted_send_is_recovered_and_sent_once(
        smtp_app: Clerk, smtp_sink: SmtpSink, clock: FakeClock) -> None:
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)
    claim = delivery.claim_next(smtp_app)  # a sender claimed it, then died before sending
    assert claim is not None

    first = send_outbox(smtp_app)
    assert first.sent == 19, "a claimed message is not taken by a second sender"
    assert claim.to_addr not in per_recipient(smtp_sink)

    clock.advance(delivery.LEASE + timedelta(seconds=1))
    second = send_outbox(smtp_app)
    assert (second.recovered, second.sent) == (1, 1)
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))


def test_a_crash_after_the_server_accepted_resends_with_the_same_message_id(
        smtp_app: Clerk, smtp_sink: SmtpSink, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented window: accepted by the server, clerk dies before recording it. The copy
    sent after recovery is the same message (same Message-ID, same calendar UID/SEQUENCE)."""
    meeting = carers_meeting(smtp_app)
    invite(smtp_app, meeting.ref)

    def crash(app: Clerk, outbox_id: int) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(delivery, "mark_sent", crash)
    with pytest.raises(SystemExit):
        send_outbox(smtp_app, limit=1)
    monkeypatch.undo()
    clock.advance(delivery.LEASE + timedelta(seconds=1))
    send_outbox(smtp_app)

    counts = per_recipient(smtp_sink)
    [twice] = [e for e, n in counts.items() if n == 2]
    assert sum(counts.values()) == 21
    copies = smtp_sink.messages_to(twice)
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]


def test_starttls_and_auth(clock: FakeClock, tmp_path: Path, smtp_sink_tls: SmtpSink,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(clock, tmp_path, {"host": "localhost", "port": smtp_sink_tls.port,
                                     "starttls": True, "username": "clerk",
                                     "password_env": PASSWORD_ENV, "timeout_seconds": 5})
    meeting = carers_meeting(app)
    invite(app, meeting.ref)
    tls = smtp_sink_tls.client_tls_context()

    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    refused = send_outbox(app, tls_context=tls)
    assert refused.sent == 0 and "refused the user name or password" in refused.stopped

    monkeypatch.setenv(PASSWORD_ENV, "smtp-secret")
    clock.advance(timedelta(minutes=5))
    report = send_outbox(app, tls_context=tls)

    assert report.sent == 20
    assert all(m.tls and m.login == "clerk" for m in smtp_sink_tls.received)
    assert per_recipient(smtp_sink_tls) == Counter(dict.fromkeys(carers_emails(), 1))
    app.store.close()


def test_without_a_server_mail_is_delivered_into_the_local_maildir(
        clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    invite(app, carers_meeting(app).ref)
    report = send_outbox(app)
    assert (report.transport, report.sent) == ("maildir", 20)
    box = mailbox.Maildir(tmp_path / "mail" / "outbox", create=False)
    recipients = sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in box)
    assert recipients == sorted(carers_emails())
    app.store.close()


def test_the_service_sender_sends_what_is_queued_while_it_runs(
        smtp_app: Clerk, smtp_sink: SmtpSink) -> None:
    async def scenario() -> int:
        sender = OutboxSender(smtp_app, interval=60)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await asyncio.sleep(0.05)  # running, nothing to send yet
        invite(smtp_app, carers_meeting(smtp_app).ref)
        sender.wake()  # queued: send now, not at the next interval
        for _ in range(200):
            if len(smtp_sink.received) >= 20:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)
        return sender.transport.connections  # type: ignore[attr-defined, no-any-return]

    connections = asyncio.run(scenario())
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))
    assert connections == 1


# ----------------------------------------------------------------------------- the commands


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_clerk_invite_twice_sends_once(workdir: Path, capsys: pytest.CaptureFixture[str],
                                       smtp_sink: SmtpSink) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + (
        f'\n[mail.smtp]\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\nstarttls = false\n'),
        encoding="utf-8")
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    assert run(capsys, "members", "import", "members.csv")[0] == 0
    assert run(capsys, "meetings", "add", "carers", "--at", "2035-01-11 10:00",
               "--venue", "County Hall")[0] == 0
    ref = "carers-2035-01-11"

    code, out, _ = run(capsys, "invite", ref)
    assert code == 0 and "20 queued" in out
    code, out, _ = run(capsys, "mail", "send")
    assert code == 0 and "20 sent" in out
    code, out, _ = run(capsys, "invite", ref, "--json")
    assert json.loads(out)["queued"] == [] and len(json.loads(out)["already"]) == 20
    run(capsys, "mail", "send")
    assert per_recipient(smtp_sink) == Counter(dict.fromkeys(carers_emails(), 1))

    code, out, _ = run(capsys, "meetings", "move", ref, "--at", "2035-01-18 10:00")
    assert code == 0 and "moved to Thursday 18 January 2035 at 10:00" in out
    code, out, _ = run(capsys, "meetings", "cancel", ref, "--reason", "Not enough business.")
    assert code == 0 and "cancelled" in out
    code, out, _ = run(capsys, "mail", "send", "--json")
    assert json.loads(out)["sent"] == 20, "the unsent update was replaced by the cancellation"
    code, out, _ = run(capsys, "mail", "outbox", "--json")
    statuses = Counter(r["status"] for r in json.loads(out))
    assert statuses == {"sent": 40, "superseded": 20}


def test_clerk_mail_send_with_the_example_config_needs_no_server(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    run(capsys, "members", "import", "members.csv")
    run(capsys, "meetings", "add", "carers", "--at", "2035-01-11 10:00")
    run(capsys, "invite", "carers-2035-01-11")
    code, out, _ = run(capsys, "mail", "send")
    assert code == 0 and "20 sent" in out
    assert len(list((workdir / "var" / "mail" / "outbox" / "new").iterdir())) == 20
    code, out, _ = run(capsys, "mail", "outbox")
    assert code == 0 and "20 sent" in out


def test_command_mistakes_are_sentences_not_tracebacks(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "invite", "carers-2099-01-01")
    assert code == 2 and 'there is no meeting "carers-2099-01-01"' in err
    run(capsys, "meetings", "add", "carers", "--at", "2035-01-11 10:00")
    code, _, err = run(capsys, "meetings", "move", "carers-2035-01-11", "--at", "soon")
    assert code == 2 and '"soon" is not a date and time' in err
    code, _, err = run(capsys, "meetings", "move", "carers-2035-01-11", "--at", "2001-01-01 10:00")
    assert code == 2 and "is in the past" in err
    code, _, err = run(capsys, "mail", "outbox", "--status", "lost")
    assert code == 2 and "--status must be one of" in err
    run(capsys, "meetings", "cancel", "carers-2035-01-11")
    code, _, err = run(capsys, "invite", "carers-2035-01-11")
    assert code == 2 and "has been cancelled" in err
    assert "Traceback" not in err
