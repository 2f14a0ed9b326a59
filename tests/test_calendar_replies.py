"""Answering an invitation from the calendar: Outlook (and Google) send the organizer an iTIP
REPLY when a member presses Accept, Decline or Tentative, usually with no words of their own,
to clerk's From address rather than the reply address. clerk finds the invitation by the event's
UID and the sender, and records what the calendar said; words in the message, when clear, win."""

from __future__ import annotations

from email import message_from_bytes, policy

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.reading.calendar_reply import read_calendar_reply, rsvp_from_calendar
from mail.ingest import ingest
from tests.app_fixtures import reply_of
from tests.reply_mail import calendar_reply

CAROL = "carol.chowdhury@example.org"
DEV = "dev.davies@example.org"



def press(app: Clerk, meeting: Meeting, partstat: str, *, sender: str = CAROL,
          name: str = "Carol Chowdhury", body: str = "", uid: str | None = None,
          delegated_to: tuple[str, str] | None = None) -> str:
    raw = calendar_reply(uid or meeting.uid, sender, name, partstat,
                         to=f"Partnership clerk <{app.config.mail.from_address}>", body=body,
                         delegated_to=delegated_to)
    return ingest(app, raw, source="test").status



def last_answer(app: Clerk, to: str) -> str:
    row = app.store.one("SELECT raw FROM outbox WHERE to_addr = ? AND kind != 'invitation' "
                        "ORDER BY id DESC LIMIT 1", [to])
    assert row is not None, f"nothing was sent back to {to}"
    msg = message_from_bytes(bytes(row["raw"]), policy=policy.default)
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_accept_in_outlook_with_no_words_records_attending(clerk_app: Clerk,
                                                          meeting: Meeting) -> None:
    assert press(clerk_app, meeting, "ACCEPTED") == "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "attend"
    assert "accepted in their calendar" in clerk_app.store.one(
        "SELECT understood FROM inbound ORDER BY id DESC LIMIT 1")["understood"]
    assert "attending" in last_answer(clerk_app, CAROL)


def test_decline_records_apologies_and_a_later_accept_replaces_it(clerk_app: Clerk,
                                                                  meeting: Meeting) -> None:
    assert press(clerk_app, meeting, "DECLINED") == "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "apologies"
    assert press(clerk_app, meeting, "ACCEPTED") == "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "attend"


def test_tentative_changes_nothing_and_asks_again(clerk_app: Clerk, meeting: Meeting) -> None:
    assert press(clerk_app, meeting, "TENTATIVE") == "unclear"
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"
    assert "Tentative" in last_answer(clerk_app, CAROL)


def test_clear_words_in_the_message_win_over_the_calendar(clerk_app: Clerk,
                                                         meeting: Meeting) -> None:
    body = "Sorry, I have just realised I cannot come after all."
    assert press(clerk_app, meeting, "ACCEPTED", body=body) == "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "apologies"


def test_delegating_in_the_calendar_sends_a_substitute(clerk_app: Clerk, meeting: Meeting) -> None:
    assert press(clerk_app, meeting, "DELEGATED",
                 delegated_to=("sam.stand-in@example.org", "Sam Standin")) == "processed"
    assert reply_of(clerk_app, meeting, CAROL) == "substitute"
    row = clerk_app.store.one("SELECT p.name, p.email FROM invitations i JOIN people p "
                              "ON p.id = i.substitute_id WHERE i.meeting_id = ? AND "
                              "i.substitute_id IS NOT NULL", [meeting.id])
    assert row == {"name": "Sam Standin", "email": "sam.stand-in@example.org"}


def test_a_calendar_reply_for_an_unknown_event_or_from_a_stranger_records_nothing(
    clerk_app: Clerk, meeting: Meeting
) -> None:
    assert press(clerk_app, meeting, "ACCEPTED", uid="not-ours@example.net") == "refused"
    assert press(clerk_app, meeting, "ACCEPTED", sender="someone@elsewhere.example",
                 name="Someone") == "refused"
    assert reply_of(clerk_app, meeting, CAROL) == "no_reply"


def test_reading_calendar_replies() -> None:
    def ics(attendee: str, method: str = "REPLY") -> str:
        return (f"BEGIN:VCALENDAR\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\nUID:u1@x\r\n{attendee}\r\n"
                "END:VEVENT\r\nEND:VCALENDAR\r\n")

    accepted = read_calendar_reply(ics("ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:Jo@Example.org"))
    assert accepted is not None and (accepted.uid, accepted.attendee, accepted.partstat) == (
        "u1@x", "jo@example.org", "ACCEPTED")
    assert rsvp_from_calendar(accepted).intent == "attend"
    assert read_calendar_reply(ics("ATTENDEE;PARTSTAT=ACCEPTED:mailto:jo@example.org",
                                   "REQUEST")) is None  # an invitation, not an answer
    assert read_calendar_reply("not a calendar at all") is None
    assert read_calendar_reply(ics("SUMMARY:no attendee")) is None
    odd = read_calendar_reply(ics("ATTENDEE:mailto:jo@example.org"))
    assert odd is not None and rsvp_from_calendar(odd).intent == "unclear"
