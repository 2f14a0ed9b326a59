"""Deadlines see the replies first: a reply already in the inbox when a reminder falls due is read
before the reminder runs, in ``clerk run`` (the catch-up on start), in ``clerk run --once``, and while
the inbox reader's own loop is running (it is asked for a full pass and answers when done)."""

from __future__ import annotations

import asyncio
import mailbox
from datetime import timedelta
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.clock import FakeClock
from clerk.composition.run import serve, workers_for
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.times import parse_local
from scheduler.keeper import DeadlineKeeper
from tests.app_fixtures import key_of, reply_of
from tests.reply_mail import reply

CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"


@pytest.fixture
def maildir_app(clerk_app: Clerk, tmp_path: Path) -> Clerk:
    mail = clerk_app.config.mail.model_copy(update={"maildir": tmp_path / "mail"})
    clerk_app.config = clerk_app.config.model_copy(update={"mail": mail})
    return clerk_app


@pytest.fixture
def meeting(maildir_app: Clerk) -> Meeting:
    m = add_meeting(maildir_app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                            starts_at=parse_local("2027-01-14 10:00", maildir_app.tz)))
    invite(maildir_app, m.ref)
    return m



def reminded(app: Clerk) -> set[str]:
    return {r["to_addr"].lower() for r in app.store.all(
        "SELECT to_addr FROM outbox WHERE kind = 'reminder'")}


def reply_waiting_when_reminder_due(app: Clerk, clock: FakeClock, meeting: Meeting,
                                    tmp_path: Path) -> str:
    """Carol's "yes" sits unread in the Maildir inbox; the clock is a minute past the first
    reminder. Returns the reminder's key."""
    first = next(j for j in DeadlineKeeper(app).pending() if j.kind.startswith("reminder-")
                 and j.subject_ref == meeting.ref)
    (tmp_path / "mail").mkdir(exist_ok=True)
    box = mailbox.Maildir(tmp_path / "mail" / "inbox", create=True)
    box.add(reply(CAROL, key_of(app, CAROL, meeting.ref), "Yes, I'll be there"))
    clock.set(first.at + timedelta(minutes=1))
    return first.key


def ran(app: Clerk, key: str) -> bool:
    return app.store.one("SELECT 1 AS x FROM job_runs WHERE key = ?", [key]) is not None


def test_clerk_run_reads_the_inbox_before_the_reminders_it_catches_up(
        maildir_app: Clerk, clock: FakeClock, meeting: Meeting, tmp_path: Path) -> None:
    key = reply_waiting_when_reminder_due(maildir_app, clock, meeting, tmp_path)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(serve(maildir_app, stop, grace=1, cancel_grace=1))
        for _ in range(200):
            if ran(maildir_app, key) and reply_of(maildir_app, meeting, CAROL) == "attend":
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert ran(maildir_app, key)
    assert reply_of(maildir_app, meeting, CAROL) == "attend"
    assert DEV in reminded(maildir_app)
    assert CAROL not in reminded(maildir_app)  # she had answered: not reminded and thanked at once


def test_clerk_run_once_reads_the_inbox_before_the_reminders(
        maildir_app: Clerk, clock: FakeClock, meeting: Meeting, tmp_path: Path) -> None:
    key = reply_waiting_when_reminder_due(maildir_app, clock, meeting, tmp_path)

    asyncio.run(serve(maildir_app, asyncio.Event(), once=True))

    assert ran(maildir_app, key)
    assert reply_of(maildir_app, meeting, CAROL) == "attend"
    assert DEV in reminded(maildir_app)
    assert CAROL not in reminded(maildir_app)


def test_the_inbox_worker_offers_a_full_pass_by_contract_not_by_name(maildir_app: Clerk) -> None:
    readers = [w for w in workers_for(maildir_app) if w.read_to_end is not None]
    assert len(readers) == 1 and readers[0].name.startswith("inbox reader")
