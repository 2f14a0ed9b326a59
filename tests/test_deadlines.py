"""Deadlines fire once, at the right local time, driven by a fake clock; restarts catch up once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from clerk.app import Clerk
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.replies import RecordReply, record_reply
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.membership import list_members
from clerk.times import parse_local
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan


def outbox(app: Clerk, kind: str | None = None) -> list[dict]:
    sql = "SELECT * FROM outbox" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
    return app.store.all(sql, [kind] if kind else [])


def meet(app: Clerk, body: str, when: str) -> str:
    return add_meeting(app, AddMeeting(body, parse_local(when, app.tz), venue="County Hall")).ref


def jobs_for(app: Clerk, ref: str) -> dict[str, datetime]:
    return {j.kind: j.at for j in plan(app) if j.subject_ref == ref}


def local(app: Clerk, when: datetime) -> str:
    return when.astimezone(app.tz).strftime("%a %Y-%m-%d %H:%M")


def test_deadlines_for_a_carers_meeting_fall_on_working_days_at_local_times(clerk_app: Clerk) -> None:
    ref = meet(clerk_app, "carers", "2027-01-07 10:00")
    jobs = jobs_for(clerk_app, ref)
    assert local(clerk_app, jobs["papers-due"]) == "Thu 2026-12-24 09:00"  # over the bank holidays
    assert local(clerk_app, jobs["papers-overdue"]) == "Thu 2026-12-24 17:00"
    assert local(clerk_app, jobs["reminder-3"]) == "Mon 2027-01-04 09:00"  # skips New Year's Day
    assert local(clerk_app, jobs["quorum-forecast"]) == "Wed 2026-12-30 09:00"
    assert local(clerk_app, jobs["absences"]) == "Fri 2027-01-08 09:00"
    assert local(clerk_app, jobs["minutes-due"]) == "Thu 2027-01-21 09:00"  # 10 working days


def test_reminder_across_the_october_clock_change_fires_once_at_nine_local(
    clerk_app: Clerk, clock: FakeClock
) -> None:
    # Meeting Thursday 29 October 2026: the clocks went back on Sunday 25 October.
    clock.set(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))
    ref = meet(clerk_app, "carers", "2026-10-29 10:00")
    keeper = DeadlineKeeper(clerk_app)
    reminder_at = jobs_for(clerk_app, ref)["reminder-3"]
    assert local(clerk_app, reminder_at) == "Mon 2026-10-26 09:00"
    assert reminder_at == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # GMT again: 09:00 is 09:00Z
    clock.set(datetime(2026, 10, 26, 8, 59, tzinfo=UTC))
    assert not [r for r in keeper.run_due() if r.job.kind == "reminder-3"]
    clock.set(datetime(2026, 10, 26, 9, 0, tzinfo=UTC))
    ran = [r for r in keeper.run_due() if r.job.kind == "reminder-3"]
    assert len(ran) == 1
    assert ran[0].outcome == "reminded 20 who had not replied"
    three_day = [r for r in outbox(clerk_app, "reminder") if r["dedupe_key"].startswith("reminder-3:")]
    assert len(three_day) == 20
    assert {r["created_at"] for r in three_day} == {"2026-10-26T09:00:00+00:00"}
    clock.advance(timedelta(hours=2))
    assert not [r for r in keeper.run_due() if r.job.kind.startswith("reminder")]
    assert len(outbox(clerk_app, "reminder")) == 40  # the 10-day and the 3-day reminders


def test_summer_time_deadline_is_nine_bst(clerk_app: Clerk, clock: FakeClock) -> None:
    clock.set(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    ref = meet(clerk_app, "carers", "2027-04-01 10:00")  # clocks go forward 28 March 2027
    reminder_at = jobs_for(clerk_app, ref)["reminder-3"]
    assert reminder_at == datetime(2027, 3, 25, 9, 0, tzinfo=clerk_app.tz)
    assert reminder_at.astimezone(UTC).hour == 9  # 25 March is still GMT
    forecast_at = jobs_for(clerk_app, ref)["quorum-forecast"]
    # 5 working days before 1 April skip Easter Monday and Good Friday: 31, 30, 25, 24, 23.
    assert local(clerk_app, forecast_at) == "Tue 2027-03-23 09:00"


def test_missed_jobs_run_once_after_a_restart(clerk_app: Clerk, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    chair = next(m for m in list_members(clerk_app, "carers") if m["office"] == "chair")
    record_reply(clerk_app, RecordReply(ref, chair["email"], "attend"))
    # clerk is down from now until Monday 11 January 2027 at noon: reminders at 10 working days
    # (31 Dec), the agenda chaser, papers, the quorum warning and the 3-day reminder are all missed.
    clock.set(datetime(2027, 1, 11, 12, 0, tzinfo=UTC))
    first = DeadlineKeeper(clerk_app).start()
    kinds = sorted(r.job.kind for r in first if r.job.subject_ref == ref)
    assert kinds == ["agenda-chaser", "invite", "papers-due", "papers-overdue", "quorum-forecast",
                     "reminder-10", "reminder-3"]
    reminders = outbox(clerk_app, "reminder")
    per_person = {}
    for row in reminders:
        per_person[row["to_addr"]] = per_person.get(row["to_addr"], 0) + 1
    assert set(per_person.values()) == {2}  # 10-day and 3-day reminders, once each
    assert chair["email"] not in per_person
    warnings = outbox(clerk_app, "quorum_warning")
    assert len(warnings) == 2  # chair and facilitator
    body = message_from_bytes(warnings[0]["raw"], policy=policy.default).get_body(("plain",))
    text = body.get_content()
    assert "1 of the 3 carers needed is present" in text
    assert "Not replied yet (19)" in text
    # A second and a third start change nothing.
    assert DeadlineKeeper(clerk_app).start() == []
    assert DeadlineKeeper(clerk_app).start() == []
    assert len(outbox(clerk_app, "reminder")) == len(reminders)


def test_restarts_leave_one_scheduler_job_per_deadline(clerk_app: Clerk, clock: FakeClock) -> None:
    meet(clerk_app, "carers", "2026-12-10 10:00")
    meet(clerk_app, "cypsp-board", "2026-12-03 14:00")
    sched = BackgroundScheduler(timezone="Europe/London")
    sched.start(paused=True)
    try:
        for _ in range(3):
            DeadlineKeeper(clerk_app, sched).start()
        ids = [j.id for j in sched.get_jobs() if j.id.startswith("deadline:")]
        assert len(ids) == len(set(ids))
        future = [j for j in plan(clerk_app) if clock.now() < j.at <= clock.now() + timedelta(14)]
        assert len(ids) == len(future) > 0
    finally:
        sched.shutdown(wait=False)


def test_moving_a_meeting_moves_its_deadlines(clerk_app: Clerk) -> None:
    from clerk.meetings.schedule import get_meeting

    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    before = jobs_for(clerk_app, ref)
    meeting = get_meeting(clerk_app, ref)
    with clerk_app.store.write() as db:
        db["meetings"].update(meeting.id, {"starts_at": "2027-01-21T10:00:00+00:00"})
    after = jobs_for(clerk_app, ref)
    assert after["reminder-3"] - before["reminder-3"] == timedelta(days=7)


def test_cancelled_meeting_has_no_deadlines(clerk_app: Clerk) -> None:
    from clerk.meetings.schedule import get_meeting

    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    with clerk_app.store.write() as db:
        db["meetings"].update(get_meeting(clerk_app, ref).id, {"status": "cancelled"})
    assert jobs_for(clerk_app, ref) == {}


def test_absent_twice_without_notice_is_flagged_the_day_after(
    clerk_app: Clerk, clock: FakeClock
) -> None:
    carers = [m["email"] for m in list_members(clerk_app, "carers") if m["carer"]]
    first = meet(clerk_app, "carers", "2026-12-03 10:00")
    second = meet(clerk_app, "carers", "2027-01-14 10:00")
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))  # registers are taken once meetings begin
    record_attendance(clerk_app, RecordAttendance(first, tuple(carers[:5])))
    record_attendance(clerk_app, RecordAttendance(second, tuple(carers[:5])))
    clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).run_due()
           if r.job.subject_ref == second}
    assert ran["absences"].startswith("flagged 15 absent without notice twice in a row")
    flags = outbox(clerk_app, "absence_flag")
    assert {r["to_addr"] for r in flags} == {"alice.ashworth@example.org",
                                            "facilitator@carers.example.org"}
    text = message_from_bytes(flags[0]["raw"], policy=policy.default).get_body(("plain",))
    assert carers[6] in text.get_content()


def test_missing_register_is_asked_for(clerk_app: Clerk, clock: FakeClock) -> None:
    ref = meet(clerk_app, "cypsp-board", "2026-12-03 14:00")
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).run_due()
           if r.job.subject_ref == ref}
    assert ran["absences"] == "asked the facilitator to record the register"
    assert ran["reminder-3"] == "skipped: the meeting has already taken place"


def test_minutes_chased_when_due(clerk_app: Clerk, clock: FakeClock) -> None:
    ref = meet(clerk_app, "cypsp-board", "2026-12-03 14:00")
    clock.set(datetime(2026, 12, 17, 9, 0, tzinfo=UTC))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).run_due()
           if r.job.subject_ref == ref}
    assert ran["minutes-due"] == "chased the minutes"
    assert outbox(clerk_app, "minutes_chaser")[0]["to_addr"] == "cypsp.admin@wcf.example.org"


def test_short_year_is_warned_once_per_change(clerk_app: Clerk, clock: FakeClock) -> None:
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=UTC))
    meet(clerk_app, "cypsp-programme", "2027-02-01 10:00")
    keeper = DeadlineKeeper(clerk_app)
    ran = [r for r in keeper.run_due() if r.job.kind == "frequency"]
    assert [r.outcome for r in ran] == ["warned the facilitator: 1 meeting scheduled in 2027, "
                                        "at least 4 needed; no meeting in quarter Q2, Q3, Q4"]
    assert not [r for r in keeper.run_due() if r.job.kind == "frequency"]
    meet(clerk_app, "cypsp-programme", "2027-05-03 10:00")  # better, but still short: warn again
    assert len([r for r in keeper.run_due() if r.job.kind == "frequency"]) == 1
    for when in ("2027-08-02 10:00", "2027-11-01 10:00"):
        meet(clerk_app, "cypsp-programme", when)
    assert not [r for r in keeper.run_due() if r.job.kind == "frequency"]


@pytest.mark.parametrize("hours", [0, 1])
def test_quorum_warning_not_sent_when_replies_make_it_quorate(
    clerk_app: Clerk, clock: FakeClock, hours: int
) -> None:
    ref = meet(clerk_app, "carers", "2027-01-14 10:00")
    for email in [m["email"] for m in list_members(clerk_app, "carers") if m["carer"]][:3]:
        record_reply(clerk_app, RecordReply(ref, email, "attend"))
    clock.set(datetime(2027, 1, 7, 9 + hours, 0, tzinfo=UTC))
    ran = {r.job.kind: r.outcome for r in DeadlineKeeper(clerk_app).run_due()}
    assert ran["quorum-forecast"].startswith("no warning: quorate on the replies so far")
    assert outbox(clerk_app, "quorum_warning") == []
