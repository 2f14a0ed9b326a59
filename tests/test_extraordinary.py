"""Extraordinary meetings: a member asks by email naming a supporter, the supporter confirms by
reply, the Chair and the facilitator are told, clerk warns while no date is set, and adding the
meeting answers the request; a body whose terms hold none refuses; the invitation says why."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.attendance.extraordinary import RequestMeeting, list_requests, request_meeting
from clerk.attendance.invitations import invite
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.config import load_config
from clerk.deadlines.handlers import DueJob, run_job
from clerk.errors import Refused
from clerk.meetings.schedule import AddMeeting, schedule_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.reading.extraordinary import read_request, read_support
from clerk.records.publish import publish_site
from clerk.rules.deadlines import JobKind
from clerk.rules.extraordinary import judge_request
from clerk.rules.terms import ExtraordinaryPolicy, callers_in_words
from clerk.store import open_store
from clerk.times import parse_local
from mail.ingest import ingest
from scheduler.plan import plan
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS, key_of
from tests.console_fixtures import ConsoleClient
from tests.reply_mail import reply

OSCAR = "oscar.price@example.org"  # a JCB member
IVAN = "ivan.jackson@example.org"  # another JCB member
CHAIR = "gareth.hall@example.org"  # the JCB's Chair
FACILITATOR = "jcb.support@worcs.example.org"
Console = Callable[[str], ConsoleClient]


def sent(app: Clerk, to: str, kind: str) -> list[EmailMessage]:
    found = []
    for row in app.store.all("SELECT raw FROM outbox WHERE to_addr = ? AND kind = ? ORDER BY id",
                             [to, kind]):
        msg = message_from_bytes(bytes(row["raw"]), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def due(app: Clerk, kind: JobKind) -> list[Any]:
    return [j for j in plan(app) if j.code is kind]


def test_a_members_emailed_request_is_supported_called_chased_and_answered(
        clerk_app: Clerk, clock: FakeClock) -> None:
    app = clerk_app
    outcome = ingest(app, reply(OSCAR, None, "Dear clerk,\n\nI request an extraordinary meeting "
                                "about the school transport contract; Dr Ivan Jackson supports "
                                "this.\n\nKind regards\nOscar", subject="Extraordinary meeting",
                                quote=""), source="test")
    assert outcome.status == "processed", outcome
    [req] = list_requests(app, "cypsp-jcb")
    assert (req.status, req.reason, req.supporter and req.supporter.email) == (
        "awaiting_support", "the school transport contract", IVAN)
    [ask] = sent(app, IVAN, "extraordinary_support_ask")
    assert "Oscar Price" in text_of(ask) and "the school transport contract" in text_of(ask)
    assert sent(app, OSCAR, "extraordinary_received")
    assert not sent(app, CHAIR, "extraordinary_called")

    # the supporter answers by reply, in their own words
    key = key_of(app, IVAN, req.ref)
    outcome = ingest(app, reply(IVAN, key, "Yes, I support this."), source="test")
    assert outcome.status == "processed", outcome
    [req] = list_requests(app, "cypsp-jcb")
    assert req.status == "called" and req.support == "confirmed"
    assert req.hold_by is not None and req.hold_by.isoformat() == "2026-12-07"  # 14 days
    for who in (CHAIR, FACILITATOR):
        [told] = sent(app, who, "extraordinary_called")
        assert "Monday 7 December 2026" in text_of(told), text_of(told)

    # no date set: warned three days before the last day, and told on the day
    [warn] = due(app, JobKind.EXTRAORDINARY_NO_DATE)
    assert warn.at.date().isoformat() == "2026-12-04"
    clock.set(warn.at + timedelta(minutes=1))
    run_job(app, DueJob(warn.key, warn.kind, warn.subject_ref, warn.at))
    assert sent(app, FACILITATOR, "extraordinary_no_date")
    assert sent(app, CHAIR, "extraordinary_no_date")
    [last] = due(app, JobKind.EXTRAORDINARY_LAST_DAY)
    assert last.at.date().isoformat() == "2026-12-07"

    # scheduling it answers the request: no more warnings, and the invitation says why
    out = main(["meetings", "add", "--help"])  # the options are there
    assert out == 0
    done = schedule_meeting(app, AddMeeting("cypsp-jcb", parse_local("2026-12-07 14:00", app.tz),
                                            venue="County Hall", kind="extraordinary"))
    assert done.meeting.kind == "extraordinary"
    assert done.meeting.reason == "the school transport contract"
    [req] = list_requests(app, "cypsp-jcb")
    assert req.status == "held"
    assert not due(app, JobKind.EXTRAORDINARY_LAST_DAY)
    assert "nothing to do" in (run_job(app, DueJob(last.key, last.kind, last.subject_ref,
                                                    last.at)) or "")
    invite(app, done.meeting.ref)
    [invitation] = sent(app, IVAN, "invitation")
    assert invitation["Subject"].startswith("Extraordinary meeting: ")
    assert "called to consider: the school transport contract" in text_of(invitation)


def test_a_supporter_who_says_no_closes_the_request(clerk_app: Clerk) -> None:
    app = clerk_app
    done = request_meeting(app, RequestMeeting("cypsp-jcb", OSCAR, "the budget", supporter=IVAN))
    assert done.request is not None and done.request.status == "awaiting_support"
    key = key_of(app, IVAN, done.request.ref)
    ingest(app, reply(IVAN, key, "No, I do not support it."), source="test")
    [req] = list_requests(app, "cypsp-jcb")
    assert req.status == "declined"
    assert sent(app, OSCAR, "extraordinary_declined")
    assert not due(app, JobKind.EXTRAORDINARY_NO_DATE)


def test_the_chair_needs_no_supporter_and_a_member_needs_one(clerk_app: Clerk) -> None:
    done = request_meeting(clerk_app, RequestMeeting("cypsp-jcb", CHAIR, "the Ofsted letter"))
    assert done.request is not None and done.request.status == "called"
    with pytest.raises(Refused, match="written support of another member"):
        request_meeting(clerk_app, RequestMeeting("cypsp-jcb", OSCAR, "the budget"))


def test_an_emailed_request_missing_its_supporter_is_answered_with_what_is_missing(
        clerk_app: Clerk) -> None:
    outcome = ingest(clerk_app, reply(OSCAR, None, "I would like to call an extraordinary "
                                      "meeting to discuss the budget.", quote=""), source="test")
    assert outcome.status == "unclear" and outcome.reason == "supporter_needed"
    [told] = sent(clerk_app, OSCAR, "extraordinary_incomplete")
    assert "names nobody" in text_of(told)
    assert list_requests(clerk_app) == []


def test_a_body_that_holds_no_extraordinary_meetings_refuses_one(clerk_app: Clerk) -> None:
    with pytest.raises(Refused, match="no provision for extraordinary meetings"):
        schedule_meeting(clerk_app, AddMeeting("carers", parse_local("2027-01-14 10:00",
                                                                     clerk_app.tz),
                                               kind="extraordinary"))
    with pytest.raises(Refused, match="no provision"):
        request_meeting(clerk_app, RequestMeeting("carers", "jane.smith@example.org", "x"))


def test_the_command_line_refuses_an_extraordinary_meeting_the_terms_do_not_allow(
        workdir: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["meetings", "add", "carers", "--at", "2027-01-14 10:00", "--extraordinary"])
    assert code != 0
    assert "no provision for extraordinary meetings" in capsys.readouterr().err


def test_readings() -> None:
    r = read_request("Please call an extraordinary meeting. Reason: the Ofsted report. "
                     "Supported by kieran.lane@example.org")
    assert (r.code, r.reason, r.supporter_email) == ("request", "the Ofsted report",
                                                     "kieran.lane@example.org")
    assert read_request("See you at the meeting").code == "not_a_request"
    assert read_support("I support this").intent == "yes"
    assert read_support("No").intent == "no"
    assert read_support("hmm, not sure").intent == "unclear"


def test_called_by_as_a_list_and_in_words() -> None:
    assert callers_in_words("the Chair at any time, or any member with the written support of "
                            "another") == ("chair", "member_with_support")
    assert ExtraordinaryPolicy(allowed=True, called_by="any member").callers == ("member",)
    policy = ExtraordinaryPolicy(allowed=True, called_by=["chair"])
    assert judge_request(policy, "JCB", is_member=True, is_chair=False,
                         supporter=True).code == "caller_not_allowed"


def test_the_site_says_a_meeting_is_extraordinary_and_why(tmp_path: Path, clock: FakeClock) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    marker = 'short_name = "Carers Partnership"\n'
    assert text.count(marker) == 1
    config = tmp_path / "config.toml"
    config.write_text(text.replace(marker, marker + 'extraordinary = { allowed = true, '
                                   'called_by = ["chair"] }\n'), encoding="utf-8")
    app = Clerk(config=load_config(config), store=open_store(memory=True), clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    m = schedule_meeting(app, AddMeeting("carers", parse_local("2026-12-10 10:00", app.tz),
                                         venue="County Hall", kind="extraordinary",
                                         reason="the closure of the respite centre")).meeting
    publish_site(app, tmp_path / "site")
    page = (tmp_path / "site" / "carers" / m.ref / "index.html").read_text(encoding="utf-8")
    assert "extraordinary meeting" in page
    assert "called to consider: the closure of the respite centre" in page
    index = (tmp_path / "site" / "carers" / "index.html").read_text(encoding="utf-8")
    assert "(extraordinary)" in index
    app.store.close()


def test_the_facilitator_records_a_request_on_the_command_line(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["members", "import", str(EXAMPLE_MEMBERS)]) == 0
    capsys.readouterr()
    assert main(["meetings", "request", "cypsp-jcb", "--by", OSCAR, "--reason",
                 "the budget", "--supporter", IVAN]) == 0
    out = capsys.readouterr().out
    assert "cypsp-jcb-request-1" in out and "Ivan Jackson is asked by email to confirm" in out
    assert main(["meetings", "requests", "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert (shown["status"], shown["supporter"]) == ("awaiting_support", IVAN)
    assert main(["meetings", "request", "cypsp-jcb", "--by", OSCAR, "--reason", "x"]) != 0
    assert "written support of another member" in capsys.readouterr().err


def test_the_console_lists_open_requests_and_adds_the_extraordinary_meeting(
        console: Console, clerk_app: Clerk) -> None:
    done = request_meeting(clerk_app, RequestMeeting("cypsp-jcb", CHAIR, "the Ofsted letter"))
    assert done.request is not None
    client = console(FACILITATOR)
    page = client.get("/bodies/cypsp-jcb")
    assert "Requests for an extraordinary meeting" in page.text
    assert "the Ofsted letter" in page.text and "Monday 7 December 2026" in page.text
    assert 'name="extraordinary"' in page.text
    page = client.post("/bodies/cypsp-jcb/meetings", {
        "at-day": "3", "at-month": "12", "at-year": "2026", "at-time": "14:00",
        "venue": "County Hall", "extraordinary": "yes"})
    assert page.path == "/meetings/cypsp-jcb-2026-12-03", page.text
    assert "Extraordinary meeting added" in page.text
    [req] = list_requests(clerk_app, "cypsp-jcb")
    assert req.status == "held"
    assert "Requests for an extraordinary meeting" not in client.get("/bodies/cypsp-jcb").text
    carers = client.get("/bodies/carers")
    assert 'name="extraordinary"' not in carers.text  # its terms hold none
