"""Ratification by email vote, the whole way round against real servers on loopback: ballots go
out over SMTP, voters' replies are APPENDed to Dovecot with the time the server received them,
clerk reads them over IMAP, counts them, closes the vote at its deadline (once, across a
restart) and announces the result to every member and the facilitator."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision, list_decisions
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import Ballot, open_ballot
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.membership import import_members, list_members
from clerk.times import parse_local
from mail.sender import send_outbox
from scheduler.keeper import DeadlineKeeper
from tests.app_fixtures import EXAMPLE_MEMBERS
from tests.reply_mail import gmail_reply_to, out_of_office, outlook_reply_to, reply
from tests.servers import Dovecot, SmtpSink
from tests.test_mail_e2e import PASSWORD_ENV, USER, make_app, read_inbox

pytestmark = pytest.mark.servers

FACILITATOR = "facilitator@carers.example.org"


def at(day: int, hour: int = 10) -> datetime:
    """A moment in October 2026: in the past, since Dovecot keeps a received time (INTERNALDATE)
    only if it is not in the future."""
    return datetime(2026, 10, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink,
        monkeypatch: pytest.MonkeyPatch) -> Clerk:
    dovecot.clear(USER)
    monkeypatch.setenv(PASSWORD_ENV, dovecot.user_password(USER))
    clerk = make_app(clock, tmp_path, dovecot, smtp_sink)
    assert import_members(clerk, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return clerk


def people(app: Clerk) -> dict[str, list[dict]]:
    ms = list_members(app, "carers")
    return {"carers": [m for m in ms if m["carer"]],
            "officers": [m for m in ms if m["role"] == "officer"],
            "advisory": [m for m in ms if m["advisory"]]}


def ballot_for(app: Clerk, clock: FakeClock, sink: SmtpSink, day: int,
               decisions: tuple[str, ...]) -> tuple[Ballot, dict[str, EmailMessage]]:
    """An inquorate Carers Partnership meeting on ``day`` October, its decisions, the ballot
    sent, and each voter's ballot email as it arrived."""
    clock.set(at(day, 8))  # the meeting is added while it is still ahead (10:00 BST is 09:00 UTC)
    ref = add_meeting(app, AddMeeting("carers", parse_local(f"2026-10-{day:02d} 10:00", app.tz),
                                      venue="County Hall")).ref
    carers = people(app)["carers"]
    clock.set(at(day, 13))
    record_attendance(app, RecordAttendance(ref, (carers[0]["email"], carers[1]["email"])))
    for text in decisions:
        add_decision(app, AddDecision(ref, text))
    ballot = open_ballot(app, ref)
    sink.clear()
    assert send_outbox(app).sent >= len(ballot.electorate)
    emails = {}
    for received in sink.received:
        msg = received.parsed()
        if msg["X-Clerk-Kind"] == "ballot":
            emails[received.rcpt_tos[0].lower()] = msg
    sink.clear()
    return ballot, emails


def key_of(msg: EmailMessage) -> str:
    found = re.search(r"clerk\+([0-9a-f]{32})@", str(msg["Reply-To"]))
    assert found
    return found.group(1)


def deliver(dovecot: Dovecot, raw: bytes, received: datetime) -> None:
    assert dovecot.append(USER, raw, internaldate=received) is not None


def test_a_ballot_from_replies_to_result(app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink,
                                         clock: FakeClock, tmp_path: Path) -> None:
    _earlier, earlier_emails = ballot_for(app, clock, smtp_sink, 2, ("Approve the old minutes",))
    clock.set(at(16, 9))
    DeadlineKeeper(app).run_due()  # the earlier ballot closes with no votes
    ballot, emails = ballot_for(app, clock, smtp_sink, 23,
                                ("Adopt the carers action plan", "Hold the summer meeting online"))
    assert len(emails) == len(ballot.electorate) == 19
    # 7 working days after Friday 23 October: the vote closes at the end of Tuesday 3 November
    assert ballot.closes_at == datetime(2026, 11, 4, 0, 0, tzinfo=app.tz)
    p = people(app)
    c = [m["email"] for m in p["carers"]]
    o = [m["email"] for m in p["officers"]]
    twice = reply(c[2], key_of(emails[c[2]]), "APPROVE", message_id="<twice@mail.example.org>")
    replies = [
        (gmail_reply_to(emails[c[0]], c[0], "", "I agree with all of them."), at(24)),
        (outlook_reply_to(emails[c[1]], c[1], "", "1 approve, 2 reject"), at(24, 11)),
        (gmail_reply_to(emails[c[1]], c[1], "", "Having thought again, I approve both."),
         at(25)),
        (twice, at(26)),
        (twice, at(26)),  # the same message delivered twice
        (reply(o[0], key_of(emails[o[0]]), "Against both, I'm afraid: REJECT"), at(26, 12)),
        # a non-voting member answering the ballot forwarded to them by a carer
        (reply(p["advisory"][0]["email"], key_of(emails[c[3]]), "APPROVE"), at(27)),
        # an observer, and a spoofed sender using a voter's key
        (reply("observer@example.net", key_of(emails[c[4]]), "APPROVE"), at(27, 11)),
        (reply(c[5], key_of(emails[c[6]]), "REJECT", name=p["carers"][6]["name"]), at(27, 12)),
        # a key from the earlier, closed ballot
        (reply(c[7], key_of(earlier_emails[c[7]]), "REJECT"), at(28)),
        (out_of_office(o[1], key_of(emails[o[1]])), at(28, 11)),
    ]
    for raw, received in replies:
        deliver(dovecot, raw, received)
    clock.set(at(29, 12))
    report = read_inbox(app)
    assert Counter(r.status for r in report.results) == Counter(
        {"processed": 5, "refused": 4, "duplicate": 1, "ignored": 1})
    send_outbox(app)
    receipts = [m for m in smtp_sink.received if m.parsed()["X-Clerk-Kind"] == "ballot_receipt"]
    assert len(receipts) == 5  # c0, c1 twice (a changed vote), c2 once, o0
    smtp_sink.clear()

    # A vote the server received at 23:58 on the last day, still unread when clerk went down.
    deliver(dovecot, reply(o[2], key_of(emails[o[2]]), "ABSTAIN"),
            datetime(2026, 11, 3, 23, 58, tzinfo=UTC))
    # One received after the deadline.
    deliver(dovecot, reply(o[3], key_of(emails[o[3]]), "APPROVE"),
            datetime(2026, 11, 4, 0, 2, tzinfo=UTC))

    # clerk was down across the deadline; it starts twice (a crash during the first start).
    clock.set(datetime(2026, 11, 4, 8, 0, tzinfo=UTC))
    for _ in range(2):
        restarted = make_app(clock, tmp_path, dovecot, smtp_sink)
        keeper = DeadlineKeeper(restarted, read_inbox=_reader(restarted))
        asyncio.run(keeper.start_async())
        send_outbox(restarted)

    decisions = list_decisions(restarted, ballot.meeting.ref)
    assert [d.status for d in decisions] == ["ratified", "ratified"]
    results = [m for m in smtp_sink.received if m.parsed()["X-Clerk-Kind"] == "ballot_result"]
    members = [m["email"] for m in list_members(restarted, "carers")]  # voting or not
    assert Counter(r.rcpt_tos[0].lower() for r in results) == Counter(
        {e: 1 for e in [*members, FACILITATOR]})
    text = results[0].parsed().get_body(("plain",)).get_content()
    assert "1. Adopt the carers action plan" in text
    assert "RATIFIED: 3 for, 1 against, 1 abstaining" in text, text
    late = [m for m in smtp_sink.received if m.rcpt_tos[0].lower() == o[3]]
    assert [m.parsed()["X-Clerk-Kind"] for m in late] == ["ballot_refused", "ballot_result"]
    assert "arrived late and was not counted" in late[0].parsed().get_body(
        ("plain",)).get_content()


def _reader(app: Clerk) -> Callable[[], Coroutine[Any, Any, None]]:
    async def read() -> None:
        from mail.imap_reader import ImapReader

        reader = ImapReader(app)
        try:
            await reader.drain_once()
        finally:
            await reader.close()

    return read


@pytest.mark.parametrize(("answers", "expected", "reason"), [
    ({0: "REJECT", 1: "REJECT", 2: "I reject both"}, "not_ratified", "0 for and 3 against"),
    ({0: "APPROVE", 1: "APPROVE"}, "not_ratified", "too few votes"),
])
def test_rejected_and_too_few_votes(app: Clerk, dovecot: Dovecot, smtp_sink: SmtpSink,
                                    clock: FakeClock, answers: dict[int, str], expected: str,
                                    reason: str) -> None:
    ballot, emails = ballot_for(app, clock, smtp_sink, 23, ("Adopt the carers action plan",))
    carers = [m["email"] for m in people(app)["carers"]]
    for i, text in answers.items():
        deliver(dovecot, reply(carers[i], key_of(emails[carers[i]]), text), at(24, 9 + i))
    clock.set(datetime(2026, 11, 4, 8, 0, tzinfo=UTC))
    asyncio.run(DeadlineKeeper(app, read_inbox=_reader(app)).start_async())
    [decision] = list_decisions(app, ballot.meeting.ref)
    assert decision.status == expected
    assert reason in decision.reason
    send_outbox(app)
    result = next(m.parsed() for m in smtp_sink.received
                  if m.parsed()["X-Clerk-Kind"] == "ballot_result")
    assert "NOT RATIFIED" in result.get_body(("plain",)).get_content()
