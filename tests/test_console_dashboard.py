"""The console's dashboard: what a facilitator sees of their bodies' coming meetings (the replies
so far, the quorum forecast and its reason, the next deadlines), what needs attention (each item
when its condition holds, linking to the page that deals with it), that another body's meetings
never appear; the attention rules; and that the console benchmark runs at a tiny size."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.bench_console import run_bench
from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.quorum import forecast
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.replies import RecordReply, record_reply
from clerk.ballots.ratification import open_ballot
from clerk.clock import FakeClock
from clerk.mail_in.inbox import quarantine_inbound
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.people.membership import list_members
from clerk.people.undeliverable import mark_undeliverable
from clerk.records.dashboard import dashboard
from clerk.rules.access import Served
from clerk.rules.deadlines import (
    JobKind,
    meeting_deadlines,
    minutes_overdue,
    papers_late,
    short_of_quorum,
    still_stands,
    vote_closing,
)
from clerk.times import parse_local
from tests.console_fixtures import ConsoleClient

FACILITATOR = "facilitator@carers.example.org"
CHAIR = "alice.ashworth@example.org"  # the Carers Partnership's Chair
JCB = "jcb.support@worcs.example.org"

Console = Callable[[str], ConsoleClient]


def carers(app: Clerk) -> list[str]:
    return [m["email"] for m in list_members(app, "carers") if m["carer"]]


def reply(app: Clerk, meeting: Meeting, email: str, intent: str) -> None:
    record_reply(app, RecordReply(meeting.ref, email, intent))  # type: ignore[arg-type]


def deadline(app: Clerk, meeting: Meeting, code: JobKind) -> datetime:
    body = app.body(meeting.body)
    return next(d.at for d in meeting_deadlines(body, meeting.starts_at, app.tz) if d.code is code)


def attention(text: str) -> str:
    """The "Needs your attention" part of the dashboard."""
    start = text.index('id="attention"')
    return text[start:text.index('id="meetings"')]


def signed_in(clients: Callable[[], ConsoleClient], email: str = FACILITATOR) -> ConsoleClient:
    """A fresh client signed in now (a session does not last the days a test moves on)."""
    client = clients()
    client.sign_in(email)
    return client


def links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def test_a_facilitator_sees_the_replies_so_far_and_the_forecast_with_its_reason(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    who = carers(clerk_app)
    reply(clerk_app, meeting, who[0], "attend")
    reply(clerk_app, meeting, who[1], "attend")
    reply(clerk_app, meeting, who[2], "apologies")
    page = console(FACILITATOR).get("/")
    assert page.status == 200 and "Dashboard" in page.text
    assert f'href="/meetings/{meeting.ref}"' in page.text
    assert "Thursday 14 January 2027 at 10:00" in page.text
    members = len(list_members(clerk_app, "carers"))
    for count in ("2 attending", "1 apology", "0 substitutes", f"{members - 3} no reply"):
        assert count in page.text
    # the forecast and its reason, in the quorum rule's own words
    assert "Not yet quorate: 2 of the 3 carers needed are present" in page.text
    # the next deadlines: the papers, the quorum warning, the reminders (the invitation is done)
    deadlines = page.text[page.text.index('id="deadlines"'):page.text.index('id="bodies"')]
    assert "Circulate the papers" in deadlines and "Tuesday 5 January 2027 at 09:00" in deadlines
    assert "Send the invitations" not in deadlines
    # the body, with its members and next meeting
    assert 'href="/bodies/carers"' in page.text and f"{members} members" in page.text
    assert "Nothing needs your attention." in page.text


def test_a_meeting_that_cannot_be_quorate_needs_attention_at_once(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    for email in carers(clerk_app)[:6]:  # 2 carers left of the 3 needed
        reply(clerk_app, meeting, email, "apologies")
    found = attention(console(FACILITATOR).get("/").text)
    assert "Cannot be quorate" in found and f"/meetings/{meeting.ref}" in links(found)
    assert "cannot be quorate even if everyone who has not replied comes" in found
    assert "(2 of the 3 carers needed are present)" in found  # the rule's reason, said once
    assert found.count("cannot be quorate") == 1


def test_short_of_quorum_from_the_chairs_warning(console: Console, clerk_app: Clerk,
                                                 clock: FakeClock, meeting: Meeting) -> None:
    reply(clerk_app, meeting, carers(clerk_app)[0], "attend")
    warn = deadline(clerk_app, meeting, JobKind.QUORUM_FORECAST)
    clock.set(warn - timedelta(minutes=1))
    assert "Short of quorum" not in attention(console(FACILITATOR).get("/").text)
    clock.set(warn)
    found = attention(console(FACILITATOR).get("/").text)
    assert "Short of quorum" in found and f"/meetings/{meeting.ref}" in links(found)
    assert "1 of the 3 carers needed is present" in found


def test_papers_not_gone_out_are_due_then_late(console: Console, clerk_app: Clerk,
                                               clock: FakeClock, meeting: Meeting) -> None:
    clock.set(deadline(clerk_app, meeting, JobKind.PAPERS_DUE) + timedelta(hours=1))
    found = attention(console(FACILITATOR).get("/").text)
    assert "Papers due today" in found and f"/meetings/{meeting.ref}/agenda" in links(found)
    clock.set(deadline(clerk_app, meeting, JobKind.PAPERS_OVERDUE))
    found = attention(console(FACILITATOR).get("/").text)
    assert "Papers late" in found and "Papers due today" not in found
    assert f"/meetings/{meeting.ref}/agenda" in links(found)
    with clerk_app.store.write() as db:  # once they have gone out, nothing is late
        db.execute("UPDATE meetings SET papers_sent_at = ? WHERE id = ?",
                   ["2027-01-04T09:00:00+00:00", meeting.id])
    assert "Papers" not in attention(console(FACILITATOR).get("/").text)


def test_minutes_overdue_after_their_deadline(console: Console, clerk_app: Clerk,
                                              clock: FakeClock, meeting: Meeting) -> None:
    due = deadline(clerk_app, meeting, JobKind.MINUTES_DUE)
    clock.set(due - timedelta(hours=1))
    page = console(FACILITATOR).get("/")
    assert "Minutes overdue" not in attention(page.text)
    assert "Chase the minutes" in page.text  # still a deadline to come
    clock.set(due + timedelta(hours=1))
    found = attention(console(FACILITATOR).get("/").text)
    assert "Minutes overdue" in found and f"/meetings/{meeting.ref}/minutes" in links(found)


def test_bouncing_addresses_and_quarantined_mail(console: Console, clerk_app: Clerk,
                                                 meeting: Meeting) -> None:
    with clerk_app.store.write() as db:
        mark_undeliverable(db, carers(clerk_app)[3], why="550 no such user",
                           now=clerk_app.clock.now(), actor="test")
    quarantine_inbound(clerk_app, b"Subject: ?\r\n\r\nhello\r\n", reason="no handler yet",
                       source="test", message_id="<q1@example.org>")
    found = attention(console(FACILITATOR).get("/").text)
    assert "Mail bouncing" in found and "1 address bounces" in found
    assert "/bodies/carers/members" in links(found)
    assert "Quarantine" in found and "1 message is in quarantine" in found
    assert "/inbox" in links(found)
    # the Chair sees the bouncing address but not the inbox (the facilitators sort that)
    chair = attention(console(CHAIR).get("/").text)
    assert "Mail bouncing" in chair and "/inbox" not in links(chair)


def test_a_vote_closing_within_two_days(console_clients: Callable[[], ConsoleClient],
                                        clerk_app: Clerk, clock: FakeClock) -> None:
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                            venue="County Hall")).ref
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    record_attendance(clerk_app, RecordAttendance(ref, tuple(carers(clerk_app)[:2])))
    add_decision(clerk_app, AddDecision(ref, "Adopt the 2027 carers action plan"))
    ballot = open_ballot(clerk_app, ref)
    clock.set(ballot.closes_at - timedelta(days=2, minutes=1))
    assert "Vote closing" not in attention(signed_in(console_clients).get("/").text)
    clock.set(ballot.closes_at - timedelta(days=1))
    found = attention(signed_in(console_clients).get("/").text)
    assert "Vote closing" in found and f"/votes/{ballot.ref}" in links(found)


def test_another_bodys_meetings_never_appear(console: Console, clerk_app: Clerk,
                                             meeting: Meeting) -> None:
    jcb = add_meeting(clerk_app, AddMeeting("cypsp-jcb",
                                            parse_local("2026-12-03 14:00", clerk_app.tz),
                                            venue="County Hall"))
    ours = console(FACILITATOR).get("/").text
    assert meeting.ref in ours and jcb.ref not in ours
    assert "Joint Commissioning Board" not in ours and "JCB" not in ours
    theirs = console(JCB).get("/").text
    assert jcb.ref in theirs and meeting.ref not in theirs
    assert "Carers Partnership" not in theirs


def test_an_administrator_sees_every_body(clerk_app: Clerk, meeting: Meeting) -> None:
    jcb = add_meeting(clerk_app, AddMeeting("cypsp-jcb",
                                            parse_local("2026-12-03 14:00", clerk_app.tz),
                                            venue="County Hall"))
    quarantine_inbound(clerk_app, b"Subject: ?\r\n\r\nhello\r\n", reason="no handler yet",
                       source="test", message_id="<q2@example.org>")
    admin = Served("it.admin@council.example.org", True,
                   {slug: frozenset({"admin"}) for slug in clerk_app.config.bodies})
    seen = dashboard(clerk_app, admin)
    assert {b.slug for b in seen.bodies} == set(clerk_app.config.bodies)
    assert [m.ref for m in seen.meetings] == [jcb.ref, meeting.ref]  # in time order
    jcb_line = seen.meetings[0]
    assert not jcb_line.invited and jcb_line.counts.no_reply > 0
    assert any(a.code == "mail_quarantined" and a.count == 1 for a in seen.attention)
    # a Chair alone serves one body and is not shown the inbox
    chair = Served(CHAIR, False, {"carers": frozenset({"chair"})})
    theirs = dashboard(clerk_app, chair)
    assert [m.ref for m in theirs.meetings] == [meeting.ref]
    assert not any(a.code == "mail_quarantined" for a in theirs.attention)


def test_the_dashboards_forecast_is_the_meeting_pages(clerk_app: Clerk,
                                                     meeting: Meeting) -> None:
    who = carers(clerk_app)
    reply(clerk_app, meeting, who[0], "attend")
    reply(clerk_app, meeting, who[1], "apologies")
    record_reply(clerk_app, RecordReply(meeting.ref, who[2], "substitute",
                                        substitute_email="sam.stand-in@example.org",
                                        substitute_name="Sam Stand-in"))
    served = Served(FACILITATOR, False, {"carers": frozenset({"facilitator"})})
    line = dashboard(clerk_app, served).meetings[0]
    assert line.forecast == forecast(clerk_app, meeting)
    assert (line.counts.attend, line.counts.apologies, line.counts.substitute) == (1, 1, 1)


def test_a_meeting_not_yet_invited_says_so(console: Console, clerk_app: Clerk) -> None:
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-02-11 10:00", clerk_app.tz),
                                            venue="County Hall")).ref
    page = console(FACILITATOR).get("/")
    assert ref in page.text and "Not invited yet (20 members)" in page.text
    assert "Send the invitations" in page.text  # a deadline still standing


def test_the_attention_rules() -> None:
    now = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
    later, earlier = now + timedelta(days=7), now - timedelta(days=1)
    assert short_of_quorum(True, True, earlier, later, now).code == "quorate"
    assert short_of_quorum(False, True, later, later, now).code == "not_yet"
    assert short_of_quorum(False, True, earlier, later, now).code == "short_of_quorum"
    assert short_of_quorum(False, False, later, later, now).code == "cannot_be_quorate"
    assert not short_of_quorum(False, False, earlier, earlier, now)  # begun: the register decides
    assert papers_late(False, now, now + timedelta(hours=8), later, now).code == "papers_due_today"
    assert papers_late(False, earlier, earlier, later, now).code == "papers_late"
    assert not papers_late(True, earlier, earlier, later, now)
    assert not papers_late(False, earlier, earlier, earlier, now)
    assert minutes_overdue(False, earlier, now).code == "minutes_overdue"
    assert not minutes_overdue(False, None, now) and not minutes_overdue(True, earlier, now)
    assert vote_closing(now + timedelta(days=2), now).code == "vote_closing"
    assert not vote_closing(now + timedelta(days=2, minutes=1), now)
    assert not still_stands(JobKind.PAPERS_DUE, frozenset({"papers_sent"}))
    assert still_stands(JobKind.REMINDER, frozenset({"invited", "papers_sent"}))


def test_the_console_benchmark_runs_at_a_tiny_size() -> None:
    result = run_bench(argparse.Namespace(bodies=4, meetings=24, members=40, requests=3))
    pages = result["pages"]
    assert pages["dashboard, facilitator"]["status"] == 200
    assert pages["dashboard, admin"]["status"] == 200
    for measured in pages.values():
        if measured["server"] is not None:
            assert measured["server"].p95 > 0 and measured["rows"] > 0
    assert result["counts"]["meetings"] == 24 and result["counts"]["memberships"] == 40
