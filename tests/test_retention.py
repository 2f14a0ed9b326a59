"""Retention, run by the scheduler every day: raw inbound mail emptied after ``raw_mail_days``
(the row and what became of it stay), former members pseudonymised ``former_members_years``
after their last membership ended (current members untouched, their attendance kept), each run
audited with counts only, and ``clerk doctor`` saying what retention last did."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.errors import ConfigError
from clerk.meetings.schedule import Meeting
from clerk.ops.doctor import run_doctor
from clerk.ops.retention_check import check_retention
from clerk.ops.verdicts import Part, Verdict
from clerk.people.bodies import sync_bodies
from clerk.people.membership import end_membership, import_members
from clerk.store import open_store
from clerk.store.audit import verify_chain
from mail.ingest import ingest
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS, key_of
from tests.reply_mail import reply

CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"


def _data(**retention: Any) -> dict[str, Any]:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["retention"] = {**data.get("retention", {}), **retention}
    return data


def make_app(clock: FakeClock, tmp_path: Path | None = None, **retention: Any) -> Clerk:
    """clerk on the example configuration and members, ``[retention]`` as given; the database
    in ``tmp_path`` (for doctor, which opens the file) or in memory."""
    data = _data(**retention)
    if tmp_path is not None:
        data["clerk"]["database"] = str(tmp_path / "clerk.db")
        data["mail"]["maildir"] = str(tmp_path / "mail")
    config = parse_config(data, tmp_path / "config.toml" if tmp_path else EXAMPLE_CONFIG)
    store = open_store(config.database_path) if tmp_path else open_store(memory=True)
    app = Clerk(config=config, store=store, clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return app


def run_scheduler(app: Clerk) -> list[str]:
    """What the scheduler's retention runs did when it ran what was due."""
    return [r.outcome for r in DeadlineKeeper(app).run_due() if r.job.kind == "retention"]


def retention_events(app: Clerk) -> list[dict[str, Any]]:
    return app.store.all("SELECT * FROM audit WHERE action = 'retention.run' ORDER BY id")


def _invited_meeting(app: Clerk) -> Meeting:
    from clerk.attendance.invitations import invite
    from clerk.meetings.schedule import AddMeeting, add_meeting
    from clerk.times import parse_local

    meeting = add_meeting(app, AddMeeting(body="carers", starts_at=parse_local(
        "2026-12-01 10:00", app.tz), venue="County Hall, Worcester"))
    invite(app, meeting.ref)
    return meeting


# ----------------------------------------------------------------------------- raw mail

def test_raw_mail_is_deleted_after_the_days_set_and_the_row_and_its_outcome_stay(
        clock: FakeClock) -> None:
    app = make_app(clock, raw_mail_days=90)
    meeting = _invited_meeting(app)
    outcome = ingest(app, reply(CAROL, key_of(app, CAROL, meeting.ref), "Yes, I'll be there"),
                     source="test")
    assert outcome.status == "processed"
    before = app.store.one("SELECT * FROM inbound")
    assert before is not None and len(before["raw"]) > 0

    clock.advance(timedelta(days=89))
    run_scheduler(app)
    kept = app.store.one("SELECT length(raw) AS n FROM inbound")
    assert kept is not None and kept["n"] == len(before["raw"]), "89 days: the message is whole"

    clock.advance(timedelta(days=2))
    outcomes = run_scheduler(app)
    assert outcomes and "raw mail of 1 message(s) deleted" in outcomes[-1]
    after = app.store.one("SELECT * FROM inbound")
    assert after is not None and bytes(after["raw"]) == b""
    for column in ("message_key", "raw_sha256", "status", "understood", "action", "reason",
                   "received_at"):
        assert after[column] == before[column], column
    # the reply it carried is still on record
    row = app.store.one("SELECT i.reply FROM invitations i JOIN people p ON p.id = i.person_id "
                        "WHERE p.email = ? AND i.meeting_id = ?", [CAROL, meeting.id])
    assert row is not None and row["reply"] == "attend"


def test_retention_runs_once_a_day_at_three_and_again_the_next_day(clock: FakeClock) -> None:
    app = make_app(clock)
    jobs = [j for j in plan(app) if j.kind == "retention"]
    local = [j.at.astimezone(app.tz) for j in jobs]
    assert [(t.date().isoformat(), t.hour) for t in local] == [("2026-11-23", 3),
                                                                ("2026-11-24", 3)]
    assert len(run_scheduler(app)) == 1, "today's run is due (03:00 has passed): it runs once"
    assert run_scheduler(app) == [], "and not again the same day"
    clock.advance(timedelta(days=1))
    assert len(run_scheduler(app)) == 1
    assert len(retention_events(app)) == 2


# ----------------------------------------------------------------------------- former members

def test_former_members_are_pseudonymised_after_the_years_set_and_current_members_untouched(
        clock: FakeClock) -> None:
    app = make_app(clock, former_members_years=2)
    meeting = _invited_meeting(app)
    ingest(app, reply(DEV, key_of(app, DEV, meeting.ref), "Sorry, can't come"), source="test")
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    record_attendance(app, RecordAttendance(meeting.ref, present=(CAROL,)))
    dev_id = app.store.one("SELECT id FROM people WHERE email = ?", [DEV])["id"]
    app.store.db.execute("INSERT INTO chat_links (chat_id, person_id, linked_at) VALUES "
                         "(4242, ?, '2026-11-01T00:00:00+00:00')", [dev_id])
    end_membership(app, DEV, "carers")
    people_before = app.store.all("SELECT id, email, name FROM people ORDER BY id")

    clock.advance(timedelta(days=365 * 2 - 2))
    run_scheduler(app)
    dev = app.store.one("SELECT * FROM people WHERE id = ?", [dev_id])
    assert dev is not None and dev["email"] == DEV, "not yet two years: kept"

    clock.advance(timedelta(days=3))
    outcomes = run_scheduler(app)
    assert "1 former member(s) pseudonymised" in outcomes[-1]
    dev = app.store.one("SELECT * FROM people WHERE id = ?", [dev_id])
    assert dev is not None
    assert dev["email"] != DEV and "Dev" not in dev["name"]
    assert dev["name"].startswith("person-") and dev["undeliverable"].startswith("erased")
    assert DEV not in json.dumps(app.store.all("SELECT * FROM inbound"), default=str)
    assert DEV not in json.dumps(app.store.all("SELECT to_addr, subject FROM outbox"))
    assert not app.store.all("SELECT * FROM chat_links WHERE person_id = ?", [dev_id])
    # everyone else exactly as they were
    after = {r["id"]: r for r in app.store.all("SELECT id, email, name FROM people")}
    for person in people_before:
        if person["id"] != dev_id:
            assert after[person["id"]] == person
    # the register still counts them, under the pseudonym
    rows = app.store.all("SELECT status FROM attendance WHERE meeting_id = ? AND member_id = ?",
                         [meeting.id, dev_id])
    assert len(rows) == 1
    # the audit log names them no more and still verifies
    assert DEV not in json.dumps(app.store.all("SELECT * FROM audit"))
    assert verify_chain(app.store.db).ok
    assert app.store.all("SELECT 1 FROM audit WHERE action = 'person.erased' AND actor = "
                         "'scheduler'")
    # a second run finds nobody new
    clock.advance(timedelta(days=1))
    assert "0 former member(s)" in run_scheduler(app)[-1]


def test_each_run_is_audited_with_counts_and_never_a_name_or_address(clock: FakeClock) -> None:
    app = make_app(clock, former_members_years=1)
    end_membership(app, DEV, "carers")
    clock.advance(timedelta(days=367))
    run_scheduler(app)
    events = retention_events(app)
    assert events
    detail = json.loads(events[-1]["detail"])
    assert detail["former_members"] == 1 and detail["raw_messages"] == 0
    assert detail["former_members_years"] == 1 and detail["raw_mail_days"] == 90
    assert events[-1]["actor"] == "scheduler" and events[-1]["subject"] == "retention"
    text = json.dumps(events[-1])
    assert "@" not in text and "Dev" not in text


# ----------------------------------------------------------------------------- configuration

@pytest.mark.parametrize(("key", "value", "words"), [
    ("raw_mail_days", 0, "retention.raw_mail_days must be greater than or equal to 1"),
    ("former_members_years", "six", "retention.former_members_years must be a whole number"),
    ("keep_forever", True, "retention.keep_forever is not a setting clerk knows"),
])
def test_the_retention_settings_are_checked(key: str, value: object, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_data(**{key: value}))
    assert any(words in p for p in caught.value.problems), caught.value.problems


def test_the_defaults_are_90_days_and_6_years() -> None:
    data = _data()
    data.pop("retention")
    config = parse_config(data)
    assert (config.retention.raw_mail_days, config.retention.former_members_years) == (90, 6)


# ----------------------------------------------------------------------------- doctor

def test_doctor_says_what_retention_last_did(clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path, former_members_years=1)
    config = app.config
    assert [c.verdict for c in check_retention(config, clock.now())] == [Verdict.OK], \
        "the scheduler has never run here: nothing to worry about"
    end_membership(app, DEV, "carers")
    clock.advance(timedelta(days=367))
    run_scheduler(app)
    app.store.close()

    [check] = check_retention(config, clock.now())
    assert check.part is Part.RETENTION and check.verdict is Verdict.OK
    assert "last ran" in check.detail and "1 former member(s) pseudonymised" in check.detail
    assert "raw mail after 90 days, former members after 1 year)" in check.detail

    [late] = check_retention(config, clock.now() + timedelta(days=3))
    assert late.verdict is Verdict.WARN and "has not run for more than two days" in late.detail
    assert "clerk run" in late.fix


def test_doctor_warns_when_deadlines_run_but_retention_never_has(
        clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    app.store.db.execute("INSERT INTO job_runs (key, kind, subject_ref, due_at, ran_at, outcome) "
                         "VALUES ('invite:x', 'invite', 'x', ?, ?, 'done')",
                         ["2026-11-20T09:00:00+00:00", "2026-11-20T09:00:00+00:00"])
    app.store.close()
    [check] = check_retention(app.config, clock.now())
    assert check.verdict is Verdict.WARN and "retention has never run" in check.detail


def test_clerk_doctor_has_a_retention_line(clock: FakeClock, tmp_path: Path) -> None:
    app = make_app(clock, tmp_path)
    run_scheduler(app)
    app.store.close()
    config_path = tmp_path / "config.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'database = "var/clerk.db"', f'database = "{tmp_path / "clerk.db"}"')
    config_path.write_text(text, encoding="utf-8")
    report = run_doctor(config_path)
    found = [c for c in report.checks if c.part is Part.RETENTION]
    assert len(found) == 1 and "last ran" in found[0].detail, report.checks
