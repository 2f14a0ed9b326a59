"""Replies to an invitation: attend, apologies, or apologies with a named substitute.

Every channel (email, chat, the facilitator at the command line) records a reply through
:func:`record_reply`, so the rules (who may reply, who may substitute) are applied once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.invitations import invite_substitute
from clerk.attendance.roster import Invitation, ensure_invitation, invitation_for
from clerk.attendance.substitute_notices import report_declined
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.people.directory import (
    Person,
    ensure_person,
    find_person,
    is_email,
    member_seat,
    named_substitutes,
    normalise_email,
    person_by_id,
)
from clerk.rules.meetings import meeting_still_open
from clerk.rules.people import Seat
from clerk.rules.substitutes import SubstitutePolicy, may_substitute, who_may_stand_in
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, update
from clerk.times import to_iso

Intent = Literal["attend", "apologies", "substitute"]


@dataclass(frozen=True)
class RecordReply:
    """A person's answer to a meeting invitation, with where it came from."""

    meeting: str
    email: str
    intent: Intent
    substitute_email: str = ""
    substitute_name: str = ""
    channel: str = "cli"
    evidence: dict[str, Any] = field(default_factory=dict)
    received_at: datetime | None = None
    idempotency_key: str | None = None
    #: Who recorded it when not the person replying (a facilitator taking a reply by phone, in
    #: the console): the audit log's actor, named in the evidence too. Empty: the person did.
    actor: str = ""


@dataclass(frozen=True)
class RefusedSubstitute:
    """A substitute the body's rules did not accept: who, why, and who would be accepted instead
    (the member's named substitutes on file, when the rules allow a substitute at all)."""

    name: str
    email: str
    reason: str
    named: tuple[tuple[str, str], ...] = ()  # (name, email) of the named substitutes on file
    any_allowed: bool = False  # anyone not otherwise excluded may come (no named-only rule)


@dataclass(frozen=True)
class ReplyOutcome:
    """What happened to a reply: ``recorded``, ``duplicate`` (seen before) or ``superseded``."""

    status: Literal["recorded", "duplicate", "superseded"]
    meeting: Meeting
    email: str
    name: str
    reply: str
    message: str
    substitute_email: str = ""
    substitute_name: str = ""
    stands_for: str = ""
    refused_substitute: RefusedSubstitute | None = None
    queued: tuple[int, ...] = ()  # notices queued about this reply (a substitute declining)


def record_reply(app: Clerk, cmd: RecordReply) -> ReplyOutcome:
    """Record a reply; the same evidence twice is counted once, an older reply never wins.
    A reply to a cancelled meeting is refused (one to a meeting already held is recorded: the
    facilitator may note a reply given before it)."""
    meeting = get_meeting(app, cmd.meeting)
    if meeting_still_open(meeting, app.clock.now()).code == "cancelled":
        raise Refused(f"the meeting {meeting.ref} has been cancelled")
    email = normalise_email(cmd.email)
    now = app.clock.now()
    received = cmd.received_at or now
    actor = cmd.actor or email
    evidence = {**cmd.evidence, "recorded_by": cmd.actor} if cmd.actor else cmd.evidence
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            inv = invitation_for(db, meeting.id, email)
            person = find_person(db, email)
            return ReplyOutcome("duplicate", meeting, email, person.name if person else email,
                                inv.reply if inv else "no_reply",
                                "this reply was already recorded")
        person = find_person(db, email)
        seat = member_seat(db, meeting.body, person.id) if person is not None else None
        invitation = invitation_for(db, meeting.id, email)
        if person is None or (seat is None and
                              (invitation is None or not invitation.is_substitute)):
            raise Refused(f"{email} is not a member of {app.body(meeting.body).name} "
                          f"and is not a substitute for this meeting")
        if invitation is None:
            invitation = ensure_invitation(db, meeting.id, person.id, now)
        if invitation.replied_at and invitation.replied_at > received:
            audit.record(db, at=now, actor=actor, action="reply.superseded", subject=meeting.ref,
                         channel=cmd.channel, evidence=evidence,
                         detail={"intent": cmd.intent}, idempotency_key=cmd.idempotency_key)
            return ReplyOutcome("superseded", meeting, email, person.name, invitation.reply,
                                "a later reply from you is already recorded; this one changes "
                                "nothing")
        if invitation.is_substitute or seat is None:
            outcome = _substitute_own_reply(app, db, meeting, person, invitation, cmd)
        else:
            outcome = _member_reply(app, db, meeting, person, invitation, cmd, seat)
        update(db, "invitations", invitation.id, {
            "reply": outcome.reply, "replied_at": to_iso(received), "channel": cmd.channel,
            "evidence": cmd.evidence.get("message_id", "")
            or (f"recorded by {cmd.actor}" if cmd.actor else cmd.channel)})
        audit.record(db, at=now, actor=actor, action="reply.recorded", subject=meeting.ref,
                     channel=cmd.channel, evidence=evidence,
                     detail={**({"person": email} if cmd.actor else {}),
                             "reply": outcome.reply, "substitute": outcome.substitute_email,
                             **({"substitute_refused": outcome.refused_substitute.reason}
                                if outcome.refused_substitute else {})},
                     idempotency_key=cmd.idempotency_key)
        return outcome


def _withdraw_substitutes(db: Database, meeting_id: int, member_id: int) -> None:
    execute(db, "UPDATE invitations SET reply = 'withdrawn' WHERE meeting_id = ? AND "
                "stands_for = ?", [meeting_id, member_id])


def _member_reply(app: Clerk, db: Database, meeting: Meeting, person: Person,
                  invitation: Invitation, cmd: RecordReply, seat: Seat) -> ReplyOutcome:
    _withdraw_substitutes(db, meeting.id, person.id)
    name = person.name
    if cmd.intent == "attend":
        return ReplyOutcome("recorded", meeting, person.email, name, "attend",
                            "recorded as attending")
    if cmd.intent == "apologies":
        return ReplyOutcome("recorded", meeting, person.email, name, "apologies",
                            "apologies recorded")
    sub_email = normalise_email(cmd.substitute_email)
    if not is_email(sub_email):
        raise BadInput("a substitute needs an email address so they can be sent the papers")
    body = app.body(meeting.body)
    standing = {r["email"]: r["member_email"] for r in fetch_all(
        db, "SELECT p.email, m.email AS member_email FROM invitations i "
            "JOIN people p ON p.id = i.person_id JOIN people m ON m.id = i.stands_for "
            "WHERE i.meeting_id = ? AND i.reply != 'withdrawn'", [meeting.id])}
    sub_person = find_person(db, sub_email)
    sub_is_member = sub_person is not None and member_seat(db, meeting.body,
                                                           sub_person.id) is not None
    verdict = may_substitute(body.substitutes, seat, sub_email,
                             named=named_substitutes(db, meeting.body, person.id),
                             standing_for=standing,
                             body_members=[sub_email] if sub_is_member else [])
    if not verdict.ok:  # they gave notice all the same: their apologies stand
        refused = _refused_substitute(db, meeting, person, seat, cmd, verdict.reason,
                                      body.substitutes)
        return ReplyOutcome("recorded", meeting, person.email, name, "apologies",
                            f"apologies recorded; {refused.name} cannot attend in your place: "
                            f"{refused.reason}", refused_substitute=refused)
    now = app.clock.now()
    sub = ensure_person(db, sub_email, cmd.substitute_name, now)
    sub_inv = ensure_invitation(db, meeting.id, sub.id, now, stands_for=person.id)
    if sub_inv.reply == "withdrawn" or sub_inv.stands_for != person.id:
        update(db, "invitations", sub_inv.id, {"reply": "no_reply", "stands_for": person.id})
    invite_substitute(db, app, meeting, sub, person, now)
    update(db, "invitations", invitation.id, {"substitute_id": sub.id})
    return ReplyOutcome("recorded", meeting, person.email, name, "substitute",
                        f"apologies recorded; {sub.name} will attend in your place",
                        substitute_email=sub.email, substitute_name=sub.name)


def _refused_substitute(db: Database, meeting: Meeting, person: Person, seat: Seat,
                        cmd: RecordReply, reason: str, policy: SubstitutePolicy) -> RefusedSubstitute:
    """The refused substitute, with whom the body's rules would accept instead."""
    instead = who_may_stand_in(policy, seat, named_substitutes(db, meeting.body, person.id))
    named = tuple((str(p["name"]), str(p["email"])) for p in fetch_all(
        db, "SELECT p.name, p.email FROM named_substitutes n JOIN people p "
            "ON p.id = n.substitute_id WHERE n.body = ? AND n.member_id = ? ORDER BY p.name",
        [meeting.body, person.id])
        if p["email"] in instead.named)
    return RefusedSubstitute(name=cmd.substitute_name or normalise_email(cmd.substitute_email),
                             email=normalise_email(cmd.substitute_email), reason=reason,
                             named=named, any_allowed=instead.anyone)


def _substitute_own_reply(app: Clerk, db: Database, meeting: Meeting, person: Person,
                          invitation: Invitation, cmd: RecordReply) -> ReplyOutcome:
    assert invitation.stands_for is not None  # (a substitute's invitation)
    member = person_by_id(db, invitation.stands_for)
    if invitation.reply == "withdrawn":
        raise Refused(f"{member.name} has since changed their reply, so you are no longer "
                      "expected as their substitute")
    if cmd.intent == "substitute":
        raise Refused("a substitute cannot send a substitute of their own; please ask "
                      f"{member.name} to name someone else")
    reply = "attend" if cmd.intent == "attend" else "apologies"
    text = (f"recorded as attending in place of {member.name}" if reply == "attend"
            else f"recorded that you cannot attend in place of {member.name}")
    queued: tuple[int, ...] = ()
    if reply == "apologies" and invitation.reply != "apologies":  # someone must find another
        queued = report_declined(app, db, meeting, person, member,
                                 cmd.received_at or app.clock.now())
    return ReplyOutcome("recorded", meeting, person.email, person.name, reply, text,
                        stands_for=member.email, queued=queued)
