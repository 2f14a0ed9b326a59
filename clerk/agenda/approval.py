"""The Chair's approval of an agenda.

``approve_agenda(app, ApproveAgenda(meeting, email, channel, evidence, version=None))
-> ApprovalOutcome`` is **the one way an agenda is approved** (email reply, the bot's "approve
agenda" button, or the facilitator recording an approval given in person). Only the Chair, or
the Vice-Chair where the body allows it, may approve; anyone else gets ``status="refused"``
(recorded, never raised). ``version`` is the draft version answered (None: the current one);
an answer to an older draft is ``outdated``, changes nothing, and the Chair is sent the current
draft. When the papers are already due, an approval circulates them at once (late, if past
their day).

``may_approve(app, db, meeting, email) -> Verdict`` says whether ``email`` may approve that
agenda (reads only: the console asks it to offer the button, and approve_agenda decides by it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlite_utils import Database

from clerk.agenda.circulation import circulate_in
from clerk.agenda.items import (
    configured_chair,
    papers_out,
    read_agenda,
    refuse_if_over,
    send_new_draft,
    sync_standing_items,
)
from clerk.app import Clerk
from clerk.errors import Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.people.directory import find_person, normalise_email, office_of
from clerk.rules.papers import day_words, may_approve_agenda, papers_timing
from clerk.rules.verdict import Verdict
from clerk.store import audit
from clerk.store.rows import execute, insert
from clerk.times import to_iso


@dataclass(frozen=True)
class ApproveAgenda:
    """An approval of a meeting's agenda by ``email``, through ``channel`` (email, chat, cli)."""

    meeting: str
    email: str
    channel: str = "cli"
    evidence: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ApprovalOutcome:
    """``approved``, ``already`` (approved before), ``outdated`` (an answer to an older draft),
    ``refused`` (not the Chair), ``duplicate`` (this message was handled before)."""

    status: Literal["approved", "already", "outdated", "refused", "duplicate"]
    meeting: str
    email: str
    message: str
    circulated: bool = False


def may_approve(app: Clerk, db: Database, meeting: Meeting, email: str) -> Verdict:
    """Whether ``email`` may approve the meeting's agenda: the Chair, or the Vice-Chair where
    the body allows (:func:`clerk.rules.papers.may_approve_agenda`); reads only."""
    email = normalise_email(email)
    person = find_person(db, email)
    office = office_of(db, meeting.body, person.id) if person else ""
    return may_approve_agenda(app.body(meeting.body), office,
                              is_configured_chair=configured_chair(app, db, meeting, email))


def approve_agenda(app: Clerk, cmd: ApproveAgenda) -> ApprovalOutcome:
    """Record the Chair's approval of the agenda as it stands (see the module docstring)."""
    meeting = get_meeting(app, cmd.meeting)
    body = app.body(meeting.body)
    email = normalise_email(cmd.email)
    if not body.papers.chair_approves_agenda:
        raise Refused(f"{body.label} does not ask the Chair to agree the agenda")
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        if cmd.idempotency_key and audit.seen(db, cmd.idempotency_key):
            return ApprovalOutcome("duplicate", meeting.ref, email, "this approval was already "
                                   "handled")
        sync_standing_items(app, db, meeting)
        agenda = read_agenda(app, db, meeting)
        person = find_person(db, email)
        verdict = may_approve(app, db, meeting, email)
        base = {"meeting_id": meeting.id, "version": agenda.version,
                "agenda_sha256": agenda.sha256, "person_id": person.id if person else None,
                "email": email, "channel": cmd.channel,
                "evidence": json.dumps(cmd.evidence, sort_keys=True, default=str),
                "at": to_iso(now)}
        if not verdict.ok:
            insert(db, "agenda_approvals", {**base, "outcome": "refused",
                                            "reason": verdict.reason})
            audit.record(db, at=now, actor=email, action="agenda.approve_refused",
                         subject=meeting.ref, channel=cmd.channel, evidence=cmd.evidence,
                         detail={"reason": verdict.reason, "version": agenda.version},
                         idempotency_key=cmd.idempotency_key)
            return ApprovalOutcome("refused", meeting.ref, email, verdict.reason)
        if cmd.version is not None and cmd.version != agenda.version:
            reason = (f"the agenda has changed since the draft you answered (version "
                      f"{cmd.version}; it is now version {agenda.version}), so that answer "
                      "cannot approve it; the new draft has been sent to you")
            insert(db, "agenda_approvals", {**base, "outcome": "outdated", "reason": reason})
            audit.record(db, at=now, actor=email, action="agenda.approve_outdated",
                         subject=meeting.ref, channel=cmd.channel, evidence=cmd.evidence,
                         detail={"answered": cmd.version, "current": agenda.version},
                         idempotency_key=cmd.idempotency_key)
            send_new_draft(app, db, meeting)
            return ApprovalOutcome("outdated", meeting.ref, email, reason)
        if agenda.approved:
            return ApprovalOutcome("already", meeting.ref, email, f"the agenda (version "
                                   f"{agenda.version}) was already approved by "
                                   f"{agenda.approved_by}")
        assert person is not None
        execute(db, "UPDATE agendas SET approved_version = ?, approved_by = ?, approved_at = ?, "
                    "approved_channel = ? WHERE meeting_id = ?",
                [agenda.version, person.id, to_iso(now), cmd.channel, meeting.id])
        execute(db, "UPDATE meetings SET agenda_approved_at = ? WHERE id = ?",
                [to_iso(now), meeting.id])
        insert(db, "agenda_approvals", {**base, "outcome": "approved", "reason": verdict.reason})
        audit.record(db, at=now, actor=email, action="agenda.approve", subject=meeting.ref,
                     channel=cmd.channel, evidence=cmd.evidence,
                     detail={"version": agenda.version, "sha256": agenda.sha256,
                             "items": [i.title for i in agenda.items]},
                     idempotency_key=cmd.idempotency_key)
        timing = papers_timing(body, meeting.starts_at.astimezone(app.tz).date(),
                               now.astimezone(app.tz).date())
        circulated = None
        already_out = papers_out(db, meeting)
        if timing.send_now or already_out:
            circulated = circulate_in(app, db, meeting, actor="clerk", channel=cmd.channel)
        words = f"agenda approved by {person.name} (version {agenda.version})"
        if circulated is not None and circulated.circulation_id:
            words += f"; {circulated.message}"
        elif not already_out and timing.due_on is not None:
            words += f"; the papers go out on {day_words(timing.due_on)}"
        return ApprovalOutcome("approved", meeting.ref, email, words,
                               circulated=bool(circulated and circulated.circulation_id))
