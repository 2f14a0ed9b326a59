"""Planning the year (issue 16): ``clerk meetings plan`` proposes one date in each period a
body's frequency asks for (monthly, quarterly, or its minimum spread over the year), never on a
weekend or bank holiday, leaving alone periods that already have a meeting; accepting schedules
each through the same checks as adding one; each body's calendar is a public ``.ics`` feed on the
published site; the console's "Plan the year" page, and who may use it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar

from clerk.app import Clerk
from clerk.attendance.invitations import cancel_meeting, invite, move_meeting
from clerk.errors import BadInput
from clerk.meetings import AddMeeting, PlanYear, accept_plan, add_meeting, list_meetings, plan_year
from clerk.records.feed import body_feed
from clerk.records.publish import publish_site
from clerk.rules.frequency import FrequencyPolicy
from clerk.rules.planning import parse_weekday, propose_year
from clerk.times import parse_local
from tests.console_fixtures import ConsoleClient
from tests.test_cli import run

Console = Callable[[str], ConsoleClient]
CYPSP_ADMIN = "cypsp.admin@wcf.example.org"
CARERS_FACILITATOR = "facilitator@carers.example.org"
JCB_SUPPORT = "jcb.support@worcs.example.org"


def days(plan_days: tuple[date, ...]) -> list[str]:
    return [d.isoformat() for d in plan_days]


def at(app: Clerk, text: str) -> AddMeeting:
    return AddMeeting(body="cypsp-programme", starts_at=parse_local(text, app.tz))


# ----------------------------------------------------------------------------- the rule


def test_a_monthly_body_gets_one_date_a_month_moved_off_easter_and_christmas() -> None:
    plan = propose_year(FrequencyPolicy(min_per_year=12, every="month"), 2027, existing=[],
                        today=date(2026, 11, 23), weekday=parse_weekday("mon"), week=5)
    assert len(plan.days) == 12 and all(d.weekday() == 0 for d in plan.days)
    by_month = {s.first_month: s for s in plan.slots}
    # the last Monday of March 2027 is Easter Monday; of December, the substitute Christmas Day
    assert by_month[3].day == date(2027, 3, 22) and by_month[3].code == "moved"
    assert "Easter Monday" in by_month[3].reason
    assert by_month[12].day == date(2027, 12, 20) and by_month[12].code == "moved"
    assert by_month[8].day == date(2027, 8, 23)  # the late summer bank holiday is the 30th
    assert by_month[1].code == "usual" and by_month[1].reason == "the last Monday of January"
    assert plan.verdict.ok and plan.verdict.code == "met"


def test_christmas_day_and_good_friday_are_never_proposed() -> None:
    friday = parse_weekday("Friday")
    plan = propose_year(FrequencyPolicy(min_per_year=12, every="month"), 2026, existing=[],
                        today=date(2025, 12, 1), weekday=friday, week=4)
    assert date(2026, 12, 25) not in plan.days and date(2026, 12, 18) in plan.days
    plan = propose_year(FrequencyPolicy(min_per_year=4, every="quarter"), 2027, existing=[],
                        today=date(2026, 11, 23), weekday=friday, week=4, month_in_period=2)
    assert days(plan.days) == ["2027-03-19", "2027-06-25", "2027-09-24", "2027-12-24"]
    assert plan.slots[0].period == "Q1 2027 (January to March)"


def test_a_quarterly_body_keeps_its_meetings_and_the_months_it_meets_in() -> None:
    plan = propose_year(FrequencyPolicy(min_per_year=4, every="quarter"), 2027,
                        existing=[date(2027, 2, 11)], today=date(2026, 11, 23), weekday=3,
                        week=2, month_in_period=1)
    assert [s.code for s in plan.slots] == ["has_meeting", "usual", "usual", "usual"]
    assert plan.slots[0].reason == "already has a meeting on Thursday 11 February 2027"
    assert days(plan.days) == ["2027-05-13", "2027-08-12", "2027-11-11"]


def test_what_has_passed_is_not_proposed_and_a_shortfall_is_said() -> None:
    plan = propose_year(FrequencyPolicy(min_per_year=12, every="month"), 2026, existing=[],
                        today=date(2026, 11, 23), weekday=3, week=2)
    assert days(plan.days) == ["2026-12-10"]
    assert plan.slots[0].code == "past" and "has passed" in plan.slots[0].reason
    assert not plan.verdict.ok and plan.verdict.code == "short"
    assert "at least 12 needed" in plan.verdict.reason


def test_weekdays_are_read_in_words_and_weekends_refused() -> None:
    assert [parse_weekday(w) for w in ("mon", "Tue", "wednesday", "thu", "FRI")] == [0, 1, 2, 3, 4]
    for word in ("sat", "sunday", "x", ""):
        with pytest.raises(ValueError, match="not a weekday"):
            parse_weekday(word)


# ----------------------------------------------------------------------------- the operation


def test_cypsp_2021_sets_its_four_dates_a_year_in_advance(clerk_app: Clerk) -> None:
    plan = plan_year(clerk_app, PlanYear(body="cypsp-board", year=2027))
    assert [in_local(clerk_app, s) for s in plan.starts] == [
        "2027-01-14 10:00", "2027-04-08 10:00", "2027-07-08 10:00", "2027-10-14 10:00"]
    assert plan.verdict.ok and "4 meetings" in plan.verdict.reason
    assert list_meetings(clerk_app, "cypsp-board") == []  # proposing writes nothing
    done = accept_plan(clerk_app, PlanYear(body="cypsp-board", year=2027),
                       venue="County Hall, Worcester", actor=CYPSP_ADMIN, channel="cli")
    assert [m.ref for m in done.added] == ["cypsp-board-2027-01-14", "cypsp-board-2027-04-08",
                                           "cypsp-board-2027-07-08", "cypsp-board-2027-10-14"]
    assert all(m.venue == "County Hall, Worcester" for m in done.added)
    # each went through schedule_meeting: audited as any meeting added
    events = clerk_app.store.all("SELECT actor, channel FROM audit WHERE action = 'meeting.add'")
    assert [(e["actor"], e["channel"]) for e in events] == [(CYPSP_ADMIN, "cli")] * 4
    # accepting again adds nothing: every quarter now has its meeting
    again = accept_plan(clerk_app, PlanYear(body="cypsp-board", year=2027))
    assert again.scheduled == () and all(s.code == "has_meeting" for s in again.plan.slots)


def in_local(app: Clerk, when: object) -> str:
    from datetime import datetime

    assert isinstance(when, datetime)
    return f"{when.astimezone(app.tz):%Y-%m-%d %H:%M}"


def test_the_plan_follows_the_latest_meeting_and_a_cancelled_one_does_not_count(
        clerk_app: Clerk) -> None:
    held = add_meeting(clerk_app, at(clerk_app, "2027-02-16 14:00"))  # third Tuesday, mid-quarter
    dropped = add_meeting(clerk_app, at(clerk_app, "2027-04-20 14:00"))
    cancel_meeting(clerk_app, dropped.ref, "no business")
    plan = plan_year(clerk_app, PlanYear(body="cypsp-programme", year=2027))
    assert "Tuesday 16 February 2027 at 14:00" in plan.basis
    assert plan.slots[0].code == "has_meeting" and held.ref.endswith("2027-02-16")
    assert [in_local(clerk_app, s) for s in plan.starts] == [
        "2027-05-18 14:00", "2027-08-17 14:00", "2027-11-16 14:00"]
    changed = plan_year(clerk_app, PlanYear(body="cypsp-programme", year=2027,
                                            weekday=parse_weekday("wed"), week=1,
                                            at=parse_local("2027-01-01 09:30", clerk_app.tz).time()))
    assert [in_local(clerk_app, s) for s in changed.starts] == [
        "2027-05-05 09:30", "2027-08-04 09:30", "2027-11-03 09:30"]
    assert changed.basis.endswith("changed as asked")


def test_an_extraordinary_meeting_neither_fills_a_month_nor_sets_the_pattern(
        clerk_app: Clerk) -> None:
    add_meeting(clerk_app, AddMeeting(body="cypsp-jcb", starts_at=parse_local("2027-01-12 10:00",
                                                                             clerk_app.tz)))
    add_meeting(clerk_app, AddMeeting(body="cypsp-jcb", kind="extraordinary", reason="a bid",
                                      starts_at=parse_local("2027-03-05 16:00", clerk_app.tz)))
    plan = plan_year(clerk_app, PlanYear(body="cypsp-jcb", year=2027))
    assert "Tuesday 12 January 2027 at 10:00" in plan.basis
    assert plan.slots[2].day == date(2027, 3, 9) and plan.slots[2].code == "usual"
    assert plan.slots[0].code == "has_meeting" and len(plan.starts) == 11
    feed = Calendar.from_ical(body_feed(clerk_app, "cypsp-jcb"))
    called = [e for e in feed.walk("VEVENT") if "extraordinary" in str(e["SUMMARY"])]
    assert [str(e["DESCRIPTION"]) for e in called] == [
        "An extraordinary meeting, called to consider: a bid."]


def test_accepting_checks_as_adding_one_does(clerk_app: Clerk) -> None:
    with pytest.raises(BadInput, match="must start with https://"):
        accept_plan(clerk_app, PlanYear(body="cypsp-board", year=2027), online_url="teams")
    assert list_meetings(clerk_app, "cypsp-board") == []
    with pytest.raises(BadInput, match="not a year"):
        plan_year(clerk_app, PlanYear(body="cypsp-board", year=27))


def test_the_command_line_proposes_then_accepts(workdir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init")[0] == 0
    code, out, _ = run(capsys, "meetings", "plan", "cypsp-board", "--year", "2099",
                       "--weekday", "tue", "--at", "14:00")
    assert code == 0
    assert "the second Tuesday of the month at 14:00" in out
    assert "Tue 13 Jan 2099" in out and "--accept" in out
    code, out, _ = run(capsys, "meetings", "plan", "cypsp-board", "--year", "2099",
                       "--weekday", "tue", "--at", "14:00", "--json")
    data = json.loads(out)
    assert [s["day"] for s in data["slots"]] == ["2099-01-13", "2099-04-14", "2099-07-14",
                                                 "2099-10-13"]
    assert data["frequency"]["code"] == "met"
    code, out, _ = run(capsys, "meetings", "plan", "cypsp-board", "--year", "2099",
                       "--weekday", "tue", "--at", "14:00", "--accept")
    assert code == 0 and "cypsp-board-2099-01-13: Tuesday 13 January 2099 at 14:00" in out
    code, out, _ = run(capsys, "meetings", "list", "--body", "cypsp-board", "--json")
    assert len(json.loads(out)) == 4
    code, _, err = run(capsys, "meetings", "plan", "cypsp-board", "--year", "2099",
                       "--weekday", "sat")
    assert code != 0 and "not a weekday" in err


# ----------------------------------------------------------------------------- the feed


def feed_of(out: Path, slug: str) -> Calendar:
    return Calendar.from_ical((out / slug / "calendar.ics").read_bytes())


def test_the_published_site_has_each_bodys_calendar_feed(clerk_app: Clerk, tmp_path: Path) -> None:
    app = clerk_app
    kept = add_meeting(app, AddMeeting(body="carers", starts_at=parse_local("2027-01-14 10:00",
                                                                           app.tz),
                                       venue="County Hall, Worcester",
                                       online_url="https://meet.example.org/secret"))
    moved = add_meeting(app, AddMeeting(body="carers", starts_at=parse_local("2027-04-08 10:00",
                                                                            app.tz)))
    dropped = add_meeting(app, AddMeeting(body="carers", starts_at=parse_local("2027-07-08 10:00",
                                                                              app.tz)))
    invite(app, kept.ref)
    move_meeting(app, moved.ref, parse_local("2027-04-15 10:00", app.tz))
    cancel_meeting(app, dropped.ref, "no business")
    publish_site(app, tmp_path / "a")
    feed = feed_of(tmp_path / "a", "carers")
    assert str(feed["X-WR-CALNAME"]) == "Worcestershire Carers Partnership"
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {kept.uid, moved.uid, dropped.uid}
    assert str(events[dropped.uid]["STATUS"]) == "CANCELLED"
    assert str(events[kept.uid]["STATUS"]) == "CONFIRMED"
    assert int(events[moved.uid]["SEQUENCE"]) == 1
    assert events[moved.uid].decoded("DTSTART") == parse_local("2027-04-15 10:00", app.tz)
    assert str(events[kept.uid]["LOCATION"]) == "County Hall, Worcester, and online"
    text = (tmp_path / "a" / "carers" / "calendar.ics").read_text()
    # only public facts: nobody's address, no joining link
    for private in ("ATTENDEE", "ORGANIZER", "meet.example.org", "@example.org", "mailto:"):
        assert private not in text
    assert 'href="calendar.ics"' in (tmp_path / "a" / "carers" / "index.html").read_text()
    assert "Subscribe to this calendar" in (tmp_path / "a" / "carers" / "index.html").read_text()
    # publishing again writes the same feed: UIDs, and everything else, stable
    publish_site(app, tmp_path / "b")
    assert (tmp_path / "b" / "carers" / "calendar.ics").read_bytes() == \
        (tmp_path / "a" / "carers" / "calendar.ics").read_bytes()
    # a body that does not publish has no feed on the site
    assert not (tmp_path / "a" / "cypsp-jcb").exists()


# ----------------------------------------------------------------------------- the console


def test_the_console_shows_the_plan_then_adds_the_meetings(console: Console,
                                                          clerk_app: Clerk) -> None:
    client = console(JCB_SUPPORT)
    body = client.get("/bodies/cypsp-jcb")
    assert 'href="/bodies/cypsp-jcb/plan"' in body.text
    page = client.get("/bodies/cypsp-jcb/plan?year=2027&weekday=mon&week=last&at=")
    assert page.status == 200
    assert "The last Monday of the month at 10:00" in page.text
    # the last Monday of March 2027 is Easter Monday, of May the spring bank holiday
    assert "Monday 22 March 2027" in page.text and "Easter Monday" in page.text
    assert "Add these meetings" in page.text
    done = client.post("/bodies/cypsp-jcb/plan", {"year": "2027", "weekday": "mon",
                                                 "week": "last", "at": "",
                                                 "venue": "County Hall"})
    assert done.path == "/bodies/cypsp-jcb"
    assert "12 meetings added for 2027" in done.text
    refs = [m.ref for m in list_meetings(clerk_app, "cypsp-jcb")]
    assert len(refs) == 12 and "cypsp-jcb-2027-03-22" in refs and "cypsp-jcb-2027-12-20" in refs
    event = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = 'meeting.add'")
    assert event is not None and (event["actor"], event["channel"]) == (JCB_SUPPORT, "console")
    again = client.get("/bodies/cypsp-jcb/plan?year=2027")
    assert "Add these meetings" not in again.text and "already has a meeting" in again.text
    feed = client.get("/bodies/cypsp-jcb/calendar.ics")
    assert feed.status == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    assert len(list(Calendar.from_ical(feed.text).walk("VEVENT"))) == 12


def test_a_wrong_field_on_the_plan_page_is_explained(console: Console) -> None:
    page = console(CYPSP_ADMIN).get("/bodies/cypsp-board/plan?year=20x7&at=25:00")
    assert page.status == 400
    assert "Enter the year as four digits" in page.text and "is not a time of day" in page.text


def test_another_bodys_facilitator_may_not_plan_it_nor_read_its_feed(
        console: Console, clerk_app: Clerk) -> None:
    client = console(CARERS_FACILITATOR)
    client.get("/")
    assert client.get("/bodies/cypsp-board/plan?year=2027").status == 403
    assert client.get("/bodies/cypsp-board/calendar.ics").status == 403
    assert client.post("/bodies/cypsp-board/plan", {"year": "2027"}).status == 403
    assert list_meetings(clerk_app, "cypsp-board") == []
