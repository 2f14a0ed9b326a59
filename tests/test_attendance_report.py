"""The annual attendance report: counts per member and organisation (joiners and leavers counted
for their time, cancelled meetings against nobody, substitutes as attendance, a past meeting
without a register for nobody), its formats, the July email to the Chair and the facilitator
(once, through the outbox and the SMTP test server), the published page, the console's page and
its 403, and the command."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import html5lib
import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import cancel_meeting
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.replies import RecordReply, record_reply
from clerk.attendance.report import AttendanceReport, as_csv, as_dict, attendance_report
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.people.membership import end_membership, import_members
from clerk.records.publish import publish_site
from clerk.rules.attendance import (
    Tally,
    annual_report_day,
    annual_report_period,
    due_at,
    mark_of,
    next_annual_report_year,
    tally,
)
from clerk.times import parse_local
from mail.sender import send_outbox
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan
from tests.console_fixtures import ConsoleClient
from tests.papers_helpers import at, make_app
from tests.servers import SmtpSink

ALICE = "alice.ashworth@example.org"  # the Chair
BILAL = "bilal.bennett@example.org"
CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"
ELEANOR = "eleanor.evans@example.org"
HARRY = "harry.hughes@example.org"
ZOE = "zoe.zephyr@example.org"
SUB = "sam.sub@example.net"
FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"

Console = Callable[[str], ConsoleClient]


def _meeting(app: Clerk, when: str) -> str:
    return add_meeting(app, AddMeeting("carers", parse_local(when, app.tz), venue="Hall")).ref


def _register(app: Clerk, clock: FakeClock, ref: str, when: str, present: tuple[str, ...],
              substitutes: tuple[tuple[str, str], ...] = ()) -> None:
    clock.set(at(app, when))
    record_attendance(app, RecordAttendance(ref, present, substitutes))


def _a_year(app: Clerk, clock: FakeClock) -> None:
    """The Carers Partnership's year to June 2027: December (Dev by substitute, Eleanor's
    apologies), Harry leaves in January, Zoe joins, February, April cancelled, May held without a
    register, June."""
    dec = _meeting(app, "2026-12-03 10:00")
    feb = _meeting(app, "2027-02-04 10:00")
    apr = _meeting(app, "2027-04-15 10:00")
    _meeting(app, "2027-05-13 10:00")
    jun = _meeting(app, "2027-06-10 10:00")
    _meeting(app, "2027-09-09 10:00")  # after the period
    record_reply(app, RecordReply(dec, ELEANOR, "apologies"))
    _register(app, clock, dec, "2026-12-03 12:00", (ALICE, BILAL, CAROL, HARRY),
              ((SUB, DEV),))
    clock.set(at(app, "2027-01-11 09:00"))
    end_membership(app, HARRY, "carers", date(2027, 1, 8))
    assert import_members(app, "body,name,email,role,organisation,carer\n"
                               f"carers,Zoe Zephyr,{ZOE},carer,New Carers Group,yes\n").ok
    _register(app, clock, feb, "2027-02-04 12:00", (ALICE, CAROL, ZOE))
    clock.set(at(app, "2027-03-01 09:00"))
    cancel_meeting(app, apr, "the venue flooded")
    _register(app, clock, jun, "2027-06-10 12:00", (ALICE, BILAL, ZOE))


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Clerk:
    return make_app(clock, tmp_path, smtp=smtp_sink, carers_body={"attendance": {
        "flag_after_absences_without_notice": 2, "annual_report_month": 7}})


def _ours(key: str) -> bool:
    return key.startswith("annual-report:carers:")


def _line(report: AttendanceReport, email: str) -> Tally:
    return next(m.tally for m in report.members if m.email == email)


# ----------------------------------------------------------------------------- the rules


def test_the_rules_count_and_round() -> None:
    assert mark_of("present", 7, 7) == "in_person"
    assert mark_of("present", 7, None) == "in_person"
    assert mark_of("present", 7, 9) == "substitute"
    assert mark_of("apologies", 7, None) == "apologies"
    assert mark_of("absent_without_notice", 7, None) == "absent_without_notice"
    t = tally(["in_person", "substitute", "apologies"])
    assert (t.due, t.attended, t.percentage) == (3, 2, 67)
    assert tally(["in_person", "absent_without_notice"]).percentage == 50
    assert Tally().percentage is None
    assert due_at(date(2027, 2, 4), date(2027, 1, 8)).code == "after_membership_ended"
    assert due_at(date(2027, 1, 8), date(2027, 1, 8)).ok
    # July 2027 begins on a Thursday; August 2027 on a Sunday and its Monday is not a holiday
    assert annual_report_day(7, 2027) == date(2027, 7, 1)
    assert annual_report_day(8, 2027) == date(2027, 8, 2)
    assert annual_report_period(7, 2027) == (date(2026, 7, 1), date(2027, 6, 30))
    assert next_annual_report_year(7, date(2026, 11, 23)) == 2027
    assert next_annual_report_year(7, date(2027, 7, 20)) == 2027


# ----------------------------------------------------------------------------- the counts


def test_joiners_leavers_cancelled_substitutes_and_missing_registers(
        app: Clerk, clock: FakeClock) -> None:
    _a_year(app, clock)
    clock.set(at(app, "2027-07-01 09:00"))
    report = attendance_report(app, "carers", date(2026, 7, 1), date(2027, 6, 30))
    assert report.held == (date(2026, 12, 3), date(2027, 2, 4), date(2027, 6, 10))
    assert report.cancelled == (date(2027, 4, 15),)
    assert report.without_register == (date(2027, 5, 13),)
    alice = _line(report, ALICE)
    assert (alice.due, alice.in_person, alice.percentage) == (3, 3, 100)
    dev = _line(report, DEV)  # by substitute in December, absent since
    assert (dev.due, dev.substitute, dev.absent_without_notice, dev.percentage) == (3, 1, 2, 33)
    eleanor = _line(report, ELEANOR)
    assert (eleanor.apologies, eleanor.absent_without_notice, eleanor.percentage) == (1, 2, 0)
    harry = _line(report, HARRY)  # left in January: December only
    assert (harry.due, harry.in_person, harry.percentage) == (1, 1, 100)
    assert not next(m for m in report.members if m.email == HARRY).current
    zoe = _line(report, ZOE)  # joined in January: February and June
    assert (zoe.due, zoe.in_person, zoe.percentage) == (2, 2, 100)
    forum = next(o for o in report.organisations
                 if o.organisation == "Worcestershire Parent Carer Forum")
    assert forum.members == 2  # Alice and Carol
    assert (forum.tally.due, forum.tally.attended) == (6, 5)
    assert report.total.due == 20 * 3 - 2 + 2  # 20 members, Harry 2 fewer, Zoe 2
    # a period of its own: February only
    feb = attendance_report(app, "carers", date(2027, 2, 1), date(2027, 2, 28))
    assert feb.held == (date(2027, 2, 4),) and HARRY not in {m.email for m in feb.members}


def test_meetings_to_come_count_for_nobody(app: Clerk, clock: FakeClock) -> None:
    _a_year(app, clock)
    clock.set(at(app, "2027-06-01 09:00"))  # before the June meeting
    report = attendance_report(app, "carers", date(2026, 7, 1), date(2027, 6, 30))
    assert report.not_yet_held == 1 and date(2027, 6, 10) not in report.held
    assert _line(report, ALICE).due == 2


def test_the_formats(app: Clerk, clock: FakeClock) -> None:
    _a_year(app, clock)
    report = attendance_report(app, "carers", date(2026, 7, 1), date(2027, 6, 30))
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    dev = next(r for r in rows if r["name"] == "Dev Davies")
    assert (dev["kind"], dev["due"], dev["by_substitute"], dev["percentage"]) == (
        "member", "3", "1", "33")
    assert rows[-1]["kind"] == "total" and "@" not in as_csv(report)
    data = json.loads(json.dumps(as_dict(report)))
    assert data["cancelled_not_counted"] == ["2027-04-15"]
    assert data["without_register_not_counted"] == ["2027-05-13"]
    assert "in person or by a substitute" in data["percentage_rule"]


# ----------------------------------------------------------------------------- the July email


def test_the_annual_report_is_emailed_once_in_july(app: Clerk, clock: FakeClock,
                                                   smtp_sink: SmtpSink) -> None:
    _a_year(app, clock)
    planned = [j for j in plan(app) if j.kind == "annual-report" and j.subject_ref == "carers"]
    assert [(j.key, j.at.date()) for j in planned] == [("annual-report:carers:2027",
                                                        date(2027, 7, 1))]
    send_outbox(app)
    smtp_sink.clear()
    clock.set(at(app, "2027-06-30 17:00"))
    assert not [r for r in DeadlineKeeper(app).run_due() if _ours(r.job.key)]
    clock.set(at(app, "2027-07-01 09:05"))
    ran = [r for r in DeadlineKeeper(app).run_due() if _ours(r.job.key)]
    assert [r.outcome for r in ran] == ["sent the attendance report (3 meeting(s), 21 member(s))"
                                        " to 2 of 2"]
    send_outbox(app)
    got = [m for m in smtp_sink.received
           if "Carers Partnership: attendance report" in str(m.parsed()["Subject"])]
    assert sorted(r for m in got for r in m.rcpt_tos) == [ALICE, FACILITATOR]
    message = got[0].parsed()
    assert str(message["Subject"]) == ("Carers Partnership: attendance report, "
                                       "July 2026 to June 2027")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dev Davies (Herefordshire and Worcestershire Involvement Network)" in text
    assert "by substitute 1" in text and "cancelled, counted against nobody: 1" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<table" in html and "Zoe Zephyr" in html
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == "attendance-carers-2026-07-to-2027-06.csv"
    assert "Dev Davies" in attached.get_content()
    # once a year: the job is done, later in July nothing more is sent
    smtp_sink.clear()
    clock.set(at(app, "2027-07-20 09:00"))
    assert not [r for r in DeadlineKeeper(app).run_due() if _ours(r.job.key)]
    send_outbox(app)
    assert not [m for m in smtp_sink.received
                if "Carers Partnership: attendance report" in str(m.parsed()["Subject"])]
    assert not [j for j in plan(app) if _ours(j.key)]
    clock.set(at(app, "2027-08-01 09:00"))  # from August, next year's is planned
    assert [(j.key, j.at.date()) for j in plan(app) if _ours(j.key)] == [
        ("annual-report:carers:2028", date(2028, 7, 3))]


def test_the_site_publishes_the_latest_annual_report(app: Clerk, clock: FakeClock,
                                                     tmp_path: Path) -> None:
    _a_year(app, clock)
    clock.set(at(app, "2027-07-02 09:00"))
    publish_site(app, tmp_path / "site")
    path = tmp_path / "site" / "carers" / "attendance.html"
    html5lib.HTMLParser(strict=True).parse(path.read_bytes())  # raises on any parse error
    page = path.read_text(encoding="utf-8")
    assert "1 July 2026 to 30 June 2027" in page and "Zoe Zephyr" in page
    assert "@" not in page.split("<main>", 1)[1]
    index = (tmp_path / "site" / "carers" / "index.html").read_text(encoding="utf-8")
    assert 'href="attendance.html"' in index
    assert not (tmp_path / "site" / "worcs-partnership" / "attendance.html").exists()


# ----------------------------------------------------------------------------- the console


def test_the_console_page_its_csv_and_its_403(clerk_app: Clerk, clock: FakeClock,
                                             console: Console) -> None:
    _a_year(clerk_app, clock)
    mine = console(FACILITATOR)
    body = mine.get("/bodies/carers")
    assert 'href="/bodies/carers/attendance"' in body.text
    page = mine.get("/bodies/carers/attendance?from=2026-07-01&to=2027-06-30")
    assert page.status == 200
    assert "Dev Davies" in page.text and "33%" in page.text
    assert "without a register" in page.text and "13 May 2027" in page.text
    download = mine.get("/bodies/carers/attendance.csv?year=2027")
    assert download.status == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert "Zoe Zephyr" in download.text
    assert mine.get("/bodies/carers/attendance?year=twenty").status == 400
    other = console(OTHER_FACILITATOR)
    for path in ("/bodies/carers/attendance", "/bodies/carers/attendance.csv?year=2027"):
        refused = other.get(path)
        assert refused.status == 403 and "Dev Davies" not in refused.text


# ----------------------------------------------------------------------------- the command


def test_the_command(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "members.csv").write_text(
        (Path(__file__).resolve().parent.parent / "members.example.csv").read_text(
            encoding="utf-8"), encoding="utf-8")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("members", "import", "members.csv")[0] == 0
    code, out, _ = run("report", "attendance", "carers", "--year", "2026")
    assert code == 0 and "attendance from 1 January 2026 to 31 December 2026" in out
    assert "in person or by a substitute" in out and "No member was due" in out
    code, out, _ = run("report", "attendance", "carers", "--from", "2026-07-01", "--to",
                       "2027-06-30", "--json")
    assert code == 0 and json.loads(out)["from"] == "2026-07-01"
    code, out, _ = run("report", "attendance", "carers", "--csv")
    assert code == 0 and out.startswith("kind,name,organisation,due,")
    code, out, _ = run("report", "attendance", "carers", "--html", "report.html")
    assert code == 0 and "<table" in (workdir / "report.html").read_text(encoding="utf-8")
    code, _, err = run("report", "attendance", "carers", "--year", "2026", "--from",
                       "2026-01-01")
    assert code == 2 and "either a year or a from/to period" in err
    code, _, err = run("report", "attendance", "carers", "--from", "1 July")
    assert code == 2 and "YYYY-MM-DD" in err
