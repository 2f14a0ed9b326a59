"""The register on the day in the console: a tick list of every member and substitute expected,
the quorum verdict for the ticks from clerk's rule (a "Check quorum" button without JavaScript, a
read-only endpoint for register.js), saving it as ``clerk attendance record`` does; and that a
facilitator of another body can neither see nor change it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from clerk.app import Clerk
from clerk.attendance import RecordAttendance, RecordReply, check_register, record_reply
from clerk.clock import FakeClock
from clerk.meetings import Meeting
from clerk.rules.verdict import Verdict
from clerk.store import audit
from tests.console_fixtures import ConsoleClient
from tests.test_console_meeting import (
    CARERS,
    FACILITATOR,
    OTHER_FACILITATOR,
    last_event,
    person_id,
    text_of,
)

Console = Callable[[str], ConsoleClient]
DEV = "dev.davies@example.org"
SUB = "zed.zane@example.org"
OFFICER = "imogen.iqbal@example.org"


@pytest.fixture
def begun(clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> Meeting:
    """The meeting, Dev Davies having sent a substitute, and the clock half an hour into it."""
    record_reply(clerk_app, RecordReply(meeting=meeting.ref, email=DEV, intent="substitute",
                                        substitute_email=SUB, substitute_name="Zed Zane"))
    clock.set(meeting.starts_at + timedelta(minutes=30))
    return meeting


def ticks(app: Clerk, *emails: str, action: str = "") -> list[tuple[str, str]]:
    form = [("present", person_id(app, e)) for e in emails]
    return [*form, ("action", action)] if action else form


def attendance(app: Clerk, meeting: Meeting) -> dict[str, str]:
    return {r["email"]: r["status"] for r in app.store.all(
        "SELECT p.email, a.status FROM attendance a JOIN people p ON p.id = a.member_id "
        "WHERE a.meeting_id = ?", [meeting.id])}


def test_the_tick_list_has_every_member_and_the_substitute_expected(
        console: Console, clerk_app: Clerk, begun: Meeting) -> None:
    page = console(FACILITATOR).get(f"/meetings/{begun.ref}/register")
    assert page.status == 200
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Who is here</legend>' \
        in page.text
    assert page.text.count('type="checkbox" name="present"') == 0  # (attributes in this order:)
    assert page.text.count('name="present" type="checkbox"') == 21  # 20 members and Zed Zane
    assert "Zed Zane <span class=\"govuk-body-s\">(substitute for Dev Davies)</span>" in page.text
    assert '<script type="module" src="/static/register.js"></script>' in page.text
    assert "<script>" not in page.text  # no inline script (the CSP forbids it)
    assert "Check quorum" in page.text and "Save the register" in page.text


def test_check_quorum_gives_clerks_verdict_without_saving(console: Console, clerk_app: Clerk,
                                                          begun: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{begun.ref}/register")
    two = client.post(f"/meetings/{begun.ref}/register",
                      ticks(clerk_app, *CARERS[:2], SUB, action="check"))
    words = text_of(two.text)
    assert "Not quorate 2 of the 3 carers needed are present." in words
    assert "Not saved yet." in words
    # the boxes stay as ticked
    assert f'value="{person_id(clerk_app, SUB)}" checked' in two.text
    assert f'value="{person_id(clerk_app, CARERS[2])}" aria-describedby' in two.text
    three = client.post(f"/meetings/{begun.ref}/register",
                        ticks(clerk_app, *CARERS[:3], action="check"))
    assert ("Quorate 3 carers present; 3 needed. Chair: Alice Ashworth (chair) chairs. Not "
            "saved yet.") in text_of(three.text)
    assert attendance(clerk_app, begun) == {}
    assert clerk_app.store.one("SELECT id FROM audit WHERE action = 'attendance.recorded'") is None


def test_the_verdict_endpoint_for_register_js_reads_only(console: Console, clerk_app: Clerk,
                                                         begun: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{begun.ref}/register")

    def verdict(*emails: str) -> dict[str, object]:
        page = client.post(f"/meetings/{begun.ref}/register/quorum", ticks(clerk_app, *emails))
        assert page.status == 200 and page.headers["Content-Type"].startswith("application/json")
        answer: dict[str, object] = json.loads(page.text)
        return answer

    short = verdict(*CARERS[:2])
    assert short == {"ok": True, "quorate": False, "present": 2,
                     "reason": "2 of the 3 carers needed are present",
                     "chair": short["chair"]}
    assert "Alice Ashworth" in str(short["chair"])  # the chair is there
    assert verdict(*CARERS[:3])["quorate"] is True
    # a carer's substitute does not count as a carer (the Carers Partnership's rule)
    assert verdict(*CARERS[:2], SUB)["quorate"] is False
    assert attendance(clerk_app, begun) == {}


def test_saving_the_register_records_it_as_the_cli_does(console: Console, clerk_app: Clerk,
                                                        begun: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{begun.ref}/register")
    page = client.post(f"/meetings/{begun.ref}/register",
                       ticks(clerk_app, *CARERS[:3], OFFICER, SUB, action="save"))
    assert page.path == f"/meetings/{begun.ref}/register"
    assert ("Register saved: 5 present. Quorate: 3 carers present; 3 needed. Chair: Alice "
            "Ashworth (chair) chairs.") in page.text
    recorded = attendance(clerk_app, begun)
    assert recorded[CARERS[0]] == "present" and recorded[OFFICER] == "present"
    assert recorded[DEV] == "present"  # by his substitute
    assert recorded["eleanor.evans@example.org"] == "absent_without_notice"
    by = clerk_app.store.one("SELECT present_by FROM attendance WHERE meeting_id = ? AND "
                             "member_id = ?", [begun.id, int(person_id(clerk_app, DEV))])
    assert by == {"present_by": int(person_id(clerk_app, SUB))}
    event = last_event(clerk_app, "attendance.recorded")
    assert (event["actor"], event["channel"]) == (FACILITATOR, "console")
    # the page shows the register as saved, its boxes ticked
    assert "Saved register:" in page.text
    for email in (*CARERS[:3], OFFICER, SUB):
        assert f'value="{person_id(clerk_app, email)}" checked' in page.text
    assert f'value="{person_id(clerk_app, CARERS[3])}" checked' not in page.text
    assert audit.verify_chain(clerk_app.store.db).ok


def test_a_substitute_not_announced_can_be_added(console: Console, clerk_app: Clerk,
                                                 begun: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{begun.ref}/register")
    page = client.post(f"/meetings/{begun.ref}/register", [
        *ticks(clerk_app, *CARERS[:3]), ("extra-email", "yara.young@example.org"),
        ("extra-for", person_id(clerk_app, OFFICER)), ("action", "save")])
    assert "Register saved: 4 present." in page.text
    assert attendance(clerk_app, begun)[OFFICER] == "present"
    yara = person_id(clerk_app, "yara.young@example.org")  # now on the tick list, ticked
    assert f'value="{yara}" checked' in page.text and "(substitute for Imogen Iqbal)" in page.text
    missing = client.post(f"/meetings/{begun.ref}/register", [
        ("extra-email", "yara.young@example.org"), ("action", "check")])
    assert missing.status == 400 and "Choose the member the substitute is standing in" in \
        missing.text


def test_the_register_cannot_be_saved_before_the_meeting_begins(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    client = console(FACILITATOR)
    page = client.get(f"/meetings/{meeting.ref}/register")
    assert "The meeting has not begun yet" in page.text
    checked = client.post(f"/meetings/{meeting.ref}/register",
                          ticks(clerk_app, *CARERS[:3], action="check"))
    assert checked.status == 200 and "Not saved yet" in checked.text
    refused = client.post(f"/meetings/{meeting.ref}/register",
                          ticks(clerk_app, *CARERS[:3], action="save"))
    assert refused.status == 400 and "has not started yet" in refused.text
    assert attendance(clerk_app, meeting) == {}


def test_register_js_is_served(console: Console, meeting: Meeting) -> None:
    page = console(FACILITATOR).get("/static/register.js")
    assert page.status == 200 and "form.dataset.check" in page.text


def test_another_bodys_facilitator_cannot_see_or_take_the_register(
        console: Console, clerk_app: Clerk, begun: Meeting) -> None:
    client = console(OTHER_FACILITATOR)
    client.get("/")
    page = client.get(f"/meetings/{begun.ref}/register")
    assert page.status == 403 and "Alice" not in page.text
    for path, action in ((f"/meetings/{begun.ref}/register", "save"),
                         (f"/meetings/{begun.ref}/register", "check"),
                         (f"/meetings/{begun.ref}/register/quorum", "")):
        answer = client.post(path, ticks(clerk_app, *CARERS[:3], action=action))
        assert answer.status == 403, (path, action)
        assert "carers needed" not in answer.text
    assert attendance(clerk_app, begun) == {}


def test_the_verdict_is_clerks_rule(clerk_app: Clerk, begun: Meeting) -> None:
    """(What the page shows is what clerk.attendance.check_register says.)"""
    check = check_register(clerk_app, RecordAttendance(meeting=begun.ref,
                                                       present=tuple(CARERS[:2])))
    assert check.quorum == Verdict(False, "2 of the 3 carers needed are present")
