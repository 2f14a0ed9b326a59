"""What a linked member does in chat: answer an invitation, vote on a ballot, see the papers.

Each answer goes through the same service as the email reply (:func:`record_reply`,
:func:`cast_vote`) with ``channel="telegram"`` and the update as evidence, and comes back as the
updated card with a confirmation line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from clerk.agenda.items import read_agenda
from clerk.app import Clerk
from clerk.attendance.replies import RecordReply, record_reply
from clerk.ballots.ratification import Ballot, CastVote, cast_vote, get_ballot
from clerk.chat.cards import ballot_card, meeting_card, selection_choices
from clerk.chat.links import linked_person
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, meeting_by_id
from clerk.messages import render_chat
from clerk.outbox.chat_text import ChatReply
from clerk.people.directory import Person, memberships_of
from clerk.rules.meetings import meeting_still_open
from clerk.rules.messages.text_safety import clean_text
from clerk.store.rows import fetch_one
from clerk.times import in_words, to_iso

NOT_LINKED = ("this chat is not linked to a member: send /link followed by the email address "
              "clerk writes to you at")


@dataclass(frozen=True)
class ChatRsvp:
    chat_id: int
    meeting: int | str
    intent: Literal["attend", "apologies", "substitute"]
    substitute_email: str = ""
    substitute_name: str = ""
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ChatVote:
    """A press on a ballot card: ``selection`` as in :mod:`clerk.chat.cards`."""

    chat_id: int
    ballot: int | str
    selection: str
    version: int
    message_id: int = 0
    channel: str = "telegram"
    evidence: dict[str, Any] = field(default_factory=dict)


def member_for(app: Clerk, chat_id: int) -> Person:
    """The person this chat is linked to; Refused (saying how to link) if none."""
    person = linked_person(app.store.db, chat_id)
    if person is None:
        raise Refused(NOT_LINKED)
    return person


def _upcoming(app: Clerk, meeting: Meeting) -> None:
    ahead = meeting_still_open(meeting, app.clock.now())
    if ahead.code == "cancelled":
        raise Refused(f"the meeting on {in_words(meeting.starts_at, app.tz)} has been cancelled")
    if ahead.code == "over":
        raise Refused(f"the meeting on {in_words(meeting.starts_at, app.tz)} has already "
                      "taken place")


def answer_invitation(app: Clerk, cmd: ChatRsvp) -> ChatReply:
    """Record the member's answer (as the email reply would) and return the updated card."""
    person = member_for(app, cmd.chat_id)
    meeting = meeting_by_id(app, cmd.meeting)
    _upcoming(app, meeting)
    outcome = record_reply(app, RecordReply(
        meeting=meeting.ref, email=person.email, intent=cmd.intent,
        substitute_email=cmd.substitute_email, substitute_name=clean_text(cmd.substitute_name),
        channel=cmd.channel, evidence=cmd.evidence, idempotency_key=cmd.idempotency_key))
    note = render_chat("rsvp_recorded", outcome=outcome)
    return meeting_card(app, meeting, person.id, "answer", note)


def substitute_prompt(app: Clerk, chat_id: int, meeting_id: int | str) -> ChatReply:
    """Ask who will come instead (refused for a past meeting or a chat not linked)."""
    member_for(app, chat_id)
    meeting = meeting_by_id(app, meeting_id)
    _upcoming(app, meeting)
    return ChatReply(render_chat("substitute_ask", body=app.body(meeting.body),
                                 when=in_words(meeting.starts_at, app.tz)))


def _open_ballot(app: Clerk, ref: int | str) -> Ballot:
    ballot = get_ballot(app, str(ref))
    if ballot.closed_early and ballot.closed_at is not None:
        raise Refused(f"this vote was closed early by the facilitator on "
                      f"{in_words(ballot.closed_at, app.tz)}; see the email with the result")
    if ballot.status != "open" or ballot.closes_at <= app.clock.now():
        raise Refused("this vote has closed, at midnight at the end of "
                      f"{(ballot.closes_at - timedelta(minutes=1)).astimezone(app.tz):%A %d %B %Y}"
                      "; see the email with the result")
    return ballot


def ballot_choice(app: Clerk, cmd: ChatVote) -> ChatReply:
    """A choice pressed on a ballot card: nothing is stored; the card shows the selection."""
    person = member_for(app, cmd.chat_id)
    ballot = _open_ballot(app, cmd.ballot)
    return ballot_card(app, ballot, person.id, cmd.selection, cmd.version)


def vote_in_chat(app: Clerk, cmd: ChatVote) -> ChatReply:
    """Cast the vote on the card (the same service as an emailed vote) and confirm it."""
    person = member_for(app, cmd.chat_id)
    ballot = _open_ballot(app, cmd.ballot)
    choices = selection_choices(ballot, cmd.selection)
    if len(choices) != len(ballot.decisions):
        raise BadInput("choose an answer for every decision, then press Send my vote")
    outcome = cast_vote(app, CastVote(
        ballot=ballot.ref, email=person.email, choices=choices, channel=cmd.channel,
        evidence=cmd.evidence,
        idempotency_key=f"telegram-vote:{cmd.chat_id}:{cmd.message_id}:{cmd.version}"))
    if outcome.status == "refused":
        raise Refused(outcome.message)
    note = render_chat("vote_recorded", outcome=outcome)
    return ballot_card(app, ballot, person.id, cmd.selection, cmd.version + 1, note)


def next_meeting_for(app: Clerk, person_id: int) -> Meeting | None:
    bodies = [m.body for m in memberships_of(app.store.db, person_id)]
    if not bodies:
        return None
    marks = ",".join("?" for _ in bodies)
    row = fetch_one(app.store.db, f"SELECT * FROM meetings WHERE body IN ({marks}) AND status = "
                                  f"'scheduled' AND starts_at > ? ORDER BY starts_at LIMIT 1",
                    [*bodies, to_iso(app.clock.now())])
    return Meeting.from_row(row) if row else None


def papers_in_chat(app: Clerk, chat_id: int) -> ChatReply:
    """The papers of the member's next meeting (from the papers circulated so far)."""
    person = member_for(app, chat_id)
    meeting = next_meeting_for(app, person.id)
    if meeting is None:
        return ChatReply(render_chat("papers", meeting=None, body=None, when="", agenda=[]))
    body = app.body(meeting.body)
    return ChatReply(render_chat("papers", meeting=meeting, body=body,
                                 when=in_words(meeting.starts_at, app.tz),
                                 agenda=_agenda(app, meeting)))


def _agenda(app: Clerk, meeting: Meeting) -> list[dict[str, Any]]:
    """The agenda items and their papers, as the papers side keeps them."""
    agenda = read_agenda(app, app.store.db, meeting)
    return [{"number": item.number, "title": item.title,
             "papers": [{"filename": p.filename, "size_kb": max(1, round(p.size / 1024)),
                         "circulated": p.circulated} for p in item.papers]}
            for item in agenda.items]
