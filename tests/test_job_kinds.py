"""Deadline job kinds are one type (clerk.rules.deadlines.JobKind): every kind has a handler, every
job the planner makes is of a known kind written the way it reads back, every kind is planned for
some state, and a job of a kind this version does not know is never recorded as run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.deadlines.handlers import HANDLERS, DueJob, run_job
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.rules.deadlines import BEFORE_MEETING, JobKind, job_name, kind_of
from clerk.rules.replies_first import READS_REPLIES
from clerk.store import open_store
from clerk.store.rows import fetch_all, insert
from clerk.times import parse_local, to_iso
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS


def test_every_kind_has_a_handler_and_the_rules_name_only_kinds() -> None:
    assert set(HANDLERS) == set(JobKind)
    assert all(callable(handler) for handler in HANDLERS.values())
    assert all(isinstance(kind, JobKind) for kind in BEFORE_MEETING | READS_REPLIES)


def test_kinds_read_back_as_they_are_written() -> None:
    for kind in JobKind:
        name = job_name(kind, 3) if kind is JobKind.REMINDER else job_name(kind)
        assert kind_of(name) is kind
    assert job_name(JobKind.REMINDER, 10) == "reminder-10"
    assert job_name(JobKind.PAPERS_DUE) == "papers-due"
    for unknown in ("reminder", "reminder-", "reminder-x", "papers", "", "future-kind"):
        assert kind_of(unknown) is None, unknown
    with pytest.raises(ValueError):
        job_name(JobKind.REMINDER)
    with pytest.raises(ValueError):
        job_name(JobKind.INVITE, 3)


@pytest.fixture
def every_kind_app(tmp_path, clock: FakeClock) -> Iterator[Clerk]:
    """The example configuration with the Carers Partnership ratifying automatically, a meeting
    of every body, an open vote and an offered observer place: a state with every kind due."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert text.count("ratify_automatically = false") == 1
    config = tmp_path / "config.toml"
    config.write_text(text.replace("ratify_automatically = false", "ratify_automatically = true"),
                      encoding="utf-8")
    app = Clerk(config=load_config(config), store=open_store(memory=True), clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    meetings = {slug: add_meeting(app, AddMeeting(slug, parse_local("2027-01-14 10:00", app.tz),
                                                  venue="County Hall"))
                for slug in app.config.bodies}
    now = to_iso(clock.now())
    carers = meetings["carers"]
    with app.store.write() as db:
        insert(db, "ballots", {"ref": "carers-vote-1", "meeting_id": carers.id, "opened_at": now,
                               "closes_at": to_iso(carers.starts_at + timedelta(days=14))})
        insert(db, "bookings", {"meeting_id": carers.id, "email": "ann@example.net",
                                "name": "Ann Observer", "status": "offered",
                                "offer_expires_at": to_iso(clock.now() + timedelta(hours=24)),
                                "created_at": now, "updated_at": now})
        person = db.execute("SELECT id FROM people LIMIT 1").fetchone()[0]
        insert(db, "extraordinary_requests", {
            "ref": "cypsp-jcb-request-1", "body": "cypsp-jcb", "requested_by": person,
            "status": "called", "channel": "cli", "recorded_by": "facilitator",
            "complete_at": now, "hold_by": "2026-12-07", "created_at": now, "updated_at": now})
        insert(db, "actions", {"meeting_id": carers.id, "body": "carers", "text": "Book the hall",
                               "owner_id": person, "due_on": "2027-02-01",
                               "first_due_on": "2027-02-01", "created_at": now,
                               "updated_at": now})
    # an election taking nominations, one voting, and one closed whose result takes effect later
    for ref, status, applied in (("carers-2026-chair", "nominating", 0),
                                 ("carers-2026-vice-chair", "voting", 0),
                                 ("carers-2026-rep", "closed", 0)):
        with app.store.write() as db:
            insert(db, "elections", {"ref": ref, "body": "carers", "office": "chair",
                                     "status": status, "nominations_close": "2026-12-01T00:00:00+00:00",
                                     "voting_close": "2026-12-12T00:00:00+00:00",
                                     "takes_effect": "2027-01-14", "seed": "00",
                                     "offices_applied": applied, "created_at": now})
    yield app
    app.store.close()


def test_every_job_planned_is_of_a_known_kind_and_every_kind_is_planned(
    every_kind_app: Clerk,
) -> None:
    jobs = plan(every_kind_app, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert jobs
    for job in jobs:
        assert isinstance(job.code, JobKind)
        assert kind_of(job.kind) is job.code, job  # as written in the key and job_runs
        assert job.key.startswith(f"{job.kind}:"), job
        assert job.code in HANDLERS
    assert {job.code for job in jobs} == set(JobKind)


def test_a_job_of_an_unknown_kind_is_logged_once_and_never_recorded_as_run(
    clerk_app: Clerk, caplog: pytest.LogCaptureFixture,
) -> None:
    """A job written by a newer version (its kind unknown here) is left for a version that knows
    it: nothing is recorded, so it is not lost; the error is logged the first time only."""
    ref = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00", clerk_app.tz),
                                            venue="County Hall")).ref
    job = DueJob(f"summon-the-chair:{ref}:2026-11-23T09:00", "summon-the-chair", ref,
                 clerk_app.clock.now())
    assert job.code is None
    with caplog.at_level(logging.ERROR, logger="clerk.scheduler"):
        assert run_job(clerk_app, job) is None
        assert run_job(clerk_app, job) is None
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "summon-the-chair" in errors[0] and "does not know" in errors[0]
    db = clerk_app.store.db
    assert fetch_all(db, "SELECT key FROM job_runs") == []
    assert fetch_all(db, "SELECT id FROM audit WHERE action LIKE 'deadline.%'") == []
    # a job of a known kind for the same meeting still runs, and is recorded once
    known = DueJob(f"quorum-forecast:{ref}:2026-11-23T09:00", "quorum-forecast", ref,
                   clerk_app.clock.now())
    assert known.code is JobKind.QUORUM_FORECAST
    assert run_job(clerk_app, known) is not None
    assert run_job(clerk_app, known) is None
    assert [r["key"] for r in fetch_all(db, "SELECT key FROM job_runs")] == [known.key]
