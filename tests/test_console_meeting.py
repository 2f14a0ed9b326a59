"""The console's body and meeting pages: a body's meetings and adding one (its time checked by
clerk), deleting one added by mistake; a meeting's replies with channel and time, the counts and
the quorum forecast; inviting, a reply recorded by phone, reminding now, moving and cancelling
after a preview of who will be told, decisions and a ratification vote; and that a facilitator of
another body can neither read nor change any of it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance import RecordAttendance, RecordReply, record_attendance, record_reply
from clerk.clock import FakeClock
from clerk.meetings import AddMeeting, Meeting, add_meeting, get_meeting
from clerk.store import audit
from clerk.times import parse_local
from tests.app_fixtures import EXAMPLE_MEMBERS, reply_of
from tests.console_fixtures import ConsoleClient
from tests.test_cli import run

FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
CAROL = "carol.chowdhury@example.org"
CARERS = ["alice.ashworth@example.org", "bilal.bennett@example.org", CAROL,
          "dev.davies@example.org"]

Console = Callable[[str], ConsoleClient]


def uninvited(app: Clerk, at: str = "2027-01-21 10:00") -> Meeting:
    return add_meeting(app, AddMeeting(body="carers", starts_at=parse_local(at, app.tz),
                                       venue="County Hall, Worcester"))


def person_id(app: Clerk, email: str) -> str:
    row = app.store.one("SELECT id FROM people WHERE email = ?", [email])
    assert row is not None
    return str(row["id"])


def outbox(app: Clerk, kind: str, ref: str) -> list[str]:
    return [r["to_addr"] for r in app.store.all(
        "SELECT to_addr FROM outbox WHERE kind = ? AND subject_ref = ? ORDER BY id", [kind, ref])]


def last_event(app: Clerk, action: str) -> dict[str, object]:
    row = app.store.one("SELECT * FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1", [action])
    assert row is not None, f"no {action} in the audit log"
    return dict(row)


def text_of(page_html: str) -> str:
    """The page's words, tags removed and spaces collapsed (for asserting on sentences)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_html).split())


# ----------------------------------------------------------------------------- a body's page


def test_a_body_page_lists_its_meetings_and_links_to_its_members(console: Console,
                                                                 meeting: Meeting) -> None:
    page = console(FACILITATOR).get("/bodies/carers")
    assert page.status == 200
    assert "<h1 class=\"govuk-heading-l\">Worcestershire Carers Partnership</h1>" in page.text
    assert f'href="/meetings/{meeting.ref}"' in page.text
    assert "Thursday 14 January 2027 at 10:00" in page.text
    assert 'href="/bodies/carers/members"' in page.text
    # invitations have gone out: it cannot be deleted, only cancelled
    assert f'action="/meetings/{meeting.ref}/delete"' not in page.text


def test_adding_a_meeting_schedules_it_and_audits_who(console: Console, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    client.get("/bodies/carers")
    page = client.post("/bodies/carers/meetings", {
        "at-day": "14", "at-month": "1", "at-year": "2027", "at-time": "10:00",
        "venue": "County Hall, Worcester", "online": ""})
    assert page.path == "/meetings/carers-2027-01-14"
    assert "Meeting added: Thursday 14 January 2027 at 10:00, County Hall, Worcester." in page.text
    event = last_event(clerk_app, "meeting.add")
    assert (event["actor"], event["channel"]) == (FACILITATOR, "console")


def test_a_weekend_is_pointed_out_and_the_meeting_stands(console: Console) -> None:
    client = console(FACILITATOR)
    client.get("/bodies/carers")
    page = client.post("/bodies/carers/meetings", {
        "at-day": "16", "at-month": "1", "at-year": "2027", "at-time": "10:00"})
    assert page.path == "/meetings/carers-2027-01-16"
    assert "Saturday" in page.text and "the meeting stands" in page.text


def test_a_meeting_in_the_past_or_without_a_time_is_refused_with_the_form_kept(
        console: Console, clerk_app: Clerk) -> None:
    client = console(FACILITATOR)
    client.get("/bodies/carers")
    past = client.post("/bodies/carers/meetings", {
        "at-day": "2", "at-month": "11", "at-year": "2026", "at-time": "10:00",
        "venue": "Town Hall"})
    assert past.status == 400 and "There is a problem" in past.text
    assert "in the past" in past.text and 'value="Town Hall"' in past.text
    no_time = client.post("/bodies/carers/meetings", {
        "at-day": "14", "at-month": "1", "at-year": "2027", "at-time": ""})
    assert no_time.status == 400 and "Enter the time the meeting starts" in no_time.text
    assert 'href="#at-time"' in no_time.text
    # a refusal is put beside the field it is about (by its code, not its words)
    bad_link = client.post("/bodies/carers/meetings", {
        "at-day": "14", "at-month": "1", "at-year": "2027", "at-time": "10:00",
        "online": "meet.example.org/board"})
    assert bad_link.status == 400 and 'href="#online"' in bad_link.text
    assert "must start with https://" in bad_link.text
    assert 'href="#at-day"' in past.text
    assert clerk_app.store.one("SELECT id FROM meetings") is None


def test_a_meeting_nothing_was_sent_for_can_be_deleted(console: Console, clerk_app: Clerk) -> None:
    m = uninvited(clerk_app)
    client = console(FACILITATOR)
    page = client.get("/bodies/carers")
    assert f'action="/meetings/{m.ref}/delete"' in page.text
    assert "Delete this meeting" in client.get(f"/meetings/{m.ref}").text
    page = client.post(f"/meetings/{m.ref}/delete")
    assert page.path == "/bodies/carers" and "was deleted" in page.text
    assert clerk_app.store.one("SELECT id FROM meetings WHERE ref = ?", [m.ref]) is None
    assert last_event(clerk_app, "meeting.delete")["actor"] == FACILITATOR


def test_deleting_a_meeting_invitations_went_out_for_is_refused(console: Console,
                                                                meeting: Meeting) -> None:
    page = console(FACILITATOR).post(f"/meetings/{meeting.ref}/delete")
    assert page.status == 400 and "cannot be deleted" in page.text


# ----------------------------------------------------------------------------- a meeting's page


def test_the_meeting_page_shows_each_reply_with_its_channel_and_time(
        console: Console, clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> None:
    clock.advance(timedelta(hours=2))
    record_reply(clerk_app, RecordReply(meeting=meeting.ref, email=CAROL, intent="attend",
                                        channel="email"))
    record_reply(clerk_app, RecordReply(meeting=meeting.ref, email="dev.davies@example.org",
                                        intent="apologies", channel="chat"))
    page = console(FACILITATOR).get(f"/meetings/{meeting.ref}")
    assert page.status == 200
    assert "Carers Partnership meeting, Thursday 14 January 2027</h1>" in page.text
    words = text_of(page.text)
    assert "Carol Chowdhury Attending email Monday 23 November 2026 at 11:00" in words
    assert "Dev Davies Apologies chat Monday 23 November 2026 at 11:00" in words
    assert "Attending 1, apologies 1, substitute 0, no reply 18." in words
    assert ("not yet quorate: 1 of the 3 carers needed is present; it can still be if enough "
            "of the 18 who have not replied come") in words  # the forecast with its reason
    assert ("Next deadlines Monday 14 December 2026 at 09:00 send the invitations (20 working "
            "days before) Wednesday 30 December 2026 at 09:00 remind members who have not "
            "replied") in words
    for link in ("register", "agenda", "minutes", "observers"):
        assert f'href="/meetings/{meeting.ref}/{link}"' in page.text


def test_a_reply_given_by_phone_is_recorded_with_who_took_it(console: Console, clerk_app: Clerk,
                                                             meeting: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{meeting.ref}")
    page = client.post(f"/meetings/{meeting.ref}/replies", {
        "person": person_id(clerk_app, CAROL), "reply": "apologies", "given": "phone"})
    assert page.path == f"/meetings/{meeting.ref}"
    assert "Carol Chowdhury: recorded as apologies." in page.text
    assert reply_of(clerk_app, meeting, CAROL) == "apologies"
    event = last_event(clerk_app, "reply.recorded")
    assert (event["actor"], event["channel"]) == (FACILITATOR, "phone")
    assert json.loads(str(event["evidence"]))["recorded_by"] == FACILITATOR
    assert json.loads(str(event["detail"]))["person"] == CAROL
    assert f"Carol Chowdhury Apologies phone recorded by {FACILITATOR}" in text_of(page.text)


def test_a_substitute_given_by_phone_is_invited_in_the_members_place(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{meeting.ref}")
    page = client.post(f"/meetings/{meeting.ref}/replies", {
        "person": person_id(clerk_app, "dev.davies@example.org"), "reply": "substitute",
        "sub-email": "zed.zane@example.org", "sub-name": "Zed Zane", "given": "console"})
    assert "Dev Davies: apologies recorded; Zed Zane will attend in their place." in page.text
    assert "Dev Davies Substitute Zed Zane in their place: no reply in person" in text_of(page.text)
    assert outbox(clerk_app, "substitute_invitation", meeting.ref) == ["zed.zane@example.org"]


def test_a_reply_form_left_incomplete_is_explained(console: Console, clerk_app: Clerk,
                                                   meeting: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{meeting.ref}")
    page = client.post(f"/meetings/{meeting.ref}/replies", {
        "person": person_id(clerk_app, CAROL), "reply": "substitute", "given": "phone"})
    assert page.status == 400 and "Enter the substitute&#39;s email address" in page.text
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"


def test_inviting_from_the_console(console: Console, clerk_app: Clerk) -> None:
    m = uninvited(clerk_app)
    client = console(FACILITATOR)
    assert "Send the invitations" in client.get(f"/meetings/{m.ref}").text
    page = client.post(f"/meetings/{m.ref}/invite")
    assert "Invitations: 20 queued" in page.text
    assert len(outbox(clerk_app, "invitation", m.ref)) == 20
    assert "Send the invitations" not in page.text
    event = last_event(clerk_app, "meeting.invite")
    assert (event["actor"], event["channel"]) == (FACILITATOR, "console")


def test_a_bouncing_address_is_marked_and_not_offered_again(console: Console,
                                                             clerk_app: Clerk) -> None:
    m = uninvited(clerk_app)
    with clerk_app.store.write() as db:
        db.execute("UPDATE people SET undeliverable = '550 no such user' WHERE email = ?",
                   ["tara.taylor@example.org"])
    client = console(FACILITATOR)
    client.get(f"/meetings/{m.ref}")
    page = client.post(f"/meetings/{m.ref}/invite")
    assert "Invitations: 19 queued, 1 skipped (mail to them bounces)." in page.text
    assert "Not sent to tara.taylor@example.org" in page.text
    assert "Tara Taylor (cabinet member) Mail bounces" in text_of(page.text)
    assert f'action="/meetings/{m.ref}/invite"' not in page.text  # nobody left to invite


def test_remind_now_reminds_those_who_have_not_replied_once_a_day(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    record_reply(clerk_app, RecordReply(meeting=meeting.ref, email=CAROL, intent="attend"))
    client = console(FACILITATOR)
    client.get(f"/meetings/{meeting.ref}")
    page = client.post(f"/meetings/{meeting.ref}/remind")
    assert "19 reminders queued" in page.text
    reminded = outbox(clerk_app, "reminder", meeting.ref)
    assert len(reminded) == 19 and CAROL not in reminded
    again = client.post(f"/meetings/{meeting.ref}/remind")
    assert "0 reminders queued, 19 already reminded today" in again.text
    assert len(outbox(clerk_app, "reminder", meeting.ref)) == 19
    assert last_event(clerk_app, "meeting.remind")["actor"] == FACILITATOR


def test_the_cli_reminds_by_the_same_operation(workdir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    for args in (("init",), ("members", "import", "members.csv"),
                 ("meetings", "add", "carers", "--at", "2099-01-15 10:00"),
                 ("invite", "carers-2099-01-15")):
        assert run(capsys, *args)[0] == 0, args
    code, out, _ = run(capsys, "attendance", "remind", "carers-2099-01-15")
    assert code == 0 and "carers-2099-01-15: 20 reminders queued." in out
    code, out, _ = run(capsys, "attendance", "remind", "carers-2099-01-15", "--json")
    assert json.loads(out)["already"][:1] == ["alice.ashworth@example.org"]


def test_moving_shows_who_will_be_told_before_anything_is_sent(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    client = console(FACILITATOR)
    preview = client.get(f"/meetings/{meeting.ref}/move")
    assert "20 people will be sent the new time" in preview.text
    assert "Carol Chowdhury" in preview.text and 'value="14"' in preview.text
    form = {"at-day": "21", "at-month": "1", "at-year": "2027", "at-time": "14:00",
            "venue": "County Hall, Worcester", "online": ""}
    checked = client.post(f"/meetings/{meeting.ref}/move", form)
    assert "Check before moving" in checked.text and "Thursday 21 January 2027 at 14:00" in \
        checked.text
    assert get_meeting(clerk_app, meeting.ref).sequence == meeting.sequence  # nothing yet
    assert outbox(clerk_app, "meeting_moved", meeting.ref) == []
    done = client.post(f"/meetings/{meeting.ref}/move", {**form, "confirm": "yes"})
    assert done.path == f"/meetings/{meeting.ref}" and "Moved to Thursday 21 January 2027" in \
        done.text
    assert len(outbox(clerk_app, "meeting_moved", meeting.ref)) == 20
    assert last_event(clerk_app, "meeting.move")["actor"] == FACILITATOR


def test_a_move_into_the_past_is_refused_on_the_form(console: Console, clerk_app: Clerk,
                                                     meeting: Meeting) -> None:
    client = console(FACILITATOR)
    client.get(f"/meetings/{meeting.ref}/move")
    page = client.post(f"/meetings/{meeting.ref}/move", {
        "at-day": "1", "at-month": "1", "at-year": "2026", "at-time": "10:00", "confirm": "yes"})
    assert page.status == 400 and "in the past" in page.text
    assert get_meeting(clerk_app, meeting.ref).sequence == meeting.sequence


def test_cancelling_shows_who_will_be_told_then_tells_them(console: Console, clerk_app: Clerk,
                                                          meeting: Meeting) -> None:
    client = console(FACILITATOR)
    preview = client.get(f"/meetings/{meeting.ref}/cancel")
    assert "20 people will be sent a cancellation" in preview.text
    assert get_meeting(clerk_app, meeting.ref).status == "scheduled"
    page = client.post(f"/meetings/{meeting.ref}/cancel", {"reason": "too few could come"})
    assert "Meeting cancelled: 20 queued" in page.text
    assert get_meeting(clerk_app, meeting.ref).status == "cancelled"
    assert last_event(clerk_app, "meeting.cancel")["actor"] == FACILITATOR


def test_decisions_and_a_ratification_vote(console: Console, clerk_app: Clerk, clock: FakeClock,
                                           meeting: Meeting) -> None:
    client = console(FACILITATOR)
    assert "once <a class=\"govuk-link\" href=\"/meetings/" in client.get(
        f"/meetings/{meeting.ref}").text  # no register yet: no decisions
    clock.set(meeting.starts_at + timedelta(hours=1))
    record_attendance(clerk_app, RecordAttendance(meeting=meeting.ref, present=(CAROL,)))
    client.sign_in(FACILITATOR)  # (weeks later: a new session)
    client.get(f"/meetings/{meeting.ref}")
    page = client.post(f"/meetings/{meeting.ref}/decisions", {"decision": "Adopt the plan."})
    assert "Decision 1 recorded: provisional" in page.text
    assert "Adopt the plan." in page.text and "Open a ratification vote" in page.text
    assert last_event(clerk_app, "decision.add")["actor"] == FACILITATOR
    voted = client.post(f"/meetings/{meeting.ref}/votes")
    assert voted.history and voted.path == f"/votes/{meeting.ref}-vote"
    assert last_event(clerk_app, "ballot.open")["actor"] == FACILITATOR
    page = client.get(f"/meetings/{meeting.ref}")
    assert f'href="/votes/{meeting.ref}-vote"' in page.text
    assert "Open a ratification vote" not in page.text


def test_an_empty_decision_is_explained(console: Console, clerk_app: Clerk, clock: FakeClock,
                                        meeting: Meeting) -> None:
    clock.set(meeting.starts_at + timedelta(hours=1))
    record_attendance(clerk_app, RecordAttendance(meeting=meeting.ref, present=tuple(CARERS)))
    client = console(FACILITATOR)
    client.get(f"/meetings/{meeting.ref}")
    page = client.post(f"/meetings/{meeting.ref}/decisions", {"decision": "  "})
    assert page.status == 400 and "Enter the decision" in page.text


def test_an_unknown_meeting_is_not_found_without_hints(console: Console, meeting: Meeting) -> None:
    page = console(FACILITATOR).get("/meetings/carers-2099-01-01")
    assert page.status == 404 and meeting.ref not in page.text


# ----------------------------------------------------------------------------- who may


def test_another_bodys_facilitator_can_neither_read_nor_change_anything(
        console: Console, clerk_app: Clerk, meeting: Meeting) -> None:
    spare = uninvited(clerk_app)
    client = console(OTHER_FACILITATOR)
    client.get("/")
    for path in ("/bodies/carers", f"/meetings/{meeting.ref}", f"/meetings/{meeting.ref}/move",
                 f"/meetings/{meeting.ref}/cancel"):
        page = client.get(path)
        assert page.status == 403, path
        assert "Carol" not in page.text and "County Hall" not in page.text
    move = {"at-day": "21", "at-month": "1", "at-year": "2027", "at-time": "14:00",
            "confirm": "yes"}
    posts: list[tuple[str, dict[str, str]]] = [
        ("/bodies/carers/meetings", {"at-day": "4", "at-month": "2", "at-year": "2027",
                                     "at-time": "10:00"}),
        (f"/meetings/{spare.ref}/invite", {}),
        (f"/meetings/{meeting.ref}/replies", {"person": person_id(clerk_app, CAROL),
                                              "reply": "apologies", "given": "phone"}),
        (f"/meetings/{meeting.ref}/remind", {}),
        (f"/meetings/{meeting.ref}/move", move),
        (f"/meetings/{meeting.ref}/cancel", {"reason": "no"}),
        (f"/meetings/{meeting.ref}/decisions", {"decision": "Adopt it."}),
        (f"/meetings/{meeting.ref}/votes", {}),
        (f"/meetings/{spare.ref}/delete", {}),
    ]
    before = clerk_app.store.one("SELECT COUNT(*) AS n FROM audit")
    for path, data in posts:
        assert client.post(path, data).status == 403, path
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit") == before
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert get_meeting(clerk_app, meeting.ref).status == "scheduled"
    assert get_meeting(clerk_app, spare.ref).ref == spare.ref
    assert audit.verify_chain(clerk_app.store.db).ok
