"""Observers through the services (no chat): the rules, the scheduled jobs (the day-before
reminder, the close of bookings, the erasure of personal data), ``meetings show`` and
``clerk bookings list``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.observers.bookings import (
    ConfirmBooking,
    RequestBooking,
    chat_bookings,
    confirm_booking,
    request_booking,
)
from clerk.observers.jobs import booking_list
from clerk.observers.questions import AskQuestion, ask_question
from clerk.people.officers import officer_addresses
from clerk.rules.observers import admit, booking_open, offer_expires, reminder_at, valid_name
from clerk.store.rows import execute
from clerk.times import parse_local
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan


def code_sent_to(app: Clerk, email: str) -> str:
    row = app.store.one("SELECT raw FROM outbox WHERE kind = 'booking_code' AND to_addr = ? "
                        "ORDER BY id DESC LIMIT 1", [email])
    text = message_from_bytes(row["raw"], policy=policy.default).get_body(("plain",)).get_content()
    found = re.search(r"^\s+(\d{6})\s*$", text, re.M)
    assert found
    return found.group(1)


def book(app: Clerk, m: Meeting, chat: int, name: str, email: str) -> str:
    request_booking(app, RequestBooking(m.ref, chat, name, email))
    return confirm_booking(app, ConfirmBooking(chat, code_sent_to(app, email))).status


@pytest.fixture
def online(clerk_app: Clerk) -> Meeting:
    return add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                   clerk_app.tz),
                                             venue="County Hall",
                                             online_url="https://meet.example/carers"))


def test_the_rules(clerk_app: Clerk) -> None:
    carers = clerk_app.body("carers")
    starts = parse_local("2027-01-14 10:00", clerk_app.tz)
    assert admit(15, 14).reason == "1 place of 15 left"
    assert not admit(15, 15).ok and admit(15, 15).reason == "all 15 places are taken"
    assert admit(15, 10, waiting=2).reason == "2 people are already waiting for a place"
    now = datetime(2027, 1, 13, 9, 0, tzinfo=UTC)
    assert booking_open(carers, starts, "scheduled", now, clerk_app.tz).ok
    assert booking_open(carers, starts, "cancelled", now, clerk_app.tz).reason == \
        "the meeting has been cancelled"
    assert offer_expires(carers, starts, now) == datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
    assert reminder_at(carers, starts, clerk_app.tz) == datetime(2027, 1, 13, 17, 0, tzinfo=UTC)
    jcb = clerk_app.body("cypsp-jcb")
    assert booking_open(jcb, starts, "scheduled", now, clerk_app.tz).reason.startswith(
        "meetings of the JCB are not held in public, so they take no observers")
    assert valid_name("  Mary-Jane   O'Neill ").reason == "Mary-Jane O'Neill"
    assert not valid_name("x").ok and not valid_name("bob@example.org").ok


def test_reminder_close_and_erasure_run_once_each(clerk_app: Clerk, clock: FakeClock,
                                                  online: Meeting, tmp_path: Path) -> None:
    assert book(clerk_app, online, 11, "Ann Observer", "ann@example.net") == "booked"
    assert book(clerk_app, online, 12, "Bob Observer", "bob@example.net") == "booked"
    ask_question(clerk_app, AskQuestion(online.ref, 11, "Ann Observer",
                                        "Is there a hearing loop in the room?"))
    kinds = {j.kind: j for j in plan(clerk_app) if j.subject_ref == online.ref}
    assert kinds["booking-close"].at == datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
    assert kinds["observer-reminder"].at == datetime(2027, 1, 13, 17, 0, tzinfo=UTC)
    assert kinds["observer-erase"].at == datetime(2027, 2, 13, 10, 0, tzinfo=UTC)

    clock.set(datetime(2027, 1, 13, 17, 1, tzinfo=UTC))
    keeper = DeadlineKeeper(clerk_app)
    ran = {r.job.kind: r.outcome for r in keeper.run_due()}
    assert ran["booking-close"] == "2 booked, 0 waiting; list sent to the facilitator"
    assert ran["observer-reminder"] == "reminded 2 observer(s)"
    reminder = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'observer_reminder' "
                                   "AND to_addr = 'ann@example.net'")
    assert "Join online: https://meet.example/carers" in reminder["raw"].decode()
    assert "Where:  County Hall" in reminder["raw"].decode()
    assert keeper.run_due() == []

    clock.set(datetime(2027, 2, 13, 10, 1, tzinfo=UTC))
    ran = {r.job.kind: r.outcome for r in keeper.run_due()}
    # 9 emails: 2 codes, 2 confirmations, the question to the chair and the facilitator, the
    # list, 2 reminders; 2 chat messages: the reminders
    assert ran["observer-erase"] == ("erased: 2 bookings, 1 questions, 2 codes, 2 chat messages, "
                                     "9 emails")
    rows = clerk_app.store.all("SELECT name, email, chat_id, erased_at FROM bookings")
    assert all(r["name"] == "" and r["chat_id"] is None and r["erased_at"] for r in rows)
    assert all(r["email"].startswith("erased-") for r in rows)
    assert clerk_app.store.one("SELECT text FROM questions")["text"] == ""
    everything = json.dumps(clerk_app.store.all("SELECT * FROM outbox"), default=str) + \
        json.dumps(clerk_app.store.all("SELECT * FROM audit"))
    assert "ann@example.net" not in everything and "Ann Observer" not in everything
    assert not [j for j in plan(clerk_app) if j.kind == "observer-erase"]
    assert booking_list(clerk_app, online.ref).as_json()["booked"] == [  # the numbers stay, the people go
        {"name": "(erased)", "email": "", "status": "booked", "offer_expires": ""}] * 2
    assert chat_bookings(clerk_app, 11) == []


def test_meetings_show_and_bookings_list(workdir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # the CLI opens its own database in workdir: build the same state there
    assert main(["members", "import", str(Path(__file__).parent.parent / "members.example.csv")]
                ) in (0, 2)
    capsys.readouterr()
    from clerk.cli.common import open_app

    app = open_app(workdir / "config.toml")
    m = add_meeting(app, AddMeeting("carers", datetime.now(UTC) + timedelta(days=30),
                                    venue="County Hall"))
    assert book(app, m, 21, "Cora Observer", "cora@example.net") == "booked"
    app.store.close()
    assert main(["meetings", "show", m.ref]) == 0
    out = capsys.readouterr().out
    assert "Observers: 1 of 15 places taken, 0 waiting" in out
    assert "1. Cora Observer <cora@example.net>" in out
    assert main(["bookings", "list", m.ref, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["booked"] == [{"name": "Cora Observer", "email": "cora@example.net",
                               "status": "booked", "offer_expires": ""}]
    assert data["places_left"] == 14
    assert main(["bookings", "list", m.ref, "--email"]) == 0
    assert "queued for the facilitator" in capsys.readouterr().out
    assert main(["bookings", "list", m.ref.replace("carers", "cypsp-jcb")]) == 2


def test_officers_are_the_chair_by_office_else_the_configured_address(clerk_app: Clerk) -> None:
    """Who an observer's question (and a quorum warning) goes to: the member holding the chair
    office, else the body's configured chair_email, and the facilitator."""
    body = clerk_app.body("carers")
    facilitator = (body.facilitator, "Facilitator")
    alice = ("alice.ashworth@example.org", "Alice Ashworth")
    configured = body.model_copy(update={"chair_email": "chair@carers.example.org"})
    db = clerk_app.store.db
    assert officer_addresses(db, "carers", body) == [alice, facilitator]
    assert officer_addresses(db, "carers", configured) == [alice, facilitator]
    with clerk_app.store.write() as w:
        execute(w, "UPDATE memberships SET active = 0 WHERE body = 'carers' AND office = 'chair'")
    assert officer_addresses(db, "carers", configured) == [("chair@carers.example.org", "Chair"),
                                                          facilitator]
    assert officer_addresses(db, "carers", body) == [facilitator]
