"""The messages a linked member sees in chat, with their buttons: a meeting card (invitation,
reminder) with Attending / Apologies / Send a substitute, a ballot card with Approve /
Reject / Abstain per decision, and an action card (:mod:`clerk.chat.actions`).

A ballot card keeps the member's choices so far in its buttons' data (``vote:BALLOT:SEL:VER``,
``SEL`` one letter per decision: ``a`` approve, ``r`` reject, ``s`` abstain, ``-`` not yet), so
nothing is stored until the member presses "Send my vote"; ``VER`` counts the presses, so a
double tap on the same card sends one vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from clerk.app import Clerk
from clerk.ballots.ratification import Ballot, get_ballot, latest_votes
from clerk.chat.actions import render_action_copy
from clerk.errors import NotFound
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.messages import render_chat
from clerk.outbox.chat import MirroredCopy
from clerk.outbox.chat_text import Button, ChatReply, Rows, data
from clerk.rules.meetings import meeting_still_open
from clerk.rules.substitutes import may_offer_substitute
from clerk.rules.tally import Choice
from clerk.store.rows import fetch_one
from clerk.times import in_words

CODES: dict[str, Choice] = {"a": "approve", "r": "reject", "s": "abstain"}
LETTERS = {v: k for k, v in CODES.items()}
LABELS = {"approve": "Approve", "reject": "Reject", "abstain": "Abstain"}
REPLY_WORDS = {"attend": "you will attend", "apologies": "you have sent apologies",
               "substitute": "you are sending a substitute", "no_reply": ""}


# --- meetings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Answer:
    """A person's invitation as their card shows it: their answer so far, whom they stand in
    for (a substitute) or who stands in for them, and the office they hold on the body."""

    reply: str = "no_reply"
    is_substitute: bool = False
    member_name: str = ""
    sub_name: str = ""
    office: str = ""


def _answer(app: Clerk, meeting: Meeting, person_id: int) -> _Answer:
    row = fetch_one(
        app.store.db,
        "SELECT i.reply, i.stands_for, m.name AS member_name, s.name AS sub_name, "
        "COALESCE(ms.office, '') AS office FROM people p "
        "LEFT JOIN invitations i ON i.person_id = p.id AND i.meeting_id = ? "
        "LEFT JOIN people m ON m.id = i.stands_for LEFT JOIN people s ON s.id = i.substitute_id "
        "LEFT JOIN memberships ms ON ms.person_id = p.id AND ms.body = ? WHERE p.id = ?",
        [meeting.id, meeting.body, person_id])
    if row is None:
        return _Answer()
    return _Answer(reply=row["reply"] or "no_reply", is_substitute=row["stands_for"] is not None,
                   member_name=row["member_name"] or "", sub_name=row["sub_name"] or "",
                   office=row["office"] or "")


def rsvp_buttons(app: Clerk, meeting: Meeting, answer: _Answer) -> Rows:
    """Attending, Apologies, and Send a substitute where the body's rule offers it (the same
    rule as the invitation email's, :func:`clerk.rules.substitutes.may_offer_substitute`)."""
    row = [Button("Attending", data("rsvp", meeting.id, "attend")),
           Button("Apologies", data("rsvp", meeting.id, "apologies"))]
    if may_offer_substitute(app.body(meeting.body).substitutes, answer.office,
                            is_substitute=answer.is_substitute).ok:
        row.append(Button("Send a substitute", data("rsvp", meeting.id, "substitute")))
    return (tuple(row),)


def meeting_card(app: Clerk, meeting: Meeting, person_id: int, kind: str = "invitation",
                 note: str = "") -> ChatReply:
    """A meeting as a member sees it in chat, with their answer so far and the answer buttons."""
    body = app.body(meeting.body)
    answer = _answer(app, meeting, person_id)
    text = render_chat("member_meeting", kind=kind, body=body, meeting=meeting,
                       when=in_words(meeting.starts_at, app.tz), where=meeting.where,
                       reply=answer.reply, reply_words=REPLY_WORDS.get(answer.reply, answer.reply),
                       substitute_name=answer.sub_name, stands_for=answer.member_name, note=note)
    return ChatReply(text, rsvp_buttons(app, meeting, answer))


# --- ballots ----------------------------------------------------------------------------------

def selection_choices(ballot: Ballot, selection: str) -> dict[int, Choice]:
    """The choices a selection string makes (decisions not chosen yet are left out)."""
    numbers = [n for n, _ in ballot.decisions]
    return {n: CODES[c] for n, c in zip(numbers, selection, strict=False) if c in CODES}


def _with(selection: str, index: int, letter: str) -> str:
    return selection[:index] + letter + selection[index + 1:]


def ballot_buttons(ballot: Ballot, selection: str, version: int) -> Rows:
    n = len(ballot.decisions)
    selection = (selection + "-" * n)[:n]
    rows: list[tuple[Button, ...]] = []
    for i, (number, _text) in enumerate(ballot.decisions):
        row = []
        for letter, choice in CODES.items():
            mark = "● " if selection[i] == letter else ""
            label = f"{mark}{number}: {LABELS[choice]}" if n > 1 else f"{mark}{LABELS[choice]}"
            row.append(Button(label, data("vote", ballot.id, _with(selection, i, letter),
                                          version + 1)))
        rows.append(tuple(row))
    if n > 1:
        rows.append((Button("Approve all", data("vote", ballot.id, "a" * n, version + 1)),))
    if "-" not in selection:
        rows.append((Button("Send my vote", data("cast", ballot.id, selection, version)),))
    return tuple(rows)


def ballot_card(app: Clerk, ballot: Ballot, person_id: int | None, selection: str = "",
                version: int = 0, note: str = "", reminder: bool = False) -> ChatReply:
    """A ballot in chat: the decisions, the choices made so far, and the buttons."""
    body = app.body(ballot.meeting.body)
    choices = selection_choices(ballot, selection)
    voted: dict[int, Choice] | None = None
    if person_id is not None:
        person = fetch_one(app.store.db, "SELECT email FROM people WHERE id = ?", [person_id])
        voted = latest_votes(app.store.db, ballot.id).get(person["email"]) if person else None
    text = render_chat("member_ballot", body=body, ballot=ballot, choices=choices,
                       labels=LABELS, voted=voted or {}, reminder=reminder, note=note,
                       meeting_when=in_words(ballot.meeting.starts_at, app.tz),
                       closes=in_words(ballot.closes_at - timedelta(minutes=1), app.tz))
    return ChatReply(text, ballot_buttons(ballot, selection, version))


# --- chat copies of emails ----------------------------------------------------------------------

def render_mirrored(app: Clerk, copy: MirroredCopy) -> ChatReply | None:
    """The chat copy of an email to a linked member, as things stand now (None: drop it)."""
    now = app.clock.now()
    kind = copy.kind
    if kind in ("action_recorded", "action_reminder"):
        return render_action_copy(app, copy.subject_ref, copy.person_id, kind)
    try:
        if kind in ("ballot", "ballot_reminder"):
            ballot = get_ballot(app, copy.subject_ref)
            if ballot.status != "open" or ballot.closes_at <= now:
                return None
            return ballot_card(app, ballot, copy.person_id, reminder=kind == "ballot_reminder")
        meeting = get_meeting(app, copy.subject_ref)
    except NotFound:
        return None
    if kind == "meeting_cancelled":
        return ChatReply(render_chat("member_meeting_cancelled", body=app.body(meeting.body),
                                     when=in_words(meeting.starts_at, app.tz)))
    if not meeting_still_open(meeting, now).ok:
        return None
    return meeting_card(app, meeting, copy.person_id, kind)
