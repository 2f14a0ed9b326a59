"""Decisions taken at a meeting, and what the body's rules make of them when it was inquorate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clerk.agenda.items import refresh_standing_items
from clerk.app import Clerk
from clerk.attendance.register import attendance_verdict
from clerk.errors import BadInput, Refused
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert
from clerk.times import to_iso

STATUS_WORDS = {
    "agreed": "agreed",
    "provisional": "provisional: awaiting ratification by email vote",
    "carried_forward": "not decided: carried forward to the next meeting",
    "ratified": "ratified by email vote",
    "not_ratified": "not ratified: carried forward to the next meeting",
    "referred": "not resolved: referred to another body",
}


@dataclass(frozen=True)
class AddDecision:
    meeting: str
    text: str
    channel: str = "cli"
    actor: str = "facilitator"  # who recorded it, for the audit log


@dataclass(frozen=True)
class Decision:
    id: int
    meeting: str
    number: int
    text: str
    status: str
    reason: str

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


def add_decision(app: Clerk, cmd: AddDecision) -> Decision:
    """Record a decision; its status follows from quorum and the body's rule when inquorate.

    Recording the same text for the same meeting again returns the decision already recorded.
    """
    text = " ".join(cmd.text.split())
    if not text:
        raise BadInput("the decision text is empty")
    meeting = get_meeting(app, cmd.meeting)
    body = app.body(meeting.body)
    verdict = attendance_verdict(app, meeting)
    if verdict is None:
        raise Refused(f"record the attendance of {meeting.ref} first (clerk attendance record), "
                      "so clerk can tell whether the meeting was quorate")
    if verdict.ok:
        status, reason = "agreed", f"quorate: {verdict.reason}"
    elif body.decisions.when_inquorate == "no_business":
        raise Refused(f"{body.label} may transact no business while inquorate "
                      f"({verdict.reason}); the decision was not recorded")
    elif body.decisions.when_inquorate == "email_ratification":
        status, reason = "provisional", f"inquorate ({verdict.reason}): to be ratified by email vote"
    else:
        status, reason = "carried_forward", f"inquorate ({verdict.reason}): to the next meeting"
    now = app.clock.now()
    with app.store.write() as db:
        same = fetch_one(db, "SELECT * FROM decisions WHERE meeting_id = ? AND text = ?",
                         [meeting.id, text])
        if same:
            return decision_from_row(meeting, same)
        last = fetch_one(db, "SELECT COALESCE(MAX(number), 0) AS n FROM decisions WHERE "
                             "meeting_id = ?", [meeting.id])
        number = int(last["n"]) + 1 if last else 1
        did = insert(db, "decisions", {"meeting_id": meeting.id, "number": number, "text": text,
                                      "status": status, "status_reason": reason,
                                      "created_at": to_iso(now)})
        audit.record(db, at=now, actor=cmd.actor, action="decision.add", subject=meeting.ref,
                     channel=cmd.channel, detail={"number": number, "text": text,
                                                  "status": status, "reason": reason})
        refresh_standing_items(app, db, meeting.body)  # business carried to the next agenda
        row = fetch_one(db, "SELECT * FROM decisions WHERE id = ?", [did])
        assert row is not None  # inserted just above
        return decision_from_row(meeting, row)


def decision_from_row(meeting: Meeting, row: dict[str, Any]) -> Decision:
    """A stored decision of ``meeting``."""
    return Decision(row["id"], meeting.ref, row["number"], row["text"], row["status"],
                    row["status_reason"])


def list_decisions(app: Clerk, meeting_ref: str) -> list[Decision]:
    meeting = get_meeting(app, meeting_ref)
    return [decision_from_row(meeting, r) for r in fetch_all(
        app.store.db, "SELECT * FROM decisions WHERE meeting_id = ? ORDER BY number",
        [meeting.id])]
