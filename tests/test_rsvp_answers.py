"""Answers to invitations, as members and their substitutes really send them (issue 12): a refused
substitute still leaves the member's apologies, a substitute who then declines is reported, a
calendar answer counts only for the attendee it names, the invitation's own YES/NO buttons work
when the mail client drops the body, a "thank you" gets no reply, and nothing clerk echoes back
can add lines of its own. The store is in memory and the clock fake, as in test_inbound.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.cli import main
from clerk.clock import FakeClock
from clerk.errors import Refused
from clerk.mail_in.message import InboundOutcome
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.rules.messages.acknowledgement import is_acknowledgement
from clerk.rules.messages.text_safety import clean_text
from clerk.times import parse_local
from mail.ingest import ingest
from tests.app_fixtures import key_of, reply_of
from tests.reply_mail import DOMAIN, calendar_reply, new_id, reply
from tests.test_inbound import answers

CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"
JANE = "jane.smith@example.org"
IVAN = "ivan.jackson@example.org"  # JCB member; named substitute on file: Jess Kelly
JESS = "jess.kelly@example.org"
JCB_FACILITATOR = "jcb.support@worcs.example.org"



@pytest.fixture
def jcb(clerk_app: Clerk) -> Meeting:
    """A Joint Commissioning Board meeting: substitutes must be the member's named one."""
    m = add_meeting(clerk_app, AddMeeting(body="cypsp-jcb", venue="Room 1",
                                          starts_at=parse_local("2027-02-03 14:00", clerk_app.tz)))
    invite(clerk_app, m.ref)
    return m



def read(app: Clerk, raw: bytes) -> InboundOutcome:
    return ingest(app, raw, source="test")


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def words(msg: EmailMessage) -> str:
    return " ".join(text_of(msg).split())


# ----------------------------------------------------------------------------- refused substitutes


def test_a_refused_substitute_still_records_the_apologies_and_says_what_would_be_accepted(
        clerk_app: Clerk, jcb: Meeting) -> None:
    result = read(clerk_app, reply(IVAN, key_of(clerk_app, IVAN, jcb.ref),
                                   "I'm away that week. Sam Green (sam.green@example.net) will "
                                   "come in my place."))

    assert result.status == "processed", result.action
    assert reply_of(clerk_app, jcb, IVAN) == "apologies", "they gave notice"
    assert "substitute refused" in result.action
    assert clerk_app.store.one("SELECT 1 AS x FROM outbox WHERE to_addr = 'sam.green@example.net'") \
        is None, "the refused substitute is not invited"
    [answer] = answers(clerk_app, to=IVAN)
    text = words(answer)
    assert "we have recorded your apologies" in text
    assert "Sam Green cannot attend in your place" in text
    assert "sam.green@example.net is not one of Ivan Jackson's named substitutes" in text
    assert f"Jess Kelly ({JESS})" in text, "the named substitute on file is offered"


def test_the_chair_who_may_not_send_a_substitute_is_told_so_and_their_apologies_stand(
        clerk_app: Clerk) -> None:
    pab = add_meeting(clerk_app, AddMeeting(body="cypsp-pab", venue="Room 1",
                                            starts_at=parse_local("2027-02-03 14:00", clerk_app.tz)))
    invite(clerk_app, pab.ref)
    chair = "zoe.bailey@example.org"
    result = read(clerk_app, reply(chair, key_of(clerk_app, chair, pab.ref),
                                   "I'm away; Sam Green (sam.green@example.net) will come in my "
                                   "place."))
    assert result.status == "processed"
    assert reply_of(clerk_app, pab, chair) == "apologies"
    text = words(answers(clerk_app, to=chair)[0])
    assert "the chair may not send a substitute" in text
    assert "we have recorded your apologies" in text


def test_a_substitute_who_declines_is_reported_to_the_member_and_the_facilitator(
        clerk_app: Clerk, jcb: Meeting) -> None:
    read(clerk_app, reply(IVAN, key_of(clerk_app, IVAN, jcb.ref),
                          f"Apologies; Jess Kelly ({JESS}) will attend in my place."))
    assert reply_of(clerk_app, jcb, IVAN) == "substitute"

    declined = read(clerk_app, reply(JESS, key_of(clerk_app, JESS, jcb.ref),
                                     "Sorry, I cannot make it that day."))

    assert declined.status == "processed"
    assert reply_of(clerk_app, jcb, JESS) == "apologies"
    [to_member] = answers(clerk_app, to=IVAN, kind="substitute_declined")
    [to_facilitator] = answers(clerk_app, to=JCB_FACILITATOR, kind="substitute_declined")
    for msg in (to_member, to_facilitator):
        assert "Jess Kelly" in msg["Subject"] and "cannot attend" in msg["Subject"]
        assert "in place of Ivan Jackson" in words(msg)
    assert "someone else" in words(to_member)
    # The same answer again tells nobody twice.
    read(clerk_app, reply(JESS, key_of(clerk_app, JESS, jcb.ref), "No, sorry, I can't come."))
    assert len(answers(clerk_app, to=IVAN, kind="substitute_declined")) == 1


# ----------------------------------------------------------------------------- calendar answers


def press(app: Clerk, meeting: Meeting, partstat: str, *, sender: str, attendee: str) -> str:
    raw = calendar_reply(meeting.uid, sender, "Someone", partstat,
                         to=f"Partnership clerk <{app.config.mail.from_address}>",
                         attendee_email=attendee)
    return read(app, raw).status


def test_a_calendar_answer_naming_another_attendee_is_credited_to_nobody(
        clerk_app: Clerk, meeting: Meeting) -> None:
    status = press(clerk_app, meeting, "DECLINED", sender=CAROL, attendee=DEV)
    assert status != "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert reply_of(clerk_app, meeting, DEV) == "no_reply"


def test_a_calendar_answer_by_the_reply_address_naming_another_attendee_is_not_counted(
        clerk_app: Clerk, meeting: Meeting) -> None:
    raw = calendar_reply(meeting.uid, CAROL, "Carol Chowdhury", "ACCEPTED",
                         to=f"clerk+{key_of(clerk_app, CAROL, meeting.ref)}@{DOMAIN}",
                         attendee_email=DEV)
    read(clerk_app, raw)
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert reply_of(clerk_app, meeting, DEV) == "no_reply"


def test_a_calendar_answer_for_the_sender_still_counts(clerk_app: Clerk, meeting: Meeting) -> None:
    assert press(clerk_app, meeting, "DECLINED", sender=CAROL, attendee=CAROL) == "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "apologies"


def test_a_substitute_s_calendar_answer_counts_for_the_substitute(clerk_app: Clerk,
                                                                  meeting: Meeting) -> None:
    read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref),
                          f"Sorry, away. Jane Smith <{JANE}> will come in my place."))
    raw = calendar_reply(meeting.uid, JANE, "Jane Smith", "ACCEPTED",
                         to=f"clerk+{key_of(clerk_app, JANE, meeting.ref)}@{DOMAIN}")
    assert read(clerk_app, raw).status == "processed"
    assert reply_of(clerk_app, meeting, JANE) == "attend"
    assert reply_of(clerk_app, meeting, CAROL) == "substitute"


def test_a_member_s_calendar_answer_naming_their_accepted_substitute_counts_for_the_substitute(
        clerk_app: Clerk, meeting: Meeting) -> None:
    read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref),
                          f"Sorry, away. Jane Smith <{JANE}> will come in my place."))
    assert press(clerk_app, meeting, "DECLINED", sender=CAROL, attendee=JANE) == "processed"
    assert reply_of(clerk_app, meeting, JANE) == "apologies"
    assert reply_of(clerk_app, meeting, CAROL) == "substitute", "Carol's own answer stands"
    [thanks] = answers(clerk_app, to=JANE, kind="reply_confirmation")
    assert "cannot attend the Worcestershire Carers Partnership" in words(thanks)
    assert "in place of Carol Chowdhury" in words(thanks)


# ----------------------------------------------------------------------------- the YES/NO buttons


def button_mail(invitation: EmailMessage, sender: str, word: str) -> bytes:
    """What a mail client sends for the invitation's mailto: button when it keeps the subject
    and drops the body (as several webmail and phone clients do)."""
    html = invitation.get_body(("html",))
    assert html is not None
    links = re.findall(r'href="mailto:([^"?]+)\?subject=([^"&]+)&amp;body=[^"]*"',
                       str(html.get_content()))
    to, subject = next((to, subject) for to, subject in links if subject == word)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = new_id()
    msg.set_content("")
    return msg.as_bytes(policy=policy.SMTP)


@pytest.mark.parametrize(("word", "recorded"), [("YES", "attend"), ("NO", "apologies")])
def test_the_invitation_s_buttons_work_when_the_client_drops_the_body(
        clerk_app: Clerk, meeting: Meeting, word: str, recorded: str) -> None:
    row = clerk_app.store.one("SELECT raw FROM outbox WHERE kind = 'invitation' AND to_addr = ?",
                              [CAROL])
    assert row is not None
    invitation = message_from_bytes(bytes(row["raw"]), policy=policy.default)
    assert isinstance(invitation, EmailMessage)

    result = read(clerk_app, button_mail(invitation, CAROL, word))

    assert result.status == "processed", result.action
    assert reply_of(clerk_app, meeting, CAROL) == recorded


def test_an_empty_reply_keeping_our_subject_is_still_unclear(clerk_app: Clerk,
                                                             meeting: Meeting) -> None:
    raw = reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "", quote="",
                subject="Re: Please attend in place of Dev Davies: Carers Partnership")
    assert read(clerk_app, raw).status == "unclear"
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"


# ----------------------------------------------------------------------------- no needless mail


def test_a_thank_you_for_the_confirmation_gets_no_reply(clerk_app: Clerk, meeting: Meeting) -> None:
    key = key_of(clerk_app, CAROL, meeting.ref)
    read(clerk_app, reply(CAROL, key, "Yes, I'll be there."))
    assert len(answers(clerk_app, to=CAROL)) == 1

    for thanks in ("Thank you!", "Great, thanks\n\nCarol", "Many thanks 👍", "OK, noted - thanks."):
        result = read(clerk_app, reply(CAROL, key, thanks, subject="Re: Thank you: you are down"))
        assert result.status == "processed" and "no answer needed" in result.action

    assert len(answers(clerk_app, to=CAROL)) == 1, "nothing more was sent"
    assert reply_of(clerk_app, meeting, CAROL) == "attend"


def test_a_thank_you_before_any_answer_is_still_asked_again(clerk_app: Clerk,
                                                            meeting: Meeting) -> None:
    result = read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), "Thanks"))
    assert result.status == "unclear"
    assert len(answers(clerk_app, to=CAROL, kind="reply_unclear")) == 1


@pytest.mark.parametrize(("text", "ack"), [
    ("Thank you", True), ("Thanks!", True), ("Cheers, Carol", True), ("ok thanks", True),
    ("👍", True), ("Thank you very much for this.", True), ("", False),
    ("Thanks, but can we move it to Friday?", False), ("Thanks - where is the venue?", False),
    ("Thank you. Actually I can't come now.", False),
])
def test_what_counts_as_a_mere_acknowledgement(text: str, ack: bool) -> None:
    assert is_acknowledgement(text, names=("Carol", "Chowdhury")) is ack


# ----------------------------------------------------------------------------- echoed text


def test_an_encoded_line_break_in_a_subject_adds_no_lines_to_the_answer(
        clerk_app: Clerk, meeting: Meeting) -> None:
    raw = reply(CAROL, None, "Will there be parking?", quote="", subject="placeholder")
    evil = "=?utf-8?q?Hi=0D=0A=0D=0AYour_account_is_suspended=2C_call_0800_000?="
    raw = raw.replace(b"Subject: placeholder", b"Subject: " + evil.encode())
    assert read(clerk_app, raw).status == "refused"

    [answer] = answers(clerk_app, to=CAROL)
    assert "\n" not in str(answer["Subject"])
    assert text_of(answer).startswith("Hello,\n"), "the answer starts with clerk's own words"
    assert '"Hi Your account is suspended, call 0800 000"' in words(answer)


def test_lines_quoted_back_carry_no_control_characters(clerk_app: Clerk, meeting: Meeting) -> None:
    body = "Maybe\u202e, I will see\x1b[2J how\x07 it goes"
    read(clerk_app, reply(CAROL, key_of(clerk_app, CAROL, meeting.ref), body))
    [ask] = answers(clerk_app, to=CAROL, kind="reply_unclear")
    assert "> Maybe, I will see[2J how it goes" in text_of(ask)
    assert not any(ch in text_of(ask) for ch in "\u202e\x1b\x07")


def test_clean_text() -> None:
    assert clean_text("a\r\nb\u2028c\x00\u202ed") == "a b cd"
    assert clean_text("  two   words\t ") == "two words"
    assert clean_text("keep\n\nlines\x1b", one_line=False) == "keep\n\nlines"


# ----------------------------------------------------------------------------- the register


def test_a_register_before_the_meeting_has_started_is_refused(clerk_app: Clerk, meeting: Meeting,
                                                              clock: FakeClock) -> None:
    with pytest.raises(Refused, match="has not started yet"):
        record_attendance(clerk_app, RecordAttendance(meeting.ref, (CAROL,)))
    clock.set(datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    assert record_attendance(clerk_app, RecordAttendance(meeting.ref, (CAROL,))).present == (CAROL,)


def test_clerk_attendance_record_before_the_meeting_exits_2(workdir: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    assert main(["members", "import", str(Path(__file__).resolve().parent.parent /
                                          "members.example.csv")]) == 0
    assert main(["meetings", "add", "carers", "--at", "2099-01-14 10:00", "--venue", "Hall"]) == 0
    capsys.readouterr()
    assert main(["attendance", "record", "carers-2099-01-14", "--present", CAROL]) == 2
    err = capsys.readouterr().err
    assert "has not started yet" in err
