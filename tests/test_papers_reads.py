"""Reading an agenda only reads. ``clerk agenda show``, a member's /papers in chat and an answer to
the invitation once the papers are out send nothing and write nothing about the agenda, even when
its standing items have fallen out of date (an earlier meeting added since the draft went to the
Chair): the Chair is not sent a new draft and the version stays. The read shows the standing
items as they now are; the next operation on the agenda stores them, and then the agenda gets a
new version and the Chair the new draft."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.items import AddItem, add_item, approvers, send_draft
from clerk.app import Clerk
from clerk.attendance.decisions import AddDecision, add_decision
from clerk.attendance.invitations import invite
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.ballots.ratification import CastVote, cast_vote, close_ballot, open_ballot
from clerk.chat.members import papers_in_chat
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.directory import find_person
from clerk.store.rows import execute, fetch_all, fetch_one, insert
from clerk.times import parse_local, to_iso
from mail.ingest import ingest
from tests.papers_helpers import (
    CHAIR,
    MEMBER,
    agenda_now,
    carers_emails,
    carers_meeting,
    cli_clerk,
    make_app,
    parsed,
    pdf,
    reply,
)

MINUTES_ITEM = "To approve the minutes of the previous meeting (Thursday 19 November 2026)"
CHAT = 4242


@pytest.fixture
def cli_app(workdir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Clerk:
    return cli_clerk(workdir, clock, monkeypatch)


def _state(app: Clerk) -> dict[str, Any]:
    """Everything a read might have written or sent, row by row."""
    db = app.store.db
    return {
        "outbox": fetch_all(db, "SELECT id, kind, to_addr, status FROM outbox ORDER BY id"),
        "chat_outbox": fetch_all(db, "SELECT id, kind, status FROM chat_outbox ORDER BY id"),
        "audit": fetch_all(db, "SELECT id, action FROM audit ORDER BY id"),
        "agendas": fetch_all(db, "SELECT * FROM agendas ORDER BY meeting_id"),
        "agenda_items": fetch_all(db, "SELECT * FROM agenda_items ORDER BY id"),
    }


def held_before(app: Clerk, clock: FakeClock, when: str) -> str:
    """The reference of a Carers Partnership meeting held before today, at ``when``: added
    the day before it (a meeting in the past cannot be added), the clock then put back."""
    today = clock.now()
    starts = parse_local(when, app.tz)
    clock.set(starts - timedelta(days=1))
    ref = add_meeting(app, AddMeeting("carers", starts)).ref
    clock.set(today)
    return ref


def _written_by_others(app: Clerk) -> int:
    """SQLite's data_version: it moves when another connection (the CLI's) commits a change."""
    row = fetch_one(app.store.db, "PRAGMA data_version")
    assert row is not None
    return int(next(iter(row.values())))


def test_reads_send_nothing_and_write_nothing(cli_app: Clerk, clock: FakeClock,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    app = cli_app
    meeting = carers_meeting(app)  # Thursday 14 January 2027; today is Monday 23 November 2026
    invite(app, meeting.ref)
    add_item(app, AddItem(meeting.ref, "Carers' grants 2027", papers=(pdf("Grants.pdf", 9000),)))
    approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))
    assert circulate_papers(app, meeting.ref).circulation_id is not None  # the papers are out
    add_item(app, AddItem(meeting.ref, "Hospital discharge update"))  # the Chair asked again
    drafted = agenda_now(app, meeting.ref)
    assert not drafted.approved and drafted.sent_version == drafted.version == 3
    # An earlier meeting recorded since: the agenda should now approve its minutes.
    held_before(app, clock, "2026-11-19 10:00")
    member = find_person(app.store.db, MEMBER)
    assert member is not None
    with app.store.write() as db:
        insert(db, "chat_links", {"chat_id": CHAT, "person_id": member.id,
                                  "linked_at": to_iso(clock.now())})
    invitation_row = fetch_one(app.store.db, "SELECT raw FROM outbox WHERE kind = 'invitation' "
                                             "AND to_addr = ?", [MEMBER])
    assert invitation_row is not None
    invitation = parsed(invitation_row["raw"])

    before, others, changes = _state(app), _written_by_others(app), app.store.db.conn.total_changes

    assert main(["agenda", "show", meeting.ref]) == 0  # clerk agenda show (its own connection)
    out = capsys.readouterr().out
    assert "(version 3)" in out and MINUTES_ITEM in out  # as it stands, not stored yet
    assert "Not approved yet: draft version 3 sent to the Chair." in out
    assert main(["agenda", "show", meeting.ref, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == 3 and MINUTES_ITEM in [i["title"] for i in shown["items"]]
    in_chat = papers_in_chat(app, CHAT)  # a member's /papers
    assert MINUTES_ITEM in in_chat.text and "Grants.pdf" in in_chat.text

    assert _state(app) == before
    assert _written_by_others(app) == others  # the CLI committed nothing
    assert app.store.db.conn.total_changes == changes  # and nor did the chat read

    # An answer to the invitation, the papers out: it records the answer and confirms it, and
    # (reading the agenda for declarations of interest) changes nothing about the agenda.
    answered = ingest(app, reply(invitation, MEMBER, "Yes, I will be there.", clock),
                      source="test")
    assert answered.status == "processed" and "recorded: attending" in answered.action
    after = _state(app)
    assert (after["agendas"], after["agenda_items"]) == (before["agendas"], before["agenda_items"])
    new_mail = after["outbox"][len(before["outbox"]):]
    assert new_mail and all(m["kind"] != "agenda_draft" and m["to_addr"] == MEMBER
                            for m in new_mail)
    assert after["outbox"][:len(before["outbox"])] == before["outbox"]  # no draft superseded
    assert not any(a["action"].startswith("agenda.") for a in after["audit"][len(before["audit"]):])
    assert after["chat_outbox"] == before["chat_outbox"]

    # The next operation on the agenda stores the standing items: a new version, and the Chair
    # gets the new draft (once).
    assert send_draft(app, meeting.ref).already
    stored = agenda_now(app, meeting.ref)
    assert stored.version == stored.sent_version == 4
    assert all(i.id is not None for i in stored.items) and MINUTES_ITEM in [
        i.title for i in stored.items]
    drafts = fetch_all(app.store.db, "SELECT to_addr, dedupe_key, status FROM outbox WHERE kind "
                                     "= 'agenda_draft' ORDER BY id")
    assert [(d["to_addr"], d["dedupe_key"].split(":")[2]) for d in drafts
            if d["status"] == "queued"] == [(CHAIR, "v4")]


def test_a_decision_carried_forward_sends_the_chair_the_new_draft_at_once(
        clock: FakeClock, tmp_path: Path) -> None:
    """Recording a decision of an inquorate meeting, and closing the ballot that settles it,
    change the next agenda's standing items: the Chair, who has the draft, is sent the new one
    then, not when someone next happens to read the agenda."""
    app = make_app(clock, tmp_path)
    held = held_before(app, clock, "2026-11-19 10:00")
    meeting = carers_meeting(app)
    add_item(app, AddItem(meeting.ref, "Carers' grants 2027"))
    assert send_draft(app, meeting.ref).sent_to == (CHAIR,)
    version = agenda_now(app, meeting.ref).version

    record_attendance(app, RecordAttendance(held, tuple(carers_emails()[:2])))  # inquorate
    add_decision(app, AddDecision(held, "Adopt the 2027 carers action plan"))
    carried = (f"To consider: Adopt the 2027 carers action plan (awaiting ratification by email "
               f"vote, from {held})")
    stored = fetch_all(app.store.db, "SELECT title FROM agenda_items WHERE meeting_id = ?",
                       [meeting.id])
    assert carried in [r["title"] for r in stored]
    assert _drafts(app) == [f"v{version + 1}"]

    ballot = open_ballot(app, held)
    for email in carers_emails():
        cast_vote(app, CastVote(ballot.ref, email, {1: "approve"}, channel="cli"))
    close_ballot(app, ballot.ref)  # ratified: no longer business for the next meeting
    assert carried not in [i.title for i in agenda_now(app, meeting.ref).items]
    assert _drafts(app) == [f"v{version + 2}"]


def _drafts(app: Clerk) -> list[str]:
    """The versions of the draft agenda waiting to go to the Chair."""
    return [r["dedupe_key"].split(":")[2] for r in fetch_all(
        app.store.db, "SELECT dedupe_key FROM outbox WHERE kind = 'agenda_draft' AND status = "
                      "'queued' AND to_addr = ? ORDER BY id", [CHAIR])]


def test_a_configured_chair_is_read_without_a_write_and_recorded_when_the_draft_goes(
        clock: FakeClock, tmp_path: Path) -> None:
    """Who approves is read, never written: a Chair known only by ``chair_email`` (no member
    holds the office) becomes a person only when the draft is queued to them."""
    app = make_app(clock, tmp_path, carers_body={"chair_email": "Chair.Office@Example.org"})
    with app.store.write() as db:
        execute(db, "UPDATE memberships SET office = '' WHERE body = 'carers' AND office = 'chair'")
    meeting = carers_meeting(app)
    changes = app.store.db.conn.total_changes
    [chair] = approvers(app, app.store.db, meeting)
    assert (chair.email, chair.name, chair.person_id) == ("chair.office@example.org", "Chair", None)
    assert app.store.db.conn.total_changes == changes
    assert find_person(app.store.db, "chair.office@example.org") is None

    assert send_draft(app, meeting.ref).sent_to == ("chair.office@example.org",)
    person = find_person(app.store.db, "chair.office@example.org")
    assert person is not None and person.name == "Chair"
    approved = approve_agenda(app, ApproveAgenda(meeting.ref, "chair.office@example.org"))
    assert approved.status == "approved"
    refused = approve_agenda(app, ApproveAgenda(meeting.ref, CHAIR))  # no longer in the office
    assert refused.status == "refused"
