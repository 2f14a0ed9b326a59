"""Whether a person is offered the "send a substitute" answer is one rule
(:func:`clerk.rules.substitutes.may_offer_substitute`), and the invitation email and the chat card
agree on it for every one of its reason codes: a member who may send one, an office the body bars,
someone who is themselves a substitute, and a body that allows no substitutes at all."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import get_args

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import invite, move_meeting
from clerk.attendance.replies import RecordReply, record_reply
from clerk.chat.cards import meeting_card
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, Meeting, add_meeting
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.rules.substitutes import MayOfferCode, may_offer_substitute
from clerk.store import open_store
from clerk.times import parse_local
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS

# The Partnership Advisory Body bars its Chair and Vice-Chair from sending a substitute.
CHAIR = "zoe.bailey@example.org"
MEMBER = "bella.doyle@example.org"
STAND_IN = "sue.stand@example.org"  # Bella's substitute
OFFER_WORDS = "the name and email address of the person coming in your place"
MOVED_WORDS = "or the name and email address of your substitute"


def _app(clock: FakeClock, *, allow_substitutes: bool) -> Clerk:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["bodies"]["cypsp-pab"]["substitutes"]["allowed"] = allow_substitutes
    app = Clerk(config=parse_config(data, EXAMPLE_CONFIG), store=open_store(memory=True),
                clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return app


def _email_text(app: Clerk, to: str, kinds: tuple[str, ...]) -> str:
    """The plain text of the latest calendar email of one of ``kinds`` queued to ``to``."""
    marks = ",".join("?" for _ in kinds)
    rows = app.store.all(f"SELECT raw FROM outbox WHERE to_addr = ? AND kind IN ({marks}) "
                         "ORDER BY id DESC LIMIT 1", [to, *kinds])
    assert rows, f"no {kinds} email to {to}"
    msg = message_from_bytes(bytes(rows[0]["raw"]), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def _card_offers(app: Clerk, meeting: Meeting, email: str) -> bool:
    person = app.store.one("SELECT id FROM people WHERE email = ?", [email])
    assert person is not None
    card = meeting_card(app, meeting, person["id"])
    labels = [button.label for row in card.buttons for button in row]
    assert labels[:2] == ["Attending", "Apologies"]
    return "Send a substitute" in labels


CASES: dict[MayOfferCode, tuple[bool, str, str, bool]] = {
    # code: (the body allows substitutes, who is asked, their office, are they a substitute)
    "offer": (True, MEMBER, "", False),
    "office_barred": (True, CHAIR, "chair", False),
    "is_substitute": (True, STAND_IN, "", True),
    "not_allowed": (False, MEMBER, "", False),
}


def test_every_code_of_the_rule_is_covered() -> None:
    assert set(CASES) == set(get_args(MayOfferCode))


@pytest.mark.parametrize("code", list(CASES))
def test_the_invitation_email_and_the_chat_card_agree_on_offering_a_substitute(
        clock: FakeClock, code: MayOfferCode) -> None:
    allowed, email, office, is_substitute = CASES[code]
    app = _app(clock, allow_substitutes=allowed)
    verdict = may_offer_substitute(app.body("cypsp-pab").substitutes, office,
                                   is_substitute=is_substitute)
    assert verdict.code == code
    starts = parse_local("2027-01-12 14:00", app.tz)
    meeting = add_meeting(app, AddMeeting(body="cypsp-pab", starts_at=starts,
                                          venue="County Hall"))
    invite(app, meeting.ref)
    if is_substitute:
        record_reply(app, RecordReply(meeting=meeting.ref, email=MEMBER, intent="substitute",
                                      substitute_email=STAND_IN, substitute_name="Sue Stand"))
    kind = "substitute_invitation" if is_substitute else "invitation"
    invitation = _email_text(app, email, (kind,))
    assert (OFFER_WORDS in invitation) is verdict.ok
    assert _card_offers(app, meeting, email) is verdict.ok

    # a move tells everyone invited, members and substitutes alike, with the same offer, both
    # before they answer and (in other words) after
    moved = move_meeting(app, meeting.ref, starts + timedelta(hours=1))
    assert email in moved.queued
    assert (OFFER_WORDS in _email_text(app, email, ("meeting_moved",))) is verdict.ok
    assert _card_offers(app, moved.meeting, email) is verdict.ok
    record_reply(app, RecordReply(meeting=meeting.ref, email=email, intent="attend"))
    again = move_meeting(app, meeting.ref, starts + timedelta(hours=2))
    assert email in again.queued
    answered = _email_text(app, email, ("meeting_moved",))
    assert "You told us: you will be there" in answered
    assert (MOVED_WORDS in answered) is verdict.ok
    assert _card_offers(app, again.meeting, email) is verdict.ok
    app.store.close()
