"""Action points: read from the minutes' ACTION lines (good and bad), their owners emailed,
answered in the owners' own words through the mail ingest ("done - sent Tuesday", "need until
April"), reminded before they are due, carried onto the next agenda as the action log, published
with the approved minutes, and kept in the console (403 for another body's facilitator)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from clerk.actions import AddAction, UpdateAction, add_action, get_action, list_actions, update_action
from clerk.agenda.items import read_agenda
from clerk.agenda.minutes import AddMinutes, ApproveMinutes, add_minutes, approve_minutes
from clerk.app import Clerk
from clerk.clock import FakeClock
from clerk.deadlines.handlers import DueJob, run_job
from clerk.errors import BadInput
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.reading.action_text import read_action_lines, read_action_reply
from clerk.reading.document import document_text
from clerk.records.publish import publish_site
from clerk.rules.deadlines import JobKind
from clerk.store.files import FileUpload
from clerk.times import parse_local
from mail.ingest import ingest
from scheduler.plan import plan
from tests.app_fixtures import key_of
from tests.console_fixtures import ConsoleClient
from tests.reply_mail import reply

FACILITATOR = "facilitator@carers.example.org"
OTHER_FACILITATOR = "jcb.support@worcs.example.org"
CAROL = "carol.chowdhury@example.org"

MINUTES = """# Carers Partnership: notes and action points, 14 January 2027

Present: Alice Ashworth (Chair), Carol Chowdhury, Dev Davies, Imogen Iqbal

3. Carers survey
ACTION: Carol Chowdhury - circulate the carers survey - by 14 March 2027
- Action: Dr Dev Davies – book the room for the carers' week event – by 3/2/2027
ACTION: Jane Smith - write to the hospital trust - by 28 February 2027
ACTION: Imogen Iqbal - update the carers' charter
ACTION: - nobody - by 30 February 2027
"""

Console = Callable[[str], ConsoleClient]


def outbox(app: Clerk, kind: str) -> list[dict[str, Any]]:
    return app.store.all("SELECT * FROM outbox WHERE kind = ? ORDER BY id", [kind])


def text_of(row: dict[str, Any]) -> str:
    msg = message_from_bytes(row["raw"], policy=policy.default)
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def held(app: Clerk, clock: FakeClock, meeting: Meeting, text: str = MINUTES) -> None:
    """The meeting has taken place and its draft minutes (Markdown) are added."""
    clock.set(datetime(2027, 1, 18, 9, 0, tzinfo=UTC))
    add_minutes(app, AddMinutes(meeting.ref, FileUpload("minutes.md", text.encode())))


# ----------------------------------------------------------------------------- reading


def test_action_lines_are_read_with_what_could_not_be(meeting: Meeting) -> None:
    lines = read_action_lines(MINUTES, date(2027, 1, 14))
    assert [(a.owner, a.text, a.due, a.problems) for a in lines] == [
        ("Carol Chowdhury", "circulate the carers survey", date(2027, 3, 14), ()),
        ("Dr Dev Davies", "book the room for the carers' week event", date(2027, 2, 3), ()),
        ("Jane Smith", "write to the hospital trust", date(2027, 2, 28), ()),
        ("Imogen Iqbal", "update the carers' charter", None, ("no_date",)),
        ("", "nobody", None, ("no_owner", "bad_date")),
    ]
    # a day and month without a year is the next one after the meeting
    (line,) = read_action_lines("ACTION: Ann Lee - ask - by 5 March", date(2027, 1, 14))
    assert line.due == date(2027, 3, 5)
    assert read_action_lines("Actions were reviewed.\nNo action needed.", date(2027, 1, 14)) == []


@pytest.mark.parametrize(("said", "code", "due"), [
    ("done", "done", None),
    ("Done - sent on Tuesday", "done", None),
    ("need until April", "more_time", date(2027, 4, 30)),
    ("Can I have until 30 April please?", "more_time", date(2027, 4, 30)),
    ("I can't do this, sorry", "cannot", None),
    ("I need more time", "no_date", None),
    ("What is this about?", "unclear", None),
])
def test_an_owners_answer_is_read(said: str, code: str, due: date | None) -> None:
    reading = read_action_reply(said, date(2027, 1, 20))
    assert (reading.code, reading.due) == (code, due)


def test_what_clerk_can_read_of_a_file() -> None:
    assert document_text("minutes.md", b"ACTION: x").code == "text"
    assert document_text("minutes.pdf", b"%PDF-1.7 ...").code == "pdf"
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>ACTION: Ann"
                         " - ask &amp; tell - by 5 March 2027</w:t></w:r></w:p><w:p><w:r><w:t>"
                         "Next</w:t></w:r></w:p></w:body></w:document>")
    read = document_text("Minutes.docx", buffer.getvalue())
    assert read.code == "docx" and "ACTION: Ann - ask & tell - by 5 March 2027\nNext" in read.text


# ----------------------------------------------------------------------------- from the minutes


def test_actions_are_read_from_the_draft_minutes_and_owners_emailed(
        clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    found = list_actions(clerk_app, meeting=meeting.ref)
    assert [(a.owner_name, a.owner_email, a.problems) for a in found] == [
        ("Dev Davies", "dev.davies@example.org", ()),
        ("Jane Smith", "", ("unknown_owner",)),
        ("Carol Chowdhury", CAROL, ()),
        ("Imogen Iqbal", "imogen.iqbal@example.org", ("no_date",)),
        ("", "", ("no_owner", "bad_date")),
    ]
    sent = outbox(clerk_app, "action_recorded")
    assert sorted(r["to_addr"] for r in sent) == [CAROL, "dev.davies@example.org",
                                                  "imogen.iqbal@example.org"]
    carol = next(r for r in sent if r["to_addr"] == CAROL)
    assert "circulate the carers survey" in text_of(carol)
    assert "Sunday 14 March 2027" in text_of(carol)
    assert carol["message_id"].startswith("action.")
    # the same draft again, or a second version, does not read the same lines twice
    again = add_minutes(clerk_app, AddMinutes(meeting.ref, FileUpload(
        "minutes v2.md", (MINUTES + "\nACTION: Kate Khan - chase the council - by 1 April 2027\n"
                          ).encode())))
    assert "1 action point(s) read from the minutes" in again.message
    assert len(list_actions(clerk_app, meeting=meeting.ref)) == 6

    # the facilitator gives Jane Smith an address: she is emailed
    jane = next(a for a in found if a.owner_name == "Jane Smith")
    result = update_action(clerk_app, UpdateAction(jane.id, email="jane.smith@trust.example.org"))
    assert result.action.problems == () and result.action.owner_email == \
        "jane.smith@trust.example.org"
    assert "the owner is emailed" in result.message
    assert [r["to_addr"] for r in outbox(clerk_app, "action_recorded")][-1] == \
        "jane.smith@trust.example.org"


def test_a_pdf_is_not_read_and_nothing_is_said_to_be(clerk_app: Clerk, clock: FakeClock,
                                                      meeting: Meeting) -> None:
    clock.set(datetime(2027, 1, 18, 9, 0, tzinfo=UTC))
    add_minutes(clerk_app, AddMinutes(meeting.ref, FileUpload("m.pdf", b"%PDF-1.7\nACTION: x")))
    assert list_actions(clerk_app, meeting=meeting.ref) == []


def test_an_action_added_by_hand(clerk_app: Clerk, meeting: Meeting) -> None:
    added = add_action(clerk_app, AddAction(meeting.ref, "Book the hall", CAROL,
                                            due=date(2027, 2, 1)))
    assert added.status == "recorded" and added.action.owner_name == "Carol Chowdhury"
    again = add_action(clerk_app, AddAction(meeting.ref, "Book the hall", CAROL,
                                            due=date(2027, 2, 1)))
    assert again.status == "already" and len(outbox(clerk_app, "action_recorded")) == 1
    with pytest.raises(BadInput):
        add_action(clerk_app, AddAction(meeting.ref, "Something", ""))


# ----------------------------------------------------------------------------- owners' replies


def _answer(app: Clerk, action_id: int, sender: str, words: str) -> Any:
    key = key_of(app, sender, f"action-{action_id}")
    return ingest(app, reply(sender, key, words, subject="Re: an action for you"),
                  source="test")


def test_done_sent_tuesday_by_email(clerk_app: Clerk, clock: FakeClock,
                                    meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    carol = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
                 if a.owner_email == CAROL)
    outcome = _answer(clerk_app, carol.id, CAROL, "Done - sent Tuesday\n\nCarol")
    assert outcome.status == "processed", outcome
    action = get_action(clerk_app, carol.id)
    assert action.status == "done"
    assert [(u.actor, u.channel, u.kind, u.said) for u in action.updates] == [
        (CAROL, "email", "done", "Done - sent Tuesday")]
    notice = outbox(clerk_app, "action_update")
    assert [r["to_addr"] for r in notice] == [FACILITATOR]
    assert "Done - sent Tuesday" in text_of(notice[0]) and "recorded as done" in text_of(notice[0])
    receipt = outbox(clerk_app, "action_receipt")
    assert [r["to_addr"] for r in receipt] == [CAROL]
    # "done" again (another message) changes nothing and tells nobody again
    assert _answer(clerk_app, carol.id, CAROL, "done").status == "processed"
    assert len(outbox(clerk_app, "action_update")) == 1
    assert len(get_action(clerk_app, carol.id).updates) == 1


def test_need_until_april_by_email_and_unclear_asked_again(
        clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    carol = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
                 if a.owner_email == CAROL)
    unclear = _answer(clerk_app, carol.id, CAROL, "Which survey is this?")
    assert unclear.status == "unclear"
    asked = outbox(clerk_app, "action_unclear")
    assert [r["to_addr"] for r in asked] == [CAROL] and "Which survey" in text_of(asked[0])
    assert get_action(clerk_app, carol.id).due == date(2027, 3, 14)

    outcome = _answer(clerk_app, carol.id, CAROL, "Sorry, I need until April")
    assert outcome.status == "processed", outcome
    action = get_action(clerk_app, carol.id)
    assert (action.status, action.due, action.first_due) == ("open", date(2027, 4, 30),
                                                            date(2027, 3, 14))
    assert action.due_changed
    notice = text_of(outbox(clerk_app, "action_update")[-1])
    assert "Friday 30 April 2027" in notice and "14 March 2027" in notice
    # the reminder moves with the date
    reminders = [j for j in plan(clerk_app) if j.code is JobKind.ACTION_REMINDER]
    assert [(j.subject_ref, j.at.date()) for j in reminders if j.subject_ref == action.ref] == [
        (action.ref, date(2027, 4, 27))]


def test_i_cannot_do_this_tells_the_facilitator(clerk_app: Clerk, clock: FakeClock,
                                                 meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    dev = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
               if a.owner_email == "dev.davies@example.org")
    assert _answer(clerk_app, dev.id, "dev.davies@example.org",
                   "I can't do this, I'm away").status == "processed"
    assert get_action(clerk_app, dev.id).status == "open"
    assert "cannot do it" in text_of(outbox(clerk_app, "action_update")[-1])


# ----------------------------------------------------------------------------- reminders


def test_the_owner_is_reminded_three_working_days_before(clerk_app: Clerk, clock: FakeClock,
                                                         meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    carol = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
                 if a.owner_email == CAROL)
    job = next(j for j in plan(clerk_app) if j.subject_ref == carol.ref)
    # due Sunday 14 March 2027: three working days before is Wednesday 10 March, 09:00
    assert job.at == datetime(2027, 3, 10, 9, 0, tzinfo=clerk_app.tz)
    clock.set(datetime(2027, 3, 10, 9, 0, tzinfo=UTC))
    outcome = run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at))
    assert outcome == f"reminded Carol Chowdhury of action {carol.id}"
    (sent,) = outbox(clerk_app, "action_reminder")
    assert sent["to_addr"] == CAROL and "circulate the carers survey" in text_of(sent)
    assert run_job(clerk_app, DueJob(job.key, job.kind, job.subject_ref, job.at)) is None
    # a done action is not reminded; those past their date are overdue
    update_action(clerk_app, UpdateAction(carol.id, status="done"))
    assert all(j.subject_ref != carol.ref for j in plan(clerk_app))
    assert [a.owner_name for a in list_actions(clerk_app, "carers", overdue_only=True)] == [
        "Dev Davies", "Jane Smith"]


# ----------------------------------------------------------------------------- agenda and site


def test_open_actions_are_the_next_agendas_action_log(clerk_app: Clerk, clock: FakeClock,
                                                      meeting: Meeting) -> None:
    nxt = add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-02-04 10:00",
                                                                  clerk_app.tz)))
    titles = [i.title for i in read_agenda(clerk_app, clerk_app.store.db, nxt).items]
    assert "Action log" not in titles
    held(clerk_app, clock, meeting)
    titles = [i.title for i in read_agenda(clerk_app, clerk_app.store.db, nxt).items]
    assert titles.index("Action log") == titles.index(
        "To approve the minutes of the previous meeting (Thursday 14 January 2027)") + 1
    for action in list_actions(clerk_app, meeting=meeting.ref):
        update_action(clerk_app, UpdateAction(action.id, status="done"))
    titles = [i.title for i in read_agenda(clerk_app, clerk_app.store.db, nxt).items]
    assert "Action log" not in titles


def test_the_action_log_is_published_with_the_approved_minutes(
        clerk_app: Clerk, clock: FakeClock, meeting: Meeting, tmp_path: Path) -> None:
    add_meeting(clerk_app, AddMeeting("carers", parse_local("2027-02-04 10:00", clerk_app.tz)))
    held(clerk_app, clock, meeting)
    jane = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
                if a.owner_name == "Jane Smith")
    update_action(clerk_app, UpdateAction(jane.id, email="jane.smith@trust.example.org"))
    publish_site(clerk_app, tmp_path)
    page = (tmp_path / "carers" / meeting.ref / "index.html").read_text()
    assert "Action log" not in page  # draft minutes: nothing yet
    clock.set(datetime(2027, 2, 4, 11, 0, tzinfo=UTC))
    approve_minutes(clerk_app, ApproveMinutes(meeting.ref))
    publish_site(clerk_app, tmp_path)
    page = (tmp_path / "carers" / meeting.ref / "index.html").read_text()
    assert "Action log" in page and "circulate the carers survey" in page
    assert "Carol Chowdhury" in page and "Sunday 14 March 2027" in page
    assert "Jane Smith" in page and "@" not in page.split("Action log")[1].split("</table>")[0]


# ----------------------------------------------------------------------------- console


def test_the_console_shows_corrects_adds_and_marks_done(
        console: Console, clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    client = console(FACILITATOR)
    page = client.get(f"/meetings/{meeting.ref}/actions")
    assert page.status == 200
    assert "ACTION: Jane Smith - write to the hospital trust - by 28 February 2027" in page.text
    assert "The owner is not a member and has no email address" in page.text
    jane = next(a for a in list_actions(clerk_app, meeting=meeting.ref)
                if a.owner_name == "Jane Smith")
    page = client.post(f"/meetings/{meeting.ref}/actions/{jane.id}",
                       {"text": jane.text, "owner": "Jane Smith",
                        "email": "jane.smith@trust.example.org", "due": "2027-03-01",
                        "status": "open"})
    assert page.status == 200 and page.history == (303,)
    changed = get_action(clerk_app, jane.id)
    assert changed.owner_email == "jane.smith@trust.example.org"
    assert changed.due == date(2027, 3, 1) and changed.problems == ()
    page = client.post(f"/meetings/{meeting.ref}/actions",
                       {"text": "Send the newsletter", "owner": "Priya Patel", "email": "",
                        "due": "1 March 2027"})
    assert page.status == 200 and "Action" in page.text and "recorded for Priya Patel" in page.text
    page = client.post(f"/meetings/{meeting.ref}/actions", {"text": "x", "owner": "Priya Patel",
                                                           "email": "", "due": "soon"})
    assert page.status == 400 and "Enter the due date" in page.text
    page = client.post(f"/meetings/{meeting.ref}/actions/{jane.id}", {"status": "done"})
    assert page.status == 200 and get_action(clerk_app, jane.id).status == "done"
    row = clerk_app.store.one("SELECT actor, channel FROM audit WHERE action = 'action.edit' "
                              "ORDER BY id DESC LIMIT 1")
    assert row is not None and (row["actor"], row["channel"]) == (FACILITATOR, "console")
    page = client.get("/bodies/carers/actions")
    assert page.status == 200 and "Send the newsletter" in page.text
    assert "write to the hospital trust" not in page.text  # done


def test_overdue_actions_are_flagged_on_the_dashboard(
        console: Console, clerk_app: Clerk, clock: FakeClock, meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    client = console(FACILITATOR)
    assert "Actions overdue" not in client.get("/").text
    clock.set(datetime(2027, 2, 5, 9, 0, tzinfo=UTC))  # Dev's room was due on 3 February
    client.sign_in(FACILITATOR)
    page = client.get("/")
    assert "Actions overdue" in page.text and "1 action is past the date due" in page.text
    assert 'href="/bodies/carers/actions"' in page.text
    other = console(OTHER_FACILITATOR)
    other.sign_in(OTHER_FACILITATOR)
    page = other.get("/")
    assert page.path == "/" and "Actions overdue" not in page.text


def test_another_bodys_facilitator_gets_403(console: Console, clerk_app: Clerk,
                                            clock: FakeClock, meeting: Meeting) -> None:
    held(clerk_app, clock, meeting)
    action = list_actions(clerk_app, meeting=meeting.ref)[0]
    other = console(OTHER_FACILITATOR)
    before = clerk_app.store.one("SELECT COUNT(*) AS n FROM audit")
    for path in (f"/meetings/{meeting.ref}/actions", "/bodies/carers/actions"):
        page = other.get(path)
        assert page.status == 403 and action.text not in page.text
    other.get("/")
    assert other.post(f"/meetings/{meeting.ref}/actions/{action.id}",
                      {"status": "done"}).status == 403
    assert other.post(f"/meetings/{meeting.ref}/actions",
                      {"text": "forged", "owner": CAROL}).status == 403
    assert clerk_app.store.one("SELECT COUNT(*) AS n FROM audit") == before
    assert get_action(clerk_app, action.id).status == "open"


# ----------------------------------------------------------------------------- command line


def test_the_command_line(workdir: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import shutil

    from clerk.cli import main
    from clerk.clock import SystemClock
    from tests.app_fixtures import EXAMPLE_MEMBERS

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    shutil.copy(EXAMPLE_MEMBERS, workdir / "members.csv")
    assert run("init")[0] == 0
    assert run("members", "import", "members.csv")[0] == 0
    assert run("meetings", "add", "carers", "--at", "2027-01-14 10:00")[0] == 0
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2027, 1, 18, 9, 0, tzinfo=UTC))
    ref = "carers-2027-01-14"
    (workdir / "minutes.md").write_text(MINUTES, encoding="utf-8")
    code, out, _ = run("minutes", "add", ref, "minutes.md")
    assert code == 0 and "5 action point(s) read from the minutes, 3 to check" in out
    code, out, _ = run("actions", "show", ref)
    assert "read from: ACTION: Jane Smith - write to the hospital trust" in out
    assert "to check: the owner is not a member and has no address" in out
    jane = next(a for a in json.loads(run("actions", "show", ref, "--json")[1])
                if a["owner"] == "Jane Smith")
    code, out, _ = run("actions", "edit", str(jane["id"]), "--email",
                       "jane.smith@trust.example.org", "--due", "1 March 2027")
    assert code == 0 and "the owner is emailed" in out
    code, out, _ = run("actions", "add", ref, "Send the newsletter", "--owner", "Priya Patel",
                       "--due", "2027-01-20")
    assert code == 0 and "recorded for Priya Patel" in out
    code, out, _ = run("actions", "add", ref, "Tea", "--owner", "Priya Patel", "--due", "soon")
    assert code == 2 and "is not a date" in _
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2027, 2, 5, 9, 0, tzinfo=UTC))
    code, out, _ = run("actions", "list", "carers", "--overdue")
    assert "Send the newsletter" in out and "OVERDUE" in out and "hospital trust" not in out
    newsletter = next(a for a in json.loads(run("actions", "list", "--json")[1])
                      if a["text"] == "Send the newsletter")
    assert newsletter["overdue"] is True
    assert run("actions", "done", str(newsletter["id"]))[0] == 0
    assert "Send the newsletter" not in run("actions", "list", "carers", "--open")[1]
