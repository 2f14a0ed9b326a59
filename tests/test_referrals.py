"""Referrals and reports between bodies: a decision the Worcestershire Partnership cannot resolve
goes onto the Board's next agenda with a link back, and both facilitators are emailed (through
the SMTP test server); the Programme Board's quarterly report is a standing item on the first
PAB meeting of each quarter, and its facilitator is chased on the agenda chaser's day when the
paper has not arrived (not when it has); the configuration names each body it refers to, and
says which key is wrong when it names none."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from clerk.agenda.items import Agenda, read_agenda
from clerk.agenda.papers import AddPaper, add_paper
from clerk.app import Clerk
from clerk.attendance import (
    AddDecision,
    ReferDecision,
    add_decision,
    cancel_meeting,
    list_decisions,
    list_referrals,
    refer_decision,
)
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.errors import ConfigError, NotFound, Refused
from clerk.meetings.schedule import AddMeeting, add_meeting, get_meeting
from clerk.rules.referrals import due_in_order, report_due
from clerk.store.files import FileUpload
from clerk.times import parse_local
from mail.sender import send_outbox
from scheduler.keeper import DeadlineKeeper
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_CONFIG
from tests.console_fixtures import ConsoleClient
from tests.papers_helpers import at, cli_clerk, make_app
from tests.servers import SmtpSink

PARTNERSHIP_FACILITATOR = "partnership.support@worcs.example.org"
BOARD_FACILITATOR = "partnership.board@worcs.example.org"
PROGRAMME_FACILITATOR = "performance@worcs.example.org"
PAB_FACILITATOR = "pab.support@worcs.example.org"
ADMIN = "it.admin@council.example"
UMA, VICTOR, WENDY = ("uma.upton@example.org", "victor.vaughan@example.org",
                      "wendy.walker@example.org")


@pytest.fixture
def app(clock: FakeClock, tmp_path: Path, smtp_sink: SmtpSink) -> Clerk:
    return make_app(clock, tmp_path, smtp=smtp_sink)


def meet(app: Clerk, body: str, when: str) -> str:
    return add_meeting(app, AddMeeting(body, parse_local(when, app.tz), venue="County Hall")).ref


def agenda_of(app: Clerk, ref: str) -> Agenda:
    return read_agenda(app, app.store.db, get_meeting(app, ref))


def titles(app: Clerk, ref: str, kind: str) -> list[str]:
    return [i.title for i in agenda_of(app, ref).items if i.kind == kind]


def a_matter_not_resolved(app: Clerk, clock: FakeClock) -> str:
    """The Partnership meets on 1 December and records a matter it could not resolve."""
    ref = meet(app, "worcs-partnership", "2026-12-01 14:00")
    clock.set(at(app, "2026-12-01 16:00"))
    record_attendance(app, RecordAttendance(ref, (UMA, VICTOR, WENDY)))
    add_decision(app, AddDecision(ref, "Whether to fund the county transport review"))
    return ref


# ----------------------------------------------------------------------------- referrals


def test_a_referred_decision_goes_on_the_boards_next_agenda_and_both_facilitators_are_told(
        app: Clerk, clock: FakeClock, smtp_sink: SmtpSink) -> None:
    early = meet(app, "worcs-board", "2026-11-30 10:00")  # before the referral: not its agenda
    first = meet(app, "worcs-board", "2026-12-10 10:00")
    second = meet(app, "worcs-board", "2027-01-14 10:00")
    ref = a_matter_not_resolved(app, clock)
    send_outbox(app)
    smtp_sink.clear()

    referral = refer_decision(app, ReferDecision(ref, 1, note="no consensus on the cost"))

    assert (referral.to_body, referral.to_meeting) == ("worcs-board", first)
    # the link back: the referring body, its meeting and the decision's number
    assert titles(app, first, "referral") == [
        "Referred by the Worcestershire Partnership (its meeting of Tuesday 1 December 2026, "
        "decision 1): Whether to fund the county transport review"]
    assert titles(app, second, "referral") == [] and titles(app, early, "referral") == []
    decision = list_decisions(app, ref)[0]
    assert decision.status == "referred"
    assert decision.reason == "referred to the Partnership Board: no consensus on the cost"
    assert [r.decision.number for r in list_referrals(app, "worcs-board")] == [1]

    send_outbox(app)
    got = {m.rcpt_tos[0]: m.parsed() for m in smtp_sink.received}
    assert set(got) == {PARTNERSHIP_FACILITATOR, BOARD_FACILITATOR}
    to_board = got[BOARD_FACILITATOR]
    assert to_board["Subject"] == ("Partnership Board: a matter referred by the Worcestershire "
                                   "Partnership")
    text = to_board.get_body(("plain",)).get_content()
    assert "Whether to fund the county transport review" in text
    assert f"({ref}), decision 1" in text and "Note: no consensus on the cost" in text
    assert f"({first})" in text
    assert "referred to the Partnership Board" in str(got[PARTNERSHIP_FACILITATOR]["Subject"])

    # referring it again changes nothing and tells nobody twice
    smtp_sink.clear()
    again = refer_decision(app, ReferDecision(ref, 1))
    assert again.already and again.to_meeting == first
    send_outbox(app)
    assert smtp_sink.received == []
    with pytest.raises(Refused, match="referred to worcs-board already"):
        refer_decision(app, ReferDecision(ref, 1, to="cypsp-board"))


def test_with_no_meeting_yet_it_waits_for_the_next_one_and_a_cancelled_one_passes_it_on(
        app: Clerk, clock: FakeClock) -> None:
    ref = a_matter_not_resolved(app, clock)
    referral = refer_decision(app, ReferDecision(ref, 1))
    assert referral.to_meeting == ""
    board = meet(app, "worcs-board", "2027-01-14 10:00")
    later = meet(app, "worcs-board", "2027-03-11 10:00")
    assert len(titles(app, board, "referral")) == 1
    cancel_meeting(app, board, "the Leader is away")
    assert len(titles(app, later, "referral")) == 1


def test_what_cannot_be_referred(app: Clerk, clock: FakeClock) -> None:
    ref = a_matter_not_resolved(app, clock)
    with pytest.raises(NotFound, match="has no decision 2"):
        refer_decision(app, ReferDecision(ref, 2))
    with pytest.raises(NotFound, match="no body 'the county council'"):
        refer_decision(app, ReferDecision(ref, 1, to="the county council"))
    with pytest.raises(Refused, match="cannot refer a decision to itself"):
        refer_decision(app, ReferDecision(ref, 1, to="Worcestershire Partnership"))
    # the Programme Board reports to two bodies and names no refer_to: it must say which
    programme = meet(app, "cypsp-programme", "2026-12-02 10:00")
    clock.set(at(app, "2026-12-02 12:00"))
    record_attendance(app, RecordAttendance(programme, ()))
    add_decision(app, AddDecision(programme, "The 2027 performance framework"))
    with pytest.raises(Refused, match="say which with --to"):
        refer_decision(app, ReferDecision(programme, 1))
    # by name: the JCB's short name
    assert refer_decision(app, ReferDecision(programme, 1, to="jcb")).to_body == "cypsp-jcb"


def test_the_command(workdir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    app = cli_clerk(workdir, clock, monkeypatch)
    board = meet(app, "worcs-board", "2026-12-10 10:00")
    ref = a_matter_not_resolved(app, clock)
    assert main(["decisions", "refer", ref, "1", "--note", "no consensus"]) == 0
    out = capsys.readouterr().out
    assert f"Decision 1 referred to the Partnership Board: on the agenda of {board}." in out
    assert PARTNERSHIP_FACILITATOR in out and BOARD_FACILITATOR in out
    assert main(["decisions", "list", ref]) == 0
    assert "not resolved: referred to another body" in capsys.readouterr().out
    assert main(["agenda", "show", board]) == 0
    assert "Referred by the Worcestershire Partnership" in capsys.readouterr().out


# ----------------------------------------------------------------------------- reports


def test_the_quarterly_report_is_on_the_first_pab_meeting_of_each_quarter(app: Clerk) -> None:
    dec = meet(app, "cypsp-pab", "2026-12-08 14:00")
    dec2 = meet(app, "cypsp-pab", "2026-12-22 14:00")
    jan = meet(app, "cypsp-pab", "2027-01-12 14:00")
    feb = meet(app, "cypsp-pab", "2027-02-09 14:00")
    report = ["Programme Board quarterly progress report (from the Programme Board, quarterly)"]
    assert [titles(app, ref, "report") for ref in (dec, dec2, jan, feb)] == [report, [], report, []]
    # the JCB gets its own; the Board none (only its groups' reports: tests/test_reports_in.py)
    jcb = meet(app, "cypsp-jcb", "2027-01-13 10:00")
    assert titles(app, jcb, "report") == report
    board = meet(app, "cypsp-board", "2027-01-13 10:00")
    assert report[0] not in titles(app, board, "report")

    def chased() -> set[str]:
        return {j.subject_ref for j in plan(app) if j.kind == "report-chaser"}

    assert chased() == {dec, jan, jcb, board}  # the planner agrees with the agendas
    # a meeting added earlier in the quarter takes the report over
    nov = meet(app, "cypsp-pab", "2026-11-26 14:00")
    assert titles(app, nov, "report") == report and titles(app, dec, "report") == []
    assert chased() == {nov, jan, jcb, board}


def test_report_frequencies() -> None:
    d = date(2027, 5, 12)
    assert report_due("meeting", d, [date(2027, 5, 1)])
    assert report_due("quarter", d, [date(2027, 3, 30)])
    assert not report_due("quarter", d, [date(2027, 4, 1)])
    assert not report_due("half-year", d, [date(2027, 1, 4)])
    assert report_due("half-year", date(2027, 7, 1), [date(2027, 6, 30)])
    assert not report_due("year", d, [date(2027, 1, 4)])
    days = [date(2026, 12, 8), date(2026, 12, 22), date(2027, 1, 12), date(2027, 7, 1)]
    assert due_in_order("quarter", days) == [True, False, True, True]
    assert due_in_order("half-year", days) == [True, False, True, True]
    assert due_in_order("year", days) == [True, False, True, False]
    assert due_in_order("meeting", days) == [True] * 4


def chasers(app: Clerk) -> list[dict]:
    return app.store.all("SELECT * FROM outbox WHERE kind = 'report_chaser' ORDER BY id")


def test_the_reporting_facilitator_is_chased_when_the_paper_has_not_arrived(
        app: Clerk, clock: FakeClock, smtp_sink: SmtpSink) -> None:
    jan = meet(app, "cypsp-pab", "2027-01-12 14:00")
    planned = [j for j in plan(app) if j.kind == "report-chaser"]
    # papers due Tuesday 5 January (7 days); two working days before, over New Year's Day
    assert [(j.subject_ref, j.at) for j in planned] == [(jan, at(app, "2026-12-31 09:00"))]
    clock.set(at(app, "2026-12-30 17:00"))
    DeadlineKeeper(app).run_due()
    assert chasers(app) == []
    send_outbox(app)
    smtp_sink.clear()
    clock.set(at(app, "2026-12-31 09:05"))
    ran = [r for r in DeadlineKeeper(app).run_due() if r.job.kind == "report-chaser"]
    assert [r.outcome for r in ran] == [
        f"chased the report of Programme Board ({PROGRAMME_FACILITATOR})"]
    send_outbox(app)
    sent = [m for m in smtp_sink.received if PROGRAMME_FACILITATOR in m.rcpt_tos]
    assert len(sent) == 1
    msg = sent[0].parsed()
    assert str(msg["Subject"]).startswith("PAB ")
    assert str(msg["Subject"]).endswith(": the Programme Board quarterly progress report has not "
                                        "arrived")
    text = msg.get_body(("plain",)).get_content()
    assert PAB_FACILITATOR in text and f"clerk papers add {jan} FILE --item 3" in text
    assert DeadlineKeeper(app).run_due() == []  # once


def test_no_chaser_once_the_paper_has_arrived(app: Clerk, clock: FakeClock) -> None:
    jan = meet(app, "cypsp-pab", "2027-01-12 14:00")
    number = next(i.number for i in agenda_of(app, jan).items if i.kind == "report")
    add_paper(app, AddPaper(jan, number, FileUpload("programme-q3.pdf", b"%PDF-1.4 report")))
    clock.set(at(app, "2026-12-31 09:05"))
    ran = [r for r in DeadlineKeeper(app).run_due() if r.job.kind == "report-chaser"]
    assert [r.outcome for r in ran] == ["every report due has its paper (1)"]
    assert chasers(app) == []


# ----------------------------------------------------------------------------- configuration


def example() -> dict:
    return tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def test_bodies_are_named_by_slug_or_name_and_old_forms_load() -> None:
    data = example()
    partnership = data["bodies"]["worcs-partnership"]
    partnership["reports_to"] = ["Worcestershire Partnership Board"]  # the old form: a name
    partnership["decisions"]["unresolved"] = "referred to the Board"  # the old form: a sentence
    config = parse_config(data)
    body = config.bodies["worcs-partnership"]
    assert body.reports_to == ["worcs-board"]
    assert (body.decisions.unresolved.refer_to, body.decisions.unresolved.note) == (
        "", "referred to the Board")
    assert config.bodies["cypsp-programme"].reports[0].to == "cypsp-pab"


def test_a_body_named_that_is_not_in_the_file_is_a_config_error() -> None:
    data = example()
    data["bodies"]["worcs-partnership"]["reports_to"] = ["The Board"]
    data["bodies"]["cypsp-programme"]["reports"][1]["to"] = "cypsp-nowhere"
    data["bodies"]["worcs-partnership"]["decisions"]["unresolved"] = {"refer_to": "HWBB"}
    data["bodies"]["cypsp-pab"]["reports_to"] = ["PAB"]
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    problems = caught.value.problems
    assert problems[0].startswith('body "worcs-partnership": reports_to[0] names no body in this '
                                  'file, got "The Board"')
    assert any(p.startswith('body "worcs-partnership": decisions.unresolved.refer_to names no '
                            'body in this file, got "HWBB"') for p in problems)
    assert any(p.startswith('body "cypsp-programme": reports[1].to names no body in this file, '
                            'got "cypsp-nowhere"') for p in problems)
    assert 'body "cypsp-pab": reports_to[0] names the body itself' in problems
    data = example()
    data["bodies"]["cypsp-programme"]["reports"][0]["every"] = "fortnight"
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert "reports[0].every must be one of 'meeting', 'quarter', 'half-year' or 'year'" in \
        caught.value.problems[0]


# ----------------------------------------------------------------------------- the console


def test_the_console_refers_a_decision_with_a_button(
        console: Callable[[str], ConsoleClient], clerk_app: Clerk, clock: FakeClock) -> None:
    board = meet(clerk_app, "worcs-board", "2026-12-10 10:00")
    ref = a_matter_not_resolved(clerk_app, clock)
    client = console(PARTNERSHIP_FACILITATOR)
    page = client.get(f"/meetings/{ref}")
    assert f'action="/meetings/{ref}/decisions/1/refer"' in page.text
    assert "Refer to the Partnership Board" in page.text
    # another body's facilitator may not
    assert console(PAB_FACILITATOR).post(f"/meetings/{ref}/decisions/1/refer",
                                         {"to": "worcs-board"}).status == 403
    page = client.post(f"/meetings/{ref}/decisions/1/refer", {"to": "worcs-board"})
    assert page.status == 200 and page.path == f"/meetings/{ref}"
    words = " ".join(page.text.split())
    assert ("Decision 1 referred to the Partnership Board: it is on the agenda of the meeting "
            "of Thursday 10 December 2026 at 10:00.") in words
    assert "referred to the Partnership Board" in words
    assert f'action="/meetings/{ref}/decisions/1/refer"' not in page.text  # referred now
    event = clerk_app.store.one("SELECT * FROM audit WHERE action = 'decision.refer'")
    assert event is not None and (event["actor"], event["channel"]) == (
        PARTNERSHIP_FACILITATOR, "console")
    assert titles(clerk_app, board, "referral")
    # refused: shown on the page, nothing changed
    page = client.post(f"/meetings/{ref}/decisions/1/refer", {"to": "cypsp-board"})
    assert page.status == 400 and "was referred to worcs-board already" in page.text


def test_check_config_says_where_each_body_refers_and_reports(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE_CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "  reports to: worcs-board\n  unresolved: referred to worcs-board\n" in out
    assert ("  reports: Programme Board quarterly progress report to cypsp-pab, quarterly; "
            "Programme Board quarterly progress report to cypsp-jcb, quarterly\n") in out


def test_the_boards_console_agenda_links_back_for_whoever_serves_both(
        console: Callable[[str], ConsoleClient], clerk_app: Clerk, clock: FakeClock) -> None:
    web = clerk_app.config.web.model_copy(update={"admins": (ADMIN,)})
    clerk_app.config = clerk_app.config.model_copy(update={"web": web})
    board = meet(clerk_app, "worcs-board", "2026-12-10 10:00")
    ref = a_matter_not_resolved(clerk_app, clock)
    refer_decision(clerk_app, ReferDecision(ref, 1))
    link = f'href="/meetings/{ref}#decisions"'
    page = console(BOARD_FACILITATOR).get(f"/meetings/{board}/agenda")
    assert page.status == 200
    assert "Referred by the Worcestershire Partnership" in page.text
    assert link not in page.text  # the Board's facilitator does not serve the Partnership
    assert console(ADMIN).get(f"/meetings/{board}/agenda").text.count(link) == 1
