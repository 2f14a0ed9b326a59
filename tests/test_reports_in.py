"""Reports from groups that are not bodies (``[[bodies.X.reports_in]]``): the CYPSP Board's KPIs
are a standing item at every meeting and its four subgroups' reports at its first meeting of each
half-year; each group's lead is reminded on the agenda chaser's day when the paper has not arrived,
and told it is late (with the Board's facilitator, once) when the papers deadline passes (emails
through the SMTP test server); nothing is sent once the paper is in; the console's dashboard shows
a late report; the configuration refuses a lead that is not an address, a group named twice, and
a group that is a body of the file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from clerk.agenda.items import Agenda, read_agenda
from clerk.agenda.papers import AddPaper, add_paper
from clerk.agenda.reports import report_late_notice
from clerk.app import Clerk
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.errors import ConfigError
from clerk.meetings.schedule import AddMeeting, add_meeting, get_meeting
from clerk.store.files import FileUpload
from clerk.times import parse_local
from mail.sender import send_outbox
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_CONFIG
from tests.console_fixtures import ConsoleClient
from tests.papers_helpers import at, make_app
from tests.servers import SmtpSink

BOARD_FACILITATOR = "cypsp.admin@wcf.example.org"
KPI_LEAD = "kpi.lead@wcf.example.org"
EARLY_HELP_LEAD = "early.help.lead@wcf.example.org"
SUBGROUP_LEADS = {EARLY_HELP_LEAD, "send.aad.lead@wcf.example.org", "ewmh.lead@wcf.example.org",
                  "wscp.lead@wcf.example.org"}
PROGRAMME_FACILITATOR = "performance@worcs.example.org"
PAB_FACILITATOR = "pab.support@worcs.example.org"

KPIS = "KPI outcome measures (from the Performance and Intelligence Team, every meeting)"
SUBGROUPS = [f"Subgroup report (from the {name}, twice a year)" for name in (
    "Early Help Partnership", "0-25 SEND & All Age Disability Partnership Board",
    "Emotional Wellbeing & Mental Health Partnership",
    "Worcestershire Safeguarding Children Partnership")]


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Clerk:
    return make_app(clock, tmp_path, smtp=smtp_sink)


def meet(app: Clerk, body: str, when: str) -> str:
    return add_meeting(app, AddMeeting(body, parse_local(when, app.tz), venue="County Hall")).ref


def agenda_of(app: Clerk, ref: str) -> Agenda:
    return read_agenda(app, app.store.db, get_meeting(app, ref))


def reports(app: Clerk, ref: str) -> list[str]:
    return [i.title for i in agenda_of(app, ref).items if i.kind == "report"]


def add_report_paper(app: Clerk, ref: str, title: str) -> None:
    number = next(i.number for i in agenda_of(app, ref).items if i.title == title)
    add_paper(app, AddPaper(ref, number, FileUpload(f"report-{number}.pdf", b"%PDF-1.4 report")))


def run(app: Clerk, kind: str) -> list[str]:
    return [r.outcome for r in DeadlineKeeper(app).run_due() if r.job.kind == kind]


def received(sink: SmtpSink) -> dict[str, EmailMessage]:
    """The messages about reports the SMTP server received, by recipient."""
    got = {m.rcpt_tos[0]: m.parsed() for m in sink.received}
    return {to: msg for to, msg in got.items() if "report" in str(msg["Subject"])}


def sent(app: Clerk, kind: str) -> list[dict]:
    return app.store.all("SELECT * FROM outbox WHERE kind = ? ORDER BY id", [kind])


def test_kpis_at_every_meeting_and_subgroups_twice_a_year(app: Clerk) -> None:
    jan = meet(app, "cypsp-board", "2027-01-13 10:00")
    apr = meet(app, "cypsp-board", "2027-04-14 10:00")
    jul = meet(app, "cypsp-board", "2027-07-14 10:00")
    assert reports(app, jan) == [KPIS, *SUBGROUPS]
    assert reports(app, apr) == [KPIS]  # the first half-year's reports went to January's
    assert reports(app, jul) == [KPIS, *SUBGROUPS]
    # another body's agenda has none of them
    assert reports(app, meet(app, "cypsp-jcb", "2027-01-14 10:00")) == [
        "Programme Board quarterly progress report (from the Programme Board, quarterly)"]
    jobs = [(j.kind, j.subject_ref, j.at) for j in plan(app)
            if j.kind in ("report-chaser", "report-late") and j.subject_ref == jan]
    # papers due Wednesday 6 January (7 days): reminded two working days before, late that evening
    assert jobs == [("report-chaser", jan, at(app, "2027-01-04 09:00")),
                    ("report-late", jan, at(app, "2027-01-06 17:00"))]
    assert {j.subject_ref for j in plan(app) if j.kind == "report-late"} >= {jan, apr, jul}


def test_each_lead_is_reminded_then_told_it_is_late_with_the_facilitator_once(
        app: Clerk, clock: FakeClock, smtp_sink: SmtpSink) -> None:
    jan = meet(app, "cypsp-board", "2027-01-13 10:00")
    add_report_paper(app, jan, KPIS)  # the KPIs are in: their lead hears nothing
    clock.set(at(app, "2027-01-03 17:00"))
    DeadlineKeeper(app).run_due()
    send_outbox(app)
    smtp_sink.clear()

    clock.set(at(app, "2027-01-04 09:05"))
    assert run(app, "report-chaser") == [
        "chased the report of " + ", ".join(f"{name} ({lead})" for name, lead in (
            ("Early Help Partnership", EARLY_HELP_LEAD),
            ("0-25 SEND & All Age Disability Partnership Board", "send.aad.lead@wcf.example.org"),
            ("Emotional Wellbeing & Mental Health Partnership", "ewmh.lead@wcf.example.org"),
            ("Worcestershire Safeguarding Children Partnership", "wscp.lead@wcf.example.org")))]
    send_outbox(app)
    got = received(smtp_sink)
    assert set(got) == SUBGROUP_LEADS  # not the KPI lead, not the facilitator yet
    msg = got[EARLY_HELP_LEAD]
    assert msg["Subject"] == ("CYPSP Board Wednesday 13 January 2027 at 10:00: the subgroup "
                              "report has not arrived")
    assert msg["To"] == "Early Help Partnership lead <early.help.lead@wcf.example.org>"
    text = " ".join(msg.get_body(("plain",)).get_content().split())
    assert ("The Early Help Partnership reports to the Children and Young People's Strategic "
            "Partnership Board twice a year. Its subgroup report is item") in text
    assert "The papers go out by Wednesday 6 January 2027." in text
    assert BOARD_FACILITATOR in text and "clerk papers add" not in text  # a lead runs no clerk

    # the Early Help paper arrives; the others are still missing when the deadline passes
    add_report_paper(app, jan, SUBGROUPS[0])
    smtp_sink.clear()
    clock.set(at(app, "2027-01-06 16:55"))
    assert run(app, "report-late") == []
    key = next(j.key for j in plan(app) if j.kind == "report-late" and j.subject_ref == jan)
    clock.set(at(app, "2027-01-06 17:05"))
    [outcome] = run(app, "report-late")
    assert outcome.startswith("late: 0-25 SEND & All Age Disability Partnership Board, ")
    send_outbox(app)
    got = received(smtp_sink)
    assert set(got) == SUBGROUP_LEADS - {EARLY_HELP_LEAD} | {BOARD_FACILITATOR}
    late = got["wscp.lead@wcf.example.org"]
    assert str(late["Subject"]).endswith(": the subgroup report is late")
    assert "it is now late" in late.get_body(("plain",)).get_content()
    to_facilitator = got[BOARD_FACILITATOR]
    assert to_facilitator["Subject"] == ("CYPSP Board Wednesday 13 January 2027 at 10:00: "
                                         "3 reports late")
    text = " ".join(to_facilitator.get_body(("plain",)).get_content().split())
    assert "subgroup report from the Worcestershire Safeguarding Children Partnership" in text
    assert "Its lead, wscp.lead@wcf.example.org, has been told it is late." in text
    assert "Early Help" not in text and "KPI" not in text
    assert f"clerk papers add {jan} FILE --item N" in text

    # once: the keeper has done it, and a re-run of the deadline sends nothing again
    assert run(app, "report-late") == []
    rows = len(sent(app, "report_late"))
    with app.store.write() as db:
        report_late_notice(app, db, get_meeting(app, jan), key)
    assert len(sent(app, "report_late")) == rows == 4


def test_nothing_is_sent_once_every_paper_is_in(app: Clerk, clock: FakeClock) -> None:
    jan = meet(app, "cypsp-board", "2027-01-13 10:00")
    for title in (KPIS, *SUBGROUPS):
        add_report_paper(app, jan, title)
    clock.set(at(app, "2027-01-04 09:05"))
    assert run(app, "report-chaser") == ["every report due has its paper (5)"]
    clock.set(at(app, "2027-01-06 17:05"))
    assert run(app, "report-late") == ["every report due has its paper (5)"]
    assert sent(app, "report_chaser") == [] and sent(app, "report_late") == []


def test_a_bodys_report_late_goes_to_both_facilitators(
        app: Clerk, clock: FakeClock, smtp_sink: SmtpSink) -> None:
    """One code path for both forms: the Programme Board's report to the PAB."""
    pab = meet(app, "cypsp-pab", "2027-01-12 14:00")
    clock.set(at(app, "2027-01-05 17:05"))  # papers due Tuesday 5 January
    DeadlineKeeper(app).run_due()
    assert {r["to_addr"] for r in sent(app, "report_late")} == {PROGRAMME_FACILITATOR,
                                                                PAB_FACILITATOR}
    late = next(r for r in sent(app, "report_late") if r["to_addr"] == PROGRAMME_FACILITATOR)
    assert late["subject"].endswith(": the Programme Board quarterly progress report is late")
    assert pab in late["subject_ref"]


# ----------------------------------------------------------------------------- configuration


def example() -> dict:
    return tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def test_config_errors() -> None:
    data = example()
    groups = data["bodies"]["cypsp-board"]["reports_in"]
    groups[0]["lead"] = "the KPI team"
    groups[2]["from"] = "early help partnership"  # the same group as groups[1], in other case
    groups[3]["from"] = "CYPSP Programme Board"  # a body of the file
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    problems = caught.value.problems
    assert problems == ['body "cypsp-board": reports_in[0].lead must be an email address, got '
                        '"the KPI team"']
    groups[0]["lead"] = "kpi.lead@wcf.example.org"
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert caught.value.problems == [
        'body "cypsp-board": reports_in[2].from names the group "early help partnership" again '
        "(one entry a group)",
        'body "cypsp-board": reports_in[3].from names the body "cypsp-programme" of this file: '
        'set [[bodies.cypsp-programme.reports]] to = "cypsp-board" instead']
    data = example()
    data["bodies"]["cypsp-board"]["reports_in"][0]["every"] = "month"
    del data["bodies"]["cypsp-board"]["reports_in"][1]["lead"]
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert any("reports_in[0].every must be one of 'meeting', 'quarter', 'half-year' or 'year'"
               in p for p in caught.value.problems)
    assert any("reports_in[1].lead" in p for p in caught.value.problems)


def test_check_config_lists_the_reports_in(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE_CONFIG)]) == 0
    out = capsys.readouterr().out
    assert ("  reports in: KPI outcome measures from Performance and Intelligence Team (lead "
            "kpi.lead@wcf.example.org), every meeting; subgroup report from Early Help "
            "Partnership (lead early.help.lead@wcf.example.org), twice a year;") in out


# ----------------------------------------------------------------------------- the console


def test_the_dashboard_shows_a_report_once_it_is_late(
        console: Callable[[str], ConsoleClient], clerk_app: Clerk, clock: FakeClock) -> None:
    jan = meet(clerk_app, "cypsp-board", "2027-01-13 10:00")
    for title in SUBGROUPS:
        add_report_paper(clerk_app, jan, title)
    clock.set(at(clerk_app, "2027-01-06 16:55"))
    page = console(BOARD_FACILITATOR).get("/")
    assert page.status == 200 and "Needs your attention" in page.text
    assert "Report late" not in page.text  # not yet: the deadline is 17:00
    clock.set(at(clerk_app, "2027-01-06 17:05"))
    client = console(BOARD_FACILITATOR)
    page = client.get("/")
    words = " ".join(page.text.split())
    assert words.count("Report late") == 1
    assert (f'<a class="govuk-link" href="/meetings/{jan}/agenda">KPI outcome measures for the '
            "CYPSP Board meeting, Wednesday 13 January 2027 at 10:00</a>: the Performance and "
            "Intelligence Team has not sent it and the papers deadline has passed.") in words
    add_report_paper(clerk_app, jan, KPIS)
    assert "Report late" not in client.get("/").text
